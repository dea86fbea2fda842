/**
 * The generic test every rule passes: its metadata, its file name, its good and bad fixture
 * (test/rules/<rule-id>.fixtures.ts), and the findings runRules makes of them.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findingSchema, ruleMetaSchema } from '../../shared/findings';
import type { Instance, Snapshot } from '../../shared/snapshot';
import { snapshotSchema } from '../../shared/snapshot';
import { applicableFixes, runRules } from '../../electron/engine/rules/evaluate';
import { RULES } from '../../electron/engine/rules/index';
import {
  LAN_INTERFACE,
  LOOPBACK_INTERFACE,
  PUBLIC_INTERFACE,
  buildSnapshot,
  container,
  firewallFacts,
  lanPaths,
  nvidiaGpu,
  peer,
  proxyPath,
  setting,
  socket,
} from './snapshots';

const RULES_DIR = fileURLToPath(new URL('../../electron/engine/rules/', import.meta.url));
const FIXTURES_DIR = fileURLToPath(new URL('./', import.meta.url));
const NOT_RULES = new Set(['index.ts', 'rule.ts', 'evaluate.ts']);

/** The fix ids the fix issue implements; a rule may name only these. */
const FIXES = new Set([
  'rebind-systemd',
  'block-port',
  'tighten-origins',
  'stop-request-logging',
  'docker-localhost',
  'stop-tunnel',
  'rebind-server',
  'share-allowlist',
  'share-vpn',
  'share-proxy',
  'share-proxy-rotate',
  'upgrade-ollama',
  'enable-firewall',
  'proxy-auth',
  'disable-cloud',
]);

/** Rules whose facts the snapshot does not carry yet: both fixtures are "no finding". */
const RULES_WITHOUT_FACTS = new Set(['desktop-app-exposes']);

/** Rules about configuration or Paddock's own blind spots: no attacker action to name. */
const NO_ATTACKER = new Set([
  'ollama-host-conflict',
  'origins-crash-at-start',
  'version-unknown',
  'firewall-unknown',
]);

interface Fixtures {
  good: Snapshot;
  bad: Snapshot;
}

async function fixturesOf(id: string): Promise<Fixtures> {
  return (await import(`./${id}.fixtures.ts`)) as Fixtures;
}

describe('the fixture builder', () => {
  it('gives schema-valid snapshots with every option in use', () => {
    for (const kind of ['off', 'nft-drop', 'ufw-active', 'denied'] as const) {
      const snapshot = buildSnapshot({
        interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
        firewall: { status: kind === 'denied' ? 'denied' : 'ok', facts: firewallFacts(kind) },
        persistentSettings: [setting('OLLAMA_HOST', '0.0.0.0', { state: 'latent' })],
        instances: [
          {
            settings: [setting('OLLAMA_HOST', '0.0.0.0'), setting('OLLAMA_ORIGINS', '*')],
            listeners: [
              { address: '::', via: lanPaths('allowed') },
              { path: 'proxy', address: '0.0.0.0', port: 8080, via: lanPaths() },
            ],
            loadedModels: ['llama3.2:3b'],
            proxyPaths: [proxyPath()],
            peers: [peer('192.168.1.23')],
          },
          {
            id: 'ollama:docker:ollama',
            pid: null,
            version: null,
            listeners: [{ path: 'docker', address: '0.0.0.0', via: lanPaths() }],
            containers: [container()],
          },
        ],
        sockets: [socket({ localAddress: '127.0.0.1', localPort: 11434 })],
        gpus: [nvidiaGpu(90)],
        accessLogClients: [{ client: '192.168.1.23' }],
      });
      expect(() => snapshotSchema.parse(snapshot)).not.toThrow();
      expect(snapshot.verdict).toBe('lan');
    }
    const failed = buildSnapshot({
      firewall: { status: 'error', facts: null, message: 'timed out' },
    });
    expect(() => snapshotSchema.parse(failed)).not.toThrow();
  });
});

describe('the rule catalog', () => {
  const ids = RULES.map((r) => r.meta.id);

  it('has unique ids', () => {
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists exactly the rule files of electron/engine/rules/, each named after its id', () => {
    const files = readdirSync(RULES_DIR, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !NOT_RULES.has(e.name))
      .map((e) => e.name.replace(/\.ts$/, ''))
      .sort();
    expect([...ids].sort()).toEqual(files);
  });

  it('has a fixture file for every rule and none for a rule that does not exist', () => {
    const fixtures = readdirSync(FIXTURES_DIR)
      .filter((name) => name.endsWith('.fixtures.ts'))
      .map((name) => name.replace(/\.fixtures\.ts$/, ''))
      .sort();
    expect(fixtures).toEqual([...ids].sort());
  });

  it('covers the first catalog of the issue', () => {
    expect(ids).toEqual(
      expect.arrayContaining([
        'exposed-to-internet',
        'exposed-to-lan',
        'saved-only-by-firewall',
        'ipv6-path-open',
        'proxy-without-auth',
        'docker-publish-beyond-loopback',
        'desktop-app-exposes',
        'ollama-host-latent',
        'ollama-host-conflict',
        'ollama-host-scheme-port',
        'origins-too-broad',
        'origins-crash-at-start',
        'known-advisory',
        'version-unknown',
        'request-logging',
        'cloud-while-exposed',
        'remote-clients-connected',
        'remote-clients-in-log',
        'gpu-busy-for-remote',
        'firewall-off',
        'firewall-unknown',
      ]),
    );
  });

  for (const rule of RULES) {
    describe(rule.meta.id, () => {
      it('has valid metadata: schema, known fixes, https references, a why that names the abuse', () => {
        expect(ruleMetaSchema.parse(rule.meta)).toEqual(rule.meta);
        for (const fix of rule.meta.fixes) expect(FIXES, fix).toContain(fix);
        expect(rule.meta.references.length).toBeGreaterThan(0);
        for (const reference of rule.meta.references)
          expect(reference).toMatch(/^https:\/\/[^\s]+$/);
        expect(rule.meta.why.length).toBeGreaterThan(80);
      });

      it('its fixtures are valid snapshots', async () => {
        const { good, bad } = await fixturesOf(rule.meta.id);
        expect(() => snapshotSchema.parse(good)).not.toThrow();
        expect(() => snapshotSchema.parse(bad)).not.toThrow();
      });

      it('finds nothing in the good fixture', async () => {
        const { good } = await fixturesOf(rule.meta.id);
        expect(rule.evaluate(good)).toEqual([]);
      });

      if (RULES_WITHOUT_FACTS.has(rule.meta.id)) {
        it('finds nothing in the "bad" fixture either: the snapshot has no facts for it yet', async () => {
          const { bad } = await fixturesOf(rule.meta.id);
          expect(rule.evaluate(bad)).toEqual([]);
          expect(rule.meta.why).toMatch(/never reports anything today/);
        });
        return;
      }

      it('finds the risk in the bad fixture, in plain words with evidence', async () => {
        const { bad } = await fixturesOf(rule.meta.id);
        const findings = rule.evaluate(bad);
        expect(findings.length).toBeGreaterThanOrEqual(1);
        const instances = new Set(bad.instances.map((i) => i.id));
        for (const finding of findings) {
          expect(finding.summary.trim()).not.toBe('');
          expect(finding.evidence.length).toBeGreaterThan(0);
          for (const line of finding.evidence) expect(line.trim()).not.toBe('');
          if (!NO_ATTACKER.has(rule.meta.id)) expect(finding.attackerCan.length).toBeGreaterThan(0);
          if (finding.instance !== null) expect(instances).toContain(finding.instance);
          // Plain text: no control characters, no markup.
          const text = [finding.summary, ...finding.attackerCan, ...finding.evidence].join('\n');
          // eslint-disable-next-line no-control-regex -- looking for control characters
          expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
          expect(text).not.toMatch(/<\/?[a-z][^>]*>/i);
        }
      });

      it('runRules turns the bad fixture into valid findings', async () => {
        const { bad } = await fixturesOf(rule.meta.id);
        const findings = runRules(bad, [rule]);
        expect(findings.length).toBeGreaterThanOrEqual(1);
        for (const finding of findings) {
          expect(findingSchema.parse(finding)).toEqual(finding);
          expect(finding).toMatchObject({
            ruleId: rule.meta.id,
            id: `${rule.meta.id}@${finding.instance ?? 'host'}`,
            category: rule.meta.category,
            references: rule.meta.references,
            accepted: null,
          });
          // The rule's fixes, less those that cannot apply to this server (no container, no proxy).
          const instance = bad.instances.find((i) => i.id === finding.instance);
          expect(finding.fixes).toEqual(applicableFixes(rule.meta.fixes, instance));
          expect(rule.meta.fixes).toEqual(expect.arrayContaining(finding.fixes));
        }
      });
    });
  }

  it('every bad fixture through the whole catalog gives valid, unique findings and no rule failure', async () => {
    for (const id of ids) {
      const { bad, good } = await fixturesOf(id);
      for (const snapshot of [good, bad]) {
        const findings = runRules(snapshot);
        for (const finding of findings) expect(findingSchema.parse(finding)).toEqual(finding);
        expect(
          findings.filter((f) => f.ruleId === 'rule-failed'),
          id,
        ).toEqual([]);
        expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
      }
    }
  });
});

describe('the fixes a finding offers', () => {
  it('drop what cannot apply to the server: no container, no Docker fix; no proxy, no proxy fix', () => {
    const all = ['rebind-systemd', 'block-port', 'docker-localhost', 'proxy-auth'];
    const bare = { containers: [], proxyPaths: [], listeners: [] } as unknown as Instance;
    expect(applicableFixes(all, bare)).toEqual(['rebind-systemd', 'block-port']);
    const proxied = {
      containers: [],
      proxyPaths: [{ port: 8080 }],
      listeners: [],
    } as unknown as Instance;
    expect(applicableFixes(all, proxied)).toEqual(['rebind-systemd', 'block-port', 'proxy-auth']);
    expect(applicableFixes(all, undefined)).toEqual(all);
  });

  it('issue 18: a published container gets the Docker fix only, not a host rebind, firewall or proxy fix', () => {
    const all = [
      'rebind-systemd',
      'rebind-server',
      'block-port',
      'enable-firewall',
      'share-allowlist',
      'docker-localhost',
      'proxy-auth',
      'disable-cloud',
    ];
    const published = {
      containers: [
        { publishedBeyondLoopback: true, published: [{ hostPort: 8000, hostIp: '0.0.0.0' }] },
      ],
      // docker-proxy holds the published port: Docker's publish, not a proxy of the user's.
      proxyPaths: [{ port: 8000 }],
      listeners: [
        {
          path: 'namespace',
          port: 11434,
          reachableVia: [{ open: true, nat: { port: 8000, rule: 'DNAT' } }],
        },
        { path: 'proxy', port: 8000, reachableVia: [{ open: false }] },
      ],
    } as unknown as Instance;
    expect(applicableFixes(all, published)).toEqual(['docker-localhost', 'disable-cloud']);
    // Also reachable another way (a socket of its own on the host): the host's firewall fixes
    // apply to that way, a rebind still does not reach into the container.
    const alsoDirect = {
      ...published,
      listeners: [
        ...published.listeners,
        { path: 'direct', port: 9000, reachableVia: [{ open: true }] },
      ],
    } as unknown as Instance;
    expect(applicableFixes(all, alsoDirect)).toEqual([
      'block-port',
      'enable-firewall',
      'share-allowlist',
      'docker-localhost',
      'disable-cloud',
    ]);
  });

  it('issue 12: none that close a socket or a port when only a tunnel out publishes the server', () => {
    const all = ['rebind-systemd', 'block-port', 'tighten-origins'];
    const tunnelled = {
      containers: [],
      proxyPaths: [],
      tunnels: [{}],
      listeners: [{ reachableVia: [] }],
    } as unknown as Instance;
    expect(applicableFixes(all, tunnelled)).toEqual(['tighten-origins']);
    const alsoOpen = {
      ...tunnelled,
      listeners: [{ reachableVia: [{ open: true }] }],
    } as unknown as Instance;
    expect(applicableFixes(all, alsoOpen)).toEqual(all);
  });
});
