/**
 * lsof's field output for TCP sockets on macOS.
 *
 * Argv: `lsof -nP -iTCP -sTCP:LISTEN,ESTABLISHED -F pcuftTn`. -n/-P: numeric hosts and ports
 * (no DNS, no /etc/services); -iTCP with -sTCP:… selects TCP sockets in those states; -F
 * selects field output, documented in lsof(8) "OUTPUT FOR OTHER PROGRAMS"
 * (https://github.com/lsof-org/lsof/blob/master/Lsof.8): every field is one line, its first
 * character names it, the value follows to the end of the line. A process set starts at a
 * `p` (pid) line and holds `c` (command: "all characters from proc or user structure", so
 * `LM Studio` keeps its space) and `u` (uid); a file set starts at an `f` (descriptor) line
 * and holds `t` (type, `IPv4`/`IPv6`), `n` (name: `127.0.0.1:11434`, `*:11434`,
 * `[::1]:11434`, `127.0.0.1:11434->127.0.0.1:52100`) and one `T` line per TCP item
 * (`TST=LISTEN`, `TQR=0`, `TQS=0`). lsof escapes unprintable characters (safestrprt), so a
 * command name cannot break a line. Field output means no column parsing: names with spaces
 * are safe.
 *
 * Without root lsof on macOS lists only the caller's own processes; the probe says so, the
 * parser cannot know.
 */
import type { LineLimits, ParseProblems } from './common';
import { DEFAULT_LINE_LIMITS, ProblemLog, boundedLines, portNumber, safeInt } from './common';
import type { DarwinSocket } from './socket-row';
import { readHost } from './socket-row';

export const LSOF_TCP_ARGV: readonly string[] = [
  'lsof',
  '-nP',
  '-iTCP',
  '-sTCP:LISTEN,ESTABLISHED',
  '-F',
  'pcuftTn',
];

export interface LsofTcpResult extends ParseProblems {
  sockets: DarwinSocket[];
}

interface ProcessSet {
  pid: number;
  command: string | null;
  uid: number | null;
}

interface FileSet {
  line: number;
  fd: number | null;
  type: string | null;
  name: string | null;
  state: string | null;
}

/** Field identifiers lsof(8) lists; any other first character is not lsof field output. */
const KNOWN_FIELDS = new Set('acCdDfFGgiKklLmMnNopPrRsStTuzZ0123456789'.split(''));

interface Endpoint {
  host: string;
  port: number;
}

/** `host:port`, `[v6]:port`, port `*` meaning 0. */
function splitEndpoint(text: string): Endpoint | null {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return null;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return null;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return null; // an unbracketed IPv6 address is not lsof's form
  }
  const port = portText === '*' ? 0 : portNumber(portText);
  return port === null ? null : { host, port };
}

function toSocket(
  process: ProcessSet,
  file: FileSet,
  log: ProblemLog,
): DarwinSocket | null | 'skip' {
  const where = `${file.name ?? ''}`;
  if (file.name === null) return 'skip';
  if (file.type !== 'IPv4' && file.type !== 'IPv6') {
    log.add(file.line, where, `socket type ${file.type ?? 'missing'}, not IPv4/IPv6`);
    return null;
  }
  let state: DarwinSocket['state'];
  if (file.state === 'LISTEN') state = 'listen';
  else if (file.state === 'ESTABLISHED') state = 'established';
  else if (file.state === null) {
    log.add(file.line, where, 'no TCP state (TST=) for this socket');
    return null;
  } else return 'skip'; // another state slipped past -sTCP: not asked for, not an error
  const arrow = file.name.indexOf('->');
  const localText = arrow >= 0 ? file.name.slice(0, arrow) : file.name;
  const peerText = arrow >= 0 ? file.name.slice(arrow + 2) : null;
  const socketFamily = file.type === 'IPv4' ? 4 : 6;
  const local = splitEndpoint(localText);
  const localHost = local ? readHost(local.host, socketFamily) : null;
  if (!local || !localHost) {
    log.add(file.line, where, 'local address is not numeric host:port');
    return null;
  }
  let peerAddress = localHost.family === 4 ? '0.0.0.0' : '::';
  let peerPort = 0;
  if (peerText !== null) {
    const peer = splitEndpoint(peerText);
    const peerHost = peer ? readHost(peer.host, localHost.family) : null;
    if (!peer || !peerHost) {
      log.add(file.line, where, 'peer address is not numeric host:port');
      return null;
    }
    peerAddress = peerHost.address;
    peerPort = peer.port;
  }
  return {
    state,
    family: localHost.family,
    localAddress: localHost.address,
    localPort: local.port,
    peerAddress,
    peerPort,
    // lsof prints `*` for an IPv6 wildcard whether or not it is v6-only: unknown.
    dualStack: localHost.wildcard && socketFamily === 6 ? null : false,
    scope: localHost.scope,
    pid: process.pid,
    command: process.command,
    uid: process.uid,
    fd: file.fd,
  };
}

/** Parses `lsof -F pcuftTn` output into TCP sockets; never throws. */
export function parseLsofTcp(
  text: string,
  limits: LineLimits = DEFAULT_LINE_LIMITS,
): LsofTcpResult {
  const log = new ProblemLog();
  const sockets: DarwinSocket[] = [];
  let process: ProcessSet | null = null;
  let file: FileSet | null = null;

  const finishFile = () => {
    if (process && file) {
      const socket = toSocket(process, file, log);
      if (socket && socket !== 'skip') sockets.push(socket);
    }
    file = null;
  };

  for (const { number, text: line } of boundedLines(text, log, limits)) {
    if (line === '') continue;
    const field = line[0] ?? '';
    const value = line.slice(1);
    if (!KNOWN_FIELDS.has(field)) {
      log.add(number, line, 'not an lsof field line');
      continue;
    }
    if (field === 'p') {
      finishFile();
      const pid = safeInt(value);
      if (pid === null) {
        log.add(number, line, 'pid is not a number');
        process = null;
        continue;
      }
      process = { pid, command: null, uid: null };
      continue;
    }
    if (!process) {
      log.add(number, line, 'field outside a process set');
      continue;
    }
    if (field === 'f') {
      finishFile();
      file = { line: number, fd: safeInt(value), type: null, name: null, state: null };
      continue;
    }
    if (!file) {
      if (field === 'c') process.command = value;
      else if (field === 'u') {
        process.uid = safeInt(value);
        if (process.uid === null) log.add(number, line, 'uid is not a number');
      }
      // g, R, L and the like belong to the process set too; nothing here needs them.
      continue;
    }
    if (field === 't') file.type = value;
    else if (field === 'n') file.name = value;
    else if (field === 'T' && value.startsWith('ST=')) file.state = value.slice(3);
  }
  finishFile();
  return { sockets, ...log.result() };
}
