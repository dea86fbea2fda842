/**
 * The findings flow of the real CLI in the lab: an exposed stand-in gives findings and an exit
 * code; accepting the exposure keeps it listed but no longer counted; --fail-on looks at what
 * is still open; reports are written atomically with the right permissions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab, describeLab } from './lab';
import { CLI, runScan } from './scan-helpers';

describeLab('findings, accepted risks, --fail-on and reports from the CLI', () => {
  let lab: Lab;
  let standin: Standin;
  let config: string;
  const env = () => ({ XDG_CONFIG_HOME: config });
  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    config = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-config-'));
  });
  afterAll(async () => {
    await standin?.stop();
    await lab?.close();
    if (config) fs.rmSync(config, { recursive: true, force: true });
  });

  it('an exposed server: exposure finding with what an attacker can do, score capped, exit 1', async () => {
    const { json, code } = await runScan(lab, { env: env() });
    expect(json.verdict).toBe('lan');
    expect(code).toBe(1);
    const lan = json.findings.find((f) => f.ruleId === 'exposed-to-lan');
    expect(lan).toMatchObject({
      severity: 'high',
      accepted: false,
      instance: json.instances[0]!.id,
    });
    expect(lan!.fixes.length).toBeGreaterThan(0);
    expect(json.score).toBeLessThanOrEqual(50);
  });

  it('accepting the exposure: still listed, marked accepted, no longer in the exit code', async () => {
    const { json: before } = await runScan(lab, { env: env() });
    const instance = before.instances[0]!.id;
    const accepted = await lab.runInHost(
      [
        process.execPath,
        CLI,
        'accept',
        'exposed-to-lan',
        '--instance',
        instance,
        '--reason',
        'lab network, isolated',
      ],
      { env: env() },
    );
    expect(accepted.code, accepted.stderr).toBe(0);
    const { json, code } = await runScan(lab, { env: env() });
    expect(json.findings.find((f) => f.ruleId === 'exposed-to-lan')).toMatchObject({
      accepted: true,
    });
    expect(json.verdict).toBe('lan');
    expect(code).toBe(0);
    expect(json.score).toBeGreaterThanOrEqual(before.score!);

    // --fail-on counts only what is still open.
    const open = json.findings.filter((f) => !f.accepted);
    const worst = open[0]!.severity;
    const failing = await lab.runInHost(
      [process.execPath, CLI, 'scan', '--json', '--fail-on', worst],
      { env: env() },
    );
    expect(failing.code).toBe(1);
    const unknownRule = await lab.runInHost(
      [process.execPath, CLI, 'accept', 'no-such-rule', '--instance', 'host', '--reason', 'x'],
      { env: env() },
    );
    expect(unknownRule.code).toBe(2);
    expect(unknownRule.stderr).toMatch(/no rule is named "no-such-rule"/);

    const withdrawn = await lab.runInHost(
      [process.execPath, CLI, 'unaccept', 'exposed-to-lan', '--instance', instance],
      { env: env() },
    );
    expect(withdrawn.stdout).toMatch(/No longer accepted/);
    expect((await runScan(lab, { env: env() })).code).toBe(1);
  });

  it('reports: Prometheus readable by the collector (0644), the others private (0600)', async () => {
    const prom = path.join(config, 'paddock.prom');
    const html = path.join(config, 'report.html');
    for (const [format, file] of [
      ['prometheus', prom],
      ['html', html],
    ] as const) {
      const result = await lab.runInHost(
        [process.execPath, CLI, 'report', '--format', format, '-o', file],
        { env: env() },
      );
      expect(result.code, result.stderr).toBe(0);
    }
    expect(fs.statSync(prom).mode & 0o777).toBe(0o644);
    expect(fs.statSync(html).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(prom, 'utf8');
    expect(text).toMatch(/^paddock_exposure\{exposure="lan"\} 1$/m);
    expect(text).toMatch(/^paddock_score \d+$/m);
    expect(fs.readFileSync(html, 'utf8')).toContain('Ollama is reachable');
  });
});
