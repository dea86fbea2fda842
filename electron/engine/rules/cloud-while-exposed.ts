/**
 * Cloud features on (OLLAMA_NO_CLOUD unset or false) on a server other machines can reach:
 * remote callers can run :cloud models and web search on the owner's ollama.com account.
 */
import { isExposed } from '../exposure';
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { describeSetting, effectiveSetting, ollamaBool } from './support/settings';
import { instanceLabel } from './support/words';

export default defineRule(
  {
    id: 'cloud-while-exposed',
    title: 'Others can spend your ollama.com account through this server',
    severity: 'high',
    category: 'cloud',
    why: 'Unless OLLAMA_NO_CLOUD is set, a server signed in to ollama.com runs :cloud models and web search for any caller. On a server other machines can reach, anyone can use your cloud quota or subscription, and what they send goes out under your account.',
    references: ['https://docs.ollama.com/cloud', 'https://docs.ollama.com/faq'],
    fixes: ['disable-cloud', 'rebind-systemd'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance): RuleFinding[] => {
      if (!isExposed(instance.exposure)) return [];
      const setting = effectiveSetting(instance.settings, 'OLLAMA_NO_CLOUD');
      // Ollama reads OLLAMA_NO_CLOUD with envconfig.Bool (ollamaBool).
      if (setting && ollamaBool(setting.value)) return [];
      const environmentKnown = instance.configuredBind !== null;
      return [
        {
          instance: instance.id,
          summary: `${instanceLabel(instance)} can be reached from ${instance.exposure === 'internet' ? 'the internet' : 'your network'} and has cloud features on (OLLAMA_NO_CLOUD is ${setting ? 'set to false' : 'not set'}): if it is signed in to ollama.com, callers spend your account.`,
          attackerCan: [
            'Run :cloud models (large hosted models) and web search through your server, on your ollama.com account, if it is signed in.',
          ],
          evidence: [
            setting
              ? `${describeSetting(setting)}: Ollama reads this as false.`
              : environmentKnown
                ? 'The running server has no OLLAMA_NO_CLOUD in its environment.'
                : "The running server's environment could not be read; no OLLAMA_NO_CLOUD was found elsewhere.",
            'Paddock does not read ~/.ollama/server.json (disable_ollama_cloud) yet; if that is set there, cloud features are off.',
            ...instance.reasons.slice(-1),
          ],
        },
      ];
    }),
);
