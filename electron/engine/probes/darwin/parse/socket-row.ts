/**
 * The TCP socket row both macOS socket parsers (lsof, netstat) produce, shaped after
 * `Socket` in shared/snapshot.ts as far as the tools tell, and the address handling they
 * share.
 *
 * Dual stack on macOS: an AF_INET6 socket bound to `::` without IPV6_V6ONLY accepts IPv4
 * too (Go's `net.Listen("tcp", ":11434")` and `"0.0.0.0:11434"` both make one, so Ollama's
 * "expose" listener is one). netstat tells it apart: its protocol column is `tcp46` for such a
 * socket and `tcp6` for a v6-only one (netstat.tproj/inet.c prints "46" when the PCB has both
 * INP_IPV4 and INP_IPV6). lsof does not: for either socket it prints TYPE `IPv6` and NAME
 * `*:11434` (lsof's darwin dsock.c even folds the dual-stack one to an IPv4 wildcard, and
 * print.c writes `*` for both wildcards). So an lsof row for an IPv6 wildcard says
 * `dualStack: null`, and `resolveDualStack` fills it from a netstat row of the same socket.
 */
import { isIP } from 'node:net';
import { formatIPv6, parseIPv6 } from '../../../net/address';

export interface DarwinSocket {
  state: 'listen' | 'established';
  /** Family of the addresses as printed: 4 for IPv4 (also an IPv4 peer on an IPv6 socket). */
  family: 4 | 6;
  /** Without brackets or zone; "0.0.0.0" or "::" for a wildcard. */
  localAddress: string;
  localPort: number;
  /** For a listener: the unspecified address of the family, port 0. */
  peerAddress: string;
  peerPort: number;
  /**
   * true: an IPv6 wildcard that also accepts IPv4 (netstat `tcp46`); false: not (any concrete
   * address, an IPv4 socket, netstat `tcp6`); null: the tool cannot tell (lsof's `*` on an
   * IPv6 socket).
   */
  dualStack: boolean | null;
  /**
   * Zone of a link-local local address: an interface name (`en0`, netstat's `%en0`) or an
   * interface index (`4`, decoded from the KAME form `fe80:4::…` the kernel keeps inside the
   * address). null: none.
   */
  scope: string | null;
  /** Owning process; null when the tool did not say (netstat before macOS 26 gives the pid only). */
  pid: number | null;
  /** Process name as the tool prints it (lsof: up to 32 characters, spaces intact). */
  command: string | null;
  uid: number | null;
  /** lsof's file descriptor number; null from netstat. */
  fd: number | null;
}

export interface HostPart {
  address: string;
  family: 4 | 6;
  scope: string | null;
  /** The tool printed `*`: the unspecified address of the socket's family. */
  wildcard: boolean;
}

/**
 * A printed host (`127.0.0.1`, `::1`, `fe80::1%lo0`, KAME `fe80:4::1`, `*`) as an address.
 * `wildcardFamily` is the family `*` stands for. null: not a numeric address.
 */
export function readHost(text: string, wildcardFamily: 4 | 6): HostPart | null {
  if (text === '*') {
    return {
      address: wildcardFamily === 4 ? '0.0.0.0' : '::',
      family: wildcardFamily,
      scope: null,
      wildcard: true,
    };
  }
  if (isIP(text) === 4) return { address: text, family: 4, scope: null, wildcard: false };
  const percent = text.indexOf('%');
  const bare = percent >= 0 ? text.slice(0, percent) : text;
  const zone = percent >= 0 ? text.slice(percent + 1) : null;
  if (zone !== null && !/^[A-Za-z0-9_.-]{1,32}$/.test(zone)) return null;
  if (isIP(bare) !== 6) return null;
  const groups = parseIPv6(bare);
  if (groups === null) return null;
  // KAME: BSD kernels keep a link-local address's interface index in its second 16-bit group
  // (fe80:4::1 is fe80::1 on interface 4). netstat decodes it (inet6.c); lsof prints the
  // address as the kernel hands it over, so the index may show up here.
  const g0 = groups[0] ?? 0;
  const linkLocal = (g0 & 0xffc0) === 0xfe80;
  const multicastLocal = (g0 & 0xff0f) === 0xff01 || (g0 & 0xff0f) === 0xff02;
  const embedded = groups[1] ?? 0;
  if ((linkLocal || multicastLocal) && embedded !== 0) {
    const cleared = groups.map((group, index) => (index === 1 ? 0 : group));
    return {
      address: formatIPv6(cleared),
      family: 6,
      scope: zone ?? String(embedded),
      wildcard: false,
    };
  }
  return { address: formatIPv6(groups), family: 6, scope: zone, wildcard: false };
}

/**
 * Fills lsof's unknown `dualStack` from netstat rows of the same listener (same local port,
 * an IPv6 wildcard, the same pid where both tools name one). Returns new rows; rows netstat
 * does not account for keep null.
 */
export function resolveDualStack(
  lsofRows: readonly DarwinSocket[],
  netstatRows: readonly DarwinSocket[],
): DarwinSocket[] {
  return lsofRows.map((row) => {
    if (row.dualStack !== null) return row;
    const matches = netstatRows.filter(
      (other) =>
        other.dualStack !== null &&
        other.state === row.state &&
        other.localPort === row.localPort &&
        other.localAddress === row.localAddress &&
        (other.pid === null || row.pid === null || other.pid === row.pid),
    );
    const verdicts = new Set(matches.map((other) => other.dualStack));
    // Two sockets on one port with different answers (a v4 and a v6 listener are separate
    // rows, but two v6 wildcards of different processes could disagree): leave it unknown.
    if (verdicts.size !== 1) return row;
    return { ...row, dualStack: matches[0]?.dualStack ?? null };
  });
}
