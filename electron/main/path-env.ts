/**
 * An app started from a desktop launcher (Finder, a .desktop file) gets a minimal PATH, not
 * the one the user's login shell builds, and the engine would then miss `ollama`,
 * `nvidia-smi`, `ufw` or `docker` where the terminal finds them. Before the engine starts,
 * Paddock asks the user's login shell for its PATH (one fixed command, by argv, bounded in
 * time) and merges it with the usual system folders. Windows keeps its PATH as it is.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { execArgv } from '../engine/host/exec';

export const PATH_MARKER = '__PADDOCK_PATH__';
/** Constant: nothing is ever interpolated into what the shell runs. */
export const LOGIN_SHELL_COMMAND = `printf "${PATH_MARKER}%s${PATH_MARKER}" "$PATH"`;
export const SHELL_TIMEOUT_MS = 3000;
const FALLBACK_SHELL = '/bin/sh';

/** The PATH printed between the markers (login shells may print a banner around it). */
export function pathBetweenMarkers(stdout: string): string | null {
  const start = stdout.indexOf(PATH_MARKER);
  if (start < 0) return null;
  const from = start + PATH_MARKER.length;
  const end = stdout.indexOf(PATH_MARKER, from);
  if (end < 0) return null;
  return stdout.slice(from, end);
}

export function wellKnownDirs(platform: NodeJS.Platform, home: string): string[] {
  const dirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  if (platform === 'darwin') dirs.push('/opt/homebrew/bin', '/opt/homebrew/sbin');
  if (isAbsolute(home)) dirs.push(join(home, '.local', 'bin'));
  return dirs;
}

/**
 * The login shell's entries first (the user's order), then those of the PATH Paddock was
 * started with, then the well-known folders; each once, absolute ones only (a relative entry
 * would find programs in whatever the working directory is).
 */
export function mergePath(
  shellPath: string | null,
  currentPath: string | undefined,
  extraDirs: readonly string[],
): string {
  const seen = new Set<string>();
  const merged: string[] = [];
  const add = (entry: string) => {
    const dir = entry.length > 1 ? entry.replace(/\/+$/, '') : entry;
    if (!dir.startsWith('/') || seen.has(dir)) return;
    seen.add(dir);
    merged.push(dir);
  };
  for (const entry of (shellPath ?? '').split(':')) add(entry.trim());
  for (const entry of (currentPath ?? '').split(':')) add(entry.trim());
  for (const entry of extraDirs) add(entry);
  return merged.join(':');
}

/** The shells /etc/shells lists (comments and blank lines skipped). */
export function parseEtcShells(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

/** $SHELL only when it is an absolute path listed in /etc/shells and executable; else /bin/sh. */
export function chooseShell(
  shellEnv: string | undefined,
  etcShells: string | null,
  isExecutable: (path: string) => boolean,
): string {
  if (!shellEnv || !isAbsolute(shellEnv) || etcShells === null) return FALLBACK_SHELL;
  if (!parseEtcShells(etcShells).has(shellEnv)) return FALLBACK_SHELL;
  return isExecutable(shellEnv) ? shellEnv : FALLBACK_SHELL;
}

export interface ShellRun {
  stdout: string;
  code: number | null;
  timedOut: boolean;
}

export interface PathEnvDeps {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
  readEtcShells: () => string | null;
  isExecutable: (path: string) => boolean;
  run: (argv: readonly string[], timeoutMs: number) => Promise<ShellRun>;
}

export interface PathRestoration {
  path: string | undefined;
  /** shell: the login shell answered; fallback: it did not, the usual folders were added. */
  source: 'shell' | 'fallback' | 'unchanged';
  shell: string | null;
}

export function defaultPathEnvDeps(): PathEnvDeps {
  return {
    platform: process.platform,
    env: process.env,
    home: homedir(),
    readEtcShells: () => {
      try {
        return readFileSync('/etc/shells', 'utf8');
      } catch {
        return null;
      }
    },
    isExecutable: (path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    run: (argv, timeoutMs) => execArgv(argv, { timeoutMs, maxBytes: 256 * 1024 }),
  };
}

/** Sets `deps.env.PATH` to the login shell's PATH merged with the usual folders. */
export async function restorePath(
  deps: PathEnvDeps = defaultPathEnvDeps(),
): Promise<PathRestoration> {
  if (deps.platform === 'win32') return { path: deps.env.PATH, source: 'unchanged', shell: null };
  const extra = wellKnownDirs(deps.platform, deps.home);
  const shell = chooseShell(deps.env.SHELL, deps.readEtcShells(), deps.isExecutable);
  let shellPath: string | null = null;
  try {
    const result = await deps.run([shell, '-ilc', LOGIN_SHELL_COMMAND], SHELL_TIMEOUT_MS);
    // A complete pair of markers is the answer even if the shell then hung on its way out.
    shellPath = pathBetweenMarkers(result.stdout);
  } catch {
    shellPath = null;
  }
  const path = mergePath(shellPath, deps.env.PATH, extra);
  deps.env.PATH = path;
  return { path, source: shellPath === null ? 'fallback' : 'shell', shell };
}
