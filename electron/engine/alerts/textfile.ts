/**
 * Issue 15: the Prometheus textfile, written atomically after every full scan for
 * node_exporter's textfile collector (which may read it at any moment: it sees the old file or
 * the new one, never half).
 *
 * The service writes as root, and Debian's textfile folder sits in a folder another user owns
 * (/var/lib/prometheus belongs to `prometheus`), who could swap the folder for a link to
 * /etc. So the folder is opened once and checked through that open descriptor: the path the
 * kernel says the descriptor names must be the configured folder itself (no link followed on
 * the way), the folder must be root's and writable by no one else, and every write and the
 * rename happen through /proc/self/fd/N, the folder that was checked, whatever happens to the
 * path meanwhile. The unit's ProtectSystem=strict makes everything but this folder read-only
 * as well (docs/security.md).
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  readlinkSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';

export type TextfileResult = { ok: true } | { ok: false; error: string };

/** The folder, opened and checked as described above; the caller closes `fd`. */
function openCheckedFolder(
  dir: string,
  expectedOwner: number,
): { ok: true; fd: number; at: string } | { ok: false; error: string } {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      error:
        code === 'ENOENT'
          ? `${dir} does not exist (is prometheus-node-exporter installed? its textfile folder is /var/lib/prometheus/node-exporter)`
          : `${dir} cannot be opened (${code})`,
    };
  }
  const at = `/proc/self/fd/${fd}`;
  const fail = (error: string) => {
    closeSync(fd);
    return { ok: false as const, error };
  };
  let real: string;
  try {
    real = readlinkSync(at);
  } catch {
    return fail(`${dir}: /proc is not mounted, so the folder cannot be checked`);
  }
  if (real !== dir)
    return fail(
      `${dir} leads to ${real} through a symbolic link: the textfile is written only into the folder named`,
    );
  const stat = fstatSync(fd);
  if (stat.uid !== expectedOwner || (stat.mode & 0o022) !== 0)
    return fail(
      `${dir} must be owned by uid ${expectedOwner} and writable by no one else (it is uid ${stat.uid}, mode ${(stat.mode & 0o7777).toString(8)})`,
    );
  return { ok: true, fd, at };
}

/**
 * Removes the textfile Paddock wrote, through the checked folder (uninstall): only a regular
 * file that starts as Paddock's report does. Gone already is fine.
 */
export function removeTextfile(path: string, expectedOwner = 0): TextfileResult {
  const folder = openCheckedFolder(dirname(path), expectedOwner);
  if (!folder.ok) return folder;
  const file = `${folder.at}/${basename(path)}`;
  try {
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true };
      throw error;
    }
    try {
      const stat = fstatSync(fd);
      const head = Buffer.alloc(15);
      const n = stat.isFile() ? readSync(fd, head, 0, head.length, 0) : 0;
      if (!stat.isFile() || head.subarray(0, n).toString('utf8') !== '# HELP paddock_')
        return {
          ok: false,
          error: `${path} is not a textfile Paddock wrote; it was left as it is`,
        };
    } finally {
      closeSync(fd);
    }
    unlinkSync(file);
    fsyncSync(folder.fd);
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      error: `${path} could not be removed (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    };
  } finally {
    closeSync(folder.fd);
  }
}

/** Writes `text` to `path` (mode 0644: the collector's user reads it), atomically. */
export function writeTextfile(path: string, text: string, expectedOwner = 0): TextfileResult {
  const name = basename(path);
  const folder = openCheckedFolder(dirname(path), expectedOwner);
  if (!folder.ok) return folder;
  const dirFd = folder.fd;
  const at = folder.at;
  const dir = dirname(path);
  let temp: string | null = null;
  try {
    temp = `.${name}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    const fd = openSync(
      `${at}/${temp}`,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      fchmodSync(fd, 0o644);
      const bytes = Buffer.from(text, 'utf8');
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(`${at}/${temp}`, `${at}/${name}`);
    temp = null;
    fsyncSync(dirFd);
    return { ok: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return {
      ok: false,
      error:
        code === 'EROFS'
          ? `${dir} is read-only to the service (the unit's ReadWritePaths= names the textfile folder it was installed with: run \`paddock service install\` again after changing "textfile")`
          : `${path} could not be written (${code})`,
    };
  } finally {
    if (temp !== null) {
      try {
        unlinkSync(`${at}/${temp}`);
      } catch {
        // never created
      }
    }
    closeSync(dirFd);
  }
}
