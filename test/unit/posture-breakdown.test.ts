/**
 * The score's breakdown and label (docs/score.md, "No server, no score", "Label",
 * "Breakdown"): the costs add up to the penalty, the fix gains of the doc's examples, no
 * server gives no score, and the label never says less than the verdict.
 */
import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../shared/findings';
import type { Finding, Severity } from '../../shared/findings';
import { fixIdSchema } from '../../shared/fixes';
import type { Exposure, Instance, Snapshot } from '../../shared/snapshot';
import {
  PLANNABLE_FIXES,
  posture,
  scoreBreakdown,
  severityPenalty,
} from '../../electron/engine/posture';

type Server = { id: string; exposure: Exposure } & Partial<Instance>;
const A = 'ollama:pid:1';
const B = 'ollama:pid:2';

/** A snapshot with these servers (what posture reads: the verdict and the instances). */
function snap(verdict: Exposure, servers: Server[] = [{ id: A, exposure: verdict }]): Snapshot {
  return { verdict, instances: servers } as unknown as Snapshot;
}

let serial = 0;
function finding(
  severity: Severity,
  fixes: string[] = [],
  instance: string | null = A,
  accepted = false,
): Finding {
  serial += 1;
  const ruleId = `rule-${String(serial).padStart(4, '0')}`;
  return {
    id: `${ruleId}@${instance ?? 'host'}`,
    ruleId,
    instance,
    severity,
    category: 'exposure',
    title: `finding ${serial}`,
    summary: '',
    attackerCan: [],
    evidence: [],
    fixes,
    references: [],
    accepted: accepted
      ? { reason: 'lab machine', acceptedAt: '2026-08-01T00:00:00.000Z', expiresAt: null }
      : null,
  };
}
const many = (severity: Severity, n: number, fixes: string[] = []) =>
  Array.from({ length: n }, () => finding(severity, fixes));

const gains = (p: ReturnType<typeof posture>) =>
  p.breakdown!.fixes.map((f) => `${f.fixId}@${f.instance}→${f.scoreAfter}(+${f.gain})`);

describe('no server, no score', () => {
  it('no instance: score, label and breakdown are null, findings still counted', () => {
    const p = posture(snap('private', []), [finding('medium', [], null)]);
    expect(p.score).toBeNull();
    expect(p.label).toBeNull();
    expect(p.breakdown).toBeNull();
    expect(p.counts.medium).toBe(1);
    expect(posture(snap('unknown', []), []).score).toBeNull();
    expect(scoreBreakdown(snap('private', []), [])).toBeNull();
  });

  it('one server: a score, never null', () => {
    expect(posture(snap('private'), []).score).toBe(100);
  });
});

describe('the costs add up to the penalty', () => {
  it('5 medium: 8, 5.5, 4.25, 3.625, 3.3125 (docs/score.md)', () => {
    const b = posture(snap('private'), many('medium', 5)).breakdown!;
    expect(b.findings.map((f) => f.cost)).toEqual([8, 5.5, 4.25, 3.625, 3.3125]);
    expect(b.penalty).toBe(24.6875);
    expect(b.raw).toBe(75);
    expect(b.cap).toBe(100);
  });

  it('for random lists: Σ cost = Σ severityPenalty, in the formula order, accepted ones left out', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let round = 0; round < 300; round += 1) {
      const list = Array.from({ length: Math.floor(random() * 14) }, () =>
        finding(SEVERITIES[Math.floor(random() * 5)]!, [], A, random() < 0.2),
      );
      const p = posture(snap('private'), list);
      const b = p.breakdown!;
      const open = list.filter((f) => !f.accepted);
      expect(b.findings).toHaveLength(open.length);
      const expected = SEVERITIES.reduce(
        (sum, s) => sum + severityPenalty(s, open.filter((f) => f.severity === s).length),
        0,
      );
      const total = b.findings.reduce((sum, f) => sum + f.cost, 0);
      expect(total).toBeCloseTo(expected, 9);
      expect(b.penalty).toBeCloseTo(expected, 9);
      expect(p.score).toBe(Math.max(0, Math.min(b.cap, b.raw)));
      // Most severe first.
      const ranks = b.findings.map((f) => SEVERITIES.indexOf(f.severity));
      expect([...ranks].sort((x, y) => x - y)).toEqual(ranks);
      // The input's order changes nothing.
      expect(posture(snap('private'), [...list].reverse())).toEqual(p);
    }
  });
});

describe('fix gains: the examples of docs/score.md', () => {
  it('lan, 1 high (rebind-systemd, block-port): 50; either fix → 100, private', () => {
    const p = posture(snap('lan'), [finding('high', ['rebind-systemd', 'block-port'])]);
    expect(p.score).toBe(50);
    expect(p.breakdown).toMatchObject({ penalty: 20, raw: 80, cap: 50 });
    expect(gains(p)).toEqual([`block-port@${A}→100(+50)`, `rebind-systemd@${A}→100(+50)`]);
    expect(p.breakdown!.fixes.every((f) => f.closesExposure && f.verdictAfter === 'private')).toBe(
      true,
    );
  });

  it('lan, 1 critical (rebind-systemd) and 1 medium (tighten-origins): 50; 92 and 50', () => {
    const p = posture(snap('lan'), [
      finding('critical', ['rebind-systemd']),
      finding('medium', ['tighten-origins']),
    ]);
    expect(p.score).toBe(50);
    expect(p.breakdown).toMatchObject({ penalty: 48, raw: 52, cap: 50 });
    expect(gains(p)).toEqual([`rebind-systemd@${A}→92(+42)`, `tighten-origins@${A}→50(+0)`]);
    expect(p.breakdown!.fixes[1]).toMatchObject({ closesExposure: false, verdictAfter: 'lan' });
  });

  it('private, 1 medium (tighten-origins), 2 low (stop-request-logging): 87; 95 and 92', () => {
    const p = posture(snap('private'), [
      finding('medium', ['tighten-origins']),
      ...many('low', 2, ['stop-request-logging']),
    ]);
    expect(p.score).toBe(87);
    expect(p.breakdown!.findings.map((f) => f.cost)).toEqual([8, 3, 1.5]);
    expect(gains(p)).toEqual([`tighten-origins@${A}→95(+8)`, `stop-request-logging@${A}→92(+5)`]);
    expect(p.breakdown!.fixes[1]!.resolves).toHaveLength(2);
  });

  it('two servers: closing one leaves the other’s verdict; stop-tunnel leaves it alone', () => {
    const servers = [
      { id: A, exposure: 'lan' as const },
      { id: B, exposure: 'internet' as const },
    ];
    const p = posture(snap('internet', servers), [
      finding('high', ['rebind-systemd'], A),
      finding('critical', ['block-port', 'stop-tunnel'], B),
    ]);
    expect(p.score).toBe(20);
    expect(p.breakdown).toMatchObject({ penalty: 60, raw: 40, cap: 20 });
    expect(gains(p)).toEqual([
      `block-port@${B}→50(+30)`,
      `rebind-systemd@${A}→20(+0)`,
      `stop-tunnel@${B}→20(+0)`,
    ]);
    expect(p.breakdown!.fixes[0]!.verdictAfter).toBe('lan');
    expect(p.breakdown!.fixes[2]).toMatchObject({
      closesExposure: false,
      verdictAfter: 'internet',
    });
  });

  it('only plannable fixes, never for accepted findings', () => {
    const p = posture(snap('lan'), [
      finding('high', ['upgrade-ollama', 'enable-firewall']),
      finding('medium', ['tighten-origins'], A, true),
    ]);
    expect(p.breakdown!.fixes).toEqual([]);
    expect(p.breakdown!.findings).toHaveLength(1);
  });

  it('a fix never lowers the score: gain ≥ 0 and scoreAfter ≤ 100', () => {
    const p = posture(snap('unknown'), [finding('low', ['block-port'])]);
    for (const fix of p.breakdown!.fixes) {
      expect(fix.gain).toBeGreaterThanOrEqual(0);
      expect(fix.scoreAfter).toBeLessThanOrEqual(100);
    }
    expect(gains(p)).toEqual([`block-port@${A}→100(+20)`]);
  });

  it('PLANNABLE_FIXES is shared/fixes.ts fixIdSchema without Paddock’s own service fixes', () => {
    expect([...PLANNABLE_FIXES].sort()).toEqual(
      fixIdSchema.options.filter((id) => !id.startsWith('service-')).sort(),
    );
  });
});

describe('the label never contradicts the verdict', () => {
  it.each<[Exposure, Finding[], string]>([
    ['private', [], 'Good'],
    ['private', [finding('medium'), ...many('low', 2)], 'Good'],
    ['private', [finding('high'), finding('medium')], 'Fair'],
    ['private', many('critical', 2), 'At risk'],
    ['unknown', [], 'Fair'],
    ['unknown', [finding('critical')], 'Fair'],
    ['unknown', [finding('critical'), finding('high')], 'At risk'],
    ['lan', [], 'Exposed'],
    ['internet', [], 'Exposed'],
  ])('%s with %# → %s', (verdict, findings, label) => {
    expect(posture(snap(verdict), findings).label).toBe(label);
  });

  it('a server others reach is never Good or Fair, whatever the findings', () => {
    for (const verdict of ['lan', 'internet'] as const)
      expect(posture(snap(verdict), []).label).toBe('Exposed');
  });

  it('shared with chosen machines or a VPN only: Shared; with a tunnel too: Exposed', () => {
    const shared = { id: A, exposure: 'lan' as const, sharedWith: ['192.168.1.31'] };
    expect(posture(snap('lan', [shared]), []).label).toBe('Shared');
    const vpn = { id: A, exposure: 'lan' as const, sharedOver: ['wg0'] };
    expect(posture(snap('lan', [vpn]), []).label).toBe('Shared');
    const tunnelled = { ...shared, tunnels: [{} as never] };
    expect(posture(snap('lan', [tunnelled]), []).label).toBe('Exposed');
    const other = { id: B, exposure: 'lan' as const };
    expect(posture(snap('lan', [shared, other]), []).label).toBe('Exposed');
  });
});
