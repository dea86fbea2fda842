/**
 * `paddock __ollama-app-switch --column expose|browser --value 0|1 --db PATH` (issue 17): the
 * step of a Windows fix that turns one of the Ollama app's switches on or off in its
 * `db.sqlite` (table `settings`, row id=1; engine/probes/app-db.ts has the layout). Windows has
 * no sqlite3.exe, so this is Paddock's own program with its WASM SQLite (sql.js).
 *
 * - Refused while the app may still have the database open: a `-journal` beside it (a change
 *   being made, or left unfinished), or a `-wal` that is not empty (the app opens it in WAL mode
 *   and empties the WAL when it closes it; a WAL with content holds changes the main file lacks).
 * - The table, the row and the column must be there; only that one cell changes, and the
 *   database read back after the write must hold everything it held before but that cell.
 * - Written atomically: a temporary file in the same folder, flushed, then renamed over the
 *   database. On Windows, the rename fails while any program has the database open (SQLite
 *   opens it without FILE_SHARE_DELETE), so a running app makes it fail rather than lose a write.
 * - Read back through the probe's own reader (readOllamaAppSettings): the switch must read as
 *   asked. Exit 0 when it does (or already did), 1 with a one-line reason otherwise, 2 for a
 *   malformed command line. The file is unchanged whenever the exit code is not 0.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { APP_DB_MAX_BYTES, readBounded, readOllamaAppSettings } from '../engine/probes/app-db';

export type AppSwitchColumn = 'expose' | 'browser';

export interface AppSwitchRequest {
  column: AppSwitchColumn;
  value: 0 | 1;
  db: string;
}

export type AppSwitchResult = { ok: true; message: string } | { ok: false; message: string };

/** The arguments after the command, in any order, each exactly once; null when malformed. */
export function parseAppSwitchArgs(args: readonly string[]): AppSwitchRequest | string {
  const seen = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!;
    const value = args[i + 1];
    if (!['--column', '--value', '--db'].includes(flag)) return `unexpected argument ${flag}`;
    if (value === undefined) return `${flag} needs a value`;
    if (seen.has(flag)) return `${flag} given twice`;
    seen.set(flag, value);
  }
  const column = seen.get('--column');
  const value = seen.get('--value');
  const db = seen.get('--db');
  if (column !== 'expose' && column !== 'browser') return '--column takes expose or browser';
  if (value !== '0' && value !== '1') return '--value takes 0 or 1';
  if (!db || !isAbsolute(db) || basename(db).toLowerCase() !== 'db.sqlite')
    return "--db takes the absolute path of the Ollama app's db.sqlite";
  return { column, value: value === '1' ? 1 : 0, db };
}

let sqlJsLoading: Promise<SqlJsStatic> | null = null;

/** sql.js with its WASM handed over as bytes, as the probe loads it (engine/probes/app-db.ts). */
function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJsLoading ??= (async () => {
    const wasm = await readFile(require.resolve('sql.js/dist/sql-wasm.wasm'));
    const { default: initSqlJs } = await import('sql.js');
    const wasmBinary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength);
    return initSqlJs({ wasmBinary: wasmBinary as ArrayBuffer });
  })().catch((error: unknown) => {
    sqlJsLoading = null;
    throw error;
  });
  return sqlJsLoading;
}

function nonEmpty(path: string): boolean {
  try {
    return lstatSync(path).size > 0;
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Why the app may still have its database open, or null. */
function openByApp(db: string): string | null {
  if (exists(`${db}-journal`))
    return `${basename(db)}-journal exists beside it: a change is being made or was left unfinished`;
  if (nonEmpty(`${db}-wal`))
    return `${basename(db)}-wal holds changes the app has not written into the database yet (it empties it when it closes the database)`;
  return null;
}

function cellText(value: SqlValue | undefined): string {
  if (value === undefined) return 'absent';
  if (value === null) return 'NULL';
  if (value instanceof Uint8Array) return `a ${value.length}-byte blob`;
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
}

/** One value that stands for every row of every table and the schema, but the one cell. */
function contentDigest(db: Database, column: AppSwitchColumn): string {
  const hash = createHash('sha256');
  const schema = db.exec('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name');
  hash.update(JSON.stringify(schema));
  const tables = (schema[0]?.values ?? [])
    .filter((row) => row[0] === 'table')
    .map((row) => String(row[1]));
  for (const table of tables) {
    const statement = db.prepare(`SELECT * FROM "${table.replace(/"/g, '""')}"`);
    try {
      const names = statement.getColumnNames();
      hash.update(`\u0000${table}\u0000${names.join(',')}`);
      while (statement.step()) {
        const row = statement.get();
        const isSettingsRow1 = table === 'settings' && row[names.indexOf('id')] === 1;
        hash.update(
          JSON.stringify(
            row.map((v, i) =>
              isSettingsRow1 && names[i] === column
                ? '(the switch)'
                : v instanceof Uint8Array
                  ? `blob:${createHash('sha256').update(v).digest('hex')}`
                  : v,
            ),
          ),
        );
      }
    } finally {
      statement.free();
    }
  }
  return hash.digest('hex');
}

interface Opened {
  db: Database;
  /** Header bytes 18 and 19 of the file (2 and 2: WAL mode), put back on what is written. */
  modeBytes: [number, number];
}

function openImage(SQL: SqlJsStatic, bytes: Uint8Array): Opened {
  const image = Uint8Array.from(bytes);
  const modeBytes: [number, number] = [image[18]!, image[19]!];
  // Rollback mode for the in-memory copy: SQLite must not look for a WAL or shared memory.
  image[18] = 1;
  image[19] = 1;
  return { db: new SQL.Database(image), modeBytes };
}

/** The settings table, row 1 and the column, or why not. */
function layoutProblem(db: Database, column: AppSwitchColumn): string | null {
  const type = db.exec("SELECT type FROM sqlite_schema WHERE name = 'settings'")[0]?.values[0]?.[0];
  if (type !== 'table')
    return type === undefined
      ? 'it has no table "settings" (not the Ollama app\'s database, or an older layout)'
      : `its "settings" is a ${String(type)}, not a table`;
  const columns = (db.exec("SELECT name FROM pragma_table_info('settings')")[0]?.values ?? []).map(
    (row) => String(row[0]),
  );
  if (!columns.includes(column)) return `its table "settings" has no column "${column}"`;
  if (!columns.includes('id')) return 'its table "settings" has no column "id"';
  const rows = db.exec('SELECT COUNT(*) FROM settings WHERE id = 1')[0]?.values[0]?.[0];
  if (rows !== 1) return 'its table "settings" has no row id=1 (the app writes it when it starts)';
  return null;
}

/** The one statement: the column is one of two fixed names, the value a bound parameter. */
const UPDATE: Record<AppSwitchColumn, string> = {
  expose: 'UPDATE settings SET expose = ? WHERE id = 1',
  browser: 'UPDATE settings SET browser = ? WHERE id = 1',
};
const SELECT: Record<AppSwitchColumn, string> = {
  expose: 'SELECT expose FROM settings WHERE id = 1',
  browser: 'SELECT browser FROM settings WHERE id = 1',
};

export interface AppSwitchDeps {
  loadSqlJs?: () => Promise<SqlJsStatic>;
  /** Between the checks and the rename (tests: the app starting meanwhile). */
  beforeRename?: (tmp: string) => void;
}

export async function switchOllamaApp(
  request: AppSwitchRequest,
  deps: AppSwitchDeps = {},
): Promise<AppSwitchResult> {
  const { column, value, db: path } = request;
  const fail = (why: string): AppSwitchResult => ({
    ok: false,
    message: `${path} was not changed: ${why}.`,
  });
  const open = openByApp(path);
  if (open) return fail(`${open}; quit the Ollama app (its tray icon, Quit Ollama) and try again`);
  const read = await readBounded(path, APP_DB_MAX_BYTES);
  if (!read.ok) return fail(`it could not be read (${read.code})`);
  if (Buffer.from(read.bytes.subarray(0, 16)).toString('latin1') !== 'SQLite format 3\u0000')
    return fail('it is not an SQLite database');
  let SQL: SqlJsStatic;
  try {
    SQL = await (deps.loadSqlJs ?? loadSqlJs)();
  } catch (error) {
    return fail(`the WASM SQLite could not be loaded (${(error as Error).message})`);
  }
  let bytes: Uint8Array;
  let before: string;
  let was: SqlValue | undefined;
  const { db, modeBytes } = openImage(SQL, read.bytes);
  try {
    const problem = layoutProblem(db, column);
    if (problem) return fail(problem);
    was = db.exec(SELECT[column])[0]?.values[0]?.[0];
    if (was === value)
      return { ok: true, message: `${column} is ${value} already in ${path}; nothing changed.` };
    before = contentDigest(db, column);
    db.run(UPDATE[column], [value]);
    if (db.getRowsModified() !== 1) return fail('SQLite changed no row');
    bytes = db.export();
  } catch (error) {
    return fail(`SQLite says "${(error as Error).message}"`);
  } finally {
    db.close();
  }
  bytes[18] = modeBytes[0];
  bytes[19] = modeBytes[1];

  // What is about to be written must read back as the same database but for that cell.
  const check = openImage(SQL, bytes);
  try {
    if (check.db.exec(SELECT[column])[0]?.values[0]?.[0] !== value)
      return fail('the new database does not hold the new value');
    if (contentDigest(check.db, column) !== before)
      return fail('the new database would differ in more than that value');
  } finally {
    check.db.close();
  }

  const tmp = join(dirname(path), `.${basename(path)}.paddock-${randomBytes(6).toString('hex')}`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    writeSync(fd, bytes);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    deps.beforeRename?.(tmp);
    const openNow = openByApp(path);
    if (openNow) {
      rmSync(tmp, { force: true });
      return fail(`${openNow}; quit the Ollama app and try again`);
    }
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    return fail(
      `writing it failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); on Windows that means a program still has it open`,
    );
  }

  const after = await readOllamaAppSettings(
    path,
    deps.loadSqlJs ? { loadSqlJs: deps.loadSqlJs } : {},
  );
  if (after.status !== 'ok' || after[column] !== (value === 1))
    return {
      ok: false,
      message: `${path} was written, but reading it back does not show ${column}=${value} (${after.status === 'ok' ? `it shows ${String(after[column])}` : after.message}).`,
    };
  return {
    ok: true,
    message: `${column} set to ${value} in ${path} (it was ${cellText(was)}).`,
  };
}

/** The command line: exit 0 done, 1 refused or failed (file unchanged), 2 malformed. */
export async function commandOllamaAppSwitch(
  args: readonly string[],
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
  deps: AppSwitchDeps = {},
): Promise<number> {
  const request = parseAppSwitchArgs(args);
  if (typeof request === 'string') {
    io.stderr(
      `paddock: __ollama-app-switch: ${request} (usage: --column expose|browser --value 0|1 --db PATH)\n`,
    );
    return 2;
  }
  const result = await switchOllamaApp(request, deps);
  if (result.ok) {
    io.stdout(`${result.message}\n`);
    return 0;
  }
  io.stderr(`paddock: ${result.message}\n`);
  return 1;
}
