/**
 * An Ollama server that anyone on the internet can reach: some open path (direct, through a
 * reverse proxy, or published by Docker) arrives on a public address.
 */
import { defineRule } from './rule';
import { exposedOnlyByDocker } from './support/docker';
import { listenerWords, openPathsWhere, reachableAt } from './support/reach';
import { effectiveSetting, ollamaBool } from './support/settings';
import { attackerCanOnOllama, instanceLabel, listed, modelNames, plural } from './support/words';

export default defineRule(
  {
    id: 'exposed-to-internet',
    title: 'Ollama is reachable from the internet',
    severity: 'critical',
    category: 'exposure',
    why: 'Ollama has no authentication. Internet-wide scanners (Shodan, Censys, Tenable plugin 302134, nuclei ollama-detect) find servers that answer "Ollama is running" within hours; anyone who finds yours can list your models, run prompts on your GPU, hold it with long generations, pull, push and delete models, read system prompts through /api/show, and spend your ollama.com cloud account.',
    references: [
      'https://docs.ollama.com/faq',
      'https://www.tenable.com/plugins/nessus/302134',
      'https://github.com/projectdiscovery/nuclei-templates/blob/main/http/technologies/ollama-detect.yaml',
      'https://nvd.nist.gov/vuln/detail/CVE-2025-63389',
    ],
    fixes: [
      'stop-tunnel',
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
      const shared = (instance.sharedWith || instance.sharedOver) && !instance.tunnels?.length;
      if (instance.exposure !== 'internet' || shared) return [];
      // Docker publishing the container is the only way in: docker-publish-beyond-loopback says it.
      if (exposedOnlyByDocker(instance)) return [];
      const publicPaths = openPathsWhere(instance, (p) => p.scope === 'public');
      // A tunnel out publishes it with no public path of its own (issue 12).
      const tunnels = (instance.tunnels ?? []).map(
        (t) => `${t.tool}'s tunnel${t.remote ? ` to ${t.remote}` : ''} (pid ${t.pid})`,
      );
      const at = [...reachableAt(publicPaths), ...tunnels];
      const models = modelNames(instance);
      const noCloud = ollamaBool(effectiveSetting(instance.settings, 'OLLAMA_NO_CLOUD')?.value);
      return [
        {
          instance: instance.id,
          summary: `${instanceLabel(instance)} answers anyone on the internet at ${listed(at.length > 0 ? at : instance.listeners.map(listenerWords), 3)}, with no password.${models.length > 0 ? ` It lists ${plural(models.length, 'model')} to whoever asks.` : ''}`,
          attackerCan: attackerCanOnOllama(snapshot, instance, { cloud: !noCloud }),
          evidence: [
            ...(publicPaths.length > 0
              ? publicPaths.map(
                  ({ listener }) =>
                    `Listener ${listenerWords(listener)}: ${listener.reasons.join(' ')}`,
                )
              : instance.reasons),
            ...instance.fingerprints
              .filter((f) => f.identity === 'ollama')
              .slice(0, 1)
              .map(
                (f) =>
                  `GET / answered "Ollama is running"${f.models ? ` and /api/tags listed ${plural(f.models.length, 'model')}` : ''}${f.authRequired === false ? ' without asking for credentials' : ''}: what scanners test to call a server exposed.`,
              ),
          ],
        },
      ];
    }),
);
