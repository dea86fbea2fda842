/**
 * `paddock __ollama-app-switch` (issue 17) on a real SQLite database file in a temporary
 * folder, made with sql.js in the app's own layout (test/support/ollama-app-db.ts): it changes
 * that one value and nothing else, refuses while the app may have the file open, and leaves
 * the file byte for byte as it was whenever it does not succeed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import initSqlJs from 'sql.js';
import {
  commandOllamaAppSwitch,
  parseAppSwitchArgs,
} from '../../../electron/cli/ollama-app-switch';
import { readOllamaAppSettings } from '../../../electron/engine/probes/app-db';
import { runCli } from '../../../electron/cli/main';
import { SCHEMA_CURRENT, buildOllamaAppDb } from '../../support/ollama-app-db';

let root = '';
let n = 0;

async function dbWith(spec: Parameters<typeof buildOllamaAppDb>[0]): Promise<string> {
  const dir = path.join(root, `case-${(n += 1)}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, 'db.sqlite');
  fs.writeFileSync(file, await buildOllamaAppDb(spec));
  return file;
}

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await commandOllamaAppSwitch(args, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  });
  return { code, out: out.join(''), err: err.join('') };
}

/** Every row of every table, for "nothing else changed". */
async function dump(file: string): Promise<unknown> {
  const SQL = await initSqlJs();
  const bytes = Uint8Array.from(fs.readFileSync(file));
  bytes[18] = 1;
  bytes[19] = 1;
  const db = new SQL.Database(bytes);
  try {
    const tables = db
      .exec("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")[0]!
      .values.map((r) => String(r[0]));
    return Object.fromEntries(tables.map((t) => [t, db.exec(`SELECT * FROM "${t}"`)]));
  } finally {
    db.close();
  }
}

describe('__ollama-app-switch', () => {
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-app-switch-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('turns expose off and on again, changing only that value; the probe reads each back', async () => {
    const file = await dbWith({ expose: 1, browser: 1, chats: 3 });
    const before = (await dump(file)) as Record<string, Array<{ values: unknown[][] }>>;
    const off = await run(['--column', 'expose', '--value', '0', '--db', file]);
    expect(off).toMatchObject({ code: 0, err: '' });
    expect(off.out).toMatch(/expose set to 0 in .*db\.sqlite \(it was 1\)/);
    const read = await readOllamaAppSettings(file);
    expect(read).toMatchObject({ status: 'ok', expose: false, browser: true });
    // Every table and row as it was, but settings.expose of row 1.
    const after = (await dump(file)) as Record<
      string,
      Array<{ columns: string[]; values: unknown[][] }>
    >;
    const exposeAt = after.settings![0]!.columns.indexOf('expose');
    const expected = structuredClone(before) as typeof after;
    expected.settings![0]!.values[0]![exposeAt] = 0;
    expect(after).toEqual(expected);
    // Still marked WAL mode, as the app keeps it (header bytes 18 and 19).
    const header = fs.readFileSync(file).subarray(18, 20);
    expect([...header]).toEqual([2, 2]);
    // No temporary file left beside it.
    expect(fs.readdirSync(path.dirname(file))).toEqual(['db.sqlite']);

    const on = await run(['--db', file, '--value', '1', '--column', 'expose']);
    expect(on.code).toBe(0);
    expect(await readOllamaAppSettings(file)).toMatchObject({ expose: true, browser: true });
    expect(await dump(file)).toEqual(before);
  });

  it('turns the browser switch off without touching expose', async () => {
    const file = await dbWith({ expose: 1, browser: 1 });
    expect((await run(['--column', 'browser', '--value', '0', '--db', file])).code).toBe(0);
    expect(await readOllamaAppSettings(file)).toMatchObject({ expose: true, browser: false });
  });

  it('does nothing, successfully, when the switch is as asked already', async () => {
    const file = await dbWith({ expose: 0 });
    const bytes = fs.readFileSync(file);
    const result = await run(['--column', 'expose', '--value', '0', '--db', file]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/expose is 0 already in .*; nothing changed/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('refuses while the app may have the database open (a WAL with content, or a journal), the file unchanged', async () => {
    for (const [suffix, content, why] of [
      ['-wal', 'x'.repeat(4096), /db\.sqlite-wal holds changes the app has not written/],
      ['-journal', '', /db\.sqlite-journal exists/],
    ] as const) {
      const file = await dbWith({ expose: 1 });
      const bytes = fs.readFileSync(file);
      fs.writeFileSync(`${file}${suffix}`, content);
      const result = await run(['--column', 'expose', '--value', '0', '--db', file]);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(why);
      expect(result.err).toMatch(/was not changed/);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    }
    // An empty WAL (what SQLite leaves when the app closed it cleanly) is no obstacle.
    const file = await dbWith({ expose: 1 });
    fs.writeFileSync(`${file}-wal`, '');
    expect((await run(['--column', 'expose', '--value', '0', '--db', file])).code).toBe(0);
  });

  it('refuses when the app starts between the checks and the write, leaving no temporary file', async () => {
    const { switchOllamaApp } = await import('../../../electron/cli/ollama-app-switch');
    const file = await dbWith({ expose: 1 });
    const bytes = fs.readFileSync(file);
    const result = await switchOllamaApp(
      { column: 'expose', value: 0, db: file },
      { beforeRename: () => fs.writeFileSync(`${file}-wal`, 'frames') },
    );
    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(/was not changed: .*-wal/),
    });
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['db.sqlite', 'db.sqlite-wal']);
  });

  it('says clearly what is wrong with a database of another layout, and changes nothing', async () => {
    const cases: Array<[Parameters<typeof buildOllamaAppDb>[0], RegExp]> = [
      [{ schema: 'CREATE TABLE other (id INTEGER);' }, /has no table "settings"/],
      [
        { schema: SCHEMA_CURRENT.replace('    browser BOOLEAN NOT NULL DEFAULT 0,\n', '') },
        /has no column "browser"/,
      ],
      [{ withoutRow: true }, /no row id=1/],
    ];
    for (const [spec, why] of cases) {
      const file = await dbWith(spec);
      const bytes = fs.readFileSync(file);
      const result = await run(['--column', 'browser', '--value', '0', '--db', file]);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(why);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    }
    const notSqlite = path.join(root, 'not-sqlite');
    fs.mkdirSync(notSqlite);
    fs.writeFileSync(path.join(notSqlite, 'db.sqlite'), 'hello');
    const result = await run([
      '--column',
      'expose',
      '--value',
      '0',
      '--db',
      path.join(notSqlite, 'db.sqlite'),
    ]);
    expect(result).toMatchObject({ code: 1, err: expect.stringMatching(/not an SQLite database/) });
  });

  it('takes only its three options, each once, with the values it knows', () => {
    expect(
      parseAppSwitchArgs(['--column', 'expose', '--value', '0', '--db', '/x/db.sqlite']),
    ).toEqual({ column: 'expose', value: 0, db: '/x/db.sqlite' });
    for (const bad of [
      ['--column', 'expose; DROP TABLE settings', '--value', '0', '--db', '/x/db.sqlite'],
      ['--column', 'models', '--value', '0', '--db', '/x/db.sqlite'],
      ['--column', 'expose', '--value', '2', '--db', '/x/db.sqlite'],
      ['--column', 'expose', '--value', '0', '--db', 'db.sqlite'],
      ['--column', 'expose', '--value', '0', '--db', '/x/other.db'],
      ['--column', 'expose', '--value', '0'],
      ['--column', 'expose', '--column', 'browser', '--value', '0', '--db', '/x/db.sqlite'],
      ['--column', 'expose', '--value', '0', '--db', '/x/db.sqlite', '--force', '1'],
    ])
      expect(typeof parseAppSwitchArgs(bad)).toBe('string');
  });

  it('is reached through the CLI as `paddock __ollama-app-switch`; other __ commands stay refused', async () => {
    const file = await dbWith({ expose: 1 });
    const said: string[] = [];
    const io = {
      stdout: (t: string) => said.push(t),
      stderr: (t: string) => said.push(t),
      isTty: false,
      isStdinTty: false,
      privileged: [],
      env: () => undefined,
      settingsPath: null,
    };
    expect(
      await runCli(['__ollama-app-switch', '--column', 'expose', '--value', '0', '--db', file], io),
    ).toBe(0);
    expect(await readOllamaAppSettings(file)).toMatchObject({ expose: false });
    expect(await runCli(['__apply-fix', 'block-port', 'x', 'y'], io)).toBe(2);
  });
});
