/**
 * The per-OS probes behind one interface. Linux and macOS (issue 16) are implemented; others answer
 * `unavailable` with that said plainly until their probes land.
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
import { probeFirewall } from './linux/firewall/probe';
import { probeInterfaces } from './linux/interfaces';
import { probeProcesses } from './linux/processes';
import { probeSettings } from './linux/settings';
import { probeSockets } from './linux/sockets';

export interface PlatformProbes {
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
    message: `Paddock cannot read ${what} on ${platform} yet; only Linux is supported so far.`,
    durationMs: 0,
  });
}

export function probesFor(platform: NodeJS.Platform): PlatformProbes {
  if (platform === 'linux') return linuxProbes;
  if (platform === 'darwin') return darwinProbes;
  return {
    processes: () => notYet([], 'processes', platform),
    sockets: () => notYet([], 'sockets', platform),
    // Node's own interface list works everywhere.
    interfaces: probeInterfaces,
    settings: () => notYet({ settings: [], gaps: [] }, 'Ollama settings', platform),
    firewall: () => notYet(null, 'the firewall', platform),
  };
}
