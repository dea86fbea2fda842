/**
 * What the lab benchmarks that time whole `paddock scan --json` processes share (bench/
 * listeners.ts, bench/kinds.ts): their options, one timed scan inside the lab host, a median.
 */
import path from 'node:path';
import type { ScanJson } from '../electron/cli/scan-json';
import type { Lab } from '../test/lab/lab';

const MAX_ROUNDS = 20;

/** `--rounds N` (1 to 20, default 5), `--cli PATH`, `--out FILE`. */
export function benchOptions(
  root: string,
  defaultOut: string,
): { rounds: number; cli: string; out: string } {
  const args = process.argv.slice(2);
  const value = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  return {
    rounds: Math.min(MAX_ROUNDS, Math.max(1, Number(value('--rounds') ?? 5) || 5)),
    cli: value('--cli') ?? path.join(root, 'out', 'cli', 'paddock.cjs'),
    out: value('--out') ?? defaultOut,
  };
}

/** One `node <cli> scan --json` inside the lab host, timed from spawn to exit (60 s at most). */
export async function timedScan(lab: Lab, cli: string): Promise<{ wallS: number; json: ScanJson }> {
  const started = performance.now();
  const run = await lab.runInHost([process.execPath, cli, 'scan', '--json'], {
    env: { NO_COLOR: '1' },
    timeoutMs: 60_000,
  });
  const wallS = Math.round(((performance.now() - started) / 1000) * 1000) / 1000;
  try {
    return { wallS, json: JSON.parse(run.stdout) as ScanJson };
  } catch {
    throw new Error(`the scan printed no JSON (exit ${run.code}): ${run.stderr.slice(-1000)}`);
  }
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
