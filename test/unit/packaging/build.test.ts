/**
 * electron-vite builds the three parts of the desktop app (it needs no Electron binary to
 * build). The preload must be CommonJS: a sandboxed preload cannot load an ES module.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const outDir = mkdtempSync(join(tmpdir(), 'pdk-build-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('electron-vite build', () => {
  it('builds main, preload and renderer', { timeout: 120_000 }, () => {
    execFileSync(
      process.execPath,
      ['node_modules/electron-vite/bin/electron-vite.js', 'build', '--outDir', outDir],
      {
        stdio: 'pipe',
      },
    );
    for (const file of ['main/index.js', 'preload/index.js', 'renderer/index.html']) {
      expect(existsSync(join(outDir, file)), file).toBe(true);
    }
    const preload = readFileSync(join(outDir, 'preload/index.js'), 'utf8');
    expect(preload).toMatch(/require\("electron"\)/);
    expect(preload).not.toMatch(/^import /m);
    const html = readFileSync(join(outDir, 'renderer/index.html'), 'utf8');
    expect(html).toContain('Content-Security-Policy');
  });
});
