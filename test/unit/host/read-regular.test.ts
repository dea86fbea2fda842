/**
 * readRegularFile, the one reader of recipes (and root's checks): to the end of the file, not
 * to the size stat reports, so that a file of /proc, which reports 0, is read whole. Recipes
 * read /proc/1/comm to know whether systemd runs (block-port's boot unit): read as '', no
 * nftables fix of Paddock's was made to last past a reboot.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRegularFile, readTextForRecipe } from '../../../electron/engine/host/fix-files';

const dir = mkdtempSync(join(tmpdir(), 'pdk-read-regular-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readRegularFile', () => {
  it.skipIf(process.platform !== 'linux')(
    'reads a file of /proc whole, though stat says it is empty',
    () => {
      const read = readRegularFile('/proc/self/comm', 1024);
      expect(read.ok && read.text.length > 0).toBe(true);
      expect(read.ok && read.text).toBe(readFileSync('/proc/self/comm', 'utf8'));
      expect(readTextForRecipe('/proc/1/comm')).toBe(readFileSync('/proc/1/comm', 'utf8'));
    },
  );

  it('reads up to its limit, and refuses one byte more', () => {
    const file = join(dir, 'f');
    writeFileSync(file, 'x'.repeat(100));
    expect(readRegularFile(file, 100)).toMatchObject({ ok: true, text: 'x'.repeat(100) });
    expect(readRegularFile(file, 99)).toMatchObject({ ok: false });
    writeFileSync(file, '');
    expect(readRegularFile(file, 100)).toMatchObject({ ok: true, text: '' });
  });
});
