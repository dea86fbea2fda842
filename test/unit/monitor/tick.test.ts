import { describe, expect, it } from 'vitest';
import {
  createTickProbe,
  sockstatSignature,
  tickChange,
  watchedPorts,
} from '../../../electron/engine/monitor/tick';
import { buildSnapshot, loopbackOllama, wildcardOllama } from '../../rules/snapshots';
import { createFakeHost } from '../../support/fake-host';
import type { FakeHostSpec } from '../../support/fake-host';

// /proc/net/tcp writes each 32-bit word of an address in the CPU's byte order (x86: little).
const word = (bytes: number[]) =>
  bytes
    .slice()
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
const v4 = (address: string) => word(address.split('.').map(Number));
const v6 = (bytes: number[]) => [0, 4, 8, 12].map((i) => word(bytes.slice(i, i + 4))).join('');
const V6_ANY = v6(new Array(16).fill(0));
const V6_LOOPBACK = v6([...new Array(15).fill(0), 1]);
const mapped = (address: string) =>
  v6([...new Array(10).fill(0), 255, 255, ...address.split('.').map(Number)]);
const hexPort = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
function line(n: number, local: string, lport: number, remote: string, rport: number, st: string) {
  return `  ${n}: ${local}:${hexPort(lport)} ${remote}:${hexPort(rport)} ${st} 00000000:00000000 00:00000000 00000000   998        0 ${1000 + n} 1 0000000000000000 100 0 0 10 0\n`;
}

function procFiles(processes: Record<number, { cmdline: string; comm: string }>) {
  const files: Record<string, string> = {};
  for (const [pid, p] of Object.entries(processes)) {
    files[`/proc/${pid}/cmdline`] = p.cmdline;
    files[`/proc/${pid}/comm`] = `${p.comm}\n`;
  }
  return files;
}

const interfaces: FakeHostSpec['interfaces'] = {
  lo: [
    {
      address: '127.0.0.1',
      netmask: '255.0.0.0',
      family: 'IPv4',
      cidr: '127.0.0.1/8',
      internal: true,
    },
  ],
  eth0: [
    {
      address: '10.251.0.1',
      netmask: '255.255.255.0',
      family: 'IPv4',
      cidr: '10.251.0.1/24',
      internal: false,
    },
  ],
};

describe('the cheap tick', () => {
  it('lists wide listeners, loopback ones on Ollama ports, remote peers and Ollama processes', async () => {
    const tcp =
      HEADER +
      line(0, v4('127.0.0.1'), 11434, v4('0.0.0.0'), 0, '0A') + // Ollama on loopback: kept
      line(1, v4('127.0.0.1'), 5432, v4('0.0.0.0'), 0, '0A') + // a loopback database: not ours
      line(2, v4('0.0.0.0'), 22, v4('0.0.0.0'), 0, '0A') + // sshd beyond loopback: kept
      line(3, v4('10.251.0.1'), 11434, v4('10.251.0.2'), 40000, '01') + // LAN peer
      line(4, v4('127.0.0.1'), 11434, v4('127.0.0.1'), 40001, '01') + // local client
      line(5, v4('10.251.0.1'), 11434, v4('10.251.0.1'), 40002, '01') + // our own LAN address
      line(6, v4('10.251.0.1'), 22, v4('10.251.0.9'), 40003, '01') + // ssh client: not Ollama's port
      line(7, v4('10.251.0.1'), 11434, v4('10.251.0.7'), 40004, '06'); // TIME_WAIT
    const tcp6 =
      HEADER +
      line(0, V6_ANY, 8080, V6_ANY, 0, '0A') +
      line(1, V6_LOOPBACK, 11434, V6_ANY, 0, '0A') +
      line(2, V6_ANY, 8080, mapped('10.251.0.3'), 40005, '01') + // proxy port, once known
      'garbage that is not a socket line\n';
    const host = createFakeHost({
      files: {
        '/proc/net/tcp': tcp,
        '/proc/net/tcp6': tcp6,
        ...procFiles({
          1: { cmdline: '/sbin/init\0', comm: 'systemd' },
          42: { cmdline: '/usr/local/bin/ollama\0serve\0', comm: 'ollama' },
          43: { cmdline: '/usr/local/bin/ollama\0runner\0--model\0x\0', comm: 'ollama' },
          44: { cmdline: '', comm: 'kthreadd' },
          45: { cmdline: 'vim\0/home/me/ollama/serve.go\0', comm: 'vim' },
        }),
      },
      interfaces,
    });
    const tick = createTickProbe(host);
    const first = await tick.tick(null);
    expect(first).toEqual({
      listeners: ['0.0.0.0 22', '127.0.0.1 11434', ':: 8080', '::1 11434'],
      peers: ['10.251.0.2>11434'],
      processes: ['42 server', '43 runner'],
    });

    // Once a scan saw Ollama behind a proxy on 8080, peers there count too.
    const lastScan = buildSnapshot({
      instances: [
        loopbackOllama({
          proxyPaths: [],
          listeners: [{ address: '127.0.0.1' }, { path: 'proxy', address: '::', port: 8080 }],
        }),
      ],
    });
    expect(watchedPorts(lastScan)).toEqual(new Set([11434, 8080]));
    expect((await tick.tick(lastScan)).peers).toEqual(['10.251.0.2>11434', '10.251.0.3>8080']);
  });

  it('reads a new pid twice (a fork shows its parent until exec), then never again', async () => {
    const files: Record<string, string> = {
      '/proc/net/tcp': HEADER,
      '/proc/net/tcp6': HEADER,
      ...procFiles({ 50: { cmdline: 'nsenter\0-t\0' + '1\0', comm: 'nsenter' } }),
    };
    const host = createFakeHost({ files, interfaces });
    const reads: string[] = [];
    const readFile = host.readFile.bind(host);
    host.readFile = (path, max) => {
      reads.push(path);
      return readFile(path, max);
    };
    const tick = createTickProbe(host);
    expect((await tick.tick(null)).processes).toEqual([]);
    files['/proc/50/cmdline'] = '/tmp/x/bin/ollama\0serve\0';
    expect((await tick.tick(null)).processes).toEqual(['50 server']);
    reads.length = 0;
    files['/proc/50/cmdline'] = 'something else\0';
    expect((await tick.tick(null)).processes).toEqual(['50 server']);
    expect(reads.filter((p) => p.startsWith('/proc/50/'))).toEqual([]);
  });

  it('forgets pids that are gone', async () => {
    const files: Record<string, string> = {
      '/proc/net/tcp': HEADER,
      ...procFiles({ 60: { cmdline: 'ollama\0serve\0', comm: 'ollama' } }),
    };
    const host = createFakeHost({ files, interfaces });
    const tick = createTickProbe(host);
    expect((await tick.tick(null)).processes).toEqual(['60 server']);
    delete files['/proc/60/cmdline'];
    delete files['/proc/60/comm'];
    files['/proc/61/cmdline'] = 'ollama\0serve\0';
    expect((await tick.tick(null)).processes).toEqual(['61 server']);
  });

  it('throws when neither /proc nor the socket tables can be read', async () => {
    const host = createFakeHost({ files: {} });
    await expect(createTickProbe(host).tick(null)).rejects.toThrow(/\/proc/);
  });

  it('reads the socket tables only when a TCP counter moved, the ports changed, or 10 s passed', async () => {
    const sockstat = (inuse: number, tw = 0) =>
      `sockets: used 40\nTCP: inuse ${inuse} orphan 0 tw ${tw} alloc ${inuse + 1} mem ${inuse * 3}\nUDP: inuse 0 mem 0\n`;
    const files: Record<string, string> = {
      '/proc/net/sockstat': sockstat(2),
      '/proc/net/sockstat6': 'TCP6: inuse 0\nUDP6: inuse 0\n',
      '/proc/net/tcp': HEADER + line(0, v4('0.0.0.0'), 11434, v4('0.0.0.0'), 0, '0A'),
      '/proc/net/tcp6': HEADER,
    };
    const host = createFakeHost({ files, interfaces });
    let clock = 0;
    host.monotonicMs = () => clock;
    const reads: string[] = [];
    const readFile = host.readFile.bind(host);
    host.readFile = (path, max) => {
      if (path.startsWith('/proc/net/tcp')) reads.push(path);
      return readFile(path, max);
    };
    const tick = createTickProbe(host);
    expect((await tick.tick(null)).listeners).toEqual(['0.0.0.0 11434']);
    // No IPv6 TCP socket in use: tcp6 is not read.
    expect(reads).toEqual(['/proc/net/tcp']);

    // Counters as they were (mem moved, it does not count): the last reading stands.
    files['/proc/net/sockstat'] = sockstat(2).replace('mem 6', 'mem 60');
    files['/proc/net/tcp'] = HEADER; // a change the counters do not show…
    clock = 9_000;
    expect((await tick.tick(null)).listeners).toEqual(['0.0.0.0 11434']);
    expect(reads).toHaveLength(1);
    // …is seen once the reading is 10 s old.
    clock = 10_000;
    expect((await tick.tick(null)).listeners).toEqual([]);
    expect(reads).toHaveLength(2);

    // A socket opens: the counters move, the tables are read at once.
    files['/proc/net/sockstat'] = sockstat(3);
    files['/proc/net/sockstat6'] = 'TCP6: inuse 1\n';
    files['/proc/net/tcp6'] = HEADER + line(0, V6_ANY, 11434, V6_ANY, 0, '0A');
    clock = 11_000;
    expect((await tick.tick(null)).listeners).toEqual([':: 11434']);
    expect(reads.slice(2)).toEqual(['/proc/net/tcp', '/proc/net/tcp6']);

    // Ollama's ports changed (a scan found it on 11500): read again.
    clock = 12_000;
    await tick.tick(
      buildSnapshot({ instances: [loopbackOllama({ listeners: [{ port: 11500 }] })] }),
    );
    expect(reads).toHaveLength(6);
  });

  it('takes the TCP counters of sockstat without mem', () => {
    expect(
      sockstatSignature(
        'sockets: used 23\nTCP: inuse 1 orphan 0 tw 4 alloc 1 mem 16\nUDP: inuse 0 mem 0\n',
        'TCP6: inuse 2\nUDP6: inuse 0\n',
      ),
    ).toEqual({ signature: 'inuse 1 orphan 0 tw 4 alloc 1|inuse 2', inuse4: 1, inuse6: 2 });
    expect(sockstatSignature(null, 'TCP6: inuse 2\n')).toEqual({
      signature: null,
      inuse4: null,
      inuse6: 2,
    });
  });

  it('tells a peer change from a structural one', () => {
    const base = { listeners: [':: 11434'], peers: [], processes: ['42 server'] };
    expect(tickChange(null, base)).toBe('structure');
    expect(tickChange(base, { ...base })).toBe('none');
    expect(tickChange(base, { ...base, peers: ['10.0.0.2>11434'] })).toBe('peers');
    expect(tickChange(base, { ...base, listeners: ['127.0.0.1 11434'] })).toBe('structure');
    expect(tickChange(base, { ...base, processes: ['43 server'] })).toBe('structure');
  });

  it('watches 11434 and the ports the last scan saw or was configured for', () => {
    expect(watchedPorts(null)).toEqual(new Set([11434]));
    const snapshot = buildSnapshot({
      instances: [wildcardOllama(null, { listeners: [{ address: '::', port: 11500 }] })],
    });
    expect([...watchedPorts(snapshot)].sort()).toEqual([11434, 11500]);
  });
});
