/**
 * The privileged side: what runs as root on behalf of an ordinary user, through sudo or
 * polkit's pkexec (docs/security.md). It is its own program (`paddock-privileged`, built from
 * privileged-entry.ts with everything it loads bundled in) and takes only these commands:
 *
 *   __apply-fix FIX-ID INSTANCE-ID DIGEST   make the plan again as root, from root's own scan;
 *                                           run it only if its digest is the one the user saw
 *   __undo-run RUN-ID                       undo a run recorded in root's own folder
 *   __firewall-facts                        read the firewall (paddock scan --elevated)
 *
 * Nothing the caller sends becomes a file's content, a path, an argv or a verification: the
 * caller names a fix, a server and the digest of what they approved, and root derives the rest
 * from the system. The plan root made is checked again against the allowlist (defence in
 * depth), applied by the executor (backup, journal, verification by root's own rescan,
 * rollback), and its run kept in /var/lib/paddock/runs, whatever the caller's environment says.
 */
import { canonicalSource, normalizeSources } from '../engine/fixes/recipes/share-allowlist';
import {
  parseProxyChoiceArg,
  readShareManifests,
  secretFormatOf,
} from '../engine/fixes/recipes/share-proxy-config';
import type { FixId, FixPlan, FixRun } from '../../shared/fixes';
import { privilegedContext, privilegedPlanProblems } from '../engine/fixes/allowlist';
import type { RevertDeps } from '../engine/fixes/executor';
import {
  FixRefusal,
  RUN_ID,
  applyPlan,
  journaledDigest,
  recoverRuns,
  undoRun,
} from '../engine/fixes/executor';
import { planDigest } from '../engine/fixes/preview';
import { isManual, planFix } from '../engine/fixes/recipes/index';
import { verifyByRescan } from '../engine/fixes/verify';
import { readRegularFile, systemdBooted } from '../engine/host/fix-files';
import { recipeIo } from '../engine/fixes/recipe-io';
import { untrustedChainProblem } from '../engine/host/trust';
import type { Host } from '../engine/host/types';
import { isServiceName } from '../engine/fixes/recipes/common';
import type { Snapshot } from '../../shared/snapshot';
import { runRules } from '../engine/rules/evaluate';
import { scan } from '../engine/scan';

import {
  APPLY_FIX_COMMAND,
  FIREWALL_FACTS_COMMAND,
  FIX_IDS,
  ROOT_RUNS_DIR,
  UNDO_RUN_COMMAND,
} from './privileged-commands';

/** Instance ids are printable ASCII without spaces ("ollama:service:ollama.service"). */
const INSTANCE_ID = /^[\x21-\x7e]{1,300}$/;
const DIGEST = /^[0-9a-f]{64}$/;

export interface PrivilegedOutcome {
  /** A FixRun as JSON on success; otherwise what was refused, in plain words. */
  text: string;
  code: number;
  /** Interrupted runs recovered first, in plain words (for stderr). */
  notes?: string[];
}

const refuse = (text: string): PrivilegedOutcome => ({ text, code: 2 });

/**
 * Why a certificate or key the user names must not be handed to the proxy, or null: it must be
 * a regular file of root's, in a chain of folders only root controls, of at most 1 MiB, holding
 * a PEM block of that kind (security review: systemd's LoadCredential= would as well copy any
 * file, every file of a folder, or what a socket sends, into the proxy's credentials).
 */
export function credentialFileProblem(path: string, block: string): string | null {
  const chain = untrustedChainProblem(path);
  if (chain) return `${path} is not in a folder only root controls (${chain})`;
  const read = readRegularFile(path, 1024 * 1024);
  if (!read.ok) return `${path}: ${read.why}`;
  if (read.uid !== 0) return `${path} is not owned by root`;
  return new RegExp(`-----BEGIN [A-Z ]*${block}-----`).test(read.text)
    ? null
    : `${path} holds no PEM ${block.toLowerCase()}`;
}

/** Why root's run folder must not be used, or null: a folder only root controls. */
export function runsDirProblem(dir: string): string | null {
  const problem = untrustedChainProblem(`${dir}/x`);
  return problem ? `${dir} is not a folder only root controls (${problem})` : null;
}

/**
 * A recorded run, checked again before root reverts any of it (undo, recovery): its plan
 * against the allowlist (without the tie to servers: they may be gone), and its digest against
 * the one journaled when it started.
 */
export function recordedRunProblem(run: FixRun): string | null {
  const digest = journaledDigest(run);
  if (digest === null || digest !== planDigest(run.plan))
    return `the recorded plan of run ${run.id} is not the one that was applied (digest mismatch)`;
  const problems = privilegedPlanProblems(run.plan, null);
  return problems.length > 0
    ? `the recorded plan of run ${run.id} is not one Paddock would run: ${problems.join('; ')}`
    : null;
}

function revertDeps(host: Host, runsDir: string): RevertDeps {
  return {
    runsDir,
    exec: (argv) => host.exec(argv, { timeoutMs: 60_000, maxBytes: 1024 * 1024 }),
    now: () => new Date(),
    check: recordedRunProblem,
  };
}

/**
 * The main process of each unit a server's (or a tunnel client's) cgroup names, as systemd
 * (the system manager) says: a unit counts as theirs only when that is their own pid
 * (allowlist.ts, privilegedContext). Unknown (no systemd, no such unit): absent.
 */
async function unitMainPids(host: Host, snapshot: Snapshot): Promise<Map<string, number>> {
  const pids = new Map<string, number>();
  const units = new Set(
    snapshot.instances.flatMap((i) => [
      ...(i.process?.systemdUnit ? [i.process.systemdUnit] : []),
      ...(i.tunnels ?? []).flatMap((t) => (t.systemdUnit ? [t.systemdUnit] : [])),
    ]),
  );
  for (const unit of units) {
    if (!isServiceName(unit)) continue;
    const shown = await host.exec(
      ['systemctl', 'show', '--property=MainPID', '--value', '--', unit],
      {
        timeoutMs: 5000,
        maxBytes: 4096,
      },
    );
    const pid = Number(shown.stdout.trim());
    if (shown.code === 0 && Number.isInteger(pid) && pid > 0) pids.set(unit, pid);
  }
  return pids;
}

/** Interrupted runs in root's folder are finished or rolled back first. */
async function recover(host: Host, runsDir: string, say: string[]): Promise<void> {
  try {
    for (const recovery of await recoverRuns(revertDeps(host, runsDir)))
      if (recovery.action !== 'nothing') say.push(recovery.message);
  } catch (error) {
    if (!(error instanceof FixRefusal && error.kind === 'busy'))
      say.push(`could not check for interrupted fixes: ${String(error)}`);
  }
}

/** A source as the caller sent it is already its one canonical form (share-allowlist.ts). */
function isCanonicalSource(text: string): boolean {
  const c = canonicalSource(text);
  return c.ok && c.source === text;
}

/**
 * `__apply-fix FIX-ID INSTANCE-ID DIGEST`: root scans, makes the plan with the same recipe the
 * user's preview came from, and runs it only when what it does is exactly what the user
 * approved (planDigest: every step's path, bytes, mode, argv and undo, and the verification).
 */
export async function privilegedApplyFix(
  host: Host,
  args: string[],
  runsDir: string = ROOT_RUNS_DIR,
  dirCheck: (dir: string) => string | null = runsDirProblem,
): Promise<PrivilegedOutcome> {
  const [fixId, instance, digest, ...rest] = args;
  // share-allowlist takes the sources to share with, the one choice that comes from the user:
  // each must be one canonical address or prefix (share-allowlist.ts), and the table made of
  // them only ever drops connections, so they can narrow who reaches a port, never widen it.
  const sharing = fixId === 'share-allowlist' && rest.length === 1 ? rest[0]!.split(',') : null;
  // block-client (issue 18) takes the one address to cut off, the user's choice among the
  // machines root's own scan finds connected to that server or in its log: the recipe refuses
  // any other (block-client.ts, clientCandidates), and its table only ever refuses that address.
  const cutting = fixId === 'block-client' && rest.length === 1 ? [rest[0]!] : null;
  if (cutting && cutting.some((s) => !isCanonicalSource(s) || s.includes('/')))
    return refuse(
      `${APPLY_FIX_COMMAND} block-client takes INSTANCE-ID DIGEST and one canonical address`,
    );
  // share-proxy takes the user's choice of proxy, credential, endpoints and TLS, in its one
  // canonical form: it picks between plans root makes from its own scan, and a certificate
  // it names must lie in a chain only root controls (share-proxy.ts).
  const proxy = fixId === 'share-proxy' && rest.length === 1 ? parseProxyChoiceArg(rest[0]!) : null;
  if (fixId === 'share-proxy' && proxy === null)
    return refuse(
      `${APPLY_FIX_COMMAND} share-proxy takes INSTANCE-ID DIGEST and the choice, as SOFTWARE:AUTH:ENDPOINTS:TLS[:CERT:KEY]`,
    );
  const extra = sharing || proxy || cutting ? [] : rest;
  if (proxy?.tls === 'certificate') {
    const problem =
      credentialFileProblem(proxy.cert!, 'CERTIFICATE') ??
      credentialFileProblem(proxy.key!, 'PRIVATE KEY');
    if (problem) return refuse(`refused, nothing was run: ${problem}`);
  }
  if (
    (sharing &&
      (sharing.some((s) => !isCanonicalSource(s)) ||
        JSON.stringify(normalizeSources(sharing)) !== JSON.stringify(sharing))) ||
    extra.length > 0 ||
    !fixId ||
    !(FIX_IDS as readonly string[]).includes(fixId) ||
    !instance ||
    !INSTANCE_ID.test(instance) ||
    !digest ||
    !DIGEST.test(digest)
  )
    return refuse(
      `${APPLY_FIX_COMMAND} takes FIX-ID INSTANCE-ID DIGEST (64 hex digits) and nothing else (share-allowlist: and its sources, each one canonical address or prefix, comma-separated)`,
    );
  const dirProblem = dirCheck(runsDir);
  if (dirProblem) return refuse(`refused, nothing was run: ${dirProblem}`);
  const notes: string[] = [];
  await recover(host, runsDir, notes);
  const snapshot = await scan(host);
  if (!snapshot.instances.some((i) => i.id === instance))
    return refuse(
      `refused, nothing was run: root's own scan finds no server ${instance} (found: ${snapshot.instances.map((i) => i.id).join(', ') || 'none'}). Scan again and preview the fix again.`,
    );
  const finding = runRules(snapshot).find(
    (f) => f.instance === instance && f.fixes.includes(fixId),
  );
  const made = planFix(fixId as FixId, snapshot, instance, recipeIo(host), {
    persist: systemdBooted(),
    findingId: finding?.id ?? null,
    ...(sharing ? { allow: sharing } : {}),
    ...(cutting ? { allow: cutting } : {}),
    ...(proxy ? { proxy } : {}),
  });
  if (isManual(made))
    return refuse(
      `refused, nothing was run: as root, Paddock would not make this change itself: ${made.reason}`,
    );
  const plan: FixPlan = made;
  if (planDigest(plan) !== digest)
    return refuse(
      'refused, nothing was run: the plan root makes from its own scan is not the plan you approved (root sees more of the system, or it changed since the preview). Preview the fix again; as root (sudo paddock fix …) the preview shows the plan root would apply.',
    );
  const mainPids = await unitMainPids(host, snapshot);
  // Paddock's own shares, as root reads them on disk (a rotation's secret format).
  const shares = await readShareManifests(
    (path) => host.readFile(path, 64 * 1024),
    (snapshot.probes.sockets.data ?? [])
      .filter((s) => s.state === 'listen')
      .map((s) => s.localPort),
  );
  const problems = privilegedPlanProblems(plan, {
    ...privilegedContext(snapshot, (unit, pid) => mainPids.get(unit) === pid),
    shareFormats: new Map(shares.map((m) => [m.port, secretFormatOf(m)])),
  });
  if (problems.length > 0) return refuse(`refused, nothing was run: ${problems.join('; ')}`);
  let secret: string | null = null;
  const run = await applyPlan(plan, {
    ...revertDeps(host, runsDir),
    expectedDigest: digest,
    verify: (p) => verifyByRescan(p, () => scan(host)),
    onSecret: (value) => {
      secret = value;
    },
  });
  // The secret goes to the caller once, beside the run, never into it: the run is recorded.
  const shown = secret !== null && run.state === 'applied' ? { secret } : {};
  return { text: JSON.stringify({ ...run, ...shown }), code: 0, notes };
}

/** `__undo-run RUN-ID`: a run from root's own folder, checked again before anything runs. */
export async function privilegedUndoRun(
  host: Host,
  args: string[],
  runsDir: string = ROOT_RUNS_DIR,
  dirCheck: (dir: string) => string | null = runsDirProblem,
): Promise<PrivilegedOutcome> {
  const [id, ...extra] = args;
  if (!id || !RUN_ID.test(id) || extra.length > 0)
    return refuse(`${UNDO_RUN_COMMAND} takes one run id`);
  const dirProblem = dirCheck(runsDir);
  if (dirProblem) return refuse(`refused, nothing was run: ${dirProblem}`);
  const notes: string[] = [];
  await recover(host, runsDir, notes);
  try {
    const run = await undoRun(id, revertDeps(host, runsDir));
    return { text: JSON.stringify(run), code: 0, notes };
  } catch (error) {
    if (error instanceof FixRefusal) return { ...refuse(error.message), notes };
    throw error;
  }
}

/**
 * Windows (issue 17): the admin side's runs folder, `<ProgramData>\Paddock\runs`, which
 * win32-elevate.ts derived from the system and checked (owner and access rules: administrators
 * only) just before; untrustedChainProblem judges POSIX modes and cannot.
 */
export interface WindowsRunsPlace {
  runsDir: string;
}

/** The privileged side's commands; anything else is refused. */
export async function runPrivilegedCommand(
  host: Host,
  args: string[],
  windows?: WindowsRunsPlace,
): Promise<PrivilegedOutcome> {
  const [command, ...rest] = args;
  const runsDir = windows?.runsDir ?? ROOT_RUNS_DIR;
  const dirCheck = windows
    ? (dir: string) =>
        dir === windows.runsDir ? null : `${dir} is not the folder that was checked`
    : runsDirProblem;
  if (command === APPLY_FIX_COMMAND) return privilegedApplyFix(host, rest, runsDir, dirCheck);
  if (command === UNDO_RUN_COMMAND) return privilegedUndoRun(host, rest, runsDir, dirCheck);
  if (command === FIREWALL_FACTS_COMMAND) {
    if (windows) return refuse(`${FIREWALL_FACTS_COMMAND} reads the Linux firewall only`);
    if (rest.length > 0) return refuse(`${FIREWALL_FACTS_COMMAND} takes no arguments`);
    const { probeFirewall } = await import('../engine/probes/linux/firewall/probe');
    return { text: JSON.stringify(await probeFirewall(host)), code: 0 };
  }
  return refuse(
    `paddock-privileged takes only ${APPLY_FIX_COMMAND}, ${UNDO_RUN_COMMAND} and ${FIREWALL_FACTS_COMMAND}`,
  );
}
