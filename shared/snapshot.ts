/**
 * The Snapshot: plain, serialisable facts about one host at one moment, the single input to
 * everything after the probes (exposure, rules, fixes, monitor). Types are inferred from the
 * zod schemas so the two cannot drift. Engine code imports only the types (`import type`),
 * which keeps zod out of the CLI's start-up path; the schemas validate snapshots that cross
 * a trust boundary (IPC, files, bug reports).
 */
import { AUTH_STATES, SERVER_KINDS } from './servers';
import { z } from 'zod';
import {
  addressScopeSchema,
  probeResultSchema,
  probeStatusSchema,
  socketProcessSchema,
} from './base';
import { dockerReportSchema, ollamaContainerSchema } from './docker';
import { firewallEvaluationSchema, firewallFactsSchema } from './firewall';
import { gpuReportSchema, instanceVramSchema } from './gpu';
import { proxyPathSchema } from './proxy';
import { accessLogDataSchema, remotePeerSchema } from './traffic';

export {
  addressScopeSchema,
  evidenceSchema,
  probeResultSchema,
  probeStatusSchema,
  socketProcessSchema,
} from './base';
export type { AddressScope, Evidence, ProbeResult, ProbeStatus } from './base';

// ── processes ────────────────────────────────────────────────────────────────────────────

export const processRoleSchema = z.enum(['server', 'runner', 'app']);
export const ollamaProcessSchema = z.object({
  pid: z.number().int(),
  ppid: z.number().int().nullable(),
  role: processRoleSchema,
  argv: z.array(z.string()),
  /** Resolved /proc/PID/exe; null when unreadable (another user's process without root). */
  executable: z.string().nullable(),
  executableStatus: z.enum(['ok', 'denied', 'unavailable']),
  uid: z.number().int().nullable(),
  user: z.string().nullable(),
  /** ISO time the process started. */
  startedAt: z.string().nullable(),
  /** systemd unit from /proc/PID/cgroup, e.g. "ollama.service"; null when not a service. */
  systemdUnit: z.string().nullable(),
  /** Same network namespace as the scanner: its sockets are visible to ss here. null: unknown. */
  sameNetns: z.boolean().nullable(),
  /**
   * The container it runs in, from its cgroup (Docker's `docker-<id>.scope` or `/docker/<id>`,
   * Podman's `libpod-<id>.scope`): ties it to the engine's container. Absent: none seen.
   */
  containerId: z.string().nullable().optional(),
  /**
   * macOS (issue 16) and Windows (issue 17): who started a server: the Ollama app (its
   * parent), launchd (a service, Homebrew's included; macOS only), or a shell. Absent on Linux.
   */
  launcher: z.enum(['app', 'launchd', 'shell', 'unknown']).optional(),
  /** macOS: the launchd job's plist that runs it, when known. */
  launchdJob: z.string().nullable().optional(),
  /**
   * Windows (issue 17): the executable of the Ollama app that started this server (its
   * parent's), which a fix quits and starts again; null: not the app's, or not known.
   */
  appExecutable: z.string().nullable().optional(),
});
export type OllamaProcess = z.infer<typeof ollamaProcessSchema>;

// ── sockets ──────────────────────────────────────────────────────────────────────────────

export const socketSchema = z.object({
  state: z.enum(['listen', 'established']),
  family: z.union([z.literal(4), z.literal(6)]),
  /** Address as the kernel reports it, without brackets; "0.0.0.0", "::", or a concrete one. */
  localAddress: z.string(),
  localPort: z.number().int(),
  peerAddress: z.string(),
  peerPort: z.number().int(),
  /** IPv6 wildcard that also accepts IPv4 (ss prints "*"); false for v6-only "[::]". */
  dualStack: z.boolean(),
  /** Device the socket is bound to (ss prints `addr%dev`); it then accepts on that device only. */
  boundInterface: z.string().nullable(),
  uid: z.number().int().nullable(),
  inode: z.number().int().nullable(),
  processes: z.array(socketProcessSchema),
  /** visible: owner known; denied: owned by another user we may not inspect; none: no owner. */
  ownerVisibility: z.enum(['visible', 'denied', 'none']),
});
export type Socket = z.infer<typeof socketSchema>;

// ── interfaces ───────────────────────────────────────────────────────────────────────────

export const interfaceAddressSchema = z.object({
  address: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  prefixLength: z.number().int().nullable(),
  scope: addressScopeSchema,
});
export type InterfaceAddress = z.infer<typeof interfaceAddressSchema>;
export const netInterfaceSchema = z.object({
  name: z.string(),
  addresses: z.array(interfaceAddressSchema),
  /**
   * Linux `net.ipv4.conf.<if>.route_localnet` (or `.all`): packets arriving here may be routed
   * to 127.0.0.0/8, so a DNAT to a loopback address works from this interface. null: unread.
   */
  routeLocalnet: z.boolean().nullable().optional(),
  /**
   * Linux: whether packets arriving here are routed on to other hosts or namespaces (IPv4
   * `net.ipv4.conf.<if>.forwarding`, IPv6 `net.ipv6.conf.all.forwarding`). null: unread.
   * Absent: not read on this platform.
   */
  forwarding: z.object({ v4: z.boolean().nullable(), v6: z.boolean().nullable() }).optional(),
});
export type NetInterface = z.infer<typeof netInterfaceSchema>;

/**
 * Issue 12, class 3: a server that runs in another network namespace (a container without an
 * engine API, `ip netns`, a rootless container): that namespace's listening sockets and
 * addresses, read from /proc/PID/net, joined with the host's forwarding into it.
 */
export const serverNamespaceSchema = z.object({
  /** The server process whose namespace this is. */
  pid: z.number().int(),
  /** `net:[4026532…]`, or null when the link could not be read. */
  netns: z.string().nullable(),
  status: z.enum(['ok', 'denied', 'error']),
  message: z.string().optional(),
  /** Listening TCP sockets there: the server's own when its descriptors could be read. */
  sockets: z.array(socketSchema),
  /** Its interfaces and addresses (lo included). */
  interfaces: z.array(netInterfaceSchema),
});
export type ServerNamespace = z.infer<typeof serverNamespaceSchema>;

// ── settings ─────────────────────────────────────────────────────────────────────────────

export const settingSourceKindSchema = z.enum([
  'process',
  'systemd-unit',
  'systemd-dropin',
  'systemd-envfile',
  'etc-environment',
  'shell-rc',
  'server-log',
  'default',
  /** A server's own settings file (a KoboldCpp .kcpps, CMD_FLAGS.txt, LM Studio's server config). */
  'config-file',
  /** macOS (issue 16): `launchctl setenv`, a launchd plist's EnvironmentVariables, the Ollama app's switches. */
  'launchctl',
  'launchd-plist',
  'app-settings',
  /**
   * Windows (issue 17): a user variable (`HKCU\Environment`) or a machine one
   * (`HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment`). A PowerShell
   * profile is a 'shell-rc'; the Ollama app's `db.sqlite` switches are 'app-settings'.
   */
  'registry-user',
  'registry-machine',
]);
export const settingStateSchema = z.enum(['effective', 'shadowed', 'latent']);
export type SettingState = z.infer<typeof settingStateSchema>;
export const settingSchema = z.object({
  name: z.string(),
  value: z.string(),
  source: z.object({
    kind: settingSourceKindSchema,
    /** File path, or "pid 1234" for a process environment. */
    path: z.string(),
    line: z.number().int().nullable(),
  }),
  state: settingStateSchema,
  /** Why this state: "overridden by …", "service not restarted since …", "not read by the service". */
  reason: z.string(),
});
export type Setting = z.infer<typeof settingSchema>;

/** A file or environment Paddock could not read, so settings may be incomplete. */
export const settingsGapSchema = z.object({
  path: z.string(),
  status: probeStatusSchema,
  message: z.string(),
});
export const settingsReportSchema = z.object({
  settings: z.array(settingSchema),
  gaps: z.array(settingsGapSchema),
});
export type SettingsReport = z.infer<typeof settingsReportSchema>;

// ── listen address (OLLAMA_HOST as Ollama reads it) ─────────────────────────────────────

export const bindSpecSchema = z.object({
  /** The host part after Ollama's parsing: "" means every interface. */
  host: z.string(),
  port: z.number().int(),
  scheme: z.enum(['http', 'https']),
  /** every interface (dual-stack), loopback only, or one address / name. */
  reach: z.enum(['all', 'loopback', 'specific']),
  notes: z.array(z.string()),
});
export type BindSpec = z.infer<typeof bindSpecSchema>;

// ── HTTP fingerprint ─────────────────────────────────────────────────────────────────────

export const modelSummarySchema = z.object({
  name: z.string(),
  size: z.number().nullable(),
  sizeVram: z.number().nullable().optional(),
});
export type ModelSummary = z.infer<typeof modelSummarySchema>;
export const fingerprintSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  /** What answered: ollama (banner or API), other HTTP, no HTTP, or nothing at all. */
  identity: z.enum(['ollama', 'other-http', 'not-http', 'no-answer']),
  banner: z.string().nullable(),
  version: z.string().nullable(),
  models: z.array(modelSummarySchema).nullable(),
  loadedModels: z.array(modelSummarySchema).nullable(),
  /** A page on another site may call the API from the user's browser. */
  foreignOriginAllowed: z.boolean().nullable(),
  /** A request naming a foreign Host is refused (DNS-rebinding defence). */
  foreignHostRefused: z.boolean().nullable(),
  /** Credentials demanded on /api/tags (401/403). */
  authRequired: z.boolean().nullable(),
  problems: z.array(z.string()),
});
export type Fingerprint = z.infer<typeof fingerprintSchema>;

// ── instances and exposure ───────────────────────────────────────────────────────────────

export const exposureSchema = z.enum(['private', 'lan', 'internet', 'unknown']);
export type Exposure = z.infer<typeof exposureSchema>;

export const reachPathSchema = z.object({
  interface: z.string(),
  address: z.string(),
  scope: addressScopeSchema,
  /** What the host firewall does to a new connection on this path; null when not judged. */
  firewall: firewallEvaluationSchema.nullable(),
  /** Whether this path counts toward the exposure (false: the firewall blocks it). */
  open: z.boolean(),
  /**
   * Open only to these sources (issue 14, sharing): the firewall refuses the path's other
   * peers but lets in the addresses or prefixes its rules name here. Absent: open to any peer.
   */
  onlyFrom: z.array(z.string()).optional(),
  /**
   * Reached through destination NAT (issue 12): connections to `port` on this address are sent
   * to the listener by `rule`. Absent: the listener's own address and port.
   */
  nat: z.object({ port: z.number().int(), rule: z.string() }).optional(),
  /**
   * Routed on to another network namespace (issue 12, class 3): the host forwards the
   * connection out of `outInterface` to `to`, where the server listens. Absent: delivered here.
   */
  forward: z
    .object({
      outInterface: z.string().nullable(),
      to: z.object({ address: z.string(), port: z.number().int() }),
      /** Reached only by a neighbour that routes the namespace's address through this host. */
      routed: z.boolean(),
    })
    .optional(),
});
export const listenerSchema = z.object({
  /** direct: Ollama's own socket; proxy: a reverse proxy forwarding to it; docker: a port Docker publishes. */
  path: z.enum(['direct', 'proxy', 'docker', 'namespace']),
  address: z.string(),
  port: z.number().int(),
  family: z.union([z.literal(4), z.literal(6)]),
  dualStack: z.boolean(),
  /** The process that owns the socket, when the OS lets us see it. */
  owner: socketProcessSchema.nullable(),
  ownerVisibility: z.enum(['visible', 'denied', 'none']),
  exposure: exposureSchema,
  /** Interface addresses on which this listener accepts connections. */
  reachableVia: z.array(reachPathSchema),
  /** The chain of evidence, in order, as plain sentences. */
  reasons: z.array(z.string()),
});
export type Listener = z.infer<typeof listenerSchema>;

/**
 * A tunnel client that publishes a local server on the internet with no listener of its own
 * (issue 12: cloudflared, ngrok, frpc, bore, zrok, ssh -R, Tailscale Funnel, devtunnel).
 */
export const tunnelSchema = z.object({
  /** The client, by the name the kernel has for it. */
  tool: z.string(),
  pid: z.number().int(),
  /** Its arguments, one line each (untrusted). */
  argv: z.array(z.string()),
  /** Where it publishes to (a service, or the ssh host), when its arguments say. */
  remote: z.string().nullable(),
  /** The configuration file read for its targets, if any. */
  config: z.string().nullable(),
  /** The system manager's service it runs as (its cgroup under system.slice), if any. */
  systemdUnit: z.string().nullable().optional(),
  /** What it publishes: the local host and port it forwards to, and where that was read. */
  targets: z.array(
    z.object({ host: z.string(), port: z.number().int(), source: z.enum(['argv', 'config']) }),
  ),
});
export type Tunnel = z.infer<typeof tunnelSchema>;

/**
 * What a server answered to a GET carrying a foreign web page's `Origin` (issue 13): the
 * `Access-Control-Allow-Origin` it sent (null: none) and whether it allows credentials.
 */
export const corsSchema = z.object({
  path: z.string(),
  allowOrigin: z.string().nullable(),
  allowCredentials: z.boolean(),
});

/** A flag that turns on something dangerous for whoever reaches the server (issue 13). */
export const riskyFeatureSchema = z.object({
  flag: z.string(),
  what: z.string(),
  runsCode: z.boolean(),
});

/**
 * A listener identified as a local LLM server other than Ollama, by harmless GETs (issue 13,
 * engine/servers/): which kind said so and how, its version, and who may use it.
 */
export const kindFindingSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  kind: z.enum(SERVER_KINDS),
  version: z.string().nullable(),
  evidence: z.array(z.string()),
  auth: z.object({ state: z.enum(AUTH_STATES), evidence: z.array(z.string()) }),
  owner: socketProcessSchema.nullable(),
  /** A tunnel flag of its own in its arguments (`--remotetunnel`), and where it leads. */
  tunnel: z.object({ flag: z.string(), via: z.string() }).nullable().optional(),
  /** Its bind address, port and key as started (a key's value is never kept). */
  settings: z.array(settingSchema).optional(),
  /** Risky features its arguments turn on (flag names only). */
  features: z.array(riskyFeatureSchema).optional(),
  /** How it answered a request from a foreign web page's origin (CORS). */
  cors: corsSchema.nullable().optional(),
  /**
   * Its child processes that listen too (servers-facts.md §1.3: vLLM's torch.distributed
   * store, workers): their sockets are the server's side listeners.
   */
  children: z.array(z.number().int()).optional(),
  /** Its process as the processes probe would describe it: the unit that started it, as whom. */
  process: ollamaProcessSchema.nullable().optional(),
});
export type KindFinding = z.infer<typeof kindFindingSchema>;

export const instanceSchema = z.object({
  /** Stable within a host: "ollama:pid:1234" or "ollama:port:11434". */
  id: z.string(),
  /** Which server (shared/servers.ts); Ollama's own facts fill the fields below it. */
  kind: z.enum(SERVER_KINDS),
  /** Who may use it (issue 13), for kinds other than Ollama. */
  auth: z.object({ state: z.enum(AUTH_STATES), evidence: z.array(z.string()) }).optional(),
  /** Risky features its command line turns on (issue 13), for kinds other than Ollama. */
  features: z.array(riskyFeatureSchema).optional(),
  /** Its answer to a foreign web page's origin (issue 13), for kinds other than Ollama. */
  cors: corsSchema.nullable().optional(),
  pid: z.number().int().nullable(),
  process: ollamaProcessSchema.nullable(),
  version: z.string().nullable(),
  versionSource: z.enum(['api', 'cli', 'log', 'unknown']),
  listeners: z.array(listenerSchema),
  settings: z.array(settingSchema),
  /** The listen address the effective OLLAMA_HOST asks for. */
  configuredBind: bindSpecSchema.nullable(),
  fingerprints: z.array(fingerprintSchema),
  /** Reverse proxies that lead to this server (with or without credentials). */
  proxyPaths: z.array(proxyPathSchema),
  /** Docker containers that run this server. */
  containers: z.array(ollamaContainerSchema),
  /** Peers from other machines connected right now. */
  peers: z.array(remotePeerSchema),
  /** What its loaded models hold in memory, from /api/ps. */
  vram: instanceVramSchema.nullable(),
  exposure: exposureSchema,
  /**
   * Issue 14: reachable beyond this computer only from these sources, which firewall rules name
   * (the user's chosen sharing); absent when any path is open to every peer, or none is open.
   */
  sharedWith: z.array(z.string()).optional(),
  /**
   * Issue 14: bound to the address of a VPN interface only (Tailscale, WireGuard, ZeroTier):
   * the interfaces, whose peers are the machines it is shared with.
   */
  sharedOver: z.array(z.string()).optional(),
  /**
   * Issue 14: other machines reach it only through reverse proxies that demand credentials
   * (a token or a password) before anything reaches it; the server itself listens on loopback.
   */
  sharedBehind: z
    .array(
      z.object({
        software: z.string(),
        address: z.string(),
        port: z.number().int(),
        scheme: z.string().nullable(),
        tls: z.boolean(),
      }),
    )
    .optional(),
  reasons: z.array(z.string()),
  /** Tunnel clients that publish this server on the internet (issue 12). */
  tunnels: z.array(tunnelSchema).optional(),
});
export type Instance = z.infer<typeof instanceSchema>;

export const snapshotSchema = z.object({
  schemaVersion: z.literal(1),
  takenAt: z.string(),
  durationMs: z.number(),
  host: z.object({
    hostname: z.string(),
    platform: z.string(),
    release: z.string(),
    uid: z.number().int().nullable(),
    user: z.string().nullable(),
  }),
  probes: z.object({
    processes: probeResultSchema(z.array(ollamaProcessSchema)),
    sockets: probeResultSchema(z.array(socketSchema)),
    interfaces: probeResultSchema(z.array(netInterfaceSchema)),
    settings: probeResultSchema(z.record(z.string(), settingsReportSchema)),
    fingerprints: probeResultSchema(z.array(fingerprintSchema)),
    versions: probeResultSchema(z.record(z.string(), z.string())),
    /** ufw, firewalld, nftables and iptables as read; judged per path by engine/firewall. */
    firewall: probeResultSchema(firewallFactsSchema.nullable()),
    proxies: probeResultSchema(z.array(proxyPathSchema)),
    docker: probeResultSchema(dockerReportSchema.nullable()),
    gpu: probeResultSchema(gpuReportSchema.nullable()),
    accessLog: probeResultSchema(accessLogDataSchema.nullable()),
    /** Tunnel clients found (issue 12); absent in snapshots from before it. */
    tunnels: probeResultSchema(z.array(tunnelSchema)).optional(),
    /** Servers in other network namespaces (Linux; issue 12, class 3). */
    namespaces: probeResultSchema(z.array(serverNamespaceSchema)).optional(),
    /** Listeners identified as other local LLM servers (issue 13). */
    kinds: probeResultSchema(z.array(kindFindingSchema)).optional(),
  }),
  instances: z.array(instanceSchema),
  verdict: exposureSchema,
  verdictReasons: z.array(z.string()),
});
export type Snapshot = z.infer<typeof snapshotSchema>;
