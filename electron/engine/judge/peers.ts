/**
 * Who is connected to a server's listeners now, from the sockets the probe listed. Pure;
 * moved here from the traffic probe so the verdict never imports a probe.
 */
import type { Socket } from '../../../shared/snapshot';
import type { RemotePeer } from '../../../shared/traffic';
import { classifyAddress, isLoopback, isUnspecified, normalizeAddress } from '../net/address';

// ── remote peers ─────────────────────────────────────────────────────────────────────────

type PeerSocket = Pick<
  Socket,
  'state' | 'family' | 'localAddress' | 'localPort' | 'peerAddress' | 'peerPort' | 'processes'
>;
type ListenerLike = Pick<Socket, 'localAddress' | 'localPort' | 'family' | 'dualStack'>;

function accepts(listener: ListenerLike, socket: PeerSocket): boolean {
  if (listener.localPort !== socket.localPort) return false;
  const local = normalizeAddress(socket.localAddress);
  if (!isUnspecified(listener.localAddress))
    return normalizeAddress(listener.localAddress) === local;
  // 0.0.0.0 takes IPv4; a dual-stack [::] takes both; a v6-only [::] takes IPv6 only.
  const localIsV4 = !local.includes(':');
  if (listener.family === 4) return localIsV4;
  return listener.dualStack || !localIsV4;
}

/**
 * The peers connected to Ollama's listeners, loopback left out, one entry per peer address
 * (a dual-stack listener's `::ffff:a.b.c.d` shown as plain a.b.c.d). `listeners` are the
 * Ollama instance's listening sockets; a bare port number stands for a wildcard listener.
 */
export function remotePeers(
  sockets: readonly PeerSocket[],
  listeners: ReadonlyArray<ListenerLike | number>,
  localAddresses: Iterable<string> = [],
): RemotePeer[] {
  const wanted: ListenerLike[] = listeners.map((l) =>
    typeof l === 'number' ? { localAddress: '::', localPort: l, family: 6, dualStack: true } : l,
  );
  const own = new Set([...localAddresses].map(normalizeAddress));
  const peers = new Map<string, RemotePeer>();
  for (const socket of sockets) {
    if (socket.state !== 'established') continue;
    if (!wanted.some((l) => accepts(l, socket))) continue;
    const address = normalizeAddress(socket.peerAddress);
    if (isLoopback(address)) continue;
    let peer = peers.get(address);
    if (!peer) {
      let scope: RemotePeer['scope'] = null;
      try {
        scope = classifyAddress(address);
      } catch {
        scope = null;
      }
      peer = {
        address,
        scope,
        isLocalAddress: own.has(address),
        connections: 0,
        ports: [],
        processes: [],
      };
      peers.set(address, peer);
    }
    peer.connections += 1;
    if (!peer.ports.includes(socket.localPort)) peer.ports.push(socket.localPort);
    for (const p of socket.processes)
      if (!peer.processes.some((q) => q.pid === p.pid)) peer.processes.push(p);
  }
  return [...peers.values()].sort(
    (a, b) => b.connections - a.connections || (a.address < b.address ? -1 : 1),
  );
}
