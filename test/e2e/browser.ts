/**
 * Debian's Chromium driven by playwright-core (never a browser playwright would download), for
 * the end-to-end tests. Skips with the reason when /usr/bin/chromium or playwright-core is
 * missing; PADDOCK_REQUIRE_LAB=1 (set by .ci/run) turns the skip into a failure.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import type { Prerequisite } from '../support/prerequisites';

export const CHROMIUM = '/usr/bin/chromium';

export function browserPrerequisites(): Prerequisite {
  const missing: string[] = [];
  if (!fs.existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install -y chromium)`);
  try {
    createRequire(import.meta.url).resolve('playwright-core');
  } catch {
    missing.push('playwright-core (npm install)');
  }
  return missing.length === 0 ? { ok: true } : { ok: false, reason: missing.join(', ') };
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a throwaway profile, home and temp folder. */
export async function launchChromium(
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-e2e-'));
  for (const dir of ['home', 'tmp']) fs.mkdirSync(path.join(scratch, dir));
  const context = await chromium.launchPersistentContext(path.join(scratch, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    env: { ...process.env, HOME: path.join(scratch, 'home'), TMPDIR: path.join(scratch, 'tmp') },
    viewport: { width: options.width ?? 1100, height: options.height ?? 760 },
    colorScheme: options.colorScheme ?? 'light',
    timeout: 30_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}
