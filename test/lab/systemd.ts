/**
 * The systemd lab: a real systemd, booted by systemd-nspawn in a container made from a
 * debootstrapped Debian root, with the stand-in Ollama running as `ollama.service` from a
 * unit shaped exactly like the one Ollama's install script writes, and an `override.conf`
 * like the one `systemctl edit ollama` leaves (shared/docs/testing.md, "Real systemd, for the
 * Linux service fixes"; shared/docs/ollama-facts.md, "Where the configuration lives").
 *
 *   lan netns  <-veth->  lab host netns = the container's network (--network-namespace-path)
 *
 * The network comes from test/lab/lab.ts (createLab): the container runs in the lab host's
 * network namespace, so the LAN neighbour reaches it at lab.hostAddress4/6 and nothing else.
 *
 * The root is built once with debootstrap (~30-50 s, from the machine's own Debian mirror),
 * cached as a plain tarball under .lab-cache/ (git-ignored; PADDOCK_LAB_CACHE overrides), and
 * extracted per lab (1-5 s). systemd never boots on this machine's own root (its tmpfiles rules
 * would wipe the real /tmp): only ever on the extracted copy.
 *
 * systemd-nspawn runs in cgroups of its own (`pdk-sd-<run>-<n>` in each hierarchy), so two
 * labs never share the `payload`/`supervisor` cgroups nspawn makes, and teardown can kill
 * whatever is left (cgroup.kill) and remove exactly what this lab made. Every wait is bounded,
 * close() is idempotent, and an exit hook and a sweep of dead runs clean up the rest.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FixFiles } from '../../electron/engine/host/fix-files';
import { createFixFiles } from '../../electron/engine/host/fix-files';
import type { ExecResult } from '../../electron/engine/host/types';
import type { Prerequisite } from '../support/prerequisites';
import { describeWhen } from '../support/prerequisites';
import type { ConnectResult, Lab } from './lab';
import { RUN_TAG, STANDIN_FIXTURE, createLab, labPrerequisites } from './lab';
import { alive, childrenOf, sleep, waitExit, which } from './proc';

export const UNIT = 'ollama.service';
export const UNIT_PATH = `/etc/systemd/system/${UNIT}`;
export const DROPIN_DIR = `/etc/systemd/system/${UNIT}.d`;
export const STANDIN_PORT = 11434;

/** What Ollama's install script writes (ExecStart=<bin> serve, User/Group ollama, …). */
export const OLLAMA_UNIT = `[Unit]
Description=Ollama Service
After=network-online.target

[Service]
ExecStart=/usr/local/bin/ollama serve
User=ollama
Group=ollama
Restart=always
RestartSec=3
Environment="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

[Install]
WantedBy=default.target
`;

/** What `systemctl edit ollama` leaves after the user adds OLLAMA_HOST (the exposure). */
export function overrideConf(ollamaHost: string): string {
  return `[Service]\nEnvironment="OLLAMA_HOST=${ollamaHost}"\n`;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the repository is seen inside the container (read-only), for running the real CLI. */
export const REPO_IN_CONTAINER = '/opt/paddock';
const STANDIN_IN_CONTAINER = '/usr/local/lib/paddock-lab/ollama-standin.cjs';

const SUITE = 'bookworm';
/**
 * nginx and Caddy for share-proxy (issue 14): their own services are left disabled. sshd and
 * Python for Ansible (issue 15, test/lab/ansible.test.ts): a fleet host as Ansible reaches it;
 * sshd runs only when a test starts it, with a host key of the test's own.
 */
const INCLUDE =
  'systemd,systemd-sysv,dbus,iproute2,procps,nginx-light,caddy,openssh-server,python3';
/** Units the packages enable that the lab never runs (they would listen on ports 80 and 22). */
const DISABLED = ['nginx.service', 'caddy.service', 'ssh.service'];
/**
 * Files removed from the cached root: the SSH host keys openssh-server's installation made,
 * which every lab would otherwise share (a test that starts sshd brings a key of its own).
 */
const REMOVED = [{ dir: 'etc/ssh', prefix: 'ssh_host_' }];
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SEARCH_PATH = [
  ...(process.env.PATH ?? '').split(':'),
  '/usr/local/sbin',
  '/usr/sbin',
  '/sbin',
  '/usr/bin',
  '/bin',
].filter((p, i, all) => p !== '' && all.indexOf(p) === i);
const OWNER_FILE = '.pdk-owner-pid';
const NAME_PREFIX = 'pdk-sd-';
const BUILD_PREFIX = 'pdk-debootstrap-';

// ── prerequisites ───────────────────────────────────────────────────────────────────────────

const TOOL_NAMES = [
  'debootstrap',
  'systemd-nspawn',
  'nsenter',
  'tar',
  'chroot',
  'setpriv',
] as const;
type Tool = (typeof TOOL_NAMES)[number];
const tools = {} as Record<Tool, string>;

interface CgroupMount {
  kind: 'unified' | 'systemd';
  mountPoint: string;
}

/** The cgroup2 hierarchy and, on a hybrid host, the v1 `name=systemd` one: nspawn uses both. */
function cgroupMounts(): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of fs.readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (!mountPoint) continue;
    if (type === 'cgroup2') out.push({ kind: 'unified', mountPoint });
    else if (type === 'cgroup' && options?.split(',').includes('name=systemd'))
      out.push({ kind: 'systemd', mountPoint });
  }
  return out;
}

let prerequisites: Prerequisite | null = null;

/** Root, the network lab's tools, debootstrap, systemd-nspawn, nsenter, and a cgroup2 mount. */
export function systemdLabPrerequisites(): Prerequisite {
  if (prerequisites) return prerequisites;
  const base = labPrerequisites();
  const missing: string[] = base.ok ? [] : [base.reason];
  for (const name of TOOL_NAMES) {
    const found = which(name);
    if (found) tools[name] = found;
    else
      missing.push(
        `\`${name}\` on PATH${name === 'debootstrap' || name === 'systemd-nspawn' ? ' (apt-get install debootstrap systemd-container)' : ''}`,
      );
  }
  if (process.platform === 'linux' && !cgroupMounts().some((m) => m.kind === 'unified'))
    missing.push('a cgroup2 hierarchy (none is mounted)');
  prerequisites = missing.length === 0 ? { ok: true } : { ok: false, reason: missing.join(', ') };
  return prerequisites;
}

/** `describe` when a systemd container can be booted here; else skipped with the reason. */
export function describeSystemdLab(name: string, fn: () => void): void {
  describeWhen('systemd lab', systemdLabPrerequisites, name, fn);
}

// ── processes ───────────────────────────────────────────────────────────────────────────────

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The last NSpid entry: the PID as the process's own PID namespace sees it. */
function innermostPid(pid: number): number | null {
  try {
    const line = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const last = line?.trim().split(/\s+/).pop();
    return last ? Number(last) : null;
  } catch {
    return null;
  }
}

/** Runs argv (never a shell string), bounded; the whole process group is killed on expiry. */
function run(
  argv: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: opts.env ?? { PATH: SEARCH_PATH.join(':'), LANG: 'C.UTF-8' },
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
    }, opts.timeoutMs ?? 20_000);
    let spawnError = '';
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + spawnError,
        timedOut,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

async function must(argv: string[], timeoutMs = 20_000): Promise<RunResult> {
  const r = await run(argv, { timeoutMs });
  if (r.code !== 0)
    throw new Error(
      `systemd lab: ${argv.join(' ')} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${(r.stderr || r.stdout).trim().slice(-2000)}`,
    );
  return r;
}

// ── the cached root ─────────────────────────────────────────────────────────────────────────

/** The machine's own Debian mirror (deb822 sources first), else deb.debian.org. */
export function debianMirror(): string {
  try {
    const text = fs.readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.*)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (uris && suites.includes(SUITE) && /^https?:\/\//.test(uris)) return uris;
    }
  } catch {
    // not there
  }
  try {
    const text = fs.readFileSync('/etc/apt/sources.list', 'utf8');
    const match = new RegExp(`^deb\\s+(https?://\\S+)\\s+${SUITE}\\s`, 'm').exec(text);
    if (match) return match[1]!;
  } catch {
    // not there
  }
  return DEFAULT_MIRROR;
}

export function cacheDir(): string {
  return process.env.PADDOCK_LAB_CACHE || path.join(REPO_ROOT, '.lab-cache');
}

/**
 * What the container never reads: package lists and archives, documentation, translations.
 * Removed before the root is cached: the tarball halves, and so does the time to extract it.
 */
const STRIPPED = [
  'var/cache/apt',
  'var/lib/apt/lists',
  'usr/share/doc',
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
];

function stripRoot(root: string): void {
  for (const { dir, prefix } of REMOVED) {
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(path.join(root, dir));
    } catch {
      continue;
    }
    for (const e of entries)
      if (e.startsWith(prefix)) fs.rmSync(path.join(root, dir, e), { force: true });
  }
  for (const dir of STRIPPED) {
    const at = path.join(root, dir);
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(at);
    } catch {
      continue;
    }
    for (const e of entries) fs.rmSync(path.join(at, e), { recursive: true, force: true });
  }
}

function cachedRootPath(): string {
  const recipe = `${SUITE} minbase ${INCLUDE} stripped: ${STRIPPED.join(' ')} disabled: ${DISABLED.join(' ')}${REMOVED.length ? ` removed: ${REMOVED.map((r) => `${r.dir}/${r.prefix}*`).join(' ')}` : ''}`;
  const key = createHash('sha256').update(recipe).digest('hex').slice(0, 12);
  return path.join(cacheDir(), `systemd-root-${SUITE}-${key}.tar`);
}

/**
 * The tarball of a minbase root with systemd, built with debootstrap the first time. Written
 * beside its final name and renamed into place, so a run that dies half-way leaves no tarball
 * that looks complete (and the sweep removes what it does leave).
 */
async function cachedRoot(): Promise<{ tarball: string; built: boolean }> {
  const tarball = cachedRootPath();
  if (fs.existsSync(tarball)) return { tarball, built: false };
  fs.mkdirSync(path.dirname(tarball), { recursive: true });
  // The root is built outside the repository, where no linter or watcher walks into it.
  const build = fs.mkdtempSync(path.join(os.tmpdir(), BUILD_PREFIX));
  fs.writeFileSync(path.join(build, OWNER_FILE), String(process.pid));
  const partial = `${tarball}.${process.pid}.partial`;
  try {
    const root = path.join(build, 'root');
    await must(
      [tools.debootstrap, '--variant=minbase', `--include=${INCLUDE}`, SUITE, root, debianMirror()],
      300_000,
    );
    stripRoot(root);
    for (const unit of DISABLED)
      fs.rmSync(path.join(root, 'etc/systemd/system/multi-user.target.wants', unit), {
        force: true,
      });
    await must([tools.tar, '-C', root, '--numeric-owner', '-cf', partial, '.'], 120_000);
    fs.renameSync(partial, tarball);
  } finally {
    fs.rmSync(partial, { force: true });
    fs.rmSync(build, { recursive: true, force: true });
  }
  return { tarball, built: true };
}

// ── cleanup of what this lab (or a dead run) made ──────────────────────────────────────────

/** Mount points at or under dir in this mount namespace (none are expected). */
function mountsUnder(dir: string): string[] {
  const prefix = dir.replace(/\/+$/, '');
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === prefix || m.startsWith(`${prefix}/`));
}

/** Removes an extracted root, refusing if anything is still mounted inside it. */
function removeRootDir(dir: string): void {
  const mounted = mountsUnder(dir);
  if (mounted.length > 0)
    throw new Error(`systemd lab: not removing ${dir}: still mounted there: ${mounted.join(', ')}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Kills every process left in a cgroup tree (cgroup2 only), then removes its folders. */
function removeCgroupTree(dir: string, kill: boolean): boolean {
  if (!fs.existsSync(dir)) return true;
  if (kill) {
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    } catch {
      // a v1 hierarchy, or a kernel before 5.14
    }
  }
  let removed = true;
  const walk = (d: string): void => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
    try {
      fs.rmdirSync(d);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') removed = false;
    }
  };
  walk(dir);
  return removed;
}

/** nspawn's per-machine state under /run; its shared folders go only when empty. */
function removeNspawnState(machine: string): void {
  fs.rmSync(`/run/systemd/nspawn/propagate/${machine}`, { recursive: true, force: true });
  for (const d of [
    '/run/systemd/nspawn/propagate',
    '/run/systemd/nspawn/locks',
    '/run/systemd/nspawn',
  ]) {
    try {
      fs.rmdirSync(d);
    } catch {
      // in use by another container, or already gone
    }
  }
}

let swept = false;

function ownedByDeadRun(dir: string): boolean {
  let owner = NaN;
  try {
    owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
  } catch {
    return false;
  }
  return Number.isInteger(owner) && owner !== process.pid && !alive(owner);
}

/** Containers, cgroups, roots and half-built caches of runs that died without cleaning up. */
async function sweepDeadRuns(): Promise<string[]> {
  const deleted: string[] = [];
  const deadMachine = (name: string): boolean => {
    const match = new RegExp(`^${NAME_PREFIX}([0-9a-z]+)-[0-9a-z]+$`).exec(name);
    if (!match) return false;
    const pid = parseInt(match[1]!, 36);
    return pid !== process.pid && !alive(pid);
  };
  const cgroups: Array<{ dir: string; unified: boolean; machine: string }> = [];
  for (const m of cgroupMounts()) {
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(m.mountPoint);
    } catch {
      continue;
    }
    for (const e of entries.filter(deadMachine))
      cgroups.push({ dir: path.join(m.mountPoint, e), unified: m.kind === 'unified', machine: e });
  }
  // cgroup.kill first (a container whose nspawn died keeps running), then wait for them to empty.
  for (const c of cgroups) if (c.unified) removeCgroupTree(c.dir, true);
  const deadline = Date.now() + 3000;
  let left = cgroups;
  while (left.length > 0) {
    left = left.filter((c) => !removeCgroupTree(c.dir, false));
    if (Date.now() > deadline) break;
    if (left.length > 0) await sleep(50);
  }
  for (const c of cgroups) {
    if (left.includes(c)) continue;
    deleted.push(c.dir);
    removeNspawnState(c.machine);
  }
  for (const e of fs.readdirSync(os.tmpdir())) {
    if (!e.startsWith(NAME_PREFIX) && !e.startsWith(BUILD_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), e);
    if (!ownedByDeadRun(dir)) continue;
    try {
      removeRootDir(dir);
      deleted.push(dir);
    } catch {
      // still mounted: leave it for a person to look at
    }
  }
  let cached: string[] = [];
  try {
    cached = fs.readdirSync(cacheDir());
  } catch {
    // no cache yet
  }
  for (const e of cached) {
    const pid = /\.(\d+)\.partial$/.exec(e)?.[1];
    if (!pid || Number(pid) === process.pid || alive(Number(pid))) continue;
    fs.rmSync(path.join(cacheDir(), e), { force: true });
    deleted.push(path.join(cacheDir(), e));
  }
  return deleted;
}

// ── the lab ─────────────────────────────────────────────────────────────────────────────────

/** A byte-exact picture of the unit file and its drop-in folder: path → mode and bytes. */
export type UnitDirSnapshot = Record<string, { mode: string; base64: string } | 'folder'>;

export interface SystemdLabTimings {
  /** True when the root had to be built with debootstrap in this run. */
  builtRoot: boolean;
  rootMs: number;
  extractMs: number;
  bootMs: number;
  /** From the start of systemd-nspawn until the stand-in listens. */
  readyMs: number;
}

export interface SystemdLab {
  /** The network: the container runs in lab.names.host's network namespace. */
  readonly lab: Lab;
  readonly machine: string;
  /** The extracted root on this machine. */
  readonly root: string;
  /** Root-namespace PID of the container's PID 1 (systemd). */
  readonly pid1: number;
  readonly timings: SystemdLabTimings;
  /** argv inside the container, in all its namespaces (nsenter -a), bounded (default 20 s). */
  runInContainer(argv: string[], opts?: { timeoutMs?: number }): Promise<RunResult>;
  /** A container path as seen from this machine: /proc/<pid1>/root/<path>. */
  hostPath(containerPath: string): string;
  /** The fix executor's `exec`, running argv inside the container. */
  exec(argv: readonly string[]): Promise<ExecResult>;
  /** The fix executor's `files` (host/fix-files.ts), on the container's file system. */
  fixFiles(): FixFiles;
  /** The LAN neighbour connecting to the container's address (v4 or v6). */
  connectFromLan(port: number, family?: 4 | 6): Promise<ConnectResult>;
  /** Polls connectFromLan until it answers `want` (bounded); returns the last answer. */
  waitFromLan(
    port: number,
    want: ConnectResult,
    opts?: { family?: 4 | 6; timeoutMs?: number },
  ): Promise<ConnectResult>;
  /** The unit file and every entry of its drop-in folder, byte for byte. */
  readUnitDir(): UnitDirSnapshot;
  /** What of this lab still exists (after close(): nothing). */
  remains(): string[];
  close(): Promise<void>;
}

/**
 * Another server as a service of the container's systemd (issue 13): its unit, the links that
 * give the stand-in its process name (a link to node named `llama-server`), and its files.
 */
export interface ExtraService {
  unit: string;
  unitText: string;
  /** Container path → link target. */
  links?: Record<string, string>;
  /** Container path → content (mode 0644, folders made 0755). */
  files?: Record<string, string>;
}

/** Where the other kinds' stand-in is seen in the container (the repository is bind-mounted). */
export const SERVER_STANDIN_IN_CONTAINER = `${REPO_IN_CONTAINER}/test/lab/fixtures/server-standin.cjs`;

export interface SystemdLabOptions {
  /** OLLAMA_HOST in the override.conf; default 0.0.0.0:11434. */
  ollamaHost?: string;
  /** Other servers, installed and enabled before the boot. */
  services?: ExtraService[];
  /** Bounds the wait for the boot and for the stand-in to listen. Default 20 s. */
  bootTimeoutMs?: number;
  /**
   * The stand-in's own settings (test/lab/fixtures/ollama-standin.cjs, e.g. STANDIN_VERSION),
   * in a drop-in of their own, `${DROPIN_DIR}/lab-standin.conf`; none by default.
   */
  standinEnv?: Record<string, string>;
}

/** The drop-in that carries SystemdLabOptions.standinEnv. */
export const STANDIN_DROPIN = `${DROPIN_DIR}/lab-standin.conf`;

let counter = 0;
const openLabs = new Set<SystemdLabImpl>();
let exitHookInstalled = false;

export async function createSystemdLab(options: SystemdLabOptions = {}): Promise<SystemdLab> {
  const pre = systemdLabPrerequisites();
  if (!pre.ok) throw new Error(`systemd lab prerequisites missing: ${pre.reason}`);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const l of [...openLabs]) {
        try {
          l.teardownSync();
        } catch (error) {
          console.error(String(error));
        }
      }
    });
  }
  if (!swept) {
    swept = true;
    const deleted = await sweepDeadRuns();
    if (deleted.length > 0)
      console.warn(`[systemd lab] removed what dead runs left: ${deleted.join(', ')}`);
  }
  counter += 1;
  const t0 = performance.now();
  const { tarball, built } = await cachedRoot();
  const rootMs = performance.now() - t0;
  const lab = await createLab();
  const impl = new SystemdLabImpl(counter, lab, built, rootMs);
  openLabs.add(impl);
  try {
    await impl.start(tarball, options);
  } catch (error) {
    await impl.close();
    throw error;
  }
  return impl;
}

class SystemdLabImpl implements SystemdLab {
  readonly machine: string;
  readonly root: string;
  pid1 = 0;
  readonly timings: SystemdLabTimings;
  private readonly dir: string;
  private readonly cgroups: Array<{ dir: string; unified: boolean }>;
  private nspawn: ChildProcess | null = null;
  private nspawnLog = '';
  private closing: Promise<void> | null = null;
  private torn = false;

  constructor(
    index: number,
    readonly lab: Lab,
    builtRoot: boolean,
    rootMs: number,
  ) {
    this.machine = `${NAME_PREFIX}${RUN_TAG}-${index.toString(36)}`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.machine}-`));
    fs.writeFileSync(path.join(this.dir, OWNER_FILE), String(process.pid));
    this.root = path.join(this.dir, 'root');
    this.cgroups = cgroupMounts().map((m) => ({
      dir: path.join(m.mountPoint, this.machine),
      unified: m.kind === 'unified',
    }));
    this.timings = { builtRoot, rootMs, extractMs: 0, bootMs: 0, readyMs: 0 };
  }

  async start(tarball: string, options: SystemdLabOptions): Promise<void> {
    const t0 = performance.now();
    fs.mkdirSync(this.root, { mode: 0o755 });
    await must([tools.tar, '-C', this.root, '--numeric-owner', '-xf', tarball], 120_000);
    await this.installOllama(options.ollamaHost ?? '0.0.0.0:11434', options.standinEnv ?? {});
    for (const service of options.services ?? []) this.installService(service);
    this.timings.extractMs = performance.now() - t0;
    await this.boot(options.bootTimeoutMs ?? 20_000);
  }

  /** The service user as the install script makes it, the unit, the override, the stand-in. */
  private async installOllama(
    ollamaHost: string,
    standinEnv: Record<string, string>,
  ): Promise<void> {
    const r = this.root;
    if (path.resolve(r) === '/') throw new Error('systemd lab: refusing to use / as the root');
    await must([
      tools.chroot,
      r,
      'useradd',
      '-r',
      '-s',
      '/bin/false',
      '-U',
      '-m',
      '-d',
      '/usr/share/ollama',
      'ollama',
    ]);
    const at = (p: string) => path.join(r, p);
    fs.writeFileSync(at(UNIT_PATH), OLLAMA_UNIT, { mode: 0o644 });
    fs.mkdirSync(at(DROPIN_DIR), { mode: 0o755 });
    fs.writeFileSync(at(`${DROPIN_DIR}/override.conf`), overrideConf(ollamaHost), { mode: 0o644 });
    const env = Object.entries(standinEnv);
    if (env.length > 0) {
      for (const [name, value] of env)
        if (!/^STANDIN_[A-Z_]+$/.test(name) || !/^[\w.:/+,-]*$/.test(value))
          throw new Error(`systemd lab: not a stand-in setting: ${name}=${JSON.stringify(value)}`);
      fs.writeFileSync(
        at(STANDIN_DROPIN),
        `[Service]\n${env.map(([name, value]) => `Environment="${name}=${value}"\n`).join('')}`,
        { mode: 0o644 },
      );
    }
    fs.mkdirSync(at('/etc/systemd/system/default.target.wants'), { recursive: true });
    fs.symlinkSync(UNIT_PATH, at(`/etc/systemd/system/default.target.wants/${UNIT}`));
    // `ollama serve` as a process probe sees it: argv[0] /usr/local/bin/ollama (a link to the
    // bind-mounted node), first argument `serve`, which node runs from the service's working
    // directory, `/`: a one-line file that starts the stand-in test fixture.
    fs.symlinkSync('/usr/bin/node', at('/usr/local/bin/ollama'));
    fs.writeFileSync(
      at('/serve'),
      `'use strict';\n// Paddock lab: starts the stand-in Ollama test fixture as \`ollama serve\`.\nrequire(${JSON.stringify(STANDIN_IN_CONTAINER)}).main();\n`,
      { mode: 0o644 },
    );
    fs.mkdirSync(at(path.dirname(STANDIN_IN_CONTAINER)), { recursive: true });
    fs.mkdirSync(at(REPO_IN_CONTAINER), { recursive: true });
    // No console login prompt: nothing reads it, and it is one process fewer to stop.
    fs.symlinkSync('/dev/null', at('/etc/systemd/system/console-getty.service'));
  }

  private installService(service: ExtraService): void {
    const at = (p: string) => {
      if (!p.startsWith('/') || p.split('/').includes('..'))
        throw new Error(`systemd lab: not an absolute, normalized path: ${p}`);
      return path.join(this.root, p);
    };
    const unitPath = `/etc/systemd/system/${service.unit}`;
    fs.writeFileSync(at(unitPath), service.unitText, { mode: 0o644 });
    fs.symlinkSync(unitPath, at(`/etc/systemd/system/default.target.wants/${service.unit}`));
    for (const [link, target] of Object.entries(service.links ?? {})) {
      fs.mkdirSync(path.dirname(at(link)), { recursive: true, mode: 0o755 });
      fs.symlinkSync(target, at(link));
    }
    for (const [file, content] of Object.entries(service.files ?? {})) {
      fs.mkdirSync(path.dirname(at(file)), { recursive: true, mode: 0o755 });
      fs.writeFileSync(at(file), content, { mode: 0o644 });
    }
  }

  private async boot(timeoutMs: number): Promise<void> {
    const t0 = performance.now();
    for (const c of this.cgroups) fs.mkdirSync(c.dir);
    const nspawnArgv = [
      tools['systemd-nspawn'],
      '--quiet',
      `--directory=${this.root}`,
      `--machine=${this.machine}`,
      '--register=no',
      '--keep-unit',
      `--network-namespace-path=/run/netns/${this.lab.names.host}`,
      `--bind-ro=${process.execPath}:/usr/bin/node`,
      `--bind-ro=${STANDIN_FIXTURE}:${STANDIN_IN_CONTAINER}`,
      `--bind-ro=${REPO_ROOT.replace(/\/$/, '')}:${REPO_IN_CONTAINER}`,
      '--console=passive',
      '--boot',
    ];
    // nspawn with --keep-unit makes its cgroups under its own: put it in this lab's first. The
    // script is fixed; the cgroup folders and argv reach it as arguments, never as text.
    const enter =
      'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs" || exit 97; shift; n=$((n-1)); done; exec "$@"';
    const child = spawn(
      tools.setpriv,
      [
        '--pdeathsig',
        'TERM',
        '--',
        'sh',
        '-c',
        enter,
        'sh',
        String(this.cgroups.length),
        ...this.cgroups.map((c) => c.dir),
        ...nspawnArgv,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: SEARCH_PATH.join(':'), LANG: 'C.UTF-8' } },
    );
    this.nspawn = child;
    const log = (c: Buffer) => {
      if (this.nspawnLog.length < 256 * 1024) this.nspawnLog += c.toString('utf8');
    };
    child.stdout?.on('data', log);
    child.stderr?.on('data', log);

    const deadline = Date.now() + timeoutMs;
    const failed = (what: string) =>
      new Error(`systemd lab: ${what}; systemd-nspawn said: ${this.nspawnLog.trim().slice(-3000)}`);
    while (!this.pid1) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw failed(`systemd-nspawn exited (${child.exitCode ?? child.signalCode})`);
      if (Date.now() > deadline) throw failed('the container did not start');
      const init = child.pid ? childrenOf(child.pid).find((c) => innermostPid(c) === 1) : undefined;
      if (init) this.pid1 = init;
      else await sleep(10);
    }
    let state = '';
    while (Date.now() < deadline) {
      const r = await this.runInContainer(['systemctl', 'is-system-running', '--wait'], {
        timeoutMs: Math.max(1000, deadline - Date.now()),
      });
      state = r.stdout.trim();
      if (state === 'running' || state === 'degraded') break;
      await sleep(50);
    }
    this.timings.bootMs = performance.now() - t0;
    if (state !== 'running') {
      const failedUnits = await this.runInContainer(['systemctl', '--failed', '--no-legend']);
      throw failed(`systemd in the container is "${state}": ${failedUnits.stdout.trim()}`);
    }
    while (Date.now() < deadline) {
      const ss = await this.runInContainer(['ss', '-Hltn', `sport = :${STANDIN_PORT}`]);
      if (ss.stdout.trim() !== '') {
        this.timings.readyMs = performance.now() - t0;
        return;
      }
      await sleep(50);
    }
    const status = await this.runInContainer(['systemctl', 'status', '--no-pager', UNIT]);
    throw failed(`${UNIT} did not listen on ${STANDIN_PORT}: ${status.stdout}`);
  }

  runInContainer(argv: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
    if (!this.pid1 || this.torn) throw new Error('systemd lab: the container is not running');
    return run([tools.nsenter, '-t', String(this.pid1), '-a', '--', ...argv], {
      timeoutMs: opts.timeoutMs ?? 20_000,
      env: { PATH: CONTAINER_PATH, LANG: 'C.UTF-8', HOME: '/root', SYSTEMD_COLORS: '0' },
    });
  }

  hostPath(containerPath: string): string {
    if (!containerPath.startsWith('/') || containerPath.split('/').includes('..'))
      throw new Error(`systemd lab: not an absolute, normalized path: ${containerPath}`);
    if (!this.pid1) throw new Error('systemd lab: the container is not running');
    return `/proc/${this.pid1}/root${containerPath}`;
  }

  async exec(argv: readonly string[]): Promise<ExecResult> {
    const t0 = performance.now();
    const r = await this.runInContainer([...argv]);
    return {
      argv: [...argv],
      code: r.code,
      signal: r.signal,
      stdout: r.stdout,
      stderr: r.stderr,
      truncated: false,
      timedOut: r.timedOut,
      spawnError: null,
      durationMs: performance.now() - t0,
    };
  }

  fixFiles(): FixFiles {
    const real = createFixFiles();
    const prefix = this.hostPath('/').slice(0, -1);
    const inside = (p: string) => p.slice(prefix.length) || '/';
    return {
      read: (p) => real.read(this.hostPath(p)),
      write: (p, content, mode) => real.write(this.hostPath(p), content, mode),
      remove: (p) => real.remove(this.hostPath(p)),
      missingParents: async (p) => (await real.missingParents(this.hostPath(p))).map(inside),
      removeEmptyDir: (p) => real.removeEmptyDir(this.hostPath(p)),
      listDir: (p) => real.listDir(this.hostPath(p)),
    };
  }

  connectFromLan(port: number, family: 4 | 6 = 4): Promise<ConnectResult> {
    return this.lab.connectFromLan(
      family === 4 ? this.lab.hostAddress4 : this.lab.hostAddress6,
      port,
    );
  }

  async waitFromLan(
    port: number,
    want: ConnectResult,
    opts: { family?: 4 | 6; timeoutMs?: number } = {},
  ): Promise<ConnectResult> {
    const deadline = Date.now() + (opts.timeoutMs ?? 5000);
    let last = await this.connectFromLan(port, opts.family);
    while (last !== want && Date.now() < deadline) {
      await sleep(100);
      last = await this.connectFromLan(port, opts.family);
    }
    return last;
  }

  readUnitDir(): UnitDirSnapshot {
    const out: UnitDirSnapshot = {};
    const add = (p: string) => {
      const st = fs.lstatSync(this.hostPath(p));
      if (st.isDirectory()) {
        out[p] = 'folder';
        for (const e of fs.readdirSync(this.hostPath(p)).sort()) add(`${p}/${e}`);
      } else {
        out[p] = {
          mode: (st.mode & 0o7777).toString(8),
          base64: st.isSymbolicLink()
            ? `symlink:${fs.readlinkSync(this.hostPath(p))}`
            : fs.readFileSync(this.hostPath(p)).toString('base64'),
        };
      }
    };
    add(UNIT_PATH);
    if (fs.existsSync(this.hostPath(DROPIN_DIR))) add(DROPIN_DIR);
    return out;
  }

  remains(): string[] {
    const out: string[] = [];
    if (fs.existsSync(this.dir)) out.push(`dir ${this.dir}`);
    for (const c of this.cgroups) if (fs.existsSync(c.dir)) out.push(`cgroup ${c.dir}`);
    if (this.nspawn?.pid && alive(this.nspawn.pid))
      out.push(`process ${this.nspawn.pid} (systemd-nspawn)`);
    if (this.pid1 && alive(this.pid1) && innermostPid(this.pid1) === 1)
      out.push(`process ${this.pid1} (the container's systemd)`);
    if (fs.existsSync(`/run/systemd/nspawn/propagate/${this.machine}`))
      out.push(`/run/systemd/nspawn/propagate/${this.machine}`);
    return out;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const child = this.nspawn;
      if (child && child.exitCode === null && child.signalCode === null) {
        // SIGTERM: nspawn asks the container's systemd to power off, and waits for it.
        child.kill('SIGTERM');
        if (!(await waitExit(child, 8000))) {
          this.killCgroups();
          child.kill('SIGKILL');
          await waitExit(child, 3000);
        }
      }
      // The kernel empties cgroups a moment after their last process exits.
      const deadline = Date.now() + 3000;
      while (!this.removeCgroups() && Date.now() < deadline) await sleep(50);
      try {
        this.teardownSync();
      } finally {
        await this.lab.close();
      }
    })();
    return this.closing;
  }

  private killCgroups(): void {
    for (const c of this.cgroups) {
      if (!c.unified) continue;
      try {
        fs.writeFileSync(path.join(c.dir, 'cgroup.kill'), '1');
      } catch {
        // gone, or a kernel without cgroup.kill
      }
    }
  }

  private removeCgroups(): boolean {
    let all = true;
    for (const c of this.cgroups) if (!removeCgroupTree(c.dir, false)) all = false;
    return all;
  }

  /** Synchronous, best-effort, idempotent: the end of close() and the process exit hook. */
  teardownSync(): void {
    if (this.torn) return;
    this.torn = true;
    openLabs.delete(this);
    const child = this.nspawn;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      this.killCgroups();
      child.kill('SIGKILL');
      // Best effort: the exit hook cannot wait for the kernel to empty the cgroups.
      spawnSync('sleep', ['0.2']);
    }
    this.removeCgroups();
    removeNspawnState(this.machine);
    removeRootDir(this.dir);
  }
}

// ── fixes through the privileged side, as a user runs them ────────────────────────────────

/** A llama.cpp server as a system service: the stand-in named `llama-server`, on every interface. */
export const LLAMA_UNIT = '/etc/systemd/system/llama.service';
export const LLAMA_UNIT_TEXT = `[Unit]
Description=llama.cpp server
After=network-online.target

[Service]
Environment=PADDOCK_STANDIN_KIND=llamacpp
ExecStart=/usr/local/bin/llama-server ${SERVER_STANDIN_IN_CONTAINER} -m /srv/models/qwen2.5-0.5b.gguf --host 0.0.0.0 --port 8080
Restart=always

[Install]
WantedBy=default.target
`;
export const LLAMA_SERVICE: ExtraService = {
  unit: 'llama.service',
  unitText: LLAMA_UNIT_TEXT,
  links: { '/usr/local/bin/llama-server': '/usr/bin/node' },
};

export interface PrivilegedRun {
  id: string;
  state: string;
  outcome: string;
  /** share-proxy: the secret root generated, beside the run in its answer. */
  secret?: string;
}

/**
 * `paddock fix FIX --instance ID --dry-run` in the container, then `paddock-privileged
 * __apply-fix FIX ID DIGEST`: root makes the plan again from its own scan and runs it only if
 * it is the one previewed. Throws with what they said when either does not answer.
 */
export async function applyAsRoot(
  sd: SystemdLab,
  fixId: string,
  instance: string,
  extra: { cli?: string[]; privileged?: string[] } = {},
): Promise<PrivilegedRun> {
  const preview = await sd.runInContainer(
    [
      '/usr/bin/node',
      `${REPO_IN_CONTAINER}/bin/paddock.cjs`,
      'fix',
      fixId,
      '--instance',
      instance,
      ...(extra.cli ?? []),
      '--dry-run',
    ],
    { timeoutMs: 30_000 },
  );
  const digest = /Plan sha256: ([0-9a-f]{64})/.exec(preview.stdout)?.[1];
  if (!digest) throw new Error(`no plan previewed: ${preview.stdout}${preview.stderr}`);
  const applied = await sd.runInContainer(
    [
      '/usr/bin/node',
      `${REPO_IN_CONTAINER}/out/cli/paddock-privileged.cjs`,
      '__apply-fix',
      fixId,
      instance,
      digest,
      ...(extra.privileged ?? []),
    ],
    { timeoutMs: 60_000 },
  );
  if (applied.code !== 0)
    throw new Error(`__apply-fix exited ${applied.code}: ${applied.stdout}${applied.stderr}`);
  return JSON.parse(applied.stdout) as PrivilegedRun;
}

/** `paddock-privileged __undo-run ID`: the run's state after it. */
export async function undoAsRoot(sd: SystemdLab, id: string): Promise<string> {
  const undone = await sd.runInContainer(
    ['/usr/bin/node', `${REPO_IN_CONTAINER}/out/cli/paddock-privileged.cjs`, '__undo-run', id],
    { timeoutMs: 60_000 },
  );
  try {
    return (JSON.parse(undone.stdout) as { state: string }).state;
  } catch {
    throw new Error(`__undo-run did not answer a run: ${undone.stdout}${undone.stderr}`);
  }
}
