/**
 * Issue 16: the probes of a Mac, behind PlatformProbes (probes/platform.ts). Every command is an
 * argv from probes/darwin/parse/ (never a shell), its output read by the pure parsers there.
 *
 * - processes: `ps` twice (the fields, then the arguments), the Ollama servers, runners and the
 *   Ollama app, each server with who started it (the app, launchd, or a shell);
 * - sockets: `netstat -anvl -p tcp` lists every TCP socket with its pid and tells a dual-stack
 *   wildcard (`tcp46`) from an IPv6-only one; `lsof` names the owners (only one's own processes
 *   without admin rights: the rest are "denied", never absent);
 * - interfaces: Node's own list (probes/linux/interfaces.ts works here as is);
 * - settings: settings.ts, from the server's environment (`ps -E`), `launchctl getenv`, the
 *   LaunchAgents' and LaunchDaemons' plists, shell start-up files and the Ollama app's
 *   `db.sqlite` (probes/app-db.ts, read-only through WASM SQLite);
 * - firewall: the application firewall (`socketfilterfw`) and pf (`pfctl`: its state and
 *   Paddock's own anchor; both need admin rights, and say so when refused).
 */
import type { FirewallFacts, MacFirewallFacts } from '../../../../shared/firewall';
import type {
  Evidence,
  OllamaProcess,
  ProbeResult,
  ProbeStatus,
  SettingsReport,
  Socket,
} from '../../../../shared/snapshot';
import type { ExecResult, Host } from '../../host/types';
import { readOllamaAppSettings } from '../app-db';
import { appSwitchesOf } from '../app-switches';
import type { AppDbResult } from '../app-db';
import { parseShellFile } from '../linux/env-files';
import { probeInterfaces } from '../linux/interfaces';
import type { PlatformProbes } from '../platform';
import { runProbe } from '../probe';
import {
  LSOF_TCP_ARGV,
  NETSTAT_TCP_ARGV,
  PADDOCK_PF_ANCHOR,
  PFCTL_INFO_ARGV,
  PS_ARGS_ARGV,
  PS_PROCESS_ARGV,
  SOCKETFILTERFW_ARGV,
  blockedInboundTcpPorts,
  launchctlGetenvArgv,
  launchctlSetenvAssignments,
  parseApplicationFirewall,
  parseLaunchctlGetenv,
  parseLaunchdPlist,
  parseLsofTcp,
  parseNetstatTcp,
  parsePfInfo,
  parsePfRules,
  parsePs,
  pfctlAnchorRulesArgv,
  resolveDualStack,
} from './parse/index';
import type { DarwinProcess, DarwinSocket } from './parse/index';
import type { DarwinLauncher } from './settings';
import { resolveDarwinSettings } from './settings';

const TIMEOUT_MS = 10_000;
const EXEC = { timeoutMs: 5_000, maxBytes: 8 * 1024 * 1024 };
/** pf's main ruleset (it must call `anchor "com.apple/*"` for Paddock's anchor to apply). */
export const PFCTL_MAIN_RULES_ARGV: readonly string[] = ['pfctl', '-s', 'rules'];
/** The names Ollama reads that Paddock's rules judge. */
export const DARWIN_SETTING_NAMES = [
  'OLLAMA_HOST',
  'OLLAMA_ORIGINS',
  'OLLAMA_NO_CLOUD',
  'OLLAMA_DEBUG_LOG_REQUESTS',
] as const;
const LAUNCHD_DIRS = (home: string) => [
  `${home}/Library/LaunchAgents`,
  '/Library/LaunchAgents',
  '/Library/LaunchDaemons',
];
const SHELL_FILES = ['.zshenv', '.zprofile', '.zshrc', '.bash_profile', '.profile', '.bashrc'];
const MAX_PLISTS = 200;
const MAX_PLIST_BYTES = 256 * 1024;

export const OLLAMA_APP_DB = (home: string) =>
  `${home}/Library/Application Support/Ollama/db.sqlite`;

function execEvidence(result: ExecResult): Evidence {
  return {
    kind: 'exec',
    ref: result.argv.join(' '),
    argv: result.argv,
    outcome: result.spawnError ?? (result.timedOut ? 'timed out' : `exit ${result.code}`),
  };
}

function refusedStatus(result: ExecResult): ProbeStatus {
  if (result.spawnError === 'ENOENT') return 'unavailable';
  if (/permission denied|operation not permitted|must be root|not privileged/i.test(result.stderr))
    return 'denied';
  return 'error';
}

// ── processes ───────────────────────────────────────────────────────────────────────────

const APP_MAIN = /\/Ollama\.app\/Contents\/MacOS\/Ollama$/;

function isOllamaBinary(p: DarwinProcess): boolean {
  return p.name === 'ollama' || (p.executable?.endsWith('/ollama') ?? false);
}

function roleOf(p: DarwinProcess): OllamaProcess['role'] | null {
  if (p.executable && APP_MAIN.test(p.executable)) return 'app';
  if (!isOllamaBinary(p)) return null;
  if (p.argv[1] === 'serve') return 'server';
  if (p.argv[1] === 'runner') return 'runner';
  return null;
}

export function darwinProcesses(list: readonly DarwinProcess[]): OllamaProcess[] {
  const apps = new Set(list.filter((p) => roleOf(p) === 'app').map((p) => p.pid));
  const out: OllamaProcess[] = [];
  for (const p of list) {
    const role = roleOf(p);
    // The app itself serves nothing: its server is a process of its own (its child), which
    // says who started it. Listing the app as a server would make a phantom instance.
    if (!role || role === 'app') continue;
    const launcher: DarwinLauncher = apps.has(p.ppid) ? 'app' : p.ppid === 1 ? 'launchd' : 'shell';
    out.push({
      pid: p.pid,
      ppid: p.ppid,
      role,
      argv: p.argv,
      executable: p.executable,
      executableStatus: p.executable
        ? 'ok'
        : p.argvStatus === 'unavailable'
          ? 'denied'
          : 'unavailable',
      uid: p.uid,
      user: p.user,
      startedAt: p.startedAt,
      systemdUnit: null,
      sameNetns: true,
      ...(role === 'server' ? { launcher } : {}),
    });
  }
  return out;
}

async function probeDarwinProcesses(host: Host): Promise<ProbeResult<OllamaProcess[]>> {
  return runProbe(host, 'processes', [], TIMEOUT_MS, async () => {
    const fields = await host.exec(PS_PROCESS_ARGV, EXEC);
    const args = await host.exec(PS_ARGS_ARGV, EXEC);
    const evidence = [execEvidence(fields), execEvidence(args)];
    if (fields.code !== 0)
      return { status: refusedStatus(fields), data: [], evidence, message: 'ps did not answer' };
    const parsed = parsePs(fields.stdout, args.code === 0 ? args.stdout : '');
    const found = darwinProcesses(parsed.processes);
    // ps shows argv[0], which a process may set to anything: the executable that decides the
    // application firewall's verdict is the file the kernel mapped (lsof's txt), else unknown.
    for (const p of found.slice(0, MAX_EXECUTABLE_CHECKS)) {
      const txt = await host.exec(executableArgv(p.pid), EXEC);
      evidence.push(execEvidence(txt));
      const mapped = txt.code === 0 ? mappedExecutable(txt.stdout) : null;
      if (mapped === null) {
        p.executable = null;
        p.executableStatus = txt.spawnError === 'ENOENT' ? 'unavailable' : 'denied';
      } else p.executable = mapped;
    }
    return { status: 'ok', data: found, evidence };
  });
}

const MAX_EXECUTABLE_CHECKS = 16;

/** `lsof -a -p PID -d txt -F n`: the files the process maps as text, its executable first. */
export function executableArgv(pid: number): string[] {
  return ['lsof', '-a', '-p', String(pid), '-d', 'txt', '-F', 'n'];
}

/** The first `n` field of lsof's field output: the executable. */
export function mappedExecutable(text: string): string | null {
  for (const line of text.split('\n', 64)) if (line.startsWith('n/')) return line.slice(1);
  return null;
}

// ── sockets ─────────────────────────────────────────────────────────────────────────────

/**
 * Every socket netstat lists (without admin rights lsof sees only this user's): the owner from
 * lsof where it lists the same socket (the same addresses, ports and pid), else netstat's pid
 * (the last process that used the socket, not necessarily its owner) marked "denied".
 */
export function darwinSockets(
  netstat: readonly DarwinSocket[] | null,
  lsof: readonly DarwinSocket[] | null,
): Socket[] {
  const base = netstat ?? resolveDualStack(lsof ?? [], []);
  const key = (s: DarwinSocket) =>
    `${s.state}|${s.localAddress}|${s.localPort}|${s.peerAddress}|${s.peerPort}`;
  const owners = new Map<string, DarwinSocket[]>();
  for (const row of lsof ?? []) owners.set(key(row), [...(owners.get(key(row)) ?? []), row]);
  return base.map((s): Socket => {
    const candidates = netstat ? (owners.get(key(s)) ?? []) : [s];
    const owner =
      candidates.find((c) => s.pid === null || c.pid === s.pid) ??
      (s.pid === null && candidates.length === 1 ? candidates[0] : undefined);
    const pid = owner?.pid ?? s.pid ?? null;
    const name = owner?.command ?? s.command ?? null;
    return {
      state: s.state,
      family: s.family,
      localAddress: s.localAddress,
      localPort: s.localPort,
      peerAddress: s.peerAddress,
      peerPort: s.peerPort,
      // Unknown for an IPv6 wildcard: it may take IPv4 too, the cautious reading.
      dualStack: s.dualStack ?? (s.family === 6 && s.localAddress === '::'),
      boundInterface: null,
      uid: owner?.uid ?? s.uid ?? null,
      inode: null,
      processes: pid !== null ? [{ pid, name: name ?? `pid ${pid}` }] : [],
      ownerVisibility: owner ? 'visible' : 'denied',
    };
  });
}

async function probeDarwinSockets(host: Host): Promise<ProbeResult<Socket[]>> {
  return runProbe(host, 'sockets', [], TIMEOUT_MS, async () => {
    const netstat = await host.exec(NETSTAT_TCP_ARGV, EXEC);
    const lsof = await host.exec(LSOF_TCP_ARGV, EXEC);
    const evidence = [execEvidence(netstat), execEvidence(lsof)];
    // lsof exits 1 when it lists nothing of this user's: its output still counts.
    const lsofRows = lsof.spawnError ? null : parseLsofTcp(lsof.stdout).sockets;
    const netstatRows = netstat.code === 0 ? parseNetstatTcp(netstat.stdout).sockets : null;
    if (!netstatRows && !lsofRows)
      return {
        status: refusedStatus(netstat),
        data: [],
        evidence,
        message: 'neither netstat nor lsof answered',
      };
    return {
      status: 'ok',
      data: darwinSockets(netstatRows, lsofRows),
      evidence,
      ...(netstatRows
        ? {}
        : { message: 'netstat did not answer: only sockets of this user were listed (lsof)' }),
    };
  });
}

// ── settings ────────────────────────────────────────────────────────────────────────────

/**
 * OLLAMA_* of `ps -E` (BSD `e`): the environment after the arguments, for one's own processes.
 * ps joins the arguments and then each `NAME=value` with single spaces and leaves a space
 * inside a value as it is (adv_cmds ps/print.c), so a value runs up to the next ` NAME=` (a
 * word of a variable name's shape, then `=`) or the end of the line: `OLLAMA_MODELS=/Users/a/My
 * Models` is read whole. A value that itself holds ` WORD=` cannot be told apart from the next
 * variable; `uncertain` names each value that holds a space, for the reader to weigh.
 */
export function envFromPsE(text: string): {
  status: ProbeStatus;
  vars: Record<string, string>;
  uncertain: string[];
} {
  const line = text
    .replace(/\r?\n$/, '')
    .split('\n')[0]!
    .trimEnd();
  if (line.trim() === '') return { status: 'unavailable', vars: {}, uncertain: [] };
  // ps prints the environment only where it may read it: PATH or HOME are always there then.
  if (!/(?:^|\s)(?:PATH|HOME)=/.test(line)) return { status: 'denied', vars: {}, uncertain: [] };
  const vars: Record<string, string> = {};
  const uncertain: string[] = [];
  const starts = [...line.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)];
  starts.forEach((m, i) => {
    const name = m[1]!;
    if (!/^OLLAMA_[A-Z0-9_]+$/.test(name)) return;
    const from = m.index! + m[0].length;
    const to = i + 1 < starts.length ? starts[i + 1]!.index! : line.length;
    const value = line.slice(from, to);
    vars[name] = value;
    if (value.includes(' ') && !uncertain.includes(name)) uncertain.push(name);
  });
  return { status: 'ok', vars, uncertain };
}

/** A folder or file that exists but could not be read is a gap, never "no settings". */
function noteUnread(
  unread: SettingsReport['gaps'],
  failed: { path: string; code: string; message: string },
): void {
  if (failed.code === 'ENOENT' || failed.code === 'ENOTDIR') return;
  unread.push({
    path: failed.path,
    status: failed.code === 'EACCES' || failed.code === 'EPERM' ? 'denied' : 'error',
    message: `${failed.path} could not be read (${failed.code}): settings there are unknown`,
  });
}

async function readPlists(host: Host, home: string, unread: SettingsReport['gaps']) {
  const plists: Array<{ path: string; vars: Record<string, string>; serves: boolean }> = [];
  let seen = 0;
  for (const dir of LAUNCHD_DIRS(home)) {
    const listed = await host.readDir(dir);
    if (!listed.ok) {
      noteUnread(unread, listed);
      continue;
    }
    for (const name of listed.entries.filter((n) => n.endsWith('.plist')).sort()) {
      if ((seen += 1) > MAX_PLISTS) break;
      const path = `${dir}/${name}`;
      const read = await host.readFile(path, MAX_PLIST_BYTES);
      if (!read.ok) {
        noteUnread(unread, read);
        continue;
      }
      let text = read.text;
      if (text.startsWith('bplist')) {
        const xml = await host.exec(['plutil', '-convert', 'xml1', '-o', '-', '--', path], EXEC);
        if (xml.code !== 0) continue;
        text = xml.stdout;
      }
      const parsed = parseLaunchdPlist(text);
      if (!parsed.ok) continue;
      const vars: Record<string, string> = {};
      for (const e of parsed.job.environment)
        if (e.name.startsWith('OLLAMA_')) vars[e.name] = e.value;
      // A LaunchAgent that runs `launchctl setenv OLLAMA_HOST …` at login.
      for (const e of launchctlSetenvAssignments(parsed.job))
        if (e.name.startsWith('OLLAMA_')) vars[e.name] = e.value;
      const args = parsed.job.programArguments ?? [];
      const serves =
        (parsed.job.executable ?? args[0] ?? '').endsWith('/ollama') && args.includes('serve');
      if (Object.keys(vars).length > 0 || serves) plists.push({ path, vars, serves });
    }
  }
  return plists;
}

async function readShell(host: Host, home: string, unread: SettingsReport['gaps']) {
  const found: Array<{ path: string; line: number; name: string; value: string }> = [];
  for (const file of SHELL_FILES) {
    const path = `${home}/${file}`;
    const read = await host.readFile(path, 256 * 1024);
    if (!read.ok) {
      noteUnread(unread, read);
      continue;
    }
    for (const s of parseShellFile(read.text, 'sh').statements)
      if (s.kind === 'assign' && s.name.startsWith('OLLAMA_'))
        found.push({ path, line: s.line, name: s.name, value: s.value });
  }
  return found;
}

async function probeDarwinSettings(
  host: Host,
  process: OllamaProcess | null,
  readAppDb: (path: string) => Promise<AppDbResult> = readOllamaAppSettings,
): Promise<ProbeResult<SettingsReport>> {
  return runProbe(host, 'settings', { settings: [], gaps: [] }, TIMEOUT_MS, async () => {
    const evidence: Evidence[] = [];
    const home = host.homeDir();
    let processEnv: { status: ProbeStatus; vars: Record<string, string>; uncertain?: string[] } = {
      status: 'unavailable',
      vars: {},
    };
    if (process) {
      const env = await host.exec(
        ['ps', '-E', '-ww', '-o', 'command=', '-p', String(process.pid)],
        EXEC,
      );
      evidence.push(execEvidence(env));
      processEnv =
        env.code === 0 ? envFromPsE(env.stdout) : { status: refusedStatus(env), vars: {} };
    }
    const launchctl: { status: ProbeStatus; vars: Record<string, string> } = {
      status: 'ok',
      vars: {},
    };
    for (const name of DARWIN_SETTING_NAMES) {
      const argv = launchctlGetenvArgv(name);
      if (!argv) continue;
      const result = await host.exec(argv, EXEC);
      evidence.push(execEvidence(result));
      if (result.spawnError) {
        launchctl.status = 'unavailable';
        break;
      }
      const value = parseLaunchctlGetenv(result.stdout);
      if (value.set && value.value !== null) launchctl.vars[name] = value.value;
    }
    const unread: SettingsReport['gaps'] = [];
    const plists = await readPlists(host, home, unread);
    const shell = await readShell(host, home, unread);
    const dbPath = OLLAMA_APP_DB(home);
    const db = await readAppDb(dbPath);
    evidence.push({ kind: 'file', ref: dbPath, outcome: db.status });
    const launcher = process?.launcher ?? 'unknown';
    const app = appSwitchesOf(dbPath, db, launcher === 'app');
    const job = launcher === 'launchd' ? (plists.find((p) => p.serves)?.path ?? null) : null;
    const report = resolveDarwinSettings({
      launcher,
      launchdJob: job,
      pid: process?.pid ?? null,
      processEnv,
      launchctl,
      plists: plists.map(({ path, vars }) => ({ path, vars })),
      shell,
      app,
    });
    report.gaps.push(...unread);
    return { status: 'ok', data: report, evidence };
  });
}

// ── firewall ────────────────────────────────────────────────────────────────────────────

const UNAVAILABLE = {
  status: 'unavailable' as const,
  evidence: [],
  message: 'not on macOS',
};

export function macFirewallFacts(outputs: {
  application: Parameters<typeof parseApplicationFirewall>[0] | null;
  pfInfo: string | null;
  pfRules: string | null;
  /** `pfctl -s rules`: whether the main ruleset calls the com.apple anchors. */
  pfMain?: string | null;
}): Pick<MacFirewallFacts, 'application' | 'pf'> {
  const parsed = outputs.application ? parseApplicationFirewall(outputs.application) : null;
  const application: MacFirewallFacts['application'] = parsed
    ? {
        state: parsed.globalState,
        blockAll: parsed.blockAll,
        stealth: parsed.stealth,
        allowSigned: parsed.allowSigned,
        allowSignedDownloaded: parsed.allowSignedDownloaded,
        apps: parsed.appsComplete
          ? parsed.apps.flatMap((a) =>
              a.isPath && a.allowIncoming !== null
                ? [{ path: a.path, allowIncoming: a.allowIncoming }]
                : [],
            )
          : null,
      }
    : null;
  const info = outputs.pfInfo !== null ? parsePfInfo(outputs.pfInfo) : null;
  const enabled =
    info && info.errors.length === 0 && info.status !== null ? info.status === 'enabled' : null;
  const rules = outputs.pfRules !== null ? parsePfRules(outputs.pfRules) : null;
  // Only a rule for every interface (or every one but loopback) closes the port, and only when
  // no `pass … quick` rule comes before it in the anchor.
  const firstPass = rules ? rules.rules.findIndex((r) => r.action === 'pass' && r.quick) : -1;
  const paddockBlocks =
    rules && rules.errors.length === 0
      ? blockedInboundTcpPorts(firstPass >= 0 ? rules.rules.slice(0, firstPass) : rules.rules)
          .filter((b) => b.interface === null || b.interface.replace(/\s+/g, '') === '!lo0')
          .map((b) => ({
            port: b.port,
            family: b.family,
            rule: `block ${b.policy} in quick${b.interface ? ` on ${b.interface}` : ''} proto tcp from any to any port = ${b.port}`,
          }))
      : null;
  const main = outputs.pfMain != null ? parsePfRules(outputs.pfMain) : null;
  const anchorCalled =
    main && main.errors.length === 0
      ? main.anchors.some((a) => a === 'com.apple/*' || a === 'com.apple')
      : null;
  return { application, pf: info ? { enabled, anchorCalled, paddockBlocks } : null };
}

async function probeDarwinFirewall(host: Host): Promise<ProbeResult<FirewallFacts | null>> {
  return runProbe(host, 'firewall', null, TIMEOUT_MS, async () => {
    const evidence: Evidence[] = [];
    const run = async (argv: readonly string[]) => {
      const result = await host.exec(argv, EXEC);
      evidence.push(execEvidence(result));
      return result;
    };
    const answers: Record<string, string> = {};
    for (const [key, argv] of Object.entries(SOCKETFILTERFW_ARGV)) {
      const result = await run(argv);
      if (!result.spawnError) answers[key] = `${result.stdout}${result.stderr}`;
    }
    const info = await run(PFCTL_INFO_ARGV);
    const rules = await run(pfctlAnchorRulesArgv(PADDOCK_PF_ANCHOR));
    const main = await run(PFCTL_MAIN_RULES_ARGV);
    const facts = macFirewallFacts({
      pfMain: main.spawnError ? null : `${main.stdout}${main.stderr}`,
      application: Object.keys(answers).length > 0 ? answers : null,
      pfInfo: info.spawnError ? null : `${info.stdout}${info.stderr}`,
      pfRules: rules.spawnError ? null : `${rules.stdout}${rules.stderr}`,
    });
    const gaps = [
      ...(facts.application === null || facts.application.state === 'unknown'
        ? ['the application firewall']
        : []),
      ...(facts.pf === null || facts.pf.enabled === null ? ['pf (it needs admin rights)'] : []),
    ];
    const macos: MacFirewallFacts = {
      status: 'ok',
      evidence,
      ...(gaps.length ? { message: `not read: ${gaps.join(', ')}` } : {}),
      application: facts.application,
      pf: facts.pf,
    };
    return {
      status: macos.status,
      data: {
        macos,
        nftables: { ...UNAVAILABLE, ruleset: null },
        iptables: [],
        ufw: { ...UNAVAILABLE, model: null },
        firewalld: { ...UNAVAILABLE, model: null },
      },
      evidence,
      ...(macos.message ? { message: macos.message } : {}),
    };
  });
}

export interface DarwinProbeOptions {
  /** The Ollama app's settings reader (tests: a locked database). */
  readAppDb?: (path: string) => Promise<AppDbResult>;
}

export function createDarwinProbes(options: DarwinProbeOptions = {}): PlatformProbes {
  return {
    processes: probeDarwinProcesses,
    sockets: probeDarwinSockets,
    interfaces: probeInterfaces,
    settings: (host, process) => probeDarwinSettings(host, process, options.readAppDb),
    firewall: probeDarwinFirewall,
  };
}

export const darwinProbes: PlatformProbes = createDarwinProbes();
