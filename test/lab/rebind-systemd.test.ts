/**
 * The fix "rebind-systemd" against a real systemd: a container booted from a debootstrapped
 * root, the stand-in Ollama running as `ollama.service` with an `override.conf` that binds
 * 0.0.0.0. The real `paddock scan` runs inside the container, the plan comes from its
 * snapshot, and the engine's executor runs the plan inside the container (argv by nsenter,
 * files through /proc/<container pid 1>/root), verifying with a rescan there. The LAN
 * neighbour tells open from closed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ScanJson } from '../../electron/cli/scan-json';
import type { FixDeps, VerifyResult } from '../../electron/engine/fixes/executor';
import { applyPlan, undoRun } from '../../electron/engine/fixes/executor';
import { planRebindSystemd } from '../../electron/engine/fixes/recipes/rebind-systemd';
import type { FixPlan } from '../../shared/fixes';
import { leftovers } from './lab';
import type { SystemdLab } from './systemd';
import {
  DROPIN_DIR,
  REPO_IN_CONTAINER,
  STANDIN_PORT,
  UNIT,
  UNIT_PATH,
  createSystemdLab,
  describeSystemdLab,
} from './systemd';
import { verifyByRescan } from '../../electron/engine/fixes/verify';

async function scanInContainer(sd: SystemdLab): Promise<ScanJson> {
  const r = await sd.runInContainer(
    ['/usr/bin/node', `${REPO_IN_CONTAINER}/bin/paddock.cjs`, 'scan', '--json'],
    { timeoutMs: 20_000 },
  );
  try {
    return JSON.parse(r.stdout) as ScanJson;
  } catch {
    throw new Error(`paddock scan --json in the container (exit ${r.code}): ${r.stderr}`);
  }
}

/**
 * Verification 'instance-loopback-only' by a real rescan in the container: the service's
 * server listens, on the plan's port, on loopback only. `systemctl restart` returns before the
 * new server has bound its socket, so the rescan is repeated for a few seconds.
 */
async function verifyLoopbackOnly(sd: SystemdLab, plan: FixPlan): Promise<VerifyResult> {
  // The engine's own verifier, on real rescans inside the container (about 8 s at most).
  return verifyByRescan(plan, async () => (await scanInContainer(sd)).snapshot, {
    attempts: 40,
    intervalMs: 200,
  });
}

/** The container's listening sockets on the stand-in's port, as `ss` prints the local address. */
async function listenersInContainer(sd: SystemdLab): Promise<string[]> {
  const r = await sd.runInContainer(['ss', '-Hltn', `sport = :${STANDIN_PORT}`]);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim().split(/\s+/)[3] ?? '');
}

async function environmentOfUnit(sd: SystemdLab): Promise<string> {
  const r = await sd.runInContainer(['systemctl', 'show', '--property=Environment', UNIT]);
  return r.stdout.trim();
}

describeSystemdLab('rebind-systemd: a drop-in in a real systemd', () => {
  let sd: SystemdLab;
  let runsDir: string;
  let deps: FixDeps;
  const hostUnits = () => fs.readdirSync('/etc/systemd/system').sort();
  let hostUnitsBefore: string[] = [];

  beforeAll(async () => {
    hostUnitsBefore = hostUnits();
    runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-fixruns-'));
    sd = await createSystemdLab();
    deps = {
      runsDir,
      exec: (argv) => sd.exec(argv),
      files: sd.fixFiles(),
      verify: (plan) => verifyLoopbackOnly(sd, plan),
      now: () => new Date(),
    };
    console.info(
      `[systemd lab timings] ${JSON.stringify(Object.fromEntries(Object.entries(sd.timings).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v) : v])))} ms`,
    );
  }, 240_000);
  afterAll(async () => {
    await sd?.close();
    if (runsDir) fs.rmSync(runsDir, { recursive: true, force: true });
  }, 30_000);

  async function planFromScan(): Promise<FixPlan> {
    const scan = await scanInContainer(sd);
    expect(scan.snapshot.instances).toHaveLength(1);
    const instance = scan.snapshot.instances[0]!;
    expect(instance.process?.systemdUnit).toBe(UNIT);
    expect(instance.exposure).toBe('lan');
    const plan = planRebindSystemd(scan.snapshot, instance.id);
    if (!('steps' in plan)) throw new Error(`no plan: ${plan.reason}`);
    return plan;
  }

  it('the LAN reaches the port before the fix, not after it, and again after undo; the unit folder is byte-identical after undo', async () => {
    const original = sd.readUnitDir();
    expect(Object.keys(original)).toEqual([UNIT_PATH, DROPIN_DIR, `${DROPIN_DIR}/override.conf`]);
    expect(await sd.connectFromLan(STANDIN_PORT, 4)).toBe('open');
    expect(await sd.connectFromLan(STANDIN_PORT, 6)).toBe('open');

    const plan = await planFromScan();
    const write = plan.steps.find((s) => s.kind === 'write-file');
    expect(write?.path).toBe(`${DROPIN_DIR}/zz-paddock-loopback.conf`);

    const run = await applyPlan(plan, deps);
    expect(run.state, run.outcome).toBe('applied');
    expect(await sd.connectFromLan(STANDIN_PORT, 4)).toBe('refused');
    expect(await sd.connectFromLan(STANDIN_PORT, 6)).toBe('refused');
    expect(await listenersInContainer(sd)).toEqual([`127.0.0.1:${STANDIN_PORT}`]);
    expect(await environmentOfUnit(sd)).toContain(`OLLAMA_HOST=127.0.0.1:${STANDIN_PORT}`);

    const undone = await undoRun(run.id, deps);
    expect(undone.state, undone.outcome).toBe('undone');
    expect(await sd.waitFromLan(STANDIN_PORT, 'open', { family: 4 })).toBe('open');
    expect(await sd.waitFromLan(STANDIN_PORT, 'open', { family: 6 })).toBe('open');
    expect(sd.readUnitDir()).toEqual(original);
    expect(await environmentOfUnit(sd)).not.toContain('127.0.0.1');
  }, 60_000);

  it('a fix the rescan does not confirm is rolled back: the port is open again and the folder as it was', async () => {
    const original = sd.readUnitDir();
    const plan = await planFromScan();
    const run = await applyPlan(plan, {
      ...deps,
      verify: async () => ({ ok: false, detail: 'the test refuses to confirm' }),
    });
    expect(run.state, run.outcome).toBe('rolled-back');
    expect(await sd.waitFromLan(STANDIN_PORT, 'open', { family: 4 })).toBe('open');
    expect(await listenersInContainer(sd)).toEqual([`*:${STANDIN_PORT}`]);
    expect(sd.readUnitDir()).toEqual(original);
  }, 60_000);

  it('leaves nothing behind once closed, and never touches this machine’s own units', async () => {
    await sd.close();
    expect(sd.remains()).toEqual([]);
    expect(await leftovers()).toEqual([]);
    expect(hostUnits()).toEqual(hostUnitsBefore);
  }, 30_000);
});
