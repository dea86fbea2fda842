// `npm start`: the desktop app in development (electron-vite dev). Electron's binary comes from
// a download at `npm install` that needs Node >= 22.12 and a network that reaches GitHub; where
// it could not be had, say so in plain words and point to the CLI, instead of Electron's own
// stack trace.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Why the Electron binary cannot be started from this checkout, or null. */
export function electronProblem(
  electronDir = path.join(root, 'node_modules', 'electron'),
  env = process.env,
  nodeVersion = process.versions.node,
) {
  if (!fs.existsSync(path.join(electronDir, 'package.json')))
    return 'the electron package is not installed (run `npm ci` first)';
  const pathFile = path.join(electronDir, 'path.txt');
  const executable = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : null;
  const dist = env.ELECTRON_OVERRIDE_DIST_PATH || path.join(electronDir, 'dist');
  if (executable && fs.existsSync(path.join(dist, executable))) return null;
  const [major, minor] = nodeVersion.split('.').map(Number);
  const oldNode = major < 22 || (major === 22 && minor < 12);
  return [
    "Electron's binary is not in node_modules/electron/dist: npm downloads it from GitHub at install time, and here that did not happen",
    oldNode
      ? ` (Electron's installer needs Node 22.12 or later; this is Node ${nodeVersion})`
      : env.ELECTRON_SKIP_BINARY_DOWNLOAD
        ? ' (ELECTRON_SKIP_BINARY_DOWNLOAD is set)'
        : ' (GitHub could not be reached, or the download was skipped)',
  ].join('');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problem = electronProblem();
  if (problem) {
    process.stderr.write(
      [
        `Paddock's window cannot start on this machine: ${problem}.`,
        '',
        'To get the window: on a machine with Node 22.12 or later that can reach GitHub, run',
        '`npm ci` again (or install the .deb). Nothing else is missing: everything Paddock does',
        'is also in its command line, which needs no Electron:',
        '',
        '  node bin/paddock.cjs scan        (or `npm link` once, then `paddock scan`)',
        '  node bin/paddock.cjs --help',
        '',
      ].join('\n'),
    );
    process.exit(1);
  }
  const bin = path.join(root, 'node_modules', '.bin', 'electron-vite');
  const started = spawnSync(bin, ['dev', ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exit(started.status ?? 1);
}
