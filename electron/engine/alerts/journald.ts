/**
 * Issue 15, alerts where a team already looks: structured journald entries. Each alert the
 * service's policy lets through (engine/alerts/policy.ts: change only, rate-limited, hourly
 * cap) becomes one entry with fields a team can filter on:
 *
 *   journalctl -u paddock.service PADDOCK_EVENT=exposure-started -o json
 *
 * Node has no datagram socket for journald's native protocol, so the entry is handed to
 * util-linux's `logger --journald` (Debian's bsdutils, Essential), which sends it as is: one
 * `FIELD=value` per line on its standard input, never in argv. Values come from the system
 * (model names, unit names) and are cut to one line of printable text first (text/untrusted.ts
 * cleanLine), so no value can start a field of its own; field names are Paddock's constants.
 */
import { createHash } from 'node:crypto';
import type { PaddockEvent } from '../../../shared/events';
import type { ExecResult } from '../host/types';
import { cleanLine } from '../text/untrusted';

/** syslog priorities (journald's PRIORITY): crit, err, warning, notice, info. */
export const JOURNAL_PRIORITY: Record<PaddockEvent['severity'], number> = {
  critical: 2,
  high: 3,
  medium: 4,
  low: 5,
  info: 6,
};

/** One MESSAGE_ID per event kind (journald's catalog key): 128 bits from the kind's name. */
export function messageId(kind: string): string {
  return createHash('sha256').update(`paddock-event:${kind}`).digest('hex').slice(0, 32);
}

export interface JournalAlert {
  event: PaddockEvent;
  /** Alerts the rate limit held back since the last one ("and N more"). */
  heldBack: number;
}

/** A value on one line: printable, cut, never empty (journald drops an empty field). */
function value(text: string | null | undefined, max = 500): string {
  const line = cleanLine(text ?? '', max)
    .replace(/[\r\n\u2028\u2029]/g, ' ')
    .trim();
  return line === '' ? '-' : line;
}

/** The entry, one `FIELD=value` per line, as `logger --journald` reads it. */
export function journalEntry({ event, heldBack }: JournalAlert): string {
  const more =
    heldBack > 0
      ? ` (and ${heldBack} more ${heldBack === 1 ? 'change' : 'changes'}: see paddock history)`
      : '';
  const fields: Array<[string, string]> = [
    ['MESSAGE', `${value(event.message, 1500)}${more}`],
    ['PRIORITY', String(JOURNAL_PRIORITY[event.severity])],
    ['SYSLOG_IDENTIFIER', 'paddock'],
    ['MESSAGE_ID', messageId(event.kind)],
    ['PADDOCK_EVENT', value(event.kind, 40)],
    ['PADDOCK_EVENT_ID', value(event.id, 100)],
    ['PADDOCK_SEVERITY', event.severity],
    ['PADDOCK_INSTANCE', value(event.instance, 200)],
    ['PADDOCK_VERDICT', value(event.verdict, 20)],
    ['PADDOCK_HELD_BACK', String(heldBack)],
  ];
  return `${fields.map(([name, text]) => `${name}=${text}`).join('\n')}\n`;
}

export type JournalResult = { ok: true } | { ok: false; error: string };

/**
 * A sink that sends each alert to journald through `logger` (by the absolute path `program`,
 * which the caller resolved as root would: host/trust.ts resolveRootProgram).
 */
export function journaldSink(
  program: string,
  exec: (argv: readonly string[], input: string) => Promise<ExecResult>,
): (alert: JournalAlert) => Promise<JournalResult> {
  return async (alert) => {
    const result = await exec([program, '--journald'], journalEntry(alert));
    if (result.code === 0) return { ok: true };
    const why =
      result.spawnError ??
      (result.timedOut
        ? 'timed out'
        : cleanLine(result.stderr.trim(), 200) || `exit ${result.code}`);
    return { ok: false, error: `logger --journald: ${why}` };
  };
}
