/**
 * HTTP over a real unix socket: a node:http server in a temp dir answers like the Docker
 * Engine API, and the probe reads it through host/unix-http.ts. Also a real missing socket
 * path (unavailable) and a socket file nobody listens on (refused).
 */
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeHost } from '../../../electron/engine/host/node-host';
import { unixHttpGet } from '../../../electron/engine/host/unix-http';
import { probeDocker } from '../../../electron/engine/probes/docker';

const API_JSON = fs
  .readFileSync(path.join(__dirname, '../../fixtures/docker/containers-json-v1.41.txt'), 'utf8')
  .split('\n')
  .filter((l) => !l.startsWith('#'))
  .join('\n');

const onUnix = process.platform !== 'win32';

describe.skipIf(!onUnix)('the Engine API over a real unix socket', () => {
  let dir: string;
  const servers: Server[] = [];
  const seen: string[] = [];

  const listen = async (name: string, handler: Parameters<typeof createServer>[1]) => {
    const socketPath = path.join(dir, name);
    const server = createServer(handler!);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return socketPath;
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-docker-'));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const host = (dockerHost: string) => {
    const real = createNodeHost();
    return { ...real, env: (n: string) => (n === 'DOCKER_HOST' ? dockerHost : real.env(n)) };
  };

  it('lists containers and finds Ollama, via GET /v1.41/containers/json', async () => {
    const socketPath = await listen('engine.sock', (req, res) => {
      seen.push(`${req.method} ${req.url} host=${req.headers.host}`);
      if (req.url === '/v1.41/containers/json') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': '1.41' });
        res.end(API_JSON);
      } else res.writeHead(404).end('{"message":"page not found"}');
    });
    const result = await probeDocker(host(`unix://${socketPath}`), { unixHttp: unixHttpGet });
    expect(result.status).toBe('ok');
    expect(seen).toContain('GET /v1.41/containers/json host=docker');
    expect(result.data!.endpoints).toEqual([socketPath]);
    expect(result.data!.ollama.map((c) => [c.names[0], c.publishedBeyondLoopback])).toEqual([
      ['ollama', true],
      ['ollama-local', false],
    ]);
    expect(result.evidence[0]).toMatchObject({
      kind: 'http',
      ref: `GET unix:${socketPath}:/v1.41/containers/json`,
      outcome: 'HTTP 200',
    });
  });

  it('an engine too old for v1.41 answers 400; the probe retries unversioned', async () => {
    const socketPath = await listen('old.sock', (req, res) => {
      if (req.url?.startsWith('/v1.41/')) {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(
          '{"message":"client version 1.41 is too new. Maximum supported API version is 1.40"}\n',
        );
      } else if (req.url === '/containers/json') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('[]');
      } else res.writeHead(404).end();
    });
    const result = await probeDocker(host(`unix://${socketPath}`), { unixHttp: unixHttpGet });
    expect(result.status).toBe('ok');
    expect(result.data).toMatchObject({ apiVersion: null, containers: [], ollama: [] });
  });

  it('a real missing socket path is unavailable (and the CLI, absent here, too)', async () => {
    const missing = path.join(dir, 'no-such-dir', 'docker.sock');
    const direct = await unixHttpGet({ socketPath: missing, path: '/_ping' });
    expect(direct).toMatchObject({ ok: false, error: 'missing', code: 'ENOENT' });
    const result = await probeDocker(host(`unix://${missing}`), { unixHttp: unixHttpGet });
    expect(['unavailable']).toContain(result.status);
  });

  it('a socket file with nobody listening is refused', async () => {
    const stale = path.join(dir, 'stale.sock');
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen(stale, resolve));
    // Closing a unix-socket server removes the file; make a stale one by hand.
    await new Promise((r) => server.close(r));
    const s2 = createNetServer();
    await new Promise<void>((resolve) => s2.listen(stale, resolve));
    fs.renameSync(stale, `${stale}.keep`);
    await new Promise((r) => s2.close(r));
    fs.renameSync(`${stale}.keep`, stale);
    const result = await unixHttpGet({ socketPath: stale, path: '/_ping' });
    expect(result).toMatchObject({ ok: false, error: 'refused' });
  });

  it('bounds: a body over the cap is cut, a silent engine times out', async () => {
    const big = await listen('big.sock', (_req, res) => {
      res.writeHead(200);
      res.end('x'.repeat(2 * 1024 * 1024));
    });
    const r1 = await unixHttpGet({ socketPath: big, path: '/', maxBodyBytes: 1024 });
    expect(r1).toMatchObject({ ok: true, truncated: true });
    if (r1.ok) expect(r1.body.length).toBe(1024);
    const silent = await listen('silent.sock', () => undefined);
    const started = performance.now();
    const r2 = await unixHttpGet({ socketPath: silent, path: '/', totalTimeoutMs: 300 });
    expect(r2).toMatchObject({ ok: false, error: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
