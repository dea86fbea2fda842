/**
 * Start at login on macOS (issue 16, "Packaging"), through the wiring the app uses: Settings
 * changes the preference, the watch shell applies it (electron/main/watch-shell.ts), and
 * electron/main/login-item.ts calls `app.setLoginItemSettings` with a stand-in `app`. Linux
 * is here to show the other side: Electron's login items do nothing there, so that API is
 * never called and an XDG autostart entry is written instead (into a temporary home).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Envelope, Preferences } from '../../../shared/api';
import {
  LoginItemError,
  setStartAtLogin,
  startedHidden,
  type LoginItemDeps,
} from '../../../electron/main/login-item';
import { createWatchShell } from '../../../electron/main/watch-shell';

type Status = 'not-registered' | 'enabled' | 'requires-approval' | 'not-found';

function fakeApp(status: Status = 'enabled', wasOpenedAtLogin = false) {
  return {
    isPackaged: true,
    getAppPath: () => '/Applications/Paddock.app/Contents/Resources/app.asar',
    setLoginItemSettings: vi.fn(),
    getLoginItemSettings: vi.fn(() => ({
      openAtLogin: status === 'enabled',
      wasOpenedAtLogin,
      status,
      executableWillLaunchAtLogin: false,
      launchItems: [],
    })),
  };
}

const engine = {
  call: (): Promise<Envelope<unknown>> => Promise.resolve({ ok: true, value: {} }),
};
const prefs = (startAtLogin: boolean): Preferences => ({
  scanIntervalMinutes: 10,
  notifications: true,
  startAtLogin,
});

function shellWith(login: LoginItemDeps) {
  const log = vi.fn();
  const shell = createWatchShell({
    electron: {},
    platform: login.platform,
    engine,
    login,
    showWindow: () => undefined,
    navigate: () => undefined,
    quit: () => undefined,
    log,
  });
  return { shell, log };
}

const root = mkdtempSync(join(tmpdir(), 'pdk-mac-login-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('macOS: the preference reaches app.setLoginItemSettings', () => {
  it('turned on, then off, in Settings: openAtLogin follows it, and nothing more', () => {
    const app = fakeApp();
    const { shell, log } = shellWith({ app, platform: 'darwin' });
    shell.applyPreferences(prefs(false), null);
    shell.applyPreferences(prefs(true), prefs(false));
    shell.applyPreferences(prefs(false), prefs(true));
    // No openAsHidden (gone from Electron; it stopped working in macOS 13), no path or args
    // (Windows only): Paddock hides itself when macOS says it was opened at login.
    expect(app.setLoginItemSettings.mock.calls).toEqual([
      [{ openAtLogin: true }],
      [{ openAtLogin: false }],
    ]);
    expect(log).not.toHaveBeenCalled();
  });

  it('at start-up the stored preference is left to macOS: no call until it changes', () => {
    const app = fakeApp();
    const { shell } = shellWith({ app, platform: 'darwin' });
    shell.applyPreferences(prefs(true), null);
    shell.applyPreferences(prefs(true), prefs(true));
    expect(app.setLoginItemSettings).not.toHaveBeenCalled();
  });

  it('macOS 13+ waiting for the user’s approval is said, not reported as on', () => {
    const app = fakeApp('requires-approval');
    expect(() => setStartAtLogin(true, { app, platform: 'darwin' })).toThrow(LoginItemError);
    expect(() => setStartAtLogin(true, { app, platform: 'darwin' })).toThrow(
      /System Settings > General > Login Items/,
    );
    const { shell, log } = shellWith({ app, platform: 'darwin' });
    shell.applyPreferences(prefs(true), prefs(false));
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/approval.*Login Items/));
    // Turning it off needs no approval, and is not second-guessed.
    app.getLoginItemSettings.mockClear();
    setStartAtLogin(false, { app, platform: 'darwin' });
    expect(app.getLoginItemSettings).not.toHaveBeenCalled();
  });

  it('opened at login, Paddock starts in the menu bar without its window', () => {
    const argv = ['/Applications/Paddock.app/Contents/MacOS/Paddock'];
    expect(startedHidden(argv, { app: fakeApp('enabled', true), platform: 'darwin' })).toBe(true);
    expect(startedHidden(argv, { app: fakeApp('enabled', false), platform: 'darwin' })).toBe(false);
  });
});

describe('Linux: not through Electron’s login items', () => {
  it('never calls setLoginItemSettings; the XDG autostart entry comes and goes instead', () => {
    const app = fakeApp();
    const home = join(root, 'linux');
    const login: LoginItemDeps = {
      app,
      platform: 'linux',
      env: { HOME: home },
      homeDir: home,
      execPath: '/opt/Paddock/paddock',
    };
    const entry = join(home, '.config', 'autostart', 'paddock.desktop');
    const { shell, log } = shellWith(login);
    shell.applyPreferences(prefs(true), prefs(false));
    expect(existsSync(entry)).toBe(true);
    shell.applyPreferences(prefs(false), prefs(true));
    expect(existsSync(entry)).toBe(false);
    expect(app.setLoginItemSettings).not.toHaveBeenCalled();
    expect(app.getLoginItemSettings).not.toHaveBeenCalled();
    expect(log).not.toHaveBeenCalled();
  });
});
