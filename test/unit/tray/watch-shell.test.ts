/**
 * The tray, notifications and preferences wired together (electron/main/watch-shell.ts): what
 * the engine says reaches the tray and the notifier; the tray's menu reaches the engine; a
 * change of preferences restarts watching at the new interval and turns notifications off.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEvent, Envelope, ScanView } from '../../../shared/api';
import type { PaddockEvent } from '../../../shared/events';
import { createWatchShell } from '../../../electron/main/watch-shell';
import * as fakes from './fake-electron';

const prefs = { scanIntervalMinutes: 10, notifications: true, startAtLogin: false };

function view(verdict: 'private' | 'lan'): ScanView {
  return {
    snapshot: { takenAt: '2026-11-28T12:00:00.000Z' },
    findings:
      verdict === 'lan'
        ? [
            {
              id: 'exposed-to-lan@ollama:port:11434',
              ruleId: 'exposed-to-lan',
              instance: 'ollama:port:11434',
              severity: 'high',
              category: 'exposure',
              title: 'Ollama is reachable from the local network',
              summary: '',
              attackerCan: [],
              evidence: [],
              fixes: ['rebind-systemd', 'block-port'],
              references: [],
              accepted: null,
            },
          ]
        : [],
    posture: { verdict, score: verdict === 'lan' ? 40 : 100, counts: {}, accepted: 0 },
  } as unknown as ScanView;
}

const exposureEvent: PaddockEvent = {
  id: '2026-11-28T12:00:01.000Z-1',
  kind: 'exposure-started',
  at: '2026-11-28T12:00:01.000Z',
  instance: 'ollama:port:11434',
  verdict: 'lan',
  severity: 'high',
  message: 'Ollama on 0.0.0.0:11434 is now reachable from the local network.',
  data: { place: '0.0.0.0:11434' },
};

let calls: Array<{ method: string; request: unknown }>;
const engine = {
  call: (method: string, request: unknown): Promise<Envelope<unknown>> => {
    calls.push({ method, request });
    return Promise.resolve({ ok: true, value: {} });
  },
};

function shell(options: { tray?: boolean } = {}) {
  const navigate = vi.fn();
  const quit = vi.fn();
  const made = createWatchShell({
    electron:
      options.tray === false
        ? { Notification: fakes.Notification as never }
        : {
            Tray: fakes.Tray as never,
            Menu: fakes.Menu as never,
            nativeImage: fakes.nativeImage as never,
            Notification: fakes.Notification as never,
          },
    platform: 'linux',
    engine,
    login: { app: {} as never, platform: 'linux', homeDir: '/nonexistent' },
    showWindow: vi.fn(),
    navigate,
    quit,
    log: () => undefined,
  });
  return { made, navigate, quit };
}

beforeEach(() => {
  fakes.resetFakes();
  calls = [];
});

describe('the watch shell', () => {
  it('closing the window only hides it while a tray exists, until quitting', () => {
    const { made } = shell();
    expect(made.hideOnClose()).toBe(true);
    made.markQuitting();
    expect(made.hideOnClose()).toBe(false);
    expect(shell({ tray: false }).made.hideOnClose()).toBe(false);
  });

  it('the tray follows the scans: icon, tooltip, and Fix exposure opens the main fix', () => {
    const { made, navigate } = shell();
    const tray = fakes.Tray.instances[0]!;
    made.onEngineEvent({ type: 'scan-finished', view: view('lan') } as AppEvent);
    expect(tray.toolTip).toMatch(/local network/i);
    tray.menu!.click('fix-exposure');
    expect(navigate).toHaveBeenCalledWith({
      type: 'navigate',
      view: 'overview',
      findingId: 'exposed-to-lan@ollama:port:11434',
      fixId: 'rebind-systemd',
    });
    made.onEngineEvent({ type: 'scan-finished', view: view('private') } as AppEvent);
    expect(tray.toolTip).toMatch(/private|only this computer/i);
  });

  it('Scan now and Pause reach the engine', () => {
    shell();
    const tray = fakes.Tray.instances[0]!;
    tray.menu!.click('scan-now');
    tray.menu!.click('pause-hour');
    expect(calls.map((c) => c.method)).toEqual(['scan', 'pause']);
    const until = (calls[1]!.request as { until: string }).until;
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(59 * 60_000);
  });

  it('an exposure event notifies, and no longer once notifications are turned off', () => {
    const { made } = shell();
    made.applyPreferences(prefs, null);
    made.onEngineEvent({ type: 'event', event: exposureEvent });
    expect(fakes.Notification.instances.filter((n) => n.shown)).toHaveLength(1);
    made.applyPreferences({ ...prefs, notifications: false }, prefs);
    made.onEngineEvent({
      type: 'event',
      event: { ...exposureEvent, id: 'x-2', data: { place: '0.0.0.0:11435' } },
    });
    expect(fakes.Notification.instances.filter((n) => n.shown)).toHaveLength(1);
  });

  it('watching starts at the preferred interval and restarts when it changes', () => {
    const { made } = shell();
    made.applyPreferences(prefs, null);
    made.applyPreferences({ ...prefs, notifications: false }, prefs);
    made.applyPreferences({ ...prefs, scanIntervalMinutes: 30 }, prefs);
    expect(calls).toEqual([
      { method: 'watch', request: { fullScanMinutes: 10 } },
      { method: 'watch', request: { fullScanMinutes: 30 } },
    ]);
  });
});

describe('after the engine process restarts', () => {
  it('watching and a pause in force are asked for again; nothing before the first preferences', () => {
    const { made } = shell();
    made.engineRestarted();
    expect(calls).toEqual([]);
    made.applyPreferences({ ...prefs, scanIntervalMinutes: 15 }, null);
    fakes.Tray.instances[0]!.menu!.click('pause-hour');
    calls = [];
    made.engineRestarted();
    expect(calls.map((c) => c.method)).toEqual(['watch', 'pause']);
    expect(calls[0]!.request).toEqual({ fullScanMinutes: 15 });
  });
});
