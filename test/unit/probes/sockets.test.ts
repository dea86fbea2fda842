import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Socket } from '../../../shared/snapshot';
import type { ParsedSocket } from '../../../electron/engine/probes/linux/sockets';
import {
  decodeProcNetAddress,
  ownerVisibility,
  parseProcNetTcp,
  parseSsEndpoint,
  parseSsOutput,
  probeSockets,
} from '../../../electron/engine/probes/linux/sockets';
import { createFakeHost } from '../../support/fake-host';
import type { FakeHostSpec } from '../../support/fake-host';

const fixture = (name: string) =>
  readFileSync(join(__dirname, '../../fixtures/linux', name), 'utf8');
const SS_ROOT = fixture('ss-tanpe-root.txt');
const SS_UNPRIVILEGED = fixture('ss-tanpe-unprivileged.txt');
const PROC_TCP = fixture('proc-net-tcp.txt');
const PROC_TCP6 = fixture('proc-net-tcp6.txt');
const SS_KEY = 'ss -H -t -a -n -p -e';

const find = <T extends ParsedSocket>(
  sockets: readonly T[],
  state: Socket['state'],
  localPort: number,
  peerPort?: number,
): T => {
  const found = sockets.find(
    (s) =>
      s.state === state &&
      s.localPort === localPort &&
      (peerPort === undefined || s.peerPort === peerPort),
  );
  if (!found) throw new Error(`no ${state} socket on port ${localPort}`);
  return found;
};

describe('parseSsEndpoint', () => {
  it.each([
    [
      '127.0.0.1:11434',
      { address: '127.0.0.1', port: 11434, family: 4, star: false, device: null },
    ],
    ['127.0.0.53%lo:53', { address: '127.0.0.53', port: 53, family: 4, star: false, device: 'lo' }],
    ['[::1]:11434', { address: '::1', port: 11434, family: 6, star: false, device: null }],
    ['[::1]%lo:11434', { address: '::1', port: 11434, family: 6, star: false, device: 'lo' }],
    ['[fe80::1]%eth0:22', { address: 'fe80::1', port: 22, family: 6, star: false, device: 'eth0' }],
    [
      '[::ffff:10.0.0.2]:5000',
      { address: '::ffff:10.0.0.2', port: 5000, family: 6, star: false, device: null },
    ],
    ['[::]:11434', { address: '::', port: 11434, family: 6, star: false, device: null }],
    ['*:11434', { address: '::', port: 11434, family: 6, star: true, device: null }],
    ['*%lo:11434', { address: '::', port: 11434, family: 6, star: true, device: 'lo' }],
    ['0.0.0.0:*', { address: '0.0.0.0', port: 0, family: 4, star: false, device: null }],
    [':::22', { address: '::', port: 22, family: 6, star: false, device: null }],
  ])('reads %s', (text, expected) => {
    expect(parseSsEndpoint(text)).toEqual(expected);
  });

  it.each([
    '',
    '11434',
    'localhost:11434',
    '127.0.0.1:99999',
    '[::1:80',
    '[::1]x:80',
    '127.0.0.1:http',
  ])('refuses %j', (text) => {
    expect(parseSsEndpoint(text)).toBeNull();
  });
});

describe('ss output recorded as root (iproute2 6.1.0)', () => {
  const { sockets, malformed } = parseSsOutput(SS_ROOT);

  it('keeps LISTEN and ESTAB only and skips the fixture header', () => {
    expect(malformed).toBe(0);
    expect(sockets).toHaveLength(19);
    expect(sockets.filter((s) => s.state === 'listen')).toHaveLength(11);
    // The FIN-WAIT-2 and CLOSE-WAIT sockets on 55906 are not listeners or live connections.
    expect(sockets.some((s) => s.localPort === 55906 || s.peerPort === 55906)).toBe(false);
  });

  it('lists every process of a shared socket, names with commas, quotes and "(" intact', () => {
    const shared = find(sockets, 'listen', 34467);
    expect(shared.processes).toEqual([
      // comm "x) (y": ss cuts a name at its first ")".
      { pid: 4605, name: 'x' },
      { pid: 4604, name: 'nobody-srv' },
      { pid: 4603, name: 'a,b"c(d e' },
      { pid: 4561, name: 'ollama' },
    ]);
    expect(shared).toMatchObject({
      family: 4,
      localAddress: '127.0.0.1',
      peerAddress: '0.0.0.0',
      peerPort: 0,
      uid: 0,
      inode: 8504,
    });
  });

  it('reads uid when ss prints it and takes its absence, beside ino:, as root', () => {
    expect(find(sockets, 'listen', 36525)).toMatchObject({
      uid: 65534,
      inode: 7048,
      processes: [{ pid: 4604, name: 'nobody-srv' }],
    });
    expect(find(sockets, 'established', 55890)).toMatchObject({ uid: 65534 });
    expect(find(sockets, 'listen', 39361)).toMatchObject({
      uid: 0,
      localAddress: '0.0.0.0',
      family: 4,
      dualStack: false,
    });
  });

  it('tells the dual-stack "*" wildcard from the v6-only "[::]" one', () => {
    expect(find(sockets, 'listen', 38367)).toMatchObject({
      family: 6,
      localAddress: '::',
      peerAddress: '::',
      dualStack: true,
    });
    expect(find(sockets, 'listen', 36069)).toMatchObject({
      family: 6,
      localAddress: '::',
      dualStack: false,
    });
    expect(find(sockets, 'listen', 36185)).toMatchObject({
      family: 6,
      localAddress: '::1',
      dualStack: false,
    });
  });

  it('drops the %lo device suffix from addresses', () => {
    expect(find(sockets, 'listen', 38631).localAddress).toBe('127.0.0.53');
    expect(find(sockets, 'listen', 34983).localAddress).toBe('::1');
  });

  it('keeps an IPv4 peer of a dual-stack listener as the mapped address the kernel reports', () => {
    expect(find(sockets, 'established', 38367, 60998)).toMatchObject({
      family: 6,
      localAddress: '::ffff:127.0.0.1',
      peerAddress: '::ffff:127.0.0.1',
      processes: [{ pid: 4561, name: 'ollama' }],
    });
  });
});

describe('probeSockets with ss', () => {
  it('as root: every owner is visible and nothing is said about hidden owners', async () => {
    const host = createFakeHost({ uid: 0, exec: { [SS_KEY]: { stdout: SS_ROOT } } });
    const result = await probeSockets(host);
    expect(result.status).toBe('ok');
    expect(result.data.every((s) => s.ownerVisibility === 'visible')).toBe(true);
    expect(result.message).toBeUndefined();
    expect(result.evidence[0]).toMatchObject({
      kind: 'exec',
      ref: SS_KEY,
      argv: ['ss', '-H', '-t', '-a', '-n', '-p', '-e'],
      outcome: 'exit 0',
    });
  });

  it('as an unprivileged user: other users\' sockets are denied, never "none", and the message says so', async () => {
    const host = createFakeHost({ uid: 65534, exec: { [SS_KEY]: { stdout: SS_UNPRIVILEGED } } });
    const result = await probeSockets(host);
    expect(result.status).toBe('ok');
    expect(result.data).toHaveLength(19);
    expect(find(result.data, 'listen', 34467)).toMatchObject({
      uid: 0,
      processes: [],
      ownerVisibility: 'denied',
    });
    // Our own uid's socket with no process listed: nothing is hidden from us.
    expect(find(result.data, 'listen', 36525)).toMatchObject({
      uid: 65534,
      ownerVisibility: 'none',
    });
    expect(result.message).toBe(
      '17 sockets belong to other users; run as root to see their processes.',
    );
  });

  it('skips malformed lines without throwing and says how many', async () => {
    const stdout = [
      'LISTEN 0 4096 127.0.0.1:11434 0.0.0.0:* users:(("ollama",pid=123,fd=3)) uid:998 ino:12345 sk:1 cgroup:/system.slice/ollama.service <->',
      'garbage',
      'LISTEN 0 4096 nonsense 0.0.0.0:*',
      'LISTEN 0 4096 127.0.0.1:11435 0.0.0.0:* users:(("broken",pid=1',
      'ESTAB 0 0 10.0.0.1:22',
      'lowercase 0 0 1.2.3.4:1 5.6.7.8:2',
      'TIME-WAIT 0 0 127.0.0.1:1 127.0.0.1:2 timer:(timewait,1min,0) ino:0 sk:2',
      '',
    ].join('\n');
    const host = createFakeHost({ uid: 0, exec: { [SS_KEY]: { stdout } } });
    const result = await probeSockets(host);
    expect(result.status).toBe('ok');
    expect(result.data).toEqual([
      {
        state: 'listen',
        family: 4,
        localAddress: '127.0.0.1',
        localPort: 11434,
        peerAddress: '0.0.0.0',
        peerPort: 0,
        dualStack: false,
        boundInterface: null,
        uid: 998,
        inode: 12345,
        processes: [{ pid: 123, name: 'ollama' }],
        ownerVisibility: 'visible',
      },
    ]);
    expect(result.message).toBe('5 lines of ss output could not be read and were skipped.');
  });

  it('is not fooled by a process name that imitates the users:() syntax', () => {
    const { sockets } = parseSsOutput(
      'LISTEN 0 5 127.0.0.1:9 0.0.0.0:* users:(("a",pid=1,fd=2",pid=77,fd=3),("b c",pid=78,fd=4)) uid:5 ino:9 sk:1 <->',
    );
    expect(sockets[0]).toMatchObject({
      uid: 5,
      inode: 9,
      processes: [
        { pid: 77, name: 'a",pid=1,fd=2' },
        { pid: 78, name: 'b c' },
      ],
    });
  });

  it('lists a process once when it holds a socket on several descriptors', () => {
    const { sockets } = parseSsOutput(
      'LISTEN 0 5 127.0.0.1:9 0.0.0.0:* users:(("ollama",pid=1,fd=3),("ollama",pid=1,fd=7)) ino:9 sk:1 <->',
    );
    expect(sockets[0]!.processes).toEqual([{ pid: 1, name: 'ollama' }]);
  });

  it('trusts the last v6only: (printed after the cgroup path, which could imitate it)', () => {
    const { sockets } = parseSsOutput(
      'LISTEN 0 5 *:9 *:* ino:9 sk:1 cgroup:/evil v6only:1 v6only:0 <->',
    );
    expect(sockets[0]).toMatchObject({ family: 6, localAddress: '::', dualStack: true });
  });

  it('without -e details, uid stays unknown and, unprivileged, the owner is denied', async () => {
    const host = createFakeHost({
      uid: 1000,
      exec: { [SS_KEY]: { stdout: 'LISTEN 0 5 127.0.0.1:9 0.0.0.0:*\n' } },
    });
    const result = await probeSockets(host);
    expect(result.data[0]).toMatchObject({ uid: null, inode: null, ownerVisibility: 'denied' });
  });

  it('keeps what ss printed before the output limit, drops the cut line, and says so', async () => {
    const stdout = `${SS_ROOT.split('\n').slice(0, 3).join('\n')}\nLISTEN 0 8 127.0.0.1:4444 0.0.0.0:* users:(("a",pid=1,fd=3),("b",pi`;
    const host = createFakeHost({
      uid: 0,
      exec: { [SS_KEY]: { stdout, truncated: true, code: null, signal: 'SIGKILL' } },
    });
    const result = await probeSockets(host);
    expect(result.data.map((s) => s.localPort)).toEqual([41949, 36525]);
    expect(result.message).toMatch(/more than the output limit/);
    expect(host.execCalls).toHaveLength(1);
  });
});

describe('ownerVisibility', () => {
  it.each([
    [true, 0, 1000, 'visible'],
    [false, 0, 1000, 'denied'],
    [false, null, 1000, 'denied'],
    [false, 1000, 1000, 'none'],
    [false, 998, 0, 'none'],
    [false, null, 0, 'none'],
  ] as const)(
    'owners listed %s, socket uid %s, our uid %s: %s',
    (listed, uid, hostUid, expected) => {
      expect(ownerVisibility(listed, uid, hostUid)).toBe(expected);
    },
  );
});

describe('/proc/net/tcp fallback', () => {
  it('decodes little-endian hex addresses', () => {
    expect(decodeProcNetAddress('0100007F')).toEqual({ address: '127.0.0.1', family: 4 });
    expect(decodeProcNetAddress('3500007F')).toEqual({ address: '127.0.0.53', family: 4 });
    expect(decodeProcNetAddress('00000000000000000000000001000000')).toEqual({
      address: '::1',
      family: 6,
    });
    expect(decodeProcNetAddress('0000000000000000FFFF00000100007F')).toEqual({
      address: '::ffff:127.0.0.1',
      family: 6,
    });
    expect(decodeProcNetAddress('B80D0120000000000000000001000000')).toEqual({
      address: '2001:db8::1',
      family: 6,
    });
    expect(decodeProcNetAddress('XYZ')).toBeNull();
  });

  it('fuzz (deeper seed): a uid or inode past 2^53 is unknown, not an unsafe number', () => {
    const line =
      '   0: 0100007F:2CAA 00000000:0000 0A 00000000:00000000 00:00000000 00000000 99999999999999999999 0 850999900000000091';
    expect(parseProcNetTcp(line).sockets).toEqual([
      expect.objectContaining({ localPort: 11434, uid: null, inode: null }),
    ]);
    const ss = parseSsOutput(
      'LISTEN 0 4096 127.0.0.1:11434 0.0.0.0:* uid:99999999999999999999 ino:850999900000000091 sk:1 <->',
    );
    expect(ss.sockets).toEqual([expect.objectContaining({ uid: null, inode: null })]);
    // A pid no kernel has makes the users:() field, and so the line, unreadable.
    expect(
      parseSsOutput(
        'LISTEN 0 4096 127.0.0.1:11434 0.0.0.0:* users:(("ollama",pid=114341143411434114340,fd=3)) ino:1 sk:1 <->',
      ),
    ).toEqual({ sockets: [], malformed: 1 });
  });

  it('reads the recorded tables: the same sockets ss saw, minus other states', () => {
    const v4 = parseProcNetTcp(PROC_TCP);
    const v6 = parseProcNetTcp(PROC_TCP6);
    expect(v4.malformed + v6.malformed).toBe(0);
    const fromProc = [...v4.sockets, ...v6.sockets].map(
      (s) =>
        `${s.state} ${s.localAddress} ${s.localPort} ${s.peerAddress} ${s.peerPort} ${s.uid} ${s.inode}`,
    );
    const fromSs = parseSsOutput(SS_ROOT).sockets.map(
      (s) =>
        `${s.state} ${s.localAddress} ${s.localPort} ${s.peerAddress} ${s.peerPort} ${s.uid} ${s.inode}`,
    );
    expect(fromProc.sort()).toEqual(fromSs.sort());
  });

  const procHost = (extra: FakeHostSpec): FakeHostSpec => ({
    files: {
      '/proc/net/tcp': PROC_TCP,
      '/proc/net/tcp6': PROC_TCP6,
      '/proc/4561/comm': 'ollama\n',
      '/proc/4603/comm': 'a,b"c(d e\n',
      '/proc/77/comm': 'bash\n',
      ...extra.files,
    },
    links: {
      '/proc/4561/fd/0': '/dev/null',
      '/proc/4561/fd/3': 'socket:[8504]',
      '/proc/4561/fd/8': 'socket:[8515]',
      '/proc/4561/fd/18': 'socket:[8524]',
      '/proc/4603/fd/3': 'socket:[8504]',
      '/proc/4603/fd/5': 'socket:[8509]',
      '/proc/77/fd/1': 'pipe:[1234]',
      ...extra.links,
    },
    fileErrors: { ...extra.fileErrors },
    uid: extra.uid,
  });

  it('maps inodes to processes through /proc/PID/fd when ss is not installed', async () => {
    const host = createFakeHost(procHost({ uid: 0 }));
    const result = await probeSockets(host);
    expect(result.status).toBe('ok');
    expect(result.data).toHaveLength(19);
    expect(find(result.data, 'listen', 34467)).toMatchObject({
      inode: 8504,
      processes: [
        { pid: 4561, name: 'ollama' },
        { pid: 4603, name: 'a,b"c(d e' },
      ],
      ownerVisibility: 'visible',
    });
    // Without ss the v6only flag is unknown: an IPv6 wildcard is taken as dual-stack.
    expect(find(result.data, 'listen', 36069)).toMatchObject({
      localAddress: '::',
      dualStack: true,
    });
    expect(find(result.data, 'listen', 41949)).toMatchObject({
      processes: [],
      ownerVisibility: 'none',
    });
    expect(result.message).toMatch(
      /^ss is not installed; read \/proc\/net\/tcp and \/proc\/net\/tcp6 instead\. IPv6 wildcard listeners are taken to accept IPv4 too/,
    );
    expect(result.evidence.map((e) => [e.ref, e.outcome])).toEqual([
      [SS_KEY, 'not installed (ENOENT)'],
      ['/proc/net/tcp', 'read'],
      ['/proc/net/tcp6', 'read'],
      ['/proc/*/fd', 'read 3 processes, 0 EACCES'],
    ]);
  });

  it('marks sockets of processes whose fd directory is EACCES as denied', async () => {
    const host = createFakeHost(procHost({ uid: 1000, fileErrors: { '/proc/4561/fd': 'EACCES' } }));
    const result = await probeSockets(host);
    expect(find(result.data, 'listen', 38367)).toMatchObject({
      uid: 0,
      processes: [],
      ownerVisibility: 'denied',
    });
    // Still mapped through the readable process.
    expect(find(result.data, 'listen', 37633)).toMatchObject({
      processes: [{ pid: 4603, name: 'a,b"c(d e' }],
      ownerVisibility: 'visible',
    });
    expect(result.message).toMatch(
      /\d+ sockets belong to other users; run as root to see their processes/,
    );
    expect(result.evidence.at(-1)).toMatchObject({
      ref: '/proc/*/fd',
      outcome: 'read 2 processes, 1 EACCES',
    });
  });

  it('falls back as well when ss fails', async () => {
    const host = createFakeHost({
      ...procHost({ uid: 0 }),
      exec: { [SS_KEY]: { code: 1, stderr: 'Cannot open netlink socket: Permission denied\n' } },
    });
    const result = await probeSockets(host);
    expect(result.data).toHaveLength(19);
    expect(result.message).toMatch(
      /^ss failed \(exit 1: Cannot open netlink socket: Permission denied\); read \/proc\/net\/tcp/,
    );
  });

  it('skips malformed /proc/net/tcp lines and keeps going with one table missing', async () => {
    const host = createFakeHost({
      uid: 0,
      files: { '/proc/net/tcp': `${PROC_TCP}   99: not a socket line\n` },
    });
    const result = await probeSockets(host);
    expect(result.status).toBe('ok');
    expect(result.data).toHaveLength(11);
    expect(result.evidence.find((e) => e.ref === '/proc/net/tcp6')?.outcome).toBe('ENOENT');
    expect(result.message).toMatch(
      /1 lines of \/proc\/net\/tcp could not be read and were skipped/,
    );
  });

  it('is unavailable, with the reason, when neither ss nor /proc/net/tcp can be read', async () => {
    const result = await probeSockets(createFakeHost({ uid: 1000 }));
    expect(result).toMatchObject({
      status: 'unavailable',
      data: [],
      message: 'ss is not installed, and /proc/net/tcp could not be read (ENOENT)',
    });
  });
});
