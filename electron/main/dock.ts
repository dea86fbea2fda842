/**
 * macOS: the Dock icon follows the window (issue 16). Paddock is a regular app (LSUIElement
 * false, electron-builder.yml says why): its window is reachable with Cmd-Tab and the Dock, and
 * it has its own menu bar while the window is open. Once the window is hidden or closed and the
 * tray keeps Paddock watching, the Dock icon would only stand for a window that is not there,
 * so it is hidden (`app.dock.hide()`, which makes the app a menu-bar accessory) and shown again
 * with the window. Started at login, straight to the tray: hidden from the start. Without a
 * tray the app quits when its window closes, so nothing is hidden. Elsewhere `app.dock` is
 * undefined and this does nothing.
 */

/** The part of Electron's `app.dock` this uses. */
export interface DockLike {
  show(): Promise<void> | void;
  hide(): void;
}

export interface DockFollower {
  windowShown(): void;
  /** The window was hidden or closed (or never opened, at a start at login). */
  windowGone(): void;
}

export function dockFollower(
  dock: DockLike | undefined,
  trayKeepsRunning: () => boolean,
  log: (message: string) => void = () => {},
): DockFollower {
  let hidden = false;
  return {
    windowShown() {
      if (!dock || !hidden) return;
      hidden = false;
      void Promise.resolve(dock.show()).catch((error: unknown) =>
        log(`Paddock could not show its Dock icon: ${String(error)}`),
      );
    },
    windowGone() {
      if (!dock || hidden || !trayKeepsRunning()) return;
      hidden = true;
      dock.hide();
    },
  };
}
