/**
 * The sandboxed preload: `window.paddock`, one named function per contract method, and
 * nothing else (never ipcRenderer itself). Imports only the zod-free half of the contract so
 * that it stays small; the main process validates every request and answer.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { CHANNELS, EVENTS_CHANNEL, unwrap } from '../../shared/channels';
import type { Envelope } from '../../shared/channels';
import type { AppEvent, PaddockApi } from '../../shared/api';

async function invoke<T>(channel: string, request: object | undefined): Promise<T> {
  const envelope = (await ipcRenderer.invoke(channel, request ?? {})) as Envelope<T>;
  return unwrap(envelope);
}

const paddockApi: PaddockApi = {
  scan: (request) => invoke(CHANNELS.scan, request),
  snapshot: () => invoke(CHANNELS.snapshot, undefined),
  planFix: (request) => invoke(CHANNELS.planFix, request),
  shareOffers: (request) => invoke(CHANNELS.shareOffers, request),
  applyFix: (request) => invoke(CHANNELS.applyFix, request),
  undo: (request) => invoke(CHANNELS.undo, request),
  acceptRisk: (request) => invoke(CHANNELS.acceptRisk, request),
  withdrawRisk: (request) => invoke(CHANNELS.withdrawRisk, request),
  history: () => invoke(CHANNELS.history, undefined),
  getSettings: () => invoke(CHANNELS.getSettings, undefined),
  updateSettings: (request) => invoke(CHANNELS.updateSettings, request),
  adminCopy: (request) => invoke(CHANNELS.adminCopy, request),
  subscribe(listener) {
    // The page gets the event alone: IpcRendererEvent carries `sender` (ipcRenderer itself).
    const handler = (_event: IpcRendererEvent, appEvent: AppEvent) => listener(appEvent);
    ipcRenderer.on(EVENTS_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENTS_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('paddock', paddockApi);
