/**
 * The contract between the renderer and the engine: what `window.paddock` offers, the IPC
 * channel of each method, and a zod schema for every request and every answer. The main
 * process validates both directions (electron/main/ipc.ts); the test bridge speaks the same
 * contract over HTTP (test/e2e/bridge/). The renderer imports types only.
 *
 * Every method answers an envelope, so the renderer gets the engine's own words for what went
 * wrong instead of Electron's "Error invoking remote method": `{ ok: true, value }` or
 * `{ ok: false, error: { kind, message } }`. The preload unwraps it (`unwrap` below) and throws
 * a PaddockError on `ok: false`.
 */
import { z } from 'zod';
import { paddockEventSchema } from './events';
import { acceptedRiskSchema, findingSchema, postureSchema } from './findings';
import {
  fixIdSchema,
  fixPlanSchema,
  fixRunSchema,
  journalEntrySchema,
  manualFixSchema,
  proxyChoiceSchema,
} from './fixes';
import { snapshotSchema } from './snapshot';
import { CHANNELS, ERROR_KINDS } from './channels';

export { CHANNELS, EVENTS_CHANNEL, ERROR_KINDS, PaddockError, unwrap } from './channels';
export type { ApiError, ApiErrorKind, Envelope } from './channels';

// ── requests ────────────────────────────────────────────────────────────────────────────

const RULE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** Instance ids are printable ASCII without spaces (engine/instances.ts). */
const instanceIdSchema = z.string().regex(/^[\x21-\x7e]{1,200}$/);
const emptyRequestSchema = z.object({}).strict();

export const scanRequestSchema = z
  .object({
    /** Also list GPU controllers through systeminformation (slower the first time). */
    gpu: z.boolean().optional(),
    /**
     * Issue 18: read the firewall with admin rights for this scan (sudo -n, else the admin
     * prompt; the privileged side's __firewall-facts, as `paddock scan --elevated` does).
     */
    elevated: z.boolean().optional(),
  })
  .strict();
export const planFixRequestSchema = z
  .object({
    fixId: fixIdSchema,
    instance: instanceIdSchema.nullable(),
    /**
     * share-allowlist: the addresses or prefixes to share with; block-client: the one address
     * to cut off (the recipe validates each, and root re-derives it from its own scan).
     */
    allow: z.array(z.string().max(64)).max(32).optional(),
    /** share-proxy: the proxy, credential, endpoints and TLS (the recipe checks each). */
    proxy: proxyChoiceSchema.optional(),
  })
  .strict();
export const shareOffersRequestSchema = z.object({ instance: instanceIdSchema }).strict();
/** Issue 14: what the scan offers to share with, and the VPN address to listen on, if any. */
export const shareOffersSchema = z.object({
  offers: z.array(z.object({ source: z.string(), why: z.string() })),
  vpn: z.object({ interface: z.string(), address: z.string() }).nullable(),
  /** The proxies installed here, for "password or token in front" (none: say how to install). */
  proxies: z.array(z.enum(['nginx', 'caddy'])).optional(),
});
export type ShareOffers = z.infer<typeof shareOffersSchema>;
/** The renderer approves a plan by its digest: the plan run is the plan previewed, held in the engine. */
export const applyFixRequestSchema = z
  .object({ digest: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict();
export const undoRequestSchema = z
  .object({ runId: z.string().regex(/^[0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}$/) })
  .strict();
export const acceptRiskRequestSchema = z
  .object({
    ruleId: z.string().max(100).regex(RULE_ID),
    instance: instanceIdSchema.nullable(),
    reason: z.string().min(1).max(2000),
    /** YYYY-MM-DD or an ISO time; null: until withdrawn. */
    until: z.string().max(40).nullable(),
  })
  .strict();
export const withdrawRiskRequestSchema = z
  .object({ ruleId: z.string().max(100).regex(RULE_ID), instance: instanceIdSchema.nullable() })
  .strict();

export const preferencesSchema = z.object({
  /** Minutes between full scans while watching (issue 7's default: 10). */
  scanIntervalMinutes: z.number().int().min(1).max(1440),
  /** Notify when exposure appears or a remote client connects. */
  notifications: z.boolean(),
  startAtLogin: z.boolean(),
});
export type Preferences = z.infer<typeof preferencesSchema>;
export const DEFAULT_PREFERENCES: Preferences = {
  scanIntervalMinutes: 10,
  notifications: true,
  startAtLogin: false,
};
export const updateSettingsRequestSchema = preferencesSchema.partial().strict();
/** macOS: the admin copy's state ("status"), or make or remove it through the admin prompt. */
export const adminCopyRequestSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('status') }).strict(),
  /** The digest of the preview shown (adminCopyView's install or remove): only that runs. */
  z
    .object({
      action: z.enum(['install', 'remove']),
      digest: z.string().regex(/^[0-9a-f]{64}$/),
    })
    .strict(),
]);

// ── answers ─────────────────────────────────────────────────────────────────────────────

/** One GPU reading, kept by the engine across scans for the Activity chart. */
export const gpuSampleSchema = z.object({
  at: z.string(),
  /** Mean utilisation over NVIDIA GPUs, 0-100; null when nvidia-smi gave none. */
  utilizationPercent: z.number().nullable(),
  memoryUsedMiB: z.number().nullable(),
  memoryTotalMiB: z.number().nullable(),
});
export type GpuSample = z.infer<typeof gpuSampleSchema>;

/** A scan as the user sees it: the facts, the findings with acceptances, the posture. */
export const scanViewSchema = z.object({
  snapshot: snapshotSchema,
  findings: z.array(findingSchema),
  posture: postureSchema,
  /** The settings file could not be used (accepted risks not applied), and why. */
  settingsProblem: z.string().nullable(),
  /** The most recent GPU readings, oldest first (bounded). */
  gpuHistory: z.array(gpuSampleSchema),
});
export type ScanView = z.infer<typeof scanViewSchema>;

export const fixPreviewSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('plan'),
    plan: fixPlanSchema,
    /** planDigest(plan): what applyFix takes. */
    digest: z.string(),
    /** The same text `paddock fix --dry-run` prints. */
    text: z.string(),
    /** Unified diff per file the plan writes or removes. */
    files: z.array(z.object({ path: z.string(), diff: z.string() })),
    /** Every command, as shown (argv joined with quoting for display only), and its undo. */
    commands: z.array(
      z.object({ shown: z.string(), undo: z.string().nullable(), description: z.string() }),
    ),
  }),
  z.object({ kind: z.literal('manual'), manual: manualFixSchema }),
]);
export type FixPreview = z.infer<typeof fixPreviewSchema>;

/** ok: the run happened (look at run.state: applied, rolled-back, …); not ok: it never started. */
export const fixOutcomeSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    run: fixRunSchema,
    /** share-proxy: the secret generated as it was applied, shown once and kept nowhere. */
    secret: z.string().optional(),
  }),
  z.object({
    ok: z.literal(false),
    cancelled: z.boolean(),
    message: z.string(),
    /** macOS: the admin side could not run from /Applications; the admin copy would let it. */
    adminCopy: z.literal(true).optional(),
  }),
]);
export type FixOutcome = z.infer<typeof fixOutcomeSchema>;

export const historyViewSchema = z.object({
  /** Fix runs, newest first. */
  runs: z.array(fixRunSchema),
  /** Events, newest first (bounded). */
  events: z.array(paddockEventSchema),
  /** Folders or lines that could not be read, in plain words. */
  problems: z.array(z.string()),
});
export type HistoryView = z.infer<typeof historyViewSchema>;

export const appSettingsSchema = z.object({
  preferences: preferencesSchema,
  acceptedRisks: z.array(acceptedRiskSchema),
  settingsPath: z.string(),
  /** The settings file could not be read or is broken: what to do. */
  problem: z.string().nullable(),
});
export type AppSettings = z.infer<typeof appSettingsSchema>;

/**
 * macOS (issue 16, cli/mac-admin-copy.ts): the root-owned copy of the app in /Library/Paddock
 * that its admin side runs from, read from the system on every call.
 */
export const adminCopyStateSchema = z.discriminatedUnion('kind', [
  /** Not a packaged Mac app, or one whose own install root may trust. */
  z.object({ kind: z.literal('not-needed'), why: z.string() }),
  /** Needed, but this build cannot make one (why). */
  z.object({ kind: z.literal('unavailable'), why: z.string() }),
  z.object({ kind: z.literal('absent'), bundle: z.string(), version: z.string() }),
  z.object({
    kind: z.literal('other-version'),
    bundle: z.string(),
    version: z.string(),
    copyVersion: z.string().nullable(),
    /** The copy is a later build than this app: not replaced from here (update the app). */
    copyNewer: z.boolean(),
  }),
  /** There, of this version, but the install check refuses it. */
  z.object({
    kind: z.literal('untrusted'),
    bundle: z.string(),
    version: z.string(),
    why: z.string(),
  }),
  z.object({ kind: z.literal('ready'), bundle: z.string(), version: z.string() }),
]);
export type AdminCopyState = z.infer<typeof adminCopyStateSchema>;
export const adminCopyViewSchema = z.object({
  state: adminCopyStateSchema,
  /**
   * The preview: what macOS's prompt runs as root to make the copy, statement by statement
   * (run as one line, these statements in this order), and the arguments it is given; null
   * where no copy can be made. The same for removing it.
   */
  install: z
    .object({ statements: z.array(z.string()), args: z.array(z.string()), digest: z.string() })
    .nullable(),
  remove: z.object({ statements: z.array(z.string()), digest: z.string() }).nullable(),
  /** What the action asked for did, read back from the system after it. */
  outcome: z.object({ ok: z.boolean(), cancelled: z.boolean(), message: z.string() }).nullable(),
});
export type AdminCopyView = z.infer<typeof adminCopyViewSchema>;

export const VIEW_NAMES = [
  'overview',
  'finding',
  'network',
  'activity',
  'history',
  'settings',
] as const;
export const viewNameSchema = z.enum(VIEW_NAMES);
export type ViewName = z.infer<typeof viewNameSchema>;

/** Pushed from the engine and the shell to the renderer (subscribe). */
export const appEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('scan-started'), at: z.string() }),
  z.object({ type: z.literal('scan-finished'), view: scanViewSchema }),
  z.object({ type: z.literal('scan-failed'), message: z.string() }),
  /** A journal line of the run in progress (only for runs without the admin prompt). */
  z.object({ type: z.literal('fix-progress'), digest: z.string(), entry: journalEntrySchema }),
  /** The admin prompt is up (pkexec's dialog); the run waits for it. */
  z.object({ type: z.literal('admin-prompt'), digest: z.string(), via: z.string() }),
  /** A GPU reading taken between scans while the window is open (the Activity chart). */
  z.object({ type: z.literal('gpu-sample'), sample: gpuSampleSchema }),
  /** Something changed (the monitor) or Paddock did something. */
  z.object({ type: z.literal('event'), event: paddockEventSchema }),
  /** The tray or a notification asks the window to show a view (a finding's id for "finding"). */
  z.object({
    type: z.literal('navigate'),
    view: viewNameSchema,
    findingId: z.string().nullable(),
    /** Open the fix dialog for this fix of the finding. */
    fixId: fixIdSchema.nullable(),
  }),
]);
export type AppEvent = z.infer<typeof appEventSchema>;

export const apiErrorSchema = z.object({ kind: z.enum(ERROR_KINDS), message: z.string() });

// ── the methods ─────────────────────────────────────────────────────────────────────────

export const API = {
  scan: { channel: CHANNELS.scan, request: scanRequestSchema, result: scanViewSchema },
  snapshot: {
    channel: CHANNELS.snapshot,
    request: emptyRequestSchema,
    result: scanViewSchema.nullable(),
  },
  planFix: { channel: CHANNELS.planFix, request: planFixRequestSchema, result: fixPreviewSchema },
  shareOffers: {
    channel: CHANNELS.shareOffers,
    request: shareOffersRequestSchema,
    result: shareOffersSchema,
  },
  applyFix: {
    channel: CHANNELS.applyFix,
    request: applyFixRequestSchema,
    result: fixOutcomeSchema,
  },
  undo: { channel: CHANNELS.undo, request: undoRequestSchema, result: fixOutcomeSchema },
  acceptRisk: {
    channel: CHANNELS.acceptRisk,
    request: acceptRiskRequestSchema,
    result: scanViewSchema,
  },
  withdrawRisk: {
    channel: CHANNELS.withdrawRisk,
    request: withdrawRiskRequestSchema,
    result: scanViewSchema,
  },
  history: { channel: CHANNELS.history, request: emptyRequestSchema, result: historyViewSchema },
  getSettings: {
    channel: CHANNELS.getSettings,
    request: emptyRequestSchema,
    result: appSettingsSchema,
  },
  updateSettings: {
    channel: CHANNELS.updateSettings,
    request: updateSettingsRequestSchema,
    result: appSettingsSchema,
  },
  adminCopy: {
    channel: CHANNELS.adminCopy,
    request: adminCopyRequestSchema,
    result: adminCopyViewSchema,
  },
} as const;
export type ApiMethod = keyof typeof API;
export const API_METHODS = Object.keys(API) as ApiMethod[];
export type ApiRequest<M extends ApiMethod> = z.input<(typeof API)[M]['request']>;
export type ApiResult<M extends ApiMethod> = z.infer<(typeof API)[M]['result']>;

/** What the preload exposes as `window.paddock`, and nothing else. */
export interface PaddockApi {
  scan(request?: ApiRequest<'scan'>): Promise<ScanView>;
  snapshot(): Promise<ScanView | null>;
  planFix(request: ApiRequest<'planFix'>): Promise<FixPreview>;
  shareOffers(request: ApiRequest<'shareOffers'>): Promise<ShareOffers>;
  applyFix(request: ApiRequest<'applyFix'>): Promise<FixOutcome>;
  undo(request: ApiRequest<'undo'>): Promise<FixOutcome>;
  acceptRisk(request: ApiRequest<'acceptRisk'>): Promise<ScanView>;
  withdrawRisk(request: ApiRequest<'withdrawRisk'>): Promise<ScanView>;
  history(): Promise<HistoryView>;
  getSettings(): Promise<AppSettings>;
  updateSettings(request: ApiRequest<'updateSettings'>): Promise<AppSettings>;
  adminCopy(request: ApiRequest<'adminCopy'>): Promise<AdminCopyView>;
  /** Listens to AppEvents; returns the function that stops listening. */
  subscribe(listener: (event: AppEvent) => void): () => void;
}
