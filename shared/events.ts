/**
 * Events: what changed between two snapshots (the monitor), and what Paddock did (fix runs).
 * One flat shape for every kind, so the history file, `paddock watch --json`, the tray and
 * the renderer all read the same thing. `data` holds the kind's few facts (addresses, ports,
 * model names, run ids) as plain values; `message` is the sentence shown to the user.
 */
import { z } from 'zod';

export const EVENT_KINDS = [
  'exposure-started',
  'exposure-ended',
  'remote-client',
  'new-instance',
  'instance-gone',
  'finding-new',
  'finding-resolved',
  'fix-applied',
  'fix-failed',
  'fix-undone',
  'gpu-busy-remote',
  'vulnerable-version',
  /** macOS: Paddock's admin copy was made or removed (cli/mac-admin-copy.ts). */
  'admin-copy',
] as const;
export const eventKindSchema = z.enum(EVENT_KINDS);
export type EventKind = z.infer<typeof eventKindSchema>;

export const paddockEventSchema = z.object({
  /** Unique and sortable: `${at}-${random}`. */
  id: z.string().min(1).max(100),
  kind: eventKindSchema,
  /** ISO time the change was seen. */
  at: z.string(),
  /** Instance.id it concerns; null for a host-wide event. */
  instance: z.string().max(200).nullable(),
  /** private | lan | internet | unknown after the change, when the event is about exposure. */
  verdict: z.enum(['private', 'lan', 'internet', 'unknown']).nullable(),
  severity: z.enum(['critical', 'high', 'medium', 'low', 'info']),
  /** One plain sentence naming this machine's facts. */
  message: z.string().max(2000),
  data: z.record(
    z.string().max(100),
    z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]),
  ),
});
export type PaddockEvent = z.infer<typeof paddockEventSchema>;
