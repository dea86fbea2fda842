/**
 * Sources that disagree on OLLAMA_HOST: two settings that are not shadowed (in force now, or
 * saved for the next start) that put Ollama on different addresses or ports. Values that
 * mean the same bind to Ollama ("0.0.0.0" and "0.0.0.0:11434") do not count as a conflict.
 */
import type { Severity } from '../../../shared/findings';
import { parseOllamaHost } from '../ollama/listen-address';
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { describeSetting, liveSettings, settingsGroups } from './support/settings';
import { hostPort, instanceLabel, plain } from './support/words';

export default defineRule(
  {
    id: 'ollama-host-conflict',
    title: 'Your OLLAMA_HOST settings disagree',
    severity: 'low',
    category: 'configuration',
    why: "When the server's environment, the systemd unit, its drop-ins and your shell files say different things, the address Ollama listens on depends on how it was last started. A restart can move it from loopback to every interface without anyone touching a setting, and a fix applied to one source can be undone by another.",
    references: [
      'https://docs.ollama.com/faq',
      'https://www.freedesktop.org/software/systemd/man/latest/systemd.unit.html',
    ],
    fixes: ['rebind-systemd'],
  },
  (snapshot) =>
    settingsGroups(snapshot).flatMap(({ instance, settings }): RuleFinding[] => {
      const live = liveSettings(settings, 'OLLAMA_HOST').map((setting) => ({
        setting,
        bind: parseOllamaHost(setting.value),
      }));
      const binds = new Set(live.map(({ bind }) => hostPort(bind.host, bind.port)));
      if (binds.size < 2) return [];
      const mixed =
        live.some(({ bind }) => bind.reach === 'loopback') &&
        live.some(({ bind }) => bind.reach !== 'loopback');
      const severity: Severity = mixed ? 'medium' : 'low';
      return [
        {
          instance: instance?.id ?? null,
          severity,
          summary: `${instance ? instanceLabel(instance) : 'Ollama'} has ${live.length} OLLAMA_HOST settings that point to ${binds.size} different places${mixed ? ', some loopback only and some beyond' : ''}; which one applies depends on how the server is started next.`,
          attackerCan: [],
          evidence: live.map(
            ({ setting, bind }) =>
              `${describeSetting(setting)} means ${bind.reach === 'all' ? `every interface, port ${bind.port}` : hostPort(plain(bind.host, 80), bind.port)}: ${plain(setting.reason, 200)}.`,
          ),
        },
      ];
    }),
);
