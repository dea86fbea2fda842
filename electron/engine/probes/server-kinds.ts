/**
 * Issue 13: which local LLM servers other than Ollama listen here. Gathers only: harmless,
 * bounded GETs to the listeners worth asking, and what their owners are called; the kinds
 * (engine/servers/) read the answers. Worth asking: a listener whose owner's name or
 * arguments match a kind (`llama-server`, `python -m vllm…`), one on a kind's default port
 * (1234, 8080, 8000, 5001…), and one that answered as Ollama (LocalAI and KoboldCpp imitate
 * Ollama's endpoints: their own path decides); last, any other listener beyond loopback whose
 * owner is no known proxy or forwarder gets two quick GETs, `/` and `/v1/models` (300 ms), for an
 * OpenAI-compatible server of no kind Paddock knows. At most 24 listeners, 6 GETs each (`/`,
 * `/v1/models` and the candidate kinds' own paths), 8 at a time, 64 KiB per answer, within the
 * scan's byte budget and 2.5 s in all. Unreachable or silent listeners are simply not
 * identified; what the budget or the time cut short is said in the message.
 */
import type {
  Evidence,
  Fingerprint,
  KindFinding,
  ProbeResult,
  Setting,
  Socket,
} from '../../../shared/snapshot';
import type { ByteBudget, Host } from '../host/types';
import { scopeOf } from '../exposure';
import { connectAddress, listenerKey } from '../instances';
import { FOREIGN_ORIGIN } from '../judge/origin';
import { isLikelyHttpProxy, isPortForwarder } from '../judge/process-names';
import type { KindAnswer, OwnerHint, ServerKind } from '../servers/kind';
import { bindVariables, riskyFlagsOf, tunnelFlagOf } from '../servers/kind';
import { identifyKind, kindById, kindsOfOwner, kindsOfPort, pathsFor } from '../servers/registry';
import { redactArgv } from '../text/redact';
import { cleanLine } from '../text/untrusted';
import { probeKindSettings } from './linux/kind-settings';
import { parseCmdline, parseProcStat, serverProcessReader } from './linux/processes';
import { runProbe } from './probe';

const MAX_CANDIDATES = 24;
const CONCURRENCY = 8;
const ANSWER_CAP = 64 * 1024;
const CONNECT_MS = 800;
const TOTAL_MS = 1500;
const DEADLINE_MS = 2500;

interface Candidate {
  socket: Socket;
  owner: OwnerHint;
  kinds: ServerKind[];
  /** Nothing points to a kind: one quick GET /v1/models for the generic reading. */
  generic: boolean;
}

/** A listener of no known kind gets one quick GET (a silent one must not hold the scan). */
const GENERIC_TOTAL_MS = 300;
const GENERIC_CONNECT_MS = 250;

/**
 * The named variables of a process's environment, and nothing else: the rest (a user's tokens)
 * is never kept. null when it cannot be read (another user's, without root).
 */
async function environment(
  host: Host,
  pid: number,
  names: readonly string[],
): Promise<ReadonlyMap<string, string> | null> {
  if (names.length === 0) return new Map();
  const read = await host.readFile(`/proc/${pid}/environ`, 256 * 1024);
  if (!read.ok) return null;
  const wanted = new Set(names);
  const found = new Map<string, string>();
  for (const entry of read.text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0 && wanted.has(entry.slice(0, eq)))
      found.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return found;
}

/** The parent of every process that holds a listening socket (at most 256 read). */
async function parentsOf(host: Host, listening: readonly Socket[]): Promise<Map<number, number>> {
  const pids = [...new Set(listening.flatMap((s) => s.processes.map((p) => p.pid)))].slice(0, 256);
  const parents = new Map<number, number>();
  await Promise.all(
    pids.map(async (pid) => {
      const stat = await host.readFile(`/proc/${pid}/stat`, 4096);
      const parsed = stat.ok ? parseProcStat(stat.text) : null;
      if (parsed) parents.set(pid, parsed.ppid);
    }),
  );
  return parents;
}

/** Whether `pid` descends from `ancestor` (within 8 generations, through listening processes or not). */
function descendsFrom(
  pid: number,
  ancestor: number,
  parents: ReadonlyMap<number, number>,
): boolean {
  let at: number | undefined = parents.get(pid);
  for (let depth = 0; depth < 8 && at !== undefined && at > 1; depth += 1) {
    if (at === ancestor) return true;
    at = parents.get(at);
  }
  return false;
}

/**
 * One GET /v1/models with a foreign web page's Origin: does the server let that page read its
 * answers (`Access-Control-Allow-Origin: *` or the origin itself), with credentials?
 */
async function corsCheck(
  host: Host,
  address: string,
  port: number,
  deadlineAt: number,
  budget: ByteBudget | undefined,
): Promise<KindFinding['cors']> {
  const left = deadlineAt - host.monotonicMs();
  if (left < 100) return null;
  const r = await host.http({
    address,
    port,
    path: '/v1/models',
    headers: { Origin: FOREIGN_ORIGIN },
    connectTimeoutMs: Math.min(CONNECT_MS, left),
    totalTimeoutMs: Math.min(TOTAL_MS, left),
    maxBodyBytes: 4 * 1024,
    ...(budget ? { budget } : {}),
  });
  if (!r.ok) return null;
  const headers = Object.fromEntries(
    Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const allow = headers['access-control-allow-origin'];
  return {
    path: '/v1/models',
    allowOrigin: typeof allow === 'string' ? cleanLine(allow, 200) : null,
    allowCredentials: headers['access-control-allow-credentials']?.trim().toLowerCase() === 'true',
  };
}

/** Each owner's command line is read once, however many sockets it holds. */
async function ownerHint(
  host: Host,
  socket: Socket,
  argvByPid: Map<number, readonly string[] | null>,
): Promise<OwnerHint> {
  const owner = socket.processes[0];
  if (!owner) return { name: null, argv: null };
  if (host.platform !== 'linux') return { name: owner.name, argv: null };
  if (!argvByPid.has(owner.pid)) {
    const cmdline = await host.readFile(`/proc/${owner.pid}/cmdline`, 16 * 1024);
    argvByPid.set(owner.pid, cmdline.ok ? parseCmdline(cmdline.text, null).slice(0, 32) : null);
  }
  return { name: owner.name, argv: argvByPid.get(owner.pid) ?? null };
}

/** The listeners worth asking, best first: owners that name a kind, then default ports. */
export async function kindCandidates(
  host: Host,
  listening: readonly Socket[],
  fingerprints: readonly Fingerprint[],
): Promise<{ picked: Candidate[]; leftOut: number }> {
  const ollamaLike = new Set(
    fingerprints.filter((f) => f.identity === 'ollama').map((f) => listenerKey(f.address, f.port)),
  );
  const seen = new Set<string>();
  const argvByPid = new Map<number, readonly string[] | null>();
  const ranked: Array<Candidate & { rank: number }> = [];
  for (const socket of listening) {
    const key = listenerKey(connectAddress(socket), socket.localPort);
    if (seen.has(key)) continue;
    const owner = await ownerHint(host, socket, argvByPid);
    const byOwner = kindsOfOwner(owner).filter((k) => k.id !== 'ollama');
    const byPort = kindsOfPort(socket.localPort).filter((k) => k.id !== 'ollama');
    const lookAlike = ollamaLike.has(key)
      ? [kindById('localai'), kindById('koboldcpp'), kindById('lmstudio')]
      : [];
    // An Ollama process's own socket is Ollama's (the look-alike check is for the others).
    if (owner.name !== null && /^ollama$/i.test(owner.name) && byOwner.length === 0) continue;
    const kinds = [...new Set([...byOwner, ...lookAlike, ...byPort])];
    // Anything else beyond loopback, of an owner that is no known proxy or forwarder, gets the
    // generic reading: an OpenAI-compatible server of no kind Paddock knows (§1.5).
    const generic =
      kinds.length === 0 &&
      scopeOf(socket.localAddress) !== 'loopback' &&
      !socket.processes.some((p) => isLikelyHttpProxy(p.name) || isPortForwarder(p.name));
    if (kinds.length === 0 && !generic) continue;
    seen.add(key);
    ranked.push({
      socket,
      owner,
      kinds,
      generic,
      rank: byOwner.length > 0 ? 0 : lookAlike.length > 0 ? 1 : byPort.length > 0 ? 2 : 3,
    });
  }
  ranked.sort((a, b) => a.rank - b.rank);
  return {
    picked: ranked.slice(0, MAX_CANDIDATES),
    leftOut: Math.max(0, ranked.length - MAX_CANDIDATES),
  };
}

export async function probeServerKinds(
  host: Host,
  input: {
    listening: readonly Socket[];
    fingerprints: readonly Fingerprint[];
    budget?: ByteBudget;
  },
): Promise<ProbeResult<KindFinding[]>> {
  return runProbe(host, 'server kinds', [] as KindFinding[], DEADLINE_MS + 500, async () => {
    const { picked, leftOut } = await kindCandidates(host, input.listening, input.fingerprints);
    const deadlineAt = host.monotonicMs() + DEADLINE_MS;
    const evidence: Evidence[] = [];
    const found: KindFinding[] = [];
    let cut = 0;
    const unreadSettings: number[] = [];
    const settingNotes: string[] = [];
    const describeProcess = serverProcessReader(host, evidence);
    const ask = async (candidate: Candidate): Promise<void> => {
      const address = connectAddress(candidate.socket);
      const port = candidate.socket.localPort;
      const answers = new Map<string, KindAnswer>();
      // `/` too: Ollama (and a relay in front of it) also answers /v1/models, and its banner
      // keeps it Ollama's.
      const paths = candidate.generic ? ['/', '/v1/models'] : pathsFor(candidate.kinds);
      await Promise.all(
        paths.map(async (path) => {
          const left = deadlineAt - host.monotonicMs();
          if (left < 100) {
            cut += 1;
            return;
          }
          const r = await host.http({
            address,
            port,
            path,
            connectTimeoutMs: Math.min(candidate.generic ? GENERIC_CONNECT_MS : CONNECT_MS, left),
            totalTimeoutMs: Math.min(candidate.generic ? GENERIC_TOTAL_MS : TOTAL_MS, left),
            maxBodyBytes: ANSWER_CAP,
            ...(input.budget ? { budget: input.budget } : {}),
          });
          if (!r.ok) return;
          if (r.cut === 'budget') cut += 1;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
          answers.set(path, { status: r.status, headers, body: r.body });
        }),
      );
      const identified = identifyKind(answers, candidate.owner);
      // A listener asked only for the generic reading that said nothing is not worth a line.
      if (candidate.generic && !identified) return;
      evidence.push({
        kind: 'http',
        ref: `GET ${[...answers.keys()].join(', ') || '(nothing answered)'} on ${address.includes(':') ? `[${address}]` : address}:${port}`,
        outcome: identified
          ? `${identified.kind}: ${identified.evidence.join('; ')}`
          : 'no kind of LLM server',
      });
      if (!identified || identified.kind === 'ollama') return;
      const kind = kindById(identified.kind);
      const auth = kind.auth(answers);
      const pid = candidate.socket.processes[0]?.pid ?? null;
      let settings: Setting[] = [];
      let process: KindFinding['process'] = null;
      let fileTunnel: KindFinding['tunnel'] = null;
      if (pid !== null && host.platform === 'linux') process = await describeProcess(pid);
      if (kind.bind && pid !== null && host.platform === 'linux') {
        const env = await environment(host, pid, bindVariables(kind.bind));
        // Unread is not "unset": say so, rather than list the arguments as the whole story.
        if (env === null || candidate.owner.argv === null) unreadSettings.push(pid);
        const found = await probeKindSettings(host, {
          kind,
          pid,
          argv: process?.argv ?? candidate.owner.argv,
          env,
          process,
          listening: input.listening
            .filter((s) => s.processes.some((p) => p.pid === pid))
            .map((s) => s.localAddress),
          port,
        });
        settings = found.settings;
        fileTunnel = found.tunnel;
        evidence.push(...found.evidence);
        settingNotes.push(...found.notes);
      }
      // The process record keeps its command line with every key hidden (a key's flag is the
      // kind's own, or any flag that names a secret).
      if (process)
        process = { ...process, argv: redactArgv(process.argv, kind.bind?.keyFlags ?? []) };
      found.push({
        address: candidate.socket.localAddress,
        port,
        kind: identified.kind,
        version: identified.version === null ? null : cleanLine(identified.version, 60),
        evidence: identified.evidence.map((e) => cleanLine(e, 200)),
        auth: { state: auth.state, evidence: auth.evidence.map((e) => cleanLine(e, 200)) },
        owner: candidate.socket.processes[0] ?? null,
        tunnel: tunnelFlagOf(kind, candidate.owner) ?? fileTunnel,
        features: riskyFlagsOf(kind, candidate.owner),
        cors: await corsCheck(host, address, port, deadlineAt, input.budget),
        settings: settings.map((s) => ({ ...s, value: cleanLine(s.value, 200) })),
        process,
      });
    };
    // The kinds' own GETs a few listeners at a time; the generic ones (one quick GET each)
    // all at once beside them, so that silent listeners cost one short timeout, not several.
    const specific = picked.filter((c) => !c.generic);
    await Promise.all([
      (async () => {
        for (let i = 0; i < specific.length; i += CONCURRENCY)
          await Promise.all(specific.slice(i, i + CONCURRENCY).map(ask));
      })(),
      Promise.all(picked.filter((c) => c.generic).map(ask)),
    ]);
    // Side listeners (§1.3): listening processes descended from a server found.
    if (found.length > 0 && host.platform === 'linux') {
      const parents = await parentsOf(host, input.listening);
      for (const finding of found) {
        const pid = finding.owner?.pid;
        if (pid === undefined) continue;
        // A child that is a server found in its own right (Jan's llama-server) stays its own.
        const servers = new Set(found.map((f) => f.owner?.pid));
        const children = [...parents.keys()].filter(
          (child) => !servers.has(child) && descendsFrom(child, pid, parents),
        );
        if (children.length > 0) finding.children = children.sort((a, b) => a - b);
      }
    }
    const notes = [
      ...(leftOut > 0
        ? [`${leftOut} more listeners were not asked (at most ${MAX_CANDIDATES}).`]
        : []),
      ...(cut > 0 ? [`${cut} answers were cut short by the scan's time or byte budget.`] : []),
      ...(unreadSettings.length > 0
        ? [
            `The command line or environment of pid ${unreadSettings.join(', ')} could not be read (another user's; run as root): its bind settings may be incomplete.`,
          ]
        : []),
      ...settingNotes.slice(0, 10),
    ];
    return {
      status: 'ok',
      data: found,
      evidence,
      ...(notes.length > 0 ? { message: notes.join(' ') } : {}),
    };
  });
}
