/**
 * `npm start` where Electron cannot be had (this machine: no binary, Node 20): one plain
 * paragraph that says why and points to the CLI, exit 1, no stack trace.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without types
import { electronProblem } from '../../../scripts/start.mjs';

const problem = electronProblem as (dir?: string, env?: object, node?: string) => string | null;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-start-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function electronAt(withBinary: boolean): string {
  const where = fs.mkdtempSync(path.join(dir, 'electron-'));
  fs.writeFileSync(path.join(where, 'package.json'), '{}');
  fs.writeFileSync(path.join(where, 'path.txt'), 'electron');
  if (withBinary) {
    fs.mkdirSync(path.join(where, 'dist'));
    fs.writeFileSync(path.join(where, 'dist', 'electron'), '');
  }
  return where;
}

describe('npm start without Electron', () => {
  it('names the reason: an old Node, a skipped download, or nothing installed', () => {
    expect(problem(electronAt(false), {}, '20.20.2')).toMatch(
      /needs Node 22.12 or later; this is Node 20.20.2/,
    );
    expect(problem(electronAt(false), { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, '22.12.0')).toMatch(
      /ELECTRON_SKIP_BINARY_DOWNLOAD is set/,
    );
    expect(problem(path.join(dir, 'none'), {}, '22.12.0')).toMatch(/run `npm ci` first/);
    expect(problem(electronAt(true), {}, '20.20.2')).toBeNull();
  });

  it('says so in plain words, points to the CLI, and exits 1 without a stack trace', () => {
    const started = spawnSync(process.execPath, ['scripts/start.mjs'], {
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'nowhere') },
    });
    expect(started.status).toBe(1);
    expect(started.stderr).toMatch(/Paddock's window cannot start on this machine/);
    expect(started.stderr).toContain('node bin/paddock.cjs scan');
    expect(started.stderr).not.toMatch(/\n\s+at /);
  });
});
