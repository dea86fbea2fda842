import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PaddockEvent } from '../../../shared/events';
import { paddockEventSchema } from '../../../shared/events';
import type { CliIo } from '../../../electron/cli/main';
import { runCli } from '../../../electron/cli/main';
import { commandWatch, formatEvent, localTime, parseWatchArgs } from '../../../electron/cli/watch';
import { createHistoryStore } from '../../../electron/engine/history/store';
import type { ScanResult } from '../../../electron/engine/monitor/monitor';
import type { TickState } from '../../../electron/engine/monitor/tick';
import { buildSnapshot, loopbackOllama, wildcardOllama } from '../../rules/snapshots';
import { createFakeHost } from '../../support/fake-host';

function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    isTty: false,
    isStdinTty: false,
    privileged: ['node', 'paddock-privileged.cjs'],
    env: () => undefined,
    settingsPath: null,
  };
}

const EVENT: PaddockEvent = {
  id: '2026-11-28T12:00:05.000Z-exposure-started-0badcafe',
  kind: 'exposure-started',
  at: '2026-11-28T12:00:05.000Z',
  instance: 'ollama:pid:42',
  verdict: 'lan',
  severity: 'high',
  message: 'Ollama (ollama:pid:42) is reachable from the local network at 10.251.0.1:11434.',
  data: { place: 'ports:11434' },
};

describe('paddock watch arguments and output', () => {
  it('parses --json and --interval, and refuses the rest', () => {
    expect(parseWatchArgs([])).toEqual({ json: false, tickMs: 2000 });
    expect(parseWatchArgs(['--json', '--interval', '0.5'])).toEqual({ json: true, tickMs: 500 });
    expect(parseWatchArgs(['--interval=10'])).toEqual({ json: false, tickMs: 10_000 });
    expect(parseWatchArgs(['--interval'])).toEqual({ error: '--interval needs a value (seconds)' });
    expect(parseWatchArgs(['--interval', '0.1'])).toMatchObject({
      error: expect.stringContaining('from 0.5 to 3600'),
    });
    expect(parseWatchArgs(['--interval', '-3'])).toMatchObject({
      error: expect.stringContaining('seconds'),
    });
    expect(parseWatchArgs(['--interval', '1e3'])).toMatchObject({
      error: expect.stringContaining('seconds'),
    });
    expect(parseWatchArgs(['--json=yes'])).toEqual({ error: '--json takes no value' });
    expect(parseWatchArgs(['--gpu'])).toEqual({ error: 'unknown option: "--gpu"' });
    expect(parseWatchArgs(['now'])).toMatchObject({
      error: expect.stringContaining('no argument'),
    });
  });

  it('prints one human line per event: local time, kind, message', () => {
    const line = formatEvent(EVENT, false);
    expect(line).toBe(`${localTime(EVENT.at)}  exposure-started    ${EVENT.message}\n`);
    expect(localTime(EVENT.at)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const hostile = formatEvent({ ...EVENT, message: 'evil \u001b[2J text' }, false);
    expect(hostile).not.toContain('\u001b');
  });

  it('--json prints the event as one JSON object per line', () => {
    const line = formatEvent(EVENT, true);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(paddockEventSchema.parse(JSON.parse(line))).toEqual(EVENT);
  });

  it('a message cannot forge a line, in either form (LF, CR, U+2028, U+2029, TAB)', () => {
    const forged = 'Verdict: private to this computer (score 100)';
    const message = `model a\n${forged}, b\r\n${forged}, c\u2028${forged}, d\u2029${forged}, e\tf`;
    const human = formatEvent({ ...EVENT, message }, false);
    expect(human.slice(0, -1)).not.toMatch(/[\n\r\t\u2028\u2029]/);
    expect(human).toContain(`model a ${forged}, b  ${forged}, c ${forged}, d ${forged}, e f`);
    const json = formatEvent({ ...EVENT, message }, true);
    expect(json.slice(0, -1)).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(json).toContain('\\u2028');
    expect((JSON.parse(json) as typeof EVENT).message).toBe(message);
  });

  it('a usage error exits 2 through the CLI', async () => {
    const io = captureIo();
    expect(await runCli(['watch', '--bogus'], io)).toBe(2);
    expect(io.err.join('')).toContain('unknown option: "--bogus"');
    expect(io.err.join('')).toContain('paddock watch [--json] [--interval SECONDS]');
  });
});

describe('paddock watch over a scripted machine', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pdk-watch-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints and keeps each event, announces when watching began, and exits 0 when told to stop', async () => {
    const scans: ScanResult[] = [
      { snapshot: buildSnapshot({ instances: [] }), findings: [] },
      { snapshot: buildSnapshot({ instances: [wildcardOllama(null, { pid: 7 })] }), findings: [] },
      { snapshot: buildSnapshot({ instances: [loopbackOllama({ pid: 8 })] }), findings: [] },
    ];
    const ticks: TickState[] = [
      { listeners: [], peers: [], processes: [] },
      { listeners: [':: 11434'], peers: [], processes: ['7 server'] },
      { listeners: ['127.0.0.1 11434'], peers: [], processes: ['8 server'] },
    ];
    let step = 0;
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    const io = captureIo();
    const history = createHistoryStore({ dir });
    const scanned: number[] = [];
    const code = commandWatch(['--json', '--interval', '0.5'], io, {
      host: createFakeHost(),
      history,
      until,
      monitor: {
        tick: async () => ticks[Math.min(step, ticks.length - 1)]!,
        fullScan: async () => {
          const result = scans[Math.min(step, scans.length - 1)]!;
          scanned.push(step);
          step += 1;
          if (step >= scans.length) setTimeout(stop, 50);
          return result;
        },
        tickMs: 5,
      },
    });
    expect(await code).toBe(0);
    expect(scanned).toEqual([0, 1, 2]);
    const printed = io.out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as PaddockEvent);
    expect(printed.map((e) => e.kind)).toEqual([
      'new-instance',
      'exposure-started',
      'exposure-ended',
      'instance-gone',
      'new-instance',
    ]);
    const kept = await history.read();
    expect(kept.events).toEqual(printed);
    const err = io.err.join('');
    expect(err).toMatch(/^paddock: watching \(a tick every 0\.5 s/);
    expect(err).toContain(history.path);
    expect(err).toContain('stopped watching');
  });

  it('an unwritable history is reported once and the events are still printed', async () => {
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    const io = captureIo();
    const broken = {
      path: '/nonexistent/history.jsonl',
      append: () => {
        throw new Error('EROFS: read-only file system');
      },
      appendRun: () => undefined,
      read: async () => ({ events: [], runs: [], skipped: 0, problems: [] }),
      prune: () => [],
    };
    let scans = 0;
    const code = commandWatch([], io, {
      host: createFakeHost(),
      history: broken,
      until,
      monitor: {
        tick: async () => ({ listeners: [], peers: [], processes: [`${scans} server`] }),
        fullScan: async () => {
          scans += 1;
          if (scans === 3) setTimeout(stop, 20);
          return {
            snapshot: buildSnapshot({ instances: [wildcardOllama(null, { pid: scans })] }),
            findings: [],
          };
        },
        tickMs: 5,
      },
    });
    expect(await code).toBe(0);
    expect(io.out.join('')).toContain('exposure-started');
    expect(io.out.join('').split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(3);
    expect(io.err.join('').match(/could not be kept in the history/g)).toHaveLength(1);
  });
});
