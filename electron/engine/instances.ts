/**
 * From facts to instances (pure): which sockets, reverse proxies and Docker publishes belong
 * to which Ollama server, and how far each reaches. An instance is an Ollama server process
 * with its own listeners, plus the paths that lead to it from elsewhere: a reverse proxy
 * (nginx on 0.0.0.0:8080 in front of a loopback Ollama is as exposed as Ollama on 0.0.0.0)
 * or a port Docker publishes.
 */
import type { ShareManifest } from './fixes/recipes/share-proxy-config';
import { shareManifestPath } from './fixes/recipes/share-proxy-config';
import type { OllamaContainer } from '../../shared/docker';
import type { ProxyPath } from '../../shared/proxy';
import type { ServerLogFacts } from '../../shared/traffic';
import type {
  Fingerprint,
  Instance,
  KindFinding,
  Listener,
  NetInterface,
  OllamaProcess,
  ProbeResult,
  ServerNamespace,
  SettingsReport,
  Socket,
} from '../../shared/snapshot';
import type { FirewallContext } from './exposure';
import { EXPOSURE_SENTENCE, assessListener, scopeOf, worstExposure } from './exposure';
import { assessNamespaceListener } from './namespaces';
import { parseOllamaHost } from './ollama/listen-address';
import { SERVER_KIND_NAMES } from '../../shared/servers';
import { DOCKER_BYPASSES_FIREWALL } from './judge/docker-words';
import { remotePeers } from './judge/peers';
import { isLikelyHttpProxy, isPortForwarder } from './judge/process-names';
import { vramByInstance } from './judge/vram';

export const listenerKey = (address: string, port: number) => `${address}|${port}`;

/** Where to knock to fingerprint a listener: loopback for wildcard binds, else the bound address. */
export function connectAddress(
  socket: Pick<Socket, 'localAddress' | 'family' | 'dualStack'>,
): string {
  if (scopeOf(socket.localAddress) !== 'unspecified') return socket.localAddress;
  return socket.family === 4 || socket.dualStack ? '127.0.0.1' : '::1';
}

interface Draft {
  id: string;
  process: OllamaProcess | null;
  pid: number | null;
  sockets: Socket[];
  proxyPaths: ProxyPath[];
  containers: OllamaContainer[];
  /** Listeners that are not its own sockets: proxies and Docker publishes without a socket. */
  extraSockets: Array<{ socket: Socket; path: Listener['path'] }>;
  notes: string[];
}

export interface InstanceFacts {
  servers: OllamaProcess[];
  sockets: ProbeResult<Socket[]>;
  interfaces: ProbeResult<NetInterface[]>;
  fingerprints: Map<string, Fingerprint>;
  settings: Map<string, SettingsReport>;
  cliVersions: Map<string, string>;
  proxies: ProxyPath[];
  containers: OllamaContainer[];
  firewall: FirewallContext;
  /** The server's own log (journald or files): a second source for settings and version. */
  serverLog: { facts: ServerLogFacts; ref: string } | null;
  /** Servers in other network namespaces: their sockets and addresses (issue 12, class 3). */
  namespaces?: ServerNamespace[];
  /** Listeners identified as other local LLM servers (issue 13). */
  kinds?: KindFinding[];
  /** Paddock's own shares behind a proxy (issue 14): which server each proxy fronts. */
  shares?: ShareManifest[];
}

/** The share of Paddock's whose proxy this path is (its port, one of its addresses). */
function shareOfPath(path: ProxyPath, facts: InstanceFacts): ShareManifest | null {
  return (
    facts.shares?.find((s) => s.port === path.port && s.listen.includes(path.listenAddress)) ?? null
  );
}

const emptyDraft = (
  id: string,
  process: OllamaProcess | null,
  pid: number | null,
  note?: string,
): Draft => ({
  id,
  process,
  pid,
  sockets: [],
  proxyPaths: [],
  containers: [],
  extraSockets: [],
  notes: note ? [note] : [],
});

/** A proxy or a port forwarder is a path to Ollama, judged by the proxy probe, not a server. */
function isForwarder(socket: Socket): boolean {
  return socket.processes.some((p) => isLikelyHttpProxy(p.name) || isPortForwarder(p.name));
}

/** The listeners (address|port) another kind of server claimed by a signal of its own. */
function claimedByOtherKinds(facts: InstanceFacts): Set<string> {
  return new Set((facts.kinds ?? []).map((k) => listenerKey(k.address, k.port)));
}

function draftServers(facts: InstanceFacts, listening: Socket[]): Draft[] {
  const drafts = facts.servers.map((process) => {
    const draft = emptyDraft(`ollama:pid:${process.pid}`, process, process.pid);
    draft.sockets = listening.filter((s) => s.processes.some((p) => p.pid === process.pid));
    return draft;
  });
  const claimed = new Set(drafts.flatMap((d) => d.sockets));
  // A listener another kind claimed by its own signal is not Ollama, whatever it imitates.
  const otherKind = claimedByOtherKinds(facts);
  const answersAsOllama = (s: Socket) =>
    !otherKind.has(listenerKey(s.localAddress, s.localPort)) &&
    facts.fingerprints.get(listenerKey(connectAddress(s), s.localPort))?.identity === 'ollama';
  const orphans = () =>
    listening.filter((s) => !claimed.has(s) && !isForwarder(s) && answersAsOllama(s));

  // A server whose sockets we may not see (another user's, without root): a hidden socket is
  // most likely its own when it is the only server without one, and the socket answers as
  // Ollama or listens on the port its settings name (a firewall may drop even our knock).
  const silent = drafts.filter((d) => d.sockets.length === 0 && d.process?.sameNetns !== false);
  if (silent.length === 1) {
    const draft = silent[0]!;
    const port = expectedPort(facts.settings.get(draft.id));
    const hidden = listening.filter(
      (s) =>
        !claimed.has(s) &&
        s.ownerVisibility !== 'visible' &&
        !isForwarder(s) &&
        (answersAsOllama(s) || s.localPort === port),
    );
    if (hidden.length > 0) {
      draft.sockets.push(...hidden);
      const why = hidden.every(answersAsOllama)
        ? 'they answer as Ollama'
        : `they listen on port ${port}, the port its settings name`;
      draft.notes.push(
        `The owner of ${hidden.length === 1 ? 'this socket is' : 'these sockets is'} hidden from this user; ` +
          `${why}, and pid ${draft.pid} is the only Ollama server without a visible socket.`,
      );
      for (const socket of hidden) claimed.add(socket);
    }
  }

  const byOwner = new Map<string, Draft>();
  for (const socket of orphans()) {
    const owner = socket.processes[0];
    const id = owner ? `ollama:pid:${owner.pid}` : `ollama:port:${socket.localPort}`;
    let draft = byOwner.get(id);
    if (!draft) {
      draft = emptyDraft(
        id,
        null,
        owner?.pid ?? null,
        owner
          ? `Answers as Ollama on a socket of "${owner.name}" (pid ${owner.pid}), which does not look like an Ollama server process.`
          : 'Answers as Ollama on a socket whose owner is hidden from this user.',
      );
      byOwner.set(id, draft);
      drafts.push(draft);
    }
    draft.sockets.push(socket);
  }
  return drafts;
}

/** The port the effective OLLAMA_HOST names (11434 when it is unset). */
function expectedPort(settings: SettingsReport | undefined): number {
  return parseOllamaHost(effectiveValue(settings, 'OLLAMA_HOST')).port;
}

function versionOf(draft: Draft, fingerprints: Map<string, Fingerprint>): string | null {
  for (const socket of draft.sockets) {
    const version = fingerprints.get(
      listenerKey(connectAddress(socket), socket.localPort),
    )?.version;
    if (version) return version;
  }
  return null;
}

/** The listening socket a proxy path was seen on, rebuilt from the path where ss no longer has it. */
function proxySocket(path: ProxyPath, listening: Socket[]): Socket {
  const found = listening.find(
    (s) => s.localAddress === path.listenAddress && s.localPort === path.port,
  );
  return (
    found ?? {
      state: 'listen',
      family: path.family,
      localAddress: path.listenAddress,
      localPort: path.port,
      peerAddress: path.family === 4 ? '0.0.0.0' : '::',
      peerPort: 0,
      dualStack: path.dualStack,
      boundInterface: null,
      uid: null,
      inode: null,
      processes: path.owner ? [path.owner] : [],
      ownerVisibility: path.ownerVisibility,
    }
  );
}

/**
 * Issue 12, class 4: a forwarder is tied to the server it relays to by its own connections,
 * where one is open while Paddock looks (a client connected through it): an established
 * socket of the forwarder's process whose peer is one of the server's listeners, on this host
 * or at an address of the server's own network namespace.
 */
function connectsTo(pid: number, draft: Draft, facts: InstanceFacts): boolean {
  const namespace =
    draft.process?.sameNetns === false
      ? facts.namespaces?.find((n) => n.pid === draft.process!.pid && n.status === 'ok')
      : undefined;
  const hostAddresses =
    facts.interfaces.status === 'ok'
      ? facts.interfaces.data.flatMap((i) => i.addresses.map((a) => a.address.toLowerCase()))
      : [];
  const targets: Array<{ addresses: string[]; socket: Socket }> = [
    ...draft.sockets.map((socket) => ({ addresses: hostAddresses, socket })),
    ...(namespace?.sockets ?? []).map((socket) => ({
      addresses: namespace!.interfaces.flatMap((i) =>
        i.addresses.filter((a) => a.scope !== 'loopback').map((a) => a.address.toLowerCase()),
      ),
      socket,
    })),
  ];
  return facts.sockets.data.some(
    (s) =>
      s.state === 'established' &&
      s.processes.some((p) => p.pid === pid) &&
      targets.some(
        ({ addresses, socket }) =>
          socket.localPort === s.peerPort &&
          (socket.localAddress.toLowerCase() === s.peerAddress.toLowerCase() ||
            (scopeOf(socket.localAddress) === 'unspecified' &&
              addresses.includes(s.peerAddress.toLowerCase()))),
      ),
  );
}

function attachProxies(drafts: Draft[], facts: InstanceFacts, listening: Socket[]): void {
  const direct = new Set(
    drafts.flatMap((d) => d.sockets.map((s) => listenerKey(s.localAddress, s.localPort))),
  );
  const otherKind = claimedByOtherKinds(facts);
  for (const path of facts.proxies) {
    if (direct.has(listenerKey(path.listenAddress, path.port))) continue;
    // What looked like a path to Ollama is another kind's own listener (a look-alike).
    if (otherKind.has(listenerKey(path.listenAddress, path.port))) continue;
    // A share of Paddock's says which server its proxy fronts: another kind's is theirs.
    const share = shareOfPath(path, facts);
    if (share && share.kind !== 'ollama') continue;
    let target: Draft | undefined;
    const connected = path.owner ? drafts.filter((d) => connectsTo(path.owner!.pid, d, facts)) : [];
    const fronted = share
      ? drafts.filter((d) => d.sockets.some((s) => s.localPort === share.upstream.port))
      : [];
    if (fronted.length === 1) {
      target = fronted[0];
      target!.notes.push(
        `${path.software} on port ${path.port} is Paddock's share of this server (${shareManifestPath(share!.port)}).`,
      );
    } else if (connected.length === 1) {
      target = connected[0];
      target!.notes.push(
        `${path.software} on port ${path.port} (pid ${path.owner!.pid}) has a connection open to this server: it forwards to it.`,
      );
    } else if (drafts.length === 1) target = drafts[0];
    else if (drafts.length > 1) {
      const sameVersion = drafts.filter(
        (d) => path.version !== null && versionOf(d, facts.fingerprints) === path.version,
      );
      target = sameVersion.length === 1 ? sameVersion[0] : drafts[0];
      if (sameVersion.length !== 1)
        target!.notes.push(
          `Paddock cannot tell which server ${path.software} on port ${path.port} forwards to; it is listed here.`,
        );
    } else {
      target = emptyDraft(
        `ollama:proxy:${path.port}`,
        null,
        path.owner?.pid ?? null,
        'Ollama answers through a reverse proxy, but no Ollama server runs on this computer (it may run in a container or on another machine).',
      );
      drafts.push(target);
    }
    target!.proxyPaths.push(path);
    const open = path.upstream === 'ollama' && path.authRequired !== true;
    if (open) {
      target!.extraSockets.push({
        socket: proxySocket(path, listening),
        path: path.software === 'docker-proxy' ? 'docker' : 'proxy',
      });
    }
  }
}

function publishSocket(container: OllamaContainer, index: number): Socket[] {
  const publish = container.published[index]!;
  const hostIp = publish.hostIp === '' ? '0.0.0.0' : publish.hostIp;
  const family = hostIp.includes(':') ? 6 : 4;
  return [
    {
      state: 'listen',
      family,
      localAddress: hostIp,
      localPort: publish.hostPort,
      peerAddress: family === 4 ? '0.0.0.0' : '::',
      peerPort: 0,
      dualStack: false,
      boundInterface: null,
      uid: null,
      inode: null,
      processes: [],
      ownerVisibility: 'none',
    },
  ];
}

function attachContainers(drafts: Draft[], facts: InstanceFacts): void {
  for (const container of facts.containers) {
    const ports = new Set(
      container.published.filter((p) => p.protocol === 'tcp').map((p) => p.hostPort),
    );
    // The server process running in it (its cgroup names the container) first: its own
    // namespace's sockets, joined with Docker's NAT and forward rules, then decide (issue 12).
    let target =
      drafts.find((d) => d.process?.containerId === container.id) ??
      drafts.find(
        (d) =>
          d.sockets.some((s) => ports.has(s.localPort)) ||
          d.proxyPaths.some((p) => p.software === 'docker-proxy' && ports.has(p.port)),
      );
    const name = container.names[0] ?? container.id.slice(0, 12);
    if (!target) {
      target = emptyDraft(`ollama:docker:${name}`, null, null);
      drafts.push(target);
      // No socket of its own on the host (Docker forwards in the kernel): judge the publishes.
      container.published.forEach((publish, index) => {
        if (publish.protocol === 'tcp')
          for (const socket of publishSocket(container, index))
            target!.extraSockets.push({ socket, path: 'docker' });
      });
    }
    target.containers.push(container);
    for (const reason of [
      ...container.reasons,
      ...(container.publishedBeyondLoopback ? [DOCKER_BYPASSES_FIREWALL] : []),
    ])
      if (!target.notes.includes(reason)) target.notes.push(reason);
  }
}

/** The server log speaks of the only server process here; with several it cannot be told whose. */
function logFor(draft: Draft, facts: InstanceFacts): InstanceFacts['serverLog'] {
  if (!facts.serverLog || !draft.process || facts.servers.length !== 1) return null;
  return facts.serverLog;
}

/** The settings a `server config` log line is worth reading for (it lists every OLLAMA_* with defaults). */
const LOGGED_SETTINGS = new Set([
  'OLLAMA_HOST',
  'OLLAMA_ORIGINS',
  'OLLAMA_DEBUG',
  'OLLAMA_DEBUG_LOG_REQUESTS',
  'OLLAMA_NO_CLOUD',
  'OLLAMA_MODELS',
]);

/**
 * When the server's own environment cannot be read, its last `server config` log line is the
 * best evidence of what is in force. With the environment readable, the log adds nothing.
 */
function withLoggedSettings(
  report: SettingsReport | undefined,
  pid: number | null,
  log: InstanceFacts['serverLog'],
): SettingsReport | undefined {
  const config = log?.facts.config;
  if (!config || pid === null) return report;
  const environmentHidden = report?.gaps.some((g) => g.path === `/proc/${pid}/environ`) ?? false;
  if (!environmentHidden) return report;
  const logged = config
    .filter(
      (entry) => LOGGED_SETTINGS.has(entry.name) && entry.value !== '' && entry.value !== '[]',
    )
    .map((entry): SettingsReport['settings'][number] => ({
      name: entry.name,
      value: entry.value,
      source: { kind: 'server-log', path: log.ref, line: null },
      state: 'effective',
      reason: `the server logged this at its start${log.facts.configAt ? ` (${log.facts.configAt})` : ''}; its own environment is not readable by this user`,
    }));
  return { settings: [...(report?.settings ?? []), ...logged], gaps: report?.gaps ?? [] };
}

function effectiveValue(report: SettingsReport | undefined, name: string): string | undefined {
  return report?.settings.find((s) => s.name === name && s.state === 'effective')?.value;
}

function buildInstance(draft: Draft, facts: InstanceFacts): Instance {
  const interfaces = facts.interfaces.status === 'ok' ? facts.interfaces.data : null;
  const dockerPorts = new Set(draft.containers.flatMap((c) => c.published.map((p) => p.hostPort)));
  const listeners: Listener[] = [
    ...draft.sockets.map((socket) =>
      assessListener(
        socket,
        interfaces,
        socket.processes.some((p) => isPortForwarder(p.name)) || dockerPorts.has(socket.localPort)
          ? 'docker'
          : 'direct',
        facts.firewall,
      ),
    ),
    ...draft.extraSockets.map(({ socket, path }) =>
      assessListener(socket, interfaces, path, facts.firewall),
    ),
  ];
  const namespace =
    draft.process?.sameNetns === false
      ? facts.namespaces?.find((n) => n.pid === draft.process!.pid)
      : undefined;
  if (namespace?.status === 'ok')
    for (const socket of namespace.sockets)
      listeners.push(assessNamespaceListener(socket, namespace, interfaces, facts.firewall));
  const fingerprints = draft.sockets
    .map((s) => facts.fingerprints.get(listenerKey(connectAddress(s), s.localPort)))
    .filter((f): f is Fingerprint => f !== undefined);
  const apiVersion =
    fingerprints.find((f) => f.version)?.version ??
    draft.proxyPaths.find((p) => p.version)?.version ??
    null;
  const cli = facts.cliVersions.get(draft.id) ?? null;
  const log = logFor(draft, facts);
  const settings = withLoggedSettings(facts.settings.get(draft.id), draft.pid, log);
  const rawHost = effectiveValue(settings, 'OLLAMA_HOST');
  // Without the server's own environment, "no OLLAMA_HOST found" does not mean "unset".
  const environmentHidden =
    draft.pid !== null &&
    (settings?.gaps.some((g) => g.path === `/proc/${draft.pid}/environ`) ?? false);
  const reasons = [...draft.notes];
  for (const path of draft.proxyPaths) {
    if (path.authRequired === true || path.upstream === 'unconfirmed')
      reasons.push(
        `${path.software} on port ${path.port} asks for credentials${path.authScheme ? ` (${path.authScheme})` : ''} before anything reaches Ollama.`,
      );
  }
  let exposure = worstExposure(listeners.map((l) => l.exposure));
  if (listeners.length === 0) {
    if (draft.process?.sameNetns === false && namespace?.status === 'ok') {
      reasons.push(
        `It runs in another network namespace (${namespace.netns ?? 'a container?'}) and listens on no TCP port there right now.`,
      );
    } else if (draft.process?.sameNetns === false) {
      exposure = 'unknown';
      reasons.push(
        `This server runs in another network namespace (a container?), and its sockets there could not be read${namespace?.message ? ` (${namespace.message})` : ''}: who can reach it is unknown. Run \`paddock scan --elevated\`.`,
      );
    } else if (draft.process?.sameNetns === null && draft.process.executableStatus === 'denied') {
      // Another user's server, its namespace unreadable: no socket seen proves nothing.
      exposure = 'unknown';
      reasons.push(
        'It belongs to another user and neither its sockets nor its network namespace could be read, so whether and where it listens is unknown. Run `paddock scan --elevated`.',
      );
    } else if (facts.sockets.status !== 'ok') {
      exposure = 'unknown';
      reasons.push(
        `Its sockets could not be listed (${facts.sockets.message ?? facts.sockets.status}).`,
      );
    } else if (draft.proxyPaths.length === 0 && draft.containers.length === 0) {
      reasons.push('It is not listening on any TCP port right now (starting up, or stopping?).');
    }
  } else {
    const worst = listeners.filter((l) => l.exposure === exposure);
    const via = (l: Listener) =>
      l.path === 'proxy'
        ? ' (through a reverse proxy)'
        : l.path === 'docker'
          ? ' (published by Docker)'
          : l.path === 'namespace'
            ? ` ${l.reasons[1] ?? ''}`
            : '';
    reasons.push(
      `${EXPOSURE_SENTENCE[exposure]}: ${worst.map((l) => `${l.reasons[0]}${via(l)}`).join(' ')}`,
    );
  }
  const ownSockets = [...draft.sockets, ...draft.extraSockets.map((e) => e.socket)];
  const localAddresses = (interfaces ?? []).flatMap((i) => i.addresses.map((a) => a.address));
  const instance: Instance = {
    id: draft.id,
    kind: 'ollama',
    pid: draft.pid,
    process: draft.process,
    version: apiVersion ?? cli ?? log?.facts.version ?? null,
    versionSource: apiVersion ? 'api' : cli ? 'cli' : log?.facts.version ? 'log' : 'unknown',
    listeners,
    settings: settings?.settings ?? [],
    configuredBind:
      draft.process || settings
        ? environmentHidden && rawHost === undefined
          ? null
          : parseOllamaHost(rawHost)
        : null,
    fingerprints,
    proxyPaths: draft.proxyPaths,
    containers: draft.containers,
    peers: remotePeers(facts.sockets.data, ownSockets, localAddresses),
    vram: null,
    exposure,
    reasons,
  };
  instance.vram = vramByInstance([instance])[0] ?? null;
  return instance;
}

export function buildInstances(facts: InstanceFacts): Instance[] {
  const listening = facts.sockets.data.filter((s) => s.state === 'listen');
  const drafts = draftServers(facts, listening);
  attachProxies(drafts, facts, listening);
  attachContainers(drafts, facts);
  const ids = stableIds(drafts);
  const ollama = drafts.map((draft, i) => ({ ...buildInstance(draft, facts), id: ids[i]! }));
  return [...ollama, ...kindInstances(facts, listening)];
}

/**
 * A VPN's own interface as its software names it (Tailscale, WireGuard, ZeroTier, Nebula), on
 * an address that is not public. Not `tun…` (any VPN provider's uplink) and not an address
 * in 100.64.0.0/10 alone (a carrier's NAT uses it too): security review of issue 14.
 */
export const VPN_INTERFACE = /^(?:tailscale\d*|wg[\w-]*|zt[0-9a-z]+|nebula\d*)$/i;

function isVpnPath(via: Instance['listeners'][number]['reachableVia'][number]): boolean {
  return VPN_INTERFACE.test(via.interface) && via.scope !== 'public';
}

/**
 * Issue 14: a server every open path of which lets in only the sources a firewall rule names
 * is shared with those machines; one open path to any peer, and it is simply exposed.
 */
export function withSharing(instance: Instance): Instance {
  if (instance.exposure === 'private') return withProxySharing(instance);
  if (instance.exposure !== 'lan' && instance.exposure !== 'internet') return instance;
  const open = instance.listeners.flatMap((l) => l.reachableVia.filter((v) => v.open));
  // A tunnel (a client's, or the server's own flag) publishes it whatever its paths say: the
  // exposure is then worse than its paths, and nothing about it is "shared" (security review).
  const tunnels = (instance.tunnels?.length ?? 0) > 0;
  const byPaths = worstExposure(instance.listeners.map((l) => l.exposure));
  if (open.length === 0 || tunnels || byPaths !== instance.exposure) return instance;
  // Bound to a VPN interface's own address (share-vpn): its peers are whom it is shared with.
  const specific = instance.listeners.every(
    (l) => l.path === 'direct' && !['0.0.0.0', '::'].includes(l.address),
  );
  if (specific && open.every((v) => isVpnPath(v) && !v.nat && !v.forward)) {
    const over = [...new Set(open.map((v) => v.interface))];
    return {
      ...instance,
      sharedOver: over,
      reasons: [
        ...instance.reasons,
        `Shared over the VPN only (${over.join(', ')}): it listens on the VPN's own address, which the local network and the internet are not routed to; ${'a machine on the local network that sends that address to this computer (Linux accepts a packet for any of its addresses on any interface) is refused only if a firewall rule says so'}.`,
      ],
    };
  }
  if (open.some((v) => !v.onlyFrom)) return instance;
  const sharedWith = [...new Set(open.flatMap((v) => v.onlyFrom!))];
  return {
    ...instance,
    sharedWith,
    reasons: [
      ...instance.reasons,
      `Shared with ${sharedWith.length === 1 ? '1 source' : `${sharedWith.length} sources`} only (${sharedWith.join(', ')}): the firewall refuses every other machine.`,
    ],
  };
}

/**
 * Issue 14: a server on loopback that other machines reach only through proxies that demand
 * credentials is shared behind a password or token: nothing reaches it without them.
 */
function withProxySharing(instance: Instance): Instance {
  const paths = instance.proxyPaths;
  if (paths.length === 0 || paths.some((p) => p.authRequired !== true)) return instance;
  if ((instance.tunnels?.length ?? 0) > 0) return instance;
  const sharedBehind = paths.map((p) => ({
    software: p.software,
    address: p.listenAddress,
    port: p.port,
    scheme: p.authScheme,
    tls: p.tls === true,
  }));
  const where = sharedBehind
    .map(
      (b) =>
        `${b.software} on ${b.address.includes(':') ? `[${b.address}]` : b.address}:${b.port}${b.tls ? ' (HTTPS)' : ''}${b.scheme ? ` asks for ${b.scheme} credentials` : ' asks for credentials'}`,
    )
    .join('; ');
  return {
    ...instance,
    sharedBehind,
    reasons: [
      ...instance.reasons,
      `Shared behind a password or token: ${where}. Whoever reaches that address and holds the credentials can use it; without them, every request is refused before it reaches the server.`,
    ],
  };
}

/**
 * Issue 13: one instance per other server found (engine/servers/), with every listening
 * socket of its process (a side listener, such as TGI's metrics port, is as reachable as the
 * API), judged by the same verdict as Ollama's. Without a visible owner, the identified
 * listener alone.
 */
function kindInstances(facts: InstanceFacts, listening: Socket[]): Instance[] {
  const interfaces = facts.interfaces.status === 'ok' ? facts.interfaces.data : null;
  const groups = new Map<string, { finding: KindFinding; sockets: Socket[] }>();
  for (const finding of facts.kinds ?? []) {
    const pid = finding.owner?.pid ?? null;
    const key =
      pid !== null ? `${finding.kind}:pid:${pid}` : `${finding.kind}:port:${finding.port}`;
    const group = groups.get(key) ?? { finding, sockets: [] };
    // Its own sockets and its listening children's (side listeners, §1.3).
    const family = new Set([...(pid !== null ? [pid] : []), ...(finding.children ?? [])]);
    const own =
      pid !== null
        ? listening.filter((s) => s.processes.some((p) => family.has(p.pid)))
        : listening.filter(
            (s) => s.localAddress === finding.address && s.localPort === finding.port,
          );
    for (const socket of own) if (!group.sockets.includes(socket)) group.sockets.push(socket);
    groups.set(key, group);
  }
  const localAddresses = (interfaces ?? []).flatMap((i) => i.addresses.map((a) => a.address));
  const ids = new Set<string>();
  return [...groups.values()].map(({ finding, sockets }) => {
    const listeners = sockets.map((s) => assessListener(s, interfaces, 'direct', facts.firewall));
    const name = SERVER_KIND_NAMES[finding.kind];
    // A tunnel of its own publishes it on the internet whatever its socket says (§1.2).
    const tunnel = finding.tunnel ?? null;
    const exposure = tunnel ? 'internet' : worstExposure(listeners.map((l) => l.exposure));
    const worst = listeners.filter((l) => l.exposure === exposure);
    let id = `${finding.kind}:port:${Math.min(...sockets.map((s) => s.localPort), finding.port)}`;
    if (ids.has(id)) id = `${id}:${finding.owner?.pid ?? ids.size}`;
    ids.add(id);
    return {
      id,
      kind: finding.kind,
      pid: finding.owner?.pid ?? null,
      process: finding.process ?? null,
      version: finding.version,
      versionSource: finding.version ? 'api' : 'unknown',
      listeners,
      settings: finding.settings ?? [],
      configuredBind: null,
      fingerprints: [],
      proxyPaths: facts.proxies.filter((p) => {
        const share = shareOfPath(p, facts);
        return (
          share !== null &&
          share.kind === finding.kind &&
          sockets.some((s) => s.localPort === share.upstream.port)
        );
      }),
      containers: [],
      peers: remotePeers(facts.sockets.data, sockets, localAddresses),
      vram: null,
      exposure,
      auth: finding.auth,
      features: finding.features ?? [],
      cors: finding.cors ?? null,
      reasons: [
        `${name} answers on ${finding.address.includes(':') ? `[${finding.address}]` : finding.address}:${finding.port}: ${finding.evidence.join('; ')}.`,
        ...(listeners.length === 0
          ? ['Its sockets could not be listed.']
          : tunnel
            ? [
                `${EXPOSURE_SENTENCE.internet}: it was started with ${tunnel.flag}, which publishes it through ${tunnel.via}, whatever its socket says (${worst.map((l) => l.reasons[0]).join(' ') || 'no socket beyond loopback'}).`,
              ]
            : [`${EXPOSURE_SENTENCE[exposure]}: ${worst.map((l) => l.reasons[0]).join(' ')}`]),
      ],
    } satisfies Instance;
  });
}

/**
 * Ids that survive a restart, so that an accepted risk, a report and the monitor keep
 * talking about the same server: its systemd unit, else the lowest port it listens on, else
 * (a server not listening yet) its pid. Proxy-only and Docker instances are already named by
 * their port and container. Two servers that would share an id keep it apart with their pid.
 */
function stableIds(drafts: Draft[]): string[] {
  const seen = new Set<string>();
  return drafts.map((draft) => {
    let id = draft.id;
    if (draft.process?.systemdUnit) id = `ollama:service:${draft.process.systemdUnit}`;
    else if (draft.sockets.length > 0 && !draft.id.startsWith('ollama:docker:'))
      id = `ollama:port:${Math.min(...draft.sockets.map((s) => s.localPort))}`;
    if (seen.has(id)) id = `${id}:${draft.pid ?? seen.size}`;
    seen.add(id);
    return id;
  });
}

/** Drafts needing `ollama --version`: no listener of theirs gave a version through the API. */
export function serversWithoutApiVersion(
  servers: OllamaProcess[],
  listening: Socket[],
  fingerprints: Map<string, Fingerprint>,
): OllamaProcess[] {
  return servers.filter((server) =>
    listening
      .filter((s) => s.processes.some((p) => p.pid === server.pid))
      .every((s) => !fingerprints.get(listenerKey(connectAddress(s), s.localPort))?.version),
  );
}
