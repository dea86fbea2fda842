/** Edges of the exposure rules: which paths count, and how severity follows reach. */
import { describe, expect, it } from 'vitest';
import exposedToInternet from '../../electron/engine/rules/exposed-to-internet';
import exposedToLan from '../../electron/engine/rules/exposed-to-lan';
import ipv6PathOpen from '../../electron/engine/rules/ipv6-path-open';
import savedOnlyByFirewall from '../../electron/engine/rules/saved-only-by-firewall';
import proxyWithoutAuth from '../../electron/engine/rules/proxy-without-auth';
import dockerPublish from '../../electron/engine/rules/docker-publish-beyond-loopback';
import cloudWhileExposed from '../../electron/engine/rules/cloud-while-exposed';
import dnsRebinding from '../../electron/engine/rules/dns-rebinding';
import {
  LAN4,
  LAN6,
  LINK6,
  LAN_INTERFACE,
  LOOPBACK_INTERFACE,
  PUBLIC4,
  PUBLIC_INTERFACE,
  buildSnapshot,
  container,
  lanPaths,
  proxyPath,
  setting,
  wildcardOllama,
} from './snapshots';

describe('exposed-to-internet and exposed-to-lan', () => {
  it('an internet-reachable server gets the internet finding only, not both', () => {
    const snapshot = buildSnapshot({
      interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
      instances: [
        { listeners: [{ address: '0.0.0.0', via: [{ address: LAN4 }, { address: PUBLIC4 }] }] },
      ],
    });
    expect(exposedToInternet.evaluate(snapshot)).toHaveLength(1);
    expect(exposedToLan.evaluate(snapshot)).toEqual([]);
  });

  it('a public address the firewall blocks leaves a LAN exposure', () => {
    const snapshot = buildSnapshot({
      interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
      instances: [
        {
          listeners: [
            {
              address: '0.0.0.0',
              via: [
                { address: LAN4, firewall: 'allowed' },
                { address: PUBLIC4, firewall: 'blocked' },
              ],
            },
          ],
        },
      ],
    });
    expect(exposedToInternet.evaluate(snapshot)).toEqual([]);
    const [finding] = exposedToLan.evaluate(snapshot);
    expect(finding?.summary).toContain(`${LAN4}:11434 on eth0`);
    expect(finding?.summary).not.toContain(PUBLIC4);
  });

  it('says what a caller can do with this server’s own models, and mentions the cloud only when it is on', () => {
    const on = buildSnapshot({ instances: [wildcardOllama(null, { models: ['mistral:7b'] })] });
    expect(exposedToLan.evaluate(on)[0]?.attackerCan.join(' ')).toMatch(
      /List your 1 model \(mistral:7b\).*ollama\.com account/,
    );
    const off = buildSnapshot({
      instances: [
        wildcardOllama(null, {
          settings: [setting('OLLAMA_HOST', '0.0.0.0'), setting('OLLAMA_NO_CLOUD', 'true')],
        }),
      ],
    });
    expect(exposedToLan.evaluate(off)[0]?.attackerCan.join(' ')).not.toMatch(/ollama\.com/);
  });

  it('a model name with control characters reaches the text cleaned', () => {
    const snapshot = buildSnapshot({
      instances: [wildcardOllama(null, { models: ['evil\u001b[31m:latest'] })],
    });
    const text = exposedToLan.evaluate(snapshot)[0]!.attackerCan.join(' ');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('evil\uFFFD[31m:latest');
  });
});

describe('ipv6-path-open: a v4-only block with an open v6 path', () => {
  const listenerWith = (via: Parameters<typeof buildSnapshot>[0]) => buildSnapshot(via);
  const snapshot = (v4: 'blocked' | 'allowed', v6: 'blocked' | 'allowed') =>
    listenerWith({
      instances: [
        {
          listeners: [
            {
              address: '::',
              via: [
                { address: LAN4, firewall: v4 },
                { address: LAN6, firewall: v6 },
                { address: LINK6, firewall: v6 },
              ],
            },
          ],
        },
      ],
    });

  it('v4 blocked, v6 open: found, high, naming the v6 addresses that answer', () => {
    const [finding] = ipv6PathOpen.evaluate(snapshot('blocked', 'allowed'));
    expect(finding?.severity).toBeUndefined();
    expect(finding?.summary).toContain('[fd00::20]:11434');
    expect(finding?.summary).toContain('[fe80::20]:11434');
  });

  it('both blocked, both open, or only v6 blocked: not this rule', () => {
    expect(ipv6PathOpen.evaluate(snapshot('blocked', 'blocked'))).toEqual([]);
    expect(ipv6PathOpen.evaluate(snapshot('allowed', 'allowed'))).toEqual([]);
    expect(ipv6PathOpen.evaluate(snapshot('allowed', 'blocked'))).toEqual([]);
  });

  it('a v4 path that is open because the firewall cannot judge it is not a v4 block', () => {
    const s = buildSnapshot({
      instances: [
        {
          listeners: [
            { address: '::', via: [{ address: LAN4, firewall: 'unknown' }, { address: LAN6 }] },
          ],
        },
      ],
    });
    expect(ipv6PathOpen.evaluate(s)).toEqual([]);
  });

  it('a public IPv6 address left open is critical', () => {
    const s = buildSnapshot({
      instances: [
        {
          listeners: [
            {
              address: '::',
              via: [
                { address: LAN4, firewall: 'blocked' },
                { address: '2001:db8::20', interface: 'eth0', firewall: 'allowed' },
              ],
            },
          ],
        },
      ],
    });
    expect(ipv6PathOpen.evaluate(s)[0]?.severity).toBe('critical');
  });
});

describe('saved-only-by-firewall', () => {
  it('one open path means exposed, not saved', () => {
    const s = buildSnapshot({
      instances: [
        {
          listeners: [
            {
              address: '::',
              via: [
                { address: LAN4, firewall: 'blocked' },
                { address: LINK6, firewall: 'allowed' },
              ],
            },
          ],
        },
      ],
    });
    expect(savedOnlyByFirewall.evaluate(s)).toEqual([]);
  });

  it('a Docker publish is never saved by the input rules', () => {
    const s = buildSnapshot({
      instances: [
        {
          pid: null,
          id: 'ollama:docker:ollama',
          listeners: [
            { path: 'docker', address: '0.0.0.0', via: [{ address: LAN4, firewall: 'blocked' }] },
          ],
          containers: [container()],
        },
      ],
    });
    expect(savedOnlyByFirewall.evaluate(s)).toEqual([]);
  });

  it('a loopback server has nothing to be saved from', () => {
    const s = buildSnapshot({ instances: [{ listeners: [{ address: '127.0.0.1' }] }] });
    expect(savedOnlyByFirewall.evaluate(s)).toEqual([]);
  });
});

describe('proxy-without-auth: severity follows where the proxy reaches', () => {
  const withProxy = (via: Array<{ address: string }>, extra = {}) =>
    buildSnapshot({
      interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
      instances: [
        {
          listeners: [
            { address: '127.0.0.1' },
            {
              path: 'proxy',
              address: '0.0.0.0',
              port: 8080,
              owner: { pid: 77, name: 'nginx' },
              via,
            },
          ],
          proxyPaths: [proxyPath(extra)],
        },
      ],
    });

  it('internet: critical', () => {
    expect(proxyWithoutAuth.evaluate(withProxy([{ address: PUBLIC4 }]))[0]?.severity).toBe(
      'critical',
    );
  });

  it('LAN: high', () => {
    expect(proxyWithoutAuth.evaluate(withProxy(lanPaths()))[0]?.severity).toBe('high');
  });

  it('a proxy on loopback only: low, medium when it also defeats the Host check', () => {
    const local = (extra: object) =>
      buildSnapshot({
        instances: [
          {
            listeners: [
              { address: '127.0.0.1' },
              {
                path: 'proxy',
                address: '127.0.0.1',
                port: 8080,
                owner: { pid: 77, name: 'nginx' },
              },
            ],
            proxyPaths: [proxyPath({ listenAddress: '127.0.0.1', ...extra })],
          },
        ],
      });
    expect(proxyWithoutAuth.evaluate(local({}))[0]?.severity).toBe('low');
    const rebinding = proxyWithoutAuth.evaluate(local({ foreignHostRefused: false }))[0];
    expect(rebinding?.severity).toBe('medium');
    expect(rebinding?.attackerCan.join(' ')).toMatch(/DNS rebinding/);
  });

  it('a proxy that asks for credentials is not reported (authRequired true)', () => {
    expect(proxyWithoutAuth.evaluate(withProxy(lanPaths(), { authRequired: true }))).toEqual([]);
  });

  it('authRequired unknown (no HTTP answer on /api/tags) is still reported: nothing was asked', () => {
    expect(proxyWithoutAuth.evaluate(withProxy(lanPaths(), { authRequired: null }))).toHaveLength(
      1,
    );
  });
});

describe('docker-publish-beyond-loopback', () => {
  it('a publish on a public address is critical and names the bypassed firewall', () => {
    const s = buildSnapshot({
      interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
      instances: [
        {
          pid: null,
          id: 'ollama:docker:ollama',
          listeners: [{ path: 'docker', address: '0.0.0.0', via: [{ address: PUBLIC4 }] }],
          containers: [container()],
        },
      ],
    });
    const [finding] = dockerPublish.evaluate(s);
    expect(finding?.severity).toBe('critical');
    expect(finding?.summary).toMatch(/ufw included/);
    expect(finding?.summary).toContain('0.0.0.0:11434');
  });
});

describe('cloud-while-exposed', () => {
  it('OLLAMA_NO_CLOUD=no counts as true (envconfig.Bool), so the cloud is off', () => {
    const s = buildSnapshot({
      instances: [wildcardOllama(null, { settings: [setting('OLLAMA_NO_CLOUD', 'no')] })],
    });
    expect(cloudWhileExposed.evaluate(s)).toEqual([]);
  });

  it('OLLAMA_NO_CLOUD=false on an exposed server is reported, with the setting', () => {
    const s = buildSnapshot({
      instances: [wildcardOllama(null, { settings: [setting('OLLAMA_NO_CLOUD', 'false')] })],
    });
    const [finding] = cloudWhileExposed.evaluate(s);
    expect(finding?.summary).toMatch(/set to false/);
  });

  it('a private server is not this rule’s concern', () => {
    const s = buildSnapshot({ instances: [{ listeners: [{ address: '127.0.0.1' }] }] });
    expect(cloudWhileExposed.evaluate(s)).toEqual([]);
  });
});

describe('dns-rebinding', () => {
  it('a proxy that lets a foreign Host through is reported even when Ollama itself refuses one', () => {
    const s = buildSnapshot({
      instances: [
        {
          listeners: [{ address: '127.0.0.1' }],
          foreignHostRefused: true,
          proxyPaths: [proxyPath({ listenAddress: '127.0.0.1', foreignHostRefused: false })],
        },
      ],
    });
    const [finding] = dnsRebinding.evaluate(s);
    expect(finding?.summary).toMatch(/nginx on port 8080/);
  });

  it('an unknown answer (null) is not a finding', () => {
    const s = buildSnapshot({
      instances: [{ listeners: [{ address: '127.0.0.1' }], foreignHostRefused: null }],
    });
    expect(dnsRebinding.evaluate(s)).toEqual([]);
  });
});
