/**
 * The test-only bridge between a page in Chromium and the real engine: an HTTP server on
 * loopback that serves the built renderer, forwards `POST /api/<method>` to an engine and
 * streams its events on `GET /events` (server-sent events). The page gets `window.paddock`
 * from client.ts, so the renderer runs unchanged, with the same contract the preload gives it.
 *
 * The engine is either the real engine process (out/cli/engine.cjs, started in a lab host
 * over stdio: the same process the app starts as a utility process) or a recorded one that
 * answers from a saved snapshot through the real rules. Like the main process, the bridge
 * checks every request and answer against shared/api.ts.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { AppEvent, Envelope } from '../../../shared/api';
import { API, appEventSchema } from '../../../shared/api';
import { isEngineMessage } from '../../../electron/engine/service/protocol';

export interface EngineLink {
  call(method: string, request: unknown): Promise<Envelope<unknown>>;
  onEvent(listener: (event: AppEvent) => void): void;
  close(): Promise<void>;
}

const CALL_TIMEOUT_MS = 120_000;
const MAX_BODY = 1024 * 1024;

/** The engine process over stdio (one JSON object per line each way). */
export function stdioEngine(child: ChildProcess): EngineLink {
  let next = 1;
  const waiting = new Map<number, (envelope: Envelope<unknown>) => void>();
  const listeners: Array<(event: AppEvent) => void> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
  lines.on('line', (line) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (!isEngineMessage(message)) return;
    if (message.type === 'answer') {
      waiting.get(message.id)?.(message.envelope);
      waiting.delete(message.id);
    } else if (message.type === 'event') {
      for (const listener of listeners) listener(message.event);
    }
  });
  child.once('exit', (code, signal) => {
    for (const resolve of waiting.values())
      resolve({
        ok: false,
        error: {
          kind: 'unavailable',
          message: `The engine stopped (${signal ?? `exit ${code}`}): ${stderr.trim().slice(-300)}`,
        },
      });
    waiting.clear();
  });
  return {
    call: (method, request) =>
      new Promise((resolve) => {
        const id = next++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve({ ok: false, error: { kind: 'unavailable', message: `${method} timed out` } });
        }, CALL_TIMEOUT_MS);
        waiting.set(id, (envelope) => {
          clearTimeout(timer);
          resolve(envelope);
        });
        child.stdin!.write(`${JSON.stringify({ id, method, request })}\n`);
      }),
    onEvent: (listener) => listeners.push(listener),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface Bridge {
  url: string;
  /** Requests the page made, by method (what the test can assert the page asked for). */
  calls: string[];
  /** Pushes an event to every open page, as the main process would (tray, monitor). */
  push(event: AppEvent): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

function readBody(req: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

/** Serves `rendererDir` (the built renderer) and the API on 127.0.0.1, a free port. */
export async function startBridge(rendererDir: string, engine: EngineLink): Promise<Bridge> {
  const root = path.resolve(rendererDir);
  const streams = new Set<http.ServerResponse>();
  const calls: string[] = [];
  const push = (event: AppEvent) => {
    const checked = appEventSchema.safeParse(event);
    if (!checked.success) return;
    for (const res of streams) res.write(`data: ${JSON.stringify(checked.data)}\n\n`);
  };
  engine.onEvent(push);

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/events') {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        res.write(': connected\n\n');
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      if (req.method === 'POST' && url.pathname.startsWith('/api/')) {
        const method = url.pathname.slice('/api/'.length);
        calls.push(method);
        const body = await readBody(req);
        let request: unknown = null;
        try {
          request = body === null ? null : JSON.parse(body || '{}');
        } catch {
          request = null;
        }
        let envelope: Envelope<unknown>;
        if (!Object.hasOwn(API, method)) {
          envelope = {
            ok: false,
            error: { kind: 'invalid-request', message: `no method ${method}` },
          };
        } else {
          const contract = API[method as keyof typeof API];
          const parsed = contract.request.safeParse(request ?? {});
          if (!parsed.success) {
            envelope = {
              ok: false,
              error: { kind: 'invalid-request', message: `Refused ${method}: invalid request` },
            };
          } else {
            envelope = await engine.call(method, parsed.data);
            if (envelope.ok && !contract.result.safeParse(envelope.value).success)
              envelope = {
                ok: false,
                error: { kind: 'invalid-result', message: `invalid answer to ${method}` },
              };
          }
        }
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(envelope));
        return;
      }
      if (req.method !== 'GET') {
        res.writeHead(405).end();
        return;
      }
      const wanted = path.resolve(root, `.${decodeURIComponent(url.pathname)}`);
      const file =
        wanted === root || url.pathname.endsWith('/') ? path.join(root, 'index.html') : wanted;
      if (!file.startsWith(`${root}${path.sep}`) || !fs.existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      fs.createReadStream(file).pipe(res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    calls,
    push,
    close: async () => {
      for (const res of streams) res.end();
      streams.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A page's keep-alive connections would hold close() open until they time out (a hook
      // timeout under a busy CPU, seen once in CI): end them now.
      server.closeAllConnections();
      await closed;
      await engine.close();
    },
  };
}
