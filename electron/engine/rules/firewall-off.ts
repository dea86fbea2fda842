/**
 * No host firewall filters incoming connections (nftables and iptables hold no input chain
 * that drops, ufw is inactive, firewalld is not running) while Ollama listens beyond loopback
 * on a path that is open. Host-wide: the firewall belongs to the machine.
 */
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { firewallState, judgedListenersBeyondLoopback, openPathLines } from './support/firewall';
import { openPaths } from './support/reach';
import { listed } from './support/words';

export default defineRule(
  {
    id: 'firewall-off',
    title: 'No firewall filters incoming connections',
    severity: 'medium',
    category: 'firewall',
    why: 'With no host firewall, whatever listens beyond loopback is open to every network this computer joins: Ollama (anyone can list your models, run prompts on your GPU, pull and delete models) and anything else that listens now or later. A firewall with a default-deny policy is the safety net when a setting such as OLLAMA_HOST=0.0.0.0 slips through.',
    references: [
      'https://help.ubuntu.com/community/UFW',
      'https://firewalld.org/documentation/',
      'https://wiki.nftables.org/wiki-nftables/index.php/Simple_ruleset_for_a_workstation',
    ],
    fixes: ['enable-firewall', 'block-port'],
  },
  (snapshot): RuleFinding[] => {
    const facts = snapshot.probes.firewall.data;
    if (!facts) return [];
    const state = firewallState(facts);
    if (!state.complete || state.active) return [];
    const exposed = judgedListenersBeyondLoopback(snapshot).filter(
      ({ listener }) => openPaths(listener).length > 0,
    );
    if (exposed.length === 0) return [];
    const open = openPathLines(exposed);
    return [
      {
        instance: null,
        summary: `No host firewall filters incoming connections, and Ollama listens beyond loopback: ${listed(open, 2)}`,
        attackerCan: [
          'Connect from any network this computer is on to Ollama and to anything else that listens beyond loopback, now or later.',
        ],
        evidence: [...state.lines, ...open],
      },
    ];
  },
);
