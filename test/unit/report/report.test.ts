/**
 * Reports: golden files for each format (UPDATE_GOLDEN=1 rewrites them; otherwise a mismatch
 * fails with a diff), hostile text escaped in Markdown and HTML, an HTML page that runs and
 * loads nothing, and Prometheus output read back by a real parser of the text format
 * (parse-prometheus-text-format, a port of prom2json and the Python client's parser).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../electron/engine/report';
import type { ReportFormat, ReportInput } from '../../../electron/engine/report';
import { mdText } from '../../../electron/engine/report/markdown';
import { escapeLabelValue } from '../../../electron/engine/report/prometheus';
import { findingSchema, postureSchema } from '../../../shared/findings';
import { snapshotSchema } from '../../../shared/snapshot';
import {
  HOSTILE_HTML,
  HOSTILE_LINK,
  HOSTILE_SHELL,
  findings,
  posture,
  reportInput,
  snapshot,
} from '../../fixtures/reports/input';

const FIXTURES = fileURLToPath(new URL('../../fixtures/reports/', import.meta.url));
const GOLDEN: Record<ReportFormat, string> = {
  json: 'golden.json',
  md: 'golden.md',
  html: 'golden.html',
  prometheus: 'golden.prom',
};

interface PromSample {
  value: string;
  labels?: Record<string, string>;
}
interface PromFamily {
  name: string;
  help: string;
  type: string;
  metrics: PromSample[];
}
const requireCjs = createRequire(import.meta.url);
const parsePrometheus = requireCjs('parse-prometheus-text-format') as (
  text: string,
) => PromFamily[];

function expectGolden(format: ReportFormat, actual: string): void {
  const file = path.join(FIXTURES, GOLDEN[format]);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.writeFileSync(file, actual);
    return;
  }
  if (!fs.existsSync(file))
    throw new Error(`${file} is missing: run the tests with UPDATE_GOLDEN=1 to write it`);
  // toBe shows a line diff on mismatch; UPDATE_GOLDEN=1 accepts the new output.
  expect(actual, `${GOLDEN[format]} differs (UPDATE_GOLDEN=1 rewrites it)`).toBe(
    fs.readFileSync(file, 'utf8'),
  );
}

const render = (format: ReportFormat, input: ReportInput = reportInput) =>
  renderReport(format, input);

describe('the fixture', () => {
  it('is a valid snapshot, findings and posture', () => {
    expect(() => snapshotSchema.parse(snapshot)).not.toThrow();
    expect(() => findingSchema.array().parse(findings)).not.toThrow();
    expect(() => postureSchema.parse(posture)).not.toThrow();
    expect(findings.filter((f) => f.accepted)).toHaveLength(1);
    expect(new Set(findings.map((f) => f.severity)).size).toBe(2);
  });
});

describe('golden files', () => {
  for (const format of Object.keys(GOLDEN) as ReportFormat[]) {
    it(`${format} matches ${GOLDEN[format]}`, () => {
      expectGolden(format, render(format));
    });
  }

  it('are deterministic and do not depend on the input order', () => {
    const shuffled: ReportInput = {
      ...reportInput,
      findings: [...findings].reverse(),
      snapshot: { ...snapshot, instances: [...snapshot.instances].reverse() },
    };
    for (const format of Object.keys(GOLDEN) as ReportFormat[])
      expect(render(format, shuffled)).toBe(render(format));
  });
});

describe('JSON report', () => {
  const doc = JSON.parse(render('json')) as Record<string, unknown> & {
    findings: { id: string; severity: string; accepted: unknown }[];
    instances: { id: string; listeners: unknown[] }[];
  };

  it('has the documented shape', () => {
    expect(Object.keys(doc)).toEqual([
      'schema',
      'generatedAt',
      'host',
      'verdict',
      'score',
      'scoreLabel',
      'scoreBreakdown',
      'counts',
      'findings',
      'instances',
      'snapshot',
    ]);
    expect(doc.schema).toBe('paddock-report/1');
    expect(doc.generatedAt).toBe(snapshot.takenAt);
    expect(doc.verdict).toBe('lan');
    // The fixture's posture is the engine's: a local-network verdict is capped at 50
    // (docs/score.md), where a hand-written 62 once stood.
    expect(doc.score).toBe(50);
    expect(doc.scoreLabel).toBe('Exposed');
    expect(doc.scoreBreakdown).toMatchObject({
      penalty: 20,
      raw: 80,
      cap: 50,
      findings: [{ findingId: 'exposed-lan@ollama:pid:1834', severity: 'high', cost: 20 }],
    });
    expect(doc.counts).toEqual({ critical: 0, high: 1, medium: 0, low: 0, info: 0, accepted: 1 });
    expect(Object.keys(doc.findings[0]!)).toEqual([
      'id',
      'ruleId',
      'severity',
      'title',
      'instance',
      'accepted',
      'summary',
      'attackerCan',
      'evidence',
      'fixes',
      'references',
    ]);
    expect(Object.keys(doc.instances[0]!)).toEqual([
      'id',
      'kind',
      'pid',
      'version',
      'exposure',
      'listeners',
    ]);
  });

  it('orders findings worst first, accepted last', () => {
    expect(doc.findings.map((f) => [f.severity, f.accepted !== null])).toEqual([
      ['high', false],
      ['medium', true],
    ]);
  });

  it('keeps the snapshot whole and valid, hostile names as they were read', () => {
    const parsed = snapshotSchema.parse(doc.snapshot);
    expect(parsed).toEqual(snapshot);
    const names = parsed.instances[0]!.fingerprints[0]!.models!.map((m) => m.name);
    expect(names).toContain(HOSTILE_HTML);
    expect(names).toContain(HOSTILE_SHELL);
  });
});

describe('Markdown report', () => {
  const md = render('md');

  it('starts with the verdict and the score', () => {
    const lines = md.split('\n');
    expect(lines[0]).toBe('# Paddock report: studio-ws');
    expect(lines[2]).toMatch(/^\*\*Exposed to the local network\.\*\* /);
    expect(lines[4]).toMatch(/^\*\*Score: 50\/100 \(Exposed\)\*\* · 1 high · 1 accepted$/);
  });

  it('lists findings worst first, the accepted one last and marked', () => {
    const high = md.indexOf('### 1. HIGH: ');
    const accepted = md.indexOf('### 2. MEDIUM (accepted): ');
    expect(high).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(high);
    expect(md).toContain('> **Accepted risk**, on 2026-11-20 09:30:00 UTC until 2027-02-20');
    expect(md.indexOf('## Instances')).toBeGreaterThan(accepted);
    expect(md.indexOf('## Listeners')).toBeGreaterThan(md.indexOf('## Instances'));
    expect(md.indexOf('## Settings')).toBeGreaterThan(md.indexOf('## Listeners'));
  });

  it('escapes hostile text so that it renders as text', () => {
    expect(md).not.toContain(HOSTILE_HTML);
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(md).toContain('\\](javascript:alert(1))');
    expect(md).toContain(mdText(HOSTILE_LINK));
    expect(md).not.toMatch(/(?<!\\)[[\]]/); // no bracket that could open or close a link
    // No raw HTML anywhere: every `<` left opens an http(s) autolink of a reference.
    for (const match of md.matchAll(/</g))
      expect(md.slice(match.index, match.index + 9)).toMatch(/^<https?:\/\//);
    // No unescaped bracket, backtick or emphasis marker from the system.
    expect(mdText('a `b` *c* _d_ [e](f) | g ~h~ $i$ @j #k \\')).toBe(
      'a \\`b\\` \\*c\\* \\_d\\_ \\[e\\](f) \\| g \\~h\\~ \\$i\\$ \\@j \\#k \\\\',
    );
  });

  it('keeps each value on one line and defuses block syntax at its start', () => {
    expect(mdText('one\ntwo\r\nthree')).toBe('one two\uFFFD three');
    expect(mdText('# title')).toBe('\\# title');
    expect(mdText('- item')).toBe('\\- item');
    expect(mdText('+ item')).toBe('\\+ item');
    expect(mdText('=====')).toBe('\\=====');
    expect(mdText('1. first')).toBe('1\\. first');
    expect(mdText('2)')).toBe('2\\)');
    expect(mdText('--elevated')).toBe('\\--elevated');
    expect(mdText('0.12.10')).toBe('0.12.10');
    expect(mdText('-x')).toBe('-x');
    expect(mdText('> quote')).toBe('&gt; quote');
    expect(mdText('    code')).toBe('&#32;&#32;&#32;&#32;code');
    expect(mdText('&lt;b&gt;')).toBe('&amp;lt;b&amp;gt;');
    expect(mdText('see http://evil.example or WWW.evil.example')).toBe(
      'see http\\://evil.example or WWW\\.evil.example',
    );
  });

  it('escapes pipes in table cells', () => {
    const input: ReportInput = structuredClone(reportInput);
    input.snapshot.instances[0]!.settings[0]!.value = 'a|b';
    const row = render('md', input)
      .split('\n')
      .find((l) => l.includes('OLLAMA\\_HOST') && l.includes('a\\|b'));
    expect(row).toBeDefined();
    // 7 unescaped pipes: a row of six cells.
    expect(row!.match(/(?<!\\)\|/g)).toHaveLength(7);
  });
});

describe('HTML report', () => {
  const html = render('html');

  it('runs nothing and loads nothing', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/https?:\/\/[^<\s]*"\s*>/); // no URL ends an attribute
    // Every `<` from the system is escaped, so what looks like a tag is one of ours.
    const tags = html.match(/<[a-zA-Z][^>]*>/g) ?? [];
    expect(tags.length).toBeGreaterThan(50);
    for (const tag of tags) {
      expect(tag).not.toMatch(
        /^<(?:script|link|iframe|object|embed|img|base|form|a|svg|video|audio)\b/i,
      );
      expect(tag).not.toMatch(/\s(?:on[a-z]+|src|href|srcset|action|poster|background)\s*=/i);
    }
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    );
  });

  it('escapes hostile text everywhere', () => {
    expect(html).not.toContain(HOSTILE_HTML);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain(HOSTILE_SHELL);
    expect(html).toContain('&quot;; rm -rf /');
    // The acceptance reason carries `<`, `>` and `&`.
    expect(html).toContain('&lt;security@example.com&gt; &amp; IT');
  });

  it('escapes quotes for attributes too, and control characters', () => {
    const input: ReportInput = structuredClone(reportInput);
    input.snapshot.host.hostname = `x" onload="alert(1)' \u001b[31m`;
    const out = render('html', input);
    expect(out).not.toContain('x" onload');
    expect(out).toContain('x&quot; onload=&quot;alert(1)&#39; \uFFFD[31m');
    expect(out).not.toContain('\u001b');
  });

  it('shows the verdict banner, the score, findings and instances', () => {
    expect(html).toContain('<section class="verdict x-lan">');
    expect(html).toContain('<h1>Exposed to the local network</h1>');
    expect(html).toContain('style="--score:50"');
    expect(html).toContain('How the score is made');
    expect(html).toContain('Reachable from the local network: at most 50, whatever the findings.');
    expect(html).toContain('up to 100 (+50), verdict private');
    expect(html.indexOf('Ollama answers other machines')).toBeLessThan(
      html.indexOf('Any browser extension may call'),
    );
    expect(html).toContain('Accepted risks: shown, not counted in the score');
    expect(html).toContain('[::]:11434');
  });

  it('takes class names from fixed tables only', () => {
    const input = structuredClone(reportInput) as unknown as {
      posture: { verdict: string };
      findings: { severity: string }[];
    };
    input.posture.verdict = '"><script>alert(1)</script>';
    input.findings[0]!.severity = 'x" onmouseover="alert(1)';
    const out = render('html', input as unknown as ReportInput);
    expect(out).not.toMatch(/<script/i);
    expect(out).not.toContain('" onmouseover');
    expect(out).toContain('<section class="verdict x-unknown">');
  });
});

describe('Prometheus report', () => {
  const prom = render('prometheus');
  const families = parsePrometheus(prom);
  const byName = new Map(families.map((f) => [f.name, f]));
  const value = (name: string, labels: Record<string, string> = {}) =>
    byName
      .get(name)
      ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => (m.labels ?? {})[k] === v))
      ?.value;

  it('is text exposition format ending with a newline, sorted', () => {
    expect(prom.endsWith('\n')).toBe(true);
    expect(prom.endsWith('\n\n')).toBe(false);
    const names = families.map((f) => f.name);
    expect(names).toEqual([...names].sort());
    for (const family of families) {
      expect(family.name).toMatch(/^paddock_[a-z_]+$/);
      expect(family.type).toBe('GAUGE');
      expect(family.help.length).toBeGreaterThan(0);
    }
    // Every sample line is preceded by its family's HELP and TYPE.
    expect(prom.match(/^# TYPE /gm)).toHaveLength(families.length);
    expect(prom.match(/^# HELP /gm)).toHaveLength(families.length);
  });

  it('reads back the verdict, score and counts', () => {
    expect(names(families)).toEqual([
      'paddock_exposed',
      'paddock_exposure',
      'paddock_findings',
      'paddock_findings_accepted',
      'paddock_instance_exposure',
      'paddock_instance_info',
      'paddock_probe_status',
      'paddock_scan_duration_seconds',
      'paddock_scan_timestamp_seconds',
      'paddock_score',
    ]);
    // The fixture's server is exposed, nothing accepted or shared: what exit code 1 says.
    expect(byName.get('paddock_exposed')!.metrics).toEqual([{ value: '1' }]);
    expect(byName.get('paddock_exposure')!.metrics).toEqual([
      { labels: { exposure: 'internet' }, value: '0' },
      { labels: { exposure: 'lan' }, value: '1' },
      { labels: { exposure: 'private' }, value: '0' },
      { labels: { exposure: 'unknown' }, value: '0' },
    ]);
    expect(
      value('paddock_instance_exposure', { instance_id: 'ollama:pid:1834', exposure: 'lan' }),
    ).toBe('1');
    expect(
      byName.get('paddock_instance_exposure')!.metrics.filter((m) => m.value === '1'),
    ).toHaveLength(1);
    expect(value('paddock_instance_info', { instance_id: 'ollama:pid:1834' })).toBe('1');
    expect(byName.get('paddock_instance_info')!.metrics[0]!.labels).toEqual({
      instance_id: 'ollama:pid:1834',
      kind: 'ollama',
      version: '0.12.10',
    });
    expect(value('paddock_score')).toBe('50');
    expect(value('paddock_findings', { severity: 'high' })).toBe('1');
    expect(value('paddock_findings', { severity: 'medium' })).toBe('0');
    expect(byName.get('paddock_findings')!.metrics).toHaveLength(5);
    expect(value('paddock_findings_accepted')).toBe('1');
    expect(Number(value('paddock_scan_timestamp_seconds'))).toBe(
      Date.parse(snapshot.takenAt) / 1000,
    );
    expect(Number(value('paddock_scan_duration_seconds'))).toBeCloseTo(0.7314, 6);
  });

  it('has a one-hot status for every probe', () => {
    const status = byName.get('paddock_probe_status')!.metrics;
    expect(status).toHaveLength(Object.keys(snapshot.probes).length * 4);
    for (const [probe, result] of Object.entries(snapshot.probes)) {
      const ones = status.filter((m) => m.labels?.probe === probe && m.value === '1');
      expect(ones.map((m) => m.labels?.status)).toEqual([result.status]);
    }
  });

  it('escapes label values so that hostile ids round-trip', () => {
    const hostileId = `ollama:docker:a"b\\c\nd}e,f="g"`;
    const input: ReportInput = structuredClone(reportInput);
    input.snapshot.instances[0]!.id = hostileId;
    input.snapshot.instances[0]!.version = HOSTILE_SHELL;
    const out = render('prometheus', input);
    expect(out).toContain('instance_id="ollama:docker:a\\"b\\\\c\\nd}e,f=\\"g\\""');
    const info = parsePrometheus(out).find((f) => f.name === 'paddock_instance_info')!;
    expect(info.metrics).toEqual([
      { labels: { instance_id: hostileId, kind: 'ollama', version: HOSTILE_SHELL }, value: '1' },
    ]);
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('\uD800x')).toBe('\uFFFDx');
  });

  it('has no sample timestamps (the textfile collector refuses them)', () => {
    for (const line of prom.split('\n').filter((l) => l && !l.startsWith('#')))
      expect(line).toMatch(/^[a-z_]+(\{[^\n]*\})? [^ ]+$/);
  });
});

function names(families: PromFamily[]): string[] {
  return families.map((f) => f.name);
}

describe('no server: no score (issue 18)', () => {
  const empty: ReportInput = (() => {
    const input = structuredClone(reportInput);
    input.snapshot.instances = [];
    input.snapshot.verdict = 'private';
    input.findings = [];
    input.posture = {
      ...input.posture,
      verdict: 'private',
      score: null,
      label: null,
      breakdown: null,
      counts: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
      accepted: 0,
    };
    return input;
  })();

  it('JSON says null, never a 100 for nothing', () => {
    const doc = JSON.parse(render('json', empty)) as Record<string, unknown>;
    expect(doc.score).toBeNull();
    expect(doc.scoreLabel).toBeNull();
    expect(doc.scoreBreakdown).toBeNull();
  });

  it('Markdown and HTML show no score and no breakdown; Prometheus has no paddock_score', () => {
    const md = render('md', empty);
    expect(md.split('\n')[4]).toBe('**No score: no server was found** · no open finding');
    expect(md).not.toContain('How the score is made');
    const html = render('html', empty);
    expect(html).not.toContain('--score:');
    expect(html).toContain('No server,<br>no score');
    expect(render('prometheus', empty)).not.toMatch(/^paddock_score/m);
  });
});
