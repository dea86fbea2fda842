/**
 * Good: a latent drop-in that keeps Ollama on loopback. Bad: the running server has no
 * OLLAMA_HOST (loopback), while override.conf, added since it started, says 0.0.0.0.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, loopbackOllama, setting } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [
    loopbackOllama({ settings: [setting('OLLAMA_HOST', '127.0.0.1:11434', { state: 'latent' })] }),
  ],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    loopbackOllama({ settings: [setting('OLLAMA_HOST', '0.0.0.0:11434', { state: 'latent' })] }),
  ],
});
