/**
 * The Docker probe: Engine API parsing (fixtures shaped from the v1.41 reference, see their
 * headers), the CLI fallback, which containers are Ollama, and the statuses (no engine is
 * unavailable, EACCES is denied, junk is an error). Real unix sockets in a temp dir stand in
 * for the engine in docker-socket.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCKER_BYPASSES_FIREWALL } from '../../../electron/engine/judge/docker-words';
import type { UnixHttpRequest, UnixHttpResult } from '../../../electron/engine/host/unix-http';
import {
  dockerSocketCandidates,
  imageRepository,
  isOllamaImage,
  ollamaContainers,
  parseContainersJson,
  probeDocker,
  publishScope,
} from '../../../electron/engine/probes/docker';
import { dockerReportSchema } from '../../../shared/docker';
import { createFakeHost } from '../../support/fake-host';

const fixture = (name: string) =>
  readFileSync(join(__dirname, '../../fixtures/docker', name), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
const API_JSON = fixture('containers-json-v1.41.txt');
const PS_KEY = 'docker ps --no-trunc --format {{json .}}';

function answer(
  status: number,
  body: string,
  socketPath = '/var/run/docker.sock',
  path = '/',
): UnixHttpResult {
  return {
    ok: true,
    url: `unix:${socketPath}:${path}`,
    status,
    headers: { 'content-type': 'application/json' },
    body,
    truncated: false,
    durationMs: 1,
  };
}
function failure(error: 'missing' | 'denied' | 'refused', req: UnixHttpRequest): UnixHttpResult {
  const code = { missing: 'ENOENT', denied: 'EACCES', refused: 'ECONNREFUSED' }[error];
  return {
    ok: false,
    url: `unix:${req.socketPath}:${req.path}`,
    error,
    code,
    message: code,
    durationMs: 1,
  };
}

describe('Engine API parsing (v1.41 reference shapes)', () => {
  const containers = parseContainersJson(API_JSON)!;

  it('reads names, image, state, ports and labels', () => {
    expect(containers).toHaveLength(5);
    expect(containers[0]).toMatchObject({
      names: ['ollama'],
      image: 'ollama/ollama',
      state: 'running',
      status: 'Up 2 hours',
      networkMode: 'ai_default',
      labels: { 'com.docker.compose.service': 'ollama' },
      published: [
        {
          hostIp: '0.0.0.0',
          hostPort: 11434,
          containerPort: 11434,
          protocol: 'tcp',
          scope: 'all-ipv4',
        },
        { hostIp: '::', hostPort: 11434, containerPort: 11434, protocol: 'tcp', scope: 'all-ipv6' },
      ],
      exposedOnly: [],
    });
  });

  it('tells a 127.0.0.1 publish from 0.0.0.0 and ::', () => {
    expect(containers[1]!.published).toEqual([
      {
        hostIp: '127.0.0.1',
        hostPort: 11435,
        containerPort: 11434,
        protocol: 'tcp',
        scope: 'loopback',
      },
    ]);
    expect(publishScope('0.0.0.0')).toBe('all-ipv4');
    expect(publishScope('::')).toBe('all-ipv6');
    expect(publishScope('::1')).toBe('loopback');
    expect(publishScope('192.168.1.20')).toBe('specific');
    expect(publishScope('')).toBe('all-ipv4');
  });

  it('keeps a port that is only exposed apart from published ones', () => {
    expect(containers[4]).toMatchObject({ names: ['cache'], published: [], exposedOnly: [6379] });
  });

  it('refuses what is not a JSON list, and skips entries without Id or Image', () => {
    expect(parseContainersJson('{"message":"page not found"}')).toBeNull();
    expect(parseContainersJson('[{"Id": 1}')).toBeNull();
    expect(parseContainersJson('[{"Id":"x"},{"Image":"y"},5,null]')).toEqual([]);
  });

  it('ignores ports with junk values', () => {
    const [c] = parseContainersJson(
      JSON.stringify([
        {
          Id: 'x',
          Image: 'ollama/ollama',
          Ports: [
            { IP: 'not-an-ip', PrivatePort: 11434, PublicPort: 1, Type: 'tcp' },
            { IP: '0.0.0.0', PrivatePort: 70000, PublicPort: 11434, Type: 'tcp' },
            { IP: '0.0.0.0', PrivatePort: 11434, PublicPort: 11434, Type: 'quic' },
            'junk',
          ],
        },
      ]),
    )!;
    expect(c!.published).toEqual([]);
  });
});

describe('which containers are Ollama', () => {
  const containers = parseContainersJson(API_JSON)!;

  it.each([
    ['ollama/ollama', true],
    ['ollama/ollama:rocm', true],
    ['docker.io/ollama/ollama:0.12.10', true],
    ['ollama/ollama@sha256:0123abcd', true],
    ['localhost:5000/ollama:latest', true],
    ['ghcr.io/open-webui/open-webui:ollama', false],
    ['redis:7', false],
    ['myollama/server', false],
  ])('%s is an Ollama image: %s', (image, expected) => {
    expect(isOllamaImage(image)).toBe(expected);
  });

  it('strips registry, library/, tag and digest', () => {
    expect(imageRepository('docker.io/library/redis:7')).toBe('redis');
    expect(imageRepository('registry.example.com:5000/team/llm:1@sha256:ab')).toBe('team/llm');
  });

  it('finds Ollama by image, and by a published port that answered as Ollama', () => {
    const found = ollamaContainers(containers, [
      { port: 11500, identity: 'ollama' },
      { port: 3000, identity: 'other-http' },
    ]);
    expect(found.map((c) => [c.names[0], c.matchedBy, c.publishedBeyondLoopback])).toEqual([
      ['ollama', 'image', true],
      ['ollama-local', 'image', false],
      ['llm-gateway', 'fingerprint', true],
    ]);
    expect(found[0]!.reasons).toContain(DOCKER_BYPASSES_FIREWALL);
    expect(found[1]!.reasons.join(' ')).toContain('loopback only');
    expect(found[1]!.reasons).not.toContain(DOCKER_BYPASSES_FIREWALL);
  });

  it('ignores a non-Ollama container whose port answers something else', () => {
    expect(ollamaContainers(containers).map((c) => c.names[0])).toEqual(['ollama', 'ollama-local']);
  });

  it('says plainly that ufw does not filter Docker publishes', () => {
    expect(DOCKER_BYPASSES_FIREWALL).toMatch(/ufw/);
    expect(DOCKER_BYPASSES_FIREWALL).toMatch(/127\.0\.0\.1/);
  });
});

describe('dockerSocketCandidates', () => {
  it('honours DOCKER_HOST=unix://… alone', () => {
    expect(
      dockerSocketCandidates(
        (n) => (n === 'DOCKER_HOST' ? 'unix:///tmp/d.sock' : undefined),
        '/home/u',
        1000,
      ),
    ).toEqual({
      sockets: ['/tmp/d.sock'],
      skipReason: null,
    });
  });
  it('refuses a TCP or SSH engine: not this machine', () => {
    const r = dockerSocketCandidates(
      (n) => (n === 'DOCKER_HOST' ? 'tcp://10.0.0.5:2375' : undefined),
      '/home/u',
      1000,
    );
    expect(r.sockets).toEqual([]);
    expect(r.skipReason).toMatch(/tcp:\/\/10\.0\.0\.5:2375/);
  });
  it("Windows: Docker Desktop's and Podman's named pipes, or DOCKER_HOST=npipe://", () => {
    expect(dockerSocketCandidates(() => undefined, 'C:\\Users\\alice', null, 'win32')).toEqual({
      sockets: ['\\\\.\\pipe\\docker_engine', '\\\\.\\pipe\\podman-machine-default'],
      skipReason: null,
    });
    expect(
      dockerSocketCandidates(
        (n) => (n === 'DOCKER_HOST' ? 'npipe:////./pipe/dockerDesktopLinuxEngine' : undefined),
        'C:\\Users\\alice',
        null,
        'win32',
      ).sockets,
    ).toEqual(['\\\\.\\pipe\\dockerDesktopLinuxEngine']);
  });
  it('lists rootful, rootless, Desktop and Podman sockets otherwise', () => {
    const r = dockerSocketCandidates(() => undefined, '/home/u', 1000);
    expect(r.sockets).toEqual([
      '/var/run/docker.sock',
      '/run/user/1000/docker.sock',
      '/home/u/.docker/run/docker.sock',
      '/home/u/.docker/desktop/docker.sock',
      '/run/podman/podman.sock',
      '/run/user/1000/podman/podman.sock',
    ]);
  });
});

describe('probeDocker statuses (fake host and socket)', () => {
  const host = (exec: Record<string, object> = {}, env: Record<string, string> = {}) =>
    createFakeHost({ exec, env, uid: 1000, home: '/home/u' });

  it('ok from the API, with the Ollama containers picked out', async () => {
    const calls: string[] = [];
    const result = await probeDocker(host(), {
      unixHttp: async (req) => {
        calls.push(`${req.socketPath}${req.path}`);
        return req.socketPath === '/var/run/docker.sock'
          ? answer(200, API_JSON, req.socketPath, req.path)
          : failure('missing', req);
      },
    });
    expect(result.status).toBe('ok');
    expect(calls).toContain('/var/run/docker.sock/v1.41/containers/json');
    expect(result.data!.source).toBe('api');
    expect(result.data!.endpoints).toEqual(['/var/run/docker.sock']);
    expect(result.data!.apiVersion).toBe('1.41');
    expect(result.data!.ollama.map((c) => c.names[0])).toEqual(['ollama', 'ollama-local']);
    expect(() => dockerReportSchema.parse(result.data)).not.toThrow();
  });

  it("retries unversioned when the engine says 'client version 1.41 is too new' (or, Docker 29, too old)", async () => {
    for (const message of [
      'client version 1.41 is too new. Maximum supported API version is 1.40',
      'client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version',
    ]) {
      const paths: string[] = [];
      const result = await probeDocker(host(), {
        unixHttp: async (req) => {
          if (req.socketPath !== '/var/run/docker.sock') return failure('missing', req);
          paths.push(req.path);
          return req.path.startsWith('/v1.41/')
            ? answer(400, JSON.stringify({ message }))
            : answer(200, API_JSON);
        },
      });
      expect(paths).toEqual(['/v1.41/containers/json', '/containers/json']);
      expect(result.status).toBe('ok');
      expect(result.data!.apiVersion).toBeNull();
    }
  });

  it('denied on EACCES (not in the docker group)', async () => {
    const result = await probeDocker(host(), {
      unixHttp: async (req) =>
        req.socketPath === '/var/run/docker.sock'
          ? failure('denied', req)
          : failure('missing', req),
    });
    expect(result.status).toBe('denied');
    expect(result.message).toMatch(/docker group/);
  });

  it('malformed JSON from the engine is an error', async () => {
    const result = await probeDocker(host(), {
      unixHttp: async (req) =>
        req.socketPath === '/var/run/docker.sock'
          ? answer(200, '[{"Id":')
          : failure('missing', req),
    });
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/JSON list of containers/);
  });

  it('no socket answers: unavailable, never an error, and the docker CLI is never asked', async () => {
    const h = host({ [PS_KEY]: { code: 0, stdout: '{}' } });
    const result = await probeDocker(h, { unixHttp: async (req) => failure('missing', req) });
    expect(result.status).toBe('unavailable');
    expect(result.message).toMatch(/No Docker engine answered on this machine/);
    // The CLI would follow a Docker context to a remote engine: Paddock looks here only.
    expect(h.execCalls).toEqual([]);
  });

  it('a stale socket nobody listens on (refused): unavailable', async () => {
    const result = await probeDocker(host(), { unixHttp: async (req) => failure('refused', req) });
    expect(result.status).toBe('unavailable');
  });

  it('DOCKER_HOST=tcp://… is not queried at all (neither socket nor CLI)', async () => {
    const h = host({}, { DOCKER_HOST: 'tcp://10.0.0.5:2375' });
    let asked = false;
    const result = await probeDocker(h, {
      unixHttp: async (req) => {
        asked = true;
        return failure('missing', req);
      },
    });
    expect(result.status).toBe('unavailable');
    expect(asked).toBe(false);
    expect(h.execCalls).toEqual([]);
  });
});
