/**
 * OLLAMA_HOST turned into the address `ollama serve` listens on, exactly as Ollama's
 * envconfig.Host() does (ollama-facts.md, "OLLAMA_HOST: how Ollama turns it into a listen
 * address"). One function, so the settings view, the exposure verdict and the fixes agree.
 */
import { isIP } from 'node:net';
import type { BindSpec } from '../../../shared/snapshot';
import { isLoopback, isUnspecified, normalizeAddress } from '../net/address';

export const DEFAULT_OLLAMA_PORT = 11434;

// Go's unicode.IsSpace, which strings.TrimSpace uses; JavaScript's trim() differs (U+FEFF).
const GO_SPACE =
  '\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

function trimSet(value: string, set: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && set.includes(value.charAt(start))) start++;
  while (end > start && set.includes(value.charAt(end - 1))) end--;
  return value.slice(start, end);
}

/** Go's strings.TrimSpace. */
export function goTrimSpace(value: string): string {
  return trimSet(value, GO_SPACE);
}

/**
 * Ollama's envconfig.Var(): strings.Trim(strings.TrimSpace(v), "\"'"). Spaces inside the
 * quotes survive this step (ollama-facts.md: "Quotes and spaces around the value are stripped").
 */
export function ollamaTrim(value: string): string {
  return trimSet(goTrimSpace(value), `"'`);
}

/** Go's net.SplitHostPort; null where Go returns an error. */
function splitHostPort(hostport: string): { host: string; port: string } | null {
  const last = hostport.lastIndexOf(':');
  if (last < 0) return null; // "missing port in address"
  let host: string;
  let from = 0; // no '[' may follow this, and no ']' may follow `to`
  let to = 0;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    // "missing ']'", "missing port", or "too many colons": the ']' must come just before the last ':'.
    if (end < 0 || end + 1 !== last) return null;
    host = hostport.slice(1, end);
    from = 1;
    to = end + 1;
  } else {
    host = hostport.slice(0, last);
    if (host.includes(':')) return null; // "too many colons in address"
  }
  if (hostport.indexOf('[', from) >= 0 || hostport.indexOf(']', to) >= 0) return null;
  return { host, port: hostport.slice(last + 1) };
}

/**
 * An IP address in the one spelling Go's net.IP.String() gives it (`0:0:0:0:0:0:0:0` and
 * `0::` are `::`, `::ffff:0.0.0.0` is `0.0.0.0`), through net/address.ts; an IPv6 zone
 * (`::%eth0`), which net.Listen accepts, is kept. Null when the text is not an IP address.
 */
function canonicalIp(text: string): string | null {
  const zoneAt = text.indexOf('%');
  const bare = zoneAt >= 0 ? text.slice(0, zoneAt) : text;
  const family = isIP(bare);
  if (family === 0) return null;
  // Zones are for IPv6 only, and a zone has a name. A bracket in it is left over from
  // "[::%eth0]" kept whole, which net.Listen cannot split (fails to start).
  if (zoneAt >= 0 && (family !== 6 || zoneAt === text.length - 1 || /[[\]]/.test(text)))
    return null;
  return normalizeAddress(text);
}

/** Host text that is not an IP literal but that the resolver still reads as loopback. */
function isLoopbackName(host: string): boolean {
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Empty (Go binds every address), or a zero address the resolver reads as 0.0.0.0 ("00.0.0.0"). */
function isUnspecifiedName(host: string): boolean {
  return host === '' || /^0+(\.0+){3}$/.test(host);
}

/**
 * Parses a raw OLLAMA_HOST value (undefined when the variable is unset) into the bind Ollama
 * would use. `notes` says in plain words anything surprising Ollama did with the value.
 */
export function parseOllamaHost(raw: string | undefined): BindSpec {
  const notes: string[] = [];
  // envconfig.Host() trims spaces once more after Var(): `" 0.0.0.0 "` still means 0.0.0.0.
  const value = goTrimSpace(ollamaTrim(raw ?? ''));
  if (raw !== undefined && value !== raw)
    notes.push('quotes or spaces around the value are ignored by Ollama');
  let defaultPort = String(DEFAULT_OLLAMA_PORT);
  let scheme: 'http' | 'https' = 'http';
  let hostport = value;
  const schemeEnd = value.indexOf('://');
  if (schemeEnd < 0) {
    if (value === 'ollama.com') {
      scheme = 'https';
      hostport = 'ollama.com:443';
      notes.push('"ollama.com" is a client setting; a server cannot listen on it');
    }
  } else {
    const given = value.slice(0, schemeEnd);
    hostport = value.slice(schemeEnd + 3);
    if (given === 'http') defaultPort = '80';
    else if (given === 'https') {
      scheme = 'https';
      defaultPort = '443';
    }
  }
  const slash = hostport.indexOf('/');
  if (slash >= 0) {
    notes.push(`the path "${hostport.slice(slash)}" does not change where Ollama listens`);
    hostport = hostport.slice(0, slash);
  }
  let host: string;
  let port: string;
  const split = splitHostPort(hostport);
  if (split) {
    ({ host, port } = split);
  } else {
    port = defaultPort;
    // net.ParseIP(strings.Trim(hostport, "[]")): every '[' and ']' at either end goes. Go's
    // ParseIP takes no zone, so "::%eth0" stays as written here; net.Listen reads it later.
    const trimmed = trimSet(hostport, '[]');
    const ip = trimmed.includes('%') ? null : canonicalIp(trimmed);
    host = ip ?? (hostport !== '' ? hostport : '127.0.0.1');
    if (defaultPort === '80' && value !== '')
      notes.push('http:// with no port means port 80, not 11434');
    if (defaultPort === '443')
      notes.push('https:// with no port means port 443 (Ollama never serves TLS itself)');
  }
  const portNumber = /^[+-]?\d+$/.test(port) ? Number(port) : NaN;
  let finalPort: number;
  if (Number.isInteger(portNumber) && portNumber >= 0 && portNumber <= 65535) {
    finalPort = portNumber;
  } else {
    finalPort = Number(defaultPort);
    notes.push(`invalid port "${port}": Ollama falls back to ${defaultPort}`);
  }
  // What net.Listen makes of the host: an IP literal (a zone allowed) or a name to resolve.
  const ip = canonicalIp(host);
  const ipHost = ip ?? host;
  const reach =
    ip !== null
      ? isUnspecified(ip)
        ? 'all'
        : isLoopback(ip)
          ? 'loopback'
          : 'specific'
      : isUnspecifiedName(host)
        ? 'all'
        : isLoopbackName(host)
          ? 'loopback'
          : 'specific';
  if (reach === 'all') notes.push('listens on every interface, IPv4 and IPv6');
  return { host: ipHost, port: finalPort, scheme, reach, notes };
}
