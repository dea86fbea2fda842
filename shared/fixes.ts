/**
 * Fixes: what Paddock changes on the system to resolve a finding, as data. A fix recipe
 * (`plan(snapshot, finding)`, pure) returns a FixPlan; the preview the user approves is that
 * plan, and the executor runs exactly it, byte for byte. Every step carries its undo.
 */
import { z } from 'zod';
import { ALL_FIX_IDS } from './fix-ids';

export const fixIdSchema = z.enum(ALL_FIX_IDS);
export type FixId = z.infer<typeof fixIdSchema>;

/** share-proxy (issue 14): the choices a user makes; everything else comes from the scan. */
export const proxyChoiceSchema = z
  .object({
    software: z.enum(['nginx', 'caddy']),
    auth: z.enum(['bearer', 'basic']),
    endpoints: z.enum(['inference', 'all']),
    tls: z.enum(['certificate', 'internal', 'vpn-plain']),
    cert: z.string().max(1024).nullable(),
    key: z.string().max(1024).nullable(),
  })
  .strict();
export type ProxyChoice = z.infer<typeof proxyChoiceSchema>;

/** Files: the exact content expected before (null: the file must not exist) and after. */
export const writeFileStepSchema = z.object({
  kind: z.literal('write-file'),
  path: z.string(),
  /** Exact bytes (UTF-8) the file must hold before the step; null: it must not exist. */
  before: z.string().nullable(),
  content: z.string(),
  mode: z.number().int(),
  /**
   * Runs recorded between R1 and `keptWhile` only: left as written, always, when the run is
   * undone or rolled back. Recipes no longer write it; fixes/allowlist.ts accepts it only when
   * re-checking such a recorded run, which then undoes exactly as it was recorded. Part of the
   * plan's digest, like every field but the words.
   */
  kept: z.literal(true).optional(),
  /**
   * R1, shared plumbing: undo and rollback leave the file as written while the folder named here
   * (read by the executor when this step's turn comes, after the run's later steps were
   * reverted) still holds a `*.nft` file, or cannot be read; otherwise the step is reverted,
   * and a file the step found already as it writes it (shared with an earlier fix) is removed.
   * Only Paddock's nftables include file and unit, with `/etc/paddock/nftables.d`
   * (fixes/allowlist.ts accepts it nowhere else). Part of the digest.
   */
  keptWhile: z.string().optional(),
  /** Why this step, in plain words, for the preview. */
  description: z.string(),
});

export const removeFileStepSchema = z.object({
  kind: z.literal('remove-file'),
  path: z.string(),
  /** Exact bytes the file must hold before removal (restored by undo). */
  before: z.string(),
  description: z.string(),
});

/** A program by argv (never a shell string), with the argv that undoes it, if any. */
export const runStepSchema = z.object({
  kind: z.literal('run'),
  argv: z.array(z.string()).min(1),
  /** The argv that reverses it; null when running it again is harmless (daemon-reload). */
  undo: z.array(z.string()).min(1).nullable(),
  /**
   * R1, shared plumbing: `undo` runs only when the folder named here, read when this step's turn
   * comes, holds no `*.nft` file (and could be read); otherwise undo leaves what the command did.
   * Only the enable of Paddock's nftables unit (fixes/allowlist.ts). Part of the digest.
   */
  keptWhile: z.string().optional(),
  description: z.string(),
});

/**
 * A secret the privileged side generates while it applies the plan (issue 14, share-proxy): 256
 * random bits, written in `format` for the proxy that reads it, mode 0600, owned by the user
 * that runs the executor (root). The plan, its preview and the journal name the file and the
 * format, never the secret; the caller is shown it once, and undo removes the file.
 */
export const secretFormatSchema = z.enum([
  'nginx-bearer',
  'htpasswd-bcrypt',
  'caddy-bearer',
  'caddy-basic',
]);
export const writeSecretStepSchema = z.object({
  kind: z.literal('write-secret'),
  path: z.string(),
  format: secretFormatSchema,
  /** false: the file must not exist yet (a new share); true: it must exist (rotation). */
  replace: z.boolean(),
  description: z.string(),
});

export const fixStepSchema = z.discriminatedUnion('kind', [
  writeFileStepSchema,
  removeFileStepSchema,
  runStepSchema,
  writeSecretStepSchema,
]);
export type FixStep = z.infer<typeof fixStepSchema>;

/** What the rescan after the steps must show, or the run is rolled back. */
export const verificationSchema = z.object({
  kind: z.enum([
    'instance-loopback-only',
    'port-closed-beyond-loopback',
    'setting-absent',
    'setting-without-wildcard',
    'tunnel-stopped',
    /** Issue 14: the port is open only to the chosen sources (`setting`: them, comma-joined). */
    'shared-only-with',
    /** Issue 14: every socket of the server listens on `setting` (a VPN address) only. */
    'instance-bound-to',
    /**
     * Issue 14: the server listens on loopback only and a proxy on `port` demands credentials
     * before anything reaches it (`setting`: the proxy's software).
     */
    'shared-behind-proxy',
    /** Issue 15: systemd says the unit `setting` is active and enabled. */
    'service-active',
    /** Issue 15: the unit `setting` is neither active nor enabled, and its file is gone. */
    'service-removed',
    /** Issue 18: the firewall refuses the address `setting` on `port`, on every interface. */
    'client-blocked',
  ]),
  instance: z.string().nullable(),
  port: z.number().int().nullable(),
  setting: z.string().nullable(),
  description: z.string(),
});
export type Verification = z.infer<typeof verificationSchema>;

export const fixPlanSchema = z.object({
  fixId: fixIdSchema,
  /** The finding this resolves (Finding.id), and its instance. */
  findingId: z.string().nullable(),
  instance: z.string().nullable(),
  title: z.string(),
  /** What will change and what it will block or allow, in plain words (the preview's lead). */
  summary: z.string(),
  /** Things the user must know first (e.g. what else enabling a firewall would block). */
  warnings: z.array(z.string()),
  requiresAdmin: z.boolean(),
  steps: z.array(fixStepSchema),
  verification: verificationSchema,
  /** The snapshot the plan was made from (its takenAt). */
  basedOn: z.string(),
});
export type FixPlan = z.infer<typeof fixPlanSchema>;

/** A plan that cannot be applied safely: the commands a person could run, with why not. */
export const manualFixSchema = z.object({
  fixId: fixIdSchema,
  instance: z.string().nullable(),
  reason: z.string(),
  commands: z.array(z.array(z.string())),
});
export type ManualFix = z.infer<typeof manualFixSchema>;

// ── runs and their journal ─────────────────────────────────────────────────────────────

export const runStateSchema = z.enum([
  'applying',
  'verifying',
  'applied',
  'rolling-back',
  'rolled-back',
  'rollback-failed',
  'undoing',
  'undone',
  'undo-failed',
]);
export type RunState = z.infer<typeof runStateSchema>;

/** One line of a run's journal, written (and fsynced) BEFORE the action it announces. */
export const journalEntrySchema = z.object({
  at: z.string(),
  /** Step index, or null for run-level events. */
  step: z.number().int().nullable(),
  event: z.enum([
    'run-started',
    'backup-saved',
    'step-starting',
    'step-done',
    'step-failed',
    'verify-starting',
    'verify-ok',
    'verify-failed',
    'rollback-starting',
    'step-undone',
    'rollback-done',
    'rollback-failed',
    'undo-starting',
    'undo-done',
    'undo-refused',
    'undo-failed',
    'recovered',
  ]),
  detail: z.string(),
});
export type JournalEntry = z.infer<typeof journalEntrySchema>;

export const fixRunSchema = z.object({
  id: z.string(),
  plan: fixPlanSchema,
  state: runStateSchema,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  /** Plain words: what happened, including why it rolled back. */
  outcome: z.string(),
  journal: z.array(journalEntrySchema),
});
export type FixRun = z.infer<typeof fixRunSchema>;
