/**
 * The app's window in Chromium, fed recorded snapshots through the real rules (the bridge's
 * recorded engine): the states no lab makes on demand. Ollama reachable from the internet with
 * a GPU under load and clients from elsewhere; no Ollama at all; the firewall unread without
 * admin rights; the engine failing. Each must say what it is and what to do, by keyboard as
 * well as by mouse, in the light and the dark theme. Model names and log clients shaped like
 * markup render as text. Screenshots go to test-results/app/.
 *
 * Needs Chromium only (no root); skips with the reason otherwise (a failure under
 * PADDOCK_REQUIRE_LAB=1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GpuSample } from '../../shared/api';
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
  nvidiaGpu,
  peer,
  proxyPath,
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

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = path.join(ROOT, 'test-results/app');
const HOSTILE_MODEL = '<img src=x onerror=alert(1)>';
const HOSTILE_PATH = '/api/<script>alert(2)</script>';

function gpuHistory(): GpuSample[] {
  const start = Date.parse('2026-11-28T11:00:00.000Z');
  return Array.from({ length: 30 }, (_, i) => ({
    at: new Date(start + i * 60_000).toISOString(),
    utilizationPercent: i < 10 ? 2 : Math.min(98, 20 + i * 4),
    memoryUsedMiB: 1200 + i * 2000,
    memoryTotalMiB: 143_771,
  }));
}

const internet: Recording = {
  snapshot: buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
    instances: [
      {
        settings: [setting('OLLAMA_HOST', '0.0.0.0'), setting('OLLAMA_ORIGINS', '*')],
        listeners: [{ address: '::', dualStack: true, via: [...lanPaths(), { address: PUBLIC4 }] }],
        models: [HOSTILE_MODEL, 'llama3.2:3b', 'qwen2.5-coder:1.5b'],
        loadedModels: ['llama3.2:3b'],
        peers: [peer('198.51.100.7'), peer('192.168.1.44')],
      },
    ],
    gpus: [nvidiaGpu(97)],
    accessLogClients: [
      { client: '198.51.100.7' },
      { client: '192.168.1.44', requests: 3, endpoints: [{ path: HOSTILE_PATH, count: 3 }] },
    ],
  }),
  gpuHistory: gpuHistory(),
};

/** Issue 12: a loopback Ollama that a NAT rule opens to the LAN and a tunnel to the internet. */
const natAndTunnel: Recording = (() => {
  const snapshot = buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    instances: [
      {
        listeners: [
          {
            address: '127.0.0.1',
            via: [
              {
                address: '192.168.1.20',
                nat: { port: 8000, rule: 'tcp dport 8000 dnat ip to 127.0.0.1:11434' },
              },
            ],
          },
        ],
      },
    ],
  });
  const instance = snapshot.instances[0]!;
  instance.tunnels = [
    {
      tool: 'cloudflared',
      pid: 777,
      argv: ['cloudflared', 'tunnel', '--url', 'http://localhost:11434'],
      remote: null,
      config: null,
      targets: [{ host: 'localhost', port: 11434, source: 'argv' }],
    },
  ];
  instance.exposure = 'internet';
  snapshot.verdict = 'internet';
  return { snapshot };
})();

/** Issue 13: four kinds of server at once, one an Open WebUI nobody has claimed. */
const fourKinds: Recording = {
  snapshot: buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    instances: [
      wildcardOllama(),
      {
        kind: 'llamacpp',
        pid: 300,
        version: null,
        listeners: [{ address: '0.0.0.0', port: 8080, via: lanPaths() }],
      },
      {
        kind: 'vllm',
        pid: 301,
        version: '0.11.0',
        auth: 'key-required',
        listeners: [{ address: '0.0.0.0', port: 8000, via: lanPaths() }],
      },
      {
        kind: 'openwebui',
        pid: 302,
        version: '0.6.30',
        auth: 'unclaimed-admin',
        listeners: [{ address: '0.0.0.0', port: 3000, via: lanPaths() }],
      },
    ],
  }),
};

/** Issue 14: Ollama open to the LAN, a laptop using it now; then shared with that laptop only. */
const exposedWithLaptop: Recording = {
  snapshot: buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    firewall: { status: 'ok', facts: firewallFacts('off') },
    instances: [wildcardOllama(null, { peers: [peer('192.168.1.31')] })],
  }),
};
const sharedWithLaptop: Recording = (() => {
  const snapshot = buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    firewall: { status: 'ok', facts: firewallFacts('off') },
    instances: [wildcardOllama(null, { peers: [peer('192.168.1.31')] })],
  });
  const instance = snapshot.instances[0]!;
  for (const listener of instance.listeners)
    listener.reachableVia = listener.reachableVia.map((via) => ({
      ...via,
      onlyFrom: via.address.includes(':') ? ['fd00::31'] : ['192.168.1.31'],
    }));
  instance.sharedWith = ['192.168.1.31', 'fd00::31'];
  const shared =
    'Shared with 2 sources only (192.168.1.31, fd00::31): the firewall refuses every other machine.';
  instance.reasons = [...instance.reasons, shared];
  // As the scan's verdict names it: the instance's last reason (scan.ts overallVerdict).
  snapshot.verdictReasons = [`${instance.id} (version ${instance.version}): ${shared}`];
  return { snapshot };
})();

/**
 * Issue 14, password or token in front: after the fix, Ollama listens on loopback and nginx on
 * the LAN address, port 11434, over HTTPS, refusing every request without the token (as the
 * scan's withProxySharing records it).
 */
const sharedBehindToken: Recording = (() => {
  const snapshot = buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    firewall: { status: 'ok', facts: firewallFacts('off') },
    instances: [
      loopbackOllama({
        proxyPaths: [
          proxyPath({
            listenAddress: '192.168.1.20',
            port: 11434,
            connectAddress: '192.168.1.20',
            tls: true,
            owner: { pid: 880, name: 'nginx' },
            upstream: 'unconfirmed',
            matchedBy: null,
            authRequired: true,
            authScheme: 'Bearer',
            authRealm: 'Paddock share on workstation',
            tagsStatus: 401,
            version: null,
            reasons: [
              'nginx (pid 880) on 192.168.1.20:11434 answers over HTTPS and asks for Bearer credentials (401 on /api/tags).',
            ],
          }),
        ],
      }),
    ],
  });
  const instance = snapshot.instances[0]!;
  instance.sharedBehind = [
    { software: 'nginx', address: '192.168.1.20', port: 11434, scheme: 'Bearer', tls: true },
  ];
  const shared =
    'Shared behind a password or token: nginx on 192.168.1.20:11434 (HTTPS) asks for Bearer credentials. Whoever reaches that address and holds the credentials can use it; without them, every request is refused before it reaches the server.';
  instance.reasons = [...instance.reasons, shared];
  snapshot.verdictReasons = [`${instance.id} (version ${instance.version}): ${shared}`];
  return { snapshot };
})();
/** A test value standing for the token root generates at apply time; no real secret. */
const TEST_SECRET = 'TEST-ONLY-secret-of-this-recording-00000000';
/**
 * Ollama open to the LAN, with the drop-in folder of its unit that the scan looked in (absent:
 * no drop-in yet), so the fix can first put Ollama back on loopback; applying a share-proxy
 * plan leads to sharedBehindToken.
 */
const exposedThenBehindToken: Recording = (() => {
  const snapshot = structuredClone(exposedWithLaptop.snapshot);
  snapshot.probes.settings.evidence.push({
    kind: 'file',
    ref: '/etc/systemd/system/ollama.service.d',
    outcome: 'ENOENT',
  });
  return { snapshot, afterApply: { snapshot: sharedBehindToken.snapshot, secret: TEST_SECRET } };
})();

const nothing: Recording = { snapshot: buildSnapshot({ instances: [] }) };
const denied: Recording = {
  snapshot: buildSnapshot({
    instances: [wildcardOllama()],
    firewall: { status: 'denied', facts: firewallFacts('denied'), message: 'nft needs root' },
  }),
};
const failing: Recording = {
  snapshot: nothing.snapshot,
  scanError: 'The scan failed: ss exited with 1 (the process table could not be read).',
};

function prerequisites() {
  return browserPrerequisites();
}

describeWhen('browser', prerequisites, 'the app window with recorded scans', () => {
  let browser: Browser;
  let page: Page;
  let bridge: Bridge | null = null;
  const dialogs: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    await browser.context.addInitScript(BRIDGE_CLIENT);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });
  afterEach(async () => {
    await bridge?.close();
    bridge = null;
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(recording: Recording, scheme: 'light' | 'dark' = 'light'): Promise<void> {
    bridge = await startBridge(path.join(E2E_OUT, 'renderer'), recordedEngine(recording));
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(bridge.url, { waitUntil: 'load' });
  }
  const mainText = async () => (await page.locator('main').textContent()) ?? '';
  const shot = (name: string) =>
    page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  describe('Ollama reachable from the internet', () => {
    it('says so, with the score and the critical finding first', async () => {
      await open(internet);
      await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('verdict-label').getAttribute('data-verdict')).toBe('internet');
      expect(await page.getByTestId('verdict').textContent()).toMatch(/internet/i);
      const cards = page.locator('[data-testid^="finding-"]');
      expect(await cards.count()).toBeGreaterThan(1);
      expect(await cards.first().getAttribute('data-testid')).toMatch(/exposed-to-internet/);
      await shot('overview-internet');
    });

    it('renders model names and logged paths shaped like markup as text', async () => {
      await expect.poll(mainText).toContain(HOSTILE_MODEL);
      await page.getByTestId('nav-activity').click();
      await expect.poll(mainText).toContain(HOSTILE_PATH);
      expect(await page.locator('main img, main script').count()).toBe(0);
      await page.waitForTimeout(200);
      expect(dialogs).toEqual([]);
    });

    it('Activity shows the remote clients, the log warning and the GPU chart', async () => {
      expect(await mainText()).toContain('198.51.100.7');
      expect(await mainText()).toMatch(/forge/i);
      expect(await page.locator('main svg').count()).toBeGreaterThan(0);
      // Where the loaded model sits, in words (all of it in VRAM here).
      expect(await mainText()).toMatch(/2\.14 GiB on GPU/);
      await shot('view-activity-gpu');
    });

    it('the finding detail says what an attacker could do here', async () => {
      await page.getByTestId('nav-overview').click();
      const card = page.locator('[data-testid^="finding-exposed-to-internet"]').first();
      await card
        .getByRole('button', { name: /detail|why|more/i })
        .first()
        .click();
      await expect.poll(mainText).toMatch(/llama3\.2:3b/);
      await expect.poll(mainText).toMatch(/\/api\/generate|\/api\/tags/);
      await shot('view-finding');
    });

    it('works by keyboard alone', async () => {
      // Each test's bridge closes after it: a fresh one, so Settings can read the engine (the
      // screenshot showed "Settings are not available" before, the bridge long gone).
      await open(internet);
      await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
      await page.keyboard.press('Tab');
      const seen: string[] = [];
      for (let i = 0; i < 12; i += 1) {
        seen.push(
          await page.evaluate<string>("document.activeElement?.getAttribute('data-testid') ?? ''"),
        );
        await page.keyboard.press('Tab');
      }
      const settingsNav = seen.indexOf('nav-settings');
      expect(settingsNav, `focus order: ${seen.join(', ')}`).toBeGreaterThanOrEqual(0);
      await page.getByTestId('nav-settings').focus();
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.getByTestId('nav-settings').getAttribute('aria-current'))
        .toBe('page');
      await page.locator('main').getByText('Watching').first().waitFor({ timeout: 10_000 });
      expect(await mainText()).not.toMatch(/not available|could not read/i);
      await shot('view-settings');
    });

    it('has a dark theme', async () => {
      await bridge?.close();
      await open(internet, 'dark');
      await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
      const background =
        (await page
          .locator('body')
          .evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor)) ??
        '';
      const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
      expect(r! + g! + b!, background).toBeLessThan(200);
      await shot('overview-internet-dark');
    });
  });

  it('a NAT rule and a tunnel: the server names both ways in, though its socket says loopback', async () => {
    await open(natAndTunnel);
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    const indirect = page.getByTestId('indirect-paths');
    await expect
      .poll(async () => (await indirect.textContent()) ?? '')
      .toMatch(/Port 8000, sent on by a NAT rule to port 11434, on 192\.168\.1\.20 \(eth0\)/);
    expect(await page.getByTestId('tunnels').textContent()).toMatch(
      /cloudflared \(pid 777\), forwarding localhost:11434/,
    );
    await shot('state-nat-and-tunnel');
  });

  it('four kinds of server at once: each named, and the unclaimed Open WebUI is the critical finding', async () => {
    await open(fourKinds);
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    const kinds = await page.getByTestId('server-kind').allTextContents();
    expect(kinds.sort()).toEqual(['Ollama', 'Open WebUI', 'llama.cpp server', 'vLLM'].sort());
    await expect
      .poll(mainText)
      .toMatch(/Open WebUI has no admin yet, and other machines can reach it/);
    // Grouped by kind, one heading each.
    for (const kind of ['ollama', 'llamacpp', 'vllm', 'openwebui'])
      expect(await page.getByTestId(`kind-group-${kind}`).count()).toBe(1);
    expect(await mainText()).toMatch(/no admin yet: the first visitor becomes admin/);
    await shot('overview-four-kinds');
  });

  it('issue 14, share safely: the choice beside "close it", what Paddock saw, the exact plan, and the shared overview', async () => {
    await open(exposedWithLaptop);
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    const group = page.getByTestId('share-safely').first();
    await group.waitFor({ timeout: 10_000 });
    expect(await group.textContent()).toMatch(/Or share it safely/);
    await page.getByTestId('fix-button-share-allowlist').first().click();
    const dialog = page.getByTestId('fix-dialog');
    expect(await dialog.getAttribute('data-phase')).toBe('choosing');
    const offer = page.getByTestId('share-offer-192.168.1.31');
    await offer.waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('share-chooser').textContent()).toMatch(
      /192\.168\.1\.31 connected to it now/,
    );
    await shot('share-safely-choose');
    await offer.check();
    await page.getByTestId('share-typed').fill('fd00::31');
    await page.getByTestId('share-preview').click();
    await expect.poll(async () => dialog.getAttribute('data-phase')).toBe('preview');
    const text = (await dialog.textContent()) ?? '';
    expect(text).toMatch(/Share port 11434 with 2 sources only/);
    expect(text).toMatch(/elements = \{ 192\.168\.1\.31 \}/);
    expect(text).toMatch(/elements = \{ fd00::31 \}/);
    await shot('share-safely-preview');
    await page.keyboard.press('Escape');

    await bridge?.close();
    bridge = null;
    await open(sharedWithLaptop);
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    await expect.poll(mainText).toMatch(/shared with 2 sources only/i);
    expect(await page.getByTestId('verdict').getAttribute('data-shared')).toBe('true');
    expect(await mainText()).toMatch(
      /Only 192\.168\.1\.31, fd00::31 can reach it; every other machine is refused/,
    );
    expect(await mainText()).not.toMatch(/can use Ollama without a password/i);
    await shot('share-safely-shared-overview');
  });

  it('issue 14, password or token in front: the choices, the exact plan, the secret shown once, and the shared overview', async () => {
    await open(exposedThenBehindToken);
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('share-safely').first().waitFor({ timeout: 10_000 });
    await page.getByTestId('fix-button-share-proxy').first().click();
    const dialog = page.getByTestId('fix-dialog');
    expect(await dialog.getAttribute('data-phase')).toBe('choosing');
    const chooser = page.getByTestId('proxy-chooser');
    const nginx = page.getByTestId('proxy-software-nginx');
    await nginx.waitFor({ timeout: 10_000 });
    // Both proxies installed (the recording says so); a token and inference only by default.
    expect(await nginx.isChecked()).toBe(true);
    expect(await page.getByTestId('proxy-auth-bearer').isChecked()).toBe(true);
    expect(await page.getByTestId('proxy-endpoints-inference').isChecked()).toBe(true);
    expect(await chooser.textContent()).toMatch(
      /Generation, chat, embeddings and the model list; never pulling, pushing or deleting models/,
    );
    // Caddy's own authority is offered with Caddy only; plain HTTP only with a VPN (none here).
    expect(await page.getByTestId('proxy-tls-internal').count()).toBe(0);
    await page.getByTestId('proxy-software-caddy').check();
    expect(await page.getByTestId('proxy-tls-internal').count()).toBe(1);
    await nginx.check();
    expect(await page.getByTestId('proxy-tls-internal').count()).toBe(0);
    expect(await page.getByTestId('proxy-tls-vpn-plain').count()).toBe(0);
    expect(await page.getByTestId('proxy-preview').isDisabled()).toBe(true);
    await page.getByTestId('proxy-tls-certificate').check();
    expect(await page.getByTestId('proxy-preview').textContent()).toMatch(/Name the certificate/);
    await page.getByTestId('proxy-cert').fill('/etc/ssl/certs/workstation.pem');
    await page.getByTestId('proxy-key').fill('/etc/ssl/private/workstation.key');
    await shot('share-proxy-choose');

    // The real plan, as for every fix: summary, files, the secret's file, commands.
    await page.getByTestId('proxy-preview').click();
    await expect.poll(async () => dialog.getAttribute('data-phase')).toBe('preview');
    let text = (await dialog.textContent()) ?? '';
    expect(text).toMatch(/Share Ollama behind a token \(nginx\)/);
    expect(text).toMatch(/https:\/\/192\.168\.1\.20:11434/);
    expect(text).toMatch(/\/etc\/paddock\/share\/11434\/nginx\.conf/);
    expect(text).toMatch(/\/etc\/paddock\/share\/11434\/secret/);
    expect(text).toMatch(/systemctl enable --now -- paddock-share-11434\.service/);
    expect(text).toMatch(/\/etc\/ssl\/certs\/workstation\.pem/);
    await shot('share-proxy-preview');

    // "Change choices" comes back with them kept; previewing again gives the same plan.
    await page.getByTestId('fix-back').click();
    expect(await dialog.getAttribute('data-phase')).toBe('choosing');
    expect(await page.getByTestId('proxy-key').inputValue()).toBe(
      '/etc/ssl/private/workstation.key',
    );
    await page.getByTestId('proxy-preview').click();
    await expect.poll(async () => dialog.getAttribute('data-phase')).toBe('preview');

    // Applied (the recorded outcome): the secret once, with the clients' settings.
    await page.getByTestId('fix-apply').click();
    await expect.poll(async () => dialog.getAttribute('data-phase')).toBe('result');
    const panel = page.getByTestId('share-secret');
    await panel.waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('share-secret-value').textContent()).toBe(TEST_SECRET);
    expect(await panel.textContent()).toMatch(
      /Paddock keeps no copy you can read; undo revokes it/,
    );
    const snippets = (await page.getByTestId('share-snippets').textContent()) ?? '';
    expect(snippets).toContain('https://192.168.1.20:11434/api/tags');
    expect(snippets).toContain(`Authorization: Bearer ${TEST_SECRET}`);
    expect(snippets).toContain('base_url="https://192.168.1.20:11434/v1"');
    text = (await dialog.textContent()) ?? '';
    expect(text).toMatch(/Applied and verified/);
    await shot('share-proxy-secret-once');

    // Closed, the secret is gone from the page, and was never in the window's storage.
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.content()).not.toContain(TEST_SECRET);
    const stored = await page.evaluate<string>(
      'JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })',
    );
    expect(stored).not.toContain(TEST_SECRET);
    await expect
      .poll(async () => (await page.getByTestId('verdict').textContent()) ?? '')
      .toMatch(/Shared with a token/);

    await bridge?.close();
    bridge = null;
    await open(sharedBehindToken);
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    const verdict = page.getByTestId('verdict');
    expect(await verdict.textContent()).toMatch(/Shared with a token/);
    expect(await verdict.getAttribute('data-shared')).toBe('true');
    expect(await mainText()).toMatch(
      /reach it only through nginx on port 11434, which refuses every request without the token/,
    );
    expect(await mainText()).toMatch(/Shared with a password or token/);
    expect(await page.getByTestId('shared-behind').textContent()).toMatch(
      /https:\/\/192\.168\.1\.20:11434, nginx, which asks for a token/,
    );
    expect(await mainText()).not.toMatch(/can use Ollama without a password/i);
    await shot('share-proxy-shared-overview');
  });

  it('issue 16, the Mac app in /Applications: Settings says why admin fixes need a copy, shows exactly what root runs, makes it, and offers the way back', async () => {
    await open({ ...nothing, macAdminCopy: { copyVersion: null } });
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('nav-settings').click();
    const state = page.getByTestId('admin-copy');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 10_000 }).toBe('absent');
    const section = page.getByTestId('admin-copy');
    expect(await section.textContent()).toMatch(
      /any administrator account can swap the app without a password/,
    );
    const steps = (await page.getByTestId('admin-copy-steps').textContent()) ?? '';
    expect(steps).toContain(
      'Check /Applications/Paddock.app against Paddock’s developer signature, then copy it into a staging folder',
    );
    expect(steps).toMatch(/signature and this build, version 0\.2\.0; stop, changing nothing/);
    await page.getByTestId('admin-copy-exact').locator('summary').click();
    const exact = (await page.getByTestId('admin-copy-exact').textContent()) ?? '';
    expect(exact).toContain('/usr/bin/codesign --verify --deep --strict');
    expect(exact).toContain('certificate leaf[subject.OU] = "ABCDE12345"');
    expect(await page.getByTestId('admin-copy-remove').count()).toBe(0);
    await shot('settings-mac-admin-copy');

    await page.getByTestId('admin-copy-install').click();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 10_000 }).toBe('ready');
    expect(await page.getByTestId('admin-copy-outcome').textContent()).toMatch(
      /copied to \/Library\/Paddock\/Paddock\.app, checked against its developer's signature/,
    );
    expect(await page.getByTestId('admin-copy-install').count()).toBe(0);
    expect(await page.getByTestId('admin-copy-back').textContent()).toBe(
      'Back to the overview to run the fix',
    );
    await shot('settings-mac-admin-copy-ready');

    // The way back.
    await page.getByTestId('admin-copy-remove').click();
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 10_000 }).toBe('absent');
    expect(await page.getByTestId('admin-copy-outcome').textContent()).toMatch(/was removed/);
  });

  it('issue 16, a fix refused because the Mac app runs from /Applications: the dialog says why and leads to the admin copy', async () => {
    await open({
      ...exposedWithLaptop,
      macAdminCopy: { copyVersion: null },
      refuseApply: {
        message:
          "Could not get admin rights (sudo -n: a password is required; macOS's admin prompt was not offered: /Applications is writable by group 80 (admin). Make Paddock's admin copy once (Settings > Admin rights on this Mac …)); nothing was changed.",
        adminCopy: true,
      },
    });
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('fix-button-share-allowlist').first().click();
    const offer = page.getByTestId('share-offer-192.168.1.31');
    await offer.waitFor({ timeout: 10_000 });
    await offer.check();
    await page.getByTestId('share-preview').click();
    const dialog = page.getByTestId('fix-dialog');
    await expect.poll(async () => dialog.getAttribute('data-phase')).toBe('preview');
    await page.getByTestId('fix-apply').click();
    const result = page.getByTestId('fix-result');
    await result.waitFor({ timeout: 10_000 });
    expect(await result.getAttribute('data-state')).toBe('not-started');
    expect(await result.textContent()).toMatch(
      /One-time setup needed first\..*any administrator account can replace apps there.*Nothing was changed\./,
    );
    await shot('fix-refused-mac-admin-copy');
    await page.getByTestId('fix-admin-copy').click();
    await expect
      .poll(() => page.getByTestId('nav-settings').getAttribute('aria-current'))
      .toBe('page');
    // Settings opens on the admin copy's card, not at its top.
    await expect
      .poll(() =>
        page.evaluate<string | null>('document.activeElement?.getAttribute("data-testid") ?? null'),
      )
      .toBe('admin-copy');
    await expect
      .poll(() => page.getByTestId('admin-copy').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('absent');
    expect(await page.getByTestId('fix-dialog').count()).toBe(0);
  });

  it('off a Mac, Settings shows no admin-copy section', async () => {
    await open(nothing);
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('setting-interval').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('admin-copy').count()).toBe(0);
  });

  it('no Ollama: says none was found and what to do', async () => {
    await open(nothing);
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    await expect.poll(mainText).toMatch(/no ollama/i);
    // Issue 18: neutral, not a green "Private" with a score.
    expect(await page.getByTestId('verdict').textContent()).toMatch(/nothing is exposed/);
    expect(await page.getByTestId('score').count()).toBe(0);
    await shot('state-no-ollama');
  });

  it('a denied probe: says what could not be read and how to read it', async () => {
    await open(denied);
    await page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
    await expect.poll(mainText).toMatch(/admin rights/i);
    // Issue 18: a button, not a command line in backticks.
    expect(await page.getByTestId('check-elevated').count()).toBe(1);
    await shot('state-probe-denied');
  });

  it('an engine error: shows the engine’s words and a way to retry', async () => {
    await open(failing);
    await expect.poll(mainText, { timeout: 15_000 }).toContain('ss exited with 1');
    const retry = page.getByRole('button', { name: /retry|try again|scan again/i });
    expect(await retry.count()).toBeGreaterThan(0);
    await shot('state-engine-error');
  });
});
