/**
 * `paddock-privileged`: the one program Paddock asks sudo or pkexec to run as root (see
 * privileged.ts for its commands and docs/security.md for how to allow it). Before anything
 * else it:
 *
 * 1. runs as root only;
 * 2. refuses to start from an install another user could change: this file, and the Node
 *    binary running it, must be root's, writable by no one else, in folders only root
 *    controls (everything it loads is bundled into this one file, zod included);
 * 3. drops the caller's environment for a fixed one of its own (PATH of system folders only;
 *    HOME, XDG_*, PADDOCK_STATE_DIR and the rest are never read), and runs every tool by an
 *    absolute, root-owned path (host/exec.ts);
 * 4. ignores the signals sudo relays from its caller (a stop or an interrupt mid-run).
 *
 * On Windows (issue 17) UAC starts it, with `--answer-nonce NONCE` before the command:
 * it drops its environment for WINDOWS_ADMIN_ENVIRONMENT before it starts anything, then
 * win32-elevate.ts (windowsPrivilegedMain) checks its admin rights, its answer and runs folders
 * and its own install, runs the command, and writes the answer where the caller reads it.
 */
import { writeFileSync } from 'node:fs';
import { createNodeHost } from '../engine/host/node-host';
import {
  ROOT_ENVIRONMENT,
  WINDOWS_ADMIN_ENVIRONMENT,
  installProblem,
  isRoot,
} from '../engine/host/trust';
import { refuseSqlJsWasm } from '../engine/probes/app-db';
import { runPrivilegedCommand } from './privileged';
import { macRuntimeFiles } from './privileged-program';

/** Windows: UAC started this process; its answer goes to a file (win32-elevate.ts). */
async function windowsPrivilegedEntry(argv: readonly string[]): Promise<number> {
  // Nothing of the environment it started with reaches a program it starts.
  const started = Object.keys(process.env);
  for (const name of started) delete process.env[name];
  Object.assign(process.env, WINDOWS_ADMIN_ENVIRONMENT);
  const {
    windowsPrivilegedMain,
    loadedSystemDirectory,
    windowsRuntimeFilesOf,
    RUNTIME_FILES_UNLISTED,
  } = await import('./win32-elevate');
  refuseSqlJsWasm(
    "the Ollama app's settings are not read with admin rights (sql.js's WASM would be found through folders any user may create)",
  );
  // Where Windows really is, from the system DLLs this process has loaded (never from an
  // environment variable): the programs it runs are named by C:\Windows paths, so anywhere
  // else it refuses before it starts any (a C:\Windows on a PC whose Windows is on D: would be
  // any user's folder).
  const systemDirectory = loadedSystemDirectory(
    (process.report?.getReport() as { sharedObjects?: unknown } | undefined)?.sharedObjects,
  );
  if (systemDirectory !== null && systemDirectory.toLowerCase() === 'c:\\windows\\system32')
    process.chdir(`${WINDOWS_ADMIN_ENVIRONMENT.SystemRoot}\\System32`);
  const host = createNodeHost();
  const runtime = await windowsRuntimeFilesOf(host, process.execPath);
  return windowsPrivilegedMain(host, argv.slice(2), {
    run: (command, runsDir) => runPrivilegedCommand(host, command, { runsDir }),
    // The program, this script, and what the program loads from its folder (its DLLs and data).
    programFiles: [process.execPath, __filename, ...(runtime ?? [])],
    programFilesProblem: runtime === null ? RUNTIME_FILES_UNLISTED : null,
    startEnvironment: started,
    systemDirectory,
    writeAnswer: (path, text) => writeFileSync(path, text, { flag: 'wx' }),
    say: (line) => process.stderr.write(`paddock-privileged: ${line}\n`),
  });
}

export async function privilegedMain(argv: readonly string[]): Promise<number> {
  // Run by the desktop app's own binary as Node (Windows, macOS), fs would read into .asar
  // archives as folders, each entry owned by this process: the admin side reads real files only.
  (process as { noAsar?: boolean }).noAsar = true;
  if (process.platform === 'win32') return windowsPrivilegedEntry(argv);
  if (!isRoot()) {
    process.stderr.write(
      'paddock-privileged: this is the part of Paddock that runs as root, through sudo or pkexec; run `paddock` instead.\n',
    );
    return 2;
  }
  // On a Mac run by the app's own binary: its frameworks and data files too (privileged-program.ts).
  const loaded = process.platform === 'darwin' ? macRuntimeFiles(process.execPath) : [];
  const problem =
    loaded === null
      ? "the files Paddock's app loads from its bundle could not all be listed"
      : installProblem([process.execPath, __filename, ...loaded]);
  if (problem) {
    process.stderr.write(
      `paddock-privileged: refusing to run as root from an install that users other than root can change: ${problem}. Install Paddock so that its files and folders belong to root (the .deb does), and allow that copy.\n`,
    );
    return 2;
  }
  // sudo passes its caller's signals on: a run is never stopped half-way by its caller, so it
  // ends applied and verified, or rolled back, in this process (each step is bounded).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU'] as const)
    process.on(signal, () => undefined);
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, ROOT_ENVIRONMENT, { HOME: '/root' });
  process.chdir('/');
  process.umask(0o022);
  const outcome = await runPrivilegedCommand(createNodeHost(), argv.slice(2));
  for (const note of outcome.notes ?? []) process.stderr.write(`paddock-privileged: ${note}\n`);
  // The answer (a run as JSON, or what was refused) on stdout, for the side that asked.
  await new Promise<void>((resolve) => process.stdout.write(`${outcome.text}\n`, () => resolve()));
  return outcome.code;
}

void privilegedMain(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `paddock-privileged: internal error, nothing more was done: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 3;
  },
);
