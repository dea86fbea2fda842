/**
 * The stand-in Ollama test fixture behaves like `ollama serve` where Paddock looks:
 * bind address per OLLAMA_HOST, HTTP surface, CORS, Host check, logs, hostile modes, and a
 * process that a probe recognises. Facts: shared/docs/ollama-facts.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STANDIN_FIXTURE, StandinStartError, createLab, describeLab, leftovers } from './lab';
import type { Lab, Standin } from './lab';

interface ParsedHost {
  scheme: string;
  host: string;
  port: string;
  hostport: string;
  url: string;
  warning: { port: string; default: string } | null;
}
const fixture = createRequire(import.meta.url)(STANDIN_FIXTURE) as {
  parseOllamaHost(value: string | undefined): ParsedHost;
  goDuration(ns: number): string;
  goQuote(s: string): string;
};

describe('stand-in: OLLAMA_HOST parsing (ollama-facts.md "OLLAMA_HOST"), no lab needed', () => {
  it.each([
    [undefined, 'http://127.0.0.1:11434'],
    ['', 'http://127.0.0.1:11434'],
    ['0.0.0.0', 'http://0.0.0.0:11434'],
    [':11434', 'http://:11434'],
    ['[::]', 'http://[::]:11434'],
    ['::', 'http://[::]:11434'],
    ['http://0.0.0.0:11434', 'http://0.0.0.0:11434'],
    ['http://0.0.0.0', 'http://0.0.0.0:80'],
    ['https://0.0.0.0', 'https://0.0.0.0:443'],
    ['192.168.1.20', 'http://192.168.1.20:11434'],
    ['example.com', 'http://example.com:11434'],
    [':66000', 'http://:11434'],
    ['" 0.0.0.0 "', 'http://0.0.0.0:11434'],
    ["'0.0.0.0:8081'", 'http://0.0.0.0:8081'],
    ['0.0.0.0:11434/some/path', 'http://0.0.0.0:11434/some/path'],
    ['ollama.com', 'https://ollama.com:443'],
    ['0.0.0.0:abc', 'http://0.0.0.0:11434'],
  ])('%j means %s', (value, url) => {
    expect(fixture.parseOllamaHost(value).url).toBe(url);
  });

  it('warns about a bad port and names the default it falls back to', () => {
    expect(fixture.parseOllamaHost(':66000').warning).toEqual({ port: '66000', default: '11434' });
    expect(fixture.parseOllamaHost('http://0.0.0.0:-1').warning).toEqual({
      port: '-1',
      default: '80',
    });
  });

  it("formats gin's latency and path like Go", () => {
    expect(fixture.goDuration(1_234_567)).toBe('1.234567ms');
    expect(fixture.goDuration(12_500)).toBe('12.5µs');
    expect(fixture.goDuration(5_001_000_000)).toBe('5.001s');
    expect(fixture.goQuote('/api/"x"\n')).toBe('"/api/\\"x\\"\\n"');
  });
});

/** Local addresses of listening TCP sockets in the host, as `ss -Htln` prints them. */
async function listeners(lab: Lab): Promise<string[]> {
  const r = await lab.runInHost(['ss', '-Htln']);
  expect(r.code).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.trim().split(/\s+/)[3]!);
}

describeLab('stand-in Ollama in the lab', () => {
  let lab: Lab;
  const running: Standin[] = [];
  const start = async (env: Record<string, string>, opts?: { uid?: number }) => {
    const s = await lab.startStandin(env, opts);
    running.push(s);
    return s;
  };

  beforeAll(async () => {
    lab = await createLab({ publicInterface: true });
  });

  afterEach(async () => {
    while (running.length > 0) await running.pop()!.stop();
  });

  afterAll(async () => {
    await lab?.close();
    expect(await leftovers()).toEqual([]);
  });

  describe('binds where Ollama would (ollama-facts.md "OLLAMA_HOST" table)', () => {
    interface Case {
      name: string;
      value: (lab: Lab) => string | undefined;
      listen: (lab: Lab) => string;
      logged: (lab: Lab) => string;
      port: number;
      lan4: 'open' | 'refused';
      lan6: 'open' | 'refused';
      loopback: 'open' | 'refused';
    }
    const everywhere = (value: string, port = 11434): Case => ({
      name: JSON.stringify(value),
      value: () => value,
      listen: () => `*:${port}`,
      logged: () => `[::]:${port}`,
      port,
      lan4: 'open',
      lan6: 'open',
      loopback: 'open',
    });
    const cases: Case[] = [
      {
        name: 'unset',
        value: () => undefined,
        listen: () => '127.0.0.1:11434',
        logged: () => '127.0.0.1:11434',
        port: 11434,
        lan4: 'refused',
        lan6: 'refused',
        loopback: 'open',
      },
      {
        ...everywhere(''),
        name: 'empty',
        listen: () => '127.0.0.1:11434',
        logged: () => '127.0.0.1:11434',
        lan4: 'refused',
        lan6: 'refused',
      },
      everywhere('0.0.0.0'),
      everywhere(':11434'),
      everywhere('[::]'),
      everywhere('::'),
      everywhere('http://0.0.0.0:11434'),
      everywhere('http://0.0.0.0', 80),
      everywhere('0.0.0.0:8081', 8081),
      everywhere(':66000'),
      everywhere('" 0.0.0.0 "'),
      everywhere('0.0.0.0:11434/ignored/path'),
      {
        name: "the host's LAN address only",
        value: (l) => l.hostAddress4,
        listen: (l) => `${l.hostAddress4}:11434`,
        logged: (l) => `${l.hostAddress4}:11434`,
        port: 11434,
        lan4: 'open',
        lan6: 'refused',
        loopback: 'refused',
      },
      {
        name: "the host's IPv6 LAN address only",
        value: (l) => `[${l.hostAddress6}]:11434`,
        listen: (l) => `[${l.hostAddress6}]:11434`,
        logged: (l) => `[${l.hostAddress6}]:11434`,
        port: 11434,
        lan4: 'refused',
        lan6: 'open',
        loopback: 'refused',
      },
      {
        name: 'a local name (resolved, first IPv4)',
        value: (l) => l.hostName,
        listen: (l) => `${l.hostAddress4}:11434`,
        logged: (l) => `${l.hostAddress4}:11434`,
        port: 11434,
        lan4: 'open',
        lan6: 'refused',
        loopback: 'refused',
      },
      {
        name: 'localhost',
        value: () => 'localhost',
        listen: () => '127.0.0.1:11434',
        logged: () => '127.0.0.1:11434',
        port: 11434,
        lan4: 'refused',
        lan6: 'refused',
        loopback: 'open',
      },
      {
        name: '::1',
        value: () => '::1',
        listen: () => '[::1]:11434',
        logged: () => '[::1]:11434',
        port: 11434,
        lan4: 'refused',
        lan6: 'refused',
        loopback: 'refused', // 127.0.0.1 is not ::1
      },
    ];

    it.each(cases.map((c) => [c.name, c] as const))('OLLAMA_HOST=%s', async (_name, c) => {
      const value = c.value(lab);
      const s = await start(value === undefined ? {} : { OLLAMA_HOST: value });
      expect(await listeners(lab)).toEqual([c.listen(lab)]);
      expect(s.stderr()).toContain(`msg="Listening on ${c.logged(lab)} (version 0.12.10)"`);
      expect(await lab.connectFromLan(lab.hostAddress4, c.port)).toBe(c.lan4);
      expect(await lab.connectFromLan(lab.hostAddress6, c.port)).toBe(c.lan6);
      expect(await lab.connectFrom('host', '127.0.0.1', c.port)).toBe(c.loopback);
      const publicSide = await lab.connectFrom('public', lab.publicAddress4!, c.port);
      expect(publicSide).toBe(c.listen(lab).startsWith('*:') ? 'open' : 'refused');
    });

    it('logs the bad-port fallback the way Ollama does', async () => {
      const s = await start({ OLLAMA_HOST: ':66000' });
      expect(s.stderr()).toMatch(
        /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d WARN invalid port, using default port=66000 default=11434$/m,
      );
      expect(s.stderr()).toMatch(
        /level=WARN source=config\.go:\d+ msg="invalid port, using default" port=66000 default=11434/,
      );
    });

    it('fails at start, like ollama serve, for a name that does not resolve', async () => {
      const err = await lab
        .startStandin({ OLLAMA_HOST: 'pdk-no-such-host.invalid' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StandinStartError);
      expect((err as StandinStartError).exitCode).toBe(1);
      expect((err as StandinStartError).stderr).toMatch(
        /^Error: listen tcp: lookup pdk-no-such-host\.invalid/m,
      );
    });

    it("fails at start for another machine's address", async () => {
      const err = (await lab
        .startStandin({ OLLAMA_HOST: lab.lanAddress4 })
        .catch((e: unknown) => e)) as StandinStartError;
      expect(err.exitCode).toBe(1);
      expect(err.stderr).toContain(
        `Error: listen tcp ${lab.lanAddress4}:11434: bind: cannot assign requested address`,
      );
    });

    it('fails at start when the port is taken', async () => {
      await start({ OLLAMA_HOST: '0.0.0.0' });
      const err = (await lab
        .startStandin({ OLLAMA_HOST: '127.0.0.1' })
        .catch((e: unknown) => e)) as StandinStartError;
      expect(err.exitCode).toBe(1);
      expect(err.stderr).toContain('bind: address already in use');
    });
  });

  describe('HTTP surface (ollama-facts.md "HTTP surface")', () => {
    it('answers / , /api/version, /api/tags, /api/ps and streams /api/generate', async () => {
      await start({ OLLAMA_HOST: '0.0.0.0' });
      const base = `http://${lab.hostAddress4}:11434`;
      const root = await lab.httpFromLan(`${base}/`);
      expect(root.status).toBe(200);
      expect(root.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(root.body).toBe('Ollama is running');
      expect(root.headers.server).toBeUndefined();
      const head = await lab.httpFromLan(`${base}/`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.body).toBe('');

      const version = await lab.httpFromLan(`${base}/api/version`);
      expect(JSON.parse(version.body)).toEqual({ version: '0.12.10' });
      expect(version.headers['content-type']).toBe('application/json; charset=utf-8');

      const tags = JSON.parse((await lab.httpFromLan(`${base}/api/tags`)).body) as {
        models: Array<Record<string, unknown>>;
      };
      expect(tags.models).toHaveLength(2);
      for (const m of tags.models) {
        expect(Object.keys(m).sort()).toEqual([
          'details',
          'digest',
          'model',
          'modified_at',
          'name',
          'size',
        ]);
        expect(Object.keys(m.details as object)).toEqual(
          expect.arrayContaining([
            'format',
            'family',
            'families',
            'parameter_size',
            'quantization_level',
          ]),
        );
      }
      const ps = JSON.parse((await lab.httpFromLan(`${base}/api/ps`)).body) as {
        models: Array<Record<string, unknown>>;
      };
      expect(ps.models).toHaveLength(1);
      expect(ps.models[0]).toMatchObject({
        name: 'llama3.2:3b',
        size_vram: expect.any(Number),
        expires_at: expect.any(String),
      });

      const gen = await lab.httpFromLan(`${base}/api/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama3.2:3b', prompt: 'Why is the sky blue?' }),
      });
      expect(gen.status).toBe(200);
      expect(gen.headers['content-type']).toBe('application/x-ndjson');
      const lines = gen.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.length).toBeGreaterThan(2);
      expect(lines.slice(0, -1).every((l) => l.done === false)).toBe(true);
      expect(lines.at(-1)).toMatchObject({
        done: true,
        total_duration: expect.any(Number),
        eval_count: expect.any(Number),
      });

      const missing = await lab.httpFromLan(`${base}/api/generate`, {
        method: 'POST',
        body: '{"model":"nope","prompt":"x"}',
      });
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.body)).toEqual({ error: "model 'nope' not found" });
    });

    it('answers unknown paths with 404 and wrong methods with 405', async () => {
      await start({ OLLAMA_HOST: '0.0.0.0' });
      const base = `http://${lab.hostAddress4}:11434`;
      const notFound = await lab.httpFromLan(`${base}/nope`);
      expect(notFound.status).toBe(404);
      expect(notFound.body).toBe('404 page not found');
      const wrong = await lab.httpFromLan(`${base}/api/tags`, { method: 'POST' });
      expect(wrong.status).toBe(405);
      expect(wrong.body).toBe('405 method not allowed');
      const wrongGen = await lab.httpFromLan(`${base}/api/generate`);
      expect(wrongGen.status).toBe(405);
      expect(wrongGen.headers.allow).toBe('POST');
    });

    it('serves models and loaded models from STANDIN_MODELS_FILE / STANDIN_PS_FILE, version from STANDIN_VERSION', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-standin-data-'));
      try {
        const model = {
          name: 'tiny:1b',
          model: 'tiny:1b',
          modified_at: '2026-01-01T00:00:00Z',
          size: 1,
          digest: 'ab',
          details: {},
        };
        fs.writeFileSync(path.join(dir, 'tags.json'), JSON.stringify({ models: [model] }));
        fs.writeFileSync(path.join(dir, 'ps.json'), JSON.stringify([]));
        await start({
          OLLAMA_HOST: '0.0.0.0',
          STANDIN_MODELS_FILE: path.join(dir, 'tags.json'),
          STANDIN_PS_FILE: path.join(dir, 'ps.json'),
          STANDIN_VERSION: '0.1.28',
        });
        const base = `http://${lab.hostAddress4}:11434`;
        expect(JSON.parse((await lab.httpFromLan(`${base}/api/tags`)).body)).toEqual({
          models: [model],
        });
        expect(JSON.parse((await lab.httpFromLan(`${base}/api/ps`)).body)).toEqual({ models: [] });
        expect(JSON.parse((await lab.httpFromLan(`${base}/api/version`)).body)).toEqual({
          version: '0.1.28',
        });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('logs (ollama-facts.md "Logs")', () => {
    it('writes the server config and bind to stderr, gin access lines to stdout', async () => {
      const s = await start({ OLLAMA_HOST: '0.0.0.0', OLLAMA_ORIGINS: 'https://app.example.com' });
      expect(s.stderr()).toMatch(
        /^time=\S+ level=INFO source=routes\.go:\d+ msg="server config" env="map\[.*OLLAMA_HOST:http:\/\/0\.0\.0\.0:11434 .*OLLAMA_ORIGINS:\[https:\/\/app\.example\.com http:\/\/localhost .*vscode-file:\/\/\*\] .*\]"$/m,
      );
      expect(s.stderr()).toMatch(
        /^time=\S+ level=INFO source=routes\.go:\d+ msg="Listening on \[::\]:11434 \(version 0\.12\.10\)"$/m,
      );
      const base = `http://${lab.hostAddress4}:11434`;
      await lab.httpFromLan(`${base}/api/tags`);
      await lab.httpFromLan(`${base}/api/version?x=1`, {
        headers: { 'X-Forwarded-For': '203.0.113.250, 10.0.0.9' },
      });
      await lab.httpFromLan(`${base}/missing`, { headers: { 'X-Real-IP': '198.51.100.4' } });
      const lines = s.stdout().trim().split('\n');
      const lan = lab.lanAddress4.replace(/\./g, '\\.');
      expect(lines[0]).toMatch(
        new RegExp(
          `^\\[GIN\\] \\d{4}/\\d\\d/\\d\\d - \\d\\d:\\d\\d:\\d\\d \\| 200 \\| +\\d+(\\.\\d+)?(ns|µs|ms|s) \\| +${lan} \\| GET      "/api/tags"$`,
        ),
      );
      expect(lines[0]!.split('|')[2]).toHaveLength(15); // " %13v "
      expect(lines[0]!.split('|')[3]).toHaveLength(17); // " %15s "
      expect(lines[1]).toMatch(/\| 200 \|.*\| +203\.0\.113\.250 \| GET {6}"\/api\/version\?x=1"$/);
      expect(lines[2]).toMatch(/\| 404 \|.*\| +198\.51\.100\.4 \| GET {6}"\/missing"$/);
    });

    it('exits cleanly on SIGTERM', async () => {
      const s = await lab.startStandin({});
      await s.stop();
      expect(s.exitCode()).toBe(0);
    });
  });

  describe('CORS (ollama-facts.md "OLLAMA_ORIGINS")', () => {
    const get = (origin: string, host?: string) =>
      lab.httpFromLan(`http://${lab.hostAddress4}:11434/api/tags`, {
        headers: { Origin: origin, ...(host ? { Host: host } : {}) },
      });

    it('refuses a foreign Origin, echoes an allowed one, lets same-origin through', async () => {
      await start({ OLLAMA_HOST: '0.0.0.0' });
      const evil = await get('https://evil.example');
      expect(evil.status).toBe(403);
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
      for (const origin of [
        'http://localhost',
        'http://localhost:3000',
        'https://127.0.0.1:8443',
        'app://anything',
        'vscode-webview://abc',
      ]) {
        const ok = await get(origin);
        expect([origin, ok.status]).toEqual([origin, 200]);
        expect(ok.headers['access-control-allow-origin']).toBe(origin);
      }
      const same = await get(`http://${lab.hostAddress4}:11434`);
      expect(same.status).toBe(200);
      expect(same.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await lab.httpFromLan(`http://${lab.hostAddress4}:11434/api/generate`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    });

    it('adds OLLAMA_ORIGINS entries to the built-ins', async () => {
      await start({
        OLLAMA_HOST: '0.0.0.0',
        OLLAMA_ORIGINS: 'https://app.example.com,https://*.trusted.example',
      });
      expect((await get('https://app.example.com')).status).toBe(200);
      expect((await get('https://x.trusted.example')).status).toBe(200);
      expect((await get('http://localhost:8080')).status).toBe(200);
      expect((await get('https://evil.example')).status).toBe(403);
    });

    it('allows every origin with OLLAMA_ORIGINS=*, answering ACAO: *', async () => {
      await start({ OLLAMA_HOST: '0.0.0.0', OLLAMA_ORIGINS: '*' });
      const r = await get('https://evil.example');
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBe('*');
    });

    it('panics at start with "bad origin" for a space after the comma (exit code 2)', async () => {
      const err = (await lab
        .startStandin({
          OLLAMA_HOST: '0.0.0.0',
          OLLAMA_ORIGINS: 'https://a.example, https://b.example',
        })
        .catch((e: unknown) => e)) as StandinStartError;
      expect(err).toBeInstanceOf(StandinStartError);
      expect(err.exitCode).toBe(2);
      expect(err.stderr).toMatch(
        /^panic: bad origin: origins must contain '\*' or include http:\/\/,https:\/\//m,
      );
      expect(err.stderr).not.toContain('Listening on');
    });
  });

  describe('Host-header check (ollama-facts.md "Host-header check")', () => {
    const fromHost = (host: string) =>
      lab.httpFrom('host', 'http://127.0.0.1:11434/api/version', { headers: { Host: host } });

    it('on a loopback bind, refuses foreign Host names and allows local ones', async () => {
      await start({});
      expect((await fromHost('evil.example')).status).toBe(403);
      expect((await fromHost('evil.example:11434')).status).toBe(403);
      expect((await fromHost('8.8.8.8:11434')).status).toBe(403); // a public IP literal, not local
      for (const host of [
        'localhost',
        'localhost:11434',
        '127.0.0.1:11434',
        '[::1]:11434',
        'app.localhost',
        'printer.local',
        'svc.internal',
        '10.1.2.3',
        '0.0.0.0:11434',
        os.hostname(),
        `${lab.publicAddress4!}:11434`, // not private, but an address of a local interface
      ]) {
        const r = await fromHost(host);
        expect([host, r.status]).toEqual([host, 200]);
      }
    });

    it('does not check Host on a non-loopback bind', async () => {
      await start({ OLLAMA_HOST: '0.0.0.0' });
      const r = await lab.httpFromLan(`http://${lab.hostAddress4}:11434/api/version`, {
        headers: { Host: 'evil.example' },
      });
      expect(r.status).toBe(200);
    });
  });

  describe('hostile modes (STANDIN_MODE)', () => {
    const base = () => `http://${lab.hostAddress4}:11434`;

    it('huge: /api/tags answers 10 MB', async () => {
      await start({ OLLAMA_HOST: '0.0.0.0', STANDIN_MODE: 'huge' });
      const r = await lab.httpFromLan(`${base()}/api/tags`, { maxBytes: 1024, timeoutMs: 10_000 });
      expect(r.status).toBe(200);
      expect(r.bodyBytes).toBeGreaterThanOrEqual(10 * 1024 * 1024);
      expect(r.body.length).toBeLessThan(200_000);
    });

    it('silent: accepts connections and never answers', async () => {
      const s = await start({ OLLAMA_HOST: '0.0.0.0', STANDIN_MODE: 'silent' });
      expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('open');
      const r = await lab.httpFromLan(`${base()}/`, { timeoutMs: 600 });
      expect(r.error).toBe('timeout');
      expect(r.status).toBeNull();
      expect(s.stdout()).toBe('');
    });

    it('badjson: /api/* answers 200 with invalid JSON', async () => {
      await start({ OLLAMA_HOST: '0.0.0.0', STANDIN_MODE: 'badjson' });
      for (const p of ['/api/tags', '/api/version', '/api/ps']) {
        const r = await lab.httpFromLan(`${base()}${p}`);
        expect(r.status).toBe(200);
        expect(() => JSON.parse(r.body)).toThrow();
      }
      expect((await lab.httpFromLan(`${base()}/`)).body).toBe('Ollama is running');
    });

    it('markup: model names carry HTML and shell', async () => {
      await start({ OLLAMA_HOST: '0.0.0.0', STANDIN_MODE: 'markup' });
      const tags = JSON.parse((await lab.httpFromLan(`${base()}/api/tags`)).body) as {
        models: Array<{ name: string }>;
      };
      const names = tags.models.map((m) => m.name);
      expect(names).toContain('<img src=x onerror=alert(1)>');
      expect(names).toContain('"; rm -rf /');
    });

    it('slow: answers only after 5 s', async () => {
      await start({ OLLAMA_HOST: '0.0.0.0', STANDIN_MODE: 'slow' });
      const quick = await lab.httpFromLan(`${base()}/api/version`, { timeoutMs: 1000 });
      expect(quick.error).toBe('timeout');
      const t0 = performance.now();
      const r = await lab.httpFromLan(`${base()}/api/version`, { timeoutMs: 8000 });
      expect(r.status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThan(4500);
    }, 20_000);
  });

  describe('looks like Ollama to a process probe', () => {
    it('has argv [.../ollama, serve], comm "ollama", and shows in the host PID namespace', async () => {
      const s = await start({ OLLAMA_HOST: '0.0.0.0' });
      const cmdline = fs.readFileSync(`/proc/${s.pid}/cmdline`, 'utf8');
      expect(cmdline).toBe(`${s.dir}/bin/ollama\0serve\0`);
      expect(cmdline).toMatch(/\/ollama\0serve\0$/);
      expect(fs.readFileSync(`/proc/${s.pid}/comm`, 'utf8').trim()).toBe('ollama');
      expect(s.hostPid).toBeGreaterThan(1);
      // In a PID namespace of its own: the kernel lists its pid there after the root one
      // (NSpid). Not "smaller than the root pid": after pid_max the root pids wrap around.
      const nspid = /^NSpid:\s+(.+)$/m
        .exec(fs.readFileSync(`/proc/${s.pid}/status`, 'utf8'))![1]!
        .trim()
        .split(/\s+/)
        .map(Number);
      expect(nspid).toEqual([s.pid, s.hostPid]);
      const inside = await lab.runInHost(['cat', `/proc/${s.hostPid}/cmdline`]);
      expect(inside.stdout).toBe(cmdline);
      const environ = fs.readFileSync(`/proc/${s.pid}/environ`, 'utf8').split('\0');
      expect(environ).toContain('OLLAMA_HOST=0.0.0.0');
      const ss = await lab.runInHost(['ss', '-Htlnp']);
      expect(ss.stdout).toContain(`users:(("ollama",pid=${s.hostPid},`);
    });

    it('runs as another user when asked', async () => {
      const s = await start({ OLLAMA_HOST: '0.0.0.0' }, { uid: 65534 });
      expect(fs.readFileSync(`/proc/${s.pid}/status`, 'utf8')).toMatch(/^Uid:\s+65534\s+65534/m);
      expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('open');
    });
  });
});
