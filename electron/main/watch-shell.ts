/**
 * Paddock watching from the tray (issue 7), wired: the engine's events drive the tray icon and
 * the notifications; the tray's menu and a notification's click drive the engine and the
 * window; the user's preferences (notifications, start at login, scan interval) are applied
 * when the app starts and whenever Settings changes them. Every piece is optional: without a
 * tray (a desktop with no status area, or a failure to create it) the window closes the app
 * as usual, and without notification support nothing is shown.
 */
import type { AppEvent, Envelope, Preferences } from '../../shared/api';
import type { FixId } from '../../shared/fixes';
import type { LoginItemDeps } from './login-item';
import { setStartAtLogin } from './login-item';
import type { NavigateEvent, NotificationClass, Notifier } from './notifications';
import { NotificationPolicy, createNotifier } from './notifications';
import type { TrayController, TrayElectron, TrayInput } from './tray';
import { createTrayController, mainFixOf, shouldHideOnClose } from './tray';

export interface EngineCalls {
  call(method: string, request: unknown): Promise<Envelope<unknown>>;
}

export interface WatchShellOptions {
  electron: Partial<TrayElectron> & { Notification?: NotificationClass };
  platform: NodeJS.Platform;
  engine: EngineCalls;
  login: LoginItemDeps;
  /** Shows (creating if needed) the window and answers a function that sends it an event. */
  showWindow(): void;
  navigate(event: NavigateEvent): void;
  quit(): void;
  log(message: string): void;
}

export interface WatchShell {
  /** Every event from the engine passes here (after it went to the window). */
  onEngineEvent(event: AppEvent): void;
  /** Preferences as the engine answered them (at start and after each change). */
  applyPreferences(preferences: Preferences, previous: Preferences | null): void;
  /**
   * The engine process started again after a crash: it watches nothing and knows no pause, so
   * both are asked again (nothing before the first preferences arrive).
   */
  engineRestarted(): void;
  /** Should closing the window only hide it (Paddock keeps watching from the tray)? */
  hideOnClose(): boolean;
  /** Quitting for real: the window may close. */
  markQuitting(): void;
  destroy(): void;
}

export function createWatchShell(options: WatchShellOptions): WatchShell {
  const { engine, log } = options;
  let quitting = false;
  const input: Omit<TrayInput, 'now'> = {
    verdict: null,
    pausedUntil: null,
    scanning: false,
    lastScanAt: null,
    mainFix: null,
  };
  const policy = new NotificationPolicy();
  let watchingAt: number | null = null;
  const watch = (minutes: number) => {
    watchingAt = minutes;
    void engine.call('watch', { fullScanMinutes: minutes }).then((answer) => {
      if (!answer.ok) log(`Paddock could not start watching: ${answer.error.message}`);
    });
  };

  const pause = (until: Date | null) => {
    input.pausedUntil = until;
    policy.snooze(until);
    void engine.call('pause', { until: until ? until.toISOString() : null }).then((answer) => {
      if (!answer.ok) log(`Paddock could not pause watching: ${answer.error.message}`);
    });
    tray?.update(input);
  };

  let tray: TrayController | null = null;
  const { Tray, Menu, nativeImage, Notification } = options.electron;
  if (Tray && Menu && nativeImage) {
    try {
      tray = createTrayController({
        electron: { Tray, Menu, nativeImage },
        platform: options.platform,
        actions: {
          scanNow: () => void engine.call('scan', {}),
          openWindow: () => options.showWindow(),
          openFix: (findingId: string, fixId: FixId) =>
            options.navigate({ type: 'navigate', view: 'overview', findingId, fixId }),
          pause,
          quit: () => {
            quitting = true;
            options.quit();
          },
        },
      });
      tray.update(input);
    } catch (error) {
      log(
        `Paddock could not create its tray icon (closing the window will quit): ${String(error)}`,
      );
      tray = null;
    }
  }

  let notifier: Notifier | null = null;
  if (Notification)
    notifier = createNotifier({
      Notification,
      policy,
      onClick: (navigate) => options.navigate(navigate),
      mainFix: () => input.mainFix,
    });

  return {
    onEngineEvent: (event) => {
      if (event.type === 'scan-started') input.scanning = true;
      else if (event.type === 'scan-failed') input.scanning = false;
      else if (event.type === 'scan-finished') {
        input.scanning = false;
        input.verdict = event.view.posture.verdict;
        input.lastScanAt = new Date(event.view.snapshot.takenAt);
        input.mainFix = mainFixOf(event.view.findings);
      } else if (event.type === 'event') notifier?.handle(event.event);
      tray?.update(input);
    },
    applyPreferences: (preferences, previous) => {
      policy.setEnabled(preferences.notifications);
      if (previous === null || previous.scanIntervalMinutes !== preferences.scanIntervalMinutes)
        watch(preferences.scanIntervalMinutes);
      if (previous !== null && previous.startAtLogin !== preferences.startAtLogin) {
        try {
          setStartAtLogin(preferences.startAtLogin, options.login);
        } catch (error) {
          log(`Paddock could not change start at login: ${String(error)}`);
        }
      }
    },
    engineRestarted: () => {
      if (watchingAt === null) return;
      watch(watchingAt);
      if (input.pausedUntil && input.pausedUntil.getTime() > Date.now()) pause(input.pausedUntil);
    },
    hideOnClose: () => shouldHideOnClose({ quitting, trayAvailable: tray !== null }),
    markQuitting: () => {
      quitting = true;
    },
    destroy: () => {
      tray?.destroy();
      notifier?.dispose();
      tray = null;
      notifier = null;
    },
  };
}
