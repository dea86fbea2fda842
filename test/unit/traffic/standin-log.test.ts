/**
 * The access-log parser on real gin-style output: the stand-in Ollama test fixture runs on
 * 127.0.0.1 (a free port), receives a few requests with and without X-Forwarded-For, and its
 * stdout (gin lines) and stderr (slog lines) are parsed. A forged X-Forwarded-For shows up as
 * that client: the reason every client IP carries FORGEABLE_CLIENT_SENTENCE. Loopback only.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseServerLogFacts,
  summarizeAccessLog,
} from '../../../electron/engine/ollama/access-log';

const STANDIN = fileURLToPath(new URL('../../lab/fixtures/ollama-standin.cjs', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
) {
  return new Promise<number>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers, agent: false, timeout: 3000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('access log of a running stand-in', () => {
  let child: ChildProcess;
  let port: number;
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    port = await freePort();
    child = spawn(process.execPath, [STANDIN], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: '/nonexistent',
        OLLAMA_HOST: `127.0.0.1:${port}`,
        TZ: 'UTC',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const deadline = Date.now() + 5000;
    while (!stderr.includes('Listening on') && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 20));
    if (!stderr.includes('Listening on')) throw new Error(`stand-in did not start: ${stderr}`);
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r(null);
        }, 3000);
        child.once('exit', () => {
          clearTimeout(t);
          r(null);
        });
      });
    }
  });

  it('counts clients and endpoints; a forged X-Forwarded-For becomes the client', async () => {
    expect(await get(port, '/')).toBe(200);
    expect(await get(port, '/api/tags')).toBe(200);
    expect(await get(port, '/api/tags?x=1')).toBe(200);
    expect(await get(port, '/api/version', { 'X-Forwarded-For': '203.0.113.77' })).toBe(200);
    expect(await get(port, '/api/ps', { 'X-Forwarded-For': '198.51.100.1, 203.0.113.78' })).toBe(
      200,
    );
    expect(await get(port, '/api/tags', { 'X-Real-IP': '2001:db8::bad' })).toBe(200);
    expect(await get(port, '/nope')).toBe(404);
    const body = JSON.stringify({ model: 'llama3.2:3b', prompt: 'hi', stream: false });
    expect(
      await get(port, '/api/generate', { 'Content-Type': 'application/json' }, 'POST', body),
    ).toBe(200);
    // gin logs when the handler returns; give the last line a moment.
    const deadline = Date.now() + 2000;
    while (
      stdout.split('\n').filter((l) => l.startsWith('[GIN]')).length < 8 &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 20));

    const report = summarizeAccessLog(stdout, { timeZone: 'utc' });
    expect(report).toMatchObject({ requests: 8, invalidLines: 0, otherLines: 0 });
    const byClient = Object.fromEntries(report.clients.map((c) => [c.client, c]));
    expect(Object.keys(byClient).sort()).toEqual([
      '127.0.0.1',
      '198.51.100.1',
      '2001:db8::bad',
      '203.0.113.77',
    ]);
    expect(byClient['127.0.0.1']).toMatchObject({ requests: 5, failed: 1, forgeable: true });
    expect(byClient['127.0.0.1']!.endpoints).toEqual([
      { path: '/api/tags', count: 2 },
      { path: '/', count: 1 },
      { path: '/api/generate', count: 1 },
      { path: '/nope', count: 1 },
    ]);
    // Nobody at 203.0.113.77 connected: the caller said so, and gin believed it.
    expect(byClient['203.0.113.77']).toMatchObject({
      requests: 1,
      scope: 'public',
      endpoints: [{ path: '/api/version', count: 1 }],
    });
    expect(byClient['198.51.100.1']!.endpoints).toEqual([{ path: '/api/ps', count: 1 }]);
    expect(byClient['2001:db8::bad']!.requests).toBe(1);
    expect(byClient['127.0.0.1']!.totalLatencyMs).toBeGreaterThan(0);
    const now = Date.now();
    expect(Math.abs(Date.parse(report.lastSeen!) - now)).toBeLessThan(60_000);
  });

  it('reads the stand-in server log: bind, version and OLLAMA_HOST', () => {
    const facts = parseServerLogFacts(stderr);
    expect(facts.listening).toEqual({ address: '127.0.0.1', port, raw: `127.0.0.1:${port}` });
    expect(facts.version).toBe('0.12.10');
    const host = facts.config!.find((e) => e.name === 'OLLAMA_HOST');
    expect(host?.value).toBe(`http://127.0.0.1:${port}`);
    expect(facts.config!.find((e) => e.name === 'OLLAMA_ORIGINS')?.value).toMatch(
      /^\[http:\/\/localhost /,
    );
  });
});
