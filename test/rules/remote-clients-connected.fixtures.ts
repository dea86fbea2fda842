/**
 * Good: the only peer is this computer's own LAN address (a local client). Bad: a neighbour
 * at 192.168.1.23 holds two connections.
 */
import type { Snapshot } from '../../shared/snapshot';
import { LAN4, buildSnapshot, peer, wildcardOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [wildcardOllama(null, { peers: [peer(LAN4, { isLocalAddress: true })] })],
});

export const bad: Snapshot = buildSnapshot({
  instances: [wildcardOllama(null, { peers: [peer('192.168.1.23', { connections: 2 })] })],
});
