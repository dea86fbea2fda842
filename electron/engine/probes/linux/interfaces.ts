/**
 * The machine's interfaces and their addresses, each with its scope, so the exposure verdict
 * can tell which networks a wildcard listener is reachable from. Node's own
 * os.networkInterfaces() answers at once (systeminformation takes about 100 ms for the same).
 */
import type { InterfaceAddress, NetInterface, ProbeResult } from '../../../../shared/snapshot';
import type { Host, OsInterfaceAddress } from '../../host/types';
import { classifyAddress, parseIPv4, parseIPv6 } from '../../net/address';
import { runProbe } from '../probe';

const PROBE_TIMEOUT_MS = 2_000;

/** Node before 18.4 reported the family as a number. */
function familyOf(entry: OsInterfaceAddress): 4 | 6 | null {
  if (entry.family === 'IPv4' || entry.family === 4) return 4;
  if (entry.family === 'IPv6' || entry.family === 6) return 6;
  return null;
}

/** Leading one bits of a netmask; null when the mask is not contiguous or not a mask at all. */
function maskBits(netmask: string, family: 4 | 6): number | null {
  let bits: string;
  if (family === 4) {
    const value = parseIPv4(netmask);
    if (value === null) return null;
    bits = value.toString(2).padStart(32, '0');
  } else {
    const groups = parseIPv6(netmask);
    if (groups === null) return null;
    bits = groups.map((g) => g.toString(2).padStart(16, '0')).join('');
  }
  const ones = bits.includes('0') ? bits.indexOf('0') : bits.length;
  return bits.includes('1', ones) ? null : ones;
}

function prefixLength(entry: OsInterfaceAddress, family: 4 | 6): number | null {
  const fromCidr = entry.cidr?.split('/')[1];
  if (fromCidr !== undefined && /^\d{1,3}$/.test(fromCidr)) return Number(fromCidr);
  return maskBits(entry.netmask, family);
}

function toInterfaceAddress(entry: OsInterfaceAddress): InterfaceAddress | null {
  const family = familyOf(entry);
  if (family === null) return null;
  return {
    address: entry.address,
    family,
    prefixLength: prefixLength(entry, family),
    scope: classifyAddress(entry.address),
  };
}

export async function probeInterfaces(host: Host): Promise<ProbeResult<NetInterface[]>> {
  return runProbe(host, 'interfaces', [], PROBE_TIMEOUT_MS, async () => {
    const interfaces = Object.entries(host.networkInterfaces())
      .map(([name, entries]) => ({
        name,
        addresses: (entries ?? [])
          .map(toInterfaceAddress)
          .filter((a): a is InterfaceAddress => a !== null),
      }))
      // Plain comparison: localeCompare would set up ICU collation (~5 ms) in every CLI run.
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // route_localnet (the kernel ORs "all" with the interface's own): whether a DNAT to a
    // loopback address works for packets arriving on this interface (exposure.ts, NAT paths).
    const flag = async (path: string): Promise<boolean | null> => {
      const read = await host.readFile(path, 64);
      return read.ok ? read.text.trim() === '1' : null;
    };
    const sysctl = (name: string) => flag(`/proc/sys/net/ipv4/conf/${name}/route_localnet`);
    const all = await sysctl('all');
    // Forwarding (namespaces.ts): IPv4 routes on what arrives on an interface whose own
    // `forwarding` is on; IPv6 forwards only with `all.forwarding` on.
    const forward6 = await flag('/proc/sys/net/ipv6/conf/all/forwarding');
    const withLocalnet: NetInterface[] = await Promise.all(
      interfaces.map(async (i) => {
        if (i.name === 'lo' || i.name.includes('/')) return i;
        const forwarding = {
          v4: await flag(`/proc/sys/net/ipv4/conf/${i.name}/forwarding`),
          v6: forward6,
        };
        if (!i.addresses.some((a) => a.family === 4)) return { ...i, forwarding };
        const own = await sysctl(i.name);
        const on =
          all === true || own === true ? true : all === null || own === null ? null : false;
        return { ...i, routeLocalnet: on, forwarding };
      }),
    );
    return {
      status: 'ok',
      data: withLocalnet,
      evidence: [
        { kind: 'os', ref: 'os.networkInterfaces()', outcome: `${interfaces.length} interfaces` },
      ],
      // Node lists only interfaces that have an address, so a down or bare link is absent.
      message: interfaces.length === 0 ? 'no interface has an address' : undefined,
    };
  });
}
