/**
 * Issue 14: a server that other machines reach only from the sources firewall rules name (the
 * user's chosen sharing: "only these machines"). Not an exposure: the finding is information,
 * says who those sources are and that every other machine is refused, and keeps the evidence
 * (the rule that lets each in). A source that is a whole subnet is said as one, with its size.
 */
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import { defineRule } from './rule';
import { listenerWords } from './support/reach';
import { instanceLabel, listed } from './support/words';

function sourceWords(item: string): string {
  const prefix = /\/(\d+)$/.exec(item);
  if (!prefix) return item;
  const bits = Number(prefix[1]);
  const hostBits = (item.includes(':') ? 128 : 32) - bits;
  if (hostBits <= 0) return item;
  return hostBits > 16 ? `${item} (a network)` : `${item} (up to ${2 ** hostBits} addresses)`;
}

export default defineRule(
  {
    id: 'shared-with-chosen',
    title: 'A server is shared with chosen machines only, or behind a password',
    severity: 'info',
    category: 'exposure',
    why: 'A firewall rule lets only the machines you chose reach the server and refuses every other. That is sharing, not an exposure, as long as those machines are yours: whoever uses one of those addresses (or a device that takes one over) can use the server as you can.',
    references: ['https://docs.ollama.com/faq'],
    fixes: ['block-port', 'share-proxy-rotate'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance) => {
      const name =
        instance.kind === 'ollama' ? instanceLabel(instance) : SERVER_KIND_NAMES[instance.kind];
      const behind = instance.sharedBehind;
      if (behind && behind.length > 0) {
        const where = behind.map(
          (b) =>
            `${b.tls ? 'https' : 'http'}://${b.address.includes(':') ? `[${b.address}]` : b.address}:${b.port}`,
        );
        const what = behind.every((b) => /^bearer$/i.test(b.scheme ?? ''))
          ? 'a token'
          : behind.every((b) => /^basic$/i.test(b.scheme ?? ''))
            ? 'a password'
            : 'a password or token';
        return [
          {
            instance: instance.id,
            title: `${name} is shared behind ${what}`,
            summary: `${name} listens on this computer only; ${listed([...new Set(behind.map((b) => b.software))], 2)} in front of it, at ${listed(where, 3)}, refuses every request without ${what}.`,
            attackerCan: [
              `With ${what}: use ${name} through ${listed(where, 3)} as the proxy allows. Without it: nothing; every request is refused before it reaches ${name}.${behind.some((b) => !b.tls) ? ' Over plain HTTP, the credentials cross the network readable: keep it to a VPN.' : ''}`,
            ],
            evidence: instance.reasons.slice(-1),
          },
        ];
      }
      const over = instance.sharedOver;
      if (over && over.length > 0)
        return [
          {
            instance: instance.id,
            title: `${name} is shared over the VPN only`,
            summary: `${name} listens on the address of ${listed(over, 3)} only: machines on that VPN reach it; the local network and the internet are not routed to it.`,
            attackerCan: [
              `Only from the VPN (${listed(over, 3)}): every device on it can use ${name} as you can (list models, run prompts on your GPU). Devices you share the VPN with count too.`,
            ],
            evidence: instance.reasons.slice(-2),
          },
        ];
      const shared = instance.sharedWith;
      if (!shared || shared.length === 0) return [];
      const paths = instance.listeners.flatMap((l) =>
        l.reachableVia
          .filter((v) => v.open && v.onlyFrom)
          .map(
            (v) =>
              `Listener ${listenerWords(l)} via ${v.interface} ${v.address}: open only to ${v.onlyFrom!.join(', ')}.`,
          ),
      );
      return [
        {
          instance: instance.id,
          title: `${name} is shared with ${shared.length === 1 && !shared[0]!.includes('/') && !shared[0]!.includes('-') ? '1 machine' : `${shared.length === 1 ? '1 source' : `${shared.length} sources`}`} only`,
          summary: `${name} answers only ${listed(shared.map(sourceWords), 4)}; the firewall refuses every other machine.`,
          attackerCan: [
            `Only from ${listed(shared, 4)}: use ${name} as you can (list models, run prompts on your GPU). Every other machine is refused.`,
          ],
          evidence: [...paths, ...instance.reasons.slice(-1)],
        },
      ];
    }),
);
