/**
 * HTTP fingerprint of one listener: does Ollama answer here, which version, which models,
 * and how it treats a foreign Origin (CORS) and a foreign Host (DNS-rebinding check).
 * ollama-facts.md, "HTTP surface" and "OLLAMA_ORIGINS". Six bounded GETs, run together.
 */
import type { Evidence, Fingerprint, ModelSummary } from '../../../shared/snapshot';
import type { Host, HttpResult } from '../host/types';
import { cleanLine, isRecord, parseJson } from '../text/untrusted';

export const FOREIGN_ORIGIN = 'https://paddock-origin-check.invalid';
export const FOREIGN_HOST = 'paddock-rebind-check.invalid';
export const OLLAMA_BANNER = 'Ollama is running';
const MAX_MODELS = 500;

const VERSION_PATTERN = /^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.+-]{0,40})?$/;

export interface FingerprintOutcome {
  fingerprint: Fingerprint;
  evidence: Evidence[];
}

function outcomeOf(result: HttpResult): string {
  if (!result.ok) return result.message;
  return `HTTP ${result.status}${result.truncated ? ', body cut at the size cap' : ''}`;
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

function jsonBody(result: HttpResult, path: string, problems: string[]): unknown {
  if (!result.ok || result.status !== 200) return undefined;
  if (result.truncated) {
    problems.push(`${path} answered more than the size cap; the answer was cut off and not read`);
    return undefined;
  }
  const parsed = parseJson(result.body);
  if (parsed === undefined) problems.push(`${path} answered with invalid JSON`);
  return parsed;
}

export async function fingerprintListener(
  host: Host,
  address: string,
  port: number,
): Promise<FingerprintOutcome> {
  const get = (path: string, headers?: Record<string, string>) =>
    host.http({
      address,
      port,
      path,
      headers,
      connectTimeoutMs: 1000,
      totalTimeoutMs: 3000,
      maxBodyBytes: 1024 * 1024,
    });
  const [root, version, tags, ps, origin, rebind] = await Promise.all([
    get('/'),
    get('/api/version'),
    get('/api/tags'),
    get('/api/ps'),
    get('/api/version', { Origin: FOREIGN_ORIGIN }),
    get('/api/version', { Host: FOREIGN_HOST }),
  ]);
  const evidence: Evidence[] = [
    { kind: 'http', ref: `GET ${root.url}`, outcome: outcomeOf(root) },
    { kind: 'http', ref: `GET ${version.url}`, outcome: outcomeOf(version) },
    { kind: 'http', ref: `GET ${tags.url}`, outcome: outcomeOf(tags) },
    { kind: 'http', ref: `GET ${ps.url}`, outcome: outcomeOf(ps) },
    {
      kind: 'http',
      ref: `GET ${origin.url} with Origin: ${FOREIGN_ORIGIN}`,
      outcome: outcomeOf(origin),
    },
    {
      kind: 'http',
      ref: `GET ${rebind.url} with Host: ${FOREIGN_HOST}`,
      outcome: outcomeOf(rebind),
    },
  ];
  const problems: string[] = [];
  const fingerprint: Fingerprint = {
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

  const answers = [root, version, tags, ps];
  if (!answers.some((r) => r.ok)) {
    const failure = root.ok ? null : root;
    if (failure?.error === 'protocol') fingerprint.identity = 'not-http';
    else problems.push(failure ? `no HTTP answer: ${failure.message}` : 'no HTTP answer');
    return { fingerprint, evidence };
  }

  if (root.ok) {
    fingerprint.banner = cleanLine(root.body.trim(), 120);
    if (root.truncated) problems.push('/ answered more than the size cap; the answer was cut off');
  }
  const versionJson = jsonBody(version, '/api/version', problems);
  if (isRecord(versionJson) && typeof versionJson.version === 'string') {
    const candidate = versionJson.version.trim();
    if (VERSION_PATTERN.test(candidate)) fingerprint.version = candidate;
    else
      problems.push(
        `/api/version gave "${cleanLine(candidate, 60)}", which is not a version number`,
      );
  }
  const tagsJson = jsonBody(tags, '/api/tags', problems);
  if (tagsJson !== undefined) fingerprint.models = models(tagsJson, problems, '/api/tags');
  const psJson = jsonBody(ps, '/api/ps', problems);
  if (psJson !== undefined) fingerprint.loadedModels = models(psJson, problems, '/api/ps');
  if (tags.ok) fingerprint.authRequired = tags.status === 401 || tags.status === 403;

  const bannerMatches = root.ok && root.status === 200 && root.body.trim() === OLLAMA_BANNER;
  const apiMatches = fingerprint.version !== null && fingerprint.models !== null;
  fingerprint.identity = bannerMatches || apiMatches ? 'ollama' : 'other-http';

  if (origin.ok) {
    const allowOrigin = origin.headers['access-control-allow-origin'];
    if (origin.status === 403) fingerprint.foreignOriginAllowed = false;
    else if (origin.status >= 200 && origin.status < 300)
      fingerprint.foreignOriginAllowed = allowOrigin === '*' || allowOrigin === FOREIGN_ORIGIN;
  }
  if (rebind.ok) fingerprint.foreignHostRefused = rebind.status === 403;
  return { fingerprint, evidence };
}
