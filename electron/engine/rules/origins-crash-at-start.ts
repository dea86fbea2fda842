/**
 * An OLLAMA_ORIGINS value that makes `ollama serve` panic at start (support/origins.ts:
 * gin-contrib/cors refuses an entry with no `*` that does not start with an allowed scheme,
 * which is what a space after a comma produces, and an entry with two `*`).
 */
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { originsCrash } from './support/origins';
import { describeSetting, liveSettings, settingsGroups } from './support/settings';
import { instanceLabel, plain } from './support/words';

export default defineRule(
  {
    id: 'origins-crash-at-start',
    title: 'OLLAMA_ORIGINS will stop Ollama from starting',
    severity: 'medium',
    category: 'cors',
    why: 'Ollama checks OLLAMA_ORIGINS when it starts and panics on an entry it cannot use ("bad origin", "only one * is allowed"); entries are not trimmed, so "http://a, http://b" is enough. Under systemd it then restarts in a loop, and the usual reaction, setting OLLAMA_ORIGINS=* to make it start, opens the API to every web page you visit.',
    references: ['https://github.com/gin-contrib/cors', 'https://docs.ollama.com/faq'],
    fixes: ['tighten-origins'],
  },
  (snapshot) =>
    settingsGroups(snapshot).flatMap(({ instance, settings }): RuleFinding[] => {
      const hits = liveSettings(settings, 'OLLAMA_ORIGINS')
        .map((setting) => ({ setting, crash: originsCrash(setting.value) }))
        .filter((h) => h.crash !== null);
      if (hits.length === 0) return [];
      const first = hits[0]!;
      return [
        {
          instance: instance?.id ?? null,
          summary: `${instance ? instanceLabel(instance) : 'Ollama'} will refuse to start with OLLAMA_ORIGINS=${plain(first.setting.value, 120)}${first.setting.state === 'latent' ? ' (saved for the next start)' : ''}: the entry "${plain(first.crash!.entry, 80)}" is invalid (${first.crash!.reason}).`,
          attackerCan: [],
          evidence: hits.map(
            (h) =>
              `${describeSetting(h.setting)}: entry "${plain(h.crash!.entry, 80)}": ${h.crash!.reason}.`,
          ),
        },
      ];
    }),
);
