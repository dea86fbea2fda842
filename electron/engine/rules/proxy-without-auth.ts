/**
 * A reverse proxy (nginx, caddy, traefik, ...) that forwards to Ollama without asking for
 * credentials: /api/tags answered through it with no 401/403. It carries Ollama to wherever
 * the proxy listens, whatever Ollama itself binds to.
 */
import type { Severity } from '../../../shared/findings';
import type { Exposure } from '../../../shared/snapshot';
import { defineRule } from './rule';
import { dockerPublishedPorts } from './support/docker';
import type { RuleFinding } from './rule';
import { worstExposure } from '../exposure';
import { listenerWords } from './support/reach';
import { attackerCanOnOllama, hostPort, instanceLabel, listed, plain } from './support/words';

const SEVERITY: Record<Exposure, Severity> = {
  internet: 'critical',
  lan: 'high',
  unknown: 'high',
  private: 'low',
};

const WHO: Record<Exposure, string> = {
  internet: 'anyone on the internet',
  lan: 'other machines on your network',
  unknown: 'possibly other machines (Paddock could not tell who reaches it)',
  private: 'programs on this computer only, for now',
};

export default defineRule(
  {
    id: 'proxy-without-auth',
    title: 'A reverse proxy forwards to Ollama without a password',
    severity: 'high',
    category: 'proxy',
    why: "A reverse proxy in front of Ollama is usually there to add authentication; without it, the proxy only carries Ollama to wherever the proxy listens. Whoever reaches the proxy can list your models, run prompts on your GPU, pull, push and delete models, and read system prompts through /api/show. A proxy that rewrites the Host header also defeats Ollama's DNS-rebinding check.",
    references: [
      'https://docs.ollama.com/faq',
      'https://nginx.org/en/docs/http/ngx_http_auth_basic_module.html',
      'https://www.tenable.com/plugins/nessus/302134',
    ],
    fixes: ['proxy-auth'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance): RuleFinding[] => {
      // docker-proxy (or dockerd) holding a port Docker publishes for this server's container is
      // Docker's publish, which docker-publish-beyond-loopback reports: not a reverse proxy.
      const published = dockerPublishedPorts(instance);
      const open = instance.proxyPaths.filter(
        (p) => p.upstream === 'ollama' && p.authRequired !== true && !published.has(p.port),
      );
      if (open.length === 0) return [];
      const listeners = instance.listeners.filter(
        (l) => l.path === 'proxy' && open.some((p) => p.port === l.port),
      );
      const exposure = worstExposure(
        listeners.map((l) => l.exposure),
        'unknown',
      );
      const rebinding = open.some((p) => p.foreignHostRefused === false);
      const severity: Severity =
        exposure === 'private' && rebinding ? 'medium' : SEVERITY[exposure];
      const proxies = open.map(
        (p) =>
          `${p.software} on ${hostPort(plain(p.listenAddress, 60), p.port)}${p.tagsStatus !== null ? ` (/api/tags answered ${p.tagsStatus})` : ''}`,
      );
      const attackerCan =
        exposure === 'private'
          ? [
              'Nothing from another machine while the proxy listens on loopback or the firewall blocks it.',
              ...(rebinding
                ? [
                    'A web page you open can use DNS rebinding to reach the proxy through your browser: it accepted a foreign Host header, so Ollama never sees one to refuse.',
                  ]
                : []),
            ]
          : attackerCanOnOllama(snapshot, instance);
      return [
        {
          instance: instance.id,
          severity,
          summary: `${listed(proxies)} forwards to ${instanceLabel(instance)} without asking for a password, reaching ${WHO[exposure]}.`,
          attackerCan,
          evidence: [
            ...open.flatMap((p) => p.reasons.map((r) => plain(r, 300))),
            ...listeners.map((l) => `Listener ${listenerWords(l)}: ${l.reasons.join(' ')}`),
            ...(rebinding
              ? ['Through the proxy, a request naming a foreign Host header was answered.']
              : []),
          ],
        },
      ];
    }),
);
