/**
 * Ollama's logs, read as data (ollama-facts.md, "Logs"):
 *
 *   - gin access lines (stdout), one per request:
 *     `[GIN] 2026/08/21 - 18:48:22 | 200 |    1.234567ms |    192.168.1.23 | POST     "/api/generate"`
 *     (gin's defaultLogFormatter: `[GIN] %v |%s %3d %s| %13v | %15s |%s %-7s %s %#v`; the
 *     colour codes are empty when the output is not a terminal, and stripped when present);
 *   - the server's slog lines (stderr): `msg="server config" env="map[…]"` and
 *     `msg="Listening on [::]:11434 (version 0.12.10)"`.
 *
 * Lines may carry journald's `-o short-iso` prefix (`2026-08-21T18:48:22+0000 host ollama[123]: `).
 * The client IP gin logs honours X-Forwarded-For and X-Real-IP from anyone (gin trusts every
 * proxy by default), so it is what the caller claims, not who connected: every client carries
 * that warning. Pure functions; bounded memory whatever the input size.
 */
import type { AccessLogReport, LogClient, ServerLogFacts } from '../../../shared/traffic';
import type { AddressScope } from '../../../shared/snapshot';
import { classifyAddress, normalizeAddress } from '../net/address';
import { cleanText } from '../text/untrusted';

/** Shown with every client IP taken from the access log. */
export const FORGEABLE_CLIENT_SENTENCE =
  "Client addresses in Ollama's access log can be forged: Ollama takes them from the X-Forwarded-For or X-Real-IP header when a caller sends one, so any caller can appear as any address.";

const MAX_CLIENTS = 1000;
const MAX_DROPPED_TRACKED = 100_000;
const MAX_PATHS_PER_CLIENT = 100;
const MAX_ENDPOINTS_SHOWN = 20;
const OTHER_PATHS = '(other paths)';

// ── journald prefix and timestamps ───────────────────────────────────────────────────────

const JOURNAL_PREFIX =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)) \S+ [^\s:[]+(?:\[\d+\])?: /;

/** Milliseconds since the epoch of an ISO time with a zone written "+0000" or "+00:00". */
function zonedTime(text: string): number | null {
  const fixed = text.replace(',', '.').replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
  const ms = Date.parse(fixed);
  return Number.isFinite(ms) ? ms : null;
}

export interface LogLine {
  /** The message without the journald prefix. */
  message: string;
  /** The journald time, when the line had the prefix. */
  journalMs: number | null;
}

export function splitJournalPrefix(line: string): LogLine {
  if (line.length < 20 || line.charCodeAt(4) !== 45 /* - */)
    return { message: line, journalMs: null };
  const m = JOURNAL_PREFIX.exec(line);
  if (!m) return { message: line, journalMs: null };
  return { message: line.slice(m[0].length), journalMs: zonedTime(m[1]!) };
}

// ── Go values ────────────────────────────────────────────────────────────────────────────

const UNIT_NS: Record<string, number> = {
  h: 3.6e12,
  m: 6e10,
  s: 1e9,
  ms: 1e6,
  µs: 1e3, // U+00B5, what Go prints
  μs: 1e3, // U+03BC, also accepted by time.ParseDuration
  us: 1e3,
  ns: 1,
};
const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)/y;

/** Go's time.Duration.String() ("1.234567ms", "12.5µs", "1m2.5s", "0s") in milliseconds; null if not one. */
export function parseGoDuration(text: string): number | null {
  if (text === '0' || text === '0s') return 0;
  DURATION_PART.lastIndex = 0;
  let ns = 0;
  let matched = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const m = DURATION_PART.exec(text);
    if (!m) return null;
    ns += Number(m[1]) * UNIT_NS[m[2]!]!;
    matched += 1;
  }
  return matched > 0 ? ns / 1e6 : null;
}

/** strconv.Unquote for a Go double-quoted string (as `%#v` of a string prints it); null if malformed. */
export function goUnquote(quoted: string): string | null {
  if (quoted.length < 2 || quoted[0] !== '"' || quoted[quoted.length - 1] !== '"') return null;
  const body = quoted.slice(1, -1);
  if (!body.includes('\\')) return body.includes('"') ? null : body;
  let out = '';
  for (let i = 0; i < body.length; i += 1) {
    const ch = body[i]!;
    if (ch === '"') return null;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[i + 1];
    i += 1;
    switch (next) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case "'":
        out += "'";
        break;
      case 'x':
      case 'u':
      case 'U': {
        const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + width);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) return null;
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) return null;
        out += next === 'x' ? String.fromCharCode(code) : String.fromCodePoint(code);
        i += width;
        break;
      }
      default:
        if (next !== undefined && /[0-7]/.test(next)) {
          const oct = body.slice(i, i + 3);
          if (!/^[0-7]{3}$/.test(oct)) return null;
          out += String.fromCharCode(parseInt(oct, 8));
          i += 2;
          break;
        }
        return null;
    }
  }
  return out;
}

// ── gin access lines ─────────────────────────────────────────────────────────────────────

export interface GinEntry {
  /** Milliseconds since the epoch: journald's time when present, else gin's in `timeZone`. */
  timeMs: number | null;
  status: number;
  latencyMs: number;
  /** The client IP exactly as gin logged it ("" when gin had none). */
  clientRaw: string;
  method: string;
  /** The request path with its query string, unquoted; untrusted text. */
  path: string;
}

// eslint-disable-next-line no-control-regex -- colour codes are what this removes
const ANSI = /\u001b\[[0-9;]*m/g;
/**
 * The fields before the path, up to its opening quote. The latency and client fields never
 * contain `|`: with `\S` there, a line of `|` made the regex try O(n²) ways to split it
 * (fuzz-findings.md F1). The path, the only long part gin writes, is read by goUnquote.
 */
const GIN_HEAD =
  /^\[GIN\] (\d{4})\/(\d\d)\/(\d\d) - (\d\d):(\d\d):(\d\d) \|\s*(\d{3})\s*\|\s*([^\s|]+)\s*\|\s*([^\s|]*)\s*\|\s*([A-Za-z]+)\s+"/;
/**
 * The most of a line the regex sees. gin pads the head to about 80 characters; only a
 * caller's method could make it longer, and a line whose path starts later is 'invalid'.
 */
const MAX_GIN_HEAD = 4096;

export type TimeZoneMode = 'local' | 'utc';

/**
 * One log line: a GinEntry, 'invalid' for a line that starts like a gin line but is not one,
 * or null for any other line.
 */
export function parseGinLine(
  line: string,
  timeZone: TimeZoneMode = 'local',
): GinEntry | 'invalid' | null {
  const { message: raw, journalMs } = splitJournalPrefix(line);
  const message = raw.includes('\u001b') ? raw.replace(ANSI, '') : raw;
  if (!message.startsWith('[GIN]')) return null;
  const text = message.trimEnd();
  const m = GIN_HEAD.exec(text.length > MAX_GIN_HEAD ? text.slice(0, MAX_GIN_HEAD) : text);
  if (!m) return 'invalid';
  const latencyMs = parseGoDuration(m[8]!);
  // From the opening quote to the end of the line: one Go-quoted string, nothing after it.
  const path = goUnquote(text.slice(m[0].length - 1));
  const status = Number(m[7]);
  if (latencyMs === null || path === null || status < 100) return 'invalid';
  let timeMs = journalMs;
  if (timeMs === null) {
    const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return 'invalid';
    timeMs =
      timeZone === 'utc'
        ? Date.UTC(y, mo - 1, d, h, mi, s)
        : new Date(y, mo - 1, d, h, mi, s).getTime();
  }
  return { timeMs, status, latencyMs, clientRaw: m[9]!, method: m[10]!.toUpperCase(), path };
}

interface ClientAggregate {
  requests: number;
  failed: number;
  paths: Map<string, number>;
  first: number | null;
  last: number | null;
  latencyMs: number;
}

function scopeOrNull(address: string): AddressScope | null {
  try {
    return classifyAddress(address);
  } catch {
    return null;
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface AccessLogOptions {
  timeZone?: TimeZoneMode;
  maxClients?: number;
}

/**
 * Reads access lines one at a time and keeps per-client totals, bounded: at most `maxClients`
 * clients (the rest counted), at most 100 distinct paths per client (the rest pooled).
 */
export class AccessLogAggregator {
  private readonly clients = new Map<string, ClientAggregate>();
  private readonly normalized = new Map<string, string>();
  private readonly dropped = new Set<string>();
  private droppedOverflow = 0;
  private readonly maxClients: number;
  private readonly timeZone: TimeZoneMode;
  lines = 0;
  requests = 0;
  invalidLines = 0;
  otherLines = 0;
  private first: number | null = null;
  private last: number | null = null;

  constructor(options: AccessLogOptions = {}) {
    this.maxClients = options.maxClients ?? MAX_CLIENTS;
    this.timeZone = options.timeZone ?? 'local';
  }

  addText(text: string): void {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const line =
        text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      if (line !== '') this.addLine(line);
      start = end + 1;
    }
  }

  addLine(line: string): void {
    this.lines += 1;
    const entry = parseGinLine(line, this.timeZone);
    if (entry === null) {
      this.otherLines += 1;
      return;
    }
    if (entry === 'invalid') {
      this.invalidLines += 1;
      return;
    }
    this.requests += 1;
    let client = this.normalized.get(entry.clientRaw);
    if (client === undefined) {
      client = entry.clientRaw === '' ? '(none)' : cleanText(normalizeAddress(entry.clientRaw), 64);
      if (this.normalized.size < 10_000) this.normalized.set(entry.clientRaw, client);
    }
    let aggregate = this.clients.get(client);
    if (!aggregate) {
      if (this.clients.size >= this.maxClients) {
        if (this.dropped.size < MAX_DROPPED_TRACKED) this.dropped.add(client);
        else if (!this.dropped.has(client)) this.droppedOverflow += 1;
        this.track(entry.timeMs);
        return;
      }
      aggregate = {
        requests: 0,
        failed: 0,
        paths: new Map(),
        first: null,
        last: null,
        latencyMs: 0,
      };
      this.clients.set(client, aggregate);
    }
    aggregate.requests += 1;
    if (entry.status >= 400) aggregate.failed += 1;
    aggregate.latencyMs += entry.latencyMs;
    const q = entry.path.indexOf('?');
    const path = q >= 0 ? entry.path.slice(0, q) : entry.path;
    const key =
      aggregate.paths.has(path) || aggregate.paths.size < MAX_PATHS_PER_CLIENT ? path : OTHER_PATHS;
    aggregate.paths.set(key, (aggregate.paths.get(key) ?? 0) + 1);
    if (entry.timeMs !== null) {
      if (aggregate.first === null || entry.timeMs < aggregate.first)
        aggregate.first = entry.timeMs;
      if (aggregate.last === null || entry.timeMs > aggregate.last) aggregate.last = entry.timeMs;
    }
    this.track(entry.timeMs);
  }

  private track(timeMs: number | null): void {
    if (timeMs === null) return;
    if (this.first === null || timeMs < this.first) this.first = timeMs;
    if (this.last === null || timeMs > this.last) this.last = timeMs;
  }

  report(): Omit<AccessLogReport, 'source' | 'truncated'> {
    const clients: LogClient[] = [...this.clients.entries()]
      .map(([client, a]) => ({
        client,
        scope: scopeOrNull(client),
        forgeable: true as const,
        requests: a.requests,
        failed: a.failed,
        endpoints: [...a.paths.entries()]
          .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
          .slice(0, MAX_ENDPOINTS_SHOWN)
          .map(([path, count]) => ({ path: cleanText(path, 200), count })),
        firstSeen: iso(a.first),
        lastSeen: iso(a.last),
        totalLatencyMs: Math.round(a.latencyMs * 1000) / 1000,
      }))
      .sort((x, y) => y.requests - x.requests || (x.client < y.client ? -1 : 1));
    return {
      lines: this.lines,
      requests: this.requests,
      invalidLines: this.invalidLines,
      otherLines: this.otherLines,
      clients,
      clientsDropped: this.dropped.size + this.droppedOverflow,
      firstSeen: iso(this.first),
      lastSeen: iso(this.last),
    };
  }
}

/** Convenience: the report of one text. */
export function summarizeAccessLog(
  text: string,
  options: AccessLogOptions = {},
): Omit<AccessLogReport, 'source' | 'truncated'> {
  const aggregator = new AccessLogAggregator(options);
  aggregator.addText(text);
  return aggregator.report();
}

// ── the server log ───────────────────────────────────────────────────────────────────────

const CONFIG_KEY = /^(?:[A-Z][A-Z0-9_]*|http_proxy|https_proxy|no_proxy):/;
const MAX_CONFIG_ENTRIES = 200;

/**
 * Go's `%v` of a map[string]any, as the `server config` line prints envconfig.Values():
 * `map[K:V K2:[a b] K3:]`. Lists in brackets may hold spaces; a space-separated word that
 * does not start a new `KEY:` continues the previous value.
 */
export function parseServerConfigMap(text: string): Array<{ name: string; value: string }> {
  let body = text.trim();
  if (!body.startsWith('map[') || !body.endsWith(']')) return [];
  body = body.slice(4, -1);
  const tokens: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '[') depth += 1;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ' ' && depth === 0) {
      tokens.push(current);
      current = '';
    } else current += ch;
  }
  tokens.push(current);
  const entries: Array<{ name: string; value: string }> = [];
  for (const token of tokens) {
    if (token === '') continue;
    if (CONFIG_KEY.test(token)) {
      if (entries.length >= MAX_CONFIG_ENTRIES) break;
      const colon = token.indexOf(':');
      entries.push({ name: token.slice(0, colon), value: token.slice(colon + 1) });
    } else if (entries.length > 0) {
      entries[entries.length - 1]!.value += ` ${token}`;
    }
  }
  return entries.map((e) => ({ name: e.name, value: cleanText(e.value, 1000) }));
}

const SLOG_TIME = /(?:^|\s)time=(\S+)/;
const SERVER_CONFIG = /msg="server config" env=("(?:[^"\\]|\\.)*")/;
const LISTENING = /Listening on (\S+) \(version ([^)\s]{1,60})\)/;

function lineTime(journalMs: number | null, message: string): number | null {
  if (journalMs !== null) return journalMs;
  const slog = SLOG_TIME.exec(message)?.[1];
  return slog ? zonedTime(slog) : null;
}

/** "[::]:11434" → { address: "::", port: 11434 }. */
export function parseListenAddress(text: string): { address: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  return port <= 65535 ? { address: m[1] ?? m[2] ?? '', port } : null;
}

/**
 * The last `server config` and the last `Listening on` line (the latest start of the server)
 * in a log. Everything else is ignored.
 */
export function parseServerLogFacts(text: string): ServerLogFacts {
  const facts: ServerLogFacts = {
    config: null,
    configAt: null,
    listening: null,
    version: null,
    listeningAt: null,
  };
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    const hasConfig = line.includes('msg="server config"');
    const hasListening = line.includes('Listening on ');
    if (!hasConfig && !hasListening) continue;
    const { message, journalMs } = splitJournalPrefix(line);
    if (hasConfig) {
      const quoted = SERVER_CONFIG.exec(message)?.[1];
      const map = quoted ? goUnquote(quoted) : null;
      if (map !== null) {
        facts.config = parseServerConfigMap(map);
        const t = lineTime(journalMs, message);
        facts.configAt = t === null ? null : new Date(t).toISOString();
      }
    }
    if (hasListening) {
      const m = LISTENING.exec(message);
      const where = m ? parseListenAddress(m[1]!) : null;
      if (m && where) {
        facts.listening = { ...where, raw: cleanText(m[1], 80) };
        facts.version = cleanText(m[2], 60);
        const t = lineTime(journalMs, message);
        facts.listeningAt = t === null ? null : new Date(t).toISOString();
      }
    }
  }
  return facts;
}
