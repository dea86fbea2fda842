/**
 * "Start at login": on macOS and Windows through Electron's `app.setLoginItemSettings`; on
 * Linux, where that API does nothing, an XDG autostart entry
 * (`$XDG_CONFIG_HOME/autostart/paddock.desktop`, written atomically) that GNOME, KDE and the
 * other XDG desktops start at login.
 * Started at login, Paddock opens hidden in the tray: `--hidden` on Windows and Linux; macOS
 * says so through `wasOpenedAtLogin` (login items there take no arguments). `openAsHidden` is
 * not used: it stopped working in macOS 13, where Electron registers the app through
 * SMAppService, and the Electron in package.json (45) no longer has it; Paddock hides itself
 * (index.ts opens no window when `startedHidden`). From macOS 13 the user may have to allow
 * the item in System Settings > General > Login Items: Electron then reports the status
 * `requires-approval`, and Paddock says so rather than claim it is on.
 *
 * The Linux entry's Exec line is built from a path the process was given (process.execPath,
 * or $APPIMAGE for an AppImage, whose execPath is inside a temporary mount), so it is quoted by
 * the Desktop Entry rules rather than trusted: a path with a space, a quote, a `$` or a `%`
 * still starts exactly that file, and a path with a control character (a newline would start
 * a new key) is refused.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { App } from 'electron';
import { writeFileAtomic } from '../engine/host/atomic-write';

export const HIDDEN_FLAG = '--hidden';
export const AUTOSTART_FILE = 'paddock.desktop';

export interface LoginItemDeps {
  app: Pick<App, 'setLoginItemSettings' | 'getLoginItemSettings' | 'isPackaged' | 'getAppPath'>;
  platform: NodeJS.Platform;
  /** Defaults to process.env (XDG_CONFIG_HOME, APPIMAGE). */
  env?: NodeJS.ProcessEnv;
  /** Defaults to process.execPath. */
  execPath?: string;
  /** Defaults to os.homedir(). */
  homeDir?: string;
}

export class LoginItemError extends Error {
  override readonly name = 'LoginItemError';
}

/** What starts Paddock: the executable and its arguments (the app folder when unpackaged). */
export function loginCommand(deps: LoginItemDeps): { path: string; args: string[] } {
  const env = deps.env ?? process.env;
  const appImage = deps.platform === 'linux' ? env.APPIMAGE : undefined;
  const path = appImage && isAbsolute(appImage) ? appImage : (deps.execPath ?? process.execPath);
  // `electron .` in development: the bare Electron binary needs the app's folder.
  const args = deps.app.isPackaged ? [HIDDEN_FLAG] : [deps.app.getAppPath(), HIDDEN_FLAG];
  return { path, args };
}

// ── Linux: the XDG autostart entry ──────────────────────────────────────────────────────

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Characters that force an Exec argument into double quotes (Desktop Entry spec, "Exec"). */
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/** One Exec argument, quoted by the Exec rules (before the string-value escaping). */
export function quoteExecArgument(argument: string): string {
  if (CONTROL.test(argument)) {
    throw new LoginItemError(
      `Cannot start ${JSON.stringify(argument)} at login: the path holds a control character (a newline, a tab…).`,
    );
  }
  // "%" starts a field code even inside quotes; "%%" is a literal one.
  const literal = argument.replaceAll('%', '%%');
  if (literal !== '' && !RESERVED.test(literal)) return literal;
  return `"${literal.replace(/["`$\\]/g, (c) => `\\${c}`)}"`;
}

/** A value of type string: "\\" for a backslash (applied after the Exec quoting). */
function escapeStringValue(value: string): string {
  return value.replaceAll('\\', '\\\\');
}

export function execLine(command: { path: string; args: string[] }): string {
  if (!isAbsolute(command.path)) {
    throw new LoginItemError(`Cannot start Paddock at login from a relative path: ${command.path}`);
  }
  return escapeStringValue([command.path, ...command.args].map(quoteExecArgument).join(' '));
}

export function desktopEntry(command: { path: string; args: string[] }): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.5',
    'Name=Paddock',
    'Comment=Keeps local LLM servers private to this machine',
    `Exec=${execLine(command)}`,
    // Ignored once the executable is gone (uninstalled, an AppImage moved), instead of failing.
    `TryExec=${escapeStringValue(command.path)}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function autostartPath(deps: Pick<LoginItemDeps, 'env' | 'homeDir'>): string {
  const env = deps.env ?? process.env;
  const configHome =
    env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : join(deps.homeDir ?? homedir(), '.config');
  return join(configHome, 'autostart', AUTOSTART_FILE);
}

// ── the setting ─────────────────────────────────────────────────────────────────────────

export function setStartAtLogin(enabled: boolean, deps: LoginItemDeps): void {
  if (deps.platform === 'linux') {
    const path = autostartPath(deps);
    if (enabled) {
      writeFileAtomic(path, desktopEntry(loginCommand(deps)), 0o644);
    } else {
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return;
  }
  if (deps.platform === 'win32') {
    const { path, args } = loginCommand(deps);
    deps.app.setLoginItemSettings({ openAtLogin: enabled, path, args });
    return;
  }
  if (deps.platform === 'darwin') {
    deps.app.setLoginItemSettings({ openAtLogin: enabled });
    if (enabled && deps.app.getLoginItemSettings().status === 'requires-approval') {
      throw new LoginItemError(
        'macOS needs your approval before Paddock can start at login: allow Paddock in System Settings > General > Login Items.',
      );
    }
    return;
  }
  throw new LoginItemError(`Start at login is not supported on ${deps.platform}.`);
}

export function getStartAtLogin(deps: LoginItemDeps): boolean {
  if (deps.platform === 'linux') {
    const path = autostartPath(deps);
    if (!existsSync(path)) return false;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return false;
    }
    // Desktop environments switch an entry off in place rather than deleting it.
    return !/^(Hidden=true|X-GNOME-Autostart-enabled=false)\s*$/m.test(text);
  }
  if (deps.platform === 'win32') {
    const { path, args } = loginCommand(deps);
    const settings = deps.app.getLoginItemSettings({ path, args });
    // The Run entry can be there while Windows will not start it: the user switched Paddock
    // off in Task Manager's Startup apps (or Settings > Apps > Startup), which Electron reads
    // as executableWillLaunchAtLogin. Then it is off; switching it on again re-enables it
    // (setLoginItemSettings' `enabled` defaults to true).
    return settings.openAtLogin && settings.executableWillLaunchAtLogin !== false;
  }
  if (deps.platform === 'darwin') return deps.app.getLoginItemSettings().openAtLogin;
  return false;
}

/** Whether this start came from the login item: open in the tray, without the window. */
export function startedHidden(
  argv: readonly string[],
  deps: Pick<LoginItemDeps, 'app' | 'platform'>,
): boolean {
  if (argv.includes(HIDDEN_FLAG)) return true;
  if (deps.platform !== 'darwin') return false;
  try {
    return deps.app.getLoginItemSettings().wasOpenedAtLogin;
  } catch {
    return false;
  }
}
