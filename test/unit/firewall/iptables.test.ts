import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseIptablesSave,
  tokenize,
} from '../../../electron/engine/probes/linux/firewall/iptables';
import type { FirewallChain } from '../../../shared/firewall';

const fixture = (name: string) =>
  fs.readFileSync(new URL(`../../fixtures/linux/firewall/${name}`, import.meta.url), 'utf8');

function save(text: string, family: 4 | 6 = 4) {
  const result = parseIptablesSave(text, family);
  if (!result.ok) throw new Error(result.message);
  return result;
}

const chain = (text: string, table: string, name: string, family: 4 | 6 = 4): FirewallChain =>
  save(text, family)
    .ruleset.tables.find((t) => t.name === table)!
    .chains.find((c) => c.name === name)!;

describe('iptables-save, recorded in the lab', () => {
  it('iptables-nft-save: variant, policy, user chain, multiport, conntrack, comment, LOG', () => {
    const result = save(fixture('iptables-nft-save.txt'));
    expect(result.variant).toBe('nft');
    expect(result.ruleset.version).toBe('1.8.9');
    const filter = result.ruleset.tables.find((t) => t.name === 'filter')!;
    expect(filter.family).toBe('ip');
    const input = filter.chains.find((c) => c.name === 'INPUT')!;
    expect(input).toMatchObject({ hook: 'input', priority: 0, policy: 'drop', type: 'filter' });
    expect(filter.chains.find((c) => c.name === 'PDK')).toMatchObject({ hook: null, policy: null });
    const [lo, established, lan, log] = input.rules;
    expect(lo!.conditions).toEqual([
      { kind: 'iface', negate: false, direction: 'in', names: ['lo'] },
    ]);
    expect(established!.conditions).toEqual([
      { kind: 'ctstate', negate: false, states: ['related', 'established'] },
    ]);
    expect(lan!.conditions).toEqual([
      {
        kind: 'addr',
        negate: false,
        direction: 'saddr',
        family: 4,
        items: [expect.stringMatching(/^10\.251\.\d+\.0\/24$/)],
      },
      { kind: 'l4proto', negate: false, protocols: ['tcp'] },
      {
        kind: 'port',
        negate: false,
        direction: 'dport',
        protocol: 'tcp',
        ranges: [
          [22, 22],
          [11434, 11434],
        ],
      },
    ]);
    expect(lan!.verdict).toEqual({ kind: 'jump', target: 'PDK' });
    expect(log!.verdict).toBeNull();
    expect(log!.conditions).toEqual([{ kind: 'unknown', text: '-m limit --limit 5/min' }]);
    const pdk = filter.chains.find((c) => c.name === 'PDK')!;
    expect(pdk.rules[0]).toMatchObject({ conditions: [], verdict: { kind: 'accept' } });
  });

  it('ip6tables-nft-save: negated port', () => {
    const input = chain(fixture('ip6tables-nft-save.txt'), 'filter', 'INPUT', 6);
    expect(input.rules[1]!.conditions).toEqual([
      { kind: 'l4proto', negate: false, protocols: ['tcp'] },
      { kind: 'port', negate: true, direction: 'dport', protocol: 'tcp', ranges: [[22, 22]] },
    ]);
  });

  it('iptables-legacy-save (no variant in its header)', () => {
    const legacy = save(fixture('iptables-legacy-save.txt'));
    expect(legacy.variant).toBe('legacy');
    const input = legacy.ruleset.tables[0]!.chains.find((c) => c.name === 'INPUT')!;
    expect(input.rules[0]!.verdict).toEqual({ kind: 'reject', with: 'tcp-reset' });
  });

  it('keeps the warnings iptables-nft gives', () => {
    const result = save(
      '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n',
    );
    expect(result.ruleset.warnings).toEqual([
      'Warning: iptables-legacy tables present, use iptables-legacy-save to see them',
    ]);
  });

  it("ufw's chains: addrtype, recent, icmp, REJECT and jumps", () => {
    const text = fixture('ufw-iptables-save.txt');
    const notLocal = chain(text, 'filter', 'ufw-not-local');
    expect(notLocal.rules[0]!.conditions).toEqual([
      { kind: 'addrtype', negate: false, direction: 'daddr', types: ['local'] },
    ]);
    expect(notLocal.rules[0]!.verdict).toEqual({ kind: 'return' });
    const userInput = chain(text, 'filter', 'ufw-user-input');
    const recent = userInput.rules.find((r) => r.text.includes('--update'))!;
    expect(recent.conditions).toContainEqual(
      expect.objectContaining({ kind: 'unknown', text: expect.stringContaining('-m recent') }),
    );
    expect(recent.verdict).toEqual({ kind: 'jump', target: 'ufw-user-limit' });
    const before = chain(text, 'filter', 'ufw-before-input');
    const icmp = before.rules.find((r) => r.text.includes('--icmp-type 3'))!;
    expect(icmp.conditions).toContainEqual({ kind: 'l4proto', negate: false, protocols: ['icmp'] });
    const ip6 = chain(fixture('ufw-ip6tables-save.txt'), 'filter', 'ufw6-user-input', 6);
    const fd00 = ip6.rules.find((r) => r.text.includes('fd00::/8'))!;
    expect(fd00.conditions).toContainEqual({
      kind: 'addr',
      negate: false,
      direction: 'saddr',
      family: 6,
      items: ['fd00::/8'],
    });
  });
});

describe('iptables-save line shapes', () => {
  it('tokenizes quoted words the way iptables-save writes them', () => {
    expect(tokenize('-A INPUT -m comment --comment "a \\"quoted\\" word" -j ACCEPT')).toEqual([
      '-A',
      'INPUT',
      '-m',
      'comment',
      '--comment',
      'a "quoted" word',
      '-j',
      'ACCEPT',
    ]);
    expect(tokenize('--log-prefix "" -j LOG')).toEqual(['--log-prefix', '', '-j', 'LOG']);
  });

  it('masks, interface wildcards, goto, counters, unknown targets and matches', () => {
    const text = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':X - [0:0]',
      '[5:300] -A INPUT -s 10.0.0.0/255.255.0.0 -i eth+ -j X',
      '-A INPUT ! -d 10.0.0.1/32 -p 6 -j DROP',
      '-A INPUT -g X',
      '-A INPUT -p tcp -j TARPIT',
      '-A INPUT -m set --match-set blocklist src -j DROP',
      '-A INPUT -p tcp -m multiport --ports 80 -j DROP',
      '-A INPUT -s 10.0.0.0/255.0.255.0 -j DROP',
      'COMMIT',
    ].join('\n');
    const input = chain(text, 'filter', 'INPUT');
    expect(input.rules[0]!.conditions).toEqual([
      { kind: 'addr', negate: false, direction: 'saddr', family: 4, items: ['10.0.0.0/16'] },
      { kind: 'iface', negate: false, direction: 'in', names: ['eth*'] },
    ]);
    expect(input.rules[0]!.text).toBe('-A INPUT -s 10.0.0.0/255.255.0.0 -i eth+ -j X');
    expect(input.rules[1]!.conditions).toEqual([
      { kind: 'addr', negate: true, direction: 'daddr', family: 4, items: ['10.0.0.1/32'] },
      { kind: 'l4proto', negate: false, protocols: ['tcp'] },
    ]);
    expect(input.rules[2]!.verdict).toEqual({ kind: 'goto', target: 'X' });
    expect(input.rules[3]!.verdict).toEqual({ kind: 'unknown', text: '-j TARPIT' });
    expect(input.rules[4]!.conditions).toEqual([
      { kind: 'unknown', text: '-m set --match-set blocklist src' },
    ]);
    expect(input.rules[5]!.conditions[1]).toMatchObject({ direction: 'either', protocol: 'tcp' });
    expect(input.rules[6]!.conditions).toEqual([
      { kind: 'unknown', text: '-s 10.0.0.0/255.0.255.0' },
    ]);
  });

  it('mangle and security INPUT chains are base chains too, with their priorities', () => {
    const text = [
      '*mangle',
      ':INPUT ACCEPT [0:0]',
      'COMMIT',
      '*security',
      ':INPUT ACCEPT [0:0]',
      'COMMIT',
    ].join('\n');
    const tables = save(text).ruleset.tables;
    expect(tables.map((t) => [t.name, t.chains[0]!.hook, t.chains[0]!.priority])).toEqual([
      ['mangle', 'input', -150],
      ['security', 'input', 50],
    ]);
  });

  it('an incompatible table is left to nft and noted', () => {
    const result = save("# Table `filter' is incompatible, use 'nft' tool.\n");
    expect(result.ruleset.tables).toEqual([]);
    expect(result.ruleset.warnings[0]).toMatch(/incompatible/);
  });

  it('garbled output: an error, or warnings, never a throw', () => {
    expect(parseIptablesSave('complete nonsense\nmore', 4).ok).toBe(false);
    const cut = save('*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport');
    expect(cut.ruleset.warnings.join(' ')).toMatch(/no COMMIT/);
    const rule = cut.ruleset.tables[0]!.chains[0]!.rules[0]!;
    expect(rule.verdict).toBeNull();
    expect(save('').ruleset.tables).toEqual([]);
    expect(save('*filter\n:INPUT\nCOMMIT\n').ruleset.warnings.join(' ')).toMatch(
      /could not be read/,
    );
  });
});
