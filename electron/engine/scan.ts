/**
 * Runs the probes into a Snapshot. Probes run concurrently, each under a deadline; one that
 * fails or overruns becomes an `error` result and the scan still finishes.
 *
 *   phase 1: processes, sockets, interfaces          (independent)
 *   phase 2: settings per server, HTTP fingerprints  (need phase 1)
 *   phase 3: `ollama --version` where the API gave no version
 */
import type {
  Evidence,
  Fingerprint,
  Instance,
  Listener,
  OllamaProcess,
  ProbeResult,
  SettingsReport,
  Snapshot,
  Socket,
} from '../../shared/snapshot';
import {
  EXPOSURE_SENTENCE,
  FIREWALL_NOT_EXAMINED,
  assessListener,
  scopeOf,
  worstExposure,
} from './exposure';
import type { Host } from './host/types';
import { DEFAULT_OLLAMA_PORT, parseOllamaHost } from './ollama/listen-address';
import { fingerprintListener } from './probes/fingerprint';
import type { PlatformProbes } from './probes/platform';
import { probesFor } from './probes/platform';
import { execEvidence, runProbe } from './probes/probe';

export interface ScanOptions {
  probes?: PlatformProbes;
  /** Deadline for each probe of phases 1 and 2 (default 4000 ms). */
  probeDeadlineMs?: number;
}

const PROBE_DEADLINE_MS = 4000;
const FINGERPRINT_DEADLINE_MS = 4500;
const MAX_FINGERPRINTS = 64;
const MAX_SETTINGS_PROBES = 16;
/** Settings saved on disk, reported when no server runs (what would apply at next start). */
export const PERSISTENT_SETTINGS_KEY = 'persistent';

const listenerKey = (address: string, port: number) => `${address}|${port}`;

/** Where to knock to fingerprint a listener: loopback for wildcard binds, else the bound address. */
function connectAddress(socket: Socket): string {
  if (scopeOf(socket.localAddress) !== 'unspecified') return socket.localAddress;
  return socket.family === 4 || socket.dualStack ? '127.0.0.1' : '::1';
}

function isServerProcess(process: OllamaProcess): boolean {
  return process.role === 'server' || process.role === 'app';
}

/** ss names each socket's process (its comm), so Ollama's own listeners are known early. */
const OLLAMA_COMM = /^ollama/i;

/**
 * Listeners worth knocking on: those of Ollama processes (by pid once the process walk is in,
 * by name before), anything on 11434, and listeners whose owner is hidden from us.
 */
function fingerprintCandidates(
  listening: Socket[],
  serverPids: Set<number>,
  skip: Set<string>,
): Socket[] {
  const picked: Socket[] = [];
  const seen = new Set(skip);
  for (const socket of listening) {
    const owned = socket.processes.some((p) => serverPids.has(p.pid) || OLLAMA_COMM.test(p.name));
    const ownerUnknown = socket.ownerVisibility !== 'visible';
    if (!owned && !ownerUnknown && socket.localPort !== DEFAULT_OLLAMA_PORT) continue;
    const key = listenerKey(connectAddress(socket), socket.localPort);
    if (seen.has(key) || seen.size >= MAX_FINGERPRINTS) continue;
    seen.add(key);
    picked.push(socket);
  }
  return picked;
}

async function probeFingerprints(
  host: Host,
  candidates: Socket[],
): Promise<ProbeResult<Fingerprint[]>> {
  return runProbe(host, 'HTTP fingerprint', [], FINGERPRINT_DEADLINE_MS, async () => {
    const outcomes = await Promise.all(
      candidates.map((socket) =>
        fingerprintListener(host, connectAddress(socket), socket.localPort),
      ),
    );
    return {
      status: 'ok',
      data: outcomes.map((o) => o.fingerprint),
      evidence: outcomes.flatMap((o) => o.evidence),
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
        message: first.message ?? second.message,
        durationMs: first.durationMs + second.durationMs,
      }
    : first;
  if (merged.data.length === 0 && merged.status === 'ok') {
    return { ...merged, message: 'No listener looked like a candidate for Ollama.' };
  }
  return merged;
}

const VERSION_OUTPUT = /(?:ollama version is|client version is)\s+v?([0-9][0-9A-Za-z.+-]{0,40})/;

async function cliVersion(
  host: Host,
  process: OllamaProcess | null,
): Promise<{ version: string | null; evidence: Evidence }> {
  const executable =
    process?.executable && /ollama/i.test(process.executable.split('/').pop() ?? '')
      ? process.executable
      : 'ollama';
  const result = await host.exec([executable, '--version'], {
    timeoutMs: 2000,
    maxBytes: 64 * 1024,
  });
  const match = VERSION_OUTPUT.exec(`${result.stdout}\n${result.stderr}`);
  return { version: match?.[1] ?? null, evidence: execEvidence(result) };
}

interface InstanceDraft {
  id: string;
  process: OllamaProcess | null;
  pid: number | null;
  sockets: Socket[];
  notes: string[];
}

function draftInstances(
  servers: OllamaProcess[],
  listening: Socket[],
  fingerprints: Map<string, Fingerprint>,
): InstanceDraft[] {
  const drafts: InstanceDraft[] = servers.map((process) => ({
    id: `ollama:pid:${process.pid}`,
    process,
    pid: process.pid,
    sockets: listening.filter((s) => s.processes.some((p) => p.pid === process.pid)),
    notes: [],
  }));
  const claimed = new Set(drafts.flatMap((d) => d.sockets));
  const answersAsOllama = (s: Socket) =>
    fingerprints.get(listenerKey(connectAddress(s), s.localPort))?.identity === 'ollama';
  const orphans = listening.filter((s) => !claimed.has(s) && answersAsOllama(s));

  // A server whose sockets we may not see (another user's, without root): the Ollama that
  // answers on a hidden socket is most likely it, when it is the only server without one.
  const silentServers = drafts.filter(
    (d) => d.sockets.length === 0 && d.process?.sameNetns !== false,
  );
  const hidden = orphans.filter((s) => s.ownerVisibility !== 'visible');
  if (silentServers.length === 1 && hidden.length > 0) {
    const [draft] = silentServers;
    draft!.sockets.push(...hidden);
    draft!.notes.push(
      `The owner of ${hidden.length === 1 ? 'this socket is' : 'these sockets is'} hidden from this user; ` +
        `they answer as Ollama and pid ${draft!.pid} is the only Ollama server without a visible socket.`,
    );
    for (const socket of hidden) claimed.add(socket);
  }

  const byOwner = new Map<string, InstanceDraft>();
  for (const socket of orphans) {
    if (claimed.has(socket)) continue;
    const owner = socket.processes[0];
    const id = owner ? `ollama:pid:${owner.pid}` : `ollama:port:${socket.localPort}`;
    let draft = byOwner.get(id);
    if (!draft) {
      draft = {
        id,
        process: null,
        pid: owner?.pid ?? null,
        sockets: [],
        notes: [
          owner
            ? `Answers as Ollama on a socket of "${owner.name}" (pid ${owner.pid}), which does not look like an Ollama server process.`
            : 'Answers as Ollama on a socket whose owner is hidden from this user.',
        ],
      };
      byOwner.set(id, draft);
      drafts.push(draft);
    }
    draft.sockets.push(socket);
  }
  return drafts;
}

function effectiveValue(report: SettingsReport | undefined, name: string): string | undefined {
  return report?.settings.find((s) => s.name === name && s.state === 'effective')?.value;
}

function buildInstance(
  draft: InstanceDraft,
  context: {
    interfaces: Snapshot['probes']['interfaces'];
    sockets: Snapshot['probes']['sockets'];
    settings: SettingsReport | undefined;
    fingerprints: Map<string, Fingerprint>;
    cliVersions: Map<string, string>;
  },
): Instance {
  const interfaces = context.interfaces.status === 'ok' ? context.interfaces.data : null;
  const listeners: Listener[] = draft.sockets.map((socket) => assessListener(socket, interfaces));
  const fingerprints = draft.sockets
    .map((s) => context.fingerprints.get(listenerKey(connectAddress(s), s.localPort)))
    .filter((f): f is Fingerprint => f !== undefined);
  const apiVersion = fingerprints.find((f) => f.version)?.version ?? null;
  const cli = context.cliVersions.get(draft.id) ?? null;
  const rawHost =
    draft.process || context.settings ? effectiveValue(context.settings, 'OLLAMA_HOST') : undefined;
  // Without the server's own environment, "no OLLAMA_HOST found" does not mean "unset".
  const environmentHidden =
    draft.pid !== null &&
    (context.settings?.gaps.some((g) => g.path === `/proc/${draft.pid}/environ`) ?? false);
  const reasons = [...draft.notes];
  let exposure = worstExposure(listeners.map((l) => l.exposure));
  if (listeners.length === 0) {
    if (draft.process?.sameNetns === false) {
      exposure = 'unknown';
      reasons.push(
        'This server runs in another network namespace (a container?), so its sockets are not visible from here.',
      );
    } else if (context.sockets.status !== 'ok') {
      exposure = 'unknown';
      reasons.push(
        `Its sockets could not be listed (${context.sockets.message ?? context.sockets.status}).`,
      );
    } else {
      reasons.push('It is not listening on any TCP port right now (starting up, or stopping?).');
    }
  } else {
    const worst = listeners.filter((l) => l.exposure === exposure);
    reasons.push(`${EXPOSURE_SENTENCE[exposure]}: ${worst.map((l) => l.reasons[0]).join(' ')}`);
  }
  return {
    id: draft.id,
    kind: 'ollama',
    pid: draft.pid,
    process: draft.process,
    version: apiVersion ?? cli,
    versionSource: apiVersion ? 'api' : cli ? 'cli' : 'unknown',
    listeners,
    settings: context.settings?.settings ?? [],
    configuredBind:
      environmentHidden && rawHost === undefined
        ? null
        : draft.process || context.settings
          ? parseOllamaHost(rawHost)
          : null,
    fingerprints,
    exposure,
    reasons,
  };
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
  const deadline = options.probeDeadlineMs ?? PROBE_DEADLINE_MS;

  const processesRun = runProbe(host, 'processes', [] as OllamaProcess[], deadline, () =>
    probes.processes(host),
  );
  const socketsRun = runProbe(host, 'sockets', [] as Socket[], deadline, () =>
    probes.sockets(host),
  );
  const interfacesRun = runProbe(host, 'interfaces', [], deadline, () => probes.interfaces(host));

  // Knocking starts as soon as the sockets are listed; settings as soon as the servers are known.
  const listeningRun = socketsRun.then((result) => result.data.filter((s) => s.state === 'listen'));
  const earlyCandidatesRun = listeningRun.then((listening) =>
    fingerprintCandidates(listening, new Set(), new Set()),
  );
  const earlyFingerprintsRun = earlyCandidatesRun.then((candidates) =>
    probeFingerprints(host, candidates),
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

  const [processes, sockets, interfaces, servers, listening, earlyCandidates] = await Promise.all([
    processesRun,
    socketsRun,
    interfacesRun,
    serversRun,
    listeningRun,
    earlyCandidatesRun,
  ]);
  // Servers whose sockets ss showed under another name (a renamed binary) are knocked on now.
  const lateCandidates = fingerprintCandidates(
    listening,
    new Set(servers.map((p) => p.pid)),
    new Set(earlyCandidates.map((s) => listenerKey(connectAddress(s), s.localPort))),
  );
  const [earlyFingerprints, lateFingerprints, settingsTargets, settingsResults] = await Promise.all(
    [
      earlyFingerprintsRun,
      lateCandidates.length > 0 ? probeFingerprints(host, lateCandidates) : Promise.resolve(null),
      settingsTargetsRun,
      settingsRun,
    ],
  );
  const fingerprintResult = mergeFingerprintProbes(earlyFingerprints, lateFingerprints);
  const fingerprints = new Map(
    fingerprintResult.data.map((f) => [listenerKey(f.address, f.port), f]),
  );
  const settingsByKey = new Map(settingsTargets.map((t, i) => [t.key, settingsResults[i]!.data]));

  const drafts = draftInstances(servers, listening, fingerprints);

  const cliVersions = new Map<string, string>();
  const versionEvidence: Evidence[] = [];
  const needCli = drafts.filter((d) =>
    d.sockets.every((s) => !fingerprints.get(listenerKey(connectAddress(s), s.localPort))?.version),
  );
  await Promise.all(
    needCli.slice(0, 4).map(async (draft) => {
      const { version, evidence } = await cliVersion(host, draft.process);
      versionEvidence.push(evidence);
      if (version) cliVersions.set(draft.id, version);
    }),
  );

  const instances = drafts.map((draft) =>
    buildInstance(draft, {
      interfaces,
      sockets,
      settings: settingsByKey.get(draft.id),
      fingerprints,
      cliVersions,
    }),
  );

  const settingsProbe = mergeSettingsProbes(
    settingsTargets.map((t, i) => [t.key, settingsResults[i]!]),
  );
  const versions: Record<string, string> = {};
  for (const instance of instances) if (instance.version) versions[instance.id] = instance.version;

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
        status: needCli.length > 0 && cliVersions.size < needCli.length ? 'unavailable' : 'ok',
        data: versions,
        evidence: versionEvidence,
        message:
          needCli.length > cliVersions.size
            ? 'Some versions are unknown: the API gave none and `ollama --version` did not say.'
            : undefined,
        durationMs: 0,
      },
      firewall: {
        status: 'unavailable',
        data: null,
        evidence: [],
        message: FIREWALL_NOT_EXAMINED,
        durationMs: 0,
      },
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
