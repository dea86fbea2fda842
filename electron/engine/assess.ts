/**
 * From a snapshot to what the user reads: findings (rules), the user's accepted risks applied,
 * and the posture (verdict and score). Pure but for reading the settings file.
 */
import type { Finding, Posture, Severity } from '../../shared/findings';
import { SEVERITIES } from '../../shared/severity';
import type { Snapshot } from '../../shared/snapshot';
import { posture } from './posture';
import { runRules } from './rules/evaluate';
import { SettingsError, applyAcceptances, loadSettings } from './settings/store';

export interface Assessment {
  findings: Finding[];
  posture: Posture;
  /** The settings file could not be used: acceptances are not applied, and this says why. */
  settingsProblem: string | null;
}

export async function assess(
  snapshot: Snapshot,
  options: { settingsPath: string | null },
): Promise<Assessment> {
  const now = new Date(snapshot.takenAt);
  let findings = runRules(snapshot);
  let settingsProblem: string | null = null;
  if (options.settingsPath) {
    try {
      const settings = await loadSettings(options.settingsPath);
      findings = applyAcceptances(findings, settings.acceptedRisks, now);
    } catch (error) {
      settingsProblem =
        error instanceof SettingsError || error instanceof Error ? error.message : String(error);
    }
  }
  return { findings, posture: posture(snapshot, findings), settingsProblem };
}

/** Findings at or above a severity that the user has not accepted. */
export function openFindingsAtLeast(findings: Finding[], severity: Severity): Finding[] {
  const limit = SEVERITIES.indexOf(severity);
  return findings.filter((f) => f.accepted === null && SEVERITIES.indexOf(f.severity) <= limit);
}

/** The categories whose findings say "someone else can reach it". */
export const EXPOSURE_CATEGORIES: ReadonlySet<Finding['category']> = new Set([
  'exposure',
  'proxy',
  'docker',
]);

/**
 * Exposed, for the exit code: the verdict is lan or internet and some finding that says so is
 * still open. When the user accepted every such finding, the exposure no longer counts.
 */
export function exposedAfterAcceptance(snapshot: Snapshot, findings: Finding[]): boolean {
  if (snapshot.verdict !== 'lan' && snapshot.verdict !== 'internet') return false;
  // Issue 14: every server others reach is shared on purpose (chosen sources, a VPN only).
  const reached = snapshot.instances.filter(
    (i) => i.exposure === 'lan' || i.exposure === 'internet',
  );
  if (
    reached.length > 0 &&
    reached.every((i) => (i.sharedWith || i.sharedOver) && !i.tunnels?.length)
  )
    return false;
  const exposureFindings = findings.filter((f) => EXPOSURE_CATEGORIES.has(f.category));
  return exposureFindings.length === 0 || exposureFindings.some((f) => f.accepted === null);
}
