/**
 * The schemas every other contract builds on: a probe's status and evidence, the probe result
 * envelope, a socket's owning process, an address's scope. In a file of their own so that the
 * other contracts (firewall, proxy, docker, traffic, …) and snapshot.ts can all import them
 * without a cycle.
 */
import { z } from 'zod';

export const probeStatusSchema = z.enum(['ok', 'unavailable', 'denied', 'error']);
export type ProbeStatus = z.infer<typeof probeStatusSchema>;

/** How we know: the file read, the argv run, the URL fetched. Shown to the user as is. */
export const evidenceSchema = z.object({
  kind: z.enum(['file', 'exec', 'http', 'os']),
  /** File path, URL, or a human rendering of the argv (for display only: never executed). */
  ref: z.string(),
  argv: z.array(z.string()).optional(),
  /** What came of it: "exit 0", "ENOENT", "EACCES", "HTTP 200", "timed out after 3000 ms". */
  outcome: z.string().optional(),
});
export type Evidence = z.infer<typeof evidenceSchema>;

export const probeResultSchema = <T extends z.ZodType>(data: T) =>
  z.object({
    status: probeStatusSchema,
    data,
    evidence: z.array(evidenceSchema),
    /** Plain-language reason for any status other than ok, and notes worth showing with ok. */
    message: z.string().optional(),
    durationMs: z.number(),
  });
export interface ProbeResult<T> {
  status: ProbeStatus;
  data: T;
  evidence: Evidence[];
  message?: string;
  durationMs: number;
}

export const socketProcessSchema = z.object({ pid: z.number().int(), name: z.string() });

export const addressScopeSchema = z.enum([
  'loopback',
  'link-local',
  'private',
  'cgnat',
  'public',
  'unspecified',
  'multicast',
  'reserved',
]);
export type AddressScope = z.infer<typeof addressScopeSchema>;
