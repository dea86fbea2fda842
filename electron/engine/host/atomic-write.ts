/**
 * Writing Paddock's own files so that a crash, a kill or a power cut leaves either the old
 * content or the new, never a mix: write a temporary file in the same folder, fsync it, rename
 * it over the target, fsync the folder (so the rename itself is on disk).
 *
 * Synchronous on purpose, like the reads in ./files.ts: the files are small, and a write that
 * cannot be interleaved with another step of the same process is easier to reason about.
 */
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Test seams: a child process is killed inside them to prove the write is atomic. */
export interface AtomicWriteHooks {
  /**
   * The owner the new file gets, set on the open temporary file (fchown, then fchmod again,
   * since chown clears set-id bits): never by path, so nothing can be swapped in between.
   */
  owner?: { uid: number; gid: number } | null;
  /** The temporary file is written and fsynced; the target is not touched yet. */
  afterTempWritten?: (tempPath: string) => void;
  /** The rename is done; the folder is not fsynced yet. */
  afterRename?: () => void;
}

/** Flushes a folder's entries (a rename in it). Not every OS or filesystem can. */
function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch (error) {
    // Windows cannot open a folder; some filesystems refuse fsync on one. The rename is done
    // either way; only its durability across a power cut is then up to the OS.
    const code = (error as NodeJS.ErrnoException).code;
    if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'EBADF', 'ENOTSUP'].includes(code ?? '')) {
      throw error;
    }
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Replaces `path` with `data` atomically. Creates the parent folder (mode 0o700) when missing;
 * the file gets exactly `mode` (default 0o600: owner only), whatever the umask. The temporary
 * file is created exclusively (O_EXCL), so a planted file or link of that name is never
 * followed; on failure it is removed and the target is untouched.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
  hooks: AtomicWriteHooks = {},
): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | null = null;
  let renamed = false;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    fchmodSync(fd, mode);
    if (hooks.owner) {
      const made = fstatSync(fd);
      if (made.uid !== hooks.owner.uid || made.gid !== hooks.owner.gid) {
        fchownSync(fd, hooks.owner.uid, hooks.owner.gid);
        fchmodSync(fd, mode);
      }
    }
    let offset = 0;
    while (offset < bytes.length) {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    hooks.afterTempWritten?.(temp);
    renameSync(temp, path);
    renamed = true;
    hooks.afterRename?.();
    fsyncDir(dir);
  } finally {
    if (fd !== null) closeSync(fd);
    if (!renamed) {
      try {
        unlinkSync(temp);
      } catch {
        // never created, or already gone
      }
    }
  }
}

/**
 * Moves a file aside to `<path>.<suffix>` (or `<path>.<suffix>-N` when that name is taken),
 * never replacing another file, and returns the new path; null when there is no such file.
 * For keeping a file the user asked to reset: nothing is deleted.
 */
export function moveAside(path: string, suffix: string): string | null {
  let target = `${path}.${suffix}`;
  for (let n = 1; existsSync(target); n += 1) target = `${path}.${suffix}-${n}`;
  try {
    renameSync(path, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  fsyncDir(dirname(path));
  return target;
}
