/**
 * A recorded engine for the bridge: answers from a saved Snapshot through the real rules and
 * posture (engine/assess.ts), so the page can be shown states no lab can make on demand (the
 * internet verdict, a GPU under load, a denied probe, no Ollama at all, an engine error).
 * Fixes are not applied here: planFix answers the real recipes' plans for the share fixes (and
 * the engine's own refusal for the rest); applyFix refuses, except for a share-proxy plan
 * previewed here when the recording says what the machine looks like after it (afterApply).
 */
import type {
  AdminCopyView,
  AppEvent,
  AppSettings,
  Envelope,
  FixOutcome,
  GpuSample,
  HistoryView,
} from '../../../shared/api';
import { DEFAULT_PREFERENCES } from '../../../shared/api';
import type { Snapshot } from '../../../shared/snapshot';
import { assess } from '../../../electron/engine/assess';
import { isManual, planFix } from '../../../electron/engine/fixes/recipes';
import type { RecipeIO } from '../../../electron/engine/fixes/recipes/common';
import { shareOffers } from '../../../electron/engine/fixes/recipes/share-allowlist';
import { installedProxies } from '../../../electron/engine/fixes/recipes/share-proxy';
import { CADDY_BIN, NGINX_BIN } from '../../../electron/engine/fixes/recipes/share-proxy-config';
import { vpnAddresses } from '../../../electron/engine/fixes/recipes/share-vpn';
import { checkVerification } from '../../../electron/engine/fixes/verify';
import { fixPreview } from '../../../electron/engine/service/service';
import type { FixId, FixPlan, FixRun, ProxyChoice } from '../../../shared/fixes';
import type { EngineLink } from './server';
import { MAC_ROOT_COPY, adminCopyAction, removeArgv } from '../../../electron/cli/mac-admin-copy';
import type { AdminCopyFacts } from '../../../electron/cli/mac-admin-copy';
import { createFakeHost } from '../../support/fake-host';

export interface Recording {
  snapshot: Snapshot;
  gpuHistory?: GpuSample[];
  history?: HistoryView;
  /** Every scan fails with this message (the engine-error state). */
  scanError?: string;
  /**
   * Issue 18: the window's first snapshot is the recording, and every scan after it fails with
   * this message (the engine failing after a good scan: the last verdict kept, out of date).
   */
  laterScansFail?: string;
  /**
   * Issue 18, "Check with admin rights": what a scan with `elevated: true` answers (the
   * firewall read by root); every scan after it answers the same. Absent: as any scan.
   */
  afterElevated?: Snapshot;
  /** Issue 18: the first getSettings fails with this message; Retry then reads them. */
  settingsFailOnce?: string;
  /**
   * Issue 18: accepting and withdrawing risks, kept in memory for this recording (the rules'
   * findings are marked accepted as the settings file would make them).
   */
  acceptRisks?: boolean;
  /**
   * Issue 14, share-proxy: the machine after the fix, as a later scan would record it, and the
   * secret that stands for the one root generates at apply time (a fixed test value, not a
   * real secret). With it, applyFix answers a share-proxy plan previewed here as applied: the
   * run's plan is that plan, its check the plan's own verification against `snapshot`, and
   * every scan after it answers `snapshot`. Nothing is run.
   */
  afterApply?: { snapshot: Snapshot; secret: string };
  /**
   * Issue 16: the window as the Mac app in /Applications sees its admin copy (none, or one of
   * this version). `adminCopy` runs the real cli/mac-admin-copy.ts against a fake Mac whose
   * admin prompt answers as the scripts print when they succeed, and whose /Library/Paddock
   * follows. Absent: the copy is not needed (as on Linux).
   */
  macAdminCopy?: { copyVersion: string | null };
  /**
   * Issue 16: applyFix answers this refusal (the run never started), as the engine does when
   * the Mac app's admin side may not run from /Applications (`adminCopy`).
   */
  refuseApply?: { message: string; adminCopy?: true };
}

/** The fake Mac of `macAdminCopy`: the app 0.2.0 in /Applications, a test team id. */
function recordedAdminCopy(
  start: string | null,
): (request: Parameters<typeof adminCopyAction>[1]) => Promise<AdminCopyView> {
  let copy = start;
  const bundle = '/Applications/Paddock.app';
  const plist = (version: string) =>
    `<plist><dict><key>CFBundleShortVersionString</key><string>${version}</string><key>CFBundleVersion</key><string>${version}</string></dict></plist>`;
  const facts = (): AdminCopyFacts => ({
    platform: 'darwin',
    bundle,
    team: 'ABCDE12345',
    own: { version: '0.2.0', build: '0.2.0' },
    present: () => copy !== null,
    bundleProblem: () => '/Applications is writable by group 80 (admin)',
    read: (path) =>
      path === `${MAC_ROOT_COPY}/Contents/Info.plist` && copy !== null ? plist(copy) : null,
    copyProblem: () => null,
  });
  const host = createFakeHost({ platform: 'darwin', uid: 501 });
  host.exec = async (argv) => {
    const removing = argv.join(' ') === removeArgv().join(' ');
    copy = removing ? null : '0.2.0';
    const said = removing ? `removed ${MAC_ROOT_COPY}` : `installed 0.2.0 at ${MAC_ROOT_COPY}`;
    return {
      argv: [...argv],
      durationMs: 1,
      code: 0,
      stdout: `paddock-admin-copy: ${said}\n\npaddock-exit:0\n`,
      stderr: '',
      spawnError: null,
      timedOut: false,
      truncated: false,
      signal: null,
    };
  };
  return (request) => adminCopyAction({ host, facts }, request);
}

/**
 * The files the recipes look at: none exist, but for the programs of both proxies at their
 * Debian paths (installedProxies): the recording stands for a machine with nginx and Caddy
 * both installed, so "password or token in front" offers either.
 */
const RECORDED_IO: RecipeIO = {
  readFile: () => null,
  fileMode: (path) => (path === NGINX_BIN || path === CADDY_BIN ? 0o755 : null),
};

/** A run id of the executor's shape (undoRequestSchema), fixed for the recording. */
const RECORDED_RUN_ID = '20261128T120500000Z-5eca1e00';

export function recordedEngine(recording: Recording): EngineLink {
  const listeners: Array<(event: AppEvent) => void> = [];
  /** What a scan answers now: the recording, or the machine after an applied share-proxy. */
  let current = recording.snapshot;
  /** share-proxy plans previewed here, by digest (what applyFix takes). */
  const previewed = new Map<string, FixPlan>();
  const accepted = new Map<
    string,
    { reason: string; acceptedAt: string; expiresAt: string | null }
  >();
  let settingsFailures = recording.settingsFailOnce ? 1 : 0;
  const adminCopy = recording.macAdminCopy
    ? recordedAdminCopy(recording.macAdminCopy.copyVersion)
    : null;
  const view = async () => {
    const assessed = await assess(current, { settingsPath: null });
    const findings = assessed.findings.map((f) => ({
      ...f,
      accepted: accepted.get(`${f.ruleId}@${f.instance ?? ''}`) ?? f.accepted,
    }));
    const posture = {
      ...assessed.posture,
      accepted: findings.filter((f) => f.accepted !== null).length,
    };
    return {
      snapshot: current,
      findings,
      posture,
      settingsProblem: null,
      gpuHistory: recording.gpuHistory ?? [],
    };
  };
  const settings: AppSettings = {
    preferences: DEFAULT_PREFERENCES,
    acceptedRisks: [],
    // Where Electron's userData is: on a Mac for the Mac recordings.
    settingsPath: recording.macAdminCopy
      ? '/Users/dev/Library/Application Support/Paddock/settings.json'
      : '/home/dev/.config/paddock/settings.json',
    problem: null,
  };
  const ok = (value: unknown): Envelope<unknown> => ({ ok: true, value });
  return {
    call: async (method, request) => {
      switch (method) {
        case 'scan':
        case 'snapshot':
          if (method === 'scan' && recording.laterScansFail)
            return { ok: false, error: { kind: 'engine', message: recording.laterScansFail } };
          if (
            method === 'scan' &&
            recording.afterElevated &&
            (request as { elevated?: boolean })?.elevated
          )
            current = recording.afterElevated;
          if (recording.scanError)
            return method === 'snapshot'
              ? ok(null)
              : { ok: false, error: { kind: 'engine', message: recording.scanError } };
          return ok(await view());
        case 'adminCopy': {
          const asked = request as Parameters<typeof adminCopyAction>[1];
          if (adminCopy) return ok(await adminCopy(asked));
          if (asked.action !== 'status') break;
          return ok({
            state: { kind: 'not-needed', why: 'only the packaged Mac app needs an admin copy' },
            install: null,
            remove: null,
            outcome: null,
          });
        }
        case 'history':
          return ok(recording.history ?? { runs: [], events: [], problems: [] });
        case 'getSettings':
        case 'updateSettings':
          if (settingsFailures > 0) {
            settingsFailures -= 1;
            return { ok: false, error: { kind: 'engine', message: recording.settingsFailOnce! } };
          }
          return ok(settings);
        case 'acceptRisk':
        case 'withdrawRisk': {
          if (!recording.acceptRisks) break;
          const r = request as { ruleId: string; instance: string | null; reason?: string };
          const key = `${r.ruleId}@${r.instance ?? ''}`;
          if (method === 'acceptRisk')
            accepted.set(key, {
              reason: r.reason ?? '',
              acceptedAt: current.takenAt,
              expiresAt: null,
            });
          else accepted.delete(key);
          return ok(await view());
        }
        // Issue 14: the share chooser's offers, and the plans for sharing, from the recorded
        // scan through the real recipes (reading no file: nothing here is applied).
        case 'shareOffers': {
          const instance = recording.snapshot.instances.find(
            (i) => i.id === (request as { instance: string }).instance,
          );
          if (!instance) return { ok: false, error: { kind: 'engine', message: 'no such server' } };
          return ok({
            offers: shareOffers(recording.snapshot, instance),
            vpn: vpnAddresses(recording.snapshot.probes.interfaces.data ?? [])[0] ?? null,
            proxies: installedProxies(RECORDED_IO),
          });
        }
        case 'planFix': {
          const { fixId, instance, allow, proxy } = request as {
            fixId: FixId;
            instance: string;
            allow?: string[];
            proxy?: ProxyChoice;
          };
          if (fixId !== 'share-allowlist' && fixId !== 'share-vpn' && fixId !== 'share-proxy')
            break;
          const made = planFix(fixId, recording.snapshot, instance, RECORDED_IO, {
            ...(allow ? { allow } : {}),
            ...(proxy ? { proxy } : {}),
          });
          if (isManual(made)) return ok({ kind: 'manual', manual: made });
          const preview = fixPreview(made);
          if (fixId === 'share-proxy') previewed.set(preview.digest, made);
          return ok(preview);
        }
        case 'applyFix': {
          if (recording.refuseApply)
            return ok({ ok: false, cancelled: false, ...recording.refuseApply });
          const plan = previewed.get((request as { digest: string }).digest);
          const after = recording.afterApply;
          if (!plan || !after) break;
          const check = checkVerification(plan.verification, after.snapshot);
          const at = after.snapshot.takenAt;
          const run: FixRun = {
            id: RECORDED_RUN_ID,
            plan,
            state: check.ok ? 'applied' : 'rolled-back',
            startedAt: at,
            endedAt: at,
            outcome: check.ok
              ? `Applied and verified: ${check.detail}`
              : `Rolled back: the check failed (${check.detail})`,
            journal: [
              { at, step: null, event: 'run-started', detail: 'recorded run' },
              {
                at,
                step: null,
                event: check.ok ? 'verify-ok' : 'verify-failed',
                detail: check.detail,
              },
            ],
          };
          if (check.ok) current = after.snapshot;
          const outcome: FixOutcome = check.ok
            ? { ok: true, run, secret: after.secret }
            : { ok: true, run };
          return ok(outcome);
        }
      }
      return {
        ok: false,
        error: { kind: 'engine', message: 'This is a recorded scan: nothing can be changed.' },
      };
    },
    onEvent: (listener) => listeners.push(listener),
    close: () => Promise.resolve(),
  };
}
