/**
 * R1 (known since issue 14): block-port, share-allowlist and block-client share their boot
 * plumbing (nftPersistSteps: the include file /etc/paddock/nftables.conf, the unit
 * paddock-nftables.service, and its enablement), which only the first fix that needs it
 * writes. Undoing that first fix must leave it, or a later fix's rule is not loaded after the
 * next reboot although History says it is.
 *
 * The real recipe, the real executor and root's real re-check of a recorded run
 * (cli/privileged.ts recordedRunProblem), over a temporary folder standing in for `/`; a fake
 * `systemctl enable`/`disable` makes and removes the link systemd would. Runs recorded before
 * `kept` existed undo as they always did; an interrupted apply or undo is finished as before,
 * leaving the kept files.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FixPlan, FixStep } from '../../../shared/fixes';
import type { Snapshot } from '../../../shared/snapshot';
import { snapshotSchema } from '../../../shared/snapshot';
import { recordedRunProblem } from '../../../electron/cli/privileged';
import type { FixDeps, FixFiles } from '../../../electron/engine/fixes/executor';
import { applyPlan, recoverRuns, readRun, undoRun } from '../../../electron/engine/fixes/executor';
import { isManual } from '../../../electron/engine/fixes/recipes/common';
import {
  NFT_MAIN_CONTENT,
  NFT_UNIT_CONTENT,
  PADDOCK_NFT_MAIN,
  PADDOCK_NFT_UNIT,
  PADDOCK_NFT_UNIT_NAME,
  nftPortFile,
  planBlockPort,
} from '../../../electron/engine/fixes/recipes/block-port';
import { createFixFiles } from '../../../electron/engine/host/fix-files';
import type { ExecResult } from '../../../electron/engine/host/types';
import { buildSnapshot, firewallFacts, wildcardOllama } from '../../rules/snapshots';

const top = mkdtempSync(join(tmpdir(), 'pdk-kept-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

const WANTS = `/etc/systemd/system/multi-user.target.wants/${PADDOCK_NFT_UNIT_NAME}`;
let cases = 0;

interface System {
  /** A path of the stand-in system, as the plan names it, read here; null: absent. */
  read(path: string): string | null;
  write(path: string, text: string): void;
  runsDir: string;
  ran: string[];
  deps(verifyOk?: boolean): FixDeps;
  /** block-port on a port, planned from the stand-in system as it is now. */
  plan(port: number): FixPlan;
}

function system(): System {
  cases += 1;
  const root = join(top, `case-${cases}`, 'root');
  const runsDir = join(top, `case-${cases}`, 'runs');
  mkdirSync(join(root, 'etc', 'systemd', 'system'), { recursive: true });
  mkdirSync(join(root, 'proc', '1'), { recursive: true });
  writeFileSync(join(root, 'proc', '1', 'comm'), 'systemd\n');
  const at = (p: string) => join(root, p);
  const read = (p: string) => {
    try {
      return readFileSync(at(p), 'utf8');
    } catch {
      return null;
    }
  };
  const real = createFixFiles();
  const files: FixFiles = {
    read: (p) => real.read(at(p)),
    write: (p, content, mode, owner) => real.write(at(p), content, mode, owner),
    remove: (p) => real.remove(at(p)),
    missingParents: async (p) =>
      (await real.missingParents(at(p))).map((d) => d.slice(root.length) || '/'),
    removeEmptyDir: (p) => real.removeEmptyDir(at(p)),
  };
  const ran: string[] = [];
  const ok = (argv: readonly string[]): ExecResult => ({
    argv: [...argv],
    code: 0,
    signal: null,
    stdout: '',
    stderr: '',
    truncated: false,
    timedOut: false,
    spawnError: null,
    durationMs: 1,
  });
  const exec = (argv: readonly string[]) => {
    ran.push(argv.join(' '));
    if (argv.join(' ') === `systemctl enable -- ${PADDOCK_NFT_UNIT_NAME}`) {
      mkdirSync(dirname(at(WANTS)), { recursive: true });
      writeFileSync(at(WANTS), read(PADDOCK_NFT_UNIT) ?? '');
    }
    if (argv.join(' ') === `systemctl disable -- ${PADDOCK_NFT_UNIT_NAME}`) rmSync(at(WANTS));
    return Promise.resolve(ok(argv));
  };
  const snapshot = snapshotSchema.parse(
    buildSnapshot({
      instances: [wildcardOllama(null)],
      firewall: { status: 'ok', facts: firewallFacts('off') },
    }),
  ) as Snapshot;
  return {
    read,
    write: (p, text) => writeFileSync(at(p), text),
    runsDir,
    ran,
    deps: (verifyOk = true) => ({
      runsDir,
      exec,
      files,
      now: () => new Date(),
      verify: () => Promise.resolve({ ok: verifyOk, detail: verifyOk ? 'closed' : 'still open' }),
    }),
    plan: (port) => {
      const made = planBlockPort(snapshot, 'ollama:pid:42', { readFile: read }, { port });
      if (isManual(made)) throw new Error(made.reason);
      return made;
    },
  };
}

/** As root undoes and recovers: the recorded run checked again first. */
const rootDeps = (s: System) => ({ ...s.deps(), check: recordedRunProblem });

/** The plan as the recipe made it before R1: nothing kept, the unit disabled by undo. */
function beforeR1(plan: FixPlan): FixPlan {
  return {
    ...plan,
    steps: plan.steps.map((step): FixStep => {
      if (step.kind === 'write-file') {
        const { kept: _kept, ...rest } = step;
        return rest;
      }
      if (step.kind === 'run' && step.argv[1] === 'enable')
        return { ...step, undo: ['systemctl', 'disable', '--', PADDOCK_NFT_UNIT_NAME] };
      return step;
    }),
  };
}

const A = 11434;
const B = 8080;

describe('R1: undoing the first nftables fix leaves the boot plumbing a later fix relies on', () => {
  it('close A, close B, undo A: the include file, the unit and its enablement stay; B’s rule stays', async () => {
    const s = system();
    const a = await applyPlan(s.plan(A), s.deps());
    expect(a.state, a.outcome).toBe('applied');
    expect(s.read(WANTS)).toBe(NFT_UNIT_CONTENT);
    const planB = s.plan(B);
    // B finds the plumbing in place: it writes its own rule only.
    expect(planB.steps.map((st) => (st.kind === 'run' ? st.argv[0] : st.path))).toEqual([
      nftPortFile(B),
      'nft',
    ]);
    const b = await applyPlan(planB, s.deps());
    expect(b.state, b.outcome).toBe('applied');

    s.ran.length = 0;
    const undone = await undoRun(a.id, rootDeps(s));
    expect(undone.state, undone.outcome).toBe('undone');
    expect(s.read(nftPortFile(A))).toBeNull();
    expect(s.read(nftPortFile(B))).not.toBeNull();
    expect(s.read(PADDOCK_NFT_MAIN)).toBe(NFT_MAIN_CONTENT);
    expect(s.read(PADDOCK_NFT_UNIT)).toBe(NFT_UNIT_CONTENT);
    expect(s.read(WANTS)).toBe(NFT_UNIT_CONTENT);
    expect(s.ran).toEqual([`nft add table inet paddock_${A} ; delete table inet paddock_${A}`]);
    expect(undone.outcome).toBe(
      `Undone: Close port ${A} to other machines. The system is as it was, but for ${PADDOCK_NFT_MAIN} and ${PADDOCK_NFT_UNIT}, kept on purpose: other fixes may rely on them.`,
    );
    const kept = undone.journal.filter(
      (e) => e.event === 'step-undone' && e.detail.startsWith('kept'),
    );
    expect(kept.map((e) => e.step)).toEqual([3, 2]);

    // Undoing B: its own rule only, as before.
    expect((await undoRun(b.id, rootDeps(s))).state).toBe('undone');
    expect(s.read(nftPortFile(B))).toBeNull();
    expect(s.read(PADDOCK_NFT_MAIN)).toBe(NFT_MAIN_CONTENT);
  });

  it('undo is not refused when a kept file changed since (a later Paddock rewrote the unit), and leaves it', async () => {
    const s = system();
    const a = await applyPlan(s.plan(A), s.deps());
    const newer = NFT_UNIT_CONTENT.replace('Description=Paddock', 'Description=Paddock (newer)');
    s.write(PADDOCK_NFT_UNIT, newer);
    const undone = await undoRun(a.id, rootDeps(s));
    expect(undone.state, undone.outcome).toBe('undone');
    expect(s.read(PADDOCK_NFT_UNIT)).toBe(newer);
  });

  it('a rollback (the rescan says no) leaves them too, and says so', async () => {
    const s = system();
    const run = await applyPlan(s.plan(A), s.deps(false));
    expect(run.state).toBe('rolled-back');
    expect(s.read(nftPortFile(A))).toBeNull();
    expect(s.read(PADDOCK_NFT_MAIN)).toBe(NFT_MAIN_CONTENT);
    expect(s.read(PADDOCK_NFT_UNIT)).toBe(NFT_UNIT_CONTENT);
    expect(s.read(WANTS)).toBe(NFT_UNIT_CONTENT);
    expect(run.outcome).toMatch(
      /The system is as it was, but for \/etc\/paddock\/nftables\.conf and \/etc\/systemd\/system\/paddock-nftables\.service, kept on purpose: other fixes may rely on them\.$/,
    );
  });

  it('a run recorded before R1 (no `kept`) passes root’s re-check and undoes as it always did', async () => {
    const s = system();
    const old = beforeR1(s.plan(A));
    expect(old.steps.some((st) => 'kept' in st)).toBe(false);
    const a = await applyPlan(old, s.deps());
    expect(a.state).toBe('applied');
    expect(recordedRunProblem(readRun(a.id, s)!)).toBeNull();
    s.ran.length = 0;
    const undone = await undoRun(a.id, rootDeps(s));
    expect(undone.state, undone.outcome).toBe('undone');
    expect(undone.outcome).toBe(
      `Undone: Close port ${A} to other machines. The system is as it was.`,
    );
    expect(s.read(PADDOCK_NFT_MAIN)).toBeNull();
    expect(s.read(PADDOCK_NFT_UNIT)).toBeNull();
    expect(s.read(WANTS)).toBeNull();
    expect(s.ran).toEqual([
      `systemctl disable -- ${PADDOCK_NFT_UNIT_NAME}`,
      `nft add table inet paddock_${A} ; delete table inet paddock_${A}`,
    ]);
  });

  it('root refuses to undo a recorded run whose plan was given `kept` afterwards (its digest differs)', async () => {
    const s = system();
    const a = await applyPlan(beforeR1(s.plan(A)), s.deps());
    const planFile = join(s.runsDir, a.id, 'plan.json');
    const recorded = JSON.parse(readFileSync(planFile, 'utf8')) as FixPlan;
    recorded.steps = recorded.steps.map((st) =>
      st.kind === 'write-file' && st.path === PADDOCK_NFT_MAIN ? { ...st, kept: true } : st,
    );
    writeFileSync(planFile, JSON.stringify(recorded));
    await expect(undoRun(a.id, rootDeps(s))).rejects.toThrow(/digest mismatch/);
    expect(s.read(PADDOCK_NFT_MAIN)).toBe(NFT_MAIN_CONTENT);
  });

  it('recovery: an apply cut off after the unit was written is rolled back, leaving the kept files', async () => {
    const s = system();
    const a = await applyPlan(s.plan(A), s.deps());
    // As if the process died right after step 4 (the unit) was done.
    const journal = join(s.runsDir, a.id, 'journal.jsonl');
    const lines = readFileSync(journal, 'utf8').trim().split('\n');
    const cut = lines.findIndex((l) => l.includes('"step":3,"event":"step-done"'));
    writeFileSync(journal, `${lines.slice(0, cut + 1).join('\n')}\n`);
    s.ran.length = 0;
    const [recovery] = await recoverRuns(rootDeps(s));
    expect(recovery?.action).toBe('rolled-back');
    expect(recovery?.message).toMatch(/other fixes may rely on them\.$/);
    expect(s.read(nftPortFile(A))).toBeNull();
    expect(s.read(PADDOCK_NFT_MAIN)).toBe(NFT_MAIN_CONTENT);
    expect(s.read(PADDOCK_NFT_UNIT)).toBe(NFT_UNIT_CONTENT);
    expect(s.ran).toEqual([`nft add table inet paddock_${A} ; delete table inet paddock_${A}`]);
    expect(await recoverRuns(rootDeps(s))).toEqual([]);
  });

  it('recovery: an undo cut off half-way is finished, leaving the kept files', async () => {
    const s = system();
    const a = await applyPlan(s.plan(A), s.deps());
    const journal = join(s.runsDir, a.id, 'journal.jsonl');
    const entry = (step: number | null, event: string, detail: string) =>
      `${JSON.stringify({ at: new Date().toISOString(), step, event, detail })}\n`;
    writeFileSync(
      journal,
      readFileSync(journal, 'utf8') +
        entry(null, 'undo-starting', 'Undoing') +
        entry(
          5,
          'step-undone',
          `nothing to undo for \`systemctl enable -- ${PADDOCK_NFT_UNIT_NAME}\``,
        ),
    );
    const [recovery] = await recoverRuns(rootDeps(s));
    expect(recovery?.action).toBe('finished');
    expect(recovery?.message).toMatch(/other fixes may rely on them\.$/);
    expect(readRun(a.id, s)?.state).toBe('undone');
    expect(s.read(nftPortFile(A))).toBeNull();
    expect(s.read(PADDOCK_NFT_MAIN)).toBe(NFT_MAIN_CONTENT);
    expect(s.read(PADDOCK_NFT_UNIT)).toBe(NFT_UNIT_CONTENT);
    expect(s.read(WANTS)).toBe(NFT_UNIT_CONTENT);
  });
});
