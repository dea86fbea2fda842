/**
 * The privileged side's command names and the fixes it knows, with no imports: the ordinary
 * CLI needs them on its scan path, and loading privileged.ts (the executor, zod) there would
 * slow every start (bench/README.md, start-up ratio).
 */
import type { FixId } from '../../shared/fixes';

export const APPLY_FIX_COMMAND = '__apply-fix';
export const UNDO_RUN_COMMAND = '__undo-run';
export const FIREWALL_FACTS_COMMAND = '__firewall-facts';

/** Where root keeps its runs: fixed, never taken from the environment. */
export const ROOT_RUNS_DIR = '/var/lib/paddock/runs';

export const FIX_IDS: readonly FixId[] = [
  'rebind-systemd',
  'block-port',
  'tighten-origins',
  'stop-request-logging',
  'docker-localhost',
  'stop-tunnel',
  'rebind-server',
  'share-allowlist',
  'share-vpn',
  'share-proxy',
  'share-proxy-rotate',
  'rebind-launchd',
  'rebind-windows',
];
