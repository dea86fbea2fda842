/**
 * Issue 12, class 2: destination NAT into the server (firewall/nat.ts), pure, and the NAT
 * targets the parsers read from nft's JSON and iptables-save (outputs recorded on this
 * development machine with nftables 1.0.6 and iptables 1.8.9, Debian 12).
 */
import { describe, expect, it } from 'vitest';
import { natPathsTo, natTakesAway } from '../../../electron/engine/firewall/nat';
import { natTargetOf } from '../../../electron/engine/probes/linux/firewall/iptables';
import { parseNftJson } from '../../../electron/engine/probes/linux/firewall/nft';
import type { FirewallFacts, FirewallTable } from '../../../shared/firewall';
import type { NetInterface, Socket } from '../../../shared/snapshot';

// `nft -j list ruleset`'s rule expressions, recorded (see the file header).
const RECORDED_RULES = [
  '[{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth0"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8000}}, {"dnat": {"family": "ip", "addr": "127.0.0.1", "port": 11434}}]',
  '[{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8001}}, {"redirect": {"port": 11434}}]',
  '[{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8002}}, {"dnat": {"addr": "10.0.0.9", "port": 11434}}]',
];

function natTable(rules: string[], family = 'inet'): FirewallTable {
  const doc = {
    nftables: [
      { table: { family, name: 'nt', handle: 1 } },
      {
        chain: {
          family,
          table: 'nt',
          name: 'pre',
          handle: 1,
          type: 'nat',
          hook: 'prerouting',
          prio: -100,
          policy: 'accept',
        },
      },
      ...rules.map((expr, i) => ({
        rule: {
          family,
          table: 'nt',
          chain: 'pre',
          handle: i + 2,
          expr: JSON.parse(expr) as unknown,
        },
      })),
    ],
  };
  const parsed = parseNftJson(JSON.stringify(doc));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.ruleset.tables[0]!;
}

const unavailable = { status: 'unavailable' as const, evidence: [], message: 'not installed' };
function facts(tables: FirewallTable[]): FirewallFacts {
  return {
    nftables: { status: 'ok', evidence: [], ruleset: { version: '1.0.6', tables, warnings: [] } },
    iptables: [],
    ufw: { ...unavailable, model: null },
    firewalld: { ...unavailable, model: null },
  };
}
const interfaces = (routeLocalnet: boolean | null): NetInterface[] => [
  {
    name: 'lo',
    addresses: [{ address: '127.0.0.1', family: 4, prefixLength: 8, scope: 'loopback' }],
  },
  {
    name: 'eth0',
    addresses: [{ address: '10.0.0.5', family: 4, prefixLength: 24, scope: 'private' }],
    routeLocalnet,
  },
];
const socket = (localAddress: string): Socket => ({
  state: 'listen',
  family: 4,
  localAddress,
  localPort: 11434,
  peerAddress: '0.0.0.0',
  peerPort: 0,
  dualStack: false,
  boundInterface: null,
  uid: 0,
  inode: 1,
  processes: [],
  ownerVisibility: 'none',
});

describe('NAT targets as the parsers read them', () => {
  it('nft: dnat and redirect, with the rule’s own matches kept', () => {
    const table = natTable(RECORDED_RULES);
    expect(table.chains[0]!.rules.map((r) => r.nat)).toEqual([
      { kind: 'dnat', address: '127.0.0.1', port: 11434 },
      { kind: 'redirect', address: null, port: 11434 },
      { kind: 'dnat', address: '10.0.0.9', port: 11434 },
    ]);
    expect(table.chains[0]!.rules[0]!.verdict?.kind).toBe('unknown');
  });

  it('iptables-save: -j DNAT --to-destination and -j REDIRECT --to-ports (recorded lines)', () => {
    const words = (line: string) => line.split(' ');
    expect(
      natTargetOf(
        words('-A PREROUTING -p tcp -m tcp --dport 8000 -j DNAT --to-destination 127.0.0.1:11434'),
      ),
    ).toEqual({ kind: 'dnat', address: '127.0.0.1', port: 11434 });
    expect(
      natTargetOf(
        words('-A PREROUTING -i eth0 -p tcp -m tcp --dport 8001 -j REDIRECT --to-ports 11434'),
      ),
    ).toEqual({ kind: 'redirect', address: null, port: 11434 });
    expect(natTargetOf(words('-A PREROUTING -j DNAT --to-destination [::1]:11434'))).toEqual({
      kind: 'dnat',
      address: '::1',
      port: 11434,
    });
    expect(natTargetOf(words('-A PREROUTING -j DNAT --to-destination 10.0.0.9-10.0.0.12'))).toEqual(
      {
        kind: 'dnat',
        address: '10.0.0.9',
        port: null,
      },
    );
    expect(natTargetOf(words('-A INPUT -p tcp --dport 22 -j ACCEPT'))).toBeNull();
  });
});

describe('natPathsTo', () => {
  const table = natTable(RECORDED_RULES);

  it('a loopback server is reached through DNAT only when route_localnet is on (or unread)', () => {
    expect(
      natPathsTo(socket('127.0.0.1'), interfaces(true), facts([table])).map((p) => [
        p.interface,
        p.port,
        p.to,
      ]),
    ).toEqual([['eth0', 8000, { address: '127.0.0.1', port: 11434 }]]);
    expect(natPathsTo(socket('127.0.0.1'), interfaces(false), facts([table]))).toEqual([]);
    expect(natPathsTo(socket('127.0.0.1'), interfaces(null), facts([table]))).toHaveLength(1);
  });

  it('a wildcard server is reached through redirect and through DNAT to an address it takes', () => {
    // 127.0.0.1 needs route_localnet; 10.0.0.9 is not this host's (forwarded away).
    const paths = natPathsTo(socket('0.0.0.0'), interfaces(false), facts([table]));
    expect(paths.map((p) => [p.port, p.to.address])).toEqual([[8001, '10.0.0.5']]);
    expect(
      natPathsTo(socket('0.0.0.0'), interfaces(true), facts([table])).map((p) => p.port),
    ).toEqual([8000, 8001]);
    const own = natTable([RECORDED_RULES[2]!.replace('10.0.0.9', '10.0.0.5')]);
    expect(
      natPathsTo(socket('0.0.0.0'), interfaces(false), facts([own])).map((p) => p.port),
    ).toEqual([8002]);
  });

  it('a rule whose match cannot hold (another device) or a dormant table gives no path', () => {
    const otherDevice = natTable([RECORDED_RULES[0]!.replace('"eth0"', '"wg0"')]);
    expect(natPathsTo(socket('127.0.0.1'), interfaces(true), facts([otherDevice]))).toEqual([]);
    expect(
      natPathsTo(socket('127.0.0.1'), interfaces(true), facts([{ ...table, dormant: true }])),
    ).toEqual([]);
  });

  it('the input rules judge the translated connection: a drop of 11434 closes the NAT path', () => {
    const input: FirewallTable = {
      family: 'inet',
      name: 'f',
      chains: [
        {
          name: 'input',
          hook: 'input',
          priority: 0,
          policy: 'accept',
          type: 'filter',
          device: null,
          rules: [
            {
              text: 'tcp dport 11434 drop',
              conditions: [
                {
                  kind: 'port',
                  negate: false,
                  direction: 'dport',
                  protocol: 'tcp',
                  ranges: [[11434, 11434]],
                },
              ],
              verdict: { kind: 'drop' },
              vmap: null,
            },
          ],
        },
      ],
    };
    const [path] = natPathsTo(socket('127.0.0.1'), interfaces(true), facts([table, input]));
    expect(path).toMatchObject({ port: 8000, open: false });
    expect(path!.firewall.decision).toBe('blocked');
  });
});

describe('NAT rules behind jumps (firewalld zones, Docker’s DOCKER chain)', () => {
  const iif = (name: string) => ({
    kind: 'iface' as const,
    direction: 'in' as const,
    negate: false,
    names: [name],
  });
  const chain = (name: string, rules: FirewallTable['chains'][number]['rules'], base = false) => ({
    name,
    hook: base ? 'prerouting' : null,
    priority: base ? -100 : null,
    policy: base ? ('accept' as const) : null,
    type: base ? 'nat' : null,
    device: null,
    rules,
  });
  const dnat = {
    text: 'tcp dport 8000 dnat ip to 172.30.0.2:11434',
    nat: { kind: 'dnat' as const, address: '10.0.0.5', port: 11434 },
    conditions: [
      {
        kind: 'port' as const,
        negate: false,
        direction: 'dport' as const,
        protocol: 'tcp',
        ranges: [[8000, 8000]] as Array<[number, number]>,
      },
    ],
    verdict: { kind: 'unknown' as const, text: 'dnat' },
    vmap: null,
  };
  const nested = (device: string): FirewallTable => ({
    family: 'inet',
    name: 'firewalld',
    chains: [
      chain(
        'nat_PREROUTING',
        [
          {
            text: 'jump zones',
            conditions: [],
            verdict: { kind: 'jump', target: 'zones' },
            vmap: null,
          },
        ],
        true,
      ),
      chain('zones', [
        {
          text: `iifname "${device}" goto nat_PRE_public`,
          conditions: [iif(device)],
          verdict: { kind: 'goto', target: 'nat_PRE_public' },
          vmap: null,
        },
      ]),
      chain('nat_PRE_public', [
        {
          text: 'jump nat_PRE_public_allow',
          conditions: [],
          verdict: { kind: 'jump', target: 'nat_PRE_public_allow' },
          vmap: null,
        },
        // A loop back to the top: the walk must stop.
        {
          text: 'jump zones',
          conditions: [],
          verdict: { kind: 'jump', target: 'zones' },
          vmap: null,
        },
      ]),
      chain('nat_PRE_public_allow', [dnat]),
    ],
  });

  it('a DNAT three jumps down counts, with the conditions of the jumps that lead to it', () => {
    const paths = natPathsTo(socket('0.0.0.0'), interfaces(false), facts([nested('eth0')]));
    expect(paths.map((p) => [p.interface, p.port, p.to])).toEqual([
      ['eth0', 8000, { address: '10.0.0.5', port: 11434 }],
    ]);
    // The zone is bound to another device: the goto never happens for eth0.
    expect(natPathsTo(socket('0.0.0.0'), interfaces(false), facts([nested('wg0')]))).toEqual([]);
  });

  it('a verdict map entry leads there too', () => {
    const table = nested('eth0');
    table.chains[1]!.rules = [
      {
        text: 'iifname vmap { "eth0" : goto nat_PRE_public }',
        conditions: [],
        verdict: null,
        vmap: [{ match: iif('eth0'), verdict: { kind: 'goto', target: 'nat_PRE_public' } }],
      },
    ];
    expect(natPathsTo(socket('0.0.0.0'), interfaces(false), facts([table]))).toHaveLength(1);
  });
});

describe('natTakesAway: a port a NAT rule surely sends elsewhere never reaches the host socket', () => {
  const toContainer = natTable([
    '[{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 11434}}, {"dnat": {"family": "ip", "addr": "172.17.0.2", "port": 11434}}]',
  ]);
  const onDevice = natTable([
    '[{"match": {"op": "==", "left": {"meta": {"key": "mark"}}, "right": 1}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 11434}}, {"dnat": {"family": "ip", "addr": "172.17.0.2", "port": 11434}}]',
  ]);

  it('a sure DNAT of the socket’s own port to another address takes that entry point away', () => {
    const away = natTakesAway(socket('0.0.0.0'), interfaces(false), facts([toContainer]));
    expect([...away.keys()]).toEqual(['eth0|10.0.0.5']);
    expect(away.get('eth0|10.0.0.5')!.to).toEqual({ address: '172.17.0.2', port: 11434 });
  });

  it('a rule that may or may not match (a mark) takes nothing away: the cautious reading', () => {
    expect(natTakesAway(socket('0.0.0.0'), interfaces(false), facts([onDevice])).size).toBe(0);
  });

  it('a redirect to the socket itself takes nothing away', () => {
    const self = natTable([RECORDED_RULES[1]!.replace('8001', '11434')]);
    expect(natTakesAway(socket('0.0.0.0'), interfaces(false), facts([self])).size).toBe(0);
  });
});
