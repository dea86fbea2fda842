import { describe, expect, it } from 'vitest';
import {
  parseCmdline,
  parseProcStat,
  parseStatusUid,
  probeProcesses,
  roleFor,
  startTimeIso,
  systemdUnitFromCgroup,
  containerIdFromCgroup,
} from '../../../electron/engine/probes/linux/processes';
import { createFakeHost } from '../../support/fake-host';
import type { FakeHostSpec } from '../../support/fake-host';

const BTIME = 1795899612; // recorded from this machine's /proc/stat
const NETNS = 'net:[4026531833]';

/**
 * A /proc/PID/stat line: one recorded on this machine (Debian 12, Linux 6.18) with pid,
 * comm, ppid (field 4) and start time (field 22) replaced.
 */
const RECORDED_STAT =
  '4366 (ollama) S 4364 4359 2607 0 -1 4194304 3123 6606 6 0 2 2 3 1 20 0 1 0 29226 17453056 3516 18446744073709551615 94613614653440 94613614653781 140732910554144 0 0 0 0 16781318 0 1 0 0 17 1 0 0 0 0 0 94613614665136 94613614665752 94614038671360 140732910557217 140732910557285 140732910557285 140732910559183 0';

function stat(pid: number, comm: string, ppid: number, startTicks: number): string {
  const fields = RECORDED_STAT.slice(RECORDED_STAT.lastIndexOf(')') + 2).split(' ');
  fields[1] = String(ppid);
  fields[19] = String(startTicks);
  return `${pid} (${comm}) ${fields.join(' ')}\n`;
}

function status(uid: number): string {
  return `Name:\tollama\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nPid:\t1\nPPid:\t1\nUid:\t${uid}\t${uid + 1}\t${uid}\t${uid}\nGid:\t${uid}\t${uid}\t${uid}\t${uid}\n`;
}

interface FakeProcess {
  cmdline: string;
  comm?: string;
  exe?: string;
  ppid?: number;
  start?: number;
  uid?: number;
  cgroup?: string;
  netns?: string;
}

function proc(processes: Record<number, FakeProcess>, extra: FakeHostSpec = {}): FakeHostSpec {
  const files: Record<string, string> = {
    '/proc/stat': `cpu  1 2 3 4\nbtime ${BTIME}\nprocesses 5000\n`,
    '/etc/passwd':
      'root:x:0:0:root:/root:/bin/bash\nollama:x:998:998::/usr/share/ollama:/bin/false\ndev:x:1000:1000:Dev:/home/dev:/bin/bash\n',
  };
  const links: Record<string, string> = { '/proc/self/ns/net': NETNS };
  for (const [pidText, p] of Object.entries(processes)) {
    const pid = Number(pidText);
    const comm = p.comm ?? 'ollama';
    files[`/proc/${pid}/cmdline`] = p.cmdline;
    files[`/proc/${pid}/comm`] = `${comm}\n`;
    files[`/proc/${pid}/stat`] = stat(pid, comm, p.ppid ?? 1, p.start ?? 100);
    files[`/proc/${pid}/status`] = status(p.uid ?? 1000);
    files[`/proc/${pid}/cgroup`] = p.cgroup ?? '0::/user.slice/user-1000.slice/session-2.scope\n';
    if (p.exe) links[`/proc/${pid}/exe`] = p.exe;
    links[`/proc/${pid}/ns/net`] = p.netns ?? NETNS;
  }
  return {
    ...extra,
    files: { ...files, ...extra.files },
    links: { ...links, ...extra.links },
  };
}

const SERVER: FakeProcess = {
  cmdline: '/usr/local/bin/ollama\0serve\0',
  exe: '/usr/local/bin/ollama',
  ppid: 1,
  start: 12345,
  uid: 998,
  cgroup:
    '12:pids:/system.slice/ollama.service\n1:name=systemd:/system.slice/ollama.service\n0::/system.slice/ollama.service\n',
};
const RUNNER: FakeProcess = {
  cmdline:
    '/usr/local/bin/ollama\0runner\0--model\0/usr/share/ollama/.ollama/models/blobs/sha256-6a0746a1ec1a\0--port\x0041873\0',
  exe: '/usr/local/bin/ollama',
  ppid: 100,
  start: 20000,
  uid: 998,
  cgroup: '0::/system.slice/ollama.service\n',
};

describe('probeProcesses', () => {
  it('finds a server and its runner, and leaves out clients, editors and paddock', async () => {
    const host = createFakeHost(
      proc({
        2: { cmdline: '', comm: 'kthreadd' },
        100: SERVER,
        200: RUNNER,
        300: { cmdline: 'ollama\0run\0llama3\0', exe: '/usr/local/bin/ollama' },
        310: { cmdline: '/usr/local/bin/ollama\0ps\0', exe: '/usr/local/bin/ollama' },
        320: { cmdline: 'vim\0/home/dev/ollama/serve\0', comm: 'vim', exe: '/usr/bin/vim.basic' },
        330: { cmdline: 'code\0--ollama\0serve\0', comm: 'code', exe: '/usr/share/code/code' },
        340: {
          cmdline: '/opt/Paddock/paddock\0scan\0--json\0',
          comm: 'paddock',
          exe: '/opt/Paddock/paddock',
        },
      }),
    );
    const result = await probeProcesses(host);
    expect(result.status).toBe('ok');
    expect(result.message).toBeUndefined();
    expect(result.data).toEqual([
      {
        pid: 100,
        ppid: 1,
        role: 'server',
        argv: ['/usr/local/bin/ollama', 'serve'],
        executable: '/usr/local/bin/ollama',
        executableStatus: 'ok',
        uid: 998,
        user: 'ollama',
        startedAt: new Date((BTIME + 123.45) * 1000).toISOString(),
        systemdUnit: 'ollama.service',
        sameNetns: true,
        containerId: null,
      },
      {
        pid: 200,
        ppid: 100,
        role: 'runner',
        argv: [
          '/usr/local/bin/ollama',
          'runner',
          '--model',
          '/usr/share/ollama/.ollama/models/blobs/sha256-6a0746a1ec1a',
          '--port',
          '41873',
        ],
        executable: '/usr/local/bin/ollama',
        executableStatus: 'ok',
        uid: 998,
        user: 'ollama',
        startedAt: new Date((BTIME + 200) * 1000).toISOString(),
        systemdUnit: 'ollama.service',
        sameNetns: true,
        containerId: null,
      },
    ]);
    expect(result.evidence[0]).toEqual({
      kind: 'file',
      ref: '/proc',
      outcome: 'read (8 processes)',
    });
    expect(result.evidence.map((e) => e.ref)).toEqual(
      expect.arrayContaining([
        '/proc/100/cmdline',
        '/proc/100/exe',
        '/proc/100/cgroup',
        '/proc/stat',
        '/etc/passwd',
      ]),
    );
  });

  it("reports another user's server with its executable denied, never guessed, and says why", async () => {
    const host = createFakeHost(
      proc(
        // comm with ") (" in it: stat must be read from the last ")".
        {
          400: {
            cmdline: 'ollama\0serve\0',
            comm: 'a) (b c) (d',
            ppid: 7,
            start: 500,
            uid: 998,
            netns: 'net:[4026532000]',
          },
        },
        { uid: 1000, linkErrors: { '/proc/400/exe': 'EACCES', '/proc/400/ns/net': 'EACCES' } },
      ),
    );
    const result = await probeProcesses(host);
    expect(result.status).toBe('ok');
    expect(result.data).toEqual([
      expect.objectContaining({
        pid: 400,
        ppid: 7,
        role: 'server',
        executable: null,
        executableStatus: 'denied',
        uid: 998,
        user: 'ollama',
        startedAt: new Date((BTIME + 5) * 1000).toISOString(),
        systemdUnit: null,
        sameNetns: null,
      }),
    ]);
    expect(result.message).toBe(
      "The executable of 1 Ollama process could not be read (another user's); run as root to see it. " +
        "The network namespace of 1 Ollama process could not be read (another user's); run as root to see it.",
    );
    expect(result.evidence).toContainEqual({
      kind: 'file',
      ref: '/proc/400/exe',
      outcome: 'EACCES',
    });
  });

  it('skips a process that vanished mid-walk without a word', async () => {
    const host = createFakeHost(
      proc(
        { 100: SERVER },
        { dirs: { '/proc': ['600', '601'] }, files: { '/proc/601/cmdline': 'ollama\0serve\0' } },
      ),
    );
    const result = await probeProcesses(host);
    // 600 was gone before its cmdline was read; 601 between cmdline and stat.
    expect(result.data.map((p) => p.pid)).toEqual([100]);
    expect(result.message).toBeUndefined();
  });

  it('tells apart a server in another network namespace and one whose exe was replaced by an upgrade', async () => {
    const host = createFakeHost(
      proc({
        100: { ...SERVER, exe: '/usr/local/bin/ollama (deleted)', netns: 'net:[4026532999]' },
      }),
    );
    const [server] = (await probeProcesses(host)).data;
    expect(server).toMatchObject({
      role: 'server',
      executable: '/usr/local/bin/ollama (deleted)',
      sameNetns: false,
    });
  });

  it('recognises runners, the desktop app, retitled processes and symlinked binaries', async () => {
    const host = createFakeHost(
      proc({
        10: {
          cmdline:
            '/tmp/ollama1234/runners/cpu_avx2/ollama_llama_server\0--model\0/m\0--port\x0035000\0',
          comm: 'ollama_llama_se',
        },
        11: { cmdline: '/Applications/Ollama.app/Contents/MacOS/Ollama\0', comm: 'Ollama' },
        12: {
          cmdline: '/opt/ollama/ollama app\0',
          comm: 'ollama app',
          exe: '/opt/ollama/ollama app',
        },
        13: {
          cmdline: `ollama serve --stand-in${'\0'.repeat(40)}`,
          comm: 'ollama serve --',
          exe: '/usr/bin/node',
        },
        14: { cmdline: '/usr/local/bin/ai\0serve\0', comm: 'ai', exe: '/usr/local/bin/ollama' },
        15: { cmdline: 'C:\\Program Files\\Ollama\\ollama.exe\0serve\0', comm: 'ollama.exe' },
        16: { cmdline: 'ollama-app\0', comm: 'ollama-app' },
        17: { cmdline: '/usr/bin/ollama\0--verbose\0serve\0', exe: '/usr/bin/ollama' },
      }),
    );
    const roles = (await probeProcesses(host)).data.map((p) => [p.pid, p.role, p.argv]);
    expect(roles).toEqual([
      [
        10,
        'runner',
        [
          '/tmp/ollama1234/runners/cpu_avx2/ollama_llama_server',
          '--model',
          '/m',
          '--port',
          '35000',
        ],
      ],
      [11, 'app', ['/Applications/Ollama.app/Contents/MacOS/Ollama']],
      [12, 'app', ['/opt/ollama/ollama app']],
      [13, 'server', ['ollama', 'serve', '--stand-in']],
      [14, 'server', ['/usr/local/bin/ai', 'serve']],
      [15, 'server', ['C:\\Program Files\\Ollama\\ollama.exe', 'serve']],
      [16, 'app', ['ollama-app']],
      [17, 'server', ['/usr/bin/ollama', '--verbose', 'serve']],
    ]);
  });

  it("says when /proc hides other users' processes (hidepid)", async () => {
    const host = createFakeHost(
      proc({ 100: SERVER }, { fileErrors: { '/proc/500/cmdline': 'EACCES' } }),
    );
    const result = await probeProcesses(host);
    expect(result.data).toHaveLength(1);
    expect(result.message).toBe(
      '1 processes are hidden from this user (/proc mounted with hidepid); run as root to check them.',
    );
  });

  it('is unavailable, with the reason, when /proc cannot be listed', async () => {
    const result = await probeProcesses(createFakeHost({ files: {} }));
    expect(result).toMatchObject({
      status: 'unavailable',
      data: [],
      message: '/proc could not be read (ENOENT)',
    });
  });
});

describe('process helpers', () => {
  it('parseProcStat counts fields from the last ")"', () => {
    expect(parseProcStat(stat(42, 'x) (y', 7, 999))).toEqual({ ppid: 7, startTicks: 999 });
    expect(parseProcStat(stat(42, ') S 1 2 3 (', 8, 1000))).toEqual({ ppid: 8, startTicks: 1000 });
    expect(parseProcStat('42 (cut')).toBeNull();
    expect(parseProcStat('42 (short) S 1')).toBeNull();
  });

  it('parseStatusUid reads the real uid; past 2^53 it is unknown (fuzz, deeper seed)', () => {
    expect(parseStatusUid('Name:\tollama\nUid:\t998\t998\t998\t998\n')).toBe(998);
    expect(parseStatusUid('Uid:\t114341143411434998\t998\t998\t998\n')).toBeNull();
    expect(parseStatusUid('Name:\tx\n')).toBeNull();
  });

  it('startTimeIso turns ticks after boot into wall-clock time (USER_HZ 100)', () => {
    expect(startTimeIso(150, 1_700_000_000)).toBe('2023-11-14T22:13:21.500Z');
  });

  it('parseCmdline keeps NUL-separated arguments, empty ones included, and splits retitled ones', () => {
    expect(parseCmdline('ollama\0serve\0', null)).toEqual(['ollama', 'serve']);
    expect(parseCmdline('a\0\0b\0', null)).toEqual(['a', '', 'b']);
    expect(parseCmdline('ollama serve\0\0\0', null)).toEqual(['ollama', 'serve']);
    expect(parseCmdline('/opt/My Apps/ollama serve', '/opt/My Apps/ollama')).toEqual([
      '/opt/My Apps/ollama',
      'serve',
    ]);
    expect(parseCmdline('', null)).toEqual([]);
  });

  it.each([
    ['ollama', ['serve'], 'server'],
    ['ollama', ['runner', '--model', 'x'], 'runner'],
    ['Ollama', ['serve'], 'server'],
    ['Ollama', [], 'app'],
    ['ollama app', [], 'app'],
    ['ollama_llama_server', ['--model', 'x'], 'runner'],
    ['ollama', ['run', 'llama3'], null],
    ['ollama', ['ps'], null],
    ['ollama', [], null],
    ['paddock', ['serve'], null],
    ['vim', ['/home/dev/ollama'], null],
  ] as const)('roleFor(%j, %j) is %s', (name, args, role) => {
    expect(roleFor(name, args)).toBe(role);
  });

  it.each([
    ['0::/system.slice/ollama.service\n', 'ollama.service'],
    [
      '0::/user.slice/user-1000.slice/user@1000.service/app.slice/ollama.service\n',
      'ollama.service',
    ],
    [
      '0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-ollama-1234.scope\n',
      null,
    ],
    ['0::/user.slice/user-1000.slice/session-2.scope\n', null],
    ['0::/\n1:name=systemd:/system.slice/ollama.service\n', 'ollama.service'],
    ['12:pids:/system.slice/ollama.service\n', null],
    ['0::/system.slice/docker-0123abcd.scope\n', null],
    ['', null],
  ])('systemdUnitFromCgroup(%j) is %s', (text, unit) => {
    expect(systemdUnitFromCgroup(text)).toBe(unit);
  });

  const ID = 'a'.repeat(12) + '0123456789abcdef'.repeat(3) + 'b'.repeat(4);
  it.each([
    [`0::/system.slice/docker-${ID}.scope\n`, ID],
    [`0::/docker/${ID}\n`, ID],
    [`0::/machine.slice/libpod-${ID}.scope/container\n`, ID],
    [`12:pids:/docker/${ID}\n0::/\n`, ID],
    [`0::/system.slice/docker-${ID.slice(1)}.scope\n`, null],
    ['0::/system.slice/ollama.service\n', null],
  ])('containerIdFromCgroup(%j) is %s', (text, id) => {
    expect(containerIdFromCgroup(text)).toBe(id);
  });
});
