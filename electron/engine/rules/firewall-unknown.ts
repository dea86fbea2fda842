/**
 * Part of the host firewall could not be read (its rules need root, or a tool failed) while
 * Ollama listens beyond loopback: the exposure verdict then counts those paths as open, the
 * cautious reading. `paddock scan --elevated` reads the firewall with admin rights.
 */
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { firewallState, judgedListenersBeyondLoopback } from './support/firewall';
import { listenerWords, pathWords } from './support/reach';
import { listed, plain } from './support/words';

const UNREADABLE = new Set(['denied', 'error']);

export default defineRule(
  {
    id: 'firewall-unknown',
    title: 'The firewall could not be read, so Ollama is assumed reachable',
    severity: 'low',
    category: 'firewall',
    why: 'Without the firewall rules Paddock cannot tell whether other machines are kept out, so it counts every path as open. The verdict may be worse than the truth, or exactly right: run `paddock scan --elevated` to read the rules with admin rights and know which.',
    references: ['https://docs.ollama.com/faq'],
    fixes: [],
  },
  (snapshot): RuleFinding[] => {
    const probe = snapshot.probes.firewall;
    const beyond = judgedListenersBeyondLoopback(snapshot);
    if (beyond.length === 0) return [];
    const unreadable: string[] = [];
    if (probe.data) unreadable.push(...firewallState(probe.data).unreadable);
    else if (UNREADABLE.has(probe.status))
      unreadable.push(
        `firewall probe: ${probe.status}${probe.message ? ` (${probe.message})` : ''}`,
      );
    if (unreadable.length === 0) return [];
    const unknownPaths = beyond.flatMap(({ listener }) =>
      listener.reachableVia
        .filter((p) => p.open && p.firewall?.decision !== 'allowed')
        .map((p) => `${listenerWords(listener)} via ${pathWords(p)}`),
    );
    return [
      {
        instance: null,
        summary: `Paddock could not read all of the host firewall (${listed(
          unreadable.map((u) => plain(u, 200)),
          2,
        )}), so it counts Ollama's paths beyond loopback as open. Run paddock scan --elevated to read it with admin rights.`,
        attackerCan: [],
        evidence: [
          ...unreadable.map((u) => `${plain(u, 300)}.`),
          ...beyond.map(
            ({ listener }) => `Listener ${listenerWords(listener)}: ${listener.reasons.join(' ')}`,
          ),
          ...(unknownPaths.length > 0
            ? [`Counted as open without a firewall verdict: ${listed(unknownPaths, 4)}.`]
            : []),
        ],
      },
    ];
  },
);
