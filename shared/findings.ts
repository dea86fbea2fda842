/**
 * Findings: what is wrong, in plain words, with what an attacker could do about it right now
 * on this machine, how we know, and which fix resolves it. Produced by pure rules from a
 * Snapshot (electron/engine/rules/). Types are inferred from the zod schemas.
 */
import { z } from 'zod';
import { SEVERITIES } from './severity';
import { exposureSchema } from './snapshot';

export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;
/** Most severe first (a zod-free constant, in shared/severity.ts). */
export { SEVERITIES };

export const categorySchema = z.enum([
  'exposure',
  'firewall',
  'proxy',
  'docker',
  'configuration',
  'cors',
  'vulnerability',
  'logging',
  'cloud',
  'activity',
]);
export type Category = z.infer<typeof categorySchema>;

/** A rule's metadata, written beside its logic (one file per rule). */
export const ruleMetaSchema = z.object({
  /** Stable, kebab-case, equal to the rule's file name; never reused for another meaning. */
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  title: z.string().min(1),
  severity: severitySchema,
  category: categorySchema,
  /** Why it matters: the concrete abuse (listing models, prompts on the GPU, …). */
  why: z.string().min(1),
  references: z.array(z.string()),
  /** Ids of the fixes that resolve it (the fix issue implements them). */
  fixes: z.array(z.string()),
});
export type RuleMeta = z.infer<typeof ruleMetaSchema>;

export const acceptanceSchema = z.object({
  reason: z.string().min(1),
  acceptedAt: z.string(),
  /** ISO time after which the acceptance lapses; null: until withdrawn. */
  expiresAt: z.string().nullable(),
});
export type Acceptance = z.infer<typeof acceptanceSchema>;

export const findingSchema = z.object({
  /** `${ruleId}@${instance ?? 'host'}`: stable across scans while the cause stays. */
  id: z.string(),
  ruleId: z.string(),
  /** The instance it concerns (Instance.id); null for a host-wide finding. */
  instance: z.string().nullable(),
  severity: severitySchema,
  category: categorySchema,
  title: z.string(),
  /** What is wrong here, in one or two plain sentences naming this machine's facts. */
  summary: z.string(),
  /** What an attacker who can reach it could do right now (names models, endpoints). */
  attackerCan: z.array(z.string()),
  /** How we know: the facts from the snapshot, in order. */
  evidence: z.array(z.string()),
  fixes: z.array(z.string()),
  references: z.array(z.string()),
  /** Set when the user accepted this risk (and it has not lapsed): shown, not counted. */
  accepted: acceptanceSchema.nullable(),
});
export type Finding = z.infer<typeof findingSchema>;

/** The score in one word (docs/score.md, "Label"); never milder than the verdict. */
export const SCORE_LABELS = ['Exposed', 'Shared', 'At risk', 'Fair', 'Good'] as const;
export const scoreLabelSchema = z.enum(SCORE_LABELS);
export type ScoreLabel = z.infer<typeof scoreLabelSchema>;

/**
 * How the score comes about (docs/score.md, "Breakdown"), computed by the engine
 * (electron/engine/posture.ts, scoreBreakdown): what each unaccepted finding takes off, the verdict's
 * cap, and the score each plannable fix would leave at best.
 */
export const scoreBreakdownSchema = z.object({
  /** Σ of `findings[].cost`: what the findings take off 100, before rounding down. */
  penalty: z.number().min(0),
  /** floor(100 − penalty): the score before the verdict's cap (may be below 0). */
  raw: z.number().int(),
  /** The best score the verdict allows. */
  cap: z.number().int().min(0).max(100),
  /** Unaccepted findings, in the formula's order (most severe first, then by id). */
  findings: z.array(
    z.object({
      findingId: z.string(),
      severity: severitySchema,
      /** The k-th of its severity takes off f + (w − f)·½^k. */
      cost: z.number().min(0),
    }),
  ),
  /** Each plannable fix named by an unaccepted finding, best result first. */
  fixes: z.array(
    z.object({
      fixId: z.string(),
      /** The server it is planned for (Instance.id), null for a host-wide finding. */
      instance: z.string().nullable(),
      /** The unaccepted findings that name this fix for this server. */
      resolves: z.array(z.string()),
      /** It stops other machines reaching the server (the verdict is recomputed without it). */
      closesExposure: z.boolean(),
      /** The verdict if the fix worked as planned. */
      verdictAfter: exposureSchema,
      /** The score at best, with its findings gone (and, if it closes exposure, the server private). */
      scoreAfter: z.number().int().min(0).max(100),
      /** scoreAfter − score (0 or more). */
      gain: z.number().int().min(0),
    }),
  ),
});
export type ScoreBreakdown = z.infer<typeof scoreBreakdownSchema>;

export const postureSchema = z.object({
  /** The overall verdict: the worst exposure (same as Snapshot.verdict). */
  verdict: exposureSchema,
  /**
   * 0-100, higher is better; formula in docs/score.md. Accepted findings do not count. Null
   * when the scan found no server: there is nothing to score (never a "100" for nothing).
   */
  score: z.number().int().min(0).max(100).nullable(),
  counts: z.record(severitySchema, z.number().int()),
  accepted: z.number().int(),
  /** The score in one word; null with a null score. Optional: added by issue 18. */
  label: scoreLabelSchema.nullable().optional(),
  /** How the score comes about; null with a null score. Optional: added by issue 18. */
  breakdown: scoreBreakdownSchema.nullable().optional(),
});
export type Posture = z.infer<typeof postureSchema>;

/** Stored in Paddock's settings file, one per accepted finding. */
export const acceptedRiskSchema = z.object({
  ruleId: z.string(),
  /** Instance.id, or null for a host-wide finding. */
  instance: z.string().nullable(),
  reason: z.string().min(1).max(2000),
  acceptedAt: z.string(),
  expiresAt: z.string().nullable(),
});
export type AcceptedRisk = z.infer<typeof acceptedRiskSchema>;
