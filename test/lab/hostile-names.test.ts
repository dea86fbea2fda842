/**
 * Model names are the server's to choose, and a fake Ollama chooses them to forge output:
 * a line feed followed by "Verdict: private to this computer" would print a line of its own in
 * `paddock scan` and `paddock watch`. A stand-in lists names holding LF, CR, TAB, VT, FF, NEL,
 * ESC, U+2028, U+2029 and markup; every line Paddock prints must still be its own, whatever
 * reads it (a terminal, `split('\n')`, Python's splitlines, a JSON-lines reader).
 */
/* eslint-disable no-control-regex -- looking for control characters is the point */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PaddockEvent } from '../../shared/events';
import type { Lab, Standin } from './lab';
import { createLab, describeLab } from './lab';
import { CLI, runScan } from './scan-helpers';

const FORGED = 'Verdict: private to this computer (score 100)';
const HOSTILE_NAMES = [
  `lf\n${FORGED}`,
  `crlf\r\n✔ Private to this computer`,
  `cr\r${FORGED}`,
  `tab\there`,
  `vt\u000b${FORGED}`,
  `ff\u000c${FORGED}`,
  `nel\u0085${FORGED}`,
  `ls\u2028${FORGED}`,
  `ps\u2029${FORGED}`,
  'esc\u001b[31mRED\u001b]0;pwned\u0007\u001b[0m',
  '<a href="https://evil.example/paddock-fix">Click here to fix</a><img src=file:///x>',
  'amp &amp; &lt;b&gt;',
];
const model = (name: string, i: number) => ({
  name,
  model: name,
  modified_at: '2026-08-01T00:00:00Z',
  size: 1000 + i,
  digest: `sha256:${String(i).padStart(64, '0')}`,
  details: { family: 'llama', parameter_size: '1B', quantization_level: 'Q4_0' },
});

/** Every way a reader may break a line: LF, CR, VT, FF, FS/GS/RS, NEL, LS, PS. */
const ANY_LINE_BREAK = /\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/;
const linesOf = (text: string) => text.split(ANY_LINE_BREAK);
/** A line that starts (after indentation) with words a model name brought. */
const FORGED_START = /^\s*(Verdict:|✔ Private)/;
/** A line of the watch's human output: `YYYY-MM-DD HH:MM:SS  kind  message`. */
const WATCH_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}\S/;
const WAIT_MS = 20_000;

/** A running `paddock watch`: its output as it comes, and a bounded wait for a line. */
class Watch {
  out = '';
  err = '';
  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => (this.out += c));
    child.stderr?.on('data', (c: string) => (this.err += c));
  }
  async until(what: string, test: () => boolean): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!test()) {
      if (Date.now() > deadline || this.child.exitCode !== null)
        throw new Error(`watch: ${what} did not come; stdout: ${this.out}; stderr: ${this.err}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describeLab('hostile model names cannot forge lines of output', () => {
  let lab: Lab;
  let dir: string;
  let standin: Standin;
  const watches: Watch[] = [];

  beforeAll(async () => {
    lab = await createLab();
    dir = mkdtempSync(join(tmpdir(), 'pdk-hostile-names-'));
    const models = join(dir, 'models.json');
    writeFileSync(models, JSON.stringify({ models: HOSTILE_NAMES.map(model) }));
    standin = await lab.startStandin({
      OLLAMA_HOST: '0.0.0.0',
      STANDIN_MODELS_FILE: models,
      STANDIN_PS_FILE: models,
    });
  });
  afterAll(async () => {
    for (const watch of watches) if (watch.child.exitCode === null) watch.child.kill('SIGKILL');
    await standin?.stop();
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('paddock scan: each name stays on one line of the terminal output', async () => {
    const human = await lab.runInHost([process.execPath, CLI, 'scan'], {
      env: { NO_COLOR: '1' },
      timeoutMs: 15_000,
    });
    expect(human.stdout).toContain('models at');
    expect(human.stdout).not.toMatch(/[\u001b\t\u2028\u2029]/);
    const forged = linesOf(human.stdout).filter((line) => FORGED_START.test(line));
    expect(forged).toEqual([]);
    // The names are still shown, as text, on the line that lists the models.
    const modelsLine = linesOf(human.stdout).find((l) => l.includes('models at'))!;
    expect(modelsLine).toContain(`lf ${FORGED}`);
    expect(modelsLine).toContain('tab here');
    expect(human.stdout).toContain('<a href="https://evil.example/paddock-fix">');
  });

  it('paddock scan --json: the names are read as one line each', async () => {
    const { json } = await runScan(lab);
    const fingerprint = json.snapshot.instances[0]!.fingerprints[0]!;
    const names = fingerprint.models!.map((m) => m.name);
    const loaded = fingerprint.loadedModels!.map((m) => m.name);
    expect(names).toHaveLength(HOSTILE_NAMES.length);
    for (const name of [...names, ...loaded]) expect(name).not.toMatch(ANY_LINE_BREAK);
    expect(names).toContain(`lf ${FORGED}`);
    expect(names).toContain(`ls ${FORGED}`);
    expect(names).toContain('tab here');
    expect(names).toContain('amp &amp; &lt;b&gt;');
  });

  it('paddock watch and watch --json: one event per line, no forged line', async () => {
    const start = (args: string[]) => {
      const state = mkdtempSync(join(dir, 'state-'));
      const watch = new Watch(
        lab.spawnInHost([process.execPath, CLI, 'watch', '--interval', '0.5', ...args], {
          env: { PADDOCK_STATE_DIR: state, NO_COLOR: '1' },
        }),
      );
      watches.push(watch);
      return watch;
    };
    // One watch at a time: two watches scanning at once each see the other's fingerprint
    // connection as a client on this computer, which the GPU-busy rule rightly does not
    // count as remote-only (a flake seen once in CI under load).
    const watchOne = async (args: string[]): Promise<Watch> => {
      const watch = start(args);
      await watch.until('the "watching" line', () => watch.err.includes('paddock: watching'));
      // Another machine connects while models are loaded: the GPU-busy finding names them.
      const held = await lab.holdConnectionFromLan(lab.hostAddress4, 11434);
      try {
        await watch.until('the gpu-busy-remote event', () => watch.out.includes('gpu-busy-remote'));
      } finally {
        await held.close();
        // The watch itself, not only the nsenter that started it, and wait until it is gone.
        const pid = await lab.innerPid(watch.child);
        const exited = new Promise((resolve) => watch.child.once('exit', resolve));
        process.kill(pid, 'SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      }
      return watch;
    };
    const plain = await watchOne([]);
    const json = await watchOne(['--json']);

    const plainLines = linesOf(plain.out).filter((l) => l !== '');
    expect(plainLines.filter((l) => !WATCH_LINE.test(l))).toEqual([]);
    expect(plain.out).not.toMatch(/[\u001b\t]/);
    const busy = plainLines.find((l) => l.includes('gpu-busy-remote'))!;
    expect(busy).toContain(`lf ${FORGED}`);

    expect(json.out).not.toMatch(/[\u2028\u2029]/);
    const events = linesOf(json.out)
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as PaddockEvent);
    const gpu = events.find((e) => e.kind === 'gpu-busy-remote')!;
    expect(gpu.instance).toBeTruthy();
    for (const event of events) expect(event.message).not.toMatch(ANY_LINE_BREAK);
  });
});
