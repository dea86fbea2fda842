/**
 * stop-request-logging: remove OLLAMA_DEBUG_LOG_REQUESTS where it is set. Every assignment
 * goes, "0" included: the verification asks for the setting to be absent, and with no
 * assignment Ollama's default (off) applies. The logs already written stay where they are
 * ($TMPDIR/ollama-request-logs-*); the plan says so rather than deleting the user's files.
 */
import type { FixPlan, ManualFix } from '../../../../shared/fixes';
import type { Snapshot } from '../../../../shared/snapshot';
import { ollamaBool } from '../../rules/support/settings';
import type { RecipeIO } from './common';
import { manualFix } from './common';
import { planSettingEdits, settingsFor } from './setting-edits';

const NAME = 'OLLAMA_DEBUG_LOG_REQUESTS';

export function planStopRequestLogging(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
): FixPlan | ManualFix {
  const on = (settingsFor(snapshot, instanceId) ?? []).filter(
    (s) => s.name === NAME && s.state !== 'shadowed' && ollamaBool(s.value),
  );
  if (on.length === 0)
    return manualFix(
      'stop-request-logging',
      snapshot.instances.some((i) => i.id === instanceId) ? instanceId : null,
      `${NAME} is not on for this server; there is nothing to do.`,
    );
  const plan = planSettingEdits(
    {
      fixId: 'stop-request-logging',
      name: NAME,
      // A saved "0" goes too (the setting must end up absent); the running server's own
      // environment matters only when logging is on there.
      concerns: (s) => s.source.kind !== 'process' || ollamaBool(s.value),
      decide: () => ({ kind: 'remove' }),
      title: 'Stop Ollama from writing every request to disk',
      change: `remove the ${NAME} assignment`,
      verification: 'setting-absent',
    },
    snapshot,
    instanceId,
    io,
  );
  if (!('steps' in plan)) return plan;
  return {
    ...plan,
    warnings: [
      ...plan.warnings,
      'Requests logged so far stay on disk under $TMPDIR/ollama-request-logs-* (for the Linux service, /tmp of the ollama user); delete them yourself once you no longer need them.',
    ],
  };
}
