/**
 * The score's breakdown in words for the Markdown and HTML reports (docs/score.md,
 * "Breakdown"): one line per open finding with what it takes off, the verdict's cap, and what
 * each fix would leave at best. Raw text: each format escapes it for its own syntax.
 */
import type { ReportDocument } from './json';
import { EXPOSURE_WORDS, SEVERITY_WORDS } from './json';

/** Points as a short number: 20, 5.5, 4.25, 3.02 (at most two decimals, never rounded up). */
export function formatPoints(points: number): string {
  const hundredths = Math.floor(points * 100 + 1e-9) / 100;
  return String(Number(hundredths.toFixed(2)));
}

export interface ScoreLines {
  /** Each open finding: its title and severity, and what it takes off. */
  findings: Array<{ title: string; severity: string; cost: string }>;
  /** "After the findings: 80 (100 − 20, rounded down)." */
  afterFindings: string;
  /** "Reachable from the local network: at most 50." when the cap lowers the score, else null. */
  capLine: string | null;
  /** Each fix: its id, the server, how many findings it resolves, and the score after, at best. */
  fixes: Array<{ fixId: string; instance: string; resolves: string; after: string }>;
}

const CAP_WORDS: Record<string, string> = {
  private: 'Private to this computer',
  unknown: 'Exposure unknown',
  lan: 'Reachable from the local network',
  internet: 'Reachable from the internet',
};

/** Null when there is no score (no server). */
export function scoreLines(doc: ReportDocument): ScoreLines | null {
  const breakdown = doc.scoreBreakdown;
  if (doc.score === null || !breakdown) return null;
  const titles = new Map(doc.findings.map((f) => [f.id, f.title]));
  const capped = Math.min(100, breakdown.raw) > breakdown.cap;
  return {
    findings: breakdown.findings.map((part) => ({
      title: titles.get(part.findingId) ?? part.findingId,
      severity: SEVERITY_WORDS[part.severity],
      cost: `−${formatPoints(part.cost)}`,
    })),
    afterFindings:
      breakdown.findings.length === 0
        ? 'No open finding: nothing is taken off 100.'
        : `After the findings: ${Math.max(0, breakdown.raw)} (100 − ${formatPoints(breakdown.penalty)}, rounded down${breakdown.raw < 0 ? ', never below 0' : ''}).`,
    capLine: capped
      ? `${CAP_WORDS[doc.verdict] ?? doc.verdict}: at most ${breakdown.cap}, whatever the findings.`
      : null,
    fixes: breakdown.fixes.map((fix) => ({
      fixId: fix.fixId,
      instance: fix.instance ?? 'whole host',
      resolves: `${fix.resolves.length} finding${fix.resolves.length === 1 ? '' : 's'}`,
      after: `up to ${fix.scoreAfter} (+${fix.gain})${fix.closesExposure ? `, verdict ${EXPOSURE_WORDS[fix.verdictAfter]}` : ''}`,
    })),
  };
}
