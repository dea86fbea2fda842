/**
 * Ollama processes on Linux, found by walking /proc: the server (`ollama serve`), its model
 * runners and the desktop app, with who runs them, since when, from which binary, under which
 * systemd unit, and whether they share our network namespace (if not, ss here cannot see
 * their sockets).
 */
import type { Evidence, OllamaProcess, ProbeResult } from '../../../../shared/snapshot';
import type { FileRead, Host, LinkRead } from '../../host/types';
import { fileEvidence, runProbe, statusForFsError } from '../probe';

type Role = OllamaProcess['role'];

const PROBE_TIMEOUT_MS = 10_000;
/** pid_max defaults to 32768 (4194304 on large machines); past this the walk stops. */
const MAX_PIDS = 65_536;
const PID_BATCH = 64;
const CMDLINE_MAX_BYTES = 64 * 1024;
/**
 * USER_HZ, the unit of /proc/PID/stat times. The kernel fixes it at 100 for user space on
 * every architecture Ollama ships for, whatever the internal HZ, so it is not read per host.
 */
const CLK_TCK = 100;

// ── identifying Ollama ───────────────────────────────────────────────────────────────────

/**
 * The bare program name. Windows binaries (under Wine, or in recorded data) end in .exe and
 * may come with a backslash path; they still count.
 */
function programName(path: string): string {
  return path
    .slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1)
    .replace(/\.exe$/i, '');
}

/** Desktop apps: the macOS bundle binary, the Windows tray app, and Linux community packages. */
const APP_NAMES = new Set(['Ollama', 'ollama app', 'ollama-app']);
/** The runner binary older Ollama releases unpacked and spawned per loaded model; newer ones run `ollama runner`. */
const RUNNER_NAMES = new Set(['ollama_llama_server']);

/**
 * The role a program plays, from its name and first argument; null for anything that is not
 * a long-running Ollama process. `ollama run llama3`, `ollama ps` and friends are short-lived
 * clients of the server and not counted; so is any program that merely has "ollama" in an
 * argument (an editor on ~/ollama/serve.go). Flags before the subcommand are skipped so that
 * `ollama --verbose serve` still reads as a server.
 */
export function roleFor(name: string, args: readonly string[]): Role | null {
  const firstWord = args.find((a) => !a.startsWith('-'));
  if (RUNNER_NAMES.has(name)) return 'runner';
  if (name === 'ollama' || name === 'Ollama') {
    if (firstWord === 'serve') return 'server';
    if (firstWord === 'runner') return 'runner';
  }
  if (APP_NAMES.has(name)) return 'app';
  return null;
}

/**
 * argv from /proc/PID/cmdline. Normally NUL-separated; a process that rewrote its title
 * (setproctitle, Node's process.title) leaves one string with spaces, padded with NULs. Such
 * a string is split on spaces, except for the leading executable path when it matches
 * /proc/PID/exe, since that path may itself contain spaces.
 */
export function parseCmdline(raw: string, executable: string | null): string[] {
  const argv = raw.split('\0');
  while (argv.length > 0 && argv[argv.length - 1] === '') argv.pop();
  if (argv.length !== 1 || !/\s/.test(argv[0]!)) return argv;
  const title = argv[0]!.trim();
  if (executable && (title === executable || title.startsWith(`${executable} `))) {
    return [executable, ...title.slice(executable.length).split(/\s+/).filter(Boolean)];
  }
  return title.split(/\s+/).filter(Boolean);
}

/** The kernel appends this to /proc/PID/exe when the binary was replaced (an upgrade). */
function stripDeleted(target: string): string {
  return target.replace(/ \(deleted\)$/, '');
}

/** Names to test, best first: what the process calls itself, the binary, the kernel's comm. */
function identify(argv: readonly string[], exe: string | null, comm: string | null): Role | null {
  const args = argv.slice(1);
  const names = [programName(argv[0] ?? ''), exe ? programName(stripDeleted(exe)) : '', comm ?? ''];
  for (const name of names) {
    const role = name === '' ? null : roleFor(name, args);
    if (role) return role;
  }
  return null;
}

// ── reading /proc ────────────────────────────────────────────────────────────────────────

export interface ProcStat {
  ppid: number;
  /** Clock ticks after boot. */
  startTicks: number;
}

/**
 * /proc/PID/stat. The second field is the command name in parentheses and may itself hold
 * spaces and ")" (a process can name itself "x) (y"), so the fields are counted from the
 * last ")", where field 3 (state) starts.
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const ppid = Number(fields[1]); // field 4
  const startTicks = Number(fields[19]); // field 22
  if (!Number.isInteger(ppid) || !Number.isInteger(startTicks)) return null;
  return { ppid, startTicks };
}

/** Real uid: the first of the four columns on the `Uid:` line of /proc/PID/status. */
export function parseStatusUid(text: string): number | null {
  const match = /^Uid:\s+(\d+)/m.exec(text);
  const uid = match ? Number(match[1]) : NaN;
  return Number.isSafeInteger(uid) ? uid : null;
}

export function parseBootTime(procStat: string): number | null {
  const match = /^btime\s+(\d+)/m.exec(procStat);
  return match ? Number(match[1]) : null;
}

export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid) && !users.has(Number(uid))) users.set(Number(uid), name);
  }
  return users;
}

/**
 * The systemd unit from /proc/PID/cgroup: the unified (`0::`) line, else the v1
 * `name=systemd` line; in its path, the last component that is a `.service`. The per-user
 * manager `user@UID.service` is skipped: a process under it belongs to one of that user's
 * units (say `ollama.service`) or to a session scope, never to the manager itself.
 */
export function systemdUnitFromCgroup(text: string): string | null {
  const lines = text.split('\n');
  const unified = lines.find((l) => l.startsWith('0::'))?.slice(3);
  const legacy = lines
    .map((l) => /^\d+:name=systemd:(.*)$/.exec(l)?.[1])
    .find((p) => p !== undefined);
  // Hybrid hosts carry both; the unified line can be "/" there while the v1 one names the unit.
  return [unified, legacy].map(unitInPath).find((u) => u !== null) ?? null;
}

/**
 * The container a process runs in, by its cgroup: `/system.slice/docker-<id>.scope` (systemd
 * driver), `/docker/<id>` (cgroupfs driver), `libpod-<id>.scope` or `/libpod_parent/libpod-<id>`
 * (Podman). 64 hex digits, as the engines' APIs name containers.
 */
export function containerIdFromCgroup(text: string): string | null {
  const m = /(?:^|\/)(?:docker-|docker\/|libpod-)([0-9a-f]{64})(?:\.scope)?(?:\/|$)/m.exec(
    text
      .split('\n')
      .map((l) => l.replace(/^\d+:[^:]*:/, ''))
      .join('\n'),
  );
  return m ? m[1]! : null;
}

function unitInPath(path: string | undefined): string | null {
  const services = (path ?? '')
    .split('/')
    .filter((c) => c.endsWith('.service') && !/^user@\d+\.service$/.test(c));
  return services[services.length - 1] ?? null;
}

/** stat's start time (ticks since boot) as an ISO timestamp. */
export function startTimeIso(startTicks: number, bootTime: number): string {
  return new Date(bootTime * 1000 + (startTicks * 1000) / CLK_TCK).toISOString();
}

// ── the walk ─────────────────────────────────────────────────────────────────────────────

function isDenied(read: { ok: boolean; code?: string }): boolean {
  return !read.ok && (read.code === 'EACCES' || read.code === 'EPERM');
}

function linkEvidence(read: LinkRead): Evidence {
  return { kind: 'file', ref: read.path, outcome: read.ok ? `-> ${read.target}` : read.code };
}

/** Facts read once per scan, only when a match needs them. */
class SharedFacts {
  private bootTime: Promise<number | null> | undefined;
  private users: Promise<Map<number, string>> | undefined;
  private netns: Promise<string | null> | undefined;

  constructor(
    private readonly host: Host,
    private readonly evidence: Evidence[],
  ) {}

  private async read(path: string): Promise<FileRead> {
    const read = await this.host.readFile(path);
    this.evidence.push(fileEvidence(read));
    return read;
  }

  bootTimeSeconds(): Promise<number | null> {
    this.bootTime ??= this.read('/proc/stat').then((r) => (r.ok ? parseBootTime(r.text) : null));
    return this.bootTime;
  }

  userNames(): Promise<Map<number, string>> {
    this.users ??= this.read('/etc/passwd').then((r) =>
      r.ok ? parsePasswd(r.text) : new Map<number, string>(),
    );
    return this.users;
  }

  ownNetns(): Promise<string | null> {
    this.netns ??= this.host.readLink('/proc/self/ns/net').then((r) => {
      this.evidence.push(linkEvidence(r));
      return r.ok ? r.target : null;
    });
    return this.netns;
  }
}

interface Tally {
  executableDenied: number;
  netnsDenied: number;
  /** /proc/PID hidden from us (mounted with hidepid): such processes cannot be identified. */
  uninspectable: number;
}

interface Candidate {
  pid: number;
  argv: string[];
  role: Role;
  exe: LinkRead;
  cmdline: FileRead;
}

/** Reads just enough of one process to tell whether it is Ollama; null when it is not (or is gone). */
async function inspect(host: Host, pid: number, tally: Tally): Promise<Candidate | null> {
  const dir = `/proc/${pid}`;
  const cmdline = await host.readFile(`${dir}/cmdline`, CMDLINE_MAX_BYTES);
  if (!cmdline.ok) {
    if (isDenied(cmdline)) tally.uninspectable += 1;
    return null; // ENOENT: it ended during the walk.
  }
  const exe = await host.readLink(`${dir}/exe`);
  const exeTarget = exe.ok ? stripDeleted(exe.target) : null;
  // Kernel threads and zombies have an empty cmdline: nothing to identify, nothing to fix.
  const argv = parseCmdline(cmdline.text, exeTarget);
  if (argv.length === 0) return null;
  let role = identify(argv, exe.ok ? exe.target : null, null);
  if (!role) {
    const comm = await host.readFile(`${dir}/comm`, 4096);
    role = comm.ok
      ? identify(argv, exe.ok ? exe.target : null, comm.text.replace(/\n$/, ''))
      : null;
  }
  return role ? { pid, argv, role, exe, cmdline } : null;
}

/** The full record for a process already identified; null when it vanished meanwhile. */
async function describe(
  host: Host,
  candidate: Candidate,
  shared: SharedFacts,
  tally: Tally,
  evidence: Evidence[],
): Promise<OllamaProcess | null> {
  const dir = `/proc/${candidate.pid}`;
  const [stat, status, cgroup, netns] = await Promise.all([
    host.readFile(`${dir}/stat`, 4096),
    host.readFile(`${dir}/status`, 64 * 1024),
    host.readFile(`${dir}/cgroup`, 64 * 1024),
    host.readLink(`${dir}/ns/net`),
  ]);
  if (!stat.ok && stat.code === 'ENOENT') return null;
  evidence.push(
    fileEvidence(candidate.cmdline),
    linkEvidence(candidate.exe),
    fileEvidence(stat),
    fileEvidence(status),
    fileEvidence(cgroup),
    linkEvidence(netns),
  );

  const { exe } = candidate;
  // Never guess the binary: another user's /proc/PID/exe is EACCES without root.
  const executableStatus = exe.ok ? 'ok' : isDenied(exe) ? 'denied' : 'unavailable';
  if (executableStatus === 'denied') tally.executableDenied += 1;
  if (isDenied(netns)) tally.netnsDenied += 1;

  const parsedStat = stat.ok ? parseProcStat(stat.text) : null;
  const bootTime = parsedStat ? await shared.bootTimeSeconds() : null;
  const uid = status.ok ? parseStatusUid(status.text) : null;
  const ownNetns = netns.ok ? await shared.ownNetns() : null;
  return {
    pid: candidate.pid,
    ppid: parsedStat?.ppid ?? null,
    role: candidate.role,
    argv: candidate.argv,
    executable: exe.ok ? exe.target : null,
    executableStatus,
    uid,
    user: uid === null ? null : ((await shared.userNames()).get(uid) ?? null),
    startedAt:
      parsedStat && bootTime !== null ? startTimeIso(parsedStat.startTicks, bootTime) : null,
    systemdUnit: cgroup.ok ? systemdUnitFromCgroup(cgroup.text) : null,
    containerId: cgroup.ok ? containerIdFromCgroup(cgroup.text) : null,
    sameNetns: netns.ok && ownNetns !== null ? netns.target === ownNetns : null,
  };
}

function ollamaProcessCount(n: number): string {
  return n === 1 ? '1 Ollama process' : `${n} Ollama processes`;
}

function deniedNotes(tally: Tally, truncatedWalk: boolean): string | undefined {
  const notes: string[] = [];
  if (tally.executableDenied > 0) {
    notes.push(
      `The executable of ${ollamaProcessCount(tally.executableDenied)} could not be read (another user's); run as root to see it`,
    );
  }
  if (tally.netnsDenied > 0) {
    notes.push(
      `The network namespace of ${ollamaProcessCount(tally.netnsDenied)} could not be read (another user's); run as root to see it`,
    );
  }
  if (tally.uninspectable > 0) {
    notes.push(
      `${tally.uninspectable} processes are hidden from this user (/proc mounted with hidepid); run as root to check them`,
    );
  }
  if (truncatedWalk) notes.push(`Stopped after ${MAX_PIDS} processes; later ones were not checked`);
  return notes.length > 0 ? `${notes.join('. ')}.` : undefined;
}

export async function probeProcesses(host: Host): Promise<ProbeResult<OllamaProcess[]>> {
  return runProbe(host, 'processes', [], PROBE_TIMEOUT_MS, async () => {
    const proc = await host.readDir('/proc');
    if (!proc.ok) {
      return {
        status: statusForFsError(proc.code),
        data: [],
        evidence: [{ kind: 'file', ref: '/proc', outcome: proc.code }],
        message: `/proc could not be read (${proc.code})`,
      };
    }
    const allPids = proc.entries.filter((e) => /^\d+$/.test(e)).map(Number);
    const pids = allPids.slice(0, MAX_PIDS);
    const evidence: Evidence[] = [
      { kind: 'file', ref: '/proc', outcome: `read (${pids.length} processes)` },
    ];
    const tally: Tally = { executableDenied: 0, netnsDenied: 0, uninspectable: 0 };
    const shared = new SharedFacts(host, evidence);

    const candidates: Candidate[] = [];
    for (let i = 0; i < pids.length; i += PID_BATCH) {
      const batch = await Promise.all(
        pids.slice(i, i + PID_BATCH).map((pid) => inspect(host, pid, tally)),
      );
      candidates.push(...batch.filter((c): c is Candidate => c !== null));
    }
    const described = await Promise.all(
      candidates.map((c) => describe(host, c, shared, tally, evidence)),
    );
    const processes = described
      .filter((p): p is OllamaProcess => p !== null)
      .sort((a, b) => a.pid - b.pid);
    return {
      status: 'ok',
      data: processes,
      evidence,
      message: deniedNotes(tally, allPids.length > pids.length),
    };
  });
}

/**
 * The same record for servers of other kinds (issue 13), found by their listening sockets
 * rather than by their names: which unit started each, as whom, when; null when it has gone.
 * One reader per scan: the boot time and the user database are read once for all of them.
 */
export function serverProcessReader(
  host: Host,
  evidence: Evidence[],
): (pid: number) => Promise<OllamaProcess | null> {
  const shared = new SharedFacts(host, evidence);
  return (pid) => describeServerProcess(host, pid, shared, evidence);
}

async function describeServerProcess(
  host: Host,
  pid: number,
  shared: SharedFacts,
  evidence: Evidence[],
): Promise<OllamaProcess | null> {
  const dir = `/proc/${pid}`;
  const cmdline = await host.readFile(`${dir}/cmdline`, CMDLINE_MAX_BYTES);
  if (!cmdline.ok) return null;
  const exe = await host.readLink(`${dir}/exe`);
  const argv = parseCmdline(cmdline.text, exe.ok ? stripDeleted(exe.target) : null);
  if (argv.length === 0) return null;
  const tally: Tally = { executableDenied: 0, netnsDenied: 0, uninspectable: 0 };
  return describe(host, { pid, argv, role: 'server', exe, cmdline }, shared, tally, evidence);
}
