/**
 * Settings with their sources and states, read by the real `paddock scan` from real files and
 * a real process environment in the lab host: a unit plus two drop-ins, the server's own
 * environment, and a shell start-up file.
 */
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { placeInServiceCgroup } from './cgroup';
import type { Lab } from './lab';
import { RUN_TAG, createLab, describeLab } from './lab';
import { expectedVerdict, runScan } from './scan-helpers';

const UNIT = `# shaped like the unit Ollama's install script writes
[Unit]
Description=Ollama Service
After=network-online.target

[Service]
ExecStart=/usr/local/bin/ollama serve
User=ollama
Group=ollama
Restart=always
Environment="PATH=/usr/local/bin:/usr/bin:/bin"
Environment="OLLAMA_HOST=127.0.0.1:11434" OLLAMA_ORIGINS=http://a.example

[Install]
WantedBy=default.target
`;
const DROPIN_HOST = `[Service]\nEnvironment="OLLAMA_HOST=0.0.0.0:11434"\n`;
const DROPIN_DEBUG = `[Service]\nEnvironment=OLLAMA_DEBUG=1 "OLLAMA_HOST=0.0.0.0:11500"\n`;
const BASHRC = `# user's shell\nalias ll='ls -l'\nexport OLLAMA_HOST=0.0.0.0:9999\n`;

describeLab('settings: a unit, two drop-ins, the process environment and a shell file', () => {
  let lab: Lab;
  let dir: string;
  beforeAll(async () => {
    lab = await createLab();
    dir = mkdtempSync(join(tmpdir(), 'pdk-settings-'));
    const unitDir = join(dir, 'systemd');
    mkdirSync(join(unitDir, 'ollama.service.d'), { recursive: true });
    writeFileSync(join(unitDir, 'ollama.service'), UNIT);
    writeFileSync(join(unitDir, 'ollama.service.d', '10-host.conf'), DROPIN_HOST);
    writeFileSync(join(unitDir, 'ollama.service.d', '20-debug.conf'), DROPIN_DEBUG);
    mkdirSync(join(dir, 'home'));
    writeFileSync(join(dir, 'home', '.bashrc'), BASHRC);
    // Only the lab host's own mount namespace sees these files at the real paths.
    const mounted = await lab.runInHost(['mount', '--bind', unitDir, '/etc/systemd/system']);
    expect(mounted.code, mounted.stderr).toBe(0);
  });
  afterAll(async () => {
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the real /etc/systemd/system of this machine is untouched by the lab', () => {
    expect(readdirSync('/etc/systemd/system')).not.toContain('ollama.service.d');
  });

  it('reports each assignment with its source and the right winner and states', async () => {
    // The server was started before 20-debug.conf was added: it runs with the older values.
    const standin = await lab.startStandin({
      OLLAMA_HOST: '0.0.0.0:11434',
      OLLAMA_ORIGINS: 'http://a.example',
    });
    const cgroup = placeInServiceCgroup(standin.pid, `pdk-${RUN_TAG}.slice`, 'ollama.service');
    try {
      const { json } = await runScan(lab, { env: { HOME: join(dir, 'home') } });
      const instance = json.instances.find((i) => i.pid === standin.hostPid);
      expect(instance).toBeDefined();
      expect(json.snapshot.instances[0]!.process?.systemdUnit).toBe('ollama.service');
      const find = (name: string, sourceEnd: string) =>
        instance!.settings.find(
          (s) => s.name === name && s.source.split(':')[0]!.endsWith(sourceEnd),
        );
      const states = (name: string) =>
        Object.fromEntries(
          instance!.settings
            .filter((s) => s.name === name)
            .map((s) => [s.source.replace(dir, '<lab>'), s.state]),
        );

      expect(states('OLLAMA_HOST')).toEqual({
        '/etc/systemd/system/ollama.service:12': 'shadowed',
        '/etc/systemd/system/ollama.service.d/10-host.conf:2': 'shadowed',
        '/etc/systemd/system/ollama.service.d/20-debug.conf:2': 'latent',
        [`pid ${standin.hostPid}`]: 'effective',
        '<lab>/home/.bashrc:3': 'latent',
      });
      expect(find('OLLAMA_HOST', '20-debug.conf')!.value).toBe('0.0.0.0:11500');
      expect(states('OLLAMA_DEBUG')).toEqual({
        '/etc/systemd/system/ollama.service.d/20-debug.conf:2': 'latent',
      });
      expect(states('OLLAMA_ORIGINS')).toEqual({
        '/etc/systemd/system/ollama.service:12': 'effective',
        [`pid ${standin.hostPid}`]: 'effective',
      });
      const detail = json.snapshot.instances[0]!.settings;
      const reasonOf = (path: string) =>
        detail.find((s) => s.name === 'OLLAMA_HOST' && s.source.path.endsWith(path))!.reason;
      expect(reasonOf('10-host.conf')).toMatch(/20-debug\.conf/);
      expect(reasonOf('20-debug.conf')).toMatch(/restart/);
      expect(reasonOf('.bashrc')).toMatch(/ollama\.service/);
    } finally {
      await standin.stop();
      cgroup.release();
    }
  });

  it('after a restart with the drop-ins applied, the last drop-in is effective and the verdict follows the real bind', async () => {
    const standin = await lab.startStandin({
      OLLAMA_HOST: '0.0.0.0:11500',
      OLLAMA_ORIGINS: 'http://a.example',
      OLLAMA_DEBUG: '1',
    });
    const cgroup = placeInServiceCgroup(standin.pid, `pdk-${RUN_TAG}.slice`, 'ollama.service');
    try {
      const { json } = await runScan(lab, { env: { HOME: join(dir, 'home') } });
      const instance = json.instances[0]!;
      const host = instance.settings.filter(
        (s) => s.name === 'OLLAMA_HOST' && s.state === 'effective',
      );
      expect(host.map((s) => s.source).sort()).toEqual([
        '/etc/systemd/system/ollama.service.d/20-debug.conf:2',
        `pid ${standin.hostPid}`,
      ]);
      expect(
        instance.settings.find(
          (s) => s.name === 'OLLAMA_DEBUG' && s.sourceKind === 'systemd-dropin',
        )!.state,
      ).toBe('effective');
      expect(json.snapshot.instances[0]!.configuredBind).toMatchObject({
        host: '0.0.0.0',
        port: 11500,
      });
      expect(json.verdict).toBe(await expectedVerdict(lab, 11500));
      expect(json.verdict).toBe('lan');
    } finally {
      await standin.stop();
      cgroup.release();
    }
  });

  it('with no server running, the saved settings are reported as latent', async () => {
    const { json, code } = await runScan(lab, { env: { HOME: join(dir, 'home') } });
    expect(code).toBe(0);
    const saved = json.snapshot.probes.settings.data.persistent!.settings;
    const winner = saved.find(
      (s) => s.name === 'OLLAMA_HOST' && s.source.path.endsWith('20-debug.conf'),
    );
    expect(winner?.state).toBe('latent');
    expect(saved.filter((s) => s.state === 'effective')).toEqual([]);
  });
});
