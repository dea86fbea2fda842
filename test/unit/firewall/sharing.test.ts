/**
 * Issue 14, sharing read from the firewall, and each way the attacker's review of it found to
 * make Paddock say "shared" (or "only these") while other machines still get in: every one is
 * a case here, judged by the real evaluator through assessListener and the instance builder.
 */
import { describe, expect, it } from 'vitest';
import type {
  FirewallFacts,
  FirewallRule,
  FirewallTable,
  RuleCondition,
} from '../../../shared/firewall';
import type { NetInterface, Socket } from '../../../shared/snapshot';
import { assessListener } from '../../../electron/engine/exposure';
import { withSharing } from '../../../electron/engine/instances';
import {
  normalizeSources,
  parseShareFile,
  nftShareRules,
  shareFile,
} from '../../../electron/engine/fixes/recipes/share-allowlist';
import { vpnAddresses } from '../../../electron/engine/fixes/recipes/share-vpn';
import { buildSnapshot, wildcardOllama } from '../../rules/snapshots';

const ETH0: NetInterface = {
  name: 'eth0',
  addresses: [{ address: '192.168.1.20', family: 4, prefixLength: 24, scope: 'private' }],
};
const LO: NetInterface = {
  name: 'lo',
  addresses: [{ address: '127.0.0.1', family: 4, prefixLength: 8, scope: 'loopback' }],
};
const socket: Socket = {
  state: 'listen',
  family: 4,
  localAddress: '0.0.0.0',
  localPort: 11434,
  peerAddress: '0.0.0.0',
  peerPort: 0,
  dualStack: false,
  boundInterface: null,
  uid: 0,
  inode: 1,
  processes: [{ pid: 42, name: 'ollama' }],
  ownerVisibility: 'visible',
};
const saddr = (items: string[], negate = false): RuleCondition => ({
  kind: 'addr',
  negate,
  direction: 'saddr',
  family: 4,
  items,
});
const port: RuleCondition = {
  kind: 'port',
  negate: false,
  direction: 'dport',
  protocol: 'tcp',
  ranges: [[11434, 11434]],
};
const r = (conditions: RuleCondition[], verdict: 'accept' | 'drop'): FirewallRule => ({
  text: '(test)',
  conditions,
  verdict: { kind: verdict },
  vmap: null,
});
function facts(rules: FirewallRule[], policy: 'accept' | 'drop' = 'accept'): FirewallFacts {
  const table: FirewallTable = {
    family: 'inet',
    name: 'filter',
    chains: [
      { name: 'input', hook: 'input', priority: 0, policy, type: 'filter', device: null, rules },
    ],
  };
  const unavailable = { status: 'unavailable' as const, evidence: [], message: 'not installed' };
  return {
    nftables: {
      status: 'ok',
      evidence: [],
      ruleset: { version: '1.0.6', tables: [table], warnings: [] },
    },
    iptables: [],
    ufw: { ...unavailable, model: null },
    firewalld: { ...unavailable, model: null },
  };
}
const judge = (f: FirewallFacts) => {
  const l = assessListener(socket, [LO, ETH0], 'direct', { facts: f });
  const via = l.reachableVia[0]!;
  return { open: via.open, onlyFrom: via.onlyFrom ?? null };
};

describe('only these machines, read from the rules', () => {
  it('one accepted address, then a drop: open only to it', () => {
    expect(judge(facts([r([saddr(['192.168.1.50']), port], 'accept'), r([port], 'drop')]))).toEqual(
      {
        open: true,
        onlyFrom: ['192.168.1.50'],
      },
    );
  });

  it('review #4: the sampled neighbour is named and a range is dropped, but the rest of the LAN gets in: open to all', () => {
    const f = facts(
      [
        r([saddr(['192.168.1.1'])], 'accept'),
        r([saddr(['192.168.1.2-192.168.1.99'])], 'drop'),
        r([port], 'accept'),
      ],
      'drop',
    );
    expect(judge(f)).toEqual({ open: true, onlyFrom: null });
  });

  it('review #4: an accepted address and a dropped /28 with the port open to the rest: open to all', () => {
    const f = facts([
      r([saddr(['192.168.1.50']), port], 'accept'),
      r([saddr(['192.168.1.0/28'])], 'drop'),
      r([port], 'accept'),
    ]);
    expect(judge(f)).toEqual({ open: true, onlyFrom: null });
  });

  it('review #4: an accepted source routed in from elsewhere is listed too', () => {
    const f = facts([
      r([saddr(['192.168.1.50']), port], 'accept'),
      r([saddr(['10.0.0.0/8']), port], 'accept'),
      r([port], 'drop'),
    ]);
    expect(judge(f)).toEqual({ open: true, onlyFrom: ['192.168.1.50', '10.0.0.0/8'] });
  });

  it('the "only X" idiom, ip saddr != X tcp dport P drop, is sharing with X', () => {
    expect(judge(facts([r([saddr(['192.168.1.50'], true), port], 'drop')]))).toEqual({
      open: true,
      onlyFrom: ['192.168.1.50'],
    });
  });

  it('review #6: a source too broad to be chosen machines (0.0.0.0/1) is everyone: no "only"', () => {
    const f = facts([r([saddr(['0.0.0.0/1']), port], 'accept'), r([port], 'drop')]);
    expect(judge(f)).toEqual({ open: true, onlyFrom: null });
  });
});

describe('a shared server is never one a tunnel publishes, nor one on a public "VPN" address', () => {
  const sharedSnapshot = () => {
    const snap = buildSnapshot({ instances: [wildcardOllama()] });
    const i = snap.instances[0]!;
    for (const l of i.listeners)
      l.reachableVia = l.reachableVia.map((v) => ({ ...v, onlyFrom: ['192.168.1.50'] }));
    return snap;
  };
  it('review #1: with a tunnel client publishing it, not shared', () => {
    const snap = sharedSnapshot();
    const i = snap.instances[0]!;
    expect(withSharing(i).sharedWith).toEqual(['192.168.1.50']);
    const tunnelled = {
      ...i,
      exposure: 'internet' as const,
      tunnels: [
        {
          tool: 'ngrok',
          pid: 9,
          argv: ['ngrok', 'http', '11434'],
          remote: null,
          config: null,
          systemdUnit: null,
          targets: [{ host: '127.0.0.1', port: 11434, source: 'argv' as const }],
        },
      ],
    } as typeof i;
    expect(withSharing(tunnelled).sharedWith).toBeUndefined();
  });

  it('review #2/#3: tun0 with a public address, an ISP uplink in 100.64.0.0/10, docker0 in it: no VPN', () => {
    const iface = (
      name: string,
      address: string,
      scope: 'public' | 'cgnat' | 'private',
    ): NetInterface => ({
      name,
      addresses: [{ address, family: 4, prefixLength: 24, scope }],
    });
    expect(
      vpnAddresses([
        iface('tun0', '203.0.113.77', 'public'),
        iface('eth1', '100.72.14.9', 'cgnat'),
        iface('docker0', '100.80.0.1', 'cgnat'),
        iface('wg0', '203.0.113.5', 'public'),
      ]),
    ).toEqual([]);
    expect(vpnAddresses([iface('tailscale0', '100.101.1.2', 'cgnat')])).toEqual([
      { interface: 'tailscale0', address: '100.101.1.2' },
    ]);
  });
});

describe('review #7: the share table never holds overlapping or repeated sources', () => {
  it('drops what a chosen prefix covers and repeats, and orders them', () => {
    expect(
      normalizeSources(['192.168.1.50', 'fd00::1', '192.168.1.0/24', '192.168.1.50', '10.0.0.1']),
    ).toEqual(['10.0.0.1', '192.168.1.0/24', 'fd00::1']);
  });
  it('root refuses a file with overlapping or repeated elements', () => {
    const file = shareFile(11434);
    const ok = nftShareRules(11434, ['192.168.1.0/24']);
    expect(parseShareFile(file, ok)).not.toBeNull();
    expect(
      parseShareFile(file, nftShareRules(11434, ['192.168.1.50', '192.168.1.0/24'])),
    ).toBeNull();
    expect(parseShareFile(file, nftShareRules(11434, ['192.168.1.50', '192.168.1.50']))).toBeNull();
  });
});
