/** Good: Ollama on loopback. Bad: Ollama on 0.0.0.0 reachable over eth0, no firewall. */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, loopbackOllama, wildcardOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({ instances: [loopbackOllama()] });

export const bad: Snapshot = buildSnapshot({ instances: [wildcardOllama()] });
