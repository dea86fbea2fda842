/**
 * Windows TCP sockets from `Get-NetTCPConnection` (module NetTCPIP, class
 * MSFT_NetTCPConnection in root/StandardCimv2), as the `tcpConnections` PowerShell template
 * prints them: LocalAddress, LocalPort, RemoteAddress, RemotePort, State, OwningProcess →
 * `ConvertTo-Json`. The template asks for `-State Listen,Established` only; other rows are
 * skipped here all the same.
 *
 * State, per Microsoft Learn "MSFT_NetTCPConnection class" (uint8): Closed 1, Listen 2,
 * SynSent 3, SynReceived 4, Established 5, FinWait1 6, FinWait2 7, CloseWait 8, Closing 9,
 * LastAck 10, TimeWait 11, DeleteTCB 12; the cmdlet's own State enum adds Bound 100
 * (Get-NetTCPConnection's help, MicrosoftDocs/windows-powershell-docs#500). Windows
 * PowerShell 5.1 writes the number (`"State": 2`), PowerShell 7 with `-EnumsAsStrings` the
 * name (`"State": "Listen"`). A listener's RemoteAddress is `0.0.0.0` or `::` with port 0;
 * a link-local address carries its zone index (`fe80::…%12`).
 */
import type { JsonLimits, ParseProblems } from './common';
import {
  DEFAULT_JSON_LIMITS,
  ProblemLog,
  entryText,
  enumField,
  intField,
  forEachJsonObject,
  stringField,
} from './common';
import type { WindowsSocket } from './socket-row';
import { readWindowsHost, unspecified } from './socket-row';

export type TcpState =
  | 'closed'
  | 'listen'
  | 'synSent'
  | 'synReceived'
  | 'established'
  | 'finWait1'
  | 'finWait2'
  | 'closeWait'
  | 'closing'
  | 'lastAck'
  | 'timeWait'
  | 'deleteTcb'
  | 'bound';

export const TCP_STATE_BY_NUMBER: Readonly<Record<number, TcpState>> = {
  1: 'closed',
  2: 'listen',
  3: 'synSent',
  4: 'synReceived',
  5: 'established',
  6: 'finWait1',
  7: 'finWait2',
  8: 'closeWait',
  9: 'closing',
  10: 'lastAck',
  11: 'timeWait',
  12: 'deleteTcb',
  100: 'bound',
};

const TCP_STATE_BY_NAME: Readonly<Record<string, TcpState>> = Object.fromEntries(
  Object.values(TCP_STATE_BY_NUMBER).map((state) => [state.toLowerCase(), state]),
);

export interface NetTcpConnectionResult extends ParseProblems {
  sockets: WindowsSocket[];
  /** How State was written: numbers (5.1), names (7 with -EnumsAsStrings), both, or no rows. */
  stateForm: 'number' | 'name' | 'mixed' | null;
}

/** Parses the `tcpConnections` template's JSON into listeners and connections; never throws. */
export function parseNetTcpConnections(
  text: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): NetTcpConnectionResult {
  const log = new ProblemLog();
  const sockets: WindowsSocket[] = [];
  const forms = new Set<'number' | 'name'>();
  forEachJsonObject(text, log, limits, (entry, at) => {
    const state = enumField(entry, 'State', TCP_STATE_BY_NUMBER, TCP_STATE_BY_NAME);
    if (!state) {
      log.add(at, entryText(entry), 'State is not a known TCP state');
      return;
    }
    forms.add(typeof entry.State === 'number' ? 'number' : 'name');
    if (state !== 'listen' && state !== 'established') return;

    const localText = stringField(entry, 'LocalAddress', 64);
    const remoteText = stringField(entry, 'RemoteAddress', 64);
    const localPort = intField(entry, 'LocalPort');
    const remotePort = intField(entry, 'RemotePort');
    const pid = intField(entry, 'OwningProcess');
    if (
      !localText ||
      !remoteText ||
      localPort === null ||
      localPort === undefined ||
      localPort > 65_535 ||
      remotePort === null ||
      remotePort === undefined ||
      remotePort > 65_535 ||
      pid === undefined ||
      (pid !== null && pid > 0xffffffff)
    ) {
      log.add(at, entryText(entry), 'an address, port or owner is missing or not valid');
      return;
    }
    const local = readWindowsHost(localText);
    const remote = readWindowsHost(remoteText);
    if (!local || !remote) {
      log.add(at, entryText(entry), 'address is not numeric');
      return;
    }
    const listening = state === 'listen';
    sockets.push({
      state,
      family: local.family,
      localAddress: local.address,
      localPort,
      peerAddress: listening ? unspecified(local.family) : remote.address,
      peerPort: listening ? 0 : remotePort,
      dualStack: false,
      scope: local.scope,
      pid: pid === 0 ? null : pid,
    });
  });
  const stateForm = forms.size === 0 ? null : forms.size === 2 ? 'mixed' : [...forms][0]!;
  return { sockets, stateForm, ...log.result() };
}
