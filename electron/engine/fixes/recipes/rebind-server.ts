/**
 * Fix "rebind-server" (issue 13): a local LLM server of another kind is made to listen on
 * loopback only, by changing its listen address where it is written:
 *
 * - the host flag of its unit's ExecStart= (`llama-server --host 0.0.0.0` becomes
 *   `--host 127.0.0.1`; a kind that takes `--host` and has none, such as vLLM listening on
 *   every interface by default, gets `--host 127.0.0.1` appended);
 * - the kind's host variable in an Environment= line of the unit (`LLAMA_ARG_HOST`);
 * - the `host` of the KoboldCpp `.kcpps` file the service was started with (servers-facts.md
 *   §8: with `--config` its other arguments are ignored).
 *
 * In every case only that value changes (fixes/bind-edits.ts and env-edit.ts prove it by
 * parsing the file again), the unit is reloaded and restarted, a rescan must show every socket
 * of the server on loopback, and undo puts the file back byte for byte. A desktop app whose
 * address is a switch in the app (LM Studio, Jan) gets the exact steps in the app instead; a
 * server started by hand gets the command line to start it with.
 *
 * Pure: everything comes from the snapshot and the files as `io` reads them now.
 */
import type { FixPlan, FixStep, ManualFix } from '../../../../shared/fixes';
import type { Instance, Setting, Snapshot } from '../../../../shared/snapshot';
import { SERVER_KIND_NAMES } from '../../../../shared/servers';
import type { ServerKind } from '../../servers/kind';
import { flagValue } from '../../servers/kind';
import { kindById } from '../../servers/registry';
import { editExecStartHost, editKcppsHost } from '../bind-edits';
import type { RecipeIO } from './common';
import {
  findInstance,
  isPlainAbsolutePath,
  isServiceName,
  manualFix,
  safeMode,
  shown,
  systemdReloadAround,
} from './common';
import { editAssignment } from './env-edit';
import { REDACTED } from '../../text/redact';

const LOOPBACK = '127.0.0.1';
const UNIT_KINDS = new Set<Setting['source']['kind']>(['systemd-unit', 'systemd-dropin']);

function manual(instance: string | null, reason: string, commands: string[][] = []): ManualFix {
  return manualFix('rebind-server', instance, reason, commands);
}

function where(s: Setting): string {
  return s.source.line !== null
    ? `${shown(s.source.path, 200)}:${s.source.line}`
    : shown(s.source.path, 200);
}

function hostSettingNames(kind: ServerKind): Set<string> {
  const b = kind.bind;
  if (!b) return new Set();
  return new Set([
    ...b.hostFlags,
    ...(b.addressFlags ?? []),
    ...b.hostEnv,
    ...(b.addressEnv ?? []),
    ...(b.configFile?.hostKeys ?? []),
  ]);
}

/** The listen-address settings of this kind that are in force. */
function hostSettings(kind: ServerKind, instance: Instance): Setting[] {
  const names = hostSettingNames(kind);
  return instance.settings.filter((s) => names.has(s.name) && s.state === 'effective');
}

function newValueFor(name: string, kind: ServerKind, old: string, to: string): string | null {
  const address = [...(kind.bind?.addressFlags ?? []), ...(kind.bind?.addressEnv ?? [])];
  if (!address.includes(name)) return to;
  const port = /:(\d{1,5})$/.exec(old)?.[1];
  return port ? `${to}:${port}` : null;
}

/** The command line the server could be started with by hand instead. */
function startedByHand(instance: Instance, kind: ServerKind, to: string): string[][] {
  const argv = instance.process?.argv ?? [];
  const flags = kind.bind ? [...kind.bind.hostFlags] : [];
  if (argv.length === 0 || flags.length === 0) return [];
  const found = flagValue(argv, flags);
  if (!found) return [[...argv, flags[0]!, to]];
  return [
    argv.map((a, i) =>
      i > 0 && argv[i - 1] === found.flag
        ? to
        : a.startsWith(`${found.flag}=`)
          ? `${found.flag}=${to}`
          : a,
    ),
  ];
}

export function planRebindServer(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
  options: { findingId?: string | null; address?: string } = {},
): FixPlan | ManualFix {
  const to = options.address ?? LOOPBACK;
  const instance = findInstance(snapshot, instanceId);
  if (!instance)
    return manual(
      null,
      `No server ${JSON.stringify(shown(instanceId, 80))} in this scan; scan again.`,
    );
  if (instance.kind === 'ollama')
    return manual(
      instance.id,
      'This is an Ollama server: its fix is "rebind-systemd" (OLLAMA_HOST in a drop-in).',
    );
  const kind = kindById(instance.kind);
  const name = SERVER_KIND_NAMES[instance.kind];
  const process = instance.process;
  const processName = process?.argv[0]?.split('/').pop() ?? '';

  // A desktop app: the switch lives in the app (servers-facts.md §2, §7).
  if (kind.desktopApp && kind.desktopApp.processNames.some((p) => p.test(processName)))
    return manual(
      instance.id,
      `${name}'s listen address is a setting inside the app, which Paddock does not change behind its back. In ${name}: ${kind.desktopApp.steps.join(' ')} Then scan again: the server should listen on 127.0.0.1 only.`,
    );
  if (!process)
    return manual(
      instance.id,
      `Paddock cannot see which process runs this ${name} (run Paddock as root to see it), so it cannot tell how the server is started.`,
    );

  const unit = process.systemdUnit;
  const settings = hostSettings(kind, instance);
  const inUnit = settings.filter((s) => UNIT_KINDS.has(s.source.kind));
  const inFile = settings.filter((s) => s.source.kind === 'config-file');
  const byHand = startedByHand(instance, kind, to);
  if (unit === null && kind.restartOnLoopback)
    return manual(
      instance.id,
      `This ${name} (pid ${process.pid}) was not started by a systemd service. Start its server again on loopback with its own commands: ${kind.restartOnLoopback.why}`,
      kind.restartOnLoopback.commands.map((c) => [...c]),
    );
  if (unit === null)
    return manual(
      instance.id,
      `This ${name} (pid ${process.pid}) was not started by a systemd service, so there is no unit to change and restart. ${inFile.length > 0 ? `Set ${inFile.map((s) => `${s.name} in ${where(s)}`).join(', ')} to ${to}, then stop` : 'Stop'} it and start it again listening on ${to}${byHand.length > 0 ? `, as below${byHand.flat().includes(REDACTED) ? ` (put your key back where it says ${REDACTED}: Paddock never shows it)` : ''}` : ''}.`,
      byHand,
    );
  if (!isServiceName(unit) || !/^[A-Za-z0-9:_.@-]+$/.test(unit))
    return manual(
      instance.id,
      `The server runs in a unit whose name is not a plain "name.service" (${JSON.stringify(shown(unit, 80))}), so Paddock will not put it in a command or a path.`,
      [['systemctl', 'status', String(process.pid)]],
    );

  // What to edit: the settings file in force wins (§8), then ExecStart=, then Environment=.
  let target: Setting | null = inFile[0] ?? null;
  if (!target) target = inUnit.find((s) => s.name.startsWith('-')) ?? inUnit[0] ?? null;
  const fromEnvFile = settings.find((s) => s.source.kind === 'systemd-envfile');
  if (!target && fromEnvFile)
    return manual(
      instance.id,
      `${fromEnvFile.name} is set in an EnvironmentFile= (${where(fromEnvFile)}); change it there to ${to}, then restart ${unit}.`,
      [['systemctl', 'restart', unit]],
    );
  // The unit already says loopback, and the server runs from before that change: a restart.
  const saved = instance.settings.find(
    (s) =>
      UNIT_KINDS.has(s.source.kind) &&
      s.state === 'latent' &&
      hostSettingNames(kind).has(s.name) &&
      /^(127\.0\.0\.1|::1|localhost)(:\d+)?$/.test(s.value),
  );
  if (!target && saved)
    return manual(
      instance.id,
      `${where(saved)} already sets ${saved.name} ${saved.value}, but the running server was started before that change. Restart ${unit} to have it listen on loopback.`,
      [['systemctl', 'restart', unit]],
    );
  let append: string | undefined;
  let execLine: Setting | null = null;
  if (!target) {
    // Listening beyond loopback by default (vLLM, KoboldCpp): add the flag to ExecStart=.
    const flag = kind.bind?.hostFlags[0];
    execLine =
      instance.settings.find(
        (s) => s.name === 'ExecStart' && s.state === 'effective' && UNIT_KINDS.has(s.source.kind),
      ) ?? null;
    const fromEnv = settings.some((s) => s.source.kind === 'process');
    if (!flag || execLine === null || fromEnv)
      return manual(
        instance.id,
        `Paddock found nothing in ${unit}'s files it can change to set where this ${name} listens${fromEnv ? ' (its environment sets it, from a place Paddock did not find)' : ''}. Look with \`systemctl cat ${unit}\`, set its listen address to ${to}, then restart it.`,
        [['systemctl', 'cat', unit]],
      );
    append = flag;
  }

  const edited = editFor(kind, unit, io, target, execLine, append, to);
  if ('reason' in edited) return manual(instance.id, edited.reason, edited.commands);
  return finish(snapshot, instance, name, unit, io, edited, options);
}

interface Edited {
  path: string;
  before: string;
  content: string;
  change: string;
}

/** The one edit: the file, its bytes before and after, and the change in words. */
function editFor(
  kind: ServerKind,
  unit: string,
  io: RecipeIO,
  target: Setting | null,
  execLine: Setting | null,
  append: string | undefined,
  to: string,
): Edited | { reason: string; commands: string[][] } {
  const refuse = (reason: string) => ({
    reason,
    commands: [
      ['systemctl', 'cat', unit],
      ['systemctl', 'restart', unit],
    ],
  });
  const at = target ?? execLine!;
  const path = at.source.path;
  const line = at.source.line;
  if (!isPlainAbsolutePath(path)) return refuse(`${shown(path)} is not a plain absolute path.`);
  // As root, a path another user controls is neither read nor written (the read could be
  // redirected to a file of root's: security review of issue 13).
  const rootProblem = io.rootWriteProblem?.(path) ?? null;
  if (rootProblem)
    return refuse(
      `Paddock runs as root here, and as root it never reads or writes where another user could redirect it (${shown(rootProblem, 200)}). Make the change as that user: ${at.name} in ${where(at)} to ${to}, then restart ${unit}.`,
    );
  const before = io.readFile(path);
  if (before === null) return refuse(`${shown(path)} could not be read; scan again.`);
  const byHand = (why: string, what: string) =>
    refuse(
      `Paddock will not edit ${where(at)}: ${why}. ${what} by hand, then run \`systemctl daemon-reload\` and restart ${unit}.`,
    );

  if (at.source.kind === 'config-file') {
    if (!path.endsWith('.kcpps'))
      return refuse(
        `Paddock edits only KoboldCpp .kcpps files; set ${at.name} in ${where(at)} to ${to}, then restart ${unit}.`,
      );
    const edit = editKcppsHost(before, to);
    if (!edit.ok) return byHand(edit.reason, `Set "host" to "${to}"`);
    return {
      path,
      before,
      content: edit.content,
      change: `"host" in ${shown(path)} from ${JSON.stringify(shown(edit.oldValue, 60))} to "${to}"`,
    };
  }
  if (line === null) return refuse(`The line that sets ${at.name} is not known.`);
  if (append) {
    const edit = editExecStartHost(before, line, unit, [append], to, { appendFlag: append });
    if (!edit.ok) return byHand(edit.reason, `Add ${append} ${to} to the ExecStart= line`);
    return {
      path,
      before,
      content: edit.content,
      change: `the ExecStart= line ${where(at)}: ${append} ${to} added (without it, the server listens on every interface)`,
    };
  }
  const value = newValueFor(at.name, kind, at.value, to);
  if (value === null)
    return refuse(`${at.name} ${shown(at.value, 60)} has no port Paddock can keep.`);
  if (at.name.startsWith('-')) {
    const flags = [...(kind.bind?.hostFlags ?? []), ...(kind.bind?.addressFlags ?? [])];
    const edit = editExecStartHost(before, line, unit, flags, value);
    if (!edit.ok) return byHand(edit.reason, `Change ${at.name} there to ${value}`);
    return {
      path,
      before,
      content: edit.content,
      change: `${at.name} on the ExecStart= line ${where(at)} from ${shown(edit.oldValue, 60)} to ${value}`,
    };
  }
  const edit = editAssignment({
    kind: at.source.kind,
    text: before,
    line,
    name: at.name,
    decide: () => ({ kind: 'set', value }),
    unitName: unit,
  });
  if (!edit.ok) return byHand(edit.reason, `Change ${at.name} there to ${value}`);
  return {
    path,
    before,
    content: edit.content,
    change: `${at.name} in ${where(at)} from ${shown(edit.oldValue, 60)} to ${value}`,
  };
}

function finish(
  snapshot: Snapshot,
  instance: Instance,
  name: string,
  unit: string,
  io: RecipeIO,
  { path, before, content, change }: Edited,
  options: { findingId?: string | null },
): FixPlan | ManualFix {
  const rootProblem = io.rootWriteProblem?.(path) ?? null;
  if (rootProblem)
    return manual(
      instance.id,
      `Paddock runs as root here, and as root it never writes where another user could redirect the write (${shown(rootProblem, 200)}). Make the change as that user: ${change}, then restart ${unit}.`,
    );
  const port = Math.min(...instance.listeners.map((l) => l.port));
  const reload = systemdReloadAround(unit);
  const steps: FixStep[] = [
    ...reload.before,
    {
      kind: 'write-file',
      path,
      before,
      content,
      mode: safeMode(io.fileMode?.(path), 0o644),
      description: `Change ${change}; every other byte of the file stays as it is.`,
    },
    ...reload.after,
  ];
  const remote = instance.peers.reduce((n, p) => n + p.connections, 0);
  return {
    fixId: 'rebind-server',
    findingId: options.findingId ?? null,
    instance: instance.id,
    title: `Make ${name} listen on this computer only`,
    summary: `Changes ${change}, has systemd reload, and restarts ${unit}, so ${name} listens on the loopback address only and other computers cannot connect.`,
    warnings: [
      `Other computers will no longer reach ${name}; programs on this computer keep using http://${LOOPBACK}:${Number.isFinite(port) ? port : ''}.`,
      `Restarting ${unit} unloads any model in memory and cuts requests in progress.`,
      ...(remote > 0
        ? [`${remote} connection${remote === 1 ? '' : 's'} from other computers will be cut.`]
        : []),
    ],
    requiresAdmin: true,
    steps,
    verification: {
      kind: 'instance-loopback-only',
      instance: instance.id,
      port: Number.isFinite(port) ? port : null,
      setting: null,
      description: `After the restart, every socket of the ${name} started by ${unit} listens on a loopback address.`,
    },
    basedOn: snapshot.takenAt,
  };
}
