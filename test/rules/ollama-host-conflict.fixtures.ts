/**
 * Good: the environment and the drop-in say the same bind in two spellings ("0.0.0.0" and
 * "0.0.0.0:11434"). Bad: the running server has 127.0.0.1, the drop-in saved since says 0.0.0.0.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, setting, wildcardOllama, loopbackOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [
    wildcardOllama(null, {
      settings: [
        setting('OLLAMA_HOST', '0.0.0.0'),
        setting('OLLAMA_HOST', '0.0.0.0:11434', {
          kind: 'systemd-dropin',
          path: '/etc/systemd/system/ollama.service.d/override.conf',
          line: 2,
        }),
      ],
    }),
  ],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    loopbackOllama({
      settings: [
        setting('OLLAMA_HOST', '127.0.0.1'),
        setting('OLLAMA_HOST', '0.0.0.0', { state: 'latent' }),
      ],
    }),
  ],
});
