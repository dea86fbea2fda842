import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../shared/findings';
import type { PaddockEvent } from '../../../shared/events';
import {
  argvText,
  diffLineKind,
  fixLabel,
  formatBytes,
  loadedModelPlace,
  gpuSeries,
  groupBySeverity,
  hasGpuReadings,
  isPlannableFix,
  journalText,
  linePath,
  newestFirst,
  ollamaPresence,
  prependEvent,
  probeProblems,
  relativeTime,
  validateAcceptance,
  verdictSentence,
} from '../../../renderer/src/format';
import {
  actionLabel,
  firewallUnread,
  groupByFix,
  humanText,
  isStale,
  reachSentence,
  recommendedAction,
  serverName,
} from '../../../renderer/src/format';
import { assess } from '../../../electron/engine/assess';
import {
  LAN_INTERFACE,
  LOOPBACK_INTERFACE,
  PUBLIC4,
  PUBLIC_INTERFACE,
  buildSnapshot,
  container,
  firewallFacts,
  lanPaths,
  setting,
  wildcardOllama,
} from '../../rules/snapshots';

const finding = (id: string, severity: Finding['severity']): Finding => ({
  id,
  ruleId: id,
  instance: null,
  severity,
  category: 'exposure',
  title: id,
  summary: '',
  attackerCan: [],
  evidence: [],
  fixes: [],
  references: [],
  accepted: null,
});

const event = (id: string, at: string): PaddockEvent => ({
  id,
  kind: 'remote-client',
  at,
  instance: null,
  verdict: null,
  severity: 'info',
  message: id,
  data: {},
});

describe('renderer format helpers', () => {
  it('says each verdict in the words the end-to-end tests look for', () => {
    expect(verdictSentence('private')).toBe('Private to this computer');
    expect(verdictSentence('lan')).toBe('Reachable from the local network');
    expect(verdictSentence('internet')).toBe('Reachable from the internet');
    expect(verdictSentence('unknown')).toBe('Unknown');
  });

  it('groups findings most severe first and keeps the engine order inside a group', () => {
    const groups = groupBySeverity([
      finding('a', 'low'),
      finding('b', 'critical'),
      finding('c', 'low'),
      finding('d', 'high'),
    ]);
    expect(groups.map((g) => g.severity)).toEqual(['critical', 'high', 'low']);
    expect(groups[2]!.findings.map((f) => f.id)).toEqual(['a', 'c']);
  });

  it('writes times relative to now, past and future', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(relativeTime('2026-11-28T11:59:50Z', now)).toBe('just now');
    expect(relativeTime('2026-11-28T11:55:00Z', now)).toBe('5 minutes ago');
    expect(relativeTime('2026-11-28T11:00:00Z', now)).toBe('1 hour ago');
    expect(relativeTime('2026-11-30T12:00:00Z', now)).toBe('in 2 days');
    expect(relativeTime('2026-01-01T00:00:00Z', now)).toBe('2026-01-01');
    expect(relativeTime(null, now)).toBe('unknown time');
    expect(relativeTime('not a date', now)).toBe('not a date');
  });

  it('says where a loaded model sits: on the GPU, split, or on the CPU (never "0 B")', () => {
    expect(loadedModelPlace(2_300_000_000, 2_300_000_000)).toBe('2.14 GiB on GPU');
    expect(loadedModelPlace(2_300_000_000, 1_073_741_824)).toBe('1 GiB of 2.14 GiB on GPU');
    expect(loadedModelPlace(2_300_000_000, 0)).toBe('2.14 GiB, on CPU');
    expect(loadedModelPlace(null, 0)).toBe('on CPU');
    // A server that does not say (older /api/ps): the size alone.
    expect(loadedModelPlace(2_300_000_000, undefined)).toBe('2.14 GiB');
    expect(loadedModelPlace(null, null)).toBe('—');
  });

  it('writes sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(2_300_000_000)).toBe('2.14 GiB');
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
  });

  it('colours unified diff lines by their first character, headers apart', () => {
    expect(diffLineKind('--- a/etc/x')).toBe('header');
    expect(diffLineKind('+++ b/etc/x')).toBe('header');
    expect(diffLineKind('@@ -1 +1 @@')).toBe('hunk');
    expect(diffLineKind('+OLLAMA_HOST=127.0.0.1')).toBe('add');
    expect(diffLineKind('-OLLAMA_HOST=0.0.0.0')).toBe('remove');
    expect(diffLineKind(' [Service]')).toBe('context');
  });

  it('knows which fixes the engine can plan and names the others', () => {
    expect(isPlannableFix('block-port')).toBe(true);
    expect(isPlannableFix('upgrade-ollama')).toBe(false);
    expect(fixLabel('upgrade-ollama')).toBe('Upgrade Ollama');
    expect(fixLabel('some-new-fix')).toBe('Some new fix');
  });

  it('quotes argv elements that a shell would split when copying a command', () => {
    expect(argvText(['systemctl', 'restart', 'ollama.service'])).toBe(
      'systemctl restart ollama.service',
    );
    expect(argvText(['env', 'A=b c', "it's"])).toBe(`env 'A=b c' 'it'\\''s'`);
  });

  it('numbers journal steps from one', () => {
    expect(journalText({ at: '', step: 0, event: 'step-done', detail: 'Reload systemd' })).toBe(
      'Step 1 done: Reload systemd',
    );
    expect(journalText({ at: '', step: null, event: 'verify-ok', detail: '' })).toBe('Verified');
  });

  it('requires a reason to accept a risk and a future date when one is given', () => {
    const now = Date.parse('2026-11-28T12:00:00Z');
    expect(validateAcceptance('  ', '', now)).toMatch(/why/);
    expect(validateAcceptance('lab only', '', now)).toBeNull();
    expect(validateAcceptance('lab only', '2027-01-31', now)).toBeNull();
    expect(validateAcceptance('lab only', '2026-11-01', now)).toMatch(/future/);
    expect(validateAcceptance('lab only', '31/01/2027', now)).toMatch(/YYYY-MM-DD/);
  });

  it('keeps events newest first and adds a pushed one once', () => {
    const a = event('a', '2026-11-28T10:00:00Z');
    const b = event('b', '2026-11-28T11:00:00Z');
    expect(newestFirst([a, b]).map((e) => e.id)).toEqual(['b', 'a']);
    const c = event('c', '2026-11-28T12:00:00Z');
    expect(prependEvent([b, a], c).map((e) => e.id)).toEqual(['c', 'b', 'a']);
    expect(prependEvent([c, b, a], c)).toHaveLength(3);
    expect(prependEvent([b, a], c, 2).map((e) => e.id)).toEqual(['c', 'b']);
  });

  it('draws the GPU lines as percentages and breaks them where a reading is missing', () => {
    const samples = [
      { at: 't1', utilizationPercent: 0, memoryUsedMiB: 50, memoryTotalMiB: 100 },
      { at: 't2', utilizationPercent: null, memoryUsedMiB: null, memoryTotalMiB: 100 },
      { at: 't3', utilizationPercent: 150, memoryUsedMiB: 100, memoryTotalMiB: 100 },
    ];
    const series = gpuSeries(samples);
    expect(series.utilization).toEqual([0, null, 100]);
    expect(series.vram).toEqual([50, null, 100]);
    expect(linePath(series.utilization, 100, 50)).toBe('M0 50M100 0');
    expect(linePath([10, 20], 100, 100)).toBe('M0 90L100 80');
    expect(linePath([], 100, 100)).toBe('');
    expect(hasGpuReadings(samples)).toBe(true);
    expect(hasGpuReadings([samples[1]!])).toBe(false);
  });

  it('tells no Ollama from a stopped one by the settings it left', () => {
    expect(ollamaPresence(buildSnapshot({}))).toBe('not-found');
    expect(
      ollamaPresence(
        buildSnapshot({
          persistentSettings: [setting('OLLAMA_HOST', '0.0.0.0', { state: 'latent' })],
        }),
      ),
    ).toBe('stopped');
    expect(ollamaPresence(buildSnapshot({ instances: [wildcardOllama()] }))).toBe('running');
  });

  it('says to check with admin rights when the firewall could not be read (no command line)', () => {
    const denied = buildSnapshot({
      firewall: { status: 'denied', facts: null, message: 'nft needs root' },
    });
    const problems = probeProblems(denied);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.hint).toMatch(/Check with admin rights/);
    expect(problems[0]!.hint).not.toContain('`');
    // A backend denied inside a probe that is otherwise ok counts too.
    const inner = buildSnapshot({ firewall: { status: 'ok', facts: firewallFacts('denied') } });
    expect(probeProblems(inner).map((p) => p.probe)).toEqual(['firewall']);
    expect(probeProblems(buildSnapshot({}))).toEqual([]);
  });
});

describe('issue 18: human names, the recommended action, one sentence per server', () => {
  const internet = buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
    firewall: { status: 'ok', facts: firewallFacts('off') },
    instances: [
      {
        settings: [setting('OLLAMA_HOST', '0.0.0.0')],
        listeners: [
          {
            address: '::',
            dualStack: true,
            via: [...lanPaths('allowed'), { address: PUBLIC4, firewall: 'allowed' }],
          },
        ],
      },
    ],
  });
  const docker = buildSnapshot({
    instances: [
      {
        id: 'ollama:port:8000',
        pid: null,
        containers: [container({ names: ['/pdk-ollama'], publish: { hostPort: 8000 } })],
        listeners: [
          {
            path: 'docker',
            address: '0.0.0.0',
            port: 8000,
            owner: null,
            via: [{ address: '192.168.1.20' }],
          },
        ],
      },
    ],
  });

  it('names a server as a person would, never by its id', () => {
    expect(serverName(internet.instances[0]!)).toBe('Ollama service · port 11434');
    expect(serverName(docker.instances[0]!)).toBe('Container pdk-ollama · port 8000');
    const lmstudio = buildSnapshot({
      instances: [{ kind: 'lmstudio', listeners: [{ address: '127.0.0.1', port: 1234 }] }],
    });
    expect(serverName(lmstudio.instances[0]!)).toBe('LM Studio · port 1234');
  });

  it('rewrites ids and pids out of engine text', () => {
    expect(
      humanText(
        'Ollama 0.12.10 (pid 42) answers; see ollama:pid:42. Run `paddock scan --elevated` to read it.',
        internet,
      ),
    ).toBe(
      'Ollama 0.12.10 answers; see Ollama service · port 11434. Use “Check with admin rights…” to read it.',
    );
  });

  it('recommends the first applicable fix of the worst exposure finding, as the tray does', async () => {
    const { findings } = await assess(internet, { settingsPath: null });
    const action = recommendedAction(findings, internet)!;
    expect(action.fixId).toBe('rebind-systemd');
    expect(action.label).toBe('Make Ollama private to this computer');
    expect(action.alternatives).toContain('block-port');
    expect(action.share).toContain('share-allowlist');
    const groups = groupByFix(
      findings.filter((f) => f.accepted === null),
      internet,
      action,
    );
    expect(groups[0]!.fixId).toBe('rebind-systemd');
    expect(groups[0]!.findings.length).toBeGreaterThan(1);
    // Accepted: not the recommendation any more.
    const accepted = findings.map((f) => ({
      ...f,
      accepted: { reason: 'x', acceptedAt: 't', expiresAt: null },
    }));
    expect(recommendedAction(accepted, internet)).toBeNull();
  });

  it('never recommends a unit rebind for a container', async () => {
    const { findings } = await assess(docker, { settingsPath: null });
    const action = recommendedAction(findings, docker)!;
    expect(action.fixId).toBe('docker-localhost');
    expect(action.label).toBe('Publish the container on this computer only');
    expect(actionLabel('block-port', internet.instances[0]!)).toBe(
      'Close port 11434 to other machines',
    );
  });

  it('gives the deciding fact in one sentence', () => {
    expect(reachSentence(internet.instances[0]!, internet)).toBe(
      'It answers on 203.0.113.20, a public address on eth1 (and 3 more addresses), and no firewall rule blocks port 11434.',
    );
    const denied = buildSnapshot({
      instances: [wildcardOllama()],
      firewall: { status: 'denied', facts: firewallFacts('denied') },
    });
    expect(firewallUnread(denied)).toBe(true);
    expect(firewallUnread(internet)).toBe(false);
    expect(reachSentence(denied.instances[0]!, denied)).toMatch(
      /the firewall could not be read without admin rights, so port 11434 is assumed open\.$/,
    );
  });

  it('marks a scan stale past the interval and five minutes', () => {
    const at = Date.parse('2026-12-01T12:00:00Z');
    expect(isStale('2026-12-01T12:00:00Z', at + 14 * 60_000)).toBe(false);
    expect(isStale('2026-12-01T12:00:00Z', at + 16 * 60_000)).toBe(true);
    expect(isStale('2026-12-01T12:00:00Z', at + 16 * 60_000, 30)).toBe(false);
    expect(isStale('not a time', at)).toBe(true);
  });
});
