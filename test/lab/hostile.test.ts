/**
 * Bad input, for real: servers that answer 10 MB, never answer, send invalid JSON or markup,
 * and a malformed unit file. Each gets a clear status and the scan still finishes in budget.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab } from './lab';
import { createLab, describeLab } from './lab';
import { CLI, expectedVerdict, runScan } from './scan-helpers';

/** The fingerprint's own bound is 3 s; the scan must not add more than a little to it. */
const SCAN_BUDGET_MS = 5000;

describeLab('hostile servers and malformed files', () => {
  let lab: Lab;
  let dir: string;
  beforeAll(async () => {
    lab = await createLab();
    dir = mkdtempSync(join(tmpdir(), 'pdk-hostile-'));
  });
  afterAll(async () => {
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function scanWith(mode: string) {
    const standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0', STANDIN_MODE: mode });
    try {
      const started = performance.now();
      const result = await runScan(lab);
      const elapsed = performance.now() - started;
      return { ...result, elapsed, standin, truth: await expectedVerdict(lab, 11434) };
    } finally {
      await standin.stop();
    }
  }

  it('a server answering 10 MB: cut at the cap, said so, verdict unchanged', async () => {
    const { json, elapsed, truth } = await scanWith('huge');
    expect(elapsed).toBeLessThan(SCAN_BUDGET_MS);
    expect(json.verdict).toBe(truth);
    const fingerprint = json.snapshot.instances[0]!.fingerprints[0]!;
    expect(fingerprint.models).toBeNull();
    expect(fingerprint.problems.join(' ')).toMatch(/size cap/);
  });

  it('a server that never answers: no-answer after the 3 s bound, the instance still judged by its socket', async () => {
    const { json, elapsed, truth, standin } = await scanWith('silent');
    expect(elapsed).toBeLessThan(SCAN_BUDGET_MS);
    expect(json.verdict).toBe(truth);
    const instance = json.snapshot.instances.find((i) => i.pid === standin.hostPid)!;
    expect(instance.fingerprints[0]).toMatchObject({ identity: 'no-answer', version: null });
    expect(instance.fingerprints[0]!.problems.join(' ')).toMatch(/3000 ms/);
  });

  it('invalid JSON: a problem per endpoint, no crash, version unknown', async () => {
    const { json, truth, code } = await scanWith('badjson');
    expect(json.verdict).toBe(truth);
    expect(code).toBe(1);
    const fingerprint = json.snapshot.instances[0]!.fingerprints[0]!;
    expect(fingerprint.identity).toBe('ollama');
    expect(fingerprint.problems).toContain('/api/tags answered with invalid JSON');
    expect(json.instances[0]!.version).toBeNull();
  });

  it('markup in model names stays text in JSON and in the terminal', async () => {
    const standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0', STANDIN_MODE: 'markup' });
    try {
      const { json } = await runScan(lab);
      const names = json.snapshot.instances[0]!.fingerprints[0]!.models!.map((m) => m.name);
      expect(names).toContain('<img src=x onerror=alert(1)>');
      const human = await lab.runInHost([process.execPath, CLI, 'scan']);
      expect(human.stdout).toContain('<img src=x onerror=alert(1)>');
      expect(human.stdout).not.toContain('\u001b');
    } finally {
      await standin.stop();
    }
  });

  it('a malformed unit file and a garbage OLLAMA_HOST: problems reported, the scan finishes', async () => {
    const unitDir = join(dir, 'systemd');
    mkdirSync(join(unitDir, 'ollama.service.d'), { recursive: true });
    writeFileSync(
      join(unitDir, 'ollama.service'),
      '[Service\nEnvironment="OLLAMA_HOST=0.0.0.0\n\u0000\u0001binary junk\nExecStart\n[Service]\nEnvironment=OLLAMA_ORIGINS=*\n',
    );
    writeFileSync(
      join(unitDir, 'ollama.service.d', 'override.conf'),
      '[Service]\nEnvironment="OLLAMA_HOST=not a host$%"\n',
    );
    const mounted = await lab.runInHost(['mount', '--bind', unitDir, '/etc/systemd/system']);
    expect(mounted.code, mounted.stderr).toBe(0);
    try {
      const { json, code } = await runScan(lab);
      expect(code).toBe(0); // nothing runs: private
      const saved = json.snapshot.probes.settings;
      expect(saved.status).toBe('ok');
      expect(saved.message).toMatch(/ollama\.service/);
      const host = saved.data.persistent!.settings.find((s) => s.name === 'OLLAMA_HOST');
      expect(host).toMatchObject({ value: 'not a host$%', state: 'latent' });
      expect(
        saved.data.persistent!.settings.find((s) => s.name === 'OLLAMA_ORIGINS'),
      ).toMatchObject({ value: '*' });
    } finally {
      await lab.runInHost(['umount', '/etc/systemd/system']);
    }
  });
});
