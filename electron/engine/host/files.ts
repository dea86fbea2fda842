import { open, readdir, readlink } from 'node:fs/promises';
import type { DirRead, FileRead, LinkRead } from './types';

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

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
 * Reads at most `maxBytes` of a file. Works for /proc files, whose size reads as 0, by
 * reading until EOF or the cap rather than trusting stat.
 */
export async function readFileCapped(
  path: string,
  maxBytes = DEFAULT_MAX_FILE_BYTES,
): Promise<FileRead> {
  let handle;
  try {
    handle = await open(path, 'r');
    const chunks: Buffer[] = [];
    let total = 0;
    let truncated = false;
    for (;;) {
      const want = Math.min(64 * 1024, maxBytes + 1 - total);
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) {
        chunks.push(buffer.subarray(0, bytesRead - (total - maxBytes)));
        truncated = true;
        break;
      }
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return { ok: true, path, text: Buffer.concat(chunks).toString('utf8'), truncated };
  } catch (error) {
    return failure(path, error);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export async function readDirNames(path: string): Promise<DirRead> {
  try {
    return { ok: true, path, entries: await readdir(path) };
  } catch (error) {
    return failure(path, error);
  }
}

export async function readLinkTarget(path: string): Promise<LinkRead> {
  try {
    return { ok: true, path, target: await readlink(path) };
  } catch (error) {
    return failure(path, error);
  }
}
