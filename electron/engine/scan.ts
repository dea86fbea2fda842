/**
 * Runs the probes into a Snapshot. Probes run concurrently, each under a deadline; one that
 * fails or overruns becomes an `error` result and the scan still finishes.
 *
 *   phase 1: processes, sockets, interfaces, GPU      (independent)
 *   phase 2: settings per server, HTTP fingerprints  (need phase 1; fingerprints start as soon
 *            as the sockets are listed)
 *   phase 3: reverse proxies, Docker, the access log, `ollama --version` where the API gave none
 *   then instances and the verdict (pure, instances.ts and exposure.ts)
 */
import type { FirewallFacts } from '../../shared/firewall';
import type {
  Evidence,
  Fingerprint,
  Instance,
  OllamaProcess,
  ProbeResult,
  SettingsReport,
  Snapshot,
  Socket,
} from '../../shared/snapshot';
import { EXPOSURE_SENTENCE, worstExposure } from './exposure';
import { graphicsControllers } from './host/gpu-controllers';
import { createByteBudget } from './host/http';
import type { Host } from './host/types';
import { buildInstances, connectAddress, listenerKey, serversWithoutApiVersion } from './instances';
import { DEFAULT_OLLAMA_PORT } from './ollama/listen-address';
import { probeDocker } from './probes/docker';
import type { FingerprintPool } from './probes/fingerprint';
import { createFingerprintPool } from './probes/fingerprint';
import { probeGpu } from './probes/gpu';
import { probeNamespaces } from './probes/linux/netns';
import { probeTunnels } from './probes/linux/tunnels';
import { applyTunnels } from './tunnels';
import { withSharing } from './instances';
import { probeProxies } from './probes/proxy';
import { readShareManifests } from './fixes/recipes/share-proxy-config';
import { isLoopback } from './net/address';
import { probeServerKinds } from './probes/server-kinds';
import { probeAccessLog } from './probes/traffic';
import type { PlatformProbes } from './probes/platform';
import { probesFor } from './probes/platform';
import { execEvidence, runProbe } from './probes/probe';

export interface ScanOptions {
  probes?: PlatformProbes;
  /** Deadline for each probe of phases 1 and 2 (default 4000 ms). */
  probeDeadlineMs?: number;
  /**
   * Also list the GPU controllers through systeminformation (a worker thread, about 60 ms of
   * CPU). Live figures from nvidia-smi are read either way.
   */
  gpuControllers?: boolean;
  /** Firewall facts read elsewhere (with admin rights, by the CLI's --elevated): used as is. */
  firewall?: ProbeResult<FirewallFacts | null>;
}

const PROBE_DEADLINE_MS = 4000;
/** ufw and firewall-cmd are Python programs: slower to start than the rest. */
const FIREWALL_DEADLINE_MS = 6000;
const FINGERPRINT_DEADLINE_MS = 4500;
/**
 * One scan's HTTP bounds (security review F9: 64 hostile listeners answering huge, endless or
 * slow bodies took a scan to 571 MB and 6 s): at most this many listeners fingerprinted, this
 * many at a time, within this time (less than the probe's deadline, so that what was read is
 * kept), and this many bytes of answers in all, of which the reverse-proxy checks that follow
 * keep a part for themselves.
 */
const MAX_FINGERPRINTS = 64;
const FINGERPRINT_CONCURRENCY = 8;
const FINGERPRINT_TIME_MS = 4000;
const SCAN_HTTP_BYTES = 8 * 1024 * 1024;
const PROXY_RESERVED_BYTES = 1024 * 1024;
const MAX_SETTINGS_PROBES = 16;
/** Settings saved on disk, reported when no server runs (what would apply at next start). */
export const PERSISTENT_SETTINGS_KEY = 'persistent';

function isServerProcess(process: OllamaProcess): boolean {
  return process.role === 'server' || process.role === 'app';
}

/** ss names each socket's process (its comm), so Ollama's own listeners are known early. */
const OLLAMA_COMM = /^ollama/i;

/**
 * Which listeners to knock on, most telling first: those of Ollama processes (by pid once the
 * process walk is in, by name before), then anything on 11434, then listeners whose owner is
 * hidden from us. Null: not a candidate.
 */
function candidatePriority(socket: Socket, serverPids: Set<number>): number | null {
  if (socket.processes.some((p) => serverPids.has(p.pid) || OLLAMA_COMM.test(p.name))) return 0;
  if (socket.localPort === DEFAULT_OLLAMA_PORT) return 1;
  if (socket.ownerVisibility !== 'visible') return 2;
  return null;
}

interface Candidates {
  picked: Array<{ socket: Socket; priority: number }>;
  /** Candidates past MAX_FINGERPRINTS, not knocked on. */
  leftOut: number;
}

/**
 * Listeners worth knocking on, one per connect address and port, best first, at most
 * MAX_FINGERPRINTS (hidden owners are the first left out). `onlyServers`: those of Ollama
 * processes only (the second pass, once the process walk named them).
 */
function fingerprintCandidates(
  listening: Socket[],
  serverPids: Set<number>,
  skip: Set<string>,
  onlyServers = false,
): Candidates {
  const ranked: Array<{ socket: Socket; priority: number }> = [];
  const seen = new Set(skip);
  for (const socket of listening) {
    const priority = candidatePriority(socket, serverPids);
    if (priority === null || (onlyServers && priority !== 0)) continue;
    const key = listenerKey(connectAddress(socket), socket.localPort);
    if (seen.has(key)) continue;
    seen.add(key);
    ranked.push({ socket, priority });
  }
  ranked.sort((a, b) => a.priority - b.priority);
  return {
    picked: ranked.slice(0, MAX_FINGERPRINTS),
    leftOut: Math.max(0, ranked.length - MAX_FINGERPRINTS),
  };
}

async function probeFingerprints(
  host: Host,
  pool: FingerprintPool,
  candidates: Candidates,
): Promise<ProbeResult<Fingerprint[]>> {
  return runProbe(host, 'HTTP fingerprint', [], FINGERPRINT_DEADLINE_MS, async () => {
    const outcomes = await Promise.all(
      candidates.picked.map(({ socket, priority }) =>
        pool.fingerprint(connectAddress(socket), socket.localPort, priority),
      ),
    );
    const limited = outcomes.filter((o) => o.limitedBy !== null).length;
    const notes = [
      ...(limited > 0
        ? [
            `${limited} of ${outcomes.length} listener${outcomes.length === 1 ? '' : 's'} could not be read in full: a scan reads at most ${SCAN_HTTP_BYTES / (1024 * 1024)} MiB of HTTP answers in all, ${FINGERPRINT_CONCURRENCY} listeners at a time, for ${FINGERPRINT_TIME_MS / 1000} s; whether Ollama answers there is unknown (each says why).`,
          ]
        : []),
      ...(candidates.leftOut > 0
        ? [
            `${candidates.leftOut} more listener${candidates.leftOut === 1 ? ' of a hidden owner was' : 's of hidden owners were'} not checked (at most ${MAX_FINGERPRINTS} per scan).`,
          ]
        : []),
    ];
    return {
      status: 'ok',
      data: outcomes.map((o) => o.fingerprint),
      evidence: outcomes.flatMap((o) => o.evidence),
      ...(notes.length > 0 ? { message: notes.join(' ') } : {}),
    };
  });
}

function mergeFingerprintProbes(
  first: ProbeResult<Fingerprint[]>,
  second: ProbeResult<Fingerprint[]> | null,
): ProbeResult<Fingerprint[]> {
  const merged = second
    ? {
        status: first.status === 'ok' ? second.status : first.status,
        data: [...first.data, ...second.data],
        evidence: [...first.evidence, ...second.evidence],
        message: [first.message, second.message].filter(Boolean).join(' ') || undefined,
        durationMs: first.durationMs + second.durationMs,
      }
    : first;
  if (merged.data.length === 0 && merged.status === 'ok') {
    return { ...merged, message: 'No listener looked like a candidate for Ollama.' };
  }
  return merged;
}

const VERSION_OUTPUT = /(?:ollama version is|client version is)\s+v?([0-9][0-9A-Za-z.+-]{0,40})/;

/**
 * `ollama --version` with the server's own binary, only when running it is safe: a file
 * owned by root or by this user and writable by no one else. Paddock may run as root, and a
 * process named "ollama" can be anyone's program: as root, host.exec also requires every
 * folder above it to be root's (no one else can swap the file between this check and the
 * run) and runs the very file it opened (host/trust.ts); a binary deleted since it started
 * (`/proc/PID/exe` ends in " (deleted)") is never run. Without a readable executable, the
 * `ollama` on this user's PATH answers (what they would run themselves; as root, only one in
 * the system folders).
 */
async function cliVersion(
  host: Host,
  process: OllamaProcess,
): Promise<{ version: string | null; evidence: Evidence }> {
  let executable = 'ollama';
  if (process.executable?.endsWith(' (deleted)'))
    return {
      version: null,
      evidence: {
        kind: 'exec',
        ref: `${process.executable} --version`,
        outcome: 'not run: the binary was deleted after the server started',
      },
    };
  if (process.executable) {
    const owner = await host.fileOwner(process.executable);
    const trusted =
      owner !== null &&
      (owner.uid === 0 || owner.uid === host.uid()) &&
      (owner.mode & 0o022) === 0 &&
      /ollama/i.test(process.executable.split('/').pop() ?? '');
    if (!trusted)
      return {
        version: null,
        evidence: {
          kind: 'exec',
          ref: `${process.executable} --version`,
          outcome: `not run: ${owner ? `owned by uid ${owner.uid} with mode ${owner.mode.toString(8)}` : 'the file cannot be read'}; Paddock runs only a root- or self-owned binary that no one else may change`,
        },
      };
    executable = process.executable;
  }
  const result = await host.exec([executable, '--version'], {
    timeoutMs: 2000,
    maxBytes: 64 * 1024,
  });
  const match = VERSION_OUTPUT.exec(`${result.stdout}\n${result.stderr}`);
  return { version: match?.[1] ?? null, evidence: execEvidence(result) };
}

/** `ollama --version` by argv for the servers whose API gave no version (at most four). */
async function cliVersions(
  host: Host,
  servers: OllamaProcess[],
): Promise<{ versions: Map<string, string>; evidence: Evidence[] }> {
  const versions = new Map<string, string>();
  const evidence: Evidence[] = [];
  await Promise.all(
    servers.slice(0, 4).map(async (server) => {
      const outcome = await cliVersion(host, server);
      evidence.push(outcome.evidence);
      if (outcome.version) versions.set(`ollama:pid:${server.pid}`, outcome.version);
    }),
  );
  return { versions, evidence };
}

function hostFacts(host: Host): Snapshot['host'] {
  return {
    hostname: host.hostname(),
    platform: host.platform,
    release: host.osRelease(),
    uid: host.uid(),
    user: host.userName(),
  };
}

export async function scan(host: Host, options: ScanOptions = {}): Promise<Snapshot> {
  const started = host.monotonicMs();
  const takenAt = host.now().toISOString();
  const probes = options.probes ?? probesFor(host.platform);
  const deadline = options.probeDeadlineMs ?? probes.deadlines?.probeMs ?? PROBE_DEADLINE_MS;
  const firewallDeadline = probes.deadlines?.firewallMs ?? FIREWALL_DEADLINE_MS;

  const processesRun = runProbe(host, 'processes', [] as OllamaProcess[], deadline, () =>
    probes.processes(host),
  );
  const socketsRun = runProbe(host, 'sockets', [] as Socket[], deadline, () =>
    probes.sockets(host),
  );
  const interfacesRun = runProbe(host, 'interfaces', [], deadline, () => probes.interfaces(host));
  const firewallRun = options.firewall
    ? Promise.resolve(options.firewall)
    : runProbe(host, 'firewall', null, firewallDeadline, () => probes.firewall(host));
  const gpuRun = probeGpu(host, {
    controllers: options.gpuControllers ? graphicsControllers : false,
  });

  // Knocking starts as soon as the sockets are listed; settings as soon as the servers are known.
  // Every HTTP answer of the scan shares one byte budget; the fingerprints one pool.
  const httpBudget = createByteBudget(SCAN_HTTP_BYTES);
  const pool = createFingerprintPool(host, {
    concurrency: FINGERPRINT_CONCURRENCY,
    timeLimitMs: FINGERPRINT_TIME_MS,
    budget: createByteBudget(SCAN_HTTP_BYTES - PROXY_RESERVED_BYTES, httpBudget),
  });
  const listeningRun = socketsRun.then((result) => result.data.filter((s) => s.state === 'listen'));
  const earlyCandidatesRun = listeningRun.then((listening) =>
    fingerprintCandidates(listening, new Set(), new Set()),
  );
  const earlyFingerprintsRun = earlyCandidatesRun.then((candidates) =>
    probeFingerprints(host, pool, candidates),
  );
  const serversRun = processesRun.then((result) => result.data.filter(isServerProcess));
  const emptySettings: SettingsReport = { settings: [], gaps: [] };
  const settingsTargetsRun = serversRun.then(
    (servers): Array<{ key: string; process: OllamaProcess | null }> =>
      servers.length > 0
        ? servers
            .slice(0, MAX_SETTINGS_PROBES)
            .map((p) => ({ key: `ollama:pid:${p.pid}`, process: p }))
        : [{ key: PERSISTENT_SETTINGS_KEY, process: null }],
  );
  const settingsRun = settingsTargetsRun.then((targets) =>
    Promise.all(
      targets.map((t) =>
        runProbe(host, 'settings', emptySettings, deadline, () => probes.settings(host, t.process)),
      ),
    ),
  );

  // Servers in other network namespaces: their sockets and addresses (issue 12, class 3).
  const namespacesRun = serversRun.then((list) =>
    host.platform === 'linux' && list.some((p) => p.sameNetns === false)
      ? probeNamespaces(host, list)
      : null,
  );

  const [processes, sockets, interfaces, servers, listening, earlyCandidates] = await Promise.all([
    processesRun,
    socketsRun,
    interfacesRun,
    serversRun,
    listeningRun,
    earlyCandidatesRun,
  ]);
  // Servers whose sockets ss showed under another name (a renamed binary) are knocked on now,
  // ahead of any hidden owner still waiting in the pool.
  const lateCandidates = fingerprintCandidates(
    listening,
    new Set(servers.map((p) => p.pid)),
    new Set(
      earlyCandidates.picked.map((c) => listenerKey(connectAddress(c.socket), c.socket.localPort)),
    ),
    true,
  );
  const [earlyFingerprints, lateFingerprints, settingsTargets, settingsResults] = await Promise.all(
    [
      earlyFingerprintsRun,
      lateCandidates.picked.length > 0
        ? probeFingerprints(host, pool, lateCandidates)
        : Promise.resolve(null),
      settingsTargetsRun,
      settingsRun,
    ],
  );
  const fingerprintResult = mergeFingerprintProbes(earlyFingerprints, lateFingerprints);
  const fingerprints = new Map(
    fingerprintResult.data.map((f) => [listenerKey(f.address, f.port), f]),
  );
  const settingsByKey = new Map(settingsTargets.map((t, i) => [t.key, settingsResults[i]!.data]));

  const serverPids = servers.map((p) => p.pid);
  // Paddock's own shares (issue 14): the proxy on each such port is recognised by them.
  const shares = await readShareManifests(
    (path) => host.readFile(path, 64 * 1024),
    listening.filter((s) => !isLoopback(s.localAddress)).map((s) => s.localPort),
  );
  const [proxies, docker, accessLog, cli, gpu, firewall, tunnels, namespaces, kinds] =
    await Promise.all([
      probeProxies(host, {
        sockets: sockets.data,
        ollamaPids: serverPids,
        fingerprints: fingerprintResult.data,
        budget: httpBudget,
        shares,
      }),
      probeDocker(host, { fingerprints: fingerprintResult.data }),
      // journald only for a server that runs as a systemd service: journalctl is slow on a
      // large journal, and a server started by hand logs where it was started (files, below).
      probeAccessLog(host, {
        unit: servers.find((p) => p.systemdUnit)?.systemdUnit ?? 'ollama',
        journald: host.platform === 'linux' && servers.some((p) => p.systemdUnit !== null),
      }),
      cliVersions(host, serversWithoutApiVersion(servers, listening, fingerprints)),
      gpuRun,
      firewallRun,
      host.platform === 'linux' ? probeTunnels(host) : Promise.resolve(null),
      namespacesRun,
      // Other local LLM servers (issue 13): LM Studio, llama.cpp, vLLM and the rest.
      probeServerKinds(host, {
        listening,
        fingerprints: fingerprintResult.data,
        budget: httpBudget,
      }),
    ]);

  const built = buildInstances({
    servers,
    sockets,
    interfaces,
    fingerprints,
    settings: settingsByKey,
    cliVersions: cli.versions,
    proxies: proxies.data,
    containers: docker.data?.ollama ?? [],
    firewall: {
      facts: firewall.data,
      message: firewall.message,
      // macOS's application firewall decides per program (issue 16).
      programs: new Map(
        servers.flatMap((p) => (p.executable ? [[p.pid, p.executable] as const] : [])),
      ),
    },
    serverLog: accessLog.data
      ? { facts: accessLog.data.serverLog, ref: accessLog.data.accessLog.source.ref }
      : null,
    namespaces: namespaces?.data ?? [],
    kinds: kinds.data,
    shares,
  });
  // A tunnel out publishes a server with no listener of its own (issue 12).
  // Sharing is judged last, once tunnels are known: a tunnel is never "shared" (issue 14).
  const instances = (tunnels ? applyTunnels(built, tunnels.data) : built).map(withSharing);

  // The settings probe ran per server process (keyed by pid); key it by the instance ids.
  const instanceKeyOfPid = new Map(
    instances.filter((i) => i.pid !== null).map((i) => [`ollama:pid:${i.pid}`, i.id]),
  );
  const settingsProbe = mergeSettingsProbes(
    settingsTargets.map((t, i) => [instanceKeyOfPid.get(t.key) ?? t.key, settingsResults[i]!]),
  );
  const versions: Record<string, string> = {};
  for (const instance of instances) if (instance.version) versions[instance.id] = instance.version;
  const unknownVersions = instances.filter((i) => i.version === null).length;

  const verdict = overallVerdict(instances, sockets, processes);
  return {
    schemaVersion: 1,
    takenAt,
    durationMs: Math.round((host.monotonicMs() - started) * 10) / 10,
    host: hostFacts(host),
    probes: {
      processes,
      sockets,
      interfaces,
      settings: settingsProbe,
      fingerprints: fingerprintResult,
      versions: {
        status: unknownVersions > 0 ? 'unavailable' : 'ok',
        data: versions,
        evidence: cli.evidence,
        message:
          unknownVersions > 0
            ? 'Some versions are unknown: the API gave none and `ollama --version` did not say.'
            : undefined,
        durationMs: 0,
      },
      firewall,
      proxies,
      docker,
      gpu,
      accessLog,
      ...(tunnels ? { tunnels } : {}),
      ...(namespaces ? { namespaces } : {}),
      kinds,
    },
    instances,
    verdict: verdict.verdict,
    verdictReasons: verdict.reasons,
  };
}

function mergeSettingsProbes(
  entries: Array<[string, ProbeResult<SettingsReport>]>,
): Snapshot['probes']['settings'] {
  const rank = { ok: 0, unavailable: 1, denied: 2, error: 3 } as const;
  let status: Snapshot['probes']['settings']['status'] = 'ok';
  const data: Record<string, SettingsReport> = {};
  const evidence: Evidence[] = [];
  const messages: string[] = [];
  let durationMs = 0;
  for (const [key, result] of entries) {
    data[key] = result.data;
    evidence.push(...result.evidence);
    if (result.message) messages.push(result.message);
    if (rank[result.status] > rank[status]) status = result.status;
    durationMs = Math.max(durationMs, result.durationMs);
  }
  return {
    status,
    data,
    evidence,
    message: messages.length ? messages.join(' ') : undefined,
    durationMs,
  };
}

function overallVerdict(
  instances: Instance[],
  sockets: ProbeResult<Socket[]>,
  processes: ProbeResult<OllamaProcess[]>,
): { verdict: Snapshot['verdict']; reasons: string[] } {
  if (instances.length === 0) {
    if (sockets.status !== 'ok' && processes.status !== 'ok') {
      return {
        verdict: 'unknown',
        reasons: [
          'Neither processes nor sockets could be read, so Paddock cannot tell whether an Ollama server runs here.',
        ],
      };
    }
    return { verdict: 'private', reasons: ['No Ollama server is running on this computer.'] };
  }
  const verdict = worstExposure(instances.map((i) => i.exposure));
  const reasons = instances
    .filter((i) => i.exposure === verdict)
    .map(
      (i) =>
        `${i.id}${i.version ? ` (version ${i.version})` : ''}: ${i.reasons.at(-1) ?? EXPOSURE_SENTENCE[i.exposure]}`,
    );
  return { verdict, reasons };
}
