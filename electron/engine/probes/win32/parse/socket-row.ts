/**
 * The TCP socket row both Windows socket parsers (Get-NetTCPConnection's JSON and the
 * `netstat -ano` fallback) produce, shaped after `Socket` in shared/snapshot.ts as far as the
 * tools tell, and the address handling they share.
 *
 * Dual stack on Windows: a socket bound to `::` with IPV6_V6ONLY off (Go's `net.Listen` on
 * ":11434" or "0.0.0.0:11434", Node's default `listen`) accepts IPv4 too, and Windows lists
 * it twice: once in the IPv4 table as `0.0.0.0:11434` and once in the IPv6 table as
 * `[::]:11434`, same pid (nodejs/node#9390 shows `netstat -an` printing both rows for one
 * `listen(5555, '::')`). So every row stands for its own family and `dualStack` is false: the
 * IPv4 side of a dual-stack listener is its own row, and nothing is lost by not joining them.
 * An IPv4 peer on such a socket shows as `::ffff:a.b.c.d` (kept, family 6, as on Linux).
 */
import { isIP } from 'node:net';
import { formatIPv6, parseIPv6 } from '../../../net/address';

export interface WindowsSocket {
  state: 'listen' | 'established';
  /** Family of the local address as printed. */
  family: 4 | 6;
  /** Without brackets or zone; `0.0.0.0` or `::` for a wildcard; IPv6 in RFC 5952 form. */
  localAddress: string;
  localPort: number;
  /** For a listener: the unspecified address of the family, port 0. */
  peerAddress: string;
  peerPort: number;
  /** Always false on Windows: the IPv4 side of a dual-stack socket is a row of its own. */
  dualStack: false;
  /** Zone of a link-local local address: Windows prints the interface index (`%12`). */
  scope: string | null;
  /** Owning process; null for pid 0 (no process: the socket is the kernel's or is closing). */
  pid: number | null;
}

export interface HostPart {
  address: string;
  family: 4 | 6;
  scope: string | null;
}

/**
 * A printed address (`0.0.0.0`, `::`, `fe80::1%12`, `::ffff:10.0.0.2`, upper case too) as an
 * address; null when it is not a numeric address. Zones must be short and plain.
 */
export function readWindowsHost(text: string): HostPart | null {
  if (text.length > 64) return null;
  if (isIP(text) === 4) return { address: text, family: 4, scope: null };
  const percent = text.indexOf('%');
  const bare = percent >= 0 ? text.slice(0, percent) : text;
  const zone = percent >= 0 ? text.slice(percent + 1) : null;
  if (zone !== null && !/^[A-Za-z0-9_.-]{1,32}$/.test(zone)) return null;
  if (isIP(bare) !== 6) return null;
  const groups = parseIPv6(bare);
  if (groups === null) return null;
  return { address: formatIPv6(groups), family: 6, scope: zone };
}

/** The unspecified address of a family. */
export function unspecified(family: 4 | 6): string {
  return family === 4 ? '0.0.0.0' : '::';
}
