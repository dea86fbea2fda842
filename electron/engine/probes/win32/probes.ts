/**
 * Issue 17: the probes of a Windows PC, behind PlatformProbes (probes/platform.ts). Every
 * question goes to Windows PowerShell 5.1 as a fixed template with its values as data
 * (powershell.ts), and every answer is read by the pure parsers of parse/.
 *
 * One scan starts PowerShell twice, at once, and each of its probes reads the answers it needs
 * (createWin32Probes makes the session; probesFor makes one per scan):
 *
 * - the inventory: Win32_Process (processes, their executables and command lines),
 *   Get-NetTCPConnection (listening and established sockets, with their owners' pids, which
 *   Windows gives without admin rights), the registry's OLLAMA_* variables of the user and
 *   the machine, and the user's Documents and LocalAppData folders (PowerShell profiles, the
 *   Ollama app's db.sqlite);
 * - the firewall: Get-NetConnectionProfile (each interface's network profile),
 *   Get-NetFirewallProfile (each profile on or off, its default) and the enabled inbound
 *   rules with their filters. Reading these needs no admin rights.
 *
 * Two processes rather than one session: the firewall's rules take seconds to list on a PC
 * with hundreds of rules, and the processes and sockets are wanted first (knocking starts as
 * soon as the sockets are known). When PowerShell does not answer (missing, blocked by a
 * policy), the sockets come from `netstat -ano` (parse/netstat.ts, the German output too) and
 * the processes are unavailable, said so.
 *
 * The running server's environment cannot be read on Windows: settings.ts deduces which value
 * applies from who started the server (the Ollama app, a terminal, or another program).
 */
import type { FirewallFacts, WindowsFirewallFacts } from '../../../../shared/firewall';
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
import { probeInterfaces } from '../linux/interfaces';
import type { PlatformProbes } from '../platform';
import { runProbe } from '../probe';
import {
  NETSTAT_ANO_ARGV,
  parseNetConnectionProfiles,
  parseNetFirewallProfiles,
  parseNetFirewallRules,
  parseNetTcpConnections,
  parseNetstatAno,
  parseRegistryEnvironment,
  parseWin32Processes,
  ruleCoversProgram,
  ruleCoversTcpPort,
  windowsBaseName,
} from './parse/index';
import type { WindowsFirewallRule, WindowsProcess, WindowsSocket } from './parse/index';
import {
  PS_CONNECTION_PROFILES,
  PS_FIREWALL_PROFILES,
  PS_FIREWALL_RULES,
  PS_PROCESSES,
  PS_REGISTRY_ENVIRONMENT,
  PS_TCP_CONNECTIONS,
  parseBatchOutput,
  powershellBatchArgv,
  powershellErrorText,
} from './powershell';
import type { BatchAnswer, BatchPart, PsTemplate } from './powershell';
import { parsePowerShellProfile, resolveWindowsSettings } from './settings';
import type { WindowsLauncher } from './settings';

/** The user's Documents and LocalAppData folders, as Windows knows them (OneDrive included). */
export const PS_USER_FOLDERS: PsTemplate = {
  id: 'userFolders',
  description: "[Environment]::GetFolderPath: the user's Documents and LocalAppData",
  params: [],
  body: `
  $rows = @([pscustomobject]@{
    Documents = [Environment]::GetFolderPath('MyDocuments')
    LocalAppData = [Environment]::GetFolderPath('LocalApplicationData')
  })`,
};

/**
 * The processes last: theirs is the one answer other users can make long (command lines), and
 * output past the cap loses only what comes after it.
 */
export const INVENTORY_PARTS: readonly BatchPart[] = [
  { template: PS_TCP_CONNECTIONS },
  { template: PS_REGISTRY_ENVIRONMENT, values: { prefix: 'OLLAMA_' } },
  { template: PS_USER_FOLDERS },
  { template: PS_PROCESSES },
];
/** Every enabled inbound rule (port and program empty): the probe keeps those that matter. */
export const FIREWALL_PARTS: readonly BatchPart[] = [
  { template: PS_CONNECTION_PROFILES },
  { template: PS_FIREWALL_PROFILES },
  { template: PS_FIREWALL_RULES, values: { port: '', program: '' } },
];
export const INVENTORY_ARGV: readonly string[] = powershellBatchArgv(INVENTORY_PARTS);
export const FIREWALL_ARGV: readonly string[] = powershellBatchArgv(FIREWALL_PARTS);

/** Windows PowerShell's start and Get-NetFirewallRule's filters take seconds on a busy PC. */
const INVENTORY_EXEC = { timeoutMs: 12_000, maxBytes: 16 * 1024 * 1024 };
const FIREWALL_EXEC = { timeoutMs: 20_000, maxBytes: 32 * 1024 * 1024 };
const NETSTAT_EXEC = { timeoutMs: 8_000, maxBytes: 8 * 1024 * 1024 };
const PROBE_MS = 15_000;
const FIREWALL_MS = 25_000;
const MAX_PROFILE_BYTES = 256 * 1024;

/** The programs a server started from a terminal has as its parent. */
const SHELLS = new Set([
  'cmd.exe',
  'powershell.exe',
  'pwsh.exe',
  'windowsterminal.exe',
  'openconsole.exe',
  'conhost.exe',
  'bash.exe',
  'wt.exe',
]);
const APP_NAME = 'ollama app.exe';

function execEvidence(result: ExecResult, what: string): Evidence {
  return {
    kind: 'exec',
    ref: `${result.argv[0]} (${what})`,
    argv: result.argv.slice(0, -1).concat('<encoded script>'),
    outcome: result.spawnError ?? (result.timedOut ? 'timed out' : `exit ${result.code}`),
  };
}

interface Batch {
  result: ExecResult;
  answers: Map<string, BatchAnswer>;
  /** Why nothing could be read, when so. */
  failure: string | null;
}

function readBatch(result: ExecResult): Batch {
  const answers = parseBatchOutput(result.stdout);
  const failure =
    answers.size > 0
      ? null
      : result.spawnError
        ? `PowerShell could not be started (${result.spawnError})`
        : result.timedOut
          ? 'PowerShell did not answer in time'
          : `PowerShell answered nothing (exit ${result.code}${powershellErrorText(result.stderr) ? `: ${powershellErrorText(result.stderr).slice(0, 300)}` : ''})`;
  return { result, answers, failure };
}

function part(batch: Batch, id: string): { rows: string } | { error: string } {
  const answer = batch.answers.get(id);
  if (!answer)
    return {
      error:
        batch.failure ??
        (batch.result.truncated
          ? `PowerShell's answer was longer than Paddock reads, and the ${id} part was cut off`
          : `no answer for ${id}`),
    };
  return answer.ok ? { rows: answer.rows } : { error: answer.error || `${id} failed` };
}

// ── processes ───────────────────────────────────────────────────────────────────────────

const lower = (s: string | null | undefined) => (s ?? '').toLowerCase();
const isOllama = (p: WindowsProcess) =>
  lower(p.name) === 'ollama.exe' || lower(windowsBaseName(p.executable ?? '')) === 'ollama.exe';

/** The Ollama servers and runners, each with who started it (the app, a terminal, or unknown). */
export function windowsProcesses(list: readonly WindowsProcess[]): OllamaProcess[] {
  const byPid = new Map(list.map((p) => [p.pid, p]));
  const out: OllamaProcess[] = [];
  for (const p of list) {
    if (!isOllama(p)) continue;
    const verb = p.argv[1];
    const role = verb === 'serve' ? 'server' : verb === 'runner' ? 'runner' : null;
    if (!role) continue;
    const parent = p.ppid !== null ? byPid.get(p.ppid) : undefined;
    const launcher: WindowsLauncher =
      parent && lower(parent.name) === APP_NAME
        ? 'app'
        : parent && SHELLS.has(lower(parent.name))
          ? 'shell'
          : 'unknown';
    out.push({
      pid: p.pid,
      ppid: p.ppid ?? 0,
      role,
      argv: p.argv,
      executable: p.executable,
      // WMI leaves the path empty for a process this user may not open (an elevated one).
      executableStatus: p.executable ? 'ok' : 'denied',
      uid: null,
      user: null,
      startedAt: null,
      systemdUnit: null,
      sameNetns: true,
      ...(role === 'server'
        ? {
            launcher,
            appExecutable: launcher === 'app' ? (parent?.executable ?? null) : null,
          }
        : {}),
    });
  }
  return out;
}

// ── sockets ─────────────────────────────────────────────────────────────────────────────

export function windowsSockets(
  rows: readonly WindowsSocket[],
  processes: readonly WindowsProcess[] | null,
): Socket[] {
  const names = new Map((processes ?? []).map((p) => [p.pid, p.name]));
  return rows.map((s): Socket => ({
    state: s.state,
    family: s.family,
    localAddress: s.localAddress,
    localPort: s.localPort,
    peerAddress: s.peerAddress,
    peerPort: s.peerPort,
    // Windows lists the IPv4 side of a dual-stack socket as a row of its own.
    dualStack: false,
    boundInterface: null,
    uid: null,
    inode: null,
    processes: s.pid !== null ? [{ pid: s.pid, name: names.get(s.pid) || `pid ${s.pid}` }] : [],
    // Windows names every socket's owner to any user (OwningProcess, netstat -o).
    ownerVisibility: 'visible',
  }));
}

// ── firewall ────────────────────────────────────────────────────────────────────────────

const gpo = (v: string | null): boolean | null =>
  v === 'true' ? true : v === 'false' ? false : null;

/**
 * The rules that can decide for a listening socket: TCP or any protocol, a port that may be
 * one a socket listens on, and a program that may be its owner's. Everything else (the
 * hundreds of rules for other programs and ports) is left out of the snapshot.
 */
export function rulesThatMatter(
  rules: readonly WindowsFirewallRule[],
  listening: ReadonlyArray<{ port: number; program: string | null }>,
): NonNullable<WindowsFirewallFacts['rules']> {
  const out: NonNullable<WindowsFirewallFacts['rules']> = [];
  for (const r of rules) {
    if (!r.enabled || r.direction !== 'inbound') continue;
    if (r.action === 'notConfigured') continue;
    const matters = listening.some(
      (l) =>
        ruleCoversTcpPort(r, l.port) !== false &&
        (r.program === null || l.program === null || ruleCoversProgram(r, l.program) !== false),
    );
    if (!matters) continue;
    out.push({
      name: r.name,
      displayName: r.displayName,
      // Allow-if-secure-bypass lets in what IPsec authenticated: counted as an allow.
      action: r.action === 'block' ? 'block' : 'allow',
      profiles: r.profiles,
      protocol: r.protocol,
      localPorts: r.localPorts,
      remoteAddresses: r.remoteAddresses,
      program: r.program,
      fromPrompt: r.fromPrompt,
    });
  }
  return out;
}

export function windowsFirewallFacts(
  batch: Batch,
  listening: ReadonlyArray<{ port: number; program: string | null }>,
  evidence: Evidence[],
): WindowsFirewallFacts {
  const notes: string[] = [];
  const profilesPart = part(batch, PS_FIREWALL_PROFILES.id);
  const profilesParsed =
    'rows' in profilesPart ? parseNetFirewallProfiles(profilesPart.rows) : null;
  if (!profilesParsed)
    notes.push(`profiles not read: ${(profilesPart as { error: string }).error}`);
  const connectionPart = part(batch, PS_CONNECTION_PROFILES.id);
  const connections =
    'rows' in connectionPart ? parseNetConnectionProfiles(connectionPart.rows) : null;
  if (!connections)
    notes.push(`network profiles not read: ${(connectionPart as { error: string }).error}`);
  const rulesPart = part(batch, PS_FIREWALL_RULES.id);
  const parsedRules = 'rows' in rulesPart ? parseNetFirewallRules(rulesPart.rows) : null;
  if (!parsedRules) notes.push(`rules not read: ${(rulesPart as { error: string }).error}`);
  // A rule that could not be read might be the one that decides: the rules are then unknown.
  const unreadRules = parsedRules ? parsedRules.unparsed.length : 0;
  if (unreadRules > 0) notes.push(`${unreadRules} firewall rule(s) could not be read`);
  const profiles =
    profilesParsed && profilesParsed.unparsed.length === 0
      ? profilesParsed.profiles.map((p) => ({
          profile: p.profile,
          enabled: gpo(p.enabled),
          defaultInboundAction:
            p.defaultInboundAction === 'allow' || p.defaultInboundAction === 'block'
              ? p.defaultInboundAction
              : null,
          allowInboundRules: gpo(p.allowInboundRules),
        }))
      : null;
  return {
    status: 'ok',
    evidence,
    ...(notes.length ? { message: notes.join('; ') } : {}),
    profiles,
    interfaces: connections
      ? connections.profiles.map((c) => ({ alias: c.interfaceAlias, profile: c.firewallProfile }))
      : null,
    rules: parsedRules && unreadRules === 0 ? rulesThatMatter(parsedRules.rules, listening) : null,
  };
}

const UNAVAILABLE = { status: 'unavailable' as const, evidence: [], message: 'not on Linux' };

// ── the session ─────────────────────────────────────────────────────────────────────────

export interface Win32ProbeOptions {
  /** The Ollama app's settings reader (tests: a database under a temporary folder). */
  readAppDb?: (path: string) => Promise<AppDbResult>;
}

/** One scan's probes: the two PowerShell runs are started once and shared by the probes. */
export function createWin32Probes(options: Win32ProbeOptions = {}): PlatformProbes {
  const readAppDb = options.readAppDb ?? readOllamaAppSettings;
  let inventory: Promise<Batch> | null = null;
  let firewall: Promise<Batch> | null = null;
  let netstat: Promise<ExecResult> | null = null;
  const inventoryOf = (host: Host) =>
    (inventory ??= host.exec(INVENTORY_ARGV, INVENTORY_EXEC).then(readBatch));
  const firewallOf = (host: Host) =>
    (firewall ??= host.exec(FIREWALL_ARGV, FIREWALL_EXEC).then(readBatch));
  const netstatOf = (host: Host) => (netstat ??= host.exec(NETSTAT_ANO_ARGV, NETSTAT_EXEC));

  // Three probes read the processes and two the sockets: each is parsed once per scan.
  let processesRead: ReturnType<typeof readProcesses> | null = null;
  let socketsRead: ReturnType<typeof readSockets> | null = null;
  const processList = (host: Host) => (processesRead ??= readProcesses(host));
  const socketList = (host: Host) => (socketsRead ??= readSockets(host));

  const readProcesses = async (host: Host) => {
    const batch = await inventoryOf(host);
    const answer = part(batch, PS_PROCESSES.id);
    return 'rows' in answer
      ? { list: parseWin32Processes(answer.rows).processes, error: null, batch }
      : { list: null, error: answer.error, batch };
  };

  const readSockets = async (
    host: Host,
  ): Promise<{ rows: WindowsSocket[] | null; evidence: Evidence[]; message?: string }> => {
    const batch = await inventoryOf(host);
    const evidence = [execEvidence(batch.result, 'inventory')];
    const answer = part(batch, PS_TCP_CONNECTIONS.id);
    if ('rows' in answer) return { rows: parseNetTcpConnections(answer.rows).sockets, evidence };
    const fallback = await netstatOf(host);
    evidence.push({
      kind: 'exec',
      ref: fallback.argv.join(' '),
      argv: fallback.argv,
      outcome: fallback.spawnError ?? (fallback.timedOut ? 'timed out' : `exit ${fallback.code}`),
    });
    if (fallback.code !== 0) return { rows: null, evidence, message: answer.error };
    return {
      rows: parseNetstatAno(fallback.stdout).sockets,
      evidence,
      message: `Get-NetTCPConnection did not answer (${answer.error}): the sockets come from netstat -ano`,
    };
  };

  return {
    deadlines: { probeMs: PROBE_MS, firewallMs: FIREWALL_MS },
    processes: (host) =>
      runProbe(host, 'processes', [] as OllamaProcess[], PROBE_MS, async () => {
        const { list, error, batch } = await processList(host);
        const evidence = [execEvidence(batch.result, 'inventory')];
        if (!list)
          return {
            status: batch.result.spawnError === 'ENOENT' ? 'unavailable' : 'error',
            data: [],
            evidence,
            message: `the processes could not be listed: ${error}`,
          };
        return { status: 'ok', data: windowsProcesses(list), evidence };
      }),
    sockets: (host) =>
      runProbe(host, 'sockets', [] as Socket[], PROBE_MS, async () => {
        const [{ rows, evidence, message }, { list }] = await Promise.all([
          socketList(host),
          processList(host),
        ]);
        if (!rows)
          return {
            status: 'error',
            data: [],
            evidence,
            message: `neither Get-NetTCPConnection nor netstat answered: ${message ?? ''}`,
          };
        return {
          status: 'ok',
          data: windowsSockets(rows, list),
          evidence,
          ...(message ? { message } : {}),
        };
      }),
    interfaces: probeInterfaces,
    settings: (host, process) =>
      runProbe(host, 'settings', { settings: [], gaps: [] } as SettingsReport, PROBE_MS, () =>
        windowsSettings(host, process, inventoryOf, readAppDb),
      ),
    firewall: (host) =>
      runProbe(host, 'firewall', null as FirewallFacts | null, FIREWALL_MS, async () => {
        const [batch, sockets, processes] = await Promise.all([
          firewallOf(host),
          socketList(host),
          processList(host),
        ]);
        const evidence = [execEvidence(batch.result, 'firewall')];
        const exe = new Map((processes.list ?? []).map((p) => [p.pid, p.executable]));
        const listening = (sockets.rows ?? [])
          .filter((s) => s.state === 'listen')
          .map((s) => ({
            port: s.localPort,
            program: s.pid !== null ? (exe.get(s.pid) ?? null) : null,
          }));
        const windows = windowsFirewallFacts(batch, listening, evidence);
        // Without the sockets, which rules matter is not known: the rules are then unknown.
        if (!sockets.rows) windows.rules = null;
        // PowerShell answered nothing at all: the firewall was not read, which is not "ok".
        const status: ProbeStatus =
          batch.failure === null
            ? 'ok'
            : batch.result.spawnError === 'ENOENT'
              ? 'unavailable'
              : 'error';
        windows.status = status;
        return {
          status,
          data: {
            windows,
            nftables: { ...UNAVAILABLE, ruleset: null },
            iptables: [],
            ufw: { ...UNAVAILABLE, model: null },
            firewalld: { ...UNAVAILABLE, model: null },
          },
          evidence,
          ...(windows.message ? { message: windows.message } : {}),
        };
      }),
  };
}

// ── settings ────────────────────────────────────────────────────────────────────────────

const PROFILE_FILES = [
  'WindowsPowerShell\\profile.ps1',
  'WindowsPowerShell\\Microsoft.PowerShell_profile.ps1',
  'PowerShell\\profile.ps1',
  'PowerShell\\Microsoft.PowerShell_profile.ps1',
];

function folders(batch: Batch): { documents: string | null; localAppData: string | null } {
  const answer = part(batch, PS_USER_FOLDERS.id);
  if (!('rows' in answer)) return { documents: null, localAppData: null };
  try {
    const rows = JSON.parse(answer.rows) as unknown;
    const row = Array.isArray(rows) ? (rows[0] as Record<string, unknown> | undefined) : undefined;
    const path = (v: unknown) =>
      typeof v === 'string' && /^[A-Za-z]:\\/.test(v) && v.length < 1024 ? v : null;
    return { documents: path(row?.Documents), localAppData: path(row?.LocalAppData) };
  } catch {
    return { documents: null, localAppData: null };
  }
}

async function windowsSettings(
  host: Host,
  process: OllamaProcess | null,
  inventoryOf: (host: Host) => Promise<Batch>,
  readAppDb: (path: string) => Promise<AppDbResult>,
): Promise<Omit<ProbeResult<SettingsReport>, 'durationMs'>> {
  const batch = await inventoryOf(host);
  const evidence: Evidence[] = [execEvidence(batch.result, 'inventory')];
  const registryPart = part(batch, PS_REGISTRY_ENVIRONMENT.id);
  const registry =
    'rows' in registryPart
      ? (() => {
          const parsed = parseRegistryEnvironment(registryPart.rows);
          return {
            status: (parsed.unparsed.length === 0 ? 'ok' : 'error') as ProbeStatus,
            ...(parsed.unparsed.length
              ? { message: `${parsed.unparsed.length} value(s) could not be read` }
              : {}),
            values: parsed.values.map((v) => ({ scope: v.scope, name: v.name, value: v.value })),
          };
        })()
      : { status: 'error' as ProbeStatus, message: registryPart.error, values: [] };
  const { documents, localAppData } = folders(batch);
  const home = host.homeDir();
  const docs = documents ?? `${home}\\Documents`;
  const profiles: Array<{ path: string; line: number; name: string; value: string }> = [];
  const gaps: SettingsReport['gaps'] = [];
  for (const file of PROFILE_FILES) {
    const path = `${docs}\\${file}`;
    const read = await host.readFile(path, MAX_PROFILE_BYTES);
    if (!read.ok) {
      if (read.code !== 'ENOENT' && read.code !== 'ENOTDIR')
        gaps.push({
          path,
          status: read.code === 'EACCES' || read.code === 'EPERM' ? 'denied' : 'error',
          message: `${path} could not be read (${read.code}): settings there are unknown`,
        });
      continue;
    }
    for (const a of parsePowerShellProfile(read.text)) profiles.push({ path, ...a });
  }
  const dbPath = `${localAppData ?? `${home}\\AppData\\Local`}\\Ollama\\db.sqlite`;
  const db = await readAppDb(dbPath);
  evidence.push({ kind: 'file', ref: dbPath, outcome: db.status });
  const launcher =
    process?.launcher === 'app' || process?.launcher === 'shell' ? process.launcher : 'unknown';
  const app = appSwitchesOf(dbPath, db, launcher === 'app');
  const report = resolveWindowsSettings({
    launcher,
    pid: process?.pid ?? null,
    registry,
    profiles,
    app,
  });
  report.gaps.push(...gaps);
  return { status: 'ok', data: report, evidence };
}

export const win32Probes = (): PlatformProbes => createWin32Probes();
