/**
 * `npm run bench -- hostile-listeners [--rounds N] [--cli PATH] [--out FILE]`
 * (scripts/run-bench.mjs builds this into out/bench/hostile-listeners.cjs): what 64 hostile
 * listeners cost a scan (security review F9). It builds a lab host (test/lab/lab.ts: its own
 * network, PID and mount namespaces), starts one stand-in Ollama there (root, 0.0.0.0:11434),
 * and, per scenario, 64 listeners on 127.0.0.1:20000-20063 that answer every path the same
 * hostile way (this program run with `--serve MODE` inside the host):
 *
 * - none: no hostile listener (the baseline);
 * - json: the review's proof of concept: `/` says "Ollama is running", every other path a
 *   1 MiB JSON of small objects (with its Content-Length);
 * - huge: a 16 MiB body with its Content-Length, sent as fast as it is read;
 * - endless: a chunked body with no end, sent as fast as it is read;
 * - slow: a chunked body with no end, one byte every 100 ms.
 *
 * In each, `node <cli> scan --json` runs as `nobody` (so every listener's owner is hidden and
 * each is a candidate for the fingerprint, as for an ordinary user's scan) under
 * `/usr/bin/time -v` (GNU time: maximum resident set size and wall-clock time of the whole
 * process), N rounds (default 3). Without /usr/bin/time, the scan's own
 * `process.resourceUsage().maxRSS` is read through a preloaded module, and the wall time
 * from spawn to exit. The JSON it prints says how many listeners were fingerprinted, how many
 * say they could not be read in full, and whether the stand-in was still found.
 *
 * Prints a table and writes the figures to bench/results/hostile-listeners-latest.json (or
 * --out). Every wait is bounded: a listener's body ends when the client goes, the listeners'
 * process exits after 10 minutes at most and is killed after each scenario, each scan has a
 * 60 s timeout, and the lab is always closed. Exit 0 when measured, 1 when the measurement
 * failed, 2 when the lab cannot be built here.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScanJson } from '../electron/cli/scan-json';
import { createLab, labPrerequisites } from '../test/lab/lab';
import type { Lab } from '../test/lab/lab';
import { machine } from './machine';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = path.join(ROOT, 'out', 'bench', 'hostile-listeners.cjs');
const DEFAULT_CLI = path.join(ROOT, 'out', 'cli', 'paddock.cjs');
const DEFAULT_OUT = path.join(ROOT, 'bench', 'results', 'hostile-listeners-latest.json');
const GNU_TIME = '/usr/bin/time';
const NOBODY = 65534;
const LISTENERS = 64;
const BASE_PORT = 20000;
const MODES = ['none', 'json', 'huge', 'endless', 'slow'] as const;
type Mode = (typeof MODES)[number];
const SCAN_TIMEOUT_MS = 60_000;
const SERVER_LIFETIME_MS = 10 * 60_000;
const MAX_ROUNDS = 10;

// ── the hostile listeners (run inside the lab host) ──────────────────────────────────────

function serve(mode: Mode, base: number, count: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  // Just under 1 MiB (1,048,572 bytes): the old 1 MiB cap read it whole and parsed it.
  const json = Buffer.from(`{"models":[${Array(131_070).fill('{"a":1}').join(',')}]}`);
  const pump = (res: http.ServerResponse, limit: number) => {
    let sent = 0;
    let closed = false;
    res.once('close', () => (closed = true));
    const more = () => {
      while (!closed && sent < limit) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      if (!closed) res.end();
    };
    more();
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (mode === 'json') {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(req.url === '/' ? 'Ollama is running' : json);
    } else if (mode === 'huge') {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': String(16 * 1024 * 1024),
      });
      pump(res, 16 * 1024 * 1024);
    } else if (mode === 'endless') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      pump(res, Number.POSITIVE_INFINITY);
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const timer = setInterval(() => res.write('x'), 100);
      res.once('close', () => clearInterval(timer));
    }
  };
  let listening = 0;
  for (let port = base; port < base + count; port += 1) {
    const server = http.createServer(handler);
    server.keepAliveTimeout = 0;
    server.listen(port, '127.0.0.1', () => {
      listening += 1;
      if (listening === count) process.stdout.write('listening\n');
    });
  }
  setTimeout(() => process.exit(0), SERVER_LIFETIME_MS);
}

// ── the driver ───────────────────────────────────────────────────────────────────────────

interface Round {
  maxRssMiB: number;
  wallS: number;
  exit: number | null;
  fingerprints: number;
  /** Fingerprints whose problems say a listener could not be read in full. */
  notRead: number;
  ollamaFound: boolean;
  verdict: string | null;
  fingerprintMessage: string | null;
}

function parseArgs(argv: string[]) {
  const options = { rounds: 3, cli: DEFAULT_CLI, out: DEFAULT_OUT };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--rounds' && value) {
      options.rounds = Math.min(Math.max(Number.parseInt(value, 10) || 1, 1), MAX_ROUNDS);
      i += 1;
    } else if (arg === '--cli' && value) {
      options.cli = path.resolve(value);
      i += 1;
    } else if (arg === '--out' && value) {
      options.out = path.resolve(value);
      i += 1;
    } else throw new Error(`unknown argument ${JSON.stringify(arg)}`);
  }
  return options;
}

function elapsedSeconds(text: string): number {
  const parts = text.split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

async function startListeners(lab: Lab, mode: Mode) {
  const child = lab.spawnInHost(
    [process.execPath, SELF, '--serve', mode, String(BASE_PORT), String(LISTENERS)],
    { timeoutMs: SERVER_LIFETIME_MS },
  );
  child.stdout?.setEncoding('utf8');
  let out = '';
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    child.stdout?.on('data', (c: string) => {
      out += c;
      if (out.includes('listening')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) throw new Error(`the ${mode} listeners did not start: ${out}`);
  const pid = await lab.innerPid(child);
  return async () => {
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  };
}

async function scanOnce(lab: Lab, cli: string, preload: string | null): Promise<Round> {
  const argv = preload
    ? [process.execPath, '--require', preload, cli, 'scan', '--json']
    : [GNU_TIME, '-v', process.execPath, cli, 'scan', '--json'];
  const started = performance.now();
  const run = await lab.runInHost(argv, {
    uid: NOBODY,
    env: { HOME: '/nonexistent', NO_COLOR: '1' },
    timeoutMs: SCAN_TIMEOUT_MS,
  });
  const ownWall = (performance.now() - started) / 1000;
  if (run.timedOut) throw new Error(`the scan did not finish within ${SCAN_TIMEOUT_MS} ms`);
  const rssKiB = preload
    ? Number(/PADDOCK_BENCH_MAXRSS_KB (\d+)/.exec(run.stderr)?.[1])
    : Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1]);
  const wall = preload
    ? ownWall
    : elapsedSeconds(
        /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(run.stderr)?.[1] ?? 'NaN',
      );
  if (!Number.isFinite(rssKiB) || !Number.isFinite(wall))
    throw new Error(
      `could not read the scan's figures (exit ${run.code}): ${run.stderr.slice(-2000)}`,
    );
  let json: ScanJson | null = null;
  try {
    json = JSON.parse(run.stdout) as ScanJson;
  } catch {
    // reported below as no fingerprints
  }
  const fingerprints = json?.snapshot.probes.fingerprints.data ?? [];
  return {
    maxRssMiB: Math.round((rssKiB / 1024) * 10) / 10,
    wallS: Math.round(wall * 100) / 100,
    exit: run.code,
    fingerprints: fingerprints.length,
    notRead: fingerprints.filter((f) =>
      f.problems.some((p) => /budget|not checked|not read|size cap|cut off|within \d+ ms/i.test(p)),
    ).length,
    ollamaFound: fingerprints.some((f) => f.port === 11434 && f.identity === 'ollama'),
    verdict: json?.verdict ?? null,
    fingerprintMessage: json?.snapshot.probes.fingerprints.message ?? null,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[mid]!
    : Math.round(((sorted[mid - 1]! + sorted[mid]!) / 2) * 100) / 100;
};

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const pre = labPrerequisites();
  if (!pre.ok) {
    process.stderr.write(`bench: the lab cannot be built here: ${pre.reason}\n`);
    return 2;
  }
  for (const file of [SELF, options.cli])
    if (!fs.existsSync(file)) {
      process.stderr.write(
        `bench: ${file} is missing; run \`npm run bench -- hostile-listeners\`\n`,
      );
      return 2;
    }
  let preload: string | null = null;
  let tmp: string | null = null;
  if (!fs.existsSync(GNU_TIME)) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-bench-rss-'));
    fs.chmodSync(tmp, 0o755);
    preload = path.join(tmp, 'maxrss.cjs');
    fs.writeFileSync(
      preload,
      "process.on('exit', () => require('node:fs').writeSync(2, `\\nPADDOCK_BENCH_MAXRSS_KB ${process.resourceUsage().maxRSS}\\n`));\n",
      { mode: 0o644 },
    );
    process.stderr.write(`bench: ${GNU_TIME} is not installed; reading the scan's own maxRSS\n`);
  }
  let lab: Lab | null = null;
  try {
    lab = await createLab();
    await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    const scenarios: Array<{ mode: Mode; rounds: Round[] }> = [];
    for (const mode of MODES) {
      const stop = mode === 'none' ? null : await startListeners(lab, mode);
      try {
        const rounds: Round[] = [];
        for (let i = 0; i < options.rounds; i += 1)
          rounds.push(await scanOnce(lab, options.cli, preload));
        scenarios.push({ mode, rounds });
      } finally {
        await stop?.();
      }
    }
    const rows = scenarios.map(({ mode, rounds }) => ({
      mode,
      rssMedianMiB: median(rounds.map((r) => r.maxRssMiB)),
      rssMaxMiB: Math.max(...rounds.map((r) => r.maxRssMiB)),
      wallMedianS: median(rounds.map((r) => r.wallS)),
      wallMaxS: Math.max(...rounds.map((r) => r.wallS)),
      fingerprints: rounds[0]!.fingerprints,
      notRead: rounds[0]!.notRead,
      ollamaFound: rounds.every((r) => r.ollamaFound),
    }));
    const header =
      '| listeners (64 each)  | max RSS median | max RSS max | wall median | wall max | fingerprints | not read in full | stand-in found |';
    const lines = [
      header,
      '| -------------------- | -------------: | ----------: | ----------: | -------: | -----------: | ---------------: | -------------- |',
      ...rows.map(
        (r) =>
          `| ${r.mode.padEnd(20)} | ${`${r.rssMedianMiB} MiB`.padStart(14)} | ${`${r.rssMaxMiB} MiB`.padStart(11)} | ${`${r.wallMedianS} s`.padStart(11)} | ${`${r.wallMaxS} s`.padStart(8)} | ${String(r.fingerprints).padStart(12)} | ${String(r.notRead).padStart(16)} | ${r.ollamaFound ? 'yes' : 'NO'} |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const record = {
      benchmark: 'hostile-listeners',
      date: new Date().toISOString(),
      machine: machine(),
      cli: options.cli.startsWith(ROOT) ? path.relative(ROOT, options.cli) : options.cli,
      measuredWith: preload ? 'process.resourceUsage().maxRSS (preload)' : `${GNU_TIME} -v`,
      lab: `network namespaces; a stand-in Ollama on 0.0.0.0:11434 (root); ${LISTENERS} hostile listeners on 127.0.0.1:${BASE_PORT}-${BASE_PORT + LISTENERS - 1} (root); the scan as nobody`,
      rows,
      scenarios,
    };
    fs.mkdirSync(path.dirname(options.out), { recursive: true });
    fs.writeFileSync(options.out, `${JSON.stringify(record, null, 2)}\n`);
    process.stdout.write(`written ${path.relative(ROOT, options.out)}\n`);
    return 0;
  } finally {
    await lab?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') {
  const mode = process.argv[3] as Mode;
  if (!MODES.includes(mode) || mode === 'none') throw new Error(`--serve: unknown mode ${mode}`);
  serve(mode, Number(process.argv[4]), Math.min(Number(process.argv[5]), LISTENERS));
} else {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
