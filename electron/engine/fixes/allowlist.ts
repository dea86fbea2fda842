/**
 * What the privileged side lets a plan do, checked as root before anything runs, and again
 * before an undo or a recovery. Defence in depth: the privileged side only ever runs a plan it
 * made itself from its own scan (cli/privileged.ts), so a plan reaching this check was built by
 * Paddock's own recipes; this check holds even if a recipe had a bug, and it reads each change
 * the way systemd and a shell would, not the way a regular expression would:
 *
 * - **Files**: only systemd units and drop-ins of a unit that runs a server Paddock found (or
 *   Paddock's own), an EnvironmentFile= such a unit names, /etc/environment, and Paddock's own
 *   nftables files and unit (whose content is pinned byte for byte). No NUL, CR or other
 *   control character anywhere in what is written; no added line ending in a backslash, nor
 *   one after a line that does (a continuation would swallow it, or the line after it); the
 *   unit parser must find the same directives before and after except OLLAMA_* assignments,
 *   whose values may hold only plain characters. Environment files (sourced by shells as well
 *   as read by systemd) change only OLLAMA_* lines, with shell-safe literal values. Modes are
 *   rw for the owner and r for others at most: never set-id, sticky, executable, or writable by
 *   group or others.
 * - **Commands**: systemctl (daemon-reload; cat, try-restart of a server's unit; enable of
 *   Paddock's own unit; stop of a tunnel client's unit, undone by start), nft -f of Paddock's own port file, ufw deny rules for one port,
 *   firewall-cmd reject rich rules: each by name (host/exec.ts runs it from the system folders
 *   as root), `--` before every unit name, and with exactly the undo that reverses it. What
 *   removes or opens something (ufw delete/allow/limit, nft delete table, --remove-rich-rule,
 *   systemctl disable) is accepted only as the undo of the step that added it.
 * - **Shared plumbing** (R1): undo keeps a step while Paddock's rules folder holds a rule
 *   (`keptWhile`), and reverts it with the undo that removes the last one, only on the three
 *   steps of the boot plumbing every nftables fix of Paddock's relies on: its include file and
 *   its unit, each with its pinned content, and the enable of its unit undone by exactly
 *   `systemctl disable -- <unit>`; and only with the folder /etc/paddock/nftables.d. Anywhere
 *   else it is refused. Runs recorded before it (a write `kept` always, an enable with no
 *   undo) are accepted only when re-checking a recorded run: a change undo would never take
 *   back is no fix Paddock makes now.
 *
 * `context` ties a plan to the machine: the units and environment files of the servers root's
 * own scan found. Undo and recovery re-check a recorded plan without it (the servers may be
 * gone), which keeps every rule above but the tie.
 */
import type { FixPlan, FixStep } from '../../../shared/fixes';
import type { Snapshot } from '../../../shared/snapshot';
import { parseUnitFile } from '../probes/linux/systemd-unit';
import type { UnitEnvDirective } from '../probes/linux/systemd-unit';
import { diffLines } from './preview';
import {
  NFT_MAIN_CONTENT,
  NFT_UNIT_CONTENT,
  PADDOCK_NFT_DIR,
  PADDOCK_NFT_MAIN,
  PADDOCK_NFT_UNIT,
  PADDOCK_NFT_UNIT_NAME,
  nftPortFile,
  nftPortRules,
  nftTableName,
} from './recipes/block-port';
import { isServiceName } from './recipes/common';
import { blockTableName, clientCandidates, parseBlockFile } from './recipes/block-client';
import {
  canonicalSource,
  openToAllFamilies,
  parseShareFile,
  shareTableName,
  ufwAllowSpec,
} from './recipes/share-allowlist';
import { kindById } from '../servers/registry';
import { isServicePlan, servicePlanProblems } from '../headless/allowlist';
import { PFCTL, PF_ANCHOR, PF_ANCHOR_FILE, pfFilePorts } from './recipes/darwin';
import { POWERSHELL_EXE, powershellArgv } from '../probes/win32/powershell';
import type { PsTemplate } from '../probes/win32/powershell';
import { FIX_TEMPLATES, PS_ADD_BLOCK_RULE, PS_REMOVE_BLOCK_RULE } from './recipes/win32-scripts';
import { APP_SWITCH_COMMAND } from './recipes/win32';
import { encodedScriptLines } from './preview';
import { SERVICE_CONFIG_PATH, SERVICE_UNIT_PATH } from '../headless/unit';
import type { AllowedHost } from './bind-edits';
import {
  HOST_VARS,
  execHostOnlyChange,
  hostOf,
  isLoopbackLiteral,
  kcppsHostOnlyChange,
} from './bind-edits';
import { vpnAddresses } from './recipes/share-vpn';
import type { ShareManifest } from './recipes/share-proxy-config';
import {
  parseShareManifest,
  proxyConfig,
  secretFormatOf,
  shareConfigPath,
  shareUnit,
  shareUnitName,
} from './recipes/share-proxy-config';
import { scopeOf } from '../exposure';
import { VPN_INTERFACE } from '../instances';

/** What root's own scan ties a plan to. */
export interface PrivilegedContext {
  /** systemd units that run a server Paddock found. */
  units: ReadonlySet<string>;
  /** EnvironmentFile= paths those units read. */
  envFiles: ReadonlySet<string>;
  /** systemd units whose main process is a tunnel client publishing a server (stop-tunnel). */
  tunnelUnits?: ReadonlySet<string>;
  /** Settings files (a KoboldCpp .kcpps) that a server of those units was started with. */
  configFiles?: ReadonlySet<string>;
  /** The host variables of the kind each unit runs (`LLAMA_ARG_HOST` for llama-server's). */
  hostVars?: ReadonlyMap<string, ReadonlySet<string>>;
  /** The VPN interfaces' own addresses root's scan found (share-vpn may narrow to one). */
  vpnAddresses?: ReadonlySet<string>;
  /** Every address of this machine's interfaces but loopback (a share-proxy listens on some). */
  localAddresses?: ReadonlySet<string>;
  /** Addresses of VPN interfaces, IPv4 and IPv6 (share-proxy's plain HTTP listens on those only). */
  vpnInterfaceAddresses?: ReadonlySet<string>;
  /** Ports of the servers root's scan found reachable beyond this computer (a share-proxy
   * fronts one: it narrows who reaches a server others reach already, never opens one). */
  serverPorts?: ReadonlySet<number>;
  /** "port/family" on which every path of a server root's scan found is open to anyone: a
   * share-allowlist rule letting sources in there opens nothing (openToAllFamilies). */
  openToAll?: ReadonlySet<string>;
  /** The secret format of each share of Paddock's root read on disk, by port (rotation). */
  shareFormats?: ReadonlyMap<number, string>;
  /** Issue 18: the other machines root's scan found connected to a server or in its log
   * (block-client refuses only one of those). */
  clientAddresses?: ReadonlySet<string>;
}

/**
 * What a server's listen address may become: loopback, or a VPN address root's own scan found.
 * Re-checking a recorded run (no context), a private or shared-space IPv4 literal: narrowing
 * from every interface to one address of this host's, as share-vpn's run did.
 */
function allowedHosts(context: PrivilegedContext | null): AllowedHost {
  if (context) return (v) => isLoopbackLiteral(v) || (context.vpnAddresses?.has(v) ?? false);
  return (v) =>
    isLoopbackLiteral(v) ||
    (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(v) && ['private', 'cgnat'].includes(scopeOf(v) ?? ''));
}

/**
 * The units and environment files of the servers in root's own scan, and the units of the
 * tunnel clients that publish them. A process's cgroup names
 * a unit, but that proves little (a user's cron job runs in cron.service's cgroup; a user
 * manager's units carry any name the user likes): only a unit whose main process is the server
 * itself counts (`isServerUnit`, which the privileged side answers from systemd), and only its
 * environment files.
 */
export function privilegedContext(
  snapshot: Snapshot,
  isServerUnit: (unit: string, pid: number) => boolean,
): PrivilegedContext {
  const units = new Set<string>();
  const envFiles = new Set<string>();
  const tunnelUnits = new Set<string>();
  const configFiles = new Set<string>();
  const hostVars = new Map<string, ReadonlySet<string>>();
  for (const instance of snapshot.instances)
    for (const tunnel of instance.tunnels ?? []) {
      const unit = tunnel.systemdUnit;
      if (unit && isServiceName(unit) && isServerUnit(unit, tunnel.pid)) tunnelUnits.add(unit);
    }
  for (const instance of snapshot.instances) {
    const unit = instance.process?.systemdUnit;
    if (!unit || !isServiceName(unit) || !isServerUnit(unit, instance.process!.pid)) continue;
    units.add(unit);
    if (instance.kind !== 'ollama') {
      const bind = kindById(instance.kind).bind;
      hostVars.set(unit, new Set([...(bind?.hostEnv ?? []), ...(bind?.addressEnv ?? [])]));
    }
    for (const setting of instance.settings) {
      if (setting.source.kind === 'systemd-envfile') envFiles.add(setting.source.path);
      if (setting.source.kind === 'config-file' && setting.state === 'effective')
        configFiles.add(setting.source.path);
    }
  }
  const interfaces = snapshot.probes.interfaces.data ?? [];
  const vpn = new Set(vpnAddresses(interfaces).map((v) => v.address));
  const addressesOf = (list: typeof interfaces) =>
    new Set(
      list.flatMap((i) => i.addresses.filter((a) => a.scope !== 'loopback').map((a) => a.address)),
    );
  return {
    units,
    envFiles,
    tunnelUnits,
    configFiles,
    hostVars,
    vpnAddresses: vpn,
    localAddresses: addressesOf(interfaces),
    vpnInterfaceAddresses: addressesOf(interfaces.filter((i) => VPN_INTERFACE.test(i.name))),
    openToAll: new Set(snapshot.instances.flatMap((i) => [...openToAllFamilies(i)])),
    clientAddresses: new Set(
      snapshot.instances.flatMap((i) => clientCandidates(snapshot, i).map((c) => c.address)),
    ),
    serverPorts: new Set(
      snapshot.instances
        .filter((i) => i.exposure !== 'private')
        .flatMap((i) => i.listeners.filter((l) => l.path === 'direct').map((l) => l.port)),
    ),
  };
}

const PORT = /^[1-9]\d{0,4}$/;
const ZONE = /^[A-Za-z0-9_+.-]{1,64}$/;
const RICH_RULE = /^rule(?: priority="-?\d{1,5}")? port port="\d{1,5}" protocol="tcp" reject$/;
/** share-allowlist's accept for one source (issue 14), only ever paired with a reject after it. */
const RICH_ACCEPT =
  /^rule family="ipv([46])" priority="(-\d{1,5})" source address="([0-9a-f.:/]{1,64})" port port="(\d{1,5})" protocol="tcp" accept$/;
const DROPIN = /^[A-Za-z0-9:_.@-]{1,200}\.conf$/;
const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];
const PORT_FILE = /^\/etc\/paddock\/nftables\.d\/port-(\d{1,5})\.nft$/;
const SHARE_FILE = /^\/etc\/paddock\/nftables\.d\/share-(\d{1,5})\.nft$/;
/** block-client's file: one port and one address (recipes/block-client.ts parses it exactly). */
const BLOCK_FILE = /^\/etc\/paddock\/nftables\.d\/block-\d{1,5}-[0-9a-fx_]{2,64}\.nft$/;
/** share-proxy's files: its manifest, its proxy's configuration, its secret, its unit. */
const PROXY_FILE = /^\/etc\/paddock\/share\/(\d{1,5})\/(share\.json|nginx\.conf|Caddyfile|secret)$/;
const PROXY_UNIT = /^\/etc\/systemd\/system\/paddock-share-(\d{1,5})\.service$/;
const PROXY_UNIT_NAME = /^paddock-share-(\d{1,5})\.service$/;
/** Permission bits a file Paddock writes may have: at most rw-r--r--. */
const ALLOWED_MODE_BITS = 0o644;
/** OLLAMA_* names as Ollama reads them. */
const OLLAMA_NAME = /^OLLAMA_[A-Z0-9_]{1,64}$/;
/** Characters a value may hold in a unit's Environment= or an env file: nothing a shell or
 * systemd's specifier or escape syntax would read as more than itself. */
const PLAIN_VALUE = /^[A-Za-z0-9_.,:/@+=*[\] -]{0,4096}$/;

function validPort(text: string | undefined): boolean {
  return text !== undefined && PORT.test(text) && Number(text) <= 65535;
}

/** A plain absolute path: no `..`, no `.`, no doubled slashes, printable characters only. */
function plainPath(path: string): boolean {
  return (
    /^\/[\x21-\x7e]{1,4095}$/.test(path) &&
    !path
      .split('/')
      .slice(1)
      .some((part) => part === '' || part === '.' || part === '..')
  );
}

type Target =
  | { kind: 'pf-anchor' }
  | { kind: 'unit'; unit: string }
  | { kind: 'paddock-unit' }
  | { kind: 'nft-main' }
  | { kind: 'nft-port'; port: number }
  | { kind: 'nft-share'; port: number }
  | { kind: 'nft-block' }
  | { kind: 'env-file' }
  | { kind: 'kcpps' }
  | {
      kind: 'share-proxy';
      port: number;
      file: 'share.json' | 'nginx.conf' | 'Caddyfile' | 'secret' | 'unit';
    };

/** Which kind of file a path is, if Paddock may change it at all. */
function target(path: string, context: PrivilegedContext | null): Target | string {
  const no = `${path} is not a file Paddock may change`;
  if (!plainPath(path)) return no;
  // Paddock's own service's files change only through its own plans (headless/allowlist.ts).
  if (path === SERVICE_UNIT_PATH || path === SERVICE_CONFIG_PATH)
    return `${path} is Paddock's service's: only \`paddock service\` changes it`;
  if (path === PADDOCK_NFT_UNIT) return { kind: 'paddock-unit' };
  if (path === PF_ANCHOR_FILE) return { kind: 'pf-anchor' };
  if (path === PADDOCK_NFT_MAIN) return { kind: 'nft-main' };
  const share = SHARE_FILE.exec(path);
  if (share) return validPort(share[1]) ? { kind: 'nft-share', port: Number(share[1]) } : no;
  if (BLOCK_FILE.test(path)) return { kind: 'nft-block' };
  const port = PORT_FILE.exec(path);
  if (port) return validPort(port[1]) ? { kind: 'nft-port', port: Number(port[1]) } : no;
  if (path === '/etc/environment') return { kind: 'env-file' };
  const proxyFile = PROXY_FILE.exec(path) ?? PROXY_UNIT.exec(path);
  if (proxyFile)
    return validPort(proxyFile[1])
      ? {
          kind: 'share-proxy',
          port: Number(proxyFile[1]),
          file: (proxyFile[2] ?? 'unit') as
            'share.json' | 'nginx.conf' | 'Caddyfile' | 'secret' | 'unit',
        }
      : no;
  for (const dir of UNIT_DIRS) {
    if (!path.startsWith(`${dir}/`)) continue;
    const rest = path.slice(dir.length + 1).split('/');
    const unit =
      rest.length === 1
        ? rest[0]!
        : rest.length === 2 && rest[0]!.endsWith('.service.d') && DROPIN.test(rest[1]!)
          ? rest[0]!.slice(0, -2)
          : null;
    if (unit === null || !isServiceName(unit)) return no;
    if (context && !context.units.has(unit))
      return `${path} configures ${unit}, whose main process is not a server Paddock found`;
    return { kind: 'unit', unit };
  }
  // A server's .kcpps: only one its unit's server was started with (root's own scan).
  if (path.endsWith('.kcpps')) {
    if (context && !context.configFiles?.has(path))
      return `${path} is not a settings file a server Paddock found was started with`;
    return { kind: 'kcpps' };
  }
  // An EnvironmentFile= of a server's unit: only where root's scan saw that unit read it.
  if (context?.envFiles.has(path)) return { kind: 'env-file' };
  if (!context && /^\/etc\/[A-Za-z0-9_.-]{1,100}(\/[A-Za-z0-9_.-]{1,100}){0,3}$/.test(path))
    return { kind: 'env-file' };
  return context ? `${path} is not an EnvironmentFile= of a server Paddock found` : no;
}

// ── text checks ─────────────────────────────────────────────────────────────────────────

/* eslint-disable no-control-regex -- refusing control characters is the point */
/** Anything but a newline and a tab below 0x20, DEL, C1, and Unicode line separators. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL_NOT_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
/* eslint-enable no-control-regex */

function lines(text: string | null): string[] {
  return (text ?? '').split('\n');
}

/**
 * Added lines (after) and removed lines (before), with the checks that a line joined to its
 * neighbour by a trailing backslash cannot slip through: an added or removed line may not end
 * in one, nor follow a line that does.
 */
function changes(
  before: string | null,
  after: string,
): { added: string[]; removed: string[]; problem: string | null } {
  const a = lines(before);
  const b = lines(after);
  const added: string[] = [];
  const removed: string[] = [];
  let problem: string | null = null;
  const continues = (line: string | undefined) => line !== undefined && /\\[ \t]*$/.test(line);
  for (const op of diffLines(a, b)) {
    if (op.kind === ' ') continue;
    const [line, previous] = op.kind === '+' ? [b[op.b]!, b[op.b - 1]] : [a[op.a]!, a[op.a - 1]];
    (op.kind === '+' ? added : removed).push(line);
    if (problem === null && continues(line))
      problem = `a changed line ends in a backslash, which joins it to the next line (${JSON.stringify(line.slice(0, 80))})`;
    if (problem === null && continues(previous))
      problem = `a changed line follows a line ending in a backslash, which would swallow it`;
  }
  return { added, removed, problem };
}

function contentProblem(after: string): string | null {
  if (after.includes('\0')) return 'the new content holds a NUL byte';
  if (after.includes('\r')) return 'the new content holds a carriage return';
  const bad = CONTROL_NOT_NEWLINE.exec(after);
  if (bad)
    return `the new content holds the control character U+${bad[0].codePointAt(0)!.toString(16).padStart(4, '0')}`;
  return null;
}

// ── systemd units and drop-ins ──────────────────────────────────────────────────────────

/** One line a unit edit may add or remove: blank, a comment, Environment= or ExecStart=. */
const UNIT_LINE = /^([ \t]*|[ \t]*[#;].*|Environment=.*|ExecStart=.+)$/;

const NO_VARS: ReadonlySet<string> = new Set();

function directiveKey(d: UnitEnvDirective, hostVars: ReadonlySet<string> = NO_VARS): string {
  switch (d.kind) {
    case 'set':
      // Values a fix may change: Ollama's, and the host variables of the unit's own kind.
      return OLLAMA_NAME.test(d.name) || hostVars.has(d.name)
        ? `set ${d.name}`
        : `set ${d.name}=${d.value}`;
    case 'exec-start':
      return `exec-start ${d.prefix} ${d.several ? 'several ' : ''}${JSON.stringify(d.argv)}`;
    case 'unset':
      return `unset ${d.name}=${d.value ?? ''}`;
    case 'environment-file':
      return `environment-file ${d.optional ? '-' : ''}${d.path}`;
    default:
      return d.kind;
  }
}

/** Lines that start an `ExecStart=` (not comments), as a person reads the file. */
function execLineCount(text: string): number {
  return text.split(/\r\n|\n|\r/).filter((l) => /^[ \t]*ExecStart[ \t]*=/.test(l)).length;
}

function unitProblem(
  unit: string,
  before: string | null,
  after: string,
  hostVars: ReadonlySet<string>,
  allowed: AllowedHost,
): string | null {
  const { added, removed, problem } = changes(before, after);
  if (problem) return problem;
  const newFile = before === null || before.trim() === '';
  for (const line of [...added, ...removed]) {
    // A [Service] header only opens a new drop-in: placed in an existing file, it would move
    // the lines below it into another section.
    if (line === '[Service]' && newFile && added.includes(line)) continue;
    // A command is only ever edited in place, never added with a new file.
    if (!UNIT_LINE.test(line) || (newFile && /^ExecStart=/.test(line)))
      return `the change touches a line Paddock may not write (${JSON.stringify(line.slice(0, 120))})`;
  }
  if (newFile && after.trim() !== '' && !/^([ \t]*([#;].*)?\n)*\[Service\]\n/.test(after))
    return 'a new drop-in must start with [Service]';
  // The same directives before and after, as systemd reads them, but OLLAMA_* values.
  const parsedBefore = parseUnitFile(before ?? '', { unitName: unit });
  const parsedAfter = parseUnitFile(after, { unitName: unit });
  if (parsedAfter.problems.some((p) => p.fatal))
    return 'systemd would refuse the file as it would be written';
  // An ExecStart= Paddock's parser cannot read as systemd does (an escape it does not know,
  // `\;`) is no directive to compare: a change near one is refused (security review, issue 13).
  const execDirectives = (p: typeof parsedAfter) =>
    p.directives.filter((d) => d.kind === 'exec-start' || d.kind === 'clear-exec-start').length;
  if (
    [...added, ...removed].some((l) => /^[ \t]*ExecStart[ \t]*=/.test(l)) &&
    (execLineCount(after) !== execDirectives(parsedAfter) ||
      execLineCount(before ?? '') !== execDirectives(parsedBefore))
  )
    return 'an ExecStart= line of the file is not one Paddock reads the way systemd does';
  const keysBefore = parsedBefore.directives.map((d) => directiveKey(d, hostVars));
  const keysAfter = parsedAfter.directives.map((d) => directiveKey(d, hostVars));
  // A host variable may change its value (to loopback, below), never appear or go: removing
  // LOCALAI_ADDRESS=127.0.0.1:8080 would widen the server to its default, every interface.
  const hostNames = (p: typeof parsedAfter) =>
    p.directives.flatMap((d) => (d.kind === 'set' && hostVars.has(d.name) ? [d.name] : []));
  if (hostNames(parsedBefore).join('\n') !== hostNames(parsedAfter).join('\n'))
    return 'a server’s listen-address variable would be added or removed, not only narrowed';
  const without = (keys: string[]) => keys.filter((k) => !/^set /.test(k) || /=/.test(k));
  const execBefore = parsedBefore.directives.filter((d) => d.kind === 'exec-start');
  const execAfter = parsedAfter.directives.filter((d) => d.kind === 'exec-start');
  // A command may change only by narrowing its listen address to loopback (fixes/bind-edits.ts).
  const commands = (keys: string[]) =>
    keys.map((k) => (k.startsWith('exec-start ') ? 'exec-start' : k));
  if (commands(without(keysBefore)).join('\n') !== commands(without(keysAfter)).join('\n'))
    return "the change sets, unsets or reads more than OLLAMA_* variables and a server's listen address";
  for (let i = 0; i < execAfter.length; i++) {
    const a = execBefore[i]!;
    const b = execAfter[i]!;
    if (directiveKey(a, hostVars) === directiveKey(b, hostVars)) continue;
    if (
      a.prefix !== b.prefix ||
      a.several ||
      b.several ||
      !execHostOnlyChange(a.argv, b.argv, allowed)
    )
      return 'an ExecStart= changes in more than its listen address, or not to loopback';
  }
  for (const d of parsedAfter.directives) {
    if (d.kind === 'set' && hostVars.has(d.name)) {
      const old = parsedBefore.directives.some(
        (b) => b.kind === 'set' && b.name === d.name && b.value === d.value,
      );
      if (!old && !allowed(hostOf(d.value)))
        return `${d.name} may only be set to a loopback address (${JSON.stringify(d.value.slice(0, 80))})`;
    }
    if (d.kind === 'set' && OLLAMA_NAME.test(d.name) && !PLAIN_VALUE.test(d.value)) {
      const old = parsedBefore.directives.some(
        (b) => b.kind === 'set' && b.name === d.name && b.value === d.value,
      );
      if (!old)
        return `${d.name} would get a value with characters Paddock does not write (${JSON.stringify(d.value.slice(0, 80))})`;
    }
  }
  return null;
}

// ── environment files (EnvironmentFile=, /etc/environment; shells source some of them) ─────

/** A literal value: bare, or in single or double quotes, of plain characters only. */
const SHELL_SAFE_VALUE =
  /^(?:[A-Za-z0-9_.,:/@+=*[\]-]*|"[A-Za-z0-9_.,:/@+=*[\] -]*"|'[A-Za-z0-9_.,:/@+=*[\] -]*')$/;
const ENV_LINE = /^(?:[ \t]*|[ \t]*#.*|(?:export[ \t]+)?(OLLAMA_[A-Z0-9_]{1,64})=(.*))$/;

function envFileProblem(before: string | null, after: string): string | null {
  if (before === null) return 'Paddock only edits environment files that exist';
  const { added, removed, problem } = changes(before, after);
  if (problem) return problem;
  for (const line of removed)
    if (!ENV_LINE.test(line))
      return `the change removes a line Paddock may not touch (${JSON.stringify(line.slice(0, 120))})`;
  for (const line of added) {
    const match = ENV_LINE.exec(line);
    if (!match)
      return `the change adds a line Paddock may not write (${JSON.stringify(line.slice(0, 120))})`;
    if (match[1] !== undefined && !SHELL_SAFE_VALUE.test(match[2]!))
      return `${match[1]} would get a value that is not a plain literal (${JSON.stringify(match[2]!.slice(0, 80))})`;
  }
  return null;
}

// ── file steps ──────────────────────────────────────────────────────────────────────────

/**
 * A share-proxy manifest as root may write it: listening on this machine's own addresses (on a
 * VPN's only for plain HTTP), forwarding to a port a server of root's scan listens on.
 */
function manifestContextProblem(
  m: ShareManifest,
  context: PrivilegedContext | null,
): string | null {
  if (context === null) return null;
  const foreign = m.listen.filter((a) => !(context.localAddresses?.has(a) ?? false));
  if (foreign.length > 0)
    return `the proxy would listen on ${foreign.join(', ')}, not an address of this machine`;
  if (m.tls === 'vpn-plain') {
    const off = m.listen.filter((a) => !(context.vpnInterfaceAddresses?.has(a) ?? false));
    if (off.length > 0)
      return `plain HTTP would be served on ${off.join(', ')}, not a VPN interface's address`;
  }
  if (!(context.serverPorts?.has(m.upstream.port) ?? false))
    return `the proxy would forward to port ${m.upstream.port}, where no server Paddock found is reachable from other machines`;
  if (m.upstream.unit !== undefined && !context.units.has(m.upstream.unit))
    return `the proxy would be bound to ${m.upstream.unit}, which runs no server Paddock found`;
  return null;
}

/** A share-proxy file: exactly what its manifest (written by the same plan) generates. */
function proxyFileProblem(
  step: Extract<FixStep, { kind: 'write-file' | 'remove-file' }>,
  kind: Extract<Target, { kind: 'share-proxy' }>,
  manifests: ReadonlyMap<number, ShareManifest>,
  context: PrivilegedContext | null,
): string | null {
  if (step.kind === 'remove-file')
    return `${step.path}: Paddock removes its share files only by undo`;
  if (step.before !== null) return `${step.path}: a share's files are new files, never edits`;
  if (kind.file === 'secret')
    return `${step.path}: the secret is written only by root, generated at apply time`;
  if (step.mode !== 0o644) return `${step.path}: a share's file is written with mode 644`;
  const manifest = manifests.get(kind.port);
  if (!manifest) return `${step.path}: no valid manifest for port ${kind.port} in this plan`;
  if (kind.file === 'share.json') return manifestContextProblem(manifest, context);
  const expected =
    kind.file === 'unit'
      ? shareUnit(manifest)
      : step.path === shareConfigPath(manifest.software, kind.port)
        ? proxyConfig(manifest)
        : null;
  return expected !== null && step.content === expected
    ? null
    : `${step.path} must hold exactly what Paddock generates from the share's manifest`;
}

/** The manifests a plan writes, by port: each one Paddock's own, byte for byte. */
function planManifests(plan: FixPlan): Map<number, ShareManifest> {
  const out = new Map<number, ShareManifest>();
  for (const step of plan.steps) {
    if (step.kind !== 'write-file') continue;
    const match = PROXY_FILE.exec(step.path);
    if (!match || match[2] !== 'share.json') continue;
    const manifest = parseShareManifest(step.content);
    if (manifest && manifest.port === Number(match[1])) out.set(manifest.port, manifest);
  }
  return out;
}

function secretProblem(
  step: Extract<FixStep, { kind: 'write-secret' }>,
  manifests: ReadonlyMap<number, ShareManifest>,
  context: PrivilegedContext | null,
): string | null {
  const match = PROXY_FILE.exec(step.path);
  if (!match || match[2] !== 'secret' || !validPort(match[1]))
    return `${step.path} is not where Paddock keeps a share's secret`;
  const port = Number(match[1]);
  // Rotation: a share that exists, in the format its manifest on disk gives (root read it).
  if (step.replace) {
    if (manifests.has(port)) return `${step.path}: a new share's secret replaces nothing`;
    if (context === null) return null;
    const format = context.shareFormats?.get(port);
    return format === undefined
      ? `${step.path}: root finds no share of Paddock's on port ${port}`
      : format === step.format
        ? null
        : `${step.path}: the secret's format is not the one its proxy reads`;
  }
  const manifest = manifests.get(port);
  if (!manifest) return `${step.path}: no valid manifest for port ${match[1]} in this plan`;
  if (secretFormatOf(manifest) !== step.format)
    return `${step.path}: the secret's format is not the one its proxy reads`;
  return null;
}

function fileProblem(
  step: Extract<FixStep, { kind: 'write-file' | 'remove-file' }>,
  context: PrivilegedContext | null,
  manifests: ReadonlyMap<number, ShareManifest> = new Map(),
): string | null {
  const kind = target(step.path, context);
  if (typeof kind === 'string') return kind;
  if (kind.kind === 'share-proxy') return proxyFileProblem(step, kind, manifests, context);
  const after = step.kind === 'write-file' ? step.content : null;
  if (step.kind === 'write-file' && (step.mode & ~ALLOWED_MODE_BITS) !== 0)
    return `${step.path}: mode ${step.mode.toString(8)} is not one Paddock writes (at most 644: never executable, set-id, or writable by others)`;
  if (kind.kind === 'paddock-unit')
    return after === null || after === NFT_UNIT_CONTENT
      ? null
      : `${step.path} must hold Paddock's own unit, as written by the recipe`;
  if (kind.kind === 'pf-anchor')
    return after === null || pfFilePorts(after) !== null
      ? null
      : `${step.path} must hold Paddock's pf rules, as written by the recipe`;
  if (kind.kind === 'nft-main')
    return after === null || after === NFT_MAIN_CONTENT
      ? null
      : `${step.path} must hold Paddock's own include file`;
  if (kind.kind === 'nft-port')
    return after === null ||
      (after === nftPortRules(kind.port) && step.path === nftPortFile(kind.port))
      ? null
      : `${step.path} must hold Paddock's rule for port ${kind.port} and nothing else`;
  if (kind.kind === 'nft-block') {
    if (after === null) return null;
    const parsed = parseBlockFile(step.path, after);
    if (!parsed)
      return `${step.path} must hold Paddock's rule refusing one address, generated from it, and nothing else`;
    return context && !context.clientAddresses?.has(parsed.address)
      ? `${step.path}: ${parsed.address} is not a machine root's scan finds connected to a server or in its log`
      : null;
  }
  if (kind.kind === 'nft-share')
    return after === null || parseShareFile(step.path, after) !== null
      ? null
      : `${step.path} must hold Paddock's share rule, generated from valid addresses, and nothing else`;
  // Only Paddock's own files are ever removed.
  if (after === null) return `${step.path} is not Paddock's own file; Paddock does not remove it`;
  const bad = contentProblem(after);
  if (bad) return `${step.path}: ${bad}`;
  const problem =
    kind.kind === 'unit'
      ? unitProblem(
          kind.unit,
          step.before,
          after,
          context ? (context.hostVars?.get(kind.unit) ?? NO_VARS) : HOST_VARS,
          allowedHosts(context),
        )
      : kind.kind === 'kcpps'
        ? step.before !== null && kcppsHostOnlyChange(step.before, after, allowedHosts(context))
          ? null
          : 'a settings file may change only in its "host", and only to a loopback address'
        : envFileProblem(step.before, after);
  return problem === null ? null : `${step.path}: ${problem}`;
}

// ── commands ────────────────────────────────────────────────────────────────────────────

type Check = { ok: true } | { ok: false; why: string };
const OK: Check = { ok: true };
const no = (why: string): Check => ({ ok: false, why });
const same = (a: readonly string[] | null, b: readonly string[]) =>
  a !== null && a.length === b.length && a.every((x, i) => x === b[i]);

function unitArg(args: readonly string[], context: PrivilegedContext | null): string | null {
  if (args.length !== 2 || args[0] !== '--' || !isServiceName(args[1]!)) return null;
  const unit = args[1]!;
  if (unit === PADDOCK_NFT_UNIT_NAME) return unit;
  return context === null || context.units.has(unit) ? unit : null;
}

/** block-client's file as its path names it (port, address), or null: not one of its files. */
function blockOfPath(path: string): { port: number; address: string } | null {
  const m = /^\/etc\/paddock\/nftables\.d\/block-(\d{1,5})-([0-9a-fx_]{2,64})\.nft$/.exec(path);
  if (!m || !validPort(m[1])) return null;
  const address = m[2]!.includes('x') ? m[2]!.replace(/x/g, ':') : m[2]!.replace(/_/g, '.');
  const c = canonicalSource(address);
  return c.ok && c.source === address && !address.includes('/')
    ? { port: Number(m[1]), address }
    : null;
}

/** A step's command and the undo it must carry: the only pairs a recipe writes. */
function runProblem(
  argv: readonly string[],
  undo: readonly string[] | null,
  context: PrivilegedContext | null,
): Check {
  const [program, ...args] = argv;
  if (argv.some((arg) => CONTROL.test(arg)))
    return no(`${program}: an argument holds a control character`);
  switch (program) {
    case PFCTL: {
      // macOS (issue 16): Paddock's own anchor only, each command with exactly its undo.
      const anchor = args[0] === '-a' && args[1] === PF_ANCHOR;
      const rest = args.slice(2);
      if (anchor && same(rest, ['-s', 'rules']))
        return same(undo, [PFCTL, '-a', PF_ANCHOR, '-F', 'rules']) ||
          same(undo, [PFCTL, '-a', PF_ANCHOR, '-f', PF_ANCHOR_FILE])
          ? OK
          : no("listing Paddock's pf anchor is undone by emptying it or loading its file again");
      if (anchor && same(rest, ['-f', PF_ANCHOR_FILE]))
        return undo === null ? OK : no("loading Paddock's pf anchor has no undo of its own");
      // Emptying the anchor (it opens the ports) only ever as an undo, never as a step.
      if (same(args, ['-e']))
        return undo === null ? OK : no('enabling pf has no undo (others may rely on it by then)');
      return no(
        `pfctl ${args.join(' ')} is not one of the pfctl commands a fix uses (Paddock's anchor ${PF_ANCHOR})`,
      );
    }
    case 'systemctl': {
      const [verb, ...rest] = args;
      if (verb === 'daemon-reload' && rest.length === 0)
        return undo === null || same(undo, ['systemctl', 'daemon-reload'])
          ? OK
          : no('systemctl daemon-reload is undone by itself or nothing');
      if (verb === 'stop') {
        // stop-tunnel: only a unit whose main process is a tunnel client root's scan found.
        const tunnel =
          rest.length === 2 && rest[0] === '--' && isServiceName(rest[1]!) ? rest[1]! : null;
        if (tunnel === null || (context !== null && !context.tunnelUnits?.has(tunnel)))
          return no(
            `systemctl stop ${rest.join(' ')}: only the service of a tunnel client Paddock found is stopped`,
          );
        return same(undo, ['systemctl', 'start', '--', tunnel])
          ? OK
          : no(`stopping ${tunnel} is undone by starting it again`);
      }
      if (verb === 'enable' && rest[0] === '--now') {
        const proxyUnit = rest.length === 3 && rest[1] === '--' && PROXY_UNIT_NAME.exec(rest[2]!);
        if (
          !proxyUnit ||
          !validPort(proxyUnit[1]) ||
          rest[2] !== shareUnitName(Number(proxyUnit[1]))
        )
          return no(`systemctl enable ${rest.join(' ')}: only a share proxy's own unit is started`);
        return same(undo, ['systemctl', 'disable', '--now', '--', rest[2]!])
          ? OK
          : no('starting a share proxy is undone by stopping and disabling it');
      }
      const shareUnit =
        rest.length === 2 && rest[0] === '--' ? PROXY_UNIT_NAME.exec(rest[1]!) : null;
      if (verb === 'cat' && shareUnit && validPort(shareUnit[1]))
        return same(undo, ['systemctl', 'clean', '--what=state', '--', rest[1]!]) ||
          same(undo, ['systemctl', 'try-restart', '--', rest[1]!])
          ? OK
          : no(
              `systemctl cat ${rest[1]} is undone by cleaning that share proxy's state, or by restarting it`,
            );
      if (verb === 'restart' && shareUnit && validPort(shareUnit[1]))
        return undo === null ? OK : no('a restart has no undo');
      const unit = unitArg(rest, context);
      if (unit === null)
        return no(
          `systemctl ${args.join(' ')} is not one of the systemctl commands a fix uses (a unit of a server Paddock found, after --)`,
        );
      if (verb === 'cat')
        return same(undo, ['systemctl', 'try-restart', '--', unit])
          ? OK
          : no(`systemctl cat ${unit} is undone by try-restart of the same unit`);
      if (verb === 'try-restart') return undo === null ? OK : no('a restart has no undo');
      // Undone by disabling it (with `keptWhile`, only by the undo that removes Paddock's last
      // rule: keptProblem); a run recorded between R1 and that left it enabled for good.
      if (verb === 'enable' && unit === PADDOCK_NFT_UNIT_NAME)
        return same(undo, ['systemctl', 'disable', '--', unit]) || (undo === null && !context)
          ? OK
          : no(
              context
                ? 'enabling Paddock’s unit is undone by disabling it'
                : 'enabling Paddock’s unit is undone by disabling it, or not at all',
            );
      return no(`systemctl ${args.join(' ')} is not one of the systemctl commands a fix uses`);
    }
    case 'nft': {
      const portFile = args.length === 2 && args[0] === '-f' ? PORT_FILE.exec(args[1]!) : null;
      const shareFile = args.length === 2 && args[0] === '-f' ? SHARE_FILE.exec(args[1]!) : null;
      const blocked = args.length === 2 && args[0] === '-f' ? blockOfPath(args[1]!) : null;
      const file = portFile ?? shareFile;
      if (!blocked && (!file || !validPort(file[1])))
        return no(`nft ${args.join(' ')} touches more than Paddock's own tables`);
      const table = blocked
        ? blockTableName(blocked.port, blocked.address)
        : shareFile
          ? shareTableName(Number(file![1]))
          : nftTableName(Number(file![1]));
      return same(undo, [
        'nft',
        'add',
        'table',
        'inet',
        table,
        ';',
        'delete',
        'table',
        'inet',
        table,
      ])
        ? OK
        : no(`loading ${args[1]} is undone by deleting table inet ${table} only`);
    }
    case 'ufw': {
      // share-allowlist: an allow for one chosen source (a plan may carry it only above a
      // deny for the same port: shareAllowProblems).
      if (args.length === 10 && args[0] === 'prepend' && args[1] === 'allow') {
        const source = args[5]!;
        const c = canonicalSource(source);
        const spec = args.slice(2);
        if (
          !c.ok ||
          c.source !== source ||
          !validPort(args[9]) ||
          spec.join(' ') !== ufwAllowSpec(source, Number(args[9])).join(' ')
        )
          return no(
            `ufw ${args.join(' ')} is not an allow for one chosen source of the shape a fix uses`,
          );
        return same(undo, ['ufw', 'delete', 'allow', ...spec])
          ? OK
          : no('an allow for a chosen source is undone only by deleting that allow');
      }
      const spec = args.slice(-6);
      const head = args.slice(0, -6).join(' ');
      const specOk =
        spec.length === 6 &&
        spec.slice(0, 5).join(' ') === 'proto tcp to any port' &&
        validPort(spec[5]);
      if (!specOk || !['prepend deny', 'deny'].includes(head))
        return no(`ufw ${args.join(' ')} is not a port rule of the shape a fix uses`);
      const undos =
        head === 'prepend deny'
          ? [['ufw', 'delete', 'deny', ...spec]]
          : [
              ['ufw', 'allow', ...spec],
              ['ufw', 'limit', ...spec],
            ];
      return undos.some((u) => same(undo, u))
        ? OK
        : no(`ufw ${head} is undone only by removing that rule, or by the rule it replaced`);
    }
    case 'firewall-cmd': {
      const permanent = args[0] === '--permanent';
      const rest = permanent ? args.slice(1) : args;
      const zone = rest[0]?.startsWith('--zone=') ? rest[0].slice(7) : null;
      const rule = rest[1]?.startsWith('--add-rich-rule=') ? rest[1].slice(16) : null;
      const accept = rule === null ? null : RICH_ACCEPT.exec(rule);
      const sourceOk = (m: RegExpExecArray) => {
        const c = canonicalSource(m[3]!);
        return c.ok && c.source === m[3] && (m[3]!.includes(':') ? '6' : '4') === m[1];
      };
      if (
        rest.length !== 2 ||
        zone === null ||
        !ZONE.test(zone) ||
        rule === null ||
        !(RICH_RULE.test(rule) || (accept !== null && sourceOk(accept) && validPort(accept[4])))
      )
        return no(`firewall-cmd ${args.join(' ')} is not a reject rule of the shape a fix uses`);
      const expected = [
        'firewall-cmd',
        ...(permanent ? ['--permanent'] : []),
        `--zone=${zone}`,
        `--remove-rich-rule=${rule}`,
      ];
      return same(undo, expected)
        ? OK
        : no('a rich rule is undone only by removing that same rule');
    }
    default:
      return no(
        `${program ?? '(nothing)'} is not a program a fix may run as root (only systemctl, nft, ufw and firewall-cmd, by name)`,
      );
  }
}

/**
 * share-allowlist's allows (issue 14) let a chosen source in only above something that refuses
 * everyone else, in the same plan: a ufw allow for a port needs the plan's ufw deny for it; a
 * firewalld accept needs a reject for the port in the same zone (and the same runtime or
 * permanent configuration) at a later priority. With root's scan, the port must be one a
 * server is reachable on already: the rules narrow who reaches it, never open it.
 */
function shareAllowProblems(plan: FixPlan, context: PrivilegedContext | null): string[] {
  const problems: string[] = [];
  const runs = plan.steps.flatMap((s, i) => (s.kind === 'run' ? [{ argv: s.argv, i }] : []));
  const reachable = (port: number, family: string) =>
    context === null || (context.openToAll?.has(`${port}/${family}`) ?? false);
  for (const { argv, i } of runs) {
    if (argv[0] === 'ufw' && argv[1] === 'prepend' && argv[2] === 'allow') {
      const port = argv[argv.length - 1]!;
      const denied = runs.some(
        (r) =>
          r.i < i &&
          r.argv[0] === 'ufw' &&
          (r.argv[1] === 'deny' || (r.argv[1] === 'prepend' && r.argv[2] === 'deny')) &&
          r.argv[r.argv.length - 1] === port,
      );
      if (!denied)
        problems.push(`step ${i + 1}: a ufw allow with no deny of port ${port} before it`);
      if (!reachable(Number(port), argv[6]!.includes(':') ? '6' : '4'))
        problems.push(
          `step ${i + 1}: port ${port} is not open to every machine over that family, so an allow could open it`,
        );
    }
    const rule = argv.find((a) => a.startsWith('--add-rich-rule='))?.slice(16);
    const accept = rule ? RICH_ACCEPT.exec(rule) : null;
    if (argv[0] === 'firewall-cmd' && accept) {
      const zone = argv.find((a) => a.startsWith('--zone='));
      const permanent = argv.includes('--permanent');
      const port = accept[4]!;
      const rejected = runs.some((r) => {
        const other = r.argv.find((a) => a.startsWith('--add-rich-rule='))?.slice(16) ?? '';
        const at = /^rule priority="(-?\d{1,5})" port port="(\d{1,5})" protocol="tcp" reject$/.exec(
          other,
        );
        return (
          r.argv[0] === 'firewall-cmd' &&
          r.argv.includes(zone ?? '') &&
          r.argv.includes('--permanent') === permanent &&
          at !== null &&
          at[2] === port &&
          Number(at[1]) > Number(accept[2]) &&
          Number(at[1]) < 0
        );
      });
      if (!rejected)
        problems.push(
          `step ${i + 1}: a firewalld accept with no reject of port ${port} after it in the same zone`,
        );
      if (!reachable(Number(port), accept[1]!))
        problems.push(
          `step ${i + 1}: port ${port} is not open to every machine over that family, so an accept could open it`,
        );
    }
  }
  return problems;
}

// ── Windows (issue 17) ───────────────────────────────────────────────────────────────────

/** A PowerShell argv as one of the fix templates with its values, or null. */
function asTemplate(
  argv: readonly string[] | null,
): { template: PsTemplate; values: Record<string, string> } | null {
  if (argv === null || argv[0] !== POWERSHELL_EXE || encodedScriptLines(argv) === null) return null;
  const script = Buffer.from(argv[argv.length - 1]!, 'base64').toString('utf16le');
  const values: Record<string, string> = {};
  for (const m of script.matchAll(
    /^\$v_([A-Za-z0-9]+) = \[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/]*={0,2})'\)\)$/gm,
  ))
    values[m[1]!] = Buffer.from(m[2]!, 'base64').toString('utf8');
  for (const template of FIX_TEMPLATES) {
    const names = Object.keys(values);
    if (names.length !== template.params.length || !template.params.every((p) => p in values))
      continue;
    try {
      // The argv must be exactly what the template makes from these values: the same script
      // text around them, the same options, nothing added.
      if (same(argv, powershellArgv(template, values))) return { template, values };
    } catch {
      return null;
    }
  }
  return null;
}

/** One step of an elevated Windows plan and its undo: only the pairs the recipes make. */
function windowsRunProblem(argv: readonly string[], undo: readonly string[] | null): string | null {
  // The Ollama app's switch is a write into the user's own folder (%LOCALAPPDATA%), and the app
  // is a program the user controls: an elevated process never writes the one nor starts or
  // quits the other (Windows has no documented way to start a program unelevated from an
  // elevated one). rebind-windows is always the user's own plan.
  if (argv.includes(APP_SWITCH_COMMAND))
    return "the Ollama app's switch is changed only without admin rights, never by the elevated side";
  const step = asTemplate(argv);
  if (step === null)
    return `${argv[0] ?? '(nothing)'}: not one of the PowerShell scripts of Paddock's Windows fixes, exactly as Paddock writes them`;
  const back = asTemplate(undo);
  const { template, values } = step;
  if (template === PS_ADD_BLOCK_RULE) {
    if (!validPort(values.port)) return `${values.port} is not a port`;
    return back?.template === PS_REMOVE_BLOCK_RULE && back.values.port === values.port
      ? null
      : "Paddock's block rule is undone only by removing the rule of the same name";
  }
  return `${template.id} is accepted only as the undo of the step that needs it`;
}

/** A plan whose commands are Windows': PowerShell, or Paddock's own app switch. */
function isWindowsPlan(plan: FixPlan): boolean {
  return plan.steps.some(
    (s) =>
      s.kind === 'run' && (s.argv[0] === POWERSHELL_EXE || s.argv.includes(APP_SWITCH_COMMAND)),
  );
}

/**
 * An elevated Windows plan (issue 17): block-port only; every step a run of one of win32-scripts.ts's templates, byte for byte as
 * powershellArgv makes it from values checked plain here, with exactly its undo. A plan that
 * needs no admin rights is the user's own and never runs elevated (an elevated process may be
 * another account, whose HKCU and app settings are not this user's).
 */
function windowsPlanProblems(plan: FixPlan): string[] {
  if (!plan.requiresAdmin)
    return ['a Windows fix that needs no admin rights runs as the user, never elevated'];
  if (plan.fixId !== 'block-port')
    return [`${plan.fixId} is not a fix Paddock runs elevated on Windows`];
  const problems: string[] = [];
  plan.steps.forEach((step, index) => {
    const problem =
      step.kind === 'run'
        ? windowsRunProblem(step.argv, step.undo)
        : `a Windows fix writes no file of its own (${step.kind})`;
    if (problem) problems.push(`step ${index + 1}: ${problem}`);
  });
  return problems;
}

/**
 * R1, the boot plumbing Paddock's nftables fixes share: its include file and its unit, each
 * exactly as the recipe writes it (they load Paddock's own rule files and nothing else), and the
 * enable of that unit, undone by disabling it. `keptWhile` (kept while the folder holds a
 * rule, reverted by the undo that removes the last one) is accepted on those three steps only,
 * and only with Paddock's own rules folder: root reads that folder to decide, so it must be the
 * one the include file loads. `kept` (never reverted) only on the two files, and only on a
 * recorded run (context null): recipes no longer write it. Anything else is refused.
 */
function keptProblem(step: FixStep, context: PrivilegedContext | null): string | null {
  const kept = (step as { kept?: unknown }).kept;
  const keptWhile = (step as { keptWhile?: unknown }).keptWhile;
  const name = step.kind === 'run' ? step.argv.join(' ') : step.path;
  const pinnedFile =
    step.kind === 'write-file' &&
    ((step.path === PADDOCK_NFT_MAIN && step.content === NFT_MAIN_CONTENT) ||
      (step.path === PADDOCK_NFT_UNIT && step.content === NFT_UNIT_CONTENT));
  if (kept === undefined && keptWhile === undefined) {
    // A new plan's shared plumbing must say it is kept while other rules remain: without it,
    // its undo would take the plumbing from the rules that rely on it (R1). Recorded runs from
    // before R1 have no flag and are re-checked as they were recorded.
    const plumbing =
      pinnedFile ||
      (step.kind === 'run' &&
        same(step.argv, ['systemctl', 'enable', '--', PADDOCK_NFT_UNIT_NAME]));
    return context && plumbing
      ? `${name}: Paddock's shared nftables plumbing must be kept while other rules remain (keptWhile ${PADDOCK_NFT_DIR})`
      : null;
  }
  if (kept !== undefined) {
    if (keptWhile !== undefined) return `${name}: \`kept\` and \`keptWhile\` together`;
    if (!(pinnedFile && kept === true))
      return `${name}: only Paddock's own nftables include file and unit, exactly as the recipe writes them, stay after undo`;
    return context
      ? `${name}: a file undo never removes (\`kept\`) is accepted only on a run recorded before \`keptWhile\``
      : null;
  }
  const enable =
    step.kind === 'run' &&
    same(step.argv, ['systemctl', 'enable', '--', PADDOCK_NFT_UNIT_NAME]) &&
    same(step.undo, ['systemctl', 'disable', '--', PADDOCK_NFT_UNIT_NAME]);
  if (!(pinnedFile || enable))
    return `${name}: only Paddock's own nftables include file and unit, exactly as the recipe writes them, and the enable of its unit (undone by \`systemctl disable -- ${PADDOCK_NFT_UNIT_NAME}\`) are kept while other rules remain`;
  return keptWhile === PADDOCK_NFT_DIR
    ? null
    : `${name}: kept only while ${PADDOCK_NFT_DIR} holds rules, not ${typeof keptWhile === 'string' ? keptWhile : String(keptWhile)}`;
}

/**
 * Every reason the privileged side refuses this plan; empty when it may run. `context`: the
 * servers of root's own scan (apply); null to re-check a recorded run (undo, recovery).
 */
export function privilegedPlanProblems(plan: FixPlan, context: PrivilegedContext | null): string[] {
  const kept = plan.steps.flatMap((step, index) => {
    const problem = keptProblem(step, context);
    return problem === null ? [] : [`step ${index + 1}: ${problem}`];
  });
  // Paddock's own service (issue 15): its plans have rules of their own, and touch nothing else.
  if (isServicePlan(plan)) return [...kept, ...servicePlanProblems(plan, false)];
  if (isWindowsPlan(plan)) return [...kept, ...windowsPlanProblems(plan)];
  const problems: string[] = [...kept];
  const manifests = planManifests(plan);
  plan.steps.forEach((step, index) => {
    let problem: string | null;
    if (step.kind === 'run') {
      const check = runProblem(step.argv, step.undo, context);
      problem = check.ok ? null : check.why;
    } else if (step.kind === 'write-secret') problem = secretProblem(step, manifests, context);
    else problem = fileProblem(step, context, manifests);
    if (problem) problems.push(`step ${index + 1}: ${problem}`);
  });
  problems.push(...shareAllowProblems(plan, context));
  return problems;
}
