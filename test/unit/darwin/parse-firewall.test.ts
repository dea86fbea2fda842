import { describe, expect, it } from 'vitest';
import {
  PADDOCK_PF_ANCHOR,
  PFCTL_INFO_ARGV,
  SOCKETFILTERFW_ARGV,
  blockedInboundTcpPorts,
  getAppBlockedArgv,
  parseAllowSigned,
  parseAppBlocked,
  parseApplicationFirewall,
  parseBlockAll,
  parseGlobalState,
  parseListApps,
  parsePfInfo,
  parsePfRules,
  parseStealthMode,
  pfctlAnchorRulesArgv,
} from '../../../electron/engine/probes/darwin/parse';
import { fixtureOutput } from '../../support/fixture-file';

/** A fixture's tool output: its `#fixture:` header lines are dropped. */
const fixture = (name: string): string => fixtureOutput('darwin', name);

const alf = (name: string) => fixture(`socketfilterfw/${name}`);
const OLLAMA_SERVER = '/Applications/Ollama.app/Contents/Resources/ollama';

describe('the application firewall (socketfilterfw)', () => {
  it('asks through argv only, the path as its own argument', () => {
    expect(SOCKETFILTERFW_ARGV.globalState).toEqual([
      '/usr/libexec/ApplicationFirewall/socketfilterfw',
      '--getglobalstate',
    ]);
    expect(getAppBlockedArgv('/Applications/LM Studio.app')).toEqual([
      '/usr/libexec/ApplicationFirewall/socketfilterfw',
      '--getappblocked',
      '/Applications/LM Studio.app',
    ]);
  });

  it('reads the global state in each wording, keeping the state number', () => {
    expect(parseGlobalState(alf('globalstate-on.txt'))).toEqual({ state: 'on', stateNumber: 1 });
    expect(parseGlobalState(alf('globalstate-off.txt'))).toEqual({ state: 'off', stateNumber: 0 });
    expect(parseGlobalState(alf('globalstate-blocking-sequoia.txt'))).toEqual({
      state: 'on',
      stateNumber: 2,
    });
    expect(parseGlobalState('Firewall is enabled.\n')).toEqual({ state: 'on', stateNumber: null });
  });

  it('reads block-all, stealth mode and signed-software settings in old and new wordings', () => {
    expect(parseBlockAll(alf('blockall-off-sequoia.txt'))).toBe(false);
    expect(parseBlockAll(alf('blockall-on-older.txt'))).toBe(true);
    expect(parseBlockAll('Block all DISABLED! \n')).toBe(false);
    expect(parseBlockAll('Firewall has block all state set to enabled.\n')).toBe(true);
    expect(parseStealthMode(alf('stealth-on-sequoia.txt'))).toBe(true);
    expect(parseStealthMode(alf('stealth-on-sonoma.txt'))).toBe(true);
    expect(parseStealthMode('Firewall stealth mode is off\n')).toBe(false);
    expect(parseStealthMode('Stealth mode disabled\n')).toBe(false);
    expect(parseAllowSigned(alf('allowsigned-sequoia.txt'))).toEqual({
      allowSigned: true,
      allowSignedDownloaded: false,
    });
    expect(parseAllowSigned('Automatically allow signed software ENABLED\n')).toEqual({
      allowSigned: true,
      allowSignedDownloaded: true,
    });
  });

  it("lists the apps in the 'ALF:' form: Ollama allowed, LM Studio (a name with a space) blocked", () => {
    expect(parseListApps(alf('listapps-alf-sonoma.txt'))).toEqual({
      announced: 3,
      apps: [
        { path: OLLAMA_SERVER, isPath: true, allowIncoming: true },
        { path: '/Applications/LM Studio.app', isPath: true, allowIncoming: false },
        { path: '/Applications/Ollama.app', isPath: true, allowIncoming: true },
      ],
      complete: true,
      unparsed: [],
    });
  });

  it("lists the apps in Tahoe's form and in the 'name (state: N)' form", () => {
    const tahoe = parseListApps(alf('listapps-tahoe.txt'));
    expect(tahoe.complete).toBe(true);
    expect(tahoe.apps.map((app) => [app.path, app.allowIncoming])).toEqual([
      ['/usr/libexec/sshd-session', false],
      ['/usr/libexec/remoted', true],
      ['/usr/sbin/cupsd', true],
      ['/opt/homebrew/Cellar/ollama/0.12.10/bin/ollama', true],
      ['/Applications/LM Studio.app', false],
    ]);
    const named = parseListApps(alf('listapps-state-sequoia.txt'));
    expect(named.complete).toBe(true);
    expect(named.apps).toContainEqual({ path: 'LM Studio', isPath: false, allowIncoming: false });
    expect(named.apps).toContainEqual({ path: 'ollama', isPath: false, allowIncoming: true });
  });

  it("reads an app's rule with the path taken out first", () => {
    expect(parseAppBlocked(alf('getappblocked-permitted.txt'), OLLAMA_SERVER)).toBe('permitted');
    expect(parseAppBlocked(alf('getappblocked-blocked.txt'), '/Applications/LM Studio.app')).toBe(
      'blocked',
    );
    expect(parseAppBlocked('The application is not part of the firewall\n')).toBe('not-listed');
    expect(parseAppBlocked('Incoming connection to the application is permitted\n')).toBe(
      'permitted',
    );
    // A path whose words say "is blocked" decides nothing.
    const odd = '/Users/a/this is blocked/ollama';
    expect(parseAppBlocked(`The application ${odd} is permitted\n`, odd)).toBe('permitted');
  });

  it('puts it together: the firewall on, stealth on, ollama allowed', () => {
    const firewall = parseApplicationFirewall({
      globalState: alf('globalstate-on.txt'),
      blockAll: alf('blockall-off-sequoia.txt'),
      stealthMode: alf('stealth-on-sequoia.txt'),
      allowSigned: alf('allowsigned-sequoia.txt'),
      listApps: alf('listapps-alf-sonoma.txt'),
    });
    expect(firewall).toMatchObject({
      globalState: 'on',
      stateNumber: 1,
      blockAll: false,
      stealth: true,
      allowSigned: true,
      allowSignedDownloaded: false,
      appsComplete: true,
    });
    expect(firewall.apps.find((app) => app.path === OLLAMA_SERVER)?.allowIncoming).toBe(true);
    expect(parseApplicationFirewall({})).toMatchObject({
      globalState: 'unknown',
      blockAll: null,
      stealth: null,
      apps: [],
      appsComplete: false,
    });
  });
});

describe('socketfilterfw on hostile or unknown answers', () => {
  it('says unknown rather than guess', () => {
    for (const text of [
      '',
      'garbage',
      'Firewall is enabled. (State = 0)',
      'Firewall is enabled. (State = 7)',
      'Firewall is enabled.\nFirewall is disabled.',
      'socketfilterfw: unrecognized option',
      'x'.repeat(10_000),
    ]) {
      expect(parseGlobalState(text).state).toBe('unknown');
    }
    expect(parseBlockAll('Firewall is enabled. (State = 1)')).toBeNull();
    expect(parseBlockAll('Block all ENABLED!\nBlock all DISABLED!')).toBeNull();
    expect(parseStealthMode('Stealth mode maybe')).toBeNull();
    expect(parseStealthMode('Firewall settings cannot be modified from command line')).toBeNull();
    expect(parseAllowSigned('nope')).toEqual({ allowSigned: null, allowSignedDownloaded: null });
    expect(parseAppBlocked('usage: socketfilterfw ...')).toBe('unknown');
    expect(parseAppBlocked('The application x is permitted and blocked')).toBe('unknown');
  });

  it('marks a listing incomplete when counts or lines do not add up', () => {
    const short = parseListApps(
      'ALF: total number of apps = 3\n\n1 :  /a\n ( Allow incoming connections )\n',
    );
    expect(short.complete).toBe(false);
    const odd = parseListApps(
      'Total number of apps = 2\n1 : /a\n (Allow incoming connections)\n2 : /b\n (Maybe incoming connections)\nnoise\n',
    );
    expect(odd.complete).toBe(false);
    expect(odd.apps[1]?.allowIncoming).toBeNull();
    expect(odd.unparsed).toEqual(['(Maybe incoming connections)', 'noise']);
    expect(parseListApps('x'.repeat(5 * 1024 * 1024)).unparsed).toEqual([
      'output missing or too long',
    ]);
    expect(() => parseListApps(undefined as unknown as string)).not.toThrow();
  });
});

describe('pf (pfctl)', () => {
  it("asks for pf's status and Paddock's own anchor through argv", () => {
    expect(PFCTL_INFO_ARGV).toEqual(['pfctl', '-s', 'info']);
    expect(PADDOCK_PF_ANCHOR).toBe('com.apple/paddock');
    expect(pfctlAnchorRulesArgv()).toEqual(['pfctl', '-a', 'com.apple/paddock', '-s', 'rules']);
  });

  it('reads Enabled with its running time, the ALTQ warnings set aside', () => {
    expect(parsePfInfo(fixture('pfctl/info-enabled.txt'))).toEqual({
      status: 'enabled',
      runningSeconds: 2 * 3600 + 41 * 60 + 7,
      warnings: ['No ALTQ support in kernel', 'ALTQ related functions disabled'],
      errors: [],
      unparsed: [],
      unparsedTotal: 0,
      truncated: false,
    });
    expect(parsePfInfo(fixture('pfctl/info-disabled.txt'))).toMatchObject({
      status: 'disabled',
      runningSeconds: null,
      unparsed: [],
    });
  });

  it("says unknown and keeps pfctl's error when it may not read /dev/pf", () => {
    const denied = parsePfInfo('No ALTQ support in kernel\npfctl: /dev/pf: Permission denied\n');
    expect(denied.status).toBe('unknown');
    expect(denied.errors).toEqual(['pfctl: /dev/pf: Permission denied']);
  });

  it("reads Paddock's anchor rules as pfctl prints them back, the -f and ALTQ chatter aside", () => {
    const result = parsePfRules(fixture('pfctl/anchor-rules-paddock.txt'));
    expect(result.unparsed).toEqual([]);
    expect(result.warnings).toHaveLength(5);
    expect(result.errors).toEqual([]);
    expect(result.rules).toHaveLength(4);
    expect(result.rules[0]).toEqual({
      text: 'block drop in quick proto tcp from any to any port = 11434',
      action: 'block',
      policy: 'drop',
      direction: 'in',
      log: false,
      quick: true,
      interface: null,
      family: null,
      proto: 'tcp',
      from: 'any',
      fromPort: null,
      to: 'any',
      toPort: { op: '=', values: [11434] },
      options: '',
    });
    expect(result.rules[3]).toMatchObject({
      action: 'pass',
      family: 4,
      from: '127.0.0.1',
      toPort: { op: '=', values: [11434] },
      options: 'flags S/SA keep state',
    });
  });

  it('summarises the inbound TCP ports the block rules close, not the pass rule', () => {
    const { rules } = parsePfRules(fixture('pfctl/anchor-rules-paddock.txt'));
    expect(blockedInboundTcpPorts(rules)).toEqual([
      { port: 11434, family: null, policy: 'drop', interface: null },
      { port: 11434, family: 6, policy: 'return', interface: null },
      { port: 1234, family: 4, policy: 'drop', interface: 'en0' },
    ]);
  });

  it('reads the other port forms pfctl prints, and anchor calls', () => {
    const result = parsePfRules(
      [
        'anchor "200.AirDrop/*" all',
        'block return-rst in log quick on ! lo0 inet proto tcp from ! 10.0.0.0/8 port 1000:2000 to <blocked> port 3000 >< 3010 label "x y"',
        'block drop in quick proto tcp from any to any port { 11434 11435 }',
        'block drop out quick proto tcp from any to any port > 1024',
        'pass in all flags S/SA keep state',
      ].join('\n'),
    );
    expect(result.unparsed).toEqual([]);
    expect(result.anchors).toEqual(['200.AirDrop/*']);
    expect(result.rules[0]).toMatchObject({
      policy: 'return-rst',
      log: true,
      interface: '!lo0',
      from: '! 10.0.0.0/8',
      fromPort: { op: ':', values: [1000, 2000] },
      to: '<blocked>',
      toPort: { op: '><', values: [3000, 3010] },
      options: 'label "x y"',
    });
    expect(blockedInboundTcpPorts(result.rules).map((block) => block.port)).toEqual([11434, 11435]);
    expect(result.rules[3]).toMatchObject({ action: 'pass', from: 'any', to: 'any' });
  });

  it('reports what is not a rule, a port out of range, or an unclosed list', () => {
    const result = parsePfRules(
      [
        'garbage',
        'block drop in quick proto tcp from any to any port = 99999',
        'block drop in quick proto tcp from any to any port { 1 2',
        'rdr pass on lo0 inet proto tcp from any to any port 80 -> 127.0.0.1 port 8080',
        `block ${'x'.repeat(100_000)}`,
      ].join('\n'),
    );
    expect(result.rules).toEqual([]);
    expect(result.unparsedTotal).toBe(5);
    expect(() => parsePfRules(undefined as unknown as string)).not.toThrow();
    expect(() => parsePfInfo(null as unknown as string)).not.toThrow();
  });
});
