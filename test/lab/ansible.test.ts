/**
 * Issue 15, "Ansible": deploy/ansible/fleet.yml and its role `paddock`, run by the real
 * ansible-playbook (ansible-core from Debian) against two hosts:
 *
 * - this machine, with `ansible_connection=local` (Paddock installed under a temporary folder
 *   of the test's, so nothing lands in /usr/local here);
 * - the systemd container of the lab (test/lab/systemd.ts), reached over real SSH from the LAN
 *   neighbour's network namespace: the ssh client runs there (ip netns exec), the container's
 *   sshd is started by the test with a host key and an authorized key made for this run only,
 *   and the client trusts exactly that host key.
 *
 * The container runs the stand-in Ollama as ollama.service, exposed on 0.0.0.0:11434 by its
 * override.conf, reporting a version without a known advisory (so that a private server passes
 * `--fail-on high`). This machine's own scan sees that server too (its process, in another
 * network namespace), so its verdict is whatever a direct `paddock scan` here says, compared,
 * never assumed. What a user would check: the play fails while the container is exposed, the
 * table names both hosts with their verdicts, `--fail-on` is the one asked for, Paddock is
 * installed root-owned and runs; the chosen fix applied with `--yes` is
 * registered and the play passes, the LAN neighbour is refused; undo of the registered run
 * brings the exposure back; bad inputs are refused before anything changes; and
 * `paddock_state=absent` removes what the role installed.
 *
 * Ansible keeps everything in the test's folder (ANSIBLE_HOME, local and remote temporary
 * folders, SSH control sockets, TMPDIR for the control node's package), and every SSH master
 * connection is closed at the end.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { ScanJson } from '../../electron/cli/scan-json';
import { FIX_IDS } from '../../electron/cli/privileged-commands';
import { RUN_ID } from '../../electron/engine/fixes/executor';
import type { Prerequisite } from '../support/prerequisites';
import { describeWhen } from '../support/prerequisites';
import { SEARCH_PATH, alive, sleep, which } from './proc';
import { CLI } from './scan-helpers';
import type { SystemdLab, UnitDirSnapshot } from './systemd';
import { STANDIN_PORT, UNIT, createSystemdLab, systemdLabPrerequisites } from './systemd';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ANSIBLE_DIR = path.join(ROOT, 'deploy', 'ansible');
const FLEET = path.join(ANSIBLE_DIR, 'fleet.yml');
const BUNDLE = path.join(ROOT, 'out', 'cli', 'paddock.cjs');
const ROLE = path.join(ANSIBLE_DIR, 'roles', 'paddock');
const PREFIX = '/usr/local/lib/paddock';
const WRAPPER = '/usr/local/bin/paddock';
const INSTANCE = `ollama:service:${UNIT}`;
const SSHD_UNIT = 'pdk-lab-sshd.service';
const SSHD_DIR = '/run/pdk-lab-sshd';
/** A version no advisory of electron/engine/advisories/data.ts affects. */
const CURRENT_VERSION = '0.21.0';

const TOOLS = {
  ansiblePlaybook: which('ansible-playbook'),
  ssh: which('ssh'),
  sshKeygen: which('ssh-keygen'),
  ip: which('ip'),
};

function prerequisites(): Prerequisite {
  const lab = systemdLabPrerequisites();
  if (!lab.ok) return lab;
  const missing = Object.entries(TOOLS).filter(([, bin]) => bin === null);
  return missing.length === 0
    ? { ok: true }
    : {
        ok: false,
        reason: `not installed: ${missing.map(([name]) => name).join(', ')} (apt-get install ansible-core openssh-client)`,
      };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** argv, bounded: the whole process group is killed on expiry. */
function runCommand(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: opts.env ?? { PATH: SEARCH_PATH.join(':'), LANG: 'C.UTF-8' },
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, opts.timeoutMs ?? 30_000);
    let spawnError = '';
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + spawnError,
        timedOut,
        ms: performance.now() - t0,
      });
    });
  });
}

/** The lines of the fleet's table, as the task "The fleet's verdicts" printed them. */
function fleetTable(stdout: string): string[] {
  const at = stdout.indexOf("TASK [The fleet's verdicts]");
  if (at < 0) return [];
  const open = stdout.indexOf('=> {\n', at);
  const close = stdout.indexOf('\n}\n', open);
  if (open < 0 || close < 0) return [];
  return (JSON.parse(stdout.slice(open + 3, close + 2)) as { msg: string[] }).msg;
}

function rowOf(table: string[], host: string): string {
  const row = table.find((line) => line.startsWith(`${host} `));
  if (!row) throw new Error(`no row for ${host} in the table:\n${table.join('\n')}`);
  return row;
}

/** ok/changed/failed of one host in the PLAY RECAP. */
function recap(stdout: string, host: string): { ok: number; changed: number; failed: number } {
  const m = new RegExp(
    `^${host}\\s+: ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=\\d+\\s+failed=(\\d+)`,
    'm',
  ).exec(stdout);
  if (!m) throw new Error(`no PLAY RECAP line for ${host}:\n${stdout.slice(-2000)}`);
  return { ok: Number(m[1]), changed: Number(m[2]), failed: Number(m[3]) };
}

const LABELS = {
  private: 'private (this machine only)',
  lan: 'lan (reachable from the local network)',
  internet: 'internet (reachable from the internet)',
  unknown: 'unknown (not proven private)',
} as const;
const label = (verdict: string): string =>
  verdict in LABELS ? LABELS[verdict as keyof typeof LABELS] : `no label for ${verdict}`;

interface HostResult {
  verdict: string;
  score: number;
  exit: number;
  fail_on: string;
  failed: boolean;
  version: string;
  instances: Array<{ id: string; kind: string; exposure: string }>;
  failing_findings: Array<{ ruleId: string; severity: string }>;
  fix: { id?: string; run_id?: string | null; state?: string | null; ok?: boolean };
  undo: { run_id?: string; state?: string | null; ok?: boolean };
}

/** paddock_fleet_report: each host's paddock_result (this machine's absent with `-l container`). */
interface Fleet {
  local?: HostResult;
  container: HostResult;
}

interface Direct {
  verdict: string;
  exit: number | null;
}

describeWhen('ansible lab', prerequisites, 'Ansible: the role paddock and fleet.yml', () => {
  let sd: SystemdLab;
  let work: string;
  let original: UnitDirSnapshot;
  /** The results of the play against the exposed container. */
  let exposedFleet: Fleet | null = null;
  const timings: Record<string, number> = {};
  const local = () => path.join(work, 'local');
  const report = () => path.join(work, 'report.json');
  let ansibleHomeBefore: string[] = [];
  const ansibleHome = () => {
    try {
      return fs.readdirSync('/root/.ansible', { recursive: true }).map(String).sort();
    } catch {
      return [];
    }
  };

  /** The inventory: this machine (local) and the container (SSH from the LAN neighbour). */
  function inventory(
    vars: { local?: Record<string, unknown>; container?: Record<string, unknown> } = {},
  ): string {
    const file = path.join(work, 'inventory.json');
    const inv = {
      all: {
        vars: { ansible_python_interpreter: '/usr/bin/python3', ansible_become: false },
        hosts: {
          local: {
            ansible_connection: 'local',
            // The Node.js running this test (the container's /usr/bin/node is the same file).
            paddock_node: process.execPath,
            paddock_prefix: path.join(local(), 'paddock'),
            paddock_bin: path.join(local(), 'bin', 'paddock'),
            ...vars.local,
          },
          container: {
            ansible_host: sd.lab.hostAddress4,
            ansible_user: 'root',
            ansible_ssh_executable: path.join(work, 'ssh-from-lan'),
            ansible_ssh_private_key_file: path.join(work, 'keys', 'client'),
            ansible_ssh_common_args: [
              '-F /dev/null',
              '-o IdentitiesOnly=yes',
              `-o UserKnownHostsFile=${path.join(work, 'keys', 'known_hosts')}`,
              '-o GlobalKnownHostsFile=/dev/null',
              '-o StrictHostKeyChecking=yes',
            ].join(' '),
            ansible_ssh_transfer_method: 'piped',
            ...vars.container,
          },
        },
      },
    };
    fs.writeFileSync(file, JSON.stringify(inv, null, 2));
    return file;
  }

  async function playbook(
    what: string,
    vars: Parameters<typeof inventory>[0],
    extra: string[] = [],
  ): Promise<Run & { table: string[]; results: Fleet | null }> {
    fs.rmSync(report(), { force: true });
    const r = await runCommand(
      [
        TOOLS.ansiblePlaybook!,
        '-i',
        inventory(vars),
        FLEET,
        '-e',
        JSON.stringify({ paddock_fleet_report: report() }),
        ...extra,
      ],
      {
        cwd: work,
        timeoutMs: 240_000,
        env: {
          PATH: SEARCH_PATH.join(':'),
          HOME: process.env.HOME ?? '/root',
          LANG: 'C.UTF-8',
          LC_ALL: 'C.UTF-8',
          TMPDIR: path.join(work, 'tmp'),
          ANSIBLE_CONFIG: path.join(work, 'ansible.cfg'),
          ANSIBLE_HOME: path.join(work, 'ansible-home'),
          ANSIBLE_LOCAL_TEMP: path.join(work, 'ansible-local-tmp'),
          ANSIBLE_REMOTE_TEMP: path.join(work, 'ansible-remote-tmp'),
          ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(work, 'cp'),
          ANSIBLE_NOCOLOR: '1',
          ANSIBLE_RETRY_FILES_ENABLED: '0',
        },
      },
    );
    timings[what] = Math.round(r.ms);
    expect(r.timedOut, `ansible-playbook timed out: ${r.stdout.slice(-3000)}`).toBe(false);
    const results = fs.existsSync(report())
      ? (JSON.parse(fs.readFileSync(report(), 'utf8')) as Fleet)
      : null;
    return { ...r, table: fleetTable(r.stdout), results };
  }

  /** `paddock scan --json --fail-on SEVERITY` run directly on this machine, from the checkout. */
  async function directScan(failOn: string): Promise<Direct> {
    const r = await runCommand([process.execPath, CLI, 'scan', '--json', '--fail-on', failOn], {
      env: { PATH: SEARCH_PATH.join(':'), HOME: process.env.HOME ?? '/root', NO_COLOR: '1' },
    });
    return { verdict: (JSON.parse(r.stdout) as ScanJson).verdict, exit: r.code };
  }

  /** The play on both hosts, between two direct scans of this machine. */
  async function fleetPlay(
    what: string,
    vars: Parameters<typeof inventory>[0],
    failOn = 'high',
    extra: string[] = [],
  ): Promise<Awaited<ReturnType<typeof playbook>> & { local: HostResult; direct: Direct[] }> {
    const before = await directScan(failOn);
    const run = await playbook(what, vars, ['-e', `paddock_fail_on=${failOn}`, ...extra]);
    const after = await directScan(failOn);
    const local = run.results?.local;
    if (!local) throw new Error(`no result for this machine:\n${run.stdout.slice(-3000)}`);
    return { ...run, local, direct: [before, after] };
  }

  /**
   * This machine's registered result is what a direct scan here says (the one just before or
   * just after the play: a lab of another test run on this machine may start or stop a server
   * meanwhile, and this machine's scan sees those too), its row in the table says the same, and
   * it fails the local host exactly when that scan fails it.
   */
  function expectLocalAsDirect(run: Awaited<ReturnType<typeof fleetPlay>>): void {
    expect(run.direct.map((d) => `${d.verdict}, exit ${d.exit}`)).toContain(
      `${run.local.verdict}, exit ${run.local.exit}`,
    );
    const row = rowOf(run.table, 'local');
    expect(row).toContain(label(run.local.verdict));
    expect(row).toMatch(run.local.exit === 0 ? /\spass\s/ : /\sFAIL /);
    expect(recap(run.stdout, 'local').failed).toBe(run.local.exit === 0 ? 0 : 1);
  }

  const inContainer = (p: string) => sd.hostPath(p);

  beforeAll(async () => {
    ansibleHomeBefore = ansibleHome();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-ansible-'));
    for (const d of ['keys', 'tmp', 'local', 'local/bin'])
      fs.mkdirSync(path.join(work, d), { mode: 0o700 });
    fs.writeFileSync(path.join(work, 'ansible.cfg'), '');
    const t0 = performance.now();
    sd = await createSystemdLab({ standinEnv: { STANDIN_VERSION: CURRENT_VERSION } });
    timings.lab = Math.round(performance.now() - t0);
    original = sd.readUnitDir();

    // Keys for this run only: the client's, and the host key the container's sshd presents.
    const keys = path.join(work, 'keys');
    for (const [name, comment] of [
      ['client', 'paddock-lab-client'],
      ['host', 'paddock-lab-host'],
    ] as const) {
      const r = await runCommand([
        TOOLS.sshKeygen!,
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        comment,
        '-f',
        path.join(keys, name),
      ]);
      if (r.code !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
    }
    const hostPub = fs.readFileSync(path.join(keys, 'host.pub'), 'utf8').trim().split(' ');
    fs.writeFileSync(
      path.join(keys, 'known_hosts'),
      `${sd.lab.hostAddress4} ${hostPub[0]} ${hostPub[1]}\n`,
    );
    fs.mkdirSync(inContainer(SSHD_DIR), { mode: 0o700 });
    fs.copyFileSync(path.join(keys, 'host'), inContainer(`${SSHD_DIR}/host_key`));
    fs.chmodSync(inContainer(`${SSHD_DIR}/host_key`), 0o600);
    fs.copyFileSync(path.join(keys, 'client.pub'), inContainer(`${SSHD_DIR}/authorized_keys`));
    fs.chmodSync(inContainer(`${SSHD_DIR}/authorized_keys`), 0o600);
    fs.mkdirSync(inContainer('/run/sshd'), { mode: 0o755, recursive: true });
    const started = await sd.runInContainer([
      'systemd-run',
      `--unit=${SSHD_UNIT}`,
      '--quiet',
      '/usr/sbin/sshd',
      '-D',
      '-e',
      '-h',
      `${SSHD_DIR}/host_key`,
      '-o',
      `AuthorizedKeysFile=${SSHD_DIR}/authorized_keys`,
      '-o',
      `ListenAddress=${sd.lab.hostAddress4}`,
      '-o',
      'PasswordAuthentication=no',
      '-o',
      'KbdInteractiveAuthentication=no',
      '-o',
      'PermitRootLogin=prohibit-password',
      '-o',
      'UsePAM=no',
    ]);
    if (started.code !== 0) throw new Error(`sshd did not start: ${started.stderr}`);
    if ((await sd.waitFromLan(22, 'open', { timeoutMs: 5000 })) !== 'open')
      throw new Error('sshd does not answer from the LAN neighbour');
    // The ssh client runs in the LAN neighbour's network namespace.
    fs.writeFileSync(
      path.join(work, 'ssh-from-lan'),
      `#!/bin/sh\nexec ${TOOLS.ip} netns exec ${sd.lab.names.lan} ${TOOLS.ssh} "$@"\n`,
      { mode: 0o755 },
    );
  }, 300_000);

  afterAll(async () => {
    // Close the SSH master connections Ansible left (ControlPersist), then anything still
    // running from this run's folder (by its own path in the command line, only ours).
    if (work && fs.existsSync(path.join(work, 'cp')))
      for (const socket of fs.readdirSync(path.join(work, 'cp')))
        await runCommand(
          [TOOLS.ssh!, '-o', `ControlPath=${path.join(work, 'cp', socket)}`, '-O', 'exit', 'x'],
          { timeoutMs: 5000 },
        );
    const deadline = Date.now() + 3000;
    let left = work ? processesOf(work) : [];
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(100);
      left = processesOf(work);
    }
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (sd) await sd.runInContainer(['systemctl', 'stop', SSHD_UNIT]).catch(() => undefined);
    await sd?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    console.info(`[ansible lab timings, ms] ${JSON.stringify(timings)}`);
  }, 60_000);

  it("the role's fix ids are paddock fix's own", () => {
    const vars = parseYaml(fs.readFileSync(path.join(ROLE, 'vars', 'main.yml'), 'utf8')) as {
      paddock_fix_ids: string[];
    };
    expect(vars.paddock_fix_ids).toEqual([...FIX_IDS]);
  });

  it('bad inputs (an unknown fix, Node.js missing or too old, a checkout without zod) stop each host with a clear error before anything changes', async () => {
    // Node 18 as far as anyone asks it.
    fs.mkdirSync(inContainer('/usr/local/lib/pdk-old-node'), { mode: 0o755 });
    fs.writeFileSync(
      inContainer('/usr/local/lib/pdk-old-node/node'),
      '#!/bin/sh\necho v18.19.1\n',
      {
        mode: 0o755,
      },
    );
    const unknownFix = await playbook('bad fix id', {}, ['-e', 'paddock_fix=open-everything']);
    expect(unknownFix.code, unknownFix.stdout).toBe(2);
    for (const host of ['local', 'container'])
      expect(unknownFix.stdout).toContain(
        `Paddock's role on ${host}: paddock_fix \\"open-everything\\" is not a fix Paddock knows (one of: ${FIX_IDS.join(', ')}). Nothing was changed.`,
      );

    const badNode = await playbook('bad node', {
      local: { paddock_node: path.join(work, 'no-such-node') },
      container: { paddock_node: '/usr/local/lib/pdk-old-node/node' },
    });
    expect(badNode.code, badNode.stdout).toBe(2);
    expect(badNode.stdout).toContain(
      `Paddock needs Node.js 20 or later on local, and paddock_node=${path.join(work, 'no-such-node')} does not exist.`,
    );
    expect(badNode.stdout).toContain(
      'Paddock needs Node.js 20 or later on container, and /usr/local/lib/pdk-old-node/node is v18.19.1.',
    );
    expect(badNode.stdout).toContain('nothing was changed');

    // A checkout whose CLI is built but whose node_modules lacks zod.
    const partial = path.join(work, 'checkout-without-zod');
    for (const file of ['bin/paddock.cjs', 'out/cli/paddock.cjs']) {
      fs.mkdirSync(path.dirname(path.join(partial, file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, file), path.join(partial, file));
    }
    const noZod = await playbook('source without zod', {}, [
      '-e',
      JSON.stringify({ paddock_source: partial }),
    ]);
    expect(noZod.code, noZod.stdout).toBe(2);
    for (const host of ['local', 'container'])
      // The bundle loads sql.js too (the Ollama app database reader), and neither is there.
      expect(noZod.stdout).toContain(
        `paddock_source=${partial} on the control node lacks sql.js, zod in node_modules, which Paddock's CLI loads: run \`npm ci\` there; nothing was changed on ${host}.`,
      );
    fs.rmSync(partial, { recursive: true });

    for (const run of [unknownFix, badNode, noZod]) {
      expect(recap(run.stdout, 'local').failed).toBe(1);
      expect(recap(run.stdout, 'container').failed).toBe(1);
      expect(recap(run.stdout, 'container').changed).toBe(0);
      expect(run.table).toEqual([]);
    }
    expect(fs.existsSync(inContainer(PREFIX))).toBe(false);
    expect(fs.existsSync(inContainer(WRAPPER))).toBe(false);
    expect(fs.readdirSync(local())).toEqual(['bin']);
    expect(fs.readdirSync(path.join(local(), 'bin'))).toEqual([]);
    expect(sd.readUnitDir()).toEqual(original);
    expect(await sd.connectFromLan(STANDIN_PORT)).toBe('open');
    fs.rmSync(inContainer('/usr/local/lib/pdk-old-node'), { recursive: true });
  }, 300_000);

  it('fleet.yml on this machine and the container: the play fails on the exposed container, the table gives both verdicts, Paddock is installed root-owned and runs', async () => {
    expect(await sd.connectFromLan(STANDIN_PORT)).toBe('open');
    const run = await fleetPlay('fleet, exposed', {});
    // The play fails: the container is exposed, and --fail-on high says so.
    expect(run.code, run.stdout).toBe(2);
    expect(run.stdout).toMatch(
      /fatal: \[container\]: FAILED! => .*"msg": "container: paddock scan --fail-on high exited 1: verdict lan, open findings high or worse: [a-z, -]*exposed-to-lan/,
    );
    expect(recap(run.stdout, 'container').failed).toBe(1);

    // The table: both hosts, each with its verdict; this machine's as a direct scan says.
    expectLocalAsDirect(run);
    expect(run.table[0]).toMatch(/^HOST\s+VERDICT\s+SCORE\s+RESULT\s+SERVERS\s+FIX \/ UNDO$/);
    const container = rowOf(run.table, 'container');
    expect(container).toContain(LABELS.lan);
    expect(container).toContain(`FAIL (high or worse:`);
    expect(container).toContain(`${INSTANCE}=lan`);
    expect(run.table).toHaveLength(3);

    // The registered results, as JSON on the control node.
    const results = run.results!;
    expect(results.container).toMatchObject({ verdict: 'lan', exit: 1, failed: true });
    expect(results.container.instances).toEqual([
      { id: INSTANCE, kind: 'ollama', exposure: 'lan' },
    ]);

    // Installed at the prefix: root's, folders 0755, files 0644, the launcher 0755; exactly
    // the launcher, the bundle and zod.
    const version = (await runCommand([process.execPath, CLI, '--version'])).stdout.trim();
    expect(results.container.version).toBe(version);
    // The packages: what the bundle requires from node_modules (today zod alone).
    const packages = [
      ...new Set(
        [
          ...fs
            .readFileSync(BUNDLE, 'utf8')
            .matchAll(/require(?:\.resolve)?\("((?:@[^/"]+\/)?[^/"]+)[^"]*"\)/g),
        ]
          .map((m) => m[1]!)
          .filter((name) => fs.existsSync(path.join(ROOT, 'node_modules', name, 'package.json'))),
      ),
    ];
    expect(packages).toContain('zod');
    const expected = [
      'bin',
      'bin/paddock.cjs',
      'node_modules',
      ...packages.flatMap((name) => [
        `node_modules/${name}`,
        ...fs
          .readdirSync(path.join(ROOT, 'node_modules', name), { recursive: true })
          .map((p) => `node_modules/${name}/${String(p)}`),
      ]),
      'out',
      'out/cli',
      'out/cli/paddock.cjs',
    ].sort();
    for (const prefix of [inContainer(PREFIX), path.join(local(), 'paddock')]) {
      const found = fs.readdirSync(prefix, { recursive: true }).map(String).sort();
      expect(found).toEqual(expected);
      for (const p of ['', ...found]) {
        const st = fs.lstatSync(path.join(prefix, p));
        // Folders and the launcher 755; a package's file keeps its own read and execute bits
        // (sql.js ships an executable .wasm), never writable by group or others: what root's
        // start-up check asks (electron/cli/root-install.ts).
        const source = p.startsWith('node_modules/')
          ? fs.lstatSync(path.join(ROOT, p)).mode & 0o755
          : 0o644;
        const want = st.isDirectory() || p === 'bin/paddock.cjs' ? 0o755 : source | 0o644;
        expect({ p, uid: st.uid, gid: st.gid, mode: (st.mode & 0o7777).toString(8) }).toEqual({
          p,
          uid: 0,
          gid: 0,
          mode: want.toString(8),
        });
      }
    }
    const localWrapper = await runCommand([path.join(local(), 'bin', 'paddock'), '--version']);
    expect(localWrapper.stdout.trim(), localWrapper.stderr).toBe(version);
    const wrapper = fs.lstatSync(inContainer(WRAPPER));
    expect([wrapper.uid, (wrapper.mode & 0o7777).toString(8)]).toEqual([0, '755']);
    // `paddock` on the container's PATH: the installed copy, as root (which checks its files).
    expect((await sd.runInContainer(['paddock', '--version'])).stdout.trim()).toBe(version);
    const scanned = await sd.runInContainer(['paddock', 'scan', '--json', '--fail-on', 'high'], {
      timeoutMs: 30_000,
    });
    expect(scanned.code, scanned.stderr).toBe(1);
    expect((JSON.parse(scanned.stdout) as ScanJson).verdict).toBe('lan');

    exposedFleet = results;

    // Again, failing on critical findings only: nothing to install, nothing changes on the
    // container, and its exposure (high findings, none critical) no longer fails the play.
    const again = await fleetPlay('fleet again, --fail-on critical', {}, 'critical');
    expect(recap(again.stdout, 'container')).toMatchObject({ changed: 0, failed: 0 });
    expect(again.results!.container).toMatchObject({
      verdict: 'lan',
      exit: 0,
      failed: false,
      fail_on: 'critical',
    });
    expect(rowOf(again.table, 'container')).toMatch(
      /lan \(reachable from the local network\)\s+\d+\s+pass\s/,
    );
    expectLocalAsDirect(again);
    expect(again.code, again.stdout).toBe(again.local.exit === 0 ? 0 : 2);
  }, 300_000);

  it('the chosen fix applied with --yes is registered and the play passes; undo of the registered run brings the exposure back', async () => {
    // The instance id, from the results the last play registered (or a new one).
    const scanned = exposedFleet ?? (await fleetPlay('scan for the instance', {})).results!;
    const instance = scanned.container.instances.find((i) => i.exposure === 'lan')!.id;
    expect(instance).toBe(INSTANCE);

    // The fix for the container alone (`-l`, as a fleet's operator fixes one host): then the
    // play passes.
    const fixed = await playbook(
      'fix',
      { container: { paddock_fix: 'rebind-systemd', paddock_fix_instance: instance } },
      ['-l', 'container'],
    );
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(fixed.results!.container.fix).toMatchObject({
      id: 'rebind-systemd',
      state: 'applied',
      ok: true,
    });
    const runId = fixed.results!.container.fix.run_id!;
    expect(runId).toMatch(RUN_ID);
    expect(fixed.results!.container).toMatchObject({ verdict: 'private', exit: 0, failed: false });
    expect(fixed.results!.local).toBeUndefined();
    expect(rowOf(fixed.table, 'container')).toMatch(
      new RegExp(
        `${LABELS.private.replace(/[()]/g, '\\$&')}.*\\spass\\s.*rebind-systemd: applied run ${runId}$`,
      ),
    );
    expect(await sd.waitFromLan(STANDIN_PORT, 'refused')).toBe('refused');
    expect(await sd.connectFromLan(STANDIN_PORT, 6)).toBe('refused');
    const history = await sd.runInContainer(['paddock', 'history', '--json'], {
      timeoutMs: 30_000,
    });
    expect(JSON.parse(history.stdout)).toContainEqual(
      expect.objectContaining({ id: runId, fixId: 'rebind-systemd', state: 'applied' }),
    );

    // Asked again, on both hosts: the fix is skipped (no open finding offers it any more), and
    // the play passes unless this machine's own scan fails it (it sees the container's server,
    // now private, and whatever else runs here).
    const refixed = await fleetPlay('fix again, both hosts', {
      container: { paddock_fix: 'rebind-systemd', paddock_fix_instance: instance },
    });
    expect(refixed.results!.container).toMatchObject({ verdict: 'private', exit: 0 });
    expect(recap(refixed.stdout, 'container')).toMatchObject({ changed: 0, failed: 0 });
    expectLocalAsDirect(refixed);
    expect(refixed.code, refixed.stdout).toBe(refixed.local.exit === 0 ? 0 : 2);
    expect(rowOf(refixed.table, 'container')).toContain(
      `rebind-systemd: skipped (no open finding of ${instance} offers rebind-systemd)`,
    );

    // The way back: undo the registered run.
    const undone = await fleetPlay('undo', { container: { paddock_undo: runId } });
    expect(undone.results!.container.undo).toMatchObject({
      run_id: runId,
      state: 'undone',
      ok: true,
    });
    expect(undone.results!.container).toMatchObject({ verdict: 'lan', exit: 1 });
    expect(undone.code).toBe(2);
    expectLocalAsDirect(undone);
    expect(rowOf(undone.table, 'container')).toContain(`undo ${runId}: undone`);
    expect(await sd.waitFromLan(STANDIN_PORT, 'open')).toBe('open');
    expect(sd.readUnitDir()).toEqual(original);
  }, 400_000);

  it('paddock_state=absent removes what the role installed, and nothing else', async () => {
    const runs = fs.readdirSync(inContainer('/var/lib/paddock/runs'));
    expect(runs.length).toBeGreaterThan(0);
    const removed = await playbook('absent', {}, ['-e', 'paddock_state=absent']);
    expect(removed.code, removed.stdout).toBe(0);
    expect(fs.existsSync(inContainer(PREFIX))).toBe(false);
    expect(fs.existsSync(inContainer(WRAPPER))).toBe(false);
    expect(fs.readdirSync(local())).toEqual(['bin']);
    expect(fs.readdirSync(path.join(local(), 'bin'))).toEqual([]);
    // The runs stay: each holds what `paddock undo` needs.
    expect(fs.readdirSync(inContainer('/var/lib/paddock/runs'))).toEqual(runs);
    expect(fs.existsSync(inContainer('/usr/local/lib'))).toBe(true);
    // Ansible left nothing in its places outside the test's folder.
    expect(fs.readdirSync(path.join(work, 'tmp'))).toEqual([]);
    expect(ansibleHome()).toEqual(ansibleHomeBefore);
  }, 120_000);
});

/** Processes whose command line names this run's folder. */
function processesOf(dir: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(dir) && alive(Number(entry))) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}
