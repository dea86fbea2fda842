/**
 * The per-OS probes behind one interface. Linux, macOS (issue 16) and Windows (issue 17) are
 * implemented; others answer `unavailable` with that said plainly. Windows' probes share two
 * PowerShell runs per scan: probesFor makes a new set for each scan.
 */
import type { FirewallFacts } from '../../../shared/firewall';
import type {
  NetInterface,
  OllamaProcess,
  ProbeResult,
  SettingsReport,
  Socket,
} from '../../../shared/snapshot';
import type { Host } from '../host/types';
import { darwinProbes } from './darwin/probes';
import { createWin32Probes } from './win32/probes';
import { probeFirewall } from './linux/firewall/probe';
import { probeInterfaces } from './linux/interfaces';
import { probeProcesses } from './linux/processes';
import { probeSettings } from './linux/settings';
import { probeSockets } from './linux/sockets';

export interface PlatformProbes {
  /**
   * How long the scan waits for each probe and for the firewall's, where this platform's tools
   * need longer than the defaults (Windows PowerShell: scan.ts PROBE_DEADLINE_MS and
   * FIREWALL_DEADLINE_MS otherwise).
   */
  deadlines?: { probeMs: number; firewallMs: number };
  processes(host: Host): Promise<ProbeResult<OllamaProcess[]>>;
  sockets(host: Host): Promise<ProbeResult<Socket[]>>;
  interfaces(host: Host): Promise<ProbeResult<NetInterface[]>>;
  settings(host: Host, process: OllamaProcess | null): Promise<ProbeResult<SettingsReport>>;
  firewall(host: Host): Promise<ProbeResult<FirewallFacts | null>>;
}

export const linuxProbes: PlatformProbes = {
  processes: probeProcesses,
  sockets: probeSockets,
  interfaces: probeInterfaces,
  settings: (host, process) => probeSettings(host, { process }),
  firewall: probeFirewall,
};

function notYet<T>(data: T, what: string, platform: string): Promise<ProbeResult<T>> {
  return Promise.resolve({
    status: 'unavailable',
    data,
    evidence: [],
    message: `Paddock cannot read ${what} on ${platform} yet; only Linux, macOS and Windows are supported so far.`,
    durationMs: 0,
  });
}

export function probesFor(platform: NodeJS.Platform): PlatformProbes {
  if (platform === 'linux') return linuxProbes;
  if (platform === 'darwin') return darwinProbes;
  if (platform === 'win32') return createWin32Probes();
  return {
    processes: () => notYet([], 'processes', platform),
    sockets: () => notYet([], 'sockets', platform),
    // Node's own interface list works everywhere.
    interfaces: probeInterfaces,
    settings: () => notYet({ settings: [], gaps: [] }, 'Ollama settings', platform),
    firewall: () => notYet(null, 'the firewall', platform),
  };
}
