/**
 * Docker containers that run Ollama, with the host ports Docker publishes for them and the
 * host addresses those publishes bind (ollama-facts.md, "Docker": the official image listens
 * on 0.0.0.0:11434 inside, and `-p 11434:11434` publishes it on every host address).
 *
 * Source: the Docker Engine API over its unix socket (GET /v1.41/containers/json, retried
 * unversioned when the engine refuses that version: engines before 20.10 say "client version
 * 1.41 is too new", Docker 29 says "too old"). Sockets tried: $DOCKER_HOST when it is
 * unix://, else the rootful, rootless, Docker Desktop and Podman sockets. The docker CLI is
 * never asked: it follows Docker contexts to remote engines. No engine is `unavailable`, never
 * an error; a socket we may not open (not in the docker group) is `denied`.
 */
import type { Evidence, Fingerprint, ProbeResult } from '../../../shared/snapshot';
import type {
  DockerContainer,
  DockerReport,
  OllamaContainer,
  PublishScope,
  PublishedPort,
} from '../../../shared/docker';
import type { Host } from '../host/types';
import type { UnixHttpGet, UnixHttpResult } from '../host/unix-http';
import { DOCKER_BYPASSES_FIREWALL } from '../judge/docker-words';
import { addressFamily, isLoopback, isUnspecified, stripDecorations } from '../net/address';
import { cleanText, isRecord, parseJson } from '../text/untrusted';
import { runProbe } from './probe';

/**
 * Docker publishes ports through its own iptables chains (DOCKER, DOCKER-USER), which see the
 * traffic before ufw's INPUT rules do: a published port is reachable even when ufw denies it.
 */

export const DOCKER_API_VERSION = '1.41';
const PROBE_DEADLINE_MS = 6000;
const MAX_CONTAINERS = 1000;
const MAX_PORTS_PER_CONTAINER = 256;
const MAX_LABELS = 100;

type ContainersData = DockerReport | null;

// ── sockets ──────────────────────────────────────────────────────────────────────────────

/**
 * The unix sockets to try, in order. $DOCKER_HOST wins when set (unix:// only: another scheme
 * names a remote or TCP engine, which is not this machine's business); null then means
 * "do not look anywhere else" and carries the reason.
 */
export function dockerSocketCandidates(
  env: (name: string) => string | undefined,
  homeDir: string,
  uid: number | null,
  platform: NodeJS.Platform = 'linux',
): { sockets: string[]; skipReason: string | null } {
  const dockerHost = env('DOCKER_HOST')?.trim();
  if (dockerHost) {
    if (dockerHost.startsWith('unix://'))
      return { sockets: [dockerHost.slice(7)], skipReason: null };
    // Windows (issue 17): Docker Desktop's engine answers on a named pipe, which Node's HTTP
    // client opens as it opens a unix socket.
    if (platform === 'win32' && dockerHost.startsWith('npipe://'))
      return { sockets: [dockerHost.slice(8).replace(/\//g, '\\')], skipReason: null };
    return {
      sockets: [],
      skipReason: `DOCKER_HOST is ${cleanText(dockerHost, 120)}: Paddock reads only a local engine over its unix socket.`,
    };
  }
  if (platform === 'win32')
    return {
      sockets: ['\\\\.\\pipe\\docker_engine', '\\\\.\\pipe\\podman-machine-default'],
      skipReason: null,
    };
  const runtime = env('XDG_RUNTIME_DIR')?.trim();
  const list = [
    '/var/run/docker.sock',
    ...(uid !== null ? [`/run/user/${uid}/docker.sock`] : []),
    ...(runtime && runtime.startsWith('/') ? [`${runtime}/docker.sock`] : []),
    `${homeDir}/.docker/run/docker.sock`,
    `${homeDir}/.docker/desktop/docker.sock`,
    '/run/podman/podman.sock',
    ...(uid !== null ? [`/run/user/${uid}/podman/podman.sock`] : []),
  ];
  return { sockets: [...new Set(list)].slice(0, 8), skipReason: null };
}

// ── parsing ──────────────────────────────────────────────────────────────────────────────

export function publishScope(hostIp: string): PublishScope {
  if (hostIp === '' || hostIp === '0.0.0.0') return 'all-ipv4';
  if (isUnspecified(hostIp)) return addressFamily(hostIp) === 6 ? 'all-ipv6' : 'all-ipv4';
  if (isLoopback(hostIp)) return 'loopback';
  return 'specific';
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

function portNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535
    ? value
    : null;
}

function publishFrom(hostIp: string, hostPort: number, containerPort: number, protocol: string) {
  const ip = hostIp === '' ? '0.0.0.0' : stripDecorations(hostIp);
  return {
    hostIp: ip,
    hostPort,
    containerPort,
    protocol: protocol as PublishedPort['protocol'],
    scope: publishScope(ip),
  };
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, v] of Object.entries(value).slice(0, MAX_LABELS))
    if (typeof v === 'string') out[cleanText(key, 200)] = cleanText(v, 500);
  return out;
}

/**
 * One entry of GET /containers/json (Engine API ContainerSummary). Returns null when it lacks
 * the fields every engine sends (Id, Image).
 */
export function parseApiContainer(entry: unknown): DockerContainer | null {
  if (!isRecord(entry) || typeof entry.Id !== 'string' || typeof entry.Image !== 'string')
    return null;
  const published: PublishedPort[] = [];
  const exposed = new Set<number>();
  const ports = Array.isArray(entry.Ports) ? entry.Ports.slice(0, MAX_PORTS_PER_CONTAINER) : [];
  for (const port of ports) {
    if (!isRecord(port)) continue;
    const privatePort = portNumber(port.PrivatePort);
    const publicPort = portNumber(port.PublicPort);
    const type = typeof port.Type === 'string' ? port.Type.toLowerCase() : 'tcp';
    if (privatePort === null || !PROTOCOLS.has(type)) continue;
    if (publicPort === null || publicPort === 0) {
      exposed.add(privatePort);
      continue;
    }
    const ip = typeof port.IP === 'string' ? port.IP : '';
    if (ip !== '' && addressFamily(ip) === null) continue;
    published.push(publishFrom(ip, publicPort, privatePort, type));
  }
  for (const p of published) exposed.delete(p.containerPort);
  const names = Array.isArray(entry.Names)
    ? entry.Names.filter((n): n is string => typeof n === 'string').map((n) =>
        cleanText(n.replace(/^\//, ''), 200),
      )
    : typeof entry.Names === 'string'
      ? [cleanText(entry.Names.replace(/^\//, ''), 200)]
      : [];
  const hostConfig = isRecord(entry.HostConfig) ? entry.HostConfig : {};
  return {
    id: cleanText(entry.Id, 80),
    names,
    image: cleanText(entry.Image, 300),
    state: typeof entry.State === 'string' ? cleanText(entry.State, 40) : 'unknown',
    status: typeof entry.Status === 'string' ? cleanText(entry.Status, 120) : null,
    published,
    exposedOnly: [...exposed].sort((a, b) => a - b),
    labels: stringRecord(entry.Labels),
    networkMode:
      typeof hostConfig.NetworkMode === 'string' ? cleanText(hostConfig.NetworkMode, 80) : null,
  };
}

/** The body of GET /containers/json: a JSON array of ContainerSummary. null when it is not. */
export function parseContainersJson(body: string): DockerContainer[] | null {
  const parsed = parseJson(body);
  if (!Array.isArray(parsed)) return null;
  return parsed
    .slice(0, MAX_CONTAINERS)
    .map(parseApiContainer)
    .filter((c): c is DockerContainer => c !== null);
}

// ── which containers are Ollama ──────────────────────────────────────────────────────────

/**
 * The repository of an image reference without registry, tag or digest:
 * "docker.io/ollama/ollama:0.12.10" → "ollama/ollama", "ollama/ollama@sha256:…" → "ollama/ollama".
 */
export function imageRepository(image: string): string {
  let ref = image.trim().toLowerCase();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  const parts = ref.split('/');
  // A first part with a dot, a colon or "localhost" is a registry host.
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) parts.shift();
  if (parts[0] === 'library') parts.shift();
  return parts.join('/');
}

/** ollama/ollama (any registry, tag or digest), or any repository whose last part is "ollama". */
export function isOllamaImage(image: string): boolean {
  const repo = imageRepository(image);
  return repo === 'ollama/ollama' || repo.split('/').pop() === 'ollama';
}

function hostPortText(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Pure: the containers that run Ollama. A container counts when its image is Ollama's, or
 * when one of its published host ports answered as Ollama (the fingerprints of the scan).
 */
export function ollamaContainers(
  containers: readonly DockerContainer[],
  fingerprints: readonly Pick<Fingerprint, 'port' | 'identity'>[] = [],
): OllamaContainer[] {
  const ollamaPorts = new Set(
    fingerprints.filter((f) => f.identity === 'ollama').map((f) => f.port),
  );
  const out: OllamaContainer[] = [];
  for (const container of containers) {
    const byImage = isOllamaImage(container.image);
    const answering = container.published.filter(
      (p) => p.protocol === 'tcp' && ollamaPorts.has(p.hostPort),
    );
    if (!byImage && answering.length === 0) continue;
    const name = container.names[0] ?? container.id.slice(0, 12);
    const reasons = [
      byImage
        ? `Container "${name}" runs the Ollama image ${container.image}.`
        : `Container "${name}" (${container.image}) answers as Ollama on host port ${answering.map((p) => p.hostPort).join(', ')}.`,
    ];
    const tcp = container.published.filter((p) => p.protocol === 'tcp');
    const beyond = tcp.filter((p) => p.scope !== 'loopback');
    if (tcp.length === 0) {
      reasons.push(
        container.networkMode === 'host'
          ? "It uses the host network: its listeners are the host's own, seen by the sockets probe."
          : 'Docker publishes none of its ports on the host.',
      );
    } else if (beyond.length > 0) {
      reasons.push(
        `Docker publishes ${beyond.map((p) => `${hostPortText(p.hostIp, p.hostPort)}→${p.containerPort}`).join(', ')}, beyond this machine.`,
        DOCKER_BYPASSES_FIREWALL,
      );
    } else {
      reasons.push(
        `Docker publishes it on loopback only (${tcp.map((p) => hostPortText(p.hostIp, p.hostPort)).join(', ')}).`,
      );
    }
    out.push({
      ...container,
      matchedBy: byImage ? 'image' : 'fingerprint',
      publishedBeyondLoopback: beyond.length > 0,
      reasons,
    });
  }
  return out;
}

// ── the probe ────────────────────────────────────────────────────────────────────────────

type ApiOutcome =
  | { kind: 'ok'; containers: DockerContainer[]; version: string | null }
  | { kind: 'missing' | 'refused' | 'denied'; message: string }
  | { kind: 'error'; message: string };

const VERSION_REFUSED =
  /too (?:new|old)|(?:maximum|minimum) supported api version|is not supported/i;

function errorMessage(result: Extract<UnixHttpResult, { ok: true }>): string {
  const json = parseJson(result.body);
  const text = isRecord(json) && typeof json.message === 'string' ? json.message : result.body;
  return cleanText(text.trim(), 200);
}

async function queryEngine(
  unixHttp: UnixHttpGet,
  socketPath: string,
  evidence: Evidence[],
): Promise<ApiOutcome> {
  const get = async (path: string) => {
    const result = await unixHttp({
      socketPath,
      path,
      connectTimeoutMs: 1000,
      totalTimeoutMs: 3000,
      maxBodyBytes: 1024 * 1024,
    });
    evidence.push({
      kind: 'http',
      ref: `GET ${result.url}`,
      outcome: result.ok
        ? `HTTP ${result.status}${result.truncated ? ', body cut at the size cap' : ''}`
        : (result.code ?? result.message),
    });
    return result;
  };
  let version: string | null = DOCKER_API_VERSION;
  let result = await get(`/v${DOCKER_API_VERSION}/containers/json`);
  if (result.ok && result.status === 400 && VERSION_REFUSED.test(errorMessage(result))) {
    version = null;
    result = await get('/containers/json');
  }
  if (!result.ok) {
    if (result.error === 'missing' || result.error === 'refused' || result.error === 'denied')
      return { kind: result.error, message: result.message };
    return { kind: 'error', message: `${socketPath}: ${result.message}` };
  }
  if (result.status !== 200)
    return {
      kind: 'error',
      message: `${socketPath} answered HTTP ${result.status}: ${errorMessage(result)}`,
    };
  if (result.truncated)
    return { kind: 'error', message: `${socketPath}: the container list exceeded the size cap` };
  const containers = parseContainersJson(result.body);
  if (!containers)
    return {
      kind: 'error',
      message: `${socketPath} did not answer with a JSON list of containers`,
    };
  return { kind: 'ok', containers, version };
}

export interface DockerProbeOptions {
  /** HTTP over a unix socket; defaults to host.unixHttp (tests pass their own). */
  unixHttp?: UnixHttpGet;
  /** The scan's fingerprints: a container whose published port answers as Ollama counts. */
  fingerprints?: readonly Pick<Fingerprint, 'port' | 'identity'>[];
}

export async function probeDocker(
  host: Host,
  options: DockerProbeOptions = {},
): Promise<ProbeResult<ContainersData>> {
  return runProbe<ContainersData>(host, 'docker', null, PROBE_DEADLINE_MS, async () => {
    const evidence: Evidence[] = [];
    const { sockets, skipReason } = dockerSocketCandidates(
      (n) => host.env(n),
      host.homeDir(),
      host.uid(),
      host.platform,
    );
    if (skipReason) return { status: 'unavailable', data: null, evidence, message: skipReason };
    const report = (
      containers: DockerContainer[],
      source: 'api',
      endpoints: string[],
      version: string | null,
    ): DockerReport => ({
      source,
      endpoints,
      apiVersion: version,
      containers,
      ollama: ollamaContainers(containers, options.fingerprints),
    });

    const unixHttp = options.unixHttp ?? ((request) => host.unixHttp(request));
    if (host.platform !== 'win32') {
      const outcomes = await Promise.all(sockets.map((s) => queryEngine(unixHttp, s, evidence)));
      const answered = sockets
        .map((socket, i) => ({ socket, outcome: outcomes[i]! }))
        .filter(
          (x): x is { socket: string; outcome: Extract<ApiOutcome, { kind: 'ok' }> } =>
            x.outcome.kind === 'ok',
        );
      const denied = sockets.filter((_, i) => outcomes[i]!.kind === 'denied');
      const errors = outcomes.filter(
        (o): o is Extract<ApiOutcome, { kind: 'error' }> => o.kind === 'error',
      );
      if (answered.length > 0) {
        const seen = new Set<string>();
        const containers = answered
          .flatMap((a) => a.outcome.containers)
          .filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
        const notes = [
          ...denied.map((s) => `${s}: permission denied.`),
          ...errors.map((e) => e.message),
        ];
        return {
          status: 'ok',
          data: report(
            containers,
            'api',
            answered.map((a) => a.socket),
            answered[0]!.outcome.version,
          ),
          evidence,
          message: notes.length > 0 ? notes.join(' ') : undefined,
        };
      }
      if (denied.length > 0)
        return {
          status: 'denied',
          data: null,
          evidence,
          message: `This user may not open the Docker socket (${denied.join(', ')}): it is not in the docker group. Run as root to list containers.`,
        };
      if (errors.length > 0)
        return {
          status: 'error',
          data: null,
          evidence,
          message: errors.map((e) => e.message).join(' '),
        };
    }

    // Windows (issue 17): Docker Desktop's named pipe is not opened yet. Another user could
    // create a pipe of that name first and answer (or impersonate the caller) in the engine's
    // place; who owns the pipe must be checked before it is believed. Said, not guessed.
    if (host.platform === 'win32')
      return {
        status: 'unavailable',
        data: null,
        evidence,
        message: `Docker Desktop's engine (${sockets.join(', ')}) is not read on Windows yet: a container's published port shows as a listener of Docker Desktop's own program.`,
      };
    // The docker CLI is not asked: it would follow a Docker context to a remote engine, and
    // Paddock looks at this machine only.
    return {
      status: 'unavailable',
      data: null,
      evidence,
      message: `No Docker engine answered on this machine (${sockets.join(', ')}).`,
    };
  });
}
