/**
 * Ollama answered a request that named a foreign Host (the fingerprint's DNS-rebinding check),
 * directly or through a reverse proxy. Ollama only checks Host on a loopback bind (and only
 * since 0.1.29), so a web page can point its own domain at this computer and use the API
 * through the user's browser, firewall or not: the request comes from this machine.
 */
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { listenerWords } from './support/reach';
import { hostPort, instanceLabel, listed, modelNames, plain, plural } from './support/words';

export default defineRule(
  {
    id: 'dns-rebinding',
    title: 'A web page can reach Ollama by DNS rebinding',
    severity: 'medium',
    category: 'cors',
    why: "In a DNS-rebinding attack a web page you open switches its own domain name to 127.0.0.1, and your browser then treats Ollama's API as part of that page: it can list your models, run prompts on your GPU, and pull or delete models. Ollama refuses requests for foreign host names only when it listens on loopback (since 0.1.29, CVE-2024-28224); on 0.0.0.0 or behind a proxy that rewrites the Host header, nothing refuses them, and a firewall does not help because the request comes from this computer.",
    references: [
      'https://nvd.nist.gov/vuln/detail/CVE-2024-28224',
      'https://github.com/ollama/ollama/security',
      'https://en.wikipedia.org/wiki/DNS_rebinding',
    ],
    fixes: ['rebind-systemd', 'upgrade-ollama'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance): RuleFinding[] => {
      const direct = instance.fingerprints.filter((f) => f.foreignHostRefused === false);
      const proxied = instance.proxyPaths.filter(
        (p) => p.foreignHostRefused === false && p.authRequired !== true,
      );
      if (direct.length === 0 && proxied.length === 0) return [];
      const at = [
        ...direct.map((f) => hostPort(plain(f.address, 60), f.port)),
        ...proxied.map((p) => `${p.software} on port ${p.port}`),
      ];
      const nonLoopback = instance.listeners.filter(
        (l) => l.path === 'direct' && l.reachableVia.length > 0,
      );
      const models = modelNames(instance);
      return [
        {
          instance: instance.id,
          summary: `${instanceLabel(instance)} answered a request for a foreign host name at ${listed(at)}${nonLoopback.length > 0 ? `: it listens on ${listed(nonLoopback.map(listenerWords))}, where Ollama does not check the Host header` : ''}. Any web page you open can reach it through your browser by DNS rebinding.`,
          attackerCan: [
            `From a web page you visit: ${models.length > 0 ? `list your ${plural(models.length, 'model')} (${listed(models)})` : 'list your models'}, run prompts on your GPU and read the answers, and pull or delete models, through your browser, whatever the firewall says.`,
          ],
          evidence: [
            ...direct.map(
              (f) =>
                `GET /api/version with Host: paddock-rebind-check.invalid at ${hostPort(plain(f.address, 60), f.port)} was answered instead of refused with 403.`,
            ),
            ...proxied.map(
              (p) =>
                `Through ${p.software} on port ${p.port}, a request naming a foreign Host was answered.`,
            ),
          ],
        },
      ];
    }),
);
