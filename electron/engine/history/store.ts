/**
 * The history: an append-only JSON Lines file of events and fix runs, at
 * `$PADDOCK_STATE_DIR/history.jsonl`, else `$XDG_STATE_HOME/paddock/history.jsonl`, else
 * `~/.local/state/paddock/history.jsonl`. One line per record:
 *
 *   {"v":1,"type":"event","event":{…PaddockEvent…}}
 *   {"v":1,"type":"fix-run","run":{"id","fixId","instance","state","startedAt","endedAt","outcome"}}
 *
 * Durability: an append is one write() of the whole line to a file opened with O_APPEND,
 * then fsync, and only then does append() return. A kill or a crash can therefore at worst
 * leave the last line torn (never one that was reported written); the reader skips and
 * counts it. Before appending, a file that does not end with a newline gets one (in the same
 * write), so a torn tail never swallows the next line. Appends are synchronous on purpose,
 * like host/atomic-write.ts: one line, no interleaving within the process; between processes
 * (the app and `paddock watch`) O_APPEND keeps each line whole.
 *
 * Rotation: when the file is over `maxBytes` (5 MiB) or its first record is older than
 * `rotateAfterDays` (7), it is renamed to `history-<stamp>.jsonl` and a new one starts.
 * Retention: rotated files whose last write is older than `retentionDays` (90) are deleted
 * (at open and at each rotation), and read() leaves out records older than that. So nothing
 * older than 90 days is shown, and nothing older than 97 days is kept.
 *
 * read() reads the current file then the rotated ones, newest first, until `limit` records,
 * each file capped in size; lines that are not JSON, or not a valid record (zod, loaded on
 * first read, as the settings store does), are skipped and counted, never fatal.
 */
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { PaddockEvent } from '../../../shared/events';
import type { FixRun, RunState } from '../../../shared/fixes';
import { readFileCapped } from '../host/files';
import type { Host } from '../host/types';
import { cleanText } from '../text/untrusted';

export const HISTORY_VERSION = 1;
export const HISTORY_FILE = 'history.jsonl';
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_RETENTION_DAYS = 90;
export const DEFAULT_ROTATE_AFTER_DAYS = 7;
export const DEFAULT_READ_LIMIT = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A record longer than this is refused on write and skipped on read. */
const MAX_LINE_BYTES = 64 * 1024;
/** Problems named one by one; the rest are only counted. */
const MAX_PROBLEMS = 20;
const MAX_ROTATED_FILES = 1000;
const ROTATED = /^history-(\d{8}T\d{9}Z)(?:-([0-9a-z]+))?\.jsonl$/;

/** A fix run as the history keeps it: what was done, to what, and how it ended. */
export interface FixRunSummary {
  id: string;
  fixId: string;
  instance: string | null;
  state: RunState;
  startedAt: string;
  endedAt: string | null;
  outcome: string;
}

export interface HistoryRead {
  /** Oldest first (the newest `limit` records). */
  events: PaddockEvent[];
  runs: FixRunSummary[];
  /** Lines that could not be used (torn, not JSON, not a valid record). */
  skipped: number;
  /** What was skipped and why (the first few), and files that could not be read. */
  problems: string[];
}

export interface HistoryOptions {
  /** The folder holding history.jsonl and its rotated files. */
  dir: string;
  maxBytes?: number;
  retentionDays?: number;
  rotateAfterDays?: number;
  /** Rotated files kept at most, the oldest removed first (default 1000). */
  maxRotatedFiles?: number;
  now?: () => Date;
}

export interface HistoryStore {
  readonly path: string;
  /** Appends one event; returns once it is on disk (fsynced). Throws when it cannot. */
  append(event: PaddockEvent): void;
  appendRun(run: FixRun | FixRunSummary): void;
  read(limit?: number): Promise<HistoryRead>;
  /** Deletes rotated files past retention; returns their paths. */
  prune(): string[];
}

/**
 * `$PADDOCK_STATE_DIR`, else `$XDG_STATE_HOME/paddock`, else `~/.local/state/paddock`. On
 * Windows (issue 17): `%PADDOCK_STATE_DIR%`, else `%LOCALAPPDATA%\Paddock`, where Windows
 * programs keep per-user state that does not roam.
 */
export function defaultHistoryDir(
  host: Pick<Host, 'env' | 'homeDir'> & { platform?: string },
): string {
  if (host.platform === 'win32') {
    const absolute = (v: string | undefined) =>
      v && /^[A-Za-z]:\\/.test(v) ? v.replace(/\\+$/, '') : null;
    const own = absolute(host.env('PADDOCK_STATE_DIR'));
    if (own) return own;
    const local = absolute(host.env('LOCALAPPDATA')) ?? `${host.homeDir()}\\AppData\\Local`;
    return `${local}\\Paddock`;
  }
  const own = host.env('PADDOCK_STATE_DIR');
  if (own && own.startsWith('/')) return own.replace(/\/+$/, '') || '/';
  const state = host.env('XDG_STATE_HOME');
  const base =
    state && state.startsWith('/') ? state.replace(/\/+$/, '') : `${host.homeDir()}/.local/state`;
  return `${base}/paddock`;
}

export function summarizeRun(run: FixRun | FixRunSummary): FixRunSummary {
  if (!('plan' in run)) return run;
  return {
    id: run.id,
    fixId: run.plan.fixId,
    instance: run.plan.instance,
    state: run.state,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    outcome: cleanText(run.outcome, 2000),
  };
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

function recordTime(record: unknown): number | null {
  if (typeof record !== 'object' || record === null) return null;
  const r = record as { type?: unknown; event?: { at?: unknown }; run?: { startedAt?: unknown } };
  const text = r.type === 'event' ? r.event?.at : r.type === 'fix-run' ? r.run?.startedAt : null;
  if (typeof text !== 'string') return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

// ── validation (zod, loaded on first read) ──────────────────────────────────────────────

type Validator = (
  record: unknown,
) =>
  | { ok: true; kind: 'event'; event: PaddockEvent }
  | { ok: true; kind: 'fix-run'; run: FixRunSummary }
  | { ok: false; why: string };

let validatorLoading: Promise<Validator> | null = null;

function loadValidator(): Promise<Validator> {
  validatorLoading ??= (async () => {
    const [{ z }, { paddockEventSchema }, { runStateSchema }] = await Promise.all([
      import('zod'),
      import('../../../shared/events'),
      import('../../../shared/fixes'),
    ]);
    const record = z.discriminatedUnion('type', [
      z.object({ v: z.literal(1), type: z.literal('event'), event: paddockEventSchema }),
      z.object({
        v: z.literal(1),
        type: z.literal('fix-run'),
        run: z.object({
          id: z.string().min(1).max(200),
          fixId: z.string().max(100),
          instance: z.string().max(200).nullable(),
          state: runStateSchema,
          startedAt: z.string().max(100),
          endedAt: z.string().max(100).nullable(),
          outcome: z.string().max(4000),
        }),
      }),
    ]);
    return (value: unknown) => {
      const parsed = record.safeParse(value);
      if (parsed.success)
        return parsed.data.type === 'event'
          ? { ok: true, kind: 'event', event: parsed.data.event }
          : { ok: true, kind: 'fix-run', run: parsed.data.run };
      const version = (value as { v?: unknown } | null)?.v;
      if (typeof version === 'number' && version > HISTORY_VERSION)
        return { ok: false, why: `written by a newer Paddock (record version ${version})` };
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        why: `not a history record (${issue ? `${issue.path.join('.') || 'record'}: ${issue.message}` : 'invalid'})`,
      };
    };
  })();
  return validatorLoading;
}

// ── the store ───────────────────────────────────────────────────────────────────────────

export function createHistoryStore(options: HistoryOptions): HistoryStore {
  const dir = options.dir;
  const path = join(dir, HISTORY_FILE);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const retentionMs = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS;
  const maxRotated = options.maxRotatedFiles ?? MAX_ROTATED_FILES;
  const rotateAfterMs = (options.rotateAfterDays ?? DEFAULT_ROTATE_AFTER_DAYS) * DAY_MS;
  const now = options.now ?? (() => new Date());
  /** The current file's first record time, per inode (another process may have rotated it). */
  let firstRecord: { ino: number; ms: number | null } | null = null;
  let pruned = false;

  function rotatedFiles(all = false): string[] {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    // Newest first: by stamp, then by the suffix a same-millisecond rotation added.
    const order = (name: string): [string, number] => {
      const match = ROTATED.exec(name)!;
      return [match[1]!, match[2] ? parseInt(match[2], 36) : 0];
    };
    return names
      .filter((n) => ROTATED.test(n))
      .map((name) => ({ name, key: order(name) }))
      .sort((a, b) =>
        a.key[0] !== b.key[0] ? (a.key[0] < b.key[0] ? 1 : -1) : b.key[1] - a.key[1],
      )
      .slice(0, all ? undefined : MAX_ROTATED_FILES)
      .map((entry) => entry.name);
  }

  function prune(): string[] {
    const cutoff = now().getTime() - retentionMs;
    const removed: string[] = [];
    // Every rotated file, newest first: past the count kept, or older than retention, it goes.
    const names = rotatedFiles(true);
    for (const [index, name] of names.entries()) {
      const file = join(dir, name);
      try {
        if (index >= maxRotated || statSync(file).mtimeMs < cutoff) {
          unlinkSync(file);
          removed.push(file);
        }
      } catch {
        // gone already, or not ours to remove: left for next time
      }
    }
    return removed;
  }

  /** The first record's time in the open file (read once per file). */
  function firstRecordMs(fd: number, ino: number): number | null {
    if (firstRecord && firstRecord.ino === ino) return firstRecord.ms;
    const buffer = Buffer.alloc(MAX_LINE_BYTES);
    const bytes = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytes).toString('utf8');
    const newline = text.indexOf('\n');
    let ms: number | null = null;
    if (newline > 0) {
      try {
        ms = recordTime(JSON.parse(text.slice(0, newline)));
      } catch {
        ms = null;
      }
    }
    firstRecord = { ino, ms };
    return ms;
  }

  function rotate(): void {
    const at = now();
    let target = join(dir, `history-${stamp(at)}.jsonl`);
    for (let n = 1; n < 100; n += 1) {
      try {
        statSync(target);
        target = join(dir, `history-${stamp(at)}-${n.toString(36)}.jsonl`);
      } catch {
        break;
      }
    }
    try {
      renameSync(path, target);
    } catch (error) {
      // Another process rotated it first: the file at `path` is a new one, fine as is.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    firstRecord = null;
    prune();
  }

  function writeLine(line: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!pruned) {
      pruned = true;
      prune();
    }
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o600);
      try {
        const stat = fstatSync(fd);
        if (attempt === 0 && stat.size > 0) {
          const first = firstRecordMs(fd, stat.ino);
          const old = first !== null && now().getTime() - first > rotateAfterMs;
          if (stat.size >= maxBytes || old) {
            closeSync(fd);
            rotate();
            continue;
          }
        }
        let text = `${line}\n`;
        if (stat.size > 0) {
          const last = Buffer.alloc(1);
          readSync(fd, last, 0, 1, stat.size - 1);
          // A torn tail (a writer killed mid-line) keeps its own line; ours starts afresh.
          if (last[0] !== 0x0a) text = `\n${text}`;
        }
        const bytes = Buffer.from(text, 'utf8');
        let offset = 0;
        for (let writes = 0; offset < bytes.length && writes < 1000; writes += 1)
          offset += writeSync(fd, bytes, offset, bytes.length - offset);
        if (offset < bytes.length) throw new Error(`could not write to ${path}`);
        fsyncSync(fd);
        if (stat.size === 0) firstRecord = { ino: stat.ino, ms: recordTime(JSON.parse(line)) };
        return;
      } finally {
        try {
          closeSync(fd);
        } catch {
          // closed before rotating
        }
      }
    }
  }

  function appendRecord(record: object): void {
    const line = JSON.stringify(record);
    if (Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES)
      throw new Error(`history record too large (${line.length} characters)`);
    writeLine(line);
  }

  async function read(limit = DEFAULT_READ_LIMIT): Promise<HistoryRead> {
    const validate = await loadValidator();
    const cutoff = now().getTime() - retentionMs;
    const events: PaddockEvent[] = [];
    const runs: FixRunSummary[] = [];
    const problems: string[] = [];
    let skipped = 0;
    const problem = (text: string) => {
      if (problems.length < MAX_PROBLEMS) problems.push(text);
      else if (problems.length === MAX_PROBLEMS) problems.push('… more lines were skipped');
    };
    let wanted = Math.max(0, Math.floor(limit));
    const files = [HISTORY_FILE, ...rotatedFiles()];
    for (const name of files) {
      if (wanted === 0) break;
      const file = join(dir, name);
      const content = await readFileCapped(file, Math.max(maxBytes * 2, MAX_LINE_BYTES));
      if (!content.ok) {
        if (content.code !== 'ENOENT') problem(`${file} could not be read (${content.code})`);
        continue;
      }
      const lines = content.text.split('\n');
      // Cut by the size cap (only a file that grew past rotation, say by another writer):
      // its last line is a part, and what follows it is not read.
      if (content.truncated) {
        lines.pop();
        problem(`${file} is larger than the read limit; only its beginning was read`);
      }
      let tooOld = false;
      for (let i = lines.length - 1; i >= 0 && wanted > 0; i -= 1) {
        const text = lines[i]!;
        if (text.trim() === '') continue;
        if (text.length > MAX_LINE_BYTES) {
          skipped += 1;
          problem(`${file} line ${i + 1}: too long, skipped`);
          continue;
        }
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          skipped += 1;
          problem(`${file} line ${i + 1}: not JSON (a torn or corrupted line), skipped`);
          continue;
        }
        const checked = validate(value);
        if (!checked.ok) {
          skipped += 1;
          problem(`${file} line ${i + 1}: ${checked.why}, skipped`);
          continue;
        }
        const ms = recordTime(value);
        if (ms !== null && ms < cutoff) {
          tooOld = true;
          continue;
        }
        if (checked.kind === 'event') events.push(checked.event);
        else runs.push(checked.run);
        wanted -= 1;
      }
      // The files that follow are older still: past retention, like the end of this one.
      if (tooOld) break;
    }
    events.reverse();
    runs.reverse();
    return { events, runs, skipped, problems };
  }

  return {
    path,
    append(event) {
      appendRecord({ v: HISTORY_VERSION, type: 'event', event });
    },
    appendRun(run) {
      appendRecord({ v: HISTORY_VERSION, type: 'fix-run', run: summarizeRun(run) });
    },
    read,
    prune,
  };
}
