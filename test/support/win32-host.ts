/**
 * A Windows PC for unit tests (issue 17): a fake Host whose two PowerShell runs (the
 * inventory and the firewall, probes/win32/probes.ts) answer with rows taken from the win32
 * parsers' fixtures (test/fixtures/win32/: each file's header says which Windows and where its
 * format comes from; none was recorded on Windows), put together the way the batch script
 * prints them, and a real `db.sqlite` with the Ollama app's layout, read by the WASM SQLite.
 * `scanWindowsCase` runs the real win32 probes and scan over it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HttpRequest, HttpResult } from '../../electron/engine/host/types';
import { readOllamaAppSettings } from '../../electron/engine/probes/app-db';
import {
  FIREWALL_ARGV,
  INVENTORY_ARGV,
  createWin32Probes,
} from '../../electron/engine/probes/win32/probes';
import { NETSTAT_ANO_ARGV } from '../../electron/engine/probes/win32/parse/index';
import { runRules } from '../../electron/engine/rules/evaluate';
import { scan } from '../../electron/engine/scan';
import type { Snapshot } from '../../shared/snapshot';
import { createFakeHost } from './fake-host';
import { buildOllamaAppDb } from './ollama-app-db';

const FIXTURES = path.resolve('test/fixtures/win32');
/** A fixture's text without its `#fixture:` header. */
export const winFixture = (file: string): string =>
  fs
    .readFileSync(path.join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#fixture:'))
    .join('\n');
const rowsOf = (file: string): Array<Record<string, unknown>> =>
  JSON.parse(winFixture(file)) as Array<Record<string, unknown>>;

export const HOME = 'C:\\Users\\alice';
export const LOCAL_APP_DATA = `${HOME}\\AppData\\Local`;
export const APP_DB = `${LOCAL_APP_DATA}\\Ollama\\db.sqlite`;
export const DOCUMENTS = `${HOME}\\Documents`;
export const OLLAMA_EXE = `${LOCAL_APP_DATA}\\Programs\\Ollama\\ollama.exe`;
export const APP_EXE = `${LOCAL_APP_DATA}\\Programs\\Ollama\\ollama app.exe`;

const PROCESSES = rowsOf('processes/win32-process-template-win11.txt');
const TCP = rowsOf('tcp/get-nettcpconnection-template-win11.txt');
const RULES = rowsOf('firewall/rules-ollama-prompt-allow-public-template.txt');
/** Get-NetFirewallProfile as Windows installs it: every profile on, inbound blocked. */
const PROFILES_ON = rowsOf('profiles/netfirewallprofile-template-win11.txt');

/** The fixture's rules by display name (`ollama.exe` is the prompt's pair, TCP and UDP). */
export const rule = (displayName: string) => RULES.filter((r) => r.DisplayName === displayName);

export interface WindowsCase {
  /**
   * Who started the server (pid 5120): the Ollama app (5004, the fixture's parent), PowerShell
   * (7020, as if `ollama serve` was typed there), or a program Paddock does not know.
   */
  launcher: 'app' | 'shell' | 'unknown';
  /** The app's switch; absent: no db.sqlite. */
  expose?: 0 | 1;
  browser?: 0 | 1;
  /** HKCU\Environment and the machine key's OLLAMA_* values. */
  user?: Record<string, string>;
  machine?: Record<string, string>;
  /** PowerShell profile text (Documents\WindowsPowerShell\Microsoft.PowerShell_profile.ps1). */
  profile?: string;
  /** Where the server listens: every interface (the fixture's 0.0.0.0 and ::) or loopback. */
  bind?: 'wildcard' | 'loopback';
  /** The WLAN's network profile (NetworkCategory: 0 Public, 1 Private). */
  category?: 0 | 1;
  /** Per profile: Enabled (1 on, 0 off). Absent: as installed, all on. */
  enabled?: { Domain?: 0 | 1; Private?: 0 | 1; Public?: 0 | 1 };
  /** Inbound rules (fixture rows). */
  rules?: Array<Record<string, unknown>>;
  /** PowerShell's inventory fails (blocked by a policy): netstat -ano (German) answers instead. */
  powershellBlocked?: boolean;
  /** A machine on the LAN (192.168.1.31) is connected to the server now. */
  remoteClient?: boolean;
  /** The WLAN also has a global IPv6 address (2001:db8:1::20/64). */
  ipv6?: boolean;
  /** The firewall's PowerShell run answers nothing (blocked by a policy). */
  firewallBlocked?: boolean;
  /** Other users' processes made the inventory longer than Paddock reads: cut in the processes. */
  cutInProcesses?: boolean;
}

function line(id: string, rows: unknown): string {
  return `${JSON.stringify({ id, ok: true, rows })}\n`;
}

function processRows(c: WindowsCase): Array<Record<string, unknown>> {
  const keep = new Set([4312, 5004, 5120, 7020]);
  return PROCESSES.filter((p) => keep.has(p.ProcessId as number)).map((p) =>
    p.ProcessId === 5120
      ? { ...p, ParentProcessId: c.launcher === 'app' ? 5004 : c.launcher === 'shell' ? 7020 : 812 }
      : p,
  );
}

function tcpRows(c: WindowsCase): Array<Record<string, unknown>> {
  const ollama = TCP.filter(
    (t) =>
      (t.OwningProcess === 5120 || t.OwningProcess === 7460) &&
      (c.remoteClient || t.RemoteAddress !== '192.168.1.31'),
  );
  if (c.bind !== 'loopback') return ollama;
  return [
    {
      LocalAddress: '127.0.0.1',
      LocalPort: 11434,
      RemoteAddress: '0.0.0.0',
      RemotePort: 0,
      State: 2,
      OwningProcess: 5120,
    },
  ];
}

function registryRows(c: WindowsCase) {
  return [
    ...Object.entries(c.user ?? {}).map(([Name, Value]) => ({
      Scope: 'user',
      Name,
      Value,
      Kind: 'String',
    })),
    ...Object.entries(c.machine ?? {}).map(([Name, Value]) => ({
      Scope: 'machine',
      Name,
      Value,
      Kind: 'String',
    })),
  ];
}

/** The inventory's parts in the order the batch runs them (probes.ts INVENTORY_PARTS). */
export function inventoryStdout(c: WindowsCase): string {
  const processes = line('processes', processRows(c));
  return [
    line('tcpConnections', tcpRows(c)),
    line('registryEnvironment', registryRows(c)),
    line('userFolders', [{ Documents: DOCUMENTS, LocalAppData: LOCAL_APP_DATA }]),
    c.cutInProcesses ? processes.slice(0, processes.length / 2) : processes,
  ].join('');
}

export function firewallStdout(c: WindowsCase): string {
  const profiles = PROFILES_ON.map((p) => {
    const name = p.Name as 'Domain' | 'Private' | 'Public';
    const enabled = c.enabled?.[name];
    return enabled === undefined ? p : { ...p, Enabled: enabled };
  });
  return [
    line('connectionProfiles', [
      {
        Name: 'FRITZ!Box 7590 KL',
        InterfaceAlias: 'WLAN',
        InterfaceIndex: 12,
        NetworkCategory: c.category ?? 1,
      },
    ]),
    line('firewallProfiles', profiles),
    line('firewallRules', c.rules ?? []),
  ].join('');
}

/** netstat -ano as German Windows 10 prints it. */
const NETSTAT = winFixture('netstat/netstat-ano-de-win10.txt');

function host(c: WindowsCase) {
  const profile = c.profile;
  return createFakeHost({
    platform: 'win32',
    home: HOME,
    uid: null,
    user: 'alice',
    env: { LOCALAPPDATA: LOCAL_APP_DATA, USERPROFILE: HOME },
    exec: {
      [INVENTORY_ARGV.join(' ')]: c.powershellBlocked
        ? {
            code: 1,
            stdout: '',
            stderr:
              'Das Programm "powershell.exe" konnte nicht ausgeführt werden: Diese App wurde von Ihrem Systemadministrator blockiert.',
          }
        : { stdout: inventoryStdout(c), truncated: c.cutInProcesses === true },
      [FIREWALL_ARGV.join(' ')]: c.firewallBlocked
        ? { code: 1, stdout: '', stderr: 'This program is blocked by group policy.' }
        : { stdout: firewallStdout(c) },
      [NETSTAT_ANO_ARGV.join(' ')]: { stdout: NETSTAT },
    },
    files:
      profile !== undefined
        ? { [`${DOCUMENTS}\\WindowsPowerShell\\Microsoft.PowerShell_profile.ps1`]: profile }
        : {},
    interfaces: {
      'Loopback Pseudo-Interface 1': [
        {
          address: '127.0.0.1',
          netmask: '255.0.0.0',
          family: 'IPv4',
          internal: true,
          cidr: '127.0.0.1/8',
        },
      ],
      WLAN: [
        {
          address: '192.168.1.20',
          netmask: '255.255.255.0',
          family: 'IPv4',
          internal: false,
          cidr: '192.168.1.20/24',
        },
        ...(c.ipv6
          ? [
              {
                address: '2001:db8:1::20',
                netmask: 'ffff:ffff:ffff:ffff::',
                family: 'IPv6' as const,
                internal: false,
                cidr: '2001:db8:1::20/64',
                scopeid: 0,
              },
            ]
          : []),
      ],
    },
    http: (request: HttpRequest): HttpResult => {
      const url = `http://${request.address}:${request.port}${request.path}`;
      const loopbackOnly = c.bind === 'loopback' && request.address !== '127.0.0.1';
      if (request.port !== 11434 || loopbackOnly)
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

/**
 * Scans the case; the app's db.sqlite (when `expose` is given) is a real file under `root`
 * (made here; the caller removes `root`), read where the PC's path says.
 */
export async function scanWindowsCase(
  root: string,
  c: WindowsCase,
): Promise<{ snapshot: Snapshot; rules: string[]; home: string }> {
  const dir = fs.mkdtempSync(path.join(root, 'win-'));
  const db = path.join(dir, 'db.sqlite');
  if (c.expose !== undefined)
    fs.writeFileSync(db, await buildOllamaAppDb({ expose: c.expose, browser: c.browser ?? 0 }));
  const snapshot = await scan(host(c), {
    gpuControllers: false,
    probes: createWin32Probes({
      readAppDb: (p) => readOllamaAppSettings(p === APP_DB ? db : path.join(dir, 'missing')),
    }),
  });
  return {
    home: HOME,
    snapshot,
    rules: runRules(snapshot)
      .map((f) => f.ruleId)
      .sort(),
  };
}
