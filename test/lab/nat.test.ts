/**
 * Issue 12, class 2 ("NAT into the server"), for real in a lab host: the stand-in Ollama
 * listens on 127.0.0.1:11434 only, and a destination NAT rule sends port 8000 of the host's
 * LAN address to it. With `route_localnet` on, the LAN neighbour gets Ollama's models through
 * port 8000 while the server's own socket says "loopback"; with it off, the kernel drops the
 * translated packet. The verdict must equal what the neighbour really reaches, name the path,
 * and block-port must close it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import { describeFirewallLab, nftInHost, runInHostOk } from './firewall-lab';
import type { HostMounts } from './host-mounts';
import { hostMounts } from './host-mounts';
import { CLI, runScan } from './scan-helpers';

describeFirewallLab('destination NAT into a loopback Ollama', ['nft', 'iptables'], () => {
  let lab: Lab;
  let standin: Standin;
  let mounts: HostMounts;
  let state: string;
  const localnet = (on: boolean) =>
    runInHostOk(lab, [
      'sysctl',
      '-q',
      '-w',
      `net.ipv4.conf.${lab.names.hostIf}.route_localnet=${on ? 1 : 0}`,
    ]);
  const lanGetsModels = async (port: number) => {
    const r = await lab.httpFromLan(`http://${lab.hostAddress4}:${port}/api/tags`, {
      timeoutMs: 1500,
    });
    return r.status === 200;
  };

  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin(); // 127.0.0.1:11434 only
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-nat-state-'));
    mounts = hostMounts(lab);
    await mounts.tmpfs('/etc/paddock');
  });
  afterEach(async () => {
    await runInHostOk(lab, ['nft', 'flush', 'ruleset']);
    await localnet(false);
  });
  afterAll(async () => {
    await mounts?.release();
    await standin?.stop();
    await lab?.close();
    if (state) fs.rmSync(state, { recursive: true, force: true });
  });

  it('nftables dnat to 127.0.0.1 with route_localnet on: the LAN gets in through port 8000, and the verdict says so', async () => {
    await localnet(true);
    await nftInHost(
      lab,
      'table ip pdknat {\n  chain pre {\n    type nat hook prerouting priority dstnat;\n    tcp dport 8000 dnat to 127.0.0.1:11434\n  }\n}\n',
    );
    expect(await lanGetsModels(8000)).toBe(true);
    const { json } = await runScan(lab);
    expect(json.verdict).toBe('lan');
    const listener = json.snapshot.instances[0]!.listeners.find((l) => l.port === 11434)!;
    expect(listener.reachableVia.map((p) => [p.interface, p.nat?.port, p.open])).toContainEqual([
      lab.names.hostIf,
      8000,
      true,
    ]);
    expect(listener.reasons.join('\n')).toMatch(
      /Port 8000 on .* reaches it: a NAT rule sends it to 127\.0\.0\.1:11434/,
    );
  });

  it('the same rule with route_localnet off: the kernel drops it, and the verdict stays private', async () => {
    await nftInHost(
      lab,
      'table ip pdknat {\n  chain pre {\n    type nat hook prerouting priority dstnat;\n    tcp dport 8000 dnat to 127.0.0.1:11434\n  }\n}\n',
    );
    expect(await lanGetsModels(8000)).toBe(false);
    const { json } = await runScan(lab);
    expect(json.verdict).toBe('private');
  });

  it('iptables -j DNAT: the same truth from iptables-save', async () => {
    await localnet(true);
    await runInHostOk(lab, [
      'iptables',
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-p',
      'tcp',
      '--dport',
      '8000',
      '-j',
      'DNAT',
      '--to-destination',
      '127.0.0.1:11434',
    ]);
    expect(await lanGetsModels(8000)).toBe(true);
    const { json } = await runScan(lab);
    expect(json.verdict).toBe('lan');
  });

  it('as an ordinary user (the NAT rules need root): route_localnet on makes it unknown, never private; off, private', async () => {
    await localnet(true);
    await nftInHost(
      lab,
      'table ip pdknat {\n  chain pre {\n    type nat hook prerouting priority dstnat;\n    tcp dport 8000 dnat to 127.0.0.1:11434\n  }\n}\n',
    );
    expect(await lanGetsModels(8000)).toBe(true);
    const asNobody = { uid: 65534, env: { HOME: '/nonexistent' } };
    const unread = await runScan(lab, asNobody);
    expect(unread.json.snapshot.probes.firewall.status).toBe('denied');
    expect(unread.json.verdict).toBe('unknown');
    expect(JSON.stringify(unread.json.snapshot.instances[0]!.listeners)).toMatch(
      /route_localnet is on for/,
    );
    await localnet(false);
    expect(await lanGetsModels(8000)).toBe(false);
    expect((await runScan(lab, asNobody)).json.verdict).toBe('private');
  });

  it('block-port closes the NAT path too: the LAN is refused through port 8000, verified', async () => {
    await localnet(true);
    await nftInHost(
      lab,
      'table ip pdknat {\n  chain pre {\n    type nat hook prerouting priority dstnat;\n    tcp dport 8000 dnat to 127.0.0.1:11434\n  }\n}\n',
    );
    const fixed = await lab.runInHost([process.execPath, CLI, 'fix', 'block-port', '--yes'], {
      env: { NO_COLOR: '1', PADDOCK_STATE_DIR: state },
      timeoutMs: 60_000,
    });
    expect(fixed.code, `${fixed.stdout}${fixed.stderr}`).toBe(0);
    expect(await lanGetsModels(8000)).toBe(false);
    const { json } = await runScan(lab);
    expect(json.verdict).toBe('private');
  });
});
