/**
 * A minimal valid Snapshot for rule fixtures: a host with loopback and one LAN interface, no
 * probe trouble, and only what each fixture asks for. Listener and instance exposure are
 * derived from the paths the way engine/exposure.ts does (an open path counts with its scope),
 * so a fixture states facts, not verdicts. Every fixture is checked against snapshotSchema in
 * catalog.test.ts.
 */
import type { AuthState } from '../../shared/servers';
import type { OllamaContainer, PublishedPort } from '../../shared/docker';
import type {
  FirewallDecision,
  FirewallEvaluation,
  FirewallFacts,
  FirewallRuleset,
} from '../../shared/firewall';
import type { NvidiaGpu } from '../../shared/gpu';
import type { ProxyPath } from '../../shared/proxy';
import type {
  AddressScope,
  Exposure,
  Fingerprint,
  Instance,
  Listener,
  NetInterface,
  ProbeStatus,
  Setting,
  Snapshot,
  Socket,
} from '../../shared/snapshot';
import type { LogClient, RemotePeer } from '../../shared/traffic';
import { classifyAddress } from '../../electron/engine/net/address';
import { parseOllamaHost } from '../../electron/engine/ollama/listen-address';

export const TAKEN_AT = '2026-11-28T12:00:00.000Z';
export const LAN4 = '192.168.1.20';
export const LAN6 = 'fd00::20';
export const LINK6 = 'fe80::20';
export const PUBLIC4 = '203.0.113.20';

// ── interfaces ─────────────────────────────────────────────────────────────────────────────

const address = (text: string, prefixLength: number) => ({
  address: text,
  family: (text.includes(':') ? 6 : 4) as 4 | 6,
  prefixLength,
  scope: classifyAddress(text),
});

export const LOOPBACK_INTERFACE: NetInterface = {
  name: 'lo',
  addresses: [address('127.0.0.1', 8), address('::1', 128)],
};
export const LAN_INTERFACE: NetInterface = {
  name: 'eth0',
  addresses: [address(LAN4, 24), address(LAN6, 64), address(LINK6, 64)],
};
export const PUBLIC_INTERFACE: NetInterface = {
  name: 'eth1',
  addresses: [address(PUBLIC4, 24)],
};

// ── firewall ──────────────────────────────────────────────────────────────────────────────

/** A firewall verdict on one path, decided by one rule or state. */
export function evaluation(
  decision: FirewallDecision,
  rule = 'tcp dport 11434 drop',
): FirewallEvaluation {
  const step = {
    layer: 'nftables' as const,
    decision,
    kind: 'rule' as const,
    rule,
    where: 'inet filter input',
  };
  return { decision, decidedBy: [step], layers: [step], notes: [] };
}

export interface PathOptions {
  address: string;
  interface?: string;
  scope?: AddressScope;
  /** The host firewall's decision; null: not judged (counts as open). */
  firewall?: FirewallDecision | null;
  rule?: string;
  /** Reached through destination NAT from this port (issue 12). */
  nat?: { port: number; rule: string };
  /** Forwarded on to another network namespace (issue 12, class 3). */
  forward?: NonNullable<Listener['reachableVia'][number]['forward']>;
}

export function path(options: PathOptions): Listener['reachableVia'][number] {
  const decision = options.firewall ?? null;
  return {
    interface: options.interface ?? (options.address === PUBLIC4 ? 'eth1' : 'eth0'),
    address: options.address,
    scope: options.scope ?? classifyAddress(options.address),
    firewall: decision ? evaluation(decision, options.rule) : null,
    open: decision !== 'blocked',
    ...(options.nat ? { nat: options.nat } : {}),
    ...(options.forward ? { forward: options.forward } : {}),
  };
}

/** Every LAN path of eth0 (v4, ULA v6, link-local v6), with one firewall decision. */
export function lanPaths(firewall: FirewallDecision | null = null): PathOptions[] {
  return [LAN4, LAN6, LINK6].map((a) => ({ address: a, firewall }));
}

const ruleset = (tables: FirewallRuleset['tables']): FirewallRuleset => ({
  version: '1.0.6',
  tables,
  warnings: [],
});

const inputTable = (rule: string): FirewallRuleset['tables'][number] => ({
  family: 'inet',
  name: 'filter',
  chains: [
    {
      name: 'input',
      hook: 'input',
      priority: 0,
      policy: 'accept',
      type: 'filter',
      device: null,
      rules: [
        {
          text: rule,
          conditions: [
            {
              kind: 'port',
              negate: false,
              direction: 'dport',
              protocol: 'tcp',
              ranges: [[11434, 11434]],
            },
          ],
          verdict: { kind: 'drop' },
          vmap: null,
        },
      ],
    },
  ],
});

/**
 * Firewall facts: 'off' (everything read, nothing filters), 'nft-drop' (an nftables input
 * chain drops 11434), 'ufw-active', 'denied' (nftables needs root).
 */
export function firewallFacts(kind: 'off' | 'nft-drop' | 'ufw-active' | 'denied'): FirewallFacts {
  const ok = { status: 'ok' as ProbeStatus, evidence: [] };
  return {
    nftables:
      kind === 'denied'
        ? {
            status: 'denied',
            evidence: [],
            message: 'nft needs root: Operation not permitted',
            ruleset: null,
          }
        : {
            ...ok,
            ruleset: ruleset(kind === 'nft-drop' ? [inputTable('tcp dport 11434 drop')] : []),
          },
    iptables: [
      { ...ok, variant: 'nft', family: 4, ruleset: ruleset([]) },
      { ...ok, variant: 'nft', family: 6, ruleset: ruleset([]) },
    ],
    ufw: {
      ...ok,
      model: {
        active: kind === 'ufw-active',
        enabledAtBoot: kind === 'ufw-active',
        defaultIncoming: 'deny',
        ipv6: true,
        rules: [],
        rulesSource: 'user.rules',
      },
    },
    firewalld: {
      ...ok,
      message: 'firewalld is not running',
      model: {
        running: false,
        defaultZone: null,
        zones: [],
        policies: null,
        services: {},
        unresolvedServices: [],
      },
    },
  };
}

// ── settings, peers, proxies, containers ───────────────────────────────────────────────────

export interface SettingOptions {
  state?: Setting['state'];
  kind?: Setting['source']['kind'];
  path?: string;
  line?: number | null;
  reason?: string;
}

export function setting(name: string, value: string, options: SettingOptions = {}): Setting {
  const kind = options.kind ?? (options.state === 'latent' ? 'systemd-dropin' : 'process');
  return {
    name,
    value,
    source: {
      kind,
      path:
        options.path ??
        (kind === 'process' ? 'pid 42' : '/etc/systemd/system/ollama.service.d/override.conf'),
      line: options.line !== undefined ? options.line : kind === 'process' ? null : 2,
    },
    state: options.state ?? 'effective',
    reason:
      options.reason ??
      (options.state === 'latent'
        ? 'saved after the service last started: applies at the next restart'
        : 'in the running server’s environment'),
  };
}

export function peer(address: string, options: Partial<RemotePeer> = {}): RemotePeer {
  return {
    address,
    scope: classifyAddress(address),
    isLocalAddress: false,
    connections: 1,
    ports: [11434],
    processes: [{ pid: 42, name: 'ollama' }],
    ...options,
  };
}

export function proxyPath(options: Partial<ProxyPath> = {}): ProxyPath {
  return {
    listenAddress: '0.0.0.0',
    port: 8080,
    family: 4,
    dualStack: false,
    connectAddress: '127.0.0.1',
    owner: { pid: 77, name: 'nginx' },
    ownerVisibility: 'visible',
    software: 'nginx',
    upstream: 'ollama',
    matchedBy: 'banner',
    authRequired: false,
    authScheme: null,
    authRealm: null,
    tagsStatus: 200,
    foreignHostRefused: null,
    foreignOriginAllowed: null,
    version: '0.12.10',
    reasons: ['nginx (pid 77) on 0.0.0.0:8080 answers as Ollama (banner "Ollama is running").'],
    ...options,
  };
}

export function container(
  options: Partial<OllamaContainer> & { publish?: Partial<PublishedPort> } = {},
): OllamaContainer {
  const { publish, ...rest } = options;
  const published: PublishedPort = {
    hostIp: '0.0.0.0',
    hostPort: 11434,
    containerPort: 11434,
    protocol: 'tcp',
    scope: 'all-ipv4',
    ...publish,
  };
  return {
    id: '3f2a9c0d1e4b5a6c7d8e9f00',
    names: ['ollama'],
    image: 'ollama/ollama:latest',
    state: 'running',
    status: 'Up 2 hours',
    published: [published],
    exposedOnly: [],
    labels: {},
    networkMode: 'bridge',
    matchedBy: 'image',
    publishedBeyondLoopback: published.scope !== 'loopback',
    reasons: [
      `Runs the image ollama/ollama:latest and publishes ${published.hostIp}:${published.hostPort}.`,
    ],
    ...rest,
  };
}

export function socket(
  options: Partial<Socket> & Pick<Socket, 'localAddress' | 'localPort'>,
): Socket {
  return {
    state: 'established',
    family: options.localAddress.includes(':') ? 6 : 4,
    peerAddress: '127.0.0.1',
    peerPort: 0,
    dualStack: false,
    boundInterface: null,
    uid: 998,
    inode: null,
    processes: [],
    ownerVisibility: 'visible',
    ...options,
  };
}

// ── instances and the snapshot ─────────────────────────────────────────────────────────────

export interface ListenerOptions {
  path?: Listener['path'];
  /** Default 127.0.0.1 (loopback only). */
  address?: string;
  port?: number;
  dualStack?: boolean;
  owner?: { pid: number; name: string } | null;
  via?: PathOptions[];
}

const RANK: Record<Exposure, number> = { private: 0, unknown: 1, lan: 2, internet: 3 };
const worst = (list: Exposure[]): Exposure =>
  list.reduce<Exposure>((w, e) => (RANK[e] > RANK[w] ? e : w), 'private');
const scopeExposure = (scope: AddressScope): Exposure =>
  scope === 'public'
    ? 'internet'
    : scope === 'loopback' || scope === 'unspecified' || scope === 'multicast'
      ? 'private'
      : 'lan';

export function listener(options: ListenerOptions = {}): Listener {
  const listenAddress = options.address ?? '127.0.0.1';
  const port = options.port ?? 11434;
  const reachableVia = (options.via ?? []).map(path);
  const open = reachableVia.filter((p) => p.open);
  const exposure = worst(open.map((p) => scopeExposure(p.scope)));
  const at = listenAddress.includes(':')
    ? `[${listenAddress}]:${port}`
    : `${listenAddress}:${port}`;
  const reasons =
    reachableVia.length === 0
      ? [`Listens on ${at}, a loopback address: only programs on this computer can connect.`]
      : [
          `Listens on ${at}${classifyAddress(listenAddress) === 'unspecified' ? ': every address of every interface' : ' only'}.`,
          ...reachableVia.map(
            (p) =>
              `${p.interface} carries ${p.address}${p.firewall ? `; the firewall: ${p.firewall.decision}` : ''}.`,
          ),
        ];
  return {
    path: options.path ?? 'direct',
    address: listenAddress,
    port,
    family: listenAddress.includes(':') ? 6 : 4,
    dualStack: options.dualStack ?? listenAddress === '::',
    owner: options.owner === undefined ? { pid: 42, name: 'ollama' } : options.owner,
    ownerVisibility: 'visible',
    exposure,
    reachableVia,
    reasons,
  };
}

export interface InstanceOptions {
  id?: string;
  pid?: number | null;
  version?: string | null;
  listeners?: ListenerOptions[];
  settings?: Setting[];
  /** Models listed by /api/tags; default two small ones. */
  models?: string[];
  loadedModels?: string[];
  foreignOriginAllowed?: boolean | null;
  foreignHostRefused?: boolean | null;
  /** No fingerprint at all (nothing answered). */
  noFingerprint?: boolean;
  proxyPaths?: ProxyPath[];
  containers?: OllamaContainer[];
  peers?: RemotePeer[];
  /** Another server kind (issue 13): no Ollama fingerprint or process, and its auth state. */
  kind?: Exclude<Instance['kind'], 'ollama'>;
  auth?: AuthState;
  features?: NonNullable<Instance['features']>;
  cors?: Instance['cors'];
}

export const DEFAULT_MODELS = ['llama3.2:3b', 'qwen2.5-coder:1.5b'];

export function instance(options: InstanceOptions = {}): Instance {
  const pid = options.pid === undefined ? 42 : options.pid;
  const id = options.id ?? (pid !== null ? `ollama:pid:${pid}` : 'ollama:port:11434');
  const listeners = (options.listeners ?? [{}]).map(listener);
  const version = options.version === undefined ? '0.12.10' : options.version;
  const settings = options.settings ?? [];
  const direct = listeners.find((l) => l.path === 'direct');
  const models = options.models ?? DEFAULT_MODELS;
  const loaded = options.loadedModels ?? [];
  const fingerprints: Fingerprint[] =
    direct && !options.noFingerprint
      ? [
          {
            address:
              classifyAddress(direct.address) === 'unspecified' ? '127.0.0.1' : direct.address,
            port: direct.port,
            identity: 'ollama',
            banner: 'Ollama is running',
            version,
            models: models.map((name) => ({ name, size: 2_000_000_000 })),
            loadedModels: loaded.map((name) => ({
              name,
              size: 2_300_000_000,
              sizeVram: 2_300_000_000,
            })),
            foreignOriginAllowed: options.foreignOriginAllowed ?? false,
            foreignHostRefused:
              options.foreignHostRefused !== undefined
                ? options.foreignHostRefused
                : classifyAddress(direct.address) === 'loopback',
            authRequired: false,
            problems: [],
          },
        ]
      : [];
  const exposure = worst(listeners.map((l) => l.exposure));
  const effectiveHost = settings.find((s) => s.name === 'OLLAMA_HOST' && s.state === 'effective');
  if (options.kind) {
    const port = listeners[0]?.port ?? 8080;
    return {
      id: options.id ?? `${options.kind}:port:${port}`,
      kind: options.kind,
      pid,
      process: null,
      version: options.version ?? null,
      versionSource: options.version ? 'api' : 'unknown',
      listeners,
      settings: [],
      configuredBind: null,
      fingerprints: [],
      proxyPaths: [],
      containers: [],
      peers: options.peers ?? [],
      vram: null,
      exposure: worst(listeners.map((l) => l.exposure)),
      auth: {
        state: options.auth ?? 'none',
        evidence: [`(fixture) auth ${options.auth ?? 'none'}`],
      },
      features: options.features ?? [],
      cors: options.cors ?? null,
      reasons: [`(fixture) ${options.kind}`],
    };
  }
  return {
    id,
    kind: 'ollama',
    pid,
    process:
      pid === null
        ? null
        : {
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
          },
    version,
    versionSource: version === null ? 'unknown' : 'api',
    listeners,
    settings,
    configuredBind: pid === null ? null : parseOllamaHost(effectiveHost?.value),
    fingerprints,
    proxyPaths: options.proxyPaths ?? [],
    containers: options.containers ?? [],
    peers: options.peers ?? [],
    vram:
      loaded.length > 0
        ? {
            instanceId: id,
            loadedModels: loaded.length,
            vramBytes: 2_300_000_000 * loaded.length,
            totalBytes: 2_300_000_000 * loaded.length,
          }
        : null,
    exposure,
    reasons: [
      exposure === 'private'
        ? 'Private to this computer: only loopback.'
        : `Reachable (${exposure}): ${listeners.map((l) => l.reasons[0]).join(' ')}`,
    ],
  };
}

export interface SnapshotOptions {
  instances?: InstanceOptions[];
  /** Settings on disk with no server running (the settings probe's "persistent" report). */
  persistentSettings?: Setting[];
  interfaces?: NetInterface[];
  /** Extra sockets for the sockets probe (established connections). */
  sockets?: Socket[];
  gpus?: NvidiaGpu[];
  accessLogClients?: Array<Partial<LogClient> & { client: string }>;
  firewall?: { status: ProbeStatus; facts: FirewallFacts | null; message?: string };
  platform?: string;
}

const ok = <T>(data: T) => ({ status: 'ok' as const, data, evidence: [], durationMs: 1 });

export function nvidiaGpu(utilizationPercent: number | null, name = 'NVIDIA H200'): NvidiaGpu {
  return {
    index: 0,
    name,
    uuid: 'GPU-00000000-0000-0000-0000-000000000000',
    utilizationPercent,
    memoryUsedMiB: 40_000,
    memoryTotalMiB: 143_771,
    temperatureC: 45,
    powerDrawW: 300,
  };
}

export function logClient(client: string, options: Partial<LogClient> = {}): LogClient {
  return {
    client,
    scope: classifyAddress(client),
    forgeable: true,
    requests: 12,
    failed: 0,
    endpoints: [
      { path: '/api/generate', count: 10 },
      { path: '/api/tags', count: 2 },
    ],
    firstSeen: '2026-11-28T09:00:00.000Z',
    lastSeen: '2026-11-28T11:30:00.000Z',
    totalLatencyMs: 4200,
    ...options,
  };
}

export function buildSnapshot(options: SnapshotOptions = {}): Snapshot {
  const instances = (options.instances ?? []).map(instance);
  const interfaces = options.interfaces ?? [LOOPBACK_INTERFACE, LAN_INTERFACE];
  const settingsData: Record<string, { settings: Setting[]; gaps: [] }> = {};
  for (const i of instances) settingsData[i.id] = { settings: i.settings, gaps: [] };
  if (options.persistentSettings || instances.length === 0)
    settingsData.persistent = { settings: options.persistentSettings ?? [], gaps: [] };
  const listenSockets: Socket[] = instances.flatMap((i) =>
    i.listeners
      .filter((l) => l.path === 'direct')
      .map((l) =>
        socket({
          state: 'listen',
          localAddress: l.address,
          localPort: l.port,
          peerAddress: l.family === 4 ? '0.0.0.0' : '::',
          dualStack: l.dualStack,
          processes: l.owner ? [l.owner] : [],
        }),
      ),
  );
  const clients = (options.accessLogClients ?? []).map((c) => logClient(c.client, c));
  const verdict = worst(instances.map((i) => i.exposure));
  const firewall = options.firewall ?? {
    status: 'unavailable' as const,
    facts: null,
    message: 'not examined in this fixture',
  };
  return {
    schemaVersion: 1,
    takenAt: TAKEN_AT,
    durationMs: 10,
    host: {
      hostname: 'workstation',
      platform: options.platform ?? 'linux',
      release: '6.1.0',
      uid: 1000,
      user: 'alice',
    },
    probes: {
      processes: ok(instances.flatMap((i) => (i.process ? [i.process] : []))),
      sockets: ok([...listenSockets, ...(options.sockets ?? [])]),
      interfaces: ok(interfaces),
      settings: ok(settingsData),
      fingerprints: ok(instances.flatMap((i) => i.fingerprints)),
      versions: ok(
        Object.fromEntries(instances.flatMap((i) => (i.version ? [[i.id, i.version]] : []))),
      ),
      firewall: {
        status: firewall.status,
        data: firewall.facts,
        evidence: [],
        ...(firewall.message ? { message: firewall.message } : {}),
        durationMs: 1,
      },
      proxies: ok(instances.flatMap((i) => i.proxyPaths)),
      docker: {
        status: 'unavailable',
        data: null,
        evidence: [],
        message: 'no engine',
        durationMs: 1,
      },
      gpu: options.gpus
        ? ok({ controllers: [], nvidia: options.gpus })
        : {
            status: 'unavailable',
            data: null,
            evidence: [],
            message: 'No GPU found.',
            durationMs: 1,
          },
      accessLog:
        clients.length > 0
          ? ok({
              accessLog: {
                source: { kind: 'journald' as const, ref: 'ollama.service' },
                lines: 100,
                requests: clients.reduce((n, c) => n + c.requests, 0),
                invalidLines: 0,
                otherLines: 50,
                clients,
                clientsDropped: 0,
                firstSeen: clients[0]!.firstSeen,
                lastSeen: clients[0]!.lastSeen,
                truncated: false,
              },
              serverLog: {
                config: null,
                configAt: null,
                listening: null,
                version: null,
                listeningAt: null,
              },
            })
          : {
              status: 'unavailable',
              data: null,
              evidence: [],
              message: 'No Ollama log found.',
              durationMs: 1,
            },
    },
    instances,
    verdict,
    verdictReasons:
      instances.length === 0
        ? ['No Ollama server is running on this computer.']
        : instances.map((i) => i.reasons[0]!),
  };
}

// ── common shapes ──────────────────────────────────────────────────────────────────────────

/** Ollama on 0.0.0.0 (dual-stack [::]) reachable over eth0, firewall as given. */
export function wildcardOllama(
  firewall: FirewallDecision | null = null,
  extra: InstanceOptions = {},
): InstanceOptions {
  return {
    settings: [setting('OLLAMA_HOST', '0.0.0.0')],
    listeners: [{ address: '::', dualStack: true, via: lanPaths(firewall) }],
    ...extra,
  };
}

/** Ollama on 127.0.0.1 only, as installed. */
export function loopbackOllama(extra: InstanceOptions = {}): InstanceOptions {
  return { listeners: [{ address: '127.0.0.1' }], ...extra };
}
