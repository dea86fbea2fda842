/**
 * Issue 18: the fix dialog's words, from real plans (the block-port recipe on recorded scans)
 * and the scans before and after: what changes for the user, how long it lasts and the lasting
 * alternative, the button's words, what the rescan proves, and an undo that re-exposes the
 * server said as a warning.
 */
import { describe, expect, it } from 'vitest';
import { isManual, planFix } from '../../../electron/engine/fixes/recipes';
import type { RecipeIO } from '../../../electron/engine/fixes/recipes/common';
import type { FixPlan, FixRun } from '../../../shared/fixes';
import type { Snapshot } from '../../../shared/snapshot';
import {
  actionLabel,
  fixImpact,
  fixProof,
  serverName,
  stateWords,
  undoNotice,
} from '../../../renderer/src/fix-impact';
import {
  LOOPBACK_INTERFACE,
  LAN_INTERFACE,
  buildSnapshot,
  firewallFacts,
  loopbackOllama,
  peer,
  wildcardOllama,
} from '../../rules/snapshots';

const exposed = (): Snapshot =>
  buildSnapshot({
    interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE],
    firewall: { status: 'ok', facts: firewallFacts('off') },
    instances: [wildcardOllama(null, { peers: [peer('192.168.1.31'), peer('192.168.1.44')] })],
  });

/** No systemd here (the lab, a container): Paddock's rule lasts until the next reboot. */
const NO_SYSTEMD: RecipeIO = { readFile: () => null, fileMode: () => null };
const SYSTEMD: RecipeIO = {
  readFile: (path) => (path === '/proc/1/comm' ? 'systemd\n' : null),
  fileMode: () => null,
};

function blockPort(snapshot: Snapshot, io: RecipeIO): FixPlan {
  const plan = planFix('block-port', snapshot, snapshot.instances[0]!.id, io);
  if (isManual(plan)) throw new Error(`block-port gave a manual fix: ${plan.reason}`);
  return plan;
}

const rebind = (snapshot: Snapshot): FixPlan => ({
  ...blockPort(snapshot, SYSTEMD),
  fixId: 'rebind-systemd',
  title: 'Make Ollama listen on loopback only',
  warnings: [],
  verification: {
    kind: 'instance-loopback-only',
    instance: snapshot.instances[0]!.id,
    port: 11434,
    setting: null,
    description: 'The rescan finds every socket on loopback.',
  },
});

const JARGON = /ollama:port:|ollama:pid:|listener|\bpid\b|nftables|\(direct\)/i;

describe('what changes for you', () => {
  it('block-port without systemd: apps here keep working, the peers connected now are cut off, until reboot, with the lasting fix offered', () => {
    const snapshot = exposed();
    const instance = snapshot.instances[0]!;
    const plan = blockPort(snapshot, NO_SYSTEMD);
    const impact = fixImpact(plan, instance, ['rebind-systemd', 'block-port', 'share-allowlist']);
    expect(impact.lines.map((l) => [l.tone, l.text])).toEqual([
      ['keep', 'Apps on this computer keep working'],
      ['lose', 'Other machines lose access'],
      ['time', 'Lasts until this computer restarts'],
    ]);
    expect(impact.lines[1]!.detail).toBe(
      'Connected now: 192.168.1.31 and 192.168.1.44. They are cut off.',
    );
    expect(impact.untilReboot).toBe(true);
    expect(impact.lasting).toEqual({
      fixId: 'rebind-systemd',
      label: 'Listen on this computer only',
    });
    expect(impact.action).toBe('Close port 11434');
    expect(impact.needsAdmin).toBe(true);
    expect(impact.server).toBe('Ollama service · port 11434');
    const words = impact.lines.map((l) => `${l.text} ${l.detail ?? ''}`).join(' ');
    expect(words).not.toMatch(JARGON);
  });

  it('block-port with systemd lasts, and offers no alternative', () => {
    const snapshot = exposed();
    const impact = fixImpact(blockPort(snapshot, SYSTEMD), snapshot.instances[0]!, [
      'rebind-systemd',
    ]);
    expect(impact.untilReboot).toBe(false);
    expect(impact.lasting).toBeNull();
    expect(impact.lines.at(-1)!.text).toMatch(/stays this way after a restart/);
  });

  it('no lasting fix offered when the finding has none (a container, say)', () => {
    const snapshot = exposed();
    const impact = fixImpact(blockPort(snapshot, NO_SYSTEMD), snapshot.instances[0]!, [
      'block-port',
    ]);
    expect(impact.untilReboot).toBe(true);
    expect(impact.lasting).toBeNull();
  });

  it('no lasting fix offered for a server outside systemd (started by hand)', () => {
    const snapshot = exposed();
    const instance = snapshot.instances[0]!;
    instance.process!.systemdUnit = null;
    const impact = fixImpact(blockPort(snapshot, NO_SYSTEMD), instance, ['rebind-systemd']);
    expect(impact.untilReboot).toBe(true);
    expect(impact.lasting).toBeNull();
    expect(impact.server).toBe('Ollama · port 11434');
  });

  it('a rebind names the server in its button and lasts through a restart', () => {
    const snapshot = exposed();
    const impact = fixImpact(rebind(snapshot), snapshot.instances[0]!, ['block-port']);
    expect(impact.action).toBe('Make Ollama private to this computer');
    expect(impact.lines.at(-1)!.text).toBe(
      'Lasts: Ollama’s own setting changes, so it stays this way after a restart',
    );
    expect(actionLabel(rebind(snapshot), null)).toBe('Make The server private to this computer');
  });

  it('nobody connected: says so', () => {
    const snapshot = buildSnapshot({
      firewall: { status: 'ok', facts: firewallFacts('off') },
      instances: [wildcardOllama()],
    });
    const impact = fixImpact(blockPort(snapshot, NO_SYSTEMD), snapshot.instances[0]!);
    expect(impact.lines[1]!.detail).toBe('No other machine is connected to it now.');
  });

  it('containers lose access too when the plan warns of bridges', () => {
    const snapshot = exposed();
    const plan = {
      ...blockPort(snapshot, NO_SYSTEMD),
      warnings: [
        'Containers and virtual machines on this computer reach it through docker0, not loopback: they lose port 11434 too.',
      ],
    };
    expect(fixImpact(plan, snapshot.instances[0]!).lines.map((l) => l.text)).toContain(
      'Containers and virtual machines on this computer lose access too',
    );
  });

  it('share-allowlist: the chosen machines keep access, the others connected now are cut off', () => {
    const snapshot = exposed();
    const plan = planFix('share-allowlist', snapshot, snapshot.instances[0]!.id, NO_SYSTEMD, {
      allow: ['192.168.1.31'],
    });
    if (isManual(plan)) throw new Error(plan.reason);
    const impact = fixImpact(plan, snapshot.instances[0]!);
    const texts = impact.lines.map((l) => l.text);
    expect(texts).toContain('192.168.1.31 keeps access');
    expect(texts).toContain('Every other machine loses access');
    expect(impact.lines.find((l) => l.text === 'Every other machine loses access')!.detail).toBe(
      'Connected now: 192.168.1.44. It is cut off.',
    );
  });
});

describe('cutting one machine off', () => {
  it('block-client: only that address loses access, said by name, and no lasting fix is offered in its place', () => {
    const snapshot = exposed();
    const plan = planFix('block-client', snapshot, snapshot.instances[0]!.id, NO_SYSTEMD, {
      allow: ['192.168.1.44'],
    });
    if (isManual(plan)) throw new Error(plan.reason);
    const impact = fixImpact(plan, snapshot.instances[0]!, ['rebind-systemd', 'block-port']);
    const texts = impact.lines.map((l) => l.text);
    expect(texts).toContain('192.168.1.44 loses access');
    expect(texts).toContain('Every other machine that reaches it now keeps that access');
    expect(texts).not.toContain('Other machines lose access');
    expect(impact.lines.find((l) => l.text === '192.168.1.44 loses access')!.detail).toBe(
      '192.168.1.44 is connected now: it is cut off.',
    );
    expect(impact.lasting).toBeNull();
    expect(impact.action).toBe('Cut off 192.168.1.44');
    expect(texts.join(' ')).not.toMatch(JARGON);
  });
});

describe('names and states', () => {
  it('a server outside systemd is named by its kind and port, never its id', () => {
    const snapshot = buildSnapshot({ instances: [loopbackOllama({ pid: null })] });
    expect(serverName(snapshot.instances[0]!)).toBe('Ollama · port 11434');
    expect(stateWords(snapshot.instances[0]!)).toBe('Private to this computer');
    expect(stateWords(null)).toBe('Not running');
  });
});

describe('what the rescan proves', () => {
  const run = (plan: FixPlan): Pick<FixRun, 'plan' | 'journal'> => ({
    plan,
    journal: [
      {
        at: '2026-11-28T12:00:01.000Z',
        step: null,
        event: 'verify-ok',
        detail: 'port 11434 is reachable from no interface but loopback',
      },
    ],
  });

  it('block-port: local network → private, each address refused, loopback answering, a curl per address', () => {
    const before = exposed();
    const after = buildSnapshot({
      firewall: { status: 'ok', facts: firewallFacts('nft-drop') },
      instances: [wildcardOllama('blocked', { peers: [] })],
    });
    expect(after.instances[0]!.exposure).toBe('private');
    const proof = fixProof(before.instances[0]!, after, run(blockPort(before, NO_SYSTEMD)));
    expect(proof.before).toBe('Reachable from the local network');
    expect(proof.after).toBe('Private to this computer');
    expect(proof.improved).toBe(true);
    expect(proof.addresses).toEqual([
      { address: '192.168.1.20', port: 11434, interface: 'eth0', now: 'refused' },
      { address: 'fd00::20', port: 11434, interface: 'eth0', now: 'refused' },
      { address: 'fe80::20', port: 11434, interface: 'eth0', now: 'refused' },
    ]);
    expect(proof.loopback).toEqual({ address: '127.0.0.1', port: 11434, answers: true });
    // Link-local needs the other device's own interface name: no curl for it.
    expect(proof.outsideChecks).toEqual([
      'curl -m 5 http://192.168.1.20:11434/',
      'curl -m 5 http://[fd00::20]:11434/',
    ]);
    expect(proof.verified).toBe('port 11434 is reachable from no interface but loopback');
  });

  it('an address still open after the change is said to be open', () => {
    const before = exposed();
    const after = structuredClone(before);
    const proof = fixProof(before.instances[0]!, after, run(blockPort(before, NO_SYSTEMD)));
    expect(proof.addresses.every((a) => a.now === 'open')).toBe(true);
    expect(proof.improved).toBe(false);
  });

  it('before the rescan comes: no after state, no loopback claim', () => {
    const before = exposed();
    const proof = fixProof(before.instances[0]!, null, run(blockPort(before, NO_SYSTEMD)));
    expect(proof.after).toBeNull();
    expect(proof.loopback).toBeNull();
    expect(proof.outsideChecks).toHaveLength(2);
  });

  it('a rebind: the server found again by kind and port when its id changed', () => {
    const before = exposed();
    const after = buildSnapshot({ instances: [loopbackOllama({ pid: 77 })] });
    const proof = fixProof(before.instances[0]!, after, run(rebind(before)));
    expect(proof.after).toBe('Private to this computer');
    expect(proof.loopback).toEqual({ address: '127.0.0.1', port: 11434, answers: true });
  });
});

describe('after an undo', () => {
  it('reachable again is a warning, never a success', () => {
    const before = exposed();
    expect(undoNotice(before.instances[0]!, before)).toEqual({
      tone: 'warn',
      text: 'Ollama is reachable from the local network again',
    });
    // Until the rescan after the undo comes, the state before the fix stands for it.
    expect(undoNotice(before.instances[0]!, null).tone).toBe('warn');
  });

  it('from the internet again; private stays calm', () => {
    const internet = exposed();
    internet.instances[0]!.exposure = 'internet';
    expect(undoNotice(internet.instances[0]!, null).text).toBe(
      'Ollama is reachable from the internet again',
    );
    const quiet = buildSnapshot({ instances: [loopbackOllama()] });
    expect(undoNotice(quiet.instances[0]!, quiet)).toEqual({
      tone: 'ok',
      text: 'Ollama is still private to this computer',
    });
  });
});
