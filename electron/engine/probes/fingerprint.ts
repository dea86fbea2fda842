/**
 * HTTP fingerprint of one listener: does Ollama answer here, which version, which models,
 * and how it treats a foreign Origin (CORS) and a foreign Host (DNS-rebinding check).
 * ollama-facts.md, "HTTP surface" and "OLLAMA_ORIGINS". Six bounded GETs, run together.
 *
 * Every byte is the server's to choose, and a scan may knock on dozens of listeners (every
 * listener whose owner is hidden is a candidate), so each GET is capped (256 KiB for the model
 * lists, 64 KiB for the rest; an answer whose Content-Length is over the cap is refused
 * unread), and a scan runs its fingerprints through one pool (createFingerprintPool): a few at
 * a time, Ollama's own listeners first, within one byte budget and one time limit. A listener
 * the budget or the time did not reach says so; it is never reported as "not Ollama".
 */
import type { Evidence, Fingerprint, ModelSummary } from '../../../shared/snapshot';
import type { ByteBudget, Host, HttpResult } from '../host/types';
import { FOREIGN_ORIGIN } from '../judge/origin';
import { cleanLine, isRecord, parseJson } from '../text/untrusted';

export const FOREIGN_HOST = 'paddock-rebind-check.invalid';
export const OLLAMA_BANNER = 'Ollama is running';
const MAX_MODELS = 500;
/** Caps per GET: the model lists (a real list of 500 models is about 150 KiB), the rest. */
export const MODEL_LIST_CAP = 256 * 1024;
export const SMALL_ANSWER_CAP = 64 * 1024;
const CONNECT_MS = 1000;
const TOTAL_MS = 3000;
/** Not worth starting a GET with less time than this left. */
const MIN_REQUEST_MS = 100;
/** Not worth starting a fingerprint with fewer budget bytes than this left. */
const MIN_BUDGET_BYTES = 4 * 1024;

const VERSION_PATTERN = /^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.+-]{0,40})?$/;

export interface FingerprintOutcome {
  fingerprint: Fingerprint;
  evidence: Evidence[];
  /**
   * Set when the scan's limits kept this listener from being read in full: its byte budget
   * was spent, or its time for fingerprints ran out. Then whether Ollama answers here is
   * unknown, and the problems say why.
   */
  limitedBy: 'budget' | 'time' | null;
}

/** The scan-wide limits a fingerprint runs under (createFingerprintPool sets them). */
export interface FingerprintLimits {
  /** Shared by every answer of the scan. */
  budget?: ByteBudget;
  /** host.monotonicMs() after which no GET starts, and by which every GET ends. */
  deadlineAt?: number;
  /** The time limit, for messages. */
  timeLimitMs?: number;
  /** Over HTTPS (a proxy that terminates TLS), the certificate unchecked. */
  tls?: boolean;
}

export function byteWords(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

export function budgetWords(budget: ByteBudget | undefined): string {
  return `the scan's budget for HTTP answers (${budget ? byteWords(budget.total) : 'its bytes'} over all listeners) was spent`;
}

function timeWords(limits: FingerprintLimits): string {
  return `the scan's time for HTTP checks (${limits.timeLimitMs !== undefined ? `${limits.timeLimitMs / 1000} s` : 'its limit'}) ran out`;
}

function outcomeOf(result: HttpResult, cap: number, limits: FingerprintLimits): string {
  if (!result.ok) return result.message;
  const status = `HTTP ${result.status}`;
  if (!result.truncated) return status;
  switch (result.cut) {
    case 'content-length':
      return `${status}, body not read: its Content-Length (${cleanLine(result.headers['content-length'], 20)} bytes) is over the ${byteWords(cap)} cap`;
    case 'budget':
      return `${status}, body not read in full: ${budgetWords(limits.budget)}`;
    default:
      return `${status}, body cut at the ${byteWords(cap)} cap`;
  }
}

function models(value: unknown, problems: string[], what: string): ModelSummary[] | null {
  if (!isRecord(value) || !Array.isArray(value.models)) {
    problems.push(`${what} did not return the expected {"models": [...]} JSON`);
    return null;
  }
  if (value.models.length > MAX_MODELS)
    problems.push(`${what} listed ${value.models.length} models; kept the first ${MAX_MODELS}`);
  return value.models.slice(0, MAX_MODELS).map((entry): ModelSummary => {
    const record = isRecord(entry) ? entry : {};
    const size =
      typeof record.size === 'number' && Number.isFinite(record.size) ? record.size : null;
    const vram =
      typeof record.size_vram === 'number' && Number.isFinite(record.size_vram)
        ? record.size_vram
        : null;
    return {
      // One line: a name is shown on one line everywhere, and a line break in it could pass
      // for a line of Paddock's own ("x\nVerdict: private").
      name: cleanLine(record.name ?? record.model, 200),
      size,
      ...(what === '/api/ps' ? { sizeVram: vram } : {}),
    };
  });
}

function jsonBody(
  result: HttpResult,
  path: string,
  problems: string[],
  limits: FingerprintLimits,
): unknown {
  if (!result.ok || result.status !== 200) return undefined;
  if (result.truncated) {
    problems.push(
      result.cut === 'budget'
        ? `${path} was not read: ${budgetWords(limits.budget)}`
        : `${path} answered more than the size cap; the answer was cut off and not read`,
    );
    return undefined;
  }
  const parsed = parseJson(result.body);
  if (parsed === undefined) problems.push(`${path} answered with invalid JSON`);
  return parsed;
}

function emptyFingerprint(address: string, port: number, problems: string[]): Fingerprint {
  return {
    address,
    port,
    identity: 'no-answer',
    banner: null,
    version: null,
    models: null,
    loadedModels: null,
    foreignOriginAllowed: null,
    foreignHostRefused: null,
    authRequired: null,
    problems,
  };
}

/** A listener the scan's limits did not reach: nothing asked, and it says why. */
function notChecked(
  address: string,
  port: number,
  limitedBy: 'budget' | 'time',
  limits: FingerprintLimits,
): FingerprintOutcome {
  const why = limitedBy === 'budget' ? budgetWords(limits.budget) : timeWords(limits);
  const problem = `not checked: ${why} before this listener's turn, so whether Ollama answers here is unknown`;
  return {
    fingerprint: emptyFingerprint(address, port, [problem]),
    evidence: [
      { kind: 'http', ref: `GET ${urlOf(address, port, '/')} and 5 more`, outcome: problem },
    ],
    limitedBy,
  };
}

function urlOf(address: string, port: number, path: string): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}${path}`;
}

export async function fingerprintListener(
  host: Host,
  address: string,
  port: number,
  limits: FingerprintLimits = {},
): Promise<FingerprintOutcome> {
  const { budget, deadlineAt } = limits;
  const timeLeft = () =>
    deadlineAt === undefined ? TOTAL_MS : Math.min(TOTAL_MS, deadlineAt - host.monotonicMs());
  if (timeLeft() < MIN_REQUEST_MS) return notChecked(address, port, 'time', limits);
  if (budget && budget.remaining() < MIN_BUDGET_BYTES)
    return notChecked(address, port, 'budget', limits);
  const left = timeLeft();
  const get = (path: string, cap: number, headers?: Record<string, string>) =>
    host.http({
      address,
      port,
      path,
      headers,
      ...(limits.tls ? { tls: true } : {}),
      connectTimeoutMs: Math.min(CONNECT_MS, left),
      totalTimeoutMs: left,
      maxBodyBytes: cap,
      ...(budget ? { budget } : {}),
    });
  const [root, version, tags, ps, origin, rebind] = await Promise.all([
    get('/', SMALL_ANSWER_CAP),
    get('/api/version', SMALL_ANSWER_CAP),
    get('/api/tags', MODEL_LIST_CAP),
    get('/api/ps', MODEL_LIST_CAP),
    get('/api/version', SMALL_ANSWER_CAP, { Origin: FOREIGN_ORIGIN }),
    get('/api/version', SMALL_ANSWER_CAP, { Host: FOREIGN_HOST }),
  ]);
  const small = (r: HttpResult) => outcomeOf(r, SMALL_ANSWER_CAP, limits);
  const list = (r: HttpResult) => outcomeOf(r, MODEL_LIST_CAP, limits);
  const evidence: Evidence[] = [
    { kind: 'http', ref: `GET ${root.url}`, outcome: small(root) },
    { kind: 'http', ref: `GET ${version.url}`, outcome: small(version) },
    { kind: 'http', ref: `GET ${tags.url}`, outcome: list(tags) },
    { kind: 'http', ref: `GET ${ps.url}`, outcome: list(ps) },
    {
      kind: 'http',
      ref: `GET ${origin.url} with Origin: ${FOREIGN_ORIGIN}`,
      outcome: small(origin),
    },
    {
      kind: 'http',
      ref: `GET ${rebind.url} with Host: ${FOREIGN_HOST}`,
      outcome: small(rebind),
    },
  ];
  const problems: string[] = [];
  const fingerprint = emptyFingerprint(address, port, problems);
  // A GET that ran out of the scan's time (less than its own 3 s) cannot tell "not Ollama".
  const outOfTime =
    left < TOTAL_MS &&
    [root, version, tags].some(
      (r) => !r.ok && (r.error === 'timeout' || r.error === 'connect-timeout'),
    );
  const unknownFor = (why: string) =>
    `whether Ollama answers here is unknown: ${why} before its answers were read`;

  const answers = [root, version, tags, ps];
  if (!answers.some((r) => r.ok)) {
    const failure = root.ok ? null : root;
    if (failure?.error === 'protocol') fingerprint.identity = 'not-http';
    else problems.push(failure ? `no HTTP answer: ${failure.message}` : 'no HTTP answer');
    if (outOfTime) problems.push(unknownFor(timeWords(limits)));
    return { fingerprint, evidence, limitedBy: outOfTime ? 'time' : null };
  }

  if (root.ok) {
    fingerprint.banner = cleanLine(root.body.trim(), 120);
    if (root.truncated)
      problems.push(
        root.cut === 'budget'
          ? `/ was not read in full: ${budgetWords(budget)}`
          : '/ answered more than the size cap; the answer was cut off',
      );
  }
  const versionJson = jsonBody(version, '/api/version', problems, limits);
  if (isRecord(versionJson) && typeof versionJson.version === 'string') {
    const candidate = versionJson.version.trim();
    if (VERSION_PATTERN.test(candidate)) fingerprint.version = candidate;
    else
      problems.push(
        `/api/version gave "${cleanLine(candidate, 60)}", which is not a version number`,
      );
  }
  const tagsJson = jsonBody(tags, '/api/tags', problems, limits);
  if (tagsJson !== undefined) fingerprint.models = models(tagsJson, problems, '/api/tags');
  const psJson = jsonBody(ps, '/api/ps', problems, limits);
  if (psJson !== undefined) fingerprint.loadedModels = models(psJson, problems, '/api/ps');
  if (tags.ok) fingerprint.authRequired = tags.status === 401 || tags.status === 403;

  const bannerMatches = root.ok && root.status === 200 && root.body.trim() === OLLAMA_BANNER;
  const apiMatches = fingerprint.version !== null && fingerprint.models !== null;
  fingerprint.identity = bannerMatches || apiMatches ? 'ollama' : 'other-http';
  // What the budget or the time cut short cannot tell "not Ollama": unknown, and said so.
  const unread = [root, version, tags].some((r) => r.ok && r.cut === 'budget');
  const limitedBy =
    fingerprint.identity === 'ollama' ? null : unread ? 'budget' : outOfTime ? 'time' : null;
  if (limitedBy) {
    fingerprint.identity = 'no-answer';
    problems.push(unknownFor(limitedBy === 'budget' ? budgetWords(budget) : timeWords(limits)));
  }

  if (origin.ok) {
    const allowOrigin = origin.headers['access-control-allow-origin'];
    if (origin.status === 403) fingerprint.foreignOriginAllowed = false;
    else if (origin.status >= 200 && origin.status < 300)
      fingerprint.foreignOriginAllowed = allowOrigin === '*' || allowOrigin === FOREIGN_ORIGIN;
  }
  if (rebind.ok) fingerprint.foreignHostRefused = rebind.status === 403;
  return { fingerprint, evidence, limitedBy };
}

export interface FingerprintPoolOptions {
  /** Fingerprints at once (default 8; each is six GETs). */
  concurrency?: number;
  /** Shared by every answer read through the pool. */
  budget?: ByteBudget;
  /** Time for all of them, counted from the first one asked for. */
  timeLimitMs?: number;
}

export interface FingerprintPool {
  /**
   * Fingerprints a listener when a place is free: lower `priority` first (Ollama's own
   * listeners before those of unknown owners), then in the order asked.
   */
  fingerprint(address: string, port: number, priority?: number): Promise<FingerprintOutcome>;
}

/**
 * One scan's fingerprints: at most `concurrency` at a time, all within one byte budget and one
 * time limit; a listener they do not reach is reported as not checked, with the reason.
 */
export function createFingerprintPool(
  host: Host,
  options: FingerprintPoolOptions = {},
): FingerprintPool {
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const queue: Array<{ priority: number; order: number; start: () => void }> = [];
  let running = 0;
  let order = 0;
  let limits: FingerprintLimits | null = null;
  const pump = () => {
    while (running < concurrency && queue.length > 0) {
      let best = 0;
      for (let i = 1; i < queue.length; i += 1) {
        const a = queue[i]!;
        const b = queue[best]!;
        if (a.priority < b.priority || (a.priority === b.priority && a.order < b.order)) best = i;
      }
      const [job] = queue.splice(best, 1);
      running += 1;
      job!.start();
    }
  };
  return {
    fingerprint(address, port, priority = 0) {
      limits ??= {
        budget: options.budget,
        timeLimitMs: options.timeLimitMs,
        deadlineAt:
          options.timeLimitMs === undefined ? undefined : host.monotonicMs() + options.timeLimitMs,
      };
      const bounds = limits;
      return new Promise<FingerprintOutcome>((resolve, reject) => {
        queue.push({
          priority,
          order: (order += 1),
          start: () => {
            fingerprintListener(host, address, port, bounds)
              .then(resolve, reject)
              .finally(() => {
                running -= 1;
                pump();
              });
          },
        });
        pump();
      });
    },
  };
}
