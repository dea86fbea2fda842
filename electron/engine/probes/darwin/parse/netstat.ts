/**
 * macOS netstat's TCP table, the fallback when lsof cannot see other users' sockets
 * (netstat reads the kernel's PCB list through sysctl and names the owning pid without root).
 *
 * Argv: `netstat -anvl -p tcp`. -a includes listeners, -n numeric, -v adds the owner columns,
 * -l prints IPv6 addresses in full (without it inet6print cuts them to 16 characters, which
 * can leave a valid but wrong address), -p tcp both IPv4 and IPv6 TCP. systeminformation runs
 * the same flags (`netstat -natvln`).
 *
 * The -v columns changed across releases; all come from Apple's network_cmds source
 * (https://github.com/apple-oss-distributions/network_cmds, netstat.tproj/inet.c and main.c):
 *   - up to macOS 14 (network_cmds-667, 2023): `(state) rhiwat shiwat pid epid state options
 *     gencnt flags flags1 usscnt rtncnt fltrs`;
 *   - macOS 15 (network_cmds-696, 2024) adds `rxbytes txbytes` after `(state)` under -v
 *     (the change that made systeminformation read rhiwat as a pid, sebhildebrandt/
 *     systeminformation#951);
 *   - macOS 26 (network_cmds-726, 2025) replaces `pid epid` with one `process:pid` column,
 *     printed `%16s:%-6u`: the name is right-aligned, may contain spaces (`Autodesk
 *     Fusion:22712` in sindresorhus/pid-port#14) and is empty when the process is gone.
 * So columns are found by the header, the pid column by name, and a `process:pid` column by
 * counting from the end of the line (eight fixed columns follow it).
 *
 * Addresses are `host.port`; `*` is the wildcard of the row's family; `tcp46` marks an IPv6
 * wildcard socket that accepts IPv4 too (printed through inetprint as `*.11434`); link-local
 * IPv6 comes with its zone (`fe80::1%lo0.11434`, inet6name decodes the KAME index).
 */
import { isIP } from 'node:net';
import type { LineLimits, ParseProblems } from './common';
import { DEFAULT_LINE_LIMITS, ProblemLog, boundedLines, portNumber, safeInt } from './common';
import type { DarwinSocket } from './socket-row';
import { readHost } from './socket-row';

export const NETSTAT_TCP_ARGV: readonly string[] = ['netstat', '-anvl', '-p', 'tcp'];

/** Which owner column the header had. */
export type NetstatOwnerFormat = 'pid' | 'process:pid';

export interface NetstatTcpResult extends ParseProblems {
  /** null: no header seen, so no row could be read. */
  format: NetstatOwnerFormat | null;
  /** The header's address columns were wide (-l): IPv6 addresses are not cut. */
  fullAddresses: boolean;
  sockets: DarwinSocket[];
}

interface Layout {
  format: NetstatOwnerFormat;
  /** Index of the owner column among a row's whitespace-separated fields. */
  ownerIndex: number;
  /** Columns after `process:pid` (the name before it may span several fields). */
  tail: number;
  fullAddresses: boolean;
}

function readHeader(line: string): Layout | null {
  const fields = line
    .replace('Local Address', 'Local_Address')
    .replace('Foreign Address', 'Foreign_Address')
    .trim()
    .split(/\s+/);
  if (fields[0] !== 'Proto' || fields[3] !== 'Local_Address' || fields[5] !== '(state)') {
    return null;
  }
  // Without -l the local address column is 22 wide and "Foreign Address" starts at 44;
  // with -l it is 45 wide and starts at 67.
  const fullAddresses = line.indexOf('Foreign Address') >= 60;
  const named = fields.indexOf('process:pid');
  if (named >= 0) {
    return {
      format: 'process:pid',
      ownerIndex: named,
      tail: fields.length - named - 1,
      fullAddresses,
    };
  }
  const pid = fields.indexOf('pid');
  if (pid >= 0) return { format: 'pid', ownerIndex: pid, tail: 0, fullAddresses };
  return null;
}

interface Endpoint {
  host: string;
  port: number;
}

/** `host.port`, port `*` meaning 0. */
function splitEndpoint(text: string): Endpoint | null {
  const dot = text.lastIndexOf('.');
  if (dot <= 0) return null;
  const portText = text.slice(dot + 1);
  const port = portText === '*' ? 0 : portNumber(portText);
  return port === null ? null : { host: text.slice(0, dot), port };
}

/** Parses `netstat -anvl -p tcp` output into TCP sockets; never throws. */
export function parseNetstatTcp(
  text: string,
  limits: LineLimits = DEFAULT_LINE_LIMITS,
): NetstatTcpResult {
  const log = new ProblemLog();
  const sockets: DarwinSocket[] = [];
  let layout: Layout | null = null;

  for (const { number, text: line } of boundedLines(text, log, limits)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('Active Internet connections')) continue;
    if (/^Some tcp sockets may have been (created|deleted)/.test(trimmed)) continue;
    if (trimmed.startsWith('Proto')) {
      layout = readHeader(line);
      if (!layout) log.add(number, line, 'header without the expected columns');
      continue;
    }
    const fields = trimmed.split(/\s+/);
    const proto = fields[0] ?? '';
    if (!/^tcp(4|6|46)?$/.test(proto)) {
      log.add(number, line, 'not a tcp row');
      continue;
    }
    if (!layout) {
      log.add(number, line, 'row before any header');
      continue;
    }
    const stateText = fields[5];
    if (stateText !== 'LISTEN' && stateText !== 'ESTABLISHED') continue;
    const state = stateText === 'LISTEN' ? 'listen' : 'established';

    let pid: number | null;
    let command: string | null = null;
    if (layout.format === 'pid') {
      pid = safeInt(fields[layout.ownerIndex] ?? '');
      if (pid === null) {
        log.add(number, line, 'pid column is not a number');
        continue;
      }
    } else {
      const last = fields.length - layout.tail - 1;
      if (last < layout.ownerIndex) {
        log.add(number, line, 'too few columns for process:pid');
        continue;
      }
      const owner = fields.slice(layout.ownerIndex, last + 1).join(' ');
      const colon = owner.lastIndexOf(':');
      pid = colon >= 0 ? safeInt(owner.slice(colon + 1)) : null;
      if (pid === null) {
        log.add(number, line, 'process:pid column without a pid');
        continue;
      }
      command = owner.slice(0, colon) || null;
    }
    if (pid === 0) pid = null; // so_last_pid 0: no process recorded for this socket

    const local = splitEndpoint(fields[3] ?? '');
    const peer = splitEndpoint(fields[4] ?? '');
    if (!local || !peer) {
      log.add(number, line, 'address is not host.port');
      continue;
    }
    const wildcardFamily = proto === 'tcp4' ? 4 : 6;
    const localHost = readHost(local.host, wildcardFamily);
    const peerHost = readHost(peer.host, localHost?.family ?? wildcardFamily);
    if (!localHost || !peerHost) {
      log.add(number, line, 'address is not numeric');
      continue;
    }
    const limit = layout.fullAddresses ? 39 : 16;
    const cut = [local.host, peer.host].some(
      (host) =>
        isIP(host) !== 4 && host.length === limit && (!layout?.fullAddresses || host.includes('%')),
    );
    if (cut) {
      log.add(number, line, 'IPv6 address may be cut short (netstat needs -l)');
      continue;
    }
    sockets.push({
      state,
      family: localHost.family,
      localAddress: localHost.address,
      localPort: local.port,
      peerAddress: peerHost.wildcard
        ? localHost.family === 4
          ? '0.0.0.0'
          : '::'
        : peerHost.address,
      peerPort: peer.port,
      dualStack: proto === 'tcp46' && localHost.wildcard,
      scope: localHost.scope,
      pid,
      command,
      uid: null,
      fd: null,
    });
  }
  return {
    format: layout?.format ?? null,
    fullAddresses: layout?.fullAddresses ?? false,
    sockets,
    ...log.result(),
  };
}
