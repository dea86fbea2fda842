/**
 * Windows `netstat -ano`, the fallback when Get-NetTCPConnection cannot be asked (no
 * PowerShell, the NetTCPIP module missing, a policy that blocks it).
 *
 * Argv: `netstat.exe -ano`. -a all connections and listening ports, -n numeric, -o the owning
 * pid. No `-p`: `-p TCP` would list IPv4 only (`-p TCPv6` is the other half), so both tables
 * come from one run and UDP rows are skipped here. The layout (Microsoft Learn, "netstat",
 * windows-commands) is a title, a header and one row per socket:
 *
 *     Active Connections
 *
 *       Proto  Local Address          Foreign Address        State           PID
 *       TCP    0.0.0.0:11434          0.0.0.0:0              LISTENING       5120
 *       TCP    [::]:11434             [::]:0                 LISTENING       5120
 *       UDP    0.0.0.0:5353           *:*                                    2400
 *
 * netstat translates the title, the header and the state word into the language of Windows.
 * German prints `Aktive Verbindungen`, `Proto  Lokale Adresse  Remoteadresse  Status  PID`,
 * `ABHÖREN` for LISTENING and `HERGESTELLT` for ESTABLISHED (raycast/extensions#30682,
 * ConSol-Monitoring/snclient#360), `WARTEND` for TIME_WAIT and `SCHLIESSEN_WARTEN` for
 * CLOSE_WAIT (seen in public tests of German output). It writes in the console's OEM code
 * page: `Ö` is byte 0x99 in code page 850 (hanlulong/stata-mcp#64), which a reader that
 * assumes UTF-8 turns into U+FFFD and others into `?` (`ABH?REN`,
 * AGI-is-going-to-arrive/Antigravity-Context-Window-Monitor#64). So:
 *   - rows are found by shape (`TCP`, two endpoints, a state, a pid), never by the header;
 *   - a listener is also known by its foreign endpoint `0.0.0.0:0` or `[::]:0`, which no
 *     language changes and which only listening rows have (netstat shows bound-only sockets
 *     with -q alone);
 *   - the state words known in English and German are read, `ABH?REN` with any one character
 *     (or `OE`) in place of the Ö; any other word on a row that is not a listener cannot be
 *     told apart from TIME_WAIT, so the row is kept as unparsed, with the word.
 * Windows lists the IPv4 and IPv6 side of a dual-stack listener as two rows (see
 * socket-row.ts). Link-local rows carry the interface index: `[fe80::1c2d:3e4f:5a6b:7c8d%12]:139`.
 */
import type { LineLimits, ParseProblems } from './common';
import { DEFAULT_LINE_LIMITS, ProblemLog, boundedLines, portNumber, safeInt } from './common';
import type { HostPart, WindowsSocket } from './socket-row';
import { readWindowsHost, unspecified } from './socket-row';

export const NETSTAT_EXE = 'C:\\Windows\\System32\\NETSTAT.EXE';
export const NETSTAT_ANO_ARGV: readonly string[] = [NETSTAT_EXE, '-ano'];

type StateWord = 'listen' | 'established' | 'other';

/** netstat's English state words. */
const ENGLISH_STATE_WORDS: Readonly<Record<string, StateWord>> = {
  LISTENING: 'listen',
  ESTABLISHED: 'established',
  TIME_WAIT: 'other',
  CLOSE_WAIT: 'other',
  FIN_WAIT_1: 'other',
  FIN_WAIT_2: 'other',
  SYN_SENT: 'other',
  SYN_RECEIVED: 'other',
  LAST_ACK: 'other',
  CLOSING: 'other',
  CLOSED: 'other',
  BOUND: 'other',
  DELETE_TCB: 'other',
};

/** German state words seen in public output (upper case); the rest of German is not known. */
const GERMAN_STATE_WORDS: Readonly<Record<string, StateWord>> = {
  ABHÖREN: 'listen',
  ABHOEREN: 'listen',
  HERGESTELLT: 'established',
  WARTEND: 'other',
  SCHLIESSEN_WARTEN: 'other',
};

const STATE_WORDS: Readonly<Record<string, StateWord>> = {
  ...ENGLISH_STATE_WORDS,
  ...GERMAN_STATE_WORDS,
};

function readStateWord(word: string): StateWord | null {
  const upper = word.toUpperCase();
  if (Object.prototype.hasOwnProperty.call(STATE_WORDS, upper)) return STATE_WORDS[upper]!;
  // ABHÖREN read in the wrong code page: the Ö became one other character.
  if (/^ABH.REN$/u.test(upper)) return 'listen';
  return null;
}

interface Endpoint {
  host: HostPart;
  port: number;
}

/** `1.2.3.4:80`, `[::1]:80`, `[fe80::1%12]:80`. */
function readEndpoint(text: string): Endpoint | null {
  let hostText: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']:');
    if (close < 0) return null;
    hostText = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return null;
    hostText = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (hostText.includes(':')) return null;
  }
  const port = portNumber(portText);
  const host = readWindowsHost(hostText);
  return port === null || host === null ? null : { host, port };
}

function isWildcard(endpoint: Endpoint): boolean {
  return endpoint.port === 0 && endpoint.host.address === unspecified(endpoint.host.family);
}

export interface NetstatResult extends ParseProblems {
  sockets: WindowsSocket[];
  /** A state word that is not English was read (German so far). */
  localised: boolean;
  /** State words seen that are not known (at most 16): the language to add next. */
  unknownStateWords: string[];
}

/** Parses `netstat -ano` output into TCP listeners and connections; never throws. */
export function parseNetstatAno(
  text: string,
  limits: LineLimits = DEFAULT_LINE_LIMITS,
): NetstatResult {
  const log = new ProblemLog();
  const sockets: WindowsSocket[] = [];
  const unknown = new Set<string>();
  let localised = false;
  let rowsSeen = false;
  let preamble = 0;

  for (const { number, text: line } of boundedLines(text, log, limits)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.length > 512) {
      log.add(number, line, 'too long for a netstat row');
      continue;
    }
    const fields = trimmed.split(/\s+/);
    const proto = fields[0]!.toUpperCase();
    if (proto === 'UDP') {
      rowsSeen = true;
      continue;
    }
    if (proto !== 'TCP') {
      // The title and the header, in whatever language, come before the first row.
      if (!rowsSeen && preamble < 4) preamble += 1;
      else log.add(number, line, 'not a TCP or UDP row');
      continue;
    }
    rowsSeen = true;
    if (fields.length < 5) {
      log.add(number, line, 'TCP row without state and pid');
      continue;
    }
    const pid = safeInt(fields[fields.length - 1]!);
    const local = readEndpoint(fields[1]!);
    const foreign = readEndpoint(fields[2]!);
    const word = fields.slice(3, -1).join(' ');
    if (pid === null || pid > 0xffffffff) {
      log.add(number, line, 'pid column is not a number');
      continue;
    }
    if (!local || !foreign) {
      log.add(number, line, 'address is not host:port');
      continue;
    }
    const known = readStateWord(word);
    if (
      known !== null &&
      !Object.prototype.hasOwnProperty.call(ENGLISH_STATE_WORDS, word.toUpperCase())
    )
      localised = true;
    if (known === null && unknown.size < 16) unknown.add(word.slice(0, 40));
    let state: 'listen' | 'established';
    if (known === 'listen' || (known === null && isWildcard(foreign))) {
      state = 'listen';
    } else if (known === 'established') {
      state = 'established';
    } else if (known === 'other') {
      continue;
    } else {
      log.add(
        number,
        line,
        `state "${word.slice(0, 40)}" not known: cannot tell a connection from a closing one`,
      );
      continue;
    }
    if (known === 'listen' && !isWildcard(foreign)) {
      log.add(number, line, 'listening row with a foreign endpoint');
      continue;
    }
    sockets.push({
      state,
      family: local.host.family,
      localAddress: local.host.address,
      localPort: local.port,
      peerAddress: state === 'listen' ? unspecified(local.host.family) : foreign.host.address,
      peerPort: state === 'listen' ? 0 : foreign.port,
      dualStack: false,
      scope: local.host.scope,
      pid: pid === 0 ? null : pid,
    });
  }
  return { sockets, localised, unknownStateWords: [...unknown], ...log.result() };
}
