import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { BodyCut, ByteBudget, HttpRequest, HttpResult } from './types';

const DEFAULT_CONNECT_MS = 1000;
const DEFAULT_TOTAL_MS = 3000;
const DEFAULT_MAX_BODY = 1024 * 1024;

export function urlFor(address: string, port: number, path: string, tls = false): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${tls ? 'https' : 'http'}://${host}:${port}${path}`;
}

/**
 * One plain-HTTP request to a literal address, bounded three ways: connect time, total time,
 * body size. Never follows redirects, never resolves names, never keeps the connection.
 * Everything that comes back is untrusted text.
 */
export function httpRequest(req: HttpRequest): Promise<HttpResult> {
  const url = urlFor(req.address, req.port, req.path, req.tls === true);
  return boundedRequest(
    {
      host: req.address,
      port: req.port,
      path: req.path,
      method: req.method ?? 'GET',
      headers: { 'User-Agent': 'paddock', Accept: '*/*', ...req.headers },
      ...(req.tls ? { rejectUnauthorized: false, secure: true } : {}),
    },
    req,
  ).then((outcome): HttpResult => {
    const { durationMs } = outcome;
    if (outcome.kind === 'answer') return { ok: true, url, ...outcome.response, durationMs };
    const fail = (error: Extract<HttpResult, { ok: false }>['error'], message: string) =>
      ({ ok: false, url, error, message, durationMs }) as const;
    if (outcome.kind !== 'error') return fail(outcome.kind, outcome.message);
    const code = outcome.error.code ?? '';
    if (code === 'ECONNREFUSED') return fail('refused', 'connection refused');
    if (code === 'ECONNRESET' || code === 'EPIPE')
      return fail('reset', 'connection reset by the server');
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL')
      return fail('unreachable', `address unreachable (${code})`);
    if (code.startsWith('HPE_')) return fail('protocol', `not a valid HTTP answer (${code})`);
    return fail('other', outcome.error.message);
  });
}

export interface RequestBounds {
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
  maxBodyBytes?: number;
  budget?: ByteBudget;
}

/**
 * A byte budget for several requests (one scan's). With a parent, bytes are taken from both:
 * a part of a larger budget that may use at most `total` of it.
 */
export function createByteBudget(total: number, parent?: ByteBudget): ByteBudget {
  let left = Math.max(0, Math.floor(total));
  return {
    total: left,
    take(bytes: number): number {
      const wanted = Math.max(0, Math.min(Math.floor(bytes), left));
      const granted = parent ? parent.take(wanted) : wanted;
      left -= granted;
      return granted;
    },
    remaining(): number {
      return parent ? Math.min(left, parent.remaining()) : left;
    },
  };
}

export type BoundedOutcome = { durationMs: number } & (
  | { kind: 'answer'; response: CollectedResponse }
  | { kind: 'connect-timeout' | 'timeout'; message: string }
  | { kind: 'error'; error: NodeJS.ErrnoException }
);

/**
 * One HTTP request, over TCP or a unix socket, bounded three ways: connect time, total time,
 * body size. Never follows redirects, never keeps the connection. The callers turn the
 * outcome into their own words.
 */
export function boundedRequest(
  options: RequestOptions,
  bounds: RequestBounds,
): Promise<BoundedOutcome> {
  const connectMs = bounds.connectTimeoutMs ?? DEFAULT_CONNECT_MS;
  const totalMs = bounds.totalTimeoutMs ?? DEFAULT_TOTAL_MS;
  const maxBody = bounds.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: BoundedOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      resolve(outcome);
    };
    const elapsed = () => performance.now() - started;
    const { secure, ...rest } = options as RequestOptions & { secure?: boolean };
    const clientRequest = (secure ? httpsRequest : request)({
      ...rest,
      agent: false,
      insecureHTTPParser: false,
      maxHeaderSize: 64 * 1024,
    });
    const connectTimer = setTimeout(() => {
      done({
        kind: 'connect-timeout',
        message: `no connection within ${connectMs} ms`,
        durationMs: elapsed(),
      });
      clientRequest.destroy();
    }, connectMs);
    const totalTimer = setTimeout(() => {
      done({
        kind: 'timeout',
        message: `no complete answer within ${totalMs} ms`,
        durationMs: elapsed(),
      });
      clientRequest.destroy();
    }, totalMs);
    clientRequest.on('socket', (socket: Socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      else socket.once('connect', () => clearTimeout(connectTimer));
    });
    clientRequest.on('error', (error: NodeJS.ErrnoException) =>
      done({ kind: 'error', error, durationMs: elapsed() }),
    );
    clientRequest.on('response', (response) =>
      collectResponse(
        response,
        clientRequest,
        maxBody,
        (collected) => done({ kind: 'answer', response: collected, durationMs: elapsed() }),
        bounds.budget,
      ),
    );
    clientRequest.end();
  });
}

export interface CollectedResponse {
  status: number;
  headers: Record<string, string>;
  /** Decoded as UTF-8 (invalid bytes replaced); untrusted text. */
  body: string;
  truncated: boolean;
  /** Why the body is cut short (with truncated); absent when it is whole. */
  cut?: BodyCut;
}

/** The body length an answer announces; null without a usable Content-Length. */
function announcedLength(response: IncomingMessage): number | null {
  const header = response.headers['content-length'];
  if (header === undefined || !/^\s*\d{1,16}\s*$/.test(header)) return null;
  return Number(header);
}

/**
 * Reads a response body up to `maxBody` bytes, each taken from `budget` when there is one;
 * past either the connection is dropped and the body reported truncated. An answer whose
 * Content-Length is over the cap (or over what is left of the budget) is refused before any
 * of its body is read: status and headers only. `done` is called once, whatever happens to the
 * stream.
 */
export function collectResponse(
  response: IncomingMessage,
  clientRequest: ClientRequest,
  maxBody: number,
  done: (collected: CollectedResponse) => void,
  budget?: ByteBudget,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let cut: BodyCut | null = null;
  let finished = false;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const finish = () => {
    if (finished) return;
    finished = true;
    done({
      status: response.statusCode ?? 0,
      headers,
      body: Buffer.concat(chunks).toString('utf8'),
      truncated: cut !== null,
      ...(cut ? { cut } : {}),
    });
  };
  const stop = (why: BodyCut) => {
    cut = why;
    finish();
    clientRequest.destroy();
  };
  const announced = clientRequest.method === 'HEAD' ? null : announcedLength(response);
  if (announced !== null && announced > maxBody) return stop('content-length');
  if (announced !== null && budget && announced > budget.remaining()) return stop('budget');
  response.on('data', (chunk: Buffer) => {
    if (cut) return;
    const room = maxBody - size;
    const wanted = Math.min(chunk.length, room);
    const granted = budget ? budget.take(wanted) : wanted;
    if (granted > 0) chunks.push(granted === chunk.length ? chunk : chunk.subarray(0, granted));
    size += granted;
    if (granted < chunk.length) stop(granted < wanted ? 'budget' : 'size-cap');
  });
  response.on('end', finish);
  response.on('error', finish);
  response.on('aborted', finish);
}
