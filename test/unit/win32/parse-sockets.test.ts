import { describe, expect, it } from 'vitest';
import type { WindowsSocket } from '../../../electron/engine/probes/win32/parse';
import {
  NETSTAT_ANO_ARGV,
  parseNetTcpConnections,
  parseNetstatAno,
  readWindowsHost,
} from '../../../electron/engine/probes/win32/parse';
import { fixtureOutput } from '../../support/fixture-file';

/** A fixture's tool output: its `#fixture:` header lines are dropped. */
const fixture = (name: string): string => fixtureOutput('win32', name);

const listeners = (sockets: readonly WindowsSocket[], port: number) =>
  sockets
    .filter((s) => s.state === 'listen' && s.localPort === port)
    .map((s) => `${s.localAddress}|${s.family}|${s.pid}`)
    .sort();

const connections = (sockets: readonly WindowsSocket[], port: number) =>
  sockets
    .filter((s) => s.state === 'established' && s.localPort === port)
    .map((s) => `${s.localAddress}:${s.localPort}<-${s.peerAddress}:${s.peerPort} pid ${s.pid}`)
    .sort();

describe('Get-NetTCPConnection as the tcpConnections template prints it (5.1, numbers)', () => {
  const result = parseNetTcpConnections(fixture('tcp/get-nettcpconnection-template-win11.txt'));

  it('reads every row, State as numbers', () => {
    expect(result.unparsed).toEqual([]);
    expect(result.stateForm).toBe('number');
    expect(result.sockets).toHaveLength(16);
  });

  it("sees Ollama's server listening on 0.0.0.0:11434 and [::]:11434, both owned by pid 5120", () => {
    expect(listeners(result.sockets, 11434)).toEqual(['0.0.0.0|4|5120', '::|6|5120']);
    const v4 = result.sockets.find((s) => s.localAddress === '0.0.0.0' && s.localPort === 11434);
    expect(v4).toEqual({
      state: 'listen',
      family: 4,
      localAddress: '0.0.0.0',
      localPort: 11434,
      peerAddress: '0.0.0.0',
      peerPort: 0,
      dualStack: false,
      scope: null,
      pid: 5120,
    });
  });

  it('sees a LAN client and a local one connected to it', () => {
    expect(connections(result.sockets, 11434)).toEqual([
      '192.168.1.20:11434<-192.168.1.31:53000 pid 5120',
      '::1:11434<-::1:53710 pid 5120',
    ]);
  });

  it('keeps loopback-only servers and the link-local zone index', () => {
    expect(listeners(result.sockets, 1234)).toEqual(['127.0.0.1|4|6220']);
    expect(listeners(result.sockets, 8080)).toEqual(['0.0.0.0|4|7344']);
    const linkLocal = result.sockets.find((s) => s.localPort === 7680);
    expect(linkLocal).toMatchObject({ localAddress: 'fe80::3c1a:8b2f:e4d1:9a07', scope: '12' });
  });
});

describe('Get-NetTCPConnection in PowerShell 7 with -EnumsAsStrings', () => {
  const result = parseNetTcpConnections(
    fixture('tcp/get-nettcpconnection-ps7-enums-as-strings.txt'),
  );

  it('reads State by name and skips TimeWait and Bound rows without complaint', () => {
    expect(result.unparsed).toEqual([]);
    expect(result.stateForm).toBe('name');
    expect(result.sockets).toHaveLength(4);
    expect(listeners(result.sockets, 11434)).toEqual(['0.0.0.0|4|4188', '::|6|4188']);
    expect(connections(result.sockets, 11434)).toEqual([
      '10.0.0.15:11434<-10.0.0.77:61022 pid 4188',
    ]);
    expect(result.sockets.some((s) => s.localPort === 5040 || s.localPort === 61990)).toBe(false);
  });

  it('reads numbers and names mixed, and string digits', () => {
    const mixed = parseNetTcpConnections(
      JSON.stringify([
        {
          LocalAddress: '::',
          LocalPort: 1,
          RemoteAddress: '::',
          RemotePort: 0,
          State: 2,
          OwningProcess: 9,
        },
        {
          LocalAddress: '::',
          LocalPort: 2,
          RemoteAddress: '::',
          RemotePort: 0,
          State: 'listen',
          OwningProcess: '0',
        },
      ]),
    );
    expect(mixed.stateForm).toBe('mixed');
    expect(mixed.sockets.map((s) => [s.localPort, s.pid])).toEqual([
      [1, 9],
      [2, null],
    ]);
  });

  it('keeps rows it cannot read as unparsed', () => {
    const bad = parseNetTcpConnections(
      JSON.stringify([
        {
          LocalAddress: '::',
          LocalPort: 1,
          RemoteAddress: '::',
          RemotePort: 0,
          State: 99,
          OwningProcess: 1,
        },
        {
          LocalAddress: 'localhost',
          LocalPort: 1,
          RemoteAddress: '::',
          RemotePort: 0,
          State: 2,
          OwningProcess: 1,
        },
        {
          LocalAddress: '::',
          LocalPort: 70000,
          RemoteAddress: '::',
          RemotePort: 0,
          State: 2,
          OwningProcess: 1,
        },
        {
          LocalAddress: '::',
          LocalPort: 1,
          RemoteAddress: '::',
          RemotePort: 0,
          State: 2,
          OwningProcess: 'x',
        },
        {
          LocalAddress: 'fe80::1%$(calc)',
          LocalPort: 1,
          RemoteAddress: '::',
          RemotePort: 0,
          State: 2,
          OwningProcess: 1,
        },
      ]),
    );
    expect(bad.sockets).toEqual([]);
    expect(bad.unparsedTotal).toBe(5);
  });
});

describe('netstat -ano in English', () => {
  const result = parseNetstatAno(fixture('netstat/netstat-ano-en-win11.txt'));

  it('runs netstat by its full path with -ano and no -p (both families in one run)', () => {
    expect(NETSTAT_ANO_ARGV).toEqual(['C:\\Windows\\System32\\NETSTAT.EXE', '-ano']);
  });

  it('reads every row; UDP, TIME_WAIT and CLOSE_WAIT are no sockets of ours', () => {
    expect(result.unparsed).toEqual([]);
    expect(result.localised).toBe(false);
    expect(result.sockets).toHaveLength(13);
  });

  it("sees Ollama's dual listener as two rows, 0.0.0.0 and [::], pid 5120, and its clients", () => {
    expect(listeners(result.sockets, 11434)).toEqual(['0.0.0.0|4|5120', '::|6|5120']);
    expect(connections(result.sockets, 11434)).toEqual([
      '192.168.1.20:11434<-192.168.1.31:53000 pid 5120',
      '::1:11434<-::1:53710 pid 5120',
    ]);
    const linkLocal = result.sockets.find((s) => s.localPort === 7680);
    expect(linkLocal).toMatchObject({
      state: 'listen',
      family: 6,
      localAddress: 'fe80::3c1a:8b2f:e4d1:9a07',
      scope: '12',
      pid: 3288,
    });
  });

  it('reads the same sockets as Get-NetTCPConnection on the same machine', () => {
    const cmdlet = parseNetTcpConnections(fixture('tcp/get-nettcpconnection-template-win11.txt'));
    const key = (s: WindowsSocket) =>
      `${s.state} ${s.localAddress}:${s.localPort} ${s.peerAddress}:${s.peerPort} ${s.pid}`;
    const fromCmdlet = new Set(cmdlet.sockets.map(key));
    // netstat's sample has no outbound GitHub row on IPv6 and no 49664/8080 listener; every
    // row it does have is one Get-NetTCPConnection reported too.
    for (const socket of result.sockets) expect(fromCmdlet.has(key(socket))).toBe(true);
  });
});

describe('netstat -ano in German', () => {
  const result = parseNetstatAno(fixture('netstat/netstat-ano-de-win10.txt'));

  it('reads ABHÖREN as listening and HERGESTELLT as established; WARTEND and SCHLIESSEN_WARTEN are neither', () => {
    expect(result.unparsed).toEqual([]);
    expect(result.localised).toBe(true);
    expect(result.unknownStateWords).toEqual([]);
    const english = parseNetstatAno(fixture('netstat/netstat-ano-en-win11.txt'));
    expect(result.sockets).toEqual(english.sockets);
  });

  it("sees Ollama on 0.0.0.0:11434 and [::]:11434 and the LAN client, as a German user's machine shows it", () => {
    expect(listeners(result.sockets, 11434)).toEqual(['0.0.0.0|4|5120', '::|6|5120']);
    expect(connections(result.sockets, 11434)).toContain(
      '192.168.1.20:11434<-192.168.1.31:53000 pid 5120',
    );
  });

  it('still finds listeners when the Ö was lost to the wrong code page, and keeps an unknown word unparsed', () => {
    const mangled = parseNetstatAno(fixture('netstat/netstat-ano-de-misdecoded.txt'));
    expect(listeners(mangled.sockets, 11434)).toEqual(['0.0.0.0|4|5120', '::|6|5120']);
    expect(listeners(mangled.sockets, 1234)).toEqual(['127.0.0.1|4|6220']);
    expect(connections(mangled.sockets, 11434)).toEqual([
      '192.168.1.20:11434<-192.168.1.31:53000 pid 5120',
    ]);
    expect(mangled.unknownStateWords).toEqual(['SYN_GESENDET']);
    expect(mangled.unparsed).toHaveLength(1);
    expect(mangled.unparsed[0]!.reason).toMatch(/SYN_GESENDET/);
  });

  it('reads a listener in a language it does not know by its foreign endpoint alone', () => {
    const french = parseNetstatAno(
      [
        '',
        'Connexions actives',
        '',
        '  Proto  Adresse locale         Adresse distante       État           PID',
        '  TCP    0.0.0.0:11434          0.0.0.0:0              ÉCOUTE          5120',
        '  TCP    [::]:11434             [::]:0                 ÉCOUTE          5120',
        '  TCP    192.168.1.20:11434     192.168.1.31:53000     ÉTABLIE         5120',
      ].join('\r\n'),
    );
    expect(listeners(french.sockets, 11434)).toEqual(['0.0.0.0|4|5120', '::|6|5120']);
    // An unknown word on a connection could be TIME_WAIT as well: not guessed.
    expect(connections(french.sockets, 11434)).toEqual([]);
    expect(french.unparsedTotal).toBe(1);
    expect(french.unknownStateWords).toEqual(['ÉCOUTE', 'ÉTABLIE']);
  });
});

describe('netstat rows that are not what netstat prints', () => {
  it('keeps them as unparsed and never throws', () => {
    const result = parseNetstatAno(
      [
        'Active Connections',
        '  Proto  Local Address          Foreign Address        State           PID',
        '  TCP    0.0.0.0:11434          0.0.0.0:0              LISTENING       5120',
        '  TCP    0.0.0.0:11434          0.0.0.0:0              LISTENING       pid',
        '  TCP    0.0.0.0                0.0.0.0:0              LISTENING       1',
        '  TCP    [::1:80                [::]:0                 LISTENING       1',
        '  TCP    1.2.3.4:99999          0.0.0.0:0              LISTENING       1',
        '  TCP    0.0.0.0:80             1.2.3.4:5              LISTENING       1',
        '  TCP    0.0.0.0:80',
        'Some trailing text',
      ].join('\n'),
    );
    expect(result.sockets).toHaveLength(1);
    expect(result.unparsedTotal).toBe(7);
  });
});

describe('readWindowsHost', () => {
  it('reads Windows addresses and refuses names and odd zones', () => {
    expect(readWindowsHost('0.0.0.0')).toEqual({ address: '0.0.0.0', family: 4, scope: null });
    expect(readWindowsHost('FE80::0001%12')).toEqual({
      address: 'fe80::1',
      family: 6,
      scope: '12',
    });
    expect(readWindowsHost('::ffff:192.168.1.31')).toEqual({
      address: '::ffff:192.168.1.31',
      family: 6,
      scope: null,
    });
    expect(readWindowsHost('localhost')).toBeNull();
    expect(readWindowsHost('fe80::1%a b')).toBeNull();
    expect(readWindowsHost('1'.repeat(100))).toBeNull();
  });
});
