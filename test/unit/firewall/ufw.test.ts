import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseUfwConf,
  parseUfwDefaults,
  parseUfwStatus,
  parseUfwUserRules,
} from '../../../electron/engine/probes/linux/firewall/ufw';

const fixture = (name: string) =>
  fs.readFileSync(new URL(`../../fixtures/linux/firewall/${name}`, import.meta.url), 'utf8');

describe('ufw user.rules tuples, recorded in the lab', () => {
  it('reads every rule in order, IPv4 and IPv6, with interface and source', () => {
    const v4 = parseUfwUserRules(fixture('ufw-user.rules.txt'), 4);
    expect(v4.map((r) => r.text)).toEqual([
      expect.stringMatching(/^deny in proto tcp from 10\.251\.\d+\.0\/24 to any port 11434$/),
      'allow in proto tcp from any to any port 11434',
      'limit in proto tcp from any to any port 22',
      expect.stringMatching(/^allow in on pk\S+ proto tcp from any to any port 8000:8100$/),
      'reject in from 192.168.77.5 to any',
    ]);
    expect(v4[3]).toMatchObject({
      action: 'allow',
      direction: 'in',
      protocol: 'tcp',
      toPorts: [[8000, 8100]],
      family: 4,
      unparsed: false,
    });
    expect(v4[4]).toMatchObject({ protocol: 'any', toPorts: null, fromAddress: '192.168.77.5' });
    const v6 = parseUfwUserRules(fixture('ufw-user6.rules.txt'), 6);
    expect(v6.map((r) => r.text)).toContain('allow in proto tcp from fd00::/8 to any port 9999');
    expect(v6.every((r) => r.family === 6)).toBe(true);
  });

  it('application profiles, logging, route rules, comments and garbage', () => {
    const rules = parseUfwUserRules(
      [
        '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in',
        '### tuple ### allow_log-all tcp 80,443 0.0.0.0/0 any 0.0.0.0/0 in comment=7765622073657276',
        '### tuple ### route:allow any any 0.0.0.0/0 any 0.0.0.0/0 in_eth0!out_eth1',
        '### tuple ### deny udp 53 10.0.0.1 any 0.0.0.0/0 out',
        '### tuple ### allow tcp 99999 0.0.0.0/0 any 0.0.0.0/0 in',
        '### tuple ### frobnicate',
      ].join('\n'),
      4,
    );
    expect(rules[0]).toMatchObject({ app: 'OpenSSH', toPorts: [[22, 22]], unparsed: false });
    expect(rules[1]).toMatchObject({
      action: 'allow',
      toPorts: [
        [80, 80],
        [443, 443],
      ],
    });
    expect(rules[2]).toMatchObject({ direction: 'route', interface: null });
    expect(rules[3]).toMatchObject({ direction: 'out', toAddress: '10.0.0.1' });
    expect(rules[4]!.unparsed).toBe(true);
    expect(rules[5]!.unparsed).toBe(true);
  });
});

describe('ufw status verbose, recorded in the lab', () => {
  it('status, defaults and the rule table, including a "To" wider than its column', () => {
    const status = parseUfwStatus(fixture('ufw-status-verbose.txt'))!;
    expect(status.active).toBe(true);
    expect(status.defaultIncoming).toBe('deny');
    expect(status.rules.every((r) => !r.unparsed)).toBe(true);
    expect(status.rules).toHaveLength(9);
    expect(status.rules[0]).toMatchObject({
      action: 'deny',
      protocol: 'tcp',
      toPorts: [[11434, 11434]],
      fromAddress: expect.stringMatching(/^10\.251\./),
      family: 4,
    });
    const wide = status.rules.find((r) => r.interface !== null && r.family === 6)!;
    expect(wide).toMatchObject({ action: 'allow', toPorts: [[8000, 8100]] });
    // No "(v6)" marker, but an IPv6 source.
    expect(status.rules.at(-1)).toMatchObject({ family: 6, fromAddress: 'fd00::/8' });
  });

  it('inactive, and output that is not ufw status', () => {
    expect(parseUfwStatus('Status: inactive\n')).toEqual({
      active: false,
      defaultIncoming: null,
      rules: [],
    });
    expect(parseUfwStatus('ERROR: You need to be root to run this script')).toBeNull();
    const odd = parseUfwStatus(
      'Status: active\n\nTo   Action   From\n--   ------   ----\nOpenSSH   ALLOW IN   Anywhere\n???\n',
    )!;
    expect(odd.rules.map((r) => r.unparsed)).toEqual([true, true]);
  });
});

describe('ufw configuration files', () => {
  it('/etc/default/ufw, recorded in the lab', () => {
    expect(parseUfwDefaults(fixture('ufw-default.txt'))).toEqual({
      defaultIncoming: 'deny',
      ipv6: true,
    });
    expect(parseUfwDefaults('DEFAULT_INPUT_POLICY=REJECT\nIPV6=no\n')).toEqual({
      defaultIncoming: 'reject',
      ipv6: false,
    });
    expect(parseUfwDefaults('garbage')).toEqual({ defaultIncoming: null, ipv6: null });
  });

  it('/etc/ufw/ufw.conf', () => {
    expect(parseUfwConf('# comment\nENABLED=yes\n')).toEqual({ enabledAtBoot: true });
    expect(parseUfwConf('ENABLED=no\n')).toEqual({ enabledAtBoot: false });
    expect(parseUfwConf('')).toEqual({ enabledAtBoot: null });
  });
});

describe('fuzz F4: the ufw parsers take linear time on 1 MiB inputs', () => {
  const MIB = 1024 * 1024;
  const blanks = ' '.repeat(MIB);
  const TABLE =
    'Status: active\n\nTo                         Action      From\n--                         ------      ----\n';

  it('fuzz F4: parseUfwDefaults and parseUfwConf with 1 MiB of blanks in a value', () => {
    expect(parseUfwDefaults(`DEFAULT_INPUT_POLICY="DROP"${blanks}\nIPV6=yes\n`)).toEqual({
      defaultIncoming: 'deny',
      ipv6: true,
    });
    expect(parseUfwDefaults(`A=x${blanks}y\nIPV6=no${blanks}\n`)).toEqual({
      defaultIncoming: null,
      ipv6: false,
    });
    expect(parseUfwConf(`ENABLED=yes${blanks}x`)).toEqual({ enabledAtBoot: null });
    expect(parseUfwConf(`ENABLED=yes${blanks}`)).toEqual({ enabledAtBoot: true });
    expect(parseUfwConf(`ENABLED${blanks}=${blanks}no${blanks}`)).toEqual({ enabledAtBoot: false });
  });

  it('fuzz F4: parseUfwStatus with 1 MiB of blanks in a row', () => {
    const odd = parseUfwStatus(`${TABLE}x${blanks}y`)!;
    expect(odd.rules).toHaveLength(1);
    expect(odd.rules[0]).toMatchObject({ unparsed: true });
    // Padding of any width between the columns, and before a comment.
    const wide = parseUfwStatus(
      `${TABLE}11434/tcp${blanks}DENY IN${blanks}10.0.0.0/8${blanks}# keep the LAN out\n` +
        `11434/tcp${blanks}(v6)${blanks}ALLOW${blanks}Anywhere (v6)\n`,
    )!;
    expect(wide.rules.map((r) => r.unparsed)).toEqual([false, false]);
    expect(wide.rules[0]).toMatchObject({
      action: 'deny',
      direction: 'in',
      toPorts: [[11434, 11434]],
      protocol: 'tcp',
      fromAddress: '10.0.0.0/8',
      family: 4,
    });
    expect(wide.rules[1]).toMatchObject({
      action: 'allow',
      toPorts: [[11434, 11434]],
      fromAddress: 'any',
      family: 6,
    });
  });
});
