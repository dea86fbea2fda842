/**
 * tighten-origins: take `*` and the other entries that let every site (or every browser
 * extension) in out of OLLAMA_ORIGINS, where they are set. Which entries are over-broad is the
 * rule's own judgement (rules/support/origins.ts), so the fix removes exactly what the finding
 * names; an assignment left with no entry is removed. Ollama's built-in origins (localhost,
 * 127.0.0.1, app://, file://...) are always allowed, so local tools keep working.
 */
import type { FixPlan, ManualFix } from '../../../../shared/fixes';
import type { Snapshot } from '../../../../shared/snapshot';
import { broadOrigins, originEntries, originsCrash } from '../../rules/support/origins';
import type { RecipeIO } from './common';
import { shown } from './common';
import type { ValueEdit } from './env-edit';
import { planSettingEdits } from './setting-edits';

const NAME = 'OLLAMA_ORIGINS';

/** The value with every over-broad entry removed; a remove when nothing is left. */
export function tightenedOrigins(value: string): ValueEdit {
  const broad = new Set(broadOrigins(value).map((b) => b.entry));
  const kept = originEntries(value).filter((e) => !broad.has(e));
  return kept.length === 0 ? { kind: 'remove' } : { kind: 'set', value: kept.join(',') };
}

export function planTightenOrigins(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
): FixPlan | ManualFix {
  return planSettingEdits(
    {
      fixId: 'tighten-origins',
      name: NAME,
      concerns: (s) => broadOrigins(s.value).length > 0,
      decide: tightenedOrigins,
      title: 'Stop letting every web site use Ollama through your browser',
      change: `remove "*" and the other entries of ${NAME} that let every site or extension in (the assignment goes when no entry is left)`,
      verification: 'setting-without-wildcard',
      warningsFor: (edits) =>
        edits.flatMap(({ edit }) => {
          if (edit.kind !== 'set') return [];
          const crash = originsCrash(edit.value);
          return crash
            ? [
                `${NAME} still holds "${shown(crash.entry, 80)}", which stops Ollama from starting (${crash.reason}). This fix leaves it as it is.`,
              ]
            : [];
        }),
    },
    snapshot,
    instanceId,
    io,
  );
}
