/**
 * An OLLAMA_HOST saved in a persistent source (a systemd drop-in added since the last restart,
 * a shell file, anything saved while no server runs) that is not in force now and would make
 * Ollama listen beyond loopback at the next start.
 */
import type { BindSpec, Setting } from '../../../shared/snapshot';
import { parseOllamaHost } from '../ollama/listen-address';
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import {
  describeSetting,
  effectiveSetting,
  settingLocation,
  settingsGroups,
} from './support/settings';
import { hostPort, instanceLabel, listed, plain } from './support/words';

function bindWords(bind: BindSpec): string {
  if (bind.reach === 'all') return `every interface, port ${bind.port}`;
  return hostPort(plain(bind.host, 80), bind.port);
}

/** Who could connect once it applies. */
function reachWords(bind: BindSpec): string {
  if (bind.reach === 'all') return `this computer on port ${bind.port}`;
  return hostPort(plain(bind.host, 80), bind.port);
}

const sameBind = (a: BindSpec, b: BindSpec): boolean => a.host === b.host && a.port === b.port;

export default defineRule(
  {
    id: 'ollama-host-latent',
    title: 'A saved OLLAMA_HOST will expose Ollama at the next start',
    severity: 'medium',
    category: 'configuration',
    why: "A setting that is saved but not yet in force waits for the next restart: a reboot, an update, `systemctl restart ollama`. Then Ollama listens beyond loopback with no password, and anyone who can reach that address can list your models, run prompts on your GPU, and pull or delete models. Today's scan looks clean; the next one will not.",
    references: [
      'https://docs.ollama.com/faq',
      'https://www.freedesktop.org/software/systemd/man/latest/systemd.unit.html',
    ],
    fixes: ['rebind-systemd'],
  },
  (snapshot) =>
    settingsGroups(snapshot).flatMap(({ instance, settings }): RuleFinding[] => {
      // What the running server asked for; null with no server, or when its environment was hidden.
      const current = instance
        ? (instance.configuredBind ??
          (effectiveSetting(settings, 'OLLAMA_HOST')
            ? parseOllamaHost(effectiveSetting(settings, 'OLLAMA_HOST')!.value)
            : null))
        : null;
      const latent = settings
        .filter((s) => s.name === 'OLLAMA_HOST' && s.state === 'latent')
        .map((setting) => ({ setting, bind: parseOllamaHost(setting.value) }))
        .filter(
          ({ bind }) => bind.reach !== 'loopback' && (current === null || !sameBind(bind, current)),
        );
      if (latent.length === 0) return [];
      const describe = ({ setting, bind }: { setting: Setting; bind: BindSpec }): string =>
        `OLLAMA_HOST=${plain(setting.value, 120)} in ${settingLocation(setting)} (${bindWords(bind)})`;
      const who = instance ? instanceLabel(instance) : 'Ollama';
      const now = !instance
        ? ' No Ollama server runs right now.'
        : current
          ? ` Today it asks for ${bindWords(current)}${current.reach === 'loopback' ? ', loopback only' : ''}.`
          : '';
      return [
        {
          instance: instance?.id ?? null,
          summary: `${listed(latent.map(describe), 2)} is saved but not in force: at the next start ${who} would listen beyond loopback.${now}`,
          attackerCan: [
            'Nothing new until Ollama restarts.',
            `After a restart (a reboot, an update), anyone who can reach ${listed([...new Set(latent.map(({ bind }) => reachWords(bind)))], 2)} could list your models, run prompts on your GPU, and pull or delete models, with no password.`,
          ],
          evidence: latent.flatMap(({ setting, bind }) => [
            `${describeSetting(setting)}: ${plain(setting.reason, 200)}.`,
            ...bind.notes.map((n) => `Ollama reads ${plain(setting.value, 120)} as: ${n}.`),
          ]),
        },
      ];
    }),
);
