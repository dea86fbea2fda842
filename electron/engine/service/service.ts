/**
 * The engine as the desktop app uses it: `window.paddock`'s methods (shared/api.ts) over the
 * same engine the CLI runs. Plain Node, no Electron: it runs in the engine process (worker.ts)
 * under Electron's utility process, and under the test bridge with a real lab behind it.
 *
 * What the user approves is what runs: planFix keeps each previewed plan under its digest and
 * applyFix takes only the digest. A fix that needs root goes to the privileged side
 * (`paddock-privileged __apply-fix FIX-ID INSTANCE-ID DIGEST`, cli/privileged.ts) by sudo -n
 * or polkit's own dialog, exactly as `paddock fix` does: root makes the plan again from its
 * own scan and runs it only if it does what the user approved. One that needs no root runs
 * here with the executor, journal line by journal line reported as progress.
 */
import { shareOffers } from '../fixes/recipes/share-allowlist';
import { installedProxies } from '../fixes/recipes/share-proxy';
import { vpnAddresses } from '../fixes/recipes/share-vpn';
import type {
  AppEvent,
  AppSettings,
  ApiMethod,
  ApiRequest,
  ApiResult,
  FixOutcome,
  FixPreview,
  GpuSample,
  HistoryView,
  ScanView,
} from '../../../shared/api';
import type { PaddockEvent } from '../../../shared/events';
import type { FixPlan, FixRun } from '../../../shared/fixes';
import type { GpuReport } from '../../../shared/gpu';
import type { Snapshot } from '../../../shared/snapshot';
import type { ElevateContext } from '../../cli/elevate';
import { elevatedFirewallFacts, runElevated } from '../../cli/elevate';
import { adminCopyAction, currentAdminCopyFacts } from '../../cli/mac-admin-copy';
import type { AdminCopyFacts } from '../../cli/mac-admin-copy';
import { recoverAtStart, rootRunsDir, userRunsDir } from '../../cli/fix';
import { APPLY_FIX_COMMAND, UNDO_RUN_COMMAND } from '../../cli/privileged-commands';
import { assess } from '../assess';
import type { FixDeps, RevertDeps } from '../fixes/executor';
import { FixRefusal, applyPlan, listRuns, readRun, undoRun } from '../fixes/executor';
import { planDigest, previewPlan, shownArgv, unifiedDiff } from '../fixes/preview';
import { isManual, planFix, privilegedChoiceArgs } from '../fixes/recipes/index';
import { verifyByRescan } from '../fixes/verify';
import { systemdBooted } from '../host/fix-files';
import { recipeIo } from '../fixes/recipe-io';
import type { Host } from '../host/types';
import { probeGpu } from '../probes/gpu';
import type { ScanOptions } from '../scan';
import { scan } from '../scan';
import {
  SettingsError,
  acceptRisk,
  loadPreferences,
  loadSettings,
  updatePreferences,
  withdrawRisk,
} from '../settings/store';

/** A refusal or failure to show the user as is (no stack, no internals). */
export class ServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** Where events are kept (engine/history): append reports written only once on disk. */
export interface EventLog {
  append(event: PaddockEvent): Promise<void> | void;
  /** The run itself, summarised, beside its event. */
  appendRun?(run: FixRun): Promise<void> | void;
  read(limit: number): Promise<{ events: PaddockEvent[]; problems: string[] }>;
}

export interface ServiceDeps {
  host: Host;
  /** How the CLI's privileged side is started: [program, ...args] before its command. */
  elevate: ElevateContext;
  settingsPath: string;
  emit: (event: AppEvent) => void;
  events?: EventLog;
  /** Make a PaddockEvent for a finished run (engine/monitor); none: no event is recorded. */
  eventForRun?: (run: FixRun) => PaddockEvent | null;
  now?: () => Date;
  /** Scan options (tests: probes of a recorded host). */
  scanOptions?: ScanOptions;
  /** macOS: the app's admin copy (cli/mac-admin-copy.ts); the running process's by default. */
  adminCopyFacts?: () => AdminCopyFacts;
}

export type Handlers = { [M in ApiMethod]: (request: ApiRequest<M>) => Promise<ApiResult<M>> };

export interface Service extends Handlers {
  /**
   * One GPU reading between scans (nvidia-smi only), kept for the chart and pushed as a
   * gpu-sample event. Nothing is run when the last scan found no NVIDIA GPU: null.
   */
  sampleGpu(): Promise<GpuSample | null>;
  /** Finishes or rolls back fixes interrupted by a crash; the messages say what was done. */
  recover(): Promise<string[]>;
  /** The latest view (the tray reads it). */
  latest(): ScanView | null;
}

const MAX_GPU_SAMPLES = 360;
const MAX_PENDING_PLANS = 16;

/** A plan as the app previews it: the digest to approve, the text, each file's diff, each command. */
export function fixPreview(made: FixPlan): Extract<FixPreview, { kind: 'plan' }> {
  return {
    kind: 'plan',
    plan: made,
    digest: planDigest(made),
    text: previewPlan(made),
    files: made.steps.flatMap((step) =>
      step.kind === 'write-file'
        ? [{ path: step.path, diff: unifiedDiff(step.path, step.before, step.content) }]
        : step.kind === 'remove-file'
          ? [{ path: step.path, diff: unifiedDiff(step.path, step.before, null) }]
          : [],
    ),
    commands: made.steps.flatMap((step) =>
      step.kind === 'run'
        ? [
            {
              shown: shownArgv(step.argv),
              undo: step.undo ? shownArgv(step.undo) : null,
              description: step.description,
            },
          ]
        : [],
    ),
  };
}

/** A preview older than this is stale: the user must look at a fresh one. */
const PLAN_TTL_MS = 30 * 60 * 1000;
const MAX_HISTORY_EVENTS = 500;

function gpuSample(report: GpuReport | null, at: string): GpuSample | null {
  const gpus = report?.nvidia;
  if (!gpus || gpus.length === 0) return null;
  const known = <T>(values: Array<T | null>) => values.filter((v): v is T => v !== null);
  const util = known(gpus.map((g) => g.utilizationPercent));
  const used = known(gpus.map((g) => g.memoryUsedMiB));
  const total = known(gpus.map((g) => g.memoryTotalMiB));
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    at,
    utilizationPercent: util.length ? sum(util) / util.length : null,
    memoryUsedMiB: used.length ? sum(used) : null,
    memoryTotalMiB: total.length ? sum(total) : null,
  };
}

function messageOf(error: unknown): string {
  if (error instanceof ServiceError || error instanceof SettingsError) return error.message;
  if (error instanceof FixRefusal) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** How long the firewall read with admin rights stands in for the scans that follow. */
export const ADMIN_FIREWALL_MS = 10 * 60_000;

export function createService(deps: ServiceDeps): Service {
  const { host } = deps;
  const now = deps.now ?? (() => new Date());
  let latest: ScanView | null = null;
  let inFlight: Promise<ScanView> | null = null;
  const gpuHistory: GpuSample[] = [];
  const pending = new Map<string, { plan: FixPlan; at: number }>();

  const runDeps = (runsDir: string): RevertDeps => ({
    runsDir,
    exec: (argv) => host.exec(argv, { timeoutMs: 60_000, maxBytes: 1024 * 1024 }),
    now,
  });

  function keepSample(sample: GpuSample): void {
    gpuHistory.push(sample);
    if (gpuHistory.length > MAX_GPU_SAMPLES) gpuHistory.shift();
  }

  async function view(snapshot: Snapshot): Promise<ScanView> {
    const assessment = await assess(snapshot, { settingsPath: deps.settingsPath });
    return {
      snapshot,
      findings: assessment.findings,
      posture: assessment.posture,
      settingsProblem: assessment.settingsProblem,
      gpuHistory: [...gpuHistory],
    };
  }

  /**
   * Issue 18, "Check with admin rights": the firewall read by the privileged side, for one
   * scan (as `paddock scan --elevated`). Refused or cancelled: the scan does not happen and
   * the answer says why.
   */
  function elevatedScan(gpu: boolean | undefined): Promise<ScanView> {
    // One admin prompt at a time: a second request while one is open shares its answer
    // (a window that asks again, or twice, never stacks prompts).
    elevating ??= (async () => {
      try {
        if (inFlight) await inFlight.catch(() => undefined);
        if (host.uid() === 0) return await rescan({ gpu });
        const read = await elevatedFirewallFacts(deps.elevate);
        if (!read.ok) throw new ServiceError(read.message);
        adminFirewall = { result: read.result, at: now().getTime() };
        // A scan started while the prompt was open would answer without what admin rights
        // read: wait it out, then scan with the facts (bounded: one wait per scan in flight).
        for (let i = 0; i < 3 && inFlight; i += 1) await inFlight.catch(() => undefined);
        return await rescan({ gpu, firewall: read.result });
      } finally {
        elevating = null;
      }
    })();
    return elevating;
  }

  let elevating: Promise<ScanView> | null = null;

  /**
   * The firewall as admin rights last read it. The scans that follow (the watcher's, a fix's
   * rescan) use it for ADMIN_FIREWALL_MS rather than fall back to "not checked" a minute after
   * the user asked, and say when it was read; a fix applied or undone since, or the time
   * running out, drops it, and the next scan reads what it can without admin rights again.
   */
  let adminFirewall: { result: NonNullable<ScanOptions['firewall']>; at: number } | null = null;

  function reusedAdminFirewall(): ScanOptions['firewall'] | undefined {
    if (!adminFirewall) return undefined;
    const age = now().getTime() - adminFirewall.at;
    if (age < 0 || age >= ADMIN_FIREWALL_MS) {
      adminFirewall = null;
      return undefined;
    }
    const at = new Date(adminFirewall.at).toISOString();
    const minutes = Math.floor(age / 60_000);
    const note = `Read with admin rights at ${at}${minutes > 0 ? ` (${minutes} min ago)` : ''}; used until ${Math.round(ADMIN_FIREWALL_MS / 60_000)} minutes have passed or a fix changes something.`;
    const { result } = adminFirewall;
    return { ...result, message: result.message ? `${result.message} ${note}` : note };
  }

  /** One scan at a time: callers during a scan share its answer. */
  function rescan(
    options: { gpu?: boolean; firewall?: ScanOptions['firewall'] } = {},
  ): Promise<ScanView> {
    if (inFlight) return inFlight;
    deps.emit({ type: 'scan-started', at: now().toISOString() });
    inFlight = (async () => {
      try {
        const firewall = options.firewall ?? reusedAdminFirewall();
        const snapshot = await scan(host, {
          ...deps.scanOptions,
          gpuControllers: options.gpu ?? false,
          ...(firewall ? { firewall } : {}),
        });
        const sample = gpuSample(snapshot.probes.gpu.data, snapshot.takenAt);
        if (sample) keepSample(sample);
        latest = await view(snapshot);
        deps.emit({ type: 'scan-finished', view: latest });
        return latest;
      } catch (error) {
        deps.emit({ type: 'scan-failed', message: messageOf(error) });
        throw new ServiceError(`The scan failed: ${messageOf(error)}`);
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  async function reassessed(): Promise<ScanView> {
    if (!latest) return rescan();
    latest = await view(latest.snapshot);
    deps.emit({ type: 'scan-finished', view: latest });
    return latest;
  }

  async function record(run: FixRun): Promise<void> {
    const event = deps.eventForRun?.(run) ?? null;
    try {
      await deps.events?.appendRun?.(run);
      if (event) await deps.events?.append(event);
    } catch {
      // The run itself is recorded in its own folder; the history is the summary of it.
    }
    if (event) deps.emit({ type: 'event', event });
  }

  async function afterRun(run: FixRun, secret: string | null = null): Promise<FixOutcome> {
    // What admin rights read of the firewall may be what this run changed.
    adminFirewall = null;
    await record(run);
    await rescan().catch(() => undefined);
    // A share-proxy's secret, once, to the window that applied it: recorded nowhere.
    return { ok: true, run, ...(secret !== null && run.state === 'applied' ? { secret } : {}) };
  }

  async function parseRun(
    stdout: string,
    via: string,
  ): Promise<{ run: FixRun; secret: string | null }> {
    const { fixRunSchema } = await import('../../../shared/fixes');
    try {
      const json = JSON.parse(stdout) as { secret?: unknown };
      const secret =
        typeof json.secret === 'string' && /^[A-Za-z0-9_-]{43}$/.test(json.secret)
          ? json.secret
          : null;
      return { run: fixRunSchema.parse(json), secret };
    } catch {
      throw new ServiceError(
        `${via}: the privileged side did not answer with a fix run: ${stdout.trim().slice(0, 300)}`,
      );
    }
  }

  function takePlan(digest: string): FixPlan {
    const held = pending.get(digest);
    if (!held || now().getTime() - held.at > PLAN_TTL_MS) {
      pending.delete(digest);
      throw new ServiceError(
        'This preview is no longer current (or was never made here); nothing was run. Open the fix again to see a fresh preview.',
      );
    }
    pending.delete(digest);
    return held.plan;
  }

  function findRun(id: string): { run: FixRun; dir: string } | null {
    for (const dir of [...new Set([userRunsDir(host), rootRunsDir(host)])]) {
      try {
        const run = readRun(id, { runsDir: dir });
        if (run) return { run, dir };
      } catch {
        // An unreadable folder (root's, for a user) is tried by the privileged side.
      }
    }
    return null;
  }

  async function settings(problem: string | null = null): Promise<AppSettings> {
    const { DEFAULT_PREFERENCES } = await import('../../../shared/api');
    try {
      const [stored, preferences] = await Promise.all([
        loadSettings(deps.settingsPath),
        loadPreferences(deps.settingsPath),
      ]);
      return {
        preferences,
        acceptedRisks: stored.acceptedRisks,
        settingsPath: deps.settingsPath,
        problem,
      };
    } catch (error) {
      return {
        preferences: DEFAULT_PREFERENCES,
        acceptedRisks: [],
        settingsPath: deps.settingsPath,
        problem: messageOf(error),
      };
    }
  }

  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (error) {
        if (error instanceof ServiceError) throw error;
        throw new ServiceError(messageOf(error));
      }
    };

  return {
    latest: () => latest,

    sampleGpu: async () => {
      if (!latest?.snapshot.probes.gpu.data?.nvidia?.length) return null;
      const probe = await probeGpu(host, { controllers: false });
      const sample = gpuSample(probe.data, now().toISOString());
      if (!sample) return null;
      keepSample(sample);
      latest = { ...latest, gpuHistory: [...gpuHistory] };
      deps.emit({ type: 'gpu-sample', sample });
      return sample;
    },

    recover: async () => {
      const said: string[] = [];
      await recoverAtStart(host, (text) => said.push(text.trim()));
      return said;
    },

    scan: guard((request) =>
      request?.elevated ? elevatedScan(request.gpu) : rescan({ gpu: request?.gpu }),
    ),

    snapshot: () => Promise.resolve(latest),

    shareOffers: guard(async ({ instance }) => {
      const view = latest ?? (await rescan());
      const target = view.snapshot.instances.find((i) => i.id === instance);
      if (!target) throw new ServiceError(`The server ${instance} is no longer there. Scan again.`);
      return {
        offers: shareOffers(view.snapshot, target),
        vpn: vpnAddresses(view.snapshot.probes.interfaces.data ?? [])[0] ?? null,
        proxies: installedProxies(recipeIo(host)),
      };
    }),

    planFix: guard(async ({ fixId, instance, allow, proxy }): Promise<FixPreview> => {
      const fresh = await rescan();
      const ids = fresh.snapshot.instances.map((i) => i.id);
      const target = instance ?? (ids.length === 1 ? ids[0] : undefined);
      if (!target)
        throw new ServiceError(
          ids.length === 0
            ? 'No Ollama server was found to fix.'
            : `Several servers were found; choose one (${ids.join(', ')}).`,
        );
      if (!ids.includes(target))
        throw new ServiceError(
          `The server ${target} is no longer there (found: ${ids.join(', ') || 'none'}). Scan again.`,
        );
      const finding = fresh.findings.find((f) => f.instance === target && f.fixes.includes(fixId));
      const made = planFix(fixId, fresh.snapshot, target, recipeIo(host), {
        persist: systemdBooted(),
        findingId: finding?.id ?? null,
        ...(allow ? { allow } : {}),
        ...(proxy ? { proxy } : {}),
      });
      if (isManual(made)) return { kind: 'manual', manual: made };
      const preview = fixPreview(made);
      pending.set(preview.digest, { plan: made, at: now().getTime() });
      while (pending.size > MAX_PENDING_PLANS) pending.delete(pending.keys().next().value!);
      return preview;
    }),

    applyFix: guard(async ({ digest }): Promise<FixOutcome> => {
      const plan = takePlan(digest);
      if (plan.requiresAdmin && host.uid() !== 0) {
        if (plan.instance === null)
          throw new ServiceError(
            'This plan names no server, so the privileged side cannot make it again; nothing was run.',
          );
        deps.emit({ type: 'admin-prompt', digest, via: 'sudo -n, else pkexec' });
        const elevated = await runElevated(deps.elevate, [
          APPLY_FIX_COMMAND,
          plan.fixId,
          plan.instance,
          digest,
          ...privilegedChoiceArgs(plan),
        ]);
        if (!elevated.ok)
          return {
            ok: false,
            cancelled: elevated.cancelled,
            message: elevated.message,
            ...(elevated.adminCopy ? { adminCopy: true as const } : {}),
          };
        if (elevated.code !== 0)
          return {
            ok: false,
            cancelled: false,
            message: `The privileged side refused: ${elevated.stdout.trim().slice(0, 500)}`,
          };
        const parsed = await parseRun(elevated.stdout, elevated.via);
        return afterRun(parsed.run, parsed.secret);
      }
      let secret: string | null = null;
      const fixDeps: FixDeps = {
        ...runDeps(host.uid() === 0 ? rootRunsDir(host) : userRunsDir(host)),
        expectedDigest: digest,
        verify: (p) => verifyByRescan(p, () => scan(host, deps.scanOptions)),
        onJournal: (entry) => deps.emit({ type: 'fix-progress', digest, entry }),
        onSecret: (value) => {
          secret = value;
        },
      };
      return afterRun(await applyPlan(plan, fixDeps), secret);
    }),

    undo: guard(async ({ runId }): Promise<FixOutcome> => {
      const found = findRun(runId);
      if (!found && host.uid() === 0) throw new ServiceError(`There is no fix run ${runId}.`);
      const inRootDir = found ? found.dir === rootRunsDir(host) : true;
      if (inRootDir && host.uid() !== 0) {
        const elevated = await runElevated(deps.elevate, [UNDO_RUN_COMMAND, runId]);
        if (!elevated.ok)
          return {
            ok: false,
            cancelled: elevated.cancelled,
            message: elevated.message,
            ...(elevated.adminCopy ? { adminCopy: true as const } : {}),
          };
        if (elevated.code !== 0)
          return { ok: false, cancelled: false, message: elevated.stdout.trim().slice(0, 500) };
        return afterRun((await parseRun(elevated.stdout, elevated.via)).run);
      }
      return afterRun(await undoRun(runId, runDeps(found!.dir)));
    }),

    acceptRisk: guard(async ({ ruleId, instance, reason, until }) => {
      await acceptRisk(deps.settingsPath, { ruleId, instance, reason, expiresAt: until }, now());
      return reassessed();
    }),

    withdrawRisk: guard(async ({ ruleId, instance }) => {
      await withdrawRisk(deps.settingsPath, ruleId, instance);
      return reassessed();
    }),

    history: guard(async (): Promise<HistoryView> => {
      const runs: FixRun[] = [];
      const problems: string[] = [];
      for (const dir of [...new Set([userRunsDir(host), rootRunsDir(host)])]) {
        try {
          runs.push(...listRuns({ runsDir: dir }));
        } catch {
          problems.push(`${dir} could not be read (fixes run as root are recorded there).`);
        }
      }
      runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
      let events: PaddockEvent[] = [];
      if (deps.events) {
        const read = await deps.events.read(MAX_HISTORY_EVENTS);
        events = read.events;
        problems.push(...read.problems);
      }
      return { runs, events, problems };
    }),

    getSettings: guard(() => settings()),

    adminCopy: guard((request) =>
      adminCopyAction(
        {
          host,
          facts: deps.adminCopyFacts ?? (() => currentAdminCopyFacts()),
          record: deps.events ? (event) => deps.events!.append(event) : undefined,
          now,
        },
        request,
      ),
    ),

    updateSettings: guard(async (patch) => {
      await updatePreferences(deps.settingsPath, patch);
      return settings();
    }),
  };
}
