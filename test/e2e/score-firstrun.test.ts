/**
 * Issue 18, items 6 and 8, in Chromium against recorded scans through the real rules (as in
 * app-states.test.ts): the score explained (its word, a button that opens how it is made,
 * what each fix would give; none without a server) and the first-run screen (once, with the
 * notifications offer wired to the Settings' preference). axe-core checks both open, in the
 * light and the dark theme. Screenshots go to test-results/app/.
 *
 * The bridge marks the first run as seen before each page loads; `?first-run` in the address
 * keeps it (test/e2e/bridge/client.ts).
 *
 * Needs Chromium only (no root); skips with the reason otherwise (a failure under
 * PADDOCK_REQUIRE_LAB=1).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeWhen } from '../support/prerequisites';
import {
  LAN_INTERFACE,
  LOOPBACK_INTERFACE,
  buildSnapshot,
  firewallFacts,
  peer,
  wildcardOllama,
} from '../rules/snapshots';
import type { Browser } from './browser';
import { browserPrerequisites, launchChromium } from './browser';
import { BRIDGE_CLIENT } from './bridge/client';
import type { Recording } from './bridge/recorded';
import { recordedEngine } from './bridge/recorded';
import type { Bridge } from './bridge/server';
import { startBridge } from './bridge/server';
import { E2E_OUT } from './global-setup';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = path.join(ROOT, 'test-results/app');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Ollama open to the local network, no firewall, a laptop using it now. */
const exposed: Recording = {
  snapshot: buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    firewall: { status: 'ok', facts: firewallFacts('off') },
    instances: [wildcardOllama(null, { peers: [peer('192.168.1.31')] })],
  }),
};
/** The same without anyone connected: fewer findings, so the verdict's cap shows. */
const exposedQuiet: Recording = {
  snapshot: buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    firewall: { status: 'ok', facts: firewallFacts('off') },
    instances: [wildcardOllama()],
  }),
};
const nothing: Recording = { snapshot: buildSnapshot({ instances: [] }) };

interface AxeResult {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

describeWhen('browser', browserPrerequisites, 'the score explained and the first run', () => {
  const axeSource = fs.readFileSync(
    createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
    'utf8',
  );
  let browser: Browser;
  let page: Page;
  let bridge: Bridge | null = null;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    await browser.context.addInitScript(BRIDGE_CLIENT);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('dialog', (dialog) => void dialog.dismiss());
  });
  afterEach(async () => {
    await bridge?.close();
    bridge = null;
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(
    recording: Recording,
    options: { scheme?: 'light' | 'dark'; firstRun?: boolean } = {},
  ): Promise<void> {
    bridge = await startBridge(path.join(E2E_OUT, 'renderer'), recordedEngine(recording));
    await page.emulateMedia({ colorScheme: options.scheme ?? 'light', reducedMotion: 'reduce' });
    await page.goto(`${bridge.url}${options.firstRun ? '?first-run' : ''}`, { waitUntil: 'load' });
  }
  const shot = (name: string) =>
    page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  /** Serious and critical axe violations, one line each. */
  async function axe(): Promise<string[]> {
    if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource);
    const results = await page.evaluate<AxeResult[]>(
      `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} },
        resultTypes: ['violations'] }).then((run) => run.violations)`,
    );
    return results
      .filter((r) => r.impact === 'serious' || r.impact === 'critical')
      .flatMap((r) =>
        r.nodes.map((n) => `[${r.impact}] ${r.id}: ${n.target.join(' ')} — ${r.help}`),
      );
  }

  describe('first run', () => {
    it('says what Paddock reads, that nothing leaves, why admin, the tray; offers notifications; Continue is remembered', async () => {
      await open(exposed, { firstRun: true });
      const screen = page.getByTestId('first-run');
      await screen.waitFor({ timeout: 15_000 });
      await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
      const text = (await screen.textContent()) ?? '';
      expect(text).toMatch(/What Paddock reads/);
      expect(text).toMatch(/programs running here.*ports.*firewall.*settings/s);
      expect(text).toMatch(/Nothing leaves this computer/);
      expect(text).toMatch(/administrator password/);
      expect(text).toMatch(/Only to read the firewall.*or to apply a fix you have seen/s);
      expect(text).toMatch(/tray/);
      // A modal: the rest of the window cannot be reached behind it.
      expect(await screen.evaluate((el) => (el as unknown as { open: boolean }).open)).toBe(true);
      expect(
        await page.evaluate('document.activeElement?.closest("[data-testid=first-run]") !== null'),
      ).toBe(true);
      // The offer shows the Settings' preference (on by default) once it is read.
      const notify = page.getByTestId('first-run-notify');
      await expect.poll(() => notify.isChecked()).toBe(true);
      expect(await axe()).toEqual([]);
      await page.setViewportSize({ width: 1100, height: 900 });
      await shot('first-run');
      await page.setViewportSize({ width: 1100, height: 760 });

      // Continue keeps the choice (the notifications preference) and is remembered.
      await notify.uncheck();
      const saved = page.waitForRequest((r) => r.url().endsWith('/api/updateSettings'));
      await page.getByTestId('first-run-continue').click();
      expect((await saved).postDataJSON()).toEqual({ notifications: false });
      await expect.poll(() => page.getByTestId('first-run').count()).toBe(0);
      expect(await page.evaluate('localStorage.getItem("paddock.firstRunDone")')).toBe('1');
      // The app behind it works at once, and the screen does not come back on reload (the
      // address still asks for it).
      await page.getByTestId('nav-settings').click();
      await expect
        .poll(() => page.getByTestId('nav-settings').getAttribute('aria-current'))
        .toBe('page');
      await page.reload({ waitUntil: 'load' });
      await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('first-run').count()).toBe(0);
    });

    it('Escape closes it too, and the app is there, not blocked', async () => {
      await bridge?.close();
      await open(exposed, { firstRun: true, scheme: 'dark' });
      await page.getByTestId('first-run').waitFor({ timeout: 15_000 });
      expect(await axe()).toEqual([]);
      await page.setViewportSize({ width: 1100, height: 900 });
      await shot('first-run-dark');
      await page.setViewportSize({ width: 1100, height: 760 });
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByTestId('first-run').count()).toBe(0);
      await page.getByTestId('nav-network').click();
      await expect
        .poll(() => page.getByTestId('nav-network').getAttribute('aria-current'))
        .toBe('page');
    });

    it('without ?first-run (every other browser test) the bridge has marked it seen', async () => {
      await bridge?.close();
      await open(exposed);
      await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('first-run').count()).toBe(0);
    });
  });

  describe('the score', () => {
    it('a word beside the number; a button that opens how it is made, with what each fix gives', async () => {
      await bridge?.close();
      await open(exposedQuiet);
      await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
      const button = page.getByTestId('score-button');
      const score = Number(await page.getByTestId('score').textContent());
      expect(await page.getByTestId('score-label').textContent()).toBe('Exposed');
      expect(await button.getAttribute('aria-expanded')).toBe('false');
      expect(await page.getByTestId('score-breakdown').isVisible()).toBe(false);

      await button.click();
      expect(await button.getAttribute('aria-expanded')).toBe('true');
      const panel = page.getByTestId('score-breakdown');
      expect(await panel.isVisible()).toBe(true);
      expect(await button.getAttribute('aria-controls')).toBe(await panel.getAttribute('id'));
      const text = (await panel.textContent()) ?? '';
      expect(text).toMatch(/How the score is made/);
      expect(text).toMatch(/Start\s*100/);
      expect(text).toContain(`Score: Exposed${score}`);
      // Each open finding's cost adds up to what the findings take off; the local network
      // caps the rest at 50.
      const costs = (await panel.locator('[data-testid=score-part] td').allTextContents()).map(
        (t) => Number(t.replace('−', '')),
      );
      expect(costs.length).toBeGreaterThan(0);
      const raw = Math.floor(100 - costs.reduce((a, b) => a + b, 0) + 1e-9);
      expect(text).toContain(`After the findings (rounded down)${Math.max(0, raw)}`);
      expect(score).toBe(Math.max(0, Math.min(50, raw)));
      if (raw > 50) expect(text).toMatch(/Reachable from the local network: at most 50/);
      // The fix that makes it private gives the most.
      const rebind = page.getByTestId('score-fix-rebind-systemd');
      expect(await rebind.textContent()).toMatch(
        /Listen on this computer only→ up to \d+ \(\+\d+\)/,
      );
      expect(await rebind.textContent()).toMatch(/private to this computer/);
      const best = Number(/up to (\d+)/.exec((await rebind.textContent()) ?? '')?.[1]);
      expect(best).toBeGreaterThan(50);
      expect(await axe()).toEqual([]);
      await page.setViewportSize({ width: 1100, height: 1000 });
      await shot('score-breakdown');
      await page.setViewportSize({ width: 1100, height: 760 });

      // Escape closes it and gives the focus back to the button.
      await page.keyboard.press('Escape');
      expect(await button.getAttribute('aria-expanded')).toBe('false');
      expect(await page.evaluate('document.activeElement?.getAttribute("data-testid")')).toBe(
        'score-button',
      );
      // By keyboard: Enter opens it.
      await page.keyboard.press('Enter');
      expect(await button.getAttribute('aria-expanded')).toBe('true');
    });

    it('in the dark theme too', async () => {
      await bridge?.close();
      await open(exposedQuiet, { scheme: 'dark' });
      await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
      await page.getByTestId('score-button').click();
      await page.getByTestId('score-breakdown').waitFor({ state: 'visible' });
      expect(await axe()).toEqual([]);
      await page.setViewportSize({ width: 1100, height: 1000 });
      await shot('score-breakdown-dark');
      await page.setViewportSize({ width: 1100, height: 760 });
    });

    it('no server: no score at all', async () => {
      await bridge?.close();
      await open(nothing);
      await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('score-button').count()).toBe(0);
      expect(await page.getByTestId('score').count()).toBe(0);
      await shot('score-no-server');
    });
  });
});
