/**
 * Issue 18, the overview and its honest states, in Chromium against recorded scans through the
 * real rules (as app-states.test.ts): one recommended action in the verdict panel that opens
 * the fix dialog as the finding's own button does; human names and no ids or jargon in the
 * overview's visible text; no server as a neutral state; a firewall that could not be read as
 * "probably", with "Check with admin rights…" that scans with elevation; an engine failing
 * after a good scan keeps the last verdict, marked out of date, with diagnostics to copy; an
 * accepted finding in a collapsed "Accepted (n), not counted"; Settings that cannot be read say
 * why, with Retry. Screenshots go to test-results/app/.
 *
 * Needs Chromium only (no root); skips with the reason otherwise (a failure under
 * PADDOCK_REQUIRE_LAB=1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWhen } from '../support/prerequisites';
import {
  LAN_INTERFACE,
  LOOPBACK_INTERFACE,
  PUBLIC4,
  PUBLIC_INTERFACE,
  buildSnapshot,
  container,
  firewallFacts,
  lanPaths,
  peer,
  setting,
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
import { JARGON } from './jargon';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = path.join(ROOT, 'test-results/app');

/** The systemd service Ollama on every address, open to the LAN and the internet. */
const internet: Recording = {
  snapshot: buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
    firewall: { status: 'ok', facts: firewallFacts('off') },
    instances: [
      {
        settings: [setting('OLLAMA_HOST', '0.0.0.0'), setting('OLLAMA_ORIGINS', '*')],
        listeners: [
          {
            address: '::',
            dualStack: true,
            via: [...lanPaths('allowed'), { address: PUBLIC4, firewall: 'allowed' }],
          },
        ],
        peers: [peer('198.51.100.7')],
      },
    ],
  }),
};

/** A container that Docker publishes on every address, port 8000. */
const dockerPublished: Recording = {
  snapshot: buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    instances: [
      {
        id: 'ollama:port:8000',
        pid: null,
        containers: [
          container({
            names: ['pdk-ollama'],
            publish: { hostIp: '0.0.0.0', hostPort: 8000, containerPort: 11434 },
          }),
        ],
        listeners: [
          {
            path: 'docker',
            address: '0.0.0.0',
            port: 8000,
            owner: null,
            via: [{ address: '192.168.1.20' }],
          },
        ],
      },
    ],
  }),
};

const nothing: Recording = { snapshot: buildSnapshot({ instances: [] }) };

/** The firewall unread without admin rights; read with them, it blocks nothing. */
const firewallUnread: Recording = {
  snapshot: buildSnapshot({
    instances: [wildcardOllama()],
    firewall: { status: 'denied', facts: firewallFacts('denied'), message: 'nft needs root' },
  }),
  afterElevated: buildSnapshot({
    instances: [wildcardOllama('allowed')],
    firewall: { status: 'ok', facts: firewallFacts('off') },
  }),
};

const ENGINE_ERROR = 'The scan failed: ss exited with 1 (the process table could not be read).';
const failingLater: Recording = { ...internet, laterScansFail: ENGINE_ERROR };

const accepting: Recording = { ...internet, acceptRisks: true };

const settingsOnce: Recording = {
  ...internet,
  settingsFailOnce: 'settings.json could not be read: EACCES: permission denied',
};

describeWhen('browser', browserPrerequisites, 'the overview’s action and honest states', () => {
  let browser: Browser;
  let page: Page;
  let bridge: Bridge | null = null;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    await browser.context.addInitScript(BRIDGE_CLIENT);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  });
  afterEach(async () => {
    await bridge?.close();
    bridge = null;
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(recording: Recording): Promise<void> {
    bridge = await startBridge(path.join(E2E_OUT, 'renderer'), recordedEngine(recording));
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(bridge.url, { waitUntil: 'load' });
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
  }
  const shot = (name: string) =>
    page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const visible = async () => page.evaluate<string>('document.body.innerText');
  const mainText = async () => (await page.locator('main').textContent()) ?? '';
  async function expectNoJargon(): Promise<void> {
    const text = await visible();
    for (const word of JARGON) expect(text, `"${String(word)}" in the overview`).not.toMatch(word);
  }

  it('exposed: one recommended action that names it, says what it changes, and opens the fix', async () => {
    await open(internet);
    const action = page.getByTestId('recommended-action');
    expect(await action.count()).toBe(1);
    expect(await action.textContent()).toBe('Make Ollama private to this computer');
    expect(await action.getAttribute('data-fix')).toBe('rebind-systemd');
    const panel = page.getByTestId('verdict-panel');
    expect(await panel.textContent()).toMatch(/apps here keep working, other machines lose access/);
    // One sentence per server with the deciding fact.
    expect(await page.getByTestId('verdict-reasons').innerText()).toMatch(
      /It answers on 203\.0\.113\.20, a public address on eth1 \(and 3 more addresses\), and no firewall rule blocks port 11434\./,
    );
    // The findings grouped by the fix that resolves them.
    const group = page.getByTestId('fix-group-rebind-systemd');
    expect(await group.locator('.group-title').innerText()).toMatch(
      /^Make Ollama private to this computer\s+fixes \d+ of \d+$/,
    );
    // The server in one line, by its name.
    expect(await page.locator('[data-testid^="server-line-"] summary').innerText()).toMatch(
      /^Ollama service · port 11434/,
    );
    await expectNoJargon();
    await shot('overview-recommended-action');

    // "Other ways…" reveals the finding's other fixes and sharing safely.
    expect(await page.getByTestId('other-way-block-port').count()).toBe(0);
    await page.getByTestId('other-ways').click();
    expect(await page.getByTestId('other-way-block-port').textContent()).toMatch(
      /Close port 11434 to other machines/,
    );
    expect(await page.getByTestId('other-way-share-allowlist').count()).toBe(1);
    await shot('overview-other-ways');

    // The button opens the fix dialog exactly as the finding's own fix button does.
    await action.click();
    const dialog = page.getByTestId('fix-dialog');
    await dialog.waitFor({ timeout: 10_000 });
    await expect.poll(() => dialog.getAttribute('data-phase')).not.toBe('planning');
    const fromAction = await dialog.getAttribute('data-phase');
    const header = await dialog.locator('h2').first().textContent();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    const finding = page.locator('[data-testid^="finding-exposed-to-internet"]').first();
    await finding.getByTestId('fix-button-rebind-systemd').click();
    await dialog.waitFor({ timeout: 10_000 });
    await expect.poll(() => dialog.getAttribute('data-phase')).not.toBe('planning');
    expect(await dialog.getAttribute('data-phase')).toBe(fromAction);
    expect(await dialog.locator('h2').first().textContent()).toBe(header);
    await page.keyboard.press('Escape');
    expect(bridge!.calls.filter((c) => c === 'planFix')).toHaveLength(2);
  });

  it('a container: named by the container, and the fix that applies to it (no unit rebind)', async () => {
    await open(dockerPublished);
    const action = page.getByTestId('recommended-action');
    expect(await action.getAttribute('data-fix')).toBe('docker-localhost');
    expect(await action.textContent()).toBe('Publish the container on this computer only');
    expect(await page.locator('[data-testid^="server-line-"] summary').innerText()).toMatch(
      /^Container pdk-ollama · port 8000/,
    );
    if ((await page.getByTestId('other-ways').count()) > 0) {
      await page.getByTestId('other-ways').click();
      expect(await page.getByTestId('other-way-rebind-systemd').count()).toBe(0);
    }
    // The finding's own primary button is the same fix as the recommended one.
    const primary = page.locator('[data-testid^="finding-"] button.primary').first();
    expect(await primary.getAttribute('data-testid')).toBe('fix-button-docker-localhost');
    await expectNoJargon();
    await shot('overview-container');
  });

  it('no server: a neutral "nothing is exposed", no green Private, no score', async () => {
    await open(nothing);
    const verdict = page.getByTestId('verdict');
    expect(await verdict.textContent()).toBe('Ollama isn’t running; nothing is exposed');
    expect(await page.getByTestId('ollama-not-found').getAttribute('class')).toMatch(
      /tone-neutral/,
    );
    expect(await page.getByTestId('score').count()).toBe(0);
    expect(await visible()).not.toMatch(/Private to this computer/);
    expect(await page.getByTestId('recommended-action').count()).toBe(0);
    await expectNoJargon();
    await shot('state-no-server');
  });

  it('no server, and no scan for an hour (the watcher paused, or asleep): the panel says it is stale', async () => {
    const hourAgo = new Date(Date.now() - 60 * 60_000).toISOString();
    await open({ snapshot: { ...nothing.snapshot, takenAt: hourAgo } });
    const panel = page.getByTestId('ollama-not-found');
    await panel.getByTestId('stale').waitFor();
    expect(await panel.innerText()).toMatch(
      /Stale\s+Scanned 1 hour ago; Paddock has not scanned since, so this may no longer be true\. Scan now to check\./,
    );
    await shot('state-no-server-stale');
  });

  it('firewall unread: "probably", and "Check with admin rights…" scans with elevation', async () => {
    await open(firewallUnread);
    const verdict = page.getByTestId('verdict');
    expect(await verdict.textContent()).toBe(
      'Probably reachable from the local network: firewall not checked',
    );
    const text = await visible();
    expect(text).not.toContain('`');
    expect(text).not.toMatch(/paddock scan --elevated/);
    const check = page.getByTestId('check-elevated');
    expect(await check.textContent()).toBe('Check with admin rights…');
    expect(await page.getByTestId('firewall-unread').innerText()).toMatch(
      /asks for your admin password once to read the firewall’s rules/,
    );
    await expectNoJargon();
    await shot('state-firewall-unread');
    await check.click();
    await expect.poll(async () => verdict.textContent()).toBe('Reachable from the local network');
    expect(bridge!.calls).toContain('scan');
    expect(await page.getByTestId('verdict-reasons').innerText()).toMatch(
      /no firewall rule blocks port 11434/,
    );
    await shot('state-firewall-checked');
  });

  it('engine error after a good scan: the last verdict kept, out of date, what to try, diagnostics', async () => {
    await open(failingLater);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(bridge!.url).origin,
    });
    await page.getByTestId('scan-now').click();
    const banner = page.getByTestId('engine-error');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.innerText()).toMatch(/last good scan, out of date/);
    expect(await banner.innerText()).toMatch(/restart Paddock/);
    expect(await banner.innerText()).toContain('ss exited with 1');
    // The verdict stays, marked.
    expect(await page.getByTestId('verdict').textContent()).toBe('Reachable from the internet');
    expect(await page.getByTestId('verdict-panel').getAttribute('data-out-of-date')).toBe('true');
    expect(await page.getByTestId('out-of-date').textContent()).toBe('Out of date');
    await page.getByTestId('copy-diagnostics').click();
    await expect.poll(() => page.getByTestId('copy-diagnostics').textContent()).toBe('Copied');
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(copied).toContain(ENGINE_ERROR);
    expect(copied).toMatch(/Platform: linux 6\.1\.0/);
    expect(copied).toMatch(/Server: Ollama service · port 11434, version 0\.12\.10/);
    expect(copied).not.toContain('workstation');
    await shot('state-engine-error-kept');
  });

  it('accepted: the finding moves to "Accepted (n), not counted", collapsed on the next visit', async () => {
    await open(accepting);
    const card = page.locator('[data-testid^="finding-origins-too-broad"]').first();
    const findingId = (await card.getAttribute('data-testid'))!.slice('finding-'.length);
    await page.getByTestId(`accept-${findingId}`).click();
    await card.getByLabel('Why is this acceptable?').fill('Our own web app calls it from any port');
    await page.getByTestId(`accept-submit-${findingId}`).click();
    const section = page.getByTestId('accepted-section');
    await section.waitFor({ timeout: 10_000 });
    expect(await section.locator('summary').innerText()).toMatch(/^Accepted \(1\), not counted/);
    await expect.poll(() => card.getAttribute('data-accepted')).toBe('true');
    expect(await section.locator(`[data-testid="finding-${findingId}"]`).count()).toBe(1);
    // Open right after accepting, so the user sees where it went; no bright Fix button in it.
    expect(await section.getAttribute('open')).not.toBeNull();
    expect(await section.locator('.button.primary').count()).toBe(0);
    // A later visit shows it collapsed.
    await page.reload({ waitUntil: 'load' });
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    expect(await section.getAttribute('open')).toBeNull();
    expect(await visible()).not.toContain('Our own web app');
    await expectNoJargon();
    // The window's main scrolls: bring the section (and the servers below it) into the shot.
    await page.getByTestId('nav-overview').focus();
    await page.locator('#instances-heading').scrollIntoViewIfNeeded();
    await shot('overview-accepted-section');
  });

  it('Settings that cannot be read say why, with Retry; Retry shows them', async () => {
    await open(settingsOnce);
    await page.getByTestId('nav-settings').click();
    const problem = page.getByTestId('settings-unavailable');
    await problem.waitFor({ timeout: 10_000 });
    expect(await problem.innerText()).toMatch(/EACCES: permission denied/);
    await shot('view-settings-unavailable');
    await page.getByTestId('settings-retry').click();
    await page.locator('main').getByText('Watching').first().waitFor({ timeout: 10_000 });
    expect(await mainText()).not.toMatch(/could not read its settings/);
  });
});
