/**
 * Good: a loopback Ollama that refuses a foreign Host (the check since 0.1.29). Bad: Ollama
 * on 0.0.0.0, where it does no Host check, answered the foreign Host.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, loopbackOllama, wildcardOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [loopbackOllama({ foreignHostRefused: true })],
});

export const bad: Snapshot = buildSnapshot({
  instances: [wildcardOllama(null, { foreignHostRefused: false })],
});
