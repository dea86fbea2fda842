/**
 * A Mac for unit tests (issue 16): a fake Host whose commands answer with lines taken from the
 * darwin parsers' fixtures (test/fixtures/darwin/: each file's header says which macOS and
 * where its format comes from; none was recorded on a Mac), and a real `db.sqlite` with the
 * Ollama app's layout in a temporary home, read by the WASM SQLite. `scanCase` runs the real
 * darwin probes and scan over it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HttpRequest, HttpResult } from '../../electron/engine/host/types';
import { runRules } from '../../electron/engine/rules/evaluate';
import { scan } from '../../electron/engine/scan';
import type { Snapshot } from '../../shared/snapshot';
import {
  PFCTL_MAIN_RULES_ARGV,
  createDarwinProbes,
  executableArgv,
} from '../../electron/engine/probes/darwin/probes';
import type { DarwinProbeOptions } from '../../electron/engine/probes/darwin/probes';
import { createFakeHost } from './fake-host';
import { buildOllamaAppDb } from './ollama-app-db';
import {
  LSOF_TCP_ARGV,
  NETSTAT_TCP_ARGV,
  PFCTL_INFO_ARGV,
  PS_ARGS_ARGV,
  PS_PROCESS_ARGV,
  SOCKETFILTERFW_ARGV,
  launchctlGetenvArgv,
  pfctlAnchorRulesArgv,
} from '../../electron/engine/probes/darwin/parse/index';

const FIXTURES = path.resolve('test/fixtures/darwin');
export const fixture = (file: string) =>
  fs
    .readFileSync(path.join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#fixture:'))
    .join('\n');
/** The fixture's lines whose text passes `keep` (headers of tables kept by the caller). */
const lines = (file: string, keep: (line: string) => boolean) =>
  fixture(file).split('\n').filter(keep).join('\n');

const NETSTAT_HEAD = lines('netstat/netstat-anvl-sonoma.txt', (l) => /^(Active|Proto)/.test(l));
const LISTEN_11434 = lines(
  'netstat/netstat-anvl-sonoma.txt',
  (l) => l.startsWith('tcp46') && l.includes('*.11434'),
);
const LSOF_745 = fixture('lsof/lsof-tcp-sonoma.txt').split('\n').slice(0, 8).join('\n');

export interface MacCase {
  /** ps lines kept by pid: the Ollama app (712) and its server (745), or Homebrew's (910). */
  pids: number[];
  /** The server's pid in the sockets (745 or 910). */
  server: number;
  globalState: string;
  stealth?: string;
  listApps?: string;
  allowSigned?: string;
  launchctlHost?: string;
  expose?: 0 | 1;
  files?: Record<string, string>;
  /** The server is another user's: lsof (without admin rights) does not list its socket. */
  othersServer?: boolean;
  /** Probes other than the real darwin ones' defaults (a locked database). */
  probes?: DarwinProbeOptions;
}

/** ps lines of the Ollama app (712) and the server it started (745), with launchd (1). */
export const APP = [1, 712, 745];

function host(home: string, c: MacCase) {
  const keepPid = (l: string) => c.pids.includes(Number(l.trim().split(/\s+/)[0]));
  const exec: Record<string, { stdout: string; code?: number }> = {
    [PS_PROCESS_ARGV.join(' ')]: { stdout: lines('ps/ps-processes-sonoma.txt', keepPid) },
    [PS_ARGS_ARGV.join(' ')]: { stdout: lines('ps/ps-args-sonoma.txt', keepPid) },
    [NETSTAT_TCP_ARGV.join(' ')]: {
      stdout: `${NETSTAT_HEAD}\n${LISTEN_11434.replace(/ {4}745 /, ` ${String(c.server).padStart(6)} `)}\n`,
    },
    // lsof lists only this user's sockets; for Homebrew's case the same socket, its pid.
    [LSOF_TCP_ARGV.join(' ')]: c.othersServer
      ? { stdout: '', code: 1 }
      : { stdout: `${LSOF_745.replace('p745', `p${c.server}`)}\n` },
    [SOCKETFILTERFW_ARGV.globalState.join(' ')]: { stdout: c.globalState },
    [SOCKETFILTERFW_ARGV.blockAll.join(' ')]: {
      stdout: fixture('socketfilterfw/blockall-off-sequoia.txt'),
    },
    [SOCKETFILTERFW_ARGV.stealthMode.join(' ')]: {
      stdout: c.stealth ?? 'Firewall stealth mode is off\n',
    },
    [SOCKETFILTERFW_ARGV.allowSigned.join(' ')]: {
      stdout:
        c.allowSigned ??
        'Automatically allow built-in signed software ENABLED.\nAutomatically allow downloaded signed software ENABLED.\n',
    },
    [SOCKETFILTERFW_ARGV.listApps.join(' ')]: {
      stdout: c.listApps ?? 'ALF: total number of apps = 0 \n',
    },
    [PFCTL_INFO_ARGV.join(' ')]: { stdout: fixture('pfctl/info-disabled.txt') },
    [pfctlAnchorRulesArgv().join(' ')]: { stdout: '' },
    [PFCTL_MAIN_RULES_ARGV.join(' ')]: { stdout: fixture('pfctl/main-rules-default.txt') },
    // An unset variable: launchctl prints nothing.
    [launchctlGetenvArgv('OLLAMA_HOST')!.join(' ')]: { stdout: c.launchctlHost ?? '' },
    [launchctlGetenvArgv('OLLAMA_ORIGINS')!.join(' ')]: { stdout: '' },
    [launchctlGetenvArgv('OLLAMA_NO_CLOUD')!.join(' ')]: { stdout: '' },
    [launchctlGetenvArgv('OLLAMA_DEBUG_LOG_REQUESTS')!.join(' ')]: { stdout: '' },
    // The file each Ollama process maps as its executable (lsof -d txt), as lsof's field
    // output prints it (lsof(8), OUTPUT FOR OTHER PROGRAMS).
    ...Object.fromEntries(
      [
        [745, '/Applications/Ollama.app/Contents/Resources/ollama'],
        [910, '/opt/homebrew/Cellar/ollama/0.12.10/bin/ollama'],
      ].map(([pid, path]) => [
        executableArgv(pid as number).join(' '),
        c.othersServer ? { stdout: '', code: 1 } : { stdout: `p${pid}\nftxt\nn${path}\n` },
      ]),
    ),
    // ps shows no environment of a process it may not read (here: as if another user's).
    [`ps -E -ww -o command= -p ${c.server}`]: { stdout: '' },
  };
  return createFakeHost({
    platform: 'darwin',
    home,
    uid: 501,
    user: 'alice',
    exec,
    files: c.files ?? {},
    interfaces: {
      lo0: [
        {
          address: '127.0.0.1',
          netmask: '255.0.0.0',
          family: 'IPv4',
          internal: true,
          cidr: '127.0.0.1/8',
        },
      ],
      en0: [
        {
          address: '192.168.1.20',
          netmask: '255.255.255.0',
          family: 'IPv4',
          internal: false,
          cidr: '192.168.1.20/24',
        },
      ],
    },
    http: (request: HttpRequest): HttpResult => {
      const url = `http://${request.address}:${request.port}${request.path}`;
      if (request.port !== 11434)
        return { ok: false, url, error: 'refused', message: 'connection refused', durationMs: 0 };
      const body =
        request.path === '/'
          ? 'Ollama is running'
          : request.path === '/api/version'
            ? '{"version":"0.12.10"}'
            : '{"models":[{"name":"qwen3:8b","size":5200000000}]}';
      return { ok: true, url, status: 200, headers: {}, body, truncated: false, durationMs: 0 };
    },
  });
}

/** Scans the case with a home folder under `root` (made here; the caller removes `root`). */
export async function scanCase(
  root: string,
  c: MacCase,
  name = `home-${Math.random().toString(36).slice(2)}`,
): Promise<{ snapshot: Snapshot; rules: string[]; home: string }> {
  const home = path.join(root, name);
  if (c.expose !== undefined) {
    const dir = path.join(home, 'Library/Application Support/Ollama');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'db.sqlite'),
      await buildOllamaAppDb({ expose: c.expose, browser: 0 }),
    );
  }
  const snapshot = await scan(host(home, c), {
    gpuControllers: false,
    probes: createDarwinProbes(c.probes),
  });
  return {
    home,
    snapshot,
    rules: runRules(snapshot)
      .map((f) => f.ruleId)
      .sort(),
  };
}
