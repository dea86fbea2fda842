/**
 * OLLAMA_HOST with a scheme and no port: "http://0.0.0.0" means port 80, not 11434, and
 * "https://..." means 443 (ollama-facts.md, "OLLAMA_HOST"; parseOllamaHost notes it).
 */
import { parseOllamaHost } from '../ollama/listen-address';
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { describeSetting, liveSettings, settingsGroups } from './support/settings';
import { instanceLabel, plain } from './support/words';

const PORT_NOTE = /(http|https):\/\/ with no port means port (80|443)/;

export default defineRule(
  {
    id: 'ollama-host-scheme-port',
    title: 'OLLAMA_HOST with http:// and no port moves Ollama to port 80',
    severity: 'low',
    category: 'configuration',
    why: 'Ollama reads "http://0.0.0.0" as port 80 (and "https://..." as 443), the web ports that firewalls, routers and cloud security groups usually let through and that every scanner tries first. A firewall rule written for 11434 then protects nothing, and anyone who reaches port 80 can list your models, run prompts on your GPU, and pull or delete models.',
    references: ['https://docs.ollama.com/faq'],
    fixes: ['rebind-systemd'],
  },
  (snapshot) =>
    settingsGroups(snapshot).flatMap(({ instance, settings }): RuleFinding[] => {
      const hits = liveSettings(settings, 'OLLAMA_HOST')
        .map((setting) => ({ setting, bind: parseOllamaHost(setting.value) }))
        .map((hit) => ({ ...hit, note: hit.bind.notes.find((n) => PORT_NOTE.test(n)) }))
        .filter((hit) => hit.note !== undefined);
      if (hits.length === 0) return [];
      const first = hits[0]!;
      const beyond = hits.some((h) => h.bind.reach !== 'loopback');
      return [
        {
          instance: instance?.id ?? null,
          ...(beyond ? { severity: 'medium' as const } : {}),
          summary: `OLLAMA_HOST=${plain(first.setting.value, 120)} has a scheme and no port, so ${instance ? instanceLabel(instance) : 'Ollama'} listens on port ${first.bind.port}, not 11434${first.setting.state === 'latent' ? ' (at its next start)' : ''}.`,
          attackerCan: beyond
            ? [
                `Reach it on port ${first.bind.port}, which firewalls and routers usually leave open for web servers, and then list your models, run prompts on your GPU, and pull or delete models.`,
              ]
            : [],
          evidence: hits.map((h) => `${describeSetting(h.setting)}: Ollama reads it as ${h.note}.`),
        },
      ];
    }),
);
