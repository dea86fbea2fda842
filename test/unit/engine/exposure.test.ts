import { describe, expect, it } from 'vitest';
import type { FirewallFacts } from '../../../shared/firewall';
import type { AddressScope, NetInterface, Socket } from '../../../shared/snapshot';
import { assessListener, worstExposure } from '../../../electron/engine/exposure';

const listen = (
  localAddress: string,
  family: 4 | 6,
  dualStack = false,
  localPort = 11434,
): Socket => ({
  state: 'listen',
  family,
  localAddress,
  localPort,
  peerAddress: family === 4 ? '0.0.0.0' : '::',
  peerPort: 0,
  dualStack,
  boundInterface: null,
  uid: 998,
  inode: 1,
  processes: [{ pid: 42, name: 'ollama' }],
  ownerVisibility: 'visible',
});

const laptop: NetInterface[] = [
  {
    name: 'lo',
    addresses: [
      { address: '127.0.0.1', family: 4, prefixLength: 8, scope: 'loopback' },
      { address: '::1', family: 6, prefixLength: 128, scope: 'loopback' },
    ],
  },
  {
    name: 'wlan0',
    addresses: [
      { address: '192.168.1.20', family: 4, prefixLength: 24, scope: 'private' },
      { address: 'fe80::1', family: 6, prefixLength: 64, scope: 'link-local' },
    ],
  },
];
const server: NetInterface[] = [
  ...laptop,
  {
    name: 'eth1',
    addresses: [{ address: '2001:db8:1::5', family: 6, prefixLength: 64, scope: 'public' }],
  },
  {
    name: 'tailscale0',
    addresses: [{ address: '100.101.102.103', family: 4, prefixLength: 32, scope: 'cgnat' }],
  },
];

/** A path with no firewall judged (no firewall facts given): open. */
const path = (name: string, address: string, scope: AddressScope) => ({
  interface: name,
  address,
  scope,
  firewall: null,
  open: true,
});

describe('assessListener', () => {
  it('loopback listeners are private whatever the interfaces', () => {
    expect(assessListener(listen('127.0.0.1', 4), server).exposure).toBe('private');
    expect(assessListener(listen('::1', 6), server).exposure).toBe('private');
  });

  it('issue 12: a loopback listener is unknown when route_localnet is on and the NAT rules are unread, private when it is off', () => {
    const withLocalnet = (on: boolean | null) =>
      server.map((i) => (i.name === 'lo' ? i : { ...i, routeLocalnet: on }));
    const unread = { facts: null, message: 'denied' };
    const on = assessListener(listen('127.0.0.1', 4), withLocalnet(true), 'direct', unread);
    expect(on.exposure).toBe('unknown');
    expect(on.reasons.join(' ')).toMatch(/route_localnet is on for .* NAT rules could not be read/);
    expect(
      assessListener(listen('127.0.0.1', 4), withLocalnet(null), 'direct', unread).exposure,
    ).toBe('unknown');
    expect(
      assessListener(listen('127.0.0.1', 4), withLocalnet(false), 'direct', unread).exposure,
    ).toBe('private');
    // ::1 is never a NAT target from another machine.
    expect(assessListener(listen('::1', 6), withLocalnet(true), 'direct', unread).exposure).toBe(
      'private',
    );
  });

  it('0.0.0.0 on a laptop with a private Wi-Fi address is reachable from the LAN, via that address', () => {
    const listener = assessListener(listen('0.0.0.0', 4), laptop);
    expect(listener.exposure).toBe('lan');
    expect(listener.reachableVia).toEqual([path('wlan0', '192.168.1.20', 'private')]);
    expect(listener.reasons.join(' ')).toMatch(/firewall was not examined/);
  });

  it('a dual-stack wildcard on a host with a public IPv6 address is reachable from the internet', () => {
    const listener = assessListener(listen('::', 6, true), server);
    expect(listener.exposure).toBe('internet');
    expect(listener.reachableVia.map((p) => p.address)).toEqual(
      expect.arrayContaining(['192.168.1.20', 'fe80::1', '2001:db8:1::5', '100.101.102.103']),
    );
  });

  it('an IPv4-only wildcard does not count the public IPv6 address', () => {
    expect(assessListener(listen('0.0.0.0', 4), server).exposure).toBe('lan');
  });

  it('a v6-only wildcard does not count IPv4 addresses', () => {
    const listener = assessListener(listen('::', 6, false), laptop);
    expect(listener.reachableVia).toEqual([path('wlan0', 'fe80::1', 'link-local')]);
    expect(listener.exposure).toBe('lan');
  });

  it('a specific address is reachable only through the interface carrying it', () => {
    const listener = assessListener(listen('100.101.102.103', 4), server);
    expect(listener.exposure).toBe('lan');
    expect(listener.reachableVia).toEqual([path('tailscale0', '100.101.102.103', 'cgnat')]);
  });

  it('a specific address no interface carries is unknown, and says why', () => {
    const listener = assessListener(listen('10.9.9.9', 4), laptop);
    expect(listener.exposure).toBe('unknown');
    expect(listener.reasons.join(' ')).toMatch(/No interface carries 10\.9\.9\.9/);
  });

  it('a wildcard on a machine with only loopback is private for now, and says it would not stay so', () => {
    const listener = assessListener(listen('0.0.0.0', 4), [laptop[0]!]);
    expect(listener.exposure).toBe('private');
    expect(listener.reasons.join(' ')).toMatch(/as soon as one does/);
  });

  it('unreadable interfaces make a non-loopback listener unknown', () => {
    expect(assessListener(listen('0.0.0.0', 4), null).exposure).toBe('unknown');
  });
});

describe('worstExposure', () => {
  it('orders internet > lan > unknown > private', () => {
    expect(worstExposure(['private', 'unknown'])).toBe('unknown');
    expect(worstExposure(['unknown', 'lan'])).toBe('lan');
    expect(worstExposure(['lan', 'internet', 'private'])).toBe('internet');
    expect(worstExposure([])).toBe('private');
  });
});

describe('sockets bound to a device', () => {
  it('a wildcard bound to lo (0.0.0.0%lo) is private', () => {
    const socket = { ...listen('0.0.0.0', 4), boundInterface: 'lo' };
    expect(assessListener(socket, server).exposure).toBe('private');
  });

  it('a wildcard bound to tailscale0 is reachable only through that device', () => {
    const socket = { ...listen('0.0.0.0', 4), boundInterface: 'tailscale0' };
    const listener = assessListener(socket, server);
    expect(listener.reachableVia).toEqual([path('tailscale0', '100.101.102.103', 'cgnat')]);
    expect(listener.exposure).toBe('lan');
  });
});

describe('the host firewall on each path', () => {
  /** nftables facts with one input chain: drop 11434 from everything but the given interfaces. */
  function nftDropping(port: number, exceptInterfaces: string[] = []): FirewallFacts {
    const unavailable = { status: 'unavailable' as const, evidence: [], model: null };
    return {
      nftables: {
        status: 'ok',
        evidence: [],
        ruleset: {
          version: 'test',
          warnings: [],
          tables: [
            {
              family: 'inet',
              name: 'filter',
              chains: [
                {
                  name: 'input',
                  hook: 'input',
                  priority: 0,
                  policy: 'accept',
                  type: 'filter',
                  device: null,
                  rules: [
                    ...(exceptInterfaces.length
                      ? [
                          {
                            text: `iifname { ${exceptInterfaces.join(', ')} } accept`,
                            conditions: [
                              {
                                kind: 'iface' as const,
                                negate: false,
                                direction: 'in' as const,
                                names: exceptInterfaces,
                              },
                            ],
                            verdict: { kind: 'accept' as const },
                            vmap: null,
                          },
                        ]
                      : []),
                    {
                      text: `tcp dport ${port} drop`,
                      conditions: [
                        {
                          kind: 'port' as const,
                          negate: false,
                          direction: 'dport' as const,
                          protocol: 'tcp',
                          ranges: [[port, port] as [number, number]],
                        },
                      ],
                      verdict: { kind: 'drop' as const },
                      vmap: null,
                    },
                  ],
                },
              ],
            },
          ],
        },
      },
      iptables: [],
      ufw: unavailable,
      firewalld: unavailable,
    };
  }

  it('a path the firewall drops does not count: 0.0.0.0 behind a drop rule is private, and says which rule', () => {
    const listener = assessListener(listen('0.0.0.0', 4), laptop, 'direct', {
      facts: nftDropping(11434),
    });
    expect(listener.exposure).toBe('private');
    expect(listener.reachableVia[0]).toMatchObject({
      open: false,
      firewall: { decision: 'blocked' },
    });
    expect(listener.reasons.join(' ')).toMatch(
      /the firewall blocks it \(nftables.*tcp dport 11434 drop\)/,
    );
  });

  it('a rule for another port leaves the path open', () => {
    const listener = assessListener(listen('0.0.0.0', 4), laptop, 'direct', {
      facts: nftDropping(22),
    });
    expect(listener.exposure).toBe('lan');
    expect(listener.reachableVia[0]).toMatchObject({
      open: true,
      firewall: { decision: 'allowed' },
    });
  });

  it('per interface: the VPN is let through while the public address is dropped', () => {
    const listener = assessListener(listen('0.0.0.0', 4), server, 'direct', {
      facts: nftDropping(11434, ['tailscale0']),
    });
    const open = listener.reachableVia.filter((p) => p.open).map((p) => p.interface);
    expect(open).toEqual(['tailscale0']);
    expect(listener.exposure).toBe('lan');
  });

  it('a Docker-published port is never judged by the input rules', () => {
    const listener = assessListener(listen('0.0.0.0', 4), laptop, 'docker', {
      facts: nftDropping(11434),
    });
    expect(listener.exposure).toBe('lan');
    expect(listener.reachableVia[0]).toMatchObject({ open: true, firewall: null });
    expect(listener.reasons.join(' ')).toMatch(/Docker forwards this port/);
  });

  it('firewall not readable: the path counts as open and the reason says what is missing', () => {
    const listener = assessListener(listen('0.0.0.0', 4), laptop, 'direct', {
      facts: null,
      message: 'The firewall could not be read without admin rights.',
    });
    expect(listener.exposure).toBe('lan');
    expect(listener.reasons.at(-1)).toBe('The firewall could not be read without admin rights.');
  });
});
