/**
 * Issue 12, class 3: who reaches a server that listens in another network namespace (a
 * container without an engine API, `ip netns`, a rootless container). Pure: the namespace's
 * sockets and addresses (probes/linux/netns.ts), the host's interfaces and firewall facts in;
 * one listener per socket out, each with the paths that reach it.
 *
 * How a connection from another machine gets there (architecture.md, "The packet path"):
 * - The namespace's address lies on a network the host has an interface on (a bridge such as
 *   docker0, or the host end of a veth): the namespace sits behind the host. Other machines
 *   reach it only through the host: a destination NAT rule in prerouting that sends a port of
 *   the host to it (Docker's DNAT without the userland proxy, a hand-written `dnat to`,
 *   firewalld forward-ports), or a neighbour that routes the namespace's address through the
 *   host. Either way the host must forward (the arriving interface's `forwarding`), and the
 *   forward hook (Docker's, libvirt's and firewalld's forward policies included) must let
 *   the new connection through.
 * - No interface of the host is on that network: the namespace has a link of its own (a
 *   physical interface moved into it, a macvlan on another subnet) and is reached like a
 *   machine of its own, by the scope of its address. Its own firewall is not read: open.
 * A userland proxy (docker-proxy, socat, any forwarder on a host port) is a listener of the
 * host and is found as one (probes/proxy.ts); instances.ts ties it to this server.
 *
 * Not judged: a namespace on the very network of a host interface that also carries other
 * machines (a macvlan on the LAN's subnet) is taken to be behind the host.
 */
import type { FirewallEvaluation } from '../../shared/firewall';
import type {
  Exposure,
  Listener,
  NetInterface,
  ServerNamespace,
  Socket,
} from '../../shared/snapshot';
import type { FirewallContext } from './exposure';
import {
  EXPOSURE_SENTENCE,
  FIREWALL_UNKNOWN_ASSUMED,
  SCOPE_EXPOSURE,
  SCOPE_WORDS,
  firewallClause,
  hostPort,
  listenerBase,
  scopeOf,
  worstExposure,
} from './exposure';
import { addressInItem, evaluateFirewall, firewallQueryFor } from './firewall/evaluate';
import { natEntries } from './firewall/nat';

type ReachPath = Listener['reachableVia'][number];

/** The host interface whose network holds `address` (longest prefix), or null. */
export function hostInterfaceFor(
  interfaces: readonly NetInterface[],
  address: string,
): NetInterface | null {
  let best: { netInterface: NetInterface; prefix: number } | null = null;
  for (const netInterface of interfaces) {
    if (netInterface.name === 'lo') continue;
    for (const own of netInterface.addresses) {
      if (own.prefixLength === null || own.scope === 'loopback') continue;
      if (addressInItem(address, `${own.address}/${own.prefixLength}`) !== true) continue;
      if (!best || own.prefixLength > best.prefix)
        best = { netInterface, prefix: own.prefixLength };
    }
  }
  return best?.netInterface ?? null;
}

/** Whether the host routes on what arrives on this interface (null counts as on: unread). */
function forwards(netInterface: NetInterface, family: 4 | 6): boolean {
  const flag = family === 4 ? netInterface.forwarding?.v4 : netInterface.forwarding?.v6;
  return flag !== false;
}

/** The namespace's addresses this socket accepts connections on (loopback aside). */
function acceptedAddresses(
  socket: Socket,
  namespace: ServerNamespace,
): Array<{ interface: string; address: string; family: 4 | 6 }> {
  const wildcard = scopeOf(socket.localAddress) === 'unspecified';
  const out: Array<{ interface: string; address: string; family: 4 | 6 }> = [];
  for (const netInterface of namespace.interfaces) {
    for (const a of netInterface.addresses) {
      if (a.scope === 'loopback' || a.scope === 'link-local') continue;
      const takes = wildcard
        ? a.family === socket.family || (a.family === 4 && socket.dualStack)
        : a.address.toLowerCase() === socket.localAddress.toLowerCase();
      if (takes) out.push({ interface: netInterface.name, address: a.address, family: a.family });
    }
  }
  return out;
}

function judge(
  firewall: FirewallContext,
  query: Parameters<typeof evaluateFirewall>[1],
): { evaluation: FirewallEvaluation | null; open: boolean } {
  if (!firewall.facts) return { evaluation: null, open: true };
  const evaluation = evaluateFirewall(firewall.facts, query);
  return { evaluation, open: evaluation.decision !== 'blocked' };
}

function pathSentence(via: ReachPath, socket: Socket): string {
  const to = hostPort(via.forward!.to.address, via.forward!.to.port);
  const clause = firewallClause(via, 'namespace');
  if (via.nat)
    return `Port ${via.nat.port} on ${via.address} (${via.interface}, ${SCOPE_WORDS[via.scope]}) reaches it: a NAT rule sends it to ${to} in the server's namespace (${via.nat.rule}), and the host forwards it out of ${via.forward!.outInterface}${clause}.`;
  if (via.forward!.routed)
    return `A machine on ${via.interface}'s network that routes ${via.forward!.to.address} through this host reaches ${to}: the host forwards it out of ${via.forward!.outInterface}${clause}.`;
  return `In its namespace, ${via.interface} carries ${via.address} (${SCOPE_WORDS[via.scope]}), on a network the host has no interface on: it is reached there like a machine of its own (its own firewall is not read); port ${socket.localPort}.`;
}

/** One listener of a server in another namespace, with every path that reaches it. */
export function assessNamespaceListener(
  socket: Socket,
  namespace: ServerNamespace,
  hostInterfaces: readonly NetInterface[] | null,
  firewall: FirewallContext,
): Listener {
  const base = listenerBase(socket, 'namespace');
  const where = `Listens on ${hostPort(socket.localAddress, socket.localPort)} in its own network namespace (${namespace.netns ?? `that of pid ${namespace.pid}`})`;
  const scope = scopeOf(socket.localAddress);
  if (scope === 'loopback')
    return {
      ...base,
      exposure: 'private',
      reachableVia: [],
      reasons: [`${where}, on a loopback address: only programs in that namespace can connect.`],
    };
  if (!hostInterfaces)
    return {
      ...base,
      exposure: 'unknown',
      reachableVia: [],
      reasons: [`${where}, but the host's interfaces could not be read.`],
    };
  const reasons = [`${where}.`];
  const paths: ReachPath[] = [];
  const closed: string[] = [];
  for (const accepted of acceptedAddresses(socket, namespace)) {
    const addressScope = scopeOf(accepted.address) ?? 'reserved';
    const out = hostInterfaceFor(hostInterfaces, accepted.address);
    const to = { address: accepted.address, port: socket.localPort };
    if (!out) {
      paths.push({
        interface: accepted.interface,
        address: accepted.address,
        scope: addressScope,
        firewall: null,
        open: addressScope !== 'unspecified' && addressScope !== 'multicast',
        forward: { outInterface: null, to, routed: false },
      });
      continue;
    }
    // Through destination NAT on the host.
    if (firewall.facts)
      for (const entry of natEntries(
        hostInterfaces,
        firewall.facts,
        socket.localPort,
        (target, family, arriving) =>
          family === accepted.family &&
          arriving.name !== out.name &&
          target.port === socket.localPort &&
          target.address.toLowerCase() === accepted.address.toLowerCase(),
      )) {
        const arriving = hostInterfaces.find((i) => i.name === entry.interface)!;
        if (!forwards(arriving, entry.family)) {
          closed.push(
            `A NAT rule sends port ${entry.port} on ${entry.address} to it (${entry.rule}), but the host does not forward what arrives on ${entry.interface} (forwarding is off), so the connection goes nowhere.`,
          );
          continue;
        }
        const judged = judge(firewall, {
          ...entry.before,
          hook: 'forward',
          outInterface: out.name,
          localAddress: accepted.address,
          port: socket.localPort,
          natted: true,
          preNat: { localAddress: entry.address, port: entry.port },
        });
        paths.push({
          interface: entry.interface,
          address: entry.address,
          scope: entry.scope,
          firewall: judged.evaluation,
          open: judged.open,
          nat: { port: entry.port, rule: entry.rule },
          forward: { outInterface: out.name, to, routed: false },
        });
      }
    // Routed by a neighbour that sends the namespace's address through this host.
    for (const arriving of hostInterfaces) {
      if (arriving.name === 'lo' || arriving.name === out.name) continue;
      const own = arriving.addresses.find(
        (a) => a.family === accepted.family && a.scope !== 'loopback' && a.scope !== 'link-local',
      );
      if (!own) continue;
      if (!forwards(arriving, accepted.family)) {
        closed.push(
          `The host does not forward what arrives on ${arriving.name} (forwarding is off), so no machine there can route to ${accepted.address}.`,
        );
        continue;
      }
      const judged = judge(firewall, {
        ...firewallQueryFor(
          [...hostInterfaces],
          arriving.name,
          accepted.family,
          own.scope === 'public' ? 'internet' : 'lan',
          socket.localPort,
        ),
        hook: 'forward',
        outInterface: out.name,
        localAddress: accepted.address,
      });
      paths.push({
        interface: arriving.name,
        address: accepted.address,
        // Only machines on that link can send a private address here; a public one routes.
        scope: addressScope === 'public' && own.scope === 'public' ? 'public' : 'private',
        firewall: judged.evaluation,
        open: judged.open,
        forward: { outInterface: out.name, to, routed: true },
      });
    }
  }
  // The open paths first: the instance's summary quotes the first.
  paths.sort((a, b) => Number(b.open) - Number(a.open));
  for (const via of paths) reasons.push(pathSentence(via, socket));
  reasons.push(...closed);
  const open = paths.filter((p) => p.open);
  if (open.length === 0) {
    reasons.push(
      paths.length === 0
        ? 'The host forwards no connection from another machine to it: only this computer reaches it.'
        : 'The host firewall blocks every path: no other machine can connect.',
    );
    return { ...base, exposure: 'private', reachableVia: paths, reasons };
  }
  // A routed path the forward rules could not judge (they need root): unknown, never assumed.
  const exposures: Exposure[] = open.map((p) =>
    p.forward?.routed && p.firewall?.decision !== 'allowed' ? 'unknown' : SCOPE_EXPOSURE[p.scope],
  );
  if (!firewall.facts) reasons.push(firewall.message ?? 'The host firewall was not examined.');
  else if (open.some((p) => p.firewall?.decision === 'unknown'))
    reasons.push(FIREWALL_UNKNOWN_ASSUMED);
  const exposure = worstExposure(exposures);
  reasons.push(`${EXPOSURE_SENTENCE[exposure]} through the host.`);
  return { ...base, exposure, reachableVia: paths, reasons };
}
