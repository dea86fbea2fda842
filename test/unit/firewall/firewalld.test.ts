import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseFirewalldPolicies,
  parseFirewalldPort,
  parseFirewalldZones,
  parseRichRule,
  parseServiceXml,
} from '../../../electron/engine/probes/linux/firewall/firewalld';

/** The recorded output with its header line: the parsers skip it. */
const fixture = (name: string) =>
  fs.readFileSync(new URL(`../../fixtures/linux/firewall/${name}`, import.meta.url), 'utf8');

describe('firewall-cmd output, recorded in the lab', () => {
  it('--list-all-zones: every zone with target, bindings, services, ports and rich rules', () => {
    const zones = parseFirewalldZones(fixture('firewall-cmd-list-all-zones.txt'));
    expect(zones.map((z) => z.name)).toEqual([
      'block',
      'dmz',
      'drop',
      'external',
      'home',
      'internal',
      'public',
      'trusted',
      'work',
    ]);
    expect(zones.find((z) => z.name === 'block')!.target).toBe('%%REJECT%%');
    expect(zones.find((z) => z.name === 'trusted')!.target).toBe('ACCEPT');
    expect(zones.find((z) => z.name === 'internal')!.sources).toEqual(['192.168.77.0/24']);
    const pub = zones.find((z) => z.name === 'public')!;
    expect(pub).toMatchObject({
      target: 'default',
      icmpBlockInversion: false,
      interfaces: [],
      services: ['dhcpv6-client', 'pdk-ollama', 'ssh'],
      ports: [],
    });
    expect(pub.richRules).toEqual([
      expect.objectContaining({
        family: 4,
        priority: 0,
        source: { address: expect.stringMatching(/^10\.251\./), other: null, negate: false },
        element: { kind: 'port', port: { ranges: [[11434, 11434]], protocol: 'tcp' } },
        action: 'reject',
        parseError: null,
      }),
    ]);
    const trusted = parseFirewalldZones(fixture('firewall-cmd-list-all-zones-trusted.txt'));
    expect(trusted.find((z) => z.name === 'trusted')!.interfaces).toEqual([
      expect.stringMatching(/^pk/),
    ]);
  });

  it('--list-all-policies', () => {
    const policies = parseFirewalldPolicies(fixture('firewall-cmd-list-all-policies.txt'));
    expect(policies).toEqual([
      expect.objectContaining({
        name: 'allow-host-ipv6',
        active: true,
        priority: -15000,
        target: 'CONTINUE',
        ingressZones: ['ANY'],
        egressZones: ['HOST'],
      }),
    ]);
    expect(policies[0]!.richRules.map((r) => r.element.kind)).toEqual([
      'icmp',
      'icmp',
      'icmp',
      'icmp',
    ]);
  });

  it('garbage is not a zone', () => {
    expect(parseFirewalldZones('Error: INVALID_ZONE\n')).toEqual([]);
    expect(parseFirewalldZones('')).toEqual([]);
    expect(
      parseFirewalldZones('public\n  target: default\n  ports: 80/tcp nonsense 1-2-3/tcp\n')[0]!
        .ports,
    ).toEqual([{ ranges: [[80, 80]], protocol: 'tcp' }]);
  });

  it('fuzz (deeper seed): a priority past 2^53 is not a number to keep; "__proto__" is a name', () => {
    const policy = parseFirewalldPolicies(
      'p (active)\n  priority: 11434114341143415000\n  target: CONTINUE\n  protocols: __proto__ constructor\n',
    )[0]!;
    expect(policy.priority).toBe(-1);
    expect(policy.protocols).toEqual(['__proto__', 'constructor']);
    expect(parseRichRule('rule priority="-11434114341143415000" accept').parseError).toMatch(
      /priority/,
    );
    expect(parseRichRule('rule protocol value="__proto__" accept').element).toEqual({
      kind: 'protocol',
      value: '__proto__',
    });
  });
});

describe('rich rules (firewalld.richlanguage(5))', () => {
  it.each([
    [
      'rule service name="ssh" accept',
      { family: null, element: { kind: 'service', name: 'ssh' }, action: 'accept' },
    ],
    [
      'rule priority="-5" family="ipv6" source NOT address="fd00::/8" service name="http" reject type="icmp6-port-unreachable"',
      {
        family: 6,
        priority: -5,
        source: { address: 'fd00::/8', other: null, negate: true },
        action: 'reject',
      },
    ],
    [
      'rule family="ipv4" destination address="10.0.0.1" protocol value="tcp" drop',
      {
        destination: { address: '10.0.0.1', other: null, negate: false },
        element: { kind: 'protocol', value: 'tcp' },
        action: 'drop',
      },
    ],
    [
      'rule family="ipv4" source ipset="blocklist" drop',
      { source: { address: null, other: 'ipset="blocklist"', negate: false }, action: 'drop' },
    ],
    [
      'rule port port="8000-8100" protocol="tcp" log prefix="x" level="info" limit value="1/m" accept limit value="5/m"',
      {
        element: { kind: 'port', port: { ranges: [[8000, 8100]], protocol: 'tcp' } },
        action: 'accept',
        limited: true,
      },
    ],
    ['rule family="ipv4" source address="10.0.0.0/8" log prefix="seen"', { action: null }],
    [
      'rule family="ipv4" forward-port port="80" protocol="tcp" to-port="8080"',
      { element: { kind: 'other', text: 'forward-port' } },
    ],
    [
      'rule source-port port="53" protocol="udp" accept',
      { element: { kind: 'source-port', port: { ranges: [[53, 53]], protocol: 'udp' } } },
    ],
  ])('%s', (text, expected) => {
    const rule = parseRichRule(text);
    expect(rule.parseError).toBeNull();
    expect(rule).toMatchObject(expected);
  });

  it.each([
    ['', 'not a rich rule'],
    ['rule family="ipx" accept', 'family ipx'],
    ['rule port port="http" protocol="tcp" accept', 'port not understood'],
    ['rule service name="a" port port="1" protocol="tcp" accept', 'two elements'],
    ['rule frobnicate accept', 'unexpected "frobnicate"'],
    ['rule source not', 'dangling "not"'],
    ['rule family="ipv4 accept', 'not a rich rule'],
  ])('%j is kept, marked unreadable', (text, error) => {
    const rule = parseRichRule(text);
    expect(rule.parseError).toContain(error);
  });
});

describe('firewalld service definitions', () => {
  it('reads the service files recorded in the lab', () => {
    expect(parseServiceXml(fixture('firewalld-service-ssh.xml.txt'), 'ssh', 'x')).toMatchObject({
      ports: [{ ranges: [[22, 22]], protocol: 'tcp' }],
      destination4: null,
    });
    expect(
      parseServiceXml(fixture('firewalld-service-pdk-ollama.xml.txt'), 'pdk-ollama', 'x')!.ports,
    ).toEqual([
      { ranges: [[11434, 11434]], protocol: 'tcp' },
      { ranges: [[8080, 8080]], protocol: 'tcp' },
    ]);
    expect(
      parseServiceXml(fixture('firewalld-service-dhcpv6-client.xml.txt'), 'dhcpv6-client', 'x'),
    ).toMatchObject({
      ports: [{ ranges: [[546, 546]], protocol: 'udp' }],
      destination6: 'fe80::/64',
    });
  });

  it('includes, protocols, comments, and files that are not services', () => {
    const service = parseServiceXml(
      `<?xml version="1.0"?><service><!-- <port protocol="tcp" port="1"/> -->
        <include service="http"/><protocol value="gre"/><port protocol="sctp" port=""/>
        <source-port protocol="udp" port="67"/></service>`,
      'x',
      '/etc/firewalld/services/x.xml',
    )!;
    expect(service).toMatchObject({
      includes: ['http'],
      protocols: ['gre', 'sctp'],
      ports: [],
      sourcePorts: [{ ranges: [[67, 67]], protocol: 'udp' }],
    });
    expect(parseServiceXml('<zone/>', 'x', 'x')).toBeNull();
  });

  it('port specs', () => {
    expect(parseFirewalldPort('11434/tcp')).toEqual({ ranges: [[11434, 11434]], protocol: 'tcp' });
    expect(parseFirewalldPort('60000-61000/udp')).toEqual({
      ranges: [[60000, 61000]],
      protocol: 'udp',
    });
    expect(parseFirewalldPort('http/tcp')).toBeNull();
    expect(parseFirewalldPort('70000/tcp')).toBeNull();
  });
});
