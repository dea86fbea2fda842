/**
 * The tray: one icon per state, a tooltip with the verdict, and a short menu. `trayState` is
 * pure (input in, plain data out) so every state is unit-tested without Electron; the
 * controller turns that data into Electron calls and touches the Tray only when something
 * changed (a rebuilt menu closes an open one on some platforms, and a flickering icon is noise).
 *
 * Linux: some panels never emit 'click' for a StatusNotifierItem and only show the menu, so
 * the menu itself carries "Open Paddock".
 */
import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { Finding } from '../../shared/findings';
import { fixIdSchema, type FixId } from '../../shared/fixes';
import { SEVERITIES } from '../../shared/severity';
import { trayImage, type NativeImageFactory, type TrayIconState } from './tray-icons';

export type TrayVerdict = 'private' | 'lan' | 'internet' | 'unknown';

export interface MainFix {
  fixId: FixId;
  findingId: string;
  title: string;
}

export interface TrayInput {
  /** The last scan's verdict; null before the first scan. */
  verdict: TrayVerdict | null;
  /** Watching is paused until then; a time already past counts as not paused. */
  pausedUntil: Date | null;
  scanning: boolean;
  lastScanAt: Date | null;
  /** The fix that closes the exposure (the first fix of the worst exposure finding). */
  mainFix: MainFix | null;
  now: Date;
}

export type TrayMenuId =
  | 'status'
  | 'scan-now'
  | 'open'
  | 'fix-exposure'
  | 'pause-hour'
  | 'pause-tomorrow'
  | 'resume'
  | 'quit';

/** One menu line as plain data. */
export type MenuSpec =
  | { type: 'separator' }
  | { type: 'normal'; id: TrayMenuId; label: string; enabled: boolean; sublabel?: string };

export interface TrayState {
  icon: TrayIconState;
  tooltip: string;
  statusLine: string;
  menu: MenuSpec[];
}

/** What "Fix exposure…" says it will do (its sublabel on macOS). */
const FIX_TITLES: Record<FixId, string> = {
  'rebind-systemd': 'Make Ollama listen on this computer only',
  'block-port': 'Close the port to other machines',
  'tighten-origins': 'Tighten allowed origins',
  'stop-request-logging': 'Stop logging requests',
  'docker-localhost': 'Publish the container on localhost only',
  'stop-tunnel': 'Stop the tunnel to the internet',
  'rebind-server': 'Make the server listen on this computer only',
  'share-allowlist': 'Share with chosen machines only',
  'share-vpn': 'Share over the VPN only',
  'share-proxy': 'Share behind a password or token',
  'share-proxy-rotate': 'Give the share a new password or token',
  'rebind-launchd': 'Make Ollama listen on this Mac only',
  'rebind-windows': 'Make Ollama listen on this PC only',
  'block-client': 'Cut off one machine',
  'service-install': 'Install Paddock as a service',
  'service-uninstall': "Uninstall Paddock's service",
};

/**
 * The fix the tray offers: the first fix Paddock can plan of the worst open (not accepted)
 * exposure finding. The engine's plan for it may still be a manual one (a server that is not a
 * systemd service); the preview says so.
 */
export function mainFixOf(findings: readonly Finding[]): MainFix | null {
  const open = findings
    .filter((finding) => finding.category === 'exposure' && finding.accepted === null)
    .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  for (const finding of open) {
    for (const fix of finding.fixes) {
      const fixId = fixIdSchema.safeParse(fix);
      if (fixId.success) {
        return { fixId: fixId.data, findingId: finding.id, title: FIX_TITLES[fixId.data] };
      }
    }
  }
  return null;
}

/** Windows cuts a tray tooltip at 127 characters. */
const MAX_TOOLTIP = 127;

const VERDICT_TEXT: Record<TrayVerdict, string> = {
  private: 'Ollama is private to this machine',
  lan: 'Ollama is reachable from the local network',
  internet: 'Ollama is reachable from the internet',
  unknown: 'Could not tell who can reach Ollama',
};

/** The hour "Pause until tomorrow" resumes at, local time. */
export const MORNING_HOUR = 8;

/** "Pause for an hour". */
export function pauseForAnHour(now: Date): Date {
  return new Date(now.getTime() + 60 * 60 * 1000);
}

/**
 * "Pause until tomorrow": the next 08:00 local time after `now`. At 23:00 that is 9 hours; at
 * 00:30 (the user has not slept yet, so "tomorrow" is this morning) 7.5 hours; never more than
 * a day, so watching cannot stay off for longer than the user could expect. Built from local
 * calendar fields, so a daylight-saving change in between still lands on 08:00.
 */
export function nextMorning(now: Date): Date {
  const morning = new Date(now.getFullYear(), now.getMonth(), now.getDate(), MORNING_HOUR, 0, 0, 0);
  if (morning.getTime() <= now.getTime()) morning.setDate(morning.getDate() + 1);
  return morning;
}

function isPaused(input: Pick<TrayInput, 'pausedUntil' | 'now'>): input is {
  pausedUntil: Date;
  now: Date;
} {
  return input.pausedUntil !== null && input.pausedUntil.getTime() > input.now.getTime();
}

function sameDay(a: Date, b: Date): boolean {
  return (
    a.getFullYear() === b.getFullYear() &&
    a.getMonth() === b.getMonth() &&
    a.getDate() === b.getDate()
  );
}

/** Local "14:05", with "tomorrow" or the date when it is not today. */
export function clockText(at: Date, now: Date): string {
  const time = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  if (sameDay(at, now)) return time;
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  if (sameDay(at, tomorrow)) return `${time} tomorrow`;
  const date = `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}`;
  return `${time} on ${date}`;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function isExposed(verdict: TrayVerdict | null): boolean {
  return verdict === 'lan' || verdict === 'internet';
}

export function trayState(input: TrayInput): TrayState {
  const paused = isPaused(input);
  const verdictText = input.verdict ? VERDICT_TEXT[input.verdict] : 'Not scanned yet';

  let statusLine: string;
  if (input.scanning) statusLine = input.verdict ? `${verdictText} (scanning…)` : 'Scanning…';
  else if (input.lastScanAt) {
    statusLine = `${verdictText} (checked ${clockText(input.lastScanAt, input.now)})`;
  } else statusLine = verdictText;

  let tooltip = `Paddock: ${verdictText}`;
  if (paused) {
    const until = clockText(input.pausedUntil, input.now);
    statusLine = `Paused until ${until}. ${statusLine}`;
    tooltip = `Paddock (paused until ${until}): ${verdictText}`;
  }

  const canFix = isExposed(input.verdict) && input.mainFix !== null;
  const fixItem: MenuSpec = {
    type: 'normal',
    id: 'fix-exposure',
    label: 'Fix exposure…',
    enabled: canFix,
    ...(canFix && input.mainFix ? { sublabel: input.mainFix.title } : {}),
  };

  const pauseItems: MenuSpec[] = paused
    ? [{ type: 'normal', id: 'resume', label: 'Resume watching', enabled: true }]
    : [
        { type: 'normal', id: 'pause-hour', label: 'Pause for an hour', enabled: true },
        {
          type: 'normal',
          id: 'pause-tomorrow',
          // "until 08:00 tomorrow", or "until 08:00" after midnight.
          label: `Pause until ${clockText(nextMorning(input.now), input.now)}`,
          enabled: true,
        },
      ];

  const menu: MenuSpec[] = [
    { type: 'normal', id: 'status', label: statusLine, enabled: false },
    { type: 'separator' },
    {
      type: 'normal',
      id: 'scan-now',
      label: input.scanning ? 'Scanning…' : 'Scan now',
      enabled: !input.scanning,
    },
    { type: 'normal', id: 'open', label: 'Open Paddock', enabled: true },
    fixItem,
    { type: 'separator' },
    ...pauseItems,
    { type: 'separator' },
    { type: 'normal', id: 'quit', label: 'Quit Paddock', enabled: true },
  ];

  return {
    icon: paused ? 'paused' : (input.verdict ?? 'unknown'),
    tooltip: clip(tooltip, MAX_TOOLTIP),
    statusLine,
    menu,
  };
}

/**
 * Closing the window hides it while the tray keeps watching; it really closes when the app is
 * quitting (Quit in the tray or the app menu, the OS logging out) or when there is no tray to
 * bring it back from.
 */
export function shouldHideOnClose(state: { quitting: boolean; trayAvailable: boolean }): boolean {
  return !state.quitting && state.trayAvailable;
}

// ── the controller ──────────────────────────────────────────────────────────────────────

export interface TrayActions {
  scanNow(): void;
  openWindow(): void;
  /** Show the window on the overview with the fix preview of this finding open. */
  openFix(findingId: string, fixId: FixId): void;
  /** Pause watching until then; null resumes. */
  pause(until: Date | null): void;
  quit(): void;
}

/** The slices of Electron the controller uses (tests hand fakes through vi.mock). */
export interface TrayElectron {
  Tray: new (image: NativeImage) => Tray;
  Menu: { buildFromTemplate(template: MenuItemConstructorOptions[]): Menu };
  nativeImage: NativeImageFactory;
}

export interface TrayControllerOptions {
  electron: TrayElectron;
  platform: NodeJS.Platform;
  actions: TrayActions;
  /** The clock for pause times and for the paused state running out; defaults to the real one. */
  clock?: () => Date;
}

export interface TrayController {
  /** Shows this state; calls into the Tray only for what changed. `now` defaults to the clock. */
  update(input: Omit<TrayInput, 'now'> & { now?: Date }): TrayState;
  destroy(): void;
}

export function createTrayController(options: TrayControllerOptions): TrayController {
  const { electron, platform, actions } = options;
  const clock = options.clock ?? (() => new Date());
  const images = new Map<TrayIconState, NativeImage>();
  const imageFor = (state: TrayIconState): NativeImage => {
    let image = images.get(state);
    if (!image) {
      image = trayImage(electron.nativeImage, state, platform);
      images.set(state, image);
    }
    return image;
  };

  const tray = new electron.Tray(imageFor('unknown'));
  let shown: { icon: TrayIconState; tooltip: string; menuKey: string } | null = null;
  let mainFix: MainFix | null = null;
  let lastInput: Omit<TrayInput, 'now'> | null = null;
  let pauseTimer: ReturnType<typeof setTimeout> | null = null;
  let destroyed = false;

  const onMenu = (id: TrayMenuId): void => {
    switch (id) {
      case 'scan-now':
        return actions.scanNow();
      case 'open':
        return actions.openWindow();
      case 'fix-exposure':
        if (mainFix) actions.openFix(mainFix.findingId, mainFix.fixId);
        return;
      case 'pause-hour':
        return actions.pause(pauseForAnHour(clock()));
      case 'pause-tomorrow':
        return actions.pause(nextMorning(clock()));
      case 'resume':
        return actions.pause(null);
      case 'quit':
        return actions.quit();
      case 'status':
        return;
    }
  };

  const template = (menu: MenuSpec[]): MenuItemConstructorOptions[] =>
    menu.map((item) =>
      item.type === 'separator'
        ? { type: 'separator' }
        : {
            id: item.id,
            label: item.label,
            enabled: item.enabled,
            ...(item.sublabel ? { sublabel: item.sublabel } : {}),
            click: () => onMenu(item.id),
          },
    );

  // Windows and most Linux panels: a left click opens the window. On macOS a click opens the
  // menu, as menu bar items do.
  if (platform !== 'darwin') tray.on('click', () => actions.openWindow());

  const controller: TrayController = {
    update(input) {
      const now = input.now ?? clock();
      const { now: _ignored, ...rest } = input;
      lastInput = rest;
      const state = trayState({ ...rest, now });
      if (destroyed) return state;

      // The fix ids are part of the key: the menu's click must open the current fix.
      const menuKey = JSON.stringify([state.menu, input.mainFix]);
      if (shown?.icon !== state.icon) tray.setImage(imageFor(state.icon));
      if (shown?.tooltip !== state.tooltip) tray.setToolTip(state.tooltip);
      if (shown?.menuKey !== menuKey) {
        mainFix = input.mainFix;
        tray.setContextMenu(electron.Menu.buildFromTemplate(template(state.menu)));
      }
      shown = { icon: state.icon, tooltip: state.tooltip, menuKey };

      // Nobody else will say when a pause runs out: redraw then.
      if (pauseTimer) clearTimeout(pauseTimer);
      pauseTimer = null;
      if (input.pausedUntil && input.pausedUntil.getTime() > now.getTime()) {
        const delay = Math.min(input.pausedUntil.getTime() - now.getTime() + 1000, 2 ** 31 - 1);
        pauseTimer = setTimeout(() => {
          pauseTimer = null;
          if (lastInput) controller.update(lastInput);
        }, delay);
        pauseTimer.unref?.();
      }
      return state;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      if (pauseTimer) clearTimeout(pauseTimer);
      pauseTimer = null;
      tray.destroy();
    },
  };
  return controller;
}
