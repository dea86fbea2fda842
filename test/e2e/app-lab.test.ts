/**
 * The desktop app's window in Chromium against a real lab: the stand-in Ollama listens on
 * 0.0.0.0 in a lab host (its own network namespace, with a LAN neighbour), the real engine
 * process runs in that host as root, and the page is the built renderer with `window.paddock`
 * from the test bridge. The overview must say "reachable from the local network" with the
 * exposure finding; Fix → block-port applies real nftables rules, the LAN neighbour is refused
 * and the verdict turns private; Undo turns it back and restores the ruleset byte for byte.
 * A model named like markup renders as text. Screenshots of every view go to test-results/app/.
 *
 * /etc/paddock is a tmpfs inside the lab host and Paddock's state goes to a temporary folder,
 * so nothing lands on this machine. Needs root, network namespaces, nft and Chromium; skips
 * with the reason otherwise (a failure under PADDOCK_REQUIRE_LAB=1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from '../lab/lab';
import { createLab, labPrerequisites } from '../lab/lab';
import { firewallPrerequisites } from '../lab/firewall-lab';
import type { HostMounts } from '../lab/host-mounts';
import { hostMounts } from '../lab/host-mounts';
import { describeWhen } from '../support/prerequisites';
import type { Browser } from './browser';
import { browserPrerequisites, launchChromium } from './browser';
import { BRIDGE_CLIENT } from './bridge/client';
import type { Bridge } from './bridge/server';
import { startBridge, stdioEngine } from './bridge/server';
import { E2E_OUT } from './global-setup';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENGINE = path.join(ROOT, 'out/cli/engine.cjs');
const SHOTS = path.join(ROOT, 'test-results/app');
const PADDOCK_ETC = '/etc/paddock';
const PORT = 11434;
const HOSTILE_MODEL = '<img src=x onerror=alert(1)>:latest';

function prerequisites() {
  const lab = labPrerequisites();
  if (!lab.ok) return lab;
  const firewall = firewallPrerequisites(['nft']);
  if (!firewall.ok) return firewall;
  return browserPrerequisites();
}

describeWhen('app lab', prerequisites, 'the app window against a lab Ollama', () => {
  let lab: Lab;
  let standin: Standin;
  let scratch: string;
  let bridge: Bridge;
  let browser: Browser;
  let page: Page;
  let mounts: HostMounts;
  const dialogs: string[] = [];
  const offOrigin: string[] = [];
  const ruleset = async () => (await lab.runInHost(['nft', '-s', 'list', 'ruleset'])).stdout;
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  const verdict = () => page.getByTestId('verdict-label').getAttribute('data-verdict');

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-app-lab-'));
    const home = path.join(scratch, 'home');
    fs.mkdirSync(home);
    fs.writeFileSync(
      path.join(scratch, 'tags.json'),
      JSON.stringify({
        models: [HOSTILE_MODEL, 'llama3.2:3b'].map((name) => ({
          name,
          model: name,
          modified_at: '2026-11-01T00:00:00Z',
          size: 2_019_393_189,
          digest: 'a80c4f17acd5',
          details: { family: 'llama', parameter_size: '3.2B' },
        })),
      }),
    );
    lab = await createLab();
    standin = await lab.startStandin({
      OLLAMA_HOST: '0.0.0.0',
      STANDIN_MODELS_FILE: path.join(scratch, 'tags.json'),
    });
    mounts = hostMounts(lab);
    await mounts.tmpfs(PADDOCK_ETC);
    const engine = lab.spawnInHost([process.execPath, ENGINE], {
      env: {
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        XDG_STATE_HOME: path.join(home, '.local/state'),
        PADDOCK_STATE_DIR: path.join(scratch, 'state'),
      },
    });
    bridge = await startBridge(path.join(E2E_OUT, 'renderer'), stdioEngine(engine));
    browser = await launchChromium();
    await browser.context.route(
      (url) => !url.href.startsWith(bridge.url),
      async (route) => {
        offOrigin.push(route.request().url());
        await route.abort();
      },
    );
    await browser.context.addInitScript(BRIDGE_CLIENT);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(bridge.url, { waitUntil: 'load' });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    await mounts?.release();
    await standin?.stop();
    await lab?.close();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('the overview says the LAN can reach Ollama, with the exposure finding and its evidence', async () => {
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 20_000 });
    // The LAN neighbour really can connect: the verdict is the truth, not a guess.
    expect(await lab.connectFromLan(lab.hostAddress4, PORT)).toBe('open');
    expect(await verdict()).toBe('lan');
    await expect.poll(() => page.getByTestId('verdict').textContent()).toMatch(/local network/i);
    const fix = page.getByTestId('fix-button-block-port').first();
    await expect.poll(() => fix.count()).toBeGreaterThan(0);
    const score = Number(
      await page
        .getByTestId('score')
        .first()
        .textContent()
        .then((t) => /\d+/.exec(t ?? '')?.[0]),
    );
    expect(score).toBeLessThan(100);
    await shot('overview-lan');
  });

  it('renders a model named like markup as text', async () => {
    await expect.poll(async () => (await page.textContent('body')) ?? '').toContain(HOSTILE_MODEL);
    expect(await page.locator('main img').count()).toBe(0);
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
    expect(offOrigin).toEqual([]);
  });

  it('Fix → block-port previews real nftables commands, applies them, and the verdict turns private', async () => {
    const before = await ruleset();
    await page.getByTestId('fix-button-block-port').first().click();
    const dialog = page.getByTestId('fix-dialog');
    await dialog.waitFor();
    await expect.poll(() => dialog.textContent(), { timeout: 20_000 }).toMatch(/nft/);
    await shot('fix-preview');
    // Previewing changes nothing.
    expect(await ruleset()).toBe(before);
    await page.getByTestId('fix-apply').click();
    const result = page.getByTestId('fix-result');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.getAttribute('data-state')).toBe('applied');
    await shot('fix-applied');
    expect(await lab.connectFromLan(lab.hostAddress4, PORT, 800)).not.toBe('open');
    expect(await lab.connectFromLan(lab.hostAddress6, PORT, 800)).not.toBe('open');
    expect(await lab.connectFrom('host', '127.0.0.1', PORT)).toBe('open');
    await expect.poll(verdict, { timeout: 20_000 }).toBe('private');
  });

  it('Undo restores the exact ruleset and the verdict turns back to the local network', async () => {
    await page.getByTestId('fix-undo').click();
    await expect
      .poll(() => page.getByTestId('fix-result').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('undone');
    await expect.poll(verdict, { timeout: 20_000 }).toBe('lan');
    expect(await lab.connectFromLan(lab.hostAddress4, PORT)).toBe('open');
    await page.getByTestId('fix-close').click();
  });

  it('the tray’s “Fix exposure” (a navigate event from the shell) opens the fix preview', async () => {
    const card = page.locator('[data-testid^="finding-exposed-to-lan"]').first();
    const findingId = (await card.getAttribute('data-testid'))!.slice('finding-'.length);
    await page.getByTestId('nav-settings').click();
    bridge.push({ type: 'navigate', view: 'overview', findingId, fixId: 'block-port' });
    const dialog = page.getByTestId('fix-dialog');
    await dialog.waitFor({ timeout: 10_000 });
    await expect.poll(() => dialog.textContent(), { timeout: 20_000 }).toMatch(/nft/);
    expect(await page.getByTestId('nav-overview').getAttribute('aria-current')).toBe('page');
    await page.getByTestId('fix-close').click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('accepting a risk keeps the finding visible, marked accepted, in the settings file; withdrawing undoes it', async () => {
    await page.getByTestId('nav-overview').click();
    const card = page.locator('[data-testid^="finding-exposed-to-lan"]').first();
    const findingId = (await card.getAttribute('data-testid'))!.slice('finding-'.length);
    await page.getByTestId(`accept-${findingId}`).click();
    // A reason is required: an empty one is refused and nothing is written.
    await page.getByTestId(`accept-submit-${findingId}`).click();
    expect(fs.existsSync(path.join(scratch, 'home/.config/paddock/settings.json'))).toBe(false);
    await card.getByLabel('Why is this acceptable?').fill('lab network <b>only</b>');
    await page.getByTestId(`accept-submit-${findingId}`).click();
    await expect.poll(() => card.getAttribute('data-accepted')).toBe('true');
    await expect.poll(() => card.textContent()).toContain('lab network <b>only</b>');
    const stored = JSON.parse(
      fs.readFileSync(path.join(scratch, 'home/.config/paddock/settings.json'), 'utf8'),
    ) as { acceptedRisks: Array<{ ruleId: string; reason: string }> };
    expect(stored.acceptedRisks).toEqual([
      expect.objectContaining({ ruleId: 'exposed-to-lan', reason: 'lab network <b>only</b>' }),
    ]);
    await shot('finding-accepted');
    await page.getByTestId(`withdraw-${findingId}`).click();
    await expect.poll(() => card.getAttribute('data-accepted')).toBe('false');
  });

  it('every view renders, with a screenshot of each', async () => {
    for (const view of ['network', 'activity', 'history', 'settings', 'overview'] as const) {
      await page.getByTestId(`nav-${view}`).click();
      await expect
        .poll(() => page.getByTestId(`nav-${view}`).getAttribute('aria-current'))
        .toBe('page');
      // Views that ask the engine (History, Settings) have answered before the picture.
      await expect
        .poll(() => page.locator('main').textContent(), { timeout: 10_000 })
        .not.toMatch(/Reading |Loading /);
      await shot(`view-${view}`);
    }
    // The history lists the run, undone.
    await page.getByTestId('nav-history').click();
    await expect.poll(() => page.locator('main').textContent()).toMatch(/block-port|Block/i);
    await expect.poll(() => page.locator('main').textContent()).toMatch(/undone/i);
    expect(bridge.calls).toContain('applyFix');
    expect(bridge.calls).toContain('undo');
  });
});
