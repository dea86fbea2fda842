/**
 * Issue 14, "over the VPN only", against a real systemd (test/lab/systemd.ts): the stand-in
 * Ollama as `ollama.service` on every interface, and a second link between the lab host and
 * the neighbour named as WireGuard names its interfaces (`wg…`), with addresses in Tailscale's
 * range (100.64.0.0/10). The real CLI previews `share-vpn`, `paddock-privileged` makes the plan
 * again from root's own scan (the VPN address is its own finding, not the caller's), applies,
 * verifies by rescanning and undoes it. The neighbour over the VPN gets in; over the LAN it is
 * refused; the scan says "shared over the VPN only"; undo brings back the unit folder byte for
 * byte and the LAN in.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ScanJson } from '../../electron/cli/scan-json';
import type { SystemdLab } from './systemd';
import {
  LLAMA_SERVICE,
  LLAMA_UNIT,
  REPO_IN_CONTAINER,
  STANDIN_PORT,
  applyAsRoot,
  createSystemdLab,
  describeSystemdLab,
  undoAsRoot,
} from './systemd';

const PADDOCK = `${REPO_IN_CONTAINER}/bin/paddock.cjs`;

function must(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

describeSystemdLab('share-vpn: Ollama on the VPN address only, in a real systemd', () => {
  let sd: SystemdLab;
  const tag = randomBytes(3).toString('hex');
  const vpnHostIf = `wgpk${tag}`;
  const vpnPeerIf = `wgpk${tag}p`;
  const octet = (parseInt(tag, 16) % 200) + 20;
  const vpnHost = `100.64.${octet}.1`;
  const vpnPeer = `100.64.${octet}.2`;

  beforeAll(async () => {
    sd = await createSystemdLab({
      services: [LLAMA_SERVICE],
    });
    const { host, lan } = sd.lab.names;
    must([
      'ip',
      'link',
      'add',
      vpnHostIf,
      'netns',
      host,
      'type',
      'veth',
      'peer',
      'name',
      vpnPeerIf,
      'netns',
      lan,
    ]);
    must(['ip', '-n', host, 'addr', 'add', `${vpnHost}/24`, 'dev', vpnHostIf]);
    must(['ip', '-n', lan, 'addr', 'add', `${vpnPeer}/24`, 'dev', vpnPeerIf]);
    must(['ip', '-n', host, 'link', 'set', vpnHostIf, 'up']);
    must(['ip', '-n', lan, 'link', 'set', vpnPeerIf, 'up']);
    sd.lab.allowTestHost(vpnHost);
  }, 240_000);
  afterAll(async () => {
    await sd?.close();
  }, 30_000);

  const overVpn = () => sd.lab.connectFromLan(vpnHost, STANDIN_PORT);
  const overLan = () => sd.connectFromLan(STANDIN_PORT, 4);

  async function scan(): Promise<ScanJson> {
    const r = await sd.runInContainer(['/usr/bin/node', PADDOCK, 'scan', '--json'], {
      timeoutMs: 30_000,
    });
    return JSON.parse(r.stdout) as ScanJson;
  }

  async function until(check: () => Promise<boolean>): Promise<boolean> {
    for (let i = 0; i < 50; i++) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  it('root binds Ollama to the VPN address it finds itself: the VPN peer gets in, the LAN does not; the scan says shared over the VPN; undo restores it all', async () => {
    const original = sd.readUnitDir();
    expect(await overLan()).toBe('open');
    expect(await overVpn()).toBe('open');

    const run = await applyAsRoot(sd, 'share-vpn', 'ollama:service:ollama.service');
    expect(run.state, run.outcome).toBe('applied');

    const dropins = Object.entries(sd.readUnitDir()).filter(([p]) => p.includes('paddock'));
    expect(
      dropins.map(([, f]) => (f === 'folder' ? '' : Buffer.from(f.base64, 'base64').toString())),
    ).toEqual([expect.stringContaining(`OLLAMA_HOST=${vpnHost}:${STANDIN_PORT}`)]);
    expect(await until(async () => (await overVpn()) === 'open')).toBe(true);
    expect(await overLan()).toBe('refused');
    const json = await scan();
    const instance = json.snapshot.instances[0]!;
    expect(instance.sharedOver).toEqual([vpnHostIf]);
    const rules = json.findings.filter((f) => f.instance === instance.id).map((f) => f.ruleId);
    expect(rules).toContain('shared-with-chosen');
    expect(rules).not.toContain('exposed-to-lan');

    expect(await undoAsRoot(sd, run.id)).toBe('undone');
    expect(await sd.waitFromLan(STANDIN_PORT, 'open', { family: 4 })).toBe('open');
    expect(sd.readUnitDir()).toEqual(original);
  }, 120_000);

  it('llama-server too: root changes --host on its ExecStart= line to the VPN address; the VPN peer gets in, the LAN does not; undo restores the unit', async () => {
    const unitBefore = fs.readFileSync(sd.hostPath(LLAMA_UNIT), 'utf8');
    expect(await sd.lab.connectFromLan(sd.lab.hostAddress4, 8080)).toBe('open');
    const run = await applyAsRoot(sd, 'share-vpn', 'llamacpp:port:8080');
    expect(run.state, run.outcome).toBe('applied');
    expect(fs.readFileSync(sd.hostPath(LLAMA_UNIT), 'utf8')).toBe(
      unitBefore.replace('--host 0.0.0.0', `--host ${vpnHost}`),
    );
    expect(await until(async () => (await sd.lab.connectFromLan(vpnHost, 8080)) === 'open')).toBe(
      true,
    );
    expect(await sd.lab.connectFromLan(sd.lab.hostAddress4, 8080)).toBe('refused');
    const json = await scan();
    expect(json.snapshot.instances.find((i) => i.id === 'llamacpp:port:8080')?.sharedOver).toEqual([
      vpnHostIf,
    ]);

    expect(await undoAsRoot(sd, run.id)).toBe('undone');
    expect(fs.readFileSync(sd.hostPath(LLAMA_UNIT), 'utf8')).toBe(unitBefore);
    expect(
      await until(async () => (await sd.lab.connectFromLan(sd.lab.hostAddress4, 8080)) === 'open'),
    ).toBe(true);
  }, 120_000);
});
