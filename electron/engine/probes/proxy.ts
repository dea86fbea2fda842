/**
 * Reverse proxies in front of Ollama. Ollama itself may listen on loopback only and still be
 * reachable from everywhere through nginx, caddy, traefik, haproxy, apache, envoy or a port
 * forwarder that listens on another port. A listener of such a program is a path to Ollama
 * when, through it, `/` answers Ollama's banner or /api/version and /api/tags answer like
 * Ollama (ollama-facts.md, "HTTP surface"; the same test the fingerprint applies). A proxy that
 * demands credentials (401/403) before anything else is reported as such: what stands behind
 * it cannot be confirmed without them, and Paddock never guesses a password.
 *
 * The decision (classifyProxyPath) is pure; probeProxies gathers the facts with bounded GETs.
 */
import type { Evidence, Fingerprint, ProbeResult, Socket } from '../../../shared/snapshot';
import type { ProxyPath, ProxySoftware } from '../../../shared/proxy';
import type { ByteBudget, Host, HttpResult } from '../host/types';
import { isLoopback, isUnspecified } from '../net/address';
import { cleanText } from '../text/untrusted';
import { OLLAMA_BANNER, budgetWords, fingerprintListener } from './fingerprint';
import { runProbe } from './probe';
import type { ShareManifest } from '../fixes/recipes/share-proxy-config';

/** At most this many listeners are fingerprinted as possible proxies in one scan. */
export const MAX_PROXY_CANDIDATES = 64;
/** This many at a time, and all of them within this long (less than the probe's deadline). */
const PROXY_CONCURRENCY = 16;
const PROXY_TIME_MS = 4500;
import {
  HTTP_PROXY_NAMES,
  PORT_FORWARDER_NAMES,
  baseName,
  isLikelyHttpProxy,
  isPortForwarder,
} from '../judge/process-names';

const PROXY_PROBE_DEADLINE_MS = 5000;
/**
 * A listener of a program with no known name is first knocked on once, cheaply: only an HTTP
 * answer earns the full fingerprint (a forwarder to Ollama answers HTTP, since Ollama does).
 */
const KNOCK_CONNECT_MS = 250;
const KNOCK_TOTAL_MS = 300;
const KNOCK_BYTES = 4 * 1024;
/** Rank of a listener whose owner has no known name: knocked on before it is fingerprinted. */
const NAMELESS_RANK = 3;

/** What kind of program owns a listener, from its process name; 'unknown' without one. */
export function proxySoftware(processName: string | null | undefined): ProxySoftware {
  if (!processName) return 'unknown';
  const name = baseName(processName);
  return HTTP_PROXY_NAMES.get(name) ?? PORT_FORWARDER_NAMES.get(name) ?? 'other';
}

/** Where to knock: loopback for a wildcard listener (it answers there too), else its own address. */
export function proxyConnectAddress(
  socket: Pick<Socket, 'localAddress' | 'family' | 'dualStack'>,
): string {
  if (!isUnspecified(socket.localAddress)) return socket.localAddress;
  return socket.family === 4 || socket.dualStack ? '127.0.0.1' : '::1';
}

export const listenerKey = (address: string, port: number): string => `${address}|${port}`;

export interface ProxyCandidateOptions {
  /** PIDs of Ollama server processes: their own listeners are not proxies. */
  ollamaPids: Iterable<number>;
  /** `address|port` keys (connect address) to leave out, e.g. already fingerprinted. */
  exclude?: ReadonlySet<string>;
  limit?: number;
}

/**
 * Known web servers first, then known forwarders, then hidden owners, then any other program
 * that listens beyond loopback (issue 12: a forwarder is known by what it answers, not by its
 * name: a renamed socat, a one-line relay). A loopback-only listener leads nowhere new.
 */
function candidateRank(socket: Socket): number | null {
  const names = socket.processes.map((p) => p.name);
  if (names.some(isLikelyHttpProxy)) return 0;
  if (names.some(isPortForwarder)) return 1;
  if (socket.ownerVisibility !== 'visible') return 2;
  const loopbackOnly = socket.boundInterface === 'lo' || isLoopback(socket.localAddress);
  return loopbackOnly ? null : NAMELESS_RANK;
}

/** A candidate picked only because it listens beyond loopback: knocked on first. */
export function isNamelessCandidate(socket: Socket): boolean {
  return candidateRank(socket) === NAMELESS_RANK;
}

/**
 * Which listeners to fingerprint as possible paths to Ollama: those of known web servers
 * first, then port forwarders (docker-proxy…), then listeners whose owner is hidden, then any
 * other listener beyond loopback. Never a listener of an Ollama server itself; one per connect
 * address and port; at most `limit`.
 */
export function selectProxyCandidates(
  sockets: readonly Socket[],
  options: ProxyCandidateOptions,
): Socket[] {
  const ollama = new Set(options.ollamaPids);
  const limit = Math.max(0, Math.min(options.limit ?? MAX_PROXY_CANDIDATES, 256));
  const ranked: Array<{ socket: Socket; rank: number; order: number }> = [];
  sockets.forEach((socket, order) => {
    if (socket.state !== 'listen') return;
    if (socket.processes.some((p) => ollama.has(p.pid))) return;
    const rank = candidateRank(socket);
    if (rank !== null) ranked.push({ socket, rank, order });
  });
  ranked.sort((a, b) => a.rank - b.rank || a.order - b.order);
  const seen = new Set<string>();
  const picked: Socket[] = [];
  for (const { socket } of ranked) {
    if (picked.length >= limit) break;
    const key = listenerKey(proxyConnectAddress(socket), socket.localPort);
    if (seen.has(key) || options.exclude?.has(key)) continue;
    seen.add(key);
    picked.push(socket);
  }
  return picked;
}

/** The challenge a proxy sent on /api/tags without credentials. */
export interface AuthChallenge {
  /** HTTP status; null when no HTTP answer came. */
  status: number | null;
  scheme: string | null;
  realm: string | null;
}

/**
 * Reads `WWW-Authenticate: Basic realm="x"` (several challenges may be joined with commas):
 * the first scheme and the first realm. Untrusted text: cleaned and cut.
 */
export function parseWwwAuthenticate(header: string | undefined): {
  scheme: string | null;
  realm: string | null;
} {
  if (!header) return { scheme: null, realm: null };
  const scheme = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,40})/.exec(header)?.[1] ?? null;
  const realm = /realm\s*=\s*(?:"((?:[^"\\]|\\.){0,200})"|([^\s,]{1,200}))/i.exec(header);
  const realmText = realm ? (realm[1] ?? realm[2] ?? '').replace(/\\(.)/g, '$1') : null;
  return {
    scheme: scheme ? cleanText(scheme, 40) : null,
    realm: realmText === null ? null : cleanText(realmText, 120),
  };
}

export function authChallengeOf(result: HttpResult): AuthChallenge {
  if (!result.ok) return { status: null, scheme: null, realm: null };
  return { status: result.status, ...parseWwwAuthenticate(result.headers['www-authenticate']) };
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function ownerWords(socket: Socket): string {
  const owner = socket.processes[0];
  if (owner) return `${cleanText(owner.name, 60)} (pid ${owner.pid})`;
  return socket.ownerVisibility === 'denied'
    ? 'a process hidden from this user'
    : 'a process Paddock cannot see';
}

function challengeWords(challenge: AuthChallenge | null, status: number | null): string {
  const parts = [`HTTP ${status ?? challenge?.status ?? '401/403'}`];
  if (challenge?.scheme) {
    parts.push(
      challenge.realm !== null
        ? `${challenge.scheme} realm "${challenge.realm}"`
        : `${challenge.scheme} authentication`,
    );
  }
  return parts.join(', ');
}

export interface ProxyEvidence {
  socket: Socket;
  /** The fingerprint of the listener (taken through its connect address). */
  fingerprint: Fingerprint;
  /** The /api/tags challenge, read when the fingerprint saw credentials demanded. */
  challenge?: AuthChallenge | null;
  /** The software as a share of Paddock's records it, for a listener whose owner is hidden. */
  software?: ProxySoftware;
}

/**
 * Pure: is this listener a path to Ollama? It is when Ollama answers through it (banner, or
 * version + models), or when a known proxy or forwarder demands credentials (then the
 * upstream is 'unconfirmed'). Anything else, and listeners that do not answer, give null.
 */
export function classifyProxyPath({
  socket,
  fingerprint,
  challenge = null,
  software: known,
}: ProxyEvidence): ProxyPath | null {
  const owner = socket.processes[0] ?? null;
  const software = known ?? proxySoftware(owner?.name);
  const where = hostPort(socket.localAddress, socket.localPort);
  const bannerMatches = fingerprint.banner === OLLAMA_BANNER;
  const answersAsOllama = fingerprint.identity === 'ollama';
  const authRequired = fingerprint.authRequired;
  const knownForwarder = software !== 'other' && software !== 'unknown';
  if (!answersAsOllama && !(authRequired === true && knownForwarder)) return null;

  const tagsStatus = challenge?.status ?? null;
  const reasons: string[] = [];
  if (answersAsOllama) {
    reasons.push(
      bannerMatches
        ? `${ownerWords(socket)} listens on ${where} and answers "${OLLAMA_BANNER}": it forwards to an Ollama server.`
        : `${ownerWords(socket)} listens on ${where} and its /api/version and /api/tags answer like Ollama: it forwards to an Ollama server.`,
    );
    reasons.push(
      authRequired === true
        ? `It asks for credentials on /api/tags (${challengeWords(challenge, tagsStatus)}).`
        : `It asks for no credentials: whoever reaches ${where} can use this Ollama.`,
    );
    if (fingerprint.foreignHostRefused === false)
      reasons.push(
        "Through it, a request naming a foreign Host is answered (a proxy usually rewrites Host), so Ollama's DNS-rebinding check does not protect this path.",
      );
    if (fingerprint.foreignOriginAllowed === true)
      reasons.push('Through it, a page on any web site may call the API from the browser (CORS).');
  } else {
    reasons.push(
      `${ownerWords(socket)} listens on ${where} and asks for credentials (${challengeWords(challenge, tagsStatus)}); ` +
        'what stands behind it cannot be checked without them.',
    );
  }
  return {
    listenAddress: socket.localAddress,
    port: socket.localPort,
    family: socket.family,
    dualStack: socket.dualStack,
    connectAddress: fingerprint.address,
    owner,
    ownerVisibility: socket.ownerVisibility,
    software,
    upstream: answersAsOllama ? 'ollama' : 'unconfirmed',
    matchedBy: answersAsOllama ? (bannerMatches ? 'banner' : 'api') : null,
    authRequired,
    authScheme: challenge?.scheme ?? null,
    authRealm: challenge?.realm ?? null,
    tagsStatus,
    foreignHostRefused: fingerprint.foreignHostRefused,
    foreignOriginAllowed: fingerprint.foreignOriginAllowed,
    version: fingerprint.version,
    reasons,
  };
}

/** `work` over `items`, at most `limit` at a time, answers in the order of `items`. */
async function inBatches<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface ProxyProbeInput {
  /** The sockets probe's data (listening sockets are picked from it). */
  sockets: readonly Socket[];
  ollamaPids: Iterable<number>;
  /** Fingerprints the scan already took (keyed by their address and port): not taken again. */
  fingerprints?: readonly Fingerprint[];
  limit?: number;
  /** The scan's byte budget for HTTP answers, shared with the fingerprints. */
  budget?: ByteBudget;
  /** Paddock's own shares (issue 14): their proxy's software, by port, when its owner is hidden. */
  shares?: ReadonlyArray<Pick<ShareManifest, 'port' | 'listen' | 'software'>>;
}

/**
 * Fingerprints the candidate listeners (reusing any fingerprint already taken), reads the
 * credentials challenge where one was demanded, and classifies each. Bounded: at most
 * `limit` listeners, six GETs each plus one, 1 s connect / 3 s total / 256 KiB or 64 KiB per
 * GET, the scan's byte budget over all answers, and a 5 s deadline over all. A listener the
 * budget did not reach is counted in the message, never taken for "no proxy".
 */
export async function probeProxies(
  host: Host,
  input: ProxyProbeInput,
): Promise<ProbeResult<ProxyPath[]>> {
  return runProbe(host, 'reverse proxies', [] as ProxyPath[], PROXY_PROBE_DEADLINE_MS, async () => {
    const known = new Map(
      (input.fingerprints ?? []).map((f) => [listenerKey(f.address, f.port), f]),
    );
    // A listener a share of Paddock's names (its port and address): its proxy, even when the
    // owner is hidden (the proxy runs as a transient user).
    const shareOf = (socket: Socket) =>
      input.shares?.find(
        (s) => s.port === socket.localPort && s.listen.includes(socket.localAddress),
      ) ?? null;
    const candidates = selectProxyCandidates(input.sockets, {
      ollamaPids: input.ollamaPids,
      limit: input.limit,
    });
    const evidence: Evidence[] = [];
    const budget = input.budget;
    const deadlineAt = host.monotonicMs() + PROXY_TIME_MS;
    let limited = 0;
    let knockedOut = 0;
    const paths = await inBatches(
      candidates,
      PROXY_CONCURRENCY,
      async (socket): Promise<ProxyPath | null> => {
        const address = proxyConnectAddress(socket);
        let fingerprint = known.get(listenerKey(address, socket.localPort));
        if (!fingerprint && isNamelessCandidate(socket)) {
          const left = deadlineAt - host.monotonicMs();
          if (left <= 0) {
            limited += 1;
            return null;
          }
          const knock = await host.http({
            address,
            port: socket.localPort,
            path: '/',
            connectTimeoutMs: Math.min(KNOCK_CONNECT_MS, left),
            totalTimeoutMs: Math.min(KNOCK_TOTAL_MS, left),
            maxBodyBytes: KNOCK_BYTES,
            ...(budget ? { budget } : {}),
          });
          evidence.push({
            kind: 'http',
            ref: `GET ${knock.url} (${ownerWords(socket)}: does it answer HTTP?)`,
            outcome: knock.ok ? `HTTP ${knock.status}` : `${knock.message}: not a path to Ollama`,
          });
          if (!knock.ok) {
            knockedOut += 1;
            return null;
          }
        }
        if (!fingerprint) {
          const outcome = await fingerprintListener(host, address, socket.localPort, {
            deadlineAt,
            ...(budget ? { budget } : {}),
          });
          evidence.push(...outcome.evidence);
          fingerprint = outcome.fingerprint;
          if (outcome.limitedBy) limited += 1;
        }
        // A web server that is neither Ollama nor asking for credentials over HTTP may speak
        // HTTPS on that port (a share-proxy with TLS, any TLS proxy): knock once over TLS, and
        // fingerprint it that way if it answers.
        let tls = false;
        if (
          fingerprint.identity !== 'ollama' &&
          fingerprint.authRequired !== true &&
          (socket.processes.some((p) => isLikelyHttpProxy(p.name)) || shareOf(socket) !== null) &&
          deadlineAt - host.monotonicMs() > KNOCK_TOTAL_MS
        ) {
          const knock = await host.http({
            address,
            port: socket.localPort,
            path: '/',
            tls: true,
            connectTimeoutMs: KNOCK_CONNECT_MS * 2,
            totalTimeoutMs: KNOCK_TOTAL_MS * 3,
            maxBodyBytes: KNOCK_BYTES,
            ...(budget ? { budget } : {}),
          });
          evidence.push({
            kind: 'http',
            ref: `GET ${knock.url} (${ownerWords(socket)}: does it answer HTTPS?)`,
            outcome: knock.ok ? `HTTP ${knock.status}` : knock.message,
          });
          if (knock.ok) {
            const outcome = await fingerprintListener(host, address, socket.localPort, {
              deadlineAt,
              tls: true,
              ...(budget ? { budget } : {}),
            });
            evidence.push(...outcome.evidence);
            if (outcome.fingerprint.identity === 'ollama' || outcome.fingerprint.authRequired) {
              fingerprint = outcome.fingerprint;
              tls = true;
            }
          }
        }
        let challenge: AuthChallenge | null = null;
        if (fingerprint.authRequired === true) {
          const tags = await host.http({
            address,
            port: socket.localPort,
            ...(tls ? { tls: true } : {}),
            path: '/api/tags',
            connectTimeoutMs: 1000,
            totalTimeoutMs: 3000,
            maxBodyBytes: 64 * 1024,
            ...(budget ? { budget } : {}),
          });
          evidence.push({
            kind: 'http',
            ref: `GET ${tags.url} (credentials challenge)`,
            outcome: tags.ok ? `HTTP ${tags.status}` : tags.message,
          });
          challenge = authChallengeOf(tags);
        }
        const share = shareOf(socket);
        const path = classifyProxyPath({
          socket,
          fingerprint,
          challenge,
          ...(share && socket.processes.length === 0 ? { software: share.software } : {}),
        });
        return path && tls ? { ...path, tls: true } : path;
      },
    );
    const found = paths.filter((p): p is ProxyPath => p !== null);
    const unread =
      limited > 0
        ? `${limited} of ${candidates.length} listener${candidates.length === 1 ? '' : 's'} of other programs could not be checked: ${budgetWords(budget)}; whether they lead to Ollama is unknown.`
        : null;
    return {
      status: 'ok',
      data: found,
      evidence,
      message:
        candidates.length === 0
          ? 'No listener of another program beyond loopback to check.'
          : unread
            ? unread
            : found.length === 0
              ? `Checked ${candidates.length} listener${candidates.length === 1 ? '' : 's'} of other programs${knockedOut > 0 ? ` (${knockedOut} gave no HTTP answer)` : ''}; none leads to Ollama.`
              : undefined,
    };
  });
}
