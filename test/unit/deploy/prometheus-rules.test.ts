/**
 * Issue 15: the shipped Prometheus rules (deploy/prometheus/paddock.rules.yml) pass the real
 * `promtool check rules`, and their unit tests (paddock.rules.test.yml: each alert firing when
 * it should, quiet when it should not, resolving once fixed) pass `promtool test rules`. Every
 * alert has a test, and every metric the rules read is one Paddock's Prometheus report writes
 * (the golden report, test/fixtures/reports/golden.prom).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
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

  it('every expression of the Grafana dashboard is PromQL promtool accepts', () => {
    const dashboard = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'deploy/grafana/paddock.dashboard.json'), 'utf8'),
    ) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    // Each as a recording rule: check rules parses every expression.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-dash-')), 'd.rules.yml');
    fs.writeFileSync(
      file,
      `groups:\n  - name: dashboard\n    rules:\n${exprs
        .map(
          (e, i) => `      - record: paddock:dashboard_${i}\n        expr: ${JSON.stringify(e)}\n`,
        )
        .join('')}`,
    );
    const r = run(['check', 'rules', file]);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
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

describe('the shipped Grafana dashboard', () => {
  const dashboard = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'deploy/grafana/paddock.dashboard.json'), 'utf8'),
  ) as {
    uid: string;
    templating: { list: Array<{ name: string }> };
    panels: Array<{ id: number; title: string; targets: Array<{ expr: string }> }>;
  };
  it('every panel reads only metrics Paddock writes, through the machine variable', () => {
    const written = new Set(
      [
        ...fs
          .readFileSync(path.join(ROOT, 'test/fixtures/reports/golden.prom'), 'utf8')
          .matchAll(/^# TYPE (\w+) gauge$/gm),
      ].map((m) => m[1]!),
    );
    expect(dashboard.uid).toBe('paddock-overview');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels)
      for (const target of panel.targets) {
        const metrics = [...target.expr.matchAll(/\b(paddock_\w+)/g)].map((m) => m[1]!);
        expect(metrics.length, panel.title).toBeGreaterThan(0);
        for (const metric of metrics)
          expect(written.has(metric), `${panel.title}: ${metric}`).toBe(true);
        expect(target.expr, panel.title).toContain('instance=~"$instance"');
      }
  });
});
