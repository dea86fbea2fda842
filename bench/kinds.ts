/**
 * `npm run bench -- kinds [--rounds N] [--cli PATH] [--out FILE]` (issue 13): the whole
 * `paddock scan --json` process with ten local LLM servers of different kinds running, against
 * one. Target: at most 2.5 times.
 *
 * A lab host (test/lab/lab.ts) runs one stand-in Ollama (root, 0.0.0.0:11434); the "ten"
 * scenario adds nine stand-ins of other kinds (test/lab/fixtures/server-standin.cjs, each
 * under its binary's name with its own flags, on every interface): llama-server twice (8080,
 * 9931), vLLM (8000), LM Studio's llmster (1234), LocalAI (8081), KoboldCpp (5001), Open WebUI
 * (3000) and, under names that say nothing, two OpenAI-compatible ones on 8001 and 30000. Each
 * scan runs as root, N rounds (default 5) after a warm-up. Prints medians and writes
 * bench/results/kinds-latest.json (or --out). Bounded: the stand-ins exit after 10 minutes and
 * are killed after the scenario, each scan has a 60 s timeout, and the lab is always closed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, labPrerequisites } from '../test/lab/lab';
import type { Lab } from '../test/lab/lab';
import { benchOptions, median, timedScan } from './lab-scan';
import { machine } from './machine';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STANDIN = path.join(ROOT, 'test', 'lab', 'fixtures', 'server-standin.cjs');
const DEFAULT_OUT = path.join(ROOT, 'bench', 'results', 'kinds-latest.json');

const NINE: Array<[kind: string, binary: string, argv: string[]]> = [
  ['llamacpp', 'llama-server', ['--host', '0.0.0.0', '--port', '8080']],
  ['llamacpp', 'llama-server', ['--host', '0.0.0.0', '--port', '9931']],
  ['vllm', 'vllm', ['serve', 'm', '--port', '8000']],
  ['lmstudio', 'llmster', ['--bind', '0.0.0.0', '--port', '1234']],
  ['localai', 'local-ai', ['run', '--address', ':8081']],
  ['koboldcpp', 'koboldcpp', ['--port', '5001']],
  ['openwebui', 'open-webui', ['serve', '--port', '3000']],
  ['vllm', 'svc', ['serve', 'm', '--host', '0.0.0.0', '--port', '8001']],
  ['vllm', 'svc', ['serve', 'm', '--host', '0.0.0.0', '--port', '30000']],
];

interface Round {
  wallS: number;
  kinds: string[];
}

async function scanOnce(lab: Lab, cli: string): Promise<Round> {
  const { wallS, json } = await timedScan(lab, cli);
  return { wallS, kinds: json.snapshot.instances.map((i) => i.kind).sort() };
}

async function main(): Promise<number> {
  const { rounds, cli, out } = benchOptions(ROOT, DEFAULT_OUT);
  const pre = labPrerequisites();
  if (!pre.ok) {
    process.stderr.write(`bench: the lab cannot be built here: ${pre.reason}\n`);
    return 2;
  }
  let lab: Lab | null = null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-bench-kinds-'));
  try {
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'bin'));
    lab = await createLab();
    const standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0:11434' });
    const results: Record<string, Round[]> = {};
    for (const scenario of ['one', 'ten'] as const) {
      const children: Array<ReturnType<Lab['spawnInHost']>> = [];
      if (scenario === 'ten') {
        for (const [kind, binary, argv] of NINE) {
          const bin = path.join(dir, 'bin', binary);
          if (!fs.existsSync(bin)) fs.symlinkSync(process.execPath, bin);
          const child = lab.spawnInHost([bin, STANDIN, ...argv], {
            inheritEnv: false,
            env: { PADDOCK_STANDIN_KIND: kind, HOME: dir },
          });
          children.push(child);
          const ready = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 10_000);
            child.stderr?.on('data', (c: Buffer) => {
              if (c.toString().includes('listening on')) {
                clearTimeout(timer);
                resolve(true);
              }
            });
          });
          if (!ready) throw new Error(`the ${kind} stand-in did not start`);
        }
      }
      await scanOnce(lab, cli); // warm-up
      results[scenario] = [];
      for (let r = 0; r < rounds; r += 1) results[scenario].push(await scanOnce(lab, cli));
      for (const child of children) child.kill('SIGKILL');
      if (children.length > 0) await lab.runInHost(['pkill', '-KILL', '-f', 'server-standin.cjs']);
    }
    await standin.stop();
    const summary = Object.fromEntries(
      Object.entries(results).map(([k, v]) => [
        k,
        {
          medianWallS: Math.round(median(v.map((r) => r.wallS)) * 1000) / 1000,
          kinds: v[0]?.kinds ?? [],
        },
      ]),
    );
    const ratio = Math.round((summary.ten!.medianWallS / summary.one!.medianWallS) * 100) / 100;
    fs.writeFileSync(
      out,
      `${JSON.stringify({ bench: 'kinds', cli: path.relative(ROOT, cli) || cli, rounds, machine: machine(), summary, ratioTenToOne: ratio, target: 2.5, met: ratio <= 2.5, rounds_: results }, null, 2)}\n`,
    );
    for (const [k, v] of Object.entries(summary))
      process.stdout.write(
        `${k.padEnd(4)} median ${v.medianWallS.toFixed(3)} s  kinds ${v.kinds.join(', ')}\n`,
      );
    process.stdout.write(
      `ten / one: ${ratio}x (target 2.5: ${ratio <= 2.5 ? 'met' : 'MISSED'})  (${out})\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await lab?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().then((code) => process.exit(code));
