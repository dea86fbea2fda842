/** Good: "http://127.0.0.1:11434" names its port. Bad: "http://0.0.0.0" means port 80. */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, lanPaths, loopbackOllama, setting } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [loopbackOllama({ settings: [setting('OLLAMA_HOST', 'http://127.0.0.1:11434')] })],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    {
      settings: [setting('OLLAMA_HOST', 'http://0.0.0.0')],
      listeners: [{ address: '::', port: 80, via: lanPaths() }],
    },
  ],
});
