import { describe, expect, it } from 'vitest';
import type { DarwinSocket } from '../../../electron/engine/probes/darwin/parse';
import {
  LSOF_TCP_ARGV,
  NETSTAT_TCP_ARGV,
  parseLsofTcp,
  parseNetstatTcp,
  readHost,
  resolveDualStack,
} from '../../../electron/engine/probes/darwin/parse';
import { fixtureOutput } from '../../support/fixture-file';

/** A fixture's tool output: its `#fixture:` header lines are dropped. */
const fixture = (name: string): string => fixtureOutput('darwin', name);

const find = (
  sockets: readonly DarwinSocket[],
  state: DarwinSocket['state'],
  localPort: number,
  peerPort = 0,
): DarwinSocket => {
  const found = sockets.find(
    (s) => s.state === state && s.localPort === localPort && s.peerPort === peerPort,
  );
  if (!found) throw new Error(`no ${state} socket on ${localPort}->${peerPort}`);
  return found;
};

const lsof = parseLsofTcp(fixture('lsof/lsof-tcp-sonoma.txt'));
const sonoma = parseNetstatTcp(fixture('netstat/netstat-anvl-sonoma.txt'));
const sequoia = parseNetstatTcp(fixture('netstat/netstat-anvl-sequoia.txt'));
const tahoe = parseNetstatTcp(fixture('netstat/netstat-anvl-tahoe.txt'));

describe('lsof field output on macOS', () => {
  it('runs with numeric hosts and ports, TCP listeners and connections, field output', () => {
    expect(LSOF_TCP_ARGV).toEqual([
      'lsof',
      '-nP',
      '-iTCP',
      '-sTCP:LISTEN,ESTABLISHED',
      '-F',
      'pcuftTn',
    ]);
  });

  it('reads every field of the fixture', () => {
    expect(lsof.unparsed).toEqual([]);
    expect(lsof.sockets).toHaveLength(8);
  });

  it("sees the Ollama app's server listening on *:11434, dual stack not knowable from lsof", () => {
    expect(find(lsof.sockets, 'listen', 11434)).toEqual({
      state: 'listen',
      family: 6,
      localAddress: '::',
      localPort: 11434,
      peerAddress: '::',
      peerPort: 0,
      dualStack: null,
      scope: null,
      pid: 745,
      command: 'ollama',
      uid: 501,
      fd: 3,
    });
  });

  it('reads a LAN client of that IPv6 socket as the IPv4 connection lsof prints', () => {
    expect(find(lsof.sockets, 'established', 11434, 53000)).toMatchObject({
      family: 4,
      localAddress: '192.168.1.20',
      peerAddress: '192.168.1.31',
      pid: 745,
    });
    expect(find(lsof.sockets, 'established', 11434, 52110)).toMatchObject({
      family: 6,
      localAddress: '::1',
      peerAddress: '::1',
    });
    expect(find(lsof.sockets, 'established', 52110, 11434).command).toBe('curl');
  });

  it("keeps LM Studio's name with its space, on an IPv4 wildcard that is not dual stack", () => {
    expect(find(lsof.sockets, 'listen', 1234)).toMatchObject({
      command: 'LM Studio',
      family: 4,
      localAddress: '0.0.0.0',
      dualStack: false,
      pid: 801,
    });
  });

  it("reads Homebrew's loopback listener and Docker Desktop's backend", () => {
    expect(find(lsof.sockets, 'listen', 11435)).toMatchObject({
      localAddress: '127.0.0.1',
      dualStack: false,
      pid: 910,
    });
    expect(find(lsof.sockets, 'listen', 3000)).toMatchObject({
      command: 'com.docker.backend',
      localAddress: '::',
      dualStack: null,
    });
  });

  it('decodes the KAME interface index lsof shows inside a link-local address', () => {
    expect(find(lsof.sockets, 'listen', 11436)).toMatchObject({
      family: 6,
      localAddress: 'fe80::aede:48ff:fe00:1122',
      scope: '4',
      dualStack: false,
    });
  });
});

describe('netstat -anvl -p tcp across macOS releases', () => {
  it('runs with full IPv6 addresses', () => {
    expect(NETSTAT_TCP_ARGV).toEqual(['netstat', '-anvl', '-p', 'tcp']);
  });

  it('finds the owner column by the header of each release', () => {
    expect([sonoma.format, sequoia.format, tahoe.format]).toEqual(['pid', 'pid', 'process:pid']);
    for (const result of [sonoma, sequoia, tahoe]) {
      expect(result.fullAddresses).toBe(true);
      expect(result.unparsed).toEqual([]);
    }
  });

  it('reads the same sockets from all three layouts (Sequoia rxbytes do not shift the pid)', () => {
    const withoutNames = (sockets: DarwinSocket[]) => sockets.map((s) => ({ ...s, command: null }));
    expect(sonoma.sockets).toHaveLength(10);
    expect(withoutNames(sequoia.sockets)).toEqual(sonoma.sockets);
    expect(withoutNames(tahoe.sockets)).toEqual(sonoma.sockets);
  });

  it('says the Ollama listener on tcp46 *.11434 is dual stack, with its pid', () => {
    expect(find(sonoma.sockets, 'listen', 11434)).toEqual({
      state: 'listen',
      family: 6,
      localAddress: '::',
      localPort: 11434,
      peerAddress: '::',
      peerPort: 0,
      dualStack: true,
      scope: null,
      pid: 745,
      command: null,
      uid: null,
      fd: null,
    });
    expect(find(tahoe.sockets, 'listen', 11434).command).toBe('ollama');
  });

  it("keeps LM Studio's name with its space in Tahoe's process:pid column", () => {
    expect(find(tahoe.sockets, 'listen', 1234)).toMatchObject({
      command: 'LM Studio',
      pid: 801,
      family: 4,
      localAddress: '0.0.0.0',
      dualStack: false,
    });
    expect(find(tahoe.sockets, 'listen', 3000).command).toBe('com.docker.backend');
  });

  it('tells a v6-only wildcard from a dual-stack one, and reads link-local zones', () => {
    expect(find(sonoma.sockets, 'listen', 3000)).toMatchObject({
      localAddress: '::',
      dualStack: false,
    });
    expect(find(sonoma.sockets, 'listen', 11436)).toMatchObject({
      localAddress: 'fe80::aede:48ff:fe00:1122',
      scope: 'en0',
    });
    expect(find(sonoma.sockets, 'established', 11434, 52110)).toMatchObject({
      family: 6,
      localAddress: '::1',
      peerAddress: '::1',
    });
  });

  it('skips other TCP states and gives no pid where the kernel recorded none', () => {
    expect(sonoma.sockets.some((s) => s.localPort === 52200)).toBe(false);
    expect(find(sonoma.sockets, 'listen', 7265).pid).toBeNull();
    expect(find(tahoe.sockets, 'listen', 7265).command).toBeNull();
  });

  it('reads Mojave without -l and refuses an IPv6 address it may have cut', () => {
    const mojave = parseNetstatTcp(fixture('netstat/netstat-anv-mojave.txt'));
    expect(mojave.format).toBe('pid');
    expect(mojave.fullAddresses).toBe(false);
    expect(find(mojave.sockets, 'listen', 11434)).toMatchObject({ dualStack: true, pid: 745 });
    expect(find(mojave.sockets, 'established', 52044, 11434).pid).toBe(9811);
    expect(mojave.unparsed).toHaveLength(1);
    expect(mojave.unparsed[0]?.reason).toMatch(/cut short/);
  });
});

describe('dual stack from both tools', () => {
  it("fills lsof's unknown from the netstat row of the same listener", () => {
    const resolved = resolveDualStack(lsof.sockets, sonoma.sockets);
    expect(find(resolved, 'listen', 11434).dualStack).toBe(true);
    expect(find(resolved, 'listen', 3000).dualStack).toBe(false);
    expect(find(resolved, 'listen', 1234).dualStack).toBe(false);
  });

  it('leaves it unknown when netstat has no such socket or two that disagree', () => {
    expect(find(resolveDualStack(lsof.sockets, []), 'listen', 11434).dualStack).toBeNull();
    const twin = { ...find(sonoma.sockets, 'listen', 11434), dualStack: false, pid: null };
    const resolved = resolveDualStack(lsof.sockets, [...sonoma.sockets, twin]);
    expect(find(resolved, 'listen', 11434).dualStack).toBeNull();
  });
});

describe('socket parsers on hostile output', () => {
  it('lsof: unknown fields, fields before a process, bad pids and names become unparsed', () => {
    const result = parseLsofTcp(
      [
        'nstray',
        '!bang',
        'pNaN',
        'p1',
        'cx',
        'u501',
        'f1',
        'tIPv4',
        'nlocalhost:11434',
        'TST=LISTEN',
        'f2',
        'tIPv4',
        'n127.0.0.1:99999',
        'TST=LISTEN',
        'f3',
        'tIPv4',
        'n127.0.0.1:11434',
        'f4',
        'tunix',
        'n/tmp/sock',
        'TST=LISTEN',
        'f5',
        'tIPv6',
        'n[::1:11434',
        'TST=LISTEN',
        'f6',
        'tIPv4',
        'n127.0.0.1:11434->10.0.0.1',
        'TST=ESTABLISHED',
        'f7',
        'tIPv4',
        'n127.0.0.1:8080',
        'TST=SYN_SENT',
      ].join('\n'),
    );
    expect(result.sockets).toEqual([]);
    expect(result.unparsed.map((u) => u.reason)).toEqual([
      'field outside a process set',
      'not an lsof field line',
      'pid is not a number',
      'local address is not numeric host:port',
      'local address is not numeric host:port',
      'no TCP state (TST=) for this socket',
      'socket type unix, not IPv4/IPv6',
      'local address is not numeric host:port',
      'peer address is not numeric host:port',
    ]);
  });

  it('lsof: a huge line is reported, not matched, and the rest still read', () => {
    const huge = `n${'1'.repeat(200_000)}`;
    const result = parseLsofTcp(`p1\ncx\nu0\nf3\ntIPv4\n${huge}\nn127.0.0.1:1\nTST=LISTEN\n`);
    expect(result.sockets).toHaveLength(1);
    expect(result.unparsed[0]?.reason).toMatch(/longer than/);
  });

  it('netstat: rows without a header, headers without an owner column, broken owners', () => {
    const header = fixture('netstat/netstat-anvl-tahoe.txt').split('\n')[1] ?? '';
    const result = parseNetstatTcp(
      [
        'tcp4       0      0  127.0.0.1.1  *.*  LISTEN',
        'Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)',
        'tcp4       0      0  127.0.0.1.1  *.*  LISTEN',
        header,
        'tcp4       0      0  127.0.0.1.2  *.*  LISTEN  0 0 131072 131072 nopid 00080 0 0 0 0 1 0 0',
        'tcp4       0      0  127.0.0.1.3  *.*  LISTEN  short',
        'tcp4       0      0  localhost.4  *.*  LISTEN  0 0 131072 131072 x:1 00080 0 0 0 0 1 0 0',
        'udp4       0      0  *.5353  *.*',
        'banner text',
      ].join('\n'),
    );
    expect(result.sockets).toEqual([]);
    expect(result.unparsed.map((u) => u.reason)).toEqual([
      'row before any header',
      'header without the expected columns',
      'row before any header',
      'process:pid column without a pid',
      'too few columns for process:pid',
      'address is not numeric',
      'not a tcp row',
      'not a tcp row',
    ]);
  });

  it('never throws on input that is not text or is empty', () => {
    for (const input of [undefined, null, 42, '', '\n\n\n']) {
      expect(() => parseLsofTcp(input as unknown as string)).not.toThrow();
      expect(() => parseNetstatTcp(input as unknown as string)).not.toThrow();
    }
  });
});

describe('printed hosts', () => {
  it('reads wildcards, zones, KAME indexes and refuses names', () => {
    expect(readHost('*', 4)?.address).toBe('0.0.0.0');
    expect(readHost('*', 6)?.address).toBe('::');
    expect(readHost('fe80::1%lo0', 6)).toMatchObject({ address: 'fe80::1', scope: 'lo0' });
    expect(readHost('fe80:1::1', 6)).toMatchObject({ address: 'fe80::1', scope: '1' });
    expect(readHost('ff02:4::fb', 6)).toMatchObject({ address: 'ff02::fb', scope: '4' });
    expect(readHost('::ffff:10.0.0.2', 6)?.address).toBe('::ffff:10.0.0.2');
    expect(readHost('localhost', 4)).toBeNull();
    expect(readHost('fe80::1%en0;rm', 6)).toBeNull();
  });
});
