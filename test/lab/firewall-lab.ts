/**
 * Lab helpers for the firewall probe: real nftables, iptables, ufw and firewalld inside a
 * lab host (shared/docs/testing.md, "Firewalls, for real, inside a namespace").
 *
 * Everything happens in the lab host's own network and mount namespaces (the holder's), so
 * the machine's firewall and files never change:
 * - privateRun() mounts a tmpfs on the lab host's /run: its D-Bus socket, firewalld's state
 *   and ufw's lock (/run/ufw.lock) are the lab's own, so no host-wide lock is taken;
 * - ufw gets bind-mounted private copies of /etc/ufw and /etc/default/ufw;
 * - firewalld gets a private copy of /etc/firewalld and its own dbus-daemon (no service
 *   activation, so no polkitd), both started in the lab host and stopped by PID.
 * The probe itself runs inside the host as a small esbuild bundle (out/test/), so it reads
 * exactly what a real `paddock scan` there would.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FirewallFacts } from '../../shared/firewall';
import { firewallProbeResultSchema } from '../../shared/firewall';
import type { NetInterface, ProbeResult } from '../../shared/snapshot';
import { netInterfaceSchema, probeResultSchema } from '../../shared/snapshot';
import { z } from 'zod';
import type { FixFiles } from '../../electron/engine/host/fix-files';
import { createFixFiles } from '../../electron/engine/host/fix-files';
import type { ExecResult } from '../../electron/engine/host/types';
import type { ConnectResult, Lab, RunResult } from './lab';
import { labPrerequisites } from './lab';
import type { Prerequisite } from '../support/prerequisites';
import { describeWhen } from '../support/prerequisites';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUNDLE = path.join(ROOT, 'out', 'test', 'firewall-probe.cjs');
const SEARCH = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

export type FirewallTool =
  | 'nft'
  | 'iptables'
  | 'iptables-legacy'
  | 'ufw'
  | 'firewalld'
  | 'firewall-cmd'
  | 'dbus-daemon'
  | 'sudo';

/** A tool's path from PATH or the system folders, or null: the lab's prerequisite checks. */
export function which(tool: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH]) {
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

/** The firewall tools a lab test needs, beyond the lab's own prerequisites. */
export function firewallPrerequisites(
  needs: readonly FirewallTool[],
): { ok: true } | { ok: false; reason: string } {
  const missing = needs.filter((t) => !which(t));
  return missing.length === 0
    ? { ok: true }
    : {
        ok: false,
        reason: `${missing.map((m) => `\`${m}\``).join(', ')} not installed (apt-get install -y nftables iptables ufw firewalld dbus-daemon)`,
      };
}

/**
 * describeLab, plus the firewall tools: a missing one skips with the reason, or fails under
 * PADDOCK_REQUIRE_LAB=1 like the lab's own prerequisites.
 */
export function describeFirewallLab(
  name: string,
  needs: readonly FirewallTool[],
  fn: () => void,
): void {
  const both = (): Prerequisite => {
    const lab = labPrerequisites();
    return lab.ok ? firewallPrerequisites(needs) : lab;
  };
  describeWhen('firewall lab', both, name, fn);
}

async function must(lab: Lab, argv: string[], input?: string): Promise<RunResult> {
  const r = await lab.runInHost(argv, { timeoutMs: 15_000, input });
  if (r.code !== 0)
    throw new Error(`lab host: ${argv.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r;
}

// ── the probe, run inside the host ─────────────────────────────────────────────────────────

let bundling: Promise<string> | null = null;

/** Bundles a tiny CLI (probe + interfaces → JSON on stdout) into out/test/, once per run. */
export function probeBundle(): Promise<string> {
  bundling ??= build({
    stdin: {
      contents: [
        "import { createNodeHost } from './electron/engine/host';",
        "import { probeFirewall } from './electron/engine/probes/linux/firewall/probe';",
        "import { probeInterfaces } from './electron/engine/probes/linux/interfaces';",
        'const host = createNodeHost();',
        'Promise.all([probeFirewall(host), probeInterfaces(host)]).then(([firewall, interfaces]) => {',
        '  process.stdout.write(JSON.stringify({ firewall, interfaces }));',
        '});',
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
      sourcefile: 'firewall-probe-entry.ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: BUNDLE,
    logLevel: 'warning',
  }).then(() => BUNDLE);
  return bundling;
}

const bundleOutputSchema = z.object({
  firewall: firewallProbeResultSchema,
  interfaces: probeResultSchema(z.array(netInterfaceSchema)),
});

export interface LabProbe {
  firewall: ProbeResult<FirewallFacts>;
  interfaces: NetInterface[];
}

/** Runs the firewall probe inside the lab host (as root, or as `uid`); the output is schema-checked. */
export async function probeInLab(lab: Lab, options: { uid?: number } = {}): Promise<LabProbe> {
  const bundle = await probeBundle();
  const r = await lab.runInHost([process.execPath, bundle], {
    uid: options.uid,
    timeoutMs: 30_000,
    // The lab's PATH (with the sbin directories, as root's is): ufw itself runs sysctl by name.
    inheritEnv: false,
    env: { HOME: '/' },
  });
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`firewall probe printed no JSON (exit ${r.code}): ${r.stderr || r.stdout}`);
  }
  const parsed = bundleOutputSchema.parse(json);
  return {
    firewall: parsed.firewall as ProbeResult<FirewallFacts>,
    interfaces: parsed.interfaces.data,
  };
}

/**
 * What the LAN neighbour really gets: open, or stopped (a timeout, a TCP reset, or an ICMP
 * "administratively prohibited" that Node reports as EHOSTUNREACH).
 */
export async function lanReach(
  lab: Lab,
  family: 4 | 6,
  port: number,
  timeoutMs = 1000,
): Promise<'allowed' | 'blocked'> {
  const address = family === 4 ? lab.hostAddress4 : lab.hostAddress6;
  let result: ConnectResult | 'unreachable';
  try {
    result = await lab.connectFromLan(address, port, timeoutMs);
  } catch (error) {
    if (/error:(EHOSTUNREACH|ENETUNREACH|EACCES)/.test(String(error))) result = 'unreachable';
    else throw error;
  }
  return result === 'open' ? 'allowed' : 'blocked';
}

// ── private /run ──────────────────────────────────────────────────────────────────────────

const privateRunDone = new WeakSet<Lab>();

/** A tmpfs on the lab host's /run (its mount namespace only). Idempotent. */
export async function privateRun(lab: Lab): Promise<void> {
  if (privateRunDone.has(lab)) return;
  await must(lab, ['mount', '-t', 'tmpfs', '-o', 'mode=755', 'pdk-lab-run', '/run']);
  privateRunDone.add(lab);
}

/** A path inside the lab host's mount namespace, as seen from here. */
export function inHost(lab: Lab, file: string): string {
  return `/proc/${lab.holderPid}/root${file}`;
}

// ── nftables and iptables ────────────────────────────────────────────────────────────────────

export async function nftInHost(lab: Lab, script: string): Promise<void> {
  await must(lab, ['nft', '-f', '-'], script);
}

export async function runInHostOk(lab: Lab, argv: string[]): Promise<RunResult> {
  return must(lab, argv);
}

// ── ufw ───────────────────────────────────────────────────────────────────────────────────

export interface LabUfw {
  /** Runs ufw with the private configuration; throws on a non-zero exit. */
  run(...args: string[]): Promise<RunResult>;
  /** The private copy of /etc/ufw (files as ufw wrote them). */
  readonly etc: string;
  /** Unmounts the private copies in the lab host and removes them. */
  dispose(): Promise<void>;
}

/** Private /etc/ufw and /etc/default/ufw in the lab host, reset to ufw's defaults. */
export async function setupUfw(lab: Lab): Promise<LabUfw> {
  await privateRun(lab);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-fw-ufw-'));
  fs.chmodSync(dir, 0o755);
  const etc = path.join(dir, 'ufw-etc');
  const defaults = path.join(dir, 'default-ufw');
  const run = (...args: string[]) => must(lab, ['ufw', ...args]);
  const dispose = async () => {
    await lab.runInHost(['umount', '/etc/default/ufw'], { timeoutMs: 5000 });
    await lab.runInHost(['umount', '/etc/ufw'], { timeoutMs: 5000 });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    fs.cpSync('/etc/ufw', etc, { recursive: true });
    fs.copyFileSync('/etc/default/ufw', defaults);
    await must(lab, ['mount', '--bind', etc, '/etc/ufw']);
    await must(lab, ['mount', '--bind', defaults, '/etc/default/ufw']);
    await run('--force', 'reset');
  } catch (error) {
    await dispose();
    throw error;
  }
  return { run, etc, dispose };
}

// ── firewalld ─────────────────────────────────────────────────────────────────────────────

export interface LabFirewalld {
  /** firewall-cmd in the lab host; throws on a non-zero exit. */
  cmd(...args: string[]): Promise<RunResult>;
  logs(): string;
  stop(): Promise<void>;
}

const DBUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- Paddock lab: a private system bus for firewalld, without service activation. -->
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * dbus-daemon and firewalld in the lab host, with a private copy of /etc/firewalld
 * bind-mounted over the real one there. Resolves once `firewall-cmd --state` says running.
 */
export async function startFirewalld(
  lab: Lab,
  options: { services?: Record<string, string> } = {},
): Promise<LabFirewalld> {
  await privateRun(lab);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-fw-firewalld-'));
  fs.chmodSync(dir, 0o755);
  const etc = path.join(dir, 'etc-firewalld');
  fs.cpSync('/etc/firewalld', etc, { recursive: true });
  // Custom service definitions, as an admin would drop them into /etc/firewalld/services.
  fs.mkdirSync(path.join(etc, 'services'), { recursive: true });
  for (const [name, xml] of Object.entries(options.services ?? {}))
    fs.writeFileSync(path.join(etc, 'services', `${name}.xml`), xml);
  const config = path.join(dir, 'dbus.conf');
  fs.writeFileSync(config, DBUS_CONFIG);
  await must(lab, ['mount', '--bind', etc, '/etc/firewalld']);
  await must(lab, ['mkdir', '-p', '/run/dbus']);

  const log: string[] = [];
  const children: Array<{ pid: number; child: ReturnType<Lab['spawnInHost']> }> = [];
  const spawn = async (argv: string[]) => {
    const child = lab.spawnInHost(argv, { inheritEnv: false, env: { HOME: '/', LANG: 'C.UTF-8' } });
    child.stdin?.end();
    child.stdout?.on('data', (c: Buffer) => log.push(c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => log.push(c.toString('utf8')));
    children.push({ pid: await lab.innerPid(child), child });
  };
  const stop = async () => {
    for (const { pid, child } of [...children].reverse()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
      const deadline = Date.now() + 5000;
      while (child.exitCode === null && child.signalCode === null && Date.now() < deadline)
        await sleep(20);
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    children.length = 0;
    await lab.runInHost(['umount', '/etc/firewalld'], { timeoutMs: 5000 });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await spawn(['dbus-daemon', `--config-file=${config}`, '--nofork', '--nopidfile']);
    const socket = inHost(lab, '/run/dbus/system_bus_socket');
    for (let i = 0; i < 100 && !fs.existsSync(socket); i += 1) await sleep(20);
    if (!fs.existsSync(socket)) throw new Error(`dbus-daemon did not start: ${log.join('')}`);
    await spawn(['firewalld', '--nofork', '--nopid', '--log-target', 'console']);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const state = await lab.runInHost(['firewall-cmd', '--state'], { timeoutMs: 10_000 });
      if (state.stdout.trim() === 'running') break;
      if (Date.now() > deadline)
        throw new Error(
          `firewalld did not come up: ${state.stdout}${state.stderr}\n${log.join('')}`,
        );
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    cmd: (...args: string[]) => must(lab, ['firewall-cmd', ...args]),
    logs: () => log.join(''),
    stop,
  };
}

// ── recording fixtures ──────────────────────────────────────────────────────────────────────

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'linux', 'firewall');

/** A fixture to record: file name, the command, and the command that prints the tool's version. */
export type FixtureSpec = [name: string, argv: string[], versionArgv: string[]];

/**
 * With PADDOCK_RECORD_FIXTURES=1, saves real outputs as fixtures, each with a first line
 * naming the OS and the tool version (parsers skip it). Otherwise does nothing.
 */
export async function recordFixtures(lab: Lab, specs: FixtureSpec[]): Promise<void> {
  if (process.env.PADDOCK_RECORD_FIXTURES !== '1') return;
  const osName =
    /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  fs.mkdirSync(FIXTURES, { recursive: true });
  for (const [name, argv, versionArgv] of specs) {
    const out = await lab.runInHost(argv, { timeoutMs: 15_000 });
    const version = await lab.runInHost(versionArgv, { timeoutMs: 15_000 });
    let tool = (version.stdout || version.stderr).trim().split('\n')[0] ?? '';
    if (/^\d/.test(tool)) tool = `${versionArgv[0]} ${tool}`;
    const header = `# ${osName}, ${tool}; recorded in the Paddock lab by test/lab/firewall.test.ts: ${argv.join(' ')} (exit ${out.code})`;
    fs.writeFileSync(path.join(FIXTURES, name), `${header}\n${out.stdout}`);
  }
}

// ── the fix executor inside the lab host ────────────────────────────────────────────────────

/** The executor's files, inside the lab host's mount namespace. */
export function labFixFiles(lab: Lab): FixFiles {
  const real = createFixFiles();
  const prefix = inHost(lab, '');
  const at = (p: string) => inHost(lab, p);
  return {
    read: (p) => real.read(at(p)),
    write: (p, content, mode) => real.write(at(p), content, mode),
    remove: (p) => real.remove(at(p)),
    missingParents: async (p) =>
      (await real.missingParents(at(p))).map((d) => d.slice(prefix.length)),
    removeEmptyDir: (p) => real.removeEmptyDir(at(p)),
    listDir: (p) => real.listDir(at(p)),
  };
}

/** The executor's commands, run in the lab host (bounded). */
export function labExec(lab: Lab): (argv: readonly string[]) => Promise<ExecResult> {
  return async (argv) => {
    const started = Date.now();
    const r = await lab.runInHost([...argv], { timeoutMs: 30_000 });
    return {
      argv: [...argv],
      code: r.code,
      signal: r.signal,
      stdout: r.stdout,
      stderr: r.stderr,
      truncated: false,
      timedOut: r.timedOut,
      spawnError: null,
      durationMs: Date.now() - started,
    };
  };
}

/**
 * A tmpfs on /etc/paddock inside the lab host, so nothing Paddock writes lands in this
 * machine's /etc (an empty mount point is made here if missing). Returns what undoes it.
 */
export async function privatePaddockEtc(lab: Lab): Promise<() => Promise<void>> {
  const dir = '/etc/paddock';
  let made = false;
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { mode: 0o755 });
    made = true;
  }
  await must(lab, ['mount', '-t', 'tmpfs', '-o', 'mode=755', 'pdk-lab-paddock', dir]);
  return async () => {
    await lab.runInHost(['umount', dir], { timeoutMs: 5000 });
    if (made) fs.rmdirSync(dir);
  };
}
