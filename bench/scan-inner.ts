/**
 * The inner half of `npm run bench` (see bench/README.md). It runs inside the lab's host
 * (bench/scan.ts puts it there, next to one stand-in Ollama) and measures, interleaved:
 *
 *   1. in process: a full `scan(createNodeHost())` against the floor of the same work done
 *      by hand (`ss -Htanp`, os.networkInterfaces(), then one GET / per listener the scan
 *      fingerprinted);
 *   2. start-up: the whole `node out/cli/paddock.cjs scan --json` process against
 *      `node bench/floor-process.cjs <listeners>`, the least a truthful verdict needs (issue
 *      12: sockets with owners, interfaces, `nft -j list ruleset`, the server's environment,
 *      GET /, /api/version and /api/tags), and for reference `paddock --version`, which loads
 *      the bundle but scans nothing, and a bare `node -e 0`.
 *
 * Prints a table, then one JSON line (the last line of stdout) that the outer driver reads.
 * Every loop has a fixed count, every wait a timeout, and the whole run a deadline.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeHost } from '../electron/engine/host/node-host';
import { scan } from '../electron/engine/scan';
import type { Snapshot } from '../shared/snapshot';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI_BUNDLE = path.join(ROOT, 'out', 'cli', 'paddock.cjs');
const FLOOR_PROCESS = path.join(ROOT, 'bench', 'floor-process.cjs');

const STEP_TIMEOUT_MS = 10_000;
const RUN_DEADLINE_MS = 240_000;

interface Options {
  warmup: number;
  iterations: number;
  startupIterations: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { warmup: 5, iterations: 30, startupIterations: 20 };
  for (let i = 0; i < argv.length; i += 1) {
    const [name, value] = [argv[i], Number(argv[i + 1])];
    const key = (
      {
        '--warmup': 'warmup',
        '--iterations': 'iterations',
        '--startup': 'startupIterations',
      } as const
    )[name ?? ''];
    if (!key || !Number.isInteger(value) || value < 1 || value > 1000)
      throw new Error(`scan-inner: bad argument ${JSON.stringify(name)} ${argv[i + 1] ?? ''}`);
    options[key] = value;
    i += 1;
  }
  return options;
}

// ── statistics ───────────────────────────────────────────────────────────────────────────

export interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { n: 0, median: NaN, p90: NaN, min: NaN, max: NaN };
  const median = n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  const p90 = s[Math.min(n - 1, Math.ceil(0.9 * n) - 1)]!;
  return { n, median: round(median), p90: round(p90), min: round(s[0]!), max: round(s[n - 1]!) };
}

// ── the floor, in process ────────────────────────────────────────────────────────────────

interface Target {
  address: string;
  port: number;
}

function ssFloor(): Promise<number> {
  return runFloorTool('ss', ['-Htanp']);
}

/** The firewall's share of the floor since issue 3: one `nft -j list ruleset`. */
function nftFloor(): Promise<number> {
  return runFloorTool('nft', ['-j', 'list', 'ruleset']);
}

function runFloorTool(file: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: STEP_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => resolve(error ? -1 : stdout.split('\n').filter(Boolean).length),
    );
  });
}

function getRoot(target: Target): Promise<number | null> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(status);
    };
    const req = http.request({
      host: target.address,
      port: target.port,
      path: '/',
      method: 'GET',
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(null);
    }, STEP_TIMEOUT_MS);
    req.on('error', () => done(null));
    req.on('response', (res) => {
      res.on('data', () => undefined);
      res.on('end', () => done(res.statusCode ?? null));
      res.on('error', () => done(null));
    });
    req.end();
  });
}

/**
 * The in-process floor (issue 2's): sockets and interfaces, then one GET / each; with
 * `firewall`, also the one command that lists the firewall's rules (nft), alongside ss.
 */
async function floor(targets: Target[], firewall = false): Promise<void> {
  const [sockets, rules] = await Promise.all([
    ssFloor(),
    firewall ? nftFloor() : Promise.resolve(0),
    Promise.resolve(os.networkInterfaces()),
  ]);
  if (sockets < 0) throw new Error('floor: ss -Htanp failed');
  if (rules < 0) throw new Error('floor: nft -j list ruleset failed');
  const statuses = await Promise.all(targets.map(getRoot));
  if (statuses.some((s) => s === null)) throw new Error('floor: a GET / got no answer');
}

// ── processes ────────────────────────────────────────────────────────────────────────────

interface SpawnTiming {
  ms: number;
  code: number | null;
  stdout: string;
}

/** Wall time from spawn to exit with stdout and stderr drained ('close'). */
function timeProcess(argv: readonly string[]): Promise<SpawnTiming> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', () => undefined);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')}: no exit within ${STEP_TIMEOUT_MS} ms`));
    }, STEP_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        ms: performance.now() - started,
        code,
        stdout: Buffer.concat(out).toString('utf8'),
      });
    });
  });
}

// ── the run ──────────────────────────────────────────────────────────────────────────────

const PROBES = [
  'processes',
  'sockets',
  'interfaces',
  'settings',
  'fingerprints',
  'versions',
  'firewall',
  'proxies',
  'docker',
  'gpu',
  'accessLog',
] as const satisfies ReadonlyArray<keyof Snapshot['probes']>;

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

function statsRow(label: string, s: Stats): string {
  return `${pad(label, 44)}${lpad(fmt(s.median), 9)}${lpad(fmt(s.p90), 9)}${lpad(fmt(s.min), 9)}${lpad(fmt(s.max), 9)}${lpad(String(s.n), 5)}`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const deadline = Date.now() + RUN_DEADLINE_MS;
  const checkDeadline = () => {
    if (Date.now() > deadline)
      throw new Error(`scan-inner: over the ${RUN_DEADLINE_MS / 1000} s deadline`);
  };
  for (const file of [CLI_BUNDLE, FLOOR_PROCESS])
    if (!fs.existsSync(file)) throw new Error(`scan-inner: ${file} is missing (build first)`);

  const host = createNodeHost();

  // Warm-up; the first snapshot names the listeners the floor will GET.
  let first: Snapshot | null = null;
  for (let i = 0; i < options.warmup; i += 1) {
    const snapshot = await scan(host);
    first ??= snapshot;
    checkDeadline();
  }
  const fingerprints = first!.probes.fingerprints.data;
  const targets: Target[] = fingerprints.map((f) => ({ address: f.address, port: f.port }));
  if (targets.length === 0) throw new Error('scan-inner: the scan fingerprinted no listener');
  await floor(targets);

  // 1. in process, interleaved (the order alternates so neither always runs first).
  const scanMs: number[] = [];
  const floorMs: number[] = [];
  const floorFirewallMs: number[] = [];
  const snapshotMs: number[] = [];
  const probeMs: Record<string, number[]> = Object.fromEntries(PROBES.map((p) => [p, []]));
  const verdicts = new Set<string>();
  const timeScan = async () => {
    const t0 = performance.now();
    const snapshot = await scan(host);
    scanMs.push(performance.now() - t0);
    snapshotMs.push(snapshot.durationMs);
    for (const p of PROBES) probeMs[p]!.push(snapshot.probes[p].durationMs);
    verdicts.add(snapshot.verdict);
  };
  const timeFloor = async () => {
    const t0 = performance.now();
    await floor(targets);
    floorMs.push(performance.now() - t0);
    const t1 = performance.now();
    await floor(targets, true);
    floorFirewallMs.push(performance.now() - t1);
  };
  for (let i = 0; i < options.iterations; i += 1) {
    if (i % 2 === 0) {
      await timeScan();
      await timeFloor();
    } else {
      await timeFloor();
      await timeScan();
    }
    checkDeadline();
  }

  // 2. start-up: whole processes, interleaved, rotating which goes first.
  const targetArgs = targets.map((t) =>
    t.address.includes(':') ? `[${t.address}]:${t.port}` : `${t.address}:${t.port}`,
  );
  const kinds = {
    cli: [process.execPath, CLI_BUNDLE, 'scan', '--json'],
    floor: [process.execPath, FLOOR_PROCESS, ...targetArgs],
    cliVersion: [process.execPath, CLI_BUNDLE, '--version'],
    bare: [process.execPath, '-e', '0'],
  } as const;
  const spawnMs: Record<keyof typeof kinds, number[]> = {
    cli: [],
    floor: [],
    cliVersion: [],
    bare: [],
  };
  const order = Object.keys(kinds) as Array<keyof typeof kinds>;
  const cliCodes = new Set<number | null>();
  let cliVerdict: string | null = null;
  await timeProcess(kinds.cli); // warm the page cache
  await timeProcess(kinds.floor);
  for (let i = 0; i < options.startupIterations; i += 1) {
    for (let k = 0; k < order.length; k += 1) {
      const kind = order[(i + k) % order.length]!;
      const r = await timeProcess(kinds[kind]);
      spawnMs[kind].push(r.ms);
      if (kind === 'cli') {
        cliCodes.add(r.code);
        cliVerdict ??= (JSON.parse(r.stdout) as { verdict: string }).verdict;
      } else if (r.code !== 0) {
        throw new Error(`scan-inner: ${kind} exited with ${r.code}`);
      }
    }
    checkDeadline();
  }

  const scanStats = stats(scanMs);
  const floorStats = stats(floorMs);
  const floorFirewallStats = stats(floorFirewallMs);
  const cliStats = stats(spawnMs.cli);
  const floorProcessStats = stats(spawnMs.floor);
  const cliVersionStats = stats(spawnMs.cliVersion);
  const bareStats = stats(spawnMs.bare);
  const probes = Object.fromEntries(PROBES.map((p) => [p, stats(probeMs[p]!)]));
  const result = {
    inProcess: {
      scan: scanStats,
      floor: floorStats,
      snapshotDurationMs: stats(snapshotMs),
      ratio: round(scanStats.median / floorStats.median, 2),
      floorWithFirewall: floorFirewallStats,
      ratioWithFirewall: round(scanStats.median / floorFirewallStats.median, 2),
      probes,
    },
    startup: {
      cli: cliStats,
      floorProcess: floorProcessStats,
      cliVersion: cliVersionStats,
      bareNode: bareStats,
      ratio: round(cliStats.median / floorProcessStats.median, 2),
    },
    listeners: targetArgs,
    verdicts: [...verdicts],
    cliVerdict,
    cliExitCodes: [...cliCodes],
    options,
  };

  const header = `${pad('ms', 44)}${lpad('median', 9)}${lpad('p90', 9)}${lpad('min', 9)}${lpad('max', 9)}${lpad('n', 5)}`;
  const lines = [
    `listeners fingerprinted: ${targetArgs.join(' ')}; verdict ${[...verdicts].join(',')}`,
    '',
    header,
    statsRow('in-process scan(createNodeHost())', scanStats),
    statsRow('in-process floor (ss + ifaces + GET /)', floorStats),
    statsRow('in-process floor + nft list ruleset', floorFirewallStats),
    ...PROBES.map((p) => statsRow(`  probe ${p}`, probes[p]!)),
    statsRow('  snapshot.durationMs', result.inProcess.snapshotDurationMs),
    statsRow('process: paddock scan --json', cliStats),
    statsRow('process: bench/floor-process.cjs', floorProcessStats),
    statsRow('process: paddock --version (load only)', cliVersionStats),
    statsRow('process: node -e 0 (reference)', bareStats),
    '',
    `in-process ratio scan/floor (medians): ${result.inProcess.ratio}`,
    `in-process ratio scan/(floor + nft) (medians): ${result.inProcess.ratioWithFirewall}`,
    `start-up ratio cli/floor-process (medians): ${result.startup.ratio}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `scan-inner: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
