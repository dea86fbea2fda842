/**
 * Electron main: wires the window, the IPC manager and the engine process together. The logic
 * lives in the modules beside this file; this one only decides the order: a CLI start
 * (app-cli.ts), else the single-instance lock → PATH from the login shell (while Electron gets
 * ready) → window and IPC → the engine process once PATH is known.
 */
import { join } from 'node:path';
import { app, ipcMain, shell, utilityProcess } from 'electron';
import type { BrowserWindow } from 'electron';
import { APP_CLI_FLAG, runAppCli } from './app-cli';
import { createEngineHost } from './engine-host';
import { ownWindowSenderCheck, registerApi, sendEvent } from './ipc';
import { restorePath } from './path-env';
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

const engine = createEngineHost({
  fork: () =>
    utilityProcess.fork(ENGINE_ENTRY, [], {
      serviceName: 'Paddock engine',
      stdio: 'pipe',
      env: { ...process.env },
    }),
  onEvent: (event) => sendEvent(mainWindow?.webContents, event, log),
  log,
});

function openMainWindow(): BrowserWindow {
  if (mainWindow && !mainWindow.isDestroyed()) {
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
    return mainWindow;
  }
  const window = createMainWindow({ preloadPath: PRELOAD, source, log });
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  mainWindow = window;
  return window;
}

if (process.argv.includes(APP_CLI_FLAG)) {
  // sudo/pkexec running the privileged side of a fix with this binary: no window, no lock.
  app.dock?.hide();
  void runAppCli([process.execPath, ...process.argv.slice(1)], (code) => app.exit(code));
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
      call: (method, request) => engine.call(method, request),
      log,
    });
    openMainWindow();
    await pathRestored;
    engine.start();
  });

  app.on('activate', () => {
    if (app.isReady()) openMainWindow();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => engine.stop());
}
