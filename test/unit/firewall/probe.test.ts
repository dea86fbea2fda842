/**
 * The firewall probe on a fake host that answers with the outputs recorded in the lab
 * (test/fixtures/linux/firewall/, header line removed as the real tools print none), then
 * the evaluator on its facts: the same path `paddock scan` takes, without root.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateFirewall } from '../../../electron/engine/firewall/evaluate';
import type { ExecResult } from '../../../electron/engine/host/types';
import { stripLeadingComments } from '../../../electron/engine/probes/linux/firewall/common';
import { probeFirewall } from '../../../electron/engine/probes/linux/firewall/probe';
import type { FirewallFacts, FirewallQuery } from '../../../shared/firewall';
import { firewallFactsSchema } from '../../../shared/firewall';
import type { FakeHostSpec } from '../../support/fake-host';
import { createFakeHost } from '../../support/fake-host';

const raw = (name: string) =>
  fs.readFileSync(new URL(`../../fixtures/linux/firewall/${name}`, import.meta.url), 'utf8');
/** What the tool printed: the fixture without its header line. */
const out = (name: string) => stripLeadingComments(raw(name));
const ok = (stdout: string): Partial<ExecResult> => ({ code: 0, stdout });

/** The lab's LAN subnet prefix ("10.251.233") and host interface, as recorded. */
const LAN = /10\.251\.(\d+)\.0\/24/.exec(raw('ufw-user.rules.txt'))![0].replace('.0/24', '');
const IFACE = /in_(pk\S+)/.exec(raw('ufw-user.rules.txt'))![1]!;
/** The lab's ULA prefix for the same subnet: fd51:<third octet in hex>::/64. */
const ULA = `fd51:${Number(LAN.split('.')[2]).toString(16)}:`;

const EMPTY_SAVE = ok('');
/**
 * The kernel's list of loaded legacy tables: the probe runs iptables-legacy-save only when
 * it names some (recorded lab states had legacy tables loaded).
 */
const LEGACY_LOADED = {
  '/proc/net/ip_tables_names': 'filter\n',
  '/proc/net/ip6_tables_names': 'filter\n',
};
/** A fake host as root, with legacy tables loaded unless the spec says otherwise. */
const rootHost = (spec: FakeHostSpec = {}) =>
  createFakeHost({ uid: 0, ...spec, files: { ...LEGACY_LOADED, ...spec.files } });
const NO_FIREWALLD: FakeHostSpec['exec'] = {};

function query(over: Partial<FirewallQuery> = {}): FirewallQuery {
  return {
    port: 11434,
    family: 4,
    interface: IFACE,
    source: 'lan',
    peerAddress: `${LAN}.2`,
    localAddress: `${LAN}.1`,
    ...over,
  };
}
const v6 = (over: Partial<FirewallQuery> = {}) =>
  query({ family: 6, peerAddress: `${ULA}:2`, localAddress: `${ULA}:1`, ...over });

async function facts(spec: FakeHostSpec): Promise<FirewallFacts> {
  const result = await probeFirewall(rootHost(spec));
  // Whatever the probe returns must be valid, serialisable facts.
  firewallFactsSchema.parse(JSON.parse(JSON.stringify(result.data)));
  return result.data;
}

const ufwSpec = (): FakeHostSpec => ({
  exec: {
    'nft -j list ruleset': ok(out('nft-ufw.json.txt')),
    'iptables-nft-save': ok(out('ufw-iptables-save.txt')),
    'ip6tables-nft-save': ok(out('ufw-ip6tables-save.txt')),
    'iptables-legacy-save': EMPTY_SAVE,
    'ip6tables-legacy-save': EMPTY_SAVE,
    'ufw status verbose': ok(out('ufw-status-verbose.txt')),
    ...NO_FIREWALLD,
  },
  files: {
    '/etc/ufw/ufw.conf': 'ENABLED=yes\n',
    '/etc/default/ufw': out('ufw-default.txt'),
    '/etc/ufw/user.rules': out('ufw-user.rules.txt'),
    '/etc/ufw/user6.rules': out('ufw-user6.rules.txt'),
  },
});

describe('ufw, as recorded in the lab', () => {
  it('reads every backend with its own status', async () => {
    const result = await probeFirewall(rootHost(ufwSpec()));
    expect(result.status).toBe('ok');
    expect(result.data.nftables.status).toBe('ok');
    expect(result.data.iptables.map((i) => [i.variant, i.family, i.status])).toEqual([
      ['nft', 4, 'ok'],
      ['legacy', 4, 'ok'],
      ['nft', 6, 'ok'],
      ['legacy', 6, 'ok'],
    ]);
    expect(result.data.ufw.model).toMatchObject({
      active: true,
      enabledAtBoot: true,
      defaultIncoming: 'deny',
      ipv6: true,
      rulesSource: 'user.rules',
    });
    expect(result.data.firewalld).toMatchObject({ status: 'unavailable', model: null });
    expect(result.evidence.map((e) => e.ref)).toContain('nft -j list ruleset');
  });

  it.each<[string, Partial<FirewallQuery>, 'allowed' | 'blocked', RegExp]>([
    ['the LAN subnet is denied first', {}, 'blocked', /^deny in proto tcp from 10\.251/],
    [
      'anyone else is allowed',
      { source: 'internet', peerAddress: '198.51.100.200' },
      'allowed',
      /^allow in proto tcp from any to any port 11434$/,
    ],
    [
      'IPv6 has no deny rule',
      { family: 6, peerAddress: `${ULA}:2`, localAddress: `${ULA}:1` },
      'allowed',
      /port 11434/,
    ],
    ['a port ufw says nothing about', { port: 5000 }, 'blocked', /^default deny \(incoming\)$/],
    ['a port allowed on this interface only', { port: 8080 }, 'allowed', /on pk\S+ proto tcp/],
    [
      'the same port on another interface',
      { port: 8080, interface: 'eth9' },
      'blocked',
      /default deny/,
    ],
    [
      'a rejected source',
      { port: 5000, peerAddress: '192.168.77.5' },
      'blocked',
      /^reject in from 192\.168\.77\.5/,
    ],
  ])('%s', async (_name, over, decision, rule) => {
    const ev = evaluateFirewall(await facts(ufwSpec()), query(over));
    expect(ev.decision).toBe(decision);
    expect(ev.decidedBy[0]).toMatchObject({ layer: 'ufw', decision });
    expect(ev.decidedBy[0]!.rule).toMatch(rule);
    // ufw's model and the loaded chains agree, and the nft view of the same table is not counted.
    expect(ev.notes).toEqual([]);
    expect(ev.layers.filter((l) => l.layer === 'nftables')).toEqual([]);
    expect(ev.decidedBy[1]).toMatchObject({
      layer: over.family === 6 ? 'iptables-nft' : 'iptables-nft',
    });
  });

  it('a `limit` rule: the loaded chains use -m recent, so ufw decides (rate-limited)', async () => {
    const ev = evaluateFirewall(await facts(ufwSpec()), query({ port: 22 }));
    expect(ev.decision).toBe('allowed');
    expect(ev.notes.join(' ')).toMatch(/-m recent.*not modelled; ufw's own configuration decides/);
    expect(ev.layers[0]).toMatchObject({ layer: 'iptables-nft', decision: 'allowed' });
  });

  it('without iptables-save, the nft view of ufw’s table is walked and ufw explains it', async () => {
    const spec = ufwSpec();
    for (const key of Object.keys(spec.exec!)) if (key.includes('tables-')) delete spec.exec![key];
    const f = await facts(spec);
    // No iptables table anywhere: nothing of iptables is judged.
    expect(f.iptables.every((i) => (i.ruleset?.tables.length ?? 0) === 0)).toBe(true);
    const lan = evaluateFirewall(f, query());
    expect(lan.decision).toBe('blocked');
    // -p tcp --dport 11434 -s LAN -j DROP is plain enough to show through nft's view.
    expect(lan.layers.find((l) => l.layer === 'nftables')).toMatchObject({ decision: 'blocked' });
    const other = evaluateFirewall(f, query({ port: 5000 }));
    expect(other.decision).toBe('blocked');
  });
});

const firewalldSpec = (): FakeHostSpec => ({
  exec: {
    'nft -j list ruleset': ok(out('nft-firewalld.json.txt')),
    'iptables-nft-save': EMPTY_SAVE,
    'ip6tables-nft-save': EMPTY_SAVE,
    'iptables-legacy-save': EMPTY_SAVE,
    'ip6tables-legacy-save': EMPTY_SAVE,
    'firewall-cmd --state': ok(out('firewall-cmd-state.txt')),
    'firewall-cmd --get-default-zone': ok(out('firewall-cmd-get-default-zone.txt')),
    'firewall-cmd --list-all-zones': ok(out('firewall-cmd-list-all-zones.txt')),
    'firewall-cmd --list-all-policies': ok(out('firewall-cmd-list-all-policies.txt')),
  },
  files: {
    '/usr/lib/firewalld/services/ssh.xml': out('firewalld-service-ssh.xml.txt'),
    '/usr/lib/firewalld/services/dhcpv6-client.xml': out('firewalld-service-dhcpv6-client.xml.txt'),
    '/etc/firewalld/services/pdk-ollama.xml': out('firewalld-service-pdk-ollama.xml.txt'),
    '/usr/lib/firewalld/services/mdns.xml': out('firewalld-service-mdns.xml.txt'),
    '/usr/lib/firewalld/services/samba-client.xml': out('firewalld-service-samba-client.xml.txt'),
    '/usr/lib/firewalld/services/netbios-ns.xml': out('firewalld-service-netbios-ns.xml.txt'),
  },
});

describe('firewalld, as recorded in the lab', () => {
  it('reads state, zones, policies and the services they name', async () => {
    const f = await facts(firewalldSpec());
    expect(f.firewalld.status).toBe('ok');
    expect(f.firewalld.model).toMatchObject({ running: true, defaultZone: 'public' });
    expect(Object.keys(f.firewalld.model!.services).sort()).toEqual([
      'dhcpv6-client',
      'mdns',
      'netbios-ns',
      'pdk-ollama',
      'samba-client',
      'ssh',
    ]);
    expect(f.firewalld.model!.services['pdk-ollama']!.source).toBe(
      '/etc/firewalld/services/pdk-ollama.xml',
    );
    // samba-client includes netbios-ns: included definitions are read as well.
    expect(f.firewalld.model!.services['samba-client']!.includes).toEqual(['netbios-ns']);
    expect(f.firewalld.model!.unresolvedServices).toEqual([]);
    expect(f.ufw.status).toBe('unavailable');
  });

  it.each<[string, Partial<FirewallQuery>, 'allowed' | 'blocked', RegExp]>([
    [
      'a rich rule rejects IPv4 from the LAN',
      {},
      'blocked',
      /rich rule rule family="ipv4" source address="10\.251/,
    ],
    [
      'a custom service allows IPv6',
      { family: 6, peerAddress: `${ULA}:2`, localAddress: `${ULA}:1` },
      'allowed',
      /^zone public: service pdk-ollama \(11434\/tcp 8080\/tcp\)$/,
    ],
    ['the other port of that service', { port: 8080 }, 'allowed', /service pdk-ollama/],
    ['ssh', { port: 22 }, 'allowed', /service ssh \(22\/tcp\)/],
    [
      'anything else meets the zone target',
      { port: 9999 },
      'blocked',
      /^zone public: target default \(reject\)/,
    ],
    [
      'a source bound to the internal zone',
      { port: 11434, peerAddress: '192.168.77.9' },
      'blocked',
      /^zone internal: target default/,
    ],
    [
      'the internal zone allows ssh',
      { port: 22, peerAddress: '192.168.77.9' },
      'allowed',
      /^zone internal: service ssh/,
    ],
  ])('%s', async (_name, over, decision, rule) => {
    const ev = evaluateFirewall(await facts(firewalldSpec()), query(over));
    expect(ev.decision).toBe(decision);
    expect(ev.decidedBy[0]).toMatchObject({ layer: 'firewalld', decision });
    expect(ev.decidedBy[0]!.rule).toMatch(rule);
    expect(ev.notes).toEqual([]);
    expect(ev.layers.filter((l) => l.layer === 'nftables').map((l) => l.where)).toEqual([
      expect.stringMatching(/^inet firewalld filter_INPUT/),
    ]);
  });

  it('a service whose definition cannot be read leaves the model unsure; the kernel decides', async () => {
    const spec = firewalldSpec();
    delete spec.files!['/usr/lib/firewalld/services/mdns.xml'];
    const ev = evaluateFirewall(await facts(spec), query({ peerAddress: '192.168.77.9' }));
    expect(ev.decision).toBe('blocked');
    expect(ev.decidedBy.map((s) => s.layer)).toEqual(['nftables']);
    expect(ev.notes).toEqual([]);
    expect(ev.layers.find((l) => l.layer === 'firewalld')).toMatchObject({
      decision: 'unknown',
      rule: expect.stringContaining('service mdns (definition not found)'),
    });
  });

  it('firewalld not running, and no system bus at all', async () => {
    const notRunning = await facts({
      exec: { 'firewall-cmd --state': { code: 252, stdout: 'not running\n' } },
    });
    expect(notRunning.firewalld).toMatchObject({ status: 'ok', model: { running: false } });
    const noBus = await facts({
      exec: {
        'firewall-cmd --state': {
          code: 36,
          stderr:
            'Error: DBUS_ERROR: Failed to connect to socket /run/dbus/system_bus_socket: No such file or directory\n',
        },
      },
    });
    expect(noBus.firewalld).toMatchObject({ status: 'ok', model: { running: false } });
    expect(noBus.firewalld.message).toMatch(/no D-Bus system bus/);
  });
});

describe('iptables, both variants, as recorded in the lab', () => {
  const spec = (): FakeHostSpec => ({
    exec: {
      'nft -j list ruleset': ok(out('nft-iptables.json.txt')),
      'iptables-nft-save': ok(out('iptables-nft-save.txt')),
      'ip6tables-nft-save': ok(out('ip6tables-nft-save.txt')),
      'iptables-legacy-save': ok(out('iptables-legacy-save.txt')),
      'ip6tables-legacy-save': EMPTY_SAVE,
    },
  });

  it('legacy rejects IPv4; IPv6 passes its own table', async () => {
    const f = await facts(spec());
    const four = evaluateFirewall(f, query());
    expect(four.decision).toBe('blocked');
    expect(four.decidedBy.map((s) => s.layer)).toEqual(['iptables-legacy']);
    expect(four.layers.map((s) => `${s.layer}: ${s.decision}`)).toEqual([
      'iptables-nft: allowed',
      'iptables-legacy: blocked',
    ]);
    const six = evaluateFirewall(f, v6());
    expect(six.decision).toBe('allowed');
    expect(evaluateFirewall(f, v6({ port: 22 })).decision).toBe('blocked');
  });

  it('only iptables-save (iptables before 1.8): read once, variant from its header', async () => {
    const f = await facts({
      exec: {
        'nft -j list ruleset': ok('{"nftables": [{"metainfo": {"version": "1.0.6"}}]}'),
        'iptables-save': ok(out('iptables-legacy-save.txt')),
        'ip6tables-save': EMPTY_SAVE,
      },
    });
    expect(f.iptables.map((i) => [i.variant, i.family, i.status])).toEqual([
      ['legacy', 4, 'ok'],
      ['legacy', 6, 'ok'],
    ]);
    expect(evaluateFirewall(f, query()).decision).toBe('blocked');
  });
});

describe('plain nftables, as recorded in the lab', () => {
  const spec = (): FakeHostSpec => ({
    exec: { 'nft -j list ruleset': ok(out('nft-plain.json.txt')) },
  });
  it.each<[string, Partial<FirewallQuery>, 'allowed' | 'blocked' | 'unknown']>([
    ['the LAN set', {}, 'allowed'],
    ['from outside the set', { source: 'internet', peerAddress: '198.51.100.200' }, 'blocked'],
    ['another interface', { interface: 'eth9' }, 'blocked'],
    [
      'IPv6 from the ULA range',
      { family: 6, peerAddress: `${ULA}:2`, localAddress: `${ULA}:1` },
      'allowed',
    ],
    [
      'IPv6 to port 22',
      { port: 22, family: 6, peerAddress: `${ULA}:2`, localAddress: `${ULA}:1` },
      'blocked',
    ],
    ['a peer address nobody knows', { peerAddress: null }, 'unknown'],
  ])('%s', async (_name, over, decision) => {
    const f = await facts(spec());
    // No iptables table anywhere: nothing of iptables is judged.
    expect(f.iptables.every((i) => (i.ruleset?.tables.length ?? 0) === 0)).toBe(true);
    const ev = evaluateFirewall(f, query(over));
    expect(ev.decision).toBe(decision);
  });
});

describe('without root, missing tools, garbage', () => {
  const deniedSpec = (): FakeHostSpec => ({
    uid: 1000,
    exec: {
      'nft -j list ruleset': {
        code: 1,
        stderr:
          'Operation not permitted (you must be root)\nnetlink: Error: cache initialization failed: Operation not permitted\n',
      },
      'iptables-nft-save': {
        code: 4,
        stderr:
          'iptables-nft-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n',
      },
      'ip6tables-nft-save': { code: 4, stderr: 'Permission denied (you must be root)\n' },
      'iptables-legacy-save': {
        code: 1,
        stderr: 'Failed to list table names in /proc/net/ip_tables_names: Permission denied\n',
      },
      'ip6tables-legacy-save': {
        code: 1,
        stderr: 'Failed to list table names in /proc/net/ip6_tables_names: Permission denied\n',
      },
      'ufw status verbose': { code: 1, stderr: 'ERROR: You need to be root to run this script\n' },
    },
    files: { '/etc/ufw/ufw.conf': 'ENABLED=yes\n', '/etc/default/ufw': out('ufw-default.txt') },
    fileErrors: { '/etc/ufw/user.rules': 'EACCES', '/etc/ufw/user6.rules': 'EACCES' },
  });

  it('everything denied: said so, and the answer is unknown, never "no firewall"', async () => {
    const result = await probeFirewall(
      createFakeHost({ ...deniedSpec(), files: { ...LEGACY_LOADED, ...deniedSpec().files } }),
    );
    expect(result.status).toBe('denied');
    expect(result.data.nftables.status).toBe('denied');
    expect(result.data.iptables.map((i) => i.status)).toEqual([
      'denied',
      'denied',
      'denied',
      'denied',
    ]);
    expect(result.data.ufw).toMatchObject({
      status: 'denied',
      model: { active: null, enabledAtBoot: true, defaultIncoming: 'deny', rules: null },
    });
    expect(result.message).toMatch(/nftables: denied/);
    const ev = evaluateFirewall(result.data, query());
    expect(ev.decision).toBe('unknown');
    expect(ev.decidedBy.map((s) => s.rule).join('\n')).toMatch(/denied/);
    expect(ev.decidedBy.map((s) => s.rule).join('\n')).toMatch(
      /ufw is enabled .* only be read as root/,
    );
  });

  it('without root, a running firewalld that rejects is still a firm answer', async () => {
    const spec = deniedSpec();
    Object.assign(spec.exec!, firewalldSpec().exec);
    for (const key of [
      'nft -j list ruleset',
      'iptables-nft-save',
      'ip6tables-nft-save',
      'iptables-legacy-save',
      'ip6tables-legacy-save',
    ])
      spec.exec![key] = deniedSpec().exec![key]!;
    spec.files = { ...spec.files, ...firewalldSpec().files };
    const f = await facts(spec);
    expect(evaluateFirewall(f, query({ port: 9999 })).decision).toBe('blocked');
    expect(evaluateFirewall(f, query({ port: 22 })).decision).toBe('unknown');
  });

  it('no firewall tool at all: unavailable, and unknown (rules may exist that nothing can list)', async () => {
    const result = await probeFirewall(rootHost());
    expect(result.status).toBe('unavailable');
    const ev = evaluateFirewall(result.data, query());
    expect(ev.decision).toBe('unknown');
    expect(ev.decidedBy[0]!.rule).toMatch(/nft is not installed/);
  });

  it('tools found outside PATH, in the sbin directories', async () => {
    const host = createFakeHost({
      uid: 0,
      exec: { '/usr/sbin/nft -j list ruleset': ok('{"nftables": []}') },
    });
    const result = await probeFirewall(host);
    expect(result.data.nftables.status).toBe('ok');
    expect(result.data.nftables.evidence[0]!.ref).toBe('/usr/sbin/nft -j list ruleset');
    expect(host.execCalls.map((c) => c[0])).toContain('nft');
  });

  it.each<[string, Partial<ExecResult>, string]>([
    ['garbage', ok('<html>not json</html>'), 'not JSON'],
    ['a timeout', { code: null, timedOut: true, signal: 'SIGKILL' }, 'did not answer in time'],
    ['too much output', { code: null, truncated: true, signal: 'SIGKILL' }, 'printed more'],
    ['a crash', { code: 139, signal: null, stderr: 'Segmentation fault' }, 'exited with 139'],
  ])('nft: %s is an error with a message', async (_name, result, message) => {
    const f = await facts({ exec: { 'nft -j list ruleset': result } });
    expect(f.nftables.status).toBe('error');
    expect(f.nftables.message).toContain(message);
    expect(evaluateFirewall(f, query()).decision).toBe('unknown');
  });

  it('a host whose exec throws: the probe still answers', async () => {
    const host = createFakeHost({ uid: 0 });
    host.exec = () => Promise.reject(new Error('boom'));
    const result = await probeFirewall(host);
    expect(result.status).toBe('error');
    expect(result.data.nftables).toMatchObject({ status: 'error', message: 'failed: boom' });
    expect(evaluateFirewall(result.data, query()).decision).toBe('unknown');
  });

  it('garbled ufw and firewall-cmd output', async () => {
    const f = await facts({
      exec: {
        'ufw status verbose': ok('\u0000\u0001 rubbish'),
        'firewall-cmd --state': ok('running\n'),
        'firewall-cmd --get-default-zone': ok('public\n'),
        'firewall-cmd --list-all-zones': ok('###\n\n'),
        'firewall-cmd --list-all-policies': { code: 2, stderr: 'Error: unknown option' },
      },
      files: { '/etc/ufw/ufw.conf': 'ENABLED=yes\n' },
    });
    expect(f.ufw.status).toBe('error');
    expect(f.firewalld.status).toBe('error');
    expect(f.firewalld.message).toMatch(/printed no zone/);
    const ev = evaluateFirewall(f, query());
    expect(ev.decision).toBe('unknown');
  });
});

describe('the slow Python tools run only when they can say something', () => {
  it('ufw switched off in ufw.conf: `ufw status` is not run, and ufw is reported inactive', async () => {
    const host = createFakeHost({
      uid: 0,
      files: {
        '/etc/ufw/ufw.conf': 'ENABLED=no\nLOGLEVEL=low\n',
        '/etc/default/ufw': 'IPV6=yes\n',
      },
    });
    const result = await probeFirewall(host);
    expect(host.execCalls.some((argv) => argv[0]!.endsWith('ufw'))).toBe(false);
    expect(result.data.ufw).toMatchObject({
      status: 'ok',
      model: { active: false, enabledAtBoot: false },
    });
    expect(result.data.ufw.evidence[0]?.outcome).toMatch(/was not run/);
  });

  it('ufw switched on: `ufw status verbose` is asked', async () => {
    const host = createFakeHost({ uid: 0, files: { '/etc/ufw/ufw.conf': 'ENABLED=yes\n' } });
    await probeFirewall(host);
    expect(host.execCalls).toContainEqual(['ufw', 'status', 'verbose']);
  });

  it('no firewalld process but firewalld installed: not running, without firewall-cmd', async () => {
    const host = createFakeHost({
      uid: 0,
      files: { '/proc/1/comm': 'systemd\n', '/proc/812/comm': 'sshd\n' },
      dirs: { '/usr/lib/firewalld': ['services'] },
    });
    const result = await probeFirewall(host);
    expect(host.execCalls.some((argv) => argv[0]!.endsWith('firewall-cmd'))).toBe(false);
    expect(result.data.firewalld).toMatchObject({ status: 'ok', model: { running: false } });
  });

  it('no firewalld process and not installed: unavailable', async () => {
    const host = createFakeHost({ uid: 0, files: { '/proc/1/comm': 'systemd\n' } });
    const result = await probeFirewall(host);
    expect(result.data.firewalld).toMatchObject({ status: 'unavailable', model: null });
  });

  it('a firewalld process: firewall-cmd is asked', async () => {
    const host = createFakeHost({
      uid: 0,
      files: { '/proc/1/comm': 'systemd\n', '/proc/640/comm': 'firewalld\n' },
      exec: { 'firewall-cmd --state': ok('not running\n') },
    });
    await probeFirewall(host);
    expect(host.execCalls).toContainEqual(['firewall-cmd', '--state']);
  });
});

describe('legacy iptables', () => {
  it('no legacy table loaded: iptables-legacy-save is not run (it would load kernel modules)', async () => {
    const host = createFakeHost({ uid: 0 });
    const result = await probeFirewall(host);
    expect(host.execCalls.some((argv) => argv[0]!.includes('legacy'))).toBe(false);
    const legacy = result.data.iptables.filter((i) => i.variant === 'legacy');
    expect(legacy.map((i) => [i.family, i.status])).toEqual([
      [4, 'ok'],
      [6, 'ok'],
    ]);
    expect(legacy[0]!.evidence[0]?.outcome).toMatch(/no legacy iptables table is loaded/);
  });
});

describe('iptables-nft', () => {
  it('no iptables table in the nftables ruleset: iptables-nft-save is not run', async () => {
    const host = createFakeHost({
      uid: 0,
      exec: { 'nft -j list ruleset': ok(out('nft-plain.json.txt')) },
    });
    await probeFirewall(host);
    expect(host.execCalls.some((argv) => argv[0]!.includes('tables-nft-save'))).toBe(false);
  });

  it('an ip filter table in the ruleset: iptables-nft-save is asked', async () => {
    const host = createFakeHost({
      uid: 0,
      exec: { 'nft -j list ruleset': ok(out('nft-iptables.json.txt')) },
    });
    await probeFirewall(host);
    expect(host.execCalls.map((argv) => argv[0])).toContain('iptables-nft-save');
  });
});
