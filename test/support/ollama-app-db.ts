/**
 * Fixtures for the Ollama desktop app's `db.sqlite` (electron/engine/probes/app-db.ts), built
 * with sql.js in memory: the app's own table layout, the row it keeps, and a WAL file written
 * the way SQLite writes one, so that tests need no native SQLite.
 *
 * The layouts are copied from ollama/ollama at commit fb30760996871fa9460115c753afd2c60d4ab0f7:
 * `SCHEMA_V2` is app/store/schema.sql (the first released layout, schema version 2),
 * `SCHEMA_CURRENT` the CREATE statements in app/store/database.go (`init`, schema version 18).
 */
import initSqlJs from 'sql.js';
import type { SqlJsStatic, SqlValue } from 'sql.js';

export const SCHEMA_V2 = `
CREATE TABLE IF NOT EXISTS settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    device_id TEXT NOT NULL DEFAULT '',
    has_completed_first_run BOOLEAN NOT NULL DEFAULT 0,
    expose BOOLEAN NOT NULL DEFAULT 0,
    survey BOOLEAN NOT NULL DEFAULT TRUE,
    browser BOOLEAN NOT NULL DEFAULT 0,
    models TEXT NOT NULL DEFAULT '',
    remote TEXT NOT NULL DEFAULT '',
    agent BOOLEAN NOT NULL DEFAULT 0,
    tools BOOLEAN NOT NULL DEFAULT 0,
    working_dir TEXT NOT NULL DEFAULT '',
    context_length INTEGER NOT NULL DEFAULT 4096,
    window_width INTEGER NOT NULL DEFAULT 0,
    window_height INTEGER NOT NULL DEFAULT 0,
    config_migrated BOOLEAN NOT NULL DEFAULT 0,
    schema_version INTEGER NOT NULL DEFAULT 2
);
INSERT OR IGNORE INTO settings (id) VALUES (1);
CREATE TABLE IF NOT EXISTS chats (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    thinking TEXT NOT NULL DEFAULT '',
    stream BOOLEAN NOT NULL DEFAULT 0,
    model_name TEXT,
    model_cloud BOOLEAN,
    model_ollama_host BOOLEAN,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    thinking_time_start TIMESTAMP,
    thinking_time_end TIMESTAMP,
    FOREIGN KEY (chat_id) REFERENCES chats(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_messages_chat_id ON messages(chat_id);
CREATE TABLE IF NOT EXISTS tool_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    function_name TEXT NOT NULL,
    function_arguments TEXT NOT NULL,
    function_result TEXT,
    FOREIGN KEY (message_id) REFERENCES messages(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_tool_calls_message_id ON tool_calls(message_id);
`;

export const SCHEMA_CURRENT = `
CREATE TABLE IF NOT EXISTS settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    device_id TEXT NOT NULL DEFAULT '',
    has_completed_first_run BOOLEAN NOT NULL DEFAULT 0,
    expose BOOLEAN NOT NULL DEFAULT 0,
    survey BOOLEAN NOT NULL DEFAULT TRUE,
    browser BOOLEAN NOT NULL DEFAULT 0,
    models TEXT NOT NULL DEFAULT '',
    agent BOOLEAN NOT NULL DEFAULT 0,
    tools BOOLEAN NOT NULL DEFAULT 0,
    working_dir TEXT NOT NULL DEFAULT '',
    context_length INTEGER NOT NULL DEFAULT 0,
    window_width INTEGER NOT NULL DEFAULT 0,
    window_height INTEGER NOT NULL DEFAULT 0,
    config_migrated BOOLEAN NOT NULL DEFAULT 0,
    airplane_mode BOOLEAN NOT NULL DEFAULT 0,
    turbo_enabled BOOLEAN NOT NULL DEFAULT 0,
    websearch_enabled BOOLEAN NOT NULL DEFAULT 0,
    selected_model TEXT NOT NULL DEFAULT '',
    sidebar_open BOOLEAN NOT NULL DEFAULT 0,
    last_home_view TEXT NOT NULL DEFAULT 'chat',
    onboarding_version INTEGER NOT NULL DEFAULT 0,
    think_enabled BOOLEAN NOT NULL DEFAULT 0,
    think_level TEXT NOT NULL DEFAULT '',
    cloud_setting_migrated BOOLEAN NOT NULL DEFAULT 0,
    remote TEXT NOT NULL DEFAULT '', -- deprecated
    auto_update_enabled BOOLEAN NOT NULL DEFAULT 1,
    claude_desktop_used BOOLEAN NOT NULL DEFAULT 0,
    schema_version INTEGER NOT NULL DEFAULT 18
);
INSERT OR IGNORE INTO settings (id) VALUES (1);
CREATE TABLE IF NOT EXISTS chats (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    browser_state TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    thinking TEXT NOT NULL DEFAULT '',
    stream BOOLEAN NOT NULL DEFAULT 0,
    model_name TEXT,
    model_cloud BOOLEAN, -- deprecated
    model_ollama_host BOOLEAN, -- deprecated
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    thinking_time_start TIMESTAMP,
    thinking_time_end TIMESTAMP,
    tool_result TEXT,
    FOREIGN KEY (chat_id) REFERENCES chats(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_messages_chat_id ON messages(chat_id);
CREATE TABLE IF NOT EXISTS tool_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    function_name TEXT NOT NULL,
    function_arguments TEXT NOT NULL,
    function_result TEXT,
    FOREIGN KEY (message_id) REFERENCES messages(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_tool_calls_message_id ON tool_calls(message_id);
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL,
    filename TEXT NOT NULL,
    data BLOB NOT NULL,
    FOREIGN KEY (message_id) REFERENCES messages(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_attachments_message_id ON attachments(message_id);
CREATE TABLE IF NOT EXISTS users (
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    plan TEXT NOT NULL DEFAULT '',
    cached_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
`;

let sqlJs: Promise<SqlJsStatic> | null = null;

function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= initSqlJs();
  return sqlJs;
}

export interface AppDbSpec {
  /** The CREATE statements (default SCHEMA_CURRENT); any other SQL for other layouts. */
  schema?: string;
  /** Values stored in row 1 as they are (0/1 as the app writes them; other values for odd cases). */
  expose?: SqlValue;
  browser?: SqlValue;
  /** Delete row 1 after the schema inserted it. */
  withoutRow?: boolean;
  /** Chats, each with a user and an assistant message, to give the file a realistic size. */
  chats?: number;
  /** Bytes of attachment data (in 1 MiB blobs), as the app stores images sent in a chat. */
  attachmentBytes?: number;
  /**
   * Mark the file as WAL mode (header bytes 18 and 19 = 2), as the app's file is (it opens it
   * with `_journal_mode=WAL`); default true.
   */
  walMode?: boolean;
  /** Further SQL run last (to make a second version of the same database for a WAL). */
  then?: string;
}

/** The bytes of a `db.sqlite` with the app's layout and row 1 holding the given values. */
export async function buildOllamaAppDb(spec: AppDbSpec = {}): Promise<Uint8Array> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  try {
    db.exec(spec.schema ?? SCHEMA_CURRENT);
    if (spec.withoutRow) db.exec('DELETE FROM settings WHERE id = 1');
    for (const [column, value] of [
      ['expose', spec.expose],
      ['browser', spec.browser],
    ] as const) {
      if (value !== undefined) db.run(`UPDATE settings SET ${column} = ? WHERE id = 1`, [value]);
    }
    if (spec.schema === undefined || spec.schema === SCHEMA_V2 || spec.schema === SCHEMA_CURRENT)
      db.run('UPDATE settings SET device_id = ? WHERE id = 1', [
        '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      ]);
    for (let i = 0; i < (spec.chats ?? 0); i += 1) {
      const chat = `chat-${i}`;
      db.run('INSERT INTO chats (id, title) VALUES (?, ?)', [chat, `Chat number ${i}`]);
      db.run('INSERT INTO messages (chat_id, role, content) VALUES (?, ?, ?)', [
        chat,
        'user',
        `Question ${i}: ${'why is the sky blue? '.repeat(8)}`,
      ]);
      db.run('INSERT INTO messages (chat_id, role, content, model_name) VALUES (?, ?, ?, ?)', [
        chat,
        'assistant',
        `Answer ${i}: ${'Rayleigh scattering of sunlight by the air. '.repeat(30)}`,
        'llama3.2',
      ]);
    }
    const blob = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff);
    for (let left = spec.attachmentBytes ?? 0; left > 0; left -= blob.length) {
      db.run('INSERT INTO attachments (message_id, filename, data) VALUES (1, ?, ?)', [
        'photo.png',
        blob.subarray(0, Math.min(left, blob.length)),
      ]);
    }
    if (spec.then) db.exec(spec.then);
    const bytes = db.export();
    if (spec.walMode ?? true) {
      bytes[18] = 2;
      bytes[19] = 2;
    }
    return bytes;
  } finally {
    db.close();
  }
}

/** SQLite's WAL checksum (https://sqlite.org/fileformat2.html#walformat), written anew here. */
function checksum(
  bytes: Uint8Array,
  start: number,
  end: number,
  bigEndian: boolean,
  seed: [number, number],
): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let [s0, s1] = seed;
  for (let i = start; i < end; i += 8) {
    s0 = (s0 + view.getUint32(i, !bigEndian) + s1) >>> 0;
    s1 = (s1 + view.getUint32(i + 4, !bigEndian) + s0) >>> 0;
  }
  return [s0, s1];
}

export interface WalTransaction {
  /** The database after the transaction; its pages that differ from the one before are written. */
  after: Uint8Array;
  /** Leave out the commit mark (a transaction still being written). */
  uncommitted?: boolean;
  /** Write these salts instead of the header's (frames of an earlier WAL generation). */
  salts?: [number, number];
}

export interface WalSpec {
  pageSize?: number;
  /** Checksums over big-endian words (magic 0x377f0683); default little-endian, as on macOS and Windows. */
  bigEndian?: boolean;
  salts?: [number, number];
}

function pageSizeOf(db: Uint8Array): number {
  const raw = (db[16]! << 8) | db[17]!;
  return raw === 1 ? 65536 : raw;
}

/**
 * A `db.sqlite-wal` holding `transactions` on top of `before`, as SQLite writes it: a header
 * (magic, version 3007000, page size, checkpoint sequence, salts, checksum), then for each
 * transaction a frame per changed page, the last one carrying the database's new page count
 * (the commit mark); each frame's checksum continues the previous one.
 */
export function buildWal(
  before: Uint8Array,
  transactions: WalTransaction[],
  spec: WalSpec = {},
): Uint8Array {
  const pageSize = spec.pageSize ?? pageSizeOf(before);
  const bigEndian = spec.bigEndian ?? false;
  const salts = spec.salts ?? [0x1234abcd, 0x0badf00d];
  const frames: { pgno: number; commit: number; page: Uint8Array; salts: [number, number] }[] = [];
  let previous = before;
  for (const tx of transactions) {
    const pages = tx.after.length / pageSize;
    const changed: number[] = [];
    for (let p = 1; p <= pages; p += 1) {
      const a = tx.after.subarray((p - 1) * pageSize, p * pageSize);
      const b = previous.subarray((p - 1) * pageSize, p * pageSize);
      if (b.length !== a.length || a.some((x, i) => x !== b[i])) changed.push(p);
    }
    if (changed.length === 0) changed.push(1);
    changed.forEach((p, i) =>
      frames.push({
        pgno: p,
        commit: !tx.uncommitted && i === changed.length - 1 ? pages : 0,
        page: tx.after.subarray((p - 1) * pageSize, p * pageSize),
        salts: tx.salts ?? salts,
      }),
    );
    previous = tx.after;
  }
  const out = new Uint8Array(32 + frames.length * (24 + pageSize));
  const view = new DataView(out.buffer);
  view.setUint32(0, bigEndian ? 0x377f0683 : 0x377f0682);
  view.setUint32(4, 3007000);
  view.setUint32(8, pageSize);
  view.setUint32(12, 0);
  view.setUint32(16, salts[0]);
  view.setUint32(20, salts[1]);
  let sum = checksum(out, 0, 24, bigEndian, [0, 0]);
  view.setUint32(24, sum[0]);
  view.setUint32(28, sum[1]);
  frames.forEach((frame, k) => {
    const at = 32 + k * (24 + pageSize);
    view.setUint32(at, frame.pgno);
    view.setUint32(at + 4, frame.commit);
    view.setUint32(at + 8, frame.salts[0]);
    view.setUint32(at + 12, frame.salts[1]);
    out.set(frame.page, at + 24);
    sum = checksum(out, at, at + 8, bigEndian, sum);
    sum = checksum(out, at + 24, at + 24 + pageSize, bigEndian, sum);
    view.setUint32(at + 16, sum[0]);
    view.setUint32(at + 20, sum[1]);
  });
  return out;
}
