import { describe, expect, it } from 'vitest';
import { probeInterfaces } from '../../../electron/engine/probes/linux/interfaces';
import { createFakeHost } from '../../support/fake-host';

describe('probeInterfaces', () => {
  it('classes every address and keeps prefix lengths, and reads route_localnet and forwarding (issue 12)', async () => {
    const host = createFakeHost({
      files: {
        '/proc/sys/net/ipv4/conf/all/route_localnet': '0\n',
        '/proc/sys/net/ipv4/conf/eth0/route_localnet': '1\n',
        '/proc/sys/net/ipv4/conf/tailscale0/route_localnet': '0\n',
        '/proc/sys/net/ipv4/conf/eth0/forwarding': '1\n',
        '/proc/sys/net/ipv4/conf/tailscale0/forwarding': '0\n',
        '/proc/sys/net/ipv6/conf/all/forwarding': '0\n',
      },
      fileErrors: { '/proc/sys/net/ipv4/conf/pdk-wan0/route_localnet': 'EACCES' },
      interfaces: {
        lo: [
          {
            address: '127.0.0.1',
            netmask: '255.0.0.0',
            family: 'IPv4',
            cidr: '127.0.0.1/8',
            internal: true,
          },
          {
            address: '::1',
            netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
            family: 'IPv6',
            cidr: '::1/128',
            internal: true,
            scopeid: 0,
          },
        ],
        eth0: [
          {
            address: '192.168.1.20',
            netmask: '255.255.255.0',
            family: 'IPv4',
            cidr: '192.168.1.20/24',
            internal: false,
          },
          {
            address: 'fe80::a00:27ff:fe4e:66a1',
            netmask: 'ffff:ffff:ffff:ffff::',
            family: 'IPv6',
            cidr: 'fe80::a00:27ff:fe4e:66a1/64',
            internal: false,
            scopeid: 2,
          },
        ],
        tailscale0: [
          {
            address: '100.101.102.103',
            netmask: '255.255.255.255',
            family: 'IPv4',
            cidr: '100.101.102.103/32',
            internal: false,
          },
        ],
        'pdk-wan0': [
          {
            address: '203.0.113.5',
            netmask: '255.255.255.0',
            family: 'IPv4',
            cidr: '203.0.113.5/24',
            internal: false,
          },
        ],
      },
    });
    const result = await probeInterfaces(host);
    expect(result.status).toBe('ok');
    expect(result.evidence).toEqual([
      { kind: 'os', ref: 'os.networkInterfaces()', outcome: '4 interfaces' },
    ]);
    expect(result.data).toEqual([
      {
        name: 'eth0',
        addresses: [
          { address: '192.168.1.20', family: 4, prefixLength: 24, scope: 'private' },
          { address: 'fe80::a00:27ff:fe4e:66a1', family: 6, prefixLength: 64, scope: 'link-local' },
        ],
        routeLocalnet: true,
        forwarding: { v4: true, v6: false },
      },
      {
        name: 'lo',
        addresses: [
          { address: '127.0.0.1', family: 4, prefixLength: 8, scope: 'loopback' },
          { address: '::1', family: 6, prefixLength: 128, scope: 'loopback' },
        ],
      },
      {
        name: 'pdk-wan0',
        addresses: [{ address: '203.0.113.5', family: 4, prefixLength: 24, scope: 'public' }],
        routeLocalnet: null, // not readable: unknown, never "off"
        forwarding: { v4: null, v6: false },
      },
      {
        name: 'tailscale0',
        addresses: [{ address: '100.101.102.103', family: 4, prefixLength: 32, scope: 'cgnat' }],
        routeLocalnet: false,
        forwarding: { v4: false, v6: false },
      },
    ]);
  });

  it('works out the prefix from the netmask when Node gives no cidr, and accepts numeric families', async () => {
    const host = createFakeHost({
      interfaces: {
        eth1: [
          { address: '10.1.2.3', netmask: '255.255.240.0', family: 4, cidr: null, internal: false },
          {
            address: 'fd00::5',
            netmask: 'ffff:ffff:ffff:ff00::',
            family: 6,
            cidr: null,
            internal: false,
          },
          {
            address: '10.9.9.9',
            netmask: '255.0.255.0',
            family: 'IPv4',
            cidr: null,
            internal: false,
          },
        ],
      },
    });
    const result = await probeInterfaces(host);
    expect(result.data[0]!.addresses).toEqual([
      { address: '10.1.2.3', family: 4, prefixLength: 20, scope: 'private' },
      { address: 'fd00::5', family: 6, prefixLength: 56, scope: 'private' },
      // Not a contiguous mask: no prefix rather than a wrong one.
      { address: '10.9.9.9', family: 4, prefixLength: null, scope: 'private' },
    ]);
  });

  it('says so when no interface has an address', async () => {
    const result = await probeInterfaces(createFakeHost({ interfaces: {} }));
    expect(result).toMatchObject({
      status: 'ok',
      data: [],
      message: 'no interface has an address',
    });
  });

  it('turns a failing OS call into an error result instead of throwing', async () => {
    const host = {
      ...createFakeHost(),
      networkInterfaces: () => {
        throw new Error('uv_interface_addresses failed');
      },
    };
    const result = await probeInterfaces(host);
    expect(result).toMatchObject({ status: 'error', data: [] });
    expect(result.message).toMatch(/uv_interface_addresses failed/);
  });
});
