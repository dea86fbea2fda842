import type { Evidence, ProbeResult, ProbeStatus } from '../../../shared/snapshot';
import { displayArgv } from '../host/exec';
import type { ExecResult, FileRead, Host } from '../host/types';

/** Evidence line for a file read, with its outcome ("read", "ENOENT", "EACCES"). */
export function fileEvidence(read: FileRead): Evidence {
  return {
    kind: 'file',
    ref: read.path,
    outcome: read.ok ? (read.truncated ? 'read (truncated)' : 'read') : read.code,
  };
}

export function execEvidence(result: ExecResult): Evidence {
  let outcome: string;
  if (result.spawnError)
    outcome = result.spawnError === 'ENOENT' ? 'not installed (ENOENT)' : result.spawnError;
  else if (result.timedOut) outcome = `timed out after ${Math.round(result.durationMs)} ms`;
  else if (result.signal) outcome = `killed by ${result.signal}`;
  else outcome = `exit ${result.code}`;
  return { kind: 'exec', ref: displayArgv(result.argv), argv: result.argv, outcome };
}

/** Maps a file-system error code to the probe status a user should see. */
export function statusForFsError(code: string): ProbeStatus {
  if (code === 'EACCES' || code === 'EPERM') return 'denied';
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'unavailable';
  return 'error';
}

/**
 * Runs one probe body with a deadline. A probe that throws or overruns becomes an `error`
 * result; it never fails the scan.
 */
export async function runProbe<T>(
  host: Host,
  name: string,
  empty: T,
  timeoutMs: number,
  body: () => Promise<Omit<ProbeResult<T>, 'durationMs'>>,
): Promise<ProbeResult<T>> {
  const started = host.monotonicMs();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Omit<ProbeResult<T>, 'durationMs'>>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'error',
          data: empty,
          evidence: [],
          message: `${name} probe did not finish within ${timeoutMs} ms`,
        }),
      timeoutMs,
    );
  });
  try {
    const result = await Promise.race([
      body().catch((error: unknown): Omit<ProbeResult<T>, 'durationMs'> => ({
        status: 'error',
        data: empty,
        evidence: [],
        message: `${name} probe failed: ${error instanceof Error ? error.message : String(error)}`,
      })),
      deadline,
    ]);
    return { ...result, durationMs: Math.round((host.monotonicMs() - started) * 10) / 10 };
  } finally {
    clearTimeout(timer);
  }
}
