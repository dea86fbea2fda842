/**
 * Root is a boundary (docs/security.md): `paddock` run as root loads its own code (this bundle,
 * the `bin/paddock.cjs` launcher, and zod from node_modules, which the bundle keeps outside to
 * start faster) and runs Node itself; if another user could change any of those files, or a
 * folder above them, running as root would run that user's code. So, as root, each must be
 * root's, writable by no one else, in folders only root controls; otherwise the CLI refuses
 * to start and says why. As an ordinary user nothing is checked (a user's own checkout is fine
 * for running as that user).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { installProblem, isRoot, untrustedChainProblem } from '../engine/host/trust';

/** Folders of a package are few and small; this bounds the walk all the same. */
const MAX_ENTRIES = 5000;

/**
 * Why a package folder (already on a root-controlled path) holds something another user could
 * change, or null: one lstat per entry (root's, not writable by group or others, no links),
 * not a full path check per file, so that a root start stays fast.
 */
function packageProblem(dir: string): string | null {
  let seen = 0;
  const walk = (here: string): string | null => {
    for (const entry of readdirSync(here, { withFileTypes: true })) {
      if ((seen += 1) > MAX_ENTRIES) return `${dir} holds more than ${MAX_ENTRIES} entries`;
      const path = join(here, entry.name);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) return `${path} is a symbolic link`;
      if (stat.uid !== 0) return `${path} is owned by uid ${stat.uid}`;
      if ((stat.mode & 0o022) !== 0)
        return `${path} can be written by users other than root (mode ${(stat.mode & 0o7777).toString(8)})`;
      if (stat.isDirectory()) {
        const inner = walk(path);
        if (inner) return inner;
      }
    }
    return null;
  };
  return walk(dir);
}

/** The package folder of a resolved module file (the folder holding its package.json). */
function packageDirOf(file: string, name: string): string {
  const marker = `/node_modules/${name}/`;
  const at = file.lastIndexOf(marker);
  return at >= 0 ? file.slice(0, at + marker.length - 1) : dirname(file);
}

/**
 * Why this CLI must not run as root from where it is installed, or null (always null when not
 * root). `launcher` is the script Node was started with (argv[1]).
 */
export function rootInstallProblem(launcher: string | undefined): string | null {
  if (!isRoot()) return null;
  const files = [process.execPath, __filename];
  if (launcher && launcher.startsWith('/')) files.push(launcher);
  let zod: string | null = null;
  try {
    zod = require.resolve('zod');
  } catch {
    // Not installed: the commands that need it say so when they load it.
  }
  if (zod) files.push(zod);
  const problem = installProblem(files);
  if (problem || !zod) return problem;
  const dir = packageDirOf(zod, 'zod');
  return untrustedChainProblem(`${dir}/package.json`) ?? packageProblem(dir);
}
