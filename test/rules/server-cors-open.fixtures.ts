/**
 * Good: LM Studio on loopback, sending no CORS header (servers-facts.md §1.7: CORS off unless
 * enabled). Bad: llama-server on loopback echoing a foreign origin with credentials (§3).
 */
import { FOREIGN_ORIGIN } from '../../electron/engine/judge/origin';
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [
    {
      kind: 'lmstudio',
      pid: 310,
      cors: { path: '/v1/models', allowOrigin: null, allowCredentials: false },
      listeners: [{ address: '127.0.0.1', port: 1234 }],
    },
  ],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    {
      kind: 'llamacpp',
      pid: 300,
      cors: { path: '/v1/models', allowOrigin: FOREIGN_ORIGIN, allowCredentials: true },
      listeners: [{ address: '127.0.0.1', port: 8080 }],
    },
  ],
});
