/**
 * Issue 18 in Chromium, on recorded scans through the real rules: History opens with a
 * timeline of verdict changes in plain sentences, where an undo that re-exposes the server is a
 * warning; the Network view leads with a who-can-reach-it matrix (a real table, each answer in
 * words with its deciding fact on focus); a machine connected now is an alert naming who,
 * where and what to do, whose "See its requests" shows Activity for that address only and
 * whose "Cut it off now" previews the block-client fix (the real recipe, planned here from the
 * recording; nothing is applied). Screenshots go to test-results/app/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { HistoryView } from '../../shared/api';
import type { PaddockEvent } from '../../shared/events';
import type { FixRun } from '../../shared/fixes';
import { isManual, planFix } from '../../electron/engine/fixes/recipes';
import { fixPreview } from '../../electron/engine/service/service';
import { describeWhen } from '../support/prerequisites';
import {
  LAN_INTERFACE,
  LOOPBACK_INTERFACE,
  PUBLIC4,
  PUBLIC_INTERFACE,
  buildSnapshot,
  firewallFacts,
  lanPaths,
  loopbackOllama,
  peer,
  setting,
} from '../rules/snapshots';
import type { Browser } from './browser';
import { browserPrerequisites, launchChromium } from './browser';
import { BRIDGE_CLIENT } from './bridge/client';
import type { Recording } from './bridge/recorded';
import { recordedEngine } from './bridge/recorded';
import type { Bridge, EngineLink } from './bridge/server';
import { startBridge } from './bridge/server';
import { E2E_OUT } from './global-setup';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = path.join(ROOT, 'test-results/app');
const ID = 'ollama:pid:42';
const RUN_ID = '20261201T140430000Z-1a2b3c4d';
const OUTSIDER = '198.51.100.7';
const NEIGHBOUR = '192.168.1.44';

/** Ollama on every interface, the LAN and a public address, two machines connected now. */
const exposed = buildSnapshot({
  interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
  instances: [
    {
      settings: [setting('OLLAMA_HOST', '0.0.0.0')],
      listeners: [{ address: '::', dualStack: true, via: [...lanPaths(), { address: PUBLIC4 }] }],
      peers: [peer(OUTSIDER), peer(NEIGHBOUR, { connections: 2 })],
    },
    loopbackOllama({
      id: 'ollama:pid:77',
      pid: 77,
      listeners: [{ address: '127.0.0.1', port: 11500 }],
    }),
  ],
  accessLogClients: [
    { client: OUTSIDER, requests: 12, endpoints: [{ path: '/api/generate', count: 12 }] },
    { client: NEIGHBOUR, requests: 3 },
  ],
  firewall: { status: 'ok', facts: firewallFacts('off') },
});

/** Exposed at 14:02, closed by a fix at 14:05, the fix undone at 14:09. */
function historyWithUndo(): HistoryView {
  const plan = planFix('block-port', exposed, ID, { readFile: () => null }, { persist: false });
  if (isManual(plan)) throw new Error(plan.reason);
  const run: FixRun = {
    id: RUN_ID,
    plan,
    state: 'undone',
    startedAt: '2026-12-01T14:04:30.000Z',
    endedAt: '2026-12-01T14:09:00.000Z',
    outcome: 'Undone: the system is as it was before the fix.',
    journal: [],
  };
  const event = (
    kind: PaddockEvent['kind'],
    at: string,
    extra: Partial<PaddockEvent> = {},
  ): PaddockEvent => ({
    id: `${at}-${kind}`,
    kind,
    at,
    instance: ID,
    verdict: null,
    severity: 'info',
    message: `Recorded ${kind} for ${ID} (run ${RUN_ID}).`,
    data: {},
    ...extra,
  });
  return {
    runs: [run],
    events: [
      event('fix-undone', '2026-12-01T14:09:00.000Z', { data: { runId: RUN_ID } }),
      event('exposure-ended', '2026-12-01T14:05:00.000Z', {
        verdict: 'private',
        data: { previous: 'lan', stopped: false },
      }),
      event('fix-applied', '2026-12-01T14:04:40.000Z', { data: { runId: RUN_ID } }),
      event('exposure-started', '2026-12-01T14:02:00.000Z', {
        verdict: 'lan',
        severity: 'high',
      }),
    ],
    problems: [],
  };
}

/** The recorded engine, with block-client planned by the real recipe from the recording. */
function withBlockClient(recording: Recording): EngineLink {
  const engine = recordedEngine(recording);
  return {
    ...engine,
    call: async (method, request) => {
      const r = request as { fixId?: string; instance?: string; allow?: string[] };
      if (method === 'planFix' && r.fixId === 'block-client') {
        const made = planFix(
          'block-client',
          recording.snapshot,
          r.instance!,
          { readFile: () => null },
          { allow: r.allow ?? [] },
        );
        return {
          ok: true,
          value: isManual(made) ? { kind: 'manual', manual: made } : fixPreview(made),
        };
      }
      return engine.call(method, request);
    },
  };
}

describeWhen('browser', browserPrerequisites, 'issue 18: timeline, matrix, remote client', () => {
  let browser: Browser;
  let page: Page;
  let bridge: Bridge | null = null;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    await browser.context.addInitScript(BRIDGE_CLIENT);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.setViewportSize({ width: 1100, height: 800 });
  });
  afterEach(async () => {
    await bridge?.close();
    bridge = null;
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(recording: Recording, scheme: 'light' | 'dark' = 'light') {
    bridge = await startBridge(path.join(E2E_OUT, 'renderer'), withBlockClient(recording));
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(bridge.url, { waitUntil: 'load' });
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
  }
  const shot = (name: string) =>
    page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  it('History opens with the timeline; the undo that re-exposed Ollama is a warning', async () => {
    await open({ snapshot: exposed, history: historyWithUndo() });
    await page.getByTestId('nav-history').click();
    const timeline = page.getByTestId('history-timeline');
    await timeline.waitFor();
    const entries = page.getByTestId('timeline-entry');
    await expect.poll(() => entries.count()).toBe(3);
    const first = entries.first();
    expect(await first.getAttribute('data-tone')).toBe('warn');
    expect(await first.innerText()).toMatch(
      /Ollama is reachable from the local network again, after undoing “Close port 11434 to other machines”/,
    );
    expect(await entries.nth(1).innerText()).toMatch(
      /14:05 — Ollama is private to this computer again, after “Close port 11434/,
    );
    expect(await entries.nth(2).innerText()).toMatch(
      /14:02 — Ollama became reachable from the local network/,
    );
    // The first section on the page is the timeline; ids only under Details.
    const sections = page.locator('main section h2');
    expect(await sections.first().innerText()).toMatch(/Who could reach your servers/);
    expect(await timeline.innerText()).not.toMatch(/ollama:pid|20261201T|block-port/);
    const warning = page.getByTestId('undo-warning');
    expect(await warning.innerText()).toMatch(/reachable from other machines again/);
    expect(await page.locator(`[data-testid="run-${RUN_ID}"] .badge`).first().innerText()).toBe(
      'Undone: reachable again',
    );
    await first.locator('summary').click();
    expect(await first.innerText()).toContain(RUN_ID);
    await first.locator('summary').click();
    await shot('history-timeline-undo');
  });

  it('Network leads with who can reach each server: a table, answers in words, the fact on focus', async () => {
    await open({ snapshot: exposed });
    await page.getByTestId('nav-network').click();
    const matrix = page.getByTestId('reach-matrix');
    await matrix.waitFor();
    expect(await page.locator('main section').first().getAttribute('data-testid')).toBe(
      'reach-matrix',
    );
    const headers = await matrix.locator('thead th').allInnerTexts();
    expect(headers).toEqual(['Server', 'This computer', 'Local network', 'Internet']);
    const rows = await matrix.locator('tbody th[scope="row"]').allInnerTexts();
    expect(rows).toEqual(['Ollama service · port 11434', 'Ollama service · port 11500']);
    const answer = (id: string) => page.getByTestId(`reach-${id}`).getAttribute('data-answer');
    expect(await answer('0-local')).toBe('yes');
    expect(await answer('0-lan')).toBe('yes');
    expect(await answer('0-internet')).toBe('yes');
    expect(await answer('1-lan')).toBe('no');
    expect(await answer('1-internet')).toBe('no');
    // The fact is the cell's description, shown on focus.
    const cell = page.getByTestId('reach-0-internet');
    await cell.focus();
    const tip = page.locator('#reach-tip-0-internet');
    expect(await tip.isVisible()).toBe(true);
    expect(await tip.innerText()).toMatch(/203\.0\.113\.20/);
    expect(await page.locator('#reach-tip-1-lan').innerText()).toMatch(/127\.0\.0\.1:11500 only/);
    await shot('network-matrix');
  });

  it('a machine connected now is an alert: who, where, "See its requests", "Cut it off now"', async () => {
    await open({ snapshot: exposed });
    const alerts = page.getByTestId('remote-client-alert');
    await expect.poll(() => alerts.count()).toBe(2);
    const outsider = page.locator(
      `[data-testid="remote-client-alert"][data-address="${OUTSIDER}"]`,
    );
    const text = await outsider.innerText();
    expect(text).toMatch(/198\.51\.100\.7 is using Ollama service · port 11434/);
    expect(text).toMatch(/a machine on the internet, with 1 connection open now/);
    expect(text).toMatch(/12 requests from this address, most to \/api\/generate/);
    await shot('remote-client-alert');

    await outsider.getByRole('button', { name: 'See its requests' }).click();
    const filter = page.getByTestId('activity-filter');
    await filter.waitFor();
    expect(await filter.innerText()).toContain(OUTSIDER);
    expect(await page.getByTestId('remote-peer').allInnerTexts()).toEqual([
      expect.stringContaining(OUTSIDER),
    ]);
    expect(await page.getByTestId('log-client').count()).toBe(1);
    await shot('activity-filtered-client');
    await filter.getByRole('button', { name: 'Show everyone' }).click();
    await expect.poll(() => page.getByTestId('remote-peer').count()).toBe(2);

    await page.getByTestId('nav-overview').click();
    await outsider.getByTestId('cut-off-client').click();
    const dialog = page.getByTestId('fix-dialog');
    await dialog.waitFor();
    await expect.poll(() => dialog.innerText()).toMatch(/Cut off 198\.51\.100\.7 from port 11434/);
    // One address, nothing to choose: no "Change choices" that would lead into a chooser.
    expect(await dialog.getByTestId('fix-back').count()).toBe(0);
    await shot('remote-client-cut-off-preview');
  });

  it('the alert in the dark theme', async () => {
    await open({ snapshot: exposed }, 'dark');
    await page.getByTestId('remote-client-alert').first().waitFor();
    await shot('remote-client-alert-dark');
  });
});
