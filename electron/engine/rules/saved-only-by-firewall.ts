/**
 * A listener that accepts connections beyond loopback (every interface, or one LAN or public
 * address) where the host firewall blocks every such path: private today, exposed by one
 * firewall change (ufw disabled, a ruleset flushed, a reboot that does not restore it).
 * Docker-published ports never meet the input rules, so they are not "saved" by them.
 */
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import {
  SCOPE_PEOPLE,
  addressesOn,
  firewallWords,
  isWildcardListener,
  listenerWords,
  pathWords,
} from './support/reach';
import { instanceLabel, listed, modelNames, plural } from './support/words';

export default defineRule(
  {
    id: 'saved-only-by-firewall',
    title: 'Only the firewall keeps Ollama private',
    severity: 'medium',
    category: 'firewall',
    why: 'Ollama listens beyond loopback and the host firewall is the only thing keeping other machines out. Firewalls change: `ufw disable` while debugging, a ruleset flushed by another tool, a reboot that does not restore the rules. The moment that happens, anyone on the network can list your models, run prompts on your GPU, and pull or delete models, with no password. Binding Ollama to 127.0.0.1 removes the dependency.',
    references: ['https://docs.ollama.com/faq', 'https://nvd.nist.gov/vuln/detail/CVE-2025-63389'],
    fixes: ['rebind-systemd'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance): RuleFinding[] => {
      const saved = instance.listeners.filter(
        (l) =>
          l.path !== 'docker' &&
          l.reachableVia.length > 0 &&
          l.reachableVia.every((p) => !p.open && p.firewall?.decision === 'blocked'),
      );
      if (saved.length === 0) return [];
      const paths = saved.flatMap((l) => l.reachableVia);
      const scopes = [...new Set(paths.map((p) => SCOPE_PEOPLE[p.scope]))];
      const where = saved.map(
        (l) => `${listenerWords(l)}${isWildcardListener(l) ? ', every interface' : ''}`,
      );
      const models = modelNames(instance);
      return [
        {
          instance: instance.id,
          summary: `${instanceLabel(instance)} listens beyond loopback (${listed(where)}), and only the host firewall keeps other machines out: it blocks all ${plural(paths.length, 'path')} (${addressesOn(paths)}). One firewall change exposes it.`,
          attackerCan: [
            'Nothing from another machine while the firewall rule stays in place.',
            `Once it lapses, anyone on ${listed(scopes)} could ${models.length > 0 ? `list your ${plural(models.length, 'model')} (${listed(models)})` : 'list your models'}, run prompts on your GPU, and pull or delete models, with no password.`,
          ],
          evidence: [
            ...saved.map((l) => `Listener ${listenerWords(l)}: ${l.reasons[0] ?? ''}`),
            ...paths.map((p) => `${pathWords(p)}: ${firewallWords(p)}.`),
          ],
        },
      ];
    }),
);
