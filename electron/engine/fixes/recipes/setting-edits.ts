/**
 * The mechanics shared by the recipes that change an OLLAMA_* setting where it is set
 * (tighten-origins, stop-request-logging): find every assignment the settings probe reported,
 * edit each file in place (env-edit.ts proves every edit), and make the server pick the change
 * up. What cannot be edited safely (the environment of a server started by hand, a value no
 * file explains, a line written in a way Paddock does not edit) turns the whole fix into
 * instructions: half a fix would leave the setting in force and fail verification.
 */
import type { FixId, FixPlan, FixStep, ManualFix, Verification } from '../../../../shared/fixes';
import type { Setting, Snapshot } from '../../../../shared/snapshot';
import { safeText } from '../../probes/linux/systemd-unit';
import type { RecipeIO } from './common';
import {
  findInstance,
  isPlainAbsolutePath,
  isServiceName,
  manualFix,
  planShape,
  safeMode,
  shown,
  systemdReloadAround,
} from './common';
import type { ValueEdit } from './env-edit';
import { editAssignment } from './env-edit';

const FILE_KINDS = new Set<Setting['source']['kind']>([
  'systemd-unit',
  'systemd-dropin',
  'systemd-envfile',
  'etc-environment',
  'shell-rc',
]);
const SYSTEMD_KINDS = new Set<Setting['source']['kind']>([
  'systemd-unit',
  'systemd-dropin',
  'systemd-envfile',
]);
/** The settings probe keeps values to this many characters (settings.ts MAX_VALUE_CHARS). */
const MAX_VALUE_CHARS = 4096;
const DEFAULT_UNIT = 'ollama.service';
/** Package-owned unit directories: an upgrade of the package may write the file again. */
const VENDOR_DIRS = ['/usr/lib/systemd/system/', '/lib/systemd/system/'];

export interface SettingEditSpec {
  fixId: Extract<FixId, 'tighten-origins' | 'stop-request-logging'>;
  name: string;
  /** Assignments of `name` this fix changes (by the value the snapshot reports). */
  concerns(setting: Setting): boolean;
  /** What to do with the value the file really holds. */
  decide(value: string): ValueEdit;
  title: string;
  /** One sentence: what changes, for the summary. */
  change: string;
  verification: Verification['kind'];
  /** Extra warnings from the values after the change (e.g. entries that still crash Ollama). */
  warningsFor?(edits: Array<{ oldValue: string; edit: ValueEdit }>): string[];
}

function where(s: Setting): string {
  return s.source.line !== null
    ? `${shown(s.source.path, 200)}:${s.source.line}`
    : shown(s.source.path, 200);
}

function dialectOf(path: string): 'sh' | 'fish' {
  return path.endsWith('/config.fish') ? 'fish' : 'sh';
}

function defaultMode(kind: Setting['source']['kind']): number {
  // Without the file's own mode, never loosen one that may hold secrets.
  return kind === 'systemd-envfile' || kind === 'shell-rc' ? 0o600 : 0o644;
}

function ownedByUser(snapshot: Snapshot, io: RecipeIO, path: string): boolean {
  const homes = [
    io.homeDir,
    snapshot.host.user && snapshot.host.uid !== 0 ? `/home/${snapshot.host.user}` : undefined,
  ].filter((h): h is string => typeof h === 'string' && h.startsWith('/') && h !== '/');
  return homes.some((h) => path.startsWith(`${h.replace(/\/+$/, '')}/`));
}

function editorCommand(admin: boolean, path: string): string[] {
  return admin ? ['sudoedit', path] : ['nano', path];
}

/**
 * A plan that changes every assignment `spec` concerns, or the instructions when any one of
 * them cannot be changed safely.
 */
/** The settings of a server, or of the saved settings Paddock keyed to no server ("persistent"). */
export function settingsFor(snapshot: Snapshot, instanceId: string): Setting[] | null {
  const instance = findInstance(snapshot, instanceId);
  return instance?.settings ?? snapshot.probes.settings.data[instanceId]?.settings ?? null;
}

export function planSettingEdits(
  spec: SettingEditSpec,
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  const settings = settingsFor(snapshot, instanceId);
  const manual = (reason: string, commands: string[][] = []) =>
    manualFix(spec.fixId, instance?.id ?? null, reason, commands);
  if (settings === null)
    return manual(`Paddock knows no server or saved settings called ${shown(instanceId)}.`);
  const targets = settings.filter((s) => s.name === spec.name && spec.concerns(s));
  if (targets.length === 0)
    return manual(`${spec.name} is not set in a way this fix changes; there is nothing to do.`);

  const process = instance?.process ?? null;
  const reported = process?.systemdUnit ?? null;
  const unit = reported && isServiceName(reported) ? reported : DEFAULT_UNIT;
  if (reported && !isServiceName(reported))
    return manual(
      `The server runs in a systemd unit whose name Paddock does not accept (${shown(reported, 80)}); change ${spec.name} with \`systemctl edit\` yourself.`,
    );
  const files = targets.filter((s) => FILE_KINDS.has(s.source.kind));
  const inProcess = targets.filter((s) => s.source.kind === 'process');

  // The running server's own environment: a restart fixes it only when a unit file set it.
  if (inProcess.length > 0) {
    const pid = process?.pid ?? null;
    if (!reported) {
      const edits = files.map((s) => `edit ${where(s)}`);
      return manual(
        `The running server${pid !== null ? ` (pid ${pid})` : ''} was started by hand (not by systemd) with ${spec.name} in its environment, and Paddock cannot change the environment of a running program. ${edits.length > 0 ? `Remove it where it is saved (${edits.join('; ')}), then stop` : 'Stop'} the server and start it again from a terminal where ${spec.name} is not set.`,
        [
          ...(pid !== null ? [['kill', String(pid)]] : []),
          ['env', '-u', spec.name, 'ollama', 'serve'],
        ],
      );
    }
    // The restart reads the whole chain again, so any assignment of it this fix edits counts.
    const explained = files.some((s) => SYSTEMD_KINDS.has(s.source.kind));
    if (!explained)
      return manual(
        `The running server (${shown(unit, 80)}) has ${spec.name} in its environment, but no unit file, drop-in or EnvironmentFile= Paddock could read sets it: it may come from \`systemctl set-environment\` or from a file Paddock could not read. Check systemd's own environment, remove it there, and restart the service.`,
        [
          ['systemctl', 'show-environment'],
          ['sudo', 'systemctl', 'unset-environment', spec.name],
          ['sudo', 'systemctl', 'restart', unit],
        ],
      );
  }

  // Edit each file once, lines from the bottom up so earlier line numbers stay true.
  const byPath = new Map<string, Setting[]>();
  for (const s of files) byPath.set(s.source.path, [...(byPath.get(s.source.path) ?? []), s]);
  const writes: FixStep[] = [];
  const warnings: string[] = [];
  const changes: Array<{ oldValue: string; edit: ValueEdit }> = [];
  let admin = false;
  let touchesSystemd = false;
  let touchesLogin = false;
  for (const [path, list] of byPath) {
    const kind = list[0]!.source.kind;
    const needsAdmin = !(kind === 'shell-rc' && ownedByUser(snapshot, io, path));
    const fallback = (why: string) =>
      manual(
        `Paddock will not edit ${shown(path, 200)} itself: ${why}. Edit it by hand: ${list.map((s) => `line ${s.source.line ?? '?'}`).join(', ')} (${spec.change}).${SYSTEMD_KINDS.has(kind) ? ` Then run \`systemctl daemon-reload\` and restart ${unit}.` : ''}`,
        [
          editorCommand(needsAdmin, path),
          ...(SYSTEMD_KINDS.has(kind)
            ? [
                ['sudo', 'systemctl', 'daemon-reload'],
                ['sudo', 'systemctl', 'restart', unit],
              ]
            : []),
        ],
      );
    if (!isPlainAbsolutePath(path)) return fallback('its path is not a plain absolute path');
    const rootProblem = io.rootWriteProblem?.(path) ?? null;
    if (rootProblem)
      return fallback(
        `Paddock runs as root here, and as root it never writes where another user could redirect the write (${shown(rootProblem, 200)}); run this fix as that user instead`,
      );
    if (list.some((s) => s.source.line === null)) return fallback('the line is not known');
    if (list.some((s) => s.source.kind !== kind))
      return fallback('it is read in two different ways');
    const before = io.readFile(path);
    if (before === null) return fallback('it could not be read');
    let content = before;
    for (const s of [...list].sort((a, b) => b.source.line! - a.source.line!)) {
      const outcome = editAssignment({
        kind,
        text: content,
        line: s.source.line!,
        name: spec.name,
        decide: spec.decide,
        unitName: unit,
        dialect: dialectOf(path),
      });
      if (!outcome.ok) return fallback(`line ${s.source.line}: ${outcome.reason}`);
      if (safeText(outcome.oldValue, MAX_VALUE_CHARS).text !== s.value)
        return fallback(
          `line ${s.source.line} no longer holds the value Paddock scanned; scan again`,
        );
      content = outcome.content;
      changes.push({ oldValue: outcome.oldValue, edit: outcome.edit });
    }
    if (content === before) continue;
    admin ||= needsAdmin;
    if (SYSTEMD_KINDS.has(kind)) touchesSystemd = true;
    else touchesLogin = true;
    if (VENDOR_DIRS.some((d) => path.startsWith(d)))
      warnings.push(
        `${shown(path, 200)} belongs to a package: an upgrade of that package may write ${spec.name} back.`,
      );
    writes.push({
      kind: 'write-file',
      path,
      before,
      content,
      mode: safeMode(io.fileMode?.(path), defaultMode(kind)),
      description: `${list.length === 1 ? `Line ${list[0]!.source.line}` : `Lines ${list.map((s) => s.source.line).join(', ')}`} of ${shown(path, 200)}: ${spec.change}. Nothing else in the file changes.`,
    });
  }
  if (writes.length === 0)
    return manual(`${spec.name} is already as this fix would leave it; there is nothing to do.`);

  const steps: FixStep[] = [];
  if (touchesSystemd) {
    const around = systemdReloadAround(unit);
    steps.push(...around.before, ...writes, ...around.after);
    admin = true;
  } else steps.push(...writes);
  if (touchesLogin)
    warnings.push(
      `Login-session files apply to programs started from a new login; a server you start by hand in an open terminal still has the old value until you open a new one.`,
    );
  warnings.push(...(spec.warningsFor?.(changes) ?? []));
  const edited = writes.map((w) => (w.kind === 'write-file' ? shown(w.path, 200) : '')).join(', ');
  return planShape({
    fixId: spec.fixId,
    instance: instance?.id ?? null,
    title: spec.title,
    summary: `${spec.change[0]!.toUpperCase()}${spec.change.slice(1)} in ${edited}${touchesSystemd ? `, then restart ${unit} if it is running` : ''}. Nothing else changes.`,
    warnings,
    requiresAdmin: admin,
    steps,
    verification: {
      kind: spec.verification,
      instance: instance?.id ?? null,
      port: null,
      setting: spec.name,
      description:
        spec.verification === 'setting-absent'
          ? `The rescan finds ${spec.name} set nowhere.`
          : `The rescan finds no ${spec.name} entry that lets every site in.`,
    },
    snapshot,
  });
}
