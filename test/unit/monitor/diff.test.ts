import { describe, expect, it } from 'vitest';
import { paddockEventSchema } from '../../../shared/events';
import type { Finding } from '../../../shared/findings';
import type { FixRun } from '../../../shared/fixes';
import type { ScanResult } from '../../../electron/engine/monitor/diff';
import { diffScans } from '../../../electron/engine/monitor/diff';
import { eventForRun } from '../../../electron/engine/monitor/events';
import type { InstanceOptions } from '../../rules/snapshots';
import {
  LAN4,
  PUBLIC4,
  buildSnapshot,
  loopbackOllama,
  nvidiaGpu,
  peer,
  wildcardOllama,
} from '../../rules/snapshots';

const NOW = new Date('2026-11-28T12:00:05.000Z');

function scanOf(
  instances: InstanceOptions[],
  findings: Finding[] = [],
  gpus?: number[],
): ScanResult {
  return {
    snapshot: buildSnapshot({ instances, gpus: gpus?.map((u) => nvidiaGpu(u)) }),
    findings,
  };
}

function finding(ruleId: string, instance: string | null, extra: Partial<Finding> = {}): Finding {
  return {
    id: `${ruleId}@${instance ?? 'host'}`,
    ruleId,
    instance,
    severity: 'medium',
    category: 'configuration',
    title: `Title of ${ruleId}`,
    summary: `Summary of ${ruleId}.`,
    attackerCan: [],
    evidence: [],
    fixes: [],
    references: [],
    accepted: null,
    ...extra,
  };
}

const kinds = (events: { kind: string }[]) => events.map((e) => e.kind);

describe('diffScans', () => {
  it('the first scan of an exposed machine says so once, and nothing else', () => {
    const events = diffScans(
      null,
      scanOf([wildcardOllama()], [finding('origins-too-broad', 'ollama:pid:42')]),
      NOW,
    );
    expect(kinds(events)).toEqual(['exposure-started']);
    const [started] = events;
    expect(started).toMatchObject({
      instance: 'ollama:pid:42',
      verdict: 'lan',
      severity: 'high',
      at: NOW.toISOString(),
      data: { previous: null, listen: '[::]:11434', pid: 42 },
    });
    expect(started!.message).toContain('ollama:pid:42');
    expect(started!.message).toContain(`${LAN4}:11434`);
    expect(started!.message).toContain('reachable from the local network');
  });

  it('the first scan of a private machine raises nothing', () => {
    expect(diffScans(null, scanOf([loopbackOllama()]), NOW)).toEqual([]);
    expect(diffScans(null, scanOf([]), NOW)).toEqual([]);
  });

  it('a server started on 0.0.0.0 is a new instance whose exposure started', () => {
    const events = diffScans(scanOf([]), scanOf([wildcardOllama(null, { pid: 7 })]), NOW);
    expect(kinds(events)).toEqual(['new-instance', 'exposure-started']);
    expect(events[1]).toMatchObject({ instance: 'ollama:pid:7', verdict: 'lan' });
    expect(events[1]!.message).toContain('It was not running there before.');
  });

  it('rebinding the same port to loopback ends the exposure, under the new instance', () => {
    const before = scanOf([wildcardOllama(null, { pid: 7 })]);
    const after = scanOf([loopbackOllama({ pid: 8 })]);
    const events = diffScans(before, after, NOW);
    expect(kinds(events)).toEqual(['exposure-ended', 'instance-gone', 'new-instance']);
    expect(events[0]).toMatchObject({
      instance: 'ollama:pid:8',
      verdict: 'private',
      severity: 'info',
      data: { previous: 'lan', stopped: false },
    });
    expect(events[0]!.message).toContain('no longer reachable from other machines');
  });

  it('a restart with the same bind is no exposure change', () => {
    const events = diffScans(
      scanOf([wildcardOllama(null, { pid: 7 })]),
      scanOf([wildcardOllama(null, { pid: 9 })]),
      NOW,
    );
    expect(kinds(events)).toEqual(['instance-gone', 'new-instance']);
  });

  it('an exposed server that stops ends its exposure', () => {
    const events = diffScans(scanOf([wildcardOllama(null, { pid: 7 })]), scanOf([]), NOW);
    expect(kinds(events)).toEqual(['exposure-ended', 'instance-gone']);
    expect(events[0]).toMatchObject({ verdict: 'private', data: { stopped: true } });
    expect(events[0]!.message).toContain('Nothing listens on port 11434 any more');
  });

  it('lan to internet is an exposure that started; internet to lan is not one that ended', () => {
    const lan = scanOf([wildcardOllama()]);
    const internet = scanOf([
      {
        listeners: [
          { address: '::', dualStack: true, via: [{ address: LAN4 }, { address: PUBLIC4 }] },
        ],
      },
    ]);
    const up = diffScans(lan, internet, NOW);
    expect(kinds(up)).toEqual(['exposure-started']);
    expect(up[0]).toMatchObject({
      verdict: 'internet',
      severity: 'critical',
      data: { previous: 'lan' },
    });
    expect(diffScans(internet, lan, NOW)).toEqual([]);
  });

  it('a firewall that starts blocking every path ends the exposure', () => {
    const blocked = scanOf([wildcardOllama('blocked')]);
    expect(kinds(diffScans(scanOf([wildcardOllama()]), blocked, NOW))).toEqual(['exposure-ended']);
    expect(kinds(diffScans(blocked, scanOf([wildcardOllama()]), NOW))).toEqual([
      'exposure-started',
    ]);
  });

  it('a remote peer that connects raises remote-client with its address, once', () => {
    const quiet = scanOf([wildcardOllama()]);
    const busy = scanOf([wildcardOllama(null, { peers: [peer('192.168.1.77')] })]);
    const events = diffScans(quiet, busy, NOW);
    expect(kinds(events)).toEqual(['remote-client']);
    expect(events[0]).toMatchObject({
      instance: 'ollama:pid:42',
      severity: 'medium',
      data: { address: '192.168.1.77', ports: '11434', connections: 1, scope: 'private' },
    });
    expect(events[0]!.message).toContain('192.168.1.77');
    expect(events[0]!.message).toContain('port 11434');
    // Still connected at the next scan: nothing new.
    expect(diffScans(busy, busy, NOW)).toEqual([]);
  });

  it('local and loopback peers are not remote clients; a public one is high', () => {
    const local = scanOf([
      wildcardOllama(null, { peers: [peer(LAN4, { isLocalAddress: true }), peer('127.0.0.1')] }),
    ]);
    expect(diffScans(scanOf([wildcardOllama()]), local, NOW)).toEqual([]);
    const publicPeer = scanOf([wildcardOllama(null, { peers: [peer('198.51.100.9')] })]);
    expect(diffScans(scanOf([wildcardOllama()]), publicPeer, NOW)[0]).toMatchObject({
      kind: 'remote-client',
      severity: 'high',
    });
  });

  it('the first scan reports peers connected now', () => {
    const events = diffScans(
      null,
      scanOf([wildcardOllama(null, { peers: [peer('192.168.1.77')] })]),
      NOW,
    );
    expect(kinds(events)).toEqual(['exposure-started', 'remote-client']);
  });

  it('findings new and resolved by rule and place, accepted ones left out', () => {
    const origins = finding('origins-too-broad', 'ollama:pid:42');
    const logging = finding('request-logging', null, { severity: 'low' });
    const before = scanOf([loopbackOllama()], [origins]);
    const after = scanOf([loopbackOllama()], [logging]);
    const events = diffScans(before, after, NOW);
    expect(kinds(events)).toEqual(['finding-resolved', 'finding-new']);
    expect(events[0]).toMatchObject({
      instance: 'ollama:pid:42',
      data: { ruleId: 'origins-too-broad' },
    });
    expect(events[1]).toMatchObject({
      instance: null,
      severity: 'low',
      data: { findingId: 'request-logging@host' },
    });

    const accepted = { reason: 'lab box', acceptedAt: '2026-11-01T00:00:00.000Z', expiresAt: null };
    const acceptedAfter = scanOf([loopbackOllama()], [{ ...origins, accepted }]);
    expect(diffScans(before, acceptedAfter, NOW)).toEqual([]);
    expect(diffScans(scanOf([loopbackOllama()]), acceptedAfter, NOW)).toEqual([]);
    // An acceptance that lapses makes the finding new again.
    expect(kinds(diffScans(acceptedAfter, before, NOW))).toEqual(['finding-new']);
  });

  it('a finding that follows its server through a restart is neither resolved nor new', () => {
    const before = scanOf(
      [loopbackOllama({ pid: 7 })],
      [finding('origins-too-broad', 'ollama:pid:7')],
    );
    const after = scanOf(
      [loopbackOllama({ pid: 8 })],
      [finding('origins-too-broad', 'ollama:pid:8')],
    );
    expect(kinds(diffScans(before, after, NOW))).toEqual(['instance-gone', 'new-instance']);
  });

  it('a vulnerability finding raises vulnerable-version with the version', () => {
    const advisory = finding('known-advisory', 'ollama:pid:42', {
      category: 'vulnerability',
      severity: 'critical',
      title: 'Ollama 0.1.29 has known vulnerabilities',
    });
    const events = diffScans(
      scanOf([loopbackOllama({ version: '0.1.29' })]),
      scanOf([loopbackOllama({ version: '0.1.29' })], [advisory]),
      NOW,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'vulnerable-version',
      severity: 'critical',
      data: { version: '0.1.29', ruleId: 'known-advisory' },
    });
  });

  it('the GPU rule raises gpu-busy-remote with the utilisation and the peers', () => {
    const instances = [wildcardOllama(null, { peers: [peer('192.168.1.77')] })];
    const busy = finding('gpu-busy-for-remote', 'ollama:pid:42', {
      severity: 'high',
      category: 'activity',
    });
    const events = diffScans(scanOf(instances, [], [93]), scanOf(instances, [busy], [93]), NOW);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'gpu-busy-remote',
      severity: 'high',
      data: { utilizationPercent: 93, remotePeers: '192.168.1.77' },
    });
  });

  it('exposure and remote-client rules raise no finding events of their own', () => {
    const before = scanOf([loopbackOllama()]);
    const after = scanOf(
      [wildcardOllama()],
      [
        finding('exposed-to-lan', 'ollama:pid:42', { category: 'exposure' }),
        finding('remote-clients-connected', 'ollama:pid:42', { category: 'activity' }),
      ],
    );
    expect(kinds(diffScans(before, after, NOW))).toEqual(['exposure-started']);
    expect(kinds(diffScans(after, before, NOW))).toEqual(['exposure-ended']);
  });

  it('every event validates against the shared schema, with control characters removed', () => {
    const hostile = scanOf([
      wildcardOllama(null, { version: '0.5.1\u001b[31m', peers: [peer('192.168.1.77')] }),
    ]);
    const events = diffScans(scanOf([]), hostile, NOW);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(paddockEventSchema.safeParse(event).success).toBe(true);
      expect(event.message).not.toContain('\u001b');
      expect(event.id.startsWith(NOW.toISOString())).toBe(true);
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });
});

describe('eventForRun', () => {
  const run = (state: FixRun['state']): FixRun => ({
    id: 'run-20261128-abc',
    plan: {
      fixId: 'rebind-systemd',
      findingId: 'exposed-to-lan@ollama:pid:42',
      instance: 'ollama:pid:42',
      title: 'Bind Ollama to loopback',
      summary: '',
      warnings: [],
      requiresAdmin: true,
      steps: [],
      verification: {
        kind: 'instance-loopback-only',
        instance: 'ollama:pid:42',
        port: 11434,
        setting: null,
        description: '',
      },
      basedOn: '2026-11-28T12:00:00.000Z',
    },
    state,
    startedAt: '2026-11-28T12:00:00.000Z',
    endedAt: state === 'applying' ? null : '2026-11-28T12:00:03.000Z',
    outcome: 'Verified: Ollama listens on 127.0.0.1 only.',
    journal: [],
  });

  it('maps finished runs to fix-applied, fix-failed and fix-undone; runs in progress to none', () => {
    expect(eventForRun(run('applied'))).toMatchObject({
      kind: 'fix-applied',
      at: '2026-11-28T12:00:03.000Z',
      instance: 'ollama:pid:42',
      data: { runId: 'run-20261128-abc', fixId: 'rebind-systemd', state: 'applied' },
    });
    expect(eventForRun(run('rolled-back'))?.kind).toBe('fix-failed');
    expect(eventForRun(run('rollback-failed'))).toMatchObject({
      kind: 'fix-failed',
      severity: 'critical',
    });
    expect(eventForRun(run('undo-failed'))?.kind).toBe('fix-failed');
    expect(eventForRun(run('undone'))?.kind).toBe('fix-undone');
    expect(eventForRun(run('applying'))).toBeNull();
    expect(eventForRun(run('verifying'))).toBeNull();
    const applied = eventForRun(run('applied'))!;
    expect(applied.message).toContain('rebind-systemd');
    expect(applied.message).toContain('Verified: Ollama listens on 127.0.0.1 only.');
    expect(paddockEventSchema.safeParse(applied).success).toBe(true);
  });
});
