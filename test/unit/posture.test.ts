/** The posture score: the formula of docs/score.md, and the properties it promises. */
import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../shared/findings';
import type { Finding, Severity } from '../../shared/findings';
import type { Exposure, Snapshot } from '../../shared/snapshot';
import { VERDICT_CAP, posture, severityPenalty } from '../../electron/engine/posture';

const VERDICTS: Exposure[] = ['private', 'unknown', 'lan', 'internet'];

/**
 * posture() reads the verdict of a snapshot and its servers (none: no score); one server here,
 * exposed as the verdict says.
 */
const snap = (verdict: Exposure) =>
  ({ verdict, instances: [{ id: 'ollama:pid:1', exposure: verdict }] }) as unknown as Snapshot;

let serial = 0;
function finding(severity: Severity, accepted = false): Finding {
  serial += 1;
  return {
    id: `rule-${serial}@host`,
    ruleId: `rule-${serial}`,
    instance: null,
    severity,
    category: 'exposure',
    title: `finding ${serial}`,
    summary: '',
    attackerCan: [],
    evidence: [],
    fixes: [],
    references: [],
    accepted: accepted
      ? { reason: 'lab machine', acceptedAt: '2026-08-01T00:00:00.000Z', expiresAt: null }
      : null,
  };
}
const many = (severity: Severity, n: number) => Array.from({ length: n }, () => finding(severity));

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('posture: the examples of docs/score.md', () => {
  it.each<[Exposure, Finding[], number]>([
    ['private', [], 100],
    ['private', [finding('medium'), ...many('low', 2)], 87],
    ['private', [finding('high'), finding('medium')], 72],
    ['private', many('medium', 5), 75],
    ['private', many('critical', 2), 30],
    ['unknown', [finding('low')], 80],
    ['lan', [finding('critical')], 50],
    ['internet', [finding('critical'), finding('high')], 20],
    ['internet', [...many('critical', 3), ...many('high', 2), ...many('medium', 4)], 0],
  ])('%s with %j → %i', (verdict, findings, score) => {
    expect(posture(snap(verdict), findings).score).toBe(score);
  });

  it('diminishing returns toward the next milder severity', () => {
    expect([1, 2, 3].map((n) => severityPenalty('critical', n))).toEqual([40, 70, 95]);
    expect([1, 2, 3].map((n) => severityPenalty('high', n))).toEqual([20, 34, 45]);
    expect([1, 2, 3].map((n) => severityPenalty('medium', n))).toEqual([8, 13.5, 17.75]);
    expect([1, 2, 3].map((n) => severityPenalty('low', n))).toEqual([3, 4.5, 5.25]);
    expect(severityPenalty('low', 10_000)).toBe(6);
    expect(severityPenalty('info', 50)).toBe(0);
    expect(posture(snap('private'), many('critical', 1000)).score).toBe(0);
    expect(posture(snap('private'), many('low', 1000)).score).toBe(94);
    expect(posture(snap('private'), many('info', 1000)).score).toBe(100);
  });

  it('one more finding of a severity never takes off less than one of the next milder', () => {
    for (let i = 0; i < SEVERITIES.length - 1; i += 1) {
      const severity = SEVERITIES[i] as Severity;
      const milder = SEVERITIES[i + 1] as Severity;
      for (let n = 0; n < 60; n += 1) {
        const marginal = severityPenalty(severity, n + 1) - severityPenalty(severity, n);
        expect(marginal, `${severity} #${n + 1}`).toBeGreaterThanOrEqual(
          severityPenalty(milder, 1),
        );
      }
    }
  });
});

describe('posture: counts and accepted findings', () => {
  it('counts unaccepted findings per severity, every severity present', () => {
    const p = posture(snap('lan'), [finding('high'), finding('high'), finding('info')]);
    expect(p.counts).toEqual({ critical: 0, high: 2, medium: 0, low: 0, info: 1 });
    expect(p.accepted).toBe(0);
    expect(p.verdict).toBe('lan');
  });

  it('accepted findings never count, and are counted as accepted', () => {
    const open = [finding('medium')];
    const accepted = [finding('critical', true), finding('high', true), finding('low', true)];
    const p = posture(snap('private'), [...open, ...accepted]);
    expect(p.score).toBe(posture(snap('private'), open).score);
    expect(p.counts).toEqual({ critical: 0, high: 0, medium: 1, low: 0, info: 0 });
    expect(p.accepted).toBe(3);
    expect(posture(snap('private'), accepted).score).toBe(100);
  });
});

describe('posture: verdict caps', () => {
  it.each(VERDICTS)('%s: no findings gives the cap, findings never exceed it', (verdict) => {
    expect(posture(snap(verdict), []).score).toBe(VERDICT_CAP[verdict]);
    expect(posture(snap(verdict), [finding('low')]).score).toBeLessThanOrEqual(
      VERDICT_CAP[verdict],
    );
  });

  it('caps are internet 20, lan 50, unknown 80, private 100', () => {
    expect(VERDICT_CAP).toEqual({ internet: 20, lan: 50, unknown: 80, private: 100 });
  });

  it('a worse verdict never scores better with the same findings', () => {
    const findings = [finding('medium'), finding('low')];
    const scores = ['private', 'unknown', 'lan', 'internet'].map(
      (v) => posture(snap(v as Exposure), findings).score,
    );
    expect([...scores].sort((a, b) => b! - a!)).toEqual(scores);
  });
});

describe('posture: properties (seeded, bounded)', () => {
  const random = prng(20260821);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const randomFinding = () => finding(pick(SEVERITIES), random() < 0.2);
  const randomList = () => Array.from({ length: Math.floor(random() * 12) }, randomFinding);

  it('adding any finding anywhere never raises the score', () => {
    for (let round = 0; round < 2000; round += 1) {
      const verdict = pick(VERDICTS);
      const before = randomList();
      const added = randomFinding();
      const at = Math.floor(random() * (before.length + 1));
      const after = [...before.slice(0, at), added, ...before.slice(at)];
      const a = posture(snap(verdict), before).score!;
      const b = posture(snap(verdict), after).score!;
      expect(
        b,
        `${verdict} ${before.map((f) => f.severity)} + ${added.severity}`,
      ).toBeLessThanOrEqual(a);
      if (added.accepted) expect(b).toBe(a);
    }
  });

  it('is an integer in 0..100 and does not depend on the order of the findings', () => {
    for (let round = 0; round < 500; round += 1) {
      const verdict = pick(VERDICTS);
      const list = randomList();
      const shuffled = [...list].sort(() => random() - 0.5);
      const p = posture(snap(verdict), list);
      expect(Number.isInteger(p.score)).toBe(true);
      expect(p.score).toBeGreaterThanOrEqual(0);
      expect(p.score).toBeLessThanOrEqual(100);
      expect(posture(snap(verdict), shuffled)).toEqual(p);
      expect(posture(snap(verdict), list)).toEqual(p); // same input, same answer
    }
  });

  it("worsening one finding's severity never raises the score", () => {
    for (let round = 0; round < 1000; round += 1) {
      const list = randomList().map((f) => ({ ...f, accepted: null }));
      if (list.length === 0) continue;
      const i = Math.floor(random() * list.length);
      const current = SEVERITIES.indexOf(list[i]!.severity);
      if (current === 0) continue;
      const worse = [...list];
      worse[i] = { ...list[i]!, severity: SEVERITIES[current - 1]! };
      expect(posture(snap('private'), worse).score).toBeLessThanOrEqual(
        posture(snap('private'), list).score!,
      );
    }
  });
});
