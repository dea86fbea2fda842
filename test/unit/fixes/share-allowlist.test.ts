/**
 * Issue 14, "only these machines": sources are validated and written canonically, the file is
 * generated from them alone, root accepts exactly that file and its own table's commands, and
 * a bad source is refused with the reason.
 */
import { describe, expect, it } from 'vitest';
import { privilegedPlanProblems } from '../../../electron/engine/fixes/allowlist';
import { buildSnapshot, lanPaths } from '../../rules/snapshots';
import {
  canonicalSource,
  firewalldShareRules,
  openToAllFamilies,
  nftShareRules,
  parseShareFile,
  shareFile,
} from '../../../electron/engine/fixes/recipes/share-allowlist';
import type { FixPlan, FixStep } from '../../../shared/fixes';

describe('canonicalSource', () => {
  it.each([
    ['192.168.1.50', '192.168.1.50'],
    ['192.168.1.77/24', '192.168.1.0/24'],
    ['100.64.0.0/10', '100.64.0.0/10'],
    ['FD00:0:0:0:0:0:0:50', 'fd00::50'],
    ['fd00::77/64', 'fd00::/64'],
  ])('%s → %s', (text, source) => {
    expect(canonicalSource(text)).toMatchObject({ ok: true, source });
  });
  it.each([
    ['0.0.0.0/0', /too much/],
    ['10.0.0.0/7', /too much/],
    ['::/0', /too much/],
    ['127.0.0.1', /loopback/],
    ['::1', /loopback/],
    ['0.0.0.0', /unspecified/],
    ['192.168.1.300', /not an IPv4 or IPv6/],
    ['10.0.0.1/33', /longer than/],
    ['10.0.0.1 } accept; {', /not an address/],
    ['', /not an address/],
  ])('refuses %j', (text, why) => {
    const c = canonicalSource(text);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.why).toMatch(why);
  });
});

/** A share-allowlist plan of these steps, for what root accepts of it. */
const plan = (steps: FixStep[]): FixPlan => ({
  fixId: 'share-allowlist',
  findingId: null,
  instance: 'ollama:port:11434',
  title: 't',
  summary: 's',
  warnings: [],
  requiresAdmin: true,
  steps,
  verification: {
    kind: 'shared-only-with',
    instance: 'ollama:port:11434',
    port: 11434,
    setting: '192.168.1.50,fd00::/64',
    description: '',
  },
  basedOn: '2026-12-06T00:00:00.000Z',
});

describe('the share file and what root accepts', () => {
  const file = shareFile(11434);
  const content = nftShareRules(11434, ['192.168.1.50', 'fd00::/64']);
  const write = (text: string): FixStep => ({
    kind: 'write-file',
    path: file,
    before: null,
    content: text,
    mode: 0o644,
    description: '',
  });
  const load: FixStep = {
    kind: 'run',
    argv: ['nft', '-f', file],
    undo: [
      'nft',
      'add',
      'table',
      'inet',
      'paddock_share_11434',
      ';',
      'delete',
      'table',
      'inet',
      'paddock_share_11434',
    ],
    description: '',
  };

  it('holds each family in its own set, loopback first, the drop last', () => {
    expect(content).toContain('elements = { 192.168.1.50 }');
    expect(content).toContain('elements = { fd00::/64 }');
    expect(content.indexOf('iifname "lo" accept')).toBeLessThan(
      content.indexOf('tcp dport 11434 drop'),
    );
    expect(parseShareFile(file, content)).toEqual({
      port: 11434,
      sources: ['192.168.1.50', 'fd00::/64'],
    });
  });

  it('root accepts the generated file and its own table’s load and undo', () => {
    expect(privilegedPlanProblems(plan([write(content), load]), null)).toEqual([]);
  });

  it.each([
    [
      'an added accept for everyone',
      content.replace('\t\ttcp dport 11434 drop', '\t\taccept\n\t\ttcp dport 11434 drop'),
    ],
    ['a source that is not canonical', content.replace('192.168.1.50', '192.168.001.50')],
    ['everyone as a source', content.replace('192.168.1.50', '0.0.0.0/0')],
    ['the drop removed', content.replace('\t\ttcp dport 11434 drop\n', '')],
    ['another table flushed', `flush ruleset\n${content}`],
  ])('root refuses a share file with %s', (_what, text) => {
    expect(privilegedPlanProblems(plan([write(text), load]), null)).not.toEqual([]);
  });

  it('root refuses loading any other file or deleting any other table', () => {
    expect(
      privilegedPlanProblems(
        plan([
          {
            ...load,
            undo: ['nft', 'add', 'table', 'inet', 'x', ';', 'delete', 'table', 'inet', 'x'],
          },
        ]),
        null,
      ),
    ).not.toEqual([]);
    expect(
      privilegedPlanProblems(
        plan([{ ...load, argv: ['nft', '-f', '/etc/paddock/nftables.d/share-11434.nft.bak'] }]),
        null,
      ),
    ).not.toEqual([]);
  });
});

describe('openToAllFamilies: where an allow of the firewall manager opens nothing', () => {
  it('every path of a family open to any machine; one that lets in only some sources, or is blocked, takes the family out', () => {
    const snap = buildSnapshot({
      instances: [{ pid: 42, listeners: [{ address: '::', port: 11434, via: lanPaths() }] }],
    });
    const instance = snap.instances[0]!;
    expect([...openToAllFamilies(instance)].sort()).toEqual(['11434/4', '11434/6']);
    const v4 = instance.listeners[0]!.reachableVia.find((v) => !v.address.includes(':'))!;
    v4.onlyFrom = ['192.168.1.50'];
    expect([...openToAllFamilies(instance)]).toEqual(['11434/6']);
    const v6 = instance.listeners[0]!.reachableVia.find((v) => v.address.includes(':'))!;
    v6.open = false;
    expect([...openToAllFamilies(instance)]).toEqual([]);
  });
});

describe('the rules of the firewall manager in use: what root accepts', () => {
  const run = (argv: string[], undo: string[] | null): FixStep => ({
    kind: 'run',
    argv,
    undo,
    description: '',
  });
  const deny = run(
    ['ufw', 'prepend', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
    ['ufw', 'delete', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
  );
  const allow = (source: string, port = '11434') =>
    run(
      ['ufw', 'prepend', 'allow', 'proto', 'tcp', 'from', source, 'to', 'any', 'port', port],
      ['ufw', 'delete', 'allow', 'proto', 'tcp', 'from', source, 'to', 'any', 'port', port],
    );
  const { accepts, reject } = firewalldShareRules(['192.168.1.50', 'fd00::/64'], 11434, -1);
  const fw = (rule: string) =>
    run(
      ['firewall-cmd', '--zone=public', `--add-rich-rule=${rule}`],
      ['firewall-cmd', '--zone=public', `--remove-rich-rule=${rule}`],
    );

  it('ufw: an allow for each chosen source above the deny of the port', () => {
    expect(
      privilegedPlanProblems(plan([deny, allow('192.168.1.50'), allow('fd00::/64')]), null),
    ).toEqual([]);
  });
  it.each([
    ['an allow with no deny before it', [allow('192.168.1.50')], /no deny of port 11434 before it/],
    ['an allow before the deny', [allow('192.168.1.50'), deny], /no deny of port 11434 before it/],
    [
      'an allow for every address',
      [deny, allow('0.0.0.0/0')],
      /not an allow for one chosen source/,
    ],
    [
      'an allow for a source not written canonically',
      [deny, allow('192.168.1.77/24')],
      /not an allow for one chosen source/,
    ],
    [
      'an allow with another command riding along',
      [deny, allow('192.168.1.50; reset')],
      /not an allow/,
    ],
    [
      'an allow that is never undone',
      [deny, { ...allow('192.168.1.50'), undo: null } as FixStep],
      /undone only by deleting that allow/,
    ],
  ])('ufw: refuses %s', (_what, steps, why) => {
    expect(privilegedPlanProblems(plan(steps as FixStep[]), null).join('; ')).toMatch(why);
  });
  it('ufw: with root’s scan, only on a port every machine reaches already over that family (it never opens one)', () => {
    const context = {
      units: new Set<string>(),
      envFiles: new Set<string>(),
      openToAll: new Set(['11434/6', '8080/4']),
    };
    expect(privilegedPlanProblems(plan([deny, allow('192.168.1.50')]), context).join('; ')).toMatch(
      /not open to every machine over that family/,
    );
    expect(privilegedPlanProblems(plan([deny, allow('fd00::/64')]), context)).toEqual([]);
  });
  it('firewalld: an accept for each source at a priority ahead of the reject of the port', () => {
    expect(accepts[0]).toBe(
      'rule family="ipv4" priority="-2" source address="192.168.1.50" port port="11434" protocol="tcp" accept',
    );
    expect(accepts[1]).toMatch(/^rule family="ipv6" priority="-2" source address="fd00::\/64"/);
    expect(privilegedPlanProblems(plan([...accepts.map(fw), fw(reject)]), null)).toEqual([]);
  });
  it.each([
    ['an accept with no reject', () => [fw(accepts[0]!)], /no reject of port 11434 after it/],
    [
      'a reject evaluated before the accept',
      () => [fw(accepts[0]!), fw(firewalldShareRules(['192.168.1.50'], 11434, -3).reject)],
      /no reject of port 11434 after it/,
    ],
    [
      'an accept whose family is not its address’s',
      () => [fw(accepts[0]!.replace('ipv4', 'ipv6')), fw(reject)],
      /not a reject rule of the shape/,
    ],
    [
      'an accept for every address',
      () => [fw(accepts[0]!.replace('192.168.1.50', '0.0.0.0/0')), fw(reject)],
      /not a reject rule of the shape/,
    ],
  ])('firewalld: refuses %s', (_what, steps, why) => {
    expect(privilegedPlanProblems(plan(steps()), null).join('; ')).toMatch(why);
  });
});
