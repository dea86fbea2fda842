/**
 * The history survives SIGKILL: a child process appends events in a loop and prints each
 * id only after append() returned; the test kills it at different moments (some of them
 * while the file rotates), restarts it, and checks that every id it printed is on disk, that
 * at most the one line being written when it died is skipped, and that appending after the
 * restart works. No root needed; bounded in rounds, events and time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryStore } from '../../../electron/engine/history/store';

const DRIVER_SOURCE = fileURLToPath(new URL('./append-driver.ts', import.meta.url));
const ROUNDS: Array<{ killAfter: number; maxBytes?: number }> = [
  { killAfter: 1 },
  { killAfter: 40 },
  { killAfter: 150, maxBytes: 16 * 1024 },
  { killAfter: 300, maxBytes: 16 * 1024 },
  { killAfter: 75 },
];
const WAIT_MS = 20_000;

let work: string;
let driver: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pdk-history-kill-'));
  driver = join(work, 'append-driver.cjs');
  await build({
    entryPoints: [DRIVER_SOURCE],
    outfile: driver,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['zod'],
    logLevel: 'warning',
  });
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Runs the driver until it has printed `killAfter` ids, then SIGKILLs it; the ids printed. */
function appendThenKill(dir: string, prefix: string, killAfter: number, maxBytes?: number) {
  return new Promise<string[]>((resolve, reject) => {
    const args = [driver, dir, prefix, '100000', ...(maxBytes ? [String(maxBytes)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the driver printed too few ids in ${WAIT_MS} ms: ${err}`));
    }, WAIT_MS);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (err += chunk));
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (!killed && out.split('\n').length - 1 >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL')
        reject(new Error(`the driver ended by itself (${code ?? signal}): ${err}`));
      // Only whole lines count: a partial id on stdout was not reported.
      else resolve(out.split('\n').slice(0, -1));
    });
  });
}

describe('the history under SIGKILL', () => {
  it('loses no event that was reported written, and a restart appends cleanly', async () => {
    const dir = join(work, 'state');
    const reported: string[] = [];
    let skippedBefore = 0;
    for (const [round, { killAfter, maxBytes }] of ROUNDS.entries()) {
      const printed = await appendThenKill(dir, `r${round}`, killAfter, maxBytes);
      expect(printed.length).toBeGreaterThanOrEqual(killAfter);
      reported.push(...printed);
      const read = await createHistoryStore({ dir }).read(1_000_000);
      const onDisk = new Set(read.events.map((e) => e.id));
      expect(reported.filter((id) => !onDisk.has(id))).toEqual([]);
      // At most the line being written when the process died is torn, and only once.
      expect(read.skipped - skippedBefore).toBeGreaterThanOrEqual(0);
      expect(read.skipped - skippedBefore).toBeLessThanOrEqual(1);
      skippedBefore = read.skipped;
    }
    // Two rounds ran with a 16 KiB limit: the file rotated while the writer was being killed.
    expect(readdirSync(dir).filter((n) => /^history-.*\.jsonl$/.test(n)).length).toBeGreaterThan(0);
    // After the last kill, a fresh writer appends and reads back without new problems.
    const store = createHistoryStore({ dir });
    const before = await store.read(1_000_000);
    store.append({
      id: 'after-restart',
      kind: 'exposure-ended',
      at: new Date().toISOString(),
      instance: null,
      verdict: 'private',
      severity: 'info',
      message: 'Nothing listens on port 11434 any more.',
      data: {},
    });
    const after = await store.read(1_000_000);
    expect(after.skipped).toBe(before.skipped);
    expect(after.events.at(-1)?.id).toBe('after-restart');
    expect(after.events).toHaveLength(before.events.length + 1);
  });
});
