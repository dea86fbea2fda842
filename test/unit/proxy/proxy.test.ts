/**
 * Reverse proxies in front of Ollama: the pure decision (classifyProxyPath), candidate
 * selection, the WWW-Authenticate reading, and probeProxies against real HTTP servers on
 * loopback (an Ollama-like upstream, a proxy to it with and without Basic auth, a plain web
 * page). Sockets are described by hand; the lab test (test/lab/proxy.test.ts) uses real nginx.
 */
import { isLikelyHttpProxy, isPortForwarder } from '../../../electron/engine/judge/process-names';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createNodeHost } from '../../../electron/engine/host/node-host';
import {
  classifyProxyPath,
  parseWwwAuthenticate,
  probeProxies,
  proxySoftware,
  selectProxyCandidates,
} from '../../../electron/engine/probes/proxy';
import type { Fingerprint, Socket } from '../../../shared/snapshot';
import { proxyPathSchema } from '../../../shared/proxy';
import type { Handler } from '../../support/loopback-http';
import { serve } from '../../support/loopback-http';

function listener(
  port: number,
  processes: Socket['processes'],
  partial: Partial<Socket> = {},
): Socket {
  return {
    state: 'listen',
    family: 4,
    localAddress: '0.0.0.0',
    localPort: port,
    peerAddress: '0.0.0.0',
    peerPort: 0,
    dualStack: false,
    boundInterface: null,
    uid: 0,
    inode: port,
    processes,
    ownerVisibility: processes.length > 0 ? 'visible' : 'denied',
    ...partial,
  };
}

function fingerprint(partial: Partial<Fingerprint>): Fingerprint {
  return {
    address: '127.0.0.1',
    port: 8080,
    identity: 'other-http',
    banner: null,
    version: null,
    models: null,
    loadedModels: null,
    foreignOriginAllowed: null,
    foreignHostRefused: null,
    authRequired: false,
    problems: [],
    ...partial,
  };
}

const NGINX = [
  { pid: 900, name: 'nginx' },
  { pid: 901, name: 'nginx' },
];

describe('process names', () => {
  it.each([
    ['nginx', true],
    ['caddy', true],
    ['traefik', true],
    ['haproxy', true],
    ['apache2', true],
    ['httpd', true],
    ['envoy', true],
    ['/usr/sbin/nginx', true],
    ['NGINX', true],
    ['ollama', false],
    ['docker-proxy', false],
    ['node', false],
    ['', false],
  ])('%j is a likely HTTP proxy: %s', (name, expected) => {
    expect(isLikelyHttpProxy(name)).toBe(expected);
  });

  it('knows port forwarders and names the software', () => {
    expect(isPortForwarder('docker-proxy')).toBe(true);
    expect(isPortForwarder('rootlesskit')).toBe(true);
    expect(proxySoftware('apache2')).toBe('apache');
    expect(proxySoftware('docker-proxy')).toBe('docker-proxy');
    expect(proxySoftware('python3')).toBe('other');
    expect(proxySoftware(null)).toBe('unknown');
  });
});

describe('selectProxyCandidates', () => {
  const sockets = [
    listener(11434, [{ pid: 42, name: 'ollama' }], { localAddress: '127.0.0.1' }),
    listener(22, [{ pid: 5, name: 'sshd' }]),
    listener(5432, [{ pid: 6, name: 'postgres' }]),
    listener(9000, []),
    listener(8080, NGINX),
    listener(8080, NGINX, { family: 6, localAddress: '::', dualStack: false }),
    listener(11435, [{ pid: 77, name: 'docker-proxy' }]),
    listener(11434, [{ pid: 42, name: 'ollama' }], {
      state: 'established',
      peerAddress: '10.0.0.2',
    }),
  ];

  it('web servers first, then forwarders, then hidden owners, then any other program beyond loopback; never Ollama itself; one per address', () => {
    const picked = selectProxyCandidates(
      [...sockets, listener(6000, [{ pid: 8, name: 'relay' }], { localAddress: '127.0.0.1' })],
      { ollamaPids: [42] },
    );
    expect(picked.map((s) => `${s.localAddress} ${s.localPort}`)).toEqual([
      '0.0.0.0 8080',
      ':: 8080', // v6-only: knocked on at ::1, a different socket
      '0.0.0.0 22',
      '0.0.0.0 11435',
      '0.0.0.0 9000',
      '0.0.0.0 5432', // issue 12: known by what it answers, not by its name
    ]);
  });

  it('is bounded and honours exclusions', () => {
    expect(selectProxyCandidates(sockets, { ollamaPids: [42], limit: 2 })).toHaveLength(2);
    const many = Array.from({ length: 300 }, (_, i) => listener(20000 + i, NGINX));
    expect(selectProxyCandidates(many, { ollamaPids: [] })).toHaveLength(64);
    expect(
      selectProxyCandidates(sockets, {
        ollamaPids: [42],
        exclude: new Set(['127.0.0.1|8080']),
      }).some((s) => s.localPort === 8080 && s.family === 4),
    ).toBe(false);
  });
});

describe('parseWwwAuthenticate', () => {
  it.each([
    ['Basic realm="Ollama behind nginx"', { scheme: 'Basic', realm: 'Ollama behind nginx' }],
    ['Bearer realm=api, error="invalid_token"', { scheme: 'Bearer', realm: 'api' }],
    [
      'Digest realm="a \\"quoted\\" realm", qop="auth"',
      { scheme: 'Digest', realm: 'a "quoted" realm' },
    ],
    ['Negotiate', { scheme: 'Negotiate', realm: null }],
    [undefined, { scheme: null, realm: null }],
    ['Basic realm="\u001b[31mred"', { scheme: 'Basic', realm: '\uFFFD[31mred' }],
  ])('%j', (header, expected) => {
    expect(parseWwwAuthenticate(header)).toEqual(expected);
  });
});

describe('classifyProxyPath (pure)', () => {
  const nginx = listener(8080, NGINX);

  it('Ollama answering through nginx with no credentials', () => {
    const path = classifyProxyPath({
      socket: nginx,
      fingerprint: fingerprint({
        identity: 'ollama',
        banner: 'Ollama is running',
        version: '0.12.10',
        models: [],
      }),
    })!;
    expect(path).toMatchObject({
      listenAddress: '0.0.0.0',
      port: 8080,
      connectAddress: '127.0.0.1',
      owner: { pid: 900, name: 'nginx' },
      software: 'nginx',
      upstream: 'ollama',
      matchedBy: 'banner',
      authRequired: false,
      version: '0.12.10',
    });
    expect(path.reasons.join(' ')).toMatch(
      /nginx \(pid 900\) listens on 0\.0\.0\.0:8080 and answers "Ollama is running"/,
    );
    expect(path.reasons.join(' ')).toMatch(/no credentials/);
    expect(() => proxyPathSchema.parse(path)).not.toThrow();
  });

  it('matched by the API when / is not the banner', () => {
    const path = classifyProxyPath({
      socket: listener(443, [{ pid: 3, name: 'caddy' }]),
      fingerprint: fingerprint({
        identity: 'ollama',
        banner: '<html>',
        version: '0.12.10',
        models: [],
      }),
    });
    expect(path).toMatchObject({ software: 'caddy', matchedBy: 'api', upstream: 'ollama' });
  });

  it('a known proxy demanding credentials: unconfirmed upstream, with the scheme', () => {
    const path = classifyProxyPath({
      socket: nginx,
      fingerprint: fingerprint({
        identity: 'other-http',
        banner: '<html>401</html>',
        authRequired: true,
      }),
      challenge: { status: 401, scheme: 'Basic', realm: 'Ollama' },
    })!;
    expect(path).toMatchObject({
      upstream: 'unconfirmed',
      matchedBy: null,
      authRequired: true,
      authScheme: 'Basic',
      authRealm: 'Ollama',
      tagsStatus: 401,
    });
    expect(path.reasons[0]).toMatch(/asks for credentials \(HTTP 401, Basic realm "Ollama"\)/);
  });

  it('Ollama visible on / but /api/tags behind credentials', () => {
    const path = classifyProxyPath({
      socket: nginx,
      fingerprint: fingerprint({
        identity: 'ollama',
        banner: 'Ollama is running',
        authRequired: true,
      }),
      challenge: { status: 403, scheme: null, realm: null },
    })!;
    expect(path).toMatchObject({ upstream: 'ollama', authRequired: true, tagsStatus: 403 });
    expect(path.reasons[1]).toMatch(/HTTP 403/);
  });

  it('nothing to report: another web page, a silent port, auth on an unknown program', () => {
    expect(
      classifyProxyPath({
        socket: nginx,
        fingerprint: fingerprint({ banner: 'Welcome to nginx!' }),
      }),
    ).toBeNull();
    expect(
      classifyProxyPath({
        socket: nginx,
        fingerprint: fingerprint({ identity: 'no-answer', authRequired: null }),
      }),
    ).toBeNull();
    expect(
      classifyProxyPath({
        socket: listener(9000, [{ pid: 8, name: 'grafana' }]),
        fingerprint: fingerprint({ authRequired: true }),
      }),
    ).toBeNull();
    expect(
      classifyProxyPath({
        socket: listener(9000, []),
        fingerprint: fingerprint({ authRequired: true }),
      }),
    ).toBeNull();
  });
});

// ── against real HTTP servers on loopback ───────────────────────────────────────────────

const ollama: Handler = (req, res) => {
  const json = (v: unknown) => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(v));
  };
  if (req.url === '/') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Ollama is running');
  } else if (req.url === '/api/version') json({ version: '0.12.10' });
  else if (req.url === '/api/tags') json({ models: [{ name: 'llama3.2:3b', size: 1 }] });
  else if (req.url === '/api/ps') json({ models: [] });
  else res.writeHead(404).end('404 page not found');
};

/** A tiny reverse proxy to `upstream`, optionally demanding Basic credentials. */
const proxyTo =
  (upstream: number, auth: string | null): Handler =>
  (req, res) => {
    if (auth && req.headers.authorization !== `Basic ${Buffer.from(auth).toString('base64')}`) {
      res.writeHead(401, {
        'WWW-Authenticate': 'Basic realm="Ollama"',
        'Content-Type': 'text/html',
      });
      res.end('<html><head><title>401 Authorization Required</title></head></html>');
      return;
    }
    const up = request(
      { host: '127.0.0.1', port: upstream, path: req.url, method: req.method, agent: false },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  };

describe('probeProxies on loopback', () => {
  it('finds Ollama through an open proxy, and a proxy that asks for credentials', async () => {
    const upstream = await serve(ollama);
    const open = await serve(proxyTo(upstream, null));
    const locked = await serve(proxyTo(upstream, 'user:secret'));
    const page = await serve((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>Welcome to nginx!</h1>'),
    );
    const sockets = [
      listener(upstream, [{ pid: 42, name: 'ollama' }], { localAddress: '127.0.0.1' }),
      listener(open, NGINX, { localAddress: '127.0.0.1' }),
      listener(locked, [{ pid: 950, name: 'caddy' }], { localAddress: '127.0.0.1' }),
      listener(page, [{ pid: 960, name: 'apache2' }], { localAddress: '127.0.0.1' }),
    ];
    const result = await probeProxies(createNodeHost(), { sockets, ollamaPids: [42] });
    expect(result.status).toBe('ok');
    expect(
      result.data.map((p) => [p.port, p.software, p.upstream, p.authRequired, p.authScheme]),
    ).toEqual([
      [open, 'nginx', 'ollama', false, null],
      [locked, 'caddy', 'unconfirmed', true, 'Basic'],
    ]);
    expect(result.data[1]!.authRealm).toBe('Ollama');
    expect(
      result.evidence.some(
        (e) => e.ref === `GET http://127.0.0.1:${locked}/api/tags (credentials challenge)`,
      ),
    ).toBe(true);
    // The upstream itself is Ollama's own listener, never fingerprinted as a proxy.
    expect(result.evidence.some((e) => e.ref.includes(`:${upstream}/`))).toBe(false);
  });

  it('reuses fingerprints the scan already took', async () => {
    const sockets = [listener(8080, NGINX, { localAddress: '127.0.0.1' })];
    const host = createNodeHost();
    const result = await probeProxies(
      {
        ...host,
        http: async () => {
          throw new Error('no HTTP expected');
        },
      },
      {
        sockets,
        ollamaPids: [],
        fingerprints: [
          fingerprint({ identity: 'ollama', banner: 'Ollama is running', port: 8080 }),
        ],
      },
    );
    expect(result.status).toBe('ok');
    expect(result.data).toHaveLength(1);
  });

  it('issue 12: a program of no known name is knocked on once; only an HTTP answer earns a fingerprint, and Ollama through it is a path', async () => {
    const upstream = await serve(ollama);
    const relay = await serve(proxyTo(upstream, null));
    const page = await serve((_req, res) => res.writeHead(200).end('hello'));
    const silent = await new Promise<number>((resolve) => {
      const server = createServer(() => undefined).listen(0, '127.0.0.1', () =>
        resolve((server.address() as AddressInfo).port),
      );
      server.unref();
    });
    const sockets = [
      listener(upstream, [{ pid: 42, name: 'ollama' }], { localAddress: '127.0.0.1' }),
      listener(relay, [{ pid: 970, name: 'relay' }]),
      listener(page, [{ pid: 971, name: 'python3' }]),
      listener(silent, [{ pid: 972, name: 'postgres' }]),
    ];
    const result = await probeProxies(createNodeHost(), { sockets, ollamaPids: [42] });
    expect(result.data.map((p) => [p.port, p.software, p.upstream])).toEqual([
      [relay, 'other', 'ollama'],
    ]);
    const refs = result.evidence.map((e) => `${e.ref} → ${e.outcome}`);
    expect(
      refs.some(
        (r) =>
          r.includes(`:${silent}/ (postgres (pid 972): does it answer HTTP?)`) &&
          r.includes('not a path to Ollama'),
      ),
    ).toBe(true);
    expect(refs.some((r) => r.includes(`:${silent}/api/`))).toBe(false);
    expect(refs.some((r) => r.includes(`:${page}/api/version`))).toBe(true);
  });

  it('nothing to check: says so', async () => {
    const result = await probeProxies(createNodeHost(), { sockets: [], ollamaPids: [] });
    expect(result).toMatchObject({ status: 'ok', data: [] });
    expect(result.message).toMatch(/No listener/);
  });
});
