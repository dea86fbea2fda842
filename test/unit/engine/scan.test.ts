/**
 * How the scan joins the probes into instances and a verdict, with the probes' answers given
 * (their own parsing is tested beside each probe, and for real in the lab).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResult } from '../../../electron/engine/host/types';
import type { PlatformProbes } from '../../../electron/engine/probes/platform';
import { scan } from '../../../electron/engine/scan';
import { snapshotSchema } from '../../../shared/snapshot';
import type {
  NetInterface,
  OllamaProcess,
  ProbeResult,
  SettingsReport,
  Socket,
} from '../../../shared/snapshot';
import { createFakeHost } from '../../support/fake-host';

const ok = <T>(data: T, message?: string): ProbeResult<T> => ({
  status: 'ok',
  data,
  evidence: [],
  message,
  durationMs: 1,
});

const serverProcess = (pid: number, extra: Partial<OllamaProcess> = {}): OllamaProcess => ({
  pid,
  ppid: 1,
  role: 'server',
  argv: ['/usr/local/bin/ollama', 'serve'],
  executable: '/usr/local/bin/ollama',
  executableStatus: 'ok',
  uid: 998,
  user: 'ollama',
  startedAt: '2026-11-28T10:00:00.000Z',
  systemdUnit: 'ollama.service',
  sameNetns: true,
  ...extra,
});

const listening = (
  localAddress: string,
  localPort: number,
  owner: { pid: number; name: string } | null,
  family: 4 | 6 = 4,
): Socket => ({
  state: 'listen',
  family,
  localAddress,
  localPort,
  peerAddress: family === 4 ? '0.0.0.0' : '::',
  peerPort: 0,
  dualStack: family === 6 && localAddress === '::',
  boundInterface: null,
  uid: 998,
  inode: localPort,
  processes: owner ? [owner] : [],
  ownerVisibility: owner ? 'visible' : 'denied',
});

const lanInterfaces: NetInterface[] = [
  {
    name: 'lo',
    addresses: [{ address: '127.0.0.1', family: 4, prefixLength: 8, scope: 'loopback' }],
  },
  {
    name: 'eth0',
    addresses: [{ address: '192.168.7.5', family: 4, prefixLength: 24, scope: 'private' }],
  },
];

function probes(parts: {
  processes?: OllamaProcess[];
  sockets?: Socket[];
  settings?: SettingsReport;
  interfaces?: NetInterface[];
  override?: Partial<PlatformProbes>;
}): PlatformProbes {
  return {
    processes: async () => ok(parts.processes ?? []),
    sockets: async () => ok(parts.sockets ?? []),
    interfaces: async () => ok(parts.interfaces ?? lanInterfaces),
    settings: async () => ok(parts.settings ?? { settings: [], gaps: [] }),
    firewall: async () => ({
      status: 'unavailable',
      data: null,
      evidence: [],
      message: 'no firewall in this test',
      durationMs: 0,
    }),
    ...parts.override,
  };
}

/** An Ollama answering on the given ports (any address), everything else refused. */
function ollamaHttp(ports: number[]) {
  return (request: HttpRequest): HttpResult => {
    const url = `http://${request.address}:${request.port}${request.path}`;
    if (!ports.includes(request.port))
      return { ok: false, url, error: 'refused', message: 'connection refused', durationMs: 0 };
    const body =
      request.path === '/'
        ? 'Ollama is running'
        : request.path === '/api/version'
          ? '{"version":"0.12.10"}'
          : '{"models":[{"name":"qwen3:8b","size":5200000000}]}';
    return { ok: true, url, status: 200, headers: {}, body, truncated: false, durationMs: 0 };
  };
}

describe('scan', () => {
  it('an Ollama service on 0.0.0.0 with a LAN address is one instance, reachable from the LAN', async () => {
    const host = createFakeHost({ http: ollamaHttp([11434]) });
    const snapshot = await scan(host, {
      probes: probes({
        processes: [serverProcess(42)],
        sockets: [listening('0.0.0.0', 11434, { pid: 42, name: 'ollama' })],
        settings: {
          settings: [
            {
              name: 'OLLAMA_HOST',
              value: '0.0.0.0',
              source: {
                kind: 'systemd-dropin',
                path: '/etc/systemd/system/ollama.service.d/override.conf',
                line: 2,
              },
              state: 'effective',
              reason: 'in force',
            },
          ],
          gaps: [],
        },
      }),
    });
    expect(snapshotSchema.parse(snapshot)).toBeTruthy();
    expect(snapshot.verdict).toBe('lan');
    expect(snapshot.instances).toHaveLength(1);
    const [instance] = snapshot.instances;
    expect(instance).toMatchObject({
      id: 'ollama:service:ollama.service',
      pid: 42,
      version: '0.12.10',
      versionSource: 'api',
      exposure: 'lan',
    });
    expect(instance!.configuredBind).toMatchObject({ host: '0.0.0.0', port: 11434, reach: 'all' });
    expect(instance!.fingerprints[0]?.models?.[0]?.name).toBe('qwen3:8b');
    expect(snapshot.probes.firewall.status).toBe('unavailable');
    expect(snapshot.verdictReasons[0]).toMatch(
      /ollama:service:ollama.service \(version 0\.12\.10\)/,
    );
  });

  it('nothing running and every probe fine: private, "no Ollama server"', async () => {
    const snapshot = await scan(createFakeHost(), { probes: probes({}) });
    expect(snapshot.verdict).toBe('private');
    expect(snapshot.verdictReasons).toEqual(['No Ollama server is running on this computer.']);
    expect(snapshot.probes.settings.data.persistent).toBeDefined();
  });

  it('a socket whose owner is hidden but answers as Ollama is attributed to the only silent server', async () => {
    const host = createFakeHost({ http: ollamaHttp([11434]), uid: 1000 });
    const snapshot = await scan(host, {
      probes: probes({
        processes: [serverProcess(42)],
        sockets: [listening('0.0.0.0', 11434, null)],
      }),
    });
    expect(snapshot.instances).toHaveLength(1);
    const [instance] = snapshot.instances;
    expect(instance!.listeners[0]).toMatchObject({
      ownerVisibility: 'denied',
      owner: null,
      exposure: 'lan',
    });
    expect(instance!.reasons.join(' ')).toMatch(/hidden from this user/);
  });

  it('a hidden socket on the server’s own port is attributed even when nothing answers the knock', async () => {
    // A firewall that drops the port on every interface, loopback too, also drops our knock.
    const host = createFakeHost({ http: ollamaHttp([]), uid: 1000 });
    const snapshot = await scan(host, {
      probes: probes({
        processes: [serverProcess(42)],
        sockets: [listening('0.0.0.0', 11434, null)],
      }),
    });
    expect(snapshot.instances).toHaveLength(1);
    expect(snapshot.instances[0]!.listeners).toHaveLength(1);
    expect(snapshot.instances[0]!.reasons.join(' ')).toMatch(
      /listen on port 11434, the port its settings name/,
    );
  });

  it('an Ollama answering on a socket of a renamed binary is still an instance', async () => {
    const host = createFakeHost({ http: ollamaHttp([11434]) });
    const snapshot = await scan(host, {
      probes: probes({
        sockets: [listening('192.168.7.5', 11434, { pid: 77, name: 'llm-server' })],
      }),
    });
    expect(snapshot.instances.map((i) => i.id)).toEqual(['ollama:port:11434']);
    expect(snapshot.instances[0]!.reasons[0]).toMatch(/llm-server/);
    expect(snapshot.verdict).toBe('lan');
  });

  it('docker-proxy publishing Ollama is a Docker path to it, judged like any listener', async () => {
    const host = createFakeHost({ http: ollamaHttp([11434]) });
    const snapshot = await scan(host, {
      probes: probes({
        sockets: [listening('0.0.0.0', 11434, { pid: 77, name: 'docker-proxy' })],
      }),
    });
    expect(snapshot.instances).toHaveLength(1);
    const [instance] = snapshot.instances;
    expect(instance!.proxyPaths[0]).toMatchObject({ software: 'docker-proxy', upstream: 'ollama' });
    expect(instance!.listeners[0]).toMatchObject({ path: 'docker', exposure: 'lan' });
    expect(snapshot.verdict).toBe('lan');
  });

  it('a listener on another port that is not Ollama is not an instance', async () => {
    const host = createFakeHost({ http: ollamaHttp([]) });
    const snapshot = await scan(host, {
      probes: probes({ sockets: [listening('0.0.0.0', 5432, null)] }),
    });
    expect(snapshot.instances).toEqual([]);
    expect(snapshot.probes.fingerprints.data[0]?.identity).toBe('no-answer');
  });

  it('70 hidden listeners answering 1 MiB each: Ollama on 11434 is still found, and the scan says what it could not read', async () => {
    const hostile = Array.from({ length: 70 }, (_, i) => listening('127.0.0.1', 20_000 + i, null));
    const ollama = ollamaHttp([11434]);
    let read = 0;
    const host = createFakeHost({
      // Honours the scan's budget as the real host does (host/http.ts).
      http: (request) => {
        if (request.port === 11434) return ollama(request);
        const wanted = Math.min(1024 * 1024, request.maxBodyBytes ?? Infinity);
        const granted = request.budget ? request.budget.take(wanted) : wanted;
        read += granted;
        const cut = granted < wanted ? 'budget' : 'size-cap';
        return {
          ok: true,
          url: `http://${request.address}:${request.port}${request.path}`,
          status: 200,
          headers: {},
          body: 'x'.repeat(granted),
          truncated: true,
          cut,
          durationMs: 0,
        };
      },
    });
    // Ollama's listener comes last in the socket table.
    const snapshot = await scan(host, {
      probes: probes({ sockets: [...hostile, listening('0.0.0.0', 11434, null)] }),
    });
    expect(read).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(snapshot.instances.map((i) => i.id)).toEqual(['ollama:port:11434']);
    const probe = snapshot.probes.fingerprints;
    expect(probe.data).toHaveLength(64);
    expect(probe.data[0]).toMatchObject({ port: 11434, identity: 'ollama' });
    expect(probe.message).toMatch(/could not be read in full: a scan reads at most 8 MiB/);
    expect(probe.message).toMatch(
      /7 more listeners of hidden owners were not checked \(at most 64 per scan\)/,
    );
    const unread = probe.data.filter((f) => /budget/.test(f.problems.join(' ')));
    expect(unread.length).toBeGreaterThan(40);
    expect(unread.every((f) => f.identity === 'no-answer')).toBe(true);
  });

  it('a server in another network namespace is unknown, not private', async () => {
    const snapshot = await scan(createFakeHost(), {
      probes: probes({ processes: [serverProcess(9, { sameNetns: false, systemdUnit: null })] }),
    });
    expect(snapshot.instances[0]).toMatchObject({ exposure: 'unknown' });
    expect(snapshot.verdict).toBe('unknown');
  });

  it('a probe that throws becomes an error result and the scan still finishes', async () => {
    const snapshot = await scan(createFakeHost(), {
      probes: probes({
        processes: [serverProcess(42)],
        override: {
          sockets: async () => {
            throw new Error('ss exploded');
          },
        },
      }),
    });
    expect(snapshot.probes.sockets).toMatchObject({
      status: 'error',
      message: 'sockets probe failed: ss exploded',
    });
    expect(snapshot.instances[0]).toMatchObject({ exposure: 'unknown' });
  });

  it('a probe that never returns is cut at its deadline', async () => {
    const started = performance.now();
    const snapshot = await scan(createFakeHost(), {
      probeDeadlineMs: 200,
      probes: probes({ override: { processes: () => new Promise(() => undefined) } }),
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(snapshot.probes.processes).toMatchObject({
      status: 'error',
      message: 'processes probe did not finish within 200 ms',
    });
  });

  it('without an API version, asks the server binary by argv', async () => {
    const host = createFakeHost({
      exec: { '/usr/local/bin/ollama --version': { code: 0, stdout: 'ollama version is 0.6.7\n' } },
      owners: { '/usr/local/bin/ollama': { uid: 0, mode: 0o755 } },
    });
    const snapshot = await scan(host, {
      probes: probes({
        processes: [serverProcess(42)],
        sockets: [listening('127.0.0.1', 11434, { pid: 42, name: 'ollama' })],
      }),
    });
    expect(host.execCalls).toContainEqual(['/usr/local/bin/ollama', '--version']);
    expect(snapshot.instances[0]).toMatchObject({
      version: '0.6.7',
      versionSource: 'cli',
      exposure: 'private',
    });
  });
});

describe('scan: Docker and proxies joined to instances', () => {
  const apiJson = readFileSync(
    join(__dirname, '../../fixtures/docker/containers-json-v1.41.txt'),
    'utf8',
  )
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');

  it('an Ollama container published on 0.0.0.0 with no host socket (kernel forwarding) is an instance, past ufw', async () => {
    const host = createFakeHost({
      unixHttp: (request) => ({
        ok: true,
        url: `unix:${request.socketPath}:${request.path}`,
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: apiJson,
        truncated: false,
        durationMs: 1,
      }),
    });
    const snapshot = await scan(host, { probes: probes({}) });
    expect(snapshot.probes.docker.status).toBe('ok');
    const fromDocker = snapshot.instances.filter((i) => i.id.startsWith('ollama:docker:'));
    expect(fromDocker.length).toBeGreaterThan(0);
    const exposed = fromDocker.find((i) => i.containers[0]?.publishedBeyondLoopback)!;
    expect(exposed.listeners.every((l) => l.path === 'docker')).toBe(true);
    expect(exposed.exposure).toBe('lan');
    expect(exposed.reasons.join(' ')).toMatch(/ufw does not protect them/);
    const local = fromDocker.find(
      (i) => i.containers[0] && !i.containers[0].publishedBeyondLoopback,
    );
    expect(local, 'the fixture has an Ollama published on 127.0.0.1 only').toBeDefined();
    expect(local!.exposure).toBe('private');
    expect(snapshot.verdict).toBe('lan');
  });

  it('no Docker engine: the docker probe is unavailable, never an error, and the scan goes on', async () => {
    const snapshot = await scan(createFakeHost(), { probes: probes({}) });
    expect(snapshot.probes.docker.status).toBe('unavailable');
    expect(snapshot.probes.gpu.status).toBe('unavailable');
    expect(snapshot.verdict).toBe('private');
  });

  it('remote peers on an instance come from established sockets, IPv4-mapped shown plain', async () => {
    const host = createFakeHost({ http: ollamaHttp([11434]) });
    const established: Socket = {
      ...listening('::', 11434, { pid: 42, name: 'ollama' }, 6),
      state: 'established',
      peerAddress: '::ffff:192.168.7.9',
      peerPort: 50123,
    };
    const snapshot = await scan(host, {
      probes: probes({
        processes: [serverProcess(42)],
        sockets: [listening('::', 11434, { pid: 42, name: 'ollama' }, 6), established],
      }),
    });
    expect(snapshot.instances[0]!.peers).toEqual([
      expect.objectContaining({ address: '192.168.7.9', connections: 1, ports: [11434] }),
    ]);
  });
});

describe('scan: running the server binary for its version', () => {
  it('never runs another user’s binary, nor one others may change (Paddock may be root)', async () => {
    for (const owner of [{ uid: 1234, mode: 0o755 }, { uid: 0, mode: 0o777 }, undefined]) {
      const host = createFakeHost({
        uid: 0,
        exec: {
          '/usr/local/bin/ollama --version': { code: 0, stdout: 'ollama version is 0.6.7\n' },
        },
        owners: owner ? { '/usr/local/bin/ollama': owner } : {},
      });
      const snapshot = await scan(host, {
        probes: probes({
          processes: [serverProcess(42)],
          sockets: [listening('127.0.0.1', 11434, { pid: 42, name: 'ollama' })],
        }),
      });
      expect(
        host.execCalls.some((argv) => argv[1] === '--version'),
        JSON.stringify(owner),
      ).toBe(false);
      expect(snapshot.instances[0]!.version).toBeNull();
      expect(snapshot.probes.versions.evidence[0]?.outcome).toMatch(/^not run:/);
    }
  });
});

describe('scan: the server log as a second source', () => {
  const serverLog = [
    'time=2026-08-21T18:40:01.101Z level=INFO source=routes.go:1528 msg="server config" env="map[OLLAMA_DEBUG:INFO OLLAMA_HOST:http://0.0.0.0:11434 OLLAMA_ORIGINS:[* http://localhost] http_proxy:]"',
    'time=2026-08-21T18:40:01.130Z level=INFO source=routes.go:1581 msg="Listening on [::]:11434 (version 0.12.9)"',
    '',
  ].join('\n');

  it('without the server’s environment, its `server config` line tells what is in force and its version', async () => {
    const host = createFakeHost({
      uid: 1000,
      home: '/home/dev',
      files: { '/home/dev/.ollama/logs/server.log': serverLog },
    });
    const snapshot = await scan(host, {
      probes: probes({
        processes: [serverProcess(42, { systemdUnit: null })],
        sockets: [listening('127.0.0.1', 11434, { pid: 42, name: 'ollama' })],
        settings: {
          settings: [],
          gaps: [{ path: '/proc/42/environ', status: 'denied', message: 'permission denied' }],
        },
      }),
    });
    const [instance] = snapshot.instances;
    expect(instance).toMatchObject({ version: '0.12.9', versionSource: 'log' });
    const host0 = instance!.settings.find((s) => s.name === 'OLLAMA_HOST');
    expect(host0).toMatchObject({
      value: 'http://0.0.0.0:11434',
      state: 'effective',
      source: { kind: 'server-log', path: '/home/dev/.ollama/logs/server.log' },
    });
    expect(instance!.configuredBind).toMatchObject({ host: '0.0.0.0', port: 11434, reach: 'all' });
  });

  it('with the environment readable, the log adds no setting', async () => {
    const host = createFakeHost({
      home: '/home/dev',
      files: { '/home/dev/.ollama/logs/server.log': serverLog },
    });
    const snapshot = await scan(host, {
      probes: probes({
        processes: [serverProcess(42, { systemdUnit: null })],
        sockets: [listening('127.0.0.1', 11434, { pid: 42, name: 'ollama' })],
      }),
    });
    expect(snapshot.instances[0]!.settings.some((s) => s.source.kind === 'server-log')).toBe(false);
  });
});

describe('instance ids survive a restart', () => {
  it('a service is named by its unit, a hand-started server by its port, whatever the pid', async () => {
    const ids = async (pid: number, unit: string | null) => {
      const snapshot = await scan(createFakeHost({ http: ollamaHttp([11434]) }), {
        probes: probes({
          processes: [serverProcess(pid, { systemdUnit: unit })],
          sockets: [listening('127.0.0.1', 11434, { pid, name: 'ollama' })],
        }),
      });
      return snapshot.instances.map((i) => i.id);
    };
    expect(await ids(42, 'ollama.service')).toEqual(['ollama:service:ollama.service']);
    expect(await ids(4242, 'ollama.service')).toEqual(['ollama:service:ollama.service']);
    expect(await ids(42, null)).toEqual(['ollama:port:11434']);
    expect(await ids(977, null)).toEqual(['ollama:port:11434']);
  });
});
