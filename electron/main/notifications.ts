/**
 * Desktop notifications: on change only, rate-limited, with snooze. The policy is plain
 * TypeScript with an injected clock, so every rule is unit-tested; the notifier turns its
 * decisions into Electron Notifications and a click into the matching view.
 *
 * Change only: the monitor already emits events when something changed between two scans, but
 * it starts afresh when Paddock restarts and a flapping server produces bursts. So the policy
 * keeps what it last saw per instance (the exposure verdict) and per fact (a remote client's
 * address, a vulnerable version, a fix run), and stays quiet about what it already knows.
 * The state is updated even when a notification is held back (snoozed, disabled, rate-limited):
 * "change only" means a change since the last time Paddock looked, not since it last spoke.
 *
 * Rate limit: at least `minIntervalMs` between two notifications and at most `maxPerHour` in
 * any hour. What the limit holds back is counted, never dropped silently: the next
 * notification says "and N more", and if none comes the notifier shows one summary as soon as
 * the limit allows. Snoozed and disabled notifications are not counted (the user asked for
 * silence; History keeps every event).
 */
import type {
  Notification as ElectronNotification,
  NotificationConstructorOptions,
} from 'electron';
import type { AppEvent } from '../../shared/api';
import type { EventKind, PaddockEvent } from '../../shared/events';
import { fixIdSchema } from '../../shared/fixes';
import { cleanLine } from '../engine/text/untrusted';
import type { MainFix, TrayVerdict } from './tray';

export type NavigateEvent = Extract<AppEvent, { type: 'navigate' }>;

/** The kinds worth interrupting the user for; the rest only reach History and the window. */
export const NOTIFIED_KINDS = [
  'exposure-started',
  'exposure-ended',
  'remote-client',
  'vulnerable-version',
  'fix-failed',
  'gpu-busy-remote',
] as const satisfies readonly EventKind[];
type NotifiedKind = (typeof NOTIFIED_KINDS)[number];

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

const HOUR = 60 * 60 * 1000;
/** Facts remembered at most; older ones are forgotten first. */
const MAX_FACTS = 1000;

function isNotifiedKind(kind: EventKind): kind is NotifiedKind {
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
  private readonly exposure = new Map<string | null, TrayVerdict>();
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
      const after: TrayVerdict =
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

// ── what a notification says, and where its click goes ─────────────────────────────────

const TITLES: Record<NotifiedKind, string> = {
  'exposure-started': 'Ollama can be reached from other machines',
  'exposure-ended': 'Ollama is private again',
  'remote-client': 'Another machine is using Ollama',
  'vulnerable-version': 'This Ollama version has a known vulnerability',
  'fix-failed': 'A fix did not complete',
  'gpu-busy-remote': 'Your GPU is working for another machine',
};

const MAX_BODY = 300;

/**
 * Text safe in a notification. Electron's Linux backend hands title and body to libnotify as
 * they are, and daemons that advertise `body-markup` (KDE, dunst, mako…) render `<b>`,
 * `<a href>` and `<img>`: there `&`, `<` and `>` are escaped. macOS and Windows show plain
 * text, where an escape would show as typed.
 */
export function notificationSafe(text: string, platform: NodeJS.Platform): string {
  if (platform !== 'linux') return text;
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function countOf(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What a notification says about a busy GPU, from the event's facts: who is connected, to which
 * server, and how busy, with a count of the models loaded, never their names (a server names
 * its models, and a name can say anything; the Activity view lists them).
 */
function gpuBusyBody(event: PaddockEvent): string | null {
  const peers = dataString(event, 'remotePeers');
  const utilization = event.data.utilizationPercent;
  const loaded = event.data.loadedModels;
  const busy = [
    ...(typeof utilization === 'number' ? [`the GPU is ${utilization}% busy`] : []),
    ...(typeof loaded === 'number' && loaded > 0
      ? [`${countOf(loaded, 'model')} ${loaded === 1 ? 'is' : 'are'} loaded in memory`]
      : []),
  ];
  if (!peers || busy.length === 0) return null;
  const count = peers.split(',').length;
  const who = count === 1 ? peers : `${countOf(count, 'other machine')} (${peers})`;
  return `While ${who} ${count === 1 ? 'is' : 'are'} connected to ${event.instance ?? 'Ollama'} and no program here is, ${busy.join(' and ')}.`;
}

export function notificationText(
  event: PaddockEvent,
  heldBack: number,
  platform: NodeJS.Platform = process.platform,
): { title: string; body: string } {
  let title = isNotifiedKind(event.kind) ? TITLES[event.kind] : 'Paddock';
  if (event.kind === 'exposure-started' && event.verdict === 'internet') {
    title = 'Ollama is reachable from the internet';
  } else if (event.kind === 'exposure-started' && event.verdict === 'lan') {
    title = 'Ollama is reachable from the local network';
  }
  const message = (event.kind === 'gpu-busy-remote' && gpuBusyBody(event)) || event.message;
  // One line: the message carries text from the system, and a line break in it could pass
  // for a line of Paddock's own. Cut before escaping, so that no escape is cut in half.
  let body = cleanLine(message, MAX_BODY).replace(/\s+/g, ' ').trim();
  if (heldBack > 0) {
    body += ` (and ${heldBack} more ${heldBack === 1 ? 'change' : 'changes'}: see History)`;
  }
  return { title: notificationSafe(title, platform), body: notificationSafe(body, platform) };
}

function dataString(event: PaddockEvent, field: string): string | null {
  const value = event.data[field];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The view a click opens: an exposure opens the overview with its fix (from the event, else
 * the current main fix), a remote client or a busy GPU the Activity view, a failed fix
 * History, a vulnerable version its finding.
 */
export function navigationFor(event: PaddockEvent, mainFix: MainFix | null): NavigateEvent {
  const to = (
    view: NavigateEvent['view'],
    findingId: string | null = null,
    fixId: NavigateEvent['fixId'] = null,
  ): NavigateEvent => ({ type: 'navigate', view, findingId, fixId });
  switch (event.kind) {
    case 'exposure-started': {
      const findingId = dataString(event, 'findingId');
      if (findingId) {
        const fixId = fixIdSchema.safeParse(event.data.fixId);
        return to('overview', findingId, fixId.success ? fixId.data : null);
      }
      return mainFix ? to('overview', mainFix.findingId, mainFix.fixId) : to('overview');
    }
    case 'remote-client':
    case 'gpu-busy-remote':
      return to('activity');
    case 'fix-failed':
      return to('history');
    case 'vulnerable-version':
      return to(
        'finding',
        dataString(event, 'findingId') ?? `known-advisory@${event.instance ?? 'host'}`,
      );
    default:
      return to('overview');
  }
}

// ── the notifier ────────────────────────────────────────────────────────────────────────

/** Electron's Notification class, or a fake of it. */
export interface NotificationClass {
  new (options: NotificationConstructorOptions): ElectronNotification;
  isSupported(): boolean;
}

export interface NotifierOptions {
  Notification: NotificationClass;
  policy: NotificationPolicy;
  /** Show the window on this view. */
  onClick(navigate: NavigateEvent): void;
  /** The fix an exposure notification opens when the event names none. */
  mainFix?: () => MainFix | null;
  /** The user chose "Snooze for an hour" on a notification (the policy is already told). */
  onSnooze?(until: Date): void;
  now?: () => Date;
  /** Where the notification is shown (markup is escaped on Linux); default this process's. */
  platform?: NodeJS.Platform;
}

export interface NotifyResult {
  shown: boolean;
  reason: PolicyReason | 'unsupported' | 'failed';
}

export interface Notifier {
  handle(event: PaddockEvent): NotifyResult;
  dispose(): void;
}

/** Live notifications kept referenced, or a collected one loses its click handler. */
const MAX_LIVE = 20;
const SNOOZE_MS = HOUR;

export function createNotifier(options: NotifierOptions): Notifier {
  const { Notification, policy } = options;
  const now = options.now ?? (() => new Date());
  const live = new Set<ElectronNotification>();
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;

  const supported = (): boolean => {
    try {
      return Notification.isSupported();
    } catch {
      return false;
    }
  };

  const show = (
    content: { title: string; body: string },
    severity: PaddockEvent['severity'],
    navigate: NavigateEvent,
  ): boolean => {
    try {
      const notification = new Notification({
        title: content.title,
        body: content.body,
        silent: severity === 'info' || severity === 'low',
        urgency: severity === 'critical' ? 'critical' : 'normal',
        actions: [{ type: 'button', text: 'Snooze for an hour' }],
      });
      const forget = (): void => {
        live.delete(notification);
      };
      notification.on('click', () => {
        forget();
        options.onClick(navigate);
      });
      notification.on('action', (details) => {
        if (details.actionIndex !== 0) return;
        forget();
        const until = new Date(now().getTime() + SNOOZE_MS);
        policy.snooze(until);
        options.onSnooze?.(until);
      });
      notification.on('close', forget);
      notification.on('failed', forget);
      live.add(notification);
      if (live.size > MAX_LIVE) {
        const oldest = live.values().next();
        if (!oldest.done) live.delete(oldest.value);
      }
      notification.show();
      return true;
    } catch {
      // A notification daemon that is missing or broken must not take the watch down.
      return false;
    }
  };

  const scheduleFlush = (): void => {
    if (flushTimer || disposed) return;
    const at = policy.nextAllowedAt();
    const delay = at ? Math.max(at.getTime() - now().getTime(), 0) : 0;
    flushTimer = setTimeout(() => {
      flushTimer = null;
      if (disposed || !supported()) return;
      const decision = policy.flushHeldBack();
      if (decision.notify) {
        const n = decision.heldBack;
        show(
          {
            title: 'Paddock',
            body: `${n} more ${n === 1 ? 'change' : 'changes'} while notifications were held back: see History.`,
          },
          'info',
          { type: 'navigate', view: 'history', findingId: null, fixId: null },
        );
      } else if (decision.reason === 'rate-interval' || decision.reason === 'rate-hourly') {
        scheduleFlush();
      }
    }, delay);
    flushTimer.unref?.();
  };

  return {
    handle(event) {
      if (disposed) return { shown: false, reason: 'disabled' };
      // Asked first, so the policy's memory stays right while notifications cannot be shown.
      const decision = policy.consider(event);
      if (!supported()) return { shown: false, reason: 'unsupported' };
      if (!decision.notify) {
        if (decision.reason === 'rate-interval' || decision.reason === 'rate-hourly') {
          scheduleFlush();
        }
        return { shown: false, reason: decision.reason };
      }
      const shown = show(
        notificationText(event, decision.heldBack, options.platform ?? process.platform),
        event.severity,
        navigationFor(event, options.mainFix?.() ?? null),
      );
      return { shown, reason: shown ? 'notify' : 'failed' };
    },
    dispose() {
      disposed = true;
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      live.clear();
    },
  };
}
