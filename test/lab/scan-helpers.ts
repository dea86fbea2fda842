/** Running the real CLI in a lab host, and the ground truth it must agree with. */
import { fileURLToPath } from 'node:url';
import type { ScanJson } from '../../electron/cli/scan-json';
import type { Exposure } from '../../shared/snapshot';
import type { HostRunOptions, Lab } from './lab';

export const CLI = fileURLToPath(new URL('../../bin/paddock.cjs', import.meta.url));

export async function runScan(
  lab: Lab,
  options: HostRunOptions = {},
): Promise<{ json: ScanJson; code: number | null; stderr: string }> {
  const result = await lab.runInHost([process.execPath, CLI, 'scan', '--json'], {
    timeoutMs: 15_000,
    ...options,
  });
  let json: ScanJson;
  try {
    json = JSON.parse(result.stdout) as ScanJson;
  } catch {
    throw new Error(
      `paddock scan --json did not print JSON (exit ${result.code}): ${result.stderr || result.stdout}`,
    );
  }
  return { json, code: result.code, stderr: result.stderr };
}

/**
 * What the network really reaches: the "internet" peer connecting to the host's public
 * address, else the LAN neighbour connecting to the host's LAN addresses (v4 and v6).
 */
export async function expectedVerdict(lab: Lab, port: number): Promise<Exposure> {
  if (lab.publicAddress4 && (await lab.connectFrom('public', lab.publicAddress4, port)) === 'open')
    return 'internet';
  const [v4, v6] = await Promise.all([
    lab.connectFromLan(lab.hostAddress4, port),
    lab.connectFromLan(lab.hostAddress6, port),
  ]);
  return v4 === 'open' || v6 === 'open' ? 'lan' : 'private';
}
