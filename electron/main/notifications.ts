/**
 * Desktop notifications: on change only, rate-limited, with snooze. The policy
 * (engine/alerts/policy.ts, shared with the headless service's journald and webhook sinks) is
 * plain TypeScript with an injected clock, so every rule is unit-tested; the notifier turns its
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
import type { PaddockEvent } from '../../shared/events';
import { fixIdSchema } from '../../shared/fixes';
import { cleanLine } from '../engine/text/untrusted';
import type { NotificationPolicy, NotifiedKind, PolicyReason } from '../engine/alerts/policy';
import { HOUR, isNotifiedKind } from '../engine/alerts/policy';
import type { MainFix } from './tray';

export { FACT_FIELDS, NOTIFIED_KINDS, NotificationPolicy } from '../engine/alerts/policy';
export type { PolicyDecision, PolicyOptions, PolicyReason } from '../engine/alerts/policy';

export type NavigateEvent = Extract<AppEvent, { type: 'navigate' }>;

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
