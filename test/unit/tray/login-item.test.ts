/** Start at login: the Linux autostart entry (content, Exec quoting, atomic write) and the
 * Electron login item settings on macOS and Windows. Never the real home: HOME and
 * XDG_CONFIG_HOME point into a temporary folder. */
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  LoginItemError,
  autostartPath,
  desktopEntry,
  execLine,
  getStartAtLogin,
  quoteExecArgument,
  setStartAtLogin,
  startedHidden,
  type LoginItemDeps,
} from '../../../electron/main/login-item';

const root = mkdtempSync(join(tmpdir(), 'pdk-login-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const freshHome = () => {
  count += 1;
  return join(root, `home-${count}`);
};

function fakeApp() {
  return {
    isPackaged: true,
    getAppPath: () => '/opt/Paddock/resources/app.asar',
    setLoginItemSettings: vi.fn(),
    getLoginItemSettings: vi.fn(() => ({
      openAtLogin: true,
      wasOpenedAtLogin: false,
      status: 'enabled' as const,
      executableWillLaunchAtLogin: true,
      launchItems: [],
    })),
  };
}

/**
 * Undoes an Exec value the way a desktop-entry reader does: string escapes first, then the
 * quoting; then "%%" → "%". An independent reading of the spec, to check the writer against.
 */
function parseExec(value: string): string[] {
  const unescaped = value.replace(/\\([\\sntr])/g, (_, c: string) =>
    c === '\\' ? '\\' : c === 's' ? ' ' : c === 'n' ? '\n' : c === 't' ? '\t' : '\r',
  );
  const args: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < unescaped.length; i++) {
    const c = unescaped[i] as string;
    if (inQuotes) {
      if (c === '\\') {
        const next = unescaped[i + 1] as string;
        expect('"`$\\', `\\${next} is not a valid escape in quotes`).toContain(next);
        current += next;
        i++;
      } else if (c === '"') inQuotes = false;
      else current += c;
    } else if (c === '"') {
      inQuotes = true;
      started = true;
    } else if (c === ' ') {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      expect(c, 'reserved character outside quotes').not.toMatch(/[\t"'\\><~|&;$*?#()`]/);
      current += c;
      started = true;
    }
  }
  expect(inQuotes, 'unterminated quote').toBe(false);
  if (started) args.push(current);
  return args.map((arg) => {
    expect(arg.replaceAll('%%', ''), 'lone % is a field code').not.toContain('%');
    return arg.replaceAll('%%', '%');
  });
}

const execOf = (entry: string) => {
  const line = entry.split('\n').find((l) => l.startsWith('Exec='));
  if (!line) throw new Error('no Exec line');
  return line.slice('Exec='.length);
};

describe('Exec quoting (Desktop Entry spec)', () => {
  it('leaves a plain path bare', () => {
    expect(execLine({ path: '/opt/Paddock/paddock', args: ['--hidden'] })).toBe(
      '/opt/Paddock/paddock --hidden',
    );
  });

  it('quotes and escapes reserved characters, with four backslashes for one', () => {
    expect(quoteExecArgument('/home/a b/Paddock')).toBe('"/home/a b/Paddock"');
    expect(execLine({ path: '/x/a\\b', args: [] })).toBe('"/x/a\\\\\\\\b"');
    expect(execLine({ path: '/x/$HOME"`', args: [] })).toBe('"/x/\\\\$HOME\\\\"\\\\`"');
    expect(quoteExecArgument('/x/100%')).toBe('/x/100%%');
  });

  it.each([
    '/home/user/Applications/Paddock 0.1.0.AppImage',
    "/home/o'brien/Paddock.AppImage",
    '/tmp/$(touch pwned)/`id`/a;b|c&d>e<f~g*h?i#j',
    '/tmp/back\\slash/"quoted"/100%s %U',
    '/tmp/ünïcödé/Paddock',
  ])('a reader gets back exactly %s', (path) => {
    const entry = desktopEntry({ path, args: ['--hidden'] });
    expect(parseExec(execOf(entry))).toEqual([path, '--hidden']);
  });

  it.each(['/tmp/evil\nExec=/bin/sh', '/tmp/cr\r', '/tmp/tab\t', '/tmp/nul\u0000'])(
    'refuses a path with a control character: %j',
    (path) => {
      expect(() => desktopEntry({ path, args: [] })).toThrow(LoginItemError);
    },
  );

  it('refuses a relative path', () => {
    expect(() => execLine({ path: 'paddock', args: [] })).toThrow(LoginItemError);
  });
});

describe('Linux autostart entry', () => {
  it('is written under XDG_CONFIG_HOME, atomically, and removed again', () => {
    const home = freshHome();
    const deps: LoginItemDeps = {
      app: fakeApp(),
      platform: 'linux',
      env: { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg') },
      homeDir: home,
      execPath: '/opt/Paddock Beta/paddock',
    };
    const path = join(home, 'cfg', 'autostart', 'paddock.desktop');
    expect(autostartPath(deps)).toBe(path);
    expect(getStartAtLogin(deps)).toBe(false);

    setStartAtLogin(true, deps);
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.5',
        'Name=Paddock',
        'Comment=Keeps local LLM servers private to this machine',
        'Exec="/opt/Paddock Beta/paddock" --hidden',
        'TryExec=/opt/Paddock Beta/paddock',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    );
    expect(statSync(path).mode & 0o777).toBe(0o644);
    // No temporary file left beside it.
    expect(readdirSync(join(home, 'cfg', 'autostart'))).toEqual(['paddock.desktop']);
    expect(getStartAtLogin(deps)).toBe(true);

    setStartAtLogin(false, deps);
    expect(existsSync(path)).toBe(false);
    expect(getStartAtLogin(deps)).toBe(false);
    // Turning off what is already off is fine.
    expect(() => setStartAtLogin(false, deps)).not.toThrow();
  });

  it('falls back to ~/.config when XDG_CONFIG_HOME is unset or relative', () => {
    const home = freshHome();
    expect(autostartPath({ env: {}, homeDir: home })).toBe(
      join(home, '.config', 'autostart', 'paddock.desktop'),
    );
    expect(autostartPath({ env: { XDG_CONFIG_HOME: 'relative/cfg' }, homeDir: home })).toBe(
      join(home, '.config', 'autostart', 'paddock.desktop'),
    );
  });

  it('an AppImage starts the AppImage file, not its temporary mount', () => {
    const home = freshHome();
    const deps: LoginItemDeps = {
      app: fakeApp(),
      platform: 'linux',
      env: { APPIMAGE: '/home/u/Apps/Paddock.AppImage', XDG_CONFIG_HOME: join(home, 'cfg') },
      homeDir: home,
      execPath: '/tmp/.mount_PaddoXYZ/paddock',
    };
    setStartAtLogin(true, deps);
    expect(readFileSync(autostartPath(deps), 'utf8')).toContain(
      'Exec=/home/u/Apps/Paddock.AppImage --hidden',
    );
  });

  it('unpackaged (electron .): Electron is started with the app folder', () => {
    const entry = desktopEntry({ path: '/x/electron', args: ['/src/paddock', '--hidden'] });
    expect(parseExec(execOf(entry))).toEqual(['/x/electron', '/src/paddock', '--hidden']);
  });

  it('a path with a newline is refused and nothing is written', () => {
    const home = freshHome();
    const deps: LoginItemDeps = {
      app: fakeApp(),
      platform: 'linux',
      env: { XDG_CONFIG_HOME: join(home, 'cfg') },
      homeDir: home,
      execPath: '/tmp/x\n[Desktop Entry]\nExec=/bin/sh',
    };
    expect(() => setStartAtLogin(true, deps)).toThrow(LoginItemError);
    expect(existsSync(autostartPath(deps))).toBe(false);
  });

  it('an entry switched off by the desktop counts as off', () => {
    const home = freshHome();
    const deps: LoginItemDeps = {
      app: fakeApp(),
      platform: 'linux',
      env: { XDG_CONFIG_HOME: join(home, 'cfg') },
      homeDir: home,
      execPath: '/opt/paddock',
    };
    setStartAtLogin(true, deps);
    const path = autostartPath(deps);
    const text = readFileSync(path, 'utf8').replace(
      'X-GNOME-Autostart-enabled=true',
      'X-GNOME-Autostart-enabled=false',
    );
    // Switched off in place, as GNOME Tweaks does.
    writeFileSync(path, text);
    expect(getStartAtLogin(deps)).toBe(false);
  });
});

describe('macOS and Windows login items', () => {
  it('macOS: openAtLogin only (login items take no arguments)', () => {
    const app = fakeApp();
    setStartAtLogin(true, { app, platform: 'darwin' });
    expect(app.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: true });
    expect(getStartAtLogin({ app, platform: 'darwin' })).toBe(true);
  });

  it('Windows: the executable with --hidden, asked back with the same path and args', () => {
    const app = fakeApp();
    const deps: LoginItemDeps = {
      app,
      platform: 'win32',
      execPath: 'C:\\Program Files\\Paddock\\Paddock.exe',
    };
    setStartAtLogin(false, deps);
    expect(app.setLoginItemSettings).toHaveBeenCalledWith({
      openAtLogin: false,
      path: 'C:\\Program Files\\Paddock\\Paddock.exe',
      args: ['--hidden'],
    });
    getStartAtLogin(deps);
    expect(app.getLoginItemSettings).toHaveBeenCalledWith({
      path: 'C:\\Program Files\\Paddock\\Paddock.exe',
      args: ['--hidden'],
    });
  });

  it('Windows: off when the user switched it off in Task Manager’s Startup apps, though the Run entry is there', () => {
    const app = fakeApp();
    const deps: LoginItemDeps = {
      app,
      platform: 'win32',
      execPath: 'C:\\Users\\alice\\AppData\\Local\\Programs\\Paddock\\Paddock.exe',
    };
    expect(getStartAtLogin(deps)).toBe(true);
    app.getLoginItemSettings.mockReturnValueOnce({
      openAtLogin: true,
      wasOpenedAtLogin: false,
      status: 'enabled',
      executableWillLaunchAtLogin: false,
      launchItems: [],
    });
    expect(getStartAtLogin(deps)).toBe(false);
  });

  it('started hidden: --hidden anywhere, or opened at login on macOS', () => {
    const app = fakeApp();
    expect(startedHidden(['/opt/paddock', '--hidden'], { app, platform: 'linux' })).toBe(true);
    expect(startedHidden(['/opt/paddock'], { app, platform: 'linux' })).toBe(false);
    expect(startedHidden(['/Applications/Paddock.app'], { app, platform: 'darwin' })).toBe(false);
    app.getLoginItemSettings.mockReturnValueOnce({
      openAtLogin: true,
      wasOpenedAtLogin: true,
      status: 'enabled',
      executableWillLaunchAtLogin: true,
      launchItems: [],
    });
    expect(startedHidden(['/Applications/Paddock.app'], { app, platform: 'darwin' })).toBe(true);
  });
});
