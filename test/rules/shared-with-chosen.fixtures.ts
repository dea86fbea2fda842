/**
 * Good: Ollama on loopback, shared with no one. Bad (a finding, information only): Ollama on
 * 0.0.0.0 that the firewall refuses to the LAN but lets in from 192.168.1.50 (issue 14,
 * "only these machines").
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, loopbackOllama, wildcardOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({ instances: [loopbackOllama()] });

const shared = buildSnapshot({ instances: [wildcardOllama()] });
const instance = shared.instances[0]!;
for (const listener of instance.listeners)
  listener.reachableVia = listener.reachableVia.map((via) => ({
    ...via,
    onlyFrom: ['192.168.1.50'],
  }));
instance.sharedWith = ['192.168.1.50'];

export const bad: Snapshot = shared;
