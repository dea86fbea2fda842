/**
 * OLLAMA_ORIGINS that lets any web site (or any browser extension) call the API from the
 * user's own browser: `*`, or a wildcard with no site in it (`https://*`, `http://*`,
 * `chrome-extension://*`, `moz-extension://*`). The browser runs on this computer, so this
 * reaches even a loopback-only Ollama. The fingerprint's answer to a foreign Origin
 * (foreignOriginAllowed) is the same fact seen from the wire.
 */
import type { Severity } from '../../../shared/findings';
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { broadOrigins } from './support/origins';
import type { BroadOrigin } from './support/origins';
import { describeSetting, liveSettings, settingsGroups } from './support/settings';
import { hostPort, instanceLabel, listed, modelNames, plain, plural } from './support/words';

export default defineRule(
  {
    id: 'origins-too-broad',
    title: 'Any web page can use Ollama through your browser',
    severity: 'high',
    category: 'cors',
    why: 'OLLAMA_ORIGINS decides which web pages may call Ollama from your browser. With "*" or a wildcard such as "https://*", every page you open (an ad, a compromised site, a link in an email) can list your models, run prompts on your GPU, read the answers, and pull or delete models, even though Ollama only listens on this computer. "chrome-extension://*" or "moz-extension://*" hands the same to every browser extension you install.',
    references: [
      'https://docs.ollama.com/faq',
      'https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS',
      'https://github.com/gin-contrib/cors',
    ],
    fixes: ['tighten-origins'],
  },
  (snapshot) =>
    settingsGroups(snapshot).flatMap(({ instance, settings }): RuleFinding[] => {
      const hits = liveSettings(settings, 'OLLAMA_ORIGINS')
        .map((setting) => ({ setting, broad: broadOrigins(setting.value) }))
        .filter((h) => h.broad.length > 0);
      const seen = (instance?.fingerprints ?? []).filter((f) => f.foreignOriginAllowed === true);
      const seenProxy = (instance?.proxyPaths ?? []).filter((p) => p.foreignOriginAllowed === true);
      if (hits.length === 0 && seen.length === 0 && seenProxy.length === 0) return [];
      const broad: BroadOrigin[] = hits.flatMap((h) => h.broad);
      const anySiteNow =
        seen.length > 0 ||
        seenProxy.length > 0 ||
        hits.some(
          (h) => h.setting.state === 'effective' && h.broad.some((b) => b.reach === 'any-site'),
        );
      const latentOnly = hits.length > 0 && hits.every((h) => h.setting.state === 'latent');
      const severity: Severity = anySiteNow ? 'high' : 'medium';
      const who =
        anySiteNow || broad.some((b) => b.reach === 'any-site')
          ? 'any web page you open'
          : 'any browser extension you install';
      const models = instance ? modelNames(instance) : [];
      const label = instance ? instanceLabel(instance) : 'Ollama';
      const setting = hits[0]?.setting;
      return [
        {
          instance: instance?.id ?? null,
          severity,
          summary: setting
            ? `OLLAMA_ORIGINS=${plain(setting.value, 120)} ${latentOnly ? 'is saved for the next start of' : 'is set on'} ${label}: ${who} can call its API through your browser${instance?.exposure === 'private' ? ', even though it listens on this computer only' : ''}.`
            : `${label} answered a request from a foreign web origin: ${who} can call its API through your browser.`,
          attackerCan: [
            `From ${who}: ${models.length > 0 ? `list your ${plural(models.length, 'model')} (${listed(models)})` : 'list your models'}, run prompts on your GPU and read the answers, and pull or delete models, through your browser while you are on their page.`,
          ],
          evidence: [
            ...hits.map(
              (h) =>
                `${describeSetting(h.setting)}: ${listed(
                  h.broad.map((b) => b.words),
                  4,
                )}.`,
            ),
            ...seen.map(
              (f) =>
                `${hostPort(plain(f.address, 60), f.port)} accepted a request with a foreign Origin (Paddock's https://paddock-origin-check.invalid).`,
            ),
            ...seenProxy.map(
              (p) =>
                `Through ${p.software} on port ${p.port}, a request with a foreign Origin was accepted.`,
            ),
          ],
        },
      ];
    }),
);
