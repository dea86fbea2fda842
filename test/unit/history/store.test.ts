import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PaddockEvent } from '../../../shared/events';
import type { FixRun } from '../../../shared/fixes';
import {
  createHistoryStore,
  defaultHistoryDir,
  summarizeRun,
} from '../../../electron/engine/history/store';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pdk-history-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function event(n: number, at = '2026-11-28T12:00:00.000Z'): PaddockEvent {
  return {
    id: `${at}-remote-client-${String(n).padStart(8, '0')}`,
    kind: 'remote-client',
    at,
    instance: 'ollama:pid:42',
    verdict: 'lan',
    severity: 'medium',
    message: `10.0.0.${n % 250} connected to Ollama on port 11434.`,
    data: { address: `10.0.0.${n % 250}`, connections: 1 },
  };
}

const fixedNow = (iso: string) => () => new Date(iso);
const NOW = fixedNow('2026-11-28T12:00:00.000Z');

describe('the history store', () => {
  it('appends events and fix runs as JSON lines and reads them back, oldest first', async () => {
    const store = createHistoryStore({ dir: join(dir, 'state'), now: NOW });
    store.append(event(1));
    store.appendRun({
      id: 'run-1',
      fixId: 'block-port',
      instance: 'ollama:pid:42',
      state: 'applied',
      startedAt: '2026-11-28T12:00:01.000Z',
      endedAt: '2026-11-28T12:00:02.000Z',
      outcome: 'Port 11434 blocked beyond loopback.',
    });
    store.append(event(2));
    const lines = readFileSync(store.path, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0]!)).toEqual({ v: 1, type: 'event', event: event(1) });
    expect(JSON.parse(lines[1]!)).toMatchObject({ v: 1, type: 'fix-run', run: { id: 'run-1' } });
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);

    const read = await store.read();
    expect(read.events.map((e) => e.id)).toEqual([event(1).id, event(2).id]);
    expect(read.runs).toMatchObject([{ id: 'run-1', state: 'applied' }]);
    expect(read).toMatchObject({ skipped: 0, problems: [] });
  });

  it('a missing file reads as an empty history', async () => {
    expect(await createHistoryStore({ dir }).read()).toEqual({
      events: [],
      runs: [],
      skipped: 0,
      problems: [],
    });
  });

  it('read is bounded: the newest `limit` records', async () => {
    const store = createHistoryStore({ dir, now: NOW });
    for (let i = 0; i < 30; i += 1) store.append(event(i));
    const read = await store.read(5);
    expect(read.events.map((e) => e.data.address)).toEqual(
      [25, 26, 27, 28, 29].map((n) => `10.0.0.${n}`),
    );
  });

  it('a torn last line is skipped and counted, and never swallows the next append', async () => {
    const store = createHistoryStore({ dir, now: NOW });
    store.append(event(1));
    appendFileSync(
      store.path,
      JSON.stringify({ v: 1, type: 'event', event: event(2) }).slice(0, 40),
    );
    store.append(event(3));
    const text = readFileSync(store.path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(4);
    const read = await store.read();
    expect(read.events.map((e) => e.id)).toEqual([event(1).id, event(3).id]);
    expect(read.skipped).toBe(1);
    expect(read.problems[0]).toMatch(/line 2: not JSON/);
  });

  it('corrupted lines in the middle are skipped and counted, never fatal', async () => {
    const store = createHistoryStore({ dir, now: NOW });
    store.append(event(1));
    appendFileSync(
      store.path,
      [
        'garbage \u0000\u00ff not json',
        '{"v":1,"type":"event","event":{"id":"x"',
        JSON.stringify({ v: 1, type: 'event', event: { ...event(9), kind: 'made-up' } }),
        JSON.stringify({ hello: 'world' }),
        JSON.stringify({ v: 2, type: 'event', event: event(8) }),
        '',
        '   ',
      ].join('\n') + '\n',
    );
    store.append(event(2));
    const read = await store.read();
    expect(read.events.map((e) => e.id)).toEqual([event(1).id, event(2).id]);
    expect(read.skipped).toBe(5);
    expect(read.problems).toHaveLength(5);
    expect(read.problems.join('\n')).toMatch(/newer Paddock/);
    expect(read.problems.join('\n')).toMatch(/line 4: not a history record \(event\.kind/);
  });

  it('rotates past the size limit and reads across the files, newest first', async () => {
    const store = createHistoryStore({ dir, maxBytes: 2048, now: NOW });
    for (let i = 0; i < 40; i += 1) store.append(event(i));
    const rotated = readdirSync(dir).filter((n) => n !== 'history.jsonl');
    expect(rotated.length).toBeGreaterThan(2);
    for (const name of rotated) expect(name).toMatch(/^history-\d{8}T\d{9}Z(-[0-9a-z]+)?\.jsonl$/);
    for (const name of readdirSync(dir))
      expect(statSync(join(dir, name)).size).toBeLessThan(2048 + 400);
    const all = await store.read(1000);
    expect(all.events.map((e) => e.data.address)).toEqual(
      Array.from({ length: 40 }, (_, i) => `10.0.0.${i}`),
    );
    const some = await store.read(7);
    expect(some.events.map((e) => e.data.address)).toEqual(
      [33, 34, 35, 36, 37, 38, 39].map((n) => `10.0.0.${n}`),
    );
  });

  it('rotates a file whose first record is older than a week', () => {
    const old = createHistoryStore({ dir, now: fixedNow('2026-11-01T00:00:00.000Z') });
    old.append(event(1, '2026-11-01T00:00:00.000Z'));
    const later = createHistoryStore({ dir, now: fixedNow('2026-11-09T00:00:00.000Z') });
    later.append(event(2, '2026-11-09T00:00:00.000Z'));
    expect(readdirSync(dir).sort()).toEqual(['history-20261109T000000000Z.jsonl', 'history.jsonl']);
    expect(readFileSync(join(dir, 'history.jsonl'), 'utf8')).toContain('2026-11-09');
  });

  it('keeps 90 days: older rotated files are deleted, older records are not shown', async () => {
    const stale = join(dir, 'history-20260701T000000000Z.jsonl');
    writeFileSync(
      stale,
      `${JSON.stringify({ v: 1, type: 'event', event: event(1, '2026-07-01T00:00:00.000Z') })}\n`,
    );
    utimesSync(stale, new Date('2026-07-01T00:00:00Z'), new Date('2026-07-01T00:00:00Z'));
    const kept = join(dir, 'history-20261001T000000000Z.jsonl');
    writeFileSync(
      kept,
      [event(2, '2026-08-20T00:00:00.000Z'), event(3, '2026-10-01T00:00:00.000Z')]
        .map((e) => JSON.stringify({ v: 1, type: 'event', event: e }))
        .join('\n') + '\n',
    );
    utimesSync(kept, new Date('2026-10-01T00:00:00Z'), new Date('2026-10-01T00:00:00Z'));
    const store = createHistoryStore({ dir, now: NOW });
    const read = await store.read();
    // 2026-08-20 is 100 days before 2026-11-28: past retention, left out (not an error).
    expect(read.events.map((e) => e.at)).toEqual(['2026-10-01T00:00:00.000Z']);
    expect(read.skipped).toBe(0);
    store.append(event(4));
    expect(readdirSync(dir).sort()).toEqual(['history-20261001T000000000Z.jsonl', 'history.jsonl']);
    expect(createHistoryStore({ dir, now: NOW, retentionDays: 30 }).prune()).toEqual([kept]);
  });

  it('keeps no more rotated files than asked, however many there are, the oldest going first', () => {
    // More than the 1000 a listing reads: pruning still sees every one of them.
    const names = Array.from(
      { length: 1010 },
      (_, i) =>
        `history-2026${String(10 + Math.floor(i / 28)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}T000000000Z.jsonl`,
    ).filter((n, i, all) => all.indexOf(n) === i);
    for (const name of names) writeFileSync(join(dir, name), '\n');
    const removed = createHistoryStore({ dir, now: NOW, maxRotatedFiles: 10 }).prune();
    const left = readdirSync(dir).sort();
    expect(left).toEqual([...names].sort().slice(-10));
    expect(removed).toHaveLength(names.length - 10);
  });

  it('keeps a fix run as its summary', () => {
    const run = {
      id: 'run-2',
      plan: { fixId: 'rebind-systemd', instance: 'ollama:pid:42' },
      state: 'rolled-back',
      startedAt: '2026-11-28T12:00:00.000Z',
      endedAt: '2026-11-28T12:00:09.000Z',
      outcome: 'Verification failed: still listening on 0.0.0.0.\u001b[2J',
      journal: [],
    } as unknown as FixRun;
    expect(summarizeRun(run)).toEqual({
      id: 'run-2',
      fixId: 'rebind-systemd',
      instance: 'ollama:pid:42',
      state: 'rolled-back',
      startedAt: '2026-11-28T12:00:00.000Z',
      endedAt: '2026-11-28T12:00:09.000Z',
      outcome: 'Verification failed: still listening on 0.0.0.0.\uFFFD[2J',
    });
  });

  it('refuses a record too large for one line', () => {
    const store = createHistoryStore({ dir, now: NOW });
    expect(() => store.append({ ...event(1), message: 'x'.repeat(70_000) })).toThrow(/too large/);
  });

  it('lives in PADDOCK_STATE_DIR, else XDG_STATE_HOME/paddock, else ~/.local/state/paddock', () => {
    const host = (env: Record<string, string>) => ({
      env: (name: string) => env[name],
      homeDir: () => '/home/me',
    });
    expect(defaultHistoryDir(host({ PADDOCK_STATE_DIR: '/tmp/s', XDG_STATE_HOME: '/x' }))).toBe(
      '/tmp/s',
    );
    expect(defaultHistoryDir(host({ XDG_STATE_HOME: '/x/state/' }))).toBe('/x/state/paddock');
    expect(defaultHistoryDir(host({ XDG_STATE_HOME: 'relative' }))).toBe(
      '/home/me/.local/state/paddock',
    );
    expect(defaultHistoryDir(host({}))).toBe('/home/me/.local/state/paddock');
  });

  it('on Windows: %PADDOCK_STATE_DIR%, else %LOCALAPPDATA%\\Paddock', () => {
    const win = (env: Record<string, string>) => ({
      platform: 'win32',
      env: (name: string) => env[name],
      homeDir: () => 'C:\\Users\\alice',
    });
    expect(defaultHistoryDir(win({ PADDOCK_STATE_DIR: 'D:\\state\\' }))).toBe('D:\\state');
    expect(defaultHistoryDir(win({ LOCALAPPDATA: 'C:\\Users\\alice\\AppData\\Local' }))).toBe(
      'C:\\Users\\alice\\AppData\\Local\\Paddock',
    );
    // A relative or POSIX value is not a Windows folder: the default instead.
    expect(defaultHistoryDir(win({ PADDOCK_STATE_DIR: 'state', LOCALAPPDATA: '/tmp' }))).toBe(
      'C:\\Users\\alice\\AppData\\Local\\Paddock',
    );
  });
});
