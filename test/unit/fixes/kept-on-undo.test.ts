/**
 * R1 (known since issue 14) and its gap: block-port, share-allowlist and block-client share their
 * boot plumbing (nftPersistSteps: the include file /etc/paddock/nftables.conf, the unit
 * paddock-nftables.service, and its enablement). Undoing one fix must leave it while another
 * rule of Paddock's relies on it (or a later fix's rule is not loaded after the next reboot
 * although History says it is), and the undo that removes the last rule must remove it too:
 * every change Paddock makes is undone by Paddock, none is left for the user to remove by hand.
 *
 * Each fix carries the plumbing steps (`keptWhile: /etc/paddock/nftables.d`) before its rule
 * file; the executor decides them when their turn comes in undo's reverse order, from the
 * folder itself. The real recipe, the real executor, the real file layer and root's real
 * re-check of a recorded run (cli/privileged.ts recordedRunProblem), over a temporary folder
 * standing in for `/`; a fake `systemctl enable`/`disable` makes and removes the link systemd
 * would. Runs recorded before (no flag; R1's `kept: true`) undo as they were recorded.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  readdirSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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
  PADDOCK_NFT_DIR,
  PADDOCK_NFT_MAIN,
  PADDOCK_NFT_UNIT,
  PADDOCK_NFT_UNIT_NAME,
  nftPortFile,
  planBlockPort,
} from '../../../electron/engine/fixes/recipes/block-port';
import { createFixFiles } from '../../../electron/engine/host/fix-files';
import { planDigest, previewPlan } from '../../../electron/engine/fixes/preview';
import type { ExecResult } from '../../../electron/engine/host/types';
import { buildSnapshot, firewallFacts, wildcardOllama } from '../../rules/snapshots';

const top = mkdtempSync(join(tmpdir(), 'pdk-kept-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

const WANTS = `/etc/systemd/system/multi-user.target.wants/${PADDOCK_NFT_UNIT_NAME}`;
let cases = 0;

interface System {
  /** A path of the stand-in system, as the plan names it, read here; null: absent. */
  read(path: string): string | null;
  /** The stand-in system's real path of a path as the plan names it. */
  at(path: string): string;
  files: FixFiles;
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
  mkdirSync(join(root, 'etc', 'systemd', 'system', 'multi-user.target.wants'), { recursive: true });
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
    listDir: (p) => real.listDir(at(p)),
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
    if (argv.join(' ') === `systemctl disable -- ${PADDOCK_NFT_UNIT_NAME}`)
      rmSync(at(WANTS), { force: true });
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
    at,
    files,
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
const rootDeps = (s: System, files?: FixFiles) => ({
  ...s.deps(),
  ...(files ? { files } : {}),
  check: recordedRunProblem,
});

/** Every folder and file of the stand-in system, with the files' content. */
function tree(s: System): string[] {
  const root = s.at('/');
  return (readdirSync(root, { recursive: true }) as string[])
    .map((p) => {
      const text = s.read(`/${p}`);
      return text === null ? `${p}/` : `${p}: ${text}`;
    })
    .sort();
}

/**
 * The plan as a recipe made it before: its rule first, then the plumbing, with no condition;
 * `before-r1`: undo reverts it all; `r1` (commit 26e498d): undo keeps both files and the
 * enablement, whatever else remains.
 */
function recorded(plan: FixPlan, form: 'before-r1' | 'r1'): FixPlan {
  const plumbing = (st: FixStep) =>
    'keptWhile' in st || (st.kind === 'run' && st.argv[1] === 'daemon-reload');
  const old = plan.steps.filter(plumbing).map((step): FixStep => {
    if (step.kind === 'write-file') {
      const { keptWhile: _k, ...rest } = step;
      return form === 'r1' ? { ...rest, kept: true } : rest;
    }
    if (step.kind === 'run' && step.argv[1] === 'enable') {
      const { keptWhile: _k, ...rest } = step;
      return form === 'r1' ? { ...rest, undo: null } : rest;
    }
    return step;
  });
  return { ...plan, steps: [...plan.steps.filter((st) => !plumbing(st)), ...old] };
}

const shown = (st: FixStep) => (st.kind === 'run' ? st.argv.join(' ') : `write ${st.path}`);
const A = 11434;
const B = 8080;
const ENABLE = `systemctl enable -- ${PADDOCK_NFT_UNIT_NAME}`;
const DISABLE = `systemctl disable -- ${PADDOCK_NFT_UNIT_NAME}`;
const dropTable = (port: number) =>
  `nft add table inet paddock_${port} ; delete table inet paddock_${port}`;
const KEPT_SAID = `but for ${PADDOCK_NFT_MAIN}, ${PADDOCK_NFT_UNIT} and \`${ENABLE}\`, kept: other rules of Paddock's in ${PADDOCK_NFT_DIR} rely on them (the undo that removes the last one removes them).`;

function plumbingState(s: System) {
  return { main: s.read(PADDOCK_NFT_MAIN), unit: s.read(PADDOCK_NFT_UNIT), wants: s.read(WANTS) };
}
const PRESENT = { main: NFT_MAIN_CONTENT, unit: NFT_UNIT_CONTENT, wants: NFT_UNIT_CONTENT };
const GONE = { main: null, unit: null, wants: null };

/** A journal line, as the executor writes it. */
const entry = (step: number | null, event: string, detail: string) =>
  `${JSON.stringify({ at: new Date().toISOString(), step, event, detail })}\n`;

describe('R1: Paddock’s shared nftables plumbing stays while a rule of Paddock’s relies on it, and goes with the last', () => {
  it('close A, close B, undo A: the include file, the unit, its enablement and B’s rule stay; undo B: they go, the unit is disabled, the system is as before A', async () => {
    const s = system();
    const before = tree(s);
    const planA = s.plan(A);
    expect(planA.steps.map(shown)).toEqual([
      `write ${PADDOCK_NFT_MAIN}`,
      `write ${PADDOCK_NFT_UNIT}`,
      'systemctl daemon-reload',
      ENABLE,
      `write ${nftPortFile(A)}`,
      `nft -f ${nftPortFile(A)}`,
    ]);
    const a = await applyPlan(planA, s.deps());
    expect(a.state, a.outcome).toBe('applied');
    expect(plumbingState(s)).toEqual(PRESENT);
    // B finds the plumbing as it writes it: it shares it (same bytes, the unit already enabled).
    const planB = s.plan(B);
    expect(planB.steps.map(shown)).toEqual([
      `write ${PADDOCK_NFT_MAIN}`,
      `write ${PADDOCK_NFT_UNIT}`,
      ENABLE,
      `write ${nftPortFile(B)}`,
      `nft -f ${nftPortFile(B)}`,
    ]);
    expect(planB.steps[0]).toMatchObject({ before: NFT_MAIN_CONTENT, keptWhile: PADDOCK_NFT_DIR });
    expect(planB.steps[1]).toMatchObject({ before: NFT_UNIT_CONTENT, keptWhile: PADDOCK_NFT_DIR });
    const b = await applyPlan(planB, s.deps());
    expect(b.state, b.outcome).toBe('applied');

    s.ran.length = 0;
    const undoneA = await undoRun(a.id, rootDeps(s));
    expect(undoneA.state, undoneA.outcome).toBe('undone');
    expect(s.read(nftPortFile(A))).toBeNull();
    expect(s.read(nftPortFile(B))).not.toBeNull();
    expect(plumbingState(s)).toEqual(PRESENT);
    expect(s.ran).toEqual([dropTable(A)]);
    expect(undoneA.outcome).toBe(
      `Undone: Close port ${A} to other machines. The system is as it was, ${KEPT_SAID}`,
    );
    const kept = undoneA.journal.filter(
      (e) => e.event === 'step-undone' && e.detail.startsWith('kept'),
    );
    expect(kept.map((e) => e.step)).toEqual([3, 1, 0]);
    expect(kept[0]!.detail).toBe(
      `kept \`${ENABLE}\` as it is: other rules of Paddock's remain in ${PADDOCK_NFT_DIR} (port-${B}.nft)`,
    );

    // B's rule is the last: its undo takes the plumbing too, whichever fix wrote it.
    s.ran.length = 0;
    const undoneB = await undoRun(b.id, rootDeps(s));
    expect(undoneB.state, undoneB.outcome).toBe('undone');
    expect(undoneB.outcome).toBe(
      `Undone: Close port ${B} to other machines. The system is as it was.`,
    );
    expect(s.ran).toEqual([dropTable(B), DISABLE]);
    expect(plumbingState(s)).toEqual(GONE);
    expect(tree(s)).toEqual(before);
  });

  it('the other order: undo B keeps the plumbing for A; undo A, the last, removes it', async () => {
    const s = system();
    const before = tree(s);
    const a = await applyPlan(s.plan(A), s.deps());
    const b = await applyPlan(s.plan(B), s.deps());
    s.ran.length = 0;
    expect((await undoRun(b.id, rootDeps(s))).state).toBe('undone');
    expect(plumbingState(s)).toEqual(PRESENT);
    expect(s.read(nftPortFile(A))).not.toBeNull();
    expect(s.ran).toEqual([dropTable(B)]);
    s.ran.length = 0;
    const undone = await undoRun(a.id, rootDeps(s));
    expect(undone.state, undone.outcome).toBe('undone');
    expect(s.ran).toEqual([dropTable(A), DISABLE]);
    expect(tree(s)).toEqual(before);
  });

  it('a folder that cannot be read keeps the plumbing: Paddock never removes what it cannot prove unused', async () => {
    const s = system();
    const a = await applyPlan(s.plan(A), s.deps());
    const blind: FixFiles = {
      ...s.files,
      listDir: (p) => Promise.reject(new Error(`EACCES: permission denied, scandir '${p}'`)),
    };
    s.ran.length = 0;
    const undone = await undoRun(a.id, rootDeps(s, blind));
    expect(undone.state, undone.outcome).toBe('undone');
    expect(s.read(nftPortFile(A))).toBeNull();
    expect(plumbingState(s)).toEqual(PRESENT);
    expect(s.ran).toEqual([dropTable(A)]);
    expect(undone.outcome).toBe(
      `Undone: Close port ${A} to other machines. The system is as it was, but for ${PADDOCK_NFT_MAIN}, ${PADDOCK_NFT_UNIT} and \`${ENABLE}\`, kept: ${PADDOCK_NFT_DIR} could not be read, so other rules of Paddock's may rely on them (the undo that removes the last one removes them).`,
    );
  });

  it('the unit could not be disabled: its files stay with it (no boot link to a missing unit), and the undo says it failed', async () => {
    const s = system();
    const a = await applyPlan(s.plan(A), s.deps());
    s.ran.length = 0;
    const deps = rootDeps(s);
    const undone = await undoRun(a.id, {
      ...deps,
      // systemctl refuses: the boot link stays where it is.
      exec: async (argv: readonly string[]) =>
        argv.join(' ') === DISABLE
          ? {
              argv: [...argv],
              code: 1,
              signal: null,
              stdout: '',
              stderr: 'Failed to disable unit: Access denied',
              truncated: false,
              timedOut: false,
              spawnError: null,
              durationMs: 1,
            }
          : deps.exec(argv),
    });
    expect(undone.state).toBe('undo-failed');
    expect(s.read(nftPortFile(A))).toBeNull();
    // The disable failed, so the unit and include file it would have released stay, and the
    // unit's boot link (which the stand-in removes only on a disable that succeeds) still
    // points at a unit that exists.
    expect(plumbingState(s)).toEqual(PRESENT);
  });

  it('one decision for the whole undo: the folder changing between the plumbing steps never splits them', async () => {
    const s = system();
    const a = await applyPlan(s.plan(A), s.deps());
    let asked = 0;
    // Empty when first asked, a rule there at every later look: the first answer stands.
    const flaky: FixFiles = {
      ...s.files,
      listDir: () => {
        asked += 1;
        return Promise.resolve(asked === 1 ? [] : ['port-8080.nft']);
      },
    };
    s.ran.length = 0;
    const undone = await undoRun(a.id, rootDeps(s, flaky));
    expect(undone.state, undone.outcome).toBe('undone');
    expect(asked).toBe(1);
    expect(plumbingState(s)).toEqual(GONE);
    expect(s.ran).toEqual([dropTable(A), DISABLE]);
  });

  it('a rollback decides as undo does: with no other rule it removes the plumbing; with one it keeps it', async () => {
    const s = system();
    const before = tree(s);
    const alone = await applyPlan(s.plan(A), s.deps(false));
    expect(alone.state, alone.outcome).toBe('rolled-back');
    expect(alone.outcome).toMatch(/The system is as it was\.$/);
    expect(tree(s)).toEqual(before);

    const a = await applyPlan(s.plan(A), s.deps());
    expect(a.state).toBe('applied');
    s.ran.length = 0;
    const b = await applyPlan(s.plan(B), s.deps(false));
    expect(b.state, b.outcome).toBe('rolled-back');
    expect(s.ran).toEqual([ENABLE, `nft -f ${nftPortFile(B)}`, dropTable(B)]);
    expect(plumbingState(s)).toEqual(PRESENT);
    expect(b.outcome).toMatch(
      new RegExp(
        `The system is as it was, but for .*kept: other rules of Paddock's in /etc/paddock/nftables\\.d rely on them`,
      ),
    );
  });

  it('a changed file is left as it is: said as a failure when the plumbing goes, left silently while it stays', async () => {
    const s = system();
    const a = await applyPlan(s.plan(A), s.deps());
    const b = await applyPlan(s.plan(B), s.deps());
    const newer = NFT_UNIT_CONTENT.replace('Description=Paddock', 'Description=Paddock (edited)');
    s.write(PADDOCK_NFT_UNIT, newer);
    // Undo is not refused for it: it is decided when its turn comes.
    const undoneA = await undoRun(a.id, rootDeps(s));
    expect(undoneA.state, undoneA.outcome).toBe('undone');
    expect(s.read(PADDOCK_NFT_UNIT)).toBe(newer);
    const undoneB = await undoRun(b.id, rootDeps(s));
    expect(undoneB.state).toBe('undo-failed');
    expect(undoneB.outcome).toMatch(
      /step 2: \/etc\/systemd\/system\/paddock-nftables\.service has changed since Paddock wrote it .*; it was left as it is/,
    );
    expect(s.read(PADDOCK_NFT_UNIT)).toBe(newer);
    expect(s.read(PADDOCK_NFT_MAIN)).toBeNull();
    expect(s.read(WANTS)).toBeNull();
  });

  it('root refuses to undo a recorded run whose condition was changed afterwards (its digest differs)', async () => {
    const s = system();
    const planA = s.plan(A);
    const other = {
      ...planA,
      steps: planA.steps.map((st) =>
        'keptWhile' in st ? { ...st, keptWhile: '/etc/paddock' } : st,
      ),
    };
    expect(planDigest(other)).not.toBe(planDigest(planA));
    const a = await applyPlan(planA, s.deps());
    const planFile = join(s.runsDir, a.id, 'plan.json');
    writeFileSync(planFile, JSON.stringify(other));
    await expect(undoRun(a.id, rootDeps(s))).rejects.toThrow(/digest mismatch/);
    expect(plumbingState(s)).toEqual(PRESENT);
  });

  it('the preview says what undo does with the plumbing', () => {
    const s = system();
    const preview = previewPlan(s.plan(A));
    const SAID =
      'kept while other Paddock rules remain; removed by the undo that removes the last one (rules: /etc/paddock/nftables.d/*.nft)';
    expect(preview).toContain(`   step 1: ${PADDOCK_NFT_MAIN}: ${SAID}`);
    expect(preview).toContain(`   step 2: ${PADDOCK_NFT_UNIT}: ${SAID}`);
    expect(preview).toContain(
      `   step 4: kept while other Paddock rules remain (rules: /etc/paddock/nftables.d/*.nft); the undo that removes the last one runs: ${DISABLE}`,
    );
    expect(preview).toContain(
      `create ${PADDOCK_NFT_MAIN} (mode 0644; kept while other Paddock rules remain in /etc/paddock/nftables.d; removed by the undo that removes the last one)`,
    );
  });
});

describe('runs recorded before undo as they were recorded', () => {
  it('before R1 (no flag, the unit disabled by undo): passes root’s re-check and reverts it all', async () => {
    const s = system();
    const old = recorded(s.plan(A), 'before-r1');
    expect(old.steps.some((st) => 'kept' in st || 'keptWhile' in st)).toBe(false);
    const a = await applyPlan(old, s.deps());
    expect(a.state).toBe('applied');
    expect(recordedRunProblem(readRun(a.id, s)!)).toBeNull();
    s.ran.length = 0;
    const undone = await undoRun(a.id, rootDeps(s));
    expect(undone.state, undone.outcome).toBe('undone');
    expect(undone.outcome).toBe(
      `Undone: Close port ${A} to other machines. The system is as it was.`,
    );
    expect(plumbingState(s)).toEqual(GONE);
    expect(s.ran).toEqual([DISABLE, dropTable(A)]);
  });

  it('R1’s `kept: true` (commit 26e498d): passes root’s re-check and keeps both files and the enablement, even with no rule left', async () => {
    const s = system();
    const r1 = recorded(s.plan(A), 'r1');
    const a = await applyPlan(r1, s.deps());
    expect(a.state).toBe('applied');
    expect(recordedRunProblem(readRun(a.id, s)!)).toBeNull();
    s.ran.length = 0;
    const undone = await undoRun(a.id, rootDeps(s));
    expect(undone.state, undone.outcome).toBe('undone');
    expect(existsSync(s.at(nftPortFile(A)))).toBe(false);
    expect(plumbingState(s)).toEqual(PRESENT);
    expect(s.ran).toEqual([dropTable(A)]);
    expect(undone.outcome).toBe(
      `Undone: Close port ${A} to other machines. The system is as it was, but for ${PADDOCK_NFT_MAIN} and ${PADDOCK_NFT_UNIT}, kept on purpose: other fixes may rely on them.`,
    );
  });
});

describe('recovery', () => {
  it('an apply cut off after the unit was written is rolled back: with no rule of Paddock’s, the plumbing goes', async () => {
    const s = system();
    const before = tree(s);
    const a = await applyPlan(s.plan(A), s.deps());
    // As if the process died right after step 2 (the unit) was done: undo what came after.
    const journal = join(s.runsDir, a.id, 'journal.jsonl');
    const lines = readFileSync(journal, 'utf8').trim().split('\n');
    const cut = lines.findIndex((l) => l.includes('"step":1,"event":"step-done"'));
    writeFileSync(journal, `${lines.slice(0, cut + 1).join('\n')}\n`);
    rmSync(s.at(nftPortFile(A)));
    rmSync(s.at(PADDOCK_NFT_DIR), { recursive: true });
    rmSync(s.at(WANTS));
    s.ran.length = 0;
    const [recovery] = await recoverRuns(rootDeps(s));
    expect(recovery?.action, recovery?.message).toBe('rolled-back');
    expect(recovery?.message).toMatch(/the system is as it was before\.$/);
    expect(s.ran).toEqual([]);
    expect(tree(s)).toEqual(before);
    expect(await recoverRuns(rootDeps(s))).toEqual([]);
  });

  it('an undo of B cut off after its rule went is finished, keeping the plumbing for A', async () => {
    const s = system();
    await applyPlan(s.plan(A), s.deps());
    const b = await applyPlan(s.plan(B), s.deps());
    // B's steps: 0 include file, 1 unit, 2 enable, 3 its rule, 4 its load. Undone: 4, then 3.
    rmSync(s.at(nftPortFile(B)));
    const journal = join(s.runsDir, b.id, 'journal.jsonl');
    writeFileSync(
      journal,
      readFileSync(journal, 'utf8') +
        entry(null, 'undo-starting', 'Undoing') +
        entry(4, 'step-undone', `ran \`${dropTable(B)}\``) +
        entry(3, 'step-undone', `removed ${nftPortFile(B)} (it did not exist before)`),
    );
    s.ran.length = 0;
    const [recovery] = await recoverRuns(rootDeps(s));
    expect(recovery?.action, recovery?.message).toBe('finished');
    expect(recovery?.message).toMatch(
      /kept: other rules of Paddock's in \/etc\/paddock\/nftables\.d rely on them/,
    );
    expect(readRun(b.id, s)?.state).toBe('undone');
    expect(s.ran).toEqual([]);
    expect(plumbingState(s)).toEqual(PRESENT);
    expect(s.read(nftPortFile(A))).not.toBeNull();
  });

  it('an undo of the last rule cut off right after the unit was disabled is finished: the files go, nothing runs twice', async () => {
    const s = system();
    const before = tree(s);
    const a = await applyPlan(s.plan(A), s.deps());
    // A's steps: 0 include file, 1 unit, 2 daemon-reload, 3 enable, 4 its rule, 5 its load.
    rmSync(s.at(nftPortFile(A)));
    rmSync(s.at(PADDOCK_NFT_DIR), { recursive: true });
    rmSync(s.at(WANTS));
    const journal = join(s.runsDir, a.id, 'journal.jsonl');
    writeFileSync(
      journal,
      readFileSync(journal, 'utf8') +
        entry(null, 'undo-starting', 'Undoing') +
        entry(5, 'step-undone', `ran \`${dropTable(A)}\``) +
        entry(4, 'step-undone', `removed ${nftPortFile(A)} (it did not exist before)`) +
        entry(
          3,
          'step-undone',
          `ran \`${DISABLE}\`: no rule of Paddock's is left in ${PADDOCK_NFT_DIR}`,
        ),
    );
    s.ran.length = 0;
    const [recovery] = await recoverRuns(rootDeps(s));
    expect(recovery?.action, recovery?.message).toBe('finished');
    expect(recovery?.message).toMatch(/the system is as it was before the fix\.$/);
    expect(s.ran).toEqual([]);
    expect(tree(s)).toEqual(before);
  });
});

describe('the rules folder, as root’s file layer reads it (listDir)', () => {
  const files = createFixFiles();
  const asRoot = process.geteuid?.() === 0;
  const place = () => mkdtempSync(join(top, 'list-'));

  it('names what a folder holds; null when it does not exist', async () => {
    const dir = place();
    writeFileSync(join(dir, 'port-1.nft'), '');
    expect(await files.listDir(dir)).toEqual(['port-1.nft']);
    expect(await files.listDir(join(dir, 'absent'))).toBeNull();
  });

  it('refuses a symbolic link and a file: nothing it holds is proved', async () => {
    const dir = place();
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    writeFileSync(join(dir, 'file'), '');
    await expect(files.listDir(join(dir, 'link'))).rejects.toThrow(/is not a folder/);
    await expect(files.listDir(join(dir, 'file'))).rejects.toThrow(/is not a folder/);
  });

  it.skipIf(!asRoot)(
    'as root, refuses a folder another user owns or may write, or one reached through such a folder',
    async () => {
      const dir = place();
      const open = join(dir, 'open');
      mkdirSync(open);
      chmodSync(open, 0o777);
      await expect(files.listDir(open)).rejects.toThrow(/can be changed by a user other than root/);
      const theirs = join(dir, 'theirs');
      mkdirSync(theirs);
      chownSync(theirs, 1000, 1000);
      await expect(files.listDir(theirs)).rejects.toThrow(
        /can be changed by a user other than root/,
      );
      mkdirSync(join(theirs, 'below'));
      await expect(files.listDir(join(theirs, 'below'))).rejects.toThrow(
        /reached through a folder another user controls/,
      );
    },
  );
});
