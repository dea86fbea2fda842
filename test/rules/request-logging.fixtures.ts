/**
 * Good: OLLAMA_DEBUG_LOG_REQUESTS=false. Bad: OLLAMA_DEBUG_LOG_REQUESTS=no, which Go's
 * ParseBool rejects and Ollama therefore reads as true.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, loopbackOllama, setting } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [loopbackOllama({ settings: [setting('OLLAMA_DEBUG_LOG_REQUESTS', 'false')] })],
});

export const bad: Snapshot = buildSnapshot({
  instances: [loopbackOllama({ settings: [setting('OLLAMA_DEBUG_LOG_REQUESTS', 'no')] })],
});
