/**
 * Who is using Ollama: remote peers connected right now (from the sockets probe), clients
 * seen in Ollama's access log (gin lines), and what the server log says about itself
 * (`server config`, `Listening on`). Types are inferred from the zod schemas.
 */
import { z } from 'zod';
import { addressScopeSchema, socketProcessSchema } from './base';

// ── remote peers (live connections) ──────────────────────────────────────────────────────

export const remotePeerSchema = z.object({
  /** The peer, IPv4-mapped IPv6 shown as plain IPv4. */
  address: z.string(),
  /** null when the text is not an IP address (should not happen with ss output). */
  scope: addressScopeSchema.nullable(),
  /** The peer is one of this machine's own addresses (a local client using a LAN address). */
  isLocalAddress: z.boolean(),
  /** Established connections from this peer to Ollama's listeners. */
  connections: z.number().int(),
  /** The Ollama ports it is connected to. */
  ports: z.array(z.number().int()),
  processes: z.array(socketProcessSchema),
});
export type RemotePeer = z.infer<typeof remotePeerSchema>;

// ── the access log ───────────────────────────────────────────────────────────────────────

export const endpointCountSchema = z.object({ path: z.string(), count: z.number().int() });

export const logClientSchema = z.object({
  /** The client IP gin logged, normalised (IPv4-mapped IPv6 as plain IPv4). */
  client: z.string(),
  scope: addressScopeSchema.nullable(),
  /**
   * Always true: gin takes the client IP from X-Forwarded-For / X-Real-IP sent by anyone,
   * so any caller can put any address here.
   */
  forgeable: z.literal(true),
  requests: z.number().int(),
  /** Requests answered with 4xx or 5xx. */
  failed: z.number().int(),
  /** Paths (query strings dropped) and how often; the most frequent first, bounded. */
  endpoints: z.array(endpointCountSchema),
  /** ISO times; null when no line carried a readable time. */
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  /** Sum of gin's latency column, in milliseconds. */
  totalLatencyMs: z.number(),
});
export type LogClient = z.infer<typeof logClientSchema>;

export const accessLogReportSchema = z.object({
  source: z.object({ kind: z.enum(['journald', 'file']), ref: z.string() }),
  lines: z.number().int(),
  /** Gin access lines read. */
  requests: z.number().int(),
  /** Lines that start like a gin line but could not be read; skipped. */
  invalidLines: z.number().int(),
  /** Everything else (server log lines, journald notes); skipped. */
  otherLines: z.number().int(),
  clients: z.array(logClientSchema),
  /** More clients than kept; the rest are counted here. */
  clientsDropped: z.number().int(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  /** The read was cut at a size cap (older lines lost). */
  truncated: z.boolean(),
});
export type AccessLogReport = z.infer<typeof accessLogReportSchema>;

// ── the server log ───────────────────────────────────────────────────────────────────────

export const serverLogFactsSchema = z.object({
  /** OLLAMA_* (and proxy, GPU) values from the last `server config` line: a second source for settings. */
  config: z.array(z.object({ name: z.string(), value: z.string() })).nullable(),
  configAt: z.string().nullable(),
  /** From the last `Listening on <addr> (version X)` line. */
  listening: z.object({ address: z.string(), port: z.number().int(), raw: z.string() }).nullable(),
  version: z.string().nullable(),
  listeningAt: z.string().nullable(),
});
export type ServerLogFacts = z.infer<typeof serverLogFactsSchema>;

/** What the access-log probe returns (probes/traffic.ts probeAccessLog). */
export const accessLogDataSchema = z.object({
  accessLog: accessLogReportSchema,
  serverLog: serverLogFactsSchema,
});
export type AccessLogData = z.infer<typeof accessLogDataSchema>;

/** Everything about traffic, for one snapshot field if the lead wants one. */
export const trafficReportSchema = z.object({
  peers: z.array(remotePeerSchema),
  accessLog: accessLogReportSchema.nullable(),
  serverLog: serverLogFactsSchema.nullable(),
});
export type TrafficReport = z.infer<typeof trafficReportSchema>;
