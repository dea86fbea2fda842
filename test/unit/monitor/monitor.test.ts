import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PaddockEvent } from '../../../shared/events';
import type {
  MonitorError,
  MonitorOptions,
  ScanResult,
} from '../../../electron/engine/monitor/monitor';
import { createMonitor } from '../../../electron/engine/monitor/monitor';
import type { TickState } from '../../../electron/engine/monitor/tick';
import { buildSnapshot, loopbackOllama, peer, wildcardOllama } from '../../rules/snapshots';

const QUIET: TickState = { listeners: ['127.0.0.1 11434'], peers: [], processes: ['42 server'] };
const PRIVATE: ScanResult = {
  snapshot: buildSnapshot({ instances: [loopbackOllama()] }),
  findings: [],
};
const EXPOSED: ScanResult = {
  snapshot: buildSnapshot({ instances: [wildcardOllama(null, { pid: 43 })] }),
  findings: [],
};

/** A monitor over a scripted machine: set `machine.tick` and `machine.scan` to change it. */
function harness(overrides: Partial<MonitorOptions> = {}) {
  const machine = { tick: QUIET, scan: PRIVATE };
  const events: PaddockEvent[] = [];
  const errors: MonitorError[] = [];
  const reasons: string[] = [];
  let ticks = 0;
  let scansRunning = 0;
  let mostAtOnce = 0;
  const monitor = createMonitor({
    tick: async () => {
      ticks += 1;
      return machine.tick;
    },
    fullScan: async () => {
      scansRunning += 1;
      mostAtOnce = Math.max(mostAtOnce, scansRunning);
      try {
        await new Promise((r) => setTimeout(r, 100));
        return machine.scan;
      } finally {
        scansRunning -= 1;
      }
    },
    onEvent: (event) => events.push(event),
    onScan: (_result, reason) => reasons.push(reason),
    onError: (error) => errors.push(error),
    now: () => new Date(),
    ...overrides,
  });
  return {
    machine,
    monitor,
    events,
    errors,
    reasons,
    ticks: () => ticks,
    mostAtOnce: () => mostAtOnce,
  };
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('the monitor', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-28T12:00:00.000Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('scans at start, then only ticks while nothing changes', async () => {
    const h = harness();
    h.monitor.start();
    await advance(150);
    expect(h.reasons).toEqual(['start']);
    expect(h.ticks()).toBe(1);
    await advance(20_000);
    expect(h.ticks()).toBe(11);
    expect(h.reasons).toEqual(['start']);
    expect(h.events).toEqual([]);
    await h.monitor.stop();
  });

  it('a changed tick starts a full scan at once, and its events arrive within one tick and one scan', async () => {
    const h = harness();
    h.monitor.start();
    await advance(150);
    h.machine.tick = { ...QUIET, listeners: [':: 11434'], processes: ['43 server'] };
    h.machine.scan = EXPOSED;
    await advance(2000 + 100);
    expect(h.reasons).toEqual(['start', 'change']);
    expect(h.events.map((e) => e.kind)).toEqual([
      'instance-gone',
      'new-instance',
      'exposure-started',
    ]);
    // The new state is the baseline: no more scans while it holds.
    await advance(10_000);
    expect(h.reasons).toEqual(['start', 'change']);
    await h.monitor.stop();
  });

  it('after a change, quicker ticks catch a server that binds its port moments later', async () => {
    const h = harness();
    h.monitor.start();
    await advance(150);
    h.machine.tick = { ...QUIET, processes: ['42 server', '43 server'] };
    await advance(2100); // the tick sees the new process: a scan, then quick ticks
    expect(h.reasons).toEqual(['start', 'change']);
    const ticksAtChange = h.ticks();
    h.machine.tick = { ...QUIET, listeners: [':: 11434'], processes: ['42 server', '43 server'] };
    h.machine.scan = EXPOSED;
    await advance(500); // a quarter-second tick, then the 100 ms scan
    expect(h.reasons).toEqual(['start', 'change', 'change']);
    expect(h.events.map((e) => e.kind)).toContain('exposure-started');
    // Eight quick ticks after that change, then back to one every 2 s.
    await advance(8 * 250 + 100);
    const afterQuick = h.ticks();
    expect(afterQuick - ticksAtChange).toBeGreaterThanOrEqual(9);
    await advance(4000);
    expect(h.ticks() - afterQuick).toBeLessThanOrEqual(2);
    await h.monitor.stop();
  });

  it('a full scan every 10 minutes without any change', async () => {
    const h = harness();
    h.monitor.start();
    await advance(10 * 60 * 1000 + 2500);
    expect(h.reasons).toEqual(['start', 'periodic']);
    await h.monitor.stop();
  });

  it('peers alone start a scan at once, but not more often than the gap', async () => {
    const h = harness({ peerScanGapMs: 10_000 });
    h.monitor.start();
    await advance(150);
    h.machine.tick = { ...QUIET, peers: ['10.0.0.2>11434'] };
    h.machine.scan = {
      snapshot: buildSnapshot({ instances: [wildcardOllama(null, { peers: [peer('10.0.0.2')] })] }),
      findings: [],
    };
    await advance(2100);
    expect(h.reasons).toEqual(['start', 'peers']);
    // The peer leaves 2 s later: a second peer-only change within 10 s of the last is held back…
    h.machine.tick = { ...QUIET, peers: [] };
    await advance(4200);
    expect(h.reasons).toEqual(['start', 'peers']);
    // …until the gap has passed, and then it is scanned.
    await advance(6000);
    expect(h.reasons).toEqual(['start', 'peers', 'peers']);
    // A new peer right after is held back again, but a change of processes never is.
    h.machine.tick = { ...QUIET, peers: ['10.0.0.3>11434'] };
    await advance(2100);
    expect(h.reasons).toEqual(['start', 'peers', 'peers']);
    h.machine.tick = { ...QUIET, peers: ['10.0.0.3>11434'], processes: ['43 server'] };
    await advance(2100);
    expect(h.reasons).toEqual(['start', 'peers', 'peers', 'change']);
    await h.monitor.stop();
  });

  it('never runs two scans at once; scanNow waits its turn', async () => {
    const h = harness();
    h.monitor.start();
    const requested = h.monitor.scanNow();
    h.machine.tick = { ...QUIET, processes: ['44 server'] };
    await advance(5000);
    expect(await requested).toBe(PRIVATE);
    expect(h.mostAtOnce()).toBe(1);
    expect(h.reasons.slice(0, 2)).toEqual(['start', 'requested']);
    await h.monitor.stop();
  });

  it('errors are reported, never fatal: a failing tick once, a failing scan retried', async () => {
    let tickFails = true;
    let scanFails = true;
    const h = harness({
      tick: async () => {
        if (tickFails) throw new Error('/proc could not be read (EACCES)');
        return QUIET;
      },
      fullScan: async () => {
        if (scanFails) throw new Error('probe exploded');
        return PRIVATE;
      },
      retryMs: 30_000,
    });
    h.monitor.start();
    await advance(10_000);
    // Five failing ticks, one report; the start scan failed once.
    expect(h.errors.map((e) => e.phase)).toEqual(['tick', 'scan']);
    expect(h.errors[0]!.message).toContain('EACCES');
    scanFails = false;
    await advance(25_000);
    expect(h.reasons).toEqual(['retry']);
    // A tick that works again has nothing to compare with: it scans once to have a baseline.
    tickFails = false;
    await advance(2000);
    expect(h.reasons).toEqual(['retry', 'change']);
    expect(h.errors.map((e) => e.phase)).toEqual(['tick', 'scan']);
    expect(h.monitor.status()).toMatchObject({ running: true, scans: 2 });
    await h.monitor.stop();
  });

  it('an onEvent that throws is reported and the other events still arrive', async () => {
    const seen: string[] = [];
    const h = harness({
      onEvent: (event) => {
        seen.push(event.kind);
        if (event.kind === 'instance-gone') throw new Error('listener broke');
      },
    });
    h.monitor.start();
    await advance(150);
    h.machine.tick = { ...QUIET, processes: ['43 server'] };
    h.machine.scan = EXPOSED;
    await advance(2100);
    expect(seen).toEqual(['instance-gone', 'new-instance', 'exposure-started']);
    expect(h.errors).toMatchObject([{ phase: 'event', message: 'listener broke' }]);
    await h.monitor.stop();
  });

  it('pause holds ticks and scans until the date; resume picks up at once', async () => {
    const h = harness();
    h.monitor.start();
    await advance(150);
    h.monitor.pause(new Date(Date.now() + 60 * 60 * 1000));
    await advance(2000);
    const ticksWhenPaused = h.ticks();
    h.machine.tick = { ...QUIET, processes: ['43 server'] };
    await advance(30 * 60 * 1000);
    expect(h.ticks()).toBe(ticksWhenPaused);
    expect(h.reasons).toEqual(['start']);
    expect(h.monitor.status().pausedUntil).not.toBeNull();
    h.monitor.resume();
    await advance(150);
    expect(h.reasons).toEqual(['start', 'change']);
    await h.monitor.stop();
  });

  it('a pause ends by itself at its date', async () => {
    const h = harness();
    h.monitor.start();
    await advance(150);
    h.monitor.pause(new Date(Date.now() + 5 * 60 * 1000));
    h.machine.tick = { ...QUIET, processes: ['43 server'] };
    await advance(4 * 60 * 1000);
    expect(h.reasons).toEqual(['start']);
    await advance(2 * 60 * 1000);
    expect(h.reasons).toEqual(['start', 'change']);
    await h.monitor.stop();
  });

  it('stop waits for the scan in progress and nothing runs after it', async () => {
    const h = harness();
    h.monitor.start();
    await advance(50); // the start scan is halfway
    const stopped = h.monitor.stop();
    await advance(100);
    await stopped;
    expect(h.reasons).toEqual(['start']);
    const ticks = h.ticks();
    await advance(60_000);
    expect(h.ticks()).toBe(ticks);
    expect(h.monitor.status().running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
