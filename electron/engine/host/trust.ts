/**
 * Root is a boundary, not a mode (docs/security.md). What runs as root decides what to trust
 * from the file system itself, never from what a caller says:
 *
 * - a path is **root-controlled** when no other user can change what it names: every folder
 *   from `/` down is owned by root and writable by no one else (a sticky, world-writable folder
 *   such as /tmp is allowed only where the entry below it is root's, since no one else can
 *   rename or remove that entry), every symbolic link on the way is root's, and the final file,
 *   when asked, is root's and writable by no one else;
 * - a program runs as root only by such a path, found in a fixed list of system folders when
 *   it is named without one (never through the caller's PATH);
 * - a root process gets a fixed environment of its own, never the caller's.
 *
 * Synchronous and small: called once per program or file a root process touches.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, realpathSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';

/** Where root looks for a program named without a folder, in this order. */
export const ROOT_PROGRAM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'] as const;

/** The environment every program Paddock starts as root gets, and nothing else. */
export const ROOT_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({
  PATH: ROOT_PROGRAM_DIRS.join(':'),
  LC_ALL: 'C',
  LANG: 'C',
});

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function owner(stat: Stats): string {
  return stat.uid === 0 ? 'root' : `uid ${stat.uid}`;
}

/** Every prefix of an absolute path, `/` first: /a/b/c → [/, /a, /a/b, /a/b/c]. */
function prefixes(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  const list = ['/'];
  for (let i = 1; i <= parts.length; i += 1) list.push(`/${parts.slice(0, i).join('/')}`);
  return list;
}

/**
 * Why another user could change what `path` names, or null when only root can: every folder
 * above it is root's and writable by no one else (or sticky, with a root-owned entry below),
 * and every symbolic link on the way, `path` itself included, is root's and leads somewhere
 * root controls. The owner and mode of `path` itself are not judged here (a server's env file
 * may belong to its service user; see trustedFileProblem for what root runs). A path that does
 * not exist yet is judged by the folders that do: whoever may write the last existing folder
 * decides what appears there.
 */
export function untrustedChainProblem(path: string, depth = 0): string | null {
  if (!path.startsWith('/')) return `${path} is not an absolute path`;
  if (depth > 8) return `${path}: too many symbolic links`;
  const chain = prefixes(path);
  for (let i = 0; i < chain.length; i += 1) {
    const here = chain[i]!;
    const last = i === chain.length - 1;
    const stat = lstatOrNull(here);
    if (stat === null) return null; // nothing below exists: decided by the folder above
    if (stat.isSymbolicLink()) {
      // A link only root could have made, leading where only root controls.
      if (stat.uid !== 0) return `${here} is a symbolic link owned by ${owner(stat)}`;
      let real: string;
      try {
        real = realpathSync(here);
      } catch {
        return `${here} is a symbolic link that leads nowhere`;
      }
      const further = untrustedChainProblem(real, depth + 1);
      if (further) return `${here} leads to ${real}, and ${further}`;
      if (!last) {
        // The link stands for a folder on the way: that folder must be root's, like any other.
        const next = lstatOrNull(chain[i + 1]!);
        const realStat = lstatOrNull(real);
        if (realStat && realStat.uid !== 0)
          return `${here} leads to ${real}, which is owned by ${owner(realStat)}`;
        if (realStat && (realStat.mode & GROUP_OR_OTHER_WRITE) !== 0) {
          const sticky = (realStat.mode & STICKY) !== 0;
          if (!(sticky && next !== null && next.uid === 0))
            return `${real} can be written by users other than root (mode ${(realStat.mode & 0o7777).toString(8)})`;
        }
      }
      continue;
    }
    if (last) break;
    if (!stat.isDirectory()) return `${here} is not a folder`;
    if (stat.uid !== 0) return `${here} is owned by ${owner(stat)}`;
    if ((stat.mode & GROUP_OR_OTHER_WRITE) !== 0) {
      const next = lstatOrNull(chain[i + 1]!);
      const sticky = (stat.mode & STICKY) !== 0;
      // In a sticky folder only an entry's owner (or root) may rename or remove it.
      if (sticky && next !== null && next.uid !== 0)
        return `${chain[i + 1]} is owned by ${owner(next)}`;
      if (!(sticky && next !== null && next.uid === 0))
        return `${here} can be written by users other than root (mode ${(stat.mode & 0o7777).toString(8)})`;
    }
  }
  return null;
}

/**
 * Why a file must not be trusted as root's own (to run it, or to load code from it), or null:
 * it must exist as a regular file, be root's, be writable by no one else, and sit on a
 * root-controlled path.
 */
export function trustedFileProblem(path: string): string | null {
  if (/ \(deleted\)$/.test(path)) return `${path} has been deleted since it was started`;
  const chain = untrustedChainProblem(path);
  if (chain) return chain;
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return `${path} does not exist`;
  }
  const stat = lstatOrNull(real);
  if (stat === null || !stat.isFile()) return `${real} is not a regular file`;
  if (stat.uid !== 0) return `${real} is owned by ${owner(stat)}`;
  if ((stat.mode & GROUP_OR_OTHER_WRITE) !== 0 || (stat.mode & 0o6000) !== 0)
    return `${real} has mode ${(stat.mode & 0o7777).toString(8)} (writable by others, or set-id)`;
  return null;
}

export type ResolvedProgram =
  | { ok: true; path: string; inSystemDir: boolean }
  | { ok: false; code: 'ENOENT' | 'EUNTRUSTED'; message: string };

/**
 * The program root may run for argv[0]: a bare name is looked up in ROOT_PROGRAM_DIRS only;
 * any path must be a trusted file (root's, on a root-controlled path).
 */
export function resolveRootProgram(name: string): ResolvedProgram {
  if (name.includes('/')) {
    const problem = trustedFileProblem(name);
    if (problem)
      return {
        ok: false,
        code: 'EUNTRUSTED',
        message: `not run as root: ${problem}`,
      };
    const inSystemDir = (ROOT_PROGRAM_DIRS as readonly string[]).includes(dirname(name));
    return { ok: true, path: name, inSystemDir };
  }
  if (name === '' || name === '.' || name === '..')
    return { ok: false, code: 'ENOENT', message: `${JSON.stringify(name)} is not a program name` };
  const problems: string[] = [];
  for (const dir of ROOT_PROGRAM_DIRS) {
    const candidate = `${dir}/${name}`;
    if (lstatOrNull(candidate) === null) continue;
    const problem = trustedFileProblem(candidate);
    if (problem === null) return { ok: true, path: candidate, inSystemDir: true };
    problems.push(problem);
  }
  return problems.length > 0
    ? { ok: false, code: 'EUNTRUSTED', message: `not run as root: ${problems.join('; ')}` }
    : {
        ok: false,
        code: 'ENOENT',
        message: `${name} is not installed in ${ROOT_PROGRAM_DIRS.join(', ')}`,
      };
}

/**
 * Opens a trusted program once, for running it from that open file: whatever happens to the
 * path afterwards, the file checked is the file run. The caller closes the descriptor.
 */
export function openTrustedProgram(path: string): { fd: number } | { problem: string } {
  const problem = trustedFileProblem(path);
  if (problem) return { problem };
  let fd: number;
  try {
    fd = openSync(realpathSync(path), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    return { problem: `${path} could not be opened (${(error as NodeJS.ErrnoException).code})` };
  }
  const stat = fstatSync(fd);
  if (!stat.isFile() || stat.uid !== 0 || (stat.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    closeSync(fd);
    return { problem: `${path} changed while it was opened` };
  }
  return { fd };
}

/**
 * Why the files a root process is about to load its own code from must not be trusted, or
 * null: each must be a trusted file (root's, writable by no one else, on a root-controlled
 * path). For "refuse to start as root from a user-writable install".
 */
export function installProblem(files: readonly string[]): string | null {
  for (const file of files) {
    const problem = trustedFileProblem(file);
    if (problem) return problem;
  }
  return null;
}
