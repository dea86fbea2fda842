import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as FakeElectron from './fake-electron';
import type * as TrayFakes from '../tray/fake-electron';
import type { FakeApp, FakeBrowserWindow, FakeIpcMain, FakeUtilityProcess } from './fake-electron';

/** One fresh set of Electron fakes per test: index.ts acts when it is imported. */
const state = vi.hoisted(() => ({
  app: null as FakeApp | null,
  ipcMain: null as FakeIpcMain | null,
  forks: [] as FakeUtilityProcess[],
  restore: null as ((path: string) => void) | null,
  fake: null as typeof FakeElectron | null,
  trayFake: null as typeof TrayFakes | null,
}));

vi.mock('electron', () => {
  const trayFakes = () => {
    if (!state.trayFake) throw new Error('start() first');
    return state.trayFake;
  };
  // Getters: each test (after vi.resetModules) sees the fakes start() made for it.
  const fake = () => {
    if (!state.fake) throw new Error('start() first');
    return state.fake;
  };
  return {
    get app() {
      return state.app;
    },
    get ipcMain() {
      return state.ipcMain;
    },
    get shell() {
      return fake().shell;
    },
    get BrowserWindow() {
      return fake().FakeBrowserWindow;
    },
    // The tray and notifications (watch-shell.ts) get the tray tests' fakes.
    get Tray() {
      return trayFakes().Tray;
    },
    get Menu() {
      return trayFakes().Menu;
    },
    get nativeImage() {
      return trayFakes().nativeImage;
    },
    get Notification() {
      return trayFakes().Notification;
    },
    utilityProcess: {
      fork: (modulePath: string, args: string[], options: Record<string, unknown>) => {
        const child = new (fake().FakeUtilityProcess)(modulePath, args, options);
        state.forks.push(child);
        return child;
      },
    },
  };
});

vi.mock('../../../electron/main/path-env', () => ({
  restorePath: () =>
    new Promise((resolve) => {
      state.restore = (path: string) => {
        process.env.PATH = path;
        resolve({ path, source: 'shell', shell: '/bin/sh' });
      };
    }),
}));

const savedPath = process.env.PATH;
const savedArgv = process.argv;
let created: FakeBrowserWindow[] = [];

async function start(options: { gotLock?: boolean; argv?: string[] } = {}) {
  vi.resetModules();
  process.argv = options.argv ?? ['/opt/Paddock/paddock'];
  state.forks = [];
  state.restore = null;
  const fake = await import('./fake-electron');
  state.fake = fake;
  state.trayFake = await import('../tray/fake-electron');
  state.trayFake.resetFakes();
  fake.FakeBrowserWindow.created.length = 0;
  created = fake.FakeBrowserWindow.created;
  const app = new fake.FakeApp();
  app.gotLock = options.gotLock ?? true;
  state.app = app;
  state.ipcMain = new fake.FakeIpcMain();
  await import('../../../electron/main/index');
  return { app, ipcMain: state.ipcMain!, fake };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  // The app runs as an ordinary user (these tests may run as root).
  vi.spyOn(process, 'geteuid').mockReturnValue(1000);
});
afterEach(() => {
  process.env.PATH = savedPath;
  process.argv = savedArgv;
  vi.restoreAllMocks();
});

describe('electron/main/index.ts', () => {
  it('a second instance quits at once: no window, no engine, no IPC', async () => {
    const { app, ipcMain } = await start({ gotLock: false });
    app.becomeReady();
    await flush();
    expect(app.quit).toHaveBeenCalled();
    expect(created).toHaveLength(0);
    expect(ipcMain.handlers.size).toBe(0);
    expect(state.forks).toHaveLength(0);
  });

  it('started as root (sudo or pkexec on the app binary): exits; no lock, no window, no engine', async () => {
    vi.mocked(process.geteuid!).mockReturnValue(0);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const { app, ipcMain } = await start({
        argv: ['/opt/Paddock/paddock', '--paddock-cli', '__apply-plan', 'ab'],
      });
      app.becomeReady();
      await flush();
      expect(app.exit).toHaveBeenCalledWith(2);
      expect(String(stderr.mock.calls[0]?.[0])).toMatch(/does not run as root/);
      expect(app.enableSandbox).not.toHaveBeenCalled();
      expect(created).toHaveLength(0);
      expect(ipcMain.handlers.size).toBe(0);
      expect(state.forks).toHaveLength(0);
    } finally {
      stderr.mockRestore();
    }
  });

  it('sandboxes every renderer, opens the window and the IPC, and starts the engine only after PATH', async () => {
    const { app, ipcMain } = await start();
    expect(app.enableSandbox).toHaveBeenCalled();
    app.becomeReady();
    await flush();
    expect(created).toHaveLength(1);
    expect(ipcMain.handlers.size).toBeGreaterThan(0);
    expect(state.forks).toHaveLength(0); // the login shell has not answered yet
    state.restore?.('/home/me/bin:/usr/bin');
    await flush();
    expect(state.forks).toHaveLength(1);
    const engine = state.forks[0]!;
    expect(engine.modulePath).toMatch(/[/\\]engine\.js$/);
    expect(engine.args).toEqual([]);
    expect(engine.options).toMatchObject({
      serviceName: 'Paddock engine',
      stdio: 'pipe',
      env: expect.objectContaining({ PATH: '/home/me/bin:/usr/bin' }),
    });
  });

  it('the window’s calls reach the engine; its events reach the window', async () => {
    const { app, ipcMain } = await start();
    app.becomeReady();
    await flush();
    state.restore?.('/usr/bin');
    await flush();
    const window = created[0]!;
    const engine = state.forks[0]!;
    engine.emit('message', { type: 'ready', pid: 7 });
    window.webContents.mainFrame.url = 'file:///x'; // not the app page: refused
    const fromWindow = { sender: window.webContents, senderFrame: window.webContents.mainFrame };
    const refused = await ipcMain.invoke('paddock:history', fromWindow, {});
    expect(refused).toMatchObject({ ok: false, error: { kind: 'refused' } });
    // At start the shell itself reads the preferences; the refused call never reached the engine.
    const posted = () => engine.posted as Array<{ id: number; method: string; request: unknown }>;
    expect(posted().map((m) => m.method)).toEqual(['getSettings']);

    window.webContents.mainFrame.url = new URL(
      `file://${(window.loadFile.mock.calls[0]?.[0] ?? '').replace(/\\/g, '/')}`,
    ).href;
    const answer = ipcMain.invoke('paddock:history', fromWindow, {});
    await flush();
    const history = posted().find((m) => m.method === 'history');
    expect(history).toMatchObject({ method: 'history', request: {} });
    engine.emit('message', {
      type: 'answer',
      id: history!.id,
      envelope: { ok: true, value: { runs: [], events: [], problems: [] } },
    });
    await expect(answer).resolves.toEqual({
      ok: true,
      value: { runs: [], events: [], problems: [] },
    });

    engine.emit('message', { type: 'event', event: { type: 'scan-started', at: 'now' } });
    engine.emit('message', { type: 'event', event: { type: 'not-an-event' } });
    expect(window.webContents.sent).toEqual([
      ['paddock:event', { type: 'scan-started', at: 'now' }],
    ]);
  });

  it('a second launch brings the window back instead of opening another', async () => {
    const { app } = await start();
    app.becomeReady();
    await flush();
    const window = created[0]!;
    window.minimized = true;
    app.emit('second-instance', {}, [], '/');
    expect(created).toHaveLength(1);
    expect(window.restore).toHaveBeenCalled();
    expect(window.focus).toHaveBeenCalled();
  });

  it('any other web contents is hardened too', async () => {
    const { app, fake } = await start();
    const contents = new fake.FakeWebContents();
    app.emit('web-contents-created', {}, contents);
    expect(contents.openHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    const away = { url: 'https://evil.example/', preventDefault: vi.fn() };
    contents.emit('will-navigate', away);
    expect(away.preventDefault).toHaveBeenCalled();
  });

  it('quitting kills the engine and does not restart it', async () => {
    const { app } = await start();
    app.becomeReady();
    await flush();
    state.restore?.('/usr/bin');
    await flush();
    const engine = state.forks[0]!;
    app.emit('before-quit');
    expect(engine.killed).toBe(true);
    engine.emit('exit', 0);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(state.forks).toHaveLength(1);
  });

  it('closing the last window quits', async () => {
    const { app } = await start();
    app.emit('window-all-closed');
    expect(app.quit).toHaveBeenCalled();
  });
});
