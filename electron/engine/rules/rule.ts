/**
 * A rule: metadata beside a pure `evaluate`. No I/O, no clock (time comes in the snapshot as
 * `takenAt`). One file per rule, named after its id; rules/index.ts lists them all.
 */
import type { Finding, RuleMeta } from '../../../shared/findings';
import type { Snapshot } from '../../../shared/snapshot';

/** What a rule returns: a finding without the fields the engine fills in. */
export type RuleFinding = Omit<
  Finding,
  'id' | 'ruleId' | 'severity' | 'category' | 'title' | 'fixes' | 'references' | 'accepted'
> &
  Partial<Pick<Finding, 'severity' | 'title'>>;

export interface Rule {
  meta: RuleMeta;
  evaluate(snapshot: Snapshot): RuleFinding[];
}

export function defineRule(meta: RuleMeta, evaluate: Rule['evaluate']): Rule {
  return { meta, evaluate };
}
