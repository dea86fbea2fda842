/**
 * Issue 12, class 5 ("tunnels out"): a tunnel client publishes a local server on the internet
 * with no listener of its own: cloudflared, ngrok, frpc, bore, zrok, `ssh -R`, Tailscale Funnel,
 * devtunnel. Found by the process (its name as the kernel has it) and what it was told to
 * publish: its arguments, and for cloudflared and frpc the configuration file its arguments
 * name. Bounded: at most 4096 processes looked at (`/proc/PID/comm`, a few bytes each), and
 * only the arguments and one small configuration file of a tunnel client read.
 *
 * The parsing is pure (parseTunnelArgv, targetsFromConfig); probeTunnels only gathers.
 */
import type { Evidence, ProbeResult, Tunnel } from '../../../../shared/snapshot';
import type { Host } from '../../host/types';
import { redactArgv } from '../../text/redact';
import { cleanLine } from '../../text/untrusted';
import { runProbe } from '../probe';
import { parseCmdline, parseStatusUid } from './processes';

const MAX_PROCESSES = 4096;
const MAX_TUNNELS = 32;
const CONFIG_MAX_BYTES = 64 * 1024;
const DEADLINE_MS = 2000;

/** `comm` of each tunnel client (at most 15 characters, as the kernel keeps it). */
const TOOLS = new Set([
  'cloudflared',
  'ngrok',
  'frpc',
  'bore',
  'zrok',
  'ssh',
  'tailscale',
  'devtunnel',
]);

export interface TunnelTarget {
  host: string;
  port: number;
}

/** `http://localhost:11434/x`, `localhost:11434`, `127.0.0.1:11434`, `11434`. */
export function parseTarget(text: string): TunnelTarget | null {
  const bare = /^(\d{1,5})$/.exec(text);
  if (bare) return portOk(Number(bare[1])) ? { host: 'localhost', port: Number(bare[1]) } : null;
  const url =
    /^(?:(https?|tcp):\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:\/.*)?$/.exec(
      text,
    );
  if (!url) return null;
  const port = url[3] ? Number(url[3]) : url[1] === 'https' ? 443 : url[1] ? 80 : null;
  if (port === null || !portOk(port)) return null;
  return { host: url[2]!.replace(/^\[|\]$/g, ''), port };
}

function portOk(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65535;
}

function valueOf(args: readonly string[], ...names: string[]): string | null {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    for (const name of names) {
      if (arg === name) return args[i + 1] ?? null;
      if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
    }
  }
  return null;
}

/**
 * What a tunnel client's arguments publish, and the configuration file they name (read by the
 * probe, parsed by targetsFromConfig). argv[0] is the program.
 */
export function parseTunnelArgv(
  tool: string,
  argv: readonly string[],
): { targets: TunnelTarget[]; config: string | null; remote: string | null } {
  const args = argv.slice(1);
  const positional = args.filter((a) => !a.startsWith('-'));
  const none = { targets: [] as TunnelTarget[], config: null, remote: null };
  switch (tool) {
    case 'cloudflared': {
      const url = valueOf(args, '--url');
      const target = url ? parseTarget(url) : null;
      return {
        targets: target ? [target] : [],
        config:
          valueOf(args, '--config') ??
          (args.includes('run') ? '/etc/cloudflared/config.yml' : null),
        remote: 'Cloudflare',
      };
    }
    case 'ngrok': {
      // ngrok http 11434 | ngrok http localhost:11434 | ngrok tcp 11434
      const at = positional.findIndex((a) => a === 'http' || a === 'tcp' || a === 'tls');
      const target = at >= 0 && positional[at + 1] ? parseTarget(positional[at + 1]!) : null;
      return { targets: target ? [target] : [], config: null, remote: 'ngrok' };
    }
    case 'bore': {
      // bore local 11434 --to bore.pub [--local-host 127.0.0.1]
      const at = positional.indexOf('local');
      const port = at >= 0 ? Number(positional[at + 1]) : NaN;
      const host = valueOf(args, '--local-host', '-l') ?? 'localhost';
      return {
        targets: portOk(port) ? [{ host, port }] : [],
        config: null,
        remote: valueOf(args, '--to', '-t') ?? 'bore',
      };
    }
    case 'zrok': {
      // zrok share public localhost:11434 | zrok share public 11434
      const at = positional.indexOf('share');
      const target = at >= 0 && positional[at + 2] ? parseTarget(positional[at + 2]!) : null;
      return {
        targets: target && positional[at + 1] === 'public' ? [target] : [],
        config: null,
        remote: 'zrok',
      };
    }
    case 'frpc':
      return {
        ...none,
        config: valueOf(args, '-c', '--config') ?? '/etc/frp/frpc.toml',
        remote: 'an frp server',
      };
    case 'tailscale': {
      // tailscale funnel [--bg] [--https=443] 11434 | http://localhost:11434
      const at = positional.indexOf('funnel');
      const rest = at >= 0 ? positional.slice(at + 1).filter((a) => a !== 'on') : [];
      const target = rest[0] ? parseTarget(rest[0]) : null;
      return { targets: target ? [target] : [], config: null, remote: 'Tailscale Funnel' };
    }
    case 'devtunnel': {
      // devtunnel host -p 11434
      const port = Number(valueOf(args, '-p', '--port-numbers'));
      return {
        targets: positional.includes('host') && portOk(port) ? [{ host: 'localhost', port }] : [],
        config: null,
        remote: 'Microsoft dev tunnels',
      };
    }
    case 'ssh': {
      // ssh -R [bind:]port:host:hostport remote, also -R8080:localhost:11434
      const targets: TunnelTarget[] = [];
      for (let i = 0; i < args.length; i += 1) {
        const spec =
          args[i] === '-R' ? args[i + 1] : args[i]!.startsWith('-R') ? args[i]!.slice(2) : null;
        if (!spec) continue;
        const parts = spec
          .replace(/\[([^\]]*)\]/g, (_m, h: string) => h.replaceAll(':', '\u0000'))
          .split(':');
        if (parts.length < 3) continue;
        const port = Number(parts[parts.length - 1]);
        const host = parts[parts.length - 2]!.replaceAll('\u0000', ':');
        if (portOk(port)) targets.push({ host, port });
      }
      const remote = positional.find((a) => !/^\d/.test(a) && !a.includes(':')) ?? null;
      return { targets, config: null, remote };
    }
    default:
      return none;
  }
}

/**
 * Targets in a tunnel client's configuration: cloudflared's `service: http://localhost:11434`
 * ingress lines, frpc's `localPort = 11434` (TOML) or `local_port = 11434` (INI) with its
 * `localIP`.
 */
export function targetsFromConfig(tool: string, text: string): TunnelTarget[] {
  const targets: TunnelTarget[] = [];
  if (tool === 'cloudflared') {
    for (const m of text.matchAll(/^\s*-?\s*service:\s*["']?([^\s"'#]+)/gm)) {
      const target = parseTarget(m[1]!);
      if (target) targets.push(target);
    }
  } else if (tool === 'frpc') {
    const host = /^\s*(?:localIP|local_ip)\s*=\s*["']?([^\s"']+)/m.exec(text)?.[1] ?? 'localhost';
    for (const m of text.matchAll(/^\s*(?:localPort|local_port)\s*=\s*(\d{1,5})/gm)) {
      const port = Number(m[1]);
      if (portOk(port)) targets.push({ host, port });
    }
  }
  return targets.slice(0, 16);
}

/**
 * The system manager's service a process runs in (`0::/system.slice/cloudflared.service`), for
 * stop-tunnel; null for anything else (a user's own manager, a session scope). Whether the unit
 * really runs this process is asked of systemd before root stops it (its MainPID).
 */
export function systemServiceOf(cgroup: string): string | null {
  const unified =
    cgroup
      .split('\n')
      .find((l) => l.startsWith('0::'))
      ?.slice(3) ?? '';
  const m = /^\/system\.slice\/(?:[^/]+\.slice\/)*([A-Za-z0-9:_.@\\-]{1,200}\.service)$/.exec(
    unified,
  );
  return m ? m[1]! : null;
}

/** Whether the process runs as the user scanning (its real uid, /proc/PID/status). */
async function ownedByScanner(host: Host, pid: string): Promise<boolean> {
  const status = await host.readFile(`/proc/${pid}/status`, 16 * 1024);
  const uid = status.ok ? parseStatusUid(status.text) : null;
  return uid !== null && uid === host.uid();
}

export async function probeTunnels(host: Host): Promise<ProbeResult<Tunnel[]>> {
  return runProbe(host, 'tunnels', [] as Tunnel[], DEADLINE_MS, async () => {
    const proc = await host.readDir('/proc');
    if (!proc.ok)
      return { status: 'error', data: [], evidence: [], message: `/proc: ${proc.code}` };
    const pids = proc.entries.filter((e) => /^\d+$/.test(e)).slice(0, MAX_PROCESSES);
    const evidence: Evidence[] = [];
    const tunnels: Tunnel[] = [];
    let denied = 0;
    let unreadConfigs = 0;
    for (const pid of pids) {
      if (tunnels.length >= MAX_TUNNELS) break;
      const comm = await host.readFile(`/proc/${pid}/comm`, 64);
      if (!comm.ok) continue;
      const tool = comm.text.trim();
      if (!TOOLS.has(tool)) continue;
      const cmdline = await host.readFile(`/proc/${pid}/cmdline`, 64 * 1024);
      if (!cmdline.ok) {
        denied += 1;
        continue;
      }
      const argv = parseCmdline(cmdline.text, null);
      evidence.push({ kind: 'file', ref: `/proc/${pid}/cmdline`, outcome: tool });
      const parsed = parseTunnelArgv(tool, argv);
      let targets: Array<TunnelTarget & { source: 'argv' | 'config' }> = parsed.targets.map(
        (t) => ({ ...t, source: 'argv' as const }),
      );
      let config: string | null = null;
      // Only a client of the scanning user's own names a file Paddock opens: as root, a path
      // another user's arguments name is never read (it could name one of root's files).
      const own = await ownedByScanner(host, pid);
      if (parsed.config && parsed.config.startsWith('/') && !own) {
        unreadConfigs += 1;
        evidence.push({
          kind: 'file',
          ref: parsed.config,
          outcome: "not read: named by another user's process",
        });
      } else if (parsed.config && parsed.config.startsWith('/')) {
        const read = await host.readFile(parsed.config, CONFIG_MAX_BYTES);
        evidence.push({ kind: 'file', ref: parsed.config, outcome: read.ok ? 'read' : read.code });
        if (read.ok) {
          config = parsed.config;
          targets = [
            ...targets,
            ...targetsFromConfig(tool, read.text).map((t) => ({ ...t, source: 'config' as const })),
          ];
        }
      }
      if (tool === 'ssh' && targets.length === 0) continue; // an ordinary ssh session
      const cgroup = await host.readFile(`/proc/${pid}/cgroup`, 16 * 1024);
      tunnels.push({
        tool,
        pid: Number(pid),
        // What it was told, without the credentials it was given (its token, a password).
        argv: redactArgv(argv.slice(0, 24)).map((a) => cleanLine(a, 200)),
        remote: parsed.remote === null ? null : cleanLine(parsed.remote, 200),
        config,
        systemdUnit: cgroup.ok ? systemServiceOf(cgroup.text) : null,
        targets: targets.map((t) => ({
          host: cleanLine(t.host, 200),
          port: t.port,
          source: t.source,
        })),
      });
    }
    return {
      status: 'ok',
      data: tunnels,
      evidence,
      message:
        [
          denied > 0
            ? `${denied} tunnel client${denied === 1 ? '' : 's'} of another user could not be read (their arguments need root): what they publish is unknown.`
            : null,
          unreadConfigs > 0
            ? `${unreadConfigs} configuration file${unreadConfigs === 1 ? '' : 's'} named by another user's tunnel client ${unreadConfigs === 1 ? 'was' : 'were'} not read: what ${unreadConfigs === 1 ? 'it publishes' : 'they publish'} beyond its arguments is unknown; scan as that user to read it.`
            : null,
        ]
          .filter((m) => m !== null)
          .join(' ') || undefined,
    };
  });
}
