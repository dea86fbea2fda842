import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { ROOT_ENVIRONMENT, isRoot, openTrustedProgram, resolveRootProgram } from './trust';
import type { ExecOptions, ExecResult } from './types';

const DEFAULT_TIMEOUT_MS = 5000;
/** Makes an Electron binary run a script as plain Node (its runAsNode fuse: electron-builder.yml). */
const RUN_AS_NODE = 'ELECTRON_RUN_AS_NODE';
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Runs a program by argv: never a shell, never a string. LC_ALL=C so that tools print the
 * untranslated output the parsers expect. Output past `maxBytes` is dropped (the process is
 * killed), and the whole run is bounded by `timeoutMs`.
 *
 * As root (trust.ts): the program is found in the system folders only, never through PATH,
 * and must be root's on a root-controlled path; a program outside those folders (a server's
 * own binary) is opened once and run from that open file; the child gets root's fixed
 * environment, nothing of the caller's. A program that fails these checks is not run:
 * `spawnError` is ENOENT or EUNTRUSTED and stderr says why.
 */
export function execArgv(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const started = performance.now();
  const [file, ...args] = argv;
  const result: ExecResult = {
    argv: [...argv],
    code: null,
    signal: null,
    stdout: '',
    stderr: '',
    truncated: false,
    timedOut: false,
    spawnError: null,
    durationMs: 0,
  };
  if (!file) {
    result.spawnError = 'EINVAL';
    return Promise.resolve(result);
  }
  let program = file;
  // Windows (issue 17): PATH there is `;`-separated and holds no POSIX folders, and its
  // programs are named by absolute path (System32) anyway; LC_ALL means nothing to them.
  let env: NodeJS.ProcessEnv =
    process.platform === 'win32'
      ? { ...process.env }
      : {
          ...process.env,
          PATH: withSystemPath(process.env.PATH),
          LC_ALL: 'C',
          LANG: 'C',
        };
  // The desktop app's own binary is only ever started by Paddock to run Paddock's CLI bundle
  // as Node (`__ollama-app-switch` on Windows: win32.ts, defaultPaddockProgram), never as a
  // second app; every other program gets no such variable from Paddock (an Electron app such
  // as LM Studio would otherwise start as bare Node).
  for (const name of Object.keys(env)) if (name.toUpperCase() === RUN_AS_NODE) delete env[name];
  const self = Boolean(process.versions.electron) && file === process.execPath;
  if (self) env[RUN_AS_NODE] = '1';
  let heldFd: number | null = null;
  if (isRoot()) {
    // As root the child gets root's environment only, without the variable: the app's binary
    // would start as the app, as root. It is never run so.
    if (self) {
      result.spawnError = 'EUNTRUSTED';
      result.stderr = "not run as root: the desktop app's own binary";
      return Promise.resolve(result);
    }
    const resolved = resolveRootProgram(file);
    if (!resolved.ok) {
      result.spawnError = resolved.code;
      result.stderr = resolved.message;
      return Promise.resolve(result);
    }
    program = resolved.path;
    env = { ...ROOT_ENVIRONMENT };
    // macOS has no /proc/self/fd to run an opened file from; its programs outside the system
    // folders that Paddock runs live in SIP-protected /usr/libexec and /System, which no user
    // (root included) can change: the path is checked and run as it is (issue 16).
    const sealed =
      process.platform === 'darwin' && /^\/(?:usr\/libexec|System)\//.test(resolved.path);
    if (!resolved.inSystemDir && !sealed) {
      const opened = openTrustedProgram(resolved.path);
      if ('problem' in opened) {
        result.spawnError = 'EUNTRUSTED';
        result.stderr = `not run as root: ${opened.problem}`;
        return Promise.resolve(result);
      }
      heldFd = opened.fd;
    }
  }
  const stdin = options.interactive ? 'inherit' : options.input !== undefined ? 'pipe' : 'ignore';
  const stdio: Array<'inherit' | 'pipe' | 'ignore' | number> = [
    stdin,
    'pipe',
    options.interactive ? 'inherit' : 'pipe',
  ];
  // The opened file becomes the child's descriptor 3, and the child runs exactly that file.
  if (heldFd !== null) stdio.push(heldFd);
  return new Promise((resolve) => {
    const child = spawn(heldFd !== null ? '/proc/self/fd/3' : program, args, {
      shell: false,
      stdio,
      env,
      argv0: heldFd !== null ? program : undefined,
      windowsHide: true,
    });
    if (heldFd !== null) {
      closeSync(heldFd);
      heldFd = null;
    }
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // a program that exits without reading it
      child.stdin.end(options.input);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.stdout = Buffer.concat(out).toString('utf8');
      result.stderr = Buffer.concat(err).toString('utf8');
      result.durationMs = performance.now() - started;
      resolve(result);
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      const room = maxBytes - outBytes;
      if (room <= 0) return;
      if (chunk.length > room) {
        out.push(chunk.subarray(0, room));
        outBytes = maxBytes;
        result.truncated = true;
        child.kill('SIGKILL');
      } else {
        out.push(chunk);
        outBytes += chunk.length;
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      const room = maxBytes - errBytes;
      if (room <= 0) return;
      err.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      errBytes += Math.min(chunk.length, room);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      result.spawnError = error.code ?? 'EUNKNOWN';
      finish();
    });
    child.on('close', (code, signal) => {
      result.code = code;
      result.signal = signal;
      finish();
    });
  });
}

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * PATH for a child: the caller's, plus the system folders it lacks. An app started from a
 * desktop launcher, or a user's PATH without sbin, would otherwise not find ss, nft or ufw,
 * and ufw itself runs sysctl by name.
 */
export function withSystemPath(path: string | undefined): string {
  const parts = (path ?? '').split(':').filter((p) => p !== '');
  for (const dir of SYSTEM_DIRS) if (!parts.includes(dir)) parts.push(dir);
  return parts.join(':');
}

/** How an argv is shown to the user: each argument quoted only when it needs it. For display only. */
export function displayArgv(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}
