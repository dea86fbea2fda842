import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  dormantFromText,
  parseNftJson,
  tableDormant,
} from '../../../electron/engine/probes/linux/firewall/nft';
import type { FirewallRuleset } from '../../../shared/firewall';

const fixture = (name: string) =>
  fs.readFileSync(new URL(`../../fixtures/linux/firewall/${name}`, import.meta.url), 'utf8');

function parsed(text: string): FirewallRuleset {
  const result = parseNftJson(text);
  if (!result.ok) throw new Error(result.message);
  return result.ruleset;
}

/** A ruleset of one inet table whose chain `input` holds these rules (nft JSON expr arrays). */
function oneChain(exprs: unknown[][], extra: unknown[] = []): string {
  return JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', json_schema_version: 1 } },
      { table: { family: 'inet', name: 't', handle: 1 } },
      ...extra,
      {
        chain: {
          family: 'inet',
          table: 't',
          name: 'input',
          handle: 1,
          type: 'filter',
          hook: 'input',
          prio: 0,
          policy: 'accept',
        },
      },
      ...exprs.map((expr, i) => ({
        rule: { family: 'inet', table: 't', chain: 'input', handle: i + 2, expr },
      })),
    ],
  });
}

const match = (left: unknown, right: unknown, op = '==') => ({ match: { op, left, right } });
const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
const meta = (key: string) => ({ meta: { key } });

describe('nft -j list ruleset, recorded in the lab', () => {
  it('skips the fixture header and reads a hand-written ruleset: sets, vmaps, negation', () => {
    const ruleset = parsed(fixture('nft-plain.json.txt'));
    expect(ruleset.version).toBe('1.0.6');
    expect(ruleset.warnings).toEqual([]);
    const table = ruleset.tables.find((t) => t.name === 'pdk_fw')!;
    const input = table.chains.find((c) => c.name === 'input')!;
    expect(input).toMatchObject({ hook: 'input', priority: 0, policy: 'drop', type: 'filter' });
    const [ctVmap, lo, icmp, synLimit, ifaceVmap] = input.rules;
    expect(ctVmap!.vmap).toEqual([
      { match: { kind: 'ctstate', negate: false, states: ['invalid'] }, verdict: { kind: 'drop' } },
      {
        match: { kind: 'ctstate', negate: false, states: ['established'] },
        verdict: { kind: 'accept' },
      },
      {
        match: { kind: 'ctstate', negate: false, states: ['related'] },
        verdict: { kind: 'accept' },
      },
    ]);
    expect(lo).toMatchObject({
      text: 'iifname "lo" accept',
      conditions: [{ kind: 'iface', negate: false, direction: 'in', names: ['lo'] }],
      verdict: { kind: 'accept' },
    });
    expect(icmp!.conditions).toEqual([
      { kind: 'l4proto', negate: false, protocols: ['icmp', 'ipv6-icmp'] },
    ]);
    // A rate limit that only counts: an unknown condition, but no verdict.
    expect(synLimit!.verdict).toBeNull();
    expect(synLimit!.conditions).toEqual([
      { kind: 'l4proto', negate: false, protocols: ['tcp'] },
      { kind: 'unknown', text: 'tcp flags in syn' },
      { kind: 'unknown', text: 'limit rate 100/second' },
    ]);
    expect(ifaceVmap!.vmap![0]!.verdict).toEqual({ kind: 'jump', target: 'lan_in' });

    const lanIn = table.chains.find((c) => c.name === 'lan_in')!;
    expect(lanIn.hook).toBeNull();
    expect(lanIn.policy).toBeNull();
    expect(lanIn.rules[0]!.conditions).toEqual([
      {
        kind: 'addr',
        negate: false,
        direction: 'saddr',
        family: 4,
        items: [expect.stringMatching(/^10\.251\.\d+\.0\/24$/), '192.168.99.0/24'],
      },
      {
        kind: 'port',
        negate: false,
        direction: 'dport',
        protocol: 'tcp',
        ranges: [[11434, 11434]],
      },
    ]);
    expect(lanIn.rules[0]!.text).toBe('ip saddr @lan4 tcp dport 11434 accept');
    expect(lanIn.rules[1]!.conditions).toEqual([
      { kind: 'addr', negate: false, direction: 'saddr', family: 6, items: ['fd00::/8'] },
      { kind: 'port', negate: true, direction: 'dport', protocol: 'th', ranges: [[22, 22]] },
    ]);
    expect(lanIn.rules[2]!.verdict).toEqual({ kind: 'return' });
  });

  it('reads the table iptables-nft makes, with its matches as unknown xt expressions', () => {
    const ruleset = parsed(fixture('nft-iptables.json.txt'));
    const filter = ruleset.tables.find((t) => t.family === 'ip' && t.name === 'filter')!;
    const input = filter.chains.find((c) => c.name === 'INPUT')!;
    expect(input).toMatchObject({ hook: 'input', priority: 0, policy: 'drop' });
    const conntrack = input.rules.find((r) => r.text.includes('xt match conntrack'))!;
    expect(conntrack.conditions).toEqual([{ kind: 'unknown', text: 'xt match conntrack' }]);
    // `-j LOG` is a neutral xt target: the rule has no verdict.
    const log = input.rules.find((r) => r.text.includes('xt target LOG'))!;
    expect(log.verdict).toBeNull();
  });

  it('reads the rulesets ufw and firewalld load', () => {
    const ufw = parsed(fixture('nft-ufw.json.txt'));
    expect(ufw.tables.map((t) => `${t.family} ${t.name}`).sort()).toEqual([
      'ip filter',
      'ip6 filter',
    ]);
    expect(ufw.tables[0]!.chains.some((c) => c.name === 'ufw-user-input')).toBe(true);

    const firewalld = parsed(fixture('nft-firewalld.json.txt'));
    const table = firewalld.tables.find((t) => t.name === 'firewalld')!;
    expect(table.family).toBe('inet');
    const input = table.chains.find((c) => c.name === 'filter_INPUT')!;
    // "priority filter + 10"
    expect(input).toMatchObject({ hook: 'input', priority: 10, policy: 'accept' });
    expect(input.rules.map((r) => r.text)).toEqual([
      'ct state { established, related } accept',
      'ct status dnat accept',
      'iifname "lo" accept',
      'ct state invalid drop',
      'jump filter_INPUT_ZONES',
      'reject with icmpx admin-prohibited',
    ]);
    const zones = table.chains.find((c) => c.name === 'filter_INPUT_ZONES')!;
    // firewalld binds sources and interfaces to zones with goto rules.
    expect(zones.rules.some((r) => r.verdict?.kind === 'goto')).toBe(true);
  });
});

describe('nft JSON rule shapes', () => {
  it('ranges, ordered comparisons, sets of ports and protocol numbers', () => {
    const ruleset = parsed(
      oneChain([
        [match(payload('tcp', 'dport'), { range: [8000, 8100] }), { drop: null }],
        [match(payload('tcp', 'dport'), 1024, '<'), { accept: null }],
        [match(payload('th', 'dport'), { set: [22, { range: [80, 90] }] }), { accept: null }],
        [match(meta('l4proto'), 6), { accept: null }],
        [match(payload('ip', 'protocol'), 'tcp'), { accept: null }],
        [match(payload('udp', 'dport'), 53, '!='), { accept: null }],
      ]),
    );
    const rules = ruleset.tables[0]!.chains[0]!.rules;
    expect(rules[0]!.conditions).toEqual([
      { kind: 'port', negate: false, direction: 'dport', protocol: 'tcp', ranges: [[8000, 8100]] },
    ]);
    expect(rules[1]!.conditions[0]).toMatchObject({ ranges: [[0, 1023]], negate: false });
    expect(rules[2]!.conditions[0]).toMatchObject({
      protocol: 'th',
      ranges: [
        [22, 22],
        [80, 90],
      ],
    });
    expect(rules[3]!.conditions).toEqual([{ kind: 'l4proto', negate: false, protocols: ['tcp'] }]);
    expect(rules[4]!.conditions).toEqual([
      { kind: 'nfproto', negate: false, families: [4] },
      { kind: 'l4proto', negate: false, protocols: ['tcp'] },
    ]);
    expect(rules[5]!.conditions[0]).toMatchObject({ protocol: 'udp', negate: true });
  });

  it('interfaces, fib, ct status and sets that cannot be resolved', () => {
    const ruleset = parsed(
      oneChain([
        [match(meta('iifname'), 'eth*', '!='), { accept: null }],
        [
          match({ fib: { result: 'type', flags: ['daddr'] } }, 'local'),
          match(payload('tcp', 'dport'), 8080),
          { accept: null },
        ],
        [match({ ct: { key: 'status' } }, 'dnat'), { accept: null }],
        [match(payload('ip', 'saddr'), '@missing'), { drop: null }],
        [match(meta('mark'), 1), { drop: null }],
      ]),
    );
    const rules = ruleset.tables[0]!.chains[0]!.rules;
    expect(rules[0]!.conditions).toEqual([
      { kind: 'iface', negate: true, direction: 'in', names: ['eth*'] },
    ]);
    expect(rules[1]!.conditions[0]).toEqual({
      kind: 'addrtype',
      negate: false,
      direction: 'daddr',
      types: ['local'],
    });
    expect(rules[2]!.conditions).toEqual([{ kind: 'ctstatus', negate: false, statuses: ['dnat'] }]);
    // The address family is still implied when the set is unknown.
    expect(rules[3]!.conditions).toEqual([
      { kind: 'nfproto', negate: false, families: [4] },
      { kind: 'unknown', text: 'ip saddr == @missing' },
    ]);
    expect(rules[4]!.conditions).toEqual([{ kind: 'unknown', text: 'meta mark == 1' }]);
    expect(rules[4]!.text).toBe('meta mark 1 drop');
  });

  it('statements: counters and logs are neutral, queue and nat are unknown verdicts', () => {
    const ruleset = parsed(
      oneChain([
        [match(payload('tcp', 'dport'), 1), { counter: null }, { log: { prefix: 'x' } }],
        [match(payload('tcp', 'dport'), 2), { queue: { num: 1 } }],
        [match(payload('tcp', 'dport'), 3), { limit: { rate: 5, per: 'second' } }, { drop: null }],
        [{ reject: { type: 'tcp reset' } }],
        [{ 'some-new-statement': {} }],
        [{ goto: { target: 'other' } }],
      ]),
    );
    const rules = ruleset.tables[0]!.chains[0]!.rules;
    expect(rules[0]!.verdict).toBeNull();
    expect(rules[1]!.verdict).toMatchObject({ kind: 'unknown' });
    expect(rules[2]!.conditions[1]).toMatchObject({ kind: 'unknown' });
    expect(rules[2]!.verdict).toEqual({ kind: 'drop' });
    expect(rules[3]!.verdict).toEqual({ kind: 'reject', with: 'tcp reset' });
    expect(rules[3]!.text).toBe('reject with tcp reset');
    expect(rules[4]!.verdict).toMatchObject({ kind: 'unknown' });
    expect(rules[5]!.verdict).toEqual({ kind: 'goto', target: 'other' });
  });

  it('named verdict maps and chains given as priority names', () => {
    const text = JSON.stringify({
      nftables: [
        { table: { family: 'ip', name: 't' } },
        {
          map: {
            family: 'ip',
            table: 't',
            name: 'm',
            type: 'ifname',
            map: 'verdict',
            elem: [['eth0', { drop: null }]],
          },
        },
        {
          chain: {
            family: 'ip',
            table: 't',
            name: 'c',
            type: 'filter',
            hook: 'input',
            prio: 'filter + 5',
          },
        },
        {
          rule: {
            family: 'ip',
            table: 't',
            chain: 'c',
            expr: [{ vmap: { key: meta('iifname'), data: '@m' } }],
          },
        },
      ],
    });
    const chain = parsed(text).tables[0]!.chains[0]!;
    expect(chain.priority).toBe(5);
    expect(chain.policy).toBe('accept');
    expect(chain.rules[0]!.vmap).toEqual([
      {
        match: { kind: 'iface', negate: false, direction: 'in', names: ['eth0'] },
        verdict: { kind: 'drop' },
      },
    ]);
  });
});

describe('hostile or garbled nft output never throws', () => {
  it.each([
    ['empty', ''],
    ['not JSON', 'Error: syntax error'],
    ['wrong shape', '{"nftables": 5}'],
    ['an array', '[1,2,3]'],
    ['truncated', '{"nftables": [{"table": {"family": "inet", "name": "x"}}, {"chai'],
  ])('%s → an error result', (_name, text) => {
    const result = parseNftJson(text);
    expect(result.ok).toBe(false);
  });

  it('fuzz (deeper seed): a value String() cannot convert ({"toString": null}) is an error result', () => {
    const text = JSON.stringify({
      nftables: [
        { table: { family: 'inet', name: 't' } },
        { chain: { family: 'inet', table: 't', name: 'c', hook: 'input', prio: 0 } },
        {
          rule: {
            family: 'inet',
            table: 't',
            chain: 'c',
            expr: [{ jump: { target: { toString: null } } }],
          },
        },
      ],
    });
    expect(parseNftJson(text)).toEqual({
      ok: false,
      message: expect.stringContaining('nft printed JSON Paddock could not read'),
    });
  });

  it('skips objects it cannot read and says so', () => {
    const text = JSON.stringify({
      nftables: [
        null,
        7,
        { table: { family: 5 } },
        { chain: { family: 'inet', table: 'nope', name: 'x' } },
        { rule: { family: 'inet', table: 'nope', chain: 'x', expr: [] } },
        { table: { family: 'inet', name: 't' } },
        { chain: { family: 'inet', table: 't', name: 'c', hook: 'input', prio: {} } },
        {
          rule: {
            family: 'inet',
            table: 't',
            chain: 'c',
            expr: [
              null,
              'x',
              { match: 5 },
              { match: { op: '==', left: null, right: { deep: { deeper: [] } } } },
            ],
          },
        },
        { rule: { family: 'inet', table: 't', chain: 'c', expr: 'not an array' } },
      ],
    });
    const ruleset = parsed(text);
    expect(ruleset.warnings.join(' ')).toMatch(/could not be read/);
    const chain = ruleset.tables[0]!.chains[0]!;
    expect(chain.priority).toBeNull();
    expect(chain.rules).toHaveLength(1);
    expect(chain.rules[0]!.conditions.every((c) => c.kind === 'unknown')).toBe(true);
  });

  it('a hostile, deeply nested expression is rendered shortly and judged unknown', () => {
    const depth = 100_000;
    const nested = `${'{"set":['.repeat(depth)}1${']}'.repeat(depth)}`;
    const text = `{"nftables":[{"table":{"family":"inet","name":"t"}},{"chain":{"family":"inet","table":"t","name":"c","hook":"input","prio":0}},{"rule":{"family":"inet","table":"t","chain":"c","expr":[{"match":{"op":"==","left":{"meta":{"key":"mark"}},"right":${nested}}},{"drop":null}]}}]}`;
    const rule = parsed(text).tables[0]!.chains[0]!.rules[0]!;
    expect(rule.conditions[0]!.kind).toBe('unknown');
    expect(rule.text.length).toBeLessThanOrEqual(400);
  });

  it('caps what it keeps of absurd text', () => {
    const long = 'x'.repeat(100_000);
    const ruleset = parsed(oneChain([[match(meta(long), long), { drop: null }]]));
    const rule = ruleset.tables[0]!.chains[0]!.rules[0]!;
    expect(rule.text.length).toBeLessThanOrEqual(400);
    expect(
      rule.conditions[0]!.kind === 'unknown' && rule.conditions[0]!.text.length,
    ).toBeLessThanOrEqual(200);
  });
});

describe('dormant tables (issue 12)', () => {
  // Recorded on this development machine with nftables v1.0.6 (Debian 12): `nft -j list
  // ruleset` after `nft add table inet t2 '{ flags dormant; }'` printed the table's own name
  // (and `nft -j list tables` the release name) where the flag should be.
  const RECORDED_JSON =
    '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "t1", "handle": 1}}, {"table": {"family": "inet", "name": "t2", "handle": 2, "flags": "t2"}}]}';
  const RECORDED_TEXT =
    'table inet t2 {\n\tflags dormant\n\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 11434 drop\n\t}\n}\n';

  it('a flag JSON cannot show is unknown until the text form says; no flag is no flag', () => {
    const parsed = parseNftJson(RECORDED_JSON);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.ruleset.tables.map((t) => [t.name, t.dormant])).toEqual([
      ['t1', undefined],
      ['t2', null],
    ]);
    expect(dormantFromText(RECORDED_TEXT)).toBe(true);
    expect(dormantFromText(RECORDED_TEXT.replace('\tflags dormant\n', ''))).toBe(false);
    expect(dormantFromText(RECORDED_TEXT.replace('flags dormant', 'flags owner, dormant'))).toBe(
      true,
    );
    expect(dormantFromText('Error: No such file or directory')).toBeNull();
  });

  it('flags as libnftables-json(5) writes them are read directly', () => {
    expect(tableDormant('dormant')).toBe(true);
    expect(tableDormant(['owner', 'dormant'])).toBe(true);
    expect(tableDormant(['owner'])).toBe(false);
    expect(tableDormant('Lester Gooch #5')).toBeNull();
    expect(tableDormant(7)).toBeNull();
  });
});
