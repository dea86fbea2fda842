/**
 * Issue 16: the Mac's firewalls judged per program (the application firewall) and per port
 * (pf, Paddock's own anchor), with what cannot be read left unknown, never allowed.
 */
import { describe, expect, it } from 'vitest';
import { evaluateFirewall } from '../../../electron/engine/firewall/evaluate';
import type { FirewallFacts, FirewallQuery, MacFirewallFacts } from '../../../shared/firewall';

const APP = '/Applications/Ollama.app/Contents/Resources/ollama';
const BREW = '/opt/homebrew/Cellar/ollama/0.12.10/bin/ollama';

function facts(
  mac: Partial<MacFirewallFacts> = {},
  app: Partial<NonNullable<MacFirewallFacts['application']>> = {},
): FirewallFacts {
  const unavailable = { status: 'unavailable' as const, evidence: [] };
  return {
    macos: {
      status: 'ok',
      evidence: [],
      application: {
        state: 'on',
        blockAll: false,
        stealth: false,
        allowSigned: true,
        allowSignedDownloaded: true,
        apps: [],
        ...app,
      },
      pf: { enabled: false, paddockBlocks: [] },
      ...mac,
    },
    nftables: { ...unavailable, ruleset: null },
    iptables: [],
    ufw: { ...unavailable, model: null },
    firewalld: { ...unavailable, model: null },
  };
}

const query = (program: string | null, port = 11434): FirewallQuery => ({
  port,
  family: 4,
  interface: 'en0',
  source: 'lan',
  peerAddress: '192.168.1.20',
  localAddress: '192.168.1.10',
  program,
});

describe("the Mac's firewalls", () => {
  it('lets through what the application firewall lets through, on any port', () => {
    expect(evaluateFirewall(facts({}, { state: 'off' }), query(APP)).decision).toBe('allowed');
    const listed = facts({}, { apps: [{ path: '/Applications/Ollama.app', allowIncoming: true }] });
    const e = evaluateFirewall(listed, query(APP, 8080));
    expect(e.decision).toBe('allowed');
    expect(e.decidedBy.map((s) => s.rule)).toContain(
      '/Applications/Ollama.app: allow incoming connections',
    );
    // A signed app from /Applications, not listed: allowed automatically.
    expect(evaluateFirewall(facts(), query(APP)).decision).toBe('allowed');
  });

  it('blocks a program it blocks, and everything with "Block all incoming connections"', () => {
    const blocked = facts({}, { apps: [{ path: APP, allowIncoming: false }] });
    expect(evaluateFirewall(blocked, query(APP)).decision).toBe('blocked');
    expect(evaluateFirewall(facts({}, { blockAll: true }), query(APP)).decision).toBe('blocked');
  });

  it("decides by the program's own entry first, whatever the order; a bundle's block alone is unknown", () => {
    const both = (order: 'bundle-first' | 'program-first') => {
      const entries = [
        { path: '/Applications/Ollama.app', allowIncoming: false },
        { path: APP, allowIncoming: true },
      ];
      return facts({}, { apps: order === 'bundle-first' ? entries : [...entries].reverse() });
    };
    expect(evaluateFirewall(both('bundle-first'), query(APP)).decision).toBe('allowed');
    expect(evaluateFirewall(both('program-first'), query(APP)).decision).toBe('allowed');
    const bundleOnly = facts(
      {},
      { apps: [{ path: '/Applications/Ollama.app', allowIncoming: false }] },
    );
    expect(evaluateFirewall(bundleOnly, query(APP)).decision).toBe('unknown');
  });

  it('is unknown, never allowed, where it cannot tell', () => {
    // Homebrew's build is not listed and not a vendor app: macOS asks the user.
    expect(evaluateFirewall(facts(), query(BREW)).decision).toBe('unknown');
    expect(evaluateFirewall(facts(), query(null)).decision).toBe('unknown');
    expect(evaluateFirewall(facts({}, { state: 'unknown' }), query(APP)).decision).toBe('unknown');
    expect(evaluateFirewall(facts({ pf: null }, { state: 'off' }), query(APP)).decision).toBe(
      'unknown',
    );
  });

  it("blocks the port where Paddock's pf anchor does, whatever the application firewall says", () => {
    const pf = facts(
      {
        pf: {
          enabled: true,
          paddockBlocks: [
            {
              port: 11434,
              family: null,
              rule: 'block drop in quick proto tcp from any to any port = 11434',
            },
          ],
        },
      },
      { state: 'off' },
    );
    const e = evaluateFirewall(pf, query(APP));
    expect(e.decision).toBe('blocked');
    expect(e.decidedBy[0]).toMatchObject({ layer: 'pf', kind: 'rule' });
    expect(evaluateFirewall(pf, query(APP, 8080)).decision).toBe('allowed');
    // pf's main rules no longer call the com.apple anchors: Paddock's anchor may not apply.
    const uncalled = facts(
      {
        pf: {
          enabled: true,
          anchorCalled: false,
          paddockBlocks: [{ port: 11434, family: null, rule: 'x' }],
        },
      },
      { state: 'off' },
    );
    expect(evaluateFirewall(uncalled, query(APP)).decision).toBe('unknown');
  });

  it('says that stealth mode does not hide an allowed program', () => {
    const e = evaluateFirewall(facts({}, { stealth: true }), query(APP));
    expect(e.decision).toBe('allowed');
    expect(e.notes.join(' ')).toMatch(/Stealth mode/);
  });
});
