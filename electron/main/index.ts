/**
 * Electron shell (placeholder until the desktop-app issue): one locked-down window that shows
 * the engine's verdict. The engine is plain Node and knows nothing of Electron.
 */
import { join } from 'node:path';
import { BrowserWindow, app, ipcMain, shell } from 'electron';
import { createNodeHost } from '../engine/host/node-host';
import { scan } from '../engine/scan';
import { SCAN_CHANNEL } from '../../shared/api';

let mainWindow: BrowserWindow | null = null;

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1100,
    height: 760,
    show: false,
    title: 'Paddock',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  const devServer = process.env.ELECTRON_RENDERER_URL;
  if (!app.isPackaged && devServer) void window.loadURL(devServer);
  else void window.loadFile(join(__dirname, '../renderer/index.html'));
  return window;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  void app.whenReady().then(() => {
    ipcMain.handle(SCAN_CHANNEL, async (event) => {
      if (!mainWindow || event.sender !== mainWindow.webContents)
        throw new Error('refused: unknown sender');
      return scan(createNodeHost());
    });
    mainWindow = createWindow();
  });
  app.on('window-all-closed', () => app.quit());
}
