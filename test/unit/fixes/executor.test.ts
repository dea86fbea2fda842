/**
 * The fix executor against a temporary folder standing in for the system: its `etc/` holds
 * the files a plan changes, and a fake `systemctl` keeps `run/loaded` (what daemon-reload read
 * from etc/) and `run/running` (what the service was restarted with), so that a rollback that
 * restores files but forgets to reload and restart leaves a visible difference.
 *
 * Every failure (a write, a removal, daemon-reload, restart, verification, a precondition)
 * must end with the folder byte-identical to before (names, types, modes, contents) and the
 * journal naming what happened. A process killed between any two operations is recovered by
 * recoverRuns in this process: the child runs the real executor, bundled by esbuild.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixPlan, FixRun, JournalEntry } from '../../../shared/fixes';
import type { ExecResult } from '../../../electron/engine/host/types';
import type { FixDeps, FixFiles } from '../../../electron/engine/fixes/executor';
import {
  FixRefusal,
  applyPlan,
  listRuns,
  readRun,
  recoverRuns,
  undoRun,
} from '../../../electron/engine/fixes/executor';
import { planDigest, previewPlan, shownArgv } from '../../../electron/engine/fixes/preview';
import { createFixFiles } from '../../../electron/engine/host/fix-files';

const root = mkdtempSync(join(tmpdir(), 'pdk-fixes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// ── the fake systemctl, shared by this process and the child ─────────────────────────

const FAKE_EXEC = join(root, 'fake-exec.cjs');
writeFileSync(
  FAKE_EXEC,
  `'use strict';
const fs = require('node:fs');
const path = require('node:path');
function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    const entries = fs.readdirSync(d, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}
const SHELLS = ['sh', 'bash', 'dash', 'zsh'];
function result(argv, code, stderr) {
  return { argv: [...argv], code, signal: null, stdout: '', stderr, truncated: false,
    timedOut: false, spawnError: null, durationMs: 1 };
}
/** systemctl daemon-reload: etc/ -> run/loaded; systemctl restart ollama: loaded -> running. */
exports.createFakeExec = function (sys, record, shouldFail) {
  return async (argv) => {
    if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string')) throw new Error('not an argv');
    if (SHELLS.includes(path.basename(argv[0])) && argv.includes('-c')) throw new Error('a shell string ran');
    record(argv);
    if (shouldFail(argv)) return result(argv, 1, 'Job for ollama.service failed.\\n');
    const cmd = argv.join(' ');
    if (cmd === 'systemctl cat ollama') return result(argv, 0, '');
    if (cmd === 'systemctl daemon-reload') {
      const etc = path.join(sys, 'etc');
      const text = filesUnder(etc)
        .map((f) => '# ' + path.relative(sys, f) + '\\n' + fs.readFileSync(f, 'utf8'))
        .join('');
      fs.writeFileSync(path.join(sys, 'run', 'loaded'), text);
      return result(argv, 0, '');
    }
    if (cmd === 'systemctl restart ollama') {
      fs.writeFileSync(path.join(sys, 'run', 'running'), fs.readFileSync(path.join(sys, 'run', 'loaded')));
      return result(argv, 0, '');
    }
    return result(argv, 1, 'unknown command: ' + cmd);
  };
};
`,
);
type FakeExecFactory = (
  sys: string,
  record: (argv: string[]) => void,
  shouldFail: (argv: readonly string[]) => boolean,
) => (argv: readonly string[]) => Promise<ExecResult>;
const { createFakeExec } = createRequire(import.meta.url)(FAKE_EXEC) as {
  createFakeExec: FakeExecFactory;
};

// ── a system and its plan ─────────────────────────────────────────────────────────────

const UNIT = '[Service]\nExecStart=/usr/bin/ollama serve\nEnvironment=OLLAMA_HOST=0.0.0.0\n';
const ENV_BEFORE = 'OLLAMA_HOST=0.0.0.0:11434\nOLLAMA_MODELS=/srv/models\n';
const ENV_AFTER = 'OLLAMA_HOST=127.0.0.1:11434\nOLLAMA_MODELS=/srv/models\n';
const OLD_DROPIN = '[Service]\nEnvironment=OLLAMA_ORIGINS=*\n';
const NEW_DROPIN = '[Service]\nEnvironment=OLLAMA_HOST=127.0.0.1\n';

let cases = 0;
interface World {
  sys: string;
  runsDir: string;
  execLog: string[][];
  deps: FixDeps;
  plan: FixPlan;
  /** Paths in the system, by short name. */
  paths: { dropin: string; env: string; old: string; unit: string };
}

/** A fresh system (files, folders, modes, loaded and running state) and a plan for it. */
function world(
  options: { shouldFail?: (argv: readonly string[]) => boolean; files?: FixFiles } = {},
): World {
  cases += 1;
  const sys = join(root, `case-${cases}`, 'sys');
  const runsDir = join(root, `case-${cases}`, 'runs');
  const unitDir = join(sys, 'etc', 'systemd', 'system');
  mkdirSync(unitDir, { recursive: true });
  mkdirSync(join(sys, 'etc', 'ollama'));
  mkdirSync(join(sys, 'run'));
  const paths = {
    unit: join(unitDir, 'ollama.service'),
    dropin: join(unitDir, 'ollama.service.d', 'paddock.conf'),
    env: join(sys, 'etc', 'ollama', 'env'),
    old: join(sys, 'etc', 'ollama', 'origins.conf'),
  };
  writeFileSync(paths.unit, UNIT);
  chmodSync(paths.unit, 0o644);
  writeFileSync(paths.env, ENV_BEFORE);
  chmodSync(paths.env, 0o640);
  writeFileSync(paths.old, OLD_DROPIN);
  chmodSync(paths.old, 0o604);
  const execLog: string[][] = [];
  const exec = createFakeExec(
    sys,
    (argv) => execLog.push(argv),
    options.shouldFail ?? (() => false),
  );
  // The service as it runs now: loaded and started from the files above.
  // (The fake's body runs synchronously up to its end: both are done when this returns.)
  void exec(['systemctl', 'daemon-reload']);
  void exec(['systemctl', 'restart', 'ollama']);
  execLog.length = 0;
  let clock = Date.parse('2025-03-04T05:06:07.000Z');
  const deps: FixDeps = {
    runsDir,
    exec,
    files: options.files ?? createFixFiles(),
    verify: (plan) =>
      Promise.resolve(
        readFileSync(join(sys, 'run', 'running'), 'utf8').includes('OLLAMA_HOST=127.0.0.1')
          ? { ok: true, detail: `${plan.instance} listens on loopback only` }
          : { ok: false, detail: 'still listening on 0.0.0.0:11434' },
      ),
    now: () => new Date((clock += 1000)),
  };
  return { sys, runsDir, execLog, deps, plan: planFor(paths), paths };
}

function planFor(paths: World['paths']): FixPlan {
  return {
    fixId: 'rebind-systemd',
    findingId: 'ollama-exposed-lan',
    instance: 'ollama:pid:42',
    title: 'Listen on loopback only',
    summary: 'Ollama will accept connections from this machine only.',
    warnings: [],
    requiresAdmin: true,
    // Undo runs last step first: the restart that must follow the restored files is the undo
    // of a step placed before them (as recipes/common.ts systemdReloadAround does).
    steps: [
      {
        kind: 'run',
        argv: ['systemctl', 'cat', 'ollama'],
        undo: ['systemctl', 'restart', 'ollama'],
        description: 'Check that systemd knows ollama; on undo, restart it.',
      },
      {
        kind: 'run',
        argv: ['systemctl', 'daemon-reload'],
        undo: ['systemctl', 'daemon-reload'],
        description: 'Reload systemd; on undo, reload the restored files.',
      },
      {
        kind: 'write-file',
        path: paths.dropin,
        before: null,
        content: NEW_DROPIN,
        mode: 0o644,
        description: 'Add a drop-in that makes Ollama listen on loopback.',
      },
      {
        kind: 'write-file',
        path: paths.env,
        before: ENV_BEFORE,
        content: ENV_AFTER,
        mode: 0o600,
        description: 'Bind the environment file to loopback.',
      },
      {
        kind: 'remove-file',
        path: paths.old,
        before: OLD_DROPIN,
        description: 'Remove the wildcard origins.',
      },
      {
        kind: 'run',
        argv: ['systemctl', 'daemon-reload'],
        undo: null,
        description: 'Reload systemd.',
      },
      {
        kind: 'run',
        argv: ['systemctl', 'restart', 'ollama'],
        undo: null,
        description: 'Restart Ollama.',
      },
    ],
    verification: {
      kind: 'instance-loopback-only',
      instance: 'ollama:pid:42',
      port: 11434,
      setting: null,
      description: 'Ollama listens on loopback only.',
    },
    basedOn: '2025-03-04T05:00:00.000Z',
  };
}

/** Every entry under `dir`: type, permission bits, owner and content, by relative path. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = join(dir, rel, name);
      const key = rel === '' ? name : `${rel}/${name}`;
      const stat = lstatSync(path);
      const mode = `${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid}`;
      if (stat.isSymbolicLink()) out[key] = `link -> ${readlinkSync(path)}`;
      else if (stat.isDirectory()) {
        out[key] = `dir ${mode}`;
        walk(key);
      } else out[key] = `file ${mode} ${readFileSync(path).toString('base64')}`;
    }
  };
  walk('');
  return out;
}

const events = (run: FixRun | null) => (run?.journal ?? []).map((e) => e.event);
const eventsOf = (run: FixRun, event: JournalEntry['event']) =>
  run.journal.filter((e) => e.event === event);

/** A FixFiles over the real one that fails the named operation on one path. */
function failing(op: 'write' | 'remove', path: string): FixFiles {
  const real = createFixFiles();
  return {
    ...real,
    [op]: (p: string, ...rest: unknown[]) =>
      p === path
        ? Promise.reject(new Error(`EIO: i/o error, ${op} '${p}'`))
        : (real[op] as (...a: unknown[]) => Promise<void>)(p, ...rest),
  };
}

// ── apply ─────────────────────────────────────────────────────────────────────────────

describe('applyPlan', () => {
  it('applies, verifies, records, and runs exactly the argv the preview shows', async () => {
    const w = world();
    const run = await applyPlan(w.plan, { ...w.deps, expectedDigest: planDigest(w.plan) });
    expect(run.state).toBe('applied');
    expect(run.outcome).toBe('Applied and verified: ollama:pid:42 listens on loopback only');
    expect(readFileSync(w.paths.dropin, 'utf8')).toBe(NEW_DROPIN);
    expect(lstatSync(w.paths.dropin).mode & 0o777).toBe(0o644);
    expect(lstatSync(join(w.paths.dropin, '..')).mode & 0o777).toBe(0o755);
    expect(readFileSync(w.paths.env, 'utf8')).toBe(ENV_AFTER);
    expect(lstatSync(w.paths.env).mode & 0o777).toBe(0o600);
    expect(() => lstatSync(w.paths.old)).toThrow(/ENOENT/);
    expect(events(run)).toEqual([
      'run-started',
      ...['step-starting', 'step-done'],
      ...['step-starting', 'step-done'],
      ...['backup-saved', 'step-starting', 'step-done'],
      ...['backup-saved', 'step-starting', 'step-done'],
      ...['backup-saved', 'step-starting', 'step-done'],
      ...['step-starting', 'step-done'],
      ...['step-starting', 'step-done'],
      'verify-starting',
      'verify-ok',
    ]);
    // The preview's commands are the ones that ran, in that order, argument for argument.
    const shown = [...previewPlan(w.plan).matchAll(/^ {3}run: (.*)$/gm)].map((m) => m[1]);
    expect(w.execLog.map(shownArgv)).toEqual(shown);
    expect(w.execLog).toEqual(w.plan.steps.flatMap((s) => (s.kind === 'run' ? [s.argv] : [])));
    // What is on disk says the same as what was returned.
    expect(readRun(run.id, w.deps)).toEqual(run);
    expect(JSON.parse(readFileSync(join(w.runsDir, run.id, 'plan.json'), 'utf8'))).toEqual(w.plan);
  });

  it('journals each step (fsynced) before doing it', async () => {
    const real = createFixFiles();
    let runsDir = '';
    const lastEvent = () => {
      const [id] = readdirSync(runsDir).filter((n) => !n.startsWith('.'));
      const lines = readFileSync(join(runsDir, id!, 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n');
      return JSON.parse(lines[lines.length - 1]!) as JournalEntry;
    };
    const seen: string[] = [];
    const watched: FixFiles = {
      ...real,
      write: (p, c, m) => (seen.push(`write ${lastEvent().event}`), real.write(p, c, m)),
      remove: (p) => (seen.push(`remove ${lastEvent().event}`), real.remove(p)),
    };
    const w = world({ files: watched });
    runsDir = w.runsDir;
    const exec = w.deps.exec;
    const run = await applyPlan(w.plan, {
      ...w.deps,
      exec: (argv) => (seen.push(`exec ${lastEvent().event}`), exec(argv)),
    });
    expect(run.state).toBe('applied');
    expect(seen).toEqual([
      'exec step-starting',
      'exec step-starting',
      'write step-starting',
      'write step-starting',
      'remove step-starting',
      'exec step-starting',
      'exec step-starting',
    ]);
  });

  // Each failure at each step: the system ends as it was, the journal names the failure.
  // A command fails once (the Nth exec call): with the old files back, its undo works.
  const failures: Array<[string, (w: World) => { files?: FixFiles; failCall?: number }, number]> = [
    ['systemctl cat fails', () => ({ failCall: 0 }), 0],
    ['the first daemon-reload fails', () => ({ failCall: 1 }), 1],
    ['writing a new file fails', (w) => ({ files: failing('write', w.paths.dropin) }), 2],
    ['replacing a file fails', (w) => ({ files: failing('write', w.paths.env) }), 3],
    ['removing a file fails', (w) => ({ files: failing('remove', w.paths.old) }), 4],
    ['daemon-reload after the edits fails', () => ({ failCall: 2 }), 5],
    ['restart fails', () => ({ failCall: 3 }), 6],
  ];
  for (const [name, inject, step] of failures) {
    it(`${name}: rolled back to the byte, journal names step ${step + 1}`, async () => {
      const fault: { calls: number; failCall?: number } = { calls: 0 };
      const w = world({ shouldFail: () => fault.calls++ === fault.failCall });
      const injected = inject(w);
      fault.calls = 0; // world() ran the service's own start
      fault.failCall = injected.failCall;
      const before = snapshot(w.sys);
      const files = injected.files ?? w.deps.files;
      const run = await applyPlan(w.plan, { ...w.deps, files });
      expect(run.state).toBe('rolled-back');
      expect(snapshot(w.sys)).toEqual(before);
      const failed = eventsOf(run, 'step-failed');
      expect(failed.map((e) => e.step)).toEqual([step]);
      expect(failed[0]!.detail).toMatch(
        fault.failCall === undefined ? /EIO/ : /exited with 1: Job for/,
      );
      expect(run.outcome).toMatch(new RegExp(`^Rolled back: step ${step + 1} failed: `));
      // Every started step was undone, last first, and nothing after the failure ran.
      const upTo = Array.from({ length: step + 1 }, (_, i) => i);
      expect(eventsOf(run, 'step-starting').map((e) => e.step)).toEqual(upTo);
      expect(eventsOf(run, 'step-undone').map((e) => e.step)).toEqual([...upTo].reverse());
      expect(events(run).slice(-1)).toEqual(['rollback-done']);
    });
  }

  it('verification fails: every step is rolled back, reload and restart run again', async () => {
    const w = world();
    const before = snapshot(w.sys);
    const run = await applyPlan(w.plan, {
      ...w.deps,
      verify: () => Promise.resolve({ ok: false, detail: 'still listening on 0.0.0.0:11434' }),
    });
    expect(run.state).toBe('rolled-back');
    expect(run.outcome).toBe(
      'Rolled back: the rescan did not confirm the fix: still listening on 0.0.0.0:11434. The system is as it was.',
    );
    expect(snapshot(w.sys)).toEqual(before);
    expect(events(run).slice(-11)).toEqual([
      'verify-starting',
      'verify-failed',
      'rollback-starting',
      ...Array<string>(7).fill('step-undone'),
      'rollback-done',
    ]);
    expect(eventsOf(run, 'step-undone').map((e) => e.step)).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(w.execLog.map((a) => a.join(' '))).toEqual([
      'systemctl cat ollama',
      'systemctl daemon-reload',
      'systemctl daemon-reload',
      'systemctl restart ollama',
      'systemctl daemon-reload',
      'systemctl restart ollama',
    ]);
  });

  it('a verification that throws counts as failed', async () => {
    const w = world();
    const before = snapshot(w.sys);
    const run = await applyPlan(w.plan, {
      ...w.deps,
      verify: () => Promise.reject(new Error('scan timed out')),
    });
    expect(run.state).toBe('rolled-back');
    expect(eventsOf(run, 'verify-failed')[0]!.detail).toBe('the rescan failed: scan timed out');
    expect(snapshot(w.sys)).toEqual(before);
  });

  it('a file changed since the plan was made: nothing runs, the journal says which', async () => {
    const w = world();
    writeFileSync(w.paths.env, 'OLLAMA_HOST=0.0.0.0:8080\n');
    const before = snapshot(w.sys);
    const run = await applyPlan(w.plan, w.deps);
    expect(run.state).toBe('rolled-back');
    expect(snapshot(w.sys)).toEqual(before);
    expect(w.execLog).toEqual([]);
    expect(eventsOf(run, 'step-starting')).toEqual([]);
    const failed = eventsOf(run, 'step-failed');
    expect(failed.map((e) => e.step)).toEqual([3]);
    expect(failed[0]!.detail).toContain(`${w.paths.env} has changed since the plan was made`);
  });

  it('a precondition that fails mid-way (a path written twice) rolls back what ran', async () => {
    const w = world();
    const plan = structuredClone(w.plan);
    plan.steps.push({
      kind: 'write-file',
      path: w.paths.env,
      before: 'not what step 2 wrote\n',
      content: 'x\n',
      mode: 0o600,
      description: 'Second write.',
    });
    const before = snapshot(w.sys);
    const run = await applyPlan(plan, w.deps);
    expect(run.state).toBe('rolled-back');
    expect(eventsOf(run, 'step-failed')[0]).toMatchObject({ step: 7 });
    expect(eventsOf(run, 'step-failed')[0]!.detail).toContain(
      'has changed since the plan was made',
    );
    expect(snapshot(w.sys)).toEqual(before);
  });

  it('a file that is a symbolic link is refused, not followed', async () => {
    const w = world();
    const target = join(w.sys, 'elsewhere');
    writeFileSync(target, ENV_BEFORE);
    rmSync(w.paths.env);
    symlinkSync(target, w.paths.env);
    const before = snapshot(w.sys);
    const run = await applyPlan(w.plan, w.deps);
    expect(run.state).toBe('rolled-back');
    expect(run.outcome).toContain('is a symbolic link');
    expect(snapshot(w.sys)).toEqual(before);
  });

  it('a rollback that cannot finish says so, and what it could not undo', async () => {
    let failRestart = false;
    const w = world({ shouldFail: (argv) => failRestart && argv.includes('restart') });
    const run = await applyPlan(w.plan, {
      ...w.deps,
      verify: () => {
        failRestart = true;
        return Promise.resolve({ ok: false, detail: 'still exposed' });
      },
    });
    expect(run.state).toBe('rollback-failed');
    expect(run.outcome).toMatch(/Rolling back did not finish: step 1: `systemctl restart ollama`/);
    expect(eventsOf(run, 'step-failed').map((e) => e.step)).toEqual([0]);
    // The files were still put back.
    expect(readFileSync(w.paths.env, 'utf8')).toBe(ENV_BEFORE);
  });

  it('a command that is not installed did nothing, so its undo is not run', async () => {
    const w = world();
    const exec = w.deps.exec;
    const run = await applyPlan(w.plan, {
      ...w.deps,
      exec: (argv) =>
        argv.includes('cat')
          ? Promise.resolve({ ...failedResult(argv), code: null, spawnError: 'ENOENT' })
          : exec(argv),
    });
    expect(run.state).toBe('rolled-back');
    expect(eventsOf(run, 'step-undone')).toMatchObject([
      { step: 0, detail: 'nothing to undo: the command never started' },
    ]);
    expect(w.execLog).toEqual([]);
  });
});

function failedResult(argv: readonly string[]): ExecResult {
  return {
    argv: [...argv],
    code: 1,
    signal: null,
    stdout: '',
    stderr: '',
    truncated: false,
    timedOut: false,
    spawnError: null,
    durationMs: 0,
  };
}

// ── what is refused before anything runs ─────────────────────────────────────────────

describe('refusals', () => {
  it('a plan changed since it was previewed is refused, nothing recorded or run', async () => {
    const w = world();
    const digest = planDigest(w.plan);
    const changed = structuredClone(w.plan);
    (changed.steps[6] as { argv: string[] }).argv = ['systemctl', 'restart', 'sshd'];
    const before = snapshot(w.sys);
    const refusal = applyPlan(changed, { ...w.deps, expectedDigest: digest });
    await expect(refusal).rejects.toBeInstanceOf(FixRefusal);
    await expect(refusal).rejects.toMatchObject({
      kind: 'plan-changed',
      message: expect.stringMatching(/the plan changed since it was previewed/i) as unknown,
    });
    expect(snapshot(w.sys)).toEqual(before);
    expect(w.execLog).toEqual([]);
    expect(listRuns(w.deps)).toEqual([]);
  });

  it('no step may run a shell string, even behind env or sudo', async () => {
    for (const argv of [
      ['sh', '-c', 'systemctl restart ollama'],
      ['/usr/bin/env', 'bash', '-c', 'x'],
      ['sudo', 'su', '-c', 'x'],
    ]) {
      const w = world();
      const plan = structuredClone(w.plan);
      plan.steps[6] = { kind: 'run', argv, undo: null, description: 'x' };
      await expect(applyPlan(plan, w.deps)).rejects.toMatchObject({ kind: 'invalid-plan' });
      plan.steps[6] = { kind: 'run', argv: ['true'], undo: argv, description: 'x' };
      await expect(applyPlan(plan, w.deps)).rejects.toMatchObject({ kind: 'invalid-plan' });
      expect(w.execLog).toEqual([]);
    }
  });

  it('relative or unnormalised paths, and malformed plans, are refused', async () => {
    const w = world();
    const plan = structuredClone(w.plan);
    (plan.steps[2] as { path: string }).path = `${w.sys}/etc/../etc/passwd`;
    await expect(applyPlan(plan, w.deps)).rejects.toThrow(/not an absolute, normalised path/);
    const bad = { ...w.plan, steps: [{ kind: 'run', argv: [] }] } as unknown as FixPlan;
    await expect(applyPlan(bad, w.deps)).rejects.toThrow(/not well formed/);
  });

  it('another live Paddock holding the lock: refused as busy', async () => {
    const w = world();
    mkdirSync(w.runsDir, { recursive: true });
    writeFileSync(join(w.runsDir, '.lock'), `${process.pid}\n`);
    await expect(applyPlan(w.plan, w.deps)).rejects.toMatchObject({ kind: 'busy' });
    rmSync(join(w.runsDir, '.lock'));
  });
});

// ── undo ──────────────────────────────────────────────────────────────────────────────

describe('undoRun', () => {
  it('puts back every file byte for byte, with modes and folders, and reloads and restarts', async () => {
    const w = world();
    const before = snapshot(w.sys);
    const applied = await applyPlan(w.plan, w.deps);
    expect(applied.state).toBe('applied');
    w.execLog.length = 0;
    const run = await undoRun(applied.id, w.deps);
    expect(run.state).toBe('undone');
    expect(snapshot(w.sys)).toEqual(before);
    expect(w.execLog.map((a) => a.join(' '))).toEqual([
      'systemctl daemon-reload',
      'systemctl restart ollama',
    ]);
    expect(events(run).slice(-9)).toEqual([
      'undo-starting',
      ...Array<string>(7).fill('step-undone'),
      'undo-done',
    ]);
    await expect(undoRun(applied.id, w.deps)).rejects.toMatchObject({ kind: 'not-applied' });
  });

  it.skipIf(process.getuid?.() !== 0)(
    'as root: a replaced file keeps its owner, and undo restores owner and mode (needs root)',
    async () => {
      const w = world();
      chownSync(w.paths.env, 1234, 2345);
      chmodSync(w.paths.env, 0o2640); // chown cleared set-gid; set it again after
      const before = snapshot(w.sys);
      const applied = await applyPlan(w.plan, w.deps);
      expect(applied.state).toBe('applied');
      expect(lstatSync(w.paths.env)).toMatchObject({ uid: 1234, gid: 2345 });
      expect(lstatSync(w.paths.env).mode & 0o7777).toBe(0o600);
      expect((await undoRun(applied.id, w.deps)).state).toBe('undone');
      expect(snapshot(w.sys)).toEqual(before);
    },
  );

  it('refuses, changing nothing, when a file was edited by hand since', async () => {
    const w = world();
    const applied = await applyPlan(w.plan, w.deps);
    appendFileSync(w.paths.dropin, 'Environment=OLLAMA_DEBUG=1\n');
    const before = snapshot(w.sys);
    w.execLog.length = 0;
    const refusal = undoRun(applied.id, w.deps);
    await expect(refusal).rejects.toMatchObject({ kind: 'changed-since' });
    await expect(refusal).rejects.toThrow(
      `${w.paths.dropin} has changed since Paddock wrote it on 2025-03-04 05:06 UTC; undo would overwrite your change`,
    );
    expect(snapshot(w.sys)).toEqual(before);
    expect(w.execLog).toEqual([]);
    const run = readRun(applied.id, w.deps)!;
    expect(run.state).toBe('applied');
    expect(events(run).slice(-1)).toEqual(['undo-refused']);
  });

  it('refuses when a removed file was created again, or a mode was changed', async () => {
    const w = world();
    const applied = await applyPlan(w.plan, w.deps);
    writeFileSync(w.paths.old, 'mine\n');
    await expect(undoRun(applied.id, w.deps)).rejects.toThrow(
      `${w.paths.old} has changed since Paddock removed it`,
    );
    rmSync(w.paths.old);
    chmodSync(w.paths.env, 0o644);
    await expect(undoRun(applied.id, w.deps)).rejects.toThrow(`${w.paths.env} has changed`);
  });

  it('an unknown run, or a run that was rolled back, cannot be undone', async () => {
    const w = world();
    await expect(undoRun('20250101T000000000Z-00000000', w.deps)).rejects.toMatchObject({
      kind: 'unknown-run',
    });
    await expect(undoRun('../../etc', w.deps)).rejects.toMatchObject({ kind: 'unknown-run' });
    const run = await applyPlan(w.plan, {
      ...w.deps,
      verify: () => Promise.resolve({ ok: false, detail: 'no' }),
    });
    await expect(undoRun(run.id, w.deps)).rejects.toMatchObject({ kind: 'not-applied' });
  });
});

// ── history and the journal on disk ─────────────────────────────────────────────────

describe('listRuns and the journal', () => {
  it('lists runs oldest first, with their states', async () => {
    const w = world();
    const first = await applyPlan(w.plan, {
      ...w.deps,
      verify: () => Promise.resolve({ ok: false, detail: 'no' }),
    });
    const second = await applyPlan(w.plan, w.deps);
    await undoRun(second.id, w.deps);
    expect(listRuns(w.deps).map((r) => [r.id, r.state])).toEqual([
      [first.id, 'rolled-back'],
      [second.id, 'undone'],
    ]);
    expect(listRuns({ runsDir: join(w.sys, 'nowhere') })).toEqual([]);
  });

  it('a torn last journal line is skipped, and the next line is still whole', async () => {
    const w = world();
    const run = await applyPlan(w.plan, w.deps);
    const journal = join(w.runsDir, run.id, 'journal.jsonl');
    appendFileSync(journal, '{"at":"2025-03-04T05:07:00.000Z","step":nu');
    expect(readRun(run.id, w.deps)).toEqual(run);
    const undone = await undoRun(run.id, w.deps);
    expect(undone.state).toBe('undone');
    expect(readRun(run.id, w.deps)).toEqual(undone);
  });
});

// ── a process killed between any two operations ─────────────────────────────────────

const BUNDLE = join(root, 'executor.cjs');
const CHILD = join(root, 'child.cjs');

beforeAll(() => {
  const engine = (p: string) =>
    fileURLToPath(new URL(`../../../electron/engine/${p}`, import.meta.url));
  buildSync({
    stdin: {
      contents: `export * from ${JSON.stringify(engine('fixes/executor.ts'))};\nexport { createFixFiles } from ${JSON.stringify(engine('host/fix-files.ts'))};\n`,
      resolveDir: root,
      loader: 'ts',
    },
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
  });
  // Counts every operation on the system (file reads, writes, removals, commands, the rescan)
  // and SIGKILLs itself just before or just after operation killAt / 2.
  writeFileSync(
    CHILD,
    `const fs = require('node:fs');
const { applyPlan, undoRun, createFixFiles } = require(${JSON.stringify(BUNDLE)});
const { createFakeExec } = require(${JSON.stringify(FAKE_EXEC)});
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let op = 0;
const at = (after) => {
  if (cfg.killAt === 2 * op + (after ? 1 : 0)) {
    process.kill(process.pid, 'SIGKILL');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10000);
  }
};
const counted = (fn) => async (...args) => {
  at(false);
  try { return await fn(...args); } finally { at(true); op += 1; }
};
const real = createFixFiles();
const files = Object.fromEntries(Object.entries(real).map(([k, fn]) => [k, counted(fn)]));
const exec = counted(createFakeExec(cfg.sys, (argv) => fs.appendFileSync(cfg.execLog, JSON.stringify(argv) + '\\n'), () => false));
const verify = counted(async () => (cfg.failVerify ? { ok: false, detail: 'still exposed' } : { ok: true, detail: 'loopback only' }));
const deps = { runsDir: cfg.runsDir, exec, files, verify, now: () => new Date() };
(cfg.runId ? undoRun(cfg.runId, deps) : applyPlan(cfg.plan, deps)).then(
  (run) => fs.writeSync(1, 'completed ' + run.state + '\\n'),
  (error) => { fs.writeSync(2, String(error && error.stack)); process.exit(3); },
);
`,
  );
});

/** Runs the child; 'killed' or the state it completed with. */
function runChild(config: Record<string, unknown>): Promise<string> {
  const file = join(root, `child-${(cases += 1)}.json`);
  writeFileSync(file, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CHILD, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0 && out.startsWith('completed ')) resolve(out.trim().slice(10));
      else reject(new Error(`child failed (${code}): ${err}`));
    });
  });
}

/** Kills the child at every point in turn; after each, recovery restores the expected state. */
async function killEverywhere(
  mode: 'apply' | 'apply-failing' | 'undo',
  check: (w: World, original: Record<string, string>, applied: Record<string, string>) => void,
) {
  let completed = false;
  let kills = 0;
  for (let killAt = 0; !completed && killAt < 200; killAt += 1) {
    const w = world();
    const original = snapshot(w.sys);
    let runId: string | null = null;
    let applied = original;
    if (mode === 'undo') {
      runId = (await applyPlan(w.plan, w.deps)).id;
      applied = snapshot(w.sys);
    }
    const outcome = await runChild({
      sys: w.sys,
      runsDir: w.runsDir,
      execLog: join(w.sys, '..', 'child-exec.log'),
      plan: w.plan,
      runId,
      failVerify: mode === 'apply-failing',
      killAt,
    });
    if (outcome !== 'killed') {
      completed = true;
      expect(outcome).toBe(
        { apply: 'applied', 'apply-failing': 'rolled-back', undo: 'undone' }[mode],
      );
      continue;
    }
    kills += 1;
    const recoveries = await recoverRuns(w.deps);
    check(w, original, applied);
    // Recovery is done once: a second start finds nothing to do.
    expect(await recoverRuns(w.deps)).toEqual([]);
    for (const r of recoveries) {
      expect(r.message).toMatch(/^Paddock stopped while/);
      expect(events(r.run).slice(-1)).toEqual(['recovered']);
    }
  }
  expect(completed).toBe(true);
  expect(kills).toBeGreaterThan(10);
}

describe('recoverRuns after a kill between any two operations', () => {
  it('an interrupted apply is rolled back to the exact previous state', async () => {
    await killEverywhere('apply', (w, original) => {
      expect(snapshot(w.sys)).toEqual(original);
      const [run] = listRuns(w.deps);
      expect(run?.state).toBe('rolled-back');
      expect(run?.outcome).toMatch(/rolled back at the next start/);
    });
  }, 120_000);

  it('an interrupted rollback (verification failed) is finished', async () => {
    await killEverywhere('apply-failing', (w, original) => {
      expect(snapshot(w.sys)).toEqual(original);
      expect(listRuns(w.deps)[0]?.state).toBe('rolled-back');
    });
  }, 120_000);

  it('an interrupted undo is finished (or, killed before it began, the fix stays applied)', async () => {
    await killEverywhere('undo', (w, original, applied) => {
      const run = listRuns(w.deps)[0]!;
      expect(['undone', 'applied']).toContain(run.state);
      expect(snapshot(w.sys)).toEqual(run.state === 'undone' ? original : applied);
    });
  }, 120_000);

  it('a file edited by hand after the crash is left alone, and the message says so', async () => {
    const w = world();
    const outcome = await runChild({
      sys: w.sys,
      runsDir: w.runsDir,
      execLog: join(w.sys, '..', 'child-exec.log'),
      plan: w.plan,
      runId: null,
      failVerify: false,
      killAt: 19, // just after the environment file was written (operation 9)
    });
    expect(outcome).toBe('killed');
    writeFileSync(w.paths.env, 'edited by hand\n');
    const [recovery] = await recoverRuns(w.deps);
    expect(recovery?.action).toBe('failed');
    expect(recovery?.run.state).toBe('rollback-failed');
    expect(recovery?.message).toContain(`${w.paths.env} has changed since Paddock wrote it on `);
    expect(readFileSync(w.paths.env, 'utf8')).toBe('edited by hand\n');
    // Everything else was put back.
    expect(() => lstatSync(w.paths.dropin)).toThrow(/ENOENT/);
  });

  it('says what it did, in words, and which action', async () => {
    const w = world();
    await runChild({
      sys: w.sys,
      runsDir: w.runsDir,
      execLog: join(w.sys, '..', 'child-exec.log'),
      plan: w.plan,
      runId: null,
      failVerify: false,
      killAt: 15, // just after the first file was written (operation 7)
    });
    const [recovery] = await recoverRuns(w.deps);
    expect(recovery?.action).toBe('rolled-back');
    expect(recovery?.message).toMatch(
      /^Paddock stopped while applying "Listen on loopback only" \(run .*\)\. At this start it undid the steps that had begun: the system is as it was before\.$/,
    );
  });
});
