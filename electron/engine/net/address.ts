/**
 * What kind of network an IP address belongs to, as the exposure verdict needs it: can
 * anyone beyond this machine, this link, this LAN or this carrier reach it. Pure functions:
 * text in, answer out.
 */
import { isIP } from 'node:net';
import type { AddressScope } from '../../../shared/snapshot';

/** Eight 16-bit groups of an IPv6 address, most significant first. */
export type Hextets = readonly number[];

/**
 * Strips what surrounds an address in the wild but is not part of it: URL brackets
 * (`[::1]`) and a zone id (`fe80::1%eth0`, `127.0.0.53%lo` as ss prints it). The zone names
 * an interface, not an address, so it never changes the scope.
 */
export function stripDecorations(address: string): string {
  let text = address.trim();
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close > 0) text = text.slice(1, close);
  }
  const zone = text.indexOf('%');
  return zone >= 0 ? text.slice(0, zone) : text;
}

/** Dotted-quad IPv4 as an unsigned 32-bit number; null for anything else. */
export function parseIPv4(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    // Leading zeros are refused: some resolvers read them as octal, so "010" is ambiguous.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The eight groups of an IPv6 address (`::` filled in, a trailing dotted quad folded in); null if invalid. */
export function parseIPv6(address: string): Hextets | null {
  const text = stripDecorations(address);
  if (isIP(text) !== 6) return null;
  let body = text;
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    const v4 = parseIPv4(body.slice(lastColon + 1));
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    // Keep a colon so "::1.2.3.4" leaves "::" to expand.
    body = body.slice(0, lastColon + 1);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const toGroups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const gap = body.indexOf('::');
  let groups: number[];
  if (gap >= 0) {
    const head = toGroups(body.slice(0, gap));
    const rest = toGroups(body.slice(gap + 2));
    const missing = 8 - tail.length - head.length - rest.length;
    if (missing < 0) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    groups = [...toGroups(body), ...tail];
  }
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff))
    return null;
  return groups;
}

/** Fully written out IPv6, e.g. "0000:0000:0000:0000:0000:0000:0000:0001"; null if invalid. */
export function expandIPv6(address: string): string | null {
  const groups = parseIPv6(address);
  return groups ? groups.map((g) => g.toString(16).padStart(4, '0')).join(':') : null;
}

function mappedIPv4(groups: Hextets): number | null {
  const isMapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  return isMapped ? ((groups[6]! << 16) | groups[7]!) >>> 0 : null;
}

/**
 * RFC 5952 text for eight groups: lower case, the longest run of two or more zero groups
 * (the first on a tie) written as "::", and IPv4-mapped addresses with a dotted quad, the
 * way inet_ntop and ss print them.
 */
export function formatIPv6(groups: Hextets): string {
  const v4 = mappedIPv4(groups);
  if (v4 !== null) return `::ffff:${formatIPv4(v4)}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * One spelling per address, for comparing addresses from different sources: brackets and
 * upper case go, and an IPv4-mapped IPv6 address (`::ffff:10.0.0.2`, also `::ffff:a00:2`)
 * becomes its IPv4 form, because that is the peer or listener it really is. An IPv6 zone id
 * is kept (`fe80::1%eth0` and `fe80::1%wlan0` are different neighbours); on IPv4 it is only
 * ss's note of a bound device and goes. Text that is not an
 * address comes back trimmed, otherwise unchanged.
 */
export function normalizeAddress(address: string): string {
  const bare = stripDecorations(address);
  const zoneAt = address.indexOf('%');
  const zone = zoneAt >= 0 ? address.slice(zoneAt).replace(/\]$/, '') : '';
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family !== 6) return address.trim();
  const groups = parseIPv6(bare);
  if (!groups) return address.trim();
  const v4 = mappedIPv4(groups);
  return v4 !== null ? formatIPv4(v4) : `${formatIPv6(groups)}${zone}`;
}

interface IPv4Range {
  base: number;
  bits: number;
  scope: AddressScope;
}

function range(base: string, bits: number, scope: AddressScope): IPv4Range {
  return { base: parseIPv4(base)!, bits, scope };
}

/** First match wins, so the exact 0.0.0.0 comes before the rest of 0/8. */
const IPV4_RANGES: readonly IPv4Range[] = [
  range('0.0.0.0', 32, 'unspecified'),
  range('0.0.0.0', 8, 'reserved'),
  range('127.0.0.0', 8, 'loopback'),
  range('169.254.0.0', 16, 'link-local'),
  range('10.0.0.0', 8, 'private'),
  range('172.16.0.0', 12, 'private'),
  range('192.168.0.0', 16, 'private'),
  range('100.64.0.0', 10, 'cgnat'),
  range('224.0.0.0', 4, 'multicast'),
  range('240.0.0.0', 4, 'reserved'),
  // TEST-NET-1/2/3 (RFC 5737) and the benchmarking block 198.18.0.0/15 (RFC 2544) are
  // reserved on paper, but they are deliberately classed 'public': the lab puts
  // 203.0.113.0/24 and 198.18.0.0/15 on veths to stand in for internet-facing interfaces,
  // and a real machine that carries one of them is misconfigured in a way that routes like a
  // public address. Calling them 'reserved' would hide exactly the exposure we look for.
  range('192.0.2.0', 24, 'public'),
  range('198.51.100.0', 24, 'public'),
  range('203.0.113.0', 24, 'public'),
  range('198.18.0.0', 15, 'public'),
];

function inRange(value: number, { base, bits }: IPv4Range): boolean {
  if (bits === 0) return true;
  const shift = 32 - bits;
  return value >>> shift === base >>> shift;
}

function classifyIPv4(value: number): AddressScope {
  return IPV4_RANGES.find((r) => inRange(value, r))?.scope ?? 'public';
}

function classifyIPv6(groups: Hextets): AddressScope {
  const v4 = mappedIPv4(groups);
  if (v4 !== null) return classifyIPv4(v4);
  const first = groups[0]!;
  if (groups.every((g) => g === 0)) return 'unspecified';
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return 'loopback';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xfe00) === 0xfc00) return 'private';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  // Everything else, 2001:db8::/32 documentation included for the same reason as TEST-NET
  // above, is treated as reachable from the internet.
  return 'public';
}

/**
 * The scope of an IPv4 or IPv6 address, given bare, bracketed, with a zone id or as an
 * IPv4-mapped IPv6 address. Throws a RangeError for text that is not an IP address, so a
 * parsing slip upstream is loud rather than silently "public" or "reserved".
 */
export function classifyAddress(address: string): AddressScope {
  const bare = stripDecorations(address);
  const family = isIP(bare);
  if (family === 4) {
    const value = parseIPv4(bare);
    if (value !== null) return classifyIPv4(value);
  } else if (family === 6) {
    const groups = parseIPv6(bare);
    if (groups) return classifyIPv6(groups);
  }
  throw new RangeError(`not an IP address: ${JSON.stringify(address)}`);
}

/** The address family (4 or 6) of an address in any of the forms classifyAddress accepts; null if none. */
export function addressFamily(address: string): 4 | 6 | null {
  const family = isIP(stripDecorations(address));
  return family === 4 || family === 6 ? family : null;
}

function scopeOrNull(address: string): AddressScope | null {
  return addressFamily(address) === null ? null : classifyAddress(address);
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms; false for text that is not an address. */
export function isLoopback(address: string): boolean {
  return scopeOrNull(address) === 'loopback';
}

/** 0.0.0.0, :: (and ::ffff:0.0.0.0): "every address" when bound; false for text that is not an address. */
export function isUnspecified(address: string): boolean {
  return scopeOrNull(address) === 'unspecified';
}
