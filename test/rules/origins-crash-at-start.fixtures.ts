/** Good: two origins with no space. Bad: a space after the comma (saved for the next start). */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, loopbackOllama, setting } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [
    loopbackOllama({
      settings: [setting('OLLAMA_ORIGINS', 'https://a.example,https://b.example')],
    }),
  ],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    loopbackOllama({
      settings: [
        setting('OLLAMA_ORIGINS', 'https://a.example, https://b.example', { state: 'latent' }),
      ],
    }),
  ],
});
