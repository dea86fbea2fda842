/**
 * Issue 15: what `paddock service run` does under systemd (unit.ts). The watcher's monitor
 * (engine/monitor) with the service's sinks:
 *
 * - every event goes to the service's history (its state folder), as `paddock watch` keeps it;
 * - the events the alert policy lets through (engine/alerts/policy.ts: the desktop
 *   notifications' change-only, minimum interval and hourly cap) become alerts: a structured
 *   journald entry (alerts/journald.ts) and, for each configured webhook, an entry in that
 *   webhook's queue on disk (alerts/webhook.ts), sent in order with retries and backoff, so an
 *   alert raised while the network is down is sent later, once;
 * - what the rate limit held back is never dropped silently: the next alert says "and N more",
 *   and when none comes, the latest held-back event is sent as soon as the limit allows;
 * - after every full scan the Prometheus textfile is written atomically (alerts/textfile.ts)
 *   and the status file (`paddock service status` reads it) is replaced.
 *
 * No secret is in the status, the journal or stdout: a webhook is named by its name, and an
 * error by the receiver's host.
 */
import { join } from 'node:path';
import type { PaddockEvent } from '../../../shared/events';
import type { JournalAlert, JournalResult } from '../alerts/journald';
import type { LoadedConfig } from '../alerts/config';
import { NotificationPolicy } from '../alerts/policy';
import { writeTextfile } from '../alerts/textfile';
import type { TextfileResult } from '../alerts/textfile';
import type { SendResult } from '../alerts/webhook';
import { WebhookQueue, webhookSender } from '../alerts/webhook';
import type { assess } from '../assess';
import { exposedAfterAcceptance } from '../assess';
import { createHistoryStore } from '../history/store';
import { writeFileAtomic } from '../host/atomic-write';
import type { Monitor, MonitorOptions, ScanResult } from '../monitor/monitor';
import { createMonitor } from '../monitor/monitor';
import { reportPrometheus } from '../report/prometheus';
import { cleanLine } from '../text/untrusted';

export const STATUS_FILE = 'status.json';
export const SERVICE_HISTORY_BYTES = 1024 * 1024;
export const SERVICE_HISTORY_FILES = 10;
/** Where an exposure event happened (the monitor's `data.place`), else its instance. */
function placeOf(event: PaddockEvent): string | null {
  return typeof event.data.place === 'string' ? event.data.place : event.instance;
}
const SEVERITY_RANK: Record<PaddockEvent['severity'], number> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  info: 4,
};
/** Events a webhook's queue holds at most; the oldest go first when it is full. */
export const WEBHOOK_QUEUE_MAX = 500;
/** How often due retries are tried. */
const RETRY_CHECK_MS = 5_000;

export interface ServiceStatusFile {
  version: 1;
  pid: number;
  startedAt: string;
  intervalMinutes: number;
  lastScanAt: string | null;
  lastError: string | null;
  verdict: string | null;
  exposed: boolean | null;
  instances: Array<{ id: string; exposure: string }>;
  alerts: { sent: number; heldBack: number };
  journald: { enabled: boolean; lastError: string | null };
  textfile: { path: string | null; writtenAt: string | null; lastError: string | null };
  webhooks: Array<{
    name: string;
    shape: string;
    pending: number;
    dropped: number;
    lastError: string | null;
    nextAttemptAt: string | null;
  }>;
}

export interface ServiceRunDeps {
  config: Extract<LoadedConfig, { ok: true }>;
  stateDir: string;
  hostname: string;
  /** A full scan (snapshot and its assessment), as the watcher makes it. */
  fullScan: () => Promise<ScanResult & { assessed: Awaited<ReturnType<typeof assess>> }>;
  tick: MonitorOptions['tick'];
  journal: (alert: JournalAlert) => Promise<JournalResult>;
  /** Overrides: a webhook's sender (tests), the textfile writer, timers. */
  sendFor?: (name: string) => (event: PaddockEvent) => Promise<SendResult>;
  writeTextfile?: (path: string, text: string) => TextfileResult;
  monitor?: Partial<MonitorOptions>;
  /** How often due retries and held-back alerts are looked at (default 5 s). */
  retryCheckMs?: number;
  now?: () => Date;
  log: (line: string) => void;
}

export interface ServiceRunner {
  monitor: Monitor;
  /** Sends what is due in every webhook's queue (also run every few seconds). */
  flush(): Promise<void>;
  stop(): Promise<void>;
  status(): ServiceStatusFile;
}

export function startServiceRunner(deps: ServiceRunDeps): ServiceRunner {
  const { config, webhooks } = deps.config;
  const now = deps.now ?? (() => new Date());
  // Bounded: root's state folder must not grow with what local users do (1 MiB files, the
  // newest 10 kept: about 11 MiB at most).
  const history = createHistoryStore({
    dir: deps.stateDir,
    maxBytes: SERVICE_HISTORY_BYTES,
    maxRotatedFiles: SERVICE_HISTORY_FILES,
  });
  const policy = new NotificationPolicy({
    now,
    minIntervalMs: config.alerts.minIntervalSeconds * 1000,
    maxPerHour: config.alerts.maxPerHour,
  });
  const queues = webhooks.map((hook) => ({
    hook,
    queue: new WebhookQueue({
      file: join(deps.stateDir, `webhook-${hook.name}.queue.json`),
      maxEntries: WEBHOOK_QUEUE_MAX,
      send: deps.sendFor
        ? deps.sendFor(hook.name)
        : webhookSender(hook.url, hook.shape, deps.hostname),
      now: () => now().getTime(),
    }),
  }));
  const status: ServiceStatusFile = {
    version: 1,
    pid: process.pid,
    startedAt: now().toISOString(),
    intervalMinutes: config.intervalMinutes,
    lastScanAt: null,
    lastError: null,
    verdict: null,
    exposed: null,
    instances: [],
    alerts: { sent: 0, heldBack: 0 },
    journald: { enabled: config.journald, lastError: null },
    textfile: { path: config.textfile, writtenAt: null, lastError: null },
    webhooks: [],
  };
  /**
   * What the rate limit held back (bounded): when the limit allows, the most severe of them
   * (the latest among equals) is sent with "and N more", so a held exposure is never hidden
   * behind a later, milder change (every one of them is in the history).
   */
  let held: PaddockEvent[] = [];
  const HELD_MAX = 100;
  const worstHeld = (): PaddockEvent | null => {
    let worst: PaddockEvent | null = null;
    for (const event of held)
      if (!worst || SEVERITY_RANK[event.severity] <= SEVERITY_RANK[worst.severity]) worst = event;
    return worst;
  };

  const say = (line: string) => deps.log(cleanLine(line, 1000));

  const writeStatus = () => {
    status.webhooks = queues.map(({ hook, queue }) => {
      let s: ReturnType<WebhookQueue['status']> & { lastError?: string | null } = {
        pending: 0,
        dropped: 0,
        nextAttemptAt: null,
      };
      try {
        s = queue.status();
      } catch (error) {
        s.lastError = (error as Error).message;
      }
      const previous = status.webhooks.find((w) => w.name === hook.name);
      return {
        name: hook.name,
        shape: hook.shape,
        pending: s.pending,
        dropped: s.dropped,
        lastError: s.lastError ?? previous?.lastError ?? null,
        nextAttemptAt: s.nextAttemptAt ? new Date(s.nextAttemptAt).toISOString() : null,
      };
    });
    try {
      writeFileAtomic(
        join(deps.stateDir, STATUS_FILE),
        `${JSON.stringify(status, null, 2)}\n`,
        0o644,
      );
    } catch (error) {
      say(`paddock: the status file could not be written: ${(error as Error).message}`);
    }
  };

  const flush = async () => {
    for (const { hook, queue } of queues) {
      try {
        const result = await queue.flush();
        const entry = status.webhooks.find((w) => w.name === hook.name);
        // A try that failed says why; a delivery clears it; a flush that waited (backoff) keeps it.
        const lastError =
          result.error ?? (result.delivered > 0 ? null : (entry?.lastError ?? null));
        const changed =
          result.delivered > 0 || (entry !== undefined && entry.lastError !== lastError);
        if (entry) entry.lastError = lastError;
        if (changed) writeStatus();
      } catch (error) {
        say(`paddock: webhook ${hook.name}: ${(error as Error).message}`);
      }
    }
  };

  const alert = async (event: PaddockEvent, heldBack: number) => {
    status.alerts.sent += 1;
    status.alerts.heldBack = 0;
    if (config.journald) {
      const result = await deps.journal({ event, heldBack });
      status.journald.lastError = result.ok ? null : result.error;
      if (!result.ok) say(`paddock: the alert could not reach journald: ${result.error}`);
    }
    for (const { hook, queue } of queues) {
      try {
        const { dropped } = queue.enqueue([event]);
        if (dropped > 0)
          say(
            `paddock: webhook ${hook.name}: its queue is full; the ${dropped} oldest were dropped`,
          );
      } catch (error) {
        say(`paddock: webhook ${hook.name}: ${(error as Error).message}`);
      }
    }
    // Webhooks are sent on a chain of their own: a slow receiver never holds up the next
    // alert's journald entry.
    scheduleFlush();
    writeStatus();
  };

  let flushing: Promise<void> = Promise.resolve();
  const scheduleFlush = (): Promise<void> => (flushing = flushing.then(flush));

  // One alert at a time, in the order the events came.
  let chain: Promise<void> = Promise.resolve();
  const enqueueAlert = (event: PaddockEvent, heldBack: number) => {
    chain = chain
      .then(() => alert(event, heldBack))
      .catch((error: unknown) => {
        say(`paddock: an alert failed: ${String(error)}`);
      });
  };

  const onEvent = (event: PaddockEvent) => {
    try {
      history.append(event);
    } catch (error) {
      say(`paddock: the event could not be kept in the history: ${(error as Error).message}`);
    }
    const decision = policy.consider(event);
    if (decision.notify) {
      // The one alert the limit allows now is the most severe of what was held back and this
      // event (this one among equals); the others are its "and N more".
      const worst = worstHeld();
      const send =
        worst && SEVERITY_RANK[worst.severity] < SEVERITY_RANK[event.severity] ? worst : event;
      held = [];
      enqueueAlert(send, decision.heldBack);
    } else if (decision.reason === 'rate-interval' || decision.reason === 'rate-hourly') {
      // A later exposure change of the same place makes the earlier one no longer true.
      if (event.kind === 'exposure-started' || event.kind === 'exposure-ended') {
        const place = placeOf(event);
        held = held.filter(
          (h) =>
            !(
              (h.kind === 'exposure-started' || h.kind === 'exposure-ended') &&
              placeOf(h) === place
            ),
        );
      }
      held.push(event);
      if (held.length > HELD_MAX) held = held.slice(-HELD_MAX);
      status.alerts.heldBack = decision.heldBack;
    }
  };

  const monitor = createMonitor({
    tick: deps.tick,
    fullScan: async () => {
      const result = await deps.fullScan();
      status.lastScanAt = result.snapshot.takenAt;
      status.lastError = null;
      status.verdict = result.snapshot.verdict;
      status.exposed = exposedAfterAcceptance(result.snapshot, result.assessed.findings);
      status.instances = result.snapshot.instances.map((i) => ({ id: i.id, exposure: i.exposure }));
      if (config.textfile) {
        const text = reportPrometheus({
          snapshot: result.snapshot,
          findings: result.assessed.findings,
          posture: result.assessed.posture,
        });
        const written = (deps.writeTextfile ?? writeTextfile)(config.textfile, text);
        status.textfile.lastError = written.ok ? null : written.error;
        if (written.ok) status.textfile.writtenAt = now().toISOString();
        else say(`paddock: the Prometheus textfile: ${written.error}`);
      }
      writeStatus();
      return { snapshot: result.snapshot, findings: result.findings };
    },
    onEvent,
    onError: (error) => {
      status.lastError = `${error.phase}: ${cleanLine(error.message, 300)}`;
      say(`paddock: the ${error.phase} failed: ${error.message}`);
      writeStatus();
    },
    fullScanMs: config.intervalMinutes * 60_000,
    ...deps.monitor,
  });

  // Due retries, and the summary of what the rate limit held back.
  const timer = setInterval(() => {
    const worst = worstHeld();
    if (worst) {
      const decision = policy.flushHeldBack();
      if (decision.notify) {
        held = [];
        enqueueAlert(worst, Math.max(0, decision.heldBack - 1));
      }
    }
    scheduleFlush();
  }, deps.retryCheckMs ?? RETRY_CHECK_MS);
  timer.unref?.();

  writeStatus();
  monitor.start();
  say(
    `paddock: the service is watching (a full scan every ${config.intervalMinutes} min and on every change; alerts to ${
      [
        ...(config.journald ? ['journald'] : []),
        ...webhooks.map((w) => `webhook ${w.name} (${w.shape})`),
      ].join(', ') || 'the history only'
    }${config.textfile ? `; Prometheus textfile ${config.textfile}` : ''})`,
  );

  return {
    monitor,
    flush: () => scheduleFlush(),
    status: () => status,
    stop: async () => {
      clearInterval(timer);
      await monitor.stop();
      await chain;
      await flushing;
      writeStatus();
    },
  };
}
