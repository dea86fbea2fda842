/**
 * Issue 15, "Prometheus": the real pieces from Debian's packages, all on the loopback of a lab
 * host (test/lab/lab.ts): prometheus-node-exporter with its textfile collector, prometheus
 * scraping it every second with the shipped rules (deploy/prometheus/paddock.rules.yml) and
 * evaluating them every second, prometheus-alertmanager routing to a webhook receiver the test
 * runs. `paddock report --format prometheus -o <textfile dir>/paddock.prom` writes the metrics
 * (the service will do it on every scan). Expose the stand-in Ollama and the receiver gets
 * PaddockExposed firing; rebind it to loopback and the alert resolves.
 *
 * Bounded: every wait has a deadline, the receiver exits after 200 requests or 5 minutes, and
 * every process is killed with the lab.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Prerequisite } from '../support/prerequisites';
import { describeWhen } from '../support/prerequisites';
import type { Lab, Standin } from './lab';
import { createLab, labPrerequisites } from './lab';
import { which } from './proc';
import { CLI } from './scan-helpers';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULES = path.join(ROOT, 'deploy', 'prometheus', 'paddock.rules.yml');
const BINARIES = {
  nodeExporter: which('prometheus-node-exporter'),
  prometheus: which('prometheus'),
  alertmanager: which('prometheus-alertmanager'),
};

function prerequisites(): Prerequisite {
  const lab = labPrerequisites();
  if (!lab.ok) return lab;
  const missing = Object.entries(BINARIES).filter(([, bin]) => bin === null);
  return missing.length === 0
    ? { ok: true }
    : {
        ok: false,
        reason: `not installed: ${missing.map(([name]) => name).join(', ')} (apt-get install prometheus prometheus-node-exporter prometheus-alertmanager)`,
      };
}

/** The webhook receiver: each POST body one line of the file; bounded in count and time. */
const RECEIVER = `'use strict';
const http = require('node:http');
const fs = require('node:fs');
const [port, file] = process.argv.slice(2);
let count = 0;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { if (body.length < 1e6) body += c; });
  req.on('end', () => {
    fs.appendFileSync(file, body.replace(/\\n/g, ' ') + '\\n');
    res.end('ok');
    if (++count >= 200) process.exit(0);
  });
});
server.listen(Number(port), '127.0.0.1');
setTimeout(() => process.exit(0), 300000).unref();
`;

interface Notification {
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

describeWhen('prometheus lab', prerequisites, 'Paddock in Prometheus and Alertmanager', () => {
  let lab: Lab;
  let dir: string;
  let standin: Standin | null = null;
  const children: ChildProcess[] = [];
  const received = () => path.join(dir, 'received.jsonl');
  const textfile = () => path.join(dir, 'textfile');

  beforeAll(async () => {
    lab = await createLab();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-prom-'));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(textfile(), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'receiver.cjs'), RECEIVER);
    fs.writeFileSync(
      path.join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: test',
        "  group_by: ['alertname']",
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: test',
        '    webhook_configs:',
        "      - url: 'http://127.0.0.1:19099/'",
        '        send_resolved: true',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(RULES)}`,
        'alerting:',
        '  alertmanagers:',
        "    - static_configs: [{ targets: ['127.0.0.1:19093'] }]",
        'scrape_configs:',
        '  - job_name: node',
        "    static_configs: [{ targets: ['127.0.0.1:19100'] }]",
        '',
      ].join('\n'),
    );
    children.push(
      lab.spawnInHost([process.execPath, path.join(dir, 'receiver.cjs'), '19099', received()]),
      lab.spawnInHost([
        BINARIES.nodeExporter!,
        '--collector.disable-defaults',
        '--collector.textfile',
        `--collector.textfile.directory=${textfile()}`,
        '--web.listen-address=127.0.0.1:19100',
      ]),
      lab.spawnInHost([
        BINARIES.alertmanager!,
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'am')}`,
        '--web.listen-address=127.0.0.1:19093',
        '--cluster.listen-address=',
      ]),
      lab.spawnInHost([
        BINARIES.prometheus!,
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
        '--web.listen-address=127.0.0.1:19090',
      ]),
    );
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await standin?.stop();
    await lab?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  async function report(): Promise<string> {
    const out = path.join(textfile(), 'paddock.prom');
    const r = await lab.runInHost(
      [process.execPath, CLI, 'report', '--format', 'prometheus', '-o', out],
      {
        timeoutMs: 30_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    return fs.readFileSync(out, 'utf8');
  }

  /** The notifications so far that carry PaddockExposed in this status. */
  function notified(status: 'firing' | 'resolved'): Notification[] {
    if (!fs.existsSync(received())) return [];
    return fs
      .readFileSync(received(), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Notification)
      .filter((n) =>
        n.alerts.some((a) => a.labels.alertname === 'PaddockExposed' && a.status === status),
      );
  }

  async function waitFor(check: () => boolean, seconds: number): Promise<number | null> {
    const started = Date.now();
    for (let i = 0; i < seconds * 5; i++) {
      if (check()) return (Date.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 200));
    }
    return null;
  }

  it('exposed: the receiver gets PaddockExposed firing; rebound to loopback: it resolves', async () => {
    expect(await report()).toMatch(/^paddock_exposed 1$/m);
    const firing = await waitFor(() => notified('firing').length > 0, 45);
    expect(firing, 'PaddockExposed reached the webhook').not.toBeNull();
    const alert = notified('firing')[0]!.alerts.find(
      (a) => a.labels.alertname === 'PaddockExposed',
    )!;
    expect(alert.labels).toMatchObject({
      severity: 'warning',
      job: 'node',
      instance: '127.0.0.1:19100',
    });
    expect(
      notified('firing').some((n) =>
        n.alerts.some((a) => a.labels.alertname === 'PaddockInternetExposed'),
      ),
    ).toBe(false);

    await standin!.stop();
    standin = await lab.startStandin({ OLLAMA_HOST: '127.0.0.1' });
    expect(await report()).toMatch(/^paddock_exposed 0$/m);
    const resolved = await waitFor(() => notified('resolved').length > 0, 45);
    expect(resolved, 'PaddockExposed resolved at the webhook').not.toBeNull();
    process.stdout.write(
      `[prometheus lab] firing reached the webhook ${firing!.toFixed(1)} s after the report, resolved ${resolved!.toFixed(1)} s after the next (scrape and evaluation every 1 s)\n`,
    );
  }, 150_000);
});
