/**
 * A firewall rule that blocks Ollama's port over IPv4 only: some IPv4 path of a listener is
 * blocked while an IPv6 path of the same listener is open (an `ip` table in nftables,
 * iptables without ip6tables, ufw with IPV6=no). Dual-stack listeners are the default:
 * OLLAMA_HOST=0.0.0.0 opens one socket for IPv4 and IPv6.
 */
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { addressesOn, firewallWords, listenerWords, pathWords, reachableAt } from './support/reach';
import { attackerCanOnOllama, instanceLabel, listed } from './support/words';

const isV6 = (address: string): boolean => address.includes(':');

export default defineRule(
  {
    id: 'ipv6-path-open',
    title: 'The firewall blocks Ollama over IPv4 but not IPv6',
    severity: 'high',
    category: 'firewall',
    why: 'A rule written for IPv4 only leaves the same port open over IPv6, and OLLAMA_HOST=0.0.0.0 listens on both. Every network interface has an IPv6 link-local address even where nobody set up IPv6, so neighbours can still connect, list your models, run prompts on your GPU, and pull or delete models.',
    references: [
      'https://wiki.nftables.org/wiki-nftables/index.php/Nftables_families',
      'https://docs.ollama.com/faq',
    ],
    fixes: ['block-port', 'enable-firewall', 'rebind-systemd'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance): RuleFinding[] => {
      const leaks = instance.listeners
        .map((listener) => ({
          listener,
          blocked4: listener.reachableVia.filter(
            (p) => !isV6(p.address) && !p.open && p.firewall?.decision === 'blocked',
          ),
          open6: listener.reachableVia.filter((p) => isV6(p.address) && p.open),
        }))
        .filter((l) => l.blocked4.length > 0 && l.open6.length > 0);
      if (leaks.length === 0) return [];
      const open = reachableAt(leaks.map((l) => ({ listener: l.listener, paths: l.open6 })));
      const blocked = leaks.flatMap((l) => l.blocked4);
      const publicOpen = leaks.some((l) => l.open6.some((p) => p.scope === 'public'));
      return [
        {
          instance: instance.id,
          ...(publicOpen ? { severity: 'critical' as const } : {}),
          summary: `The host firewall blocks ${instanceLabel(instance)} over IPv4 (at ${addressesOn(blocked)}) but not over IPv6: it still answers at ${listed(open)}.`,
          attackerCan: attackerCanOnOllama(snapshot, instance),
          evidence: [
            ...leaks.map(
              (l) => `Listener ${listenerWords(l.listener)}: ${l.listener.reasons[0] ?? ''}`,
            ),
            ...blocked.map((p) => `${pathWords(p)}: ${firewallWords(p)}.`),
            ...leaks.flatMap((l) => l.open6).map((p) => `${pathWords(p)}: ${firewallWords(p)}.`),
          ],
        },
      ];
    }),
);
