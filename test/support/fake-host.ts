/**
 * A Host for unit tests: files, directories, links and command outputs given up front.
 * Anything not given answers the way the real OS would for a missing thing (ENOENT).
 * Errors can be injected per path (EACCES for "denied").
 */
import type {
  DirRead,
  ExecResult,
  FileRead,
  Host,
  HttpRequest,
  HttpResult,
  LinkRead,
  OsInterfaceAddress,
  UnixHttpRequest,
  UnixHttpResult,
} from '../../electron/engine/host/types';
import { decodeUtf8 } from '../../electron/engine/host/files';

export interface FakeHostSpec {
  /** Text (valid UTF-8), or raw bytes, decoded as the real host decodes them. */
  files?: Record<string, string | Uint8Array>;
  /** Paths whose read fails with this code, e.g. { '/proc/42/environ': 'EACCES' }. */
  fileErrors?: Record<string, string>;
  links?: Record<string, string>;
  /** Owner and mode of files, for fileOwner (absent: null). */
  owners?: Record<string, { uid: number; mode: number }>;
  linkErrors?: Record<string, string>;
  /** Extra directory entries; directories are also derived from `files` paths. */
  dirs?: Record<string, string[]>;
  /** Keyed by argv joined with a single space. */
  exec?: Record<string, Partial<ExecResult>>;
  http?: (request: HttpRequest) => Promise<HttpResult> | HttpResult;
  unixHttp?: (request: UnixHttpRequest) => Promise<UnixHttpResult> | UnixHttpResult;
  interfaces?: Record<string, OsInterfaceAddress[]>;
  uid?: number | null;
  user?: string | null;
  home?: string;
  env?: Record<string, string>;
  now?: Date;
  /** The OS the host stands for (default linux). */
  platform?: NodeJS.Platform;
}

export function createFakeHost(spec: FakeHostSpec = {}): Host & { execCalls: string[][] } {
  const files = spec.files ?? {};
  const execCalls: string[][] = [];
  const notFound = (path: string) => ({
    ok: false as const,
    path,
    code: 'ENOENT',
    message: `ENOENT: no such file or directory, '${path}'`,
  });
  const errorFor = (path: string, code: string) => ({
    ok: false as const,
    path,
    code,
    message: `${code}: '${path}'`,
  });

  const dirEntries = (path: string): string[] | null => {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const names = new Set<string>(spec.dirs?.[path] ?? []);
    for (const p of [
      ...Object.keys(files),
      ...Object.keys(spec.links ?? {}),
      ...Object.keys(spec.fileErrors ?? {}),
    ]) {
      if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
    }
    return names.size > 0 || spec.dirs?.[path] ? [...names].sort() : null;
  };

  return {
    platform: spec.platform ?? 'linux',
    execCalls,
    async exec(argv) {
      execCalls.push([...argv]);
      const given = spec.exec?.[argv.join(' ')];
      return {
        argv: [...argv],
        code: given ? (given.code ?? 0) : null,
        signal: null,
        stdout: '',
        stderr: '',
        truncated: false,
        timedOut: false,
        spawnError: given ? null : 'ENOENT',
        durationMs: 1,
        ...given,
      };
    },
    async readFile(path, maxBytes = 1024 * 1024): Promise<FileRead> {
      const error = spec.fileErrors?.[path];
      if (error) return errorFor(path, error);
      const given =
        files[path] ??
        // A Linux host's defaults unless a test says otherwise: route_localnet off (the
        // kernel's default), so loopback servers are provably private (exposure.ts).
        (/^\/proc\/sys\/net\/ipv4\/conf\/[^/]+\/route_localnet$/.test(path) ? '0\n' : undefined);
      if (given === undefined) return notFound(path);
      if (typeof given !== 'string') {
        const truncated = given.length > maxBytes;
        const { text, invalidUtf8 } = decodeUtf8(given.subarray(0, maxBytes), truncated);
        return { ok: true, path, text, truncated, ...(invalidUtf8 ? { invalidUtf8 } : {}) };
      }
      const bytes = Buffer.from(given, 'utf8');
      if (bytes.length > maxBytes)
        return {
          ok: true,
          path,
          text: bytes.subarray(0, maxBytes).toString('utf8'),
          truncated: true,
        };
      return { ok: true, path, text: given, truncated: false };
    },
    async readDir(path): Promise<DirRead> {
      const error = spec.fileErrors?.[path];
      if (error) return errorFor(path, error);
      const entries = dirEntries(path);
      return entries ? { ok: true, path, entries } : notFound(path);
    },
    async readLink(path): Promise<LinkRead> {
      const error = spec.linkErrors?.[path];
      if (error) return errorFor(path, error);
      const target = spec.links?.[path];
      return target === undefined ? notFound(path) : { ok: true, path, target };
    },
    async http(request) {
      if (spec.http) return spec.http(request);
      return {
        ok: false,
        url: `http://${request.address}:${request.port}${request.path}`,
        error: 'refused',
        message: 'connection refused',
        durationMs: 0,
      };
    },
    async fileOwner(path) {
      return spec.owners?.[path] ?? null;
    },
    async unixHttp(request) {
      if (spec.unixHttp) return spec.unixHttp(request);
      return {
        ok: false,
        url: `unix:${request.socketPath}:${request.path}`,
        error: 'missing',
        code: 'ENOENT',
        message: `no socket at ${request.socketPath}`,
        durationMs: 0,
      };
    },
    networkInterfaces: () =>
      spec.interfaces ?? {
        lo: [
          {
            address: '127.0.0.1',
            netmask: '255.0.0.0',
            family: 'IPv4',
            cidr: '127.0.0.1/8',
            internal: true,
          },
        ],
      },
    hostname: () => 'testhost',
    osRelease: () => '6.1.0-test',
    uid: () => (spec.uid === undefined ? 1000 : spec.uid),
    userName: () => (spec.user === undefined ? 'dev' : spec.user),
    homeDir: () => spec.home ?? '/home/dev',
    env: (name) => spec.env?.[name],
    now: () => spec.now ?? new Date('2026-11-28T12:00:00Z'),
    monotonicMs: () => performance.now(),
  };
}
