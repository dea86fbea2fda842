/**
 * Good: llama.cpp's server on loopback, and a vLLM reachable from the LAN that asks for a key
 * everywhere (a low finding is still a finding: so the good one is loopback only). Bad:
 * llama-server on 0.0.0.0:8080 reachable over eth0 with no key (servers-facts.md §3).
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, lanPaths } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [{ kind: 'llamacpp', pid: 300, listeners: [{ address: '127.0.0.1', port: 8080 }] }],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    {
      kind: 'llamacpp',
      pid: 300,
      auth: 'none',
      listeners: [{ address: '0.0.0.0', port: 8080, via: lanPaths() }],
    },
  ],
});
