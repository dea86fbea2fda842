/**
 * Electron main: wires the window, the IPC manager and the engine process together. The logic
 * lives in the modules beside this file; this one only decides the order: never as root (the
 * app binary is not Paddock's privileged side: root work goes to paddock-privileged, see
 * docs/security.md), else the single-instance lock → PATH from the login shell (while Electron
 * gets ready) → window and IPC → the engine process once PATH is known.
 */
import { join } from 'node:path';
import {
  Menu,
  Notification,
  Tray,
  app,
  ipcMain,
  nativeImage,
  shell,
  utilityProcess,
} from 'electron';
import type { BrowserWindow } from 'electron';
import type { AppEvent, Preferences } from '../../shared/api';
import { appEventSchema } from '../../shared/api';
import { dockFollower } from './dock';
import { createEngineHost } from './engine-host';
import { ownWindowSenderCheck, registerApi, sendEvent } from './ipc';
import { startedHidden } from './login-item';
import type { NavigateEvent } from './notifications';
import { restorePath } from './path-env';
import type { WatchShell } from './watch-shell';
import { createWatchShell } from './watch-shell';
import { createMainWindow, hardenWebContents, isAppUrl, rendererSource } from './window';

const log = (message: string) => console.warn(message);

/** Built by electron-vite's main build beside this file (electron/engine/service/worker.ts). */
const ENGINE_ENTRY = join(__dirname, 'engine.js');
const PRELOAD = join(__dirname, '../preload/index.js');
const source = rendererSource({
  isPackaged: app.isPackaged,
  devServerUrl: process.env.ELECTRON_RENDERER_URL,
  indexHtml: join(__dirname, '../renderer/index.html'),
});
const isOwnUrl = (url: string) => isAppUrl(url, source);

let mainWindow: BrowserWindow | null = null;
/** The tray, notifications and preferences (watch-shell.ts); made once Electron is ready. */
let watchShell: WatchShell | null = null;
/** macOS: the Dock icon hidden while only the tray runs (app.dock is undefined elsewhere). */
const dock = dockFollower(app.dock, () => watchShell?.hideOnClose() ?? false, log);
let preferences: Preferences | null = null;
const loginDeps = { app, platform: process.platform };

function adoptPreferences(next: Preferences): void {
  watchShell?.applyPreferences(next, preferences);
  preferences = next;
}

const engine = createEngineHost({
  fork: () =>
    utilityProcess.fork(ENGINE_ENTRY, [], {
      serviceName: 'Paddock engine',
      stdio: 'pipe',
      env: { ...process.env },
    }),
  onReady: () => {
    watchShell?.engineRestarted();
    if (mainWindow && !mainWindow.isDestroyed() && mainWindow.isVisible()) gpuSampling(true);
  },
  onEvent: (event) => {
    // sendEvent checks the event against the contract; the tray trusts only what passed.
    if (sendEvent(mainWindow?.webContents, event, log) || isAppEvent(event))
      watchShell?.onEngineEvent(event as AppEvent);
  },
  log,
});

/** Seconds between GPU readings while the window is shown (nvidia-smi, only with a GPU). */
const GPU_SAMPLE_SECONDS = 5;
function gpuSampling(on: boolean): void {
  void engine.call('gpu', { everySeconds: on ? GPU_SAMPLE_SECONDS : 0 });
}

const isAppEvent = (event: unknown): boolean => appEventSchema.safeParse(event).success;

/** Shows the window on a view (the tray's Fix exposure, a notification's click). */
function navigate(event: NavigateEvent): void {
  const window = openMainWindow();
  const send = () => sendEvent(window.webContents, event, log);
  if (window.webContents.isLoading()) window.webContents.once('did-finish-load', send);
  else send();
}

function openMainWindow(): BrowserWindow {
  if (mainWindow && !mainWindow.isDestroyed()) {
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
    return mainWindow;
  }
  const window = createMainWindow({
    preloadPath: PRELOAD,
    source,
    log,
    // Closing the window keeps Paddock watching from the tray (when there is one).
    onClose: (event, closing) => {
      if (!watchShell?.hideOnClose()) return;
      event.preventDefault();
      closing.hide();
    },
  });
  // GPU readings for the Activity chart only while someone can see them; on a Mac the Dock
  // icon follows the window while the tray keeps Paddock running (dock.ts).
  window.on('show', () => {
    gpuSampling(true);
    dock.windowShown();
  });
  window.on('hide', () => {
    gpuSampling(false);
    dock.windowGone();
  });
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
    gpuSampling(false);
    dock.windowGone();
  });
  mainWindow = window;
  return window;
}

if (typeof process.geteuid === 'function' && process.geteuid() === 0) {
  // The window is an ordinary user's: what needs root goes through paddock-privileged.
  process.stderr.write(
    "Paddock's window does not run as root. Start it as your own user: fixes that need admin rights ask for them (sudo or polkit's dialog) and run only Paddock's privileged helper as root.\n",
  );
  app.exit(2);
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Started now, so the login shell runs while Electron gets ready; the engine waits for it.
  const pathRestored = restorePath().catch((error: unknown) => {
    log(`Paddock could not restore PATH: ${String(error)}`);
  });

  app.enableSandbox();
  app.on('second-instance', () => {
    if (app.isReady()) openMainWindow();
  });
  app.on('web-contents-created', (_event, contents) => {
    hardenWebContents(contents, {
      isAllowedUrl: isOwnUrl,
      openExternal: (url) => shell.openExternal(url),
      log,
    });
  });

  void app.whenReady().then(async () => {
    registerApi({
      ipcMain,
      isTrustedSender: ownWindowSenderCheck(() => mainWindow, isOwnUrl),
      call: async (method, request) => {
        const answer = await engine.call(method, request);
        if (method === 'updateSettings' && answer.ok)
          adoptPreferences((answer.value as { preferences: Preferences }).preferences);
        return answer;
      },
      log,
    });
    watchShell = createWatchShell({
      electron: { Tray, Menu, nativeImage, Notification },
      platform: process.platform,
      engine,
      login: loginDeps,
      showWindow: () => void openMainWindow(),
      navigate,
      quit: () => app.quit(),
      log,
    });
    // Started at login: straight to the tray, the window opens on demand.
    if (!startedHidden(process.argv, loginDeps)) openMainWindow();
    else dock.windowGone();
    await pathRestored;
    engine.start();
    const settings = await engine.call('getSettings', {});
    if (settings.ok) adoptPreferences((settings.value as { preferences: Preferences }).preferences);
    else log(`Paddock could not read its settings: ${settings.error.message}`);
  });

  app.on('activate', () => {
    if (app.isReady()) openMainWindow();
  });
  // With a tray, Paddock keeps watching with no window open; without one, it quits.
  app.on('window-all-closed', () => {
    if (!watchShell?.hideOnClose()) app.quit();
  });
  app.on('before-quit', () => {
    watchShell?.markQuitting();
    watchShell?.destroy();
    engine.stop();
  });
}
