/**
 * Making PaddockEvents (shared/events.ts): ids, bounded plain text, and the event for a
 * finished fix run. The diff of two scans (diff.ts) and the service's fix flow both make
 * their events here, so every event has the same shape whoever raised it.
 */
import type { EventKind, PaddockEvent } from '../../../shared/events';
import type { FixRun, RunState } from '../../../shared/fixes';
import { cleanText } from '../text/untrusted';

const MAX_MESSAGE = 2000;
const MAX_DATA_TEXT = 2000;
const MAX_INSTANCE = 200;

/** FNV-1a, 32 bits, as 8 hex digits: a short stable tag for what an event is about. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * `${at}-${kind}-${hash of the subject}`: sorts by time, and is unique per moment, kind and
 * subject. Deterministic on purpose: the same change seen by the same diff gets the same id,
 * so a consumer can drop a duplicate.
 */
export function eventId(at: string, kind: EventKind, subject: string): string {
  return `${at}-${kind}-${shortHash(subject)}`;
}

export type EventData = PaddockEvent['data'];

export interface EventInput {
  kind: EventKind;
  at: string;
  /** What the event is about, for the id (an instance, a port, a peer, a finding). */
  subject: string;
  instance: string | null;
  verdict: PaddockEvent['verdict'];
  severity: PaddockEvent['severity'];
  message: string;
  data?: EventData;
}

/** An event with its text bounded and cleaned of control characters (it reaches terminals). */
export function makeEvent(input: EventInput): PaddockEvent {
  const data: EventData = {};
  for (const [key, value] of Object.entries(input.data ?? {}).slice(0, 50)) {
    data[key.slice(0, 100)] = typeof value === 'string' ? cleanText(value, MAX_DATA_TEXT) : value;
  }
  return {
    id: eventId(input.at, input.kind, input.subject),
    kind: input.kind,
    at: input.at,
    instance: input.instance === null ? null : cleanText(input.instance, MAX_INSTANCE - 1),
    verdict: input.verdict,
    severity: input.severity,
    message: cleanText(input.message, MAX_MESSAGE - 1),
    data,
  };
}

const RUN_EVENT: Partial<
  Record<RunState, { kind: EventKind; severity: PaddockEvent['severity']; verb: string }>
> = {
  applied: { kind: 'fix-applied', severity: 'info', verb: 'was applied and verified' },
  'rolled-back': { kind: 'fix-failed', severity: 'medium', verb: 'failed and was rolled back' },
  'rollback-failed': {
    kind: 'fix-failed',
    severity: 'critical',
    verb: 'failed, and rolling it back failed too',
  },
  undone: { kind: 'fix-undone', severity: 'info', verb: 'was undone' },
  'undo-failed': { kind: 'fix-failed', severity: 'high', verb: 'could not be undone' },
};

/**
 * The event for a fix run that has finished (applied, rolled back, undone, or failed either
 * way); null while it is still in progress (applying, verifying, rolling back, undoing).
 */
export function eventForRun(run: FixRun): PaddockEvent | null {
  const shape = RUN_EVENT[run.state];
  if (!shape) return null;
  const at = run.endedAt ?? run.startedAt;
  const target = run.plan.instance ?? 'this computer';
  const outcome = run.outcome.trim();
  return makeEvent({
    kind: shape.kind,
    at,
    subject: `${run.id}:${run.state}`,
    instance: run.plan.instance,
    verdict: null,
    severity: shape.severity,
    message: `Fix ${run.plan.fixId} for ${target} ${shape.verb} (run ${run.id})${outcome ? `: ${outcome}` : '.'}`,
    data: {
      runId: run.id,
      fixId: run.plan.fixId,
      state: run.state,
      findingId: run.plan.findingId,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
    },
  });
}
