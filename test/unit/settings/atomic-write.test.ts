/**
 * writeFileAtomic leaves either the old content or the new, never a mix. A crash is a child
 * process SIGKILLed at chosen points of the write (through the test hooks) and at random
 * moments of a write loop. The child runs the real module, bundled by esbuild.
 */
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveAside, writeFileAtomic } from '../../../electron/engine/host/atomic-write';

const root = mkdtempSync(join(tmpdir(), 'pdk-atomic-'));
const bundle = join(root, 'atomic-write.cjs');
const child = join(root, 'child.cjs');
let dirCount = 0;
const freshDir = () => {
  dirCount += 1;
  const dir = join(root, `case-${dirCount}`);
  mkdirSync(dir);
  return dir;
};

beforeAll(() => {
  buildSync({
    entryPoints: [
      fileURLToPath(new URL('../../../electron/engine/host/atomic-write.ts', import.meta.url)),
    ],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
  });
  // argv: target, mode ('pause-before-rename' | 'pause-after-rename' | 'loop'), payload files...
  writeFileSync(
    child,
    `const { readFileSync, writeFileSync: w } = require('node:fs');
const { writeFileAtomic } = require(${JSON.stringify(bundle)});
const [target, mode, ...files] = process.argv.slice(2);
const payloads = files.map((f) => readFileSync(f, 'utf8'));
const pause = (label) => () => {
  w(1, label + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
};
if (mode === 'loop') {
  w(1, 'ready\\n');
  for (let i = 0; ; i += 1) writeFileAtomic(target, payloads[i % payloads.length]);
} else if (mode === 'pause-before-rename') {
  writeFileAtomic(target, payloads[0], 0o600, { afterTempWritten: pause('temp-written') });
} else {
  writeFileAtomic(target, payloads[0], 0o600, { afterRename: pause('renamed') });
}
`,
  );
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the child until it prints `label`, then SIGKILLs it; resolves when it is gone. */
function killAt(args: string[], label: string | null, delayMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`child never printed ${label}: ${out} ${err}`));
    }, 15_000);
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (label !== null && out.includes(label)) setTimeout(() => proc.kill('SIGKILL'), delayMs);
    });
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited on its own: ${err}`));
      else resolve(out);
    });
  });
}

/** Payloads travel as files (argv is too small for them). */
function payload(text: string): string {
  dirCount += 1;
  const file = join(root, `payload-${dirCount}`);
  writeFileSync(file, text);
  return file;
}

const tempFiles = (dir: string) => readdirSync(dir).filter((name) => name.includes('.tmp-'));

describe('writeFileAtomic', () => {
  it('writes a new file 0600 in a new folder 0700, and replaces it', () => {
    const dir = join(freshDir(), 'a', 'paddock');
    const target = join(dir, 'settings.json');
    writeFileAtomic(target, 'one');
    expect(readFileSync(target, 'utf8')).toBe('one');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    writeFileAtomic(target, 'two', 0o640);
    expect(readFileSync(target, 'utf8')).toBe('two');
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('writes bytes as given', () => {
    const target = join(freshDir(), 'bin');
    writeFileAtomic(target, new Uint8Array([0, 1, 2, 255]));
    expect([...readFileSync(target)]).toEqual([0, 1, 2, 255]);
  });

  it('a failed rename leaves the target untouched and no temporary file', () => {
    const dir = freshDir();
    const target = join(dir, 'settings.json');
    mkdirSync(target); // a folder where the file should be: rename fails
    expect(() => writeFileAtomic(target, 'new')).toThrow();
    expect(statSync(target).isDirectory()).toBe(true);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('a hook that throws before the rename leaves the old content', () => {
    const dir = freshDir();
    const target = join(dir, 'settings.json');
    writeFileAtomic(target, 'old');
    expect(() =>
      writeFileAtomic(target, 'new', 0o600, {
        afterTempWritten: () => {
          throw new Error('crash');
        },
      }),
    ).toThrow('crash');
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(tempFiles(dir)).toEqual([]);
  });
});

describe('writeFileAtomic survives a SIGKILL', () => {
  it('killed after writing the temporary file, before the rename: the old content', async () => {
    const dir = freshDir();
    const target = join(dir, 'settings.json');
    writeFileSync(target, 'old content');
    const big = 'N'.repeat(512 * 1024);
    await killAt([target, 'pause-before-rename', payload(big)], 'temp-written');
    expect(readFileSync(target, 'utf8')).toBe('old content');
    // The kill did land between write and rename: the full new content sits in the temp file.
    const temps = tempFiles(dir);
    expect(temps).toHaveLength(1);
    expect(readFileSync(join(dir, temps[0]!), 'utf8')).toBe(big);
  });

  it('killed right after the rename: the new content', async () => {
    const dir = freshDir();
    const target = join(dir, 'settings.json');
    writeFileSync(target, 'old content');
    await killAt([target, 'pause-after-rename', payload('new content')], 'renamed');
    expect(readFileSync(target, 'utf8')).toBe('new content');
    expect(tempFiles(dir)).toEqual([]);
  });

  it('killed at random moments of a write loop: always one whole version', async () => {
    const dir = freshDir();
    const target = join(dir, 'settings.json');
    const versions = ['A', 'B', 'C'].map((c) => `${c.repeat(256 * 1024)}\n`);
    const files = versions.map(payload);
    writeFileSync(target, 'initial');
    const seen = new Set<string>();
    for (let round = 0; round < 12; round += 1) {
      await killAt([target, 'loop', ...files], 'ready', (round * 7) % 40);
      const content = readFileSync(target, 'utf8');
      const which = content === 'initial' ? 'initial' : versions.indexOf(content);
      expect(which, `round ${round}: ${content.length} bytes`).not.toBe(-1);
      seen.add(String(which));
    }
    // The loop did run: at least one round replaced the initial content.
    expect([...seen].some((s) => s !== 'initial')).toBe(true);
  }, 60_000);
});

describe('moveAside', () => {
  it('moves a file to a free name and never replaces one', () => {
    const dir = freshDir();
    const target = join(dir, 'settings.json');
    writeFileSync(target, 'first');
    expect(moveAside(target, 'corrupt-x')).toBe(`${target}.corrupt-x`);
    writeFileSync(target, 'second');
    expect(moveAside(target, 'corrupt-x')).toBe(`${target}.corrupt-x-1`);
    expect(readFileSync(`${target}.corrupt-x`, 'utf8')).toBe('first');
    expect(readFileSync(`${target}.corrupt-x-1`, 'utf8')).toBe('second');
    expect(moveAside(target, 'corrupt-x')).toBeNull();
  });
});
