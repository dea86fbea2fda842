/**
 * Issue 18: History opens with a timeline of verdict changes in plain sentences, made from the
 * events the engine already records (monitor/diff.ts: exposure-started, exposure-ended;
 * monitor/events.ts: fix-applied, fix-failed, fix-undone) and the fix runs they name:
 *
 *   Tuesday 14:02 — Ollama became reachable from the local network
 *   14:05 — Ollama is private to this computer again, after "Close port 11434"
 *   14:09 — Ollama is reachable from the local network again, after undoing "Close port 11434"
 *
 * An undo that gives other machines their access back is a warning, never a success. Run ids,
 * fix ids and instance ids stay out of the sentence (the entry keeps them for Details). Pure:
 * no DOM, no Node; the renderer and the unit tests call it alike.
 */
import type { PaddockEvent } from '../../../shared/events';
import type { FixRun } from '../../../shared/fixes';

type Verdict = NonNullable<PaddockEvent['verdict']>;
export type TimelineTone = 'ok' | 'warn' | 'bad' | 'neutral';

export interface TimelineEntry {
  /** The event's id (unique). */
  id: string;
  at: string;
  /** "Tuesday 14:02" for the first entry of a day (newest first), then "14:05". */
  when: string;
  sentence: string;
  tone: TimelineTone;
  /** For Details and copy: the ids a person never needs to read. */
  details: { instance: string | null; runId: string | null; fixId: string | null; kind: string };
}

/** A run as the timeline needs it. */
export type TimelineRun = Pick<FixRun, 'id' | 'state' | 'startedAt' | 'endedAt'> & {
  plan: Pick<FixRun['plan'], 'title' | 'fixId' | 'instance'> & {
    verification: Pick<FixRun['plan']['verification'], 'kind'> & { setting?: string | null };
  };
};

export interface TimelineOptions {
  /** The server's name for an instance id ("Ollama"), or null when not known. */
  nameOf?: (instance: string | null) => string | null;
  /** IANA zone for the times (default: the runtime's). */
  timeZone?: string;
  /** How many entries at most (default 50). */
  limit?: number;
}

const REACH: Readonly<Record<Verdict, string>> = {
  private: 'private to this computer',
  lan: 'reachable from the local network',
  internet: 'reachable from the internet',
  unknown: 'in a state Paddock cannot judge',
};

/** Plans that take other machines' access away: undoing them gives it back. */
const CLOSING_VERIFICATIONS: ReadonlySet<string> = new Set([
  'instance-loopback-only',
  'port-closed-beyond-loopback',
  'tunnel-stopped',
  'shared-only-with',
  'instance-bound-to',
  'shared-behind-proxy',
  'client-blocked',
]);
/** Plans whose verified result is "private to this computer". */
const PRIVATE_VERIFICATIONS: ReadonlySet<string> = new Set([
  'instance-loopback-only',
  'port-closed-beyond-loopback',
]);

/** Attribute an exposure change to a fix that ended this long before it, at most. */
const ATTRIBUTE_MS = 15 * 60 * 1000;

const quoted = (title: string) => `“${title}”`;

/** The server's name from its id when nothing better is known: "Ollama", "LM Studio"… */
export function fallbackName(instance: string | null): string {
  if (!instance) return 'The server';
  const kind = instance.split(':')[0] ?? '';
  const known: Record<string, string> = {
    ollama: 'Ollama',
    lmstudio: 'LM Studio',
    'llama-server': 'llama.cpp server',
    vllm: 'vLLM',
    localai: 'LocalAI',
    'open-webui': 'Open WebUI',
  };
  return known[kind] ?? 'The server';
}

function dayAndTime(
  iso: string,
  timeZone: string | undefined,
): { day: string; weekday: string; time: string } {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return { day: iso, weekday: '', time: iso };
  const zone = timeZone ? { timeZone } : {};
  const day = date.toLocaleDateString('en-GB', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    ...zone,
  });
  const weekday = date.toLocaleDateString('en-GB', { weekday: 'long', ...zone });
  const time = date.toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    ...zone,
  });
  return { day, weekday, time };
}

/** The verdict a server had just before `at`, from the exposure events (oldest first). */
function verdictBefore(
  events: readonly PaddockEvent[],
  instance: string | null,
  at: number,
): Verdict | null {
  let last: Verdict | null = null;
  for (const e of events) {
    if (Date.parse(e.at) >= at) break;
    if (e.instance !== instance || e.verdict === null) continue;
    if (e.kind === 'exposure-started' || e.kind === 'exposure-ended') last = e.verdict;
  }
  return last;
}

/**
 * The timeline, newest first. `runs` gives each fix event its title ("Close port 11434") and
 * what the plan did; an event whose run is gone keeps a plain "a fix".
 */
export function verdictTimeline(
  events: readonly PaddockEvent[],
  runs: readonly TimelineRun[],
  options: TimelineOptions = {},
): TimelineEntry[] {
  const nameOf = (instance: string | null) => options.nameOf?.(instance) ?? fallbackName(instance);
  const byRun = new Map(runs.map((r) => [r.id, r]));
  const oldest = [...events].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  const runOf = (e: PaddockEvent) =>
    typeof e.data.runId === 'string' ? (byRun.get(e.data.runId) ?? null) : null;
  const titleOf = (e: PaddockEvent) => {
    const run = runOf(e);
    return run ? quoted(run.plan.title) : 'a fix';
  };
  /** A fix applied for that server shortly before `at` (the cause of a change). */
  const causeOf = (e: PaddockEvent): PaddockEvent | null => {
    const at = Date.parse(e.at);
    const before = oldest.filter(
      (f) =>
        f.kind === 'fix-applied' &&
        (f.instance === e.instance || f.instance === null) &&
        Date.parse(f.at) <= at &&
        at - Date.parse(f.at) <= ATTRIBUTE_MS,
    );
    return before.at(-1) ?? null;
  };
  const explained = new Set<string>();
  const out: Omit<TimelineEntry, 'when'>[] = [];
  const push = (e: PaddockEvent, sentence: string, tone: TimelineTone, run = runOf(e)) =>
    out.push({
      id: e.id,
      at: e.at,
      sentence,
      tone,
      details: {
        instance: e.instance,
        runId: run?.id ?? (typeof e.data.runId === 'string' ? e.data.runId : null),
        fixId: run?.plan.fixId ?? (typeof e.data.fixId === 'string' ? e.data.fixId : null),
        kind: e.kind,
      },
    });

  for (const e of oldest) {
    const name = nameOf(e.instance);
    if (e.kind === 'exposure-ended') {
      const cause = causeOf(e);
      if (cause) explained.add(cause.id);
      if (e.data.stopped === true) {
        push(e, `${name} stopped; nothing listens where it was`, 'neutral', null);
        continue;
      }
      const verdict = e.verdict ?? 'private';
      const after = cause ? `, after ${titleOf(cause)}` : '';
      push(
        e,
        `${name} is ${REACH[verdict]} again${after}`,
        verdict === 'private' ? 'ok' : 'warn',
        cause ? runOf(cause) : null,
      );
    } else if (e.kind === 'exposure-started') {
      const verdict = e.verdict ?? 'unknown';
      push(
        e,
        `${name} became ${REACH[verdict]}`,
        verdict === 'internet' ? 'bad' : verdict === 'lan' ? 'warn' : 'neutral',
        null,
      );
    } else if (e.kind === 'fix-undone') {
      const run = runOf(e);
      const title = titleOf(e);
      const closing = run ? CLOSING_VERIFICATIONS.has(run.plan.verification.kind) : true;
      if (!closing) {
        push(e, `${title} was undone; ${name} is as it was before it`, 'neutral');
        continue;
      }
      const startedAt = run ? Date.parse(run.startedAt) : Date.parse(e.at);
      const before = verdictBefore(oldest, e.instance, startedAt);
      const reach =
        before && before !== 'private' ? REACH[before] : 'reachable from other machines';
      const what =
        run?.plan.fixId === 'block-client'
          ? `${run.plan.verification.setting ?? 'the machine it cut off'} can reach ${name} again`
          : `${name} is ${reach} again`;
      push(e, `${what[0]!.toUpperCase()}${what.slice(1)}, after undoing ${title}`, 'warn');
    } else if (e.kind === 'fix-failed') {
      push(e, `${title(e)} did not work, so nothing changed for ${name}`, 'bad');
    } else if (e.kind === 'fix-applied') {
      // Said with the exposure change it caused, when the monitor saw one (below).
      push(e, '', 'ok');
    }
  }

  const sentences = out
    .filter((entry) => !(entry.details.kind === 'fix-applied' && explained.has(entry.id)))
    .map((entry) => {
      if (entry.details.kind !== 'fix-applied') return entry;
      const run = entry.details.runId ? (byRun.get(entry.details.runId) ?? null) : null;
      const name = nameOf(entry.details.instance);
      const title = run ? quoted(run.plan.title) : 'A fix';
      const sentence =
        run && PRIVATE_VERIFICATIONS.has(run.plan.verification.kind)
          ? `${name} is private to this computer, after ${title}`
          : `${title[0]!.toUpperCase()}${title.slice(1)} was applied and checked`;
      return { ...entry, sentence };
    });

  function title(e: PaddockEvent): string {
    const t = titleOf(e);
    return t === 'a fix' ? 'A fix' : t;
  }

  const newest = sentences.reverse().slice(0, options.limit ?? 50);
  let lastDay = '';
  return newest.map((entry) => {
    const { day, weekday, time } = dayAndTime(entry.at, options.timeZone);
    const when = day !== lastDay ? `${weekday} ${time}`.trim() : time;
    lastDay = day;
    return { ...entry, when };
  });
}

/** Whether undoing this run gave other machines their access back (a warning, not a success). */
export function undoReexposes(run: TimelineRun): boolean {
  return run.state === 'undone' && CLOSING_VERIFICATIONS.has(run.plan.verification.kind);
}
