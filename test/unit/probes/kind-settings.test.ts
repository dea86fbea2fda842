/**
 * Issue 13: where a server of another kind takes its listen address, port and key, beyond its
 * own arguments: the systemd unit that starts it (ExecStart=, Environment=, drop-ins) and its
 * own settings file (KoboldCpp's .kcpps, servers-facts.md §8; CMD_FLAGS.txt, §9; LM Studio's
 * server config, §2), each effective, shadowed or latent, keys never shown.
 */
import { describe, expect, it } from 'vitest';
import { probeKindSettings } from '../../../electron/engine/probes/linux/kind-settings';
import { SECRET_SHOWN } from '../../../electron/engine/servers/kind';
import { kindById } from '../../../electron/engine/servers/registry';
import type { OllamaProcess } from '../../../shared/snapshot';
import { createFakeHost } from '../../support/fake-host';

function proc(pid: number, argv: string[], unit: string | null, uid = 0): OllamaProcess {
  return {
    pid,
    ppid: 1,
    role: 'server',
    argv,
    executable: argv[0]!,
    executableStatus: 'ok',
    uid,
    user: uid === 0 ? 'root' : 'me',
    startedAt: null,
    systemdUnit: unit,
    sameNetns: true,
  };
}

const rows = (
  settings: Array<{
    name: string;
    value: string;
    state: string;
    source: { path: string; line: number | null };
  }>,
) =>
  settings.map((s) => [
    s.name,
    s.value,
    s.state,
    `${s.source.path}${s.source.line ? `:${s.source.line}` : ''}`,
  ]);

describe('probeKindSettings', () => {
  it("§3 llama-server under systemd: ExecStart= host in force, a drop-in ExecStart= replaces the unit's, LLAMA_ARG_HOST loses to the flag", async () => {
    const argv = [
      '/usr/local/bin/llama-server',
      '-m',
      '/m.gguf',
      '--host',
      '0.0.0.0',
      '--port',
      '8080',
      '--api-key',
      'k-secret',
    ];
    const host = createFakeHost({
      files: {
        '/etc/systemd/system/llama.service':
          '[Service]\nExecStart=/usr/local/bin/llama-server -m /m.gguf --host 127.0.0.1\nEnvironment=LLAMA_ARG_HOST=192.168.1.20\n',
        '/etc/systemd/system/llama.service.d/override.conf':
          '[Service]\nExecStart=\nExecStart=/usr/local/bin/llama-server -m /m.gguf --host 0.0.0.0 --port 8080 --api-key k-secret\n',
      },
    });
    const found = await probeKindSettings(host, {
      kind: kindById('llamacpp'),
      pid: 300,
      argv,
      env: new Map([['LLAMA_ARG_HOST', '192.168.1.20']]),
      process: proc(300, argv, 'llama.service'),
      listening: ['0.0.0.0'],
      port: 8080,
    });
    expect(rows(found.settings)).toEqual([
      ['--host', '0.0.0.0', 'effective', 'pid 300 arguments'],
      ['LLAMA_ARG_HOST', '192.168.1.20', 'shadowed', 'pid 300 environment'],
      ['--port', '8080', 'effective', 'pid 300 arguments'],
      ['--api-key', SECRET_SHOWN, 'effective', 'pid 300 arguments'],
      [
        'ExecStart',
        '/usr/local/bin/llama-server',
        'shadowed',
        '/etc/systemd/system/llama.service:2',
      ],
      ['--host', '127.0.0.1', 'shadowed', '/etc/systemd/system/llama.service:2'],
      [
        'ExecStart',
        '/usr/local/bin/llama-server',
        'effective',
        '/etc/systemd/system/llama.service.d/override.conf:3',
      ],
      ['--host', '0.0.0.0', 'effective', '/etc/systemd/system/llama.service.d/override.conf:3'],
      ['--port', '8080', 'effective', '/etc/systemd/system/llama.service.d/override.conf:3'],
      [
        '--api-key',
        SECRET_SHOWN,
        'effective',
        '/etc/systemd/system/llama.service.d/override.conf:3',
      ],
      ['LLAMA_ARG_HOST', '192.168.1.20', 'shadowed', '/etc/systemd/system/llama.service:3'],
    ]);
    expect(found.settings[4]!.reason).toMatch(
      /replaced by the empty ExecStart= at .*override\.conf:2/,
    );
    expect(found.settings.at(-1)!.reason).toMatch(/--host wins over LLAMA_ARG_HOST/);
    expect(JSON.stringify(found)).not.toContain('k-secret');
  });

  it('a unit changed since the server started is latent: it takes effect at the next restart', async () => {
    const argv = ['/usr/local/bin/llama-server', '--host', '0.0.0.0'];
    const host = createFakeHost({
      files: {
        '/etc/systemd/system/llama.service':
          '[Service]\nExecStart=/usr/local/bin/llama-server --host 127.0.0.1\n',
      },
    });
    const found = await probeKindSettings(host, {
      kind: kindById('llamacpp'),
      pid: 5,
      argv,
      env: new Map(),
      process: proc(5, argv, 'llama.service'),
      listening: ['0.0.0.0'],
      port: 8080,
    });
    const fromUnit = found.settings.find(
      (s) => s.name === '--host' && s.source.kind === 'systemd-unit',
    )!;
    expect(fromUnit.state).toBe('latent');
    expect(fromUnit.reason).toMatch(/takes effect when llama\.service restarts/);
  });

  it('§3 the host only in Environment= is effective when the running server has it', async () => {
    const argv = ['/usr/local/bin/llama-server', '-m', '/m.gguf'];
    const host = createFakeHost({
      files: {
        '/etc/systemd/system/llama.service':
          '[Service]\nExecStart=/usr/local/bin/llama-server -m /m.gguf\nEnvironment=LLAMA_ARG_HOST=0.0.0.0\n',
      },
    });
    const found = await probeKindSettings(host, {
      kind: kindById('llamacpp'),
      pid: 6,
      argv,
      env: new Map([['LLAMA_ARG_HOST', '0.0.0.0']]),
      process: proc(6, argv, 'llama.service'),
      listening: ['0.0.0.0'],
      port: 8080,
    });
    expect(rows(found.settings.filter((s) => s.name === 'LLAMA_ARG_HOST'))).toEqual([
      ['LLAMA_ARG_HOST', '0.0.0.0', 'effective', 'pid 6 environment'],
      ['LLAMA_ARG_HOST', '0.0.0.0', 'effective', '/etc/systemd/system/llama.service:3'],
    ]);
  });

  it('§8 KoboldCpp --config: the .kcpps is in force, its other arguments shadowed, its password hidden, remotetunnel a tunnel', async () => {
    const argv = ['/usr/local/bin/koboldcpp', '--config', 'server.kcpps', '--host', '127.0.0.1'];
    const host = createFakeHost({
      files: {
        '/srv/kobold/server.kcpps':
          '{\n  "model": "m.gguf",\n  "host": "",\n  "port": 5001,\n  "password": "pw-secret",\n  "remotetunnel": true\n}\n',
      },
      links: { '/proc/9/cwd': '/srv/kobold' },
    });
    const found = await probeKindSettings(host, {
      kind: kindById('koboldcpp'),
      pid: 9,
      argv,
      env: new Map(),
      process: proc(9, argv, null),
      listening: ['::'],
      port: 5001,
    });
    expect(rows(found.settings)).toEqual([
      ['--host', '127.0.0.1', 'shadowed', 'pid 9 arguments'],
      ['host', '', 'effective', '/srv/kobold/server.kcpps:3'],
      ['port', '5001', 'effective', '/srv/kobold/server.kcpps:4'],
      ['password', SECRET_SHOWN, 'effective', '/srv/kobold/server.kcpps:5'],
      ['remotetunnel', 'true', 'effective', '/srv/kobold/server.kcpps:6'],
    ]);
    expect(found.settings[1]!.reason).toMatch(/empty means every interface/);
    expect(found.settings[0]!.reason).toMatch(/ignores its other arguments/);
    expect(found.tunnel).toEqual({
      flag: 'remotetunnel in /srv/kobold/server.kcpps',
      via: 'a Cloudflare quick tunnel (trycloudflare.com)',
    });
    expect(JSON.stringify(found)).not.toContain('pw-secret');
  });

  it('§9 CMD_FLAGS.txt: a flag the running server has is effective, one it lacks is latent', async () => {
    const argv = ['python', '/opt/tgw/server.py', '--api', '--api-port', '5000'];
    const host = createFakeHost({
      files: {
        '/opt/tgw/user_data/CMD_FLAGS.txt': '# persistent\n--api --listen\n--api-key sk-secret\n',
      },
    });
    const found = await probeKindSettings(host, {
      kind: kindById('textgen-webui'),
      pid: 11,
      argv,
      env: new Map(),
      process: proc(11, argv, null),
      listening: ['127.0.0.1'],
      port: 5000,
    });
    expect(rows(found.settings.filter((s) => s.source.kind === 'config-file'))).toEqual([
      ['--api', 'on', 'effective', '/opt/tgw/user_data/CMD_FLAGS.txt:2'],
      ['--listen', 'on', 'latent', '/opt/tgw/user_data/CMD_FLAGS.txt:2'],
      ['--api-key', SECRET_SHOWN, 'latent', '/opt/tgw/user_data/CMD_FLAGS.txt:3'],
    ]);
    expect(JSON.stringify(found)).not.toContain('sk-secret');
  });

  it("§2 LM Studio's server config under the owner's home: the interface it listens on now is effective", async () => {
    const argv = ['/home/me/.lmstudio/bin/llmster'];
    const host = createFakeHost({
      files: {
        '/etc/passwd': 'root:x:0:0::/root:/bin/sh\nme:x:1000:1000::/home/me:/bin/bash\n',
        '/home/me/.lmstudio/.internal/http-server-config.json':
          '{"port":1234,"networkInterface":"0.0.0.0"}',
      },
    });
    const found = await probeKindSettings(host, {
      kind: kindById('lmstudio'),
      pid: 12,
      argv,
      env: new Map(),
      process: proc(12, argv, null, 1000),
      listening: ['0.0.0.0'],
      port: 1234,
    });
    expect(rows(found.settings)).toEqual([
      [
        'networkInterface',
        '0.0.0.0',
        'effective',
        '/home/me/.lmstudio/.internal/http-server-config.json',
      ],
      ['port', '1234', 'effective', '/home/me/.lmstudio/.internal/http-server-config.json'],
    ]);
  });

  it('a settings file that is not JSON is said, not guessed', async () => {
    const argv = ['koboldcpp', '--config', '/k.kcpps'];
    const host = createFakeHost({ files: { '/k.kcpps': 'host=0.0.0.0' } });
    const found = await probeKindSettings(host, {
      kind: kindById('koboldcpp'),
      pid: 13,
      argv,
      env: new Map(),
      process: proc(13, argv, null),
      listening: ['::'],
      port: 5001,
    });
    expect(found.settings.filter((s) => s.source.kind === 'config-file')).toEqual([]);
    expect(found.notes.join(' ')).toMatch(/\/k\.kcpps: not a JSON object/);
  });

  it('§9 a CMD_FLAGS.txt of a thousand --listen is one setting; --gradio-auth is a secret (security review)', async () => {
    const argv = ['python', '/opt/tgw/server.py', '--api'];
    const host = createFakeHost({
      files: {
        '/opt/tgw/user_data/CMD_FLAGS.txt': `${'--listen '.repeat(1000)}\n--gradio-auth user:pw-secret\n`,
      },
    });
    const found = await probeKindSettings(host, {
      kind: kindById('textgen-webui'),
      pid: 14,
      argv,
      env: new Map(),
      process: proc(14, argv, null),
      listening: ['127.0.0.1'],
      port: 5000,
    });
    expect(rows(found.settings.filter((s) => s.source.kind === 'config-file'))).toEqual([
      ['--listen', 'on', 'latent', '/opt/tgw/user_data/CMD_FLAGS.txt:1'],
      ['--gradio-auth', SECRET_SHOWN, 'latent', '/opt/tgw/user_data/CMD_FLAGS.txt:2'],
    ]);
    expect(JSON.stringify(found)).not.toContain('pw-secret');
  });

  it('a unit line systemd would complain about is quoted in the notes with its key hidden (security review)', async () => {
    const argv = ['/usr/local/bin/llama-server'];
    const host = createFakeHost({
      files: {
        '/etc/systemd/system/llama.service':
          '[Service]\nExecStart=/usr/local/bin/llama-server\nEnvironment="LLAMA_API_KEY=sk-live-%zsecret1" HF-TOKEN=hf_secret2\n',
      },
    });
    const found = await probeKindSettings(host, {
      kind: kindById('llamacpp'),
      pid: 15,
      argv,
      env: new Map(),
      process: proc(15, argv, 'llama.service'),
      listening: ['127.0.0.1'],
      port: 8080,
    });
    expect(found.notes.join(' ')).toMatch(/llama\.service:3/);
    expect(JSON.stringify(found)).not.toMatch(/secret1|hf_secret2/);
  });
});
