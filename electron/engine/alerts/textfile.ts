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
  readlinkSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';

export type TextfileResult = { ok: true } | { ok: false; error: string };

/** Writes `text` to `path` (mode 0644: the collector's user reads it), atomically. */
export function writeTextfile(path: string, text: string, expectedOwner = 0): TextfileResult {
  const dir = dirname(path);
  const name = basename(path);
  let dirFd: number;
  try {
    dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
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
  const at = `/proc/self/fd/${dirFd}`;
  let temp: string | null = null;
  try {
    let real: string;
    try {
      real = readlinkSync(at);
    } catch {
      return { ok: false, error: `${dir}: /proc is not mounted, so the folder cannot be checked` };
    }
    if (real !== dir)
      return {
        ok: false,
        error: `${dir} leads to ${real} through a symbolic link: the textfile is written only into the folder named`,
      };
    const stat = fstatSync(dirFd);
    if (stat.uid !== expectedOwner || (stat.mode & 0o022) !== 0)
      return {
        ok: false,
        error: `${dir} must be owned by uid ${expectedOwner} and writable by no one else (it is uid ${stat.uid}, mode ${(stat.mode & 0o7777).toString(8)})`,
      };
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
