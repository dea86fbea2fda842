/**
 * An Ollama server that other machines on the local network (or a VPN such as Tailscale)
 * can reach: its worst open path is a link-local, private, CGNAT/VPN or reserved address.
 * An instance reachable from the internet gets exposed-to-internet instead.
 */
import { defineRule } from './rule';
import { exposedOnlyByDocker } from './support/docker';
import { isLanScope, listenerWords, openPathsWhere, reachableAt } from './support/reach';
import { effectiveSetting, ollamaBool } from './support/settings';
import { attackerCanOnOllama, instanceLabel, listed, modelNames, plural } from './support/words';

export default defineRule(
  {
    id: 'exposed-to-lan',
    title: 'Ollama is reachable from the local network',
    severity: 'high',
    category: 'exposure',
    why: 'Ollama has no authentication. Anyone on the same network (a café or hotel Wi-Fi, a shared office, a compromised device at home, a VPN peer) can list your models, run prompts on your GPU and hold it with long generations, pull, push and delete models, read system prompts through /api/show, and spend your ollama.com cloud account.',
    references: [
      'https://docs.ollama.com/faq',
      'https://www.tenable.com/plugins/nessus/302134',
      'https://nvd.nist.gov/vuln/detail/CVE-2025-63389',
    ],
    fixes: [
      'rebind-systemd',
      'block-port',
      'enable-firewall',
      'docker-localhost',
      'proxy-auth',
      'share-allowlist',
      'share-vpn',
      'share-proxy',
    ],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance) => {
      // Shared with sources a firewall rule names: shared-with-chosen says so instead.
      if (instance.exposure !== 'lan' || instance.sharedWith || instance.sharedOver) return [];
      // Docker publishing the container is the only way in: docker-publish-beyond-loopback says it.
      if (exposedOnlyByDocker(instance)) return [];
      const lanPaths = openPathsWhere(instance, (p) => isLanScope(p.scope));
      const at = reachableAt(lanPaths);
      const vpn = lanPaths.some(({ paths }) => paths.some((p) => p.scope === 'cgnat'));
      const models = modelNames(instance);
      const noCloud = ollamaBool(effectiveSetting(instance.settings, 'OLLAMA_NO_CLOUD')?.value);
      return [
        {
          instance: instance.id,
          summary: `${instanceLabel(instance)} answers other machines on your network${vpn ? ' and your VPN' : ''} at ${listed(at.length > 0 ? at : instance.listeners.map(listenerWords), 3)}, with no password.${models.length > 0 ? ` It lists ${plural(models.length, 'model')} to whoever asks.` : ''}`,
          attackerCan: attackerCanOnOllama(snapshot, instance, { cloud: !noCloud }),
          evidence:
            lanPaths.length > 0
              ? lanPaths.map(
                  ({ listener }) =>
                    `Listener ${listenerWords(listener)}: ${listener.reasons.join(' ')}`,
                )
              : instance.reasons,
        },
      ];
    }),
);
