/**
 * Time from page load to the first verdict shown, in Chromium, with the real engine process
 * behind the test bridge (test/e2e/bridge/): the same renderer and engine the app runs, the
 * preload replaced by the bridge's fetch-based `window.paddock`.
 *
 * In the page, an init script watches the DOM and records performance.now() (milliseconds since
 * the navigation started) when the element that shows the verdict (data-testid="verdict-label")
 * first appears. Two cases, interleaved, a fixed number of rounds each:
 *   - cold: a new engine process per load (the window's first open: the engine starts, finds
 *     no scan yet, and scans);
 *   - warm: the same engine, already scanned (reopening the window: snapshot() answers at once).
 * Also printed: the page's own load (DOMContentLoaded) and the scan's duration as the engine
 * measured it, so the remainder is the page and the bridge.
 *
 * Writes bench/results/ui-latest.json. Usage: npm run bench -- ui [--rounds N]
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserPrerequisites, launchChromium } from '../test/e2e/browser';
import { BRIDGE_CLIENT } from '../test/e2e/bridge/client';
import { startBridge, stdioEngine } from '../test/e2e/bridge/server';
import { machine } from './machine';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = path.join(ROOT, 'out/e2e');
const ENGINE = path.join(ROOT, 'out/cli/engine.cjs');
const RESULT = path.join(ROOT, 'bench/results/ui-latest.json');

const WATCH = `(() => {
  const seen = () => document.querySelector('[data-testid="verdict-label"]');
  const mark = () => { if (window.__firstVerdictMs === undefined && seen()) {
    window.__firstVerdictMs = performance.now(); observer.disconnect(); } };
  const observer = new MutationObserver(mark);
  document.addEventListener('DOMContentLoaded', () => {
    window.__domReadyMs = performance.now();
    observer.observe(document.documentElement, { childList: true, subtree: true, attributes: true });
    mark();
  });
})();`;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isInteger(value) && value > 0 && value <= 200 ? value : fallback;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const p90 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(values.length * 0.9) - 1)]!;
const round = (value: number) => Math.round(value * 10) / 10;

interface Sample {
  firstVerdictMs: number;
  domReadyMs: number;
  scanMs: number | null;
}

async function main(): Promise<number> {
  const pre = browserPrerequisites();
  if (!pre.ok) {
    console.error(`bench ui: cannot run: ${pre.reason}`);
    return 2;
  }
  const rounds = option('--rounds', 10);
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--outDir', OUT],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-bench-ui-'));
  const browser = await launchChromium();
  await browser.context.addInitScript(BRIDGE_CLIENT);
  await browser.context.addInitScript(WATCH);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const startEngine = () =>
    stdioEngine(
      spawn(process.execPath, [ENGINE], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          ...process.env,
          HOME: home,
          XDG_CONFIG_HOME: path.join(home, 'config'),
          PADDOCK_STATE_DIR: path.join(home, 'state'),
        },
      }),
    );
  const load = async (url: string): Promise<Sample> => {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(
      () => (globalThis as { __firstVerdictMs?: number }).__firstVerdictMs,
      null,
      {
        timeout: 30_000,
      },
    );
    const figures = await page.evaluate(() => {
      const w = globalThis as { __firstVerdictMs?: number; __domReadyMs?: number };
      return { firstVerdictMs: w.__firstVerdictMs!, domReadyMs: w.__domReadyMs ?? NaN };
    });
    return { ...figures, scanMs: null };
  };

  const cold: Sample[] = [];
  const warm: Sample[] = [];
  const warmBridge = await startBridge(path.join(OUT, 'renderer'), startEngine());
  try {
    await load(warmBridge.url); // the warm engine's first scan
    for (let i = 0; i < rounds; i += 1) {
      const coldBridge = await startBridge(path.join(OUT, 'renderer'), startEngine());
      try {
        const sample = await load(coldBridge.url);
        const view = (await (
          await fetch(`${coldBridge.url}api/snapshot`, { method: 'POST', body: '{}' })
        ).json()) as {
          ok: boolean;
          value?: { snapshot: { durationMs: number } } | null;
        };
        sample.scanMs = view.value?.snapshot.durationMs ?? null;
        cold.push(sample);
      } finally {
        await coldBridge.close();
      }
      warm.push(await load(warmBridge.url));
    }
  } finally {
    await warmBridge.close();
    await browser.close();
    fs.rmSync(home, { recursive: true, force: true });
  }

  const summary = (samples: Sample[]) => ({
    firstVerdictMedianMs: round(median(samples.map((s) => s.firstVerdictMs))),
    firstVerdictP90Ms: round(p90(samples.map((s) => s.firstVerdictMs))),
    domReadyMedianMs: round(median(samples.map((s) => s.domReadyMs))),
    scanMedianMs: samples.some((s) => s.scanMs !== null)
      ? round(median(samples.flatMap((s) => (s.scanMs === null ? [] : [s.scanMs]))))
      : null,
  });
  const result = {
    measuredAt: new Date().toISOString(),
    machine: machine(),
    rounds,
    cold: summary(cold),
    warm: summary(warm),
  };
  console.log('Time from page load to first verdict shown (Chromium, real engine process):');
  console.log(`                 median    p90   DOM ready   engine scan`);
  for (const [name, s] of [
    ['cold (new engine)', result.cold],
    ['warm (scanned)', result.warm],
  ] as const)
    console.log(
      `${name.padEnd(18)} ${String(s.firstVerdictMedianMs).padStart(6)} ${String(s.firstVerdictP90Ms).padStart(6)} ${String(s.domReadyMedianMs).padStart(10)} ${String(s.scanMedianMs ?? '-').padStart(12)}   ms`,
    );
  fs.writeFileSync(RESULT, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written to ${path.relative(ROOT, RESULT)}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench ui failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
