import { describe, expect, it } from 'vitest';
import type { WindowsFirewallRule } from '../../../electron/engine/probes/win32/parse';
import {
  firewallProfileOf,
  parseNetConnectionProfiles,
  parseNetFirewallProfiles,
  parseNetFirewallRules,
  readProfiles,
  ruleCoversProgram,
  ruleCoversTcpPort,
} from '../../../electron/engine/probes/win32/parse';
import { fixtureOutput } from '../../support/fixture-file';

/** A fixture's tool output: its `#fixture:` header lines are dropped. */
const fixture = (name: string): string => fixtureOutput('win32', name);

const OLLAMA = 'C:\\Users\\alice\\AppData\\Local\\Programs\\Ollama\\ollama.exe';

describe('network profiles (Get-NetConnectionProfile)', () => {
  it('reads German network and interface names, and which firewall profile each is in', () => {
    const result = parseNetConnectionProfiles(
      fixture('profiles/netconnectionprofile-template-de-win11.txt'),
    );
    expect(result.unparsed).toEqual([]);
    expect(result.profiles).toEqual([
      {
        name: 'FRITZ!Box 7590 KL',
        interfaceAlias: 'WLAN',
        interfaceIndex: 12,
        category: 'private',
        firewallProfile: 'private',
      },
      {
        name: 'Netzwerk 2',
        interfaceAlias: 'Ethernet 2',
        interfaceIndex: 7,
        category: 'public',
        firewallProfile: 'public',
      },
      {
        name: 'Nicht identifiziertes Netzwerk',
        interfaceAlias: 'vEthernet (WSL (Hyper-V firewall))',
        interfaceIndex: 45,
        category: 'public',
        firewallProfile: 'public',
      },
    ]);
  });

  it('reads the category by name (PowerShell 7) and puts a domain network in the Domain profile', () => {
    const result = parseNetConnectionProfiles(
      fixture('profiles/netconnectionprofile-ps7-domain.txt'),
    );
    expect(result.unparsed).toEqual([]);
    expect(result.profiles.map((p) => [p.interfaceAlias, p.category, p.firewallProfile])).toEqual([
      ['Ethernet', 'domainAuthenticated', 'domain'],
      ['Wi-Fi', 'public', 'public'],
    ]);
    expect(firewallProfileOf('domainAuthenticated')).toBe('domain');
  });

  it('keeps a profile with an unknown category as unparsed', () => {
    const result = parseNetConnectionProfiles(
      '[{"Name":"x","InterfaceAlias":"Ethernet","InterfaceIndex":3,"NetworkCategory":7},{"Name":"y","NetworkCategory":1}]',
    );
    expect(result.profiles).toEqual([]);
    expect(result.unparsedTotal).toBe(2);
  });
});

describe('firewall profiles (Get-NetFirewallProfile)', () => {
  it('reads every profile on, inbound blocked, allow rules honoured (5.1 numbers)', () => {
    const result = parseNetFirewallProfiles(
      fixture('profiles/netfirewallprofile-template-win11.txt'),
    );
    expect(result.unparsed).toEqual([]);
    expect(result.profiles).toEqual(
      ['domain', 'private', 'public'].map((profile) => ({
        profile,
        enabled: 'true',
        defaultInboundAction: 'block',
        allowInboundRules: 'true',
        notifyOnListen: 'true',
      })),
    );
  });

  it('reads the firewall off on Public, and NotConfigured left as such (PowerShell 7 names)', () => {
    const result = parseNetFirewallProfiles(
      fixture('profiles/netfirewallprofile-public-off-ps7.txt'),
    );
    expect(result.unparsed).toEqual([]);
    const byName = Object.fromEntries(result.profiles.map((p) => [p.profile, p]));
    expect(byName.public).toMatchObject({ enabled: 'false', defaultInboundAction: 'block' });
    expect(byName.private).toMatchObject({ enabled: 'true' });
    expect(byName.domain).toMatchObject({
      enabled: 'true',
      defaultInboundAction: 'notConfigured',
      allowInboundRules: 'notConfigured',
    });
  });

  it('reads booleans a [bool] cast prints, and refuses names that are no profile', () => {
    const result = parseNetFirewallProfiles(
      JSON.stringify([
        { Name: 'Public', Enabled: false },
        { Name: 'constructor', Enabled: 1 },
        { Name: 'Öffentliches Profil', Enabled: 1 },
        { Name: 'Private', Enabled: 9 },
      ]),
    );
    expect(result.profiles).toEqual([
      {
        profile: 'public',
        enabled: 'false',
        defaultInboundAction: null,
        allowInboundRules: null,
        notifyOnListen: null,
      },
    ]);
    expect(result.unparsedTotal).toBe(3);
  });
});

describe('firewall rules for a port and a program', () => {
  const result = parseNetFirewallRules(
    fixture('firewall/rules-ollama-prompt-allow-public-template.txt'),
  );
  const rule = (name: string): WindowsFirewallRule => {
    const found = result.rules.find((r) => r.name.startsWith(name));
    if (!found) throw new Error(`no rule ${name}`);
    return found;
  };

  it('reads every rule of the template (5.1 numbers)', () => {
    expect(result.unparsed).toEqual([]);
    expect(result.rules).toHaveLength(6);
  });

  it('sees the rules the "Allow" prompt made: ollama.exe allowed on Public, TCP and UDP', () => {
    const prompt = result.rules.filter((r) => r.fromPrompt);
    expect(prompt.map((r) => r.protocol).sort()).toEqual(['TCP', 'UDP']);
    const tcp = rule('TCP Query User{');
    expect(tcp).toEqual({
      name: `TCP Query User{6A1F3C2E-9B4D-4E7A-8C21-3F5D7B9E0A14}${OLLAMA.toLowerCase()}`,
      displayName: 'ollama.exe',
      enabled: true,
      action: 'allow',
      direction: 'inbound',
      profiles: ['public'],
      protocol: 'TCP',
      localPorts: ['Any'],
      localAddresses: ['Any'],
      remoteAddresses: ['Any'],
      program: OLLAMA,
      service: null,
      edgeTraversal: 'deferToUser',
      fromPrompt: true,
    });
    expect(ruleCoversTcpPort(tcp, 11434)).toBe(true);
    expect(ruleCoversProgram(tcp, OLLAMA)).toBe(true);
    expect(ruleCoversTcpPort(rule('UDP Query User{'), 11434)).toBe(false);
  });

  it("reads a user's port rule for the local subnet on Private, and a wide range on Private and Public", () => {
    const lan = result.rules.find((r) => r.displayName === 'Ollama API (LAN)')!;
    expect(lan).toMatchObject({
      profiles: ['private'],
      localPorts: ['11434'],
      remoteAddresses: ['LocalSubnet'],
      program: null,
      fromPrompt: false,
    });
    expect(ruleCoversTcpPort(lan, 11434)).toBe(true);
    expect(ruleCoversProgram(lan, OLLAMA)).toBe(true);
    const dev = result.rules.find((r) => r.displayName === 'Dev ports')!;
    expect(dev.profiles).toEqual(['private', 'public']);
    expect(ruleCoversTcpPort(dev, 11434)).toBe(true);
    expect(ruleCoversTcpPort(dev, 13000)).toBe(false);
  });

  it('reads Any as every profile, and a program with %variables% expanded only from what it is given', () => {
    const store = result.rules.find((r) => r.name.startsWith('@{Microsoft.WindowsTerminal'))!;
    expect(store.profiles).toEqual(['domain', 'private', 'public']);
    expect(store.protocol).toBe('Any');
    expect(ruleCoversTcpPort(store, 11434)).toBe(true);
    const builtIn = result.rules.find((r) => r.name === 'RemoteAssistance-DCOM-TCP-In')!;
    expect(builtIn.displayName).toBe('Remoteunterstützung (DCOM eingehend)');
    expect(builtIn.service).toBe('RasMan');
    expect(ruleCoversTcpPort(builtIn, 11434)).toBe(false);
    expect(ruleCoversProgram(builtIn, 'C:\\Windows\\System32\\svchost.exe')).toBeNull();
    expect(
      ruleCoversProgram(builtIn, 'c:/windows/system32/SVCHOST.exe', { systemroot: 'C:\\Windows' }),
    ).toBe(true);
    expect(ruleCoversProgram(builtIn, OLLAMA, { SystemRoot: 'C:\\Windows' })).toBe(false);
  });
});

describe('firewall rules as PowerShell 7 names them', () => {
  const result = parseNetFirewallRules(fixture('firewall/rules-ollama-prompt-cancel-ps7.txt'));

  it('sees the rules a Cancel in the prompt made: ollama.exe blocked on Private and Public', () => {
    expect(result.unparsed).toEqual([]);
    const prompt = result.rules.filter((r) => r.fromPrompt);
    expect(prompt).toHaveLength(2);
    for (const rule of prompt) {
      expect(rule).toMatchObject({
        action: 'block',
        profiles: ['private', 'public'],
        program: OLLAMA,
        edgeTraversal: 'deferToUser',
        localPorts: ['Any'],
        remoteAddresses: ['Any'],
      });
    }
  });

  it("reads Paddock's own block rule for the port on every profile, a keyword port is no match and an unknown word undecided", () => {
    const paddock = result.rules.find((r) => r.name === 'Paddock-Block-11434')!;
    expect(paddock).toMatchObject({
      action: 'block',
      profiles: ['domain', 'private', 'public'],
      localPorts: ['11434'],
      program: null,
    });
    expect(ruleCoversTcpPort(paddock, 11434)).toBe(true);
    const rpc = result.rules.find((r) => r.name === 'RPC-range')!;
    expect(ruleCoversTcpPort(rpc, 11434)).toBe(false);
    expect(ruleCoversTcpPort({ ...rpc, localPorts: ['Mystery'] }, 11434)).toBeNull();
    expect(ruleCoversTcpPort({ ...rpc, localPorts: ['80, 11434'] }, 11434)).toBe(true);
  });
});

describe('readProfiles', () => {
  it.each<[unknown, string[] | undefined]>([
    [0, ['domain', 'private', 'public']],
    [4, ['public']],
    [6, ['private', 'public']],
    [0x7fffffff, ['domain', 'private', 'public']],
    [8, undefined],
    [-1, undefined],
    [2.5, undefined],
    ['Any', ['domain', 'private', 'public']],
    ['Private, Public', ['private', 'public']],
    ['Public,Domain', ['domain', 'public']],
    ['Privat', undefined],
    ['', undefined],
    ['__proto__', undefined],
    [null, undefined],
  ])('%j', (raw, profiles) => {
    expect(readProfiles(raw)).toEqual(profiles);
  });
});

describe('firewall rules JSON that is not what the template prints', () => {
  it('keeps rules with unknown enums or wrong types as unparsed', () => {
    const base = {
      Name: 'r',
      Enabled: 1,
      Action: 2,
      Direction: 1,
      Profile: 4,
      Protocol: 'TCP',
      LocalPort: ['11434'],
      Program: 'Any',
    };
    const result = parseNetFirewallRules(
      JSON.stringify([
        base,
        { ...base, Action: 5 },
        { ...base, Direction: 'sideways' },
        { ...base, Profile: 'Everywhere' },
        { ...base, LocalPort: [{}] },
        { ...base, Name: '' },
        { ...base, Enabled: 'Maybe' },
        { ...base, Enabled: true, Protocol: 6 },
      ]),
    );
    expect(result.rules.map((r) => [r.name, r.enabled, r.protocol])).toEqual([
      ['r', true, 'TCP'],
      ['r', true, '6'],
    ]);
    expect(result.unparsedTotal).toBe(6);
  });
});
