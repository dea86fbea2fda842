/**
 * Runs a FixPlan so that the system ends either fixed and verified, or exactly as it was, and
 * the journal says which and why. Each run is recorded under `<runsDir>/<run-id>/`:
 *
 *   plan.json      the plan run (the one previewed: its digest is checked first)
 *   journal.jsonl  one JournalEntry per line, appended and fsynced BEFORE the action it names
 *   backups/       step-N.json (path, existed, mode, sha256, folders created) + step-N.bin
 *
 * Apply: for each step, check that the file still holds what the plan expects, save a backup,
 * journal `step-starting`, act, journal `step-done`; then rescan (`verify`). Any failure rolls
 * back every step that started, last first (`revertOrder`, preview.ts). A file is only put
 * back when it still holds what the step wrote (or is already as before): something else
 * means a person changed it meanwhile, and Paddock leaves it and says so rather than
 * overwrite it.
 *
 * Shared plumbing (R1): a step with `keptWhile: DIR` (Paddock's nftables include file, its unit
 * and the unit's enable, which every nftables rule of Paddock's relies on at boot) is decided
 * when its turn comes in that reverse order, so after the run's own rule file (an earlier step)
 * is gone: DIR is read through the file layer (as root, never through a folder another user
 * controls), and while it holds a `*.nft` file, or cannot be read, the step is left as it is
 * (never remove what may still be needed); otherwise it is reverted: the command's undo runs,
 * and the file is removed (or its previous content put back), with Paddock's folders it leaves
 * empty. Undo, rollback and recovery all decide so; the runs lock keeps any other Paddock run
 * from adding a rule meanwhile. A write-file step marked `kept` (runs recorded before
 * `keptWhile`) is never reverted, as it was recorded.
 *
 * Because the journal is written ahead, a run killed at any point can be finished from it at
 * the next start (`recoverRuns`): an interrupted apply is rolled back, an interrupted undo is
 * completed. A command whose start is journaled but not its end is treated as having run, so
 * its undo runs: undo argvs must be harmless when the command did not run (a restart is).
 *
 * Commands are argv only. A plan naming a shell anywhere in an argv is refused outright.
 */
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import type { FixPlan, FixRun, FixStep, JournalEntry, RunState } from '../../../shared/fixes';
import { fixPlanSchema, journalEntrySchema } from '../../../shared/fixes';
import {
  acquireLock,
  appendLineDurable,
  createFixFiles,
  listSubdirs,
  makePrivateDir,
  readPrivateBytes,
  readPrivateText,
  writePrivateFile,
} from '../host/fix-files';
import type { FileState, FixFiles, LockResult } from '../host/fix-files';
import { displayArgv } from '../host/exec';
import type { ExecResult } from '../host/types';
import { cleanText, parseJson } from '../text/untrusted';
import { planDigest, revertOrder } from './preview';
import { secretFileText } from './recipes/share-proxy-config';
import bcrypt from 'bcryptjs';

export type { FileState, FixFiles } from '../host/fix-files';

export interface VerifyResult {
  ok: boolean;
  /** Plain words: what the rescan saw. */
  detail: string;
}

export interface FixDeps {
  /** Where runs are recorded, one folder per run. */
  runsDir: string;
  /** The Host's exec, bound to its options (timeout): argv only. */
  exec: (argv: readonly string[]) => Promise<ExecResult>;
  /** System files; the real ones (host/fix-files.ts) when not given. */
  files?: FixFiles;
  /** Rescans the affected instance and checks plan.verification. */
  verify: (plan: FixPlan) => Promise<VerifyResult>;
  now: () => Date;
  /** planDigest of the plan the user approved; the run is refused when the plan differs. */
  expectedDigest?: string;
  /** Told each journal line once it is on disk (the app's progress per step). Must not throw. */
  onJournal?: (entry: JournalEntry) => void;
  /**
   * Told each secret a write-secret step generated, once, before the step is journaled done:
   * the one way it leaves the executor (never into the journal, the plan or the run).
   */
  onSecret?: (secret: string) => void;
}

/**
 * What undo and recovery need: they never verify. `check`, on the privileged side, re-checks
 * a recorded run before anything of it is reverted (the plan against the allowlist, its digest
 * against the one journaled when it started): a run that fails it is left as it is, and the
 * answer says why.
 */
export type RevertDeps = Pick<FixDeps, 'runsDir' | 'exec' | 'files' | 'now'> & {
  check?: (run: FixRun) => string | null;
};

/** The digest journaled when a run started (`run-started`: "...; plan sha256 HEX"). */
export function journaledDigest(run: FixRun): string | null {
  const started = run.journal.find((e) => e.event === 'run-started');
  return /plan sha256 ([0-9a-f]{64})$/.exec(started?.detail ?? '')?.[1] ?? null;
}
export type StoreDeps = Pick<FixDeps, 'runsDir'>;

export type RefusalKind =
  | 'invalid-plan'
  | 'plan-changed'
  | 'busy'
  | 'cannot-record'
  | 'unknown-run'
  | 'not-applied'
  | 'changed-since';

/** A request refused before anything on the system was changed; the message says why. */
export class FixRefusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
    this.name = 'FixRefusal';
  }
}

export interface Recovery {
  run: FixRun;
  /** nothing: the run had not changed anything yet; failed: see run.outcome. */
  action: 'rolled-back' | 'finished' | 'nothing' | 'failed';
  /** For the user, in plain words. */
  message: string;
}

// ── plan checks ────────────────────────────────────────────────────────────────────────

/** Programs that run a string as a shell command line (su -c, busybox sh -c). */
const SHELLS = new Set([
  'sh',
  'bash',
  'dash',
  'ash',
  'zsh',
  'ksh',
  'mksh',
  'csh',
  'tcsh',
  'fish',
  'busybox',
  'su',
  'runuser',
]);

/** Why an argv is refused, or null. Any element, so `env sh -c` or `sudo bash -c` are caught. */
export function shellProblem(argv: readonly string[]): string | null {
  const shell = argv.find((arg) => SHELLS.has(basename(arg)));
  return shell === undefined ? null : `\`${displayArgv(argv)}\` would run a shell (${shell})`;
}

function pathProblem(path: string): string | null {
  return isAbsolute(path) && normalize(path) === path
    ? null
    : `${path} is not an absolute, normalised path`;
}

/** Everything wrong with a plan, in plain words; empty when it may run. */
export function planProblems(plan: FixPlan): string[] {
  const parsed = fixPlanSchema.safeParse(plan);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'plan'}: ${i.message}`);
    return [`the plan is not well formed (${issues.join('; ')})`];
  }
  return plan.steps.flatMap((step, i) => {
    const keptWhile = 'keptWhile' in step ? step.keptWhile : undefined;
    const problems =
      step.kind === 'run'
        ? [shellProblem(step.argv), step.undo === null ? null : shellProblem(step.undo)]
        : [pathProblem(step.path)];
    if (keptWhile !== undefined) problems.push(pathProblem(keptWhile));
    if (step.kind === 'run' && keptWhile !== undefined && step.undo === null)
      problems.push(
        `\`${displayArgv(step.argv)}\` is kept while ${keptWhile} holds rules, yet has no undo`,
      );
    return problems.filter((p): p is string => p !== null).map((p) => `step ${i + 1}: ${p}`);
  });
}

// ── the run's record ───────────────────────────────────────────────────────────────────

interface Ctx {
  id: string;
  dir: string;
  plan: FixPlan;
  files: FixFiles;
  exec: FixDeps['exec'];
  now: () => Date;
  entries: JournalEntry[];
  /** Journal lines that could not be written during a rollback (the rollback goes on). */
  unjournaled: number;
  /** Commands that failed to start at all (not installed): nothing of theirs to undo. */
  neverRan: Set<number>;
  /**
   * Per `keptWhile` folder, what this revert pass decided the first time it asked (why the
   * plumbing stays, or null: it goes): one decision for all its steps, so that a folder that
   * changes between them never leaves the unit disabled with a rule left, or enabled with its
   * file gone; a disable that failed turns it into "stays".
   */
  plumbing?: Map<string, string | null>;
  onJournal?: (entry: JournalEntry) => void;
  onSecret?: (secret: string) => void;
}

interface BackupMeta {
  path: string;
  existed: boolean;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  sha256: string | null;
  /** Folders the step's write created, outermost first: removed again with the file. */
  createdDirs: string[];
  /** write-secret: the sha256 of what the step wrote (its content is in no plan). */
  writtenSha256?: string;
}

export const RUN_ID = /^[0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}$/;

function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

const lockPath = (runsDir: string) => join(runsDir, '.lock');
const journalPath = (ctx: Ctx) => join(ctx.dir, 'journal.jsonl');
const backupPath = (ctx: Ctx, step: number, ext: 'json' | 'bin') =>
  join(ctx.dir, 'backups', `step-${step}.${ext}`);

/** Writes the entry to disk (fsynced) before returning; throws when it cannot. */
function journal(ctx: Ctx, step: number | null, event: JournalEntry['event'], detail: string) {
  const entry: JournalEntry = { at: ctx.now().toISOString(), step, event, detail };
  appendLineDurable(journalPath(ctx), JSON.stringify(entry));
  ctx.entries.push(entry);
  try {
    ctx.onJournal?.(entry);
  } catch {
    // Progress is for the eyes only: a listener's failure never stops a run or a rollback.
  }
}

/** For rollbacks: putting the system back matters more than recording that we did. */
function journalBestEffort(
  ctx: Ctx,
  step: number | null,
  event: JournalEntry['event'],
  detail: string,
): void {
  try {
    journal(ctx, step, event, detail);
  } catch {
    ctx.unjournaled += 1;
    ctx.entries.push({ at: ctx.now().toISOString(), step, event, detail });
  }
}

/** Journal lines; a torn line (a kill during its write) is skipped. */
function parseJournal(text: string): JournalEntry[] {
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    const parsed = journalEntrySchema.safeParse(parseJson(line));
    return parsed.success ? [parsed.data] : [];
  });
}

function readPlan(dir: string): FixPlan | null {
  const text = readPrivateText(join(dir, 'plan.json'));
  if (text === null) return null;
  const parsed = fixPlanSchema.safeParse(parseJson(text));
  return parsed.success ? parsed.data : null;
}

/** The run as its journal tells it: the journal is the one record of state. */
export function runFromJournal(id: string, plan: FixPlan, entries: JournalEntry[]): FixRun {
  let state: RunState = 'applying';
  let endedAt: string | null = null;
  let outcome = 'Started; not finished.';
  for (const entry of entries) {
    const next = transition(entry);
    if (next === null) continue;
    state = next.state;
    outcome = next.outcome ?? outcome;
    endedAt = next.ends ? entry.at : null;
  }
  return {
    id,
    plan,
    state,
    startedAt: entries[0]?.at ?? '',
    endedAt,
    outcome,
    journal: entries,
  };
}

function transition(
  entry: JournalEntry,
): { state: RunState; outcome?: string; ends?: boolean } | null {
  switch (entry.event) {
    case 'run-started':
      return { state: 'applying' };
    case 'verify-starting':
      return { state: 'verifying' };
    case 'verify-ok':
      return { state: 'applied', outcome: `Applied and verified: ${entry.detail}`, ends: true };
    case 'rollback-starting':
      return { state: 'rolling-back', outcome: entry.detail };
    case 'rollback-done':
      return { state: 'rolled-back', outcome: entry.detail, ends: true };
    case 'rollback-failed':
      return { state: 'rollback-failed', outcome: entry.detail, ends: true };
    case 'undo-starting':
      return { state: 'undoing', outcome: entry.detail };
    case 'undo-done':
      return { state: 'undone', outcome: entry.detail, ends: true };
    case 'undo-failed':
      return { state: 'undo-failed', outcome: entry.detail, ends: true };
    default:
      // Step events, verify-failed (a rollback follows), undo-refused (nothing changed) and
      // recovered (a note after the rollback it follows) leave the state as it is.
      return null;
  }
}

function runDir(runsDir: string, id: string): string {
  if (!RUN_ID.test(id)) throw new FixRefusal('unknown-run', `There is no fix run "${id}".`);
  return join(runsDir, id);
}

/** One recorded run, or null when there is none of that id (or its plan is unreadable). */
export function readRun(id: string, deps: StoreDeps): FixRun | null {
  if (!RUN_ID.test(id)) return null;
  const dir = join(deps.runsDir, id);
  const plan = readPlan(dir);
  if (plan === null) return null;
  return runFromJournal(id, plan, parseJournal(readPrivateText(join(dir, 'journal.jsonl')) ?? ''));
}

/** Every recorded run, oldest first. */
export function listRuns(deps: StoreDeps): FixRun[] {
  return listSubdirs(deps.runsDir)
    .filter((name) => RUN_ID.test(name))
    .sort()
    .flatMap((id) => {
      const run = readRun(id, deps);
      return run === null ? [] : [run];
    });
}

// ── bytes and backups ──────────────────────────────────────────────────────────────────

type FileStep = Exclude<FixStep, { kind: 'run' }>;

const utf8 = (text: string) => Buffer.from(text, 'utf8');
/** A secret's file: read and written by its owner only. */
const SECRET_MODE = 0o600;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

function sameFile(a: FileState, b: FileState): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && sameBytes(a.bytes, b.bytes);
}

/** The state a step expects before it acts, as bytes; null: absent. */
function expectedBefore(step: FixStep): Uint8Array | null {
  if (step.kind === 'run' || step.kind === 'write-secret') return null;
  return step.before === null ? null : utf8(step.before);
}

/** The file is as the plan expects before the step (a secret being replaced: it exists). */
function asPlanned(step: FileStep, current: FileState | null): boolean {
  if (step.kind === 'write-secret') return step.replace ? current !== null : current === null;
  return holds(current, expectedBefore(step));
}

/** What a write-secret step writes: 256 random bits as base64url, in the proxy's format. */
function generatedSecret(step: Extract<FixStep, { kind: 'write-secret' }>): {
  token: string;
  text: string;
} {
  const token = randomBytes(32).toString('base64url');
  // bcrypt cost 5: the secret has 256 bits of its own, and nginx pays the cost per request.
  const text = secretFileText(step.format, token, (secret) =>
    bcrypt.hashSync(secret, bcrypt.genSaltSync(5)),
  );
  return { token, text };
}

function holds(current: FileState | null, expected: Uint8Array | null): boolean {
  if (current === null || expected === null) return current === null && expected === null;
  return sameBytes(current.bytes, expected);
}

function describeStep(step: FixStep): string {
  switch (step.kind) {
    case 'write-file':
      return `write ${step.path} (mode ${step.mode.toString(8).padStart(4, '0')})`;
    case 'remove-file':
      return `remove ${step.path}`;
    case 'run':
      return `run: ${displayArgv(step.argv)}`;
    case 'write-secret':
      return `write a newly generated secret to ${step.path} (mode 0600; ${step.format})`;
  }
}

function changedSincePlanned(step: FileStep, current: FileState | null): string {
  if (step.kind === 'write-secret')
    return `${step.path} ${current === null ? 'does not exist' : 'already exists'}; the plan expected ${step.replace ? 'a secret to replace' : 'no file there'}. Scan again and make a new plan.`;
  const now = current === null ? 'it is absent' : 'its content differs';
  const wanted = step.before === null ? 'expected it absent' : 'expected the content it had';
  return `${step.path} has changed since the plan was made (${now}; the plan ${wanted}). Scan again and make a new plan.`;
}

async function saveBackup(
  ctx: Ctx,
  index: number,
  current: FileState | null,
  written?: string,
): Promise<string> {
  const step = ctx.plan.steps[index] as FileStep;
  const createdDirs =
    step.kind !== 'remove-file' && current === null
      ? await ctx.files.missingParents(step.path)
      : [];
  const meta: BackupMeta = {
    path: step.path,
    existed: current !== null,
    mode: current?.mode ?? null,
    uid: current?.uid ?? null,
    gid: current?.gid ?? null,
    sha256: current === null ? null : sha256(current.bytes),
    createdDirs,
    ...(written === undefined ? {} : { writtenSha256: sha256(utf8(written)) }),
  };
  makePrivateDir(join(ctx.dir, 'backups'));
  if (current !== null) writePrivateFile(backupPath(ctx, index, 'bin'), current.bytes);
  writePrivateFile(backupPath(ctx, index, 'json'), `${JSON.stringify(meta)}\n`);
  const where = backupPath(ctx, index, 'json');
  return current === null
    ? `${where}: ${step.path} did not exist`
    : `${backupPath(ctx, index, 'bin')} (${step.path}, mode ${meta.mode?.toString(8)})`;
}

function loadBackup(ctx: Ctx, index: number): { meta: BackupMeta; state: FileState | null } {
  const meta = parseJson(readPrivateText(backupPath(ctx, index, 'json')) ?? '') as BackupMeta;
  if (meta === undefined || meta === null || typeof meta.path !== 'string') {
    throw new Error(`the backup of step ${index + 1} is missing or unreadable`);
  }
  if (!meta.existed) return { meta, state: null };
  const bytes = readPrivateBytes(backupPath(ctx, index, 'bin'));
  if (
    bytes === null ||
    sha256(bytes) !== meta.sha256 ||
    meta.mode === null ||
    meta.uid === null ||
    meta.gid === null
  ) {
    throw new Error(`the backup of ${meta.path} is missing or damaged`);
  }
  return { meta, state: { bytes, mode: meta.mode, uid: meta.uid, gid: meta.gid } };
}

// ── reverting ──────────────────────────────────────────────────────────────────────────

function whenDone(ctx: Ctx, index: number): string {
  const done = ctx.entries.findLast((e) => e.step === index && e.event === 'step-done');
  const at = done?.at ?? ctx.entries[0]?.at ?? '';
  return at === '' ? 'during this run' : `on ${at.slice(0, 16).replace('T', ' ')} UTC`;
}

/** Puts one file back as the backup has it, when it still holds what the step left. */
async function revertFile(ctx: Ctx, index: number): Promise<string> {
  const step = ctx.plan.steps[index] as FileStep;
  const { meta, state: backup } = loadBackup(ctx, index);
  const current = await ctx.files.read(step.path);
  const asBefore =
    backup === null ? current === null : current !== null && sameFile(current, backup);
  if (asBefore) {
    if (backup === null) await removeCreatedDirs(ctx, meta);
    return `${step.path} is already as it was`;
  }
  const asLeft = leftAsWritten(step, current, meta);
  if (!asLeft) {
    const verb = step.kind === 'remove-file' ? 'removed' : 'wrote';
    throw new Error(
      `${step.path} has changed since Paddock ${verb} it ${whenDone(ctx, index)}; it was left as it is`,
    );
  }
  if (backup === null) {
    await ctx.files.remove(step.path);
    await removeCreatedDirs(ctx, meta);
    return `removed ${step.path} (it did not exist before)`;
  }
  await ctx.files.write(step.path, backup.bytes, backup.mode, {
    uid: backup.uid,
    gid: backup.gid,
  });
  return `put back ${step.path} (${backup.bytes.length} bytes, mode ${backup.mode.toString(8)})`;
}

/** The file still holds what the step left (a secret: the bytes whose hash the backup kept). */
function leftAsWritten(step: FileStep, current: FileState | null, meta: BackupMeta): boolean {
  if (step.kind === 'write-file') return holds(current, utf8(step.content));
  if (step.kind === 'remove-file') return current === null;
  return (
    current !== null &&
    meta.writtenSha256 !== undefined &&
    sha256(current.bytes) === meta.writtenSha256 &&
    current.mode === SECRET_MODE
  );
}

async function removeCreatedDirs(ctx: Ctx, meta: BackupMeta): Promise<void> {
  for (const dir of [...meta.createdDirs].reverse()) await ctx.files.removeEmptyDir(dir);
}

function execFailure(argv: readonly string[], result: ExecResult): string | null {
  const what = `\`${displayArgv(argv)}\``;
  if (result.spawnError !== null) return `${what} could not start (${result.spawnError})`;
  if (result.timedOut) return `${what} took too long and was stopped`;
  if (result.code === 0 && result.signal === null) return null;
  const how = result.code === null ? `was killed (${result.signal})` : `exited with ${result.code}`;
  const said = cleanText(result.stderr.trim() || result.stdout.trim(), 300);
  return said === '' ? `${what} ${how}` : `${what} ${how}: ${said}`;
}

async function runArgv(ctx: Ctx, argv: readonly string[]): Promise<void> {
  let result: ExecResult;
  try {
    result = await ctx.exec(argv);
  } catch (error) {
    throw new Error(`\`${displayArgv(argv)}\` could not run: ${message(error)}`);
  }
  const failure = execFailure(argv, result);
  if (failure === null) return;
  throw result.spawnError !== null ? new NeverStarted(failure) : new Error(failure);
}

/** A step whose file undo and rollback leave as written, always (runs recorded before `keptWhile`). */
function isKept(step: FixStep): boolean {
  return step.kind === 'write-file' && step.kept === true;
}

/** The folder whose rules decide whether undo keeps this step (shared plumbing), or null. */
function keptWhileOf(step: FixStep): string | null {
  return (step.kind === 'write-file' || step.kind === 'run') && step.keptWhile !== undefined
    ? step.keptWhile
    : null;
}

/** What a kept step is, for the words of an undo. */
function keptName(step: FixStep): string {
  return step.kind === 'run' ? `\`${displayArgv(step.argv)}\`` : step.path;
}

/** A journal line of a step that undo left as it is begins so. */
const KEPT = 'kept ';
/** …and says this when the folder could not be read. */
const UNREAD = 'could not be read';

/**
 * Why shared plumbing must stay, read from the system now: the `*.nft` files `dir` holds (other
 * rules of Paddock's rely on it), or that `dir` cannot be read (then nothing proves it unused).
 * Null when it holds none, or does not exist: nothing relies on it any more.
 */
async function stillNeeded(ctx: Ctx, dir: string): Promise<string | null> {
  let names: string[] | null;
  try {
    names = await ctx.files.listDir(dir);
  } catch (error) {
    return `${dir} ${UNREAD} (${message(error)}), so other rules of Paddock's may rely on it`;
  }
  const rules = (names ?? []).filter((name) => name.endsWith('.nft')).sort();
  return rules.length === 0
    ? null
    : `other rules of Paddock's remain in ${dir} (${rules.slice(0, 5).join(', ')}${rules.length > 5 ? ', …' : ''})`;
}

/**
 * "The system is as it was", for the words of an undo or a rollback: with what these steps
 * left as it is since `marker` (kept), named.
 */
function asItWas(
  ctx: Ctx,
  indices: readonly number[],
  marker: JournalEntry['event'],
  said: string,
): string {
  let from = -1;
  ctx.entries.forEach((e, i) => {
    if (e.event === marker) from = i;
  });
  const keptNow = new Map<number, string>();
  for (const e of ctx.entries.slice(from + 1))
    if (e.event === 'step-undone' && e.step !== null && e.detail.startsWith(KEPT))
      keptNow.set(e.step, e.detail);
  const steps = [...new Set(indices)].sort((a, b) => a - b);
  const always = steps.filter((i) => isKept(ctx.plan.steps[i]!) && keptNow.has(i));
  const shared = steps.filter((i) => keptWhileOf(ctx.plan.steps[i]!) !== null && keptNow.has(i));
  const names = (list: number[]) => [...new Set(list.map((i) => keptName(ctx.plan.steps[i]!)))];
  const them = (n: number) => (n === 1 ? 'it' : 'them');
  const parts: string[] = [];
  if (always.length > 0)
    parts.push(
      `but for ${names(always).join(' and ')}, kept on purpose: other fixes may rely on ${them(names(always).length)}`,
    );
  if (shared.length > 0) {
    const unread = shared.some((i) => keptNow.get(i)!.includes(UNREAD));
    const dir = keptWhileOf(ctx.plan.steps[shared[0]!]!)!;
    parts.push(
      `but for ${listed(names(shared))}, kept: ${unread ? `${dir} could not be read, so other rules of Paddock's may rely on ${them(shared.length)}` : `other rules of Paddock's in ${dir} rely on ${them(shared.length)}`} (the undo that removes the last one removes ${them(shared.length)})`,
    );
  }
  return parts.length === 0 ? `${said}.` : `${said}, ${parts.join('; ')}.`;
}

function listed(names: string[]): string {
  return names.length <= 1
    ? (names[0] ?? '')
    : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * Shared plumbing no rule relies on any more: the file goes (with the folders of Paddock's it
 * leaves empty), whether this run created it or found it already as it writes it (an earlier
 * fix wrote it, whose undo kept it for this one); a different file it replaced is put back.
 */
async function releaseFile(ctx: Ctx, index: number, dir: string): Promise<string> {
  const step = ctx.plan.steps[index] as Extract<FixStep, { kind: 'write-file' }>;
  const { meta, state: backup } = loadBackup(ctx, index);
  const none = `no rule of Paddock's is left in ${dir}`;
  if (backup !== null && !sameBytes(backup.bytes, utf8(step.content)))
    return `${await revertFile(ctx, index)}: ${none}`;
  const current = await ctx.files.read(step.path);
  if (current !== null && !holds(current, utf8(step.content)))
    throw new Error(
      `${step.path} has changed since Paddock wrote it ${whenDone(ctx, index)}; it was left as it is`,
    );
  if (current !== null) await ctx.files.remove(step.path);
  // Deepest first: the folders the step created, and the rules' folder with those above it up
  // to this file's own (Paddock's: /etc/paddock/nftables.d, /etc/paddock), each when empty.
  const folders = new Set(meta.createdDirs);
  const home = dirname(step.path);
  if (dir === home || dir.startsWith(`${home}/`))
    for (let d = dir; d.length >= home.length && d !== dirname(d); d = dirname(d)) folders.add(d);
  for (const folder of [...folders].sort((a, b) => b.length - a.length))
    await ctx.files.removeEmptyDir(folder);
  return current === null
    ? `${step.path} is already gone: ${none}`
    : `removed ${step.path}: ${none}`;
}

async function revertStep(ctx: Ctx, index: number): Promise<string> {
  const step = ctx.plan.steps[index]!;
  if (step.kind === 'write-file' && isKept(step))
    return `${KEPT}${step.path} as written: other fixes may rely on it (it loads only Paddock's own files)`;
  const dir = keptWhileOf(step);
  if (dir !== null) {
    ctx.plumbing ??= new Map();
    const needed = ctx.plumbing.has(dir) ? ctx.plumbing.get(dir)! : await stillNeeded(ctx, dir);
    ctx.plumbing.set(dir, needed);
    if (needed !== null) return `${KEPT}${keptName(step)} as it is: ${needed}`;
    if (step.kind === 'write-file') return releaseFile(ctx, index, dir);
  }
  if (step.kind !== 'run') return revertFile(ctx, index);
  if (step.undo === null) return `nothing to undo for \`${displayArgv(step.argv)}\``;
  try {
    await runArgv(ctx, step.undo);
  } catch (error) {
    // The unit could not be disabled: its files stay with it (a unit enabled at boot whose file
    // is gone would leave a dangling link no undo could clean up).
    if (dir !== null)
      ctx.plumbing!.set(
        dir,
        `\`${displayArgv(step.undo)}\` failed, so what it would have released stays`,
      );
    throw error;
  }
  return dir === null
    ? `ran \`${displayArgv(step.undo)}\``
    : `ran \`${displayArgv(step.undo)}\`: no rule of Paddock's is left in ${dir}`;
}

/** Reverts the started steps not already reverted; returns the problems, in plain words. */
async function revert(ctx: Ctx, started: number[], alreadyDone: Set<number>): Promise<string[]> {
  const problems: string[] = [];
  for (const index of revertOrder(started)) {
    if (alreadyDone.has(index)) continue;
    try {
      const detail = await revertStep(ctx, index);
      journalBestEffort(ctx, index, 'step-undone', detail);
    } catch (error) {
      problems.push(`step ${index + 1}: ${message(error)}`);
      journalBestEffort(ctx, index, 'step-failed', `could not undo: ${message(error)}`);
    }
  }
  if (ctx.unjournaled > 0) problems.push(`${ctx.unjournaled} journal line(s) could not be written`);
  return problems;
}

function startedSteps(entries: readonly JournalEntry[]): number[] {
  const phaseEnd = entries.findIndex(
    (e) => e.event === 'rollback-starting' || e.event === 'undo-starting',
  );
  const applyPhase = phaseEnd < 0 ? entries : entries.slice(0, phaseEnd);
  const started = applyPhase.filter((e) => e.event === 'step-starting' && e.step !== null);
  return [...new Set(started.map((e) => e.step!))];
}

/** Steps already reverted since the last rollback-starting or undo-starting. */
function revertedSince(
  entries: readonly JournalEntry[],
  marker: JournalEntry['event'],
): Set<number> {
  let from = -1;
  entries.forEach((e, i) => {
    if (e.event === marker) from = i;
  });
  const after = from < 0 ? [] : entries.slice(from + 1);
  return new Set(after.filter((e) => e.event === 'step-undone').map((e) => e.step!));
}

async function rollBack(ctx: Ctx, reason: string, alreadyStarted = false): Promise<string[]> {
  if (!alreadyStarted) journalBestEffort(ctx, null, 'rollback-starting', reason);
  // Journaled first, so that a recovery of this rollback skips them too.
  for (const index of ctx.neverRan) {
    journalBestEffort(ctx, index, 'step-undone', 'nothing to undo: the command never started');
  }
  const done = revertedSince(ctx.entries, 'rollback-starting');
  const started = startedSteps(ctx.entries);
  const problems = await revert(ctx, started, done);
  if (problems.length === 0) {
    journalBestEffort(
      ctx,
      null,
      'rollback-done',
      `Rolled back: ${reason}. ${asItWas(ctx, started, 'rollback-starting', 'The system is as it was')}`,
    );
  } else {
    journalBestEffort(
      ctx,
      null,
      'rollback-failed',
      `${reason}. Rolling back did not finish: ${problems.join('; ')}. See the run's journal.`,
    );
  }
  return problems;
}

// ── apply ──────────────────────────────────────────────────────────────────────────────

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function withLock<T>(runsDir: string, body: () => Promise<T>): Promise<T> {
  let lock: LockResult;
  try {
    lock = acquireLock(lockPath(runsDir));
  } catch (error) {
    throw new FixRefusal('cannot-record', `Paddock cannot use ${runsDir}: ${message(error)}.`);
  }
  if (!lock.ok) {
    throw new FixRefusal(
      'busy',
      `Another Paddock process (pid ${lock.heldBy}) is changing the system; try again when it is done.`,
    );
  }
  try {
    return await body();
  } finally {
    lock.release();
  }
}

function checkPlan(plan: FixPlan, expectedDigest: string | undefined): void {
  const problems = planProblems(plan);
  if (problems.length > 0) {
    throw new FixRefusal('invalid-plan', `Paddock will not run this plan: ${problems.join('; ')}.`);
  }
  if (expectedDigest !== undefined && planDigest(plan) !== expectedDigest) {
    throw new FixRefusal(
      'plan-changed',
      'The plan changed since it was previewed; nothing was run. Preview it again.',
    );
  }
}

function startRun(plan: FixPlan, deps: FixDeps): Ctx {
  const now = deps.now();
  const id = newRunId(now);
  const ctx: Ctx = {
    id,
    dir: join(deps.runsDir, id),
    plan,
    files: deps.files ?? createFixFiles(),
    exec: deps.exec,
    now: deps.now,
    entries: [],
    unjournaled: 0,
    neverRan: new Set(),
    onJournal: deps.onJournal,
    onSecret: deps.onSecret,
  };
  try {
    makePrivateDir(ctx.dir);
    writePrivateFile(join(ctx.dir, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
    journal(ctx, null, 'run-started', `${plan.title}; plan sha256 ${planDigest(plan)}`);
  } catch (error) {
    throw new FixRefusal(
      'cannot-record',
      `Paddock could not record the run in ${deps.runsDir} (${message(error)}); nothing was changed.`,
    );
  }
  return ctx;
}

/** Every path's first file step must find the file as planned: checked before anything runs. */
async function firstMismatch(ctx: Ctx): Promise<{ index: number; detail: string } | null> {
  const seen = new Set<string>();
  for (const [index, step] of ctx.plan.steps.entries()) {
    if (step.kind === 'run' || seen.has(step.path)) continue;
    seen.add(step.path);
    const current = await ctx.files.read(step.path);
    if (!asPlanned(step, current)) {
      return { index, detail: changedSincePlanned(step, current) };
    }
  }
  return null;
}

/** A command that could not be started (not installed, not executable) did nothing. */
class NeverStarted extends Error {}

async function applyStep(ctx: Ctx, index: number): Promise<void> {
  const step = ctx.plan.steps[index]!;
  const secret = step.kind === 'write-secret' ? generatedSecret(step) : null;
  if (step.kind !== 'run') {
    const current = await ctx.files.read(step.path);
    if (!asPlanned(step, current)) {
      throw new Error(changedSincePlanned(step, current));
    }
    journal(ctx, index, 'backup-saved', await saveBackup(ctx, index, current, secret?.text));
  }
  journal(ctx, index, 'step-starting', describeStep(step));
  if (step.kind === 'write-file') await ctx.files.write(step.path, step.content, step.mode);
  else if (step.kind === 'remove-file') await ctx.files.remove(step.path);
  else if (step.kind === 'write-secret') {
    await ctx.files.write(step.path, secret!.text, SECRET_MODE);
    ctx.onSecret?.(secret!.token);
  } else await runArgv(ctx, step.argv);
  journal(ctx, index, 'step-done', describeStep(step));
}

async function applySteps(ctx: Ctx): Promise<string | null> {
  try {
    const mismatch = await firstMismatch(ctx);
    if (mismatch !== null) {
      journal(ctx, mismatch.index, 'step-failed', mismatch.detail);
      return `step ${mismatch.index + 1} was not run: ${mismatch.detail}`;
    }
  } catch (error) {
    journalBestEffort(ctx, null, 'step-failed', message(error));
    return `the files could not be checked: ${message(error)}`;
  }
  for (const index of ctx.plan.steps.keys()) {
    try {
      await applyStep(ctx, index);
    } catch (error) {
      if (error instanceof NeverStarted) ctx.neverRan.add(index);
      journalBestEffort(ctx, index, 'step-failed', message(error));
      return `step ${index + 1} failed: ${message(error)}`;
    }
  }
  return null;
}

async function verifyRun(ctx: Ctx, verify: FixDeps['verify']): Promise<string | null> {
  journal(ctx, null, 'verify-starting', ctx.plan.verification.description);
  let result: VerifyResult;
  try {
    result = await verify(ctx.plan);
  } catch (error) {
    result = { ok: false, detail: `the rescan failed: ${message(error)}` };
  }
  const detail = cleanText(result.detail, 1000);
  journal(ctx, null, result.ok ? 'verify-ok' : 'verify-failed', detail);
  return result.ok ? null : `the rescan did not confirm the fix: ${detail}`;
}

/**
 * Applies a plan, verifies it, and rolls it back on any failure. Throws FixRefusal, having
 * changed nothing, when the plan is invalid or not the one previewed, when another Paddock is
 * busy, or when the run cannot be recorded; otherwise returns the run (applied, rolled-back or
 * rollback-failed, with the reason in `outcome`).
 */
export async function applyPlan(plan: FixPlan, deps: FixDeps): Promise<FixRun> {
  checkPlan(plan, deps.expectedDigest);
  return withLock(deps.runsDir, async () => {
    const ctx = startRun(plan, deps);
    let failure = await applySteps(ctx);
    if (failure === null) {
      try {
        failure = await verifyRun(ctx, deps.verify);
      } catch (error) {
        failure = `the verification could not be recorded: ${message(error)}`;
      }
    }
    if (failure !== null) await rollBack(ctx, failure);
    return runFromJournal(ctx.id, ctx.plan, ctx.entries);
  });
}

// ── undo ───────────────────────────────────────────────────────────────────────────────

function ctxFor(run: FixRun, deps: RevertDeps): Ctx {
  return {
    id: run.id,
    dir: runDir(deps.runsDir, run.id),
    plan: run.plan,
    files: deps.files ?? createFixFiles(),
    exec: deps.exec,
    now: deps.now,
    entries: [...run.journal],
    unjournaled: 0,
    neverRan: new Set(),
  };
}

/** Files whose last write by the run is no longer there, each as a sentence for the user. */
async function changedSinceWritten(ctx: Ctx): Promise<string[]> {
  const last = new Map<string, number>();
  ctx.plan.steps.forEach((step, i) => {
    if (step.kind !== 'run') last.set(step.path, i);
  });
  // A kept file is not touched by undo: a later change to it overwrites nothing. Shared
  // plumbing is decided only when its turn comes; a change found then is left, and said.
  for (const [path, index] of last) {
    const step = ctx.plan.steps[index]!;
    if (isKept(step) || keptWhileOf(step) !== null) last.delete(path);
  }
  const problems: string[] = [];
  for (const [path, index] of last) {
    const step = ctx.plan.steps[index]!;
    let current: FileState | null;
    try {
      current = await ctx.files.read(path);
    } catch (error) {
      problems.push(`${path} cannot be read (${message(error)})`);
      continue;
    }
    const intact =
      step.kind === 'write-file'
        ? holds(current, utf8(step.content)) && current?.mode === step.mode
        : step.kind === 'write-secret'
          ? leftAsWritten(step, current, loadBackup(ctx, index).meta)
          : current === null;
    if (!intact) {
      const verb = step.kind === 'remove-file' ? 'removed' : 'wrote';
      problems.push(
        `${path} has changed since Paddock ${verb} it ${whenDone(ctx, index)}; undo would overwrite your change`,
      );
    }
  }
  return problems;
}

/**
 * Undoes an applied run: refuses (FixRefusal, nothing changed) when a file it wrote has
 * changed since; otherwise reverts every step and returns the run, undone or undo-failed.
 * Nothing is verified: the rescan the caller does next shows the finding again.
 */
export function undoRun(runId: string, deps: RevertDeps): Promise<FixRun> {
  return withLock(deps.runsDir, async () => {
    const run = readRun(runId, deps);
    if (run === null) throw new FixRefusal('unknown-run', `There is no fix run "${runId}".`);
    if (run.state !== 'applied') {
      throw new FixRefusal(
        'not-applied',
        `Run ${runId} is ${run.state}; only an applied fix can be undone.`,
      );
    }
    const refused = deps.check?.(run) ?? null;
    if (refused !== null)
      throw new FixRefusal('invalid-plan', `Undo refused: ${refused}. Nothing was changed.`);
    const ctx = ctxFor(run, deps);
    const changed = await changedSinceWritten(ctx);
    if (changed.length > 0) {
      const text = `Undo refused: ${changed.join('; ')}. Nothing was changed.`;
      journalBestEffort(ctx, null, 'undo-refused', text);
      throw new FixRefusal('changed-since', text);
    }
    try {
      journal(ctx, null, 'undo-starting', `Undoing: ${run.plan.title}`);
    } catch (error) {
      throw new FixRefusal(
        'cannot-record',
        `Paddock could not record the undo (${message(error)}); nothing was changed.`,
      );
    }
    await finishUndo(ctx);
    return runFromJournal(ctx.id, ctx.plan, ctx.entries);
  });
}

async function finishUndo(ctx: Ctx): Promise<string[]> {
  const all = ctx.plan.steps.map((_, i) => i);
  const problems = await revert(ctx, all, revertedSince(ctx.entries, 'undo-starting'));
  if (problems.length === 0) {
    journalBestEffort(
      ctx,
      null,
      'undo-done',
      `Undone: ${ctx.plan.title}. ${asItWas(ctx, all, 'undo-starting', 'The system is as it was')}`,
    );
  } else {
    journalBestEffort(ctx, null, 'undo-failed', `Undo did not finish: ${problems.join('; ')}.`);
  }
  return problems;
}

// ── recovery at start ──────────────────────────────────────────────────────────────────

const INTERRUPTED: readonly RunState[] = ['applying', 'verifying', 'rolling-back', 'undoing'];

async function recoverOne(run: FixRun, deps: RevertDeps): Promise<Recovery> {
  const ctx = ctxFor(run, deps);
  const what = `Paddock stopped while ${stateWords(run.state)} "${run.plan.title}" (run ${run.id})`;
  if (run.state === 'undoing') {
    const problems = await finishUndo(ctx);
    return closeRecovery(ctx, problems.length === 0 ? 'finished' : 'failed', what, problems);
  }
  const started = startedSteps(ctx.entries);
  const problems = await rollBack(
    ctx,
    `${what}; it was rolled back at the next start`,
    run.state === 'rolling-back',
  );
  const action = problems.length > 0 ? 'failed' : started.length === 0 ? 'nothing' : 'rolled-back';
  return closeRecovery(ctx, action, what, problems);
}

function stateWords(state: RunState): string {
  if (state === 'undoing') return 'undoing';
  if (state === 'rolling-back') return 'rolling back';
  return state === 'verifying' ? 'verifying' : 'applying';
}

function closeRecovery(
  ctx: Ctx,
  action: Recovery['action'],
  what: string,
  problems: string[],
): Recovery {
  const all = ctx.plan.steps.map((_, i) => i);
  const text = {
    'rolled-back': `${what}. At this start it undid the steps that had begun: ${asItWas(ctx, startedSteps(ctx.entries), 'rollback-starting', 'the system is as it was before')}`,
    nothing: `${what}, before it changed anything. Nothing needed undoing.`,
    finished: `${what}. At this start it finished the undo: ${asItWas(ctx, all, 'undo-starting', 'the system is as it was before the fix')}`,
    failed: `${what}. At this start it could not put everything back: ${problems.join('; ')}.`,
  }[action];
  journalBestEffort(ctx, null, 'recovered', text);
  return { run: runFromJournal(ctx.id, ctx.plan, ctx.entries), action, message: text };
}

/**
 * At start: every run whose journal stops mid-way is rolled back (an interrupted apply or
 * rollback) or finished (an interrupted undo). Returns one entry per such run, for the user.
 */
export function recoverRuns(deps: RevertDeps): Promise<Recovery[]> {
  return withLock(deps.runsDir, async () => {
    const recoveries: Recovery[] = [];
    for (const run of listRuns(deps)) {
      if (!INTERRUPTED.includes(run.state)) continue;
      const refused = deps.check?.(run) ?? null;
      if (refused !== null) {
        recoveries.push({
          run,
          action: 'failed',
          message: `Run ${run.id} stopped mid-way, but Paddock will not revert it: ${refused}. Nothing was changed; see ${join(deps.runsDir, run.id)}.`,
        });
        continue;
      }
      recoveries.push(await recoverOne(run, deps));
    }
    return recoveries;
  });
}
