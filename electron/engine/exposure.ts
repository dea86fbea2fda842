/**
 * The central verdict (architecture.md, "Exposure"): for each listener, which addresses it
 * accepts, which interfaces carry them and their scope; for each instance, the worst of its
 * listeners; for the host, the worst instance. Pure: facts in, verdict out.
 */
import type { AddressScope, Exposure, Listener, NetInterface, Socket } from '../../shared/snapshot';
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

const SCOPE_EXPOSURE: Record<AddressScope, Exposure> = {
  loopback: 'private',
  unspecified: 'private',
  multicast: 'private',
  'link-local': 'lan',
  private: 'lan',
  cgnat: 'lan',
  reserved: 'lan',
  public: 'internet',
};

const SCOPE_WORDS: Record<AddressScope, string> = {
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
  'The host firewall is not examined yet, so this assumes nothing blocks the port.';

function hostPort(address: string, port: number): string {
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

/** Exposure of one listening socket given the host's interfaces. */
export function assessListener(
  socket: Socket,
  interfaces: NetInterface[] | null,
  path: Listener['path'] = 'direct',
): Listener {
  const base = {
    path,
    address: socket.localAddress,
    port: socket.localPort,
    family: socket.family,
    dualStack: socket.dualStack,
    owner: socket.processes[0] ?? null,
    ownerVisibility: socket.ownerVisibility,
  };
  const bound =
    hostPort(socket.localAddress, socket.localPort) +
    (socket.boundInterface ? ` on device ${socket.boundInterface}` : '');
  const scope = scopeOf(socket.localAddress);
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
  if (scope === 'loopback' || socket.boundInterface === 'lo') {
    return {
      ...base,
      exposure: 'private',
      reachableVia: [],
      reasons: [
        `Listens on ${bound}, ${scope === 'loopback' ? 'a loopback address' : 'the loopback device'}: only programs on this computer can connect.`,
      ],
    };
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
  for (const netInterface of interfaces) {
    // A socket bound to a device (SO_BINDTODEVICE) accepts only what arrives on that device.
    if (socket.boundInterface && netInterface.name !== socket.boundInterface) continue;
    for (const address of netInterface.addresses) {
      if (address.scope === 'loopback') continue;
      const accepted = families.wildcard
        ? (address.family === 4 && families.v4) || (address.family === 6 && families.v6)
        : address.address.toLowerCase() === socket.localAddress.toLowerCase();
      if (accepted)
        reachableVia.push({
          interface: netInterface.name,
          address: address.address,
          scope: address.scope,
        });
    }
  }
  if (!families.wildcard && reachableVia.length === 0) {
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
  for (const path of reachableVia) {
    reasons.push(`${path.interface} carries ${path.address} (${SCOPE_WORDS[path.scope]}).`);
  }
  reasons.push(FIREWALL_NOT_EXAMINED);
  const exposure = worstExposure(reachableVia.map((path) => SCOPE_EXPOSURE[path.scope]));
  return { ...base, exposure, reachableVia, reasons };
}

export const EXPOSURE_SENTENCE: Record<Exposure, string> = {
  private: 'Private to this computer',
  lan: 'Reachable from the local network',
  internet: 'Reachable from the internet',
  unknown: 'Unknown',
};
