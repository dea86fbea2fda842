/**
 * Stand-ins for the few Electron objects the main process and the preload touch: there is no
 * Electron binary in the test environment. Each test file mocks 'electron' with these.
 */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

type PermissionRequestHandler = (
  contents: unknown,
  permission: string,
  callback: (granted: boolean) => void,
) => void;
type HeadersListener = (
  details: { responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
) => void;

export class FakeSession {
  requestHandler: PermissionRequestHandler | null = null;
  checkHandler: ((...args: unknown[]) => boolean) | null = null;
  headersListener: HeadersListener | null = null;
  setPermissionRequestHandler(handler: PermissionRequestHandler | null) {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: ((...args: unknown[]) => boolean) | null) {
    this.checkHandler = handler;
  }
  webRequest = {
    onHeadersReceived: (listener: HeadersListener | null) => {
      this.headersListener = listener;
    },
  };
}

export class FakeWebContents extends EventEmitter {
  session = new FakeSession();
  openHandler: ((details: { url: string }) => { action: string }) | null = null;
  mainFrame = { processId: 4, routingId: 1, url: '', parent: null };
  sent: Array<[string, unknown]> = [];
  destroyed = false;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.openHandler = handler;
  }
  send(channel: string, payload: unknown) {
    this.sent.push([channel, payload]);
  }
  isDestroyed() {
    return this.destroyed;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static created: FakeBrowserWindow[] = [];
  webContents = new FakeWebContents();
  loadURL = vi.fn(async (_url: string) => undefined);
  loadFile = vi.fn(async (_path: string) => undefined);
  show = vi.fn();
  hide = vi.fn();
  focus = vi.fn();
  restore = vi.fn();
  minimized = false;
  isMinimized() {
    return this.minimized;
  }
  isDestroyed() {
    return false;
  }
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.created.push(this);
  }
}

export const shell = { openExternal: vi.fn(async (_url: string) => undefined) };

/** ipcMain.handle recorded per channel, so a test can invoke a handler as Electron would. */
export class FakeIpcMain {
  handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: unknown, ...args: unknown[]) => Promise<unknown>) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return handler(event, ...args);
  }
}

/** A utility process: records what main posts, and lets the test speak for the engine. */
export class FakeUtilityProcess extends EventEmitter {
  posted: unknown[] = [];
  killed = false;
  stdout = null;
  stderr = null;
  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: Record<string, unknown>,
  ) {
    super();
  }
  postMessage(message: unknown) {
    this.posted.push(message);
  }
  kill() {
    this.killed = true;
    return true;
  }
}

/** Electron's app: records its listeners so a test can fire 'second-instance' or 'before-quit'. */
export class FakeApp extends EventEmitter {
  isPackaged = true;
  gotLock = true;
  ready = false;
  quit = vi.fn();
  exit = vi.fn();
  enableSandbox = vi.fn();
  private readyResolve: (() => void) | null = null;
  private readyPromise = new Promise<void>((resolve) => (this.readyResolve = resolve));
  requestSingleInstanceLock() {
    return this.gotLock;
  }
  isReady() {
    return this.ready;
  }
  whenReady() {
    return this.readyPromise;
  }
  becomeReady() {
    this.ready = true;
    this.readyResolve?.();
  }
}
