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

  // The privileged side (docs/security.md) in the same systemd: root makes the plan itself.
  const PRIVILEGED = `${REPO_IN_CONTAINER}/out/cli/paddock-privileged.cjs`;
  const previewDigest = async (extra: string[] = [], fixId = 'rebind-systemd'): Promise<string> => {
    const preview = await sd.runInContainer(
      [
        '/usr/bin/node',
        `${REPO_IN_CONTAINER}/bin/paddock.cjs`,
        'fix',
        fixId,
        ...extra,
        '--dry-run',
      ],
      { timeoutMs: 30_000 },
    );
    const digest = /Plan sha256: ([0-9a-f]{64})/.exec(preview.stdout)?.[1];
    if (!digest) throw new Error(`no plan previewed: ${preview.stdout}${preview.stderr}`);
    return digest;
  };

  it('through paddock-privileged: root makes the plan from its own scan, applies the one previewed, and undoes it to the byte', async () => {
    const original = sd.readUnitDir();
    const digest = await previewDigest();
    const applied = await sd.runInContainer(
      [
        '/usr/bin/node',
        PRIVILEGED,
        '__apply-fix',
        'rebind-systemd',
        `ollama:service:${UNIT}`,
        digest,
      ],
      { timeoutMs: 60_000 },
    );
    expect(applied.code, `${applied.stdout}${applied.stderr}`).toBe(0);
    const run = JSON.parse(applied.stdout) as { id: string; state: string; outcome: string };
    expect(run.state, run.outcome).toBe('applied');
    expect(await sd.connectFromLan(STANDIN_PORT, 4)).toBe('refused');
    expect(await listenersInContainer(sd)).toEqual([`127.0.0.1:${STANDIN_PORT}`]);

    const undone = await sd.runInContainer(['/usr/bin/node', PRIVILEGED, '__undo-run', run.id], {
      timeoutMs: 60_000,
    });
    expect((JSON.parse(undone.stdout) as { state: string }).state, undone.stderr).toBe('undone');
    expect(await sd.waitFromLan(STANDIN_PORT, 'open', { family: 4 })).toBe('open');
    expect(sd.readUnitDir()).toEqual(original);
  }, 90_000);

  it('red-team finding: a server that only sits in another unit’s cgroup cannot make root write a drop-in for it or restart it', async () => {
    // A decoy unit whose main process starts a user's "ollama" beside it (as cron starts a
    // user's job in cron.service's cgroup): the cgroup names the unit, but the unit's main
    // process is not the server.
    const decoy = 'pdk-decoy.service';
    const prepared = await sd.runInContainer([
      'sh',
      '-c',
      [
        'mkdir -p /tmp/decoy',
        'ln -sf /usr/bin/node /tmp/decoy/ollama',
        `printf '%s\\n' "require('/usr/local/lib/paddock-lab/ollama-standin.cjs').main();" > /tmp/decoy/serve`,
        'chmod -R a+rX /tmp/decoy',
      ].join(' && '),
    ]);
    expect(prepared.code, prepared.stderr).toBe(0);
    const started = await sd.runInContainer([
      'systemd-run',
      `--unit=${decoy}`,
      '--working-directory=/tmp/decoy',
      'sh',
      '-c',
      'OLLAMA_HOST=0.0.0.0:11500 HOME=/tmp/decoy setpriv --reuid=65534 --regid=65534 --clear-groups /tmp/decoy/ollama serve & exec sleep 300',
    ]);
    expect(started.code, started.stderr).toBe(0);
    expect(await sd.waitFromLan(11500, 'open', { family: 4 })).toBe('open');
    const mainPid = async () =>
      (
        await sd.runInContainer(['systemctl', 'show', '--property=MainPID', '--value', decoy])
      ).stdout.trim();
    const before = await mainPid();
    try {
      const digest = await previewDigest(['--instance', `ollama:service:${decoy}`]);
      const applied = await sd.runInContainer(
        [
          '/usr/bin/node',
          PRIVILEGED,
          '__apply-fix',
          'rebind-systemd',
          `ollama:service:${decoy}`,
          digest,
        ],
        { timeoutMs: 60_000 },
      );
      expect(applied.code).toBe(2);
      expect(applied.stdout).toMatch(
        /pdk-decoy.service, whose main process is not a server Paddock found/,
      );
      expect(fs.existsSync(sd.hostPath(`/etc/systemd/system/${decoy}.d`))).toBe(false);
      expect(await mainPid()).toBe(before); // not restarted
    } finally {
      await sd.runInContainer(['systemctl', 'stop', decoy]);
      await sd.runInContainer(['rm', '-rf', '/tmp/decoy']);
    }
  }, 90_000);

  it('stop-tunnel (issue 12, class 5): a tunnel client running as a system service is stopped by root from its own scan, verified, and started again by undo', async () => {
    const unit = 'pdk-cloudflared.service';
    // A stand-in "cloudflared" (node under that name, idle): what matters is the process, its
    // arguments and its service, not the tunnel itself (test/lab/tunnel.test.ts carries traffic).
    fs.mkdirSync(sd.hostPath('/usr/local/lib/paddock-lab'), { recursive: true });
    fs.writeFileSync(
      sd.hostPath('/usr/local/lib/paddock-lab/idle.cjs'),
      'setInterval(() => undefined, 1 << 30);\n',
    );
    const link = sd.hostPath('/usr/local/bin/cloudflared');
    fs.rmSync(link, { force: true });
    fs.symlinkSync('/usr/bin/node', link);
    fs.writeFileSync(
      sd.hostPath(`/etc/systemd/system/${unit}`),
      `[Service]\nExecStart=/usr/local/bin/cloudflared /usr/local/lib/paddock-lab/idle.cjs tunnel --url http://localhost:${STANDIN_PORT}\n`,
    );
    const active = async () =>
      (await sd.runInContainer(['systemctl', 'is-active', unit])).stdout.trim();
    try {
      await sd.runInContainer(['systemctl', 'daemon-reload']);
      await sd.runInContainer(['systemctl', 'start', unit]);
      expect(await active()).toBe('active');
      const scan = await scanInContainer(sd);
      const instance = scan.snapshot.instances.find((i) => i.id === `ollama:service:${UNIT}`)!;
      expect(instance.exposure).toBe('internet');
      expect(instance.tunnels?.map((t) => [t.tool, t.systemdUnit])).toEqual([
        ['cloudflared', unit],
      ]);

      const digest = await previewDigest(['--instance', instance.id], 'stop-tunnel');
      const applied = await sd.runInContainer(
        ['/usr/bin/node', PRIVILEGED, '__apply-fix', 'stop-tunnel', instance.id, digest],
        { timeoutMs: 60_000 },
      );
      expect(applied.code, `${applied.stdout}${applied.stderr}`).toBe(0);
      const run = JSON.parse(applied.stdout) as { id: string; state: string; outcome: string };
      expect(run.state, run.outcome).toBe('applied');
      expect(await active()).not.toBe('active');
      expect(await sd.connectFromLan(STANDIN_PORT, 4)).toBe('open'); // only the tunnel went

      const undone = await sd.runInContainer(['/usr/bin/node', PRIVILEGED, '__undo-run', run.id], {
        timeoutMs: 60_000,
      });
      expect((JSON.parse(undone.stdout) as { state: string }).state, undone.stderr).toBe('undone');
      expect(await active()).toBe('active');
    } finally {
      await sd.runInContainer(['systemctl', 'stop', unit]);
      fs.rmSync(sd.hostPath(`/etc/systemd/system/${unit}`), { force: true });
      await sd.runInContainer(['systemctl', 'daemon-reload']);
    }
  }, 90_000);

  it('leaves nothing behind once closed, and never touches this machine’s own units', async () => {
    await sd.close();
    expect(sd.remains()).toEqual([]);
    expect(await leftovers()).toEqual([]);
    expect(hostUnits()).toEqual(hostUnitsBefore);
  }, 30_000);
});
