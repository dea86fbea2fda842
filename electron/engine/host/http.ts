import type { ClientRequest, IncomingMessage } from 'node:http';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpRequest, HttpResult } from './types';

const DEFAULT_CONNECT_MS = 1000;
const DEFAULT_TOTAL_MS = 3000;
const DEFAULT_MAX_BODY = 1024 * 1024;

export function urlFor(address: string, port: number, path: string): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${port}${path}`;
}

/**
 * One plain-HTTP request to a literal address, bounded three ways: connect time, total time,
 * body size. Never follows redirects, never resolves names, never keeps the connection.
 * Everything that comes back is untrusted text.
 */
export function httpRequest(req: HttpRequest): Promise<HttpResult> {
  const connectMs = req.connectTimeoutMs ?? DEFAULT_CONNECT_MS;
  const totalMs = req.totalTimeoutMs ?? DEFAULT_TOTAL_MS;
  const maxBody = req.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const url = urlFor(req.address, req.port, req.path);
  const started = performance.now();
  const elapsed = () => performance.now() - started;

  return new Promise((resolve) => {
    let settled = false;
    const done = (result: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      resolve(result);
    };
    const fail = (error: Extract<HttpResult, { ok: false }>['error'], message: string) =>
      done({ ok: false, url, error, message, durationMs: elapsed() });

    const clientRequest = request({
      host: req.address,
      port: req.port,
      path: req.path,
      method: req.method ?? 'GET',
      headers: { 'User-Agent': 'paddock', Accept: '*/*', ...req.headers },
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
      if (code === 'ECONNREFUSED') fail('refused', 'connection refused');
      else if (code === 'ECONNRESET' || code === 'EPIPE')
        fail('reset', 'connection reset by the server');
      else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL')
        fail('unreachable', `address unreachable (${code})`);
      else if (code.startsWith('HPE_')) fail('protocol', `not a valid HTTP answer (${code})`);
      else fail('other', error.message);
    });
    clientRequest.on('response', (response) =>
      collectResponse(response, clientRequest, maxBody, (collected) =>
        done({ ok: true, url, ...collected, durationMs: elapsed() }),
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
}

/**
 * Reads a response body up to `maxBody` bytes; past that the connection is dropped and the
 * body reported truncated. `done` is called once, whatever happens to the stream.
 */
export function collectResponse(
  response: IncomingMessage,
  clientRequest: ClientRequest,
  maxBody: number,
  done: (collected: CollectedResponse) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
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
      truncated,
    });
  };
  response.on('data', (chunk: Buffer) => {
    if (truncated) return;
    const room = maxBody - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      size = maxBody;
      truncated = true;
      finish();
      clientRequest.destroy();
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
  });
  response.on('end', finish);
  response.on('error', finish);
  response.on('aborted', finish);
}
