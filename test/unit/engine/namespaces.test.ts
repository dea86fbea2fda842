/**
 * Issue 12, class 3: who reaches a server in another network namespace (engine/namespaces.ts),
 * pure. The lab test (test/lab/namespace.test.ts) checks the same cases against a real
 * neighbour; these pin the reasoning where no lab can: unread facts and odd layouts.
 */
import { describe, expect, it } from 'vitest';
import { assessNamespaceListener, hostInterfaceFor } from '../../../electron/engine/namespaces';
import type { FirewallFacts } from '../../../shared/firewall';
import type { NetInterface, ServerNamespace, Socket } from '../../../shared/snapshot';

const socket = (localAddress: string): Socket => ({
  state: 'listen',
  family: 4,
  localAddress,
  localPort: 11434,
  peerAddress: '0.0.0.0',
  peerPort: 0,
  dualStack: false,
  boundInterface: null,
  uid: 0,
  inode: 7,
  processes: [{ pid: 42, name: 'ollama' }],
  ownerVisibility: 'visible',
});
const namespace = (address = '172.30.0.2'): ServerNamespace => ({
  pid: 42,
  netns: 'net:[4026532999]',
  status: 'ok',
  sockets: [],
  interfaces: [
    {
      name: 'lo',
      addresses: [{ address: '127.0.0.1', family: 4, prefixLength: 8, scope: 'loopback' }],
    },
    {
      name: 'eth0',
      addresses: [{ address, family: 4, prefixLength: 24, scope: 'private' }],
    },
  ],
});
const host = (forwarding: boolean | null): NetInterface[] => [
  {
    name: 'lan0',
    addresses: [{ address: '10.0.0.5', family: 4, prefixLength: 24, scope: 'private' }],
    forwarding: { v4: forwarding, v6: false },
  },
  {
    name: 'veth0',
    addresses: [{ address: '172.30.0.1', family: 4, prefixLength: 24, scope: 'private' }],
    forwarding: { v4: forwarding, v6: false },
  },
];
const noRules: FirewallFacts = {
  nftables: { status: 'ok', evidence: [], ruleset: { version: '1.0.6', tables: [], warnings: [] } },
  iptables: [],
  ufw: { status: 'unavailable', evidence: [], model: null },
  firewalld: { status: 'unavailable', evidence: [], model: null },
};

describe('a server in another network namespace', () => {
  it('the host interface on its network is the way out (longest prefix)', () => {
    expect(hostInterfaceFor(host(true), '172.30.0.2')?.name).toBe('veth0');
    expect(hostInterfaceFor(host(true), '192.168.7.2')).toBeNull();
  });

  it('bound to its own loopback: private', () => {
    const l = assessNamespaceListener(socket('127.0.0.1'), namespace(), host(true), {
      facts: noRules,
    });
    expect(l.exposure).toBe('private');
    expect(l.path).toBe('namespace');
  });

  it('forwarding off: no way in, private, and it says why', () => {
    const l = assessNamespaceListener(socket('0.0.0.0'), namespace(), host(false), {
      facts: noRules,
    });
    expect(l.exposure).toBe('private');
    expect(l.reasons.join('\n')).toMatch(/forwarding is off/);
  });

  it('forwarding on and nothing filtering: a neighbour that routes its address here gets in', () => {
    const l = assessNamespaceListener(socket('0.0.0.0'), namespace(), host(true), {
      facts: noRules,
    });
    expect(l.exposure).toBe('lan');
    expect(l.reachableVia).toEqual([
      expect.objectContaining({
        interface: 'lan0',
        address: '172.30.0.2',
        open: true,
        forward: {
          outInterface: 'veth0',
          to: { address: '172.30.0.2', port: 11434 },
          routed: true,
        },
      }),
    ]);
  });

  it('forwarding unread and the rules unread (no root): unknown, never private and never assumed open', () => {
    const l = assessNamespaceListener(socket('0.0.0.0'), namespace(), host(null), {
      facts: null,
      message: 'nft: permission denied',
    });
    expect(l.exposure).toBe('unknown');
  });

  it('on a network the host has no interface on (its own link): reached as a machine of its own', () => {
    const l = assessNamespaceListener(socket('0.0.0.0'), namespace('192.168.7.2'), host(false), {
      facts: noRules,
    });
    expect(l.exposure).toBe('lan');
    expect(l.reasons.join('\n')).toMatch(/like a machine of its own/);
  });

  it('the host interfaces unread: unknown', () => {
    expect(
      assessNamespaceListener(socket('0.0.0.0'), namespace(), null, { facts: noRules }).exposure,
    ).toBe('unknown');
  });
});
