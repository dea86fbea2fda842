/**
 * The HTML report in a real browser: Debian's Chromium driven by playwright-core (never a
 * browser playwright would download). Opens the golden HTML report from a file, checks that
 * the hostile model names show as text (no <img> element, no dialog), that the page asks for
 * nothing but itself, and saves full-page screenshots (screen and print) under test-results/
 * to look at.
 *
 * Skips with the reason when /usr/bin/chromium or playwright-core is missing;
 * PADDOCK_REQUIRE_LAB=1 (set by .ci/run) turns the skip into a failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HOSTILE_HTML, HOSTILE_LINK, HOSTILE_SHELL } from '../fixtures/reports/input';
import { describeWhen } from '../support/prerequisites';
import type { Browser } from './browser';
import { browserPrerequisites, launchChromium } from './browser';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN_HTML = path.join(ROOT, 'test/fixtures/reports/golden.html');
const RESULTS = path.join(ROOT, 'test-results');

function describeBrowser(name: string, fn: () => void): void {
  describeWhen('browser', browserPrerequisites, name, fn);
}

describeBrowser('the HTML report in Chromium', () => {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  const dialogs: string[] = [];
  const requests: string[] = [];
  const blocked: string[] = [];
  const url = pathToFileURL(GOLDEN_HTML).href;

  beforeAll(async () => {
    browser = await launchChromium({ width: 1200, height: 900 });
    context = browser.context;
    // Nothing but the file itself may load; anything else is refused and recorded.
    await context.route(/^(?!file:)/, async (route) => {
      blocked.push(route.request().url());
      await route.abort();
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(url, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows hostile model names as text, never as markup', async () => {
    const text = (await page.textContent('body')) ?? '';
    expect(text).toContain(HOSTILE_HTML);
    expect(text).toContain(HOSTILE_SHELL);
    expect(text).toContain(HOSTILE_LINK);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('a').count()).toBe(0);
    const chips = await page.locator('.chip').allTextContents();
    expect(chips.some((c) => c.startsWith(HOSTILE_HTML))).toBe(true);
    // Give an onerror handler every chance to fire.
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
  });

  it('loads nothing but itself', () => {
    expect(requests).toEqual([url]);
    expect(blocked).toEqual([]);
  });

  it('shows the verdict as a large coloured banner with the score', async () => {
    const banner = page.locator('section.verdict');
    await expect.poll(() => banner.count()).toBe(1);
    const box = await banner.boundingBox();
    expect(box?.height).toBeGreaterThan(120);
    const colour = await banner.evaluate(
      (el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor,
    );
    expect(colour).toBe('rgb(181, 71, 8)'); // --lan
    expect(await banner.locator('h1').textContent()).toBe('Exposed to the local network');
    // The engine's score for a local-network verdict: capped at 50 (docs/score.md), as the app
    // and the other reports say (the old fixture's hand-written 62 could not come from it).
    expect(await banner.locator('.num').textContent()).toBe('50');
    const rows = await page.locator('table.findings tbody tr').allTextContents();
    expect(rows[0]?.trim()).toMatch(/^High/);
    expect(rows.at(-1)?.trim()).toMatch(/^Medium/);
  });

  it('saves screenshots for screen and print', async () => {
    fs.mkdirSync(RESULTS, { recursive: true });
    const screen = path.join(RESULTS, 'report.png');
    await page.screenshot({ path: screen, fullPage: true });
    await page.emulateMedia({ media: 'print' });
    const print = path.join(RESULTS, 'report-print.png');
    await page.setViewportSize({ width: 794, height: 1123 }); // A4 at 96 dpi
    await page.screenshot({ path: print, fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    for (const file of [screen, print]) expect(fs.statSync(file).size).toBeGreaterThan(10_000);
  });
});
