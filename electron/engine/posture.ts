/**
 * The posture: the verdict, a 0-100 score and counts. Pure and deterministic; the formula is
 * written down in docs/score.md, and a change to one changes the other.
 */
import { SEVERITIES } from '../../shared/severity';
import type { Finding, Posture, Severity } from '../../shared/findings';
import type { Exposure, Snapshot } from '../../shared/snapshot';

/** What the first unaccepted finding of a severity takes off the score. */
export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = {
  critical: 40,
  high: 20,
  medium: 8,
  low: 3,
  info: 0,
};

/** Each further finding of a severity takes off this fraction of the excess of the one before. */
export const DIMINISHING_RATIO = 0.5;

/** The best score a verdict allows: a server others can reach is never "fine". */
export const VERDICT_CAP: Readonly<Record<Exposure, number>> = {
  private: 100,
  unknown: 80,
  lan: 50,
  internet: 20,
};

/** The weight of the next milder severity (0 below info). */
function floorWeight(severity: Severity): number {
  const milder = SEVERITIES[SEVERITIES.indexOf(severity) + 1];
  return milder === undefined ? 0 : SEVERITY_WEIGHT[milder];
}

/**
 * What n findings of one severity take off. The k-th (from 0) takes off
 * `f + (w − f)·r^k`, where w is the severity's weight and f the weight of the next milder
 * severity: returns diminish, but one more finding never counts for less than a single
 * finding of the milder severity, so making a finding more severe never raises the score.
 * Summed in closed form, `n·f + (w − f)·(1 − r^n)/(1 − r)`, so order cannot change it.
 */
export function severityPenalty(severity: Severity, n: number): number {
  if (n <= 0) return 0;
  const w = SEVERITY_WEIGHT[severity];
  const f = floorWeight(severity);
  return n * f + ((w - f) * (1 - DIMINISHING_RATIO ** n)) / (1 - DIMINISHING_RATIO);
}

export function posture(snapshot: Snapshot, findings: Finding[]): Posture {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let accepted = 0;
  for (const finding of findings) {
    if (finding.accepted) accepted += 1;
    else counts[finding.severity] += 1;
  }
  let penalty = 0;
  for (const severity of SEVERITIES) penalty += severityPenalty(severity, counts[severity]);
  const verdict = snapshot.verdict;
  const raw = Math.floor(100 - penalty);
  const score = Math.max(0, Math.min(VERDICT_CAP[verdict] ?? VERDICT_CAP.unknown, raw));
  return { verdict, score, counts, accepted };
}
