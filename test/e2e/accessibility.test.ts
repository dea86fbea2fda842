/**
 * Issue 18, item 9: every view of the app's window in Chromium, in the light and the dark theme,
 * checked by axe-core (WCAG 2 A and AA rules): no serious or critical violation. Axe checks
 * text contrast, names, roles and states; it has no rule for the contrast of a control's edge,
 * so a second check here asks of every button, field and the theme control that its border or
 * its fill stands out from what is behind it at 3:1 (WCAG 1.4.11, non-text contrast).
 * The pages are fed recorded scans through the real rules, as in app-states.test.ts.
 * Screenshots go to test-results/a11y/<view>-<theme>.png.
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
import type { HistoryView } from '../../shared/api';
import type { PaddockEvent } from '../../shared/events';
import type { FixRun } from '../../shared/fixes';
import { isManual, planFix } from '../../electron/engine/fixes/recipes';
import { describeWhen } from '../support/prerequisites';
import {
  LAN_INTERFACE,
  LOOPBACK_INTERFACE,
  PUBLIC4,
  PUBLIC_INTERFACE,
  TAKEN_AT,
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
const SHOTS = path.join(ROOT, 'test-results/a11y');
const VIEWPORT = { width: 1100, height: 760 };
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

// ── recorded machines ─────────────────────────────────────────────────────────────────────

/** Ollama open to the internet, a GPU under load, clients from elsewhere: the fullest page. */
const internet: Recording = {
  snapshot: buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
    instances: [
      {
        settings: [setting('OLLAMA_HOST', '0.0.0.0'), setting('OLLAMA_ORIGINS', '*')],
        listeners: [{ address: '::', dualStack: true, via: [...lanPaths(), { address: PUBLIC4 }] }],
        loadedModels: ['llama3.2:3b'],
        peers: [peer('198.51.100.7'), peer('192.168.1.44')],
      },
    ],
    gpus: [nvidiaGpu(97)],
    accessLogClients: [
      { client: '198.51.100.7' },
      { client: '192.168.1.44', requests: 3, endpoints: [{ path: '/api/generate', count: 3 }] },
    ],
  }),
  gpuHistory: Array.from({ length: 30 }, (_, i) => ({
    at: new Date(Date.parse(TAKEN_AT) - (30 - i) * 60_000).toISOString(),
    utilizationPercent: i < 10 ? 2 : Math.min(98, 20 + i * 4),
    memoryUsedMiB: 1200 + i * 2000,
    memoryTotalMiB: 143_771,
  })),
};

/** Ollama open to the LAN, a laptop using it now, the unit's drop-in folder looked at. */
const exposed = buildSnapshot({
  interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
  firewall: { status: 'ok', facts: firewallFacts('off') },
  instances: [wildcardOllama(null, { peers: [peer('192.168.1.31')] })],
});
exposed.probes.settings.evidence.push({
  kind: 'file',
  ref: '/etc/systemd/system/ollama.service.d',
  outcome: 'ENOENT',
});

/** After "password or token in front": Ollama on loopback, nginx asking for a token. */
const behindToken = buildSnapshot({
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
          reasons: ['nginx (pid 880) on 192.168.1.20:11434 asks for Bearer credentials.'],
        }),
      ],
    }),
  ],
});
behindToken.instances[0]!.sharedBehind = [
  { software: 'nginx', address: '192.168.1.20', port: 11434, scheme: 'Bearer', tls: true },
];

/** History: an applied, an undone and a rolled-back run, and an event of each severity. */
function history(): HistoryView {
  const instance = exposed.instances[0]!;
  const plan = planFix(
    'share-allowlist',
    exposed,
    instance.id,
    { readFile: () => null, fileMode: () => null },
    { allow: ['192.168.1.31'] },
  );
  if (isManual(plan)) throw new Error('share-allowlist gave a manual fix');
  const run = (n: number, state: FixRun['state'], outcome: string): FixRun => ({
    id: `20261128T11${n}000000Z-5eca1e0${n}`,
    plan,
    state,
    startedAt: `2026-11-28T11:${n}0:00.000Z`,
    endedAt: `2026-11-28T11:${n}0:02.000Z`,
    outcome,
    journal: [],
  });
  const severities: PaddockEvent['severity'][] = ['critical', 'high', 'medium', 'low', 'info'];
  return {
    runs: [
      run(3, 'applied', 'Applied and verified: only 192.168.1.31 reaches port 11434.'),
      run(2, 'undone', 'Undone: the system is as it was.'),
      run(1, 'rolled-back', 'Rolled back: the check failed.'),
    ],
    events: severities.map((severity, i) => ({
      id: `2026-11-28T11:0${i}:00.000Z-${i}`,
      kind: 'exposure-started',
      at: `2026-11-28T11:0${i}:00.000Z`,
      instance: instance.id,
      verdict: 'lan',
      severity,
      message: `Ollama became reachable from the local network (${severity}).`,
      data: {},
    })),
    problems: ['/var/lib/paddock/runs/broken.json: not valid JSON'],
  };
}

const RECORDINGS = {
  internet,
  exposed: {
    snapshot: exposed,
    history: history(),
    afterApply: { snapshot: behindToken, secret: 'TEST-ONLY-secret-00000000' },
  },
  nothing: { snapshot: buildSnapshot({ instances: [] }) },
  denied: {
    snapshot: buildSnapshot({
      instances: [wildcardOllama()],
      firewall: { status: 'denied', facts: firewallFacts('denied'), message: 'nft needs root' },
    }),
  },
  failing: {
    snapshot: buildSnapshot({ instances: [] }),
    scanError: 'The scan failed: ss exited with 1 (the process table could not be read).',
  },
} satisfies Record<string, Recording>;

// ── the views ─────────────────────────────────────────────────────────────────────────────

interface View {
  name: string;
  recording: keyof typeof RECORDINGS;
  /** Appended to the page's address (`?first-run`: the first-run screen is not skipped). */
  query?: string;
  /** From the loaded page to the view; waits until it is shown. */
  reach(page: Page): Promise<void>;
}

const ready = (page: Page) => page.locator('main[data-ready="true"]').waitFor({ timeout: 15_000 });
const nav = async (page: Page, view: string, shown: string) => {
  await ready(page);
  await page.getByTestId(`nav-${view}`).click();
  await page.locator('main').getByText(shown).first().waitFor({ timeout: 10_000 });
};
const dialogPhase = (page: Page, phase: string) =>
  page.locator(`[data-testid="fix-dialog"][data-phase="${phase}"]`).waitFor({ timeout: 10_000 });

const VIEWS: View[] = [
  { name: 'overview', recording: 'internet', reach: ready },
  {
    name: 'finding-detail',
    recording: 'internet',
    reach: async (page) => {
      await ready(page);
      await page
        .locator('[data-testid^="finding-"]')
        .first()
        .getByRole('button', { name: 'Details' })
        .click();
      await page.locator('main').getByText('How Paddock knows').first().waitFor();
    },
  },
  {
    name: 'accept-risk-form',
    recording: 'internet',
    reach: async (page) => {
      await ready(page);
      await page.locator('[data-testid^="accept-"]').first().click();
      await page.locator('.accept-form').waitFor();
    },
  },
  { name: 'network', recording: 'internet', reach: (page) => nav(page, 'network', 'Firewall') },
  {
    name: 'first-run',
    recording: 'exposed',
    query: '?first-run',
    reach: (page) => page.getByTestId('first-run').waitFor({ timeout: 15_000 }),
  },
  {
    name: 'score-breakdown',
    recording: 'internet',
    reach: async (page) => {
      await ready(page);
      await page.getByTestId('score-button').click();
      await page.getByTestId('score-breakdown').waitFor({ state: 'visible' });
    },
  },
  {
    name: 'activity-filtered-client',
    recording: 'internet',
    reach: async (page) => {
      await ready(page);
      await page
        .getByTestId('remote-client-alert')
        .first()
        .getByRole('button', { name: 'See its requests' })
        .click();
      await page.getByTestId('activity-filter').waitFor();
    },
  },
  { name: 'activity', recording: 'internet', reach: (page) => nav(page, 'activity', 'GPU') },
  { name: 'history', recording: 'exposed', reach: (page) => nav(page, 'history', 'Events') },
  { name: 'settings', recording: 'exposed', reach: (page) => nav(page, 'settings', 'Watching') },
  {
    name: 'fix-dialog-share-choose',
    recording: 'exposed',
    reach: async (page) => {
      await ready(page);
      await page.getByTestId('fix-button-share-allowlist').first().click();
      await page.getByTestId('share-offer-192.168.1.31').waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'fix-dialog-share-preview',
    recording: 'exposed',
    reach: async (page) => {
      await ready(page);
      await page.getByTestId('fix-button-share-allowlist').first().click();
      await page.getByTestId('share-offer-192.168.1.31').check({ timeout: 10_000 });
      await page.getByTestId('share-preview').click();
      await dialogPhase(page, 'preview');
    },
  },
  {
    name: 'fix-dialog-proxy-choose',
    recording: 'exposed',
    reach: async (page) => {
      await ready(page);
      await page.getByTestId('fix-button-share-proxy').first().click();
      await page.getByTestId('proxy-software-nginx').waitFor({ timeout: 10_000 });
    },
  },
  {
    name: 'fix-dialog-result',
    recording: 'exposed',
    reach: async (page) => {
      await ready(page);
      await page.getByTestId('fix-button-share-proxy').first().click();
      await page.getByTestId('proxy-tls-certificate').check({ timeout: 10_000 });
      await page.getByTestId('proxy-cert').fill('/etc/ssl/certs/workstation.pem');
      await page.getByTestId('proxy-key').fill('/etc/ssl/private/workstation.key');
      await page.getByTestId('proxy-preview').click();
      await dialogPhase(page, 'preview');
      await page.getByTestId('fix-apply').click();
      await dialogPhase(page, 'result');
      await page.getByTestId('share-secret').waitFor();
    },
  },
  {
    name: 'fix-dialog-failed',
    recording: 'internet',
    reach: async (page) => {
      await ready(page);
      await page.locator('[data-testid^="fix-button-"].primary').first().click();
      await dialogPhase(page, 'failed');
    },
  },
  {
    name: 'state-no-ollama',
    recording: 'nothing',
    reach: async (page) => {
      await ready(page);
      await page.getByTestId('ollama-not-found').waitFor();
    },
  },
  {
    name: 'state-probe-denied',
    recording: 'denied',
    reach: async (page) => {
      await ready(page);
      await page.locator('[data-testid^="probe-denied-"]').first().waitFor();
    },
  },
  {
    name: 'state-engine-error',
    recording: 'failing',
    reach: (page) => page.getByTestId('engine-error').waitFor({ timeout: 15_000 }),
  },
];

// ── the checks, run in the page ───────────────────────────────────────────────────────────

interface AxeNode {
  target: string[];
  any: Array<{ id: string; data?: Record<string, unknown> | null; message: string }>;
  all: Array<{ id: string; message: string }>;
  none: Array<{ id: string; message: string }>;
}
interface AxeResult {
  id: string;
  impact: string | null;
  help: string;
  nodes: AxeNode[];
}

/** One line per element: the rule, the element's selector, and the contrast numbers. */
function describeViolations(results: AxeResult[]): string[] {
  const lines: string[] = [];
  for (const rule of results)
    for (const node of rule.nodes) {
      const contrast = node.any.find((c) => c.data && 'contrastRatio' in c.data)?.data;
      const numbers = contrast
        ? ` (${String(contrast.contrastRatio)}:1, needs ${String(contrast.expectedContrastRatio)}; ` +
          `${String(contrast.fgColor)} on ${String(contrast.bgColor)}, ` +
          `${String(contrast.fontSize)} ${String(contrast.fontWeight)})`
        : '';
      lines.push(`[${rule.impact}] ${rule.id}: ${node.target.join(' ')}${numbers} — ${rule.help}`);
    }
  return lines;
}

/**
 * WCAG 1.4.11 for controls, which axe does not check: each visible button (but plain-text
 * link buttons and the navigation entries, which read as text and a list), text field and
 * segmented control (the theme's) must show its edge, by a border or a fill, at 3:1 against
 * what is behind it.
 * Runs in the page; returns one line per control that falls short.
 */
const CONTROL_EDGES = `(() => {
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/) || value.match(/color\\(srgb ([^)]+)\\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    const scale = value.startsWith('color(') ? 255 : 1;
    return { r: parts[0] * scale, g: parts[1] * scale, b: parts[2] * scale, a: parts.length > 3 ? parts[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const backdrop = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let colour = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const label = (el) => {
    const testid = el.getAttribute('data-testid');
    const text = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('type') || '').trim().slice(0, 40);
    return el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '') +
      (testid ? '[data-testid=' + testid + ']' : '') + ' "' + text + '"';
  };
  const short = [];
  const controls = document.querySelectorAll(
    'button:not(.link-button):not(.nav-item), input:not([type=checkbox]):not([type=radio]):not([type=hidden]), textarea, select, [role=switch], .segmented');
  for (const el of controls) {
    if (el.matches(':disabled') || el.closest('[hidden], .visually-hidden')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const behind = backdrop(el.parentElement);
    const fill = parse(style.backgroundColor);
    const own = fill && fill.a > 0 ? over(fill, behind) : behind;
    const fillRatio = ratio(own, behind);
    let borderRatio = 0;
    let border = null;
    if (parseFloat(style.borderTopWidth) >= 1 && style.borderTopStyle !== 'none') {
      const c = parse(style.borderTopColor);
      if (c && c.a > 0) { border = over(c, behind); borderRatio = ratio(border, behind); }
    }
    const best = Math.max(fillRatio, borderRatio);
    if (best < 3)
      short.push(label(el) + ': edge ' + best.toFixed(2) + ':1 (fill ' + hex(own) + ', border ' +
        (border ? hex(border) : 'none') + ', behind ' + hex(behind) + ')');
  }
  return short;
})()`;

// ── the test ──────────────────────────────────────────────────────────────────────────────

describeWhen('browser', browserPrerequisites, 'accessibility of every view (axe-core)', () => {
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

  for (const theme of ['light', 'dark'] as const)
    describe(`${theme} theme`, () => {
      for (const view of VIEWS)
        it(`${view.name}: no serious or critical axe violation, controls' edges at 3:1`, async () => {
          bridge = await startBridge(
            path.join(E2E_OUT, 'renderer'),
            recordedEngine(RECORDINGS[view.recording]),
          );
          await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
          await page.goto(bridge.url + (view.query ?? ''), { waitUntil: 'load' });
          await view.reach(page);
          // The page is settled: no transition or scan half-way.
          await page.waitForTimeout(150);

          if (!(await page.evaluate('typeof window.axe === "object"')))
            await page.evaluate(axeSource);
          const results = await page.evaluate<AxeResult[]>(
            `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} },
              resultTypes: ['violations'] }).then((run) => run.violations)`,
          );
          const serious = results.filter((r) => r.impact === 'serious' || r.impact === 'critical');
          const lesser = results.filter((r) => !serious.includes(r));
          if (lesser.length > 0)
            console.warn(
              `[a11y] ${view.name} (${theme}), moderate or minor:\n` +
                describeViolations(lesser).join('\n'),
            );
          const edges = await page.evaluate<string[]>(CONTROL_EDGES);
          const problems = [...describeViolations(serious), ...edges.map((e) => `[edge] ${e}`)];
          if (problems.length > 0)
            console.warn(`[a11y] ${view.name} (${theme}):\n${problems.join('\n')}`);
          // The whole view in one picture: <main> and the dialog's body scroll, so the window
          // grows to fit the one shown (after the checks, which see the window's usual size).
          const height = await page.evaluate<number>(
            `Math.max(document.documentElement.clientHeight, document.querySelector('.dialog-body')
              ? document.querySelector('.dialog-body').scrollHeight + 220
              : document.querySelector('main').scrollHeight + document.querySelector('.topbar').offsetHeight)`,
          );
          await page.setViewportSize({ width: VIEWPORT.width, height: Math.min(height, 4000) });
          await page.screenshot({ path: path.join(SHOTS, `${view.name}-${theme}.png`) });
          await page.setViewportSize(VIEWPORT);
          expect(problems, `${view.name} in the ${theme} theme`).toEqual([]);
        });
    });

  // Last: it chooses a theme, which the window keeps.
  it('the theme switch is a radio group named Theme: by click and by arrow keys, with its state', async () => {
    bridge = await startBridge(path.join(E2E_OUT, 'renderer'), recordedEngine(RECORDINGS.nothing));
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(bridge.url, { waitUntil: 'load' });
    await ready(page);
    const group = page.getByRole('radiogroup', { name: 'Theme' });
    const radio = (name: string) => group.getByRole('radio', { name });
    const chosen = () =>
      page.evaluate<string | null>('document.documentElement.dataset.theme ?? null');
    expect(await radio('System').isChecked()).toBe(true);
    expect(await chosen()).toBeNull();
    await radio('Dark').click();
    expect(await radio('Dark').isChecked()).toBe(true);
    expect(await radio('System').isChecked()).toBe(false);
    expect(await chosen()).toBe('dark');
    // One tab stop; the arrows choose.
    await radio('Dark').focus();
    await page.keyboard.press('ArrowLeft');
    expect(await radio('Light').isChecked()).toBe(true);
    expect(await chosen()).toBe('light');
    await page.keyboard.press('ArrowLeft');
    expect(await chosen()).toBeNull();
  });
});
