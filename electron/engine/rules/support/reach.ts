/**
 * Who can reach a listener, from the exposure verdict already in the snapshot
 * (engine/exposure.ts): its paths, which are open, and how to say so.
 */
import type { AddressScope, Instance, Listener } from '../../../../shared/snapshot';
import { isUnspecified } from '../../net/address';
import { hostPort, listed, plain } from './words';

export type ReachPath = Listener['reachableVia'][number];

export const SCOPE_NAMES: Record<AddressScope, string> = {
  loopback: 'loopback',
  'link-local': 'link-local',
  private: 'private network',
  cgnat: 'CGNAT or VPN network',
  public: 'public internet address',
  unspecified: 'unspecified',
  multicast: 'multicast',
  reserved: 'reserved range',
};

const LAN_SCOPES: ReadonlySet<AddressScope> = new Set([
  'link-local',
  'private',
  'cgnat',
  'reserved',
]);

export function isLanScope(scope: AddressScope): boolean {
  return LAN_SCOPES.has(scope);
}

/** Who sits on a network of this scope, for "anyone on …". */
export const SCOPE_PEOPLE: Record<AddressScope, string> = {
  loopback: 'this computer',
  'link-local': 'the same network link',
  private: 'your local network',
  cgnat: 'your VPN or carrier network',
  public: 'the internet',
  unspecified: 'any network',
  multicast: 'the local network',
  reserved: 'the local network',
};

/** "192.168.1.20 on eth0 (private network)". */
export function pathWords(path: ReachPath): string {
  return `${plain(path.address, 60)} on ${plain(path.interface, 40)} (${SCOPE_NAMES[path.scope]})`;
}

/** "192.168.1.20 and fd00::20 on eth0, 203.0.113.5 on eth1": addresses grouped by interface. */
export function addressesOn(paths: readonly ReachPath[]): string {
  const byInterface = new Map<string, string[]>();
  for (const p of paths) {
    const name = plain(p.interface, 40);
    byInterface.set(name, [...(byInterface.get(name) ?? []), plain(p.address, 60)]);
  }
  return [...byInterface]
    .map(([name, addresses]) => `${listed(addresses, 4)} on ${name}`)
    .join(', ');
}

/** "[::]:11434", "0.0.0.0:8080 (nginx, a reverse proxy)", "0.0.0.0:11434 (published by Docker)". */
export function listenerWords(listener: Listener): string {
  const at = hostPort(plain(listener.address, 60), listener.port);
  if (listener.path === 'proxy')
    return `${at} (${listener.owner ? plain(listener.owner.name, 40) : 'a reverse proxy'} in front of Ollama)`;
  if (listener.path === 'docker') return `${at} (published by Docker)`;
  return at;
}

export function isWildcardListener(listener: Listener): boolean {
  return isUnspecified(listener.address);
}

export function openPaths(listener: Listener): ReachPath[] {
  return listener.reachableVia.filter((p) => p.open);
}

/** Open paths of the instance's listeners that satisfy `which`, listener by listener. */
export function openPathsWhere(
  instance: Instance,
  which: (path: ReachPath) => boolean,
): Array<{ listener: Listener; paths: ReachPath[] }> {
  return instance.listeners
    .map((listener) => ({ listener, paths: openPaths(listener).filter(which) }))
    .filter((entry) => entry.paths.length > 0);
}

/**
 * "192.168.1.20:11434 on eth0" for each open path: the port a peer connects to (before a NAT
 * rule sends it on, as Docker's DNAT does), else the listener's own.
 */
export function reachableAt(entries: Array<{ listener: Listener; paths: ReachPath[] }>): string[] {
  return entries.flatMap(({ listener, paths }) =>
    paths.map(
      (p) =>
        `${hostPort(plain(p.address, 60), p.nat?.port ?? listener.port)} on ${plain(p.interface, 40)}${listener.path === 'proxy' ? ' (through the reverse proxy)' : listener.path === 'docker' ? ' (published by Docker)' : ''}`,
    ),
  );
}

/** The firewall's word on a path, for evidence: the rule or state that decided. */
export function firewallWords(path: ReachPath): string {
  const evaluation = path.firewall;
  if (!evaluation) return 'not judged by the host firewall';
  const step =
    evaluation.decidedBy.find((s) => s.decision === evaluation.decision) ?? evaluation.decidedBy[0];
  const by = step
    ? ` by ${step.layer}${step.where ? ` (${plain(step.where, 80)})` : ''}: ${plain(step.rule, 160)}`
    : '';
  return `${evaluation.decision}${by}`;
}
