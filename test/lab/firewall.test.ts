/**
 * The firewall probe, run inside a lab host, and the pure evaluator must give for the host's
 * LAN interface and port 11434 exactly what the LAN neighbour really gets when it connects,
 * before and after rules that block the port: nftables, iptables (both variants), ufw and
 * firewalld, each for real in the lab's namespaces (test/lab/firewall-lab.ts).
 *
 * With PADDOCK_RECORD_FIXTURES=1 the outputs the probe reads are also saved under
 * test/fixtures/linux/firewall/ for the unit tests.
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { evaluateFirewall, firewallQueryFor } from '../../electron/engine/firewall/evaluate';
import type { FirewallEvaluation } from '../../shared/firewall';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import type { FixtureSpec, LabProbe } from './firewall-lab';
import {
  describeFirewallLab,
  lanReach,
  nftInHost,
  probeBundle,
  probeInLab,
  recordFixtures,
  runInHostOk,
  setupUfw,
  startFirewalld,
} from './firewall-lab';

const PORT = 11434;
/** This process's own mount table (the machine's, not the lab host's). */
const ownMounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8');
/** A custom firewalld service, as an admin might define Ollama's. */
const OLLAMA_SERVICE = `<?xml version="1.0" encoding="utf-8"?>
<service>
  <short>Ollama (Paddock lab)</short>
  <description>Ollama API and a web UI.</description>
  <port protocol="tcp" port="${PORT}"/>
  <port protocol="tcp" port="8080"/>
</service>
`;
const NFT: FixtureSpec[2] = ['nft', '--version'];
const FWCMD: FixtureSpec[2] = ['firewall-cmd', '--version'];
const UFW: FixtureSpec[2] = ['ufw', '--version'];

/** The steps of the kernel's own chains (not ufw's or firewalld's models). */
const kernel = (ev: FirewallEvaluation) =>
  ev.layers.filter((s) => s.layer !== 'ufw' && s.layer !== 'firewalld');

describeFirewallLab(
  'firewall decision equals what the LAN neighbour really gets',
  ['nft', 'iptables', 'iptables-legacy', 'ufw', 'firewalld', 'firewall-cmd', 'dbus-daemon'],
  () => {
    let lab: Lab;
    let standin: Standin;
    let lanNet4: string;

    beforeAll(async () => {
      lab = await createLab();
      lanNet4 = lab.lanAddress4.replace(/\.\d+$/, '.0/24');
      // 0.0.0.0: Ollama (Go) listens dual-stack on [::], so IPv4 and IPv6 both reach it.
      [standin] = await Promise.all([lab.startStandin({ OLLAMA_HOST: '0.0.0.0' }), probeBundle()]);
    });
    afterAll(async () => {
      await standin?.stop();
      await lab?.close();
    });
    afterEach(async () => {
      // iptables-nft tables are nftables tables too: one flush clears both.
      await runInHostOk(lab, ['nft', 'flush', 'ruleset']);
    });

    /**
     * Probes once, evaluates IPv4 and IPv6 for the LAN interface, connects from the LAN on
     * both, and checks every decision against the connection (and against `expected`, so a
     * scenario that failed to set up cannot pass by accident).
     */
    async function agree(
      label: string,
      expected: { 4: 'allowed' | 'blocked'; 6: 'allowed' | 'blocked' },
    ): Promise<{ probe: LabProbe; ev: Record<4 | 6, FirewallEvaluation> }> {
      const probe = await probeInLab(lab);
      const [truth4, truth6] = await Promise.all([lanReach(lab, 4, PORT), lanReach(lab, 6, PORT)]);
      const ev = {} as Record<4 | 6, FirewallEvaluation>;
      for (const [family, truth] of [
        [4, truth4],
        [6, truth6],
      ] as const) {
        const q = firewallQueryFor(probe.interfaces, lab.names.hostIf, family, 'lan', PORT);
        expect(q.peerAddress, 'representative LAN peer').toBe(
          family === 4 ? lab.lanAddress4 : lab.lanAddress6,
        );
        ev[family] = evaluateFirewall(probe.firewall.data, q);
        const detail = `${label}, IPv${family}: ${JSON.stringify(ev[family], null, 1)}\nprobe: ${probe.firewall.message ?? ''}`;
        expect(truth, `the network itself (${label}, IPv${family})`).toBe(expected[family]);
        expect(ev[family].decision, detail).toBe(truth);
      }
      return { probe, ev };
    }

    it('nothing loaded: allowed over IPv4 and IPv6', async () => {
      const { probe, ev } = await agree('no rules', { 4: 'allowed', 6: 'allowed' });
      expect(probe.firewall.status).toBe('ok');
      expect(probe.firewall.data.nftables.status).toBe('ok');
      expect(probe.firewall.data.ufw.model?.active).toBe(false);
      expect(probe.firewall.data.firewalld.model?.running).toBe(false);
      expect(ev[4].decidedBy[0]?.rule).toMatch(/no input filter rules/);
    });

    it('nftables: drop, reject, and a policy-drop table that accepts the port', async () => {
      await nftInHost(
        lab,
        `table inet pdk_fw {
          chain input {
            type filter hook input priority filter; policy accept;
            iifname "lo" accept
            tcp dport ${PORT} counter drop comment "block ollama"
          }
        }`,
      );
      const dropped = await agree('tcp dport drop', { 4: 'blocked', 6: 'blocked' });
      expect(dropped.ev[4].decidedBy[0]).toMatchObject({
        layer: 'nftables',
        decision: 'blocked',
        where: 'inet pdk_fw input',
      });
      expect(dropped.ev[4].decidedBy[0]!.rule).toContain(`tcp dport ${PORT}`);

      await runInHostOk(lab, ['nft', 'flush', 'ruleset']);
      await nftInHost(
        lab,
        `table inet pdk_fw {
          chain input {
            type filter hook input priority filter; policy accept;
            meta l4proto tcp tcp dport { 22, 11000-11999 } reject with tcp reset
          }
        }`,
      );
      await agree('reject with tcp reset (a set with a range)', { 4: 'blocked', 6: 'blocked' });

      // What a careful admin writes: default drop, established, loopback, ICMP, one subnet.
      await runInHostOk(lab, ['nft', 'flush', 'ruleset']);
      await nftInHost(
        lab,
        `table inet pdk_fw {
          set lan4 { type ipv4_addr; flags interval; elements = { ${lanNet4}, 192.168.99.0/24 } }
          chain input {
            type filter hook input priority filter; policy drop;
            ct state vmap { established : accept, related : accept, invalid : drop }
            iifname "lo" accept
            meta l4proto { icmp, ipv6-icmp } accept
            tcp flags syn limit rate 100/second counter
            iifname vmap { "${lab.names.hostIf}" : jump lan_in }
          }
          chain lan_in {
            ip saddr @lan4 tcp dport ${PORT} accept
            ip6 saddr fd00::/8 th dport != { 22 } accept
            return
          }
        }`,
      );
      await recordFixtures(lab, [['nft-plain.json.txt', ['nft', '-j', 'list', 'ruleset'], NFT]]);
      const allowed = await agree('policy drop with accepts', { 4: 'allowed', 6: 'allowed' });
      expect(allowed.ev[4].decidedBy[0]!.rule).toContain('ip saddr @lan4');
      expect(allowed.ev[6].decidedBy[0]!.rule).toContain('ip6 saddr fd00::/8');
    });

    it('nftables: an accept in one table does not skip a drop in another', async () => {
      await nftInHost(
        lab,
        `table inet pdk_a {
          chain input { type filter hook input priority -10; policy accept; tcp dport ${PORT} accept; }
        }
        table ip6 pdk_b {
          chain input { type filter hook input priority 10; policy accept; tcp dport ${PORT} drop; }
        }`,
      );
      const { ev } = await agree('accept then drop in two tables', { 4: 'allowed', 6: 'blocked' });
      expect(ev[6].decidedBy.map((s) => s.where)).toEqual(['ip6 pdk_b input']);
      expect(kernel(ev[6]).map((s) => s.where)).toEqual(['inet pdk_a input', 'ip6 pdk_b input']);
    });

    it('dual-stack listener: an ip-family table blocks IPv4 only', async () => {
      await nftInHost(
        lab,
        `table ip pdk_v4 {
          chain input { type filter hook input priority filter; tcp dport ${PORT} drop; }
        }`,
      );
      await agree('ip table drop', { 4: 'blocked', 6: 'allowed' });
    });

    it('iptables: nf_tables and legacy rules, each judged once', async () => {
      const ipt = (...args: string[]) => runInHostOk(lab, ['iptables-nft', ...args]);
      const ip6t = (...args: string[]) => runInHostOk(lab, ['ip6tables-nft', ...args]);
      await ipt('-N', 'PDK');
      await ipt('-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT');
      await ipt(
        '-A',
        'INPUT',
        '-m',
        'conntrack',
        '--ctstate',
        'ESTABLISHED,RELATED',
        '-j',
        'ACCEPT',
      );
      await ipt(
        '-A',
        'INPUT',
        '-s',
        lanNet4,
        '-p',
        'tcp',
        '-m',
        'multiport',
        '--dports',
        `22,${PORT}`,
        '-j',
        'PDK',
      );
      await ipt('-A', 'PDK', '-m', 'comment', '--comment', 'lan clients', '-j', 'ACCEPT');
      await ipt('-A', 'INPUT', '-m', 'limit', '--limit', '5/min', '-j', 'LOG');
      await ipt('-P', 'INPUT', 'DROP');
      // Neighbour discovery must pass, or IPv6 stops working altogether.
      await ip6t('-A', 'INPUT', '-p', 'ipv6-icmp', '-j', 'ACCEPT');
      await ip6t('-A', 'INPUT', '-p', 'tcp', '!', '--dport', '22', '-j', 'ACCEPT');
      await ip6t('-P', 'INPUT', 'DROP');
      await recordFixtures(lab, [
        ['iptables-nft-save.txt', ['iptables-nft-save'], ['iptables-nft', '--version']],
        ['ip6tables-nft-save.txt', ['ip6tables-nft-save'], ['ip6tables-nft', '--version']],
        ['nft-iptables.json.txt', ['nft', '-j', 'list', 'ruleset'], NFT],
      ]);
      const viaNft = await agree('iptables-nft accepts the LAN', { 4: 'allowed', 6: 'allowed' });
      // The ip filter table is judged from iptables-nft-save, not again from nft's xt view.
      expect(kernel(viaNft.ev[4]).map((s) => `${s.layer} ${s.where}`)).toEqual([
        'iptables-nft ip filter INPUT → PDK',
      ]);

      try {
        await runInHostOk(lab, [
          'iptables-legacy',
          '-A',
          'INPUT',
          '-p',
          'tcp',
          '-m',
          'tcp',
          '--dport',
          String(PORT),
          '-j',
          'REJECT',
          '--reject-with',
          'tcp-reset',
        ]);
        await recordFixtures(lab, [
          ['iptables-legacy-save.txt', ['iptables-legacy-save'], ['iptables-legacy', '--version']],
        ]);
        const legacy = await agree('iptables-legacy rejects IPv4', { 4: 'blocked', 6: 'allowed' });
        expect(legacy.ev[4].decidedBy).toEqual([
          expect.objectContaining({ layer: 'iptables-legacy', decision: 'blocked' }),
        ]);
      } finally {
        await runInHostOk(lab, ['iptables-legacy', '-F']);
      }
    });

    it('ufw: default deny, allow rules, a deny from the LAN subnet, disabled', async () => {
      const realConf = fs.readFileSync('/etc/ufw/ufw.conf', 'utf8');
      const ufw = await setupUfw(lab);
      try {
        await ufw.run('--force', 'enable');
        // Only the lab host's private copy changed; nothing is mounted out here.
        expect(fs.readFileSync('/etc/ufw/ufw.conf', 'utf8')).toBe(realConf);
        expect(ownMounts()).not.toMatch(/ufw|pdk-lab-run/);
        const denied = await agree('ufw default deny', { 4: 'blocked', 6: 'blocked' });
        expect(denied.probe.firewall.data.ufw.model).toMatchObject({
          active: true,
          defaultIncoming: 'deny',
        });
        expect(denied.ev[4].decidedBy[0]).toMatchObject({
          layer: 'ufw',
          rule: 'default deny (incoming)',
        });

        await ufw.run('allow', `${PORT}/tcp`);
        const allowed = await agree('ufw allow 11434/tcp', { 4: 'allowed', 6: 'allowed' });
        expect(allowed.ev[4].decidedBy[0]).toMatchObject({
          layer: 'ufw',
          decision: 'allowed',
          rule: `allow in proto tcp from any to any port ${PORT}`,
        });

        const iface = lab.names.hostIf;
        await ufw.run(
          'insert',
          '1',
          'deny',
          'from',
          lanNet4,
          'to',
          'any',
          'port',
          `${PORT}`,
          'proto',
          'tcp',
        );
        await ufw.run('limit', '22/tcp');
        await ufw.run('allow', 'in', 'on', iface, 'to', 'any', 'port', '8000:8100', 'proto', 'tcp');
        await ufw.run('allow', 'from', 'fd00::/8', 'to', 'any', 'port', '9999', 'proto', 'tcp');
        await ufw.run('reject', 'from', '192.168.77.5');
        await recordFixtures(lab, [
          ['ufw-status-verbose.txt', ['ufw', 'status', 'verbose'], UFW],
          ['ufw-user.rules.txt', ['cat', '/etc/ufw/user.rules'], UFW],
          ['ufw-user6.rules.txt', ['cat', '/etc/ufw/user6.rules'], UFW],
          ['ufw-default.txt', ['cat', '/etc/default/ufw'], UFW],
          ['ufw-iptables-save.txt', ['iptables-save'], ['iptables-save', '--version']],
          ['ufw-ip6tables-save.txt', ['ip6tables-save'], ['ip6tables-save', '--version']],
          ['nft-ufw.json.txt', ['nft', '-j', 'list', 'ruleset'], NFT],
        ]);
        const lanDenied = await agree('ufw deny from the LAN subnet', {
          4: 'blocked',
          6: 'allowed',
        });
        expect(lanDenied.ev[4].decidedBy[0]).toMatchObject({
          layer: 'ufw',
          rule: `deny in proto tcp from ${lanNet4} to any port ${PORT}`,
        });

        await ufw.run('--force', 'disable');
        const off = await agree('ufw disabled', { 4: 'allowed', 6: 'allowed' });
        expect(off.probe.firewall.data.ufw.model?.active).toBe(false);
      } finally {
        await ufw.dispose();
      }
    });

    it('firewalld: zones, ports, a custom service, a rich rule, the trusted zone', async () => {
      const fw = await startFirewalld(lab, { services: { 'pdk-ollama': OLLAMA_SERVICE } });
      try {
        expect(ownMounts()).not.toMatch(/firewalld|pdk-lab-run/);
        expect(fs.existsSync('/etc/firewalld/services/pdk-ollama.xml')).toBe(false);
        const rejected = await agree('firewalld default zone', { 4: 'blocked', 6: 'blocked' });
        expect(rejected.probe.firewall.data.firewalld.model).toMatchObject({
          running: true,
          defaultZone: 'public',
        });
        expect(rejected.ev[4].decidedBy.map((s) => s.layer)).toEqual(['firewalld', 'nftables']);
        expect(rejected.ev[4].decidedBy[0]!.rule).toMatch(/zone public: target default/);

        await fw.cmd('--add-port', `${PORT}/tcp`);
        const opened = await agree('firewalld port open', { 4: 'allowed', 6: 'allowed' });
        expect(opened.ev[4].decidedBy).toContainEqual(
          expect.objectContaining({ layer: 'firewalld', rule: `zone public: port ${PORT}/tcp` }),
        );

        // A custom service from /etc/firewalld/services, resolved from its XML file.
        await fw.cmd('--remove-port', `${PORT}/tcp`);
        await fw.cmd('--add-service', 'pdk-ollama');
        const service = await agree('firewalld custom service', { 4: 'allowed', 6: 'allowed' });
        expect(service.ev[4].decidedBy).toContainEqual(
          expect.objectContaining({
            layer: 'firewalld',
            rule: `zone public: service pdk-ollama (${PORT}/tcp 8080/tcp)`,
          }),
        );

        // A zone bound to another subnet does not catch the LAN neighbour; a rich rule does.
        await fw.cmd('--zone=internal', '--add-source=192.168.77.0/24');
        await fw.cmd(
          '--add-rich-rule',
          `rule family="ipv4" source address="${lanNet4}" port port="${PORT}" protocol="tcp" reject`,
        );
        await recordFixtures(lab, [
          ['firewall-cmd-state.txt', ['firewall-cmd', '--state'], FWCMD],
          ['firewall-cmd-get-default-zone.txt', ['firewall-cmd', '--get-default-zone'], FWCMD],
          ['firewall-cmd-list-all-zones.txt', ['firewall-cmd', '--list-all-zones'], FWCMD],
          ['firewall-cmd-list-all-policies.txt', ['firewall-cmd', '--list-all-policies'], FWCMD],
          [
            'firewalld-service-pdk-ollama.xml.txt',
            ['cat', '/etc/firewalld/services/pdk-ollama.xml'],
            FWCMD,
          ],
          ['firewalld-service-ssh.xml.txt', ['cat', '/usr/lib/firewalld/services/ssh.xml'], FWCMD],
          [
            'firewalld-service-netbios-ns.xml.txt',
            ['cat', '/usr/lib/firewalld/services/netbios-ns.xml'],
            FWCMD,
          ],
          [
            'firewalld-service-mdns.xml.txt',
            ['cat', '/usr/lib/firewalld/services/mdns.xml'],
            FWCMD,
          ],
          [
            'firewalld-service-samba-client.xml.txt',
            ['cat', '/usr/lib/firewalld/services/samba-client.xml'],
            FWCMD,
          ],
          [
            'firewalld-service-dhcpv6-client.xml.txt',
            ['cat', '/usr/lib/firewalld/services/dhcpv6-client.xml'],
            FWCMD,
          ],
          ['nft-firewalld.json.txt', ['nft', '-j', 'list', 'ruleset'], NFT],
        ]);
        const rich = await agree('firewalld rich rule', { 4: 'blocked', 6: 'allowed' });
        expect(rich.ev[4].decidedBy[0]!.rule).toContain('rich rule rule family="ipv4"');

        await fw.cmd('--zone=trusted', `--change-interface=${lab.names.hostIf}`);
        await recordFixtures(lab, [
          ['firewall-cmd-list-all-zones-trusted.txt', ['firewall-cmd', '--list-all-zones'], FWCMD],
        ]);
        const trusted = await agree('interface in the trusted zone', {
          4: 'allowed',
          6: 'allowed',
        });
        expect(trusted.ev[4].decidedBy[0]!.rule).toMatch(/zone trusted: target ACCEPT/);
      } finally {
        await fw.stop();
      }
    });

    it('without root the rules are denied, never "no firewall"', async () => {
      await nftInHost(
        lab,
        `table inet pdk_fw {
          chain input { type filter hook input priority 0; tcp dport ${PORT} drop; }
        }`,
      );
      const probe = await probeInLab(lab, { uid: 65534 });
      expect(probe.firewall.status).toBe('denied');
      expect(probe.firewall.data.nftables.status).toBe('denied');
      // iptables-nft's tables live in nftables, which this user may not list: denied. The
      // legacy ones are known absent when the kernel lists none (world-readable when absent).
      const ipt = probe.firewall.data.iptables;
      expect(ipt.filter((i) => i.variant === 'nft').every((i) => i.status === 'denied')).toBe(true);
      expect(
        ipt
          .filter((i) => i.variant === 'legacy')
          .every((i) => i.status === 'denied' || (i.status === 'ok' && !i.ruleset?.tables.length)),
      ).toBe(true);
      // ufw is off in its world-readable ufw.conf: that much any user may know.
      expect(probe.firewall.data.ufw).toMatchObject({ status: 'ok', model: { active: false } });
      const q = firewallQueryFor(probe.interfaces, lab.names.hostIf, 4, 'lan', PORT);
      const ev = evaluateFirewall(probe.firewall.data, q);
      expect(ev.decision).toBe('unknown');
      expect(ev.decidedBy.some((s) => s.kind === 'status' && /denied/.test(s.rule))).toBe(true);
      expect(await lanReach(lab, 4, PORT)).toBe('blocked');
    });
  },
);
