/**
 * The background monitor: a cheap tick (tick.ts, every 2 s by default) and a full scan at
 * start, every 10 minutes, and as soon as the tick differs from what the last scan was based
 * on; each scan is diffed with the one before into events (diff.ts).
 *
 * - One thing runs at a time: ticks and scans share one queue, so scans never overlap, and a
 *   scan asked for during another runs after it.
 * - After a change of listeners or processes, the next `followUps` ticks come every
 *   `followUpMs` (250 ms) instead: a server seen starting binds its port moments later, and
 *   that must not wait a whole tick to be noticed.
 * - A tick that sees only new or departed peers starts a scan at once, unless the previous
 *   scan was also started by peers less than `peerScanGapMs` ago: a client that connects and
 *   disconnects every second must not turn the monitor into a scanner. A change of listeners
 *   or processes always starts one at once.
 * - Errors (a tick or a scan that throws, an onEvent that throws) are reported through
 *   onError, never thrown; the same tick error is reported once until the tick works again.
 *   A failed scan is retried after `retryMs` and still at the periodic scan.
 * - Timers are injectable (tests use fake ones); stop() cancels the next step and waits for
 *   the one running, whose scan is itself bounded by the probes' deadlines.
 */
import type { PaddockEvent } from '../../../shared/events';
import type { Snapshot } from '../../../shared/snapshot';
import type { ScanResult } from './diff';
import { diffScans } from './diff';
import type { TickState } from './tick';
import { tickChange } from './tick';

export type { ScanResult } from './diff';

export type ScanReason = 'start' | 'change' | 'peers' | 'periodic' | 'retry' | 'requested';

export interface MonitorError {
  phase: 'tick' | 'scan' | 'event';
  message: string;
  at: string;
}

export type TimerHandle = unknown;

export interface MonitorOptions {
  /** The cheap fingerprint; `last` is the latest successful scan's snapshot. */
  tick: (last: Snapshot | null) => Promise<TickState>;
  /** A full scan and its findings (accepted risks applied). */
  fullScan: () => Promise<ScanResult>;
  onEvent: (event: PaddockEvent) => void;
  onScan?: (result: ScanResult, reason: ScanReason) => void;
  onError?: (error: MonitorError) => void;
  /** Between the end of one tick and the start of the next (default 2000 ms). */
  tickMs?: number;
  /** A full scan at least this often (default 10 minutes). */
  fullScanMs?: number;
  /** Least time between two scans started by peer changes alone (default 10 s). */
  peerScanGapMs?: number;
  /** After a failed scan, the next try (default 30 s, or fullScanMs when shorter). */
  retryMs?: number;
  /** Quicker ticks after a change of listeners or processes: this many (default 8)… */
  followUps?: number;
  /** …this far apart (default 250 ms, never more than tickMs). */
  followUpMs?: number;
  now?: () => Date;
  setTimer?: (run: () => void, ms: number) => TimerHandle;
  clearTimer?: (handle: TimerHandle) => void;
}

export interface MonitorStatus {
  running: boolean;
  /** ISO time the monitor is paused until; null when not paused. */
  pausedUntil: string | null;
  ticks: number;
  scans: number;
  lastScanAt: string | null;
  lastTickAt: string | null;
}

export interface Monitor {
  /** Starts: a tick and a full scan right away, then the tick loop. Idempotent. */
  start(): void;
  /** Stops the loop and waits for a tick or scan in progress. */
  stop(): Promise<void>;
  /** No ticks or scans until `until` (scanNow still works); then it picks up where it was. */
  pause(until: Date): void;
  resume(): void;
  /** A full scan now (after whatever is running); null when it failed (see onError). */
  scanNow(): Promise<ScanResult | null>;
  status(): MonitorStatus;
}

export const DEFAULT_TICK_MS = 2000;
export const DEFAULT_FULL_SCAN_MS = 10 * 60 * 1000;
export const DEFAULT_PEER_SCAN_GAP_MS = 10_000;
const DEFAULT_RETRY_MS = 30_000;
const DEFAULT_FOLLOW_UPS = 8;
const DEFAULT_FOLLOW_UP_MS = 250;
/** A pause is waited out in slices of at most this, so that a clock change is noticed. */
const MAX_SLEEP_MS = 60_000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createMonitor(options: MonitorOptions): Monitor {
  const tickMs = Math.max(1, options.tickMs ?? DEFAULT_TICK_MS);
  const fullScanMs = Math.max(tickMs, options.fullScanMs ?? DEFAULT_FULL_SCAN_MS);
  const peerScanGapMs = options.peerScanGapMs ?? DEFAULT_PEER_SCAN_GAP_MS;
  const retryMs = Math.min(options.retryMs ?? DEFAULT_RETRY_MS, fullScanMs);
  const followUps = Math.max(0, Math.min(options.followUps ?? DEFAULT_FOLLOW_UPS, 100));
  const followUpMs = Math.min(Math.max(1, options.followUpMs ?? DEFAULT_FOLLOW_UP_MS), tickMs);
  const now = options.now ?? (() => new Date());
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer =
    options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));

  let running = false;
  let timer: TimerHandle | null = null;
  let pausedUntil: number | null = null;
  /** Everything that runs goes through this chain, one at a time. */
  let queue: Promise<unknown> = Promise.resolve();

  let previous: ScanResult | null = null;
  /** The tick the latest scan was started from: later ticks are compared with it. */
  let baseline: TickState | null = null;
  let lastScanStartedMs: number | null = null;
  let lastPeerScanMs: number | null = null;
  let retryAtMs: number | null = null;
  let lastTickError: string | null = null;
  let quickTicksLeft = 0;
  let ticks = 0;
  let scans = 0;
  let lastScanAt: string | null = null;
  let lastTickAt: string | null = null;

  const report = (phase: MonitorError['phase'], error: unknown) => {
    try {
      options.onError?.({ phase, message: messageOf(error), at: now().toISOString() });
    } catch {
      // A reporter that throws has nowhere else to report to.
    }
  };

  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work, work);
    queue = result.catch(() => undefined);
    return result;
  }

  async function runScan(reason: ScanReason): Promise<ScanResult | null> {
    lastScanStartedMs = now().getTime();
    if (reason === 'peers') lastPeerScanMs = lastScanStartedMs;
    let result: ScanResult;
    try {
      result = await options.fullScan();
    } catch (error) {
      retryAtMs = now().getTime() + retryMs;
      report('scan', error);
      return null;
    }
    retryAtMs = null;
    scans += 1;
    lastScanAt = now().toISOString();
    let events: PaddockEvent[] = [];
    try {
      events = diffScans(previous, result, now());
    } catch (error) {
      report('scan', error);
    }
    previous = result;
    for (const event of events) {
      try {
        options.onEvent(event);
      } catch (error) {
        report('event', error);
      }
    }
    try {
      options.onScan?.(result, reason);
    } catch (error) {
      report('event', error);
    }
    return result;
  }

  /** One tick, and the scan it calls for. */
  async function step(): Promise<void> {
    let state: TickState | null = null;
    try {
      state = await options.tick(previous?.snapshot ?? null);
      ticks += 1;
      lastTickAt = now().toISOString();
      lastTickError = null;
    } catch (error) {
      const message = messageOf(error);
      if (message !== lastTickError) report('tick', error);
      lastTickError = message;
    }
    const at = now().getTime();
    let reason: ScanReason | null = null;
    if (previous === null && lastScanStartedMs === null) reason = 'start';
    else if (state) {
      const change = tickChange(baseline, state);
      if (change === 'structure') {
        reason = 'change';
        if (baseline !== null) quickTicksLeft = followUps;
      } else if (
        change === 'peers' &&
        (lastPeerScanMs === null || at - lastPeerScanMs >= peerScanGapMs)
      )
        reason = 'peers';
    }
    if (!reason && retryAtMs !== null && at >= retryAtMs) reason = 'retry';
    if (!reason && (lastScanStartedMs === null || at - lastScanStartedMs >= fullScanMs))
      reason = 'periodic';
    if (!reason) return;
    // Later ticks are compared with the state this scan starts from; a change it misses
    // shows at the next tick and starts another scan.
    if (state) baseline = state;
    await runScan(reason);
  }

  function schedule(ms: number): void {
    if (!running) return;
    timer = setTimer(() => {
      timer = null;
      void loop();
    }, ms);
  }

  async function loop(): Promise<void> {
    if (!running) return;
    if (pausedUntil !== null) {
      const left = pausedUntil - now().getTime();
      if (left > 0) {
        schedule(Math.min(left, MAX_SLEEP_MS));
        return;
      }
      pausedUntil = null;
    }
    await exclusive(step).catch((error: unknown) => report('tick', error));
    if (quickTicksLeft > 0) {
      quickTicksLeft -= 1;
      schedule(followUpMs);
    } else schedule(tickMs);
  }

  return {
    start() {
      if (running) return;
      running = true;
      void loop();
    },
    async stop() {
      running = false;
      if (timer !== null) clearTimer(timer);
      timer = null;
      await queue;
    },
    pause(until) {
      pausedUntil = until.getTime();
    },
    resume() {
      if (pausedUntil === null) return;
      pausedUntil = null;
      if (running && timer !== null) {
        clearTimer(timer);
        timer = null;
        void loop();
      }
    },
    scanNow() {
      return exclusive(() => runScan('requested'));
    },
    status() {
      return {
        running,
        pausedUntil: pausedUntil === null ? null : new Date(pausedUntil).toISOString(),
        ticks,
        scans,
        lastScanAt,
        lastTickAt,
      };
    },
  };
}
