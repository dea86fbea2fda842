/**
 * The disk side of the fix engine (engine/fixes/executor.ts), kept here because host/ is the
 * only place that touches the disk:
 *
 * - `FixFiles`: the system files a fix changes (a systemd drop-in, a config file). Read as raw
 *   bytes with their permission bits, so that a backup puts back exactly what was there;
 *   written atomically (./atomic-write.ts). Only regular files are read or replaced: a symlink
 *   is refused rather than followed or replaced by a copy of its target. A folder is listed
 *   (`listDir`: which rules of Paddock's remain, R1) only when it is one, not a link, and as
 *   root only when no other user controls it or a folder above it.
 * - The run store: Paddock's own record of each run (plan, journal, backups), written so that
 *   a kill at any moment leaves whole files and whole journal lines.
 * - A lock, so that two Paddock processes never change the system (or recover a run) at once.
 *
 * Synchronous inside, like ./atomic-write.ts: the files are small and a step that cannot be
 * interleaved with another is easier to reason about.
 */
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  existsSync,
  readSync,
  readdirSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic-write';
import { isRoot, untrustedChainProblem } from './trust';

/** A file's owner. */
export interface Owner {
  uid: number;
  gid: number;
}

/** A regular file's bytes, permission bits (mode & 0o7777) and owner. */
export interface FileState extends Owner {
  bytes: Uint8Array;
  mode: number;
}

/** What the executor may do to system files. Paths are absolute. */
export interface FixFiles {
  /** The file's bytes and mode; null when it does not exist. Throws for anything not a regular file. */
  read(path: string): Promise<FileState | null>;
  /**
   * Replaces (or creates) the file atomically with exactly `mode`, owned by `owner`; without
   * one, a file that exists keeps its owner (root editing a user's file leaves it theirs).
   */
  write(path: string, content: string | Uint8Array, mode: number, owner?: Owner): Promise<void>;
  /** Removes the file; a file already gone is not an error. */
  remove(path: string): Promise<void>;
  /** The parent folders of `path` that do not exist, outermost first (a write would create them). */
  missingParents(path: string): Promise<string[]>;
  /** Removes a folder if it is empty; false (and nothing done) when it is not, or is gone. */
  removeEmptyDir(path: string): Promise<boolean>;
  /**
   * The names of a folder's entries; null when it does not exist. Throws when it is not a
   * folder (a symbolic link included), or, as root, when another user controls it or a folder
   * above it: what it holds could then be anyone's say.
   */
  listDir(path: string): Promise<string[] | null>;
}

/** Config files are small; anything past this is not one Paddock wrote or would change. */
const MAX_FIX_FILE_BYTES = 16 * 1024 * 1024;
/** Folders a fix creates hold system configuration (ollama.service.d): readable, like their parents. */
const NEW_DIR_MODE = 0o755;

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function readRegular(path: string): FileState | null {
  let fd: number | null = null;
  try {
    // O_NOFOLLOW: a symlink planted at the path fails with ELOOP instead of being followed.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    if (errorCode(error) === 'ELOOP') {
      throw new Error(`${path} is a symbolic link; Paddock changes only regular files`);
    }
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    if (stat.size > MAX_FIX_FILE_BYTES) throw new Error(`${path} is too large to back up`);
    const bytes = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < bytes.length) {
      const n = readSync(fd, bytes, offset, bytes.length - offset, null);
      if (n === 0) break;
      offset += n;
    }
    return {
      bytes: bytes.subarray(0, offset),
      mode: stat.mode & 0o7777,
      uid: stat.uid,
      gid: stat.gid,
    };
  } finally {
    closeSync(fd);
  }
}

function missingParentsSync(path: string): string[] {
  const missing: string[] = [];
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      lstatSync(dir);
      break;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      missing.unshift(dir);
    }
  }
  return missing;
}

function currentOwner(path: string): Owner | null {
  try {
    const stat = lstatSync(path);
    return { uid: stat.uid, gid: stat.gid };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

function writeSystemFile(
  path: string,
  content: string | Uint8Array,
  mode: number,
  owner: Owner | undefined,
): void {
  // writeFileAtomic would create missing folders 0700 (right for Paddock's own files); a
  // system folder such as ollama.service.d must stay readable, whatever the umask.
  for (const dir of missingParentsSync(path)) {
    mkdirSync(dir, { mode: NEW_DIR_MODE });
    chmodSync(dir, NEW_DIR_MODE);
  }
  // The owner is set on the open temporary file, so the rename swaps in a file that is right
  // from its first moment. Only when it differs: chown needs privileges we may not have.
  writeFileAtomic(path, content, mode, { owner: owner ?? currentOwner(path) });
}

/**
 * As root, a system file is touched only through folders no other user controls
 * (host/trust.ts): another user who can rename a folder on the way could otherwise swap it
 * for a link between Paddock's checks and its write, and have root write (or back up, or
 * remove) a file of their choosing. Such a file is left to its owner.
 */
function guardRootPath(path: string): void {
  if (!isRoot()) return;
  const problem = untrustedChainProblem(path);
  if (problem)
    throw new Error(
      `${path} is reached through a folder another user controls (${problem}); as root, Paddock does not read or change files there. Run this fix as that user.`,
    );
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    return;
  }
  fsyncDir(dirname(path));
}

function removeEmptyDirSync(path: string): boolean {
  try {
    rmdirSync(path);
  } catch (error) {
    if (['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(errorCode(error) ?? '')) return false;
    throw error;
  }
  fsyncDir(dirname(path));
  return true;
}

function listDirSync(path: string): string[] | null {
  let fd: number;
  try {
    // O_NOFOLLOW with O_DIRECTORY: a link planted at the path fails instead of being followed.
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    if (errorCode(error) === 'ELOOP' || errorCode(error) === 'ENOTDIR')
      throw new Error(`${path} is not a folder (or is a symbolic link)`);
    throw error;
  }
  try {
    const opened = fstatSync(fd);
    if (isRoot() && (opened.uid !== 0 || (opened.mode & 0o022) !== 0))
      throw new Error(
        `${path} can be changed by a user other than root (owner uid ${opened.uid}, mode ${(opened.mode & 0o7777).toString(8)})`,
      );
    // The folder that was opened and checked, where the system names it by its descriptor
    // (Linux): no swap of the path between the check and the listing changes what is read.
    const names = readdirSync(existsSync('/proc/self/fd') ? `/proc/self/fd/${fd}` : path);
    // The name must still be the folder opened: nothing swapped it while it was read.
    const now = lstatSync(path);
    if (now.dev !== opened.dev || now.ino !== opened.ino)
      throw new Error(`${path} changed while it was read`);
    return names;
  } finally {
    closeSync(fd);
  }
}

/** The real system files. */
export function createFixFiles(): FixFiles {
  const guarded =
    <A extends unknown[], R>(fn: (path: string, ...rest: A) => R) =>
    (path: string, ...rest: A): Promise<R> =>
      Promise.resolve().then(() => {
        guardRootPath(path);
        return fn(path, ...rest);
      });
  return {
    read: guarded(readRegular),
    write: guarded(writeSystemFile),
    remove: guarded(removeFile),
    missingParents: guarded(missingParentsSync),
    removeEmptyDir: guarded(removeEmptyDirSync),
    listDir: guarded(listDirSync),
  };
}

// ── the run store: Paddock's own files ──────────────────────────────────────────────────

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a folder; the entry is written either way.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Creates a private folder (0700) and its parents. */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

/** Writes one of Paddock's own files atomically, owner only. */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  writeFileAtomic(path, data, 0o600);
}

/**
 * Appends one line and fsyncs before returning: when this returns, the line is on disk; a
 * kill during it leaves the line whole or torn at the end of the file, never in the middle of
 * a later one (a torn tail is closed with a newline before the next append, so readers can
 * skip it as one bad line).
 */
export function appendLineDurable(path: string, line: string): void {
  if (line.includes('\n')) throw new Error('a journal line cannot contain a newline');
  const fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o600);
  let size = 0;
  try {
    size = fstatSync(fd).size;
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    const bytes = Buffer.from(`${prefix}${line}\n`, 'utf8');
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // The first line: the file was just created, and its folder entry must be on disk too.
  if (size === 0) fsyncDir(dirname(path));
}

/** A file's text, or null when it does not exist. */
export function readPrivateText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

/** A file's bytes, or null when it does not exist. */
export function readPrivateBytes(path: string): Uint8Array | null {
  try {
    return readFileSync(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

/** The names of the folders in `path`; empty when it does not exist. */
export function listSubdirs(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

// ── the lock ─────────────────────────────────────────────────────────────────────────────

export type LockResult = { ok: true; release: () => void } | { ok: false; heldBy: number };

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is only someone else's.
    return errorCode(error) === 'EPERM';
  }
}

/**
 * Takes a lock file holding our pid, created exclusively. A lock left by a process that is
 * gone (killed mid-run: exactly the case recovery exists for) is taken over. A pid reused by
 * an unrelated process keeps the lock until that process ends; the message names the pid.
 */
export function acquireLock(path: string): LockResult {
  makePrivateDir(dirname(path));
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, `${process.pid}\n`);
      fsyncSync(fd);
      closeSync(fd);
      return { ok: true, release: () => releaseLock(path) };
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readPrivateText(path) ?? '', 10);
    if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
      return { ok: false, heldBy: holder };
    }
    removeFile(path);
  }
  return { ok: false, heldBy: 0 };
}

function releaseLock(path: string): void {
  const holder = Number.parseInt(readPrivateText(path) ?? '', 10);
  if (holder === process.pid) removeFile(path);
}

/** A file's text and mode for a fix recipe (which is pure and synchronous); null when absent or unreadable. */
/** What a recipe reads at most: any file it edits is far smaller. */
const RECIPE_READ_MAX = 1024 * 1024;

/**
 * A file a recipe reads to plan an edit: a regular file of at most 1 MiB, opened without
 * waiting on a FIFO; as root, never through a folder another user controls (the write would
 * be refused anyway, and the read must not be theirs to redirect: security review of issue 13).
 * null when it cannot be read that way.
 */
export function readTextForRecipe(path: string): string | null {
  if (isRoot() && untrustedChainProblem(path) !== null) return null;
  const read = readRegularFile(path, RECIPE_READ_MAX);
  return read.ok ? read.text : null;
}

export type RegularFileRead =
  { ok: true; text: string; mode: number; uid: number } | { ok: false; why: string };

/**
 * A regular file's text (UTF-8), opened without following a link and without blocking on a
 * FIFO, of at most `maxBytes`, with the mode and owner of what was read (so a caller checks the
 * file it read, not a name that may since point elsewhere). `why` in plain words otherwise.
 * The one reader for recipes, root's credential checks and the service's configuration.
 */
export function readRegularFile(path: string, maxBytes: number): RegularFileRead {
  let fd: number | null = null;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return {
      ok: false,
      why: code === 'ENOENT' ? 'it does not exist' : `it cannot be opened (${code})`,
    };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, why: 'it is not a regular file' };
    if (stat.size > maxBytes)
      return { ok: false, why: `it is larger than ${Math.round(maxBytes / 1024)} KiB` };
    // To the end of the file, not to its size: a file of /proc says 0 and holds text all the
    // same (/proc/1/comm, which tells a recipe whether systemd runs: read as '' before, so no
    // nftables fix was ever made to last past a reboot).
    const chunks: Buffer[] = [];
    let read = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.max(1, Math.min(64 * 1024, maxBytes + 1 - read)));
      const n = readSync(fd, chunk, 0, chunk.length, read);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      read += n;
      if (read > maxBytes)
        return { ok: false, why: `it is larger than ${Math.round(maxBytes / 1024)} KiB` };
    }
    return {
      ok: true,
      text: Buffer.concat(chunks).toString('utf8'),
      mode: stat.mode & 0o7777,
      uid: stat.uid,
    };
  } catch (error) {
    return {
      ok: false,
      why: `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    };
  } finally {
    closeSync(fd);
  }
}

/** For a recipe running as root: why root must not write `path` (RecipeIO.rootWriteProblem). */
export function rootWriteProblemForRecipe(path: string): string | null {
  return isRoot() ? untrustedChainProblem(path) : null;
}

export function fileModeForRecipe(path: string): number | null {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return null;
  }
}

/** systemd is the init system here (sd_booted's test): units can be enabled to survive a reboot. */
export function systemdBooted(): boolean {
  try {
    return statSync('/run/systemd/system').isDirectory();
  } catch {
    return false;
  }
}
