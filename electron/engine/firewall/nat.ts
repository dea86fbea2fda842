/**
 * Issue 12, class 2 ("NAT into the server"): a destination NAT rule in prerouting can send a
 * connection that arrives for another port, or another address, to the server's socket:
 * `tcp dport 8000 dnat to 127.0.0.1:11434`, `redirect to :11434`, iptables' `-j DNAT` and
 * `-j REDIRECT`. The server's own listener does not show it: a server bound to 127.0.0.1 is
 * reachable from the LAN this way when `route_localnet` is on for the interface.
 *
 * Pure: firewall facts, interfaces and one listening socket in; the entry points that reach it
 * out, each with the rule that translates and what the input rules do to the translated
 * connection (conntrack status `dnat`; prerouting's filters see it before translation). What
 * is judged: the NAT rules of prerouting NAT chains (nftables `type nat hook prerouting`,
 * iptables' nat PREROUTING) and of the chains they jump or go to (firewalld's forward-ports
 * and rich rules, Docker's DOCKER chain), with the jumps' conditions; the first four ports of
 * each rule's destination-port match (or the destination's port when it has none). A rule
 * that sends the connection to another network namespace is joined with that namespace's
 * sockets in namespaces.ts (judged on the forward hook). Not judged: an earlier rule that
 * would take the connection first. A condition Paddock cannot decide counts as matching: the
 * cautious reading.
 */
import type {
  FirewallChain,
  FirewallFacts,
  FirewallQuery,
  FirewallRule,
  NatTarget,
} from '../../../shared/firewall';
import type { AddressScope, NetInterface, Socket } from '../../../shared/snapshot';
import { isLoopback, isUnspecified } from '../net/address';
import { conditionMatches, evaluateFirewall, firewallQueryFor } from './evaluate';
import type { FirewallEvaluation } from '../../../shared/firewall';

/** An entry point that reaches this host's socket, judged by the input rules. */
export interface NatPath extends Omit<NatEntry, 'before' | 'certain'> {
  firewall: FirewallEvaluation;
  open: boolean;
}

interface NatRule {
  rule: FirewallRule & { nat: NatTarget };
  families: ReadonlyArray<4 | 6>;
}

const MAX_PORTS_PER_RULE = 4;
/** Jumps followed from a base chain (firewalld nests four deep, Docker one). */
const MAX_JUMP_DEPTH = 8;
/** NAT rules collected per ruleset at most: a hostile or huge ruleset cannot stall the scan. */
const MAX_NAT_RULES = 4096;

/**
 * The NAT rules a new connection may meet in prerouting: those of the base chains and of the
 * chains they jump or go to (firewalld's nat_PRE_<zone>_allow, Docker's DOCKER), each with the
 * conditions of the jumps that lead to it, so that `iifname "eth0" goto nat_PRE_public` or
 * `-m addrtype --dst-type LOCAL -j DOCKER` still count.
 */
function natRules(facts: FirewallFacts): NatRule[] {
  const rules: NatRule[] = [];
  const familiesOf = (family: string): Array<4 | 6> =>
    family === 'ip' ? [4] : family === 'ip6' ? [6] : family === 'inet' ? [4, 6] : [];
  const walk = (
    chain: FirewallChain,
    byName: ReadonlyMap<string, FirewallChain>,
    inherited: FirewallRule['conditions'],
    families: ReadonlyArray<4 | 6>,
    path: ReadonlySet<string>,
  ): void => {
    for (const rule of chain.rules) {
      if (rules.length >= MAX_NAT_RULES) return;
      if (rule.nat) {
        rules.push({
          rule: { ...rule, conditions: [...inherited, ...rule.conditions], nat: rule.nat },
          families,
        });
        continue;
      }
      const targets: Array<{ target: string; conditions: FirewallRule['conditions'] }> = [];
      const v = rule.verdict;
      if (v && (v.kind === 'jump' || v.kind === 'goto'))
        targets.push({ target: v.target, conditions: rule.conditions });
      for (const entry of rule.vmap ?? [])
        if (entry.verdict.kind === 'jump' || entry.verdict.kind === 'goto')
          targets.push({
            target: entry.verdict.target,
            conditions: [...rule.conditions, entry.match],
          });
      for (const { target, conditions } of targets) {
        const next = byName.get(target);
        if (!next || path.has(target) || path.size >= MAX_JUMP_DEPTH) continue;
        walk(next, byName, [...inherited, ...conditions], families, new Set([...path, target]));
      }
    }
  };
  if (facts.nftables.status === 'ok' && facts.nftables.ruleset) {
    for (const table of facts.nftables.ruleset.tables) {
      if (table.dormant === true) continue;
      const byName = new Map(table.chains.map((c) => [c.name, c]));
      for (const chain of table.chains)
        if (chain.hook === 'prerouting' && chain.type === 'nat')
          walk(chain, byName, [], familiesOf(table.family), new Set([chain.name]));
    }
  }
  for (const ipt of facts.iptables) {
    if (ipt.status !== 'ok' || !ipt.ruleset) continue;
    for (const table of ipt.ruleset.tables) {
      if (table.name !== 'nat') continue;
      const byName = new Map(table.chains.map((c) => [c.name, c]));
      for (const chain of table.chains)
        if (chain.hook === 'prerouting')
          walk(chain, byName, [], [ipt.family], new Set([chain.name]));
    }
  }
  return rules;
}

/** The destination ports a rule matches (its first few), or null: any port. */
function matchedPorts(rule: FirewallRule): number[] | null {
  const ports = rule.conditions.flatMap((c) =>
    c.kind === 'port' && c.direction === 'dport' && !c.negate ? c.ranges.map(([from]) => from) : [],
  );
  return ports.length === 0 ? null : [...new Set(ports)].slice(0, MAX_PORTS_PER_RULE);
}

function familyOf(address: string): 4 | 6 | null {
  if (address.includes(':')) return 6;
  return /^\d+\.\d+\.\d+\.\d+$/.test(address) ? 4 : null;
}

/**
 * Does the socket take a connection translated to this address? Only an address of this host
 * is delivered locally (anything else is forwarded away); 127.0.0.0/8 from another interface
 * only with route_localnet (IPv4 only; unread counts as on, the cautious reading).
 */
function socketTakes(
  socket: Socket,
  translated: string,
  family: 4 | 6,
  netInterface: NetInterface,
  interfaces: readonly NetInterface[],
): boolean {
  if (isLoopback(translated)) {
    if (family !== 4 || netInterface.routeLocalnet === false) return false;
  } else if (
    !interfaces.some((i) =>
      i.addresses.some((a) => a.address.toLowerCase() === translated.toLowerCase()),
    )
  ) {
    return false;
  }
  if (isUnspecified(socket.localAddress))
    return socket.family === family || (family === 4 && socket.dualStack);
  return socket.localAddress.toLowerCase() === translated.toLowerCase();
}

/** Where a prerouting NAT rule sends a connection that arrives on one of the host's addresses. */
export interface NatEntry {
  interface: string;
  /** The interface's address the connection is made to. */
  address: string;
  scope: AddressScope;
  family: 4 | 6;
  /** The port the connection is made to, before translation. */
  port: number;
  /** The NAT rule, as its tool writes it. */
  rule: string;
  /** Where the rule sends it. */
  to: { address: string; port: number };
  /** The connection as it arrives, for judging it before and after translation. */
  before: FirewallQuery;
  /** Every condition of the rule surely holds (none merely unknown): it surely translates. */
  certain: boolean;
}

/**
 * Every (interface address, port) whose connections a prerouting NAT rule translates to a
 * destination `takes` accepts: a socket of this host (natPathsTo) or one in another network
 * namespace, routed on (namespaces.ts). Once per entry point: the first rule that matches.
 */
export function natEntries(
  interfaces: readonly NetInterface[],
  facts: FirewallFacts,
  /** The destination's port: what a rule with neither a port match nor a target port keeps. */
  port: number,
  takes: (to: { address: string; port: number }, family: 4 | 6, arriving: NetInterface) => boolean,
): NatEntry[] {
  const entries: NatEntry[] = [];
  const seen = new Set<string>();
  for (const { rule, families } of natRules(facts)) {
    const targetFamily = rule.nat.address === null ? null : familyOf(rule.nat.address);
    for (const netInterface of interfaces) {
      if (netInterface.name === 'lo') continue;
      for (const address of netInterface.addresses) {
        if (address.scope === 'loopback' || !families.includes(address.family)) continue;
        if (targetFamily !== null && targetFamily !== address.family) continue;
        const translated = rule.nat.kind === 'redirect' ? address.address : rule.nat.address;
        if (translated === null) continue;
        for (const from of matchedPorts(rule) ?? [rule.nat.port ?? port]) {
          const to = { address: translated, port: rule.nat.port ?? from };
          if (!takes(to, address.family, netInterface)) continue;
          const source = address.scope === 'public' ? 'internet' : 'lan';
          const before = {
            ...firewallQueryFor([...interfaces], netInterface.name, address.family, source, from),
            localAddress: address.address,
          };
          const matches = rule.conditions.map((c) => conditionMatches(c, before));
          if (matches.includes(false)) continue;
          const key = `${netInterface.name}|${address.address}|${from}`;
          if (seen.has(key)) continue;
          seen.add(key);
          entries.push({
            interface: netInterface.name,
            address: address.address,
            scope: address.scope,
            family: address.family,
            port: from,
            rule: rule.text,
            to,
            before,
            certain: matches.every((m) => m === true),
          });
        }
      }
    }
  }
  return entries;
}

/** Every entry point a prerouting NAT rule sends to this socket of the host. */
export function natPathsTo(
  socket: Socket,
  interfaces: readonly NetInterface[],
  facts: FirewallFacts,
): NatPath[] {
  if (socket.state !== 'listen' || socket.boundInterface === 'lo') return [];
  return natEntries(
    interfaces,
    facts,
    socket.localPort,
    (to, family, arriving) =>
      to.port === socket.localPort && socketTakes(socket, to.address, family, arriving, interfaces),
  ).map((entry) => {
    // The input rules see the translated connection (conntrack status dnat); prerouting's
    // filters saw it as sent.
    const firewall = evaluateFirewall(facts, {
      ...entry.before,
      port: entry.to.port,
      localAddress: entry.to.address,
      natted: true,
      preNat: { localAddress: entry.address, port: entry.port },
    });
    const { before: _before, certain: _certain, ...path } = entry;
    return { ...path, firewall, open: firewall.decision !== 'blocked' };
  });
}

/**
 * The entry points of this socket's own port that a NAT rule surely sends elsewhere (another
 * port, another address, another namespace): prerouting translates before the socket is ever
 * looked up, so a connection from another machine to them never reaches this socket (Docker's
 * `DOCKER` chain in front of docker-proxy, for one). Keyed by `interface|address`.
 */
export function natTakesAway(
  socket: Socket,
  interfaces: readonly NetInterface[],
  facts: FirewallFacts,
): Map<string, NatEntry> {
  const away = new Map<string, NatEntry>();
  for (const entry of natEntries(interfaces, facts, socket.localPort, () => true)) {
    if (entry.port !== socket.localPort || !entry.certain) continue;
    const arriving = interfaces.find((i) => i.name === entry.interface)!;
    const toItself =
      entry.to.port === socket.localPort &&
      socketTakes(socket, entry.to.address, entry.family, arriving, interfaces);
    if (!toItself) away.set(`${entry.interface}|${entry.address}`, entry);
  }
  return away;
}
