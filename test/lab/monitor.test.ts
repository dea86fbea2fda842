/**
 * `paddock watch --json`, for real, inside the lab host: the monitor runs with its default
 * 2 s tick while a stand-in Ollama starts on 0.0.0.0, and the exposure-started event must
 * arrive within 3 s of the stand-in listening (the issue's requirement, measured here); a
 * connection held from the LAN neighbour raises a remote-client event naming its address;
 * stopping the stand-in and starting it again bound to 127.0.0.1 (rebinding) raises
 * exposure-ended. SIGTERM ends the watch with exit 0, and every event it printed is in the
 * history file. Every wait is bounded.
 *
 * The watch says it is watching right after its first scan, which follows its first tick, and
 * the stand-in is started at once: the change lands just after a tick, the worst phase, so the
 * figure measured is close to the bound's worst case (one 2 s tick and one scan).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PaddockEvent } from '../../shared/events';
import { createHistoryStore } from '../../electron/engine/history/store';
import type { Lab, Standin } from './lab';
import { createLab, describeLab } from './lab';
import { CLI } from './scan-helpers';

/** The issue's bound: exposure-started within 3 s of the stand-in being up. */
const EXPOSURE_EVENT_MS = 3000;
/** Generous bounds for the other waits (they are not the measured requirement). */
const WAIT_MS = 15_000;

interface Seen {
  event: PaddockEvent;
  /** Date.now() when its line arrived. */
  arrivedAt: number;
}

class WatchProcess {
  readonly seen: Seen[] = [];
  stderr = '';
  private buffer = '';
  private waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline = this.buffer.indexOf('\n');
      while (newline >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        if (line.trim() !== '')
          this.seen.push({ event: JSON.parse(line) as PaddockEvent, arrivedAt: Date.now() });
        newline = this.buffer.indexOf('\n');
      }
      this.wake();
    });
    child.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
      this.wake();
    });
    child.once('exit', () => this.wake());
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves with the first match (from index `from` on), or throws after `timeoutMs`. */
  async waitFor<T>(what: string, find: () => T | undefined, timeoutMs = WAIT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(
          `watch: ${what} did not come within ${timeoutMs} ms. Events: ${JSON.stringify(this.seen.map((s) => `${s.event.kind} ${s.event.message}`))}; stderr: ${this.stderr}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  event(
    kind: PaddockEvent['kind'],
    from: number,
    match: (e: PaddockEvent) => boolean = () => true,
  ) {
    return this.waitFor(kind, () =>
      this.seen.slice(from).find((s) => s.event.kind === kind && match(s.event)),
    );
  }
}

describeLab('paddock watch in the lab', () => {
  let lab: Lab;
  let stateDir: string;
  let watch: WatchProcess;
  const standins: Standin[] = [];

  beforeAll(async () => {
    lab = await createLab();
    stateDir = mkdtempSync(join(tmpdir(), 'pdk-watch-state-'));
    watch = new WatchProcess(
      lab.spawnInHost([process.execPath, CLI, 'watch', '--json'], {
        env: { PADDOCK_STATE_DIR: stateDir, NO_COLOR: '1' },
      }),
    );
    // Watching begins once the first scan is done (a line on stderr says so).
    await watch.waitFor('the "watching" line', () =>
      watch.stderr.includes('paddock: watching') ? true : undefined,
    );
  });

  afterAll(async () => {
    for (const standin of standins) await standin.stop();
    if (watch && watch.child.exitCode === null) watch.child.kill('SIGKILL');
    await lab?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('reports exposure, a remote client and the end of the exposure, as they happen', async () => {
    expect(watch.seen).toEqual([]);

    // 1. Ollama starts on 0.0.0.0 while the monitor runs.
    let from = watch.seen.length;
    const exposed = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    standins.push(exposed);
    const upAt = Date.now();
    const started = await watch.event(
      'exposure-started',
      from,
      (e) => e.data.pid === exposed.hostPid,
    );
    const instanceId = started.event.instance!;
    const latencyMs = started.arrivedAt - upAt;
    console.info(
      `[monitor lab] exposure-started arrived ${latencyMs} ms after the stand-in was up`,
    );
    expect(latencyMs).toBeLessThan(EXPOSURE_EVENT_MS);
    expect(started.event).toMatchObject({ verdict: 'lan', severity: 'high' });
    expect(started.event.message).toContain(`${lab.hostAddress4}:11434`);
    expect(started.event.message).toContain(instanceId);
    expect(started.event.data).toMatchObject({ listen: '[::]:11434' });

    // 2. The LAN neighbour connects and stays connected.
    from = watch.seen.length;
    const held = await lab.holdConnectionFromLan(lab.hostAddress4, 11434);
    try {
      const remote = await watch.event(
        'remote-client',
        from,
        (e) => e.data.address === lab.lanAddress4,
      );
      expect(remote.event.instance).toBe(instanceId);
      expect(remote.event.message).toContain(lab.lanAddress4);
      expect(remote.event.data).toMatchObject({ ports: '11434', scope: 'private' });
    } finally {
      await held.close();
    }

    // 3. Rebinding: the server restarts bound to loopback.
    from = watch.seen.length;
    await exposed.stop();
    const rebound = await lab.startStandin({ OLLAMA_HOST: '127.0.0.1' });
    standins.push(rebound);
    const ended = await watch.event('exposure-ended', from);
    expect(ended.event.verdict).toBe('private');
    // Stopped and restarted between two ticks, it is one place going private; otherwise the
    // place empties first. Either way the exposure ended, and none started again.
    expect(ended.event.message).toMatch(/no longer reachable|any more/);
    await watch.waitFor('a scan that sees the rebound server', () =>
      watch.seen.slice(from).some((s) => s.event.data.pid === rebound.hostPid) ||
      ended.event.data.pid === rebound.hostPid
        ? true
        : undefined,
    );
    expect(watch.seen.slice(from).filter((s) => s.event.kind === 'exposure-started')).toEqual([]);

    // 4. SIGTERM: a clean exit 0, and every printed event is in the history.
    const exit = new Promise<number | null>((resolve) =>
      watch.child.once('exit', (code) => resolve(code)),
    );
    const innerPid = await lab.innerPid(watch.child);
    process.kill(innerPid, 'SIGTERM');
    const code = await Promise.race([
      exit,
      new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), WAIT_MS)),
    ]);
    expect(code).toBe(0);
    expect(watch.stderr).toContain('stopped watching');
    const history = await createHistoryStore({ dir: stateDir }).read();
    expect(history.skipped).toBe(0);
    expect(history.events.map((e) => e.id)).toEqual(watch.seen.map((s) => s.event.id));
  });
});
