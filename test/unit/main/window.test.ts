import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => {
  const fake = await import('./fake-electron');
  return { BrowserWindow: fake.FakeBrowserWindow, shell: fake.shell };
});

import type { WebContents } from 'electron';
import {
  CONTENT_SECURITY_POLICY,
  createMainWindow,
  externalUrl,
  hardenWebContents,
  isAppUrl,
  rendererSource,
  windowOptions,
} from '../../../electron/main/window';
import { FakeBrowserWindow, FakeWebContents, shell } from './fake-electron';

type FakeWindow = FakeBrowserWindow;
const INDEX = '/opt/Paddock/resources/app.asar/out/renderer/index.html';
const INDEX_URL = pathToFileURL(INDEX).href;
const quiet = () => undefined;

function navigationEvent(url: string, isMainFrame = true) {
  return { url, isMainFrame, preventDefault: vi.fn(), defaultPrevented: false };
}

function openWindow(extra: Partial<Parameters<typeof createMainWindow>[0]> = {}): FakeWindow {
  createMainWindow({
    preloadPath: '/app/out/preload/index.js',
    source: { kind: 'file', path: INDEX },
    log: quiet,
    ...extra,
  });
  const window = FakeBrowserWindow.created.at(-1);
  if (!window) throw new Error('no window was created');
  return window;
}

beforeEach(() => {
  FakeBrowserWindow.created.length = 0;
  shell.openExternal.mockClear();
});

describe('windowOptions', () => {
  it('isolates the page: context isolation, sandbox, no Node, web security, no webview', () => {
    const options = windowOptions('/app/out/preload/index.js');
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    });
    expect(options.show).toBe(false);
    expect(options.minWidth).toBeGreaterThan(0);
    expect(options.backgroundColor).toMatch(/^#[0-9a-f]{6}$/i);
  });

  it('the window is built with exactly those options', () => {
    const window = openWindow();
    expect(window.options).toEqual(windowOptions('/app/out/preload/index.js'));
  });
});

describe('where the page comes from', () => {
  it('the dev server only when not packaged, else the built index.html', () => {
    const dev = { devServerUrl: 'http://localhost:5173', indexHtml: INDEX };
    expect(rendererSource({ ...dev, isPackaged: false })).toEqual({
      kind: 'url',
      url: 'http://localhost:5173',
    });
    expect(rendererSource({ ...dev, isPackaged: true })).toEqual({ kind: 'file', path: INDEX });
    expect(
      rendererSource({ devServerUrl: undefined, indexHtml: INDEX, isPackaged: false }),
    ).toEqual({ kind: 'file', path: INDEX });
  });

  it('loads the file, or the dev server URL', () => {
    const fromFile = openWindow();
    expect(fromFile.loadFile).toHaveBeenCalledWith(INDEX);
    expect(fromFile.loadURL).not.toHaveBeenCalled();
    const fromDev = openWindow({ source: { kind: 'url', url: 'http://localhost:5173/' } });
    expect(fromDev.loadURL).toHaveBeenCalledWith('http://localhost:5173/');
    expect(fromDev.loadFile).not.toHaveBeenCalled();
  });

  it('the app URL is the index file itself, or the dev server origin', () => {
    const file = { kind: 'file', path: INDEX } as const;
    expect(isAppUrl(INDEX_URL, file)).toBe(true);
    expect(isAppUrl(`${INDEX_URL}#/history`, file)).toBe(true);
    expect(isAppUrl(pathToFileURL('/etc/passwd').href, file)).toBe(false);
    expect(isAppUrl('file://evil.example' + new URL(INDEX_URL).pathname, file)).toBe(false);
    expect(isAppUrl('https://example.com/', file)).toBe(false);
    expect(isAppUrl('not a url', file)).toBe(false);
    const dev = { kind: 'url', url: 'http://localhost:5173/' } as const;
    expect(isAppUrl('http://localhost:5173/src/main.tsx', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/', dev)).toBe(false);
  });
});

describe('navigation and new windows are refused', () => {
  it('will-navigate to another URL is prevented; a reload of the app page is not', () => {
    const window = openWindow();
    const away = navigationEvent('https://evil.example/');
    window.webContents.emit('will-navigate', away);
    expect(away.preventDefault).toHaveBeenCalled();
    const fileAway = navigationEvent(pathToFileURL('/home/me/.ssh/id_ed25519').href);
    window.webContents.emit('will-navigate', fileAway);
    expect(fileAway.preventDefault).toHaveBeenCalled();
    const reload = navigationEvent(INDEX_URL);
    window.webContents.emit('will-navigate', reload);
    expect(reload.preventDefault).not.toHaveBeenCalled();
  });

  it('redirects and sub-frame navigation elsewhere are prevented', () => {
    const window = openWindow();
    const redirect = navigationEvent('https://evil.example/');
    window.webContents.emit('will-redirect', redirect);
    expect(redirect.preventDefault).toHaveBeenCalled();
    const frame = navigationEvent('https://evil.example/frame', false);
    window.webContents.emit('will-frame-navigate', frame);
    expect(frame.preventDefault).toHaveBeenCalled();
  });

  it('window.open is always denied; an https link opens in the browser', () => {
    const window = openWindow();
    const open = window.webContents.openHandler;
    expect(open).toBeTypeOf('function');
    expect(open?.({ url: 'https://github.com/ollama/ollama' })).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledExactlyOnceWith('https://github.com/ollama/ollama');
  });

  it('javascript:, file:, http: and data: links are neither opened nor followed', () => {
    const window = openWindow();
    const open = window.webContents.openHandler;
    for (const url of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'http://example.com/',
      'data:text/html,<script>1</script>',
      'https://user:pass@example.com/',
      'smb://share/x',
    ]) {
      expect(open?.({ url })).toEqual({ action: 'deny' });
    }
    expect(shell.openExternal).not.toHaveBeenCalled();
  });

  it('externalUrl accepts only plain https:// URLs', () => {
    expect(externalUrl('https://ollama.com/download')).toBe('https://ollama.com/download');
    expect(externalUrl('HTTPS://OLLAMA.COM')).toBe('https://ollama.com/');
    expect(externalUrl('javascript:alert(1)')).toBeNull();
    expect(externalUrl('file:///etc/passwd')).toBeNull();
    expect(externalUrl('https://')).toBeNull();
  });

  it('webviews may not be attached', () => {
    const window = openWindow();
    const event = { preventDefault: vi.fn() };
    window.webContents.emit('will-attach-webview', event, {}, {});
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it('hardening other web contents denies their windows and navigation too', () => {
    const contents = new FakeWebContents();
    const options = {
      isAllowedUrl: (url: string) => url === INDEX_URL,
      openExternal: shell.openExternal,
      log: quiet,
    };
    hardenWebContents(contents as unknown as WebContents, options);
    hardenWebContents(contents as unknown as WebContents, options); // twice: one set of listeners
    expect(contents.listenerCount('will-navigate')).toBe(1);
    expect(contents.openHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    const away = navigationEvent('https://evil.example/');
    contents.emit('will-navigate', away);
    expect(away.preventDefault).toHaveBeenCalledTimes(1);
  });
});

describe('the session', () => {
  it('every permission request is denied, every permission check fails', () => {
    const window = openWindow();
    const session = window.webContents.session;
    const callback = vi.fn();
    session.requestHandler?.(window.webContents, 'media', callback);
    session.requestHandler?.(window.webContents, 'notifications', callback);
    expect(callback.mock.calls).toEqual([[false], [false]]);
    expect(session.checkHandler?.(window.webContents, 'clipboard-read', 'file://', {})).toBe(false);
  });

  it('every response carries Paddock’s Content-Security-Policy, replacing any other', () => {
    const window = openWindow();
    const callback = vi.fn();
    window.webContents.session.headersListener?.(
      {
        responseHeaders: {
          'content-security-policy': ["default-src *; script-src 'unsafe-eval'"],
          'Content-Type': ['text/html'],
        },
      },
      callback,
    );
    expect(callback).toHaveBeenCalledExactlyOnceWith({
      responseHeaders: {
        'Content-Type': ['text/html'],
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    });
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
  });
});

describe('closing the window', () => {
  it('by default nothing holds the close (the app quits with its last window)', () => {
    const window = openWindow();
    expect(window.listenerCount('close')).toBe(0);
  });

  it('an onClose hook can keep Paddock running by hiding the window instead', () => {
    const window = openWindow({
      onClose: (event, own) => {
        event.preventDefault();
        own.hide();
      },
    });
    const event = { preventDefault: vi.fn() };
    window.emit('close', event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(window.hide).toHaveBeenCalled();
  });

  it('shows itself once ready', () => {
    const window = openWindow();
    expect(window.show).not.toHaveBeenCalled();
    window.emit('ready-to-show');
    expect(window.show).toHaveBeenCalledTimes(1);
  });

  it('stays hidden when asked (started at login into the tray)', () => {
    const window = openWindow({ showWhenReady: false });
    window.emit('ready-to-show');
    expect(window.show).not.toHaveBeenCalled();
    expect(window.loadFile).toHaveBeenCalled();
  });
});
