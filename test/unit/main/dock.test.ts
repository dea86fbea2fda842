/**
 * macOS: the Dock icon follows the window while the tray keeps Paddock running (dock.ts).
 */
import { describe, expect, it } from 'vitest';
import { dockFollower } from '../../../electron/main/dock';

function fakeDock() {
  const calls: string[] = [];
  return {
    calls,
    dock: {
      show: () => {
        calls.push('show');
        return Promise.resolve();
      },
      hide: () => void calls.push('hide'),
    },
  };
}

describe('dockFollower', () => {
  it('hides the Dock icon when the window goes and the tray keeps running, and shows it with the window', () => {
    const { calls, dock } = fakeDock();
    const follower = dockFollower(dock, () => true);
    follower.windowShown(); // shown from the start: nothing to do
    follower.windowGone();
    follower.windowGone(); // hidden, then closed: once
    follower.windowShown();
    follower.windowShown();
    expect(calls).toEqual(['hide', 'show']);
  });

  it('without a tray (the app quits with its window) the Dock icon is never hidden', () => {
    const { calls, dock } = fakeDock();
    const follower = dockFollower(dock, () => false);
    follower.windowGone();
    follower.windowShown();
    expect(calls).toEqual([]);
  });

  it('no Dock (Linux, Windows): nothing happens', () => {
    const follower = dockFollower(undefined, () => true);
    expect(() => {
      follower.windowGone();
      follower.windowShown();
    }).not.toThrow();
  });

  it('a refused show is logged, not thrown', async () => {
    const said: string[] = [];
    const follower = dockFollower(
      { show: () => Promise.reject(new Error('no')), hide: () => {} },
      () => true,
      (m) => void said.push(m),
    );
    follower.windowGone();
    follower.windowShown();
    await new Promise((r) => setTimeout(r, 0));
    expect(said).toEqual(['Paddock could not show its Dock icon: Error: no']);
  });
});
