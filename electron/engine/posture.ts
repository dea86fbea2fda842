/**
 * The posture: the verdict, a 0-100 score (null with no server), its word and its breakdown,
 * and counts. Pure and deterministic; the formula is written down in docs/score.md, and a
 * change to one changes the other.
 */
import { PLANNABLE_FIX_IDS } from '../../shared/fix-ids';
import { SEVERITIES } from '../../shared/severity';
import type { Finding, Posture, ScoreBreakdown, ScoreLabel, Severity } from '../../shared/findings';
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

type Counts = Record<Severity, number>;

const zeroCounts = (): Counts =>
  Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;

/** Steps 3 to 5 of the formula: the score for a verdict and the unaccepted counts. */
export function scoreOf(verdict: Exposure, counts: Readonly<Counts>): number {
  let penalty = 0;
  for (const severity of SEVERITIES) penalty += severityPenalty(severity, counts[severity]);
  const raw = Math.floor(100 - penalty);
  return Math.max(0, Math.min(VERDICT_CAP[verdict] ?? VERDICT_CAP.unknown, raw));
}

/** The fixes Paddock can plan for a server (shared/fix-ids.ts, zod-free). A finding may also
 * name fixes done by hand (upgrade-ollama, …). */
export const PLANNABLE_FIXES: readonly string[] = PLANNABLE_FIX_IDS;

/**
 * The fixes that stop every other machine reaching the server they are planned for: it then
 * listens on loopback only, or the firewall refuses its port to everyone else. Others close
 * one way in only (stop-tunnel), cut off one client (block-client) or share on purpose (share-*),
 * and leave the verdict alone.
 */
export const EXPOSURE_CLOSING_FIXES: readonly string[] = [
  'rebind-systemd',
  'rebind-server',
  'rebind-launchd',
  'rebind-windows',
  'block-port',
  'docker-localhost',
];

const EXPOSURE_RANK: Record<Exposure, number> = { private: 0, unknown: 1, lan: 2, internet: 3 };
const worst = (exposures: Exposure[]): Exposure =>
  exposures.reduce<Exposure>((a, b) => (EXPOSURE_RANK[b] > EXPOSURE_RANK[a] ? b : a), 'private');
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * How the score comes about (docs/score.md, "Breakdown"): what each unaccepted finding takes
 * off, in the formula's order (most severe first; within a severity by id, so the input's
 * order never changes who pays what), the verdict's cap, and for each plannable fix named by
 * an unaccepted finding the best score it could leave. Null when no server was found.
 */
export function scoreBreakdown(snapshot: Snapshot, findings: Finding[]): ScoreBreakdown | null {
  if (snapshot.instances.length === 0) return null;
  const open = findings.filter((f) => !f.accepted);
  const parts: ScoreBreakdown['findings'] = [];
  let penalty = 0;
  for (const severity of SEVERITIES) {
    const w = SEVERITY_WEIGHT[severity];
    const f = floorWeight(severity);
    const ofSeverity = open.filter((x) => x.severity === severity);
    ofSeverity.sort((a, b) => byText(a.id, b.id));
    ofSeverity.forEach((finding, k) => {
      const cost = f + (w - f) * DIMINISHING_RATIO ** k;
      penalty += cost;
      parts.push({ findingId: finding.id, severity, cost });
    });
  }
  const verdict = snapshot.verdict;
  const cap = VERDICT_CAP[verdict] ?? VERDICT_CAP.unknown;
  const score = scoreOf(verdict, countsOf(open));

  const groups = new Map<string, { fixId: string; instance: string | null; resolves: Finding[] }>();
  for (const finding of open)
    for (const fixId of finding.fixes) {
      if (!PLANNABLE_FIXES.includes(fixId)) continue;
      const key = `${fixId}\u0000${finding.instance ?? ''}`;
      const group = groups.get(key) ?? { fixId, instance: finding.instance, resolves: [] };
      if (!group.resolves.includes(finding)) group.resolves.push(finding);
      groups.set(key, group);
    }
  const fixes: ScoreBreakdown['fixes'] = [...groups.values()].map(
    ({ fixId, instance, resolves }) => {
      const closesExposure = instance !== null && EXPOSURE_CLOSING_FIXES.includes(fixId);
      const verdictAfter = closesExposure
        ? worst(snapshot.instances.filter((i) => i.id !== instance).map((i) => i.exposure))
        : verdict;
      const left = open.filter((f) => !resolves.includes(f));
      const scoreAfter = Math.max(score, scoreOf(verdictAfter, countsOf(left)));
      return {
        fixId,
        instance,
        resolves: resolves.map((f) => f.id).sort(byText),
        closesExposure,
        verdictAfter,
        scoreAfter,
        gain: scoreAfter - score,
      };
    },
  );
  fixes.sort(
    (a, b) =>
      b.scoreAfter - a.scoreAfter ||
      Number(b.closesExposure) - Number(a.closesExposure) ||
      b.resolves.length - a.resolves.length ||
      byText(a.fixId, b.fixId) ||
      byText(a.instance ?? '', b.instance ?? ''),
  );
  return { penalty, raw: Math.floor(100 - penalty), cap, findings: parts, fixes };
}

/**
 * The score in one word (docs/score.md, "Label"). It never contradicts the verdict: a server
 * others can reach is "Exposed" (or "Shared" when every server others reach is shared with
 * chosen machines or a VPN only, as its headline says), whatever the number; "Good" needs a
 * private verdict and 80 or more.
 */
export function scoreLabel(snapshot: Snapshot, score: number | null): ScoreLabel | null {
  if (score === null) return null;
  const verdict = snapshot.verdict;
  if (verdict === 'lan' || verdict === 'internet') {
    const reached = snapshot.instances.filter(
      (i) => i.exposure === 'lan' || i.exposure === 'internet',
    );
    const shared =
      reached.length > 0 &&
      reached.every((i) => (i.sharedWith || i.sharedOver) && (i.tunnels?.length ?? 0) === 0);
    return shared ? 'Shared' : 'Exposed';
  }
  if (verdict === 'private' && score >= 80) return 'Good';
  return score >= 50 ? 'Fair' : 'At risk';
}

function countsOf(open: readonly Finding[]): Counts {
  const counts = zeroCounts();
  for (const finding of open) counts[finding.severity] += 1;
  return counts;
}

export function posture(snapshot: Snapshot, findings: Finding[]): Posture {
  let accepted = 0;
  for (const finding of findings) if (finding.accepted) accepted += 1;
  const counts = countsOf(findings.filter((f) => !f.accepted));
  const verdict = snapshot.verdict;
  // No server, nothing to score: never a "100" for a computer where nothing runs.
  const score = snapshot.instances.length === 0 ? null : scoreOf(verdict, counts);
  return {
    verdict,
    score,
    counts,
    accepted,
    label: scoreLabel(snapshot, score),
    breakdown: scoreBreakdown(snapshot, findings),
  };
}
