/**
 * Issue 12, classes 2 and 3, with the real Docker Engine (Debian's docker.io) in a lab host:
 * dockerd runs in the host's network, PID and mount namespaces (a cgroup2 mount of its own
 * there; `--storage-driver vfs`, its data in a temporary folder), the stand-in Ollama is
 * imported as an image (node under the name `ollama`, its libraries, the stand-in script; no
 * registry) and published with `-p 8000:11434`. Docker writes its own DOCKER chains, its DNAT
 * and its forward rules; with the userland proxy docker-proxy also listens on port 8000. What
 * the LAN neighbour really reaches is compared with the verdict: with the userland proxy, with
 * `--userland-proxy=false`, and with a DOCKER-USER rule that drops the forwarded connection.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Prerequisite } from '../support/prerequisites';
import { describeWhen } from '../support/prerequisites';
import type { Lab } from './lab';
import { STANDIN_FIXTURE, createLab, labPrerequisites } from './lab';
import { privateRun, runInHostOk, which } from './firewall-lab';
import { runScan } from './scan-helpers';

const NAME = 'pdk-ollama';
// Named like Ollama's own image (the Docker probe matches the image by name; no registry here).
const IMAGE = 'ollama/ollama:pdk-lab';

function prerequisites(): Prerequisite {
  const lab = labPrerequisites();
  if (!lab.ok) return lab;
  const missing = ['dockerd', 'docker', 'iptables', 'tar', 'ldd'].filter((t) => !which(t));
  return missing.length === 0
    ? { ok: true }
    : { ok: false, reason: `${missing.join(', ')} not installed (apt-get install -y docker.io)` };
}

/** A root folder holding node as /bin/ollama, the libraries it links, and the stand-in. */
function buildImageTree(root: string): void {
  const node = fs.realpathSync(process.execPath);
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  fs.copyFileSync(node, path.join(root, 'bin', 'ollama'));
  fs.chmodSync(path.join(root, 'bin', 'ollama'), 0o755);
  const libs = execFileSync('ldd', [node], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /(\/\S+)\s+\(0x/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined);
  for (const lib of libs) {
    fs.mkdirSync(path.join(root, path.dirname(lib)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), path.join(root, lib));
  }
  fs.mkdirSync(path.join(root, 'standin'));
  fs.copyFileSync(STANDIN_FIXTURE, path.join(root, 'standin', 'ollama-standin.cjs'));
  fs.writeFileSync(
    path.join(root, 'standin', 'serve'),
    "'use strict';\n// Paddock lab: the stand-in Ollama test fixture as `ollama serve`.\nrequire('/standin/ollama-standin.cjs').main();\n",
  );
  fs.mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 });
  fs.mkdirSync(path.join(root, 'root'));
}

/** The findings that say "someone else can reach it". */
const EXPOSURE_RULES = new Set([
  'exposed-to-lan',
  'exposed-to-internet',
  'docker-publish-beyond-loopback',
  'proxy-without-auth',
]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describeWhen('docker lab', prerequisites, 'the real Docker Engine publishing Ollama', () => {
  let lab: Lab;
  let dir: string;
  let daemon: { child: ChildProcess; pid: number } | null = null;
  const docker = (...args: string[]) => {
    const r = spawnSync('docker', args, {
      encoding: 'utf8',
      env: { ...process.env, DOCKER_HOST: `unix://${dir}/docker.sock` },
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const lanGets = async () =>
    (await lab.httpFromLan(`http://${lab.hostAddress4}:8000/api/tags`, { timeoutMs: 1500 }))
      .status === 200;
  const scan = () =>
    runScan(lab, { env: { DOCKER_HOST: `unix://${dir}/docker.sock` }, timeoutMs: 30_000 });

  async function startDockerd(userlandProxy: boolean): Promise<void> {
    const argv = [
      'sh',
      '-c',
      // The lab host's /sys is its own (ip netns exec): dockerd needs the cgroup2 hierarchy.
      'mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup; exec "$@"',
      'sh',
      'dockerd',
      '--data-root',
      `${dir}/data`,
      '--exec-root',
      `${dir}/exec`,
      '--pidfile',
      `${dir}/docker.pid`,
      '-H',
      `unix://${dir}/docker.sock`,
      '--storage-driver',
      'vfs',
      `--userland-proxy=${userlandProxy}`,
    ];
    const child = lab.spawnInHost(argv, {
      inheritEnv: false,
      env: { HOME: '/root', LANG: 'C.UTF-8' },
    });
    const log: string[] = [];
    child.stderr?.on('data', (c: Buffer) => log.push(c.toString('utf8')));
    child.stdout?.on('data', (c: Buffer) => log.push(c.toString('utf8')));
    daemon = { child, pid: await lab.innerPid(child) };
    for (let i = 0; i < 150; i += 1) {
      const r = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
        env: { ...process.env, DOCKER_HOST: `unix://${dir}/docker.sock` },
        encoding: 'utf8',
        timeout: 5000,
      });
      if (r.status === 0) return;
      if (child.exitCode !== null) break;
      await sleep(200);
    }
    throw new Error(`dockerd did not come up: ${log.join('').slice(-2000)}`);
  }

  async function stopDockerd(): Promise<void> {
    if (!daemon) return;
    const { child, pid } = daemon;
    daemon = null;
    try {
      docker('rm', '-f', NAME);
    } catch {
      // none
    }
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
    for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i += 1)
      await sleep(100);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Docker's own chains and bridge go with the next test's daemon or the lab.
    await lab.runInHost(['nft', 'flush', 'ruleset']);
    await lab.runInHost(['ip', 'link', 'del', 'docker0']);
  }

  const importImage = () =>
    docker(
      'import',
      '-c',
      'WORKDIR /standin',
      '-c',
      'ENV OLLAMA_HOST=0.0.0.0:11434',
      '-c',
      'CMD ["/bin/ollama","serve"]',
      path.join(dir, 'image.tar'),
      IMAGE,
    );

  async function publish(userlandProxy: boolean): Promise<void> {
    await startDockerd(userlandProxy);
    importImage();
    docker('run', '-d', '--name', NAME, '-p', '8000:11434', IMAGE);
    for (let i = 0; i < 50 && !(await lanGets()); i += 1) await sleep(100);
  }

  beforeAll(async () => {
    lab = await createLab();
    await privateRun(lab);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-docker-'));
    fs.chmodSync(dir, 0o711);
    const tree = path.join(dir, 'image');
    buildImageTree(tree);
    execFileSync('tar', ['-C', tree, '-cf', path.join(dir, 'image.tar'), '.']);
    fs.rmSync(tree, { recursive: true, force: true });
  }, 60_000);
  afterEach(async () => {
    await stopDockerd();
  }, 30_000);
  afterAll(async () => {
    await stopDockerd();
    await lab?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /**
   * Issue 18, "one thing said once": one container is one server with one exposure finding
   * (Docker's publish: not also "reachable from the local network", nor docker-proxy or dockerd
   * as "a reverse proxy without a password"), and every finding offers only fixes that apply to
   * a container Docker publishes (no host rebind, no host firewall, no proxy password).
   */
  const saidOnce = (json: Awaited<ReturnType<typeof runScan>>['json']) => {
    expect(json.snapshot.instances.map((i) => i.id)).toHaveLength(1);
    const exposure = json.findings.filter((f) => EXPOSURE_RULES.has(f.ruleId));
    expect(exposure.map((f) => f.ruleId)).toEqual(['docker-publish-beyond-loopback']);
    expect(exposure[0]!.summary).toMatch(/Other machines on your network reach it at .*:8000/);
    const offered = [...new Set(json.findings.flatMap((f) => f.fixes))];
    expect(offered).toContain('docker-localhost');
    for (const never of [
      'rebind-systemd',
      'rebind-server',
      'block-port',
      'enable-firewall',
      'proxy-auth',
      'share-allowlist',
      'share-vpn',
    ])
      expect(offered, never).not.toContain(never);
  };

  const serverInstance = (json: Awaited<ReturnType<typeof runScan>>['json']) => {
    const found = json.snapshot.instances.filter((i) =>
      i.containers.some((c) => c.names.includes(NAME)),
    );
    expect(found, JSON.stringify(json.snapshot.instances.map((i) => i.id))).toHaveLength(1);
    return found[0]!;
  };

  it('with the userland proxy: the LAN gets in through Docker’s DNAT; one server, its own namespace, the DOCKER chain named', async () => {
    await publish(true);
    expect(await lanGets()).toBe(true);
    const { json } = await scan();
    expect(json.verdict).toBe('lan');
    const instance = serverInstance(json);
    expect(instance.process?.sameNetns).toBe(false);
    expect(instance.process?.containerId).toMatch(/^[0-9a-f]{64}$/);
    const ns = instance.listeners.find((l) => l.path === 'namespace')!;
    const via = ns.reachableVia.find(
      (p) => p.interface === lab.names.hostIf && p.nat?.port === 8000,
    );
    expect(via?.open).toBe(true);
    expect(via?.nat?.rule).toMatch(/DNAT --to-destination 172\.17\.0\.\d+:11434/);
    expect(via?.forward?.outInterface).toBe('docker0');
    // docker-proxy listens on 8000 too, but a connection from the LAN never reaches it.
    expect(instance.reasons.join('\n') + JSON.stringify(instance.listeners)).toMatch(
      /never reach this socket: a NAT rule sends them to 172\.17\.0\.\d+:11434 first/,
    );
    saidOnce(json);
  }, 120_000);

  it('with --userland-proxy=false: DNAT only, no docker-proxy, and the verdict still says lan', async () => {
    await publish(false);
    expect(await lanGets()).toBe(true);
    const { json } = await scan();
    // No docker-proxy: dockerd itself only holds the port (it binds it to reserve it, and a
    // connection from another machine never reaches that socket: the DNAT comes first).
    const on8000 = json.snapshot.probes.sockets.data.filter(
      (s) => s.localPort === 8000 && s.state === 'listen',
    );
    expect(on8000.flatMap((s) => s.processes.map((p) => p.name))).not.toContain('docker-proxy');
    expect(json.verdict).toBe('lan');
    const instance = serverInstance(json);
    expect(instance.exposure).toBe('lan');
    const ns = instance.listeners.find((l) => l.path === 'namespace')!;
    expect(ns.reachableVia.some((p) => p.nat?.port === 8000 && p.open)).toBe(true);
    saidOnce(json);
  }, 120_000);

  it('a DOCKER-USER rule that drops it: the LAN is refused, and no path from the LAN counts as open', async () => {
    await publish(false);
    await runInHostOk(lab, [
      'iptables',
      '-I',
      'DOCKER-USER',
      '-i',
      lab.names.hostIf,
      '-p',
      'tcp',
      '--dport',
      '11434',
      '-j',
      'DROP',
    ]);
    expect(await lanGets()).toBe(false);
    const { json } = await scan();
    const instance = serverInstance(json);
    const fromLan = instance.listeners.flatMap((l) =>
      l.reachableVia.filter((p) => p.interface === lab.names.hostIf),
    );
    expect(fromLan.length).toBeGreaterThan(0);
    expect(fromLan.filter((p) => p.open)).toEqual([]);
    expect(JSON.stringify(fromLan)).toMatch(/DOCKER-USER/);
    // Refused everywhere: nothing says Docker publishes it past the firewall.
    expect(json.findings.filter((f) => EXPOSURE_RULES.has(f.ruleId))).toEqual([]);
  }, 120_000);
});
