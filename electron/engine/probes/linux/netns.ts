/**
 * Issue 12, class 3 ("servers in other network namespaces"): a server in a container without
 * an engine API, an `ip netns`, or a rootless container has its sockets and addresses in a
 * namespace the host's `ss` and interfaces do not show. The kernel shows them through the
 * server's own /proc/PID/net: `tcp` and `tcp6` (listening sockets), `fib_trie` and `route`
 * (IPv4 addresses and their interfaces), `if_inet6` (IPv6). Nothing is entered and nothing
 * run: only files are read, bounded, for at most eight servers. Which of the namespace's
 * sockets are the server's own comes from its /proc/PID/fd links where they can be read
 * (root, or the server's own user); otherwise every listener there is listed, and it says so.
 *
 * The parsers are pure (parseFibTrie, parseProcRoute, parseIfInet6, namespaceInterfaces).
 */
import type {
  NetInterface,
  OllamaProcess,
  ProbeResult,
  ServerNamespace,
  Socket,
} from '../../../../shared/snapshot';
import type { FileRead, Host } from '../../host/types';
import { classifyAddress, formatIPv6, parseIPv4 } from '../../net/address';
import { fileEvidence, runProbe } from '../probe';
import { decodeProcNetAddress, parseProcNetTcp } from './sockets';

const MAX_SERVERS = 8;
const MAX_FDS = 4096;
const NET_FILE_MAX_BYTES = 4 * 1024 * 1024;
const DEADLINE_MS = 2000;

/** The IPv4 addresses a namespace owns: `/32 host LOCAL` entries of /proc/PID/net/fib_trie. */
export function parseFibTrie(text: string): string[] {
  const local = new Set<string>();
  let last: string | null = null;
  for (const line of text.split('\n')) {
    const leaf = /^[\s|]*\|--\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(line);
    if (leaf) {
      last = leaf[1]!;
      continue;
    }
    if (last !== null && /^\s*\/32 host LOCAL\s*$/.test(line)) local.add(last);
  }
  return [...local];
}

export interface ProcRoute {
  interface: string;
  destination: number;
  mask: number;
  gateway: number;
}

/** Little-endian hex words of /proc/net/route as unsigned numbers (host byte order on x86). */
function hexWord(hex: string): number | null {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return null;
  const decoded = decodeProcNetAddress(hex);
  return decoded ? parseIPv4(decoded.address) : null;
}

/** /proc/PID/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask … */
export function parseProcRoute(text: string): ProcRoute[] {
  const routes: ProcRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const destination = hexWord(fields[1]!);
    const gateway = hexWord(fields[2]!);
    const mask = hexWord(fields[7]!);
    if (destination === null || gateway === null || mask === null) continue;
    routes.push({ interface: fields[0]!, destination, mask, gateway });
  }
  return routes;
}

function maskLength(mask: number): number {
  let bits = 0;
  for (let m = mask >>> 0; m & 0x80000000; m = (m << 1) >>> 0) bits += 1;
  return bits;
}

/** /proc/PID/net/if_inet6: address(32 hex) ifindex prefix(hex) scope(hex) flags(hex) name */
export function parseIfInet6(
  text: string,
): Array<{ address: string; prefixLength: number; interface: string }> {
  const out: Array<{ address: string; prefixLength: number; interface: string }> = [];
  for (const line of text.split('\n')) {
    const m =
      /^([0-9a-fA-F]{32})\s+[0-9a-fA-F]+\s+([0-9a-fA-F]{2})\s+[0-9a-fA-F]+\s+[0-9a-fA-F]+\s+(\S{1,15})\s*$/.exec(
        line,
      );
    if (!m) continue;
    // if_inet6 writes the address in network order, unlike tcp6's 32-bit words.
    const hex = m[1]!;
    const groups = Array.from({ length: 8 }, (_, i) => parseInt(hex.slice(i * 4, i * 4 + 4), 16));
    const decoded = { address: formatIPv6(groups) };
    out.push({ address: decoded.address, prefixLength: parseInt(m[2]!, 16), interface: m[3]! });
  }
  return out;
}

/** The namespace's interfaces from its local IPv4 addresses, its routes and its IPv6 table. */
export function namespaceInterfaces(
  local4: readonly string[],
  routes: readonly ProcRoute[],
  inet6: ReturnType<typeof parseIfInet6>,
): NetInterface[] {
  const byName = new Map<string, NetInterface>();
  const add = (name: string, address: string, family: 4 | 6, prefixLength: number | null) => {
    let entry = byName.get(name);
    if (!entry) {
      entry = { name, addresses: [] };
      byName.set(name, entry);
    }
    let scope: NetInterface['addresses'][number]['scope'];
    try {
      scope = classifyAddress(address);
    } catch {
      return;
    }
    entry.addresses.push({ address, family, prefixLength, scope });
  };
  for (const address of local4) {
    const value = parseIPv4(address);
    if (value === null) continue;
    if (address.startsWith('127.')) {
      add('lo', address, 4, 8);
      continue;
    }
    // The connected route (no gateway) whose subnet holds the address names its interface.
    const onLink = routes
      .filter((r) => r.gateway === 0 && r.mask !== 0 && (value & r.mask) >>> 0 === r.destination)
      .sort((a, b) => maskLength(b.mask) - maskLength(a.mask))[0];
    add(onLink?.interface ?? '?', address, 4, onLink ? maskLength(onLink.mask) : null);
  }
  for (const entry of inet6) add(entry.interface, entry.address, 6, entry.prefixLength);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function denied(read: FileRead): boolean {
  return !read.ok && (read.code === 'EACCES' || read.code === 'EPERM');
}

async function readNamespace(
  host: Host,
  server: OllamaProcess,
): Promise<{ result: ServerNamespace; evidence: ReturnType<typeof fileEvidence>[] }> {
  const base = `/proc/${server.pid}`;
  const [link, tcp, tcp6, fib, route, inet6] = await Promise.all([
    host.readLink(`${base}/ns/net`),
    host.readFile(`${base}/net/tcp`, NET_FILE_MAX_BYTES),
    host.readFile(`${base}/net/tcp6`, NET_FILE_MAX_BYTES),
    host.readFile(`${base}/net/fib_trie`, NET_FILE_MAX_BYTES),
    host.readFile(`${base}/net/route`, NET_FILE_MAX_BYTES),
    host.readFile(`${base}/net/if_inet6`, NET_FILE_MAX_BYTES),
  ]);
  const evidence = [tcp, tcp6, fib, route, inet6].map(fileEvidence);
  const empty = {
    pid: server.pid,
    netns: link.ok ? link.target : null,
    sockets: [],
    interfaces: [],
  };
  if (!tcp.ok) {
    return {
      result: {
        ...empty,
        status: denied(tcp) ? 'denied' : 'error',
        message: `${tcp.path}: ${tcp.message}`,
      },
      evidence,
    };
  }
  const listening: Socket[] = [tcp, tcp6]
    .flatMap((read) => (read.ok ? parseProcNetTcp(read.text).sockets : []))
    .filter((s) => s.state === 'listen')
    .map((s) => ({ ...s, ownerVisibility: 'none' as const }));

  // Which of them are the server's: the socket inodes among its descriptors.
  const fds = await host.readDir(`${base}/fd`);
  const notes: string[] = [];
  let sockets = listening;
  if (fds.ok) {
    const links = await Promise.all(
      fds.entries.slice(0, MAX_FDS).map((fd) => host.readLink(`${base}/fd/${fd}`)),
    );
    const held = new Set(
      links.flatMap((l) => {
        const m = l.ok ? /^socket:\[(\d+)\]$/.exec(l.target) : null;
        return m ? [Number(m[1])] : [];
      }),
    );
    const name = server.argv[0]?.split('/').pop() ?? 'ollama';
    sockets = listening
      .filter((s) => s.inode !== null && held.has(s.inode))
      .map((s) => ({
        ...s,
        processes: [{ pid: server.pid, name }],
        ownerVisibility: 'visible' as const,
      }));
  } else {
    notes.push(
      `${base}/fd could not be read (${fds.code}), so every listener in that namespace is counted as the server's.`,
    );
    sockets = listening.map((s) => ({ ...s, ownerVisibility: 'denied' as const }));
  }
  const gaps = [fib, route, inet6].filter((r) => !r.ok).map((r) => r.path);
  if (gaps.length > 0)
    notes.push(`Not readable: ${gaps.join(', ')}; its addresses may be incomplete.`);
  return {
    result: {
      ...empty,
      status: 'ok',
      ...(notes.length > 0 ? { message: notes.join(' ') } : {}),
      sockets,
      interfaces: namespaceInterfaces(
        fib.ok ? parseFibTrie(fib.text) : [],
        route.ok ? parseProcRoute(route.text) : [],
        inet6.ok ? parseIfInet6(inet6.text) : [],
      ),
    },
    evidence,
  };
}

/** The namespaces of the servers that run outside this one (sameNetns false). */
export async function probeNamespaces(
  host: Host,
  servers: readonly OllamaProcess[],
): Promise<ProbeResult<ServerNamespace[]>> {
  return runProbe(host, 'network namespaces', [], DEADLINE_MS, async () => {
    const elsewhere = servers.filter((s) => s.sameNetns === false);
    const read = await Promise.all(
      elsewhere.slice(0, MAX_SERVERS).map((s) => readNamespace(host, s)),
    );
    const data = read.map((r) => r.result);
    const left = elsewhere.length - read.length;
    const unread = data.filter((d) => d.status !== 'ok');
    const messages = [
      ...unread.map((d) => `pid ${d.pid}: ${d.message ?? d.status}`),
      ...(left > 0 ? [`${left} more servers in other namespaces were not read.`] : []),
    ];
    return {
      status: unread.some((d) => d.status === 'denied')
        ? 'denied'
        : unread.length > 0
          ? 'error'
          : 'ok',
      data,
      evidence: read.flatMap((r) => r.evidence),
      ...(messages.length > 0 ? { message: messages.join(' ') } : {}),
    };
  });
}
