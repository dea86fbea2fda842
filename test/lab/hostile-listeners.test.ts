/**
 * Security review F9: 64 hostile listeners beside a real (stand-in) Ollama, each answering
 * every path with a huge body (a 16 MiB Content-Length), an endless one or a slow one (a byte
 * every 100 ms). A scan run as an ordinary user (every listener's owner hidden, so each is a
 * candidate) must finish, still find Ollama and judge it as the network does, and say which
 * listeners it could not read: never take them silently for "not Ollama". Its speed and
 * memory are measured by `npm run bench -- hostile-listeners`, not here.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab, describeLab } from './lab';
import { CLI, expectedVerdict, runScan } from './scan-helpers';

const NOBODY = 65534;
const LISTENERS = 64;
const BASE_PORT = 21000;

/** Plain CommonJS run inside the lab host: the hostile listeners, gone within 2 minutes. */
const HOSTILE_SERVER = `'use strict';
const http = require('node:http');
const chunk = Buffer.alloc(64 * 1024, 'x');
const [base, count] = process.argv.slice(2).map(Number);
function pump(res, limit) {
  let sent = 0;
  let closed = false;
  res.once('close', () => (closed = true));
  const more = () => {
    while (!closed && sent < limit) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    if (!closed) res.end();
  };
  more();
}
let up = 0;
for (let i = 0; i < count; i += 1) {
  const mode = ['huge', 'endless', 'slow'][i % 3];
  const server = http.createServer((req, res) => {
    if (mode === 'huge') {
      res.writeHead(200, { 'Content-Length': String(16 * 1024 * 1024) });
      pump(res, 16 * 1024 * 1024);
    } else if (mode === 'endless') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      pump(res, Infinity);
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const timer = setInterval(() => res.write('x'), 100);
      res.once('close', () => clearInterval(timer));
    }
  });
  server.listen(base + i, '127.0.0.1', () => {
    up += 1;
    if (up === count) process.stdout.write('listening\\n');
  });
}
setTimeout(() => process.exit(0), 120000);
`;

describeLab('64 hostile listeners: the scan finishes and says what it could not read', () => {
  let lab: Lab;
  let dir: string;
  let standin: Standin;
  let hostile: ChildProcess;

  beforeAll(async () => {
    lab = await createLab();
    dir = mkdtempSync(join(tmpdir(), 'pdk-hostile-listeners-'));
    chmodSync(dir, 0o755);
    const script = join(dir, 'hostile.cjs');
    writeFileSync(script, HOSTILE_SERVER, { mode: 0o644 });
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' }); // root's
    hostile = lab.spawnInHost([process.execPath, script, String(BASE_PORT), String(LISTENERS)]);
    hostile.stdout?.setEncoding('utf8');
    let out = '';
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      hostile.stdout?.on('data', (c: string) => {
        out += c;
        if (out.includes('listening')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      hostile.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ready) throw new Error(`the hostile listeners did not start: ${out}`);
  });
  afterAll(async () => {
    if (hostile && hostile.exitCode === null) {
      try {
        process.kill(await lab.innerPid(hostile, 1000), 'SIGKILL');
      } catch {
        hostile.kill('SIGKILL');
      }
    }
    await standin?.stop();
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('paddock scan --json as an ordinary user: Ollama found and judged; the unread listeners say why', async () => {
    const { json, code } = await runScan(lab, {
      uid: NOBODY,
      env: { HOME: '/nonexistent' },
      timeoutMs: 30_000,
    });
    const truth = await expectedVerdict(lab, 11434);
    expect(truth).toBe('lan');
    expect(json.verdict).toBe(truth);
    expect(code).toBe(1);

    const probe = json.snapshot.probes.fingerprints;
    expect(probe.status).toBe('ok');
    const ollama = probe.data.find((f) => f.port === 11434);
    expect(ollama).toMatchObject({ identity: 'ollama', version: expect.any(String) });
    expect(json.snapshot.instances.map((i) => i.pid)).toEqual([standin.hostPid]);

    const hostileOnes = probe.data.filter((f) => f.port >= BASE_PORT);
    // Every hostile listener is accounted for: checked, or counted as left out.
    const leftOut = Number(
      /(\d+) more listeners? of (?:a )?hidden owners? w/.exec(probe.message ?? '')?.[1] ?? 0,
    );
    expect(hostileOnes.length + leftOut).toBe(LISTENERS);
    expect(hostileOnes.every((f) => f.identity !== 'ollama')).toBe(true);
    const unread = hostileOnes.filter((f) =>
      f.problems.some((p) => /whether Ollama answers here is unknown/.test(p)),
    );
    expect(unread.length).toBeGreaterThan(0);
    for (const f of unread) expect(f.identity).toBe('no-answer');
    expect(probe.message).toMatch(
      new RegExp(`${unread.length} of ${probe.data.length} listeners could not be read in full`),
    );
    // A huge body is refused by its Content-Length, unread.
    const evidence = probe.evidence.map((e) => e.outcome).join('\n');
    expect(evidence).toMatch(/body not read: its Content-Length \(16777216 bytes\) is over the/);
  });

  it('paddock scan (terminal): the same, in words', async () => {
    const human = await lab.runInHost([process.execPath, CLI, 'scan'], {
      uid: NOBODY,
      env: { HOME: '/nonexistent', NO_COLOR: '1' },
      timeoutMs: 30_000,
    });
    expect(human.code).toBe(1);
    expect(human.stdout.split('\n')[0]).toContain('Reachable from the local network');
    expect(human.stdout).toMatch(
      /http: \d+ of \d+ listeners could not be read in full: a scan reads at most 8 MiB of HTTP answers in all/,
    );
  });
});
