/**
 * The fingerprint against real HTTP servers on loopback: an Ollama-like one and hostile ones
 * (huge, silent, invalid JSON, markup in names, not HTTP at all).
 */
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createNodeHost } from '../../../electron/engine/host/node-host';
import { fingerprintListener } from '../../../electron/engine/probes/fingerprint';
import type { Handler } from '../../support/loopback-http';
import { closeAfterTest, closeLatest, serve } from '../../support/loopback-http';

const ollamaLike =
  (overrides: Partial<Record<string, unknown>> = {}): Handler =>
  (req, res) => {
    const origin = req.headers.origin;
    if (origin && origin !== 'http://localhost') {
      res.writeHead(403).end();
      return;
    }
    const json = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Ollama is running');
    } else if (req.url === '/api/version') json(overrides.version ?? { version: '0.12.10' });
    else if (req.url === '/api/tags')
      json(overrides.tags ?? { models: [{ name: 'llama3.2:3b', size: 2019393189 }] });
    else if (req.url === '/api/ps')
      json(overrides.ps ?? { models: [{ name: 'llama3.2:3b', size: 3e9, size_vram: 3e9 }] });
    else res.writeHead(404).end('404 page not found');
  };

const host = createNodeHost();

describe('fingerprintListener', () => {
  it('recognises Ollama by its banner and reads version, models, loaded models', async () => {
    const port = await serve(ollamaLike());
    const { fingerprint, evidence } = await fingerprintListener(host, '127.0.0.1', port);
    expect(fingerprint).toMatchObject({
      identity: 'ollama',
      banner: 'Ollama is running',
      version: '0.12.10',
      models: [{ name: 'llama3.2:3b', size: 2019393189 }],
      loadedModels: [{ name: 'llama3.2:3b', sizeVram: 3e9 }],
      foreignOriginAllowed: false,
      foreignHostRefused: false,
      authRequired: false,
    });
    expect(evidence.map((e) => e.ref)).toContain(`GET http://127.0.0.1:${port}/api/tags`);
  });

  it('reports a foreign Origin as allowed when the server echoes * (OLLAMA_ORIGINS=*)', async () => {
    const port = await serve((req, res) => {
      res.writeHead(200, {
        'Access-Control-Allow-Origin': '*',
        'Content-Type': 'application/json',
      });
      res.end(
        req.url === '/' ? 'Ollama is running' : JSON.stringify({ version: '0.5.1', models: [] }),
      );
    });
    const { fingerprint } = await fingerprintListener(host, '127.0.0.1', port);
    expect(fingerprint.foreignOriginAllowed).toBe(true);
  });

  it('treats a 10 MB answer as too large: cut at its cap, not parsed, still finishes', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 'x');
    const port = await serve((req, res) => {
      if (req.url === '/') return void res.writeHead(200).end('Ollama is running');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(big);
    });
    const started = performance.now();
    const { fingerprint, evidence } = await fingerprintListener(host, '127.0.0.1', port);
    expect(performance.now() - started).toBeLessThan(3500);
    expect(fingerprint.identity).toBe('ollama');
    expect(fingerprint.models).toBeNull();
    expect(fingerprint.problems.join(' ')).toMatch(/size cap/);
    expect(evidence.find((e) => e.ref.endsWith('/api/tags'))?.outcome).toBe(
      'HTTP 200, body cut at the 256 KiB cap',
    );
  });

  it('gives up on a server that never answers within the 3 s budget', async () => {
    const port = await serve(() => undefined);
    const started = performance.now();
    const { fingerprint, evidence } = await fingerprintListener(host, '127.0.0.1', port);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2900);
    expect(elapsed).toBeLessThan(3600);
    expect(fingerprint.identity).toBe('no-answer');
    expect(evidence[0]?.outcome).toMatch(/3000 ms/);
  });

  it('reports invalid JSON as a problem, not a crash', async () => {
    const port = await serve((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(req.url === '/' ? 'Ollama is running' : '{"models": [ {"name": "x"');
    });
    const { fingerprint } = await fingerprintListener(host, '127.0.0.1', port);
    expect(fingerprint.identity).toBe('ollama');
    expect(fingerprint.version).toBeNull();
    expect(fingerprint.problems).toContain('/api/tags answered with invalid JSON');
  });

  it('keeps markup and control characters in model names as inert text', async () => {
    const hostile = '<img src=x onerror=alert(1)>\u001b[2J"; rm -rf /';
    const port = await serve(ollamaLike({ tags: { models: [{ name: hostile, size: 'huge' }] } }));
    const { fingerprint } = await fingerprintListener(host, '127.0.0.1', port);
    const name = fingerprint.models?.[0]?.name ?? '';
    expect(name).toContain('<img src=x onerror=alert(1)>');
    expect(name).not.toContain('\u001b');
    expect(fingerprint.models?.[0]?.size).toBeNull();
  });

  it('reads model names as one line: a line break cannot forge a line of output', async () => {
    const forged = 'Verdict: private to this computer (score 100)';
    const names = ['\n', '\r\n', '\u2028', '\u2029', '\t', '\u000b'].map((s) => `m${s}${forged}`);
    const models = names.map((name) => ({ name, size: 1 }));
    const port = await serve(ollamaLike({ tags: { models }, ps: { models } }));
    const { fingerprint } = await fingerprintListener(host, '127.0.0.1', port);
    for (const list of [fingerprint.models!, fingerprint.loadedModels!])
      for (const model of list) {
        // eslint-disable-next-line no-control-regex -- looking for control characters is the point
        expect(model.name).not.toMatch(/[\n\r\t\u000b\u2028\u2029]/);
        expect(model.name).toMatch(/^m +Verdict: private/);
      }
  });

  it('rejects a version field that is not a version number', async () => {
    const port = await serve(ollamaLike({ version: { version: '<script>alert(1)</script>' } }));
    const { fingerprint } = await fingerprintListener(host, '127.0.0.1', port);
    expect(fingerprint.version).toBeNull();
    expect(fingerprint.problems.join(' ')).toMatch(/not a version number/);
  });

  it('says "other-http" for a web server that is not Ollama, and reports credentials demanded', async () => {
    const port = await serve((_req, res) =>
      res.writeHead(401, { 'WWW-Authenticate': 'Basic' }).end('nope'),
    );
    const { fingerprint } = await fingerprintListener(host, '127.0.0.1', port);
    expect(fingerprint.identity).toBe('other-http');
    expect(fingerprint.authRequired).toBe(true);
  });

  it('says "not-http" for a listener that speaks something else', async () => {
    const server = createTcpServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closeAfterTest(() => server.close());
    const { fingerprint } = await fingerprintListener(
      host,
      '127.0.0.1',
      (server.address() as AddressInfo).port,
    );
    expect(fingerprint.identity).toBe('not-http');
  });

  it('says "no-answer" for a closed port', async () => {
    const port = await serve(() => undefined);
    closeLatest();
    const { fingerprint } = await fingerprintListener(host, '127.0.0.1', port);
    expect(fingerprint.identity).toBe('no-answer');
    expect(fingerprint.problems[0]).toMatch(/refused/);
  });
});
