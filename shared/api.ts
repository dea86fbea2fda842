/** IPC contract between the renderer and the main process (grows with the desktop-app issue). */
import type { Snapshot } from './snapshot';

export const SCAN_CHANNEL = 'paddock:scan';

/** What the preload exposes as `window.paddock`. */
export interface PaddockApi {
  scan(): Promise<Snapshot>;
}
