import type { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const bridge = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  invoke: vi.fn<(channel: string, ...args: unknown[]) => Promise<unknown>>(),
  emitter: null as EventEmitter | null,
}));

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const emitter = new Emitter();
  bridge.emitter = emitter;
  return {
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => bridge.exposed.set(key, api),
    },
    ipcRenderer: {
      invoke: bridge.invoke,
      on: (channel: string, listener: (...args: unknown[]) => void) =>
        emitter.on(channel, listener),
      removeListener: (channel: string, listener: (...args: unknown[]) => void) =>
        emitter.removeListener(channel, listener),
    },
  };
});

import '../../../electron/preload/index';
import { CHANNELS, EVENTS_CHANNEL, PaddockError } from '../../../shared/channels';
import type { AppEvent, PaddockApi } from '../../../shared/api';

/** Every key of PaddockApi, checked by the compiler: a method added to the contract fails here. */
const CONTRACT: Record<keyof PaddockApi, true> = {
  scan: true,
  snapshot: true,
  planFix: true,
  shareOffers: true,
  applyFix: true,
  undo: true,
  acceptRisk: true,
  withdrawRisk: true,
  history: true,
  getSettings: true,
  updateSettings: true,
  adminCopy: true,
  subscribe: true,
};

function paddock(): PaddockApi {
  const api = bridge.exposed.get('paddock') as PaddockApi | undefined;
  if (!api) throw new Error('window.paddock was not exposed');
  return api;
}

function events(): EventEmitter {
  if (!bridge.emitter) throw new Error('ipcRenderer was not mocked');
  return bridge.emitter;
}

beforeEach(() => {
  bridge.invoke.mockReset();
});

describe('window.paddock', () => {
  it('is the only thing exposed, with exactly the contract’s methods', () => {
    expect([...bridge.exposed.keys()]).toEqual(['paddock']);
    expect(Object.keys(paddock()).sort()).toEqual(Object.keys(CONTRACT).sort());
    for (const method of Object.values(paddock())) expect(method).toBeTypeOf('function');
  });

  it('each method invokes its own channel with the request, {} when there is none', async () => {
    bridge.invoke.mockResolvedValue({ ok: true, value: 'v' });
    const api = paddock();
    await api.scan();
    await api.scan({ gpu: true });
    await api.snapshot();
    await api.planFix({ fixId: 'rebind-systemd', instance: 'ollama:pid:1' });
    await api.applyFix({ digest: 'a'.repeat(64) });
    await api.undo({ runId: '20250101T000000000Z-0badf00d' });
    await api.acceptRisk({ ruleId: 'cors-wildcard', instance: null, reason: 'lab', until: null });
    await api.withdrawRisk({ ruleId: 'cors-wildcard', instance: null });
    await api.history();
    await api.getSettings();
    await api.updateSettings({ notifications: false });
    await api.adminCopy({ action: 'status' });
    expect(bridge.invoke.mock.calls).toEqual([
      [CHANNELS.scan, {}],
      [CHANNELS.scan, { gpu: true }],
      [CHANNELS.snapshot, {}],
      [CHANNELS.planFix, { fixId: 'rebind-systemd', instance: 'ollama:pid:1' }],
      [CHANNELS.applyFix, { digest: 'a'.repeat(64) }],
      [CHANNELS.undo, { runId: '20250101T000000000Z-0badf00d' }],
      [
        CHANNELS.acceptRisk,
        { ruleId: 'cors-wildcard', instance: null, reason: 'lab', until: null },
      ],
      [CHANNELS.withdrawRisk, { ruleId: 'cors-wildcard', instance: null }],
      [CHANNELS.history, {}],
      [CHANNELS.getSettings, {}],
      [CHANNELS.updateSettings, { notifications: false }],
      [CHANNELS.adminCopy, { action: 'status' }],
    ]);
  });

  it('answers the value of an ok envelope', async () => {
    bridge.invoke.mockResolvedValue({ ok: true, value: null });
    await expect(paddock().snapshot()).resolves.toBeNull();
  });

  it('throws a PaddockError with the kind and the engine’s words on ok: false', async () => {
    bridge.invoke.mockResolvedValue({
      ok: false,
      error: { kind: 'engine', message: 'No Ollama server is running.' },
    });
    const error = await paddock()
      .history()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaddockError);
    expect(error).toMatchObject({ kind: 'engine', message: 'No Ollama server is running.' });
  });

  it('an answer that is not an envelope is an invalid-result PaddockError', async () => {
    bridge.invoke.mockResolvedValue('surprise');
    await expect(paddock().getSettings()).rejects.toMatchObject({
      name: 'PaddockError',
      kind: 'invalid-result',
    });
  });
});

describe('subscribe', () => {
  const started: AppEvent = { type: 'scan-started', at: '2025-01-01T00:00:00Z' };
  const failed: AppEvent = { type: 'scan-failed', message: 'ss is missing' };

  it('passes the event alone to the listener, never the IpcRendererEvent', () => {
    const listener = vi.fn();
    paddock().subscribe(listener);
    const ipcEvent = { sender: { send: () => undefined }, ports: [] };
    events().emit(EVENTS_CHANNEL, ipcEvent, started);
    expect(listener.mock.calls).toEqual([[started]]);
    events().removeAllListeners(EVENTS_CHANNEL);
  });

  it('the returned function stops exactly that listener', () => {
    const first = vi.fn();
    const second = vi.fn();
    const stopFirst = paddock().subscribe(first);
    const stopSecond = paddock().subscribe(second);
    events().emit(EVENTS_CHANNEL, {}, started);
    stopFirst();
    events().emit(EVENTS_CHANNEL, {}, failed);
    expect(first.mock.calls).toEqual([[started]]);
    expect(second.mock.calls).toEqual([[started], [failed]]);
    stopSecond();
    expect(events().listenerCount(EVENTS_CHANNEL)).toBe(0);
  });

  it('does not listen on any other channel', () => {
    const listener = vi.fn();
    const stop = paddock().subscribe(listener);
    events().emit(CHANNELS.scan, {}, started);
    expect(listener).not.toHaveBeenCalled();
    stop();
  });
});

describe('the preload stays small', () => {
  it('imports values only from electron and the zod-free shared/channels', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync('electron/preload/index.ts', 'utf8');
    const valueImports = [...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)].map(
      (match) => match[1],
    );
    expect(valueImports.sort()).toEqual(['../../shared/channels', 'electron']);
    const channels = readFileSync('shared/channels.ts', 'utf8');
    expect(channels).not.toMatch(/from\s+'zod'/);
  });
});
