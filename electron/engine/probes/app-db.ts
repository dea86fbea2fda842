/**
 * The Ollama desktop app's own settings (macOS and Windows, app 0.12.10 and later): an SQLite
 * database, `~/Library/Application Support/Ollama/db.sqlite` or `%LOCALAPPDATA%\Ollama\db.sqlite`,
 * table `settings`, one row `id = 1`. `expose = 1` makes the app start `ollama serve` with
 * `OLLAMA_HOST=0.0.0.0` over any value of the user's, `browser = 1` with `OLLAMA_ORIGINS=*`
 * (ollama/ollama app/server/server.go, commit fb30760996871fa9460115c753afd2c60d4ab0f7).
 *
 * The layout (same commit): app/store/database.go creates
 * `settings (id INTEGER PRIMARY KEY CHECK (id = 1), …, expose BOOLEAN NOT NULL DEFAULT 0, …,
 * browser BOOLEAN NOT NULL DEFAULT 0, …)`; app/store/schema.sql is the first released layout
 * (schema version 2), which has both columns already. The app opens the database with
 * `_journal_mode=WAL&_busy_timeout=5000` (database.go, newDatabase) and checkpoints only when it
 * closes it, deletes a chat, or the WAL reaches SQLite's 1000-page autocheckpoint.
 *
 * What this means for a reader, and what this module does about it:
 *
 * - **Read-only, never locking.** The file's bytes are read once (bounded, without following a
 *   symbolic link, a regular file only) and opened in memory by a WASM SQLite (sql.js): no
 *   native module, no SQLite lock taken on the app's file, nothing ever written to it, no
 *   `-shm` or `-wal` created beside it.
 * - **WAL mode.** A change the app makes (turning "Expose Ollama to the network" on) lands in
 *   `db.sqlite-wal` and stays there while the app runs: the main file alone is stale exactly
 *   when it matters. So `db.sqlite-wal` is read too and its committed frames are applied to the
 *   in-memory copy the way SQLite's own recovery does (https://sqlite.org/fileformat2.html#walformat:
 *   frames whose salts match the WAL header and whose cumulative checksums hold, up to the last
 *   commit frame). A WAL that cannot be read or used is named in the evidence, and the values
 *   are then those of the main file, which may be older than the app's.
 * - **A consistent pair.** The app may checkpoint (copy the WAL into the main file) while the two
 *   files are read; the main file is checked again afterwards (size, change time, identity) and
 *   the read is repeated when it moved. A frame being appended while the WAL is read fails its
 *   checksum and is simply not yet committed.
 * - **"locked".** SQLite's locks never stop a plain read here: on macOS they are advisory
 *   (`fcntl`), on Windows they are byte-range locks at the 1 GiB "pending byte", past the end of
 *   any database this module reads, and in WAL mode readers and writers coordinate in `-shm`.
 *   So `locked` means what the OS says: opening or reading failed with EBUSY (Windows maps a
 *   sharing or lock violation, e.g. a backup or antivirus tool holding the file, to EBUSY) or
 *   EAGAIN, or the file kept changing during every attempt.
 *
 * Memory: the file is held twice (the bytes read and sql.js's in-memory file); hence the bound.
 * The app stores chat attachments in the same database (table `attachments`, `data BLOB`), so a
 * heavily used one can pass the bound: the result then says so plainly.
 */
import { isRoot, trustedFileProblem, untrustedChainProblem } from '../host/trust';
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, open, readFile } from 'node:fs/promises';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';

export type AppDbResult =
  | {
      status: 'ok';
      /** `settings.expose` of row 1; null when the row is missing or holds what the app cannot read. */
      expose: boolean | null;
      browser: boolean | null;
      /** The columns of table `settings`, in table order. */
      columns: string[];
      /** Whether `db.sqlite-wal` existed and its committed changes were applied ('ignored': it could not be). */
      wal: 'none' | 'applied' | 'ignored';
      /** What was read and how, for a user to check (file, size, WAL, the row's raw values). */
      evidence: string;
    }
  | {
      status: 'missing' | 'denied' | 'locked' | 'unreadable' | 'unknown-layout';
      message: string;
    };

/** The outcome of reading one file's bytes. */
export type BoundedRead =
  | { ok: true; bytes: Uint8Array; identity: FileIdentity }
  | { ok: false; code: string; size?: number };

/** What tells that a file changed between two looks at it. */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface ReadOptions {
  /**
   * Read what the file holds when it is opened even if it changes meanwhile (the WAL, which the
   * app appends to while a reply streams in: a frame half-written is told by its checksum).
   */
  whileChanging?: boolean;
}

export interface AppDbDeps {
  /** The largest file read (the database, and its WAL each); default 64 MiB. */
  maxBytes?: number;
  /** Reads one file (tests inject errors such as EBUSY); default: readBounded. */
  readBytes?: (path: string, maxBytes: number, options?: ReadOptions) => Promise<BoundedRead>;
  /** The file's identity now, or null when it is gone (default: lstat). */
  identity?: (path: string) => Promise<FileIdentity | null>;
  /** sql.js, initialised (default: loaded from node_modules on first use, then kept). */
  loadSqlJs?: () => Promise<SqlJsStatic>;
}

export const APP_DB_MAX_BYTES = 64 * 1024 * 1024;
/** How many times a database that moved while it was read is read again. */
const READ_ATTEMPTS = 3;
const SQLITE_MAGIC = 'SQLite format 3\0';

function identityOf(stat: Stats): FileIdentity {
  return {
    dev: stat.dev,
    ino: stat.ino,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    ctimeMs: stat.ctimeMs,
  };
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs
  );
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? 'EIO';
}

/**
 * A regular file's bytes, read once through one descriptor: never through a symbolic link (an
 * lstat first, where O_NOFOLLOW does not exist, and O_NOFOLLOW where it does), never a FIFO or
 * a device (O_NONBLOCK, then fstat), never more than `maxBytes`. The file must not change while
 * it is read (the same size and times before and after), else the code is ECHANGED; with
 * `whileChanging`, the bytes it had when it was opened are read whatever is appended meanwhile.
 */
export async function readBounded(
  path: string,
  maxBytes: number,
  options: ReadOptions = {},
): Promise<BoundedRead> {
  let before: Stats;
  try {
    before = await lstat(path);
  } catch (error) {
    return { ok: false, code: errorCode(error) };
  }
  if (before.isSymbolicLink()) return { ok: false, code: 'ELOOP' };
  if (before.isDirectory()) return { ok: false, code: 'EISDIR' };
  if (!before.isFile()) return { ok: false, code: 'ENOTREG' };
  if (before.size > maxBytes) return { ok: false, code: 'EFBIG', size: before.size };
  // O_NOFOLLOW and O_NONBLOCK are undefined on Windows, where the lstat above stands in for them.
  const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
  let handle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    return { ok: false, code: errorCode(error) };
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) return { ok: false, code: 'ENOTREG' };
    if (opened.dev !== before.dev || opened.ino !== before.ino)
      return { ok: false, code: 'ECHANGED' };
    if (opened.size > maxBytes) return { ok: false, code: 'EFBIG', size: opened.size };
    // One byte more than the size, to see a file that grew while it was read.
    const want = options.whileChanging ? opened.size : Math.min(opened.size + 1, maxBytes + 1);
    const buffer = Buffer.alloc(want);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    const after = await handle.stat();
    if (options.whileChanging)
      return { ok: true, bytes: buffer.subarray(0, length), identity: identityOf(opened) };
    if (length > maxBytes) return { ok: false, code: 'EFBIG', size: Math.max(length, after.size) };
    if (length !== opened.size || !sameIdentity(identityOf(opened), identityOf(after)))
      return { ok: false, code: 'ECHANGED' };
    return { ok: true, bytes: buffer.subarray(0, length), identity: identityOf(after) };
  } catch (error) {
    return { ok: false, code: errorCode(error) };
  } finally {
    await handle.close();
  }
}

async function identityNow(path: string): Promise<FileIdentity | null> {
  try {
    return identityOf(await lstat(path));
  } catch {
    return null;
  }
}

let sqlJsLoading: Promise<SqlJsStatic> | null = null;
let wasmRefused: string | null = null;

/**
 * Windows' admin side (issue 17) calls this before it scans: Node's module lookup climbs to
 * `C:\node_modules`, a folder any user may create, and there is no root-owned install to check
 * the WASM against (cli/root-install.ts is Linux's). The Ollama app's settings are then not
 * read with admin rights (no admin plan depends on them), and the gap says so.
 */
export function refuseSqlJsWasm(reason: string): void {
  wasmRefused = reason;
}

/**
 * sql.js, loaded on first use only (never at CLI start-up), from node_modules like zod: the
 * bundles keep it external. Its WASM is found with require.resolve in the same package folder
 * (the one root's start-up check, cli/root-install.ts, has verified when running as root) and
 * handed over as bytes, so sql.js never looks for it itself.
 */
function loadSqlJs(): Promise<SqlJsStatic> {
  if (wasmRefused !== null) return Promise.reject(new Error(wasmRefused));
  sqlJsLoading ??= (async () => {
    const wasmPath = require.resolve('sql.js/dist/sql-wasm.wasm');
    // As root (the privileged side bundles sql.js's JavaScript but not its WASM), the WASM is
    // code root would run: only a file another user cannot change (docs/security.md).
    if (isRoot()) {
      const problem = untrustedChainProblem(wasmPath) ?? trustedFileProblem(wasmPath);
      if (problem) throw new Error(`sql.js's WASM is not loaded as root: ${problem}`);
    }
    const wasm = await readFile(wasmPath);
    const { default: initSqlJs } = await import('sql.js');
    const wasmBinary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength);
    return initSqlJs({ wasmBinary: wasmBinary as ArrayBuffer });
  })().catch((error: unknown) => {
    sqlJsLoading = null; // a later read tries again
    throw error;
  });
  return sqlJsLoading;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Why a file could not be read, in words, and the status that goes with it. */
function readProblem(
  read: Extract<BoundedRead, { ok: false }>,
  maxBytes: number,
): { status: 'missing' | 'denied' | 'locked' | 'unreadable'; reason: string } {
  switch (read.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return {
        status: 'missing',
        reason:
          'there is no such file (the Ollama desktop app, 0.12.10 or later, creates it when it first runs for this user)',
      };
    case 'EACCES':
    case 'EPERM':
      return { status: 'denied', reason: `permission denied (${read.code})` };
    case 'EBUSY':
    case 'EAGAIN':
    case 'EWOULDBLOCK':
      return {
        status: 'locked',
        reason: `another program holds it locked (${read.code}); try again in a moment`,
      };
    case 'ECHANGED':
      return {
        status: 'locked',
        reason: 'it kept changing while it was read (the app was writing to it); try again',
      };
    case 'ELOOP':
      return {
        status: 'unreadable',
        reason: 'it is a symbolic link; Paddock reads only the file itself',
      };
    case 'EISDIR':
      return { status: 'unreadable', reason: 'it is a folder, not a file' };
    case 'ENOTREG':
      return { status: 'unreadable', reason: 'it is not a regular file' };
    case 'EFBIG':
      return {
        status: 'unreadable',
        reason: `it is ${read.size === undefined ? 'too large' : mib(read.size)}, more than the ${mib(maxBytes)} Paddock reads (chat attachments are kept in the same file)`,
      };
    default:
      return { status: 'unreadable', reason: `reading it failed (${read.code})` };
  }
}

function u32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
  );
}

function putU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** The page size in a database header (offset 16; 1 stands for 65536), or null when invalid. */
function headerPageSize(bytes: Uint8Array): number | null {
  const raw = (bytes[16]! << 8) | bytes[17]!;
  const size = raw === 1 ? 65536 : raw;
  return size >= 512 && size <= 65536 && (size & (size - 1)) === 0 ? size : null;
}

const WAL_HEADER = 32;
const WAL_FRAME_HEADER = 24;

/**
 * SQLite's WAL checksum over `bytes[start, end)` (a multiple of 8), continuing from (s0, s1):
 * 32-bit words, big-endian when the WAL's magic is 0x377f0683, little-endian for 0x377f0682.
 */
function walChecksum(
  view: DataView,
  start: number,
  end: number,
  bigEndian: boolean,
  s0: number,
  s1: number,
): [number, number] {
  for (let i = start; i < end; i += 8) {
    s0 = (s0 + view.getUint32(i, !bigEndian) + s1) >>> 0;
    s1 = (s1 + view.getUint32(i + 4, !bigEndian) + s0) >>> 0;
  }
  return [s0, s1];
}

export type WalOutcome =
  | { applied: true; image: Uint8Array; frames: number; commits: number; pages: number }
  | { applied: false; reason: string };

/**
 * The database as SQLite would see it with this WAL: the committed frames applied, in order, to
 * a copy of the main file (which is left as it is). Follows SQLite's recovery
 * (https://sqlite.org/fileformat2.html#walformat): a header with the magic, version 3007000, a
 * valid page size and checksum; then frames, each valid while its salts equal the header's and
 * its cumulative checksum holds; frames after the last commit frame are not yet committed.
 */
export function applyWal(main: Uint8Array, wal: Uint8Array, maxBytes: number): WalOutcome {
  if (wal.length === 0) return { applied: false, reason: 'empty' };
  if (wal.length < WAL_HEADER) return { applied: false, reason: 'shorter than its header' };
  const view = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  const magic = u32(wal, 0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683)
    return { applied: false, reason: 'not a WAL file (wrong magic)' };
  const bigEndian = (magic & 1) === 1;
  if (u32(wal, 4) !== 3007000) return { applied: false, reason: 'unknown WAL version' };
  const pageSize = u32(wal, 8);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    return { applied: false, reason: 'invalid page size in its header' };
  let [s0, s1] = walChecksum(view, 0, 24, bigEndian, 0, 0);
  if (s0 !== u32(wal, 24) || s1 !== u32(wal, 28))
    return { applied: false, reason: 'its header checksum does not match' };
  if (main.length > 0 && headerPageSize(main) !== pageSize)
    return { applied: false, reason: "its page size is not the database's" };
  const salt1 = u32(wal, 16);
  const salt2 = u32(wal, 20);
  const frameSize = WAL_FRAME_HEADER + pageSize;
  const frames: { pgno: number; at: number }[] = [];
  let committed = 0; // frames up to and including the last commit frame
  let commits = 0;
  let dbPages = 0;
  for (let at = WAL_HEADER; at + frameSize <= wal.length; at += frameSize) {
    const pgno = u32(wal, at);
    const commitSize = u32(wal, at + 4);
    if (pgno === 0 || u32(wal, at + 8) !== salt1 || u32(wal, at + 12) !== salt2) break;
    [s0, s1] = walChecksum(view, at, at + 8, bigEndian, s0, s1);
    [s0, s1] = walChecksum(view, at + WAL_FRAME_HEADER, at + frameSize, bigEndian, s0, s1);
    if (s0 !== u32(wal, at + 16) || s1 !== u32(wal, at + 20)) break;
    frames.push({ pgno, at: at + WAL_FRAME_HEADER });
    if (commitSize !== 0) {
      committed = frames.length;
      commits += 1;
      dbPages = commitSize;
    }
  }
  if (committed === 0) return { applied: false, reason: 'no committed change in it' };
  if (dbPages * pageSize > maxBytes)
    return { applied: false, reason: `it makes the database larger than ${mib(maxBytes)}` };
  const image = new Uint8Array(dbPages * pageSize);
  image.set(main.subarray(0, Math.min(main.length, image.length)));
  for (const frame of frames.slice(0, committed)) {
    if (frame.pgno > dbPages) continue; // a page the commit truncated away
    image.set(wal.subarray(frame.at, frame.at + pageSize), (frame.pgno - 1) * pageSize);
  }
  // The header's own page count is trusted only while "version-valid-for" (offset 92) equals the
  // change counter (offset 24); make both say what the WAL committed.
  putU32(image, 28, dbPages);
  image.set(image.subarray(24, 28), 92);
  return { applied: true, image, frames: committed, commits, pages: dbPages };
}

/**
 * How the app reads a BOOLEAN column (Go's database/sql into a bool: the value as text through
 * strconv.ParseBool): 1 and 0, or "1", "t", "true", "0", "f", "false" in their usual cases;
 * anything else fails there too, so it is null here.
 */
export function appBoolean(value: SqlValue): boolean | null {
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : null;
  if (typeof value !== 'string') return null;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  return null;
}

function rawValue(value: SqlValue | undefined): string {
  if (value === undefined) return 'absent';
  if (value === null) return 'NULL';
  if (value instanceof Uint8Array) return `a ${value.length}-byte blob`;
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
}

type Query =
  | { ok: true; columns: string[]; row: SqlValue[] | null }
  | { ok: false; status: 'unknown-layout' | 'unreadable'; reason: string };

/** The settings table's columns and row 1's expose and browser, by prepared statements only. */
function querySettings(db: Database): Query {
  // Nothing this connection runs may change the (in-memory) database either.
  db.exec('PRAGMA query_only = 1');
  const kind = db.prepare('SELECT type FROM sqlite_schema WHERE name = ?');
  let type: SqlValue | undefined;
  try {
    kind.bind(['settings']);
    if (kind.step()) type = kind.get()[0];
  } finally {
    kind.free();
  }
  if (type !== 'table')
    return {
      ok: false,
      status: 'unknown-layout',
      reason:
        type === undefined
          ? 'it has no table "settings" (not the layout of Ollama 0.12.10 or later)'
          : `its "settings" is a ${String(type)}, not a table`,
    };
  const columns: string[] = [];
  const info = db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid');
  try {
    info.bind(['settings']);
    while (info.step()) columns.push(String(info.get()[0]));
  } finally {
    info.free();
  }
  const missing = ['expose', 'browser'].filter((c) => !columns.includes(c));
  if (missing.length > 0)
    return {
      ok: false,
      status: 'unknown-layout',
      reason: `its table "settings" has no column ${missing.map((c) => `"${c}"`).join(' or ')} (columns: ${columns.join(', ') || 'none'})`,
    };
  const select = db.prepare('SELECT expose, browser FROM settings WHERE id = ?');
  try {
    select.bind([1]);
    return { ok: true, columns, row: select.step() ? select.get() : null };
  } finally {
    select.free();
  }
}

/**
 * Reads the Ollama desktop app's settings from its `db.sqlite`, read-only (see the top of this
 * file). Never throws: every failure is a status with a message a user understands.
 */
export async function readOllamaAppSettings(
  path: string,
  deps: AppDbDeps = {},
): Promise<AppDbResult> {
  try {
    return await readSettings(path, deps);
  } catch (error) {
    return {
      status: 'unreadable',
      message: `Ollama's app settings (${path}) could not be read: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

async function readSettings(path: string, deps: AppDbDeps): Promise<AppDbResult> {
  const maxBytes = deps.maxBytes ?? APP_DB_MAX_BYTES;
  const readBytes = deps.readBytes ?? readBounded;
  const identity = deps.identity ?? identityNow;
  const fail = (status: Exclude<AppDbResult['status'], 'ok'>, reason: string): AppDbResult => ({
    status,
    message: `Ollama's app settings (${path}) could not be read: ${reason}`,
  });
  const failRead = (read: Extract<BoundedRead, { ok: false }>): AppDbResult => {
    const { status, reason } = readProblem(read, maxBytes);
    return fail(status, reason);
  };

  let main: Extract<BoundedRead, { ok: true }> | null = null;
  let wal: BoundedRead = { ok: false, code: 'ENOENT' };
  let hotJournal = false;
  let last: Extract<BoundedRead, { ok: false }> = { ok: false, code: 'ECHANGED' };
  for (let attempt = 0; attempt < READ_ATTEMPTS && main === null; attempt += 1) {
    const read = await readBytes(path, maxBytes);
    if (!read.ok) {
      if (read.code !== 'ECHANGED') return failRead(read);
      last = read;
      continue;
    }
    wal = await readBytes(`${path}-wal`, maxBytes, { whileChanging: true });
    hotJournal = (await identity(`${path}-journal`)) !== null;
    const now = await identity(path);
    // A checkpoint between the two reads would pair an old main file with a newer WAL.
    if (now !== null && sameIdentity(now, read.identity)) main = read;
  }
  if (main === null) return failRead(last);

  const bytes = main.bytes;
  const walRead = wal;
  const headerOk =
    bytes.length >= 100 &&
    Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('latin1') === SQLITE_MAGIC &&
    headerPageSize(bytes) !== null;
  if (bytes.length > 0 && !headerOk)
    return fail('unreadable', 'it is not an SQLite database (its header is not SQLite 3)');

  const notes: string[] = [];
  const walMode = bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2;
  notes.push(`${bytes.length} bytes${walMode ? ', WAL mode' : ''}`);
  let image: Uint8Array = bytes;
  let walState: 'none' | 'applied' | 'ignored' = 'none';
  if (walRead.ok) {
    const outcome = applyWal(bytes, walRead.bytes, maxBytes);
    if (outcome.applied) {
      image = outcome.image;
      walState = 'applied';
      notes.push(
        `${path}-wal applied: ${outcome.commits} committed transaction${outcome.commits === 1 ? '' : 's'}, ${outcome.frames} page${outcome.frames === 1 ? '' : 's'}`,
      );
    } else if (outcome.reason === 'empty' || outcome.reason === 'no committed change in it') {
      notes.push(`${path}-wal holds no committed change`);
    } else {
      walState = 'ignored';
      notes.push(
        `${path}-wal not used (${outcome.reason}): the values may be older than the app's`,
      );
    }
  } else if (walRead.code !== 'ENOENT') {
    walState = 'ignored';
    notes.push(
      `${path}-wal could not be read (${readProblem(walRead, maxBytes).reason}): the values may be older than the app's`,
    );
  }
  if (hotJournal)
    notes.push(
      `${path}-journal exists: a change was left unfinished, and the values may be from before or during it`,
    );
  if (image.length === 0) return fail('unreadable', 'it is empty');
  if (image === bytes) image = Uint8Array.from(bytes); // the copy sql.js gets, patched below
  // Rollback mode for the in-memory copy: SQLite must not look for a WAL or shared memory there.
  image[18] = 1;
  image[19] = 1;

  let SQL: SqlJsStatic;
  try {
    SQL = await (deps.loadSqlJs ?? loadSqlJs)();
  } catch (error) {
    return fail(
      'unreadable',
      `the WASM SQLite (sql.js) could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let query: Query;
  let db: Database | null = null;
  try {
    db = new SQL.Database(image);
    query = querySettings(db);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return fail('unreadable', `SQLite says "${detail}"`);
  } finally {
    db?.close();
  }
  if (!query.ok) return fail(query.status, query.reason);
  const [exposeRaw, browserRaw] = query.row ?? [];
  notes.push(
    query.row === null
      ? 'no settings row id=1 (the app writes it when it starts; until then its settings are off)'
      : `settings row id=1: expose=${rawValue(exposeRaw)}, browser=${rawValue(browserRaw)}`,
  );
  return {
    status: 'ok',
    expose: query.row === null ? null : appBoolean(exposeRaw ?? null),
    browser: query.row === null ? null : appBoolean(browserRaw ?? null),
    columns: query.columns,
    wal: walState,
    evidence: `read ${path} (${notes.join('; ')})`,
  };
}
