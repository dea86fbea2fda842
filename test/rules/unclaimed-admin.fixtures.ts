/**
 * Good: an Open WebUI with no account yet but on loopback only. Bad: the same on 0.0.0.0:8080
 * reachable over eth0 (servers-facts.md §6: "onboarding": true).
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, lanPaths } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [
    {
      kind: 'openwebui',
      pid: 301,
      auth: 'unclaimed-admin',
      listeners: [{ address: '127.0.0.1', port: 8080 }],
    },
  ],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    {
      kind: 'openwebui',
      pid: 301,
      auth: 'unclaimed-admin',
      listeners: [{ address: '0.0.0.0', port: 8080, via: lanPaths() }],
    },
  ],
});
