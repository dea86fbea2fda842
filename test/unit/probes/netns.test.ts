/**
 * Issue 12, class 3: a server's own network namespace, read from its /proc/PID/net files
 * (probes/linux/netns.ts). The inputs were recorded in an `ip netns` on this development
 * machine (test/fixtures/linux/netns/, each file's header says how).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  namespaceInterfaces,
  parseFibTrie,
  parseIfInet6,
  parseProcRoute,
} from '../../../electron/engine/probes/linux/netns';

const fixture = (name: string) =>
  fs
    .readFileSync(new URL(`../../fixtures/linux/netns/${name}.txt`, import.meta.url), 'utf8')
    .replace(/^#.*\n/, '');

describe('a namespace’s addresses from /proc/PID/net', () => {
  it('fib_trie: the local IPv4 addresses, each once (Main and Local both list them)', () => {
    expect(parseFibTrie(fixture('fib_trie')).sort()).toEqual(['127.0.0.1', '172.30.0.2']);
  });

  it('route: the connected network and the default route, in host order', () => {
    const routes = parseProcRoute(fixture('route'));
    expect(routes).toHaveLength(2);
    expect(routes[1]).toMatchObject({ interface: 'pdkrb', gateway: 0 });
    expect(routes[1]!.mask).toBe(0xffffff00);
  });

  it('if_inet6: addresses in network order with their prefix and device', () => {
    expect(parseIfInet6(fixture('if_inet6'))).toEqual([
      { address: '::1', prefixLength: 128, interface: 'lo' },
      { address: 'fd00:30::2', prefixLength: 64, interface: 'pdkrb' },
    ]);
  });

  it('together: interfaces with scopes and prefixes, as the verdict needs them', () => {
    const interfaces = namespaceInterfaces(
      parseFibTrie(fixture('fib_trie')),
      parseProcRoute(fixture('route')),
      parseIfInet6(fixture('if_inet6')),
    );
    expect(interfaces).toEqual([
      {
        name: 'lo',
        addresses: [
          { address: '127.0.0.1', family: 4, prefixLength: 8, scope: 'loopback' },
          { address: '::1', family: 6, prefixLength: 128, scope: 'loopback' },
        ],
      },
      {
        name: 'pdkrb',
        addresses: [
          { address: '172.30.0.2', family: 4, prefixLength: 24, scope: 'private' },
          { address: 'fd00:30::2', family: 6, prefixLength: 64, scope: 'private' },
        ],
      },
    ]);
  });

  it('garbage in: nothing out, no throw', () => {
    expect(parseFibTrie('|-- 999.1.1.1\n   /32 host LOCAL\n')).toEqual(['999.1.1.1']);
    expect(namespaceInterfaces(['999.1.1.1'], [], [])).toEqual([]);
    expect(parseProcRoute('x\nnot a route\n')).toEqual([]);
    expect(parseIfInet6('zz 01 80 10 80 lo\n')).toEqual([]);
  });
});
