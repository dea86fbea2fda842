import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({}));

import type { IpcMainInvokeEvent } from 'electron';
import { ownWindowSenderCheck, registerApi, sendEvent } from '../../../electron/main/ipc';
import type { EngineCall, IpcMainLike } from '../../../electron/main/ipc';
import {
  API,
  API_METHODS,
  CHANNELS,
  DEFAULT_PREFERENCES,
  EVENTS_CHANNEL,
} from '../../../shared/api';
import type { Envelope } from '../../../shared/api';
import { FakeIpcMain, FakeWebContents } from './fake-electron';

const APP_URL = 'file:///opt/Paddock/out/renderer/index.html';
const quiet = () => undefined;
const SETTINGS = {
  preferences: DEFAULT_PREFERENCES,
  acceptedRisks: [],
  settingsPath: '/home/me/.config/Paddock/settings.json',
  problem: null,
};

/** Paddock's window and a call from it (or from somewhere else). */
function setup(
  answer: (method: string, request: unknown) => unknown = () => ({ ok: true, value: SETTINGS }),
) {
  const ipcMain = new FakeIpcMain();
  const window = { webContents: new FakeWebContents() };
  window.webContents.mainFrame.url = APP_URL;
  const call = vi.fn<EngineCall>(
    async (method, request) => answer(method, request) as Envelope<unknown>,
  );
  const logged: string[] = [];
  const unregister = registerApi({
    ipcMain: ipcMain as unknown as IpcMainLike,
    isTrustedSender: ownWindowSenderCheck(
      () => window,
      (url) => url.startsWith(APP_URL),
    ),
    call,
    log: (message) => logged.push(message),
  });
  const fromWindow = {
    sender: window.webContents,
    senderFrame: { ...window.webContents.mainFrame, parent: null },
  } as unknown as IpcMainInvokeEvent;
  return { ipcMain, window, call, logged, unregister, fromWindow };
}

describe('registerApi', () => {
  it('registers one handler per contract method, on the contract’s channel, and removes them', () => {
    const { ipcMain, unregister } = setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual(Object.values(CHANNELS).sort());
    expect(API_METHODS).toHaveLength(Object.keys(CHANNELS).length);
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('a valid call from the window reaches the engine with the parsed request', async () => {
    const { ipcMain, call, fromWindow } = setup();
    const answer = await ipcMain.invoke(CHANNELS.getSettings, fromWindow, {});
    expect(answer).toEqual({ ok: true, value: SETTINGS });
    expect(call).toHaveBeenCalledExactlyOnceWith('getSettings', {});
  });

  it('passes the engine’s own refusal through', async () => {
    const refusal = { ok: false, error: { kind: 'engine', message: 'Another fix is running.' } };
    const { ipcMain, fromWindow } = setup(() => refusal);
    const answer = await ipcMain.invoke(CHANNELS.applyFix, fromWindow, { digest: 'a'.repeat(64) });
    expect(answer).toEqual(refusal);
  });
});

describe('a sender that is not Paddock’s window is refused', () => {
  it('another web contents: refused, the engine never called', async () => {
    const { ipcMain, call, fromWindow } = setup();
    const other = new FakeWebContents();
    other.mainFrame.url = APP_URL;
    const foreign = {
      sender: other,
      senderFrame: { ...other.mainFrame },
    } as unknown as IpcMainInvokeEvent;
    const answer = await ipcMain.invoke(CHANNELS.scan, foreign, {});
    expect(answer).toMatchObject({ ok: false, error: { kind: 'refused' } });
    expect(call).not.toHaveBeenCalled();
    // The same call from the window goes through: the refusal is about the sender alone.
    await ipcMain.invoke(CHANNELS.getSettings, fromWindow, {});
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('an iframe of the window, or the window showing another page: refused', async () => {
    const { ipcMain, call, window } = setup();
    const iframe = {
      sender: window.webContents,
      senderFrame: {
        processId: 4,
        routingId: 7,
        url: APP_URL,
        parent: window.webContents.mainFrame,
      },
    } as unknown as IpcMainInvokeEvent;
    const elsewhere = {
      sender: window.webContents,
      senderFrame: { ...window.webContents.mainFrame, url: 'https://evil.example/' },
    } as unknown as IpcMainInvokeEvent;
    const subFrame = {
      sender: window.webContents,
      senderFrame: { ...window.webContents.mainFrame, parent: window.webContents.mainFrame },
    } as unknown as IpcMainInvokeEvent;
    const noFrame = {
      sender: window.webContents,
      senderFrame: null,
    } as unknown as IpcMainInvokeEvent;
    for (const event of [iframe, subFrame, elsewhere, noFrame]) {
      expect(await ipcMain.invoke(CHANNELS.history, event, {})).toMatchObject({
        ok: false,
        error: { kind: 'refused' },
      });
    }
    expect(call).not.toHaveBeenCalled();
  });

  it('no window yet: everything is refused', async () => {
    const ipcMain = new FakeIpcMain();
    const call = vi.fn<EngineCall>();
    registerApi({
      ipcMain: ipcMain as unknown as IpcMainLike,
      isTrustedSender: ownWindowSenderCheck(
        () => null,
        () => true,
      ),
      call,
      log: quiet,
    });
    const event = {
      sender: new FakeWebContents(),
      senderFrame: null,
    } as unknown as IpcMainInvokeEvent;
    expect(await ipcMain.invoke(CHANNELS.snapshot, event, {})).toMatchObject({
      error: { kind: 'refused' },
    });
    expect(call).not.toHaveBeenCalled();
  });
});

describe('payloads are validated before the engine hears of them', () => {
  it.each([
    ['planFix', { fixId: 'rm-rf', instance: null }, 'fixId'],
    ['applyFix', { digest: 'not-a-digest' }, 'digest'],
    ['undo', { runId: '../../etc/passwd' }, 'runId'],
    ['acceptRisk', { ruleId: 'x', instance: null, reason: '', until: null }, 'reason'],
    ['updateSettings', { scanIntervalMinutes: 0 }, 'scanIntervalMinutes'],
    ['scan', { gpu: true, extra: 1 }, 'extra'],
    ['snapshot', null, ''],
  ] as const)('%s with %j: invalid-request naming %s', async (method, request, field) => {
    const { ipcMain, call, fromWindow } = setup();
    const answer = (await ipcMain.invoke(
      API[method].channel,
      fromWindow,
      request,
    )) as Envelope<unknown>;
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.error.kind).toBe('invalid-request');
    expect(answer.error.message).toContain(method);
    expect(answer.error.message).toContain(field);
    expect(call).not.toHaveBeenCalled();
  });

  it('no argument, or more than one, is refused too', async () => {
    const { ipcMain, call, fromWindow } = setup();
    expect(await ipcMain.invoke(CHANNELS.history, fromWindow)).toMatchObject({
      error: { kind: 'invalid-request' },
    });
    expect(await ipcMain.invoke(CHANNELS.history, fromWindow, {}, {})).toMatchObject({
      error: { kind: 'invalid-request' },
    });
    expect(call).not.toHaveBeenCalled();
  });
});

describe('the engine’s answers are validated before the page sees them', () => {
  it('a value that is not the contract’s shape: invalid-result', async () => {
    const { ipcMain, fromWindow, logged } = setup(() => ({
      ok: true,
      value: { ...SETTINGS, preferences: { scanIntervalMinutes: 'often' } },
    }));
    const answer = await ipcMain.invoke(CHANNELS.getSettings, fromWindow, {});
    expect(answer).toMatchObject({ ok: false, error: { kind: 'invalid-result' } });
    expect(logged.join('\n')).toContain('getSettings');
  });

  it('something that is not an envelope, or an error of an unknown kind: invalid-result', async () => {
    for (const bad of [
      undefined,
      'ok',
      { value: SETTINGS },
      { ok: false, error: { kind: 'oops', message: 'x' } },
    ]) {
      const { ipcMain, fromWindow } = setup(() => bad);
      expect(await ipcMain.invoke(CHANNELS.getSettings, fromWindow, {})).toMatchObject({
        ok: false,
        error: { kind: 'invalid-result' },
      });
    }
  });

  it('a rejected engine call answers an envelope, never throws across IPC', async () => {
    const { ipcMain, fromWindow } = setup(() => {
      throw new Error('port closed');
    });
    await expect(ipcMain.invoke(CHANNELS.history, fromWindow, {})).resolves.toMatchObject({
      ok: false,
      error: { kind: 'unavailable' },
    });
  });

  it('extra keys in a valid answer do not reach the page', async () => {
    const { ipcMain, fromWindow } = setup(() => ({
      ok: true,
      value: { ...SETTINGS, secret: '/root/.ssh/id_rsa' },
    }));
    const answer = (await ipcMain.invoke(CHANNELS.getSettings, fromWindow, {})) as {
      value: Record<string, unknown>;
    };
    expect(answer.value).not.toHaveProperty('secret');
  });
});

describe('sendEvent', () => {
  const navigate = { type: 'navigate', view: 'history', findingId: null, fixId: null } as const;

  it('sends a valid event on the events channel', () => {
    const contents = new FakeWebContents();
    expect(sendEvent(contents, navigate, quiet)).toBe(true);
    expect(contents.sent).toEqual([[EVENTS_CHANNEL, navigate]]);
  });

  it('drops and logs an event that is not the contract’s', () => {
    const contents = new FakeWebContents();
    const logged: string[] = [];
    const log = (message: string) => logged.push(message);
    expect(
      sendEvent(
        contents,
        { type: 'navigate', view: 'file:///etc', findingId: null, fixId: null },
        log,
      ),
    ).toBe(false);
    expect(sendEvent(contents, { type: 'run-this', command: 'rm -rf /' }, log)).toBe(false);
    expect(sendEvent(contents, null, log)).toBe(false);
    expect(contents.sent).toEqual([]);
    expect(logged).toHaveLength(3);
    expect(logged[1]).toContain('run-this');
  });

  it('no window, or a destroyed one: nothing is sent', () => {
    const contents = new FakeWebContents();
    contents.destroyed = true;
    expect(sendEvent(contents, navigate, quiet)).toBe(false);
    expect(sendEvent(null, navigate, quiet)).toBe(false);
    expect(contents.sent).toEqual([]);
  });
});
