/**
 * Issue 13 in the lab: local LLM servers other than Ollama, each a stand-in with that kind's
 * personality (test/lab/fixtures/server-standin.cjs: the answers of servers-facts.md, started
 * under the kind's binary name with its own flags), bound to loopback, to every interface or
 * to the LAN address, with and without a key. The real `paddock scan` inside the lab host must
 * name the kind, give the verdict the LAN neighbour really gets, read the auth state, and
 * raise the right finding; the look-alikes (LocalAI, KoboldCpp answering Ollama's endpoints)
 * must never be called Ollama.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Lab } from './lab';
import { createLab, describeLab } from './lab';
import type { HostMounts } from './host-mounts';
import { hostMounts } from './host-mounts';
import { CLI, runScan } from './scan-helpers';

const STANDIN = fileURLToPath(new URL('./fixtures/server-standin.cjs', import.meta.url));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describeLab('local LLM servers of other kinds', () => {
  let lab: Lab;
  let dir: string;
  let mounts: HostMounts;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    lab = await createLab();
    // A fix writes Paddock's own files under /etc/paddock where systemd runs: the lab's own.
    mounts = hostMounts(lab);
    await mounts.tmpfs('/etc/paddock');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-kinds-'));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'bin'));
  });
  afterEach(async () => {
    for (const child of running.splice(0)) {
      child.kill('SIGKILL');
      await new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve(null);
        else child.once('exit', resolve);
      });
    }
    await lab.runInHost(['pkill', '-KILL', '-f', 'server-standin.cjs']);
  });
  afterAll(async () => {
    await mounts?.release();
    await lab?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the stand-in as `binary` with `argv`; resolves once it listens. */
  async function start(
    kind: string,
    binary: string,
    argv: string[],
    env: Record<string, string> = {},
  ): Promise<void> {
    const bin = path.join(dir, 'bin', binary);
    if (!fs.existsSync(bin)) fs.symlinkSync(process.execPath, bin);
    const child = lab.spawnInHost([bin, STANDIN, ...argv], {
      inheritEnv: false,
      env: { PADDOCK_STANDIN_KIND: kind, HOME: dir, LANG: 'C.UTF-8', ...env },
    });
    running.push(child);
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
    for (let i = 0; i < 100 && !err.includes('listening on'); i += 1) {
      if (child.exitCode !== null) break;
      await sleep(30);
    }
    if (!err.includes('listening on')) throw new Error(`${kind} stand-in did not start: ${err}`);
  }

  async function scanFor(kind: string, port: number) {
    const { json } = await runScan(lab);
    const reached = (await lab.connectFromLan(lab.hostAddress4, port)) === 'open';
    const instance = json.snapshot.instances.find((i) => i.kind === kind);
    return { json, instance, reached };
  }

  it.each([
    ['llamacpp', 'llama-server', ['--host', '127.0.0.1', '--port', '8080'], 8080, 'high'],
    ['lmstudio', 'llmster', ['--bind', '127.0.0.1', '--port', '1234'], 1234, null],
  ])(
    '%s on loopback: found, named, private, no exposure finding; CORS as it answers a foreign page',
    async (kind, binary, argv, port, cors) => {
      await start(kind as string, binary as string, argv as string[]);
      const { json, instance, reached } = await scanFor(kind as string, port as number);
      expect(instance, JSON.stringify(json.snapshot.probes.kinds)).toBeDefined();
      expect(reached).toBe(false);
      expect(instance!.exposure).toBe('private');
      expect(
        json.findings.filter((f) => f.instance === instance!.id && f.ruleId === 'server-exposed'),
      ).toEqual([]);
      // §1.7: llama-server echoes any origin with credentials, so any web page can call it even
      // on loopback; LM Studio sends no CORS header unless told to.
      const corsFinding = json.findings.find(
        (f) => f.instance === instance!.id && f.ruleId === 'server-cors-open',
      );
      expect(corsFinding?.severity ?? null).toBe(cors);
    },
  );

  it.each([
    ['llamacpp', 'llama-server', ['--host', '0.0.0.0', '--port', '8080'], 8080, 'none', 'high'],
    [
      'llamacpp',
      'llama-server',
      ['--host', '0.0.0.0', '--port', '8080', '--api-key', 'k-secret'],
      8080,
      'key-partial',
      'medium',
    ],
    ['vllm', 'vllm', ['serve', 'qwen', '--port', '8000'], 8000, 'none', 'high'],
    [
      'vllm',
      'vllm',
      ['serve', 'qwen', '--port', '8000', '--api-key', 'k-secret'],
      8000,
      'key-required',
      'low',
    ],
    ['lmstudio', 'llmster', ['--bind', '0.0.0.0', '--port', '1234'], 1234, 'none', 'high'],
    ['koboldcpp', 'koboldcpp', ['--port', '5001'], 5001, 'none', 'high'],
    ['localai', 'local-ai', ['run', '--address', ':8080'], 8080, 'none', 'high'],
  ])(
    '%s %j: the kind, the verdict the LAN really gets, the auth state and the finding',
    async (kind, binary, argv, port, auth, severity) => {
      await start(kind, binary, argv);
      const { json, instance, reached } = await scanFor(kind, port);
      expect(instance, JSON.stringify(json.snapshot.probes.kinds)).toBeDefined();
      expect(reached).toBe(true);
      expect(instance!.exposure).toBe('lan');
      expect(instance!.auth?.state).toBe(auth);
      const finding = json.findings.find(
        (f) => f.instance === instance!.id && f.ruleId === 'server-exposed',
      );
      expect(finding?.severity).toBe(severity);
      // The key never appears anywhere in what Paddock prints.
      expect(JSON.stringify(json)).not.toContain('k-secret');
      // A look-alike answering Ollama's endpoints is not Ollama.
      expect(json.snapshot.instances.filter((i) => i.kind === 'ollama')).toEqual([]);
    },
  );

  it('KoboldCpp on 127.0.0.1 started with --remotetunnel: internet, whatever its socket says (servers-facts.md §1.2)', async () => {
    await start('koboldcpp', 'koboldcpp', [
      '--host',
      '127.0.0.1',
      '--port',
      '5001',
      '--remotetunnel',
    ]);
    const { json, instance, reached } = await scanFor('koboldcpp', 5001);
    expect(reached).toBe(false);
    expect(instance?.listeners.every((l) => l.exposure === 'private')).toBe(true);
    expect(instance?.exposure).toBe('internet');
    expect(instance?.reasons.join(' ')).toMatch(
      /--remotetunnel, which publishes it through a Cloudflare quick tunnel/,
    );
    expect(json.findings.find((f) => f.ruleId === 'server-exposed')?.severity).toBe('critical');
  });

  it('an OpenAI-compatible server of no known name or port: found by one quick GET, named generically', async () => {
    await start('generic', 'svc', ['--host', '0.0.0.0', '--port', '8123']);
    const { instance, reached } = await scanFor('openai-compatible', 8123);
    expect(reached).toBe(true);
    expect(instance?.exposure).toBe('lan');
    expect(instance?.reasons[0]).toMatch(/OpenAI-compatible server answers on 0\.0\.0\.0:8123/);
  });

  it('block-port closes any kind: llama-server on 0.0.0.0:8080 is refused to the LAN after the fix, verified, and open again after undo', async () => {
    await start('llamacpp', 'llama-server', ['--host', '0.0.0.0', '--port', '8080']);
    const { instance } = await scanFor('llamacpp', 8080);
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-kinds-state-'));
    try {
      const fixed = await lab.runInHost(
        [process.execPath, CLI, 'fix', 'block-port', '--instance', instance!.id, '--yes'],
        { env: { NO_COLOR: '1', PADDOCK_STATE_DIR: state }, timeoutMs: 60_000 },
      );
      expect(fixed.code, `${fixed.stdout}${fixed.stderr}`).toBe(0);
      expect(await lab.connectFromLan(lab.hostAddress4, 8080)).not.toBe('open');
      const runId = /run ([0-9a-z-]+)/i.exec(fixed.stdout)?.[1];
      expect(runId, fixed.stdout).toBeDefined();
      const undone = await lab.runInHost([process.execPath, CLI, 'undo', runId!, '--yes'], {
        env: { NO_COLOR: '1', PADDOCK_STATE_DIR: state },
        timeoutMs: 60_000,
      });
      expect(undone.code, `${undone.stdout}${undone.stderr}`).toBe(0);
      expect(await lab.connectFromLan(lab.hostAddress4, 8080)).toBe('open');
    } finally {
      await lab.runInHost(['nft', 'flush', 'ruleset']);
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it('llama-server started with --host and a key, LLAMA_ARG_HOST in its environment: settings with their source, the flag winning, the key never shown', async () => {
    const bin = path.join(dir, 'bin', 'llama-server');
    if (!fs.existsSync(bin)) fs.symlinkSync(process.execPath, bin);
    const child = lab.spawnInHost(
      [bin, STANDIN, '--host', '0.0.0.0', '--port', '8080', '--api-key', 'k-secret'],
      {
        inheritEnv: false,
        env: { PADDOCK_STANDIN_KIND: 'llamacpp', HOME: dir, LLAMA_ARG_HOST: '127.0.0.1' },
      },
    );
    running.push(child);
    for (
      let i = 0;
      i < 100 && (await lab.connectFromLan(lab.hostAddress4, 8080)) !== 'open';
      i += 1
    )
      await sleep(30);
    const { json, instance } = await scanFor('llamacpp', 8080);
    expect(instance?.settings.map((s) => [s.name, s.value, s.state])).toEqual([
      ['--host', '0.0.0.0', 'effective'],
      ['LLAMA_ARG_HOST', '127.0.0.1', 'shadowed'],
      ['--port', '8080', 'effective'],
      ['--api-key', '(set; not shown)', 'effective'],
    ]);
    expect(JSON.stringify(json)).not.toContain('k-secret');
  });

  it('llama-server with --tools on every interface: the critical finding names the flag; on loopback, none', async () => {
    await start('llamacpp', 'llama-server', [
      '--host',
      '0.0.0.0',
      '--port',
      '8080',
      '--tools',
      'all',
    ]);
    const exposed = await scanFor('llamacpp', 8080);
    const finding = exposed.json.findings.find((f) => f.ruleId === 'server-risky-feature');
    expect(finding?.severity).toBe('critical');
    expect(finding?.title).toMatch(/--tools/);
    for (const child of running.splice(0)) child.kill('SIGKILL');
    await lab.runInHost(['pkill', '-KILL', '-f', 'server-standin.cjs']);
    await start('llamacpp', 'llama-server', [
      '--host',
      '127.0.0.1',
      '--port',
      '8080',
      '--tools',
      'all',
    ]);
    const local = await scanFor('llamacpp', 8080);
    expect(local.instance?.features?.map((f) => f.flag)).toEqual(['--tools']);
    expect(local.json.findings.find((f) => f.ruleId === 'server-risky-feature')).toBeUndefined();
  });

  it.each<[string, string, string[], Record<string, string>, number, string, string]>([
    ['litellm', 'litellm', ['--port', '4000'], {}, 4000, 'none', 'high'],
    [
      'litellm',
      'litellm',
      ['--port', '4000'],
      { LITELLM_MASTER_KEY: 'k-secret' },
      4000,
      'key-required',
      'low',
    ],
    [
      'tgi',
      'text-generation-router',
      ['--hostname', '0.0.0.0', '--port', '3000', '--prometheus-port', '9000'],
      {},
      3000,
      'unknown',
      'high',
    ],
    ['xinference', 'xinference-local', ['-H', '0.0.0.0', '-p', '9997'], {}, 9997, 'none', 'high'],
    [
      'sglang',
      'python3',
      [
        '-m',
        'sglang.launch_server',
        '--host',
        '0.0.0.0',
        '--port',
        '30000',
        '--api-key',
        'k-secret',
      ],
      {},
      30000,
      'key-required',
      'low',
    ],
    [
      'textgen-webui',
      'python3',
      ['/opt/text-generation-webui/server.py', '--api', '--listen', '--api-port', '5000'],
      {},
      5000,
      'none',
      'high',
    ],
    [
      'llamafile',
      'mistral.llamafile',
      ['--host', '0.0.0.0', '--port', '8080'],
      {},
      8080,
      'none',
      'high',
    ],
    [
      'anythingllm',
      'node',
      ['/app/server/index.js', '--port', '3001'],
      {},
      3001,
      'unknown',
      'high',
    ],
  ])(
    '%s as %s %j: found, named, judged against the LAN, with its auth and finding',
    async (kind, binary, argv, env, port, auth, severity) => {
      await start(kind, binary, argv, env);
      const { json, instance, reached } = await scanFor(kind, port);
      expect(instance, JSON.stringify(json.snapshot.probes.kinds)).toBeDefined();
      expect(reached).toBe(true);
      expect(instance!.exposure).toBe('lan');
      expect(instance!.auth?.state).toBe(auth);
      expect(
        json.findings.find((f) => f.instance === instance!.id && f.ruleId === 'server-exposed')
          ?.severity,
      ).toBe(severity);
      expect(JSON.stringify(json)).not.toContain('k-secret');
      if (kind === 'litellm') {
        // §11: 1.77.0 is in two KEV-listed ranges; reachable, that is critical, key or not.
        const kev = json.findings.find((f) => f.ruleId === 'server-known-exploited');
        expect(kev?.severity).toBe('critical');
        expect(kev?.summary).toMatch(/CVE-2026-42271, CVE-2026-59822/);
      }
      if (kind === 'tgi') {
        // The Prometheus port beside the API is the same process's, and as reachable.
        expect((await lab.connectFromLan(lab.hostAddress4, 9000)) === 'open').toBe(true);
        expect(instance!.listeners.find((l) => l.port === 9000)?.exposure).toBe('lan');
      }
    },
  );

  it('vLLM with tensor parallelism: the worker child’s torch.distributed store on every interface is its side listener, as reachable', async () => {
    await start('vllm', 'vllm', ['serve', 'm', '--port', '8000', '--tensor-parallel-size', '2']);
    for (
      let i = 0;
      i < 50 && (await lab.connectFromLan(lab.hostAddress4, 29500)) !== 'open';
      i += 1
    )
      await sleep(50);
    const { instance } = await scanFor('vllm', 8000);
    expect(await lab.connectFromLan(lab.hostAddress4, 29500)).toBe('open');
    const store = instance?.listeners.find((l) => l.port === 29500);
    expect(store?.exposure).toBe('lan');
    expect(store?.owner?.pid).not.toBe(instance?.pid);
    await lab.runInHost(['pkill', '-KILL', '-f', 'listen(29500']);
  });

  it.each([
    ['gpt4all', 'gpt4all', ['--port', '4891'], 4891],
    ['jan', 'jan', ['--port', '1337'], 1337],
  ])('%s on its default loopback bind: found, named, private', async (kind, binary, argv, port) => {
    await start(kind, binary, argv);
    const { json, instance, reached } = await scanFor(kind, port);
    expect(instance, JSON.stringify(json.snapshot.probes.kinds)).toBeDefined();
    expect(reached).toBe(false);
    expect(instance!.exposure).toBe('private');
  });

  it('llama-server bound to the LAN address only: lan, and loopback is refused', async () => {
    await start('llamacpp', 'llama-server', ['--host', lab.hostAddress4, '--port', '8080']);
    const { instance, reached } = await scanFor('llamacpp', 8080);
    expect(reached).toBe(true);
    expect(instance?.exposure).toBe('lan');
    expect(instance?.listeners.map((l) => l.address)).toEqual([lab.hostAddress4]);
  });

  it('Open WebUI with no account yet on every interface: unclaimed-admin, critical', async () => {
    await start('openwebui', 'open-webui', ['serve', '--port', '8080']);
    const { json, instance, reached } = await scanFor('openwebui', 8080);
    expect(reached).toBe(true);
    expect(instance?.auth?.state).toBe('unclaimed-admin');
    const finding = json.findings.find((f) => f.ruleId === 'unclaimed-admin');
    expect(finding?.severity).toBe('critical');
    expect(finding?.instance).toBe(instance?.id);
  });

  it('Open WebUI with an account: login-required, a low finding', async () => {
    await start('openwebui', 'open-webui', ['serve', '--port', '8080', '--users', '1']);
    const { json, instance } = await scanFor('openwebui', 8080);
    expect(instance?.auth?.state).toBe('login-required');
    expect(json.findings.find((f) => f.ruleId === 'unclaimed-admin')).toBeUndefined();
    expect(json.findings.find((f) => f.ruleId === 'server-exposed')?.severity).toBe('low');
  });
});
