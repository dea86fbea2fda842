/**
 * `npm run bench -- listeners [--rounds N] [--cli PATH] [--out FILE]` (scripts/run-bench.mjs
 * builds this into out/bench/listeners.cjs): what 40 ordinary listeners beyond loopback cost a
 * scan now that every one is knocked on (issue 12, "forwarders of any name": a program of no
 * known name that answers HTTP is fingerprinted; one that does not is left after one GET).
 *
 * A lab host (test/lab/lab.ts) runs one stand-in Ollama (root, 127.0.0.1:11434) and, in the
 * "40" scenario, 40 listeners on 0.0.0.0:21000-21039 owned by root under a name Paddock does
 * not know ("svc"): 14 silent (a database waiting for its own protocol), 13 that greet first
 * (an SSH-like banner), 13 plain HTTP pages. `node <cli> scan --json` runs as root (so their
 * owners are visible: before the change none of them was fingerprinted), N rounds (default
 * 5), against the "none" baseline. Prints medians and writes bench/results/listeners-latest.json
 * (or --out). Bounded: the listeners' process exits after 10 minutes and is killed after each
 * scenario, each scan has a 60 s timeout, and the lab is always closed.
 */
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, labPrerequisites } from '../test/lab/lab';
import type { Lab } from '../test/lab/lab';
import { benchOptions, median, timedScan } from './lab-scan';
import { machine } from './machine';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = path.join(ROOT, 'out', 'bench', 'listeners.cjs');
const DEFAULT_OUT = path.join(ROOT, 'bench', 'results', 'listeners-latest.json');
const COUNT = 40;
const BASE_PORT = 21000;

function serve(): void {
  for (let i = 0; i < COUNT; i += 1) {
    const port = BASE_PORT + i;
    if (i % 3 === 0) net.createServer(() => undefined).listen(port, '0.0.0.0');
    else if (i % 3 === 1)
      net.createServer((c) => c.end('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n')).listen(port, '0.0.0.0');
    else http.createServer((_q, r) => r.end('<h1>It works</h1>')).listen(port, '0.0.0.0');
  }
  setTimeout(() => process.exit(0), 10 * 60_000);
  process.stdout.write('listening\n');
}

interface Round {
  wallS: number;
  verdict: string | null;
  proxyMessage: string | null;
}

async function scanOnce(lab: Lab, cli: string): Promise<Round> {
  const { wallS, json } = await timedScan(lab, cli);
  return {
    wallS,
    verdict: json.verdict,
    proxyMessage: json.snapshot.probes.proxies.message ?? null,
  };
}

async function main(): Promise<number> {
  const { rounds, cli, out } = benchOptions(ROOT, DEFAULT_OUT);
  const pre = labPrerequisites();
  if (!pre.ok) {
    process.stderr.write(`bench: the lab cannot be built here: ${pre.reason}\n`);
    return 2;
  }
  let lab: Lab | null = null;
  try {
    lab = await createLab();
    const standin = await lab.startStandin();
    const results: Record<string, Round[]> = {};
    for (const scenario of ['none', '40'] as const) {
      let child: ReturnType<Lab['spawnInHost']> | null = null;
      if (scenario === '40') {
        child = lab.spawnInHost([process.execPath, SELF, '--serve']);
        const ready = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 10_000);
          child!.stdout?.on('data', (c: Buffer) => {
            if (c.toString().includes('listening')) {
              clearTimeout(timer);
              resolve(true);
            }
          });
        });
        if (!ready) throw new Error('the listeners did not start');
      }
      await scanOnce(lab, cli); // warm-up
      results[scenario] = [];
      for (let r = 0; r < rounds; r += 1) results[scenario].push(await scanOnce(lab, cli));
      if (child) {
        await lab.runInHost(['pkill', '-KILL', '-f', 'listeners.cjs --serve']);
        child.kill('SIGKILL');
      }
    }
    await standin.stop();
    const summary = Object.fromEntries(
      Object.entries(results).map(([k, v]) => [
        k,
        {
          medianWallS: Math.round(median(v.map((r) => r.wallS)) * 1000) / 1000,
          verdicts: [...new Set(v.map((r) => r.verdict))],
          proxyMessage: v[0]?.proxyMessage ?? null,
        },
      ]),
    );
    const ratio = Math.round((summary['40']!.medianWallS / summary.none!.medianWallS) * 100) / 100;
    const record = {
      bench: 'listeners',
      cli: path.relative(ROOT, cli) || cli,
      rounds,
      machine: machine(),
      summary,
      ratio40ToNone: ratio,
      rounds_: results,
    };
    fs.writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
    for (const [k, v] of Object.entries(summary))
      process.stdout.write(
        `${k.padEnd(5)} median ${v.medianWallS.toFixed(3)} s  verdict ${v.verdicts.join('/')}  proxies: ${v.proxyMessage ?? '-'}\n`,
      );
    process.stdout.write(`40 listeners / none: ${ratio}x  (${out})\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await lab?.close();
  }
}

if (process.argv.includes('--serve')) serve();
else
  void main().then((code) => {
    process.exitCode = code;
  });
