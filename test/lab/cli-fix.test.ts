/**
 * `paddock fix`, `history` and `undo` end to end, as root in the lab host with real nftables:
 * the preview is shown, the port closes to the LAN while loopback keeps working, the run is in
 * the history, and undo restores the exact ruleset. /etc/paddock is a tmpfs inside the lab
 * host and the runs go to a temporary folder, so nothing lands on this machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import { describeFirewallLab } from './firewall-lab';
import type { HostMounts } from './host-mounts';
import { hostMounts } from './host-mounts';
import { CLI } from './scan-helpers';

const PADDOCK_ETC = '/etc/paddock';

describeFirewallLab('paddock fix, history and undo', ['nft'], () => {
  let lab: Lab;
  let standin: Standin;
  let state: string;
  let mounts: HostMounts;
  const env = () => ({ PADDOCK_STATE_DIR: state, NO_COLOR: '1' });
  const paddock = (...args: string[]) =>
    lab.runInHost([process.execPath, CLI, ...args], { env: env(), timeoutMs: 60_000 });
  const ruleset = async () => (await lab.runInHost(['nft', '-s', 'list', 'ruleset'])).stdout;

  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    state = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-state-'));
    mounts = hostMounts(lab);
    await mounts.tmpfs(PADDOCK_ETC);
  });
  afterAll(async () => {
    await mounts?.release();
    await standin?.stop();
    await lab?.close();
    if (state) fs.rmSync(state, { recursive: true, force: true });
  });

  it('--dry-run shows the exact plan and changes nothing', async () => {
    const before = await ruleset();
    const result = await paddock('fix', 'block-port', '--dry-run');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/nft/);
    expect(await ruleset()).toBe(before);
    expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('open');
  });

  it('without --yes and without a terminal nothing is applied', async () => {
    const before = await ruleset();
    const result = await paddock('fix', 'block-port');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not applied.*nothing was changed/);
    expect(await ruleset()).toBe(before);
  });

  it('fix --yes closes the port to the LAN, verified; history lists it; undo restores the exact ruleset', async () => {
    const before = await ruleset();
    const fixed = await paddock('fix', 'block-port', '--yes');
    expect(fixed.code, `${fixed.stdout}\n${fixed.stderr}`).toBe(0);
    const id = /To undo it later: paddock undo (\S+)/.exec(fixed.stdout)?.[1];
    expect(id).toBeDefined();
    expect(await lab.connectFromLan(lab.hostAddress4, 11434, 800)).not.toBe('open');
    expect(await lab.connectFromLan(lab.hostAddress6, 11434, 800)).not.toBe('open');
    expect(await lab.connectFrom('host', '127.0.0.1', 11434)).toBe('open');

    const scan = await paddock('scan', '--json');
    expect((JSON.parse(scan.stdout) as { verdict: string }).verdict).toBe('private');

    const history = await paddock('history', '--json');
    const runs = JSON.parse(history.stdout) as Array<{ id: string; fixId: string; state: string }>;
    expect(runs).toContainEqual(
      expect.objectContaining({ id, fixId: 'block-port', state: 'applied' }),
    );

    const undone = await paddock('undo', id!, '--yes');
    expect(undone.code, `${undone.stdout}\n${undone.stderr}`).toBe(0);
    expect(await ruleset()).toBe(before);
    expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('open');
    const again = JSON.parse((await paddock('history', '--json')).stdout) as Array<{
      id: string;
      state: string;
    }>;
    expect(again.find((r) => r.id === id)?.state).toBe('undone');
    // The events history (what the app's History and `paddock watch` read) has both.
    const lines = fs
      .readFileSync(path.join(state, 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            type: string;
            event?: { kind: string; data: Record<string, unknown> };
          },
      );
    const kinds = lines.flatMap((l) =>
      l.event && l.event.data.runId === id ? [l.event.kind] : [],
    );
    expect(kinds).toEqual(['fix-applied', 'fix-undone']);
  });

  it('an unknown fix or run id is a clear usage error', async () => {
    expect((await paddock('fix', 'open-everything')).code).toBe(2);
    const undo = await paddock('undo', 'not-a-run', '--yes');
    expect(undo.code).toBe(2);
    expect(undo.stderr).toMatch(/is not a run id/);
  });
});
