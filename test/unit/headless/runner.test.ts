/**
 * Issue 15: the service's runner with its real sinks but journald's program: the alert policy
 * (change only, minimum interval, hourly cap), the webhook queue against a real loopback
 * receiver that is down and then back, the Prometheus textfile through the checked folder, and
 * the status file `paddock service status` reads. The scans are scripted snapshots.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalAlert } from '../../../electron/engine/alerts/journald';
import { journalEntry } from '../../../electron/engine/alerts/journald';
import { serviceConfigSchema } from '../../../electron/engine/alerts/config';
import { removeTextfile, writeTextfile } from '../../../electron/engine/alerts/textfile';
import { webhookSender } from '../../../electron/engine/alerts/webhook';
import { assess } from '../../../electron/engine/assess';
import type { ServiceRunner } from '../../../electron/engine/headless/runner';
import { STATUS_FILE, startServiceRunner } from '../../../electron/engine/headless/runner';
import type { Snapshot } from '../../../shared/snapshot';
import { buildSnapshot, lanPaths, loopbackOllama, wildcardOllama } from '../../rules/snapshots';

const EXPOSED = buildSnapshot({ instances: [wildcardOllama(null, { pid: 43 })] });
const PRIVATE = buildSnapshot({ instances: [loopbackOllama({ pid: 43 })] });

async function receiver() {
  const got: string[] = [];
  let up = true;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (!up) {
        res.statusCode = 503;
        res.end();
        return;
      }
      got.push((JSON.parse(body) as { event: { kind: string } }).event.kind);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    got,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    set: (value: boolean) => (up = value),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const waitUntil = async (what: string, check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('the service runner', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function start(options: { minIntervalSeconds?: number; maxPerHour?: number } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-service-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const textDir = path.join(dir, 'textfile');
    fs.mkdirSync(textDir, { mode: 0o755 });
    const stateDir = path.join(dir, 'state');
    fs.mkdirSync(stateDir, { mode: 0o700 });
    const hook = await receiver();
    cleanup.push(hook.close);
    const machine = { snapshot: EXPOSED as Snapshot, tick: 0 };
    const journal: JournalAlert[] = [];
    const config = serviceConfigSchema.parse({
      version: 1,
      textfile: path.join(textDir, 'paddock.prom'),
      alerts: {
        minIntervalSeconds: options.minIntervalSeconds ?? 0,
        maxPerHour: options.maxPerHour ?? 100,
      },
      webhooks: [{ name: 'ops', shape: 'generic', urlKey: 'ops' }],
    });
    const runner: ServiceRunner = startServiceRunner({
      config: { ok: true, config, webhooks: [{ name: 'ops', shape: 'generic', url: hook.url }] },
      stateDir,
      hostname: 'gpu-box-1',
      // Each change of the scripted machine shows in the tick, so the monitor scans again.
      tick: async () => ({ listeners: [String(machine.tick)], peers: [], processes: [] }),
      fullScan: async () => {
        const snapshot = { ...machine.snapshot, takenAt: new Date().toISOString() };
        const assessed = await assess(snapshot, { settingsPath: null });
        return { snapshot, findings: assessed.findings, assessed };
      },
      journal: async (alert) => {
        journal.push(alert);
        return { ok: true };
      },
      sendFor: () => webhookSender(hook.url, 'generic', 'gpu-box-1', 2000),
      writeTextfile: (p, text) => writeTextfile(p, text, process.getuid?.() ?? 0),
      monitor: { tickMs: 20, followUps: 0 },
      retryCheckMs: 50,
      log: () => {},
    });
    cleanup.push(() => runner.stop());
    const change = (snapshot: Snapshot) => {
      machine.snapshot = snapshot;
      machine.tick += 1;
    };
    return { runner, journal, hook, change, stateDir, textfile: config.textfile! };
  }

  it('alerts once per change to journald and the webhook, and writes the textfile after every scan', async () => {
    const s = await start();
    await waitUntil('the first alert', () => s.hook.got.length === 1);
    expect(s.journal.map((a) => a.event.kind)).toEqual(['exposure-started']);
    expect(journalEntry(s.journal[0]!)).toMatch(/^PADDOCK_VERDICT=lan$/m);
    expect(fs.readFileSync(s.textfile, 'utf8')).toMatch(/^paddock_exposed 1$/m);
    expect(fs.statSync(s.textfile).mode & 0o777).toBe(0o644);

    // Scans that find the same exposure say nothing more.
    await s.runner.monitor.scanNow();
    await s.runner.monitor.scanNow();
    await s.runner.flush();
    expect(s.hook.got).toEqual(['exposure-started']);

    s.change(PRIVATE);
    await waitUntil('the end of the exposure', () => s.hook.got.length === 2);
    expect(s.hook.got).toEqual(['exposure-started', 'exposure-ended']);
    expect(fs.readFileSync(s.textfile, 'utf8')).toMatch(/^paddock_exposed 0$/m);

    const status = JSON.parse(fs.readFileSync(path.join(s.stateDir, STATUS_FILE), 'utf8'));
    expect(status).toMatchObject({ verdict: 'private', exposed: false, alerts: { sent: 2 } });
    expect(status.webhooks).toEqual([
      expect.objectContaining({ name: 'ops', pending: 0, dropped: 0 }),
    ]);
    // The URL is a secret: not in the status file.
    expect(JSON.stringify(status)).not.toContain(s.hook.url);
    // Every event is in the service's history, alerts or not.
    expect(fs.readFileSync(path.join(s.stateDir, 'history.jsonl'), 'utf8')).toMatch(
      /finding-resolved/,
    );
  });

  it('keeps an alert raised while the receiver is down, and sends it once when it is back', async () => {
    const s = await start();
    s.hook.set(false);
    await waitUntil('the alert in journald', () => s.journal.length === 1);
    await s.runner.flush();
    const waiting = JSON.parse(fs.readFileSync(path.join(s.stateDir, STATUS_FILE), 'utf8'));
    expect(waiting.webhooks[0]).toMatchObject({ pending: 1 });
    expect(waiting.webhooks[0].lastError).toMatch(/127\.0\.0\.1:\d+ answered HTTP 503/);
    expect(s.hook.got).toEqual([]);
    s.hook.set(true);
    // The backoff after one failure is 1 s.
    await waitUntil('the queued alert', () => s.hook.got.length === 1, 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.hook.got).toEqual(['exposure-started']);
  });

  it('holds back what the minimum interval stops, then sends the latest with "and N more"', async () => {
    const s = await start({ minIntervalSeconds: 1 });
    await waitUntil('the first alert', () => s.journal.length === 1);
    // A flapping server: private, exposed, private within the interval.
    s.change(PRIVATE);
    await waitUntil('a scan', () => s.runner.status().verdict === 'private');
    s.change(EXPOSED);
    await waitUntil('a scan', () => s.runner.status().verdict === 'lan');
    s.change(PRIVATE);
    await waitUntil('a scan', () => s.runner.status().verdict === 'private');
    expect(s.journal).toHaveLength(1);
    expect(s.runner.status().alerts.heldBack).toBe(3);
    await waitUntil('the held-back summary', () => s.journal.length === 2, 10_000);
    // The latest state, and a count of the others.
    expect(s.journal[1]!.event.kind).toBe('exposure-ended');
    expect(s.journal[1]!.heldBack).toBe(2);
    expect(journalEntry(s.journal[1]!)).toMatch(/and 2 more changes/);
    await waitUntil('the webhook', () => s.hook.got.length === 2);
  });
});

describe('the service runner under a flapping neighbour', () => {
  it('never hides a held-back exposure behind a milder change', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-service-'));
    const journal: JournalAlert[] = [];
    const a = (exposed: boolean) =>
      exposed
        ? wildcardOllama(null, { pid: 43, id: 'ollama:port:11434' })
        : loopbackOllama({ pid: 43, id: 'ollama:port:11434' });
    const b = (exposed: boolean) =>
      exposed
        ? wildcardOllama(null, {
            pid: 44,
            id: 'ollama:port:11435',
            listeners: [{ address: '::', port: 11435, dualStack: true, via: lanPaths() }],
          })
        : loopbackOllama({
            pid: 44,
            id: 'ollama:port:11435',
            listeners: [{ address: '127.0.0.1', port: 11435 }],
          });
    const machine = { snapshot: buildSnapshot({ instances: [a(true), b(false)] }), tick: 0 };
    const runner = startServiceRunner({
      config: {
        ok: true,
        config: serviceConfigSchema.parse({
          version: 1,
          alerts: { minIntervalSeconds: 1, maxPerHour: 100 },
        }),
        webhooks: [],
      },
      stateDir: dir,
      hostname: 'gpu-box-1',
      tick: async () => ({ listeners: [String(machine.tick)], peers: [], processes: [] }),
      fullScan: async () => {
        const snapshot = { ...machine.snapshot, takenAt: new Date().toISOString() };
        const assessed = await assess(snapshot, { settingsPath: null });
        return { snapshot, findings: assessed.findings, assessed };
      },
      journal: async (alert) => {
        journal.push(alert);
        return { ok: true };
      },
      monitor: { tickMs: 20, followUps: 0 },
      retryCheckMs: 50,
      log: () => {},
    });
    try {
      await waitUntil('the first alert', () => journal.length === 1);
      // Within the interval: B becomes exposed (high), then A private again (info).
      machine.snapshot = buildSnapshot({ instances: [a(true), b(true)] });
      machine.tick += 1;
      await waitUntil(
        'B exposed',
        () => runner.status().instances.length === 2 && runner.status().alerts.heldBack === 1,
        10_000,
      );
      machine.snapshot = buildSnapshot({ instances: [a(false), b(true)] });
      machine.tick += 1;
      await waitUntil('A private', () => runner.status().alerts.heldBack === 2, 10_000);
      await waitUntil('the held-back alert', () => journal.length === 2, 10_000);
      expect(journal[1]!.event).toMatchObject({
        kind: 'exposure-started',
        instance: 'ollama:port:11435',
      });
      expect(journal[1]!.heldBack).toBe(1);
    } finally {
      await runner.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('journald entries', () => {
  it('keep every value on its line, whatever the system named', () => {
    const text = journalEntry({
      heldBack: 0,
      event: {
        id: 'e1',
        kind: 'remote-client',
        at: '2026-12-06T10:00:00.000Z',
        instance: 'ollama:pid:7\nPRIORITY=0',
        verdict: 'lan',
        severity: 'medium',
        message: 'model evil\nPADDOCK_VERDICT=private\r\u2028MESSAGE_ID=0',
        data: {},
      },
    });
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => l.slice(0, l.indexOf('=')))).toEqual([
      'MESSAGE',
      'PRIORITY',
      'SYSLOG_IDENTIFIER',
      'MESSAGE_ID',
      'PADDOCK_EVENT',
      'PADDOCK_EVENT_ID',
      'PADDOCK_SEVERITY',
      'PADDOCK_INSTANCE',
      'PADDOCK_VERDICT',
      'PADDOCK_HELD_BACK',
    ]);
    expect(text).toMatch(/^PRIORITY=4$/m);
    expect(text).toMatch(/^PADDOCK_VERDICT=lan$/m);
  });
});

describe('the textfile', () => {
  const uid = process.getuid?.() ?? 0;
  it('replaces the file atomically and refuses a folder reached through a link or open to others', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-textfile-'));
    try {
      const real = path.join(dir, 'collector');
      fs.mkdirSync(real, { mode: 0o755 });
      expect(writeTextfile(path.join(real, 'paddock.prom'), 'a 1\n', uid)).toEqual({ ok: true });
      expect(writeTextfile(path.join(real, 'paddock.prom'), 'a 2\n', uid)).toEqual({ ok: true });
      expect(fs.readFileSync(path.join(real, 'paddock.prom'), 'utf8')).toBe('a 2\n');
      expect(fs.readdirSync(real)).toEqual(['paddock.prom']);

      // Another user swapped the folder for a link (to /etc, say): nothing is written there.
      const link = path.join(dir, 'swapped');
      fs.symlinkSync(real, link);
      const viaLink = writeTextfile(path.join(link, 'paddock.prom'), 'b 1\n', uid);
      expect(viaLink.ok).toBe(false);
      expect(fs.readFileSync(path.join(real, 'paddock.prom'), 'utf8')).toBe('a 2\n');

      fs.chmodSync(real, 0o777);
      const open = writeTextfile(path.join(real, 'paddock.prom'), 'c 1\n', uid);
      expect(open).toMatchObject({
        ok: false,
        error: expect.stringMatching(/writable by no one else/),
      });
      expect(fs.readFileSync(path.join(real, 'paddock.prom'), 'utf8')).toBe('a 2\n');

      // Uninstall removes it the same way: only Paddock's report, only through the checked folder.
      fs.chmodSync(real, 0o755);
      fs.writeFileSync(path.join(real, 'other.prom'), 'node_load1 1\n');
      expect(removeTextfile(path.join(real, 'other.prom'), uid)).toMatchObject({
        ok: false,
        error: expect.stringMatching(/not a textfile Paddock wrote/),
      });
      expect(removeTextfile(path.join(link, 'paddock.prom'), uid).ok).toBe(false);
      expect(fs.existsSync(path.join(real, 'paddock.prom'))).toBe(true);
      expect(
        writeTextfile(path.join(real, 'paddock.prom'), '# HELP paddock_exposed x\n', uid),
      ).toEqual({ ok: true });
      expect(removeTextfile(path.join(real, 'paddock.prom'), uid)).toEqual({ ok: true });
      expect(fs.readdirSync(real)).toEqual(['other.prom']);
      expect(removeTextfile(path.join(real, 'paddock.prom'), uid)).toEqual({ ok: true });

      const missing = writeTextfile(path.join(dir, 'nope', 'paddock.prom'), 'x\n', uid);
      expect(missing).toMatchObject({ ok: false, error: expect.stringMatching(/does not exist/) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
