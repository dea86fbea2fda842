import { request } from 'node:http';
import type { Socket } from 'node:net';
import { collectResponse } from './http';

/**
 * One HTTP GET over a unix domain socket (the Docker Engine API at /var/run/docker.sock),
 * with the same bounds as host/http.ts: connect 1 s, total 3 s, body 1 MiB. Never follows
 * redirects, never keeps the connection. Everything that comes back is untrusted text.
 */
export interface UnixHttpRequest {
  socketPath: string;
  path: string;
  headers?: Record<string, string>;
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
  maxBodyBytes?: number;
}

export type UnixHttpResult =
  | {
      ok: true;
      /** For display: `unix:<socket>:<path>`. */
      url: string;
      status: number;
      headers: Record<string, string>;
      body: string;
      truncated: boolean;
      durationMs: number;
    }
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

const DEFAULT_CONNECT_MS = 1000;
const DEFAULT_TOTAL_MS = 3000;
const DEFAULT_MAX_BODY = 1024 * 1024;

export function unixUrl(socketPath: string, path: string): string {
  return `unix:${socketPath}:${path}`;
}

export function unixHttpGet(req: UnixHttpRequest): Promise<UnixHttpResult> {
  const connectMs = req.connectTimeoutMs ?? DEFAULT_CONNECT_MS;
  const totalMs = req.totalTimeoutMs ?? DEFAULT_TOTAL_MS;
  const maxBody = req.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const url = unixUrl(req.socketPath, req.path);
  const started = performance.now();
  const elapsed = () => performance.now() - started;

  return new Promise((resolve) => {
    let settled = false;
    const done = (result: UnixHttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      resolve(result);
    };
    const fail = (
      error: Extract<UnixHttpResult, { ok: false }>['error'],
      message: string,
      code: string | null = null,
    ) => done({ ok: false, url, error, code, message, durationMs: elapsed() });

    const clientRequest = request({
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
      agent: false,
      insecureHTTPParser: false,
      maxHeaderSize: 64 * 1024,
    });
    const connectTimer = setTimeout(() => {
      fail('connect-timeout', `no connection within ${connectMs} ms`);
      clientRequest.destroy();
    }, connectMs);
    const totalTimer = setTimeout(() => {
      fail('timeout', `no complete answer within ${totalMs} ms`);
      clientRequest.destroy();
    }, totalMs);

    clientRequest.on('socket', (socket: Socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      else socket.once('connect', () => clearTimeout(connectTimer));
    });
    clientRequest.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      if (code === 'ENOENT' || code === 'ENOTDIR')
        fail('missing', `no socket at ${req.socketPath}`, code);
      else if (code === 'EACCES' || code === 'EPERM')
        fail('denied', `permission denied on ${req.socketPath}`, code);
      else if (code === 'ECONNREFUSED')
        fail('refused', `nothing accepts connections on ${req.socketPath}`, code);
      else if (code === 'ECONNRESET' || code === 'EPIPE')
        fail('reset', 'connection reset by the server', code);
      else if (code.startsWith('HPE_')) fail('protocol', `not a valid HTTP answer (${code})`, code);
      else fail('other', error.message, code || null);
    });
    clientRequest.on('response', (response) =>
      collectResponse(response, clientRequest, maxBody, (collected) =>
        done({ ok: true, url, ...collected, durationMs: elapsed() }),
      ),
    );
    clientRequest.end();
  });
}
