import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDirNames, readFileCapped, readLinkTarget } from '../../../electron/engine/host/files';

const dir = mkdtempSync(join(tmpdir(), 'pdk-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readFileCapped', () => {
  it('reads /proc files, whose size reads as 0', async () => {
    const read = await readFileCapped('/proc/self/cmdline');
    expect(read.ok && read.text.length).toBeGreaterThan(0);
  });

  it('stops at the cap and says it was truncated', async () => {
    const path = join(dir, 'big');
    writeFileSync(path, 'x'.repeat(5000));
    expect(await readFileCapped(path, 1000)).toMatchObject({
      ok: true,
      truncated: true,
      text: 'x'.repeat(1000),
    });
  });

  it('names the error: missing is ENOENT, a directory is not read', async () => {
    expect(await readFileCapped(join(dir, 'missing'))).toMatchObject({ ok: false, code: 'ENOENT' });
    expect(await readFileCapped(dir)).toMatchObject({ ok: false });
  });

  it('refuses a FIFO without waiting for a writer, and refuses devices', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await readFileCapped(fifo)).toMatchObject({ ok: false, code: 'ENOTREG' });
    expect(await readFileCapped('/dev/zero')).toMatchObject({ ok: false, code: 'ENOTREG' });
  });
});

describe('readDirNames and readLinkTarget', () => {
  it('list a folder and read a link, with the error code otherwise', async () => {
    expect(await readDirNames(dir)).toMatchObject({ ok: true });
    expect(await readLinkTarget('/proc/self/exe')).toMatchObject({
      ok: true,
      target: process.execPath,
    });
    expect(await readLinkTarget(join(dir, 'nope'))).toMatchObject({ ok: false, code: 'ENOENT' });
  });
});
