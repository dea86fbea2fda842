/**
 * Remote peers from the sockets probe (pure), and the access-log probe's sources and
 * statuses on a fake host: journald first, then Ollama's log files, unavailable/denied.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { remotePeers } from '../../../electron/engine/judge/peers';
import type { Socket } from '../../../shared/snapshot';
import { parseSsOutput } from '../../../electron/engine/probes/linux/sockets';
import {
  defaultLogFiles,
  journalArgv,
  probeAccessLog,
} from '../../../electron/engine/probes/traffic';
import { accessLogDataSchema, remotePeerSchema } from '../../../shared/traffic';
import { createFakeHost } from '../../support/fake-host';

const JOURNAL = readFileSync(
  join(__dirname, '../../fixtures/logs/journal-ollama-short-iso.txt'),
  'utf8',
)
  .split('\n')
  .filter((l) => !l.startsWith('#'))
  .join('\n');
const JOURNAL_KEY = journalArgv().join(' ');

function sock(partial: Partial<Socket>): Socket {
  return {
    state: 'established',
    family: 6,
    localAddress: '::ffff:10.0.0.1',
    localPort: 11434,
    peerAddress: '::ffff:10.0.0.2',
    peerPort: 50000,
    dualStack: false,
    boundInterface: null,
    uid: 0,
    inode: 1,
    processes: [{ pid: 42, name: 'ollama' }],
    ownerVisibility: 'visible',
    ...partial,
  };
}
const dualStackListener = sock({
  state: 'listen',
  localAddress: '::',
  dualStack: true,
  peerAddress: '::',
  peerPort: 0,
});

describe('remotePeers', () => {
  it('shows an IPv4 peer of a dual-stack listener as plain IPv4 and counts its connections', () => {
    const peers = remotePeers(
      [
        sock({ peerPort: 50001 }),
        sock({ peerPort: 50002 }),
        sock({ peerAddress: 'fd51:1::2', localAddress: 'fd51:1::1' }),
      ],
      [dualStackListener],
    );
    expect(peers).toEqual([
      {
        address: '10.0.0.2',
        scope: 'private',
        isLocalAddress: false,
        connections: 2,
        ports: [11434],
        processes: [{ pid: 42, name: 'ollama' }],
      },
      {
        address: 'fd51:1::2',
        scope: 'private',
        isLocalAddress: false,
        connections: 1,
        ports: [11434],
        processes: [{ pid: 42, name: 'ollama' }],
      },
    ]);
    for (const p of peers) expect(() => remotePeerSchema.parse(p)).not.toThrow();
  });

  it('leaves out loopback peers, other ports, listening sockets and the client side', () => {
    const peers = remotePeers(
      [
        sock({ peerAddress: '::ffff:127.0.0.1', localAddress: '::ffff:127.0.0.1' }),
        sock({ peerAddress: '::1', localAddress: '::1' }),
        sock({ localPort: 22 }),
        dualStackListener,
        // this machine's own client connecting out to 11434 elsewhere: local port is ephemeral
        sock({ localPort: 40000, peerPort: 11434, peerAddress: '10.0.0.9' }),
      ],
      [dualStackListener],
    );
    expect(peers).toEqual([]);
  });

  it('matches a listener bound to one address only on that address; a bare port is a wildcard', () => {
    const v4 = sock({
      state: 'listen',
      family: 4,
      localAddress: '10.0.0.1',
      peerAddress: '0.0.0.0',
    });
    const sockets = [
      sock({ family: 4, localAddress: '10.0.0.1', peerAddress: '10.0.0.3' }),
      sock({ family: 4, localAddress: '10.0.0.5', peerAddress: '10.0.0.4' }),
    ];
    expect(remotePeers(sockets, [v4]).map((p) => p.address)).toEqual(['10.0.0.3']);
    expect(remotePeers(sockets, [11434]).map((p) => p.address)).toEqual(['10.0.0.3', '10.0.0.4']);
  });

  it('a v6-only wildcard does not take IPv4; 0.0.0.0 does not take IPv6', () => {
    const v6only = sock({ state: 'listen', localAddress: '::', dualStack: false });
    const v4any = sock({ state: 'listen', family: 4, localAddress: '0.0.0.0' });
    const v4peer = sock({ family: 4, localAddress: '10.0.0.1', peerAddress: '10.0.0.2' });
    const v6peer = sock({ localAddress: 'fd51:1::1', peerAddress: 'fd51:1::2' });
    expect(remotePeers([v4peer, v6peer], [v6only]).map((p) => p.address)).toEqual(['fd51:1::2']);
    expect(remotePeers([v4peer, v6peer], [v4any]).map((p) => p.address)).toEqual(['10.0.0.2']);
  });

  it('marks a peer that is one of our own addresses', () => {
    const peers = remotePeers([sock({})], [dualStackListener], ['10.0.0.2']);
    expect(peers[0]!.isLocalAddress).toBe(true);
  });

  it('works on what the ss parser gives (dual-stack ESTAB lines)', () => {
    const ss = [
      'LISTEN 0 4096 *:11434 *:* users:(("ollama",pid=7,fd=3)) ino:100 sk:1 cgroup:/ v6only:0 <->',
      'ESTAB 0 0 [::ffff:10.251.9.1]:11434 [::ffff:10.251.9.2]:43210 users:(("ollama",pid=7,fd=8)) ino:101 sk:2 cgroup:/ <->',
      'ESTAB 0 0 [::ffff:127.0.0.1]:11434 [::ffff:127.0.0.1]:43211 users:(("ollama",pid=7,fd=9)) ino:102 sk:3 cgroup:/ <->',
    ].join('\n');
    const { sockets } = parseSsOutput(ss);
    const listeners = sockets.filter((s) => s.state === 'listen');
    expect(remotePeers(sockets, listeners).map((p) => p.address)).toEqual(['10.251.9.2']);
  });
});

describe('probeAccessLog (fake host)', () => {
  it('journald first: clients and server facts, with the forgery warning', async () => {
    const host = createFakeHost({ exec: { [JOURNAL_KEY]: { code: 0, stdout: JOURNAL } } });
    const result = await probeAccessLog(host, { timeZone: 'utc' });
    expect(result.status).toBe('ok');
    expect(host.execCalls[0]).toEqual([
      'journalctl',
      '-u',
      'ollama',
      '-o',
      'short-iso',
      '--no-pager',
      '-n',
      '20000',
    ]);
    expect(result.data!.accessLog.source).toEqual({ kind: 'journald', ref: JOURNAL_KEY });
    expect(result.data!.accessLog.requests).toBe(9);
    expect(result.data!.serverLog.version).toBe('0.12.10');
    expect(result.message).toMatch(/X-Forwarded-For/);
    expect(() => accessLogDataSchema.parse(result.data)).not.toThrow();
  });

  it('a unit name from the processes probe ("ollama.service") is used as the unit', async () => {
    const host = createFakeHost();
    await probeAccessLog(host, { unit: 'ollama.service' });
    expect(host.execCalls[0]).toContain('ollama');
    expect(host.execCalls[0]).not.toContain('ollama.service');
  });

  it('no journalctl: the macOS-style log files, oldest first', async () => {
    const host = createFakeHost({
      files: {
        '/home/dev/.ollama/logs/server-1.log':
          '[GIN] 2026/08/20 - 10:00:00 | 200 | 1ms | 127.0.0.1 | GET "/api/tags"\n' +
          'time=2026-08-20T10:00:00.000Z level=INFO source=routes.go:1581 msg="Listening on 127.0.0.1:11434 (version 0.12.9)"\n',
        '/home/dev/.ollama/logs/server.log':
          'time=2026-08-21T10:00:00.000Z level=INFO source=routes.go:1581 msg="Listening on [::]:11434 (version 0.12.10)"\n' +
          '[GIN] 2026/08/21 - 10:00:00 | 200 | 1ms | 192.168.1.5 | POST "/api/chat"\n',
      },
    });
    const result = await probeAccessLog(host, { timeZone: 'utc' });
    expect(result.status).toBe('ok');
    expect(result.data!.accessLog.source).toEqual({
      kind: 'file',
      ref: '/home/dev/.ollama/logs/server-1.log, /home/dev/.ollama/logs/server.log',
    });
    expect(result.data!.accessLog.clients.map((c) => c.client).sort()).toEqual([
      '127.0.0.1',
      '192.168.1.5',
    ]);
    expect(result.data!.serverLog).toMatchObject({
      version: '0.12.10',
      listening: { address: '::' },
    });
  });

  it('journald says no entries and no files: unavailable', async () => {
    const host = createFakeHost({
      exec: { [JOURNAL_KEY]: { code: 0, stdout: '-- No entries --\n' } },
    });
    const result = await probeAccessLog(host);
    expect(result.status).toBe('unavailable');
    expect(result.message).toMatch(/no entries for the ollama unit/);
  });

  it('journald hides the unit from this user and no files: denied', async () => {
    const host = createFakeHost({
      exec: {
        [JOURNAL_KEY]: {
          code: 0,
          stdout: '-- No entries --\n',
          stderr:
            "Hint: You are currently not seeing messages from other users and the system.\n      Users in groups 'adm', 'systemd-journal' can see all messages.\n",
        },
      },
    });
    const result = await probeAccessLog(host);
    expect(result.status).toBe('denied');
  });

  it('an unreadable log file is denied, a missing one unavailable', async () => {
    const denied = await probeAccessLog(
      createFakeHost({ fileErrors: { '/home/dev/.ollama/logs/server.log': 'EACCES' } }),
      { journald: false },
    );
    expect(denied.status).toBe('denied');
    const none = await probeAccessLog(createFakeHost(), { journald: false });
    expect(none.status).toBe('unavailable');
  });

  it('log file locations per platform', () => {
    expect(
      defaultLogFiles({ platform: 'darwin', homeDir: () => '/Users/a', env: () => undefined }).at(
        -1,
      ),
    ).toBe('/Users/a/.ollama/logs/server.log');
    expect(
      defaultLogFiles({
        platform: 'win32',
        homeDir: () => 'C:\\Users\\a',
        env: (n) => (n === 'LOCALAPPDATA' ? 'C:\\Users\\a\\AppData\\Local' : undefined),
      }).at(-1),
    ).toBe('C:\\Users\\a\\AppData\\Local\\Ollama\\server.log');
    expect(
      defaultLogFiles({ platform: 'linux', homeDir: () => '/root', env: () => undefined }),
    ).toHaveLength(6);
  });
});
