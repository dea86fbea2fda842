/**
 * Issue 12, class 2 ("NAT into the server"): a destination NAT rule in prerouting can send a
 * connection that arrives for another port, or another address, to the server's socket:
 * `tcp dport 8000 dnat to 127.0.0.1:11434`, `redirect to :11434`, iptables' `-j DNAT` and
 * `-j REDIRECT`. The server's own listener does not show it: a server bound to 127.0.0.1 is
 * reachable from the LAN this way when `route_localnet` is on for the interface.
 *
 * Pure: firewall facts, interfaces and one listening socket in; the entry points that reach it
 * out, each with the rule that translates and what the input rules do to the translated
 * connection. What is judged: the NAT rules at the top level of prerouting NAT chains
 * (nftables `type nat hook prerouting`, iptables' nat PREROUTING), the first four ports of
 * each rule's destination-port match (or the server's port when it has none). Not judged yet:
 * rules reached by a jump (Docker's DOCKER chain is read from Docker itself, probes/docker.ts),
 * an earlier rule that would take the connection first, and forwarding to other hosts or
 * namespaces. A condition Paddock cannot decide counts as matching: the cautious reading.
 */
import type { FirewallFacts, FirewallRule, NatTarget } from '../../../shared/firewall';
import type { AddressScope, NetInterface, Socket } from '../../../shared/snapshot';
import { isLoopback, isUnspecified } from '../net/address';
import { conditionMatches, evaluateFirewall, firewallQueryFor } from './evaluate';
import type { FirewallEvaluation } from '../../../shared/firewall';

export interface NatPath {
  interface: string;
  /** The interface's address the connection is made to. */
  address: string;
  scope: AddressScope;
  family: 4 | 6;
  /** The port the connection is made to, before translation. */
  port: number;
  /** The NAT rule, as its tool writes it. */
  rule: string;
  /** Where the rule sends it: the server's socket. */
  to: { address: string; port: number };
  firewall: FirewallEvaluation;
  open: boolean;
}

interface NatRule {
  rule: FirewallRule & { nat: NatTarget };
  families: ReadonlyArray<4 | 6>;
}

const MAX_PORTS_PER_RULE = 4;

function natRules(facts: FirewallFacts): NatRule[] {
  const rules: NatRule[] = [];
  const familiesOf = (family: string): Array<4 | 6> =>
    family === 'ip' ? [4] : family === 'ip6' ? [6] : family === 'inet' ? [4, 6] : [];
  if (facts.nftables.status === 'ok' && facts.nftables.ruleset) {
    for (const table of facts.nftables.ruleset.tables) {
      if (table.dormant === true) continue;
      for (const chain of table.chains)
        if (chain.hook === 'prerouting' && chain.type === 'nat')
          for (const rule of chain.rules)
            if (rule.nat)
              rules.push({ rule: { ...rule, nat: rule.nat }, families: familiesOf(table.family) });
    }
  }
  for (const ipt of facts.iptables) {
    if (ipt.status !== 'ok' || !ipt.ruleset) continue;
    for (const table of ipt.ruleset.tables) {
      if (table.name !== 'nat') continue;
      for (const chain of table.chains)
        if (chain.hook === 'prerouting')
          for (const rule of chain.rules)
            if (rule.nat) rules.push({ rule: { ...rule, nat: rule.nat }, families: [ipt.family] });
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

/** Every entry point a prerouting NAT rule sends to this socket. */
export function natPathsTo(
  socket: Socket,
  interfaces: readonly NetInterface[],
  facts: FirewallFacts,
): NatPath[] {
  if (socket.state !== 'listen' || socket.boundInterface === 'lo') return [];
  const paths: NatPath[] = [];
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
        for (const port of matchedPorts(rule) ?? [rule.nat.port ?? socket.localPort]) {
          const toPort = rule.nat.port ?? port;
          if (toPort !== socket.localPort) continue;
          if (!socketTakes(socket, translated, address.family, netInterface, interfaces)) continue;
          const source = address.scope === 'public' ? 'internet' : 'lan';
          const before = {
            ...firewallQueryFor([...interfaces], netInterface.name, address.family, source, port),
            localAddress: address.address,
          };
          if (rule.conditions.some((c) => conditionMatches(c, before) === false)) continue;
          const key = `${netInterface.name}|${address.address}|${port}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const firewall = evaluateFirewall(facts, {
            ...before,
            port: toPort,
            localAddress: translated,
          });
          paths.push({
            interface: netInterface.name,
            address: address.address,
            scope: address.scope,
            family: address.family,
            port,
            rule: rule.text,
            to: { address: translated, port: toPort },
            firewall,
            open: firewall.decision !== 'blocked',
          });
        }
      }
    }
  }
  return paths;
}
