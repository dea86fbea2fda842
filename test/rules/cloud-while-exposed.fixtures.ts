/** Good: exposed, but OLLAMA_NO_CLOUD=1. Bad: exposed, OLLAMA_NO_CLOUD not set. */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, setting, wildcardOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [
    wildcardOllama(null, {
      settings: [setting('OLLAMA_HOST', '0.0.0.0'), setting('OLLAMA_NO_CLOUD', '1')],
    }),
  ],
});

export const bad: Snapshot = buildSnapshot({ instances: [wildcardOllama()] });
