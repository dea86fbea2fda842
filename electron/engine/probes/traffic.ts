/**
 * Who uses Ollama:
 *
 *   - remote peers connected right now, from the sockets probe's established sockets on an
 *     Ollama listener (pure: remotePeers);
 *   - the access log: journald (`journalctl -u ollama`, Linux service) or Ollama's log files
 *     (macOS `~/.ollama/logs/server.log` and its rotations `server-1.log` … `server-5.log`;
 *     Windows `%LOCALAPPDATA%\Ollama\server.log`), read through the Host, parsed by
 *     ollama/access-log.ts; the same text gives the server's `server config` and
 *     `Listening on` facts.
 *
 * Client IPs in the log are forgeable (FORGEABLE_CLIENT_SENTENCE). A live peer address is
 * what the kernel saw, so it is not.
 */
import type { Evidence, ProbeResult } from '../../../shared/snapshot';
import type { AccessLogData } from '../../../shared/traffic';
import type { Host } from '../host/types';
import {
  AccessLogAggregator,
  FORGEABLE_CLIENT_SENTENCE,
  parseServerLogFacts,
  type TimeZoneMode,
} from '../ollama/access-log';
import { cleanText } from '../text/untrusted';
import { execEvidence, fileEvidence, runProbe, statusForFsError } from './probe';

export { FORGEABLE_CLIENT_SENTENCE };

// ── the logs ─────────────────────────────────────────────────────────────────────────────

export const JOURNAL_LINES = 20_000;
const JOURNAL_TIMEOUT_MS = 5000;
const JOURNAL_MAX_BYTES = 16 * 1024 * 1024;
const LOG_FILE_MAX_BYTES = 8 * 1024 * 1024;
const PROBE_DEADLINE_MS = 8000;
const MAX_LOG_FILES = 12;

export function journalArgv(unit = 'ollama', lines = JOURNAL_LINES): string[] {
  return ['journalctl', '-u', unit, '-o', 'short-iso', '--no-pager', '-n', String(lines)];
}

/**
 * Ollama's log files for this platform, oldest first (rotation renames server.log to
 * server-1.log at each start, server-1 to server-2, … up to server-5).
 */
export function defaultLogFiles(host: Pick<Host, 'platform' | 'homeDir' | 'env'>): string[] {
  const names = [
    'server-5.log',
    'server-4.log',
    'server-3.log',
    'server-2.log',
    'server-1.log',
    'server.log',
  ];
  if (host.platform === 'win32') {
    const base = host.env('LOCALAPPDATA');
    return base ? names.map((n) => `${base}\\Ollama\\${n}`) : [];
  }
  const home = host.homeDir().replace(/\/+$/, '');
  return names.map((n) => `${home}/.ollama/logs/${n}`);
}

export type TrafficLogData = AccessLogData;

export interface AccessLogProbeOptions {
  /** systemd unit (default "ollama"; the processes probe's systemdUnit when known). */
  unit?: string;
  /** Read journald (default: on Linux). */
  journald?: boolean;
  /** Log files to read, oldest first (default: defaultLogFiles). */
  files?: string[];
  timeZone?: TimeZoneMode;
}

const JOURNAL_DENIED =
  /insufficient permissions|not seeing messages from other users|permission denied/i;
const NO_ENTRIES = /^-- No entries --$/m;

type JournalOutcome =
  | { kind: 'ok'; text: string; truncated: boolean }
  | { kind: 'unavailable' | 'denied' | 'error'; message: string };

async function readJournal(
  host: Host,
  unit: string,
  evidence: Evidence[],
): Promise<JournalOutcome> {
  const result = await host.exec(journalArgv(unit), {
    timeoutMs: JOURNAL_TIMEOUT_MS,
    maxBytes: JOURNAL_MAX_BYTES,
  });
  evidence.push(execEvidence(result));
  if (result.spawnError === 'ENOENT')
    return { kind: 'unavailable', message: 'journalctl is not installed.' };
  if (result.spawnError)
    return { kind: 'error', message: `journalctl could not be started (${result.spawnError}).` };
  if (result.timedOut && result.stdout === '')
    return { kind: 'error', message: `journalctl did not answer within ${JOURNAL_TIMEOUT_MS} ms.` };
  const both = `${result.stdout}\n${result.stderr}`;
  const lines = result.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('-- '));
  if (lines.length === 0) {
    if (JOURNAL_DENIED.test(both))
      return {
        kind: 'denied',
        message: `journald would not show the ${unit} unit's log to this user (not in the systemd-journal or adm group).`,
      };
    if (result.code !== 0 && !NO_ENTRIES.test(both))
      return {
        kind: 'error',
        message: `journalctl failed (exit ${result.code}): ${cleanText(result.stderr.trim(), 200)}`,
      };
    return { kind: 'unavailable', message: `journald has no entries for the ${unit} unit.` };
  }
  return { kind: 'ok', text: result.stdout, truncated: result.truncated || result.timedOut };
}

/**
 * The access log and server facts: journald first on Linux, else the log files. `unavailable`
 * when neither exists; `denied` when the only source there is may not be read.
 */
export async function probeAccessLog(
  host: Host,
  options: AccessLogProbeOptions = {},
): Promise<ProbeResult<TrafficLogData | null>> {
  return runProbe<TrafficLogData | null>(host, 'access log', null, PROBE_DEADLINE_MS, async () => {
    const evidence: Evidence[] = [];
    const notes: string[] = [];
    const unit = (options.unit ?? 'ollama').replace(/\.service$/, '');
    const aggregator = () => new AccessLogAggregator({ timeZone: options.timeZone });
    let denied: string | null = null;
    let failure: string | null = null;

    if (options.journald ?? host.platform === 'linux') {
      const journal = await readJournal(host, unit, evidence);
      if (journal.kind === 'ok') {
        const a = aggregator();
        a.addText(journal.text);
        return {
          status: 'ok',
          data: {
            accessLog: {
              ...a.report(),
              source: { kind: 'journald', ref: journalArgv(unit).join(' ') },
              truncated: journal.truncated,
            },
            serverLog: parseServerLogFacts(journal.text),
          },
          evidence,
          message: FORGEABLE_CLIENT_SENTENCE,
        };
      }
      if (journal.kind === 'denied') denied = journal.message;
      else if (journal.kind === 'error') failure = journal.message;
      else notes.push(journal.message);
    }

    const files = (options.files ?? defaultLogFiles(host)).slice(0, MAX_LOG_FILES);
    const a = aggregator();
    const read: string[] = [];
    const texts: string[] = [];
    let truncated = false;
    for (const path of files) {
      const file = await host.readFile(path, LOG_FILE_MAX_BYTES);
      evidence.push(fileEvidence(file));
      if (!file.ok) {
        const status = statusForFsError(file.code);
        if (status === 'denied') denied ??= `${path} may not be read by this user.`;
        else if (status === 'error') failure ??= `${path}: ${file.message}`;
        continue;
      }
      read.push(path);
      truncated ||= file.truncated;
      a.addText(file.text);
      texts.push(file.text);
    }
    if (read.length > 0) {
      if (truncated)
        notes.push(
          `A log file exceeded ${LOG_FILE_MAX_BYTES / 1024 / 1024} MiB; only its beginning was read.`,
        );
      return {
        status: 'ok',
        data: {
          accessLog: { ...a.report(), source: { kind: 'file', ref: read.join(', ') }, truncated },
          serverLog: parseServerLogFacts(texts.join('\n')),
        },
        evidence,
        message: [FORGEABLE_CLIENT_SENTENCE, ...notes].join(' '),
      };
    }
    if (denied) return { status: 'denied', data: null, evidence, message: denied };
    if (failure) return { status: 'error', data: null, evidence, message: failure };
    return {
      status: 'unavailable',
      data: null,
      evidence,
      message: ['No Ollama log found.', ...notes].join(' '),
    };
  });
}
