/**
 * The ids of the fixes Paddock plans for a server, in one list without zod, so that the CLI's
 * start-up path, the engine's score and the window can share it (shared/fixes.ts builds its
 * schema from it). Paddock's own service fixes come after.
 */
export const PLANNABLE_FIX_IDS = [
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
  /** Issue 16, macOS: the Ollama app's expose switch and launchctl's OLLAMA_HOST back to loopback. */
  'rebind-launchd',
  /**
   * Issue 17, Windows: the Ollama app's expose switch off and the user's OLLAMA_HOST back to
   * loopback (a user variable outweighs a machine one), the app restarted; never elevated.
   */
  'rebind-windows',
  /** Issue 18: refuse one other machine's address on a server's port ("Cut it off now"). */
  'block-client',
] as const;

/** Issue 15: Paddock's own service (`paddock service install|uninstall`), no server's fix. */
export const SERVICE_FIX_IDS = ['service-install', 'service-uninstall'] as const;

export const ALL_FIX_IDS = [...PLANNABLE_FIX_IDS, ...SERVICE_FIX_IDS] as const;
export type PlannableFixId = (typeof PLANNABLE_FIX_IDS)[number];
