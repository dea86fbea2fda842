/**
 * The JSON report, `paddock-report/1`, and the report document every other format renders.
 *
 * Stability: keys always appear in the order below; findings are ordered worst first
 * (unaccepted before accepted, then severity critical → info, then instance, then id);
 * instances worst exposure first, then by id. The same input gives the same bytes. A field is
 * never removed or given another meaning under `paddock-report/1`; fields may be added.
 *
 * ```
 * {
 *   "schema": "paddock-report/1",
 *   "generatedAt": string,         // the scan's time (snapshot.takenAt, ISO 8601), not "now"
 *   "host": { hostname, platform, release, uid, user },      // as in the snapshot
 *   "verdict": "private" | "lan" | "internet" | "unknown",   // posture.verdict
 *   "score": number | null,         // 0-100, higher is better; accepted findings do not count;
 *                                   // null when the scan found no server (nothing to score)
 *   "scoreLabel": "Exposed" | "Shared" | "At risk" | "Fair" | "Good" | null,  // added in issue 18
 *   "scoreBreakdown": {             // added in issue 18; null with a null score (docs/score.md)
 *     penalty, raw, cap,
 *     findings: [{ findingId, severity, cost }],     // the formula's order
 *     fixes: [{ fixId, instance, resolves: string[], closesExposure, verdictAfter, scoreAfter, gain }]
 *   } | null,
 *   "counts": { critical, high, medium, low, info, accepted },  // unaccepted per severity
 *   "findings": [{
 *     id, ruleId, severity, title,
 *     instance: string | null,      // Instance id, null for a host-wide finding
 *     accepted: { reason, acceptedAt, expiresAt } | null,
 *     summary, attackerCan: string[], evidence: string[], fixes: string[], references: string[]
 *   }],
 *   "instances": [{
 *     id, pid: number | null, version: string | null, exposure,
 *     listeners: [{
 *       path: "direct" | "proxy" | "docker", address, port, family: 4 | 6, dualStack, exposure,
 *       owner: { pid, name } | null,
 *       reachableVia: [{ interface, address, scope, open,
 *                        firewall: "allowed" | "blocked" | "unknown" | null }]
 *     }]
 *   }],
 *   "snapshot": Snapshot            // the whole scan (shared/snapshot.ts, schemaVersion 1)
 * }
 * ```
 *
 * Values read from the system are kept exactly as read (JSON.stringify escapes them); the
 * Markdown and HTML renderers escape them for their own syntax.
 */
import type {
  Acceptance,
  Finding,
  ScoreBreakdown,
  ScoreLabel,
  Severity,
} from '../../../shared/findings';
import type {
  AddressScope,
  Exposure,
  Instance,
  Listener,
  Snapshot,
} from '../../../shared/snapshot';
import { cleanText } from '../text/untrusted';
import type { ReportInput } from './index';

export const REPORT_SCHEMA = 'paddock-report/1';

/** Most severe first (the same order as shared/findings SEVERITIES, without importing zod). */
export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
/** Worst first. */
export const EXPOSURE_ORDER: readonly Exposure[] = ['internet', 'lan', 'unknown', 'private'];

export interface ReportFinding {
  id: string;
  ruleId: string;
  severity: Severity;
  title: string;
  instance: string | null;
  accepted: Acceptance | null;
  summary: string;
  attackerCan: string[];
  evidence: string[];
  fixes: string[];
  references: string[];
}

export interface ReportListener {
  path: Listener['path'];
  address: string;
  port: number;
  family: 4 | 6;
  dualStack: boolean;
  exposure: Exposure;
  owner: { pid: number; name: string } | null;
  reachableVia: {
    interface: string;
    address: string;
    scope: AddressScope;
    open: boolean;
    firewall: 'allowed' | 'blocked' | 'unknown' | null;
  }[];
}

export interface ReportInstance {
  id: string;
  /** Which server (shared/servers.ts): "ollama", "llamacpp", "vllm"… */
  kind: Instance['kind'];
  pid: number | null;
  version: string | null;
  exposure: Exposure;
  listeners: ReportListener[];
}

export type ReportCounts = Record<Severity, number> & { accepted: number };

export interface ReportDocument {
  schema: typeof REPORT_SCHEMA;
  generatedAt: string;
  host: Snapshot['host'];
  verdict: Exposure;
  /** Null when the scan found no server. */
  score: number | null;
  scoreLabel: ScoreLabel | null;
  scoreBreakdown: ScoreBreakdown | null;
  counts: ReportCounts;
  findings: ReportFinding[];
  instances: ReportInstance[];
  snapshot: Snapshot;
}

// ── ordering ───────────────────────────────────────────────────────────────────────────────

const rank = <T>(order: readonly T[], value: T): number => {
  const i = order.indexOf(value);
  return i < 0 ? order.length : i;
};

/** Plain code-unit comparison: the same order on every machine, whatever its locale. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Worst first: unaccepted before accepted, then severity, then instance (host first), then id. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    Number(a.accepted !== null) - Number(b.accepted !== null) ||
    rank(SEVERITY_ORDER, a.severity) - rank(SEVERITY_ORDER, b.severity) ||
    compareText(a.instance ?? '', b.instance ?? '') ||
    compareText(a.id, b.id)
  );
}

/** Worst exposure first, then by id. */
export function compareInstances(a: Instance, b: Instance): number {
  return (
    rank(EXPOSURE_ORDER, a.exposure) - rank(EXPOSURE_ORDER, b.exposure) || compareText(a.id, b.id)
  );
}

export const sortedFindings = (findings: readonly Finding[]): Finding[] =>
  [...findings].sort(compareFindings);
export const sortedInstances = (instances: readonly Instance[]): Instance[] =>
  [...instances].sort(compareInstances);

// ── the document ───────────────────────────────────────────────────────────────────────────

function reportListener(listener: Listener): ReportListener {
  return {
    path: listener.path,
    address: listener.address,
    port: listener.port,
    family: listener.family,
    dualStack: listener.dualStack,
    exposure: listener.exposure,
    owner: listener.owner ? { pid: listener.owner.pid, name: listener.owner.name } : null,
    reachableVia: listener.reachableVia.map((via) => ({
      interface: via.interface,
      address: via.address,
      scope: via.scope,
      open: via.open,
      firewall: via.firewall ? via.firewall.decision : null,
    })),
  };
}

export function buildReport(input: ReportInput): ReportDocument {
  const { snapshot, findings, posture } = input;
  const counts = {} as ReportCounts;
  for (const severity of SEVERITY_ORDER) counts[severity] = posture.counts[severity] ?? 0;
  counts.accepted = posture.accepted;
  return {
    schema: REPORT_SCHEMA,
    generatedAt: snapshot.takenAt,
    host: {
      hostname: snapshot.host.hostname,
      platform: snapshot.host.platform,
      release: snapshot.host.release,
      uid: snapshot.host.uid,
      user: snapshot.host.user,
    },
    verdict: posture.verdict,
    score: posture.score,
    scoreLabel: posture.label ?? null,
    scoreBreakdown: posture.breakdown ?? null,
    counts,
    findings: sortedFindings(findings).map((f) => ({
      id: f.id,
      ruleId: f.ruleId,
      severity: f.severity,
      title: f.title,
      instance: f.instance,
      accepted: f.accepted
        ? {
            reason: f.accepted.reason,
            acceptedAt: f.accepted.acceptedAt,
            expiresAt: f.accepted.expiresAt,
          }
        : null,
      summary: f.summary,
      attackerCan: [...f.attackerCan],
      evidence: [...f.evidence],
      fixes: [...f.fixes],
      references: [...f.references],
    })),
    instances: sortedInstances(snapshot.instances).map((instance) => ({
      id: instance.id,
      kind: instance.kind,
      pid: instance.pid,
      version: instance.version,
      exposure: instance.exposure,
      listeners: instance.listeners.map(reportListener),
    })),
    snapshot,
  };
}

/** The JSON report: two-space indented, ending with a newline. */
export function reportJson(input: ReportInput): string {
  return `${JSON.stringify(buildReport(input), null, 2)}\n`;
}

// ── words and figures shared by the human-readable formats ───────────────────────────────────

/**
 * Untrusted text made printable: no control characters or bidi overrides (they become U+FFFD),
 * no length cap (a report shows everything). Each format escapes the result for its syntax.
 */
export const plain = (value: unknown): string => cleanText(value, Number.MAX_SAFE_INTEGER);

export const VERDICT_HEADLINE: Record<Exposure, string> = {
  private: 'Private to this computer',
  lan: 'Exposed to the local network',
  internet: 'Exposed to the internet',
  unknown: 'Exposure unknown',
};

/** One sentence saying who can reach Ollama (raw text: escape it for the format). */
export function verdictSentence(doc: ReportDocument): string {
  const host = doc.host.hostname || 'this computer';
  const servers = doc.snapshot.instances.length;
  switch (doc.verdict) {
    case 'private':
      return servers === 0
        ? `No Ollama server was found running on ${host}.`
        : `Ollama on ${host} accepts connections from this computer only.`;
    case 'lan':
      return `Other machines on the local network can reach the Ollama server on ${host}.`;
    case 'internet':
      return `Anyone on the internet who can route to ${host} can reach its Ollama server.`;
    default:
      return `Paddock could not tell who can reach Ollama on ${host}: treat it as exposed until a scan says otherwise.`;
  }
}

export const EXPOSURE_WORDS: Record<Exposure, string> = {
  private: 'private',
  lan: 'local network',
  internet: 'internet',
  unknown: 'unknown',
};

export const SEVERITY_WORDS: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Info',
};

/** `[::]:11434` for IPv6, `0.0.0.0:11434` for IPv4. */
export function formatEndpoint(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

export function familyWords(listener: { family: 4 | 6; dualStack: boolean }): string {
  return listener.family === 6 ? (listener.dualStack ? 'IPv4 and IPv6' : 'IPv6') : 'IPv4';
}

/** `2026-11-28 21:59:28 UTC`; the text as given when it is not a time. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return 'unknown';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Decimal units, like the CLI: `2.0 GB`. */
export function formatBytes(size: number | null | undefined): string {
  if (size === null || size === undefined || !Number.isFinite(size)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value >= 10 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** The models an instance's listeners list (`/api/tags`), each once, in the order seen. */
export function instanceModels(instance: Instance): { name: string; size: number | null }[] {
  const seen = new Set<string>();
  const models: { name: string; size: number | null }[] = [];
  for (const fingerprint of instance.fingerprints) {
    for (const model of fingerprint.models ?? []) {
      if (seen.has(model.name)) continue;
      seen.add(model.name);
      models.push({ name: model.name, size: model.size });
    }
  }
  return models;
}

/** `file:line`, or the path alone (`pid 1234` for a process environment). */
export function settingSource(source: { path: string; line: number | null }): string {
  return source.line === null ? source.path : `${source.path}:${source.line}`;
}

export const PROBE_WORDS: Record<keyof Snapshot['probes'], string> = {
  processes: 'Processes',
  sockets: 'Sockets',
  interfaces: 'Interfaces',
  settings: 'Settings',
  fingerprints: 'HTTP fingerprint',
  versions: 'Versions',
  firewall: 'Firewall',
  proxies: 'Reverse proxies',
  docker: 'Docker',
  gpu: 'GPU',
  accessLog: 'Access log',
  tunnels: 'Tunnels',
  namespaces: 'Network namespaces',
  kinds: 'Other LLM servers',
};

/** The probes in a fixed order (the snapshot's own), whatever order the object has. */
export const PROBE_ORDER = Object.keys(PROBE_WORDS) as (keyof Snapshot['probes'])[];

/** The probes this snapshot has, in PROBE_ORDER (older snapshots lack the newer probes). */
export function probesOf(snapshot: Snapshot): Array<keyof Snapshot['probes']> {
  return PROBE_ORDER.filter((name) => snapshot.probes[name] !== undefined);
}
