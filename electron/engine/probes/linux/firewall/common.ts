/**
 * Small helpers shared by the firewall parsers: recorded-output headers, port lists,
 * protocol names, text limits. Pure functions on untrusted text.
 */
import type { PortRange } from '../../../../../shared/firewall';

/** Longest rule text kept for display; a hostile ruleset cannot blow up the snapshot. */
export const MAX_TEXT = 400;

export function clip(text: string, max = MAX_TEXT): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Drops leading lines that start with "#" before the first line of real output. Recorded
 * fixtures carry such a header (OS and tool version); nft JSON never starts with "#".
 */
export function stripLeadingComments(text: string): string {
  let rest = text;
  while (/^[ \t]*#/.test(rest)) {
    const newline = rest.indexOf('\n');
    rest = newline < 0 ? '' : rest.slice(newline + 1);
  }
  return rest;
}

const PROTOCOL_NUMBERS: Record<string, string> = {
  '1': 'icmp',
  '2': 'igmp',
  '6': 'tcp',
  '17': 'udp',
  '33': 'dccp',
  '41': 'ipv6',
  '47': 'gre',
  '50': 'esp',
  '51': 'ah',
  '58': 'ipv6-icmp',
  '132': 'sctp',
  '136': 'udplite',
};

/** Lower-case protocol name; numbers of the common ones become names ("6" → "tcp"). */
export function normalizeProtocol(value: string | number): string {
  const text = String(value).trim().toLowerCase();
  if (text === 'icmpv6') return 'ipv6-icmp';
  // Own keys only: "__proto__" or "constructor" must not come back as Object's own members.
  return Object.hasOwn(PROTOCOL_NUMBERS, text) ? PROTOCOL_NUMBERS[text]! : text;
}

/** "22", "8000:8100", "8000-8100" → [lo, hi]; null when not a valid port or range. */
export function parsePortRange(text: string): PortRange | null {
  const match = /^(\d{1,5})(?:[:-](\d{1,5}))?$/.exec(text.trim());
  if (!match) return null;
  const lo = Number(match[1]);
  const hi = match[2] === undefined ? lo : Number(match[2]);
  if (lo > 65_535 || hi > 65_535 || hi < lo) return null;
  return [lo, hi];
}

/** "22,80,8000:8100" → ranges; null when any item is not a port or range. */
export function parsePortList(text: string): PortRange[] | null {
  const out: PortRange[] = [];
  for (const part of text.split(',')) {
    const range = parsePortRange(part);
    if (!range) return null;
    out.push(range);
  }
  return out.length > 0 ? out : null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
