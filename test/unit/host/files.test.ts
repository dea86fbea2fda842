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

  it('fuzz F3: says when the bytes were not UTF-8, so a real U+FFFD can be told from them', async () => {
    const real = join(dir, 'real-fffd');
    writeFileSync(real, '\uFEFFA=caf\uFFFD\n');
    const realRead = await readFileCapped(real);
    expect(realRead).toEqual({
      ok: true,
      path: real,
      text: '\uFEFFA=caf\uFFFD\n',
      truncated: false,
    });
    const latin1 = join(dir, 'latin1');
    writeFileSync(latin1, Buffer.from([0x41, 0x3d, 0x63, 0x61, 0x66, 0xe9, 0x0a]));
    expect(await readFileCapped(latin1)).toEqual({
      ok: true,
      path: latin1,
      text: 'A=caf\uFFFD\n',
      truncated: false,
      invalidUtf8: true,
    });
    // Cut at the cap in the middle of "é" (C3 A9): the half character is dropped, not invalid.
    const cut = join(dir, 'cut');
    writeFileSync(cut, 'ab\u00e9');
    expect(await readFileCapped(cut, 3)).toEqual({
      ok: true,
      path: cut,
      text: 'ab',
      truncated: true,
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

describe('exec', () => {
  it('runs by argv with LC_ALL=C and a PATH that includes the sbin folders', async () => {
    const { execArgv, withSystemPath } = await import('../../../electron/engine/host/exec');
    expect(withSystemPath('/home/u/bin:/usr/bin')).toBe(
      '/home/u/bin:/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/bin',
    );
    const result = await execArgv([
      'sh',
      '-c',
      'echo "$LC_ALL|$PATH"; echo "$1"',
      'sh',
      '$(id); `id`',
    ]);
    expect(result.code).toBe(0);
    const [env, arg] = result.stdout.split('\n');
    expect(env!.startsWith('C|')).toBe(true);
    expect(env).toContain('/usr/sbin');
    // An argument is data: a shell metacharacter in it is printed, never run.
    expect(arg).toBe('$(id); `id`');
  });

  it('kills a program that outlives its timeout, and reports a missing one as ENOENT', async () => {
    const { execArgv } = await import('../../../electron/engine/host/exec');
    const slow = await execArgv(['sleep', '5'], { timeoutMs: 200 });
    expect(slow).toMatchObject({ timedOut: true, code: null, signal: 'SIGKILL' });
    expect(slow.durationMs).toBeLessThan(2000);
    expect(await execArgv(['paddock-no-such-program'])).toMatchObject({ spawnError: 'ENOENT' });
  });

  it('stops reading past the output cap', async () => {
    const { execArgv } = await import('../../../electron/engine/host/exec');
    const result = await execArgv(['head', '-c', '100000', '/dev/zero'], { maxBytes: 1000 });
    expect(result.truncated).toBe(true);
    expect(result.stdout.length).toBe(1000);
  });
});
