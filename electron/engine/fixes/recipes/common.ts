/**
 * What every fix recipe shares: the one door to file contents (injected, so recipes stay pure),
 * the checks that keep values read from the system out of anything but plain argv elements,
 * and the shapes of plans and manual fixes.
 */
import type { FixId, FixPlan, FixStep, ManualFix, Verification } from '../../../../shared/fixes';
import type { Instance, Snapshot } from '../../../../shared/snapshot';
import { plain } from '../../rules/support/words';

/**
 * How a recipe reads what the snapshot does not hold. The caller reads through the Host, so
 * the recipe itself never touches the system and is tested on plain strings.
 */
export interface RecipeIO {
  /** The file's exact text (UTF-8), or null when it does not exist or cannot be read. */
  readFile(path: string): string | null;
  /**
   * The permission bits of an existing file, so an edit keeps them (an EnvironmentFile= with
   * secrets stays 0600). Optional: without it recipes use the usual mode for that kind of file.
   */
  fileMode?(path: string): number | null;
  /** The home directory of the user Paddock runs as: files under it need no admin rights. */
  homeDir?: string;
  /**
   * Running as root: why root must not write this path (a folder on its way that another user
   * controls, host/trust.ts), or null. Such a file is left to its owner: as root, Paddock never
   * writes through a path another user could redirect.
   */
  rootWriteProblem?(path: string): string | null;
}

/** The mode a rewritten file gets: its own, less anything Paddock never writes (execute,
 * set-id, sticky, write for group or others); `fallback` for a file that is new. */
export function safeMode(current: number | null | undefined, fallback: number): number {
  return (current ?? fallback) & 0o644;
}

export function manualFix(
  fixId: FixId,
  instance: string | null,
  reason: string,
  commands: string[][] = [],
): ManualFix {
  return { fixId, instance, reason, commands };
}

export function isManual(result: FixPlan | ManualFix): result is ManualFix {
  return !('steps' in result);
}

export function findInstance(snapshot: Snapshot, instanceId: string): Instance | null {
  return snapshot.instances.find((i) => i.id === instanceId) ?? null;
}

/** A value from the system, safe to put in a sentence of a preview. */
export function shown(value: string, max = 120): string {
  return plain(value, max);
}

// ── values that become argv elements or paths ─────────────────────────────────────────────

/** A systemd service name as systemd itself accepts it (unit_name_is_valid), `.service` only. */
const SERVICE_NAME = /^[A-Za-z0-9:_.\\-]{1,240}(?:@[A-Za-z0-9:_.\\-]{0,240})?\.service$/;

export function isServiceName(name: string): boolean {
  return name.length <= 255 && SERVICE_NAME.test(name) && !name.startsWith('-');
}

/** An absolute, normalised path with no control characters: safe to name as a write target. */
export function isPlainAbsolutePath(path: string): boolean {
  if (!path.startsWith('/') || path.length > 4096) return false;
  // eslint-disable-next-line no-control-regex -- control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(path)) return false;
  return path
    .split('/')
    .slice(1)
    .every((part) => part !== '' && part !== '.' && part !== '..');
}

export function isPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

// ── systemd around file edits ──────────────────────────────────────────────────────────────

/**
 * The steps that make systemd pick up edited unit files, with an undo that works when a run is
 * undone in reverse order. Undoing runs each step's undo from the last step to the first, so a
 * restart that must follow the restored files has to be the undo of a step placed BEFORE the
 * file steps: `before` goes first (its undos restart and reload last), `after` goes last.
 */
export function systemdReloadAround(unit: string): { before: FixStep[]; after: FixStep[] } {
  return {
    before: [
      {
        kind: 'run',
        argv: ['systemctl', 'cat', '--', unit],
        undo: ['systemctl', 'try-restart', '--', unit],
        description: `Check that systemd knows ${unit}. On undo: restart it (if it runs) so it uses the restored settings.`,
      },
      {
        kind: 'run',
        argv: ['systemctl', 'daemon-reload'],
        undo: ['systemctl', 'daemon-reload'],
        description:
          'Have systemd read its unit files. On undo: read them again once they are restored.',
      },
    ],
    after: [
      {
        kind: 'run',
        argv: ['systemctl', 'daemon-reload'],
        undo: null,
        description: 'Have systemd read the changed unit files.',
      },
      {
        kind: 'run',
        argv: ['systemctl', 'try-restart', '--', unit],
        undo: null,
        description: `Restart ${unit} (only if it is running) so the server uses the new settings.`,
      },
    ],
  };
}

export function planShape(fields: {
  fixId: FixId;
  instance: string | null;
  title: string;
  summary: string;
  warnings: string[];
  requiresAdmin: boolean;
  steps: FixStep[];
  verification: Verification;
  snapshot: Snapshot;
}): FixPlan {
  return {
    fixId: fields.fixId,
    findingId: null,
    instance: fields.instance,
    title: fields.title,
    summary: fields.summary,
    warnings: fields.warnings,
    requiresAdmin: fields.requiresAdmin,
    steps: fields.steps,
    verification: fields.verification,
    basedOn: fields.snapshot.takenAt,
  };
}
