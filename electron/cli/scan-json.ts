/**
 * The `paddock scan --json` contract for scripts: a few stable top-level fields, with the
 * full snapshot beside them. Fields are only ever added, never renamed or removed.
 */
import type { Finding, Posture, ScoreLabel } from '../../shared/findings';
import type { ServerKindId } from '../../shared/servers';
import type { Setting, Snapshot } from '../../shared/snapshot';

export interface ScanJson {
  verdict: Snapshot['verdict'];
  verdictReasons: string[];
  /**
   * 0-100, higher is better (docs/score.md); accepted findings do not count. Null when the
   * scan found no server: nothing to score (before issue 18 this was 100).
   */
  score: number | null;
  /** Issue 18 (added): the score in one word, null with a null score (docs/score.md, "Label"). */
  scoreLabel: ScoreLabel | null;
  /** Worst first; accepted ones stay listed with `accepted: true`. */
  findings: Array<{
    id: string;
    ruleId: string;
    severity: Finding['severity'];
    title: string;
    instance: string | null;
    accepted: boolean;
    summary: string;
    fixes: string[];
  }>;
  instances: Array<{
    id: string;
    /** Which server (shared/servers.ts): "ollama", "llamacpp", "vllm"… */
    kind: ServerKindId;
    pid: number | null;
    version: string | null;
    exposure: Snapshot['verdict'];
    reasons: string[];
    listeners: Array<{
      address: string;
      port: number;
      family: 4 | 6;
      dualStack: boolean;
      exposure: Snapshot['verdict'];
    }>;
    settings: Array<{
      name: string;
      value: string;
      source: string;
      sourceKind: Setting['source']['kind'];
      state: Setting['state'];
    }>;
  }>;
  snapshot: Snapshot;
}

export function settingSource(setting: Setting): string {
  return setting.source.line !== null
    ? `${setting.source.path}:${setting.source.line}`
    : setting.source.path;
}

export function toScanJson(
  snapshot: Snapshot,
  assessment: { findings: Finding[]; posture: Posture },
): ScanJson {
  return {
    verdict: snapshot.verdict,
    verdictReasons: snapshot.verdictReasons,
    score: assessment.posture.score,
    scoreLabel: assessment.posture.label ?? null,
    findings: assessment.findings.map((f) => ({
      id: f.id,
      ruleId: f.ruleId,
      severity: f.severity,
      title: f.title,
      instance: f.instance,
      accepted: f.accepted !== null,
      summary: f.summary,
      fixes: f.fixes,
    })),
    instances: snapshot.instances.map((instance) => ({
      id: instance.id,
      kind: instance.kind,
      pid: instance.pid,
      version: instance.version,
      exposure: instance.exposure,
      reasons: instance.reasons,
      listeners: instance.listeners.map((l) => ({
        address: l.address,
        port: l.port,
        family: l.family,
        dualStack: l.dualStack,
        exposure: l.exposure,
      })),
      settings: instance.settings.map((s) => ({
        name: s.name,
        value: s.value,
        source: settingSource(s),
        sourceKind: s.source.kind,
        state: s.state,
      })),
    })),
    snapshot,
  };
}
