/**
 * Fix "rebind-systemd": an Ollama server started by a systemd service is made to listen on
 * loopback only, by a Paddock drop-in that sets OLLAMA_HOST=127.0.0.1:<port> and sorts after
 * every other drop-in of the unit (systemd applies drop-ins in file-name order across all
 * unit directories, and for one variable the last assignment wins: ollama-facts.md, "Where
 * the configuration lives").
 *
 * Pure: everything comes from the snapshot. The unit name and every value read from the
 * system are data: validated here, placed only in argv elements and file paths, never in a
 * shell string.
 *
 * Undo order. Undo runs the steps' undos last step first (preview.ts, revertOrder), and a
 * restored drop-in folder only counts after `daemon-reload` and then a restart. So the steps
 * are common.ts's systemdReloadAround: `systemctl cat` (undo: restart) and `daemon-reload`
 * (undo: the same) before the drop-in is written, `daemon-reload` and the restart after it
 * (no undo). Rolling back after any step, or `paddock undo <run>` later, runs: remove the
 * drop-in (and its folder, if the write made it), daemon-reload, restart: the service runs
 * as it did before.
 */
import type { FixPlan, FixStep, ManualFix } from '../../../../shared/fixes';
import type { Evidence, Instance, Setting, Snapshot } from '../../../../shared/snapshot';
import { DEFAULT_OLLAMA_PORT, parseOllamaHost } from '../../ollama/listen-address';
import { findInstance, isServiceName, manualFix, shown, systemdReloadAround } from './common';
import { dropinDirNames } from '../../probes/linux/settings';

export interface RebindSystemdOptions {
  /** The finding this plan resolves (Finding.id). */
  findingId?: string | null;
  /** Where the drop-in goes: `<unitDir>/<unit>.d/`. Default /etc/systemd/system. */
  unitDir?: string;
  /**
   * The address to listen on instead: 127.0.0.1 (this computer only), or a VPN interface's
   * own address (share-vpn, issue 14).
   */
  address?: string;
}

export const PADDOCK_DROPIN_STEM = 'paddock-loopback';
const DEFAULT_UNIT_DIR = '/etc/systemd/system';
/** A file name is at most 255 bytes; the z-prefix grows only until it sorts last. */
const MAX_DROPIN_NAME = 255;
/** The settings probe reads at most this many drop-ins (settings.ts MAX_DROPINS). */
const PROBE_MAX_DROPINS = 256;

export { dropinDirNames };

/** strcmp on UTF-8 bytes, which is code-point order (JavaScript's `<` compares UTF-16 units). */
export function compareFileNames(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/**
 * `zz-paddock-loopback.conf`, or with more `z`s until it sorts after every existing name;
 * null when no such name fits (an existing name starts with a character after `z`).
 */
export function dropinNameAfter(existing: readonly string[]): string | null {
  for (let zs = 2; zs + PADDOCK_DROPIN_STEM.length + 6 <= MAX_DROPIN_NAME; zs++) {
    const name = `${'z'.repeat(zs)}-${PADDOCK_DROPIN_STEM}.conf`;
    if (existing.every((e) => compareFileNames(e, name) < 0)) return name;
  }
  return null;
}

// ── what the settings probe saw ─────────────────────────────────────────────────────────────

function splitPath(path: string): { dir: string; base: string } {
  const slash = path.lastIndexOf('/');
  return { dir: path.slice(0, slash), base: path.slice(slash + 1) };
}

const ABSENT = new Set(['ENOENT', 'ENOTDIR']);

interface DropinView {
  /** File names of every drop-in of the unit, in any unit directory. */
  names: string[];
  /** Full paths of drop-ins Paddock wrote earlier. */
  paddock: string[];
  /** Drop-in folders that exist but could not be listed. */
  unlisted: string[];
  /** The listing of `<unitDir>/<unit>.d`: 'listed', 'absent', or null when not looked at. */
  target: 'listed' | 'absent' | 'not-a-folder' | null;
}

function viewDropins(evidence: readonly Evidence[], unit: string, targetDir: string): DropinView {
  const dirNames = new Set(dropinDirNames(unit));
  const names = new Set<string>();
  const paddock = new Set<string>();
  const unlisted = new Set<string>();
  let target: DropinView['target'] = null;
  for (const e of evidence) {
    if (e.kind !== 'file') continue;
    const outcome = e.outcome ?? '';
    if (e.ref === targetDir) {
      if (outcome.startsWith('listed')) target = 'listed';
      else if (outcome === 'ENOENT') target = 'absent';
      else if (outcome === 'ENOTDIR') target = 'not-a-folder';
    }
    const self = splitPath(e.ref);
    if (dirNames.has(self.base) && !outcome.startsWith('listed') && !ABSENT.has(outcome))
      unlisted.add(e.ref);
    const parent = splitPath(self.dir);
    if (!dirNames.has(parent.base) || !self.base.endsWith('.conf') || self.base.startsWith('.'))
      continue;
    names.add(self.base);
    if (/paddock/i.test(self.base)) paddock.add(e.ref);
  }
  return { names: [...names], paddock: [...paddock], unlisted: [...unlisted], target };
}

// ── the value in force ──────────────────────────────────────────────────────────────────────

/** The OLLAMA_HOST the server runs with: its own environment first, then the unit's. */
function effectiveHost(instance: Instance): Setting | null {
  const effective = instance.settings.filter((s) => s.name === 'OLLAMA_HOST');
  return (
    effective.find((s) => s.state === 'effective' && s.source.kind === 'process') ??
    effective.find((s) => s.state === 'effective') ??
    null
  );
}

// ── the plan ────────────────────────────────────────────────────────────────────────────────

function manual(instanceId: string, reason: string, commands: string[][]): ManualFix {
  return manualFix('rebind-systemd', instanceId, reason, commands);
}

/**
 * Writing a drop-in by hand: `tee` takes the two lines on standard input (systemd 252, in
 * Debian 12, has no `systemctl edit --drop-in=`, and `systemctl edit` writes override.conf,
 * which need not come last).
 */
function manualDropin(dropinDir: string, unit: string, name: string): string[][] {
  return [
    ['mkdir', '-p', dropinDir],
    ['tee', `${dropinDir}/${name}`],
    ['systemctl', 'daemon-reload'],
    ['systemctl', 'restart', unit],
  ];
}

function dropinText(unit: string, port: number, address: string): string {
  return [
    address === '127.0.0.1'
      ? `# Written by Paddock (fix "rebind-systemd") so that Ollama listens on this computer only.`
      : `# Written by Paddock (fix "share-vpn") so that Ollama listens on the VPN address ${address} only.`,
    `# To undo: run \`paddock undo <run>\` (the run is listed in Paddock's fix history), or delete`,
    `# this file, then run \`systemctl daemon-reload\` and \`systemctl restart ${unit}\`.`,
    '[Service]',
    `Environment="OLLAMA_HOST=${address}:${port}"`,
    '',
  ].join('\n');
}

function listenPort(setting: Setting | null): { port: number; note: string | null } {
  if (!setting) return { port: DEFAULT_OLLAMA_PORT, note: null };
  const bind = parseOllamaHost(setting.value);
  if (bind.port === 0)
    return {
      port: DEFAULT_OLLAMA_PORT,
      note: `OLLAMA_HOST asks for port 0 (any free port); Paddock uses ${DEFAULT_OLLAMA_PORT}, Ollama's default.`,
    };
  return { port: bind.port, note: null };
}

/**
 * The plan that makes `instanceId`'s systemd service listen on loopback only, or, when that
 * cannot be done safely from what the snapshot shows, the commands a person could run and why.
 */
export function planRebindSystemd(
  snapshot: Snapshot,
  instanceId: string,
  options: RebindSystemdOptions = {},
): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  if (!instance)
    return manual(
      instanceId,
      `No Ollama server ${JSON.stringify(shown(instanceId, 80))} in this scan; scan again.`,
      [],
    );
  const current = effectiveHost(instance);
  const { port, note: portNote } = listenPort(current);
  const address = options.address ?? '127.0.0.1';
  const loopback = `${address}:${port}`;

  const server = instance.process;
  if (!server) {
    return manual(
      instanceId,
      'Paddock cannot see which process runs this server (run Paddock as root to see it), so it cannot tell how the server is started.',
      [],
    );
  }
  const unit = server.systemdUnit;
  if (unit === null) {
    return manual(
      instanceId,
      `This server (pid ${server.pid}) was not started by a systemd service, so there is no unit to change. Stop it and start it again with OLLAMA_HOST=${loopback}, wherever it is started (a shell start-up file, a script, a terminal).`,
      [['env', `OLLAMA_HOST=${loopback}`, 'ollama', 'serve']],
    );
  }
  // Plain names only: systemd's `\x2d` escapes are valid but not worth the risk here.
  if (!isServiceName(unit) || !/^[A-Za-z0-9:_.@-]+$/.test(unit)) {
    return manual(
      instanceId,
      `The server (pid ${server.pid}) runs in a unit whose name is not a plain "name.service" (${JSON.stringify(shown(unit, 80))}), so Paddock will not put it in a command or a path. See which unit it is with the command below, then add a drop-in that sets OLLAMA_HOST=${loopback} to it.`,
      [['systemctl', 'status', String(server.pid)]],
    );
  }

  const unitDir = (options.unitDir ?? DEFAULT_UNIT_DIR).replace(/\/+$/, '');
  const dropinDir = `${unitDir}/${unit}.d`;
  const seen = viewDropins(snapshot.probes.settings.evidence, unit, dropinDir);
  const fallbackName = `zz-${PADDOCK_DROPIN_STEM}.conf`;

  if (seen.paddock.length > 0) {
    return manual(
      instanceId,
      `A Paddock drop-in is already there (${seen.paddock.map((p) => shown(p)).join(', ')}): this fix was applied before. If Ollama still listens beyond this computer, the service was not restarted since, or something overrides it; see \`systemctl cat ${unit}\`. Undo the earlier run (\`paddock undo <run>\`) or delete that file before applying the fix again.`,
      [
        ['systemctl', 'cat', unit],
        ['systemctl', 'restart', unit],
      ],
    );
  }
  if (seen.target === null || seen.unlisted.length > 0 || seen.target === 'not-a-folder') {
    const why =
      seen.target === null
        ? `the scan did not look in ${dropinDir}`
        : seen.target === 'not-a-folder'
          ? `${dropinDir} is not a folder`
          : `Paddock could not list ${seen.unlisted.map((p) => shown(p)).join(', ')}`;
    return manual(
      instanceId,
      `Paddock cannot choose a drop-in name that is sure to come after every other drop-in of ${unit}: ${why}. Add a drop-in whose name comes after all of them, holding two lines, [Service] and Environment="OLLAMA_HOST=${loopback}" (type them into \`tee\`, then Ctrl-D), then reload systemd and restart the service.`,
      manualDropin(dropinDir, unit, fallbackName),
    );
  }
  const name = seen.names.length < PROBE_MAX_DROPINS ? dropinNameAfter(seen.names) : null;
  if (name === null) {
    return manual(
      instanceId,
      `${unit} has drop-ins whose names sort after any name Paddock would use (or too many to be sure), so a Paddock drop-in might not be the one that wins. Add the setting OLLAMA_HOST=${loopback} to the drop-in that comes last, then restart the service.`,
      [['systemctl', 'cat', unit]],
    );
  }
  const fromEnvFile = instance.settings.find(
    (s) => s.name === 'OLLAMA_HOST' && s.source.kind === 'systemd-envfile',
  );
  if (fromEnvFile) {
    return manual(
      instanceId,
      `OLLAMA_HOST is set in an EnvironmentFile= (${shown(fromEnvFile.source.path)}), and systemd applies those after every Environment= line, so a drop-in cannot override it. Change it there to ${loopback}, then restart the service.`,
      [
        ['systemctl', 'cat', unit],
        ['systemctl', 'restart', unit],
      ],
    );
  }

  const path = `${dropinDir}/${name}`;
  const reload = systemdReloadAround(unit);
  const steps: FixStep[] = [
    ...reload.before,
    {
      kind: 'write-file',
      path,
      before: null,
      content: dropinText(unit, port, address),
      mode: 0o644,
      description: `Add ${path}${seen.target === 'absent' ? ' (and its folder)' : ''}: it sets OLLAMA_HOST=${loopback} and comes after every other drop-in of ${unit}, so its value wins.`,
    },
    ...reload.after,
  ];

  const before = current
    ? `today OLLAMA_HOST is ${JSON.stringify(shown(current.value, 80))}`
    : 'today OLLAMA_HOST is not set';
  const warnings = [
    `Other computers (including your own laptop or phone, if they use this server) will no longer reach Ollama; programs on this computer keep using http://${loopback}.`,
    `Restarting ${unit} unloads any model in memory and cuts requests in progress.`,
  ];
  const remote = instance.peers.reduce((n, p) => n + p.connections, 0);
  if (remote > 0)
    warnings.push(
      `${remote} connection${remote === 1 ? '' : 's'} from other computers will be cut (${instance.peers.map((p) => shown(p.address, 60)).join(', ')}).`,
    );
  if (instance.proxyPaths.length > 0)
    warnings.push(
      'A reverse proxy on this computer forwards to Ollama; it keeps working only if it connects to 127.0.0.1.',
    );
  if (portNote) warnings.push(portNote);

  return {
    fixId: 'rebind-systemd',
    findingId: options.findingId ?? null,
    instance: instanceId,
    title: 'Make Ollama listen on this computer only',
    summary: `Adds a drop-in to the ${unit} service that sets OLLAMA_HOST=${loopback} (${before}), has systemd reload, and restarts the service, so Ollama listens on the loopback address only and other computers cannot connect.`,
    warnings,
    requiresAdmin: true,
    steps,
    verification: {
      kind: 'instance-loopback-only',
      instance: instanceId,
      port,
      setting: 'OLLAMA_HOST',
      description: `After the restart, every socket of the Ollama server started by ${unit} listens on a loopback address (port ${port}), and OLLAMA_HOST is ${loopback}.`,
    },
    basedOn: snapshot.takenAt,
  };
}
