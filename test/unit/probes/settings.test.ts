import { describe, expect, it } from 'vitest';
import type { OllamaProcess, Setting } from '../../../shared/snapshot';
import { ollamaTrim } from '../../../electron/engine/ollama/listen-address';
import { probeSettings } from '../../../electron/engine/probes/linux/settings';
import type { FakeHostSpec } from '../../support/fake-host';
import { createFakeHost } from '../../support/fake-host';

const ETC = '/etc/systemd/system';
const USR = '/usr/lib/systemd/system';
const UNIT = `${ETC}/ollama.service`;
const OVERRIDE = `${ETC}/ollama.service.d/override.conf`;

/** The unit the official install script writes. */
const INSTALLED_UNIT = [
  '[Unit]',
  'Description=Ollama Service',
  'After=network-online.target',
  '',
  '[Service]',
  'ExecStart=/usr/local/bin/ollama serve',
  'User=ollama',
  'Group=ollama',
  'Restart=always',
  'RestartSec=3',
  'Environment="PATH=/usr/local/bin:/usr/bin:/bin"',
  '',
  '[Install]',
  'WantedBy=default.target',
  '',
].join('\n');

function serverProcess(overrides: Partial<OllamaProcess> = {}): OllamaProcess {
  return {
    pid: 42,
    ppid: 1,
    role: 'server',
    argv: ['/usr/local/bin/ollama', 'serve'],
    executable: '/usr/local/bin/ollama',
    executableStatus: 'ok',
    uid: 998,
    user: 'ollama',
    startedAt: '2026-11-28T11:00:00.000Z',
    systemdUnit: 'ollama.service',
    sameNetns: true,
    ...overrides,
  };
}

function environ(vars: Record<string, string> | Array<[string, string]>): string {
  const entries = Array.isArray(vars) ? vars : Object.entries(vars);
  return `${['PATH=/usr/local/bin:/usr/bin:/bin', ...entries.map(([k, v]) => `${k}=${v}`)].join('\0')}\0`;
}

const service = (...lines: string[]) => ['[Service]', ...lines, ''].join('\n');

/** Runs the probe with no login files unless a test asks for them. */
async function probe(spec: FakeHostSpec, process: OllamaProcess | null, homes: string[] = []) {
  return probeSettings(createFakeHost(spec), { process }, { homes });
}

function find(settings: Setting[], path: string, name = 'OLLAMA_HOST'): Setting {
  const found = settings.find((s) => s.source.path === path && s.name === name);
  if (!found) throw new Error(`no ${name} from ${path} in ${JSON.stringify(settings, null, 2)}`);
  return found;
}

describe('ollamaTrim (ollama-facts.md: quotes and spaces around the value are stripped)', () => {
  it.each<[string, string]>([
    ['0.0.0.0', '0.0.0.0'],
    [' 0.0.0.0 ', '0.0.0.0'],
    ['"0.0.0.0"', '0.0.0.0'],
    ["'0.0.0.0'", '0.0.0.0'],
    ['"\'0.0.0.0\'"', '0.0.0.0'],
    ['" 0.0.0.0 "', ' 0.0.0.0 '],
    ['\u00a00.0.0.0\u3000', '0.0.0.0'],
    ['\uFEFF0.0.0.0', '\uFEFF0.0.0.0'],
    ['', ''],
  ])('%j reads as %j', (raw, trimmed) => {
    expect(ollamaTrim(raw)).toBe(trimmed);
  });
});

describe('the systemd chain: unit, drop-ins, winner and shadowed', () => {
  it('marks the override.conf value effective when the running service has it, and the unit value shadowed', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: INSTALLED_UNIT.replace(
            'Environment="PATH',
            'Environment="OLLAMA_HOST=127.0.0.1"\nEnvironment="PATH',
          ),
          [OVERRIDE]: service('Environment="OLLAMA_HOST=0.0.0.0:11434"'),
          '/proc/42/environ': environ({ OLLAMA_HOST: '0.0.0.0:11434' }),
        },
      },
      serverProcess(),
    );
    expect(result.status).toBe('ok');
    expect(find(result.data.settings, OVERRIDE)).toEqual({
      name: 'OLLAMA_HOST',
      value: '0.0.0.0:11434',
      source: { kind: 'systemd-dropin', path: OVERRIDE, line: 2 },
      state: 'effective',
      reason: 'the running server (pid 42) has this value',
    });
    const fromUnit = result.data.settings.filter((s) => s.source.path === UNIT);
    expect(fromUnit.map((s) => s.state)).toEqual(['shadowed']);
    expect(fromUnit[0]!.reason).toBe(`overridden by ${OVERRIDE}:2`);
    expect(find(result.data.settings, 'pid 42')).toMatchObject({
      state: 'effective',
      source: { kind: 'process', line: null },
      reason: `set by ${OVERRIDE}:2`,
    });
  });

  it('applies a unit plus two drop-ins in file-name order: the last one wins, the others are shadowed', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service('Environment=OLLAMA_HOST=unit OLLAMA_KEEP_ALIVE=5m'),
          [`${ETC}/ollama.service.d/20-later.conf`]: service('Environment=OLLAMA_HOST=later'),
          [`${ETC}/ollama.service.d/10-first.conf`]: service('Environment=OLLAMA_HOST=first'),
          '/proc/42/environ': environ({ OLLAMA_HOST: 'later', OLLAMA_KEEP_ALIVE: '5m' }),
        },
      },
      serverProcess(),
    );
    const hosts = result.data.settings.filter(
      (s) => s.name === 'OLLAMA_HOST' && s.source.kind !== 'process',
    );
    expect(hosts.map((s) => [s.value, s.state])).toEqual([
      ['unit', 'shadowed'],
      ['first', 'shadowed'],
      ['later', 'effective'],
    ]);
    expect(hosts[0]!.reason).toBe(`overridden by ${ETC}/ollama.service.d/20-later.conf:2`);
    expect(hosts[1]!.reason).toBe(`overridden by ${ETC}/ollama.service.d/20-later.conf:2`);
    expect(find(result.data.settings, UNIT, 'OLLAMA_KEEP_ALIVE').state).toBe('effective');
  });

  it('orders drop-ins from /etc and /usr/lib together by name, and a name in /etc masks the same name in /usr/lib', async () => {
    const host = createFakeHost({
      files: {
        [`${USR}/ollama.service`]: service('Environment=OLLAMA_HOST=vendor-unit'),
        [`${USR}/ollama.service.d/10-vendor.conf`]: service(
          'Environment=OLLAMA_HOST=vendor-dropin',
        ),
        [`${USR}/ollama.service.d/50-origins.conf`]: service(
          'Environment=OLLAMA_ORIGINS=vendor',
          'Environment=OLLAMA_HOST=from-50',
        ),
        [`${ETC}/ollama.service.d/10-vendor.conf`]: service('Environment=OLLAMA_HOST=admin'),
        [`${ETC}/ollama.service.d/05-early.conf`]: service('Environment=OLLAMA_HOST=early'),
      },
    });
    const result = await probeSettings(host, { process: null }, { homes: [] });
    const hosts = result.data.settings.filter((s) => s.name === 'OLLAMA_HOST');
    expect(hosts.map((s) => [s.source.path, s.value, s.state])).toEqual([
      [`${USR}/ollama.service`, 'vendor-unit', 'shadowed'],
      [`${ETC}/ollama.service.d/05-early.conf`, 'early', 'shadowed'],
      [`${ETC}/ollama.service.d/10-vendor.conf`, 'admin', 'shadowed'],
      [`${USR}/ollama.service.d/50-origins.conf`, 'from-50', 'latent'],
    ]);
    expect(result.evidence.map((e) => e.ref)).not.toContain(
      `${USR}/ollama.service.d/10-vendor.conf`,
    );
    expect(
      find(result.data.settings, `${USR}/ollama.service.d/50-origins.conf`, 'OLLAMA_ORIGINS').state,
    ).toBe('latent');
  });

  it('uses the unit file from the first root that has it: /etc wins over /usr/lib', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service('Environment=OLLAMA_HOST=etc'),
          [`${USR}/ollama.service`]: service('Environment=OLLAMA_HOST=usr'),
        },
      },
      null,
    );
    expect(result.data.settings.map((s) => s.value)).toEqual(['etc']);
    expect(result.evidence.map((e) => e.ref)).not.toContain(`${USR}/ollama.service`);
  });

  it('marks the winner latent, with the restart reason, when the running server has a different value', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: INSTALLED_UNIT,
          [OVERRIDE]: service('Environment="OLLAMA_HOST=0.0.0.0"'),
          '/proc/42/environ': environ({ OLLAMA_HOST: '127.0.0.1' }),
        },
      },
      serverProcess(),
    );
    expect(find(result.data.settings, OVERRIDE)).toMatchObject({
      state: 'latent',
      reason: 'differs from the running server: takes effect at the next restart',
    });
    const fromProcess = find(result.data.settings, 'pid 42');
    expect(fromProcess.state).toBe('effective');
    expect(fromProcess.reason).toBe(
      `set in the environment that started the server (source not found); ${OVERRIDE}:2 now sets a different value, which takes effect at the next restart`,
    );
  });

  it('marks the winner latent when the running server lacks the variable', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: INSTALLED_UNIT,
          [OVERRIDE]: service('Environment="OLLAMA_HOST=0.0.0.0"'),
          '/proc/42/environ': environ({}),
        },
      },
      serverProcess(),
    );
    expect(find(result.data.settings, OVERRIDE).state).toBe('latent');
  });

  it('marks the winner latent when no server runs', async () => {
    const result = await probe(
      {
        files: { [UNIT]: INSTALLED_UNIT, [OVERRIDE]: service('Environment="OLLAMA_HOST=0.0.0.0"') },
      },
      null,
    );
    expect(find(result.data.settings, OVERRIDE)).toMatchObject({
      state: 'latent',
      reason: 'no server is running: takes effect when ollama.service starts',
    });
    expect(result.evidence.map((e) => e.ref)).not.toContain('/proc/42/environ');
  });

  it('compares values as Ollama reads them: spaces inside systemd quotes are trimmed, the raw value is kept', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: INSTALLED_UNIT,
          [OVERRIDE]: service('Environment=OLLAMA_HOST=" 0.0.0.0 "'),
          '/proc/42/environ': environ({ OLLAMA_HOST: '0.0.0.0' }),
        },
      },
      serverProcess(),
    );
    expect(find(result.data.settings, OVERRIDE)).toMatchObject({
      value: ' 0.0.0.0 ',
      state: 'effective',
    });
  });

  it('compares values as Ollama reads them: quote characters kept inside the value are trimmed too', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service(`Environment=OLLAMA_HOST='"0.0.0.0"'`),
          '/proc/42/environ': environ({ OLLAMA_HOST: '0.0.0.0' }),
        },
      },
      serverProcess(),
    );
    expect(find(result.data.settings, UNIT)).toMatchObject({
      value: '"0.0.0.0"',
      state: 'effective',
    });
  });

  it('shadows assignments made before an empty Environment= in a later drop-in', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service('Environment=OLLAMA_HOST=0.0.0.0 OLLAMA_ORIGINS=*'),
          [OVERRIDE]: service('Environment=', 'Environment=OLLAMA_HOST=127.0.0.1'),
        },
      },
      null,
    );
    expect(find(result.data.settings, UNIT)).toMatchObject({
      state: 'shadowed',
      reason: `cleared by the empty Environment= at ${OVERRIDE}:2`,
    });
    expect(find(result.data.settings, UNIT, 'OLLAMA_ORIGINS').state).toBe('shadowed');
    expect(find(result.data.settings, OVERRIDE).state).toBe('latent');
  });

  it('removes a value named by UnsetEnvironment=', async () => {
    const result = await probe(
      { files: { [UNIT]: service('Environment=OLLAMA_DEBUG=1', 'UnsetEnvironment=OLLAMA_DEBUG') } },
      null,
    );
    expect(find(result.data.settings, UNIT, 'OLLAMA_DEBUG')).toMatchObject({
      state: 'shadowed',
      reason: `removed by UnsetEnvironment= at ${UNIT}:3`,
    });
  });

  it('reports only OLLAMA_* names', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: INSTALLED_UNIT,
          '/proc/42/environ': environ({ HOME: '/usr/share/ollama' }),
        },
      },
      serverProcess(),
    );
    expect(result.data.settings).toEqual([]);
  });
});

describe('EnvironmentFile=', () => {
  it('overrides Environment= even when the Environment= line comes later (systemd applies env files after)', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service(
            'EnvironmentFile=/etc/default/ollama',
            'Environment=OLLAMA_HOST=127.0.0.1',
          ),
          '/etc/default/ollama': '# set by admin\nOLLAMA_HOST="0.0.0.0"\n',
          '/proc/42/environ': environ({ OLLAMA_HOST: '0.0.0.0' }),
        },
      },
      serverProcess(),
    );
    expect(find(result.data.settings, '/etc/default/ollama')).toEqual({
      name: 'OLLAMA_HOST',
      value: '0.0.0.0',
      source: { kind: 'systemd-envfile', path: '/etc/default/ollama', line: 2 },
      state: 'effective',
      reason: 'the running server (pid 42) has this value',
    });
    expect(find(result.data.settings, UNIT).reason).toBe(
      'overridden by /etc/default/ollama:2 (systemd applies EnvironmentFile= after Environment=)',
    );
  });

  it('lets a later env file override an earlier one', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service('EnvironmentFile=/etc/ollama/a.env', 'EnvironmentFile=/etc/ollama/b.env'),
          '/etc/ollama/a.env': 'OLLAMA_HOST=a\n',
          '/etc/ollama/b.env': 'OLLAMA_HOST=b\n',
        },
      },
      null,
    );
    expect(result.data.settings.map((s) => [s.value, s.state])).toEqual([
      ['a', 'shadowed'],
      ['b', 'latent'],
    ]);
  });

  it('ignores a missing optional (-) env file quietly: status ok, no gap, no note', async () => {
    const result = await probe(
      { files: { [UNIT]: service('EnvironmentFile=-/etc/default/ollama') } },
      null,
    );
    expect(result.status).toBe('ok');
    expect(result.data.gaps).toEqual([]);
    expect(result.message).toBeUndefined();
    expect(result.evidence).toContainEqual({
      kind: 'file',
      ref: '/etc/default/ollama',
      outcome: 'ENOENT',
    });
  });

  it('notes that a missing required env file stops the service from starting, without a gap', async () => {
    const result = await probe(
      { files: { [UNIT]: service('EnvironmentFile=/etc/default/ollama') } },
      null,
    );
    expect(result.status).toBe('ok');
    expect(result.data.gaps).toEqual([]);
    expect(result.message).toContain('systemd will refuse to start ollama.service');
  });

  it('reports an unreadable env file as a denied gap', async () => {
    const result = await probe(
      {
        files: { [UNIT]: service('EnvironmentFile=/etc/ollama/secret.env') },
        fileErrors: { '/etc/ollama/secret.env': 'EACCES' },
      },
      null,
    );
    expect(result.status).toBe('denied');
    expect(result.data.gaps).toEqual([
      {
        path: '/etc/ollama/secret.env',
        status: 'denied',
        message: `EnvironmentFile= named at ${UNIT}:2: permission denied`,
      },
    ]);
  });

  it('expands a wildcard in the file name, in name order', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service('EnvironmentFile=-/etc/ollama/*.env'),
          '/etc/ollama/20.env': 'OLLAMA_HOST=second\n',
          '/etc/ollama/10.env': 'OLLAMA_HOST=first\n',
          '/etc/ollama/README': 'OLLAMA_HOST=not-an-env-file\n',
        },
      },
      null,
    );
    expect(result.data.settings.map((s) => [s.source.path, s.state])).toEqual([
      ['/etc/ollama/10.env', 'shadowed'],
      ['/etc/ollama/20.env', 'latent'],
    ]);
  });

  it('survives a wildcard that is not a valid pattern, with a note', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service('EnvironmentFile=-/etc/ollama/[z-a].env'),
          '/etc/ollama/x.env': 'OLLAMA_HOST=x\n',
        },
      },
      null,
    );
    expect(result.status).toBe('ok');
    expect(result.data.settings).toEqual([]);
    expect(result.message).toContain('not a wildcard Paddock understands');
  });

  it('skips `export` lines in an env file, as systemd does, and says why', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service('EnvironmentFile=/etc/default/ollama'),
          '/etc/default/ollama': 'export OLLAMA_HOST=0.0.0.0\n',
        },
      },
      null,
    );
    expect(result.data.settings).toEqual([]);
    expect(result.message).toContain("/etc/default/ollama:1: 'export' is shell syntax");
  });

  it('fuzz F3: an env file with a real U+FFFD is valid UTF-8, and its OLLAMA_HOST counts', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service('EnvironmentFile=/etc/default/ollama'),
          // EF BF BD on disk: what a lossy charset conversion leaves behind.
          '/etc/default/ollama': Buffer.from('OLLAMA_HOST=0.0.0.0\nCOMMENT=caf\uFFFD\n', 'utf8'),
        },
      },
      null,
    );
    expect(result.message ?? '').not.toContain('UTF-8');
    expect(find(result.data.settings, '/etc/default/ollama')).toMatchObject({
      value: '0.0.0.0',
      state: 'latent',
    });
  });

  it('fuzz F3: an env file whose bytes are not UTF-8 is rejected as a whole, as systemd does', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service('EnvironmentFile=/etc/default/ollama'),
          '/etc/default/ollama': Buffer.concat([
            Buffer.from('OLLAMA_HOST=0.0.0.0\nCOMMENT=caf'),
            Buffer.from([0xe9, 0x0a]), // Latin-1 é
          ]),
        },
      },
      null,
    );
    expect(result.data.settings).toEqual([]);
    expect(result.message).toContain('/etc/default/ollama:2: not valid UTF-8');
    expect(result.message).toContain('systemd rejects this file as a whole');
  });
});

describe("the server's own environment", () => {
  it('reports EACCES on /proc/PID/environ as denied with a gap, never as "no settings", and assumes the unit value', async () => {
    const result = await probe(
      {
        files: { [UNIT]: INSTALLED_UNIT, [OVERRIDE]: service('Environment="OLLAMA_HOST=0.0.0.0"') },
        fileErrors: { '/proc/42/environ': 'EACCES' },
      },
      serverProcess(),
    );
    expect(result.status).toBe('denied');
    expect(result.data.gaps).toEqual([
      {
        path: '/proc/42/environ',
        status: 'denied',
        message: "the running server's environment (pid 42): permission denied",
      },
    ]);
    expect(result.message).toContain('/proc/42/environ');
    expect(find(result.data.settings, OVERRIDE)).toMatchObject({
      state: 'effective',
      reason: "assumed: the running server's environment is not readable",
    });
    expect(result.evidence).toContainEqual({
      kind: 'file',
      ref: '/proc/42/environ',
      outcome: 'EACCES',
    });
  });

  it('explains a value no source sets', async () => {
    const result = await probe(
      { files: { [UNIT]: INSTALLED_UNIT, '/proc/42/environ': environ({ OLLAMA_DEBUG: '1' }) } },
      serverProcess(),
    );
    expect(result.data.settings).toEqual([
      {
        name: 'OLLAMA_DEBUG',
        value: '1',
        source: { kind: 'process', path: 'pid 42', line: null },
        state: 'effective',
        reason: 'set in the environment that started the server (source not found)',
      },
    ]);
  });

  it('marks a second entry with the same name shadowed: Go reads the first', async () => {
    const result = await probe(
      {
        files: {
          '/proc/42/environ': environ([
            ['OLLAMA_HOST', '127.0.0.1'],
            ['OLLAMA_HOST', '0.0.0.0'],
          ]),
        },
      },
      serverProcess({ systemdUnit: null }),
    );
    expect(result.data.settings.map((s) => [s.value, s.state])).toEqual([
      ['127.0.0.1', 'effective'],
      ['0.0.0.0', 'shadowed'],
    ]);
  });

  it('treats a server that exited before its environment was read as not running', async () => {
    const result = await probe(
      { files: { [UNIT]: service('Environment=OLLAMA_HOST=0.0.0.0') } },
      serverProcess(),
    );
    expect(result.status).toBe('ok');
    expect(find(result.data.settings, UNIT)).toMatchObject({
      state: 'latent',
      reason: 'no server is running: takes effect when ollama.service starts',
    });
    expect(result.message).toContain('exited');
  });

  it('strips hostile bytes from values and caps them at 4096 characters', async () => {
    const long = 'x'.repeat(10_000);
    const result = await probe(
      {
        files: {
          '/proc/42/environ': environ({
            OLLAMA_ORIGINS: 'http://a\u001b]0;pwned\u0007\u202egnp.\r\n',
            OLLAMA_MODELS: long,
          }),
        },
      },
      serverProcess({ systemdUnit: null }),
    );
    expect(find(result.data.settings, 'pid 42', 'OLLAMA_ORIGINS').value).toBe(
      'http://a]0;pwnedgnp.',
    );
    const models = find(result.data.settings, 'pid 42', 'OLLAMA_MODELS');
    expect(models.value).toHaveLength(4096);
    expect(models.reason).toContain('value cut to 4096 characters');
  });
});

describe('which unit is read', () => {
  it("reads the process's own unit, falling back to its template and the template's drop-ins", async () => {
    const result = await probe(
      {
        files: {
          [`${ETC}/ollama@.service`]: service('Environment=OLLAMA_HOST=127.0.0.1:1143%i'),
          [`${ETC}/ollama@.service.d/gpu.conf`]: service(
            'Environment=CUDA_VISIBLE_DEVICES=%i OLLAMA_KEEP_ALIVE=1h',
          ),
          '/proc/42/environ': environ({ OLLAMA_HOST: '127.0.0.1:11435', OLLAMA_KEEP_ALIVE: '1h' }),
        },
      },
      serverProcess({ systemdUnit: 'ollama@5.service' }),
    );
    expect(find(result.data.settings, `${ETC}/ollama@.service`)).toMatchObject({
      value: '127.0.0.1:11435',
      state: 'effective',
    });
    expect(
      find(result.data.settings, `${ETC}/ollama@.service.d/gpu.conf`, 'OLLAMA_KEEP_ALIVE').state,
    ).toBe('effective');
  });

  it('refuses a hostile unit name and reads ollama.service instead', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: service('Environment=OLLAMA_HOST=0.0.0.0'),
          '/proc/42/environ': environ({}),
        },
      },
      serverProcess({ systemdUnit: '../../../etc/shadow' }),
    );
    expect(result.evidence.map((e) => e.ref).some((ref) => ref.includes('shadow'))).toBe(false);
    expect(find(result.data.settings, UNIT)).toMatchObject({
      state: 'latent',
      reason:
        'the running server was not started by ollama.service: takes effect when ollama.service starts',
    });
  });

  it('reports an unreadable unit file as denied and does not fall back to a lower-priority copy', async () => {
    const result = await probe(
      {
        files: { [`${USR}/ollama.service`]: service('Environment=OLLAMA_HOST=vendor') },
        fileErrors: { [UNIT]: 'EACCES' },
      },
      null,
    );
    expect(result.status).toBe('denied');
    expect(result.data.gaps).toEqual([
      { path: UNIT, status: 'denied', message: 'unit file of ollama.service: permission denied' },
    ]);
    expect(result.data.settings).toEqual([]);
  });

  it('reports an unreadable drop-in directory as a gap', async () => {
    const result = await probe(
      { files: { [UNIT]: INSTALLED_UNIT }, fileErrors: { [`${ETC}/ollama.service.d`]: 'EACCES' } },
      null,
    );
    expect(result.status).toBe('denied');
    expect(result.data.gaps.map((g) => g.path)).toEqual([`${ETC}/ollama.service.d`]);
  });
});

describe('malformed unit files', () => {
  it('a drop-in without [Service] sets nothing and says why, without failing the probe', async () => {
    const result = await probe(
      {
        files: { [UNIT]: INSTALLED_UNIT, [OVERRIDE]: 'Environment="OLLAMA_HOST=0.0.0.0:11434"\n' },
      },
      null,
    );
    expect(result.status).toBe('ok');
    expect(result.data.settings).toEqual([]);
    expect(result.message).toContain(`${OVERRIDE}:1: assignment outside of any section`);
  });

  it('binary junk in a drop-in becomes problems in the message; the valid lines still count', async () => {
    // Bytes that are not UTF-8 on line 3 (the host decodes them to U+FFFD and says so).
    const junk = Buffer.concat([
      Buffer.from('[Service]\n\u0000\u0001\u0002\u0003\n'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from(
        '\n[Serv\nEnvironment=OLLAMA_ORIGINS=*\n[Service]\nEnvironment="OLLAMA_HOST=0.0.0.0\nEnvironment=OLLAMA_NOPRUNE=1\n',
      ),
    ]);
    const result = await probe({ files: { [UNIT]: INSTALLED_UNIT, [OVERRIDE]: junk } }, null);
    expect(result.status).toBe('ok');
    expect(result.data.settings.map((s) => [s.name, s.value])).toEqual([['OLLAMA_NOPRUNE', '1']]);
    expect(result.message).toContain('not valid UTF-8');
    expect(result.message).toContain('invalid section header');
    expect(result.message).toContain('unterminated double quote');
  });
});

describe('the login session: /etc/environment and shell start-up files', () => {
  const HOME = '/home/dev';

  it('marks shell exports latent when the server is a systemd service', async () => {
    const result = await probe(
      {
        files: {
          [UNIT]: INSTALLED_UNIT,
          [`${HOME}/.bashrc`]: 'export OLLAMA_HOST=0.0.0.0\n',
          '/proc/42/environ': environ({}),
        },
      },
      serverProcess(),
      [HOME],
    );
    expect(find(result.data.settings, `${HOME}/.bashrc`)).toEqual({
      name: 'OLLAMA_HOST',
      value: '0.0.0.0',
      source: { kind: 'shell-rc', path: `${HOME}/.bashrc`, line: 1 },
      state: 'latent',
      reason: 'not read by the ollama.service unit',
    });
  });

  it('orders /etc/environment, then the profile family, then rc files: the last wins, earlier ones are shadowed', async () => {
    const result = await probe(
      {
        files: {
          '/etc/environment': 'OLLAMA_HOST=etc\n',
          [`${HOME}/.bashrc`]: 'export OLLAMA_HOST=bashrc\n',
          [`${HOME}/.profile`]: 'OLLAMA_HOST=profile\nexport OLLAMA_HOST\n',
          '/proc/42/environ': environ({ OLLAMA_HOST: 'bashrc' }),
        },
      },
      serverProcess({ systemdUnit: null, uid: 1000, user: 'dev' }),
      [HOME],
    );
    expect(
      result.data.settings
        .filter((s) => s.source.kind !== 'process')
        .map((s) => [s.source.path, s.state]),
    ).toEqual([
      ['/etc/environment', 'shadowed'],
      [`${HOME}/.profile`, 'shadowed'],
      [`${HOME}/.bashrc`, 'effective'],
    ]);
    expect(find(result.data.settings, '/etc/environment').reason).toBe(
      `overridden by ${HOME}/.bashrc:1`,
    );
    expect(find(result.data.settings, 'pid 42').reason).toContain(`likely from ${HOME}/.bashrc:1`);
  });

  it('compares with the server when it is not a service: a different value is latent', async () => {
    const result = await probe(
      {
        files: {
          [`${HOME}/.zshrc`]: 'export OLLAMA_HOST=0.0.0.0\n',
          '/proc/42/environ': environ({ OLLAMA_HOST: '127.0.0.1' }),
        },
      },
      serverProcess({ systemdUnit: null }),
      [HOME],
    );
    expect(find(result.data.settings, `${HOME}/.zshrc`)).toMatchObject({
      state: 'latent',
      reason:
        'differs from the running server: takes effect when the server is next started from a login session',
    });
  });

  it('reads fish config and says when a value holds expansions Paddock did not run', async () => {
    const result = await probe(
      {
        files: {
          [`${HOME}/.config/fish/config.fish`]: 'set -gx OLLAMA_HOST (hostname -I):11434\n',
        },
      },
      null,
      [HOME],
    );
    expect(find(result.data.settings, `${HOME}/.config/fish/config.fish`).reason).toBe(
      'no server is running: applies to a server started from a login session; contains (hostname -I), which Paddock did not expand (files are read, never run)',
    );
  });

  it('leaves out a value that is never exported, and notes it', async () => {
    const result = await probe({ files: { [`${HOME}/.bashrc`]: 'OLLAMA_HOST=0.0.0.0\n' } }, null, [
      HOME,
    ]);
    expect(result.data.settings).toEqual([]);
    expect(result.message).toContain(`${HOME}/.bashrc:1: OLLAMA_HOST is set but never exported`);
  });

  it('exports a shell assignment whose name /etc/environment already exported', async () => {
    const result = await probe(
      { files: { '/etc/environment': 'OLLAMA_HOST=a\n', [`${HOME}/.bashrc`]: 'OLLAMA_HOST=b\n' } },
      null,
      [HOME],
    );
    expect(result.data.settings.map((s) => [s.value, s.state])).toEqual([
      ['a', 'shadowed'],
      ['b', 'latent'],
    ]);
  });

  it('shadows a value removed by unset', async () => {
    const result = await probe(
      {
        files: {
          '/etc/environment': 'OLLAMA_HOST=a\n',
          [`${HOME}/.profile`]: 'unset OLLAMA_HOST\n',
        },
      },
      null,
      [HOME],
    );
    expect(find(result.data.settings, '/etc/environment')).toMatchObject({
      state: 'shadowed',
      reason: `removed by unset at ${HOME}/.profile:1`,
    });
  });

  it("defaults to the server user's home from /etc/passwd plus the scanner's own home", async () => {
    const host = createFakeHost({
      home: '/home/dev',
      files: {
        '/etc/passwd':
          'root:x:0:0:root:/root:/bin/bash\nollama:x:998:998::/usr/share/ollama:/bin/false\n',
        '/usr/share/ollama/.profile': 'export OLLAMA_MODELS=/srv/models\n',
        '/home/dev/.bashrc': 'export OLLAMA_HOST=0.0.0.0\n',
        '/proc/42/environ': environ({}),
      },
    });
    const result = await probeSettings(host, { process: serverProcess() });
    expect(result.data.settings.map((s) => s.source.path)).toEqual([
      '/usr/share/ollama/.profile',
      '/home/dev/.bashrc',
    ]);
    const refs = result.evidence.map((e) => e.ref);
    expect(refs).toContain('/etc/passwd');
    expect(refs).toContain('/usr/share/ollama/.config/fish/config.fish');
    expect(refs).toContain('/home/dev/.zshenv');
  });

  it('reports /etc/environment once even with several homes', async () => {
    const result = await probe({ files: { '/etc/environment': 'OLLAMA_HOST=a\n' } }, null, [
      '/home/a',
      '/home/b',
    ]);
    expect(result.data.settings.map((s) => s.source.path)).toEqual(['/etc/environment']);
  });

  it('matches a quoted, spaced /etc/environment value to the server as Ollama would read it', async () => {
    const result = await probe(
      {
        files: {
          '/etc/environment': 'OLLAMA_HOST=" 0.0.0.0 "\n',
          '/proc/42/environ': environ({ OLLAMA_HOST: ' 0.0.0.0 ' }),
        },
      },
      serverProcess({ systemdUnit: null }),
      [],
    );
    expect(find(result.data.settings, '/etc/environment')).toMatchObject({
      value: ' 0.0.0.0 ',
      state: 'effective',
    });
  });
});

describe('hostile content everywhere', () => {
  it('never turns into an error status, whatever the files hold', async () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = '[]=\\"\'\n\r\t #;%$`(){}~-*?xOLLAMA_HOST:\u0000\u0001\u001b\u202e\uFFFD';
    const junk = (prefix: string) => {
      let text = prefix;
      for (let i = 0; i < 200; i++) text += alphabet.charAt(Math.floor(random() * alphabet.length));
      return text;
    };
    for (let round = 0; round < 40; round++) {
      const result = await probe(
        {
          files: {
            [UNIT]: junk('[Service]\nEnvironment='),
            [OVERRIDE]: junk('[Service]\nEnvironmentFile=-/etc/ollama/*'),
            '/etc/ollama/a': junk('OLLAMA_HOST='),
            '/etc/environment': junk('OLLAMA_HOST='),
            '/home/dev/.bashrc': junk('export OLLAMA_HOST='),
            '/home/dev/.config/fish/config.fish': junk('set -gx OLLAMA_HOST '),
            '/proc/42/environ': junk('OLLAMA_HOST='),
          },
        },
        serverProcess(),
        ['/home/dev'],
      );
      expect(result.status).toBe('ok');
      for (const setting of result.data.settings) {
        expect([...setting.value].some((c) => (c < ' ' && c !== '\t') || c === '\u202e')).toBe(
          false,
        );
        expect(setting.name.startsWith('OLLAMA_')).toBe(true);
      }
    }
  });
});

describe('status and evidence', () => {
  it('is ok with no settings when nothing exists, and lists every place it looked', async () => {
    const result = await probeSettings(
      createFakeHost({}),
      { process: null },
      { homes: ['/home/dev'] },
    );
    expect(result.status).toBe('ok');
    expect(result.data).toEqual({ settings: [], gaps: [] });
    const refs = result.evidence.map((e) => e.ref);
    for (const root of [
      '/etc/systemd/system',
      '/run/systemd/system',
      '/usr/local/lib/systemd/system',
      '/usr/lib/systemd/system',
      '/lib/systemd/system',
    ]) {
      expect(refs).toContain(`${root}/ollama.service`);
      expect(refs).toContain(`${root}/ollama.service.d`);
    }
    expect(refs).toContain('/etc/environment');
    expect(refs).toContain('/home/dev/.profile');
    expect(result.evidence.every((e) => e.kind === 'file' && e.outcome === 'ENOENT')).toBe(true);
  });

  it('uses the roots and /etc/environment path it is given', async () => {
    const host = createFakeHost({
      files: {
        '/tmp/units/ollama.service': service('Environment=OLLAMA_HOST=x'),
        '/tmp/env': 'OLLAMA_DEBUG=1\n',
      },
    });
    const result = await probeSettings(
      host,
      { process: null },
      { roots: ['/tmp/units/'], etcEnvironment: '/tmp/env', homes: [] },
    );
    expect(result.data.settings.map((s) => [s.source.kind, s.source.path])).toEqual([
      ['systemd-unit', '/tmp/units/ollama.service'],
      ['etc-environment', '/tmp/env'],
    ]);
  });

  it('reports an unexpected read error as error status with a gap', async () => {
    const result = await probe({ fileErrors: { '/etc/environment': 'EIO' } }, null);
    expect(result.status).toBe('error');
    expect(result.data.gaps).toEqual([
      { path: '/etc/environment', status: 'error', message: 'login environment: EIO' },
    ]);
  });
});
