/**
 * host/exec.ts: the desktop app runs its own binary only as Node (ELECTRON_RUN_AS_NODE=1, for
 * `__ollama-app-switch`), and never hands that variable to any other program, such as another
 * Electron app it starts. Real child processes; the Electron runtime is stood in for by marking
 * this Node process as Electron's (process.versions.electron), whose binary is then this Node.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { execArgv } from '../../../electron/engine/host/exec';
import type * as Trust from '../../../electron/engine/host/trust';

// The app never runs as root (main/index.ts refuses); as root every child gets root's fixed
// environment instead, which the tests of trust.ts cover. These run as the app's user would,
// but the last, which is root.
let root = false;
vi.mock('../../../electron/engine/host/trust', async (original) => ({
  ...(await original<typeof Trust>()),
  isRoot: () => root,
}));

const PRINT = "process.stdout.write(process.env.ELECTRON_RUN_AS_NODE ?? 'unset')";

function asElectron(): void {
  Object.defineProperty(process.versions, 'electron', { value: '38.0.0', configurable: true });
}

afterEach(() => {
  root = false;
  delete (process.versions as Record<string, string | undefined>).electron;
  delete process.env.ELECTRON_RUN_AS_NODE;
  delete process.env.electron_run_as_node;
});

describe('execArgv and ELECTRON_RUN_AS_NODE', () => {
  it('in the app, its own binary gets ELECTRON_RUN_AS_NODE=1', async () => {
    asElectron();
    const result = await execArgv([process.execPath, '-e', PRINT]);
    expect(result.stdout).toBe('1');
  });

  it('in the app, any other program never gets it, even when the app’s own environment has it', async () => {
    asElectron();
    process.env.ELECTRON_RUN_AS_NODE = '1';
    const result = await execArgv(['/bin/sh', '-c', 'printf %s "${ELECTRON_RUN_AS_NODE:-unset}"']);
    expect(result.stdout).toBe('unset');
  });

  it('whatever its spelling (Windows names are case-blind), the caller’s own copy never passes on', async () => {
    process.env.electron_run_as_node = '1';
    const result = await execArgv([
      process.execPath,
      '-e',
      "process.stdout.write(Object.keys(process.env).filter((k) => k.toUpperCase() === 'ELECTRON_RUN_AS_NODE').join(',') || 'none')",
    ]);
    expect(result.stdout).toBe('none');
  });

  it('as root, the app’s own binary is never run (it would start as the app, as root)', async () => {
    asElectron();
    root = true;
    const result = await execArgv([process.execPath, '-e', PRINT]);
    expect(result.spawnError).toBe('EUNTRUSTED');
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/not run as root: the desktop app's own binary/);
  });

  it('outside the app (the CLI on Node), not even Node itself gets it', async () => {
    process.env.ELECTRON_RUN_AS_NODE = '1';
    const result = await execArgv([process.execPath, '-e', PRINT]);
    expect(result.stdout).toBe('unset');
  });
});
