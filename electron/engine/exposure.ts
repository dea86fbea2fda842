/**
 * The central verdict (architecture.md, "Exposure"): for each listener, which addresses it
 * accepts, which interfaces carry them and their scope; for each instance, the worst of its
 * listeners; for the host, the worst instance. Pure: facts in, verdict out.
 */
import type { FirewallEvaluation, FirewallFacts } from '../../shared/firewall';
import type { AddressScope, Exposure, Listener, NetInterface, Socket } from '../../shared/snapshot';
import { evaluateFirewall, firewallQueryFor } from './firewall/evaluate';
import {
  addressFor,
  namedSources,
  openToOthers,
  peerOutside,
  sourcesLetIn,
} from './firewall/sources';
import { natPathsTo, natTakesAway } from './firewall/nat';
import { classifyAddress } from './net/address';

const RANK: Record<Exposure, number> = { private: 0, unknown: 1, lan: 2, internet: 3 };

export function worstExposure(exposures: Iterable<Exposure>, none: Exposure = 'private'): Exposure {
  let worst: Exposure | null = null;
  for (const exposure of exposures)
    if (worst === null || RANK[exposure] > RANK[worst]) worst = exposure;
  return worst ?? none;
}

export function isExposed(exposure: Exposure): boolean {
  return exposure === 'lan' || exposure === 'internet';
}

export const SCOPE_EXPOSURE: Record<AddressScope, Exposure> = {
  loopback: 'private',
  unspecified: 'private',
  multicast: 'private',
  'link-local': 'lan',
  private: 'lan',
  cgnat: 'lan',
  reserved: 'lan',
  public: 'internet',
};

export const SCOPE_WORDS: Record<AddressScope, string> = {
  loopback: 'loopback',
  unspecified: 'unspecified',
  multicast: 'multicast',
  'link-local': 'link-local: machines on the same network link',
  private: 'private network: machines on the same LAN',
  cgnat: 'carrier-grade NAT or overlay VPN such as Tailscale: peers on that network',
  reserved: 'reserved range',
  public: 'public: anyone on the internet who can route to it',
};

export const FIREWALL_NOT_EXAMINED =
  'The host firewall was not examined, so this assumes nothing blocks the port.';

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The scope of an address the kernel reported; null for text that is not an address. */
export function scopeOf(address: string): AddressScope | null {
  try {
    return classifyAddress(address);
  } catch {
    return null;
  }
}

function acceptedFamilies(socket: Socket): { v4: boolean; v6: boolean; wildcard: boolean } {
  const wildcard = scopeOf(socket.localAddress) === 'unspecified';
  if (!wildcard) return { v4: socket.family === 4, v6: socket.family === 6, wildcard };
  if (socket.family === 4) return { v4: true, v6: false, wildcard };
  return { v4: socket.dualStack, v6: true, wildcard };
}

/** What a listener says of its socket, before the verdict. */
export function listenerBase(
  socket: Socket,
  path: Listener['path'],
): Omit<Listener, 'exposure' | 'reachableVia' | 'reasons'> {
  return {
    path,
    address: socket.localAddress,
    port: socket.localPort,
    family: socket.family,
    dualStack: socket.dualStack,
    owner: socket.processes[0] ?? null,
    ownerVisibility: socket.ownerVisibility,
  };
}

/** Exposure of one listening socket given the host's interfaces. */
export function assessListener(
  socket: Socket,
  interfaces: NetInterface[] | null,
  path: Listener['path'] = 'direct',
  firewall: FirewallContext | null = null,
): Listener {
  const base = listenerBase(socket, path);
  const bound =
    hostPort(socket.localAddress, socket.localPort) +
    (socket.boundInterface ? ` on device ${socket.boundInterface}` : '');
  const scope = scopeOf(socket.localAddress);
  // Destination NAT in prerouting may send other ports or addresses to this socket.
  const natVia: Listener['reachableVia'] =
    path === 'direct' && firewall?.facts && interfaces && scope !== null
      ? natPathsTo(socket, interfaces, firewall.facts).map((p) => ({
          interface: p.interface,
          address: p.address,
          scope: p.scope,
          firewall: p.firewall,
          open: p.open,
          nat: { port: p.port, rule: p.rule },
        }))
      : [];
  if (scope === null) {
    return {
      ...base,
      exposure: 'unknown',
      reachableVia: [],
      reasons: [
        `The kernel reported a listen address Paddock cannot read (${JSON.stringify(socket.localAddress)}).`,
      ],
    };
  }
  if ((scope === 'loopback' || socket.boundInterface === 'lo') && natVia.length === 0) {
    const where = `Listens on ${bound}, ${scope === 'loopback' ? 'a loopback address' : 'the loopback device'}`;
    const unseen = unseenNatRisk(socket, scope, interfaces, firewall);
    if (unseen)
      return { ...base, exposure: 'unknown', reachableVia: [], reasons: [`${where}.`, unseen] };
    return {
      ...base,
      exposure: 'private',
      reachableVia: [],
      reasons: [`${where}: only programs on this computer can connect.`],
    };
  }
  if (scope === 'loopback' || socket.boundInterface === 'lo') {
    const reasons = [
      `Listens on ${bound}, a loopback address, but destination NAT sends connections from other machines to it (route_localnet lets them through).`,
      ...natVia.map((via) => natSentence(via, socket)),
    ];
    return finish(base, natVia, reasons, firewall, path);
  }
  if (!interfaces) {
    return {
      ...base,
      exposure: 'unknown',
      reachableVia: [],
      reasons: [
        `Listens on ${bound}, but the network interfaces could not be read, so who can reach it is unknown.`,
      ],
    };
  }
  const families = acceptedFamilies(socket);
  const reasons: string[] = [];
  if (families.wildcard) {
    const which = families.v4 && families.v6 ? 'IPv4 and IPv6' : families.v4 ? 'IPv4' : 'IPv6';
    reasons.push(`Listens on ${bound}: every ${which} address of every interface.`);
  } else {
    reasons.push(`Listens on ${bound} only.`);
  }
  const reachableVia: Listener['reachableVia'] = [];
  const takenAway =
    firewall?.facts && scope !== null
      ? natTakesAway(socket, interfaces, firewall.facts)
      : new Map<string, never>();
  for (const netInterface of interfaces) {
    // A socket bound to a device (SO_BINDTODEVICE) accepts only what arrives on that device.
    if (socket.boundInterface && netInterface.name !== socket.boundInterface) continue;
    for (const address of netInterface.addresses) {
      if (address.scope === 'loopback') continue;
      const accepted = families.wildcard
        ? (address.family === 4 && families.v4) || (address.family === 6 && families.v6)
        : address.address.toLowerCase() === socket.localAddress.toLowerCase();
      if (!accepted) continue;
      const away = takenAway.get(`${netInterface.name}|${address.address}`);
      if (away) {
        reasons.push(
          `Connections to port ${socket.localPort} on ${address.address} (${netInterface.name}) never reach this socket: a NAT rule sends them to ${hostPort(away.to.address, away.to.port)} first (${away.rule}).`,
        );
        continue;
      }
      const judged = judgeFirewall(
        firewall,
        interfaces,
        netInterface.name,
        address,
        socket.localPort,
        path,
        programOf(socket, firewall),
      );
      reachableVia.push({
        interface: netInterface.name,
        address: address.address,
        scope: address.scope,
        firewall: judged.evaluation,
        open: judged.open,
        ...(judged.onlyFrom ? { onlyFrom: judged.onlyFrom } : {}),
      });
    }
  }
  const directCount = reachableVia.length;
  reachableVia.push(...natVia);
  if (!families.wildcard && directCount === 0 && natVia.length === 0) {
    reasons.push(
      `No interface carries ${socket.localAddress} now, so it cannot be told who can reach it.`,
    );
    return { ...base, exposure: 'unknown', reachableVia, reasons };
  }
  if (reachableVia.length === 0) {
    reasons.push(
      'No interface other than loopback has an address right now; it becomes reachable as soon as one does.',
    );
    return { ...base, exposure: 'private', reachableVia, reasons };
  }
  for (const via of reachableVia) {
    reasons.push(
      via.nat
        ? natSentence(via, socket)
        : via.onlyFrom
          ? `${via.interface} carries ${via.address} (${SCOPE_WORDS[via.scope]}); the firewall refuses it to other machines but lets in ${via.onlyFrom.join(', ')}${firewallClause(via, path).replace(/^; the firewall lets it through/, '')}.`
          : `${via.interface} carries ${via.address} (${SCOPE_WORDS[via.scope]})${firewallClause(via, path)}.`,
    );
  }
  return finish(base, reachableVia, reasons, firewall, path);
}

/**
 * Issue 12, unprivileged truth: a loopback socket is private only if no NAT rule can send other
 * machines to it. That takes route_localnet on the arriving interface (IPv4; ::1 can never be
 * a NAT target from outside). Where it is off everywhere (world-readable), no rule could, and
 * the verdict stays private even without reading the rules; where it is on (or unread) and the
 * NAT rules could not be read, nothing unread is assumed closed: unknown, and it says why.
 */
function unseenNatRisk(
  socket: Socket,
  scope: string | null,
  interfaces: NetInterface[] | null,
  firewall: FirewallContext | null,
): string | null {
  if (scope !== 'loopback' || socket.family !== 4 || !interfaces) return null;
  const facts = firewall?.facts ?? null;
  const rulesRead =
    facts !== null &&
    ['ok', 'unavailable'].includes(facts.nftables.status) &&
    facts.iptables.every((t) => t.status === 'ok' || t.status === 'unavailable');
  if (rulesRead) return null;
  const open = interfaces.filter(
    (i) =>
      i.name !== 'lo' &&
      i.addresses.some((a) => a.family === 4 && a.scope !== 'loopback') &&
      // Absent: not a Linux reading (no such setting); null: Linux, but unread.
      i.routeLocalnet !== false &&
      i.routeLocalnet !== undefined,
  );
  if (open.length === 0) return null;
  const names = open
    .map((i) => `${i.name}${i.routeLocalnet === null ? ' (unread)' : ''}`)
    .join(', ');
  return `route_localnet is on for ${names}, so a NAT rule could send other machines to this loopback socket, and the NAT rules could not be read (they need admin rights): who can reach it is unknown. Run \`paddock scan --elevated\`.`;
}

/** "Port 8000 on 10.0.0.5 (eth0) reaches this listener: …" for a path through NAT. */
function natSentence(via: Listener['reachableVia'][number], socket: Socket): string {
  return `Port ${via.nat!.port} on ${via.address} (${via.interface}, ${SCOPE_WORDS[via.scope]}) reaches it: a NAT rule sends it to ${hostPort(socket.localAddress, socket.localPort)} (${via.nat!.rule})${firewallClause(via, 'direct')}.`;
}

/** The exposure of a listener from its paths, with the closing reasons. */
function finish(
  base: Omit<Listener, 'exposure' | 'reachableVia' | 'reasons'>,
  reachableVia: Listener['reachableVia'],
  reasons: string[],
  firewall: FirewallContext | null,
  path: Listener['path'],
): Listener {
  const open = reachableVia.filter((via) => via.open);
  if (open.length === 0) {
    reasons.push('The host firewall blocks every path: no other machine can connect.');
    return { ...base, exposure: 'private', reachableVia, reasons };
  }
  if (path === 'docker') reasons.push(DOCKER_PATH_SENTENCE);
  else if (!firewall?.facts) reasons.push(firewall?.message ?? FIREWALL_NOT_EXAMINED);
  else if (open.some((via) => via.firewall?.decision === 'unknown'))
    reasons.push(FIREWALL_UNKNOWN_ASSUMED);
  const exposure = worstExposure(open.map((via) => SCOPE_EXPOSURE[via.scope]));
  return { ...base, exposure, reachableVia, reasons };
}

/** What the firewall probe found, for judging each path. */
export interface FirewallContext {
  facts: FirewallFacts | null;
  /** Why there are no facts, or what is missing from them. */
  message?: string;
  /** A listening process's executable by pid: macOS's application firewall decides per program. */
  programs?: ReadonlyMap<number, string>;
}

export const DOCKER_PATH_SENTENCE =
  "Docker forwards this port in the kernel before the host firewall's input rules see it, so they are not consulted.";
export const FIREWALL_UNKNOWN_ASSUMED =
  'Part of the host firewall could not be judged; Paddock counts such a path as open. Run `paddock scan --elevated` to read the whole firewall.';

/**
 * A path is open unless the firewall is known to block it: "unknown" counts as open, the
 * cautious reading, and says so. Docker-published ports never meet the input rules.
 */
function programOf(socket: Socket, firewall: FirewallContext | null): string | null {
  for (const owner of socket.processes) {
    const program = firewall?.programs?.get(owner.pid);
    if (program) return program;
  }
  return null;
}

function judgeFirewall(
  firewall: FirewallContext | null,
  interfaces: NetInterface[],
  interfaceName: string,
  address: NetInterface['addresses'][number],
  port: number,
  path: Listener['path'],
  program: string | null = null,
): { evaluation: FirewallEvaluation | null; open: boolean; onlyFrom?: string[] } {
  if (path === 'docker' || !firewall?.facts) return { evaluation: null, open: true };
  const query = {
    ...firewallQueryFor(
      interfaces,
      interfaceName,
      address.family,
      address.scope === 'public' ? 'internet' : 'lan',
      port,
    ),
    localAddress: address.address,
    program,
  };
  const subnets = (interfaces.find((i) => i.name === interfaceName)?.addresses ?? [])
    .filter((a) => a.family === address.family && a.prefixLength !== null)
    .map((a) => `${a.address}/${a.prefixLength}`);
  const local = interfaces.flatMap((i) => i.addresses.map((a) => a.address));
  // Where rules name sources for this port (sharing, issue 14), the neighbour asked about is
  // one they do not name: a chosen machine must not stand for everyone.
  const named = namedSources(firewall.facts, port).filter((s) => s.family === address.family);
  if (named.length > 0 && query.source === 'lan' && query.peerAddress !== null) {
    const outside = subnets
      .map((s) => peerOutside(s, named, local))
      .find((p): p is string => p !== null);
    if (outside) query.peerAddress = outside;
  }
  const evaluation = evaluateFirewall(firewall.facts, query);
  if (evaluation.decision !== 'blocked') return { evaluation, open: true };
  if (named.length === 0) return { evaluation, open: false };
  // Refused to that neighbour: is every other piece of the network refused too (sharing)?
  const other = openToOthers(firewall.facts, query, subnets, local);
  if (other) return { evaluation: other, open: true };
  const { onlyFrom, wide } = sourcesLetIn(firewall.facts, query);
  if (onlyFrom.length === 0) return { evaluation, open: false };
  const shared = evaluateFirewall(firewall.facts, {
    ...query,
    peerAddress: addressFor(onlyFrom[0]!),
  });
  // A source too broad to be chosen machines (0.0.0.0/1) is everyone: no "only".
  return wide ? { evaluation: shared, open: true } : { evaluation: shared, open: true, onlyFrom };
}

export function firewallClause(
  via: Listener['reachableVia'][number],
  path: Listener['path'],
): string {
  if (path === 'docker' || !via.firewall) return '';
  const step =
    via.firewall.decidedBy.find((s) => s.decision === via.firewall!.decision) ??
    via.firewall.decidedBy[0];
  const by = step ? ` (${step.layer}${step.where ? `, ${step.where}` : ''}: ${step.rule})` : '';
  if (via.firewall.decision === 'blocked') return `, but the firewall blocks it${by}`;
  if (via.firewall.decision === 'allowed') return `; the firewall lets it through${by}`;
  return `; the firewall cannot be judged here${by}`;
}

export const EXPOSURE_SENTENCE: Record<Exposure, string> = {
  private: 'Private to this computer',
  lan: 'Reachable from the local network',
  internet: 'Reachable from the internet',
  unknown: 'Unknown',
};
