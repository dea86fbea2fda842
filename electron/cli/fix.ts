/**
 * `paddock fix`, `paddock undo`, `paddock history`. The plan the user approves is the plan
 * run: as this user, with the executor (backup, journal before each step, verification by
 * rescan, rollback on any failure); when it needs root, through the privileged side
 * (privileged.ts: `paddock-privileged __apply-fix FIX-ID INSTANCE-ID DIGEST`), which makes the
 * plan again from root's own scan and runs it only if it does exactly what was approved.
 */
import type { ProxyChoice } from '../engine/fixes/recipes/share-proxy-config';
import { shareManifestOfPlan } from '../engine/fixes/recipes/share-proxy-config';
import { shareClients } from '../../shared/share-clients';
import { installedProxies } from '../engine/fixes/recipes/share-proxy';
import { createInterface } from 'node:readline';
import type { FixId, FixPlan, FixRun } from '../../shared/fixes';
import type { FixDeps, RevertDeps } from '../engine/fixes/executor';
import {
  FixRefusal,
  RUN_ID,
  applyPlan,
  listRuns,
  readRun,
  recoverRuns,
  undoRun,
} from '../engine/fixes/executor';
import { planDigest, previewPlan } from '../engine/fixes/preview';
import { isManual, planFix, privilegedChoiceArgs } from '../engine/fixes/recipes/index';
import { verifyByRescan } from '../engine/fixes/verify';
import { displayArgv } from '../engine/host/exec';
import { createHistoryStore, defaultHistoryDir } from '../engine/history/store';
import { systemdBooted } from '../engine/host/fix-files';
import { recipeIo } from '../engine/fixes/recipe-io';
import { untrustedChainProblem } from '../engine/host/trust';
import { eventForRun } from '../engine/monitor/events';
import type { Host } from '../engine/host/types';
import { scan } from '../engine/scan';
import type { ElevateContext } from './elevate';
import { runElevated } from './elevate';
import { recordedRunProblem } from './privileged';
import { APPLY_FIX_COMMAND, ROOT_RUNS_DIR, UNDO_RUN_COMMAND } from './privileged-commands';

/**
 * Where runs of fixes made as root are kept: /var/lib/paddock/runs. Root running `paddock`
 * itself may move it with PADDOCK_STATE_DIR (tests, packaging) only to a folder no other user
 * controls (another user could otherwise plant a run for root to "undo"); the privileged side
 * never reads the variable at all.
 */
export function rootRunsDir(host: Host): string {
  const state = host.env('PADDOCK_STATE_DIR');
  if (host.uid() !== 0 || !state || !state.startsWith('/')) return ROOT_RUNS_DIR;
  const problem = untrustedChainProblem(`${state}/runs/x`);
  if (problem)
    throw new FixRefusal(
      'cannot-record',
      `As root, Paddock keeps its runs only in a folder no other user controls, and PADDOCK_STATE_DIR=${state} is not one (${problem}).`,
    );
  return `${state}/runs`;
}
/** The runs of fixes this user made without admin rights (root's own are rootRunsDir's). */
export function userRunsDir(host: Host): string {
  if (host.uid() === 0) return rootRunsDir(host);
  return `${defaultHistoryDir(host)}${host.platform === 'win32' ? '\\' : '/'}runs`;
}

function runsDirFor(host: Host): string {
  return host.uid() === 0 ? rootRunsDir(host) : userRunsDir(host);
}

function deps(host: Host, runsDir: string): RevertDeps {
  return {
    runsDir,
    exec: (argv) => host.exec(argv, { timeoutMs: 60_000, maxBytes: 1024 * 1024 }),
    now: () => new Date(),
    // As root, a recorded run is checked again before any of it is reverted.
    check: host.uid() === 0 ? recordedRunProblem : undefined,
  };
}

function applyDeps(host: Host, runsDir: string, digest: string): FixDeps {
  return {
    ...deps(host, runsDir),
    expectedDigest: digest,
    verify: (plan) => verifyByRescan(plan, () => scan(host)),
  };
}

/**
 * The user's history (engine/history) gets the run and its event, as the app records them: the
 * app's History and `paddock watch` see what the terminal did. Best effort: the run itself is
 * already recorded in its own folder.
 */
function recordInHistory(host: Host, run: FixRun, say: (text: string) => void): void {
  try {
    const store = createHistoryStore({ dir: defaultHistoryDir(host) });
    store.appendRun(run);
    const event = eventForRun(run);
    if (event) store.append(event);
  } catch (error) {
    say(`paddock: the run is recorded, but not in the history: ${String(error)}\n`);
  }
}

export function describeRun(run: FixRun): string {
  return `run ${run.id}: ${run.plan.title} — ${run.state}. ${run.outcome}`;
}

/** Interrupted runs are finished or rolled back before anything else, and the user is told. */
export async function recoverAtStart(host: Host, say: (text: string) => void): Promise<void> {
  try {
    for (const recovery of await recoverRuns(deps(host, runsDirFor(host)))) {
      if (recovery.action !== 'nothing')
        say(
          `paddock: an interrupted fix was ${recovery.action.replace('-', ' ')}: ${recovery.message}\n`,
        );
    }
  } catch (error) {
    if (!(error instanceof FixRefusal && error.kind === 'busy'))
      say(`paddock: could not check for interrupted fixes: ${String(error)}\n`);
  }
}

export async function confirm(question: string, interactive: boolean): Promise<boolean> {
  if (!interactive) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export interface FixCommandContext {
  host: Host;
  elevate: ElevateContext;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  confirm: (question: string) => Promise<boolean>;
}

/** share-proxy's choice as the command line gives it: the proxy and TLS may be left open. */
export type ProxyRequest = Omit<ProxyChoice, 'software' | 'tls'> & {
  software?: ProxyChoice['software'];
  tls?: ProxyChoice['tls'];
};

/** The proxy installed here (nginx first), and TLS: Caddy's own authority, else a VPN's. */
function completeProxy(request: ProxyRequest, host: Host): ProxyChoice {
  const software = request.software ?? installedProxies(recipeIo(host))[0] ?? 'nginx';
  return {
    ...request,
    software,
    tls: request.tls ?? (software === 'caddy' ? 'internal' : 'vpn-plain'),
  };
}

/** The plan for a fix, made from a fresh scan; the caller previews it and asks. */
export async function makePlan(
  host: Host,
  fixId: FixId,
  instanceWanted: string | undefined,
  allow: readonly string[] = [],
  proxy?: ProxyRequest,
): Promise<{ plan: ReturnType<typeof planFix>; instance: string } | { error: string }> {
  const snapshot = await scan(host);
  const ids = snapshot.instances.map((i) => i.id);
  const instance = instanceWanted ?? (ids.length === 1 ? ids[0] : undefined);
  if (!instance)
    return {
      error:
        ids.length === 0
          ? 'no Ollama server was found to fix'
          : `several servers: name one with --instance (${ids.join(', ')})`,
    };
  if (!ids.includes(instance))
    return { error: `no server ${JSON.stringify(instance)} (found: ${ids.join(', ') || 'none'})` };
  const plan = planFix(fixId, snapshot, instance, recipeIo(host), {
    persist: systemdBooted(),
    allow,
    ...(proxy ? { proxy: completeProxy(proxy, host) } : {}),
  });
  return { plan, instance };
}

/** A run, and the secret its write-secret step generated (shown once, kept nowhere). */
export interface AppliedRun {
  run: FixRun;
  secret: string | null;
}

export async function applyApproved(
  context: FixCommandContext,
  plan: FixPlan,
): Promise<AppliedRun | null> {
  const { host } = context;
  const digest = planDigest(plan);
  // A Mac's user-level fixes change that user's launchd, app and home: as root (sudo keeps
  // HOME) they would reach root's launchd and write through the user's folders (issue 16).
  if (host.platform === 'darwin' && !plan.requiresAdmin && host.uid() === 0) {
    context.stderr(
      `paddock: ${plan.fixId} changes your own Ollama app and launchd settings: run it without sudo. Nothing was changed.\n`,
    );
    return null;
  }
  if (plan.requiresAdmin && host.uid() !== 0) {
    if (plan.instance === null) {
      context.stderr(
        'paddock: this plan names no server, so root cannot make it again; nothing was changed.\n',
      );
      return null;
    }
    const elevated = await runElevated(context.elevate, [
      APPLY_FIX_COMMAND,
      plan.fixId,
      plan.instance,
      digest,
      // The choices root takes from the user (privileged.ts checks them).
      ...privilegedChoiceArgs(plan),
    ]);
    if (!elevated.ok) {
      context.stderr(`paddock: ${elevated.message}\n`);
      return null;
    }
    for (const note of elevated.notes) context.stderr(`paddock: ${note}\n`);
    if (elevated.code !== 0) {
      context.stderr(
        `paddock: the privileged side ${elevated.stdout.trim() || `exited with ${elevated.code}`}\n`,
      );
      return null;
    }
    return parseRun(elevated.stdout, context);
  }
  let secret: string | null = null;
  const run = await applyPlan(plan, {
    ...applyDeps(host, runsDirFor(host), digest),
    onSecret: (value) => {
      secret = value;
    },
  });
  return { run, secret: run.state === 'applied' ? secret : null };
}

/** The secret, once, with what a client sets: printed to the terminal, never recorded. */
function secretWords(plan: FixPlan, secret: string): string {
  const manifest = shareManifestOfPlan(plan.steps);
  if (!manifest)
    return `\nThe new secret (shown this once; Paddock keeps no copy you can read, undo puts the old one back):\n\n    ${secret}\n\nClients keep their settings but this value (for a password: user "paddock").\n\n`;
  const clients = shareClients(manifest, secret);
  return [
    '',
    `The ${manifest.auth === 'bearer' ? 'token' : 'password'} (shown this once; Paddock keeps no copy you can read, undo revokes it):`,
    '',
    `    ${clients.secretLine}`,
    '',
    ...clients.snippets.flatMap((s) => [
      `${s.title}:`,
      ...s.text.split('\n').map((l) => `    ${l}`),
      '',
    ]),
  ].join('\n');
}

/** A secret as the privileged side generates it: 256 bits, base64url. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

async function parseRun(stdout: string, context: FixCommandContext): Promise<AppliedRun | null> {
  const { fixRunSchema } = await import('../../shared/fixes');
  try {
    const json = JSON.parse(stdout) as { secret?: unknown };
    const secret = typeof json.secret === 'string' && SECRET.test(json.secret) ? json.secret : null;
    return { run: fixRunSchema.parse(json), secret };
  } catch {
    context.stderr(
      `paddock: the privileged side's answer was not a fix run: ${stdout.slice(0, 300)}\n`,
    );
    return null;
  }
}

export async function commandFixFlow(
  context: FixCommandContext,
  fixId: FixId,
  options: {
    instance?: string;
    dryRun: boolean;
    yes: boolean;
    allow?: readonly string[];
    proxy?: ProxyRequest;
  },
): Promise<number> {
  const { host } = context;
  await recoverAtStart(host, context.stderr);
  const made = await makePlan(host, fixId, options.instance, options.allow ?? [], options.proxy);
  if ('error' in made) {
    context.stderr(`paddock: ${made.error}\n`);
    return 1;
  }
  if (isManual(made.plan)) {
    context.stdout(`Paddock will not do this one itself: ${made.plan.reason}\n`);
    if (made.plan.commands.length)
      context.stdout(
        `What you can run, one step at a time:\n${made.plan.commands.map((c) => `  ${displayArgv(c)}`).join('\n')}\n`,
      );
    return 1;
  }
  const plan = made.plan;
  context.stdout(previewPlan(plan));
  if (options.dryRun) return 0;
  if (!options.yes && !(await context.confirm('Apply this plan?'))) {
    context.stderr(
      'paddock: not applied (answer y, or pass --yes when there is no terminal); nothing was changed.\n',
    );
    return 1;
  }
  const applied = await applyApproved(context, plan);
  if (!applied) return 1;
  const { run, secret } = applied;
  recordInHistory(host, run, context.stderr);
  context.stdout(`\n${describeRun(run)}\n`);
  if (secret !== null) context.stdout(secretWords(run.plan, secret));
  if (run.state === 'applied') context.stdout(`To undo it later: paddock undo ${run.id}\n`);
  return run.state === 'applied' ? 0 : 1;
}

function findRun(host: Host, id: string): { run: FixRun; dir: string } | null {
  for (const dir of [...new Set([userRunsDir(host), rootRunsDir(host)])]) {
    try {
      const run = readRun(id, { runsDir: dir });
      if (run) return { run, dir };
    } catch {
      // Root's folder, read by a user: the privileged side reads it.
    }
  }
  return null;
}

export async function commandUndoFlow(
  context: FixCommandContext,
  id: string,
  yes: boolean,
): Promise<number> {
  const { host } = context;
  if (!RUN_ID.test(id)) {
    context.stderr(`paddock: ${JSON.stringify(id)} is not a run id (see paddock history)\n`);
    return 2;
  }
  await recoverAtStart(host, context.stderr);
  const found = findRun(host, id);
  if (!found && host.uid() === 0) {
    context.stderr(`paddock: there is no fix run ${id}\n`);
    return 1;
  }
  if (found) context.stdout(`Undo ${describeRun(found.run)}\n`);
  if (!yes && !(await context.confirm('Undo this run?'))) {
    context.stderr('paddock: not undone (answer y, or pass --yes); nothing was changed.\n');
    return 1;
  }
  let run: FixRun | null;
  const inRootDir = found ? found.dir === rootRunsDir(host) : true;
  if (inRootDir && host.uid() !== 0) {
    const elevated = await runElevated(context.elevate, [UNDO_RUN_COMMAND, id]);
    if (!elevated.ok) {
      context.stderr(`paddock: ${elevated.message}\n`);
      return 1;
    }
    for (const note of elevated.notes) context.stderr(`paddock: ${note}\n`);
    if (elevated.code !== 0) {
      context.stderr(`paddock: ${elevated.stdout.trim()}\n`);
      return 1;
    }
    run = (await parseRun(elevated.stdout, context))?.run ?? null;
  } else {
    run = await undoRun(id, deps(host, found!.dir));
  }
  if (!run) return 1;
  recordInHistory(host, run, context.stderr);
  context.stdout(`${describeRun(run)}\n`);
  return run.state === 'undone' ? 0 : 1;
}

export function commandHistoryFlow(context: FixCommandContext, json: boolean): number {
  const runs: FixRun[] = [];
  const unreadable: string[] = [];
  for (const dir of [...new Set([userRunsDir(context.host), rootRunsDir(context.host)])]) {
    try {
      runs.push(...listRuns({ runsDir: dir }));
    } catch {
      unreadable.push(dir);
    }
  }
  runs.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  if (json)
    context.stdout(
      `${JSON.stringify(
        runs.map((r) => ({
          id: r.id,
          fixId: r.plan.fixId,
          instance: r.plan.instance,
          state: r.state,
          startedAt: r.startedAt,
          endedAt: r.endedAt,
          outcome: r.outcome,
        })),
        null,
        2,
      )}\n`,
    );
  else {
    if (runs.length === 0) context.stdout('No fix has been run.\n');
    for (const run of runs)
      context.stdout(
        `${run.startedAt}  ${run.id}  ${run.plan.fixId}  ${run.state}\n    ${run.outcome}\n`,
      );
  }
  for (const dir of unreadable)
    context.stderr(`paddock: ${dir} could not be read (fixes run as root are kept there)\n`);
  return 0;
}
