/**
 * Good: the firewall blocks 11434 over IPv4 and IPv6. Bad: an IPv4-only rule (an `ip`
 * table) blocks 192.168.1.20 while fd00::20 and fe80::20 stay open on the same listener.
 */
import type { Snapshot } from '../../shared/snapshot';
import { LAN4, LAN6, LINK6, buildSnapshot, setting } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [
    {
      settings: [setting('OLLAMA_HOST', '0.0.0.0')],
      listeners: [
        {
          address: '::',
          via: [LAN4, LAN6, LINK6].map((address) => ({ address, firewall: 'blocked' as const })),
        },
      ],
    },
  ],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    {
      settings: [setting('OLLAMA_HOST', '0.0.0.0')],
      listeners: [
        {
          address: '::',
          via: [
            { address: LAN4, firewall: 'blocked', rule: 'ip pdk input: tcp dport 11434 drop' },
            { address: LAN6, firewall: 'allowed', rule: 'no input filter rules are loaded' },
            { address: LINK6, firewall: 'allowed', rule: 'no input filter rules are loaded' },
          ],
        },
      ],
    },
  ],
});
