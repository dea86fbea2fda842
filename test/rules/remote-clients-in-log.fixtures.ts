/**
 * Good: the log shows only loopback and this computer's own LAN address. Bad: it also shows
 * 192.168.1.23 calling /api/generate.
 */
import type { Snapshot } from '../../shared/snapshot';
import { LAN4, buildSnapshot, wildcardOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [wildcardOllama()],
  accessLogClients: [{ client: '127.0.0.1' }, { client: '::1' }, { client: LAN4 }],
});

export const bad: Snapshot = buildSnapshot({
  instances: [wildcardOllama()],
  accessLogClients: [{ client: '127.0.0.1' }, { client: '192.168.1.23', requests: 41 }],
});
