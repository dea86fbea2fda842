/**
 * `paddock watch [--json] [--interval SECONDS]`: runs the monitor (engine/monitor) against
 * this machine, prints each event as it happens and appends it to the history
 * (engine/history), until SIGINT or SIGTERM (then exit 0).
 *
 * Human lines are `YYYY-MM-DD HH:MM:SS  kind  message` (local time); --json prints each
 * PaddockEvent as one JSON object per line. Notes go to stderr, among them one line once the
 * first scan is done ("paddock: watching …"), so a script can tell when watching began.
 */
import type { PaddockEvent } from '../../shared/events';
import { assess } from '../engine/assess';
import { defaultHistoryDir, createHistoryStore } from '../engine/history/store';
import type { HistoryStore } from '../engine/history/store';
import { createNodeHost } from '../engine/host/node-host';
import type { Host } from '../engine/host/types';
import type { Monitor, MonitorOptions, ScanResult } from '../engine/monitor/monitor';
import { DEFAULT_FULL_SCAN_MS, DEFAULT_TICK_MS, createMonitor } from '../engine/monitor/monitor';
import { createTickProbe } from '../engine/monitor/tick';
import { scan } from '../engine/scan';
import { defaultSettingsPath } from '../engine/settings/store';
import { cleanLine } from '../engine/text/untrusted';
import type { CliIo } from './main';

export interface WatchArgs {
  json: boolean;
  tickMs: number;
}

const MIN_INTERVAL_S = 0.5;
const MAX_INTERVAL_S = 3600;
/** How long a stop may wait for a scan in progress before giving up on it. */
const STOP_WAIT_MS = 15_000;

export const WATCH_USAGE = 'paddock watch [--json] [--interval SECONDS]';

/** The arguments, or the usage error to print. */
export function parseWatchArgs(args: readonly string[]): WatchArgs | { error: string } {
  const parsed: WatchArgs = { json: false, tickMs: DEFAULT_TICK_MS };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (name === '--json') {
      if (inline !== undefined) return { error: '--json takes no value' };
      parsed.json = true;
    } else if (name === '--interval') {
      const text = inline ?? args[(i += 1)];
      if (text === undefined) return { error: '--interval needs a value (seconds)' };
      const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
      if (!(seconds >= MIN_INTERVAL_S && seconds <= MAX_INTERVAL_S))
        return {
          error: `--interval must be a number of seconds from ${MIN_INTERVAL_S} to ${MAX_INTERVAL_S} (got ${JSON.stringify(text)})`,
        };
      parsed.tickMs = Math.round(seconds * 1000);
    } else if (arg.startsWith('-')) {
      return { error: `unknown option: ${JSON.stringify(arg)}` };
    } else {
      return { error: `watch takes no argument (got ${JSON.stringify(arg)})` };
    }
  }
  return parsed;
}

const two = (n: number) => String(n).padStart(2, '0');

/** `2026-11-28 14:03:05` in local time; the ISO text as is when it is not a time. */
export function localTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return cleanLine(iso, 40);
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
  );
}

/**
 * One line per event, newline included. The message carries text from the system (model
 * names, unit names): no line break of any kind survives, in either form. JSON.stringify
 * escapes LF and CR but leaves U+2028 and U+2029 as they are, which some line readers split
 * on: they are escaped too (still the same JSON).
 */
export function formatEvent(event: PaddockEvent, json: boolean): string {
  if (json) return `${JSON.stringify(event).replace(/[\u2028\u2029]/g, jsonEscape)}\n`;
  return `${localTime(event.at)}  ${cleanLine(event.kind, 40).padEnd(18)}  ${cleanLine(event.message, 2000)}\n`;
}

function jsonEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Resolves on SIGINT or SIGTERM (or a broken stdout), and removes its handlers then. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.stdout.off('error', onPipe);
      resolve(why);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    const onPipe = () => done('EPIPE');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    process.stdout.once('error', onPipe);
  });
}

export interface WatchDeps {
  host?: Host;
  /** Resolves when watching should end (default: SIGINT, SIGTERM, or a closed stdout). */
  until?: Promise<unknown>;
  /** Where events are appended; null: nowhere. Default: the history file (PADDOCK_STATE_DIR…). */
  history?: HistoryStore | null;
  /** Overrides for the monitor (tests: a fake tick and scan). */
  monitor?: Partial<MonitorOptions>;
}

export async function commandWatch(
  args: string[],
  io: CliIo,
  deps: WatchDeps = {},
): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(
      `Usage: ${WATCH_USAGE}\n  print what changes (exposure, remote clients, instances, findings) as it happens,\n  and keep it in the history; --json prints one JSON object per event; Ctrl-C stops.\n`,
    );
    return 0;
  }
  const parsed = parseWatchArgs(args);
  if ('error' in parsed) {
    io.stderr(`paddock: ${parsed.error}\nUsage: ${WATCH_USAGE}\n`);
    return 2;
  }
  const host = deps.host ?? createNodeHost();
  const settingsPath = io.settingsPath === undefined ? defaultSettingsPath(host) : io.settingsPath;
  const history =
    deps.history === undefined
      ? createHistoryStore({ dir: defaultHistoryDir(host) })
      : deps.history;

  let historyProblem: string | null = null;
  let settingsProblem: string | null = null;
  let announced = false;
  const announce = () => {
    if (announced) return;
    announced = true;
    io.stderr(
      `paddock: watching (a tick every ${parsed.tickMs / 1000} s, a full scan every ${DEFAULT_FULL_SCAN_MS / 60_000} min and on every change)` +
        `${history ? `; events are kept in ${history.path}` : ''}. Ctrl-C stops.\n`,
    );
  };

  const tickProbe = createTickProbe(host);
  const monitor: Monitor = createMonitor({
    tick: (last) => tickProbe.tick(last),
    fullScan: async (): Promise<ScanResult> => {
      const snapshot = await scan(host, { gpuControllers: false });
      const assessment = await assess(snapshot, { settingsPath });
      if (assessment.settingsProblem && assessment.settingsProblem !== settingsProblem)
        io.stderr(`paddock: accepted risks not applied: ${assessment.settingsProblem}\n`);
      settingsProblem = assessment.settingsProblem;
      return { snapshot, findings: assessment.findings };
    },
    onEvent: (event) => {
      if (history) {
        try {
          history.append(event);
          historyProblem = null;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (message !== historyProblem)
            io.stderr(`paddock: the event could not be kept in the history: ${message}\n`);
          historyProblem = message;
        }
      }
      io.stdout(formatEvent(event, parsed.json));
    },
    onScan: announce,
    onError: (error) => {
      io.stderr(`paddock: watch: the ${error.phase} failed: ${cleanLine(error.message, 500)}\n`);
      if (error.phase === 'scan') announce();
    },
    tickMs: parsed.tickMs,
    ...deps.monitor,
  });

  monitor.start();
  await (deps.until ?? untilSignal());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopped = await Promise.race([
    monitor.stop().then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), STOP_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  io.stderr(
    stopped
      ? 'paddock: stopped watching.\n'
      : 'paddock: stopped watching (a scan still running was abandoned).\n',
  );
  return 0;
}
