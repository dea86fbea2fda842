/**
 * Paddock's one window, locked down: the page gets `window.paddock` from the preload and
 * nothing else. It may not open windows, navigate away, attach webviews or ask for any
 * permission; links to https:// pages open in the user's browser.
 */
import { pathToFileURL } from 'node:url';
import { BrowserWindow, shell } from 'electron';
import type { BrowserWindowConstructorOptions, Event, Session, WebContents } from 'electron';

/** The same policy as renderer/index.html's meta tag, plus what only a header can say. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1180,
    height: 800,
    minWidth: 880,
    minHeight: 600,
    show: false,
    title: 'Paddock',
    backgroundColor: '#111418',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}

/** Where the page comes from: the dev server (unpackaged only) or the built index.html. */
export type RendererSource = { kind: 'url'; url: string } | { kind: 'file'; path: string };

export function rendererSource(options: {
  isPackaged: boolean;
  devServerUrl: string | undefined;
  indexHtml: string;
}): RendererSource {
  if (!options.isPackaged && options.devServerUrl)
    return { kind: 'url', url: options.devServerUrl };
  return { kind: 'file', path: options.indexHtml };
}

/**
 * Whether `url` is Paddock's own page: same origin as the dev server, or the very index.html
 * file (any query or fragment). Anything unparsable is not.
 */
export function isAppUrl(url: string, source: RendererSource): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (source.kind === 'url') {
    const own = new URL(source.url);
    return (
      (target.protocol === 'http:' || target.protocol === 'https:') && target.origin === own.origin
    );
  }
  const own = pathToFileURL(source.path);
  return target.protocol === 'file:' && target.host === '' && target.pathname === own.pathname;
}

/** The only URLs Paddock hands to the user's browser: plain https:// with a host. */
export function externalUrl(url: string): string | null {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return null;
  }
  if (target.protocol !== 'https:' || target.hostname === '') return null;
  if (target.username !== '' || target.password !== '') return null;
  return target.href;
}

export interface HardeningOptions {
  /** Navigation to these stays in the window (a reload of the page itself). */
  isAllowedUrl: (url: string) => boolean;
  openExternal: (url: string) => Promise<void>;
  log?: (message: string) => void;
}

const hardened = new WeakSet<object>();

/**
 * Refuses window.open, navigation away from the app, redirects and webviews on any web
 * contents. Safe to apply twice (the window's own contents also pass app's
 * 'web-contents-created').
 */
export function hardenWebContents(contents: WebContents, options: HardeningOptions): void {
  if (hardened.has(contents)) return;
  hardened.add(contents);
  const log = options.log ?? ((message: string) => console.warn(message));
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalUrl(url);
    if (external) {
      options.openExternal(external).catch((error: unknown) => {
        log(`Paddock could not open ${external} in the browser: ${String(error)}`);
      });
    } else {
      log(`Paddock refused to open a window for ${url}`);
    }
    return { action: 'deny' };
  });
  const refuseUnlessOwn = (event: Event<{ url: string }>) => {
    if (options.isAllowedUrl(event.url)) return;
    event.preventDefault();
    log(`Paddock refused to navigate to ${event.url}`);
  };
  contents.on('will-navigate', refuseUnlessOwn);
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) refuseUnlessOwn(event); // the main frame has will-navigate
  });
  contents.on('will-redirect', refuseUnlessOwn);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** No camera, notifications API, clipboard reads…: the page needs none of them. */
export function lockSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    const responseHeaders = { ...details.responseHeaders };
    for (const name of Object.keys(responseHeaders)) {
      if (name.toLowerCase() === 'content-security-policy') delete responseHeaders[name];
    }
    responseHeaders['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders });
  });
}

export interface MainWindowOptions {
  preloadPath: string;
  source: RendererSource;
  /**
   * Called when the user closes the window. Call `event.preventDefault()` (and hide the
   * window) to keep Paddock running, as the tray does; by default the window closes and,
   * being the last one, the app quits.
   */
  onClose?: (event: Event, window: BrowserWindow) => void;
  /** false: load the page but stay hidden (started at login into the tray). Default true. */
  showWhenReady?: boolean;
  log?: (message: string) => void;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow(windowOptions(options.preloadPath));
  const contents = window.webContents;
  const hardening: HardeningOptions = {
    isAllowedUrl: (url) => isAppUrl(url, options.source),
    openExternal: (url) => shell.openExternal(url),
  };
  if (options.log) hardening.log = options.log;
  hardenWebContents(contents, hardening);
  lockSession(contents.session);
  if (options.showWhenReady !== false) window.once('ready-to-show', () => window.show());
  if (options.onClose) {
    const onClose = options.onClose;
    window.on('close', (event) => onClose(event, window));
  }
  const log = options.log ?? ((message: string) => console.warn(message));
  const loaded =
    options.source.kind === 'url'
      ? window.loadURL(options.source.url)
      : window.loadFile(options.source.path);
  loaded.catch((error: unknown) => log(`Paddock's page did not load: ${String(error)}`));
  return window;
}
