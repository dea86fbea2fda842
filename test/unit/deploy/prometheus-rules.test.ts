/**
 * Issue 15: the shipped Prometheus rules (deploy/prometheus/paddock.rules.yml) pass the real
 * `promtool check rules`, and their unit tests (paddock.rules.test.yml: each alert firing when
 * it should, quiet when it should not, resolving once fixed) pass `promtool test rules`. Every
 * alert has a test, and every metric the rules read is one Paddock's Prometheus report writes
 * (the golden report, test/fixtures/reports/golden.prom).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { Prerequisite } from '../../support/prerequisites';
import { describeWhen } from '../../support/prerequisites';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIR = path.join(ROOT, 'deploy', 'prometheus');
const RULES = path.join(DIR, 'paddock.rules.yml');
const TESTS = path.join(DIR, 'paddock.rules.test.yml');

function promtool(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    const candidate = path.join(dir, 'promtool');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return null;
}

const PROMTOOL = promtool();
const present = (): Prerequisite =>
  PROMTOOL
    ? { ok: true }
    : { ok: false, reason: 'promtool is not installed (apt-get install prometheus)' };

describeWhen('promtool', present, 'the shipped Prometheus rules', () => {
  const run = (args: string[]) => {
    const r = spawnSync(PROMTOOL!, args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };

  it('promtool check rules accepts them', () => {
    const r = run(['check', 'rules', RULES]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: 4 rules found/);
  });

  it('promtool test rules passes every alert’s tests', () => {
    const r = run(['test', 'rules', TESTS]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS/);
  });

  it('every alert is tested, firing and quiet; every metric it reads is one Paddock writes', () => {
    const rules = fs.readFileSync(RULES, 'utf8');
    const tests = fs.readFileSync(TESTS, 'utf8');
    const alerts = [...rules.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]!);
    expect(alerts).toEqual([
      'PaddockExposed',
      'PaddockInternetExposed',
      'PaddockCriticalFinding',
      'PaddockScanStale',
    ]);
    for (const alert of alerts) {
      const cases = [
        ...tests.matchAll(new RegExp(`alertname: ${alert}\\n(\\s+)exp_alerts:(.*)`, 'g')),
      ];
      expect(
        cases.some((c) => c[2]!.trim() === '[]'),
        `${alert} quiet`,
      ).toBe(true);
      expect(
        cases.some((c) => c[2]!.trim() === ''),
        `${alert} firing`,
      ).toBe(true);
    }
    const written = new Set(
      [
        ...fs
          .readFileSync(path.join(ROOT, 'test/fixtures/reports/golden.prom'), 'utf8')
          .matchAll(/^# TYPE (\w+) gauge$/gm),
      ].map((m) => m[1]!),
    );
    const read = new Set([...rules.matchAll(/\b(paddock_\w+)/g)].map((m) => m[1]!));
    for (const metric of read) expect(written.has(metric), metric).toBe(true);
  });
});
