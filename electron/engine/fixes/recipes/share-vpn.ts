/**
 * Fix "share-vpn" (issue 14, "over the VPN only"): Ollama listens on the VPN interface's own
 * address instead of every interface, so the machines on the VPN (Tailscale, WireGuard,
 * ZeroTier) reach it and the LAN, the café Wi-Fi and the internet do not. The same drop-in as
 * rebind-systemd, with `OLLAMA_HOST=<VPN address>:<port>`, reload and restart, verified by a
 * rescan in which every socket of the server is on that address (or loopback), undone byte
 * for byte.
 *
 * The VPN address comes from the scan alone: an interface named as VPN software names its own
 * (`tailscale0`, `wg0`, `zt…`, `nebula1`) with an IPv4 address that is not public (Ollama
 * listens on one address); exactly one, or Paddock does not choose. Root finds the same
 * address in its own scan, so nothing about it crosses the privileged boundary.
 */
import type { FixPlan, ManualFix } from '../../../../shared/fixes';
import type { NetInterface, Snapshot } from '../../../../shared/snapshot';
import { scopeOf } from '../../exposure';
import { VPN_INTERFACE } from '../../instances';
import { findInstance, manualFix, shown } from './common';
import { planRebindServer } from './rebind-server';
import { planRebindSystemd } from './rebind-systemd';
import type { RecipeIO } from './common';
import { SERVER_KIND_NAMES } from '../../../../shared/servers';

export interface VpnAddress {
  interface: string;
  address: string;
}

/** The VPN interfaces' IPv4 addresses, in a stable order (name, then address). */
export function vpnAddresses(interfaces: readonly NetInterface[]): VpnAddress[] {
  return interfaces
    .flatMap((i) =>
      i.addresses
        .filter(
          (a) =>
            a.family === 4 &&
            a.scope !== 'loopback' &&
            VPN_INTERFACE.test(i.name) &&
            scopeOf(a.address) !== 'public',
        )
        .map((a) => ({ interface: i.name, address: a.address })),
    )
    .sort((a, b) =>
      a.interface === b.interface
        ? a.address.localeCompare(b.address)
        : a.interface.localeCompare(b.interface),
    );
}

export function planShareVpn(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  const manual = (reason: string, commands: string[][] = []) =>
    manualFix('share-vpn', instance?.id ?? null, reason, commands);
  if (!instance)
    return manual(`No server ${JSON.stringify(shown(instanceId, 80))} in this scan; scan again.`);
  const vpn = vpnAddresses(snapshot.probes.interfaces.data ?? []);
  if (vpn.length === 0)
    return manual(
      'No VPN interface is up on this computer (Tailscale, WireGuard, ZeroTier…), so there is no VPN address to listen on. Start the VPN, then scan again.',
    );
  // Never a guess between two: the user names the one (security review of issue 14).
  if (vpn.length > 1)
    return manual(
      `Several VPN addresses are up here (${vpn.map((v) => `${v.interface} ${v.address}`).join(', ')}); Paddock will not choose between them. Set OLLAMA_HOST to the one you mean (a drop-in of the service), then restart it.`,
      [['systemctl', 'edit', 'ollama.service']],
    );
  const chosen = vpn[0]!;
  const made =
    instance.kind === 'ollama'
      ? planRebindSystemd(snapshot, instance.id, { address: chosen.address })
      : planRebindServer(snapshot, instance.id, io, { address: chosen.address });
  if (!('steps' in made)) return { ...made, fixId: 'share-vpn' };
  const port = made.verification.port;
  const name = instance.kind === 'ollama' ? 'Ollama' : SERVER_KIND_NAMES[instance.kind];
  return {
    ...made,
    fixId: 'share-vpn',
    title: `Share ${name} over the VPN only (${chosen.interface})`,
    summary: `${
      instance.kind === 'ollama'
        ? `Sets OLLAMA_HOST=${chosen.address}:${port} in a drop-in of the service`
        : `Changes ${
            made.steps
              .find((s) => s.kind === 'write-file')
              ?.description.replace(/^Change /, '')
              .replace(/; every other byte.*$/, '') ?? 'its listen address'
          }`
    }, has systemd reload, and restarts it, so ${name} listens on ${chosen.interface}'s address ${chosen.address} only: machines on that VPN reach it; the local network and the internet are not routed to that address.`,
    warnings: [
      `Programs on this computer must use http://${chosen.address}:${port} from now on: ${name} no longer answers on 127.0.0.1.`,
      ...(vpn.length > 1
        ? [
            `Other VPN addresses here (${vpn
              .slice(1)
              .map((v) => `${v.interface} ${v.address}`)
              .join(', ')}) are not used.`,
          ]
        : []),
      `If ${chosen.interface} is down when ${name} starts, it cannot listen and does not start until the VPN is up.`,
      `Linux accepts a packet for any of its addresses on any interface: a machine on the local network that deliberately routes ${chosen.address} through this computer could still connect, unless a firewall rule refuses the port on other interfaces.`,
      ...made.warnings.filter(
        (w) => !w.startsWith('Other computers') && !w.includes('keep using http://127.0.0.1'),
      ),
    ],
    verification: {
      kind: 'instance-bound-to',
      instance: instance.id,
      port,
      setting: chosen.address,
      description: `After the restart, every socket of the ${name} server listens on ${chosen.address} (port ${port}) only.`,
    },
  };
}
