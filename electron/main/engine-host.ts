/**
 * Runs the engine (probes, fixes) in its own process, off the UI's critical path: a slow
 * probe or an admin prompt never freezes the window, and a crash in the engine is a message
 * to the user, not a dead app. Requests are correlated by id, each with a deadline; when the
 * process stops, what was waiting answers `unavailable` and the engine is started again,
 * with backoff and at most a few restarts a minute.
 */
import { isEngineMessage } from '../engine/service/protocol';
import type { ControlMethod, EngineMessage, EngineRequest } from '../engine/service/protocol';
import type { ApiErrorKind, ApiMethod, Envelope } from '../../shared/api';

/** What the host needs of Electron's UtilityProcess (a fake in the tests). */
export interface EngineProcess {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'error', listener: (type: string, location: string, report: string) => void): unknown;
  postMessage(message: EngineRequest): void;
  kill(): boolean;
  readonly stdout?: NodeJS.ReadableStream | null;
  readonly stderr?: NodeJS.ReadableStream | null;
}

export type EngineMethod = ApiMethod | ControlMethod;

export interface EngineHostOptions {
  /** Starts one engine process (utilityProcess.fork in the app). */
  fork: () => EngineProcess;
  /** 'event' messages from the engine, as sent (the IPC layer validates them). */
  onEvent?: (event: unknown) => void;
  /** The engine (re)started and is ready: what it held in memory (watching, a pause) is gone. */
  onReady?: (pid: number) => void;
  /** How long a method may take before it answers `unavailable`. */
  timeoutMs?: (method: EngineMethod) => number;
  /** At most this many restarts in any minute; after that the engine stays down until a call. */
  maxRestartsPerMinute?: number;
  /** First restart delay; doubles with each restart in the last minute, up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
  log?: (message: string) => void;
}

export type EngineState = 'idle' | 'starting' | 'ready' | 'restarting' | 'down' | 'stopped';

export interface EngineHost {
  /** Starts the process; calls made before are queued until it is ready. */
  start(): void;
  /** Never rejects: an envelope, `unavailable` when the engine is not there or too slow. */
  call(method: EngineMethod, request: unknown): Promise<Envelope<unknown>>;
  /** Kills the engine for good (quit): waiting calls answer `unavailable`. */
  stop(): void;
  readonly state: EngineState;
  readonly pid: number | null;
}

const MINUTE = 60_000;
/** Fixes wait for the user at the admin prompt. */
const LONG_METHODS: ReadonlySet<EngineMethod> = new Set<EngineMethod>(['applyFix', 'undo']);
export function defaultTimeoutMs(method: EngineMethod): number {
  return LONG_METHODS.has(method) ? 10 * MINUTE : 2 * MINUTE;
}

interface Pending {
  id: number;
  method: EngineMethod;
  request: unknown;
  sent: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (envelope: Envelope<unknown>) => void;
}

function failure(kind: ApiErrorKind, message: string): Envelope<never> {
  return { ok: false, error: { kind, message } };
}

function describeDuration(ms: number): string {
  if (ms >= MINUTE && ms % MINUTE === 0) return `${ms / MINUTE} minute${ms === MINUTE ? '' : 's'}`;
  return `${Math.round(ms / 1000)} s`;
}

export function createEngineHost(options: EngineHostOptions): EngineHost {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const maxRestarts = options.maxRestartsPerMinute ?? 5;
  const initialBackoffMs = options.initialBackoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 15_000;
  const now = options.now ?? (() => Date.now());
  const log = options.log ?? ((message: string) => console.warn(message));

  let state: EngineState = 'idle';
  let child: EngineProcess | null = null;
  let pid: number | null = null;
  let nextId = 1;
  let restartTimer: ReturnType<typeof setTimeout> | null = null;
  /** When each restart happened, for the per-minute bound. */
  let restarts: number[] = [];
  const pending = new Map<number, Pending>();

  function settle(entry: Pending, envelope: Envelope<unknown>): void {
    clearTimeout(entry.timer);
    pending.delete(entry.id);
    entry.resolve(envelope);
  }

  function send(entry: Pending): void {
    if (!child || state !== 'ready' || entry.sent) return;
    try {
      child.postMessage({ id: entry.id, method: entry.method, request: entry.request });
      entry.sent = true;
    } catch (error) {
      settle(entry, failure('unavailable', `The engine could not be reached (${String(error)}).`));
    }
  }

  function onMessage(from: EngineProcess, message: unknown): void {
    if (from !== child) return; // a late word from a process already replaced
    if (!isEngineMessage(message)) {
      log('The engine sent a message Paddock cannot read; dropped.');
      return;
    }
    const engineMessage: EngineMessage = message;
    switch (engineMessage.type) {
      case 'ready':
        pid = engineMessage.pid;
        state = 'ready';
        for (const entry of [...pending.values()]) send(entry);
        try {
          options.onReady?.(engineMessage.pid);
        } catch (error) {
          log(`Paddock's reaction to the engine starting failed: ${String(error)}`);
        }
        return;
      case 'answer': {
        const entry = pending.get(engineMessage.id);
        if (!entry || !entry.sent) {
          log(`The engine answered request ${engineMessage.id}, which no one waits for; dropped.`);
          return;
        }
        settle(entry, engineMessage.envelope);
        return;
      }
      case 'event':
        try {
          options.onEvent?.(engineMessage.event);
        } catch (error) {
          log(`An engine event listener failed: ${String(error)}`);
        }
        return;
    }
  }

  function onExit(from: EngineProcess, code: number): void {
    if (from !== child) return;
    child = null;
    pid = null;
    const reason =
      state === 'stopped'
        ? 'Paddock is quitting.'
        : `The engine stopped (exit code ${code}); Paddock is starting it again.`;
    // Only what was sent died with the process; queued calls go to the next one.
    for (const entry of [...pending.values()]) {
      if (entry.sent || state === 'stopped') settle(entry, failure('unavailable', reason));
    }
    if (state === 'stopped') return;
    log(`The engine stopped with exit code ${code}.`);
    scheduleRestart();
  }

  function recentRestarts(): number {
    const since = now() - MINUTE;
    restarts = restarts.filter((at) => at > since);
    return restarts.length;
  }

  function scheduleRestart(): void {
    const recent = recentRestarts();
    if (recent >= maxRestarts) {
      state = 'down';
      log(
        `The engine stopped ${recent + 1} times within a minute; Paddock leaves it down for now.`,
      );
      for (const entry of [...pending.values()]) settle(entry, downAnswer());
      return;
    }
    state = 'restarting';
    const delay = Math.min(initialBackoffMs * 2 ** recent, maxBackoffMs);
    restarts.push(now());
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (state === 'restarting') spawn();
    }, delay);
  }

  function downAnswer(): Envelope<never> {
    return failure(
      'unavailable',
      'The engine keeps stopping, so Paddock is not running it now. Try again in a minute; if it persists, restart Paddock.',
    );
  }

  function spawn(): void {
    state = 'starting';
    let started: EngineProcess;
    try {
      started = options.fork();
    } catch (error) {
      log(`The engine could not be started: ${String(error)}`);
      child = null;
      scheduleRestart();
      return;
    }
    child = started;
    started.on('message', (message) => onMessage(started, message));
    started.on('exit', (code) => onExit(started, code));
    started.on('error', (type, location) => log(`The engine failed: ${type} at ${location}`));
    forwardOutput(started.stdout, 'engine', log);
    forwardOutput(started.stderr, 'engine', log);
  }

  return {
    get state() {
      return state;
    },
    get pid() {
      return pid;
    },
    start() {
      if (state !== 'idle' && state !== 'down') return;
      spawn();
    },
    call(method, request) {
      if (state === 'stopped')
        return Promise.resolve(failure('unavailable', 'Paddock is quitting.'));
      if (state === 'down') {
        // A user asking is worth one more try, within the same per-minute bound.
        if (recentRestarts() >= maxRestarts) return Promise.resolve(downAnswer());
        restarts.push(now());
        spawn();
      }
      return new Promise((resolve) => {
        const id = nextId++;
        const limit = timeoutMs(method);
        const entry: Pending = {
          id,
          method,
          request,
          sent: false,
          resolve,
          timer: setTimeout(() => {
            settle(
              entry,
              failure(
                'unavailable',
                `The engine did not answer ${method} within ${describeDuration(limit)}.`,
              ),
            );
          }, limit),
        };
        pending.set(id, entry);
        send(entry);
      });
    },
    stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = null;
      for (const entry of [...pending.values()]) {
        settle(entry, failure('unavailable', 'Paddock is quitting.'));
      }
      const running = child;
      child = null;
      pid = null;
      try {
        running?.kill();
      } catch {
        // already gone
      }
    },
  };
}

/** The engine's stdout/stderr, line by line, into the app's log (a full pipe would block it). */
function forwardOutput(
  stream: NodeJS.ReadableStream | null | undefined,
  prefix: string,
  log: (message: string) => void,
): void {
  if (!stream) return;
  let buffered = '';
  stream.on('data', (chunk: Buffer | string) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    if (buffered.length > 64 * 1024) buffered = buffered.slice(-64 * 1024);
    for (const line of lines) if (line.trim() !== '') log(`[${prefix}] ${line}`);
  });
}
