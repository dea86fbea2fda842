/**
 * The running Ollama's version is affected by a published advisory (advisories/match.ts).
 * Critical when the server is exposed (LAN or internet), high when only this computer
 * reaches it. A missing fixed version is said as such, never guessed.
 */
import type { Advisory } from '../advisories/match';
import { advisoriesAffecting } from '../advisories/match';
import { isExposed } from '../exposure';
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { instanceLabel, listed, plain, plural } from './support/words';

function advisoryLine(advisory: Advisory): string {
  const fixed =
    advisory.fixed !== null ? `fixed in ${plain(advisory.fixed, 40)}` : 'no fixed version known';
  const sources =
    advisory.sources.length > 0
      ? ` Sources: ${advisory.sources.map((s) => plain(s, 200)).join(', ')}.`
      : '';
  return `${plain(advisory.id, 60)}: ${plain(advisory.summary, 200)} (affected: ${plain(advisory.affected, 60)}; ${fixed}).${sources}`;
}

export default defineRule(
  {
    id: 'known-advisory',
    title: 'This Ollama version has known vulnerabilities',
    severity: 'high',
    category: 'vulnerability',
    why: 'Published Ollama advisories include remote code execution through /api/pull (Probllama, CVE-2024-37032), file disclosure through /api/push, memory leaks through crafted models (CVE-2026-7482), DNS rebinding (CVE-2024-28224) and crashes from a single request. Anyone who can reach an affected server, or a web page that reaches it through your browser, can use them; exploits for the older ones are public.',
    references: [
      'https://github.com/ollama/ollama/security',
      'https://osv.dev/list?q=ollama',
      'https://pkg.go.dev/vuln/list',
      'https://github.com/ollama/ollama/releases',
    ],
    fixes: ['upgrade-ollama'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance): RuleFinding[] => {
      if (instance.version === null) return [];
      const advisories = advisoriesAffecting(instance.version, snapshot.host.platform);
      if (advisories.length === 0) return [];
      const exposed = isExposed(instance.exposure);
      const ids = advisories.map((a) => plain(a.id, 60));
      const withoutFix = advisories.filter((a) => a.fixed === null).length;
      return [
        {
          instance: instance.id,
          severity: exposed ? 'critical' : 'high',
          summary: `${instanceLabel(instance)} is affected by ${plural(advisories.length, 'published advisory', 'published advisories')} (${listed(ids, 4)})${withoutFix > 0 ? `; ${withoutFix} of them ${withoutFix === 1 ? 'has' : 'have'} no fixed version known` : ''}${exposed ? ', and other machines can reach it' : ''}.`,
          attackerCan: exposed
            ? [`Try ${listed(ids, 4)} against it from the network, with no password.`]
            : [
                `Only programs on this computer reach it now; ${listed(ids, 4)} become usable from the network the moment it is exposed, and from a web page if its origins or Host check let one in.`,
              ],
          evidence: [
            `Version ${plain(instance.version, 40)}, read from ${instance.versionSource === 'api' ? 'GET /api/version' : instance.versionSource === 'cli' ? '`ollama --version`' : 'an unknown source'}.`,
            ...advisories.map(advisoryLine),
          ],
        },
      ];
    }),
);
