/**
 * What a listener's owner is, by its process name: a web server commonly set up as a reverse
 * proxy, or a TCP port forwarder. Pure; used by the proxy probe (which to knock on) and by
 * instances.ts (which listeners are paths, not servers), so the verdict never imports a probe.
 */
import type { ProxySoftware } from '../../../shared/proxy';

/**
 * Process names (as ss and /proc/PID/comm show them: at most 15 characters) of HTTP servers
 * that are commonly set up as reverse proxies. OpenResty and Tengine run as "nginx".
 */
export const HTTP_PROXY_NAMES: ReadonlyMap<string, ProxySoftware> = new Map([
  ['nginx', 'nginx'],
  ['openresty', 'nginx'],
  ['caddy', 'caddy'],
  ['traefik', 'traefik'],
  ['haproxy', 'haproxy'],
  ['apache2', 'apache'],
  ['httpd', 'apache'],
  ['envoy', 'envoy'],
  ['lighttpd', 'lighttpd'],
  ['varnishd', 'varnish'],
  ['cache-main', 'varnish'],
]);

/**
 * Programs that forward TCP ports without being web servers: Docker's and Podman's port
 * publishers, socat, ssh -L/-R, kubectl port-forward, tailscale serve.
 */
export const PORT_FORWARDER_NAMES: ReadonlyMap<string, ProxySoftware> = new Map([
  ['docker-proxy', 'docker-proxy'],
  ['rootlesskit', 'port-forwarder'],
  ['slirp4netns', 'port-forwarder'],
  ['pasta', 'port-forwarder'],
  ['pasta.avx2', 'port-forwarder'],
  ['conmon', 'port-forwarder'],
  ['socat', 'port-forwarder'],
  ['ssh', 'port-forwarder'],
  ['sshd', 'port-forwarder'],
  ['kubectl', 'port-forwarder'],
  ['tailscaled', 'port-forwarder'],
]);

export function baseName(processName: string): string {
  const name = processName.trim().toLowerCase();
  const slash = name.lastIndexOf('/');
  return slash >= 0 ? name.slice(slash + 1) : name;
}

/** True for the process name of a web server commonly used as a reverse proxy (nginx, caddy, …). */
export function isLikelyHttpProxy(processName: string): boolean {
  return HTTP_PROXY_NAMES.has(baseName(processName));
}

/** True for a TCP port forwarder (docker-proxy, rootlesskit, socat, ssh, kubectl, tailscaled…). */
export function isPortForwarder(processName: string): boolean {
  return PORT_FORWARDER_NAMES.has(baseName(processName));
}
