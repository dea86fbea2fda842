/**
 * The Ollama desktop app's db.sqlite, read through sql.js (the real WASM SQLite) from real
 * files in a temporary folder: the app's layout read back, every way the file can be absent or
 * wrong, the WAL the app keeps its recent changes in, and proof that reading changes nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  ftruncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_DB_MAX_BYTES,
  appBoolean,
  applyWal,
  readBounded,
  readOllamaAppSettings,
} from '../../../electron/engine/probes/app-db';
import type { AppDbResult, BoundedRead } from '../../../electron/engine/probes/app-db';
import { SCHEMA_V2, buildOllamaAppDb, buildWal } from '../../support/ollama-app-db';

let dir: string;
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'paddock-app-db-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder holding `db.sqlite` (and `db.sqlite-wal` when given). */
function place(db: Uint8Array | string, wal?: Uint8Array): string {
  const folder = join(dir, `case-${(n += 1)}`);
  mkdirSync(folder);
  const path = join(folder, 'db.sqlite');
  writeFileSync(path, db);
  if (wal) writeFileSync(`${path}-wal`, wal);
  return path;
}

function ok(result: AppDbResult): Extract<AppDbResult, { status: 'ok' }> {
  if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result;
}

describe("the app's db.sqlite, read by sql.js", () => {
  it('reads expose and browser from row 1 of the current layout', async () => {
    const path = place(await buildOllamaAppDb({ expose: 1, browser: 1 }));
    const started = performance.now();
    const result = ok(await readOllamaAppSettings(path));
    console.log(
      `app db read, first in this process (the fixtures already started sql.js): ${(performance.now() - started).toFixed(1)} ms`,
    );
    expect(result).toMatchObject({ expose: true, browser: true, wal: 'none' });
    expect(result.columns).toContain('expose');
    expect(result.columns).toContain('claude_desktop_used');
    expect(result.columns[0]).toBe('id');
    expect(result.evidence).toContain(path);
    expect(result.evidence).toContain('WAL mode');
    expect(result.evidence).toContain('expose=1, browser=1');
  });

  it('reads expose off, and browser on alone', async () => {
    const off = ok(await readOllamaAppSettings(place(await buildOllamaAppDb({ expose: 0 }))));
    expect(off).toMatchObject({ expose: false, browser: false });
    const browser = ok(
      await readOllamaAppSettings(place(await buildOllamaAppDb({ expose: 0, browser: 1 }))),
    );
    expect(browser).toMatchObject({ expose: false, browser: true });
  });

  it('reads the first released layout (schema version 2) and a file in rollback mode', async () => {
    const v2 = ok(
      await readOllamaAppSettings(place(await buildOllamaAppDb({ schema: SCHEMA_V2, expose: 1 }))),
    );
    expect(v2).toMatchObject({ expose: true, browser: false });
    expect(v2.columns).toContain('remote');
    const rollback = ok(
      await readOllamaAppSettings(place(await buildOllamaAppDb({ walMode: false, browser: 1 }))),
    );
    expect(rollback).toMatchObject({ expose: false, browser: true });
    expect(rollback.evidence).not.toContain('WAL mode');
  });

  it('gives null, with the reason, when row 1 is missing or holds what the app cannot read', async () => {
    const noRow = ok(
      await readOllamaAppSettings(place(await buildOllamaAppDb({ withoutRow: true }))),
    );
    expect(noRow).toMatchObject({ expose: null, browser: null });
    expect(noRow.evidence).toContain('no settings row id=1');
    const odd = ok(
      await readOllamaAppSettings(place(await buildOllamaAppDb({ expose: 2, browser: 'true' }))),
    );
    expect(odd).toMatchObject({ expose: null, browser: true });
    expect(odd.evidence).toContain('expose=2, browser="true"');
  });

  it('reads booleans the way the app does (Go strconv.ParseBool on the value)', () => {
    expect([1, 0, 2, -1, 0.5].map(appBoolean)).toEqual([true, false, null, null, null]);
    expect(['t', 'TRUE', 'False', '0', 'yes', ''].map(appBoolean)).toEqual([
      true,
      true,
      false,
      false,
      null,
      null,
    ]);
    expect([null, new Uint8Array([1])].map(appBoolean)).toEqual([null, null]);
  });

  it('says "missing" for a file that is not there, or a folder on the way that is a file', async () => {
    const result = await readOllamaAppSettings(join(dir, 'nowhere', 'db.sqlite'));
    expect(result.status).toBe('missing');
    if (result.status === 'ok') return;
    expect(result.message).toMatch(/^Ollama's app settings \(.*db\.sqlite\) could not be read: /);
    expect(result.message).toContain('no such file');
    const file = place('x');
    expect((await readOllamaAppSettings(join(file, 'db.sqlite'))).status).toBe('missing');
  });

  it('refuses a folder, a symbolic link and a FIFO', async () => {
    const folder = join(dir, 'a-folder.sqlite');
    mkdirSync(folder);
    const asFolder = await readOllamaAppSettings(folder);
    expect(asFolder).toMatchObject({ status: 'unreadable' });
    expect(asFolder.status !== 'ok' && asFolder.message).toContain('a folder');

    const real = place(await buildOllamaAppDb({ expose: 1 }));
    const link = join(dir, 'link.sqlite');
    symlinkSync(real, link);
    const viaLink = await readOllamaAppSettings(link);
    expect(viaLink).toMatchObject({ status: 'unreadable' });
    expect(viaLink.status !== 'ok' && viaLink.message).toContain('symbolic link');

    const fifo = join(dir, 'fifo.sqlite');
    if (spawnSync('mkfifo', [fifo]).status === 0) {
      // O_NONBLOCK and the type check: no read that waits for a writer forever.
      const viaFifo = await readOllamaAppSettings(fifo);
      expect(viaFifo).toMatchObject({ status: 'unreadable' });
      expect(viaFifo.status !== 'ok' && viaFifo.message).toContain('not a regular file');
    }
  });

  it('says "unreadable" for a file that is not SQLite, and for an empty one', async () => {
    const text = await readOllamaAppSettings(place('{"expose": true}\n'.repeat(20)));
    expect(text).toMatchObject({ status: 'unreadable' });
    expect(text.status !== 'ok' && text.message).toContain('not an SQLite database');
    const empty = await readOllamaAppSettings(place(''));
    expect(empty.status !== 'ok' && empty.message).toContain('empty');
    // A valid header over garbage: SQLite's own error, as a status.
    const db = await buildOllamaAppDb();
    const broken = Uint8Array.from(db);
    broken.fill(0xee, 100);
    const corrupt = await readOllamaAppSettings(place(broken));
    expect(corrupt).toMatchObject({ status: 'unreadable' });
    expect(corrupt.status !== 'ok' && corrupt.message).toContain('SQLite says');
  });

  it('says "unknown-layout" without the settings table or without its columns', async () => {
    const noTable = await readOllamaAppSettings(
      place(await buildOllamaAppDb({ schema: 'CREATE TABLE chats (id TEXT PRIMARY KEY);' })),
    );
    expect(noTable).toMatchObject({ status: 'unknown-layout' });
    expect(noTable.status !== 'ok' && noTable.message).toContain('no table "settings"');

    const noColumns = await readOllamaAppSettings(
      place(
        await buildOllamaAppDb({
          schema:
            "CREATE TABLE settings (id INTEGER PRIMARY KEY, device_id TEXT NOT NULL DEFAULT '', expose BOOLEAN NOT NULL DEFAULT 0); INSERT INTO settings (id) VALUES (1);",
        }),
      ),
    );
    expect(noColumns).toMatchObject({ status: 'unknown-layout' });
    expect(noColumns.status !== 'ok' && noColumns.message).toContain(
      'no column "browser" (columns: id, device_id, expose)',
    );

    const view = await readOllamaAppSettings(
      place(
        await buildOllamaAppDb({
          schema: 'CREATE VIEW settings AS SELECT 1 AS id, 1 AS expose, 0 AS browser;',
        }),
      ),
    );
    expect(view.status !== 'ok' && view.message).toContain('is a view');
  });

  it('refuses a file larger than the bound before reading it', async () => {
    const path = place('');
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, APP_DB_MAX_BYTES + 1); // sparse: no 64 MiB written
    closeSync(fd);
    const result = await readOllamaAppSettings(path);
    expect(result).toMatchObject({ status: 'unreadable' });
    expect(result.status !== 'ok' && result.message).toContain(
      'is 64.0 MiB, more than the 64.0 MiB Paddock reads',
    );
    const small = await readOllamaAppSettings(place(await buildOllamaAppDb()), {
      maxBytes: 4096,
    });
    expect(small.status !== 'ok' && small.message).toContain('more than the 0.0 MiB');
  });

  it('leaves the file, its times and its folder exactly as they were', async () => {
    const path = place(await buildOllamaAppDb({ expose: 1, chats: 20 }));
    const folder = join(path, '..');
    const hash = (): string => createHash('sha256').update(readFileSync(path)).digest('hex');
    const before = { hash: hash(), stat: statSync(path), entries: readdirSync(folder) };
    ok(await readOllamaAppSettings(path));
    ok(await readOllamaAppSettings(path));
    const after = statSync(path);
    expect(hash()).toBe(before.hash);
    expect(after.mtimeMs).toBe(before.stat.mtimeMs);
    expect(after.ctimeMs).toBe(before.stat.ctimeMs);
    expect(after.size).toBe(before.stat.size);
    expect(after.mode).toBe(before.stat.mode);
    // No -wal, -shm or -journal appears beside it.
    expect(readdirSync(folder)).toEqual(before.entries);
  });

  it('maps what the OS says to denied and locked, and reads again a file that moved', async () => {
    const path = place(await buildOllamaAppDb({ expose: 1 }));
    const failing =
      (code: string) =>
      async (p: string, max: number): Promise<BoundedRead> =>
        p === path ? { ok: false, code } : readBounded(p, max);
    const denied = await readOllamaAppSettings(path, { readBytes: failing('EACCES') });
    expect(denied).toMatchObject({ status: 'denied' });
    for (const code of ['EBUSY', 'EAGAIN']) {
      const locked = await readOllamaAppSettings(path, { readBytes: failing(code) });
      expect(locked).toMatchObject({ status: 'locked' });
      expect(locked.status !== 'ok' && locked.message).toContain(`locked (${code})`);
    }
    expect((await readOllamaAppSettings(path, { readBytes: failing('EIO') })).status).toBe(
      'unreadable',
    );

    // A checkpoint between the main file's read and the WAL's: the main file is read again.
    let looks = 0;
    const moving = await readOllamaAppSettings(path, {
      identity: async (p) => {
        if (p !== path) return null;
        looks += 1;
        const s = statSync(p);
        return {
          dev: s.dev,
          ino: s.ino,
          size: s.size,
          mtimeMs: s.mtimeMs + (looks === 1 ? 1 : 0),
          ctimeMs: s.ctimeMs,
        };
      },
    });
    expect(ok(moving).expose).toBe(true);
    expect(looks).toBe(2);
    const always = await readOllamaAppSettings(path, {
      identity: async (p) =>
        p === path ? { dev: 0, ino: 0, size: 0, mtimeMs: 0, ctimeMs: 0 } : null,
    });
    expect(always).toMatchObject({ status: 'locked' });
    expect(always.status !== 'ok' && always.message).toContain('kept changing');
  });

  it('says when sql.js cannot be loaded', async () => {
    const path = place(await buildOllamaAppDb());
    const result = await readOllamaAppSettings(path, {
      loadSqlJs: () => Promise.reject(new Error('Cannot find module sql.js')),
    });
    expect(result).toMatchObject({ status: 'unreadable' });
    expect(result.status !== 'ok' && result.message).toContain('sql.js) could not be loaded');
  });
});

describe('the WAL the app keeps its recent changes in', () => {
  it('applies committed changes: expose turned on while the app runs', async () => {
    const before = await buildOllamaAppDb({ expose: 0, chats: 5 });
    const after = await buildOllamaAppDb({
      expose: 0,
      chats: 5,
      then: 'UPDATE settings SET expose = 1, browser = 1',
    });
    const path = place(before, buildWal(before, [{ after }]));
    const mainOnly = ok(await readOllamaAppSettings(place(before)));
    expect(mainOnly.expose).toBe(false); // what a reader of the main file alone would say
    const result = ok(await readOllamaAppSettings(path));
    expect(result).toMatchObject({ expose: true, browser: true, wal: 'applied' });
    expect(result.evidence).toContain('db.sqlite-wal applied: 1 committed transaction');
    expect(readFileSync(path)).toEqual(Buffer.from(before)); // the main file is not checkpointed
  });

  it('applies every commit in order, and big-endian checksums too', async () => {
    const base = await buildOllamaAppDb({ expose: 0 });
    const on = await buildOllamaAppDb({ expose: 1 });
    const off = await buildOllamaAppDb({ expose: 0, browser: 1 });
    for (const bigEndian of [false, true]) {
      const wal = buildWal(base, [{ after: on }, { after: off }], { bigEndian });
      const result = ok(await readOllamaAppSettings(place(base, wal)));
      expect(result).toMatchObject({ expose: false, browser: true, wal: 'applied' });
      expect(result.evidence).toContain('2 committed transactions');
    }
  });

  it('leaves out a transaction not yet committed, a torn frame, and an earlier generation', async () => {
    const base = await buildOllamaAppDb({ expose: 0 });
    const on = await buildOllamaAppDb({ expose: 1 });
    const later = await buildOllamaAppDb({ expose: 0, browser: 1 });

    const pending = buildWal(base, [{ after: on }, { after: later, uncommitted: true }]);
    expect(ok(await readOllamaAppSettings(place(base, pending)))).toMatchObject({
      expose: true,
      browser: false,
    });

    const torn = buildWal(base, [{ after: on }, { after: later }]);
    const at = torn.length - 10; // in the last frame's page: it no longer matches its checksum
    torn[at] = torn[at]! ^ 0xff;
    expect(ok(await readOllamaAppSettings(place(base, torn)))).toMatchObject({
      expose: true,
      browser: false,
    });

    const stale = buildWal(base, [{ after: on, salts: [1, 2] }]);
    const result = ok(await readOllamaAppSettings(place(base, stale)));
    expect(result).toMatchObject({ expose: false, wal: 'none' });
    expect(result.evidence).toContain('holds no committed change');
  });

  it("says the values may be older than the app's when the WAL cannot be used", async () => {
    const base = await buildOllamaAppDb({ expose: 0 });
    const garbage = ok(await readOllamaAppSettings(place(base, new Uint8Array(4096).fill(7))));
    expect(garbage).toMatchObject({ expose: false, wal: 'ignored' });
    expect(garbage.evidence).toContain(
      "not used (not a WAL file (wrong magic)): the values may be older than the app's",
    );

    const on = await buildOllamaAppDb({ expose: 1 });
    const wal = buildWal(base, [{ after: on }]);
    const path = place(base);
    symlinkSync(join(dir, 'elsewhere'), `${path}-wal`);
    const linked = ok(await readOllamaAppSettings(path));
    expect(linked).toMatchObject({ wal: 'ignored' });
    expect(linked.evidence).toContain('symbolic link');

    const padded = new Uint8Array(base.length + 1); // zeros after the frames end the WAL
    padded.set(wal);
    const big = ok(await readOllamaAppSettings(place(base, padded), { maxBytes: base.length }));
    expect(big).toMatchObject({ expose: false, wal: 'ignored' });
    expect(big.evidence).toContain('more than the');

    // A commit that would make the database larger than the bound is not built in memory.
    const grown = await buildOllamaAppDb({ expose: 1, chats: 30 });
    expect(applyWal(base, buildWal(base, [{ after: grown }]), base.length)).toEqual({
      applied: false,
      reason: `it makes the database larger than ${(base.length / 1024 / 1024).toFixed(1)} MiB`,
    });
    expect(applyWal(base, buildWal(base, [{ after: grown }]), grown.length)).toMatchObject({
      applied: true,
      pages: grown.length / 4096,
    });

    const withJournal = place(base);
    writeFileSync(`${withJournal}-journal`, 'x');
    expect(ok(await readOllamaAppSettings(withJournal)).evidence).toContain(
      '-journal exists: a change was left unfinished',
    );
  });

  const sqlite3 = spawnSync('sqlite3', ['-version']).status === 0;
  it.skipIf(!sqlite3)(
    'reads a WAL that the real SQLite wrote (the sqlite3 program, copied while its connection is open)',
    async () => {
      const folder = join(dir, 'real-sqlite');
      mkdirSync(folder);
      const live = join(folder, 'live.sqlite');
      const snap = join(folder, 'snap');
      mkdirSync(snap);
      writeFileSync(live, await buildOllamaAppDb({ walMode: false, chats: 3 }));
      // The app's own connection settings; the copy is made while the WAL is still open, as a
      // reader sees it while the app runs (closing would checkpoint and remove the WAL).
      execFileSync('sqlite3', [live], {
        input: [
          'PRAGMA journal_mode=WAL;',
          'UPDATE settings SET expose = 1 WHERE id = 1;',
          "INSERT INTO chats (id, title) VALUES ('c-new', 'after');",
          'UPDATE settings SET browser = 1 WHERE id = 1;',
          `.shell cp ${live} ${snap}/db.sqlite && cp ${live}-wal ${snap}/db.sqlite-wal`,
        ].join('\n'),
      });
      const path = join(snap, 'db.sqlite');
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(32);
      const result = ok(await readOllamaAppSettings(path));
      expect(result).toMatchObject({ expose: true, browser: true, wal: 'applied' });
      rmSync(`${path}-wal`);
      expect(ok(await readOllamaAppSettings(path))).toMatchObject({ expose: false, wal: 'none' });
    },
  );
});

describe('how long a read takes (printed, not asserted)', () => {
  it('a typical database and one near the bound', async () => {
    const typical = place(await buildOllamaAppDb({ expose: 1, chats: 300 }));
    const large = place(
      await buildOllamaAppDb({ expose: 1, chats: 50, attachmentBytes: 48 * 1024 * 1024 }),
    );
    for (const [name, path] of [
      ['typical', typical],
      ['large', large],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const started = performance.now();
        ok(await readOllamaAppSettings(path));
        times.push(performance.now() - started);
      }
      const size = statSync(path).size;
      console.log(
        `app db read, ${name} (${(size / 1024 / 1024).toFixed(1)} MiB): ${times.map((t) => t.toFixed(1)).join(', ')} ms`,
      );
    }
  }, 60_000);
});
