/**
 * Good: OLLAMA_ORIGINS names one site and one extension. Bad: "*" on a loopback Ollama, and
 * the fingerprint saw a foreign Origin allowed.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, loopbackOllama, setting } from './snapshots';

export const good: Snapshot = buildSnapshot({
  instances: [
    loopbackOllama({
      settings: [
        setting(
          'OLLAMA_ORIGINS',
          'https://chat.example.com,chrome-extension://abcdefghijklmnopabcdefghijklmnop',
        ),
      ],
    }),
  ],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    loopbackOllama({
      settings: [setting('OLLAMA_ORIGINS', '*')],
      foreignOriginAllowed: true,
    }),
  ],
});
