/**
 * tighten-origins and stop-request-logging against a real systemd (test/lab/systemd.ts): the
 * stand-in Ollama runs as `ollama.service` with a drop-in that sets OLLAMA_ORIGINS=* (and a
 * site of the user's) and OLLAMA_DEBUG_LOG_REQUESTS=1. The plan comes from the real
 * `paddock scan` inside the container and the drop-in's real bytes; the engine's executor
 * applies it there and verifies by rescanning. Undo must leave the unit folder byte-identical
 * AND the running server back on the old environment: the restart that does that is the undo
 * of a step placed before the file (recipes/common.ts, systemdReloadAround), so this is also
 * the test that the undo order comes out right.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ScanJson } from '../../electron/cli/scan-json';
import type { FixDeps, VerifyResult } from '../../electron/engine/fixes/executor';
import { applyPlan, undoRun } from '../../electron/engine/fixes/executor';
import type { RecipeIO } from '../../electron/engine/fixes/recipes/common';
import { isManual } from '../../electron/engine/fixes/recipes/common';
import { planStopRequestLogging } from '../../electron/engine/fixes/recipes/stop-request-logging';
import { planTightenOrigins } from '../../electron/engine/fixes/recipes/tighten-origins';
import type { FixPlan, ManualFix } from '../../shared/fixes';
import type { Instance } from '../../shared/snapshot';
import type { SystemdLab } from './systemd';
import {
  DROPIN_DIR,
  REPO_IN_CONTAINER,
  STANDIN_PORT,
  UNIT,
  createSystemdLab,
  describeSystemdLab,
} from './systemd';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const EXTRA = `${DROPIN_DIR}/web-ui.conf`;
const EXTRA_TEXT =
  '# for the web UI\n[Service]\nEnvironment="OLLAMA_ORIGINS=*,https://chat.example.com" "OLLAMA_DEBUG_LOG_REQUESTS=1"\n';

async function scan(sd: SystemdLab): Promise<ScanJson> {
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

/** The running server's value of `name` (from its own environment), or null when unset. */
function serverValue(instance: Instance | undefined, name: string): string | null {
  return (
    instance?.settings.find((s) => s.name === name && s.source.kind === 'process')?.value ?? null
  );
}

/** Rescans until the server (restarted by systemd) has `want` for `name`; bounded. */
async function waitForServer(
  sd: SystemdLab,
  name: string,
  want: string | null,
): Promise<{ ok: boolean; seen: string | null; instance: Instance | undefined }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const instance = (await scan(sd)).snapshot.instances.find(
      (i) => i.process?.systemdUnit === UNIT && i.listeners.length > 0,
    );
    const seen = serverValue(instance, name);
    if (instance && seen === want) return { ok: true, seen, instance };
    if (Date.now() > deadline) return { ok: false, seen, instance };
    await sleep(250);
  }
}

describeSystemdLab('setting fixes in a real systemd', () => {
  let sd: SystemdLab;
  let runsDir: string;
  let io: RecipeIO;

  beforeAll(async () => {
    runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-setting-fix-runs-'));
    sd = await createSystemdLab();
    io = {
      readFile: (p) => {
        try {
          return fs.readFileSync(sd.hostPath(p), 'utf8');
        } catch {
          return null;
        }
      },
      fileMode: (p) => {
        try {
          return fs.statSync(sd.hostPath(p)).mode & 0o7777;
        } catch {
          return null;
        }
      },
    };
    fs.writeFileSync(sd.hostPath(EXTRA), EXTRA_TEXT, { mode: 0o640 });
    fs.chmodSync(sd.hostPath(EXTRA), 0o640);
    await sd.runInContainer(['systemctl', 'daemon-reload']);
    await sd.runInContainer(['systemctl', 'restart', UNIT]);
    const up = await waitForServer(sd, 'OLLAMA_ORIGINS', '*,https://chat.example.com');
    if (!up.ok) throw new Error(`the stand-in did not come up with the drop-in: ${up.seen}`);
  }, 240_000);

  afterAll(async () => {
    await sd?.close();
    if (runsDir) fs.rmSync(runsDir, { recursive: true, force: true });
  }, 30_000);

  function deps(verify: (plan: FixPlan) => Promise<VerifyResult>): FixDeps {
    return {
      runsDir,
      exec: (argv) => sd.exec(argv),
      files: sd.fixFiles(),
      verify,
      now: () => new Date(),
    };
  }

  async function planWith(
    recipe: (s: ScanJson['snapshot'], id: string, io: RecipeIO) => FixPlan | ManualFix,
  ): Promise<FixPlan> {
    const { snapshot } = await scan(sd);
    const instance = snapshot.instances.find((i) => i.process?.systemdUnit === UNIT)!;
    const plan = recipe(snapshot, instance.id, io);
    if (isManual(plan)) throw new Error(`no plan: ${plan.reason}`);
    return plan;
  }

  it('tighten-origins: the server runs without "*" (a foreign web page is refused), and undo brings back the file and the server as they were', async () => {
    const original = sd.readUnitDir();
    const plan = await planWith(planTightenOrigins);
    expect(
      plan.steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : `write ${s.path}`)),
    ).toEqual([
      `systemctl cat -- ${UNIT}`,
      'systemctl daemon-reload',
      `write ${EXTRA}`,
      'systemctl daemon-reload',
      `systemctl try-restart -- ${UNIT}`,
    ]);
    const write = plan.steps[2]!;
    expect(write).toMatchObject({
      before: EXTRA_TEXT,
      mode: 0o640,
      content:
        '# for the web UI\n[Service]\nEnvironment="OLLAMA_ORIGINS=https://chat.example.com" "OLLAMA_DEBUG_LOG_REQUESTS=1"\n',
    });

    const run = await applyPlan(
      plan,
      deps(async () => {
        const r = await waitForServer(sd, 'OLLAMA_ORIGINS', 'https://chat.example.com');
        const refused = r.instance?.fingerprints.every((f) => f.foreignOriginAllowed === false);
        return { ok: r.ok && refused === true, detail: `OLLAMA_ORIGINS=${r.seen}` };
      }),
    );
    expect(run.state, run.outcome).toBe('applied');
    expect(await sd.connectFromLan(STANDIN_PORT, 4)).toBe('open');

    const undone = await undoRun(
      run.id,
      deps(async () => ({ ok: true, detail: '' })),
    );
    expect(undone.state, undone.outcome).toBe('undone');
    expect(sd.readUnitDir()).toEqual(original);
    const back = await waitForServer(sd, 'OLLAMA_ORIGINS', '*,https://chat.example.com');
    expect(back.ok, `the server runs with OLLAMA_ORIGINS=${back.seen}`).toBe(true);
    expect(back.instance?.fingerprints.some((f) => f.foreignOriginAllowed === true)).toBe(true);
  }, 90_000);

  it('stop-request-logging: a rescan that does not confirm rolls back to the same file and server; a confirmed one removes the variable', async () => {
    const original = sd.readUnitDir();
    const plan = await planWith(planStopRequestLogging);
    expect(plan.steps[2]).toMatchObject({
      content:
        '# for the web UI\n[Service]\nEnvironment="OLLAMA_ORIGINS=*,https://chat.example.com"\n',
    });

    const rolled = await applyPlan(
      plan,
      deps(async () => ({ ok: false, detail: 'the test says no' })),
    );
    expect(rolled.state, rolled.outcome).toBe('rolled-back');
    expect(sd.readUnitDir()).toEqual(original);
    expect((await waitForServer(sd, 'OLLAMA_DEBUG_LOG_REQUESTS', '1')).ok).toBe(true);

    const run = await applyPlan(
      plan,
      deps(async () => {
        const r = await waitForServer(sd, 'OLLAMA_DEBUG_LOG_REQUESTS', null);
        return { ok: r.ok, detail: `OLLAMA_DEBUG_LOG_REQUESTS=${r.seen ?? '(unset)'}` };
      }),
    );
    expect(run.state, run.outcome).toBe('applied');
    const undone = await undoRun(
      run.id,
      deps(async () => ({ ok: true, detail: '' })),
    );
    expect(undone.state, undone.outcome).toBe('undone');
    expect(sd.readUnitDir()).toEqual(original);
    expect((await waitForServer(sd, 'OLLAMA_DEBUG_LOG_REQUESTS', '1')).ok).toBe(true);
  }, 90_000);
});
