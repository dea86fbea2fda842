/**
 * Builds what the browser tests open: the engine process and the CLI (scripts/build-cli.mjs)
 * and the app's renderer (electron-vite, into out/e2e/). A failed build is reported here and
 * again by every test that needs it.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const E2E_OUT = fileURLToPath(new URL('../../out/e2e', import.meta.url));

export default function setup(): void {
  for (const argv of [
    ['scripts/build-cli.mjs'],
    ['node_modules/electron-vite/bin/electron-vite.js', 'build', '--outDir', E2E_OUT],
  ]) {
    try {
      execFileSync(process.execPath, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (error) {
      console.error(`\nCould not build for the browser tests (${argv[0]}): ${String(error)}\n`);
    }
  }
}
