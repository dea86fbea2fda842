/**
 * Issue 12, class 5: a tunnel client that forwards to a server's port publishes that server
 * on the internet, whatever its socket and the firewall say (a loopback socket included).
 * Pure: instances and tunnels in, instances with their tunnels and exposure out.
 */
import type { Instance, Tunnel } from '../../shared/snapshot';
import { isLoopback, isUnspecified } from './net/address';

function reachesListener(host: string, address: string): boolean {
  const local = host === 'localhost' || isLoopback(host) || isUnspecified(host);
  if (isUnspecified(address)) return true;
  if (isLoopback(address)) return local;
  return host.toLowerCase() === address.toLowerCase();
}

function words(tunnel: Tunnel, target: Tunnel['targets'][number]): string {
  const where = tunnel.remote ? ` through ${tunnel.remote}` : '';
  const from =
    target.source === 'config' && tunnel.config ? ` (as ${tunnel.config} configures it)` : '';
  return `${tunnel.tool} (pid ${tunnel.pid}) publishes ${target.host}:${target.port} on the internet${where}${from}: whoever has its public address reaches this server with no listener of its own, whatever the firewall says.`;
}

export function applyTunnels(instances: Instance[], tunnels: readonly Tunnel[]): Instance[] {
  return instances.map((instance) => {
    const found: Tunnel[] = [];
    const reasons: string[] = [];
    for (const tunnel of tunnels)
      for (const target of tunnel.targets) {
        const hit = instance.listeners.some(
          (l) =>
            l.path === 'direct' &&
            l.port === target.port &&
            reachesListener(target.host, l.address),
        );
        if (!hit) continue;
        if (!found.includes(tunnel)) found.push(tunnel);
        reasons.push(words(tunnel, target));
      }
    if (found.length === 0) return instance;
    return {
      ...instance,
      exposure: 'internet',
      reasons: [...instance.reasons, ...reasons],
      tunnels: found,
    };
  });
}
