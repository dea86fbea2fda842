/**
 * The evaluator on hand-written facts: the kernel's chain semantics, the combination of base
 * chains and backends, the ufw and firewalld models, and the representative peers.
 * (test/unit/firewall/probe.test.ts runs it on facts from recorded outputs.)
 */
import { describe, expect, it } from 'vitest';
import {
  addressInItem,
  conditionMatches,
  evaluateFirewall,
  evaluateFirewalld,
  evaluateUfw,
  representativePeer,
} from '../../../electron/engine/firewall/evaluate';
import type {
  FirewallChain,
  FirewallFacts,
  FirewallQuery,
  FirewallRule,
  FirewallTable,
  FirewalldModel,
  FirewalldZone,
  RuleCondition,
  RuleVerdict,
  UfwModel,
  UfwRule,
} from '../../../shared/firewall';
import type { NetInterface } from '../../../shared/snapshot';
import { parseRichRule } from '../../../electron/engine/probes/linux/firewall/firewalld';

// ── builders ───────────────────────────────────────────────────────────────────────────────

const q = (over: Partial<FirewallQuery> = {}): FirewallQuery => ({
  port: 11434,
  family: 4,
  interface: 'eth0',
  source: 'lan',
  peerAddress: '192.168.1.20',
  localAddress: '192.168.1.10',
  ...over,
});
const q6 = (over: Partial<FirewallQuery> = {}) =>
  q({ family: 6, peerAddress: 'fd00::20', localAddress: 'fd00::10', ...over });

const dport = (...ports: number[]): RuleCondition => ({
  kind: 'port',
  negate: false,
  direction: 'dport',
  protocol: 'tcp',
  ranges: ports.map((p) => [p, p] as [number, number]),
});
const unknownCond: RuleCondition = { kind: 'unknown', text: 'meta mark 0x1' };
const accept: RuleVerdict = { kind: 'accept' };
const drop: RuleVerdict = { kind: 'drop' };
const jump = (target: string): RuleVerdict => ({ kind: 'jump', target });
const goto = (target: string): RuleVerdict => ({ kind: 'goto', target });

const rule = (
  text: string,
  conditions: RuleCondition[],
  verdict: RuleVerdict | null,
  vmap: FirewallRule['vmap'] = null,
): FirewallRule => ({ text, conditions, verdict, vmap });

const base = (
  name: string,
  rules: FirewallRule[],
  policy: 'accept' | 'drop' = 'accept',
  priority = 0,
): FirewallChain => ({
  name,
  hook: 'input',
  priority,
  policy,
  type: 'filter',
  device: null,
  rules,
});
const user = (name: string, rules: FirewallRule[]): FirewallChain => ({
  name,
  hook: null,
  priority: null,
  policy: null,
  type: null,
  device: null,
  rules,
});
const table = (family: string, name: string, chains: FirewallChain[]): FirewallTable => ({
  family,
  name,
  chains,
});

const unavailable = { status: 'unavailable' as const, evidence: [], message: 'not installed' };

function facts(tables: FirewallTable[], over: Partial<FirewallFacts> = {}): FirewallFacts {
  return {
    nftables: { status: 'ok', evidence: [], ruleset: { version: '1.0.6', tables, warnings: [] } },
    iptables: [],
    ufw: { ...unavailable, model: null },
    firewalld: { ...unavailable, model: null },
    ...over,
  };
}
const decide = (tables: FirewallTable[], query = q()) =>
  evaluateFirewall(facts(tables), query).decision;

// ── chains ──────────────────────────────────────────────────────────────────────────────────

describe('walking chains as the kernel does', () => {
  it('jump and return come back; the base chain goes on', () => {
    const t = table('inet', 't', [
      base('input', [rule('jump a', [], jump('a')), rule('accept', [], accept)], 'drop'),
      user('a', [
        rule('tcp dport 11434 return', [dport(11434)], { kind: 'return' }),
        rule('drop', [], drop),
      ]),
    ]);
    const ev = evaluateFirewall(facts([t]), q());
    expect(ev.decision).toBe('allowed');
    expect(ev.decidedBy[0]).toMatchObject({ rule: 'accept', where: 'inet t input', kind: 'rule' });
    expect(decide([t], q({ port: 22 }))).toBe('blocked');
  });

  it('goto does not come back: falling off the target ends the base chain at its policy', () => {
    const t = table('inet', 't', [
      base('input', [rule('goto a', [], goto('a')), rule('drop', [], drop)], 'accept'),
      user('a', [rule('tcp dport 22 drop', [dport(22)], drop)]),
    ]);
    const ev = evaluateFirewall(facts([t]), q());
    expect(ev.decision).toBe('allowed');
    expect(ev.decidedBy[0]).toMatchObject({
      kind: 'policy',
      rule: 'policy accept (no rule decided)',
    });
    expect(decide([t], q({ port: 22 }))).toBe('blocked');
  });

  it('a rule that cannot be judged is followed both ways', () => {
    const agreeing = table('inet', 't', [
      base('input', [rule('meta mark 0x1 drop', [unknownCond], drop)], 'drop'),
    ]);
    expect(decide([agreeing])).toBe('blocked');
    const differing = table('inet', 't', [
      base('input', [rule('meta mark 0x1 drop', [unknownCond, dport(11434)], drop)], 'accept'),
    ]);
    const ev = evaluateFirewall(facts([differing]), q());
    expect(ev.decision).toBe('unknown');
    expect(ev.decidedBy[0]).toMatchObject({ decision: 'unknown', rule: 'meta mark 0x1 drop' });
    // A condition that is surely false settles it.
    expect(decide([differing], q({ port: 22 }))).toBe('allowed');
  });

  it('a counting rule with an unknown match changes nothing', () => {
    const t = table('inet', 't', [
      base('input', [rule('limit rate 5/second counter', [unknownCond], null)], 'accept'),
    ]);
    expect(evaluateFirewall(facts([t]), q()).decision).toBe('allowed');
  });

  it('verdict maps, sure and unsure', () => {
    const vmap = (entries: FirewallRule['vmap']) =>
      table('inet', 't', [base('input', [rule('vmap', [], null, entries)], 'accept')]);
    const iface = (names: string[]): RuleCondition => ({
      kind: 'iface',
      negate: false,
      direction: 'in',
      names,
    });
    expect(decide([vmap([{ match: iface(['eth0']), verdict: drop }])])).toBe('blocked');
    expect(decide([vmap([{ match: iface(['wlan*']), verdict: drop }])])).toBe('allowed');
    expect(decide([vmap([{ match: iface(['eth*']), verdict: drop }])])).toBe('blocked');
    expect(decide([vmap([{ match: unknownCond, verdict: drop }])])).toBe('unknown');
    expect(
      decide([
        vmap([
          { match: unknownCond, verdict: accept },
          { match: iface(['eth0']), verdict: accept },
        ]),
      ]),
    ).toBe('allowed');
  });

  it('loops, missing chains and unknown verdicts are unknown, never a crash', () => {
    const loop = table('inet', 't', [
      base('input', [rule('jump a', [], jump('a'))]),
      user('a', [rule('jump a', [], jump('a'))]),
    ]);
    expect(decide([loop])).toBe('unknown');
    const missing = table('inet', 't', [
      base('input', [rule('jump nowhere', [], jump('nowhere'))]),
    ]);
    expect(decide([missing])).toBe('unknown');
    const queue = table('inet', 't', [
      base('input', [rule('queue num 1', [], { kind: 'unknown', text: 'queue num 1' })]),
    ]);
    const ev = evaluateFirewall(facts([queue]), q());
    expect(ev.decision).toBe('unknown');
    expect(ev.decidedBy[0]!.rule).toBe('queue num 1');
    // A long chain of jumps is bounded.
    const chains = [base('input', [rule('jump c0', [], jump('c0'))])];
    for (let i = 0; i < 100; i += 1)
      chains.push(user(`c${i}`, [rule(`jump c${i + 1}`, [], jump(`c${i + 1}`))]));
    expect(decide([table('inet', 'deep', chains)])).toBe('unknown');
  });

  it('huge chains stay bounded: many unsure rules, many plain ones', () => {
    const unsure = Array.from({ length: 20_000 }, (_, i) =>
      rule(`meta mark ${i} drop`, [unknownCond], drop),
    );
    expect(decide([table('inet', 't', [base('input', unsure, 'accept')])])).toBe('unknown');
    const plain = Array.from({ length: 20_000 }, (_, i) =>
      rule(`tcp dport ${i} drop`, [dport(20_000 + i)], drop),
    );
    expect(decide([table('inet', 't', [base('input', [...plain, rule('drop', [], drop)])])])).toBe(
      'blocked',
    );
  });

  it('families and hooks: filter chains of ip, ip6, inet (and netdev) tables on the way in', () => {
    const dropAll = [rule('drop', [], drop)];
    expect(decide([table('ip', 't', [base('input', dropAll)])], q6())).toBe('allowed');
    expect(decide([table('ip6', 't', [base('input', dropAll)])], q())).toBe('allowed');
    expect(decide([table('inet', 't', [base('input', dropAll)])], q6())).toBe('blocked');
    expect(decide([table('bridge', 't', [base('input', dropAll)])])).toBe('allowed');
    // Issue 12: a drop before the routing decision counts (it was ignored).
    expect(
      decide([table('inet', 't', [{ ...base('prerouting', dropAll), hook: 'prerouting' }])]),
    ).toBe('blocked');
    expect(decide([table('inet', 't', [{ ...base('forward', dropAll), hook: 'forward' }])])).toBe(
      'allowed',
    );
    expect(decide([table('inet', 't', [{ ...base('output', dropAll), hook: 'output' }])])).toBe(
      'allowed',
    );
    expect(decide([table('ip', 't', [{ ...base('input', dropAll), type: 'nat' }])])).toBe(
      'allowed',
    );
    // `ip saddr` in an inet table never matches IPv6, negated or not.
    const notFrom: RuleCondition = {
      kind: 'addr',
      negate: true,
      direction: 'saddr',
      family: 4,
      items: ['10.0.0.0/8'],
    };
    const t = table('inet', 't', [
      base('input', [rule('ip saddr != 10.0.0.0/8 drop', [notFrom], drop)]),
    ]);
    expect(decide([t], q())).toBe('blocked');
    expect(decide([t], q6())).toBe('allowed');
  });

  it('every base chain must let it through; layers come in priority order', () => {
    const tables = [
      table('inet', 'late', [
        base('input', [rule('tcp dport 11434 drop', [dport(11434)], drop)], 'accept', 10),
      ]),
      table('inet', 'early', [
        base('input', [rule('tcp dport 11434 accept', [dport(11434)], accept)], 'accept', -10),
      ]),
      table('inet', 'odd', [
        base('input', [rule('meta mark 0x1 drop', [unknownCond], drop)], 'accept', 0),
      ]),
    ];
    const ev = evaluateFirewall(facts(tables), q());
    expect(ev.decision).toBe('blocked');
    expect(ev.layers.map((l) => l.where)).toEqual([
      'inet early input',
      'inet odd input',
      'inet late input',
    ]);
    expect(ev.decidedBy.map((l) => l.where)).toEqual(['inet late input']);
    // Without the drop, the unknown chain leaves it unknown.
    expect(decide(tables.slice(1))).toBe('unknown');
  });
});

// ── backends together ───────────────────────────────────────────────────────────────────────

describe('the packet path, hook by hook (issue 12)', () => {
  const at = (hook: string, verdicts: FirewallRule[], over: Partial<FirewallChain> = {}) => ({
    ...base(hook, verdicts),
    hook,
    ...over,
  });
  const dropPort = rule('tcp dport 11434 drop', [dport(11434)], drop);
  const rejectPort = rule('tcp dport 11434 reject', [dport(11434)], {
    kind: 'reject',
    with: null,
  });
  const acceptPort = rule('tcp dport 11434 accept', [dport(11434)], accept);
  const maybeDrop = rule('meta mark 0x1 drop', [unknownCond], drop);
  const inputDrop = table('inet', 'in', [base('input', [dropPort])]);

  it.each<[string, string, FirewallRule[], Partial<FirewallChain>, string]>([
    ['ingress on the device', 'ingress', [dropPort], { device: 'eth0' }, 'blocked'],
    ['ingress on another device', 'ingress', [dropPort], { device: 'eth1' }, 'allowed'],
    ['ingress, reject', 'ingress', [rejectPort], { device: 'eth0' }, 'blocked'],
    ['ingress, accept', 'ingress', [acceptPort], { device: 'eth0' }, 'allowed'],
    ['ingress, a drop that may not match', 'ingress', [maybeDrop], { device: 'eth0' }, 'allowed'],
    ['prerouting, drop', 'prerouting', [dropPort], {}, 'blocked'],
    ['prerouting, reject', 'prerouting', [rejectPort], {}, 'blocked'],
    ['prerouting, accept', 'prerouting', [acceptPort], {}, 'allowed'],
    ['prerouting, drop policy', 'prerouting', [], { policy: 'drop' }, 'blocked'],
    ['prerouting, a drop that may not match', 'prerouting', [maybeDrop], {}, 'allowed'],
    ['prerouting, a nat chain', 'prerouting', [dropPort], { type: 'nat' }, 'allowed'],
    ['input, drop', 'input', [dropPort], {}, 'blocked'],
    ['input, reject', 'input', [rejectPort], {}, 'blocked'],
    ['input, accept', 'input', [acceptPort], {}, 'allowed'],
    ['input, a drop that may not match', 'input', [maybeDrop], {}, 'unknown'],
  ])('%s', (_name, hook, rules, over, decision) => {
    const family = hook === 'ingress' ? 'netdev' : 'inet';
    expect(decide([table(family, 't', [at(hook, rules, over)])])).toBe(decision);
  });

  it('an accept before input ends only its own chain: input still decides', () => {
    const pre = table('inet', 'pre', [at('prerouting', [acceptPort])]);
    expect(decide([pre, inputDrop])).toBe('blocked');
  });

  it('a drop before input is named first, whatever the priorities', () => {
    const pre = table('inet', 'pre', [at('prerouting', [dropPort], { priority: 500 })]);
    const early = table('inet', 'early', [{ ...base('input', [dropPort]), priority: -500 }]);
    const result = evaluateFirewall(facts([early, pre]), q());
    expect(result.decision).toBe('blocked');
    expect(result.layers[0]!.where).toBe('inet pre prerouting');
  });

  it('a dormant table changes nothing; one whose flags could not be read makes it unknown', () => {
    expect(decide([{ ...inputDrop, dormant: true }])).toBe('allowed');
    expect(decide([{ ...inputDrop, dormant: false }])).toBe('blocked');
    const unread = evaluateFirewall(facts([{ ...inputDrop, dormant: null }]), q());
    expect(unread.decision).toBe('unknown');
    expect(unread.layers.map((l) => l.rule).join('\n')).toMatch(/whether it is in force/);
  });

  it('iptables: raw and mangle PREROUTING drops count, nat PREROUTING is not judged here', () => {
    const ipt = (name: string, chain: FirewallChain): FirewallFacts['iptables'][number] => ({
      status: 'ok',
      evidence: [],
      variant: 'legacy',
      family: 4,
      ruleset: {
        version: '1.8.9',
        tables: [{ family: 'ip', name, chains: [chain] }],
        warnings: [],
      },
    });
    const pre = (type: string) => ({ ...at('PREROUTING', [dropPort]), hook: 'prerouting', type });
    for (const [name, decision] of [
      ['raw', 'blocked'],
      ['mangle', 'blocked'],
      ['nat', 'allowed'],
    ] as const)
      expect(evaluateFirewall(facts([], { iptables: [ipt(name, pre(name))] }), q()).decision).toBe(
        decision,
      );
  });
});

describe('the forward hook: a connection routed on to another namespace (issue 12, class 3)', () => {
  const fwd = (rules: FirewallRule[], policy: 'accept' | 'drop' = 'accept') =>
    table('inet', 'f', [{ ...base('forward', rules, policy), hook: 'forward' }]);
  const toServer = q({
    hook: 'forward',
    outInterface: 'veth0',
    localAddress: '172.30.0.2',
    port: 11434,
  });
  const oif = (name: string): RuleCondition => ({
    kind: 'iface',
    direction: 'out',
    negate: false,
    names: [name],
  });
  const dnatOnly = rule(
    'ct status dnat accept',
    [{ kind: 'ctstatus', negate: false, statuses: ['dnat'] }],
    accept,
  );
  const localOnly = rule(
    'fib daddr type local accept',
    [{ kind: 'addrtype', negate: false, direction: 'daddr', types: ['local'] }],
    accept,
  );

  it.each<[string, FirewallTable[], FirewallQuery, string]>([
    ['no forward chain', [], toServer, 'allowed'],
    ['forward policy drop', [fwd([], 'drop')], toServer, 'blocked'],
    [
      'an input drop does not touch it',
      [table('inet', 'i', [base('input', [rule('drop', [], drop)])])],
      toServer,
      'allowed',
    ],
    [
      'oifname of the way out, accepted',
      [fwd([rule('oifname veth0 accept', [oif('veth0')], accept)], 'drop')],
      toServer,
      'allowed',
    ],
    [
      'oifname of another way out',
      [fwd([rule('oifname docker0 accept', [oif('docker0')], accept)], 'drop')],
      toServer,
      'blocked',
    ],
    [
      'ct status dnat accept, translated',
      [fwd([dnatOnly], 'drop')],
      { ...toServer, natted: true },
      'allowed',
    ],
    ['ct status dnat accept, routed as sent', [fwd([dnatOnly], 'drop')], toServer, 'blocked'],
    ['a destination that is not local', [fwd([localOnly], 'drop')], toServer, 'blocked'],
  ])('%s', (_name, tables, query, decision) => {
    expect(decide(tables, query)).toBe(decision);
  });

  it('an input query never meets the forward chain', () => {
    expect(decide([fwd([], 'drop')])).toBe('allowed');
  });

  it('prerouting filters see the port the peer asked for, before NAT', () => {
    const pre = table('inet', 'p', [
      {
        ...base('prerouting', [rule('tcp dport 8000 drop', [dport(8000)], drop)]),
        hook: 'prerouting',
      },
    ]);
    const natted = { ...toServer, natted: true, preNat: { localAddress: '10.0.0.5', port: 8000 } };
    expect(decide([pre], natted)).toBe('blocked');
    expect(decide([pre], { ...natted, preNat: { localAddress: '10.0.0.5', port: 8001 } })).toBe(
      'allowed',
    );
  });

  it('ufw and firewalld models do not judge a routed connection', () => {
    const result = evaluateFirewall(
      facts([], { ufw: { status: 'error', evidence: [], message: 'x', model: null } }),
      toServer,
    );
    expect(result.decision).toBe('allowed');
    expect(result.layers.some((l) => l.layer === 'ufw')).toBe(false);
  });
});

describe('backends together', () => {
  const iptFilter = (rules: FirewallRule[], chains: FirewallChain[] = []): FirewallTable =>
    table('ip', 'filter', [{ ...base('INPUT', rules), type: 'filter' }, ...chains]);

  it('an iptables-nft table is judged from iptables-save, not again from nft', () => {
    const nftView = iptFilter([
      rule('xt match conntrack drop', [{ kind: 'unknown', text: 'xt match conntrack' }], drop),
    ]);
    const saveView = iptFilter([
      rule('-A INPUT -p tcp --dport 11434 -j DROP', [dport(11434)], drop),
    ]);
    const f = facts([nftView], {
      iptables: [
        {
          status: 'ok',
          evidence: [],
          variant: 'nft',
          family: 4,
          ruleset: { version: '1.8.9', tables: [saveView], warnings: [] },
        },
      ],
    });
    const ev = evaluateFirewall(f, q());
    expect(ev.decision).toBe('blocked');
    expect(ev.layers.map((l) => l.layer)).toEqual(['iptables-nft']);
    // When iptables-nft-save failed, nft's view is all there is.
    f.iptables[0] = { ...f.iptables[0]!, status: 'error', ruleset: null };
    const fallback = evaluateFirewall(f, q());
    expect(fallback.layers.map((l) => l.layer)).toEqual(['nftables']);
    expect(fallback.decision).toBe('unknown');
  });

  it("iptables' nat INPUT chain (source NAT only) is not a filter", () => {
    const nat = table('ip', 'nat', [
      {
        ...base('INPUT', [
          rule('-j SNAT --to-source 10.0.0.1', [], { kind: 'unknown', text: '-j SNAT' }),
        ]),
        type: 'nat',
      },
    ]);
    const f = facts([], {
      iptables: [
        {
          status: 'ok',
          evidence: [],
          variant: 'nft',
          family: 4,
          ruleset: { version: null, tables: [nat], warnings: [] },
        },
      ],
    });
    expect(evaluateFirewall(f, q()).decision).toBe('allowed');
  });

  it('legacy tables are a layer of their own', () => {
    const f = facts([], {
      iptables: [
        {
          status: 'ok',
          evidence: [],
          variant: 'legacy',
          family: 4,
          ruleset: {
            version: '1.8.9',
            tables: [iptFilter([rule('-j DROP', [], drop)])],
            warnings: [],
          },
        },
      ],
    });
    expect(evaluateFirewall(f, q()).decidedBy).toEqual([
      expect.objectContaining({
        layer: 'iptables-legacy',
        decision: 'blocked',
        where: 'ip filter INPUT',
      }),
    ]);
    expect(evaluateFirewall(f, q6()).decision).toBe('allowed');
  });

  it('a part of the kernel filter that cannot be read makes it unknown, unless something blocks', () => {
    const denied = facts([], {
      nftables: { status: 'denied', evidence: [], message: 'needs root', ruleset: null },
    });
    const ev = evaluateFirewall(denied, q());
    expect(ev.decision).toBe('unknown');
    expect(ev.decidedBy[0]).toMatchObject({
      kind: 'status',
      rule: 'nft list ruleset: denied (needs root)',
    });
    const blockedElsewhere = facts([], {
      nftables: { status: 'denied', evidence: [], ruleset: null },
      iptables: [
        {
          status: 'ok',
          evidence: [],
          variant: 'legacy',
          family: 4,
          ruleset: {
            version: null,
            tables: [iptFilter([rule('-j DROP', [], drop)])],
            warnings: [],
          },
        },
      ],
    });
    expect(evaluateFirewall(blockedElsewhere, q()).decision).toBe('blocked');
  });

  const ufwModel = (over: Partial<UfwModel> = {}): UfwModel => ({
    active: true,
    enabledAtBoot: true,
    defaultIncoming: 'deny',
    ipv6: true,
    rules: [],
    rulesSource: 'user.rules',
    ...over,
  });

  it('when ufw says one thing and its loaded chains another, the chains win and a note says so', () => {
    const ufwTable = iptFilter(
      [rule('-A INPUT -j ufw-before-input', [], jump('ufw-before-input'))],
      [user('ufw-before-input', [rule('-A ufw-before-input -j ACCEPT', [], accept)])],
    );
    const f = facts([], {
      iptables: [
        {
          status: 'ok',
          evidence: [],
          variant: 'nft',
          family: 4,
          ruleset: { version: null, tables: [ufwTable], warnings: [] },
        },
      ],
      ufw: { status: 'ok', evidence: [], model: ufwModel() },
    });
    const ev = evaluateFirewall(f, q());
    expect(ev.decision).toBe('allowed');
    expect(ev.notes[0]).toMatch(
      /ufw's configuration says blocked .* but the rules loaded in the kernel decide allowed/,
    );
    // The model that disagrees is shown among the layers, not as a reason.
    expect(ev.decidedBy.map((s) => s.layer)).toEqual(['iptables-nft']);
    expect(ev.layers.map((s) => s.layer)).toEqual(['iptables-nft', 'ufw']);
  });

  it('ufw configured but none of its chains loaded', () => {
    const f = facts([], { ufw: { status: 'ok', evidence: [], model: ufwModel() } });
    const ev = evaluateFirewall(f, q());
    expect(ev.decision).toBe('allowed');
    expect(ev.notes[0]).toMatch(/none of its rules are loaded/);
  });
});

// ── ufw model ───────────────────────────────────────────────────────────────────────────────

describe('the ufw model', () => {
  const ufwRule = (over: Partial<UfwRule>): UfwRule => ({
    text: 'rule',
    action: 'allow',
    direction: 'in',
    interface: null,
    protocol: 'tcp',
    toPorts: [[11434, 11434]],
    toAddress: 'any',
    fromPorts: null,
    fromAddress: 'any',
    family: 4,
    app: null,
    unparsed: false,
    ...over,
  });
  const model = (rules: UfwRule[] | null, over: Partial<UfwModel> = {}): UfwModel => ({
    active: true,
    enabledAtBoot: true,
    defaultIncoming: 'deny',
    ipv6: true,
    rules,
    rulesSource: 'user.rules',
    ...over,
  });

  it('first matching rule wins, else the default', () => {
    const rules = [
      ufwRule({ text: 'deny from lan', action: 'deny', fromAddress: '192.168.1.0/24' }),
      ufwRule({ text: 'allow all' }),
    ];
    expect(evaluateUfw(model(rules), q())).toMatchObject({
      decision: 'blocked',
      rule: 'deny from lan',
    });
    expect(evaluateUfw(model(rules), q({ peerAddress: '198.51.100.1' }))).toMatchObject({
      decision: 'allowed',
      rule: 'allow all',
    });
    expect(evaluateUfw(model(rules), q({ port: 80 }))).toMatchObject({
      decision: 'blocked',
      kind: 'policy',
      rule: 'default deny (incoming)',
    });
    expect(evaluateUfw(model(rules, { defaultIncoming: 'allow' }), q({ port: 80 })).decision).toBe(
      'allowed',
    );
  });

  it('interfaces, protocols, directions, families', () => {
    expect(evaluateUfw(model([ufwRule({ interface: 'wlan0' })]), q()).decision).toBe('blocked');
    expect(evaluateUfw(model([ufwRule({ interface: 'eth0' })]), q()).decision).toBe('allowed');
    expect(evaluateUfw(model([ufwRule({ protocol: 'udp' })]), q()).decision).toBe('blocked');
    expect(evaluateUfw(model([ufwRule({ protocol: 'any', toPorts: null })]), q()).decision).toBe(
      'allowed',
    );
    expect(evaluateUfw(model([ufwRule({ direction: 'out' })]), q()).decision).toBe('blocked');
    expect(evaluateUfw(model([ufwRule({ family: 6 })]), q()).decision).toBe('blocked');
    expect(evaluateUfw(model([ufwRule({ toAddress: '192.168.1.10' })]), q()).decision).toBe(
      'allowed',
    );
  });

  it('limit is allowed (rate-limited); unsure matches make it unknown', () => {
    expect(
      evaluateUfw(model([ufwRule({ action: 'limit', text: 'limit 11434' })]), q()),
    ).toMatchObject({
      decision: 'allowed',
      rule: expect.stringContaining('rate-limited'),
    });
    expect(evaluateUfw(model([ufwRule({ fromPorts: [[53, 53]] })]), q()).decision).toBe('unknown');
    expect(evaluateUfw(model([ufwRule({ unparsed: true, text: '???' })]), q()).decision).toBe(
      'unknown',
    );
    expect(
      evaluateUfw(model([ufwRule({ fromAddress: '10.0.0.0/8' })]), q({ peerAddress: null }))
        .decision,
    ).toBe('unknown');
  });

  it('inactive, disabled, IPv6 off, unreadable', () => {
    expect(evaluateUfw(model([], { active: false }), q())).toMatchObject({
      decision: 'allowed',
      kind: 'status',
    });
    expect(evaluateUfw(model(null, { active: null, enabledAtBoot: false }), q()).decision).toBe(
      'allowed',
    );
    expect(evaluateUfw(model(null, { active: null }), q())).toMatchObject({
      decision: 'unknown',
      rule: expect.stringContaining('only be read as root'),
    });
    expect(evaluateUfw(model([], { ipv6: false }), q6())).toMatchObject({
      decision: 'allowed',
      kind: 'status',
    });
    expect(evaluateUfw(model(null), q()).decision).toBe('unknown');
    expect(evaluateUfw(model([], { defaultIncoming: null }), q()).decision).toBe('unknown');
  });
});

// ── firewalld model ─────────────────────────────────────────────────────────────────────────

describe('the firewalld model', () => {
  const zone = (over: Partial<FirewalldZone>): FirewalldZone => ({
    name: 'public',
    target: 'default',
    services: [],
    ports: [],
    protocols: [],
    sourcePorts: [],
    forwardPorts: [],
    richRules: [],
    interfaces: [],
    sources: [],
    icmpBlockInversion: false,
    ...over,
  });
  const model = (zones: FirewalldZone[], over: Partial<FirewalldModel> = {}): FirewalldModel => ({
    running: true,
    defaultZone: 'public',
    zones,
    policies: [],
    services: {
      ollama: {
        name: 'ollama',
        ports: [{ ranges: [[11434, 11434]], protocol: 'tcp' }],
        protocols: [],
        sourcePorts: [],
        destination4: null,
        destination6: null,
        includes: [],
        source: 'x',
      },
      v6only: {
        name: 'v6only',
        ports: [{ ranges: [[11434, 11434]], protocol: 'tcp' }],
        protocols: [],
        sourcePorts: [],
        destination4: null,
        destination6: 'fe80::/64',
        includes: [],
        source: 'x',
      },
      bundle: {
        name: 'bundle',
        ports: [],
        protocols: [],
        sourcePorts: [],
        destination4: null,
        destination6: null,
        includes: ['ollama'],
        source: 'x',
      },
    },
    unresolvedServices: [],
    ...over,
  });

  it('zone choice: a source binding, then the interface, then the default zone', () => {
    const zones = [
      zone({ name: 'public' }),
      zone({ name: 'trusted', target: 'ACCEPT', interfaces: ['eth0'] }),
      zone({ name: 'drop', target: 'DROP', sources: ['192.168.1.0/24'] }),
    ];
    expect(evaluateFirewalld(model(zones), q())).toMatchObject({
      decision: 'blocked',
      rule: expect.stringMatching(
        /^zone drop: target DROP \(source 192\.168\.1\.20 is bound to zone drop\)/,
      ),
    });
    expect(evaluateFirewalld(model(zones), q({ peerAddress: '10.9.9.9' })).decision).toBe(
      'allowed',
    );
    expect(
      evaluateFirewalld(model(zones), q({ peerAddress: '10.9.9.9', interface: 'eth1' })),
    ).toMatchObject({
      decision: 'blocked',
      rule: expect.stringContaining('the default zone public applies'),
    });
    // An ipset source cannot be judged.
    expect(
      evaluateFirewalld(
        model([zone({ name: 'x', sources: ['ipset:blocked'] }), zone({ target: 'ACCEPT' })]),
        q(),
      ).decision,
    ).toBe('unknown');
  });

  it('ports, services (with includes and destinations), protocols', () => {
    const m = (z: Partial<FirewalldZone>) => model([zone(z)]);
    expect(
      evaluateFirewalld(m({ ports: [{ ranges: [[11000, 12000]], protocol: 'tcp' }] }), q())
        .decision,
    ).toBe('allowed');
    expect(
      evaluateFirewalld(m({ ports: [{ ranges: [[11434, 11434]], protocol: 'udp' }] }), q())
        .decision,
    ).toBe('blocked');
    expect(evaluateFirewalld(m({ services: ['ollama'] }), q())).toMatchObject({
      decision: 'allowed',
      rule: 'zone public: service ollama (11434/tcp)',
    });
    expect(evaluateFirewalld(m({ services: ['bundle'] }), q()).decision).toBe('allowed');
    expect(evaluateFirewalld(m({ services: ['v6only'] }), q()).decision).toBe('blocked');
    expect(evaluateFirewalld(m({ services: ['v6only'] }), q6()).decision).toBe('blocked');
    expect(
      evaluateFirewalld(m({ services: ['v6only'] }), q6({ localAddress: 'fe80::10' })).decision,
    ).toBe('allowed');
    expect(evaluateFirewalld(m({ services: ['nosuch'] }), q()).decision).toBe('unknown');
    expect(evaluateFirewalld(m({ protocols: ['tcp'] }), q()).decision).toBe('allowed');
    expect(
      evaluateFirewalld(m({ sourcePorts: [{ ranges: [[53, 53]], protocol: 'tcp' }] }), q())
        .decision,
    ).toBe('unknown');
    expect(
      evaluateFirewalld(m({ forwardPorts: ['port=11434:proto=tcp:toport=80:toaddr='] }), q())
        .decision,
    ).toBe('unknown');
    expect(
      evaluateFirewalld(m({ forwardPorts: ['port=80:proto=tcp:toport=8080:toaddr='] }), q())
        .decision,
    ).toBe('blocked');
  });

  it('rich rules: priorities, deny before allow, unreadable ones', () => {
    const m = (rules: string[], z: Partial<FirewalldZone> = {}) =>
      model([zone({ richRules: rules.map(parseRichRule), ...z })]);
    const port = { ports: [{ ranges: [[11434, 11434]] as [number, number][], protocol: 'tcp' }] };
    expect(
      evaluateFirewalld(
        m(
          [
            'rule family="ipv4" source address="192.168.1.0/24" port port="11434" protocol="tcp" drop',
          ],
          port,
        ),
        q(),
      ).decision,
    ).toBe('blocked');
    expect(
      evaluateFirewalld(
        m(
          [
            'rule family="ipv4" source address="192.168.1.0/24" port port="11434" protocol="tcp" drop',
          ],
          port,
        ),
        q6(),
      ).decision,
    ).toBe('allowed');
    expect(
      evaluateFirewalld(
        m([
          'rule priority="-1" source address="192.168.1.20" accept',
          'rule source address="192.168.1.0/24" reject',
        ]),
        q(),
      ),
    ).toMatchObject({ decision: 'allowed', rule: expect.stringContaining('priority="-1"') });
    expect(
      evaluateFirewalld(m(['rule source NOT address="192.168.1.0/24" accept']), q()).decision,
    ).toBe('blocked');
    expect(evaluateFirewalld(m(['rule service name="ollama" accept']), q()).decision).toBe(
      'allowed',
    );
    expect(
      evaluateFirewalld(m(['rule port port="11434" protocol="tcp" log prefix="x"']), q()).decision,
    ).toBe('blocked');
    expect(
      evaluateFirewalld(m(['rule port port="11434" protocol="tcp" accept limit value="1/m"']), q())
        .decision,
    ).toBe('unknown');
    expect(evaluateFirewalld(m(['rule nonsense accept']), q()).decision).toBe('unknown');
    expect(
      evaluateFirewalld(m(['rule priority="5" port port="11434" protocol="tcp" reject'], port), q())
        .decision,
    ).toBe('allowed');
  });

  it('policies towards HOST: before the zone when negative, after it otherwise', () => {
    const policy = (priority: number, target: string, ports = false) => ({
      name: `p${priority}`,
      target,
      services: [],
      ports: ports ? [{ ranges: [[11434, 11434]] as [number, number][], protocol: 'tcp' }] : [],
      protocols: [],
      sourcePorts: [],
      forwardPorts: [],
      richRules: [],
      active: true,
      priority,
      ingressZones: ['ANY'],
      egressZones: ['HOST'],
    });
    const open = zone({ ports: [{ ranges: [[11434, 11434]], protocol: 'tcp' }] });
    expect(
      evaluateFirewalld(model([open], { policies: [policy(-10, 'REJECT')] }), q()),
    ).toMatchObject({
      decision: 'blocked',
      rule: 'policy p-10: target REJECT',
    });
    expect(
      evaluateFirewalld(model([open], { policies: [policy(10, 'REJECT')] }), q()).decision,
    ).toBe('allowed');
    expect(
      evaluateFirewalld(model([zone({})], { policies: [policy(-10, 'CONTINUE', true)] }), q()),
    ).toMatchObject({
      decision: 'allowed',
      rule: 'policy p-10: port 11434/tcp',
    });
    expect(
      evaluateFirewalld(
        model([open], { policies: [{ ...policy(-10, 'REJECT'), egressZones: ['public'] }] }),
        q(),
      ).decision,
    ).toBe('allowed');
  });

  it('state', () => {
    expect(evaluateFirewalld(model([], { running: false }), q())).toMatchObject({
      decision: 'allowed',
      kind: 'status',
    });
    expect(evaluateFirewalld(model([], { running: null }), q()).decision).toBe('unknown');
    expect(evaluateFirewalld(model([]), q()).decision).toBe('unknown');
  });
});

// ── conditions and peers ────────────────────────────────────────────────────────────────────

describe('conditions', () => {
  it.each<[RuleCondition, Partial<FirewallQuery>, boolean | null]>([
    [
      {
        kind: 'addr',
        negate: false,
        direction: 'saddr',
        family: 4,
        items: ['192.168.1.1-192.168.1.30'],
      },
      {},
      true,
    ],
    [
      { kind: 'addr', negate: false, direction: 'daddr', family: 4, items: ['192.168.1.11'] },
      {},
      false,
    ],
    [{ kind: 'addr', negate: false, direction: 'saddr', family: 4, items: ['garbage'] }, {}, null],
    [{ kind: 'ctstate', negate: false, states: ['established', 'related'] }, {}, false],
    [{ kind: 'ctstate', negate: true, states: ['established', 'related'] }, {}, true],
    [{ kind: 'ctstatus', negate: false, statuses: ['dnat'] }, {}, false],
    [{ kind: 'addrtype', negate: false, direction: 'daddr', types: ['local'] }, {}, true],
    [{ kind: 'addrtype', negate: false, direction: 'saddr', types: ['local'] }, {}, false],
    [{ kind: 'pkttype', negate: false, types: ['broadcast', 'multicast'] }, {}, false],
    [{ kind: 'iface', negate: false, direction: 'out', names: ['eth0'] }, {}, null],
    [
      { kind: 'port', negate: false, direction: 'sport', protocol: 'tcp', ranges: [[53, 53]] },
      {},
      null,
    ],
    [
      {
        kind: 'port',
        negate: false,
        direction: 'either',
        protocol: 'tcp',
        ranges: [[11434, 11434]],
      },
      {},
      true,
    ],
    [
      { kind: 'port', negate: true, direction: 'dport', protocol: 'udp', ranges: [[53, 53]] },
      {},
      false,
    ],
    [{ kind: 'l4proto', negate: true, protocols: ['udp'] }, {}, true],
    [{ kind: 'nfproto', negate: false, families: [6] }, {}, false],
    [{ kind: 'exthdr', name: 'rt' }, {}, false],
  ])('%j', (condition, over, expected) => {
    expect(conditionMatches(condition, q(over))).toBe(expected);
  });

  it('addresses and prefixes', () => {
    expect(addressInItem('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(addressInItem('10.1.2.3', '0.0.0.0/0')).toBe(true);
    expect(addressInItem('fd00::1', 'fd00::/8')).toBe(true);
    expect(addressInItem('fe80::1', 'fd00::/8')).toBe(false);
    expect(addressInItem('10.1.2.3', 'fd00::/8')).toBe(false);
    expect(addressInItem('10.1.2.3', '10.0.0.0/33')).toBeNull();
    expect(addressInItem('nope', '10.0.0.0/8')).toBeNull();
  });
});

describe('representative peers', () => {
  const iface = (name: string, addresses: Array<[string, number | null]>): NetInterface => ({
    name,
    addresses: addresses.map(([address, prefixLength]) => ({
      address,
      family: address.includes(':') ? 6 : 4,
      prefixLength,
      scope: address.startsWith('fe80') ? 'link-local' : 'private',
    })),
  });

  it('a LAN peer in the interface subnet, never one of our own addresses', () => {
    const ifs = [
      iface('eth0', [
        ['192.168.1.1', 24],
        ['fe80::1', 64],
        ['fd00:1::1', 64],
      ]),
      iface('eth1', [['192.168.1.2', 32]]),
    ];
    expect(representativePeer(ifs, 'eth0', 4, 'lan')).toEqual({
      localAddress: '192.168.1.1',
      peerAddress: '192.168.1.3',
    });
    expect(representativePeer(ifs, 'eth0', 6, 'lan')).toEqual({
      localAddress: 'fd00:1::1',
      peerAddress: 'fd00:1::2',
    });
    expect(
      representativePeer([iface('p2p', [['10.0.0.0', 31]])], 'p2p', 4, 'lan').peerAddress,
    ).toBe('10.0.0.1');
    expect(
      representativePeer([iface('tun', [['10.0.0.5', 32]])], 'tun', 4, 'lan').peerAddress,
    ).toBeNull();
    expect(representativePeer(ifs, 'nope', 4, 'lan')).toEqual({
      localAddress: null,
      peerAddress: null,
    });
    expect(
      representativePeer([iface('x', [['10.0.0.5', null]])], 'x', 4, 'lan').peerAddress,
    ).toBeNull();
  });

  it('an internet peer outside every local subnet', () => {
    const ifs = [iface('wan', [['198.51.100.7', 24]]), iface('lan', [['192.0.2.1', 24]])];
    expect(representativePeer(ifs, 'wan', 4, 'internet')).toEqual({
      localAddress: '198.51.100.7',
      peerAddress: '203.0.113.200',
    });
    expect(
      representativePeer([iface('wan', [['2001:db8:ffff::1', 48]])], 'wan', 6, 'internet')
        .peerAddress,
    ).toBe('2001:db8:fffe::200');
  });
});
