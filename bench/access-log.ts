/**
 * Access-log parsing speed (bench/ACCESS-LOG.md): generates N gin access lines (default
 * 100,000; about 1% malformed, half with journald's short-iso prefix, IPv4 and IPv6 clients,
 * every latency unit gin prints), parses them with the engine's AccessLogAggregator, and
 * prints lines/s and total ms. Target: 100,000 lines in under 1 s (median of the timed runs).
 *
 * Self-contained: no lab, no network, no files. Deterministic input (a fixed-seed generator).
 * Exit codes: 0 target met, 1 target missed, 2 the parser's counts disagree with the input.
 *
 *   npx esbuild bench/access-log.ts --bundle --platform=node --format=cjs --target=node20 \
 *     --outfile=out/bench/access-log.cjs && node out/bench/access-log.cjs [--lines N] [--runs N] [--json]
 */
import { AccessLogAggregator } from '../electron/engine/ollama/access-log';

const TARGET_MS = 1000;

interface Options {
  lines: number;
  runs: number;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { lines: 100_000, runs: 5, json: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = Number(argv[i + 1]);
    if (arg === '--json') options.json = true;
    else if (arg === '--lines' && Number.isInteger(value) && value > 0 && value <= 5_000_000) {
      options.lines = value;
      i += 1;
    } else if (arg === '--runs' && Number.isInteger(value) && value > 0 && value <= 50) {
      options.runs = value;
      i += 1;
    } else {
      throw new Error(`unknown or out-of-range argument: ${arg}`);
    }
  }
  return options;
}

/** A small fixed-seed generator (mulberry32): the same input on every run and machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = [
  '/api/generate',
  '/api/chat',
  '/api/tags',
  '/api/ps',
  '/api/version',
  '/',
  '/v1/chat/completions',
  '/api/show',
  '/api/pull',
  '/api/embed',
];
const METHODS = ['POST', 'POST', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'POST'];
const STATUS = [200, 200, 200, 200, 200, 200, 200, 404, 500, 400];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function latency(r: () => number): string {
  const pick = r();
  if (pick < 0.1) return `${Math.floor(r() * 999) + 1}ns`;
  if (pick < 0.4) return `${(r() * 999).toFixed(3)}µs`;
  if (pick < 0.8) return `${(r() * 999).toFixed(6)}ms`;
  if (pick < 0.98) return `${(r() * 59).toFixed(9)}s`;
  return `${Math.floor(r() * 5) + 1}m${(r() * 59).toFixed(3)}s`;
}

function client(r: () => number): string {
  const pick = r();
  if (pick < 0.5) return `192.168.1.${Math.floor(r() * 40) + 2}`;
  if (pick < 0.7) return '127.0.0.1';
  if (pick < 0.85) return `10.0.${Math.floor(r() * 4)}.${Math.floor(r() * 250) + 1}`;
  if (pick < 0.95) return `fd00::${(Math.floor(r() * 0xfff) + 1).toString(16)}`;
  return `::ffff:192.168.1.${Math.floor(r() * 40) + 2}`;
}

export function generate(count: number): { text: string; requests: number; malformed: number } {
  const r = random(20260821);
  const lines: string[] = [];
  let malformed = 0;
  let seconds = 0;
  for (let i = 0; i < count; i += 1) {
    seconds += Math.floor(r() * 3);
    const d = new Date(Date.UTC(2026, 7, 21, 0, 0, 0) + seconds * 1000);
    const stamp = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} - ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const k = Math.floor(r() * PATHS.length);
    let line = `[GIN] ${stamp} | ${STATUS[k]} | ${latency(r).padStart(13)} | ${client(r).padStart(15)} | ${METHODS[k]!.padEnd(7)}  "${PATHS[k]}${r() < 0.05 ? '?q=1' : ''}"`;
    if (r() < 0.01) {
      // Malformed, the ways a log gets damaged: a cut line, a bad latency, a broken quote.
      const how = Math.floor(r() * 3);
      line =
        how === 0
          ? line.slice(0, 30)
          : how === 1
            ? line.replace(/\|\s+[0-9.]+(?:ns|µs|ms|s|m[0-9.]+s) \|/, '| 12parsecs |')
            : line.slice(0, -1);
      malformed += 1;
    }
    if (r() < 0.5) line = `${d.toISOString().slice(0, 19)}+0000 gpu-box ollama[1290]: ${line}`;
    lines.push(line);
  }
  return { text: `${lines.join('\n')}\n`, requests: count - malformed, malformed };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  const genStart = performance.now();
  const input = generate(options.lines);
  const genMs = performance.now() - genStart;

  const once = () => {
    const started = performance.now();
    const aggregator = new AccessLogAggregator({ timeZone: 'utc' });
    aggregator.addText(input.text);
    const report = aggregator.report();
    return { ms: performance.now() - started, report };
  };
  once(); // warm-up: JIT, regex compilation
  const runs = Array.from({ length: options.runs }, once);
  const times = runs.map((r) => r.ms);
  const report = runs[0]!.report;
  const mid = median(times);
  const result = {
    lines: options.lines,
    malformedGenerated: input.malformed,
    invalidParsed: report.invalidLines,
    requestsParsed: report.requests,
    clients: report.clients.length,
    runs: options.runs,
    medianMs: Math.round(mid * 10) / 10,
    bestMs: Math.round(Math.min(...times) * 10) / 10,
    linesPerSecond: Math.round(options.lines / (mid / 1000)),
    targetMs: TARGET_MS,
    generateMs: Math.round(genMs),
    node: process.version,
  };
  const countsAgree = report.invalidLines === input.malformed && report.requests === input.requests;
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      [
        `access-log bench: ${result.lines} lines (${result.malformedGenerated} malformed), ${result.runs} timed runs after a warm-up`,
        `  total (median) ${result.medianMs} ms, best ${result.bestMs} ms, ${result.linesPerSecond.toLocaleString('en-US')} lines/s`,
        `  parsed ${result.requestsParsed} requests, ${result.invalidParsed} invalid, ${result.clients} clients`,
        `  target: under ${TARGET_MS} ms for 100,000 lines: ${mid < TARGET_MS * (options.lines / 100_000) ? 'met' : 'MISSED'}`,
        '',
      ].join('\n'),
    );
  }
  if (!countsAgree) {
    process.stderr.write(
      `access-log bench: counts disagree: generated ${input.malformed} malformed / ${input.requests} requests, parsed ${report.invalidLines} / ${report.requests}\n`,
    );
    return 2;
  }
  return mid < TARGET_MS * (options.lines / 100_000) ? 0 : 1;
}

process.exitCode = main();
