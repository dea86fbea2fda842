/** Notification policy (change only, rate limit, snooze, preference) and the notifier's clicks. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fake-electron'));

import { Notification } from 'electron';
import type { PaddockEvent } from '../../../shared/events';
import {
  NotificationPolicy,
  createNotifier,
  navigationFor,
  notificationText,
  type NavigateEvent,
} from '../../../electron/main/notifications';
import { Notification as FakeNotification, resetFakes } from './fake-electron';

const START = new Date('2026-03-10T12:00:00.000Z').getTime();
const MINUTE = 60_000;

let sequence = 0;
function event(kind: PaddockEvent['kind'], overrides: Partial<PaddockEvent> = {}): PaddockEvent {
  sequence += 1;
  return {
    id: `e-${sequence}`,
    kind,
    at: new Date(START).toISOString(),
    instance: 'ollama:11434',
    verdict: null,
    severity: 'high',
    message: `${kind} happened`,
    data: {},
    ...overrides,
  };
}
const exposed = (verdict: 'lan' | 'internet' = 'lan', instance = 'ollama:11434') =>
  event('exposure-started', {
    verdict,
    instance,
    severity: verdict === 'internet' ? 'critical' : 'high',
  });
const ended = (instance = 'ollama:11434') =>
  event('exposure-ended', { verdict: 'private', instance, severity: 'info' });
const client = (address: string, instance = 'ollama:11434') =>
  event('remote-client', { instance, data: { address } });

/** A policy on a hand-driven clock. */
function policyAt(options: ConstructorParameters<typeof NotificationPolicy>[0] = {}) {
  let now = START;
  const policy = new NotificationPolicy({ now: () => new Date(now), ...options });
  return {
    policy,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('NotificationPolicy: change only', () => {
  it('exposure-started twice without an end: the second is suppressed', () => {
    const { policy, advance } = policyAt();
    expect(policy.consider(exposed())).toMatchObject({ notify: true, reason: 'notify' });
    advance(10 * MINUTE);
    expect(policy.consider(exposed())).toMatchObject({ notify: false, reason: 'unchanged' });
  });

  it('ended then started again is a change; so is lan → internet', () => {
    const { policy, advance } = policyAt();
    expect(policy.consider(exposed('lan')).notify).toBe(true);
    advance(2 * MINUTE);
    expect(policy.consider(exposed('internet')).notify).toBe(true);
    advance(2 * MINUTE);
    expect(policy.consider(ended())).toMatchObject({ notify: true });
    advance(2 * MINUTE);
    expect(policy.consider(exposed('internet')).notify).toBe(true);
  });

  it('"private again" only after an exposure was seen, and only once', () => {
    const { policy, advance } = policyAt();
    expect(policy.consider(ended())).toMatchObject({ notify: false, reason: 'unchanged' });
    policy.consider(exposed());
    advance(2 * MINUTE);
    expect(policy.consider(ended()).notify).toBe(true);
    advance(2 * MINUTE);
    expect(policy.consider(ended())).toMatchObject({ notify: false, reason: 'unchanged' });
  });

  it('a server restarted on the same place is the same exposure (keyed by place)', () => {
    const { policy, advance } = policyAt();
    const first = exposed('lan', 'ollama:pid-100');
    first.data = { place: '0.0.0.0:11434' };
    expect(policy.consider(first).notify).toBe(true);
    advance(5 * MINUTE);
    const again = exposed('lan', 'ollama:pid-200');
    again.data = { place: '0.0.0.0:11434' };
    expect(policy.consider(again).reason).toBe('unchanged');
  });

  it('a fix run that fails twice (rolled back, then its undo) is two facts; a repeat is one', () => {
    const { policy, advance } = policyAt();
    const failed = (state: string) =>
      event('fix-failed', { data: { runId: '20260310T120000000Z-0a1b2c3d', state } });
    expect(policy.consider(failed('rolled-back')).notify).toBe(true);
    advance(2 * MINUTE);
    expect(policy.consider(failed('rolled-back')).reason).toBe('repeat');
    expect(policy.consider(failed('undo-failed')).notify).toBe(true);
  });

  it('instances are tracked apart', () => {
    const { policy, advance } = policyAt();
    expect(policy.consider(exposed('lan', 'a')).notify).toBe(true);
    advance(2 * MINUTE);
    expect(policy.consider(exposed('lan', 'b')).notify).toBe(true);
  });

  it('the same remote client is not repeated within the window; another one is news', () => {
    const { policy, advance } = policyAt({ repeatWindowMs: 60 * MINUTE });
    expect(policy.consider(client('192.168.1.20')).notify).toBe(true);
    advance(5 * MINUTE);
    expect(policy.consider(client('192.168.1.20'))).toMatchObject({ reason: 'repeat' });
    expect(policy.consider(client('192.168.1.31')).notify).toBe(true);
    advance(61 * MINUTE);
    expect(policy.consider(client('192.168.1.20')).notify).toBe(true);
  });

  it('a new exposure forgets the clients seen before it', () => {
    const { policy, advance } = policyAt();
    policy.consider(exposed());
    advance(2 * MINUTE);
    expect(policy.consider(client('10.0.0.7')).notify).toBe(true);
    advance(2 * MINUTE);
    policy.consider(ended());
    advance(2 * MINUTE);
    policy.consider(exposed());
    advance(2 * MINUTE);
    expect(policy.consider(client('10.0.0.7')).notify).toBe(true);
  });

  it('kinds that are not worth a notification never notify', () => {
    const { policy } = policyAt();
    for (const kind of ['finding-new', 'fix-applied', 'new-instance', 'instance-gone'] as const) {
      expect(policy.consider(event(kind))).toMatchObject({
        notify: false,
        reason: 'not-notified-kind',
      });
    }
  });
});

describe('NotificationPolicy: rate limit', () => {
  it('holds back a second notification within the minimum interval, then allows one', () => {
    const { policy, advance } = policyAt({ minIntervalMs: MINUTE });
    expect(policy.consider(client('10.0.0.1')).notify).toBe(true);
    advance(30_000);
    expect(policy.consider(client('10.0.0.2'))).toMatchObject({
      notify: false,
      reason: 'rate-interval',
      heldBack: 1,
    });
    expect(policy.nextAllowedAt()).toEqual(new Date(START + MINUTE));
    advance(30_000);
    // The next one says what was held back ("and 1 more"), then the count starts over.
    expect(policy.consider(client('10.0.0.3'))).toMatchObject({ notify: true, heldBack: 1 });
    advance(MINUTE);
    expect(policy.consider(client('10.0.0.4'))).toMatchObject({ notify: true, heldBack: 0 });
  });

  it('caps notifications per hour, with a sliding hour', () => {
    const { policy, advance } = policyAt({ minIntervalMs: MINUTE, maxPerHour: 3 });
    for (let i = 1; i <= 3; i++) {
      expect(policy.consider(client(`10.0.0.${i}`)).notify).toBe(true);
      advance(2 * MINUTE);
    }
    expect(policy.consider(client('10.0.0.4'))).toMatchObject({ reason: 'rate-hourly' });
    expect(policy.consider(client('10.0.0.5'))).toMatchObject({
      reason: 'rate-hourly',
      heldBack: 2,
    });
    // The first one leaves the hour at START + 60 min.
    expect(policy.nextAllowedAt()).toEqual(new Date(START + 60 * MINUTE));
    advance(53 * MINUTE); // 59 minutes after the first
    expect(policy.consider(client('10.0.0.6')).reason).toBe('rate-hourly');
    advance(MINUTE);
    expect(policy.consider(client('10.0.0.7'))).toMatchObject({ notify: true, heldBack: 3 });
  });

  it('flushHeldBack summarises what was held back once the limit allows', () => {
    const { policy, advance } = policyAt({ minIntervalMs: MINUTE });
    policy.consider(client('10.0.0.1'));
    policy.consider(client('10.0.0.2'));
    policy.consider(client('10.0.0.3'));
    expect(policy.flushHeldBack()).toMatchObject({ notify: false, reason: 'rate-interval' });
    advance(MINUTE);
    expect(policy.flushHeldBack()).toMatchObject({ notify: true, heldBack: 2 });
    expect(policy.flushHeldBack()).toMatchObject({ notify: false });
  });
});

describe('NotificationPolicy: snooze and preference', () => {
  it('snooze suppresses everything until then, without "and N more" after', () => {
    const { policy, advance } = policyAt();
    policy.snooze(new Date(START + 30 * MINUTE));
    expect(policy.snoozedUntil()).toEqual(new Date(START + 30 * MINUTE));
    expect(policy.consider(exposed('internet'))).toMatchObject({
      notify: false,
      reason: 'snoozed',
    });
    advance(10 * MINUTE);
    expect(policy.consider(client('10.0.0.9'))).toMatchObject({ reason: 'snoozed', heldBack: 0 });
    advance(20 * MINUTE);
    expect(policy.snoozedUntil()).toBeNull();
    // The exposure seen while snoozed is not news any more; a new client is.
    expect(policy.consider(exposed('internet')).reason).toBe('unchanged');
    expect(policy.consider(client('10.0.0.10'))).toMatchObject({ notify: true, heldBack: 0 });
  });

  it('snooze(null) ends it early', () => {
    const { policy } = policyAt();
    policy.snooze(new Date(START + 30 * MINUTE));
    policy.snooze(null);
    expect(policy.consider(exposed()).notify).toBe(true);
  });

  it('notifications switched off: nothing, and switched on again: only what is new', () => {
    const { policy, advance } = policyAt({ enabled: false });
    expect(policy.consider(exposed())).toMatchObject({ notify: false, reason: 'disabled' });
    policy.setEnabled(true);
    advance(2 * MINUTE);
    expect(policy.consider(exposed()).reason).toBe('unchanged');
    expect(policy.consider(exposed('internet')).notify).toBe(true);
    policy.setEnabled(false);
    advance(2 * MINUTE);
    expect(policy.consider(client('10.1.1.1')).reason).toBe('disabled');
  });
});

describe('what a notification says and opens', () => {
  const mainFix = {
    fixId: 'rebind-systemd',
    findingId: 'exposed-to-lan@ollama:11434',
    title: 'Bind',
  } as const;
  const nav = (
    view: NavigateEvent['view'],
    findingId: string | null = null,
    fixId: NavigateEvent['fixId'] = null,
  ) => ({
    type: 'navigate',
    view,
    findingId,
    fixId,
  });

  it('an exposure opens the overview with the fix', () => {
    expect(navigationFor(exposed(), mainFix)).toEqual(
      nav('overview', mainFix.findingId, 'rebind-systemd'),
    );
    expect(navigationFor(exposed(), null)).toEqual(nav('overview'));
    const named = exposed('internet');
    named.data = { findingId: 'exposed-to-internet@ollama:11434', fixId: 'block-port' };
    expect(navigationFor(named, mainFix)).toEqual(
      nav('overview', 'exposed-to-internet@ollama:11434', 'block-port'),
    );
    named.data = { findingId: 'exposed-to-internet@ollama:11434', fixId: 'rm -rf /' };
    expect(navigationFor(named, mainFix)).toEqual(
      nav('overview', 'exposed-to-internet@ollama:11434'),
    );
  });

  it('a remote client opens Activity, a failed fix History, a vulnerable version its finding', () => {
    expect(navigationFor(client('10.0.0.1'), mainFix)).toEqual(nav('activity'));
    expect(navigationFor(event('gpu-busy-remote'), null)).toEqual(nav('activity'));
    expect(navigationFor(event('fix-failed'), mainFix)).toEqual(nav('history'));
    expect(navigationFor(event('vulnerable-version'), null)).toEqual(
      nav('finding', 'known-advisory@ollama:11434'),
    );
  });

  it('titles by verdict; control characters in the message are neutralised; held back counted', () => {
    const text = notificationText(
      event('exposure-started', { verdict: 'internet', message: 'bad\u001b[31m model\nname' }),
      2,
    );
    expect(text.title).toBe('Ollama is reachable from the internet');
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(text.body).not.toMatch(/[\u0000-\u001f]/);
    expect(text.body).toMatch(/\(and 2 more changes: see History\)$/);
  });
});

describe('notificationText: untrusted text (a server names its models)', () => {
  const FORGED = 'Verdict: private to this computer (score 100)';
  const HOSTILE = `<a href="https://evil.example/paddock-fix">Click here to fix</a><img src=file:///x> &amp;\n${FORGED}`;
  // The event of the security review's proof of concept (a summary naming loaded models).
  const poc = event('gpu-busy-remote', {
    message: `Your GPU is working for another machine: While 203.0.113.9 is connected to Ollama 0.5.1 (pid 4242), it is busy: ${HOSTILE} loaded in memory.`,
  });

  it('on Linux, &, < and > are escaped in body and title: no markup reaches the daemon', () => {
    const text = notificationText(poc, 0, 'linux');
    expect(text.body).not.toMatch(/[<>]/);
    expect(text.body).not.toMatch(/&(?!amp;|lt;|gt;)/);
    expect(text.body).toContain(
      '&lt;a href="https://evil.example/paddock-fix"&gt;Click here to fix&lt;/a&gt;&lt;img src=file:///x&gt; &amp;amp;',
    );
    expect(text.title).toBe('Your GPU is working for another machine');
    const exposure = notificationText(
      event('exposure-started', {
        verdict: 'lan',
        message: 'Ollama (ollama:docker:<b>x</b>) is exposed',
      }),
      0,
      'linux',
    );
    expect(exposure.body).toBe('Ollama (ollama:docker:&lt;b&gt;x&lt;/b&gt;) is exposed');
  });

  it('elsewhere (plain-text notifications) the text is shown as it is', () => {
    expect(notificationText(poc, 0, 'darwin').body).toContain('<img src=file:///x> &amp;');
    expect(notificationText(poc, 0, 'win32').body).toContain('<a href=');
  });

  it('a forged "Verdict:" line stays inside the body’s one line', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      for (const separator of ['\n', '\r\n', '\u2028', '\u2029', '\u000b', '\u0085', '\t']) {
        const text = notificationText(
          event('exposure-started', { message: `Ollama is exposed: x${separator}${FORGED}` }),
          0,
          platform,
        );
        expect(text.body).toBe(`Ollama is exposed: x ${FORGED}`);
      }
    }
  });

  it('escapes after cutting, so no escape is cut in half', () => {
    const text = notificationText(event('remote-client', { message: '<'.repeat(400) }), 0, 'linux');
    expect(text.body).toMatch(/^(&lt;)+…$/);
  });

  it('a busy GPU is told by counts and addresses from the event’s facts, never model names', () => {
    const busy = event('gpu-busy-remote', {
      instance: 'ollama:service:ollama.service',
      message: poc.message,
      data: { findingId: 'f', remotePeers: '203.0.113.9', utilizationPercent: 97, loadedModels: 2 },
    });
    const text = notificationText(busy, 0, 'linux');
    expect(text.body).toBe(
      'While 203.0.113.9 is connected to ollama:service:ollama.service and no program here is, the GPU is 97% busy and 2 models are loaded in memory.',
    );
    const two = notificationText(
      {
        ...busy,
        data: { remotePeers: '203.0.113.9, 10.0.0.7', utilizationPercent: null, loadedModels: 1 },
      },
      0,
      'linux',
    );
    expect(two.body).toBe(
      'While 2 other machines (203.0.113.9, 10.0.0.7) are connected to ollama:service:ollama.service and no program here is, 1 model is loaded in memory.',
    );
    // Without those facts (an older event), the message is used, escaped.
    expect(notificationText(poc, 0, 'linux').body).toContain('&lt;img');
  });
});

describe('createNotifier (mocked electron)', () => {
  let navigations: NavigateEvent[];
  let now: number;
  beforeEach(() => {
    resetFakes();
    navigations = [];
    now = START;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const notifier = (extra: Partial<Parameters<typeof createNotifier>[0]> = {}) => {
    const policy = new NotificationPolicy({ now: () => new Date(now) });
    return {
      policy,
      notifier: createNotifier({
        Notification,
        policy,
        onClick: (navigate) => navigations.push(navigate),
        now: () => new Date(now),
        ...extra,
      }),
    };
  };

  it('shows one notification per change, and a click opens the matching view', () => {
    const { notifier: n } = notifier({
      mainFix: () => ({ fixId: 'block-port', findingId: 'exposed-to-internet@h', title: 'Block' }),
    });
    expect(n.handle(exposed('internet'))).toEqual({ shown: true, reason: 'notify' });
    expect(n.handle(exposed('internet'))).toEqual({ shown: false, reason: 'unchanged' });
    expect(FakeNotification.instances).toHaveLength(1);
    const shown = FakeNotification.instances[0];
    expect(shown?.shown).toBe(true);
    expect(shown?.options).toMatchObject({
      title: 'Ollama is reachable from the internet',
      body: 'exposure-started happened',
      urgency: 'critical',
      silent: false,
    });
    shown?.emit('click');
    expect(navigations).toEqual([
      {
        type: 'navigate',
        view: 'overview',
        findingId: 'exposed-to-internet@h',
        fixId: 'block-port',
      },
    ]);
  });

  it('a fix failure opens History; a remote client opens Activity', () => {
    const { notifier: n } = notifier();
    n.handle(event('fix-failed', { data: { runId: '20260310T120000000Z-0a1b2c3d' } }));
    now += 2 * MINUTE;
    n.handle(client('192.168.0.44'));
    FakeNotification.instances[0]?.emit('click');
    FakeNotification.instances[1]?.emit('click');
    expect(navigations.map((navigate) => navigate.view)).toEqual(['history', 'activity']);
  });

  it('"Snooze for an hour" on a notification snoozes the policy', () => {
    const onSnooze = vi.fn();
    const { notifier: n, policy } = notifier({ onSnooze });
    n.handle(exposed());
    FakeNotification.instances[0]?.emit('action', { actionIndex: 0, selectionIndex: -1 });
    expect(onSnooze).toHaveBeenCalledWith(new Date(START + 60 * MINUTE));
    expect(policy.snoozedUntil()).toEqual(new Date(START + 60 * MINUTE));
    now += 2 * MINUTE;
    expect(n.handle(client('10.0.0.1'))).toEqual({ shown: false, reason: 'snoozed' });
  });

  it('Notification unsupported: nothing shown, no crash, and the policy still learns', () => {
    FakeNotification.supported = false;
    const { notifier: n, policy } = notifier();
    expect(n.handle(exposed())).toEqual({ shown: false, reason: 'unsupported' });
    expect(FakeNotification.instances).toHaveLength(0);
    FakeNotification.supported = true;
    expect(policy.consider(exposed()).reason).toBe('unchanged');
  });

  it('a notification daemon that throws does not crash the watch', () => {
    FakeNotification.throwOnShow = true;
    const { notifier: n } = notifier();
    expect(n.handle(exposed())).toEqual({ shown: false, reason: 'failed' });
  });

  it('what the rate limit held back comes as one summary once it allows, opening History', () => {
    vi.useFakeTimers();
    const { notifier: n } = notifier();
    n.handle(client('10.0.0.1'));
    n.handle(client('10.0.0.2'));
    n.handle(client('10.0.0.3'));
    expect(FakeNotification.instances).toHaveLength(1);
    now += MINUTE;
    vi.advanceTimersByTime(MINUTE);
    expect(FakeNotification.instances).toHaveLength(2);
    const summary = FakeNotification.instances[1];
    expect(summary?.options.body).toBe(
      '2 more changes while notifications were held back: see History.',
    );
    summary?.emit('click');
    expect(navigations).toEqual([
      { type: 'navigate', view: 'history', findingId: null, fixId: null },
    ]);
    n.dispose();
  });
});
