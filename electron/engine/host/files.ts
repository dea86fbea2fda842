import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  readdirSync,
  readlinkSync,
  statSync,
} from 'node:fs';
import type { DirRead, FileRead, LinkRead } from './types';

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
const CHUNK = 64 * 1024;

function failure(path: string, error: unknown) {
  const e = error as NodeJS.ErrnoException;
  return {
    ok: false as const,
    path,
    code: e.code ?? 'EUNKNOWN',
    message: e.message ?? String(error),
  };
}

/**
 * Bytes as text, and whether they were valid UTF-8. Invalid bytes become U+FFFD, as
 * Buffer.toString does, so a reader that must tell them from a real U+FFFD in the file (systemd
 * loads the second and refuses the first) looks at `invalidUtf8`. A BOM is kept. When the read
 * was cut at the cap, a character cut in half at the end is dropped rather than counted.
 */
export function decodeUtf8(
  bytes: Uint8Array,
  truncated = false,
): { text: string; invalidUtf8: boolean } {
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    return { text: decoder.decode(bytes, { stream: truncated }), invalidUtf8: false };
  } catch {
    return { text: Buffer.from(bytes).toString('utf8'), invalidUtf8: true };
  }
}

/*
 * The reads are synchronous on purpose. A scan reads a few dozen small files from /proc, /etc
 * and home folders; the promise-based API costs about four times as much per file here
 * (bench/README.md), and the engine runs off the UI thread (CLI, or a utility process in the
 * app). The size cap bounds every read, so none can hold the thread for long.
 */

/**
 * Reads at most `maxBytes` of a file. Works for /proc files, whose size reads as 0, by
 * reading until EOF or the cap rather than trusting stat.
 */
export function readFileCapped(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<FileRead> {
  let fd: number | null = null;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer. Only regular files are read
    // (/proc files are regular): a device such as /dev/zero named in a config is refused.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) {
      return Promise.resolve({
        ok: false,
        path,
        code: 'ENOTREG',
        message: `${path} is not a regular file`,
      });
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let truncated = false;
    for (;;) {
      const want = Math.min(CHUNK, maxBytes + 1 - total);
      const buffer = Buffer.allocUnsafe(want);
      const bytesRead = readSync(fd, buffer, 0, want, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) {
        chunks.push(buffer.subarray(0, bytesRead - (total - maxBytes)));
        truncated = true;
        break;
      }
      chunks.push(buffer.subarray(0, bytesRead));
    }
    const { text, invalidUtf8 } = decodeUtf8(Buffer.concat(chunks), truncated);
    return Promise.resolve({
      ok: true,
      path,
      text,
      truncated,
      ...(invalidUtf8 ? { invalidUtf8 } : {}),
    });
  } catch (error) {
    return Promise.resolve(failure(path, error));
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export function readDirNames(path: string): Promise<DirRead> {
  try {
    return Promise.resolve({ ok: true, path, entries: readdirSync(path) });
  } catch (error) {
    return Promise.resolve(failure(path, error));
  }
}

export function readLinkTarget(path: string): Promise<LinkRead> {
  try {
    return Promise.resolve({ ok: true, path, target: readlinkSync(path) });
  } catch (error) {
    return Promise.resolve(failure(path, error));
  }
}

export function fileOwner(path: string): Promise<{ uid: number; mode: number } | null> {
  try {
    const stat = statSync(path);
    return Promise.resolve({ uid: stat.uid, mode: stat.mode & 0o7777 });
  } catch {
    return Promise.resolve(null);
  }
}
