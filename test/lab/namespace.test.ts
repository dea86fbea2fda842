/**
 * Issue 12, class 3 ("servers in other network namespaces"), for real: the stand-in Ollama
 * runs in a network namespace of its own (a container without an engine API), listening on
 * 0.0.0.0:11434 there, attached to the lab host by a veth pair (host 172.30.0.1, server
 * 172.30.0.2). The host's `ss` shows no socket of it. What the LAN neighbour really reaches
 * (through the host's destination NAT, by routing the server's address through the host, or
 * through a userland proxy on a host port) is compared with the verdict in the same run, case
 * by case: forwarding off or on, forward rules that drop, Docker's DNAT layout by hand, and
 * firewalld's forward-ports. Never "private" while the neighbour gets the models.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import type { LabFirewalld } from './firewall-lab';
import { describeFirewallLab, nftInHost, runInHostOk, startFirewalld } from './firewall-lab';
import { runScan } from './scan-helpers';

const HOST_SIDE = 'pkctrh';
const SERVER_SIDE = 'pkctrs';
const HOST_ADDR = '172.30.0.1';
const SERVER_ADDR = '172.30.0.2';
const RELAY_PORT = 9100;

describeFirewallLab(
  'a server in a network namespace of its own',
  ['nft', 'iptables', 'firewalld'],
  () => {
    let lab: Lab;
    let standin: Standin;
    let relayDir: string;
    let relay: ChildProcess | null = null;

    const inServer = (argv: string[]) =>
      runInHostOk(lab, ['nsenter', '-t', String(standin.hostPid), '-n', ...argv]);
    const forwarding = (on: boolean) =>
      runInHostOk(lab, ['sysctl', '-q', '-w', `net.ipv4.ip_forward=${on ? 1 : 0}`]);
    const lanGets = async (url: string) =>
      (await lab.httpFromLan(url, { timeoutMs: 1500 })).status === 200;
    const throughNat = () => lanGets(`http://${lab.hostAddress4}:8000/api/tags`);
    /** Who really gets the models on this port: the internet peer, else the LAN, else nobody. */
    const reality = async (port: number) => {
      const url = `http://${lab.publicAddress4!}:${port}/api/tags`;
      if ((await lab.httpFrom('public', url, { timeoutMs: 1500 })).status === 200)
        return 'internet';
      return (await lanGets(`http://${lab.hostAddress4}:${port}/api/tags`)) ? 'lan' : 'private';
    };
    const routed = () => lanGets(`http://${SERVER_ADDR}:11434/api/tags`);
    const serverInstance = (json: Awaited<ReturnType<typeof runScan>>['json']) =>
      json.snapshot.instances.find((i) => i.pid === standin.hostPid)!;

    beforeAll(async () => {
      lab = await createLab({ publicInterface: true });
      standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0:11434' }, { ownNetns: true });
      await runInHostOk(lab, [
        'ip',
        'link',
        'add',
        HOST_SIDE,
        'type',
        'veth',
        'peer',
        'name',
        SERVER_SIDE,
      ]);
      await runInHostOk(lab, ['ip', 'link', 'set', SERVER_SIDE, 'netns', String(standin.hostPid)]);
      await runInHostOk(lab, ['ip', 'addr', 'add', `${HOST_ADDR}/24`, 'dev', HOST_SIDE]);
      await runInHostOk(lab, ['ip', 'link', 'set', HOST_SIDE, 'up']);
      await inServer(['ip', 'link', 'set', 'lo', 'up']);
      await inServer(['ip', 'addr', 'add', `${SERVER_ADDR}/24`, 'dev', SERVER_SIDE]);
      await inServer(['ip', 'link', 'set', SERVER_SIDE, 'up']);
      await inServer(['ip', 'route', 'add', 'default', 'via', HOST_ADDR]);
      // The neighbour knows the way to the server's network: through the host (it counts only
      // where the host forwards).
      const route = spawnSync(
        'ip',
        ['-n', lab.names.lan, 'route', 'replace', '172.30.0.0/24', 'via', lab.hostAddress4],
        { encoding: 'utf8' },
      );
      expect(route.status, route.stderr).toBe(0);
      lab.allowTestHost(SERVER_ADDR);
      relayDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-nsrelay-'));
      fs.chmodSync(relayDir, 0o755);
    });
    afterEach(async () => {
      relay?.kill('SIGKILL');
      relay = null;
      await lab.runInHost(['pkill', '-KILL', '-f', 'nsrelay.cjs']);
      await runInHostOk(lab, ['nft', 'flush', 'ruleset']);
      await forwarding(false);
    });
    afterAll(async () => {
      await standin?.stop();
      await lab?.close();
      if (relayDir) fs.rmSync(relayDir, { recursive: true, force: true });
    });

    /** A forward chain with policy drop that lets replies through, and these rules besides. */
    const forwardChain = (...rules: string[]) =>
      nftInHost(
        lab,
        `table inet pdkfwd {\n  chain forward_filter {\n    type filter hook forward priority filter; policy drop;\n    ct state established,related accept\n${rules.map((r) => `    ${r}\n`).join('')}  }\n}\n`,
      );
    const dnat = () =>
      nftInHost(
        lab,
        `table ip pdknat {\n  chain pre {\n    type nat hook prerouting priority dstnat;\n    iifname "${lab.names.hostIf}" tcp dport 8000 dnat to ${SERVER_ADDR}:11434\n  }\n}\n`,
      );

    it('the host shows no socket of it; with forwarding off nothing reaches it, and the verdict says private with the reason', async () => {
      await dnat();
      expect(await throughNat()).toBe(false);
      const { json } = await runScan(lab);
      const instance = serverInstance(json);
      expect(instance.process?.sameNetns).toBe(false);
      expect(json.snapshot.probes.sockets.data.some((s) => s.localPort === 11434)).toBe(false);
      // Like Ollama (Go), the stand-in takes 0.0.0.0 as the dual-stack wildcard [::].
      expect(instance.listeners.map((l) => [l.path, l.address, l.port, l.dualStack])).toEqual([
        ['namespace', '::', 11434, true],
      ]);
      expect(instance.exposure).toBe('private');
      expect(instance.listeners[0]!.reasons.join('\n')).toMatch(/forwarding is off/);
    });

    it('forwarding on and a DNAT from port 8000: the LAN gets the models through the host, and the verdict names the path', async () => {
      await forwarding(true);
      await dnat();
      expect(await throughNat()).toBe(true);
      const { json } = await runScan(lab);
      const instance = serverInstance(json);
      expect(instance.exposure).toBe(await reality(8000));
      const via = instance.listeners[0]!.reachableVia.find((p) => p.nat?.port === 8000)!;
      expect(via).toMatchObject({
        interface: lab.names.hostIf,
        address: lab.hostAddress4,
        open: true,
        forward: { outInterface: HOST_SIDE, to: { address: SERVER_ADDR, port: 11434 } },
      });
      expect(instance.listeners[0]!.reasons.join('\n')).toMatch(
        /Port 8000 on .* reaches it: a NAT rule sends it to 172\.30\.0\.2:11434 in the server's namespace/,
      );
    });

    it('a DNAT on the public-looking interface: the internet peer gets the models, and the verdict says internet', async () => {
      await forwarding(true);
      await nftInHost(
        lab,
        `table ip pdknat {\n  chain pre {\n    type nat hook prerouting priority dstnat;\n    iifname "${lab.names.publicIf!}" tcp dport 8443 dnat to ${SERVER_ADDR}:11434\n  }\n}\n`,
      );
      const got = await lab.httpFrom('public', `http://${lab.publicAddress4!}:8443/api/tags`, {
        timeoutMs: 1500,
      });
      expect(got.status).toBe(200);
      expect(await throughNat()).toBe(false); // the rule is for the public interface only
      const { json } = await runScan(lab);
      expect(json.verdict).toBe('internet');
      const via = serverInstance(json).listeners[0]!.reachableVia.find((p) => p.nat?.port === 8443);
      expect(via).toMatchObject({ interface: lab.names.publicIf, scope: 'public', open: true });
    });

    it('forwarding on, no NAT: a neighbour that routes 172.30.0.0/24 through the host gets in, and the verdict says so', async () => {
      await forwarding(true);
      expect(await routed()).toBe(true);
      const { json } = await runScan(lab);
      const instance = serverInstance(json);
      expect(instance.exposure).toBe('lan');
      expect(
        instance.listeners[0]!.reachableVia.some((p) => p.forward?.routed === true && p.open),
      ).toBe(true);
    });

    it('a forward chain that drops: neither way gets through, and the verdict is private with the deciding rule', async () => {
      await forwarding(true);
      await dnat();
      await forwardChain();
      expect(await throughNat()).toBe(false);
      expect(await routed()).toBe(false);
      const { json } = await runScan(lab);
      const instance = serverInstance(json);
      expect(instance.exposure).toBe('private');
      const paths = instance.listeners[0]!.reachableVia;
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.every((p) => !p.open && p.firewall?.decision === 'blocked')).toBe(true);
      expect(JSON.stringify(paths[0]!.firewall?.decidedBy)).toMatch(/inet pdkfwd forward_filter/);
    });

    it('forward rules that admit only DNATed connections (ct status dnat, as firewalld does): through port 8000 yes, routed no', async () => {
      await forwarding(true);
      await dnat();
      await forwardChain('ct status dnat accept');
      expect(await throughNat()).toBe(true);
      expect(await routed()).toBe(false);
      const { json } = await runScan(lab);
      const instance = serverInstance(json);
      expect(instance.exposure).toBe('lan');
      const paths = instance.listeners[0]!.reachableVia;
      expect(paths.find((p) => p.nat?.port === 8000)?.open).toBe(true);
      expect(paths.find((p) => p.forward?.routed)?.open).toBe(false);
    });

    it("Docker's layout without the userland proxy, written by hand with iptables: DNAT behind a jump, FORWARD policy DROP, an accept for the published port", async () => {
      await forwarding(true);
      for (const rule of [
        ['-t', 'nat', '-N', 'PDKDOCKER'],
        [
          '-t',
          'nat',
          '-A',
          'PREROUTING',
          '-m',
          'addrtype',
          '--dst-type',
          'LOCAL',
          '-j',
          'PDKDOCKER',
        ],
        [
          '-t',
          'nat',
          '-A',
          'PDKDOCKER',
          '!',
          '-i',
          HOST_SIDE,
          '-p',
          'tcp',
          '--dport',
          '8000',
          '-j',
          'DNAT',
          '--to-destination',
          `${SERVER_ADDR}:11434`,
        ],
        ['-P', 'FORWARD', 'DROP'],
        ['-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
        [
          '-A',
          'FORWARD',
          '-d',
          `${SERVER_ADDR}/32`,
          '!',
          '-i',
          HOST_SIDE,
          '-o',
          HOST_SIDE,
          '-p',
          'tcp',
          '--dport',
          '11434',
          '-j',
          'ACCEPT',
        ],
      ])
        await runInHostOk(lab, ['iptables', ...rule]);
      try {
        expect(await throughNat()).toBe(true);
        const { json } = await runScan(lab);
        const instance = serverInstance(json);
        expect(instance.exposure).toBe(await reality(8000));
        const via = instance.listeners[0]!.reachableVia.find((p) => p.nat?.port === 8000);
        expect(via?.open).toBe(true);
        expect(via?.nat?.rule).toMatch(/DNAT --to-destination 172\.30\.0\.2:11434/);
      } finally {
        await runInHostOk(lab, ['iptables', '-P', 'FORWARD', 'ACCEPT']);
        await runInHostOk(lab, ['iptables', '-F']);
        await runInHostOk(lab, ['iptables', '-t', 'nat', '-F']);
        await runInHostOk(lab, ['iptables', '-t', 'nat', '-X', 'PDKDOCKER']);
      }
    });

    it('with a userland proxy instead (a relay on a host port, forwarding off): the LAN gets in through it, and it is tied to this server by its connection', async () => {
      fs.writeFileSync(
        path.join(relayDir, 'nsrelay.cjs'),
        [
          "const net = require('node:net');",
          `net.createServer((c) => { const u = net.connect(11434, '${SERVER_ADDR}'); c.pipe(u); u.pipe(c);`,
          "  c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); })",
          `  .listen(${RELAY_PORT}, '0.0.0.0');`,
          'setTimeout(() => process.exit(0), 120000);',
        ].join('\n'),
      );
      relay = lab.spawnInHost([process.execPath, path.join(relayDir, 'nsrelay.cjs')]);
      for (
        let i = 0;
        i < 50 && (await lab.connectFromLan(lab.hostAddress4, RELAY_PORT)) !== 'open';
        i += 1
      )
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await lanGets(`http://${lab.hostAddress4}:${RELAY_PORT}/api/tags`)).toBe(true);
      const held = await lab.holdConnectionFromLan(lab.hostAddress4, RELAY_PORT);
      try {
        const { json } = await runScan(lab);
        const instance = serverInstance(json);
        expect(instance.exposure).toBe(await reality(RELAY_PORT));
        expect(
          instance.listeners.some((l) => l.port === RELAY_PORT && l.exposure === instance.exposure),
        ).toBe(true);
        expect(instance.reasons.join('\n')).toMatch(/has a connection open to this server/);
      } finally {
        await held.close();
      }
    });

    it('as an ordinary user (root owns the server): never private while the LAN gets in; unknown, saying what could not be read', async () => {
      await forwarding(true);
      await dnat();
      expect(await throughNat()).toBe(true);
      const { json } = await runScan(lab, { uid: 65534, env: { HOME: '/nonexistent' } });
      const instance = json.snapshot.instances.find((i) => i.pid === standin.hostPid)!;
      expect(instance.exposure).toBe('unknown');
      expect(instance.reasons.join('\n')).toMatch(/could not be read|unknown/);
      expect(json.verdict).not.toBe('private');
    });

    /**
     * The rule shapes other tools write to publish a container, pod or VM, loaded for real with
     * iptables-restore (iptables-nft) and reached by the real neighbour. Written here after the
     * layouts their projects document (not recorded from those tools, which are not installed):
     * Kubernetes' kube-proxy in iptables mode (a NodePort: KUBE-SERVICES → KUBE-NODEPORTS →
     * KUBE-EXT → KUBE-SVC → KUBE-SEP with a random `statistic` match and a mark for the forward
     * accept), the CNI portmap plugin's hostPort chains (containernetworking/plugins,
     * plugins/meta/portmap/README.md: CNI-HOSTPORT-DNAT → CNI-DN-<id>), Podman's netavark 1.x
     * iptables driver (NETAVARK-HOSTPORT-DNAT → NETAVARK-DN-<id>, NETAVARK_FORWARD), and
     * libvirt's NAT network (LIBVIRT_FWI rejecting what enters its bridge) with the port-forward
     * its documentation suggests for a guest, with and without the matching FORWARD accept.
     */
    const SHAPES: Array<[name: string, rules: string, port: number, reached: boolean]> = [
      [
        'Kubernetes NodePort (kube-proxy, iptables mode)',
        `*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-EXT-OLLAMA - [0:0]
:KUBE-SVC-OLLAMA - [0:0]
:KUBE-SEP-OLLAMA1 - [0:0]
:KUBE-MARK-MASQ - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/ollama" -m tcp --dport 30434 -j KUBE-EXT-OLLAMA
-A KUBE-EXT-OLLAMA -j KUBE-MARK-MASQ
-A KUBE-EXT-OLLAMA -j KUBE-SVC-OLLAMA
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-SVC-OLLAMA -m comment --comment "default/ollama -> ${SERVER_ADDR}:11434" -m statistic --mode random --probability 1.00000000000 -j KUBE-SEP-OLLAMA1
-A KUBE-SEP-OLLAMA1 -p tcp -m comment --comment "default/ollama" -m tcp -j DNAT --to-destination ${SERVER_ADDR}:11434
COMMIT
*filter
:KUBE-FORWARD - [0:0]
-P FORWARD DROP
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
`,
        30434,
        true,
      ],
      [
        'a hostPort through the CNI portmap plugin',
        `*nat
:CNI-HOSTPORT-DNAT - [0:0]
:CNI-DN-0f1e2d3c4b5a69788 - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: cbr0 id: 0f1e2d" -m multiport --dports 8000 -j CNI-DN-0f1e2d3c4b5a69788
-A CNI-DN-0f1e2d3c4b5a69788 -p tcp -m tcp --dport 8000 -j DNAT --to-destination ${SERVER_ADDR}:11434
COMMIT
`,
        8000,
        true,
      ],
      [
        "Podman's netavark (iptables driver)",
        `*nat
:NETAVARK-HOSTPORT-DNAT - [0:0]
:NETAVARK-DN-1D8721804F16F - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT
-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport 8000 -m comment --comment "dnat name: podman id: 1d87" -j NETAVARK-DN-1D8721804F16F
-A NETAVARK-DN-1D8721804F16F -p tcp -m tcp --dport 8000 -j DNAT --to-destination ${SERVER_ADDR}:11434
COMMIT
*filter
:NETAVARK_FORWARD - [0:0]
-A FORWARD -m comment --comment "netavark firewall plugin rules" -j NETAVARK_FORWARD
-A NETAVARK_FORWARD -d 172.30.0.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A NETAVARK_FORWARD -s 172.30.0.0/24 -j ACCEPT
COMMIT
`,
        8000,
        true,
      ],
      [
        "libvirt's NAT network with a port-forward but no FORWARD accept (LIBVIRT_FWI rejects it)",
        `*nat
-A PREROUTING -p tcp -m tcp --dport 8000 -j DNAT --to-destination ${SERVER_ADDR}:11434
COMMIT
*filter
:LIBVIRT_FWI - [0:0]
:LIBVIRT_FWO - [0:0]
:LIBVIRT_FWX - [0:0]
-A FORWARD -j LIBVIRT_FWX
-A FORWARD -j LIBVIRT_FWI
-A FORWARD -j LIBVIRT_FWO
-A LIBVIRT_FWX -i ${HOST_SIDE} -o ${HOST_SIDE} -j ACCEPT
-A LIBVIRT_FWI -d 172.30.0.0/24 -o ${HOST_SIDE} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A LIBVIRT_FWI -o ${HOST_SIDE} -j REJECT --reject-with icmp-port-unreachable
-A LIBVIRT_FWO -s 172.30.0.0/24 -i ${HOST_SIDE} -j ACCEPT
-A LIBVIRT_FWO -i ${HOST_SIDE} -j REJECT --reject-with icmp-port-unreachable
COMMIT
`,
        8000,
        false,
      ],
      [
        "libvirt's NAT network with the port-forward and its FORWARD accept",
        `*nat
-A PREROUTING -p tcp -m tcp --dport 8000 -j DNAT --to-destination ${SERVER_ADDR}:11434
COMMIT
*filter
:LIBVIRT_FWI - [0:0]
:LIBVIRT_FWO - [0:0]
-A FORWARD -d ${SERVER_ADDR}/32 -o ${HOST_SIDE} -p tcp -m tcp --dport 11434 -j ACCEPT
-A FORWARD -j LIBVIRT_FWI
-A FORWARD -j LIBVIRT_FWO
-A LIBVIRT_FWI -d 172.30.0.0/24 -o ${HOST_SIDE} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A LIBVIRT_FWI -o ${HOST_SIDE} -j REJECT --reject-with icmp-port-unreachable
-A LIBVIRT_FWO -s 172.30.0.0/24 -i ${HOST_SIDE} -j ACCEPT
-A LIBVIRT_FWO -i ${HOST_SIDE} -j REJECT --reject-with icmp-port-unreachable
COMMIT
`,
        8000,
        true,
      ],
    ];

    it.each(SHAPES)(
      '%s: the verdict agrees with what the neighbour reaches',
      async (_name, rules, port, reached) => {
        await forwarding(true);
        const loaded = await lab.runInHost(['iptables-restore', '--noflush'], {
          input: rules,
          timeoutMs: 15_000,
        });
        expect(loaded.code, loaded.stderr).toBe(0);
        const got = await lanGets(`http://${lab.hostAddress4}:${port}/api/tags`);
        expect(got).toBe(reached);
        const { json } = await runScan(lab);
        const instance = serverInstance(json);
        const via = instance.listeners[0]!.reachableVia.find((p) => p.nat?.port === port);
        expect(via, JSON.stringify(instance.listeners[0]!.reasons)).toBeDefined();
        expect(via!.open).toBe(reached);
        if (reached) expect(instance.exposure).toBe(await reality(port));
        else expect(via!.firewall?.decision).toBe('blocked');
      },
    );

    describe('firewalld', () => {
      let firewalld: LabFirewalld;
      beforeAll(async () => {
        firewalld = await startFirewalld(lab);
      });
      afterAll(async () => {
        await firewalld?.stop();
      });

      it('forward-port 8000 → 172.30.0.2:11434 in the zone of the LAN interface: the LAN gets in, and the verdict names the rule', async () => {
        await firewalld.cmd(`--zone=public`, `--change-interface=${lab.names.hostIf}`);
        await firewalld.cmd(`--zone=trusted`, `--change-interface=${HOST_SIDE}`);
        await firewalld.cmd(
          '--zone=public',
          `--add-forward-port=port=8000:proto=tcp:toport=11434:toaddr=${SERVER_ADDR}`,
        );
        await forwarding(true);
        try {
          expect(await throughNat()).toBe(true);
          const { json } = await runScan(lab);
          const instance = serverInstance(json);
          expect(instance.exposure).toBe(await reality(8000));
          const via = instance.listeners[0]!.reachableVia.find((p) => p.nat?.port === 8000);
          expect(via?.open).toBe(true);
          expect(via?.nat?.rule).toMatch(/dnat/);
        } finally {
          await firewalld.cmd(
            '--zone=public',
            `--remove-forward-port=port=8000:proto=tcp:toport=11434:toaddr=${SERVER_ADDR}`,
          );
        }
      });
    });
  },
);
