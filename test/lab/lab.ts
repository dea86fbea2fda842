/**
 * The test lab: a "host" machine and a "lan" attacker (optionally a "public" one) built from
 * Linux network namespaces on this machine, so lab tests can start a stand-in Ollama on the
 * host, look at it from the network the way an attacker would, and scan its processes.
 *
 * Network rule (shared/docs/testing.md): traffic goes only to loopback or to addresses of
 * namespaces this file created. The helpers below refuse any other address.
 *
 *   host netns  <-veth->  lan netns           10.251.X.1/24 <-> 10.251.X.2/24, fd51:X::1/64 <-> ::2/64
 *   host netns  <-veth->  public netns        203.0.113.(4k+1)/30 <-> .(4k+2), default route of the host
 *
 * The host also gets its own PID and mount namespaces (a holder process is PID 1 there), so
 * a process scan run inside it (runInHost) sees only the lab's processes, and its own
 * /etc/resolv.conf (loopback only) and /etc/hosts (plus `pdk-lab-host`, `pdk-lab-lan`).
 * Every wait is bounded; close() is idempotent and an exit hook cleans up what is left.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWhen } from '../support/prerequisites';
import { SEARCH_PATH, alive, childrenOf, exited, sleep, waitExit, which } from './proc';

/** Absolute path of the stand-in Ollama test fixture. */
export const STANDIN_FIXTURE = fileURLToPath(
  new URL('./fixtures/ollama-standin.cjs', import.meta.url),
);

/** Names of this run's namespaces start with `pdk-<RUN_TAG>-`, its links with `pk<RUN_TAG>-`. */
export const RUN_TAG = process.pid.toString(36);
const NS_PREFIX = `pdk-${RUN_TAG}-`;
const LINK_PREFIX = `pk${RUN_TAG}-`;
const CHILD_PATH = SEARCH_PATH.join(':');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface HostRunOptions {
  /** Run as this uid (and gid = uid unless gid is given), supplementary groups cleared. */
  uid?: number;
  gid?: number;
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string>;
  /** When false, the command gets only `env` (plus PATH). Default true. */
  inheritEnv?: boolean;
  cwd?: string;
  /** Default 20 s; on expiry the whole process group is killed. */
  timeoutMs?: number;
  input?: string;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Default 3 s. */
  timeoutMs?: number;
  /** Body bytes kept (default 1 MiB); `bodyBytes` still counts everything received. */
  maxBytes?: number;
}

export interface HttpResult {
  /** null when no answer came (see error). */
  status: number | null;
  headers: Record<string, string | string[]>;
  body: string;
  bodyBytes: number;
  /** 'timeout', 'refused', or another error code; null on an answer. */
  error: string | null;
}

export type ConnectResult = 'open' | 'refused' | 'timeout';

export interface Standin {
  /** PID as seen from the root namespace (what process.kill and /proc here use). */
  pid: number;
  /** PID as seen inside the host's PID namespace (what a scan run in the host reports). */
  hostPid: number;
  /** The private directory holding bin/ollama and serve. */
  dir: string;
  /** stderr and stdout as received, interleaved. */
  logs(): string;
  stdout(): string;
  stderr(): string;
  /** Exit code once it has exited, else null. */
  exitCode(): number | null;
  /** SIGTERM, then SIGKILL after 3 s; removes its directory. Idempotent. */
  stop(): Promise<void>;
}

export class StandinStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'StandinStartError';
  }
}

export type LabSide = 'host' | 'lan' | 'public';

export interface Lab {
  readonly names: {
    host: string;
    lan: string;
    public?: string;
    hostIf: string;
    lanIf: string;
    publicIf?: string;
  };
  readonly hostAddress4: string;
  readonly hostAddress6: string;
  readonly lanAddress4: string;
  readonly lanAddress6: string;
  /** The host's address on the public-looking interface (with publicInterface). */
  readonly publicAddress4?: string;
  /** The public peer's address (the "internet" attacker). */
  readonly publicPeerAddress4?: string;
  /** Names the host's private /etc/hosts resolves: hostName → hostAddress4, lanName → lanAddress4. */
  readonly hostName: string;
  readonly lanName: string;
  /** Root-namespace PID of the host's PID 1 (the holder). */
  readonly holderPid: number;
  runInHost(argv: string[], opts?: HostRunOptions): Promise<RunResult>;
  /** The returned child is `nsenter`; innerPid() gives the command's own PID. */
  spawnInHost(argv: string[], opts?: HostRunOptions): ChildProcess;
  /** Root-namespace PID of the command a spawnInHost child runs (bounded wait). */
  innerPid(child: ChildProcess, timeoutMs?: number): Promise<number>;
  /**
   * `ownNetns`: the stand-in runs in a fresh network namespace of its own (`unshare --net`,
   * still in the host's PID namespace), as a container without an engine API would; its
   * interfaces are the test's to make.
   */
  startStandin(
    env?: Record<string, string>,
    opts?: { uid?: number; gid?: number; startTimeoutMs?: number; ownNetns?: boolean },
  ): Promise<Standin>;
  connectFromLan(address: string, port: number, timeoutMs?: number): Promise<ConnectResult>;
  httpFromLan(url: string, opts?: HttpOptions): Promise<HttpResult>;
  /** `localAddress`: the source address to connect from (one the side's namespace carries). */
  connectFrom(
    side: LabSide,
    address: string,
    port: number,
    timeoutMs?: number,
    localAddress?: string,
  ): Promise<ConnectResult>;
  httpFrom(side: LabSide, url: string, opts?: HttpOptions): Promise<HttpResult>;
  /** Resolves once the TCP connection from the lan is established (bounded by timeoutMs). */
  holdConnectionFromLan(
    address: string,
    port: number,
    timeoutMs?: number,
  ): Promise<{ close(): Promise<void> }>;
  /**
   * Allows contact with an address of a network namespace the test itself created inside this
   * lab (a container's address behind the host): still never any other address.
   */
  allowTestHost(address: string): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// prerequisites and describeLab
// ---------------------------------------------------------------------------------------

const TOOL_NAMES = ['ip', 'ss', 'nsenter', 'unshare', 'setpriv', 'mount'] as const;
type Tool = (typeof TOOL_NAMES)[number];
const tools = {} as Record<Tool, string>;

let prerequisites: { ok: true } | { ok: false; reason: string } | null = null;

export function labPrerequisites(): { ok: true } | { ok: false; reason: string } {
  if (prerequisites) return prerequisites;
  const missing: string[] = [];
  if (process.platform !== 'linux') missing.push(`Linux (this is ${process.platform})`);
  const uid = process.getuid?.();
  if (uid !== 0) missing.push(`root (this process runs as uid ${uid})`);
  for (const name of TOOL_NAMES) {
    const found = which(name);
    if (found) tools[name] = found;
    else missing.push(`\`${name}\` on PATH`);
  }
  if (missing.length === 0) {
    const probe = `${NS_PREFIX}probe`;
    const add = spawnSync(tools.ip, ['netns', 'add', probe], { encoding: 'utf8', timeout: 5000 });
    if (add.status !== 0)
      missing.push(
        `network namespaces (\`ip netns add\` failed: ${(add.stderr || add.error?.message || '').trim()})`,
      );
    spawnSync(tools.ip, ['netns', 'del', probe], { timeout: 5000 });
  }
  prerequisites = missing.length === 0 ? { ok: true } : { ok: false, reason: missing.join(', ') };
  return prerequisites;
}

/**
 * `describe` when the lab can be built (root, ip, ss, nsenter, unshare, setpriv and network
 * namespaces); otherwise skipped with the reason, or failing under PADDOCK_REQUIRE_LAB=1.
 */
export function describeLab(name: string, fn: () => void): void {
  describeWhen('lab', labPrerequisites, name, fn);
}

// ---------------------------------------------------------------------------------------
// process helpers
// ---------------------------------------------------------------------------------------

function descendantsOf(pid: number, limit = 200): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < limit) {
    for (const c of childrenOf(queue.shift()!)) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function comm(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

function nsPidOf(pid: number): number | null {
  try {
    const line = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const last = line?.trim().split(/\s+/).pop();
    return last ? Number(last) : null;
  } catch {
    return null;
  }
}

function killQuietly(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    killQuietly(pid, signal);
  }
}

/**
 * Kills what a detached child runs. When the child is a parent that forked (nsenter -p,
 * unshare --fork) only its descendants are killed, and it is left to reap them and exit: killing
 * both at once would hand the zombies to the machine's init, which may never reap them, and a
 * PID namespace whose init waits on such zombies never finishes dying. The parent itself is
 * killed only if it is still there 2 s later.
 */
function killTree(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  const pid = child.pid;
  if (!pid || exited(child)) return;
  const kids = descendantsOf(pid);
  if (kids.length === 0) {
    killGroup(pid, signal);
    return;
  }
  for (const d of kids.reverse()) killQuietly(d, signal);
  const fallback = setTimeout(() => {
    if (!exited(child)) killGroup(pid, 'SIGKILL');
  }, 2000);
  fallback.unref();
  child.once('exit', () => clearTimeout(fallback));
}

const MAX_CAPTURE = 32 * 1024 * 1024;

function collect(
  child: ChildProcess,
  opts: { timeoutMs: number; input?: string },
): Promise<RunResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout?.on('data', (c: Buffer) => {
      if (outLen < MAX_CAPTURE) out.push(c);
      outLen += c.length;
    });
    child.stderr?.on('data', (c: Buffer) => {
      if (errLen < MAX_CAPTURE) err.push(c);
      errLen += c.length;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child);
    }, opts.timeoutMs);
    let spawnError: string | null = null;
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (spawnError ? `\n${spawnError}` : ''),
        timedOut,
      });
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
    }
  });
}

function runSync(
  argv: string[],
  input?: string,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000, input });
  return {
    code: r.status,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (r.error ? r.error.message : ''),
  };
}

function mustSync(argv: string[], input?: string): void {
  const r = runSync(argv, input);
  if (r.code !== 0)
    throw new Error(`lab: ${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
}

// ---------------------------------------------------------------------------------------
// in-namespace clients (node scripts run with `nsenter --net=/run/netns/<name>`)
// ---------------------------------------------------------------------------------------

const CONNECT_SCRIPT = `
const net = require('node:net');
const [address, port, timeout, localAddress] = process.argv.slice(1);
const socket = net.connect({ host: address, port: Number(port), ...(localAddress ? { localAddress } : {}) });
const done = (r) => { process.stdout.write(r); socket.destroy(); process.exit(0); };
setTimeout(() => done('timeout'), Number(timeout));
socket.on('connect', () => done('open'));
socket.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'error:' + e.code));
`;

const HOLD_SCRIPT = `
const net = require('node:net');
const [address, port, timeout] = process.argv.slice(1);
const socket = net.connect({ host: address, port: Number(port) });
const limit = setTimeout(() => process.exit(3), Number(timeout));
socket.on('connect', () => { clearTimeout(limit); process.stdout.write('connected\\n'); setTimeout(() => process.exit(0), 120000); });
socket.on('error', (e) => { process.stdout.write('error:' + e.code + '\\n'); process.exit(2); });
socket.on('close', () => process.exit(0));
socket.on('data', () => undefined);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const HTTP_SCRIPT = `
const http = require('node:http');
const [url, optsJson] = process.argv.slice(1);
const opts = JSON.parse(optsJson);
const kept = [];
let keptLen = 0;
let total = 0;
let finished = false;
const finish = (result) => {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
};
let response = null;
const partial = (error) => ({
  status: response ? response.statusCode : null,
  headers: response ? response.headers : {},
  body: Buffer.concat(kept).toString('utf8'),
  bodyBytes: total,
  error,
});
const req = http.request(url, { method: opts.method, headers: opts.headers, setHost: !Object.keys(opts.headers).some((h) => h.toLowerCase() === 'host') }, (res) => {
  response = res;
  res.on('data', (c) => { total += c.length; if (keptLen < opts.maxBytes) { kept.push(c); keptLen += c.length; } });
  res.on('end', () => finish(partial(null)));
  res.on('error', (e) => finish(partial(e.code || e.message)));
});
setTimeout(() => { finish(partial('timeout')); }, opts.timeoutMs);
req.on('error', (e) => finish(partial(e.code === 'ECONNREFUSED' ? 'refused' : e.code || e.message)));
if (opts.body !== undefined) req.write(opts.body);
req.end();
`;

// ---------------------------------------------------------------------------------------
// the lab
// ---------------------------------------------------------------------------------------

let labCounter = 0;
const openLabs = new Set<LabImpl>();
const everyLab: LabImpl[] = [];
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const lab of [...openLabs]) lab.teardownSync();
  });
}

let swept = false;
const OWNER_FILE = '.pdk-owner-pid';

/**
 * Deletes namespaces left by earlier runs that died without cleaning up (SIGKILL, power cut):
 * only `pdk-<tag>-...` names whose run (pid = tag in base 36) no longer exists and in which no
 * process remains. Returns what it deleted.
 */
export function sweepStaleLabs(): string[] {
  const deleted: string[] = [];
  const list = runSync([tools.ip, 'netns', 'list']);
  for (const line of list.stdout.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const match = /^pdk-([0-9a-z]+)-(?:[0-9a-z]+-[hlp]|probe)$/.exec(name);
    if (!match) continue;
    const pid = parseInt(match[1]!, 36);
    if (pid === process.pid || alive(pid)) continue;
    if (runSync([tools.ip, 'netns', 'pids', name]).stdout.trim() !== '') continue;
    if (runSync([tools.ip, 'netns', 'del', name]).code === 0) deleted.push(name);
  }
  // Temp dirs carry an `owner` file with the pid of the run that made them.
  const tmp = os.tmpdir();
  for (const entry of fs.readdirSync(tmp)) {
    if (!/^pdk-(lab|standin)-/.test(entry)) continue;
    const dir = path.join(tmp, entry);
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isInteger(owner) || owner === process.pid || alive(owner)) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    deleted.push(dir);
  }
  return deleted;
}

export async function createLab(options: { publicInterface?: boolean } = {}): Promise<Lab> {
  const pre = labPrerequisites();
  if (!pre.ok) throw new Error(`lab prerequisites missing: ${pre.reason}`);
  installExitHook();
  if (!swept) {
    swept = true;
    const deleted = sweepStaleLabs();
    if (deleted.length > 0)
      console.warn(`[lab] removed what dead runs left: ${deleted.join(', ')}`);
  }
  labCounter += 1;
  const lab = new LabImpl(labCounter, options.publicInterface === true);
  openLabs.add(lab);
  everyLab.push(lab);
  try {
    await lab.setup();
  } catch (err) {
    await lab.close();
    throw err;
  }
  return lab;
}

class LabImpl implements Lab {
  readonly names: Lab['names'];
  readonly hostAddress4: string;
  readonly hostAddress6: string;
  readonly lanAddress4: string;
  readonly lanAddress6: string;
  readonly publicAddress4?: string;
  readonly publicPeerAddress4?: string;
  readonly hostName = 'pdk-lab-host';
  readonly lanName = 'pdk-lab-lan';
  holderPid = 0;

  private readonly dir: string;
  private holder: ChildProcess | null = null;
  private readonly children = new Set<ChildProcess>();
  private readonly standins = new Set<Standin>();
  private readonly tempDirs = new Set<string>();
  /** Never cleared, for leftovers(): every directory and [pid, comm] this lab made. */
  private readonly everyDir: string[] = [];
  private readonly everyPid: Array<[number, string]> = [];
  private closing: Promise<void> | null = null;
  private torn = false;

  constructor(
    readonly index: number,
    private readonly withPublic: boolean,
  ) {
    const x = ((process.pid + index * 37) % 254) + 1;
    const k = x % 64;
    const tag = `${RUN_TAG}-${index.toString(36)}`;
    this.names = {
      host: `${NS_PREFIX}${index.toString(36)}-h`,
      lan: `${NS_PREFIX}${index.toString(36)}-l`,
      hostIf: `pk${tag}h0`,
      lanIf: `pk${tag}l0`,
      ...(withPublic
        ? { public: `${NS_PREFIX}${index.toString(36)}-p`, publicIf: `pk${tag}h1` }
        : {}),
    };
    if (this.names.hostIf.length > 15)
      throw new Error(`lab: interface name too long: ${this.names.hostIf}`);
    this.hostAddress4 = `10.251.${x}.1`;
    this.lanAddress4 = `10.251.${x}.2`;
    this.hostAddress6 = `fd51:${x.toString(16)}::1`;
    this.lanAddress6 = `fd51:${x.toString(16)}::2`;
    if (withPublic) {
      this.publicAddress4 = `203.0.113.${4 * k + 1}`;
      this.publicPeerAddress4 = `203.0.113.${4 * k + 2}`;
    }
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-lab-'));
    fs.chmodSync(this.dir, 0o755);
    fs.writeFileSync(path.join(this.dir, OWNER_FILE), String(process.pid));
    this.tempDirs.add(this.dir);
    this.everyDir.push(this.dir);
  }

  private get publicPeerIf(): string {
    return `pk${RUN_TAG}-${this.index.toString(36)}p0`;
  }

  async setup(): Promise<void> {
    const { host, lan } = this.names;
    const ip = tools.ip;
    const root = [
      `netns add ${host}`,
      `netns add ${lan}`,
      `link add name ${this.names.hostIf} netns ${host} type veth peer name ${this.names.lanIf} netns ${lan}`,
    ];
    if (this.withPublic) {
      root.splice(2, 0, `netns add ${this.names.public}`);
      root.push(
        `link add name ${this.names.publicIf} netns ${host} type veth peer name ${this.publicPeerIf} netns ${this.names.public}`,
      );
    }
    mustSync([ip, '-batch', '-'], `${root.join('\n')}\n`);
    const hostCmds = [
      'link set lo up',
      `addr add ${this.hostAddress4}/24 dev ${this.names.hostIf}`,
      `addr add ${this.hostAddress6}/64 dev ${this.names.hostIf} nodad`,
      `link set ${this.names.hostIf} up`,
    ];
    const lanCmds = [
      'link set lo up',
      `addr add ${this.lanAddress4}/24 dev ${this.names.lanIf}`,
      `addr add ${this.lanAddress6}/64 dev ${this.names.lanIf} nodad`,
      `link set ${this.names.lanIf} up`,
    ];
    if (this.withPublic) {
      hostCmds.push(
        `addr add ${this.publicAddress4}/30 dev ${this.names.publicIf}`,
        `link set ${this.names.publicIf} up`,
        `route add default via ${this.publicPeerAddress4} dev ${this.names.publicIf}`,
      );
      mustSync(
        [ip, '-n', this.names.public!, '-batch', '-'],
        [
          'link set lo up',
          `addr add ${this.publicPeerAddress4}/30 dev ${this.publicPeerIf}`,
          `link set ${this.publicPeerIf} up`,
        ].join('\n') + '\n',
      );
    }
    mustSync([ip, '-n', host, '-batch', '-'], `${hostCmds.join('\n')}\n`);
    mustSync([ip, '-n', lan, '-batch', '-'], `${lanCmds.join('\n')}\n`);

    // Private resolver config (loopback only: no lookup can leave the lab) and hosts file.
    const resolv = path.join(this.dir, 'resolv.conf');
    const hosts = path.join(this.dir, 'hosts');
    fs.writeFileSync(resolv, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n', {
      mode: 0o644,
    });
    let realHosts = '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n';
    try {
      realHosts = fs.readFileSync('/etc/hosts', 'utf8');
    } catch {
      // keep the minimal one
    }
    fs.writeFileSync(
      hosts,
      `${realHosts.replace(/\n?$/, '\n')}${this.hostAddress4} ${this.hostName}\n${this.lanAddress4} ${this.lanName}\n`,
      {
        mode: 0o644,
      },
    );

    // The holder: PID 1 of the host's PID namespace, dies with us (pdeathsig, kill-child).
    const script = `${tools.mount} --bind "$0" /etc/resolv.conf && ${tools.mount} --bind "$1" /etc/hosts && exec sleep 100000`;
    const holder = spawn(
      tools.setpriv,
      [
        '--pdeathsig',
        'KILL',
        '--',
        ip,
        'netns',
        'exec',
        host,
        tools.unshare,
        '--pid',
        '--fork',
        '--kill-child',
        '--mount-proc',
        'sh',
        '-c',
        script,
        resolv,
        hosts,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { PATH: CHILD_PATH } },
    );
    this.holder = holder;
    let holderErr = '';
    holder.stderr?.on('data', (c: Buffer) => {
      holderErr += c.toString('utf8');
    });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (holder.exitCode !== null || holder.signalCode !== null) break;
      const sleeper = holder.pid
        ? childrenOf(holder.pid).find((c) => comm(c) === 'sleep' && nsPidOf(c) === 1)
        : undefined;
      if (sleeper) {
        this.holderPid = sleeper;
        this.everyPid.push([sleeper, 'sleep']);
        break;
      }
      await sleep(5);
    }
    if (!this.holderPid) {
      throw new Error(
        `lab: the host's PID namespace holder did not start: ${holderErr.trim() || 'timed out after 5 s'}`,
      );
    }
    holder.stderr?.destroy();
  }

  private hostArgv(argv: string[], opts: HostRunOptions): string[] {
    const prefix = [tools.nsenter, '-t', String(this.holderPid), '-n', '-p', '-m'];
    if (opts.cwd) prefix.push(`--wd=${opts.cwd}`);
    prefix.push('--');
    if (opts.uid !== undefined) {
      const gid = opts.gid ?? opts.uid;
      prefix.push(tools.setpriv, `--reuid=${opts.uid}`, `--regid=${gid}`, '--clear-groups', '--');
    }
    return [...prefix, ...argv];
  }

  private hostEnv(opts: HostRunOptions): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv = opts.inheritEnv === false ? {} : { ...process.env };
    return { ...base, PATH: CHILD_PATH, ...opts.env };
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('lab: already closed');
  }

  spawnInHost(argv: string[], opts: HostRunOptions = {}): ChildProcess {
    this.assertOpen();
    const full = this.hostArgv(argv, opts);
    const child = spawn(full[0]!, full.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: this.hostEnv(opts),
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async innerPid(child: ChildProcess, timeoutMs = 2000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && child.pid) {
      const kids = childrenOf(child.pid);
      if (kids.length > 0) return kids[0]!;
      if (child.exitCode !== null || child.signalCode !== null) break;
      await sleep(5);
    }
    throw new Error('lab: the command started in the host is not running');
  }

  async runInHost(argv: string[], opts: HostRunOptions = {}): Promise<RunResult> {
    const child = this.spawnInHost(argv, opts);
    return collect(child, { timeoutMs: opts.timeoutMs ?? 20_000, input: opts.input });
  }

  async startStandin(
    env: Record<string, string> = {},
    opts: { uid?: number; gid?: number; startTimeoutMs?: number; ownNetns?: boolean } = {},
  ): Promise<Standin> {
    this.assertOpen();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-standin-'));
    this.tempDirs.add(dir);
    this.everyDir.push(dir);
    fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
    fs.mkdirSync(path.join(dir, 'bin'));
    const bin = path.join(dir, 'bin', 'ollama');
    fs.symlinkSync(process.execPath, bin);
    fs.writeFileSync(
      path.join(dir, 'serve'),
      `'use strict';\n// Paddock lab: starts the stand-in Ollama test fixture as \`ollama serve\`.\nrequire(${JSON.stringify(STANDIN_FIXTURE)}).main();\n`,
    );
    if (opts.uid !== undefined) {
      const gid = opts.gid ?? opts.uid;
      for (const p of [dir, path.join(dir, 'bin'), path.join(dir, 'serve')])
        fs.chownSync(p, opts.uid, gid);
      fs.lchownSync(bin, opts.uid, gid);
    }
    const child = this.spawnInHost(
      [...(opts.ownNetns ? [tools.unshare, '--net', '--'] : []), bin, 'serve'],
      {
        uid: opts.uid,
        gid: opts.gid,
        cwd: dir,
        inheritEnv: false,
        env: { HOME: dir, LANG: 'C.UTF-8', ...env },
      },
    );
    child.stdin?.end();
    const parts: string[] = [];
    const outParts: string[] = [];
    const errParts: string[] = [];
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      parts.push(c);
      outParts.push(c);
    });
    child.stderr?.on('data', (c: string) => {
      parts.push(c);
      errParts.push(c);
    });
    const stderr = () => errParts.join('');
    const stdout = () => outParts.join('');

    const timeoutMs = opts.startTimeoutMs ?? 5000;
    const started = await new Promise<'ready' | 'exited' | 'timeout'>((resolve) => {
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      const onData = () => {
        if (stderr().includes('Listening on')) finish('ready');
      };
      const onExit = () => setTimeout(() => finish('exited'), 20); // let the pipes drain
      function finish(r: 'ready' | 'exited' | 'timeout') {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        resolve(r);
      }
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
      if (child.exitCode !== null) onExit();
    });
    const removeDir = () => {
      fs.rmSync(dir, { recursive: true, force: true });
      this.tempDirs.delete(dir);
    };
    if (started !== 'ready') {
      killTree(child);
      await waitExit(child, 2000);
      removeDir();
      const what =
        started === 'timeout'
          ? `did not log "Listening on" within ${timeoutMs} ms`
          : `exited with ${child.exitCode ?? child.signalCode}`;
      throw new StandinStartError(
        `stand-in ${what}: ${stderr().trim()}`,
        child.exitCode,
        stdout(),
        stderr(),
      );
    }
    const pid = await this.innerPid(child);
    const hostPid = nsPidOf(pid) ?? -1;
    this.everyPid.push([pid, 'ollama']);
    let stopping: Promise<void> | null = null;
    const standin: Standin = {
      pid,
      hostPid,
      dir,
      logs: () => parts.join(''),
      stdout,
      stderr,
      exitCode: () => child.exitCode,
      stop: () => {
        stopping ??= (async () => {
          killQuietly(pid, 'SIGTERM');
          if (!(await waitExit(child, 3000))) {
            killTree(child);
            await waitExit(child, 2000);
          }
          this.standins.delete(standin);
          removeDir();
        })();
        return stopping;
      },
    };
    this.standins.add(standin);
    return standin;
  }

  private nsFor(side: LabSide): string {
    if (side === 'host') return '';
    if (side === 'lan') return this.names.lan;
    if (!this.names.public) throw new Error('lab: created without publicInterface');
    return this.names.public;
  }

  private readonly testHosts = new Set<string>();

  allowTestHost(address: string): void {
    // Private ranges only (and RFC 6598's shared space, a VPN's range): a test host lives in
    // a namespace of this lab, never on a real network.
    if (
      !/^(10|172\.(1[6-9]|2\d|3[01])|192\.168|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7]))\./.test(
        address,
      )
    )
      throw new Error(`lab: ${address} is not a private IPv4 address`);
    this.testHosts.add(address);
  }

  /** The network rule: loopback or an address of this lab, nothing else. */
  private assertLabAddress(address: string): void {
    const a = address.replace(/^\[|\]$/g, '').toLowerCase();
    const lab = [
      ...this.testHosts,
      this.hostAddress4,
      this.hostAddress6,
      this.lanAddress4,
      this.lanAddress6,
      this.publicAddress4,
      this.publicPeerAddress4,
    ];
    const loopback = a === 'localhost' || a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
    if (!loopback && !lab.includes(a) && a !== this.hostName && a !== this.lanName) {
      throw new Error(
        `lab: refusing to contact ${address}: only loopback and this lab's addresses are allowed`,
      );
    }
  }

  private nodeIn(side: LabSide, script: string, args: string[]): ChildProcess {
    this.assertOpen();
    if (side === 'host') {
      return this.spawnInHost([process.execPath, '-e', script, ...args], {
        inheritEnv: false,
        env: { HOME: '/' },
      });
    }
    const child = spawn(
      tools.nsenter,
      [`--net=/run/netns/${this.nsFor(side)}`, '--', process.execPath, '-e', script, ...args],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
        env: { PATH: CHILD_PATH, HOME: '/' },
      },
    );
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async connectFrom(
    side: LabSide,
    address: string,
    port: number,
    timeoutMs = 1500,
    localAddress?: string,
  ): Promise<ConnectResult> {
    this.assertLabAddress(address);
    const child = this.nodeIn(side, CONNECT_SCRIPT, [
      address.replace(/^\[|\]$/g, ''),
      String(port),
      String(timeoutMs),
      ...(localAddress ? [localAddress] : []),
    ]);
    const r = await collect(child, { timeoutMs: timeoutMs + 5000 });
    const answer = r.stdout.trim();
    if (answer === 'open' || answer === 'refused' || answer === 'timeout') return answer;
    throw new Error(
      `lab: connect from ${side} to ${address}:${port} failed: ${answer || r.stderr.trim()}`,
    );
  }

  connectFromLan(address: string, port: number, timeoutMs = 1500): Promise<ConnectResult> {
    return this.connectFrom('lan', address, port, timeoutMs);
  }

  async httpFrom(side: LabSide, url: string, opts: HttpOptions = {}): Promise<HttpResult> {
    this.assertLabAddress(new URL(url).hostname);
    const timeoutMs = opts.timeoutMs ?? 3000;
    const payload = JSON.stringify({
      method: opts.method ?? 'GET',
      headers: opts.headers ?? {},
      body: opts.body,
      timeoutMs,
      maxBytes: opts.maxBytes ?? 1024 * 1024,
    });
    const child = this.nodeIn(side, HTTP_SCRIPT, [url, payload]);
    const r = await collect(child, { timeoutMs: timeoutMs + 5000 });
    try {
      return JSON.parse(r.stdout) as HttpResult;
    } catch {
      throw new Error(
        `lab: http from ${side} to ${url} failed: ${r.stderr.trim() || r.stdout.slice(0, 200)}`,
      );
    }
  }

  httpFromLan(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
    return this.httpFrom('lan', url, opts);
  }

  async holdConnectionFromLan(
    address: string,
    port: number,
    timeoutMs = 3000,
  ): Promise<{ close(): Promise<void> }> {
    this.assertLabAddress(address);
    const child = this.nodeIn('lan', HOLD_SCRIPT, [
      address.replace(/^\[|\]$/g, ''),
      String(port),
      String(timeoutMs),
    ]);
    child.stdout?.setEncoding('utf8');
    let out = '';
    const state = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs + 3000);
      child.stdout?.on('data', (c: string) => {
        out += c;
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.trim());
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(out.trim() || 'exited');
      });
    });
    if (state !== 'connected') {
      killTree(child);
      await waitExit(child, 2000);
      throw new Error(`lab: could not hold a connection to ${address}:${port}: ${state}`);
    }
    return {
      close: async () => {
        child.stdin?.end();
        if (!(await waitExit(child, 1000))) {
          killTree(child);
          await waitExit(child, 2000);
        }
      },
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const waits = [...this.children].map((c) => waitExit(c, 2000));
      const holder = this.holder;
      this.teardownSync();
      await Promise.all(waits);
      if (holder) await waitExit(holder, 2000);
    })();
    return this.closing;
  }

  /** Synchronous, best-effort, idempotent: used by close() and by the process exit hook. */
  teardownSync(): void {
    if (this.torn) return;
    this.torn = true;
    openLabs.delete(this);
    for (const s of this.standins) killQuietly(s.pid);
    for (const c of this.children) killTree(c);
    // Killing PID 1 of the host's PID namespace (the holder's only descendant) kills every
    // process left in it; unshare then reaps it and exits.
    if (this.holder) killTree(this.holder);
    runSync([tools.ip, '-n', this.names.host, 'link', 'del', this.names.hostIf]);
    if (this.names.publicIf)
      runSync([tools.ip, '-n', this.names.host, 'link', 'del', this.names.publicIf]);
    const namespaces = [this.names.host, this.names.lan, this.names.public].filter(
      (n): n is string => !!n,
    );
    runSync(
      [tools.ip, '-force', '-batch', '-'],
      namespaces.map((n) => `netns del ${n}`).join('\n') + '\n',
    );
    for (const d of this.tempDirs) fs.rmSync(d, { recursive: true, force: true });
    this.tempDirs.clear();
    this.standins.clear();
  }

  /** What of this lab is still present (used by leftovers()). */
  remains(): string[] {
    const out: string[] = [];
    for (const d of this.everyDir) if (fs.existsSync(d)) out.push(`dir ${d}`);
    for (const [pid, name] of this.everyPid) {
      if (alive(pid) && comm(pid) === name) out.push(`process ${pid} (${name})`);
    }
    for (const c of this.children)
      if (c.pid && alive(c.pid)) out.push(`process ${c.pid} (${comm(c.pid)})`);
    return out;
  }
}

/** Namespaces, links, processes and directories of this run that still exist. */
export async function leftovers(): Promise<string[]> {
  const out: string[] = [];
  const ns = runSync([tools.ip || 'ip', 'netns', 'list']);
  for (const line of ns.stdout.split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (name && name.startsWith(NS_PREFIX)) out.push(`netns ${name}`);
  }
  const links = runSync([tools.ip || 'ip', '-o', 'link', 'show']);
  for (const line of links.stdout.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name && name.startsWith(LINK_PREFIX)) out.push(`link ${name}`);
  }
  for (const lab of everyLab) out.push(...lab.remains());
  return out;
}
