/**
 * A recorded engine for the fix dialog's whole course (issue 18): the real recipes plan any fix
 * from the recorded scan (block-port, rebind-systemd, …), applyFix answers the run the executor
 * would record, checked with the real verification against the scan after it, and undo answers
 * the undone run, after which scans answer the scan before the fix again. Nothing is run. The
 * runs' times follow the scans', so the dialog can tell a scan taken after the run from one
 * taken before (scans: before at T, the run T+1 to T+2, after at T+3, the undo T+4 to T+5, the
 * scan after it at T+6 seconds).
 */
import type { FixOutcome } from '../../../shared/api';
import type { FixId, FixPlan, FixRun } from '../../../shared/fixes';
import type { Snapshot } from '../../../shared/snapshot';
import { isManual, planFix } from '../../../electron/engine/fixes/recipes';
import type { RecipeIO } from '../../../electron/engine/fixes/recipes/common';
import { checkVerification } from '../../../electron/engine/fixes/verify';
import { fixPreview } from '../../../electron/engine/service/service';
import { recordedEngine } from './recorded';
import type { EngineLink } from './server';

export interface FixCourse {
  /** The machine before the fix. */
  before: Snapshot;
  /** The machine after each fix, as a later scan would record it. */
  after: Partial<Record<FixId, Snapshot>>;
  /** What the recipes read (default: nothing exists, so no systemd either). */
  io?: RecipeIO;
}

const RUN_ID = '20261128T120001000Z-f1a2b3c4';

const at = (base: string, seconds: number) =>
  new Date(Date.parse(base) + seconds * 1000).toISOString();

export function fixCourseEngine(course: FixCourse): EngineLink {
  const io: RecipeIO = course.io ?? { readFile: () => null, fileMode: () => null };
  const t0 = course.before.takenAt;
  let current = course.before;
  const previewed = new Map<string, FixPlan>();
  let applied: FixRun | null = null;
  const scans = () => recordedEngine({ snapshot: current });
  return {
    call: async (method, request) => {
      switch (method) {
        case 'planFix': {
          const { fixId, instance, allow } = request as {
            fixId: FixId;
            instance: string;
            allow?: string[];
          };
          const made = planFix(fixId, course.before, instance, io, allow ? { allow } : {});
          if (isManual(made)) return { ok: true, value: { kind: 'manual', manual: made } };
          const preview = fixPreview(made);
          previewed.set(preview.digest, made);
          return { ok: true, value: preview };
        }
        case 'applyFix': {
          const plan = previewed.get((request as { digest: string }).digest);
          const after = plan ? course.after[plan.fixId] : undefined;
          if (!plan || !after) break;
          const afterScan = { ...structuredClone(after), takenAt: at(t0, 3) };
          const check = checkVerification(plan.verification, afterScan);
          const run: FixRun = {
            id: RUN_ID,
            plan,
            state: check.ok ? 'applied' : 'rolled-back',
            startedAt: at(t0, 1),
            endedAt: at(t0, 2),
            outcome: check.ok
              ? `Applied and verified: ${check.detail}`
              : `Rolled back: the check failed (${check.detail})`,
            journal: [
              { at: at(t0, 1), step: null, event: 'run-started', detail: `plan ${plan.fixId}` },
              ...plan.steps.flatMap((step, i) => [
                {
                  at: at(t0, 1),
                  step: i,
                  event: 'step-starting' as const,
                  detail: step.description,
                },
                { at: at(t0, 1), step: i, event: 'step-done' as const, detail: 'done' },
              ]),
              {
                at: at(t0, 2),
                step: null,
                event: 'verify-starting',
                detail: plan.verification.description,
              },
              {
                at: at(t0, 2),
                step: null,
                event: check.ok ? 'verify-ok' : 'verify-failed',
                detail: check.detail,
              },
            ],
          };
          if (check.ok) {
            current = afterScan;
            applied = run;
          }
          const outcome: FixOutcome = { ok: true, run };
          return { ok: true, value: outcome };
        }
        case 'undo': {
          if (!applied) break;
          const run: FixRun = {
            ...applied,
            state: 'undone',
            endedAt: at(t0, 5),
            outcome: 'Undone: the system is as it was.',
            journal: [
              ...applied.journal,
              { at: at(t0, 4), step: null, event: 'undo-starting', detail: 'undo' },
              { at: at(t0, 5), step: null, event: 'undo-done', detail: 'as it was' },
            ],
          };
          applied = null;
          current = { ...structuredClone(course.before), takenAt: at(t0, 6) };
          const outcome: FixOutcome = { ok: true, run };
          return { ok: true, value: outcome };
        }
        default:
          return scans().call(method, request);
      }
      return {
        ok: false,
        error: { kind: 'engine', message: 'This recording has no run for that.' },
      };
    },
    onEvent: () => undefined,
    close: () => Promise.resolve(),
  };
}
