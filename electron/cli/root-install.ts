/**
 * Root is a boundary (docs/security.md): `paddock` run as root loads its own code (this bundle,
 * the `bin/paddock.cjs` launcher, and from node_modules zod and sql.js, which the bundle keeps
 * outside to start faster; sql.js with its WASM, loaded only when the Ollama app's database is
 * read) and runs Node itself; if another user could change any of those files, or a
 * folder above them, running as root would run that user's code. So, as root, each must be
 * root's, writable by no one else, in folders only root controls; otherwise the CLI refuses
 * to start and says why. As an ordinary user nothing is checked (a user's own checkout is fine
 * for running as that user).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { installProblem, isRoot, untrustedChainProblem } from '../engine/host/trust';

/**
 * The packages the bundle loads from node_modules (scripts/build-cli.mjs, `external`). Each
 * package folder is checked whole, before any of it can be loaded: for sql.js that covers the
 * `dist/sql-wasm.wasm` it reads as bytes (engine/probes/app-db.ts), not only its JavaScript.
 */
const EXTERNAL_PACKAGES = ['zod', 'sql.js'] as const;

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
  const packages: { name: string; main: string }[] = [];
  for (const name of EXTERNAL_PACKAGES) {
    try {
      packages.push({ name, main: require.resolve(name) });
    } catch {
      // Not installed: the commands that need it say so when they load it.
    }
  }
  const problem = installProblem([...files, ...packages.map((p) => p.main)]);
  if (problem) return problem;
  for (const { name, main } of packages) {
    const dir = packageDirOf(main, name);
    const inner = untrustedChainProblem(`${dir}/package.json`) ?? packageProblem(dir);
    if (inner) return inner;
  }
  return null;
}
