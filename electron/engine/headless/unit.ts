/**
 * Issue 15: Paddock as a hardened systemd service (`paddock service install|uninstall`), as
 * plans the fix executor runs like any fix: previewed exactly, backed up, journaled, verified,
 * rolled back on failure, undoable (`paddock undo RUN`).
 *
 * The unit runs `paddock service run` as root with only the capabilities the scan's reads need
 * (docs/security.md, "The service"): CAP_SYS_PTRACE (other users' /proc/PID/fd, environ and
 * net), CAP_DAC_READ_SEARCH (their configuration files), CAP_NET_ADMIN (nft, iptables-nft and
 * ufw listing the firewall). Everything is read-only to it but its own state folder and the
 * Prometheus textfile's folder.
 *
 * Install writes the configuration (only when there is none), the unit, reloads systemd and
 * enables and starts it. Uninstall stops and disables it, then removes what install and the
 * service wrote: the unit, the service's state (its history and webhook queues), the textfile
 * and the configuration (unless kept), and the folders that leave empty, so that the machine's
 * files are as they were before install (Paddock's record of the two runs aside, kept under
 * /var/lib/paddock/runs for undo). Every path here is a constant or comes from a file this
 * machine holds, checked to be plain before it goes into the unit.
 */
import type { FixPlan, FixStep } from '../../../shared/fixes';
import { DEFAULT_CONFIG_PATH, serviceConfigSchema } from '../alerts/config';

export const SERVICE_UNIT_NAME = 'paddock.service';
export const SERVICE_UNIT_PATH = `/etc/systemd/system/${SERVICE_UNIT_NAME}`;
export const SERVICE_WANTS_LINK = `/etc/systemd/system/multi-user.target.wants/${SERVICE_UNIT_NAME}`;
/** systemd's StateDirectory=paddock/service. */
export const SERVICE_STATE_DIR = '/var/lib/paddock/service';
export const SERVICE_CONFIG_PATH = DEFAULT_CONFIG_PATH;
export const SERVICE_CONFIG_DIR = '/etc/paddock';
/** Where Debian's prometheus-node-exporter reads textfiles (its --collector.textfile.directory). */
export const DEBIAN_TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';
/** The hidden subcommand that removes the textfile through its checked folder. */
export const REMOVE_TEXTFILE = '__remove-textfile';
export const UNIT_MARKER =
  '# Written by Paddock (paddock service install); remove it with `paddock service uninstall`.';

/** The capabilities the service keeps (docs/security.md says why each, and what is lost). */
export const SERVICE_CAPABILITIES = ['CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH', 'CAP_NET_ADMIN'];

/** A path that goes into a unit file as is: absolute, normalised, and of plain characters only. */
export function plainUnitPath(path: string): boolean {
  return (
    /^\/[A-Za-z0-9._/+-]+$/.test(path) &&
    path
      .split('/')
      .slice(1)
      .every((part) => part !== '' && part !== '.' && part !== '..')
  );
}

export interface UnitInputs {
  /** The Node binary that runs Paddock (process.execPath, root's). */
  node: string;
  /** Paddock's launcher (bin/paddock.cjs of the installed package, root's). */
  launcher: string;
  /** The folder of the configured Prometheus textfile, made writable to the service; null: none. */
  textfileDir: string | null;
}

/** The unit, byte for byte; throws when a path is not plain (it would need quoting). */
export function serviceUnitText(inputs: UnitInputs): string {
  for (const [what, path] of [
    ['Node', inputs.node],
    ["Paddock's launcher", inputs.launcher],
    ['the textfile folder', inputs.textfileDir],
  ] as const) {
    if (path !== null && !plainUnitPath(path))
      throw new Error(
        `${what} is at ${JSON.stringify(path)}, which is not a plain absolute path (letters, digits, . _ - + /): install Paddock where the path needs no quoting`,
      );
  }
  return [
    UNIT_MARKER,
    '[Unit]',
    'Description=Paddock: watches local LLM servers and who can reach them',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${inputs.node} ${inputs.launcher} service run --config ${SERVICE_CONFIG_PATH}`,
    'Restart=on-failure',
    'RestartSec=10',
    // A configuration it cannot use (exit 2) is said once in the journal, not retried forever.
    'RestartPreventExitStatus=2',
    'StateDirectory=paddock/service',
    'StateDirectoryMode=0700',
    'UMask=0077',
    'NoNewPrivileges=yes',
    `CapabilityBoundingSet=${SERVICE_CAPABILITIES.join(' ')}`,
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    // '-': a folder removed later (node_exporter uninstalled) does not stop the service.
    ...(inputs.textfileDir ? [`ReadWritePaths=-${inputs.textfileDir}`] : []),
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RemoveIPC=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    // CAP_SYS_PTRACE reads other processes' /proc entries; with /proc writable or these two
    // calls allowed, it could also write their memory (docs/security.md, "The service").
    'SystemCallFilter=~process_vm_writev process_vm_readv',
    'ReadOnlyPaths=/proc',
    'SystemCallErrorNumber=EPERM',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** The inputs a unit of Paddock's own was written from, or null when it is not one. */
export function parseServiceUnit(text: string): UnitInputs | null {
  const exec = /^ExecStart=(\S+) (\S+) service run --config \S+$/m.exec(text);
  const rw = /^ReadWritePaths=-(\S+)$/m.exec(text);
  if (!exec) return null;
  const inputs: UnitInputs = { node: exec[1]!, launcher: exec[2]!, textfileDir: rw?.[1] ?? null };
  try {
    return serviceUnitText(inputs) === text ? inputs : null;
  } catch {
    return null;
  }
}

/** The configuration install writes when there is none: the textfile only where a collector reads. */
export function defaultServiceConfig(textfileDirExists: boolean): string {
  return `${JSON.stringify(
    {
      version: 1,
      intervalMinutes: 10,
      textfile: textfileDirExists ? `${DEBIAN_TEXTFILE_DIR}/paddock.prom` : null,
      journald: true,
      webhookUrlsFile: '/etc/paddock/webhook-urls.json',
      webhooks: [],
    },
    null,
    2,
  )}\n`;
}

/** The textfile a configuration names, or an error naming the field. */
export function textfileOf(configText: string): { path: string | null } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(configText);
  } catch {
    return { error: `${SERVICE_CONFIG_PATH} is not JSON` };
  }
  const parsed = serviceConfigSchema.safeParse(json);
  if (!parsed.success)
    return {
      error: `${SERVICE_CONFIG_PATH}: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
        .join('; ')}`,
    };
  return { path: parsed.data.textfile };
}

function shape(fields: Omit<FixPlan, 'findingId'>): FixPlan {
  return { ...fields, findingId: null };
}

const RELOAD: FixStep = {
  kind: 'run',
  argv: ['systemctl', 'daemon-reload'],
  undo: ['systemctl', 'daemon-reload'],
  description: 'Have systemd read its unit files. On undo: read them again once they are restored.',
};

export interface InstallFacts {
  node: string;
  launcher: string;
  /** The configuration file's text, or null when there is none (install writes the default). */
  config: string | null;
  /** Whether Debian's textfile folder exists (the default configuration names it then). */
  textfileDirExists: boolean;
  /** The unit file's text, or null when there is none. */
  unit: string | null;
  basedOn: string;
}

export function planServiceInstall(facts: InstallFacts): FixPlan | { error: string } {
  if (facts.unit !== null)
    return {
      error: `${SERVICE_UNIT_PATH} already exists: Paddock's service is installed (paddock service status), or another unit has its name. Nothing was changed.`,
    };
  const config = facts.config ?? defaultServiceConfig(facts.textfileDirExists);
  const textfile = textfileOf(config);
  if ('error' in textfile) return { error: `${textfile.error}. Nothing was changed.` };
  const textfileDir = textfile.path ? textfile.path.slice(0, textfile.path.lastIndexOf('/')) : null;
  let unit: string;
  try {
    unit = serviceUnitText({ node: facts.node, launcher: facts.launcher, textfileDir });
  } catch (error) {
    return { error: `${(error as Error).message}. Nothing was changed.` };
  }
  const steps: FixStep[] = [
    RELOAD,
    ...(facts.config === null
      ? [
          {
            kind: 'write-file' as const,
            path: SERVICE_CONFIG_PATH,
            before: null,
            content: config,
            mode: 0o644,
            description: `The service's configuration: a full scan every 10 minutes, alerts to journald${textfile.path ? `, the Prometheus textfile ${textfile.path}` : ''}; add webhooks here (their URLs go in a secrets file only root reads).`,
          },
        ]
      : []),
    {
      kind: 'write-file',
      path: SERVICE_UNIT_PATH,
      before: null,
      content: unit,
      mode: 0o644,
      description: `Paddock's own unit: the watcher as root with three capabilities (reading other users' sockets and files, and the firewall), everything read-only but its state${textfileDir ? ` and ${textfileDir}` : ''}.`,
    },
    {
      kind: 'run',
      argv: ['systemctl', 'daemon-reload'],
      undo: null,
      description: 'Have systemd read the new unit.',
    },
    {
      kind: 'run',
      argv: ['systemctl', 'enable', '--now', '--', SERVICE_UNIT_NAME],
      undo: ['systemctl', 'disable', '--now', '--', SERVICE_UNIT_NAME],
      description: `Start ${SERVICE_UNIT_NAME} now and at every boot. On undo: stop it and start it no more.`,
    },
  ];
  return shape({
    fixId: 'service-install',
    instance: null,
    title: 'Install Paddock as a service',
    summary: `Runs Paddock's watcher as the systemd service ${SERVICE_UNIT_NAME}: a full scan every few minutes and on every change, alerts through journald${textfile.path ? ', the Prometheus textfile' : ''} and the webhooks configured in ${SERVICE_CONFIG_PATH}. \`paddock service uninstall\` removes it and what it wrote.`,
    warnings:
      facts.config === null
        ? []
        : [`The configuration already in ${SERVICE_CONFIG_PATH} is used as it is.`],
    requiresAdmin: true,
    steps,
    verification: {
      kind: 'service-active',
      instance: null,
      port: null,
      setting: SERVICE_UNIT_NAME,
      description: `systemd says ${SERVICE_UNIT_NAME} is active and enabled.`,
    },
    basedOn: facts.basedOn,
  });
}

export interface UninstallFacts {
  /** The unit's text (null: not installed). */
  unit: string | null;
  /** Files of the service's state folder (path → text), null when the folder is absent. */
  state: Array<{ path: string; text: string }> | null;
  /** The configuration's text, null when absent. */
  config: string | null;
  /** The textfile the configuration names, when it exists. */
  textfile: { path: string } | null;
  /** The entries of /etc/paddock (to know whether it will be empty). */
  configDirEntries: string[] | null;
  keepConfig: boolean;
  basedOn: string;
}

export function planServiceUninstall(facts: UninstallFacts): FixPlan | { error: string } {
  if (facts.unit === null)
    return { error: `${SERVICE_UNIT_PATH} does not exist: Paddock's service is not installed.` };
  if (parseServiceUnit(facts.unit) === null)
    return {
      error: `${SERVICE_UNIT_PATH} is not the unit Paddock writes (it was changed, or is another program's): it is left as it is. Nothing was changed.`,
    };
  const steps: FixStep[] = [
    {
      kind: 'run',
      argv: ['systemctl', 'disable', '--now', '--', SERVICE_UNIT_NAME],
      undo: ['systemctl', 'enable', '--now', '--', SERVICE_UNIT_NAME],
      description: `Stop ${SERVICE_UNIT_NAME} and start it no more. On undo: start it again, at every boot too.`,
    },
  ];
  if (facts.state !== null) {
    for (const file of facts.state)
      steps.push({
        kind: 'remove-file',
        path: file.path,
        before: file.text,
        description: `The service's own state (history of events, webhook queues, status). On undo: put back.`,
      });
    steps.push({
      kind: 'run',
      argv: ['rmdir', '--', SERVICE_STATE_DIR],
      undo: ['install', '-d', '-m', '0700', '--', SERVICE_STATE_DIR],
      description: `Remove the service's state folder, now empty. On undo: make it again.`,
    });
  }
  if (facts.textfile) {
    // Its folder may sit in another user's folder (Debian's /var/lib/prometheus is the
    // prometheus user's): root removes it only through the folder checked as the service
    // writes it (alerts/textfile.ts), never by path, so Paddock's own program does it.
    const inputs = parseServiceUnit(facts.unit)!;
    steps.push({
      kind: 'run',
      argv: [inputs.node, inputs.launcher, 'service', REMOVE_TEXTFILE, facts.textfile.path],
      undo: null,
      description: `Remove the Prometheus textfile ${facts.textfile.path} the service wrote (node_exporter stops exporting Paddock's metrics). On undo: the service writes it again at its first scan.`,
    });
  }
  let configDirEmptied = false;
  if (!facts.keepConfig && facts.config !== null) {
    steps.push({
      kind: 'remove-file',
      path: SERVICE_CONFIG_PATH,
      before: facts.config,
      description: `The service's configuration (keep it with --keep-config). On undo: put back.`,
    });
    configDirEmptied =
      facts.configDirEntries !== null &&
      facts.configDirEntries.length === 1 &&
      facts.configDirEntries[0] === 'paddock.json';
  }
  if (configDirEmptied)
    steps.push({
      kind: 'run',
      argv: ['rmdir', '--', SERVICE_CONFIG_DIR],
      undo: ['install', '-d', '-m', '0755', '--', SERVICE_CONFIG_DIR],
      description: `Remove ${SERVICE_CONFIG_DIR}, now empty. On undo: make it again.`,
    });
  steps.push(
    {
      kind: 'remove-file',
      path: SERVICE_UNIT_PATH,
      before: facts.unit,
      description: `Paddock's unit. On undo: put back.`,
    },
    RELOAD,
  );
  return shape({
    fixId: 'service-uninstall',
    instance: null,
    title: "Uninstall Paddock's service",
    summary: `Stops ${SERVICE_UNIT_NAME} and removes it with what it wrote: its state${facts.textfile ? ', its Prometheus textfile' : ''}${!facts.keepConfig && facts.config !== null ? ' and its configuration' : ''}. Paddock itself stays installed; \`paddock undo\` puts the service back as it was.`,
    warnings: [],
    requiresAdmin: true,
    steps,
    verification: {
      kind: 'service-removed',
      instance: null,
      port: null,
      setting: SERVICE_UNIT_NAME,
      description: `systemd says ${SERVICE_UNIT_NAME} is neither active nor enabled, and its unit file is gone.`,
    },
    basedOn: facts.basedOn,
  });
}
