/**
 * `npm run bench` (scripts/run-bench.mjs builds this into out/bench/scan.cjs): builds a lab
 * host, starts one stand-in Ollama in it bound to 0.0.0.0, runs bench/scan-inner.ts inside
 * that host, prints its figures and records them in bench/results/scan-latest.json.
 * Needs root and the lab's tools (test/lab/lab.ts). The lab is always closed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, labPrerequisites } from '../test/lab/lab';
import type { Lab } from '../test/lab/lab';
import { machine } from './machine';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INNER = path.join(ROOT, 'out', 'bench', 'scan-inner.cjs');
const RESULT_FILE = path.join(ROOT, 'bench', 'results', 'scan-latest.json');
const INNER_TIMEOUT_MS = 300_000;

/** Targets from the issue (bench/README.md). */
const TARGETS = { medianMs: 150, inProcessRatio: 2, startupRatio: 2 };

interface InnerResult {
  inProcess: { scan: { median: number }; ratio: number };
  startup: { ratio: number };
  [key: string]: unknown;
}

async function main(): Promise<number> {
  const pre = labPrerequisites();
  if (!pre.ok) {
    process.stderr.write(`bench: the lab cannot be built here: ${pre.reason}\n`);
    return 2;
  }
  if (!fs.existsSync(INNER)) {
    process.stderr.write(`bench: ${INNER} is missing; run \`node scripts/run-bench.mjs\`\n`);
    return 2;
  }
  let lab: Lab | null = null;
  try {
    lab = await createLab();
    await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    const run = await lab.runInHost([process.execPath, INNER, ...process.argv.slice(2)], {
      cwd: ROOT,
      timeoutMs: INNER_TIMEOUT_MS,
    });
    const lines = run.stdout.trimEnd().split('\n');
    const last = lines.pop() ?? '';
    if (run.code !== 0 || !last.startsWith('{')) {
      process.stderr.write(
        `bench: the inner benchmark failed (exit ${run.code}${run.timedOut ? ', timed out' : ''}):\n${run.stderr}${run.stdout}`,
      );
      return 1;
    }
    const inner = JSON.parse(last) as InnerResult;
    const met = {
      medianMs: inner.inProcess.scan.median <= TARGETS.medianMs,
      inProcessRatio: inner.inProcess.ratio <= TARGETS.inProcessRatio,
      startupRatio: inner.startup.ratio <= TARGETS.startupRatio,
    };
    const record = {
      benchmark: 'scan',
      date: new Date().toISOString(),
      machine: machine(),
      lab: 'network namespaces (host + lan), one stand-in Ollama with OLLAMA_HOST=0.0.0.0',
      command: 'node scripts/run-bench.mjs',
      targets: TARGETS,
      met,
      ...inner,
    };
    process.stdout.write(`${lines.join('\n')}\n\n`);
    process.stdout.write(
      [
        `target median <= ${TARGETS.medianMs} ms: ${met.medianMs ? 'met' : 'MISSED'} (${inner.inProcess.scan.median} ms)`,
        `target in-process ratio <= ${TARGETS.inProcessRatio}: ${met.inProcessRatio ? 'met' : 'MISSED'} (${inner.inProcess.ratio})`,
        `target start-up ratio <= ${TARGETS.startupRatio}: ${met.startupRatio ? 'met' : 'MISSED'} (${inner.startup.ratio})`,
      ].join('\n') + '\n',
    );
    fs.mkdirSync(path.dirname(RESULT_FILE), { recursive: true });
    fs.writeFileSync(RESULT_FILE, `${JSON.stringify(record, null, 2)}\n`);
    process.stdout.write(`written ${path.relative(ROOT, RESULT_FILE)}\n`);
    return 0;
  } finally {
    await lab?.close();
  }
}

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
