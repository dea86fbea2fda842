/** Tray state per verdict, paused and unknown; the controller touches the Tray only on change. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fake-electron'));

import * as electron from 'electron';
import {
  clockText,
  createTrayController,
  mainFixOf,
  nextMorning,
  shouldHideOnClose,
  trayState,
  type MenuSpec,
  type TrayActions,
  type TrayInput,
} from '../../../electron/main/tray';
import type { Finding } from '../../../shared/findings';
import { FakeMenu, Tray, resetFakes } from './fake-electron';

// Local calendar times, so the tests hold in every time zone.
const NOW = new Date(2026, 2, 10, 14, 5);
const MAIN_FIX = {
  fixId: 'rebind-systemd',
  findingId: 'exposed-to-lan@ollama:11434',
  title: 'Bind Ollama to this machine only',
} as const;

function input(overrides: Partial<TrayInput> = {}): TrayInput {
  return {
    verdict: 'private',
    pausedUntil: null,
    scanning: false,
    lastScanAt: new Date(2026, 2, 10, 14, 2),
    mainFix: null,
    now: NOW,
    ...overrides,
  };
}

function item(menu: MenuSpec[], id: string) {
  const found = menu.find((entry) => entry.type === 'normal' && entry.id === id);
  return found?.type === 'normal' ? found : undefined;
}

const ids = (menu: MenuSpec[]) => menu.map((entry) => (entry.type === 'normal' ? entry.id : '---'));

describe('trayState', () => {
  it('private: green icon, the verdict in the tooltip, no fix to offer', () => {
    const state = trayState(input());
    expect(state.icon).toBe('private');
    expect(state.tooltip).toBe('Paddock: Ollama is private to this machine');
    expect(state.statusLine).toBe('Ollama is private to this machine (checked 14:02)');
    expect(item(state.menu, 'status')).toMatchObject({ label: state.statusLine, enabled: false });
    expect(item(state.menu, 'fix-exposure')?.enabled).toBe(false);
    expect(ids(state.menu)).toEqual([
      'status',
      '---',
      'scan-now',
      'open',
      'fix-exposure',
      '---',
      'pause-hour',
      'pause-tomorrow',
      '---',
      'quit',
    ]);
  });

  it('Fix exposure stays disabled when private even if a fix is known', () => {
    expect(item(trayState(input({ mainFix: MAIN_FIX })).menu, 'fix-exposure')?.enabled).toBe(false);
  });

  it('local network: amber icon, the tooltip says so, Fix exposure names the fix', () => {
    const state = trayState(input({ verdict: 'lan', mainFix: MAIN_FIX }));
    expect(state.icon).toBe('lan');
    expect(state.tooltip).toBe('Paddock: Ollama is reachable from the local network');
    expect(item(state.menu, 'fix-exposure')).toMatchObject({
      enabled: true,
      sublabel: MAIN_FIX.title,
    });
  });

  it('internet without a known fix: red icon, Fix exposure disabled', () => {
    const state = trayState(input({ verdict: 'internet' }));
    expect(state.icon).toBe('internet');
    expect(state.tooltip).toBe('Paddock: Ollama is reachable from the internet');
    expect(item(state.menu, 'fix-exposure')?.enabled).toBe(false);
  });

  it('unknown, and no scan yet, show the grey icon', () => {
    expect(trayState(input({ verdict: 'unknown' })).icon).toBe('unknown');
    const first = trayState(input({ verdict: null, lastScanAt: null }));
    expect(first.icon).toBe('unknown');
    expect(first.tooltip).toBe('Paddock: Not scanned yet');
    expect(first.statusLine).toBe('Not scanned yet');
  });

  it('while scanning, Scan now is disabled and the status says so', () => {
    const state = trayState(input({ verdict: 'lan', scanning: true }));
    expect(state.statusLine).toBe('Ollama is reachable from the local network (scanning…)');
    expect(item(state.menu, 'scan-now')?.enabled).toBe(false);
    expect(trayState(input({ verdict: null, scanning: true })).statusLine).toBe('Scanning…');
  });

  it('paused: pause icon, the time it resumes, Resume instead of the pause items', () => {
    const state = trayState(
      input({ verdict: 'lan', mainFix: MAIN_FIX, pausedUntil: new Date(2026, 2, 11, 8, 0) }),
    );
    expect(state.icon).toBe('paused');
    expect(state.tooltip).toBe(
      'Paddock (paused until 08:00 tomorrow): Ollama is reachable from the local network',
    );
    expect(state.statusLine).toMatch(/^Paused until 08:00 tomorrow\. /);
    expect(ids(state.menu)).toContain('resume');
    expect(ids(state.menu)).not.toContain('pause-hour');
    expect(ids(state.menu)).not.toContain('pause-tomorrow');
    // The last verdict still stands: the fix is still offered.
    expect(item(state.menu, 'fix-exposure')?.enabled).toBe(true);
  });

  it('"Pause until tomorrow" names the time it resumes', () => {
    const label = (now: Date) => item(trayState(input({ now })).menu, 'pause-tomorrow')?.label;
    expect(label(NOW)).toBe('Pause until 08:00 tomorrow');
    expect(label(new Date(2026, 2, 11, 0, 30))).toBe('Pause until 08:00');
  });

  it('a pause that has run out is no pause', () => {
    const state = trayState(input({ pausedUntil: new Date(2026, 2, 10, 14, 0) }));
    expect(state.icon).toBe('private');
    expect(ids(state.menu)).toContain('pause-hour');
  });

  it('keeps the tooltip within the 127 characters Windows shows', () => {
    const state = trayState(
      input({ verdict: 'internet', pausedUntil: new Date(2027, 11, 31, 23, 59) }),
    );
    expect(state.tooltip.length).toBeLessThanOrEqual(127);
  });
});

describe('times', () => {
  it('"until tomorrow" is the next 08:00 local time', () => {
    expect(nextMorning(new Date(2026, 2, 10, 23, 0))).toEqual(new Date(2026, 2, 11, 8, 0));
    expect(nextMorning(new Date(2026, 2, 10, 14, 5))).toEqual(new Date(2026, 2, 11, 8, 0));
    // After midnight, tomorrow morning is this morning.
    expect(nextMorning(new Date(2026, 2, 11, 0, 30))).toEqual(new Date(2026, 2, 11, 8, 0));
    expect(nextMorning(new Date(2026, 2, 11, 8, 0))).toEqual(new Date(2026, 2, 12, 8, 0));
    // Month end.
    expect(nextMorning(new Date(2026, 0, 31, 22, 0))).toEqual(new Date(2026, 1, 1, 8, 0));
  });

  it('clock text says the day when it is not today', () => {
    expect(clockText(new Date(2026, 2, 10, 9, 7), NOW)).toBe('09:07');
    expect(clockText(new Date(2026, 2, 11, 8, 0), NOW)).toBe('08:00 tomorrow');
    expect(clockText(new Date(2026, 2, 20, 8, 0), NOW)).toBe('08:00 on 2026-03-20');
  });
});

describe('mainFixOf', () => {
  const finding = (overrides: Partial<Finding>): Finding => ({
    id: 'exposed-to-lan@ollama:11434',
    ruleId: 'exposed-to-lan',
    instance: 'ollama:11434',
    severity: 'high',
    category: 'exposure',
    title: 'Ollama is reachable from the local network',
    summary: '',
    attackerCan: [],
    evidence: [],
    fixes: ['rebind-systemd', 'block-port'],
    references: [],
    accepted: null,
    ...overrides,
  });

  it('the first plannable fix of the worst open exposure finding', () => {
    const fix = mainFixOf([
      finding({ id: 'request-logging@x', category: 'logging', fixes: ['stop-request-logging'] }),
      finding({}),
      finding({
        id: 'exposed-to-internet@ollama:11434',
        severity: 'critical',
        fixes: ['enable-firewall', 'block-port'],
      }),
    ]);
    expect(fix).toEqual({
      fixId: 'block-port',
      findingId: 'exposed-to-internet@ollama:11434',
      title: 'Close the port to other machines',
    });
  });

  it('none when the exposure is accepted or only fixable by hand', () => {
    const accepted = { reason: 'lab box', acceptedAt: '2026-03-01T00:00:00Z', expiresAt: null };
    expect(mainFixOf([finding({ accepted })])).toBeNull();
    expect(mainFixOf([finding({ fixes: ['enable-firewall', 'proxy-auth'] })])).toBeNull();
    expect(mainFixOf([])).toBeNull();
  });
});

describe('shouldHideOnClose', () => {
  it('hides to the tray unless quitting or there is no tray', () => {
    expect(shouldHideOnClose({ quitting: false, trayAvailable: true })).toBe(true);
    expect(shouldHideOnClose({ quitting: true, trayAvailable: true })).toBe(false);
    expect(shouldHideOnClose({ quitting: false, trayAvailable: false })).toBe(false);
  });
});

describe('createTrayController (mocked electron)', () => {
  let actions: { [K in keyof TrayActions]: ReturnType<typeof vi.fn> };
  let clock: Date;

  beforeEach(() => {
    resetFakes();
    clock = NOW;
    actions = {
      scanNow: vi.fn(),
      openWindow: vi.fn(),
      openFix: vi.fn(),
      pause: vi.fn(),
      quit: vi.fn(),
    };
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const create = (platform: NodeJS.Platform = 'linux') =>
    createTrayController({
      electron,
      platform,
      actions: actions as unknown as TrayActions,
      clock: () => clock,
    });
  const tray = () => {
    const only = Tray.instances[0];
    if (!only || Tray.instances.length !== 1) throw new Error('expected one Tray');
    return only;
  };
  const menu = () => {
    if (!(tray().menu instanceof FakeMenu)) throw new Error('no menu set');
    return tray().menu as FakeMenu;
  };

  it('sets image, tooltip and menu once, then nothing when nothing changed', () => {
    const controller = create();
    controller.update(input());
    expect(tray().calls.map((call) => call.method)).toEqual([
      'setImage',
      'setToolTip',
      'setContextMenu',
    ]);
    controller.update(input());
    controller.update(input({ now: new Date(NOW.getTime() + 1000) }));
    expect(tray().calls).toHaveLength(3);
  });

  it('changes only what changed: a new scan time rebuilds the menu, not the icon', () => {
    const controller = create();
    controller.update(input());
    tray().calls.length = 0;
    controller.update(input({ lastScanAt: new Date(2026, 2, 10, 14, 4) }));
    expect(tray().calls.map((call) => call.method)).toEqual(['setContextMenu']);
    tray().calls.length = 0;
    controller.update(input({ lastScanAt: new Date(2026, 2, 10, 14, 4), verdict: 'internet' }));
    expect(tray().calls.map((call) => call.method)).toEqual([
      'setImage',
      'setToolTip',
      'setContextMenu',
    ]);
    expect(tray().toolTip).toBe('Paddock: Ollama is reachable from the internet');
  });

  it('reuses one image per state', () => {
    const controller = create('darwin');
    controller.update(input({ verdict: 'lan' }));
    const lan = tray().image;
    controller.update(input({ verdict: 'private' }));
    controller.update(input({ verdict: 'lan' }));
    expect(tray().image).toBe(lan);
    expect(lan.template).toBe(true);
  });

  it('menu clicks call the matching actions', () => {
    const controller = create();
    controller.update(input({ verdict: 'lan', mainFix: MAIN_FIX }));
    menu().click('scan-now');
    expect(actions.scanNow).toHaveBeenCalledTimes(1);
    menu().click('open');
    expect(actions.openWindow).toHaveBeenCalledTimes(1);
    menu().click('fix-exposure');
    expect(actions.openFix).toHaveBeenCalledWith(MAIN_FIX.findingId, MAIN_FIX.fixId);
    menu().click('pause-hour');
    expect(actions.pause).toHaveBeenLastCalledWith(new Date(2026, 2, 10, 15, 5));
    menu().click('pause-tomorrow');
    expect(actions.pause).toHaveBeenLastCalledWith(new Date(2026, 2, 11, 8, 0));
    menu().click('quit');
    expect(actions.quit).toHaveBeenCalledTimes(1);
  });

  it('Fix exposure is disabled when private, and opens the current fix after a change', () => {
    const controller = create();
    controller.update(input({ mainFix: MAIN_FIX }));
    expect(() => menu().click('fix-exposure')).toThrow(/disabled/);
    const other = {
      fixId: 'block-port',
      findingId: 'exposed-to-internet@x',
      title: 'Block',
    } as const;
    controller.update(input({ verdict: 'internet', mainFix: other }));
    menu().click('fix-exposure');
    expect(actions.openFix).toHaveBeenCalledWith('exposed-to-internet@x', 'block-port');
  });

  it('Resume watching clears the pause', () => {
    const controller = create();
    controller.update(input({ pausedUntil: new Date(2026, 2, 10, 15, 0) }));
    expect(menu().labels()).toContain('Resume watching');
    menu().click('resume');
    expect(actions.pause).toHaveBeenCalledWith(null);
  });

  it('redraws by itself when the pause runs out', () => {
    vi.useFakeTimers();
    const controller = create();
    controller.update(input({ pausedUntil: new Date(NOW.getTime() + 60_000) }));
    expect(tray().toolTip).toMatch(/paused/);
    clock = new Date(NOW.getTime() + 61_000);
    vi.advanceTimersByTime(61_000);
    expect(tray().toolTip).toBe('Paddock: Ollama is private to this machine');
    controller.destroy();
  });

  it('a click on the icon opens the window on Linux and Windows, not on macOS', () => {
    create('linux');
    tray().emit('click');
    expect(actions.openWindow).toHaveBeenCalledTimes(1);
    resetFakes();
    create('darwin');
    tray().emit('click');
    expect(actions.openWindow).toHaveBeenCalledTimes(1);
  });

  it('destroy removes the icon and later updates touch nothing', () => {
    const controller = create();
    controller.update(input());
    controller.destroy();
    expect(tray().destroyed).toBe(true);
    tray().calls.length = 0;
    controller.update(input({ verdict: 'internet' }));
    expect(tray().calls).toHaveLength(0);
  });
});
