/**
 * The monitor's cheap tick (Linux): a small fingerprint of what could change Ollama's
 * exposure, taken every two seconds, so that a full scan runs as soon as it differs.
 *
 * - listeners: every TCP socket listening beyond loopback (a new one may be Ollama, a proxy
 *   in front of it, or a port Docker publishes), and those on loopback at Ollama's ports;
 * - peers: other machines connected to Ollama's ports (not loopback, not our own addresses);
 * - processes: the Ollama processes (server, app, runner) by pid and role.
 *
 * Ollama's ports are 11434 and every port the last full scan saw an instance on (direct,
 * proxy, Docker) or asked for in its settings.
 *
 * Cost is what matters here (bench/monitor.ts, target a median under 5 ms of CPU per tick).
 * No program is spawned. Reading /proc/net/tcp makes the kernel walk its whole established
 * hash table, empty buckets included: about 2 ms of system time per read on a machine with
 * 24 GiB (262,144 buckets), whatever the number of sockets, and the capped reader reads twice
 * (data, then EOF), so both tables cost about 9 ms. They are therefore read only when needed:
 * every tick reads /proc/net/sockstat and sockstat6 (about 0.01 ms each), and the tables are
 * read again only when those TCP counters changed (a socket opened or closed), when Ollama's
 * ports changed, or when the last read is older than `socketReadMs` (10 s); a table whose
 * family has no socket in use is not read at all. So a change that leaves every counter as it
 * was (one socket replaced by another between two ticks, with no process change) is seen
 * within 10 s rather than 2. Of the tables only the LISTEN and ESTABLISHED lines on a port we
 * care about are decoded.
 *
 * The /proc walk reads the command line of a process only when its pid is new, and once more
 * on the next tick (a fork shows its parent's command line until it execs), never again after
 * that. Socket owners are not looked up (the fd walk of every process is what makes the
 * sockets probe's /proc fallback slow); a restarted server has a new pid, and a new listener
 * shows by its address, which is enough to know that a full scan is due.
 */
import type { OllamaProcess, Snapshot } from '../../../shared/snapshot';
import type { Host } from '../host/types';
import { isLoopback, normalizeAddress } from '../net/address';
import { DEFAULT_OLLAMA_PORT } from '../ollama/listen-address';
import { parseCmdline, roleFor } from '../probes/linux/processes';
import { PROC_NET_TCP, decodeProcNetAddress } from '../probes/linux/sockets';

export interface TickState {
  /** "address port", sorted: sockets listening beyond loopback, or on loopback at Ollama's ports. */
  listeners: string[];
  /** "address>port", sorted: other machines connected to Ollama's ports. */
  peers: string[];
  /** "pid role", sorted by pid: Ollama's processes. */
  processes: string[];
}

/** What differs between two ticks: nothing, only the connected peers, or more. */
export type TickChange = 'none' | 'peers' | 'structure';

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((item, i) => item === b[i]);

export function tickChange(before: TickState | null, after: TickState): TickChange {
  if (!before) return 'structure';
  if (!sameList(before.listeners, after.listeners) || !sameList(before.processes, after.processes))
    return 'structure';
  return sameList(before.peers, after.peers) ? 'none' : 'peers';
}

/** 11434, and every port the last full scan found an Ollama instance on or configured for. */
export function watchedPorts(snapshot: Snapshot | null): Set<number> {
  const ports = new Set<number>([DEFAULT_OLLAMA_PORT]);
  for (const instance of snapshot?.instances ?? []) {
    for (const listener of instance.listeners) ports.add(listener.port);
    if (instance.configuredBind) ports.add(instance.configuredBind.port);
  }
  return ports;
}

// ── /proc/net/tcp ───────────────────────────────────────────────────────────────────────

const LISTEN = '0A';
const SOCKSTAT = ['/proc/net/sockstat', '/proc/net/sockstat6'] as const;
export const DEFAULT_SOCKET_READ_MS = 10_000;
const ESTABLISHED = '01';
const PROC_NET_MAX_BYTES = 16 * 1024 * 1024;

interface SocketLines {
  listeners: Set<string>;
  /** Candidate peers before the own-address filter: [peer, localPort]. */
  peers: Array<[string, number]>;
}

/**
 * Reads the LISTEN and ESTABLISHED lines of /proc/net/tcp or tcp6 text into `into`. Lines are
 * `sl: local:port remote:port st ...` with hex addresses and ports (probes/linux/sockets.ts
 * decodes the addresses); anything that does not look like that is skipped.
 */
export function readSocketLines(text: string, ports: ReadonlySet<number>, into: SocketLines): void {
  let start = text.indexOf('\n') + 1; // the header
  while (start > 0 && start < text.length) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    start = end < 0 ? text.length : end + 1;
    const fields = line.trim().split(/\s+/, 4);
    const state = fields[3];
    if (state !== LISTEN && state !== ESTABLISHED) continue;
    const local = fields[1]!;
    const colon = local.indexOf(':');
    if (colon < 0) continue;
    const port = parseInt(local.slice(colon + 1), 16);
    if (!(port >= 0)) continue;
    if (state === ESTABLISHED) {
      if (!ports.has(port)) continue;
      const remote = fields[2]!;
      const peer = decodeProcNetAddress(remote.slice(0, remote.indexOf(':')));
      if (!peer) continue;
      const address = normalizeAddress(peer.address);
      if (!isLoopback(address)) into.peers.push([address, port]);
      continue;
    }
    const decoded = decodeProcNetAddress(local.slice(0, colon));
    if (!decoded) continue;
    if (isLoopback(decoded.address) && !ports.has(port)) continue;
    into.listeners.add(`${decoded.address} ${port}`);
  }
}

/**
 * The TCP counters of /proc/net/sockstat (`TCP: inuse N orphan N tw N alloc N mem N`) and
 * sockstat6 (`TCP6: inuse N`) without `mem` (it moves with every byte buffered): they change
 * when a TCP socket of this network namespace opens or closes. Also how many IPv4 and IPv6
 * TCP sockets are in use (null when unreadable), to skip a table with nothing in it.
 */
export function sockstatSignature(sockstat: string | null, sockstat6: string | null) {
  const tcp = sockstat ? (/^TCP: (.*)$/m.exec(sockstat)?.[1] ?? null) : null;
  const tcp6 = sockstat6 ? (/^TCP6: (.*)$/m.exec(sockstat6)?.[1] ?? null) : null;
  const inuse = (text: string | null) => {
    const match = text ? /\binuse (\d+)/.exec(text) : null;
    return match ? Number(match[1]) : null;
  };
  return {
    signature:
      tcp === null || tcp6 === null
        ? null
        : `${tcp.replace(/\s*\bmem \d+/, '')}|${tcp6.replace(/\s*\bmem \d+/, '')}`,
    inuse4: inuse(tcp),
    inuse6: inuse(tcp6),
  };
}

// ── the /proc walk ──────────────────────────────────────────────────────────────────────

type Role = OllamaProcess['role'];

/** pid_max defaults to 32768; past this many processes the walk stops. */
const MAX_PIDS = 65_536;
/** How many ticks a non-Ollama pid is looked at (a fork shows its parent's cmdline until exec). */
const LOOKS_PER_PID = 2;
const CMDLINE_MAX_BYTES = 4096;

interface KnownProcess {
  role: Role | null;
  looks: number;
}

function programName(path: string): string {
  return path
    .slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1)
    .replace(/\.exe$/i, '');
}

export interface TickProbe {
  /** Takes the fingerprint; `last` is the latest full scan (it names Ollama's ports). */
  tick(last: Snapshot | null): Promise<TickState>;
}

export interface TickProbeOptions {
  /** Read the socket tables at least this often even when no counter moved (default 10 s). */
  socketReadMs?: number;
}

/**
 * A tick over the real /proc (or a fake host's). Keeps what it learnt about each pid between
 * ticks, and the socket tables' last reading; one probe per monitor. Throws when neither /proc
 * nor the socket tables can be read, so the monitor reports it and falls back to its periodic
 * full scans.
 */
export function createTickProbe(host: Host, options: TickProbeOptions = {}): TickProbe {
  const socketReadMs = options.socketReadMs ?? DEFAULT_SOCKET_READ_MS;
  const known = new Map<number, KnownProcess>();
  let lastRead: {
    signature: string;
    ports: string;
    atMs: number;
    result: Omit<TickState, 'processes'>;
  } | null = null;

  async function roleOf(pid: number): Promise<Role | null | 'gone'> {
    const cmdline = await host.readFile(`/proc/${pid}/cmdline`, CMDLINE_MAX_BYTES);
    if (!cmdline.ok) return cmdline.code === 'ENOENT' || cmdline.code === 'ESRCH' ? 'gone' : null;
    const argv = parseCmdline(cmdline.text, null);
    const args = argv.slice(1);
    const byArgv = argv.length > 0 ? roleFor(programName(argv[0]!), args) : null;
    if (byArgv) return byArgv;
    // Kernel threads have no command line; a renamed argv[0] still has the binary's comm.
    const comm = await host.readFile(`/proc/${pid}/comm`, 256);
    return comm.ok ? roleFor(comm.text.replace(/\n$/, ''), args) : null;
  }

  async function processes(): Promise<string[]> {
    const proc = await host.readDir('/proc');
    if (!proc.ok) throw new Error(`/proc could not be read (${proc.code})`);
    const seen = new Set<number>();
    for (const entry of proc.entries) {
      if (seen.size >= MAX_PIDS) break;
      const first = entry.charCodeAt(0);
      if (first < 48 || first > 57) continue;
      const pid = Number(entry);
      if (!Number.isInteger(pid)) continue;
      seen.add(pid);
      const entryKnown = known.get(pid);
      if (entryKnown && (entryKnown.role !== null || entryKnown.looks >= LOOKS_PER_PID)) continue;
      const role = await roleOf(pid);
      if (role === 'gone') {
        known.delete(pid);
        continue;
      }
      known.set(pid, { role, looks: (entryKnown?.looks ?? 0) + 1 });
    }
    const found: string[] = [];
    for (const [pid, entry] of known) {
      if (!seen.has(pid)) known.delete(pid);
      else if (entry.role !== null) found.push(`${pid} ${entry.role}`);
    }
    return found.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  }

  function ownAddresses(): Set<string> {
    const own = new Set<string>();
    for (const addresses of Object.values(host.networkInterfaces()))
      for (const a of addresses ?? []) own.add(normalizeAddress(a.address));
    return own;
  }

  async function sockets(ports: ReadonlySet<number>): Promise<Omit<TickState, 'processes'>> {
    const [stat4, stat6] = await Promise.all(SOCKSTAT.map((path) => host.readFile(path, 4096)));
    const counters = sockstatSignature(
      stat4!.ok ? stat4!.text : null,
      stat6!.ok ? stat6!.text : null,
    );
    const portsKey = [...ports].sort((a, b) => a - b).join(',');
    const atMs = host.monotonicMs();
    if (
      lastRead &&
      counters.signature !== null &&
      counters.signature === lastRead.signature &&
      portsKey === lastRead.ports &&
      atMs - lastRead.atMs < socketReadMs
    )
      return lastRead.result;
    const result = await readTables(ports, [counters.inuse4, counters.inuse6]);
    lastRead =
      counters.signature === null
        ? null
        : { signature: counters.signature, ports: portsKey, atMs, result };
    return result;
  }

  async function readTables(
    ports: ReadonlySet<number>,
    inuse: ReadonlyArray<number | null>,
  ): Promise<Omit<TickState, 'processes'>> {
    const lines: SocketLines = { listeners: new Set(), peers: [] };
    let readable = 0;
    let problem = '';
    for (const [i, path] of PROC_NET_TCP.entries()) {
      // No TCP socket of this family in use here: its table has nothing for us.
      if (inuse[i] === 0) {
        readable += 1;
        continue;
      }
      const read = await host.readFile(path, PROC_NET_MAX_BYTES);
      if (!read.ok) {
        problem ||= `${path} could not be read (${read.code})`;
        continue;
      }
      readable += 1;
      readSocketLines(read.text, ports, lines);
    }
    if (readable === 0) throw new Error(problem);
    const peers = new Set<string>();
    if (lines.peers.length > 0) {
      const own = ownAddresses();
      for (const [address, port] of lines.peers)
        if (!own.has(address)) peers.add(`${address}>${port}`);
    }
    return { listeners: [...lines.listeners].sort(), peers: [...peers].sort() };
  }

  return {
    async tick(last) {
      const ports = watchedPorts(last);
      const [found, socketState] = await Promise.all([processes(), sockets(ports)]);
      return { ...socketState, processes: found };
    },
  };
}
