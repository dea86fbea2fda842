/**
 * Issue 17: Windows Defender Firewall judged per network profile: the interface's profile,
 * that profile on or off, "Block all incoming connections", block rules over allow rules, the
 * rule Windows' own "Allow access" prompt makes for a program, and the default; unknown where a
 * rule might apply and would change the answer.
 */
import { describe, expect, it } from 'vitest';
import { evaluateFirewall } from '../../../electron/engine/firewall/evaluate';
import type { FirewallFacts, FirewallQuery, WindowsFirewallFacts } from '../../../shared/firewall';

const OLLAMA = 'C:\\Users\\Anna Müller\\AppData\\Local\\Programs\\Ollama\\ollama.exe';
type Rule = NonNullable<WindowsFirewallFacts['rules']>[number];

const promptRule = (profiles: Rule['profiles'], action: Rule['action'] = 'allow'): Rule => ({
  name: `TCP Query User{6A1F2B1C-0000-4000-8000-000000000001}${OLLAMA.toLowerCase()}`,
  displayName: 'ollama.exe',
  action,
  profiles,
  protocol: 'TCP',
  localPorts: ['Any'],
  remoteAddresses: ['Any'],
  program: OLLAMA.toLowerCase(),
  fromPrompt: true,
});

function facts(w: Partial<WindowsFirewallFacts> = {}): FirewallFacts {
  const unavailable = { status: 'unavailable' as const, evidence: [] };
  const profile = (p: 'domain' | 'private' | 'public') => ({
    profile: p,
    enabled: true,
    defaultInboundAction: null,
    allowInboundRules: null,
  });
  return {
    windows: {
      status: 'ok',
      evidence: [],
      profiles: [profile('domain'), profile('private'), profile('public')],
      interfaces: [{ alias: 'WLAN', profile: 'public' }],
      rules: [],
      ...w,
    },
    nftables: { ...unavailable, ruleset: null },
    iptables: [],
    ufw: { ...unavailable, model: null },
    firewalld: { ...unavailable, model: null },
  };
}

const query = (program: string | null = OLLAMA, port = 11434): FirewallQuery => ({
  port,
  family: 4,
  interface: 'WLAN',
  source: 'lan',
  peerAddress: '192.168.178.20',
  localAddress: '192.168.178.10',
  program,
});

describe('Windows Defender Firewall', () => {
  it('the rule Windows\' prompt made ("Allow access" on a Public network) lets Ollama in', () => {
    const e = evaluateFirewall(facts({ rules: [promptRule(['public'])] }), query());
    expect(e.decision).toBe('allowed');
    expect(e.decidedBy[0]!.rule).toMatch(/made by Windows' own prompt/);
    expect(e.decidedBy[0]!.where).toBe('Public profile');
  });

  it('a rule for the Private profile only does not apply on a Public network: the default blocks', () => {
    const e = evaluateFirewall(facts({ rules: [promptRule(['private'])] }), query());
    expect(e.decision).toBe('blocked');
    expect(e.decidedBy[0]!.rule).toMatch(/blocked by default \(Windows' default\)/);
    const onPrivate = facts({
      rules: [promptRule(['private'])],
      interfaces: [{ alias: 'WLAN', profile: 'private' }],
    });
    expect(evaluateFirewall(onPrivate, query()).decision).toBe('allowed');
  });

  it('the profile off lets everything in; "Block all incoming connections" nothing', () => {
    const off = facts({
      rules: [],
      profiles: [
        { profile: 'public', enabled: false, defaultInboundAction: null, allowInboundRules: null },
      ],
    });
    expect(evaluateFirewall(off, query()).decision).toBe('allowed');
    const shields = facts({
      rules: [promptRule(['public'])],
      profiles: [
        { profile: 'public', enabled: true, defaultInboundAction: null, allowInboundRules: false },
      ],
    });
    expect(evaluateFirewall(shields, query()).decision).toBe('blocked');
  });

  it('a block rule wins over an allow rule; a port rule counts like an app rule', () => {
    const portBlock: Rule = {
      ...promptRule(['public'], 'block'),
      name: 'block 11434',
      program: null,
      localPorts: ['11434'],
      fromPrompt: false,
    };
    expect(
      evaluateFirewall(facts({ rules: [promptRule(['public']), portBlock] }), query()).decision,
    ).toBe('blocked');
    expect(
      evaluateFirewall(facts({ rules: [promptRule(['public']), portBlock] }), query(OLLAMA, 8080))
        .decision,
    ).toBe('allowed');
  });

  it('is unknown where a rule might apply and would change the answer', () => {
    // The program that listens is not known: the app rule may or may not be its.
    expect(evaluateFirewall(facts({ rules: [promptRule(['public'])] }), query(null)).decision).toBe(
      'unknown',
    );
    // A rule naming %LOCALAPPDATA%: not expanded here.
    const env = {
      ...promptRule(['public']),
      program: '%LOCALAPPDATA%\\Programs\\Ollama\\ollama.exe',
    };
    expect(evaluateFirewall(facts({ rules: [env] }), query()).decision).toBe('unknown');
    expect(evaluateFirewall(facts({ rules: null }), query()).decision).toBe('unknown');
    expect(evaluateFirewall(facts({ interfaces: null }), query()).decision).toBe('unknown');
  });

  it('an interface without a network profile is Public, and says so', () => {
    const e = evaluateFirewall(
      facts({
        rules: [promptRule(['public'])],
        interfaces: [{ alias: 'Ethernet', profile: 'private' }],
      }),
      query(),
    );
    expect(e.decision).toBe('allowed');
    expect(e.notes.join(' ')).toMatch(/treats it as Public/);
  });
});
