/**
 * Root is a boundary (docs/security.md): `paddock` run as root loads its own code (this bundle,
 * the `bin/paddock.cjs` launcher, and zod from node_modules, which the bundle keeps outside to
 * start faster) and runs Node itself; if another user could change any of those files, or a
 * folder above them, running as root would run that user's code. So, as root, each must be
 * root's, writable by no one else, in folders only root controls; otherwise the CLI refuses
 * to start and says why. As an ordinary user nothing is checked (a user's own checkout is fine
 * for running as that user).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { installProblem, isRoot } from '../engine/host/trust';

/** Folders of a package are few and small; this bounds the walk all the same. */
const MAX_FILES = 5000;

function packageFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (here: string) => {
    for (const entry of readdirSync(here, { withFileTypes: true })) {
      if (files.length >= MAX_FILES) return;
      const path = join(here, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(dir);
  return files;
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
  if (zod) files.push(...packageFiles(packageDirOf(zod, 'zod')));
  return installProblem(files);
}
