/**
 * The engine process. Under Electron it is a utility process (electron/main/engine-host.ts)
 * and talks over process.parentPort; under the test bridge and `node` it talks one JSON object
 * per line over stdin/stdout. Either way the UI never waits on a probe, and a probe that hangs
 * or crashes takes down this process, not the window.
 */
import { createInterface } from 'node:readline';
import type { AppEvent, Envelope } from '../../../shared/api';
import { createHistoryStore, defaultHistoryDir } from '../history/store';
import { createNodeHost } from '../host/node-host';
import type { Monitor } from '../monitor/monitor';
import { createMonitor } from '../monitor/monitor';
import { eventForRun } from '../monitor/events';
import { createTickProbe } from '../monitor/tick';
import { defaultSettingsPath } from '../settings/store';
import { dispatch } from './dispatch';
import type { EngineMessage, EngineRequest } from './protocol';
import { CONTROL_METHODS, isEngineRequest } from './protocol';
import type { EventLog, Service, ServiceDeps } from './service';
import { createService } from './service';
import { privilegedArgv } from '../../cli/privileged-program';

/** A request line longer than this is not one the shell sent: refused, never parsed. */
const MAX_LINE = 4 * 1024 * 1024;

interface Port {
  send(message: EngineMessage): void;
  onMessage(handler: (message: unknown) => void): void;
}

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function electronPort(): Port | null {
  const parent = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (!parent) return null;
  return {
    send: (message) => parent.postMessage(message),
    onMessage: (handler) => parent.on('message', (event) => handler(event.data)),
  };
}

function stdioPort(): Port {
  return {
    send: (message) => {
      process.stdout.write(`${JSON.stringify(message)}\n`);
    },
    onMessage: (handler) => {
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.length === 0 || line.length > MAX_LINE) return;
        try {
          handler(JSON.parse(line));
        } catch {
          // Not JSON: nothing to answer (there is no id to answer to).
        }
      });
      lines.on('close', () => process.exit(0));
    },
  };
}

/** The history file as the service's event log: newest first, unreadable lines counted. */
function historyLog(dir: string): EventLog {
  const store = createHistoryStore({ dir });
  return {
    append: (event) => store.append(event),
    appendRun: (run) => store.appendRun(run),
    read: async (limit) => {
      const read = await store.read(limit);
      const skipped =
        read.skipped > 0
          ? [`${read.skipped} line(s) of ${store.path} could not be read and were skipped.`]
          : [];
      return { events: [...read.events].reverse(), problems: [...skipped, ...read.problems] };
    },
  };
}

const MINUTE = 60_000;

/**
 * The shell's own requests (the tray, the preferences): start or restart watching at an
 * interval, pause it until a time (null resumes), and its status. Each is checked here.
 */
export function controller(
  service: Service,
  deps: { host: ServiceDeps['host']; events: EventLog; emit: ServiceDeps['emit'] },
) {
  let monitor: Monitor | null = null;
  /** GPU readings between scans, only while the window is open (main asks). */
  let gpuTimer: ReturnType<typeof setInterval> | null = null;
  const tick = createTickProbe(deps.host);
  const fail = (message: string) => ({
    ok: false as const,
    error: { kind: 'invalid-request' as const, message },
  });
  return async (method: string, request: unknown) => {
    const body = (typeof request === 'object' && request !== null ? request : {}) as Record<
      string,
      unknown
    >;
    if (method === 'watch') {
      const minutes = body.fullScanMinutes ?? 10;
      if (
        typeof minutes !== 'number' ||
        !Number.isInteger(minutes) ||
        minutes < 1 ||
        minutes > 1440
      )
        return fail('watch takes fullScanMinutes, a whole number from 1 to 1440.');
      const paused = monitor?.status().pausedUntil ?? null;
      await monitor?.stop();
      monitor = createMonitor({
        tick: (last) => tick.tick(last),
        fullScan: async () => {
          const view = await service.scan({});
          return { snapshot: view.snapshot, findings: view.findings };
        },
        onEvent: (event) => {
          try {
            deps.events.append(event);
          } catch {
            // Not recorded, still shown: the user hears of it either way.
          }
          deps.emit({ type: 'event', event });
        },
        fullScanMs: minutes * MINUTE,
      });
      if (paused && Date.parse(paused) > Date.now()) monitor.pause(new Date(paused));
      monitor.start();
      return { ok: true as const, value: monitor.status() };
    }
    if (method === 'pause') {
      const until = body.until;
      if (until !== null && (typeof until !== 'string' || Number.isNaN(Date.parse(until))))
        return fail('pause takes until: an ISO time, or null to resume.');
      if (!monitor) return fail('Paddock is not watching yet.');
      if (until === null) monitor.resume();
      else monitor.pause(new Date(until));
      return { ok: true as const, value: monitor.status() };
    }
    if (method === 'gpu') {
      const every = body.everySeconds;
      if (
        typeof every !== 'number' ||
        !Number.isInteger(every) ||
        every < 0 ||
        every > 3600 ||
        (every > 0 && every < 2)
      )
        return fail('gpu takes everySeconds: 0 (stop) or a whole number from 2 to 3600.');
      if (gpuTimer) clearInterval(gpuTimer);
      gpuTimer = null;
      if (every > 0) {
        let sampling = false;
        gpuTimer = setInterval(() => {
          if (sampling) return;
          sampling = true;
          void service
            .sampleGpu()
            .catch(() => null)
            .finally(() => {
              sampling = false;
            });
        }, every * 1000);
        gpuTimer.unref();
      }
      return { ok: true as const, value: { everySeconds: every } };
    }
    return { ok: true as const, value: monitor?.status() ?? { running: false } };
  };
}

export function startWorker(overrides: Partial<ServiceDeps> = {}): void {
  const port = electronPort() ?? stdioPort();
  const host = overrides.host ?? createNodeHost();
  const emit = (event: AppEvent) => port.send({ type: 'event', event });
  const events = overrides.events ?? historyLog(defaultHistoryDir(host));
  const service = createService({
    host,
    elevate: {
      host,
      // Read again at each prompt: the Mac app's admin copy may have been made since.
      get privileged() {
        return privilegedArgv();
      },
      interactive: false,
    },
    settingsPath: defaultSettingsPath(host),
    emit,
    events,
    eventForRun,
    ...overrides,
  });
  const control = controller(service, { host, events, emit });
  let controls: Promise<unknown> = Promise.resolve();

  const handle = async (request: EngineRequest): Promise<void> => {
    let envelope: Envelope<unknown>;
    try {
      if ((CONTROL_METHODS as readonly string[]).includes(request.method)) {
        // One control request at a time, in order: a pause sent right after a watch applies
        // to the monitor that watch started.
        const next = controls.then(() => control(request.method, request.request));
        controls = next.catch(() => undefined);
        envelope = await next;
      } else envelope = await dispatch(service, request.method, request.request);
    } catch (error) {
      envelope = { ok: false, error: { kind: 'engine', message: String(error) } };
    }
    port.send({ type: 'answer', id: request.id, envelope });
  };

  port.onMessage((message) => {
    if (!isEngineRequest(message)) return;
    void handle(message);
  });
  void service.recover().then((said) => {
    port.send({ type: 'ready', pid: process.pid });
    for (const text of said) if (text) process.stderr.write(`${text}\n`);
  });
}
