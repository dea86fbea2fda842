/**
 * The privileged side's command names and the fixes it knows, with no heavy imports (the fix
 * ids come from the zod-free shared/fix-ids.ts): the ordinary CLI needs them on its scan path,
 * and loading privileged.ts (the executor, zod) there would slow every start (bench/README.md,
 * start-up ratio).
 */
import { PLANNABLE_FIX_IDS } from '../../shared/fix-ids';
import type { FixId } from '../../shared/fixes';

export const APPLY_FIX_COMMAND = '__apply-fix';
export const UNDO_RUN_COMMAND = '__undo-run';
export const FIREWALL_FACTS_COMMAND = '__firewall-facts';

/** Where root keeps its runs: fixed, never taken from the environment. */
export const ROOT_RUNS_DIR = '/var/lib/paddock/runs';

export const FIX_IDS: readonly FixId[] = PLANNABLE_FIX_IDS;

// ── Windows (issue 17): cli/win32-elevate.ts ─────────────────────────────────────────────

/**
 * On Windows the privileged side is started through UAC (ShellExecute's runas), which hands
 * back no stdout: its first two arguments name where it leaves its answer, the rest is one of
 * the commands above. `--answer-nonce NONCE`: NONCE is 32 lowercase hex digits (128 random
 * bits), the answer file's name and nothing else; the folder is the admin side's own.
 */
export const WINDOWS_ANSWER_OPTION = '--answer-nonce';
export const ANSWER_NONCE = /^[0-9a-f]{32}$/;

/** The admin side's folder under the machine's ProgramData, with only administrators' write. */
export const WINDOWS_ADMIN_FOLDER = 'Paddock';

/**
 * Where the admin side keeps its runs, its answers and its folder on Windows: under the
 * machine's ProgramData, which the admin side reads from the registry and the system
 * directory (win32-elevate.ts, programDataOf), never from the environment. The counterpart
 * of ROOT_RUNS_DIR: `C:\ProgramData\Paddock\runs` on a usual Windows.
 */
export function windowsAdminDirs(programData: string): {
  base: string;
  runs: string;
  answers: string;
} {
  const base = `${programData.replace(/\\+$/, '')}\\${WINDOWS_ADMIN_FOLDER}`;
  return { base, runs: `${base}\\runs`, answers: `${base}\\answers` };
}
