/**
 * Issue 18, "one thing said once": which of a server's ways in are Docker publishing its
 * container, so that one publish gives one exposure finding (docker-publish-beyond-loopback),
 * not also "reachable from the local network" and "a reverse proxy without a password" for
 * docker-proxy or dockerd holding the published port.
 */
import type { Instance, Listener } from '../../../../shared/snapshot';
import type { ReachPath } from './reach';

/** The host ports Docker publishes for this server's containers. */
export function dockerPublishedPorts(instance: Instance): Set<number> {
  return new Set(instance.containers.flatMap((c) => c.published.map((p) => p.hostPort)));
}

/**
 * A way in that is Docker's publish of one of this server's containers: a listener Docker
 * publishes, the container's own socket (in its network namespace), or the port forwarder
 * (docker-proxy, dockerd with the userland proxy off) that holds a published port.
 */
export function isDockerPath(instance: Instance, listener: Listener, path: ReachPath): boolean {
  void path;
  if (instance.containers.length === 0) return false;
  if (listener.path === 'docker') return true;
  const published = dockerPublishedPorts(instance);
  // The container's own socket: reached through Docker's DNAT, or routed straight to the
  // container's address, which Docker's forward rules accept because the port is published.
  if (listener.path === 'namespace') return true;
  if (listener.path === 'proxy') return published.has(listener.port);
  return false;
}

/** The open ways in that are Docker's publish, listener by listener. */
export function openDockerPaths(
  instance: Instance,
): Array<{ listener: Listener; paths: ReachPath[] }> {
  return instance.listeners
    .map((listener) => ({
      listener,
      paths: listener.reachableVia.filter((p) => p.open && isDockerPath(instance, listener, p)),
    }))
    .filter((e) => e.paths.length > 0);
}

/**
 * Every open way into this server is Docker publishing its container beyond loopback (and
 * there is one): docker-publish-beyond-loopback then says all there is to say.
 */
export function exposedOnlyByDocker(instance: Instance): boolean {
  if (!instance.containers.some((c) => c.publishedBeyondLoopback)) return false;
  const open = instance.listeners.flatMap((l) =>
    l.reachableVia.filter((p) => p.open).map((p) => ({ l, p })),
  );
  return open.length > 0 && open.every(({ l, p }) => isDockerPath(instance, l, p));
}
