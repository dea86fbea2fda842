import { contextBridge, ipcRenderer } from 'electron';
import type { PaddockApi } from '../../shared/api';
import { SCAN_CHANNEL } from '../../shared/api';

const api: PaddockApi = {
  scan: () => ipcRenderer.invoke(SCAN_CHANNEL),
};

contextBridge.exposeInMainWorld('paddock', api);
