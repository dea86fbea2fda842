/** runRules: the finding's shared fields, the order, and a failing rule that does not stop the run. */
import { describe, expect, it } from 'vitest';
import { SEVERITIES, findingSchema } from '../../shared/findings';
import { SEVERITIES as PLAIN_SEVERITIES } from '../../shared/severity';
import type { RuleMeta } from '../../shared/findings';
import { RULE_FAILED, runRules } from '../../electron/engine/rules/evaluate';
import { defineRule } from '../../electron/engine/rules/rule';
import type { RuleFinding } from '../../electron/engine/rules/rule';
import { buildSnapshot, loopbackOllama, wildcardOllama } from './snapshots';

const meta = (id: string, extra: Partial<RuleMeta> = {}): RuleMeta => ({
  id,
  title: `Title of ${id}`,
  severity: 'medium',
  category: 'exposure',
  why: 'Because.',
  references: ['https://docs.ollama.com/faq'],
  fixes: ['block-port'],
  ...extra,
});

const finding = (instance: string | null, extra: Partial<RuleFinding> = {}): RuleFinding => ({
  instance,
  summary: 'summary',
  attackerCan: ['something'],
  evidence: ['a fact'],
  ...extra,
});

const snapshot = buildSnapshot({ instances: [wildcardOllama(), loopbackOllama({ pid: 7 })] });

describe('runRules', () => {
  it('sorts by the zod-free severity list, which matches the schema’s', () => {
    expect(PLAIN_SEVERITIES).toEqual(SEVERITIES);
  });

  it('fills id, ruleId, severity, category, title, fixes, references and accepted', () => {
    const rule = defineRule(meta('demo'), () => [finding('ollama:pid:42')]);
    expect(runRules(snapshot, [rule])).toEqual([
      {
        id: 'demo@ollama:pid:42',
        ruleId: 'demo',
        instance: 'ollama:pid:42',
        severity: 'medium',
        category: 'exposure',
        title: 'Title of demo',
        summary: 'summary',
        attackerCan: ['something'],
        evidence: ['a fact'],
        fixes: ['block-port'],
        references: ['https://docs.ollama.com/faq'],
        accepted: null,
      },
    ]);
  });

  it('a host-wide finding is id@host; a finding may override severity and title', () => {
    const rule = defineRule(meta('demo'), () => [
      finding(null, { severity: 'critical', title: 'Worse here' }),
    ]);
    expect(runRules(snapshot, [rule])[0]).toMatchObject({
      id: 'demo@host',
      severity: 'critical',
      title: 'Worse here',
    });
  });

  it('sorts worst severity first, then by instance, then by rule', () => {
    const rules = [
      defineRule(meta('b-low', { severity: 'low' }), () => [finding('ollama:pid:42')]),
      defineRule(meta('a-high', { severity: 'high' }), () => [
        finding('ollama:pid:7'),
        finding('ollama:pid:42'),
      ]),
      defineRule(meta('c-crit', { severity: 'info' }), () => [
        finding(null, { severity: 'critical' }),
      ]),
      defineRule(meta('d-high', { severity: 'high' }), () => [finding('ollama:pid:42')]),
    ];
    expect(runRules(snapshot, rules).map((f) => f.id)).toEqual([
      'c-crit@host',
      'a-high@ollama:pid:42',
      'd-high@ollama:pid:42',
      'a-high@ollama:pid:7',
      'b-low@ollama:pid:42',
    ]);
  });

  it('a rule that throws becomes an info finding naming it, and the other rules still run', () => {
    const rules = [
      defineRule(meta('broken', { category: 'cors', title: 'Broken check' }), () => {
        throw new TypeError('cannot read properties of undefined (reading "x")\u001b[2J');
      }),
      defineRule(meta('fine'), () => [finding('ollama:pid:42')]),
    ];
    const findings = runRules(snapshot, rules);
    expect(findings.map((f) => f.id)).toEqual(['fine@ollama:pid:42', `${RULE_FAILED}:broken@host`]);
    const failed = findings[1]!;
    expect(findingSchema.parse(failed)).toEqual(failed);
    expect(failed).toMatchObject({
      ruleId: RULE_FAILED,
      instance: null,
      severity: 'info',
      category: 'cors',
      title: 'Paddock could not run the check "Broken check"',
      fixes: [],
    });
    expect(failed.summary).toMatch(/broken failed on this snapshot.*TypeError: cannot read/);
    expect(failed.summary).not.toContain('\u001b');
  });

  it('two failing rules stay two findings with distinct ids', () => {
    const boom = (id: string) =>
      defineRule(meta(id), () => {
        throw new Error('boom');
      });
    const ids = runRules(snapshot, [boom('one'), boom('two')]).map((f) => f.id);
    expect(ids).toEqual([`${RULE_FAILED}:one@host`, `${RULE_FAILED}:two@host`]);
  });

  it('a rule that returns something other than a list fails cleanly', () => {
    const odd = defineRule(meta('odd'), () => undefined as unknown as RuleFinding[]);
    expect(runRules(snapshot, [odd])[0]).toMatchObject({
      ruleId: RULE_FAILED,
      summary: expect.stringMatching(/did not return a list/),
    });
  });

  it('a rule that reports one instance twice keeps the first and says the rule is faulty', () => {
    const twice = defineRule(meta('twice'), () => [
      finding('ollama:pid:42', { summary: 'first' }),
      finding('ollama:pid:42', { summary: 'second' }),
    ]);
    const findings = runRules(snapshot, [twice]);
    expect(findings.map((f) => [f.id, f.summary.slice(0, 5)])).toEqual([
      ['twice@ollama:pid:42', 'first'],
      [`${RULE_FAILED}:twice@host`, 'The r'],
    ]);
  });

  it('is pure: the same snapshot gives the same findings, and the snapshot is not changed', () => {
    const before = JSON.stringify(snapshot);
    expect(runRules(snapshot)).toEqual(runRules(snapshot));
    expect(JSON.stringify(snapshot)).toBe(before);
  });
});
