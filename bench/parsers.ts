/**
 * `npm run bench -- parsers [--sizes 128,256,512,1024] [--runs N] [--budget-ms N] [--out FILE]
 * [--json]` (scripts/run-bench.mjs builds this into out/bench/parsers.cjs): the parsers of
 * the fuzzing report of issue 11 (fuzz-findings.md, F1 and F4) fed the worst input each
 * finding names, at each size (KiB of input; default 128, 256, 512 and 1024), and timed.
 *
 * For each parser and input it prints the median time per size and the ratio of the time at
 * the largest size to the time at the smallest. The default sizes span a factor of 8, so a
 * linear parser shows a ratio of about 8 and a quadratic one about 64. Every answer is also
 * checked (a fast wrong answer is no fix): the line of `|` is an invalid gin line, the
 * continuation lines make no directive, and so on.
 *
 * Bounded: inputs are built in memory (no files, no network); per size, 1 warm-up and up to
 * --runs timed runs (default 5), fewer when one run takes longer than 1 s; a parser whose run
 * takes longer than --budget-ms (default 20,000) is not run at the larger sizes (shown "—").
 *
 * Writes the figures to bench/results/parsers-latest.json (or --out). Target: every ratio
 * at most 16 (linear, with room for noise). Exit 0 met, 1 missed (or a size skipped),
 * 2 an answer was wrong.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGinLine, summarizeAccessLog } from '../electron/engine/ollama/access-log';
import { parseOllamaHost } from '../electron/engine/ollama/listen-address';
import { parseNvidiaSmiCsv } from '../electron/engine/probes/gpu';
import { parseEtcEnvironment, parseShellFile } from '../electron/engine/probes/linux/env-files';
import {
  parseUfwConf,
  parseUfwDefaults,
  parseUfwStatus,
} from '../electron/engine/probes/linux/firewall/ufw';
import { parseUnitFile } from '../electron/engine/probes/linux/systemd-unit';
import { machine } from './machine';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGET_RATIO = 16;
const KIB = 1024;

interface Case {
  parser: string;
  finding: string;
  /** The input as fuzz-findings.md writes it, n being its length in characters. */
  input: string;
  make: (n: number) => string;
  run: (text: string) => unknown;
  /** The right answer for this input. */
  check: (result: unknown) => boolean;
}

const UFW_TABLE =
  'Status: active\n\nTo                         Action      From\n--                         ------      ----\n';
const GIN_HEAD = '[GIN] 2026/08/21 - 18:48:22 | 200 | ';
const record = (value: unknown) => value as Record<string, unknown>;

const CASES: Case[] = [
  {
    parser: 'parseGinLine',
    finding: 'F1',
    input: '"[GIN] 2026/08/21 - 18:48:22 | 200 | " + "|" × n',
    make: (n) => GIN_HEAD + '|'.repeat(n - GIN_HEAD.length),
    run: (text) => parseGinLine(text, 'utc'),
    check: (result) => result === 'invalid',
  },
  {
    parser: 'summarizeAccessLog',
    finding: 'F1',
    input: 'the same line, through the aggregator',
    make: (n) => GIN_HEAD + '|'.repeat(n - GIN_HEAD.length),
    run: (text) => summarizeAccessLog(text, { timeZone: 'utc' }),
    check: (result) => record(result).invalidLines === 1 && record(result).requests === 0,
  },
  {
    parser: 'parseUnitFile',
    finding: 'F4',
    input: '"\\\\\\n" × n/2 (continuation lines)',
    make: (n) => '\\\n'.repeat(n / 2),
    run: (text) => parseUnitFile(text),
    check: (result) => {
      const r = record(result);
      return (r.directives as unknown[]).length === 0 && (r.problems as unknown[]).length === 0;
    },
  },
  {
    parser: 'parseOllamaHost',
    finding: 'F4',
    input: '"x" + "]" × n + "y"',
    make: (n) => `x${']'.repeat(n - 2)}y`,
    run: (text) => parseOllamaHost(text),
    check: (result) => record(result).reach === 'specific' && record(result).port === 11434,
  },
  {
    parser: 'parseEtcEnvironment',
    finding: 'F4',
    input: '"A=x" + " " × n + "y"',
    make: (n) => `A=x${' '.repeat(n - 4)}y`,
    run: (text) => parseEtcEnvironment(text),
    check: (result) => {
      const [first] = record(result).statements as Array<Record<string, unknown>>;
      return first?.name === 'A' && typeof first.value === 'string' && first.value.endsWith('y');
    },
  },
  {
    parser: 'parseUfwDefaults',
    finding: 'F4',
    input: '"A=x" + " " × n + "y"',
    make: (n) => `A=x${' '.repeat(n - 4)}y`,
    run: (text) => parseUfwDefaults(text),
    check: (result) => record(result).defaultIncoming === null && record(result).ipv6 === null,
  },
  {
    parser: 'parseUfwConf',
    finding: 'F4',
    input: '"ENABLED=yes" + " " × n + "x"',
    make: (n) => `ENABLED=yes${' '.repeat(n - 12)}x`,
    run: (text) => parseUfwConf(text),
    check: (result) => record(result).enabledAtBoot === null,
  },
  {
    parser: 'parseUfwStatus',
    finding: 'F4',
    input: 'status header + "x" + " " × n + "y"',
    make: (n) => `${UFW_TABLE}x${' '.repeat(n - UFW_TABLE.length - 2)}y`,
    run: (text) => parseUfwStatus(text),
    check: (result) => {
      const rules = record(result).rules as Array<Record<string, unknown>>;
      return rules.length === 1 && rules[0]!.unparsed === true;
    },
  },
  {
    parser: 'parseNvidiaSmiCsv',
    finding: 'F4',
    input: '"[" × n',
    make: (n) => '['.repeat(n),
    run: (text) => parseNvidiaSmiCsv(text),
    check: (result) => record(result).invalid === 1,
  },
  {
    parser: 'parseNvidiaSmiCsv',
    finding: 'F4',
    input: '"x" + " " × n + "y"',
    make: (n) => `x${' '.repeat(n - 2)}y`,
    run: (text) => parseNvidiaSmiCsv(text),
    check: (result) => record(result).invalid === 1,
  },
  {
    parser: 'parseShellFile (sh)',
    finding: 'F4',
    input: '"~" × n',
    make: (n) => '~'.repeat(n),
    run: (text) => parseShellFile(text, 'sh'),
    check: (result) => (record(result).statements as unknown[]).length === 0,
  },
  {
    parser: 'parseShellFile (fish)',
    finding: 'F4',
    input: '"~" × n',
    make: (n) => '~'.repeat(n),
    run: (text) => parseShellFile(text, 'fish'),
    check: (result) => (record(result).statements as unknown[]).length === 0,
  },
];

interface Options {
  sizesKiB: number[];
  runs: number;
  budgetMs: number;
  out: string;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    sizesKiB: [128, 256, 512, 1024],
    runs: 5,
    budgetMs: 20_000,
    out: path.join(ROOT, 'bench', 'results', 'parsers-latest.json'),
    json: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = argv[i + 1];
    const number = Number(value);
    if (arg === '--json') options.json = true;
    else if (arg === '--sizes' && value && /^\d+(,\d+)*$/.test(value)) {
      options.sizesKiB = value.split(',').map(Number);
      if (options.sizesKiB.some((s) => s < 1 || s > 16 * 1024))
        throw new Error('--sizes: each from 1 to 16384 KiB');
      i += 1;
    } else if (arg === '--runs' && Number.isInteger(number) && number >= 1 && number <= 50) {
      options.runs = number;
      i += 1;
    } else if (arg === '--budget-ms' && Number.isInteger(number) && number >= 100) {
      options.budgetMs = Math.min(number, 600_000);
      i += 1;
    } else if (arg === '--out' && value) {
      options.out = path.resolve(value);
      i += 1;
    } else {
      throw new Error(`unknown or out-of-range argument: ${arg}`);
    }
  }
  return options;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Row {
  parser: string;
  finding: string;
  input: string;
  /** Median milliseconds per size in KiB; null where the size was skipped. */
  medianMs: Record<string, number | null>;
  runs: Record<string, number>;
  /** time(largest size) / time(smallest size); null when a size was skipped. */
  ratio: number | null;
  answersRight: boolean;
}

function measure(c: Case, options: Options): Row {
  const medianMs: Record<string, number | null> = {};
  const runs: Record<string, number> = {};
  let answersRight = true;
  let overBudget = false;
  for (const kib of options.sizesKiB) {
    if (overBudget) {
      medianMs[kib] = null;
      runs[kib] = 0;
      continue;
    }
    const text = c.make(kib * KIB);
    if (text.length !== kib * KIB) throw new Error(`${c.parser}: input of the wrong size`);
    const times: number[] = [];
    // One warm-up (JIT, regex compilation), then timed runs while they are cheap.
    const warmStart = performance.now();
    answersRight &&= c.check(c.run(text));
    const warmMs = performance.now() - warmStart;
    if (warmMs > options.budgetMs) {
      // Too slow to repeat: the warm-up is the one sample.
      times.push(warmMs);
      overBudget = true;
    } else {
      // A parser that answers in microseconds is timed over a batch of calls (at most 1,000).
      const batch = Math.min(1000, Math.max(1, Math.ceil(2 / Math.max(warmMs, 0.001))));
      for (let r = 0; r < options.runs; r += 1) {
        let result: unknown;
        const started = performance.now();
        for (let b = 0; b < batch; b += 1) result = c.run(text);
        times.push((performance.now() - started) / batch);
        answersRight &&= c.check(result);
        if (times[times.length - 1]! > 1000) break;
      }
      if (median(times) > options.budgetMs) overBudget = true;
    }
    medianMs[kib] = Math.round(median(times) * 10_000) / 10_000;
    runs[kib] = times.length;
  }
  const first = medianMs[options.sizesKiB[0]!];
  const last = medianMs[options.sizesKiB[options.sizesKiB.length - 1]!];
  const ratio =
    first !== null && first !== undefined && last !== null && last !== undefined && first > 0
      ? Math.round((last / first) * 10) / 10
      : null;
  return {
    parser: c.parser,
    finding: c.finding,
    input: c.input,
    medianMs,
    runs,
    ratio,
    answersRight,
  };
}

function formatMs(ms: number): string {
  return ms >= 100
    ? `${ms.toFixed(0)} ms`
    : ms >= 1
      ? `${ms.toFixed(2)} ms`
      : `${ms.toFixed(4)} ms`;
}

function table(rows: Row[], sizes: number[]): string {
  const head = ['parser (input)', ...sizes.map((s) => `${s} KiB`), 'ratio', 'answer'];
  const body = rows.map((r) => [
    `${r.parser} (${r.input})`,
    ...sizes.map((s) => (r.medianMs[s] === null ? '—' : formatMs(r.medianMs[s]!))),
    r.ratio === null ? '—' : r.ratio.toFixed(1),
    r.answersRight ? 'right' : 'WRONG',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  const sizes = options.sizesKiB;
  const rows = CASES.map((c) => measure(c, options));
  const sizeRatio = sizes[sizes.length - 1]! / sizes[0]!;
  const met = rows.every((r) => r.ratio !== null && r.ratio <= TARGET_RATIO * (sizeRatio / 8));
  const result = {
    when: new Date().toISOString(),
    machine: machine(),
    sizesKiB: sizes,
    runsPerSize: options.runs,
    budgetMs: options.budgetMs,
    targetRatio: TARGET_RATIO * (sizeRatio / 8),
    met,
    rows,
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      [
        `parsers bench: worst inputs of fuzz-findings.md at ${sizes.join(', ')} KiB; median of up to ${options.runs} runs after a warm-up`,
        table(rows, sizes),
        `ratio = time(${sizes[sizes.length - 1]} KiB) / time(${sizes[0]} KiB), the input ${sizeRatio} times larger: about ${sizeRatio} is linear, about ${sizeRatio * sizeRatio} quadratic`,
        `target: every ratio at most ${result.targetRatio}: ${met ? 'met' : 'MISSED'}`,
        `written to ${path.relative(ROOT, options.out)}`,
        '',
      ].join('\n'),
    );
  }
  if (rows.some((r) => !r.answersRight)) return 2;
  return met ? 0 : 1;
}

process.exitCode = main();
