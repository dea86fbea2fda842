import { boundedRequest } from './http';
import type { HttpBounds, HttpResponse } from './types';

/**
 * One HTTP GET over a unix domain socket (the Docker Engine API at /var/run/docker.sock),
 * with the same bounds as host/http.ts: connect 1 s, total 3 s, body 1 MiB. Never follows
 * redirects, never keeps the connection. Everything that comes back is untrusted text.
 */
export interface UnixHttpRequest extends HttpBounds {
  socketPath: string;
  path: string;
}

export type UnixHttpResult =
  | HttpResponse
  | {
      ok: false;
      url: string;
      /**
       * missing: no such socket (ENOENT, ENOTDIR); denied: EACCES/EPERM; refused: nobody
       * listens on it (ECONNREFUSED); the rest as for TCP.
       */
      error:
        | 'missing'
        | 'denied'
        | 'refused'
        | 'connect-timeout'
        | 'timeout'
        | 'reset'
        | 'protocol'
        | 'other';
      code: string | null;
      message: string;
      durationMs: number;
    };

export type UnixHttpGet = (request: UnixHttpRequest) => Promise<UnixHttpResult>;

export function unixUrl(socketPath: string, path: string): string {
  return `unix:${socketPath}:${path}`;
}

export function unixHttpGet(req: UnixHttpRequest): Promise<UnixHttpResult> {
  const url = unixUrl(req.socketPath, req.path);
  return boundedRequest(
    {
      socketPath: req.socketPath,
      path: req.path,
      method: 'GET',
      // The Engine API ignores the host name but HTTP/1.1 wants one.
      headers: {
        Host: 'docker',
        'User-Agent': 'paddock',
        Accept: 'application/json',
        ...req.headers,
      },
    },
    req,
  ).then((outcome): UnixHttpResult => {
    const { durationMs } = outcome;
    if (outcome.kind === 'answer') return { ok: true, url, ...outcome.response, durationMs };
    const fail = (
      error: Extract<UnixHttpResult, { ok: false }>['error'],
      message: string,
      code: string | null = null,
    ) => ({ ok: false, url, error, code, message, durationMs }) as const;
    if (outcome.kind !== 'error') return fail(outcome.kind, outcome.message);
    const code = outcome.error.code ?? '';
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return fail('missing', `no socket at ${req.socketPath}`, code);
    if (code === 'EACCES' || code === 'EPERM')
      return fail('denied', `permission denied on ${req.socketPath}`, code);
    if (code === 'ECONNREFUSED')
      return fail('refused', `nothing accepts connections on ${req.socketPath}`, code);
    if (code === 'ECONNRESET' || code === 'EPIPE')
      return fail('reset', 'connection reset by the server', code);
    if (code.startsWith('HPE_')) return fail('protocol', `not a valid HTTP answer (${code})`, code);
    return fail('other', outcome.error.message, code || null);
  });
}
