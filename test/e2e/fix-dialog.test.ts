/**
 * Issue 18, the fix dialog in Chromium against the real recipes and verification (the bridge's
 * fix-course recording): it opens on what changes for the user, in their words and without the
 * engine's (no instance id, "listener", "pid", "nftables", "(direct)" before "Show exact
 * changes" is opened), with the peers connected now, how long it lasts and the lasting fix one
 * click away; its button names the action and says admin is needed. The result proves the new
 * state: local network → private, each address refused, loopback answering, a curl per address
 * for another device, the engine's log under Details, Done first. An undo that re-exposes the
 * server is a warning. Screenshots: test-results/app/fix-what-changes.png, fix-exact-changes.png,
 * fix-proven.png, fix-undo-warning.png. Each of those states passes axe-core (no serious or
 * critical WCAG A/AA violation) in the light and the dark theme.
 *
 * Needs Chromium only (no root); skips with the reason otherwise (a failure under
 * PADDOCK_REQUIRE_LAB=1).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../shared/snapshot';
import { describeWhen } from '../support/prerequisites';
import {
  LAN_INTERFACE,
  LOOPBACK_INTERFACE,
  buildSnapshot,
  firewallFacts,
  loopbackOllama,
  peer,
  wildcardOllama,
} from '../rules/snapshots';
import type { Browser } from './browser';
import { browserPrerequisites, launchChromium } from './browser';
import { BRIDGE_CLIENT } from './bridge/client';
import { fixCourseEngine } from './bridge/fix-recorded';
import type { Bridge } from './bridge/server';
import { startBridge } from './bridge/server';
import { E2E_OUT } from './global-setup';
import { jargonIn } from './jargon';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = path.join(ROOT, 'test-results/app');

/**
 * Ollama on every address, a laptop connected now, no firewall on; its unit's drop-in folder
 * looked at and absent, so "listen on this computer only" plans too.
 */
function exposedScan(): Snapshot {
  const snapshot = buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    firewall: { status: 'ok', facts: firewallFacts('off') },
    instances: [wildcardOllama(null, { peers: [peer('192.168.1.31')] })],
  });
  snapshot.probes.settings.evidence.push({
    kind: 'file',
    ref: '/etc/systemd/system/ollama.service.d',
    outcome: 'ENOENT',
  });
  return snapshot;
}

/** After block-port: Paddock's rule drops 11434 on every path from another machine. */
const closedScan = (): Snapshot =>
  buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    firewall: { status: 'ok', facts: firewallFacts('nft-drop') },
    instances: [wildcardOllama('blocked')],
  });

/** What is rendered (innerText): folded details left out. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * axe-core's serious and critical violations in the page as it stands, in the light and the
 * dark theme (accessibility.test.ts checks every view; these are the dialog's own states).
 */
async function axeProblems(page: Page): Promise<string[]> {
  const source = fs.readFileSync(
    createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
    'utf8',
  );
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(source);
  const problems: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await page.waitForTimeout(100);
    const found = await page.evaluate<
      Array<{ id: string; impact: string | null; nodes: Array<{ target: string[] }> }>
    >(
      `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} },
        resultTypes: ['violations'] }).then((run) => run.violations)`,
    );
    for (const rule of found)
      if (rule.impact === 'serious' || rule.impact === 'critical')
        for (const node of rule.nodes)
          problems.push(`${colorScheme}: [${rule.impact}] ${rule.id} ${node.target.join(' ')}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return problems;
}

const visibleText = (page: Page) => page.getByTestId('fix-dialog').innerText();

describeWhen('browser', browserPrerequisites, 'the fix dialog with a recorded course', () => {
  let browser: Browser;
  let page: Page;
  let bridge: Bridge;
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium({ height: 980 });
    await browser.context.addInitScript(BRIDGE_CLIENT);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    bridge = await startBridge(
      path.join(E2E_OUT, 'renderer'),
      fixCourseEngine({
        before: exposedScan(),
        after: {
          'block-port': closedScan(),
          'rebind-systemd': buildSnapshot({ instances: [loopbackOllama()] }),
        },
      }),
    );
    await page.goto(bridge.url, { waitUntil: 'load' });
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
  });
  afterAll(async () => {
    await bridge?.close();
    await browser?.close();
  });

  const dialog = () => page.getByTestId('fix-dialog');
  const exactSummary = () => page.locator('[data-testid="fix-exact"] > summary');
  const phase = (name: string) =>
    page.locator(`[data-testid="fix-dialog"][data-phase="${name}"]`).waitFor({ timeout: 10_000 });

  describe('before: what changes for you', () => {
    it('opens on who keeps and who loses access, how long, and a button that names the action', async () => {
      await page.getByTestId('fix-button-block-port').first().click();
      await phase('preview');
      const impact = page.getByTestId('fix-impact');
      const text = await visibleText(page);
      // The first thing in the body is "What changes for you".
      expect(text).toMatch(/What changes for you/);
      expect(await impact.textContent()).toMatch(/Apps on this computer keep working/);
      expect(await impact.textContent()).toMatch(/Other machines lose access/);
      expect(await impact.textContent()).toMatch(
        /Connected now: 192\.168\.1\.31\. It is cut off\./,
      );
      // No systemd in the recording: Paddock's rule lasts until the next reboot.
      expect(await impact.textContent()).toMatch(/Lasts until this computer restarts/);
      expect(await page.getByTestId('fix-lasting').textContent()).toBe(
        'Use the lasting fix instead: Listen on this computer only',
      );
      // The button: the action and that admin is needed, by sight and by name.
      const apply = page.getByTestId('fix-apply');
      expect(await apply.getAttribute('class')).toMatch(/primary/);
      expect(await apply.innerText()).toMatch(/Close port 11434\s*,?\s*needs admin/);
      expect(await apply.locator('svg.lock-icon').count()).toBe(1);
      await page
        .getByRole('button', { name: /^Close port 11434\s*,\s*needs admin$/ })
        .waitFor({ timeout: 5_000 });
      // The exact changes are there, folded.
      expect(await page.getByTestId('fix-exact').getAttribute('open')).toBeNull();
      expect(await dialog().textContent()).toMatch(/nft/);
      await shot('fix-what-changes');
      expect(await axeProblems(page)).toEqual([]);
    });

    it('has none of the engine’s words on its first screen', async () => {
      const text = await visibleText(page);
      expect(jargonIn(text), text).toEqual([]);
    });

    it('"Show exact changes" opens the diff and commands, each with its undo', async () => {
      await exactSummary().click();
      expect(await page.getByTestId('fix-exact').getAttribute('open')).not.toBeNull();
      const text = await visibleText(page);
      expect(text).toMatch(/nft/);
      expect(text).toMatch(/Undo:/);
      expect(text).toMatch(/Then Paddock checks/);
      await shot('fix-exact-changes');
      await exactSummary().click();
    });

    it('the lasting fix is one click away: the dialog switches to it', async () => {
      await page.getByTestId('fix-lasting').click();
      await expect
        .poll(async () => (await dialog().getAttribute('data-phase')) ?? '', { timeout: 10_000 })
        .toBe('preview');
      await expect
        .poll(() => page.getByTestId('fix-apply').innerText(), { timeout: 10_000 })
        .toMatch(/Make Ollama private to this computer/);
      const impact = (await page.getByTestId('fix-impact').textContent()) ?? '';
      expect(impact).toMatch(/stays this way after a restart/);
      expect(await page.getByTestId('fix-lasting').count()).toBe(0);
      // Focus stayed in the dialog.
      expect(
        await page.evaluate(
          "document.querySelector('[data-testid=fix-dialog]').contains(document.activeElement)",
        ),
      ).toBe(true);
      await page.keyboard.press('Escape');
      await dialog().waitFor({ state: 'detached' });
    });
  });

  describe('after: the proven new state', () => {
    it('says local network → private, each address refused, loopback answering, and a check for another device', async () => {
      await page.getByTestId('fix-button-block-port').first().click();
      await phase('preview');
      await page.getByTestId('fix-apply').click();
      await phase('result');
      expect(await page.getByTestId('fix-result').getAttribute('data-state')).toBe('applied');
      const change = page.getByTestId('state-change');
      await expect
        .poll(() => change.innerText(), { timeout: 10_000 })
        .toMatch(/Reachable from the local network\s*→\s*Private to this computer/);
      const checks = (await page.getByTestId('fix-checks').innerText()).replace(/\s+/g, ' ');
      expect(checks).toMatch(/192\.168\.1\.20:11434 \(eth0\) now refused to other machines/);
      expect(checks).toMatch(/\[fd00::20\]:11434 \(eth0\) now refused/);
      expect(checks).toMatch(
        /127\.0\.0\.1:11434 still answers: apps on this computer keep working/,
      );
      const outside = await page.getByTestId('outside-check').innerText();
      expect(outside).toMatch(/should now fail/);
      expect(outside).toContain('curl -m 5 http://192.168.1.20:11434/');
      expect(outside).toContain('curl -m 5 http://[fd00::20]:11434/');
      expect(
        await page.getByTestId('outside-check').getByRole('button', { name: 'Copy' }).count(),
      ).toBe(2);
      // The engine's log is under Details, folded; Done is the primary button, Undo secondary.
      const details = page.getByTestId('fix-details');
      expect(await details.getAttribute('open')).toBeNull();
      expect(await details.textContent()).toMatch(/Applied and verified/);
      expect(await visibleText(page)).not.toMatch(/Running step|Step done/);
      expect(await page.getByTestId('fix-done').getAttribute('class')).toMatch(/primary/);
      expect(await page.getByTestId('fix-undo').getAttribute('class')).not.toMatch(/primary/);
      expect(await page.getByTestId('rescan').count()).toBe(0);
      await shot('fix-proven');
      expect(await axeProblems(page)).toEqual([]);
    });

    it('an undo that re-exposes the server is a warning, not a success', async () => {
      await page.getByTestId('fix-undo').click();
      const result = page.getByTestId('fix-result');
      await expect
        .poll(() => result.getAttribute('data-state'), { timeout: 10_000 })
        .toBe('undone');
      await expect
        .poll(() => page.getByTestId('undo-state').innerText(), { timeout: 10_000 })
        .toBe('Ollama is reachable from the local network again');
      expect(await result.getAttribute('class')).toMatch(/notice-warn/);
      expect(await result.getAttribute('class')).not.toMatch(/notice-ok/);
      expect(await result.getAttribute('data-tone')).toBe('warn');
      expect(await page.getByTestId('fix-undo').count()).toBe(0);
      await shot('fix-undo-warning');
      expect(await axeProblems(page)).toEqual([]);
      await page.getByTestId('fix-done').click();
      await dialog().waitFor({ state: 'detached' });
      await expect
        .poll(() => page.getByTestId('verdict-label').getAttribute('data-verdict'))
        .toBe('lan');
    });
  });
});
