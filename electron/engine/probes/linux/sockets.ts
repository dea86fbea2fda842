/**
 * Listening and established TCP sockets on Linux, with the processes that hold them.
 *
 * First choice is `ss -H -t -a -n -p -e` (netlink sock_diag: fast, and it says whether an
 * IPv6 wildcard also accepts IPv4). Without ss, or when it fails, /proc/net/tcp{,6} are
 * read and socket inodes are matched to processes through /proc/PID/fd.
 *
 * Formats were checked against iproute2 6.1.0 (Debian 12) and its source (misc/ss.c); the
 * recorded outputs live in test/fixtures/linux/.
 */
import { isIP } from 'node:net';
import type { Evidence, ProbeResult, Socket } from '../../../../shared/snapshot';
import type { DirRead, FileRead, Host } from '../../host/types';
import { formatIPv6 } from '../../net/address';
import { execEvidence, fileEvidence, runProbe, statusForFsError } from '../probe';

/**
 * -H no header, -t TCP, -a listening and connected, -n numeric (never resolve names or
 * services), -p owning processes, -e details: `uid:` and `ino:` (and `v6only:` for IPv6).
 * Separate flags rather than `-Htanpe` so the evidence reads plainly; ss treats both alike.
 */
export const SS_ARGV: readonly string[] = ['ss', '-H', '-t', '-a', '-n', '-p', '-e'];
export const PROC_NET_TCP = ['/proc/net/tcp', '/proc/net/tcp6'] as const;

const PROBE_TIMEOUT_MS = 10_000;
const SS_TIMEOUT_MS = 5_000;
const SS_MAX_BYTES = 16 * 1024 * 1024;
const PROC_NET_MAX_BYTES = 16 * 1024 * 1024;
const MAX_PIDS = 65_536;
/** Bounds the fallback's fd walk: a host with millions of open files must not stall the scan. */
const MAX_FD_LINKS = 262_144;
const PID_BATCH = 32;

export type ParsedSocket = Omit<Socket, 'ownerVisibility'>;
type SocketProcess = Socket['processes'][number];

export interface ParsedSockets {
  sockets: ParsedSocket[];
  /** Lines that looked like neither a socket nor a header; skipped, counted for the message. */
  malformed: number;
}

/** Digits as a number, or null past 2^53 (only a corrupted table has such a uid or inode). */
function safeInteger(digits: string): number | null {
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : null;
}

// ── ss ───────────────────────────────────────────────────────────────────────────────────

interface Endpoint {
  address: string;
  port: number;
  family: 4 | 6;
  /** ss printed "*": the IPv6 wildcard of a socket that is not v6-only. */
  star: boolean;
  /** `%ifname`: the socket is bound to that device (SO_BINDTODEVICE) and accepts only there. */
  device: string | null;
}

/**
 * One address:port column of ss. Forms seen: `127.0.0.1:11434`, `127.0.0.53%lo:53`,
 * `[::1]:11434`, `[::1]%lo:11434`, `[::ffff:10.0.0.2]:5000`, `[::]:11434`, `*:11434`,
 * `0.0.0.0:*` (port "*" is 0). Unbracketed IPv6 (`:::22`) is what ss before iproute2 4.13
 * printed. Those old versions also printed "*" for IPv4 0.0.0.0 (4.13 for every wildcard);
 * since 4.14 "*" means only the dual-stack IPv6 wildcard, which is how it is read here. The
 * `%ifname` suffix names the device the socket is bound to.
 */
export function parseSsEndpoint(text: string): Endpoint | null {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const portText = text.slice(colon + 1);
  const port = portText === '*' ? 0 : /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65_535)) return null;
  const host = text.slice(0, colon);
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    const after = host.slice(close + 1);
    const address = host.slice(1, close);
    if (close < 0 || (after !== '' && !after.startsWith('%')) || isIP(address) !== 6) return null;
    return {
      address,
      port,
      family: 6,
      star: false,
      device: after.startsWith('%') ? after.slice(1) || null : null,
    };
  }
  const zone = host.indexOf('%');
  const address = zone >= 0 ? host.slice(0, zone) : host;
  const device = zone >= 0 ? host.slice(zone + 1) || null : null;
  if (address === '*') return { address: '::', port, family: 6, star: true, device };
  const family = isIP(address);
  return family === 4 || family === 6 ? { address, port, family, star: false, device } : null;
}

/**
 * Reads `users:(("name",pid=1,fd=3),("other",pid=2,fd=5))` starting at `start`. ss takes the
 * name from /proc/PID/stat up to the first ")" and prints it unescaped, so names may hold
 * quotes, commas, "(" and spaces but never ")": the lazy name below therefore always ends at
 * the real `",pid=N,fd=M)`, even when a name mimics that text. Returns where the field ends.
 */
export function parseSsUsers(
  text: string,
  start: number,
): { processes: SocketProcess[]; end: number } | null {
  const prefix = 'users:(';
  if (!text.startsWith(prefix, start)) return null;
  const entry = /\("([\s\S]*?)",pid=(\d+),(?:tid=\d+,)?fd=\d+\)([,)])/y;
  entry.lastIndex = start + prefix.length;
  const processes: SocketProcess[] = [];
  for (;;) {
    const match = entry.exec(text);
    if (!match) return null;
    const pid = safeInteger(match[2]!);
    if (pid === null) return null;
    if (!processes.some((p) => p.pid === pid)) processes.push({ pid, name: match[1]! });
    if (match[3] === ')') return { processes, end: entry.lastIndex };
  }
}

const STATES: Record<string, Socket['state'] | undefined> = {
  LISTEN: 'listen',
  ESTAB: 'established',
};
const SS_LINE = /^(\S+)\s+\d+\s+\d+\s+(\S+)\s+(\S+)(.*)$/s;

type LineResult =
  { kind: 'socket'; socket: ParsedSocket } | { kind: 'ignored' } | { kind: 'malformed' };

/**
 * A `name:value` detail. ss prints uid and ino before the cgroup path and v6only after it;
 * a cgroup name can contain such text, so uid and ino take the first match and v6only the last.
 */
function detailToken(details: string, name: string, which: 'first' | 'last'): string | null {
  const matches = [...details.matchAll(new RegExp(`(?:^|\\s)${name}:(\\S+)`, 'g'))];
  const match = which === 'first' ? matches[0] : matches[matches.length - 1];
  return match ? match[1]! : null;
}

function parseSsLine(line: string): LineResult {
  const text = line.trim();
  if (text === '' || text.startsWith('#') || text.startsWith('State ')) return { kind: 'ignored' };
  const match = SS_LINE.exec(text);
  if (!match) return { kind: 'malformed' };
  const [stateText, localText, peerText, rest] = [match[1]!, match[2]!, match[3]!, match[4]!];
  const state = STATES[stateText];
  if (!state)
    return /^[A-Z][A-Z0-9-]*$/.test(stateText) ? { kind: 'ignored' } : { kind: 'malformed' };
  const local = parseSsEndpoint(localText);
  const peer = parseSsEndpoint(peerText);
  if (!local || !peer) return { kind: 'malformed' };

  let details = rest.trim();
  let processes: SocketProcess[] = [];
  if (details.startsWith('users:(')) {
    const users = parseSsUsers(details, 0);
    if (!users) return { kind: 'malformed' };
    processes = users.processes;
    details = details.slice(users.end);
  }
  const inodeText = detailToken(details, 'ino', 'first');
  const uidText = detailToken(details, 'uid', 'first');
  const v6only = detailToken(details, 'v6only', 'last');
  const inode = inodeText !== null && /^\d+$/.test(inodeText) ? safeInteger(inodeText) : null;
  // ss prints "uid:" only when it is not 0, and always prints "ino:" in the same place
  // (sock_details_print in misc/ss.c); so with "ino:" present, a missing "uid:" means root.
  // Seen for real: root's sockets lack it, /proc/net/tcp gives them uid 0.
  const uid =
    uidText !== null && /^\d+$/.test(uidText) ? safeInteger(uidText) : inode !== null ? 0 : null;
  const wildcard = local.family === 6 && local.address === '::';
  // "v6only:" is authoritative where the kernel reports it; "*" alone is ss's own verdict.
  const dualStack = wildcard && (v6only !== null ? v6only === '0' : local.star);
  return {
    kind: 'socket',
    socket: {
      state,
      family: local.family,
      localAddress: local.address,
      localPort: local.port,
      peerAddress: peer.address,
      peerPort: peer.port,
      dualStack,
      boundInterface: local.device,
      uid,
      inode,
      processes,
    },
  };
}

/** Parses `ss -H -t -a -n -p -e` output; other states are dropped, comment lines skipped. */
export function parseSsOutput(text: string): ParsedSockets {
  const result: ParsedSockets = { sockets: [], malformed: 0 };
  for (const line of text.split('\n')) {
    const parsed = parseSsLine(line);
    if (parsed.kind === 'socket') result.sockets.push(parsed.socket);
    else if (parsed.kind === 'malformed') result.malformed += 1;
  }
  return result;
}

// ── /proc/net/tcp ────────────────────────────────────────────────────────────────────────

/** The kernel writes each 32-bit word of an address in the CPU's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function wordBytes(hex: string): number[] {
  const word = parseInt(hex, 16);
  const bytes = [word >>> 24, (word >>> 16) & 255, (word >>> 8) & 255, word & 255];
  return LITTLE_ENDIAN ? bytes.reverse() : bytes;
}

/** `0100007F` → 127.0.0.1, 32 hex digits → IPv6 text (RFC 5952, mapped as ::ffff:a.b.c.d). */
export function decodeProcNetAddress(hex: string): { address: string; family: 4 | 6 } | null {
  if (!/^[0-9A-Fa-f]+$/.test(hex)) return null;
  if (hex.length === 8) return { address: wordBytes(hex).join('.'), family: 4 };
  if (hex.length !== 32) return null;
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8)));
  const groups = Array.from({ length: 8 }, (_, i) => bytes[2 * i]! * 256 + bytes[2 * i + 1]!);
  return { address: formatIPv6(groups), family: 6 };
}

const PROC_STATES: Record<string, Socket['state'] | undefined> = {
  '0A': 'listen',
  '01': 'established',
};
// sl, local, remote, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode
const PROC_LINE =
  /^\s*\d+:\s+([0-9A-Fa-f]+):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]+):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{2})\s+\S+\s+\S+\s+\S+\s+(\d+)\s+\d+\s+(\d+)/;

/**
 * Parses /proc/net/tcp or tcp6. The IPV6_V6ONLY flag is not in these files, so an IPv6
 * wildcard is taken to be dual-stack, the Linux default (net.ipv6.bindv6only=0) and the
 * reading that never understates who can connect.
 */
export function parseProcNetTcp(text: string): ParsedSockets {
  const result: ParsedSockets = { sockets: [], malformed: 0 };
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('sl ')) continue;
    const match = PROC_LINE.exec(line);
    const local = match ? decodeProcNetAddress(match[1]!) : null;
    const peer = match ? decodeProcNetAddress(match[3]!) : null;
    if (!match || !local || !peer) {
      result.malformed += 1;
      continue;
    }
    const state = PROC_STATES[match[5]!.toUpperCase()];
    if (!state) continue;
    result.sockets.push({
      state,
      family: local.family,
      localAddress: local.address,
      localPort: parseInt(match[2]!, 16),
      peerAddress: peer.address,
      peerPort: parseInt(match[4]!, 16),
      dualStack: local.family === 6 && local.address === '::',
      // /proc/net/tcp does not say whether a socket is bound to a device.
      boundInterface: null,
      uid: safeInteger(match[6]!),
      inode: safeInteger(match[7]!),
      processes: [],
    });
  }
  return result;
}

interface InodeOwners {
  owners: Map<number, SocketProcess[]>;
  pidsWalked: number;
  deniedPids: number;
  linkBudgetSpent: boolean;
  procRead: DirRead;
}

function numericEntries(read: DirRead): number[] {
  if (!read.ok) return [];
  return read.entries
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .slice(0, MAX_PIDS);
}

/** Finds which processes hold the wanted socket inodes by reading /proc/PID/fd links. */
async function ownersFromProcFd(host: Host, wanted: ReadonlySet<number>): Promise<InodeOwners> {
  const procRead = await host.readDir('/proc');
  const pids = numericEntries(procRead);
  const result: InodeOwners = {
    owners: new Map(),
    pidsWalked: 0,
    deniedPids: 0,
    linkBudgetSpent: false,
    procRead,
  };
  let linkBudget = MAX_FD_LINKS;

  const visit = async (pid: number): Promise<void> => {
    const fds = await host.readDir(`/proc/${pid}/fd`);
    if (!fds.ok) {
      if (fds.code === 'EACCES' || fds.code === 'EPERM') result.deniedPids += 1;
      return; // ENOENT: the process ended during the walk.
    }
    result.pidsWalked += 1;
    const take = Math.min(fds.entries.length, Math.max(linkBudget, 0));
    linkBudget -= fds.entries.length;
    if (take < fds.entries.length) result.linkBudgetSpent = true;
    const links = await Promise.all(
      fds.entries.slice(0, take).map((fd) => host.readLink(`/proc/${pid}/fd/${fd}`)),
    );
    const held = new Set<number>();
    for (const link of links) {
      const match = link.ok ? /^socket:\[(\d+)\]$/.exec(link.target) : null;
      if (match && wanted.has(Number(match[1]))) held.add(Number(match[1]));
    }
    if (held.size === 0) return;
    const comm = await host.readFile(`/proc/${pid}/comm`, 4096);
    const name = comm.ok ? comm.text.replace(/\n$/, '') : '';
    for (const inode of held) {
      const list = result.owners.get(inode) ?? [];
      list.push({ pid, name });
      result.owners.set(inode, list);
    }
  };

  for (let i = 0; i < pids.length && wanted.size > 0; i += PID_BATCH) {
    await Promise.all(pids.slice(i, i + PID_BATCH).map(visit));
  }
  return result;
}

// ── the probe ────────────────────────────────────────────────────────────────────────────

/**
 * Who may see a socket's owner. A socket with no process listed is 'denied' when it is
 * (or may be) another user's and we are not root, because ss and /proc hide other users'
 * file descriptors; as root, or for our own uid, no listed owner really means none visible
 * from here (another PID namespace, or a descriptor no process holds).
 */
export function ownerVisibility(
  hasProcesses: boolean,
  uid: number | null,
  hostUid: number | null,
): Socket['ownerVisibility'] {
  if (hasProcesses) return 'visible';
  const root = hostUid === 0;
  if (root) return 'none';
  if (uid === null || uid !== hostUid) return 'denied';
  return 'none';
}

function withVisibility(parsed: ParsedSocket[], hostUid: number | null): Socket[] {
  return parsed.map((s) => ({
    ...s,
    ownerVisibility: ownerVisibility(s.processes.length > 0, s.uid, hostUid),
  }));
}

function deniedNote(sockets: readonly Socket[]): string | null {
  const denied = sockets.filter((s) => s.ownerVisibility === 'denied').length;
  if (denied === 0) return null;
  const noun = denied === 1 ? '1 socket belongs' : `${denied} sockets belong`;
  return `${noun} to other users; run as root to see their processes`;
}

function joinNotes(notes: readonly (string | null)[]): string | undefined {
  const kept = notes.filter((n): n is string => n !== null && n !== '');
  return kept.length > 0 ? `${kept.join('. ')}.` : undefined;
}

function ssFailure(result: {
  spawnError: string | null;
  timedOut: boolean;
  code: number | null;
  stderr: string;
}): string {
  if (result.spawnError === 'ENOENT') return 'ss is not installed';
  if (result.spawnError) return `ss could not be started (${result.spawnError})`;
  if (result.timedOut) return 'ss did not finish in time';
  const detail = result.stderr.trim().split('\n')[0];
  return `ss failed (exit ${result.code}${detail ? `: ${detail}` : ''})`;
}

type ProbeBody = Omit<ProbeResult<Socket[]>, 'durationMs'>;

function fromSs(
  stdout: string,
  truncated: boolean,
  evidence: Evidence[],
  hostUid: number | null,
): ProbeBody {
  // A cut-off last line could parse as a socket with fewer owners than it has.
  const text = truncated ? stdout.slice(0, stdout.lastIndexOf('\n') + 1) : stdout;
  const parsed = parseSsOutput(text);
  const sockets = withVisibility(parsed.sockets, hostUid);
  const message = joinNotes([
    deniedNote(sockets),
    parsed.malformed > 0
      ? `${parsed.malformed} lines of ss output could not be read and were skipped`
      : null,
    truncated ? 'ss printed more than the output limit; sockets past it are missing' : null,
  ]);
  return { status: 'ok', data: sockets, evidence, message };
}

async function fromProcNet(host: Host, why: string, evidence: Evidence[]): Promise<ProbeBody> {
  const reads: FileRead[] = await Promise.all(
    PROC_NET_TCP.map((path) => host.readFile(path, PROC_NET_MAX_BYTES)),
  );
  evidence.push(...reads.map(fileEvidence));
  const readable = reads.filter((r): r is Extract<FileRead, { ok: true }> => r.ok);
  if (readable.length === 0) {
    const first = reads[0] as Extract<FileRead, { ok: false }>;
    return {
      status: statusForFsError(first.code),
      data: [],
      evidence,
      message: `${why}, and /proc/net/tcp could not be read (${first.code})`,
    };
  }
  const parsed = readable.map((r) => parseProcNetTcp(r.text));
  const all = parsed.flatMap((p) => p.sockets);
  const malformed = parsed.reduce((n, p) => n + p.malformed, 0);
  const walk = await ownersFromProcFd(
    host,
    new Set(all.map((s) => s.inode).filter((i): i is number => i !== null && i > 0)),
  );
  evidence.push({
    kind: 'file',
    ref: '/proc/*/fd',
    outcome: walk.procRead.ok
      ? `read ${walk.pidsWalked} processes, ${walk.deniedPids} EACCES`
      : walk.procRead.code,
  });
  for (const socket of all)
    socket.processes = (socket.inode !== null && walk.owners.get(socket.inode)) || [];
  const sockets = withVisibility(all, host.uid());
  const message = joinNotes([
    `${why}; read /proc/net/tcp and /proc/net/tcp6 instead`,
    sockets.some((s) => s.dualStack)
      ? 'IPv6 wildcard listeners are taken to accept IPv4 too, since IPV6_V6ONLY is not visible without ss'
      : null,
    deniedNote(sockets),
    malformed > 0 ? `${malformed} lines of /proc/net/tcp could not be read and were skipped` : null,
    reads.some((r) => r.ok && r.truncated)
      ? 'The socket tables were larger than the read limit; some sockets are missing'
      : null,
    walk.linkBudgetSpent
      ? `Stopped after ${MAX_FD_LINKS} open files; some owners may be missing`
      : null,
  ]);
  return { status: 'ok', data: sockets, evidence, message };
}

export async function probeSockets(host: Host): Promise<ProbeResult<Socket[]>> {
  return runProbe(host, 'sockets', [], PROBE_TIMEOUT_MS, async () => {
    const result = await host.exec(SS_ARGV, { timeoutMs: SS_TIMEOUT_MS, maxBytes: SS_MAX_BYTES });
    const evidence: Evidence[] = [execEvidence(result)];
    // Past maxBytes the host kills ss, so a truncated run has no exit code yet its output is good.
    const succeeded =
      result.spawnError === null && !result.timedOut && (result.code === 0 || result.truncated);
    if (succeeded) return fromSs(result.stdout, result.truncated, evidence, host.uid());
    return fromProcNet(host, ssFailure(result), evidence);
  });
}
