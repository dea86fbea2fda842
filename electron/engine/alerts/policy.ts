/**
 * The alert policy shared by the desktop notifications (electron/main/notifications.ts) and the
 * headless service's journald and webhook sinks (electron/engine/headless): on change only,
 * rate-limited, with an hourly cap and snooze. Plain TypeScript with an injected clock, so
 * every rule is unit-tested.
 *
 * Change only: the monitor already emits events when something changed between two scans, but
 * it starts afresh when Paddock restarts and a flapping server produces bursts. So the policy
 * keeps what it last saw per instance (the exposure verdict) and per fact (a remote client's
 * address, a vulnerable version, a fix run), and stays quiet about what it already knows.
 * The state is updated even when an alert is held back (snoozed, disabled, rate-limited):
 * "change only" means a change since the last time Paddock looked, not since it last spoke.
 *
 * Rate limit: at least `minIntervalMs` between two alerts and at most `maxPerHour` in any
 * hour. What the limit holds back is counted, never dropped silently: the next alert says
 * "and N more", and if none comes the caller sends one summary as soon as the limit allows.
 * Snoozed and disabled alerts are not counted (the user asked for silence; History keeps
 * every event).
 */
import type { EventKind, PaddockEvent } from '../../../shared/events';

/** What a place's exposure was last seen as. */
export type AlertVerdict = 'private' | 'lan' | 'internet' | 'unknown';

/** The kinds worth interrupting the user for; the rest only reach History and the window. */
export const NOTIFIED_KINDS = [
  'exposure-started',
  'exposure-ended',
  'remote-client',
  'vulnerable-version',
  'fix-failed',
  'gpu-busy-remote',
] as const satisfies readonly EventKind[];
export type NotifiedKind = (typeof NOTIFIED_KINDS)[number];

/**
 * The `data` fields (as electron/engine/monitor writes them) that make two events of a kind
 * "the same fact", with the event's instance; the message stands in when none is present.
 */
export const FACT_FIELDS: Record<Exclude<NotifiedKind, `exposure-${string}`>, string[]> = {
  'remote-client': ['address'],
  'gpu-busy-remote': ['findingId', 'remotePeers'],
  'vulnerable-version': ['findingId', 'version'],
  // A run can fail twice: rolled back, then its undo failing.
  'fix-failed': ['runId', 'state'],
};

export type PolicyReason =
  | 'notify'
  | 'not-notified-kind'
  | 'unchanged'
  | 'repeat'
  | 'disabled'
  | 'snoozed'
  | 'rate-interval'
  | 'rate-hourly';

export interface PolicyDecision {
  notify: boolean;
  reason: PolicyReason;
  /** Notifications the rate limit held back since the last one shown ("and N more"). */
  heldBack: number;
}

export interface PolicyOptions {
  now?: () => Date;
  /** Shortest time between two notifications. */
  minIntervalMs?: number;
  /** Most notifications in any 60 minutes. */
  maxPerHour?: number;
  /** The same fact (a client's address, a version, a run) is not repeated within this time. */
  repeatWindowMs?: number;
  /** The notifications preference. */
  enabled?: boolean;
}

export const HOUR = 60 * 60 * 1000;
/** Facts remembered at most; older ones are forgotten first. */
const MAX_FACTS = 1000;

export function isNotifiedKind(kind: EventKind): kind is NotifiedKind {
  return (NOTIFIED_KINDS as readonly EventKind[]).includes(kind);
}

function factKey(event: PaddockEvent, kind: keyof typeof FACT_FIELDS): string {
  const fields = FACT_FIELDS[kind].filter((name) => {
    const value = event.data[name];
    return value !== undefined && value !== null && value !== '';
  });
  const fact =
    fields.length > 0
      ? fields.map((name) => `${name}=${String(event.data[name])}`)
      : [`message=${event.message}`];
  return JSON.stringify([kind, event.instance, ...fact]);
}

export class NotificationPolicy {
  readonly minIntervalMs: number;
  readonly maxPerHour: number;
  readonly repeatWindowMs: number;
  private readonly now: () => Date;
  private enabled: boolean;
  private snoozeUntil: number | null = null;
  /** Exposure last seen per place (the monitor's `data.place`, else the instance). */
  private readonly exposure = new Map<string | null, AlertVerdict>();
  /** Fact key → when it was last seen. */
  private readonly facts = new Map<string, number>();
  /** When the notifications of the last hour were shown, oldest first. */
  private shownAt: number[] = [];
  private heldBack = 0;

  constructor(options: PolicyOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.minIntervalMs = options.minIntervalMs ?? 60_000;
    this.maxPerHour = options.maxPerHour ?? 6;
    this.repeatWindowMs = options.repeatWindowMs ?? 24 * HOUR;
    this.enabled = options.enabled ?? true;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) this.heldBack = 0;
  }

  /** Nothing is shown until then; null ends the snooze. */
  snooze(until: Date | null): void {
    this.snoozeUntil = until ? until.getTime() : null;
    if (until) this.heldBack = 0;
  }

  snoozedUntil(): Date | null {
    if (this.snoozeUntil === null || this.snoozeUntil <= this.now().getTime()) return null;
    return new Date(this.snoozeUntil);
  }

  /** Decides about one event, and remembers it (whatever the decision). */
  consider(event: PaddockEvent): PolicyDecision {
    if (!isNotifiedKind(event.kind)) return this.quiet('not-notified-kind');
    const now = this.now().getTime();
    const change = this.remember(event, event.kind, now);
    if (change !== null) return this.quiet(change);
    return this.gate(now);
  }

  /**
   * The summary of what the rate limit held back, when nothing else said it: notify when some
   * were held back and the limit (and snooze, and the preference) allow one now.
   */
  flushHeldBack(): PolicyDecision {
    if (this.heldBack === 0) return this.quiet('unchanged');
    const now = this.now().getTime();
    const blocked = this.blocked(now);
    if (blocked) return this.quiet(blocked);
    const heldBack = this.heldBack;
    this.show(now);
    return { notify: true, reason: 'notify', heldBack };
  }

  /** When the rate limit next allows a notification; null when it allows one now. */
  nextAllowedAt(): Date | null {
    const now = this.now().getTime();
    this.forgetOldShown(now);
    let at = now;
    const last = this.shownAt[this.shownAt.length - 1];
    if (last !== undefined) at = Math.max(at, last + this.minIntervalMs);
    if (this.shownAt.length >= this.maxPerHour) {
      const freeing = this.shownAt[this.shownAt.length - this.maxPerHour];
      if (freeing !== undefined) at = Math.max(at, freeing + HOUR);
    }
    return at > now ? new Date(at) : null;
  }

  /** Null when the event is news; else why it is not. */
  private remember(event: PaddockEvent, kind: NotifiedKind, now: number): PolicyReason | null {
    if (kind === 'exposure-started' || kind === 'exposure-ended') {
      // Keyed by place (address and port), as the monitor does: a restarted server is a new
      // instance on the same place, and its exposure is the same news.
      const place = typeof event.data.place === 'string' ? event.data.place : event.instance;
      const before = this.exposure.get(place);
      const after: AlertVerdict =
        kind === 'exposure-ended'
          ? 'private'
          : event.verdict === 'lan' || event.verdict === 'internet'
            ? event.verdict
            : 'unknown';
      this.exposure.set(place, after);
      if (before === after) return 'unchanged';
      // "Private again" is only news to someone who heard it was exposed.
      if (kind === 'exposure-ended' && before === undefined) return 'unchanged';
      // A new exposure state: what was known about its clients no longer holds.
      for (const key of this.facts.keys()) {
        const [, instance] = JSON.parse(key) as [string, string | null];
        if (instance === event.instance) this.facts.delete(key);
      }
      return null;
    }
    const key = factKey(event, kind);
    const seen = this.facts.get(key);
    this.facts.delete(key);
    this.facts.set(key, now);
    if (this.facts.size > MAX_FACTS) {
      const oldest = this.facts.keys().next();
      if (!oldest.done) this.facts.delete(oldest.value);
    }
    return seen !== undefined && now - seen < this.repeatWindowMs ? 'repeat' : null;
  }

  private gate(now: number): PolicyDecision {
    const blocked = this.blocked(now);
    if (blocked === 'rate-interval' || blocked === 'rate-hourly') this.heldBack++;
    if (blocked) return this.quiet(blocked);
    const heldBack = this.heldBack;
    this.show(now);
    return { notify: true, reason: 'notify', heldBack };
  }

  private blocked(now: number): PolicyReason | null {
    if (!this.enabled) return 'disabled';
    if (this.snoozeUntil !== null && now < this.snoozeUntil) return 'snoozed';
    this.forgetOldShown(now);
    const last = this.shownAt[this.shownAt.length - 1];
    if (last !== undefined && now - last < this.minIntervalMs) return 'rate-interval';
    if (this.shownAt.length >= this.maxPerHour) return 'rate-hourly';
    return null;
  }

  private show(now: number): void {
    this.shownAt.push(now);
    this.heldBack = 0;
  }

  private forgetOldShown(now: number): void {
    this.shownAt = this.shownAt.filter((at) => now - at < HOUR);
  }

  private quiet(reason: PolicyReason): PolicyDecision {
    return { notify: false, reason, heldBack: this.heldBack };
  }
}
