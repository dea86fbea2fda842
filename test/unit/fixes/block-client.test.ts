/**
 * Issue 18, "Cut it off now": block-client refuses one address the scan found for a server (a
 * peer connected now, or a client in its log) on that server's port, with a table of Paddock's
 * own. Its preview is a golden file (test/fixtures/plans/block-client*.txt, UPDATE_GOLDEN=1
 * rewrites them); an address the scan did not find gives no plan; root accepts exactly the file
 * generated from the address, and only for an address its own scan finds; the rescan's check
 * reads the firewall for that address.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FixPlan, FixStep } from '../../../shared/fixes';
import type { FirewallFacts } from '../../../shared/firewall';
import type { Snapshot } from '../../../shared/snapshot';
import { snapshotSchema } from '../../../shared/snapshot';
import {
  privilegedContext,
  privilegedPlanProblems,
} from '../../../electron/engine/fixes/allowlist';
import { previewPlan } from '../../../electron/engine/fixes/preview';
import {
  blockFile,
  blockTableName,
  checkClientBlocked,
  clientCandidates,
  nftBlockClientRules,
  parseBlockFile,
} from '../../../electron/engine/fixes/recipes/block-client';
import { isManual } from '../../../electron/engine/fixes/recipes/common';
import { planFix, privilegedChoiceArgs } from '../../../electron/engine/fixes/recipes/index';
import { checkVerification } from '../../../electron/engine/fixes/verify';
import type { SnapshotOptions } from '../../rules/snapshots';
import {
  LAN4,
  LAN_INTERFACE,
  LOOPBACK_INTERFACE,
  buildSnapshot,
  firewallFacts,
  peer,
  wildcardOllama,
} from '../../rules/snapshots';

const ID = 'ollama:pid:42';
const GOLDEN = path.resolve('test/fixtures/plans');
const PEER = '192.168.1.50';
const LOGGED = '192.168.1.77';

function golden(name: string, plan: FixPlan): void {
  const text = previewPlan(plan);
  const file = path.join(GOLDEN, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, text);
  expect(text).toBe(fs.readFileSync(file, 'utf8'));
}

function snap(options: Partial<SnapshotOptions> = {}, facts: FirewallFacts = firewallFacts('off')) {
  return snapshotSchema.parse(
    buildSnapshot({
      instances: [
        wildcardOllama(null, { peers: [peer(PEER), peer(LAN4, { isLocalAddress: true })] }),
      ],
      accessLogClients: [{ client: LOGGED }, { client: '127.0.0.1' }],
      firewall: { status: 'ok', facts },
      ...options,
    }),
  ) as Snapshot;
}

const files = (map: Record<string, string> = {}) => ({ readFile: (p: string) => map[p] ?? null });

function plan(address: string, snapshot = snap(), io = files()): FixPlan {
  const made = planFix('block-client', snapshot, ID, io, { allow: [address], persist: true });
  if (isManual(made)) throw new Error(made.reason);
  return made;
}

describe('block-client: the plan', () => {
  it('a peer connected now: its own table, loaded now and at boot (golden preview)', () => {
    const p = plan(PEER, snap(), files({ '/proc/1/comm': 'systemd\n' }));
    expect(p.requiresAdmin).toBe(true);
    expect(p.title).toBe(`Cut off ${PEER} from port 11434`);
    // The shared boot plumbing first (R1: undo decides it once this rule file is gone).
    expect(p.steps.slice(0, 4).every((s) => s.kind !== 'write-file' || 'keptWhile' in s)).toBe(
      true,
    );
    expect(p.steps[4]).toMatchObject({
      kind: 'write-file',
      path: '/etc/paddock/nftables.d/block-11434-192_168_1_50.nft',
      content: nftBlockClientRules(11434, PEER),
    });
    expect(p.steps[5]).toMatchObject({
      argv: ['nft', '-f', blockFile(11434, PEER)],
      undo: [
        'nft',
        'add',
        'table',
        'inet',
        blockTableName(11434, PEER),
        ';',
        'delete',
        'table',
        'inet',
        blockTableName(11434, PEER),
      ],
    });
    expect(p.verification).toMatchObject({ kind: 'client-blocked', port: 11434, setting: PEER });
    expect(privilegedChoiceArgs(p)).toEqual([PEER]);
    golden('block-client', p);
  });

  it('a client only in the log: the plan says a log address can be forged (golden preview)', () => {
    const p = plan(LOGGED);
    expect(p.warnings.join(' ')).toMatch(/headers any caller can send/);
    expect(p.warnings.join(' ')).toMatch(/lasts until the next reboot/);
    golden('block-client-log', p);
  });

  it('writes the address canonically (an IPv6 peer) and names it in the file and table', () => {
    const s = snap({
      instances: [wildcardOllama(null, { peers: [peer('FD00:0:0:0:0:0:0:50')] })],
    });
    const p = plan('fd00::50', s);
    expect(p.steps[0]).toMatchObject({ path: '/etc/paddock/nftables.d/block-11434-fd00xx50.nft' });
    expect((p.steps[0] as { content: string }).content).toContain(
      '\t\tip6 saddr fd00::50 tcp dport 11434 reject with tcp reset',
    );
  });

  it.each([
    ['an address the scan did not find', '192.168.1.99', /finds no machine at 192.168.1.99/],
    ['loopback', '127.0.0.1', /loopback/],
    ["this machine's own address", LAN4, /finds no machine/],
    ['a prefix', '192.168.1.0/24', /not one machine's address/],
    ['something else', '1.2.3.4; flush ruleset', /not one machine's address/],
    ['nothing', '', /Choose the address/],
  ])('refuses %s', (_what, address, why) => {
    const made = planFix('block-client', snap(), ID, files(), { allow: [address] });
    expect(isManual(made)).toBe(true);
    if (isManual(made)) expect(made.reason).toMatch(why);
  });

  it('offers the connected peer first, then the log, never loopback or its own address', () => {
    const s = snap();
    expect(clientCandidates(s, s.instances[0]!)).toEqual([
      { address: PEER, seen: 'connected', ports: [11434] },
      { address: LOGGED, seen: 'log', ports: [] },
    ]);
  });

  it("without this computer's own addresses (the interfaces unread): no plan, nothing cut off", () => {
    const s = snap();
    // This computer's own LAN address, logged as a client (anyone can write a log line).
    const own = snapshotSchema.parse({
      ...s,
      probes: {
        ...s.probes,
        interfaces: { ...s.probes.interfaces, status: 'error', data: [] },
        accessLog: s.probes.accessLog,
      },
    }) as Snapshot;
    const made = planFix('block-client', own, ID, files(), { allow: [PEER] });
    expect(isManual(made) && made.reason).toMatch(/could not list this computer's own addresses/);
  });

  it('a container of this computer (on docker0): the plan says that app loses access too; any peer may be a gateway', () => {
    const docker0 = {
      name: 'docker0',
      addresses: [
        { address: '172.17.0.1', family: 4 as const, prefixLength: 16, scope: 'private' as const },
      ],
    };
    const s = snap({
      interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, docker0],
      instances: [wildcardOllama(null, { peers: [peer('172.17.0.2')] })],
    });
    const made = plan('172.17.0.2', s);
    expect(made.warnings.join(' ')).toMatch(
      /172\.17\.0\.2 is on docker0, a bridge of this computer's containers or virtual machines/,
    );
    expect(plan(PEER).warnings.join(' ')).not.toMatch(/bridge of this computer/);
    expect(plan(PEER).warnings.join(' ')).toMatch(/a router, a proxy or a VPN gateway/);
  });

  it('without nftables: the commands to run by hand', () => {
    const facts = firewallFacts('off');
    const made = planFix(
      'block-client',
      snap({}, { ...facts, nftables: { ...facts.nftables, status: 'unavailable', ruleset: null } }),
      ID,
      files(),
      { allow: [PEER] },
    );
    expect(isManual(made) && made.commands.at(-1)?.join(' ')).toBe(
      `nft add rule inet ${blockTableName(11434, PEER)} input ip saddr ${PEER} tcp dport 11434 reject with tcp reset`,
    );
  });
});

describe('block-client: what root accepts', () => {
  const s = snap();
  const context = privilegedContext(s, () => false);

  it("accepts the recipe's plan for an address root's scan finds", () => {
    expect(privilegedPlanProblems(plan(PEER), context)).toEqual([]);
    expect(privilegedPlanProblems(plan(LOGGED), context)).toEqual([]);
    // Undo and recovery re-check without the tie to the scan.
    expect(privilegedPlanProblems(plan(PEER), null)).toEqual([]);
  });

  it('refuses an address root does not see, and any file but the generated one', () => {
    const other = '192.168.1.99';
    const forged = plan(PEER);
    const write = (content: string, filePath = blockFile(11434, other)): FixStep => ({
      ...(forged.steps[0] as Extract<FixStep, { kind: 'write-file' }>),
      path: filePath,
      content,
    });
    expect(
      privilegedPlanProblems(
        { ...forged, steps: [write(nftBlockClientRules(11434, other))] },
        context,
      ).join(' '),
    ).toMatch(/192.168.1.99 is not a machine root's scan finds/);
    const extra = `${nftBlockClientRules(11434, PEER)}flush ruleset\n`;
    expect(
      privilegedPlanProblems(
        { ...forged, steps: [write(extra, blockFile(11434, PEER))] },
        context,
      ).join(' '),
    ).toMatch(/must hold Paddock's rule refusing one address/);
    // A file named for one address holding another's rule.
    expect(parseBlockFile(blockFile(11434, PEER), nftBlockClientRules(11434, other))).toBeNull();
    expect(parseBlockFile(blockFile(11434, PEER), nftBlockClientRules(11434, PEER))).toEqual({
      port: 11434,
      address: PEER,
    });
    // nft -f of the file with any undo but deleting its own table.
    const load = forged.steps[1] as Extract<FixStep, { kind: 'run' }>;
    expect(
      privilegedPlanProblems(
        { ...forged, steps: [{ ...load, undo: ['nft', 'flush', 'ruleset'] }] },
        context,
      ).join(' '),
    ).toMatch(/undone by deleting table inet paddock_block_11434_192_168_1_50 only/);
  });
});

describe('block-client: the rescan', () => {
  const verification = plan(PEER).verification;
  it('holds only when the firewall refuses that address on every interface', () => {
    expect(checkVerification(verification, snap())).toMatchObject({ ok: false });
    const facts = firewallFacts('off');
    const table = {
      family: 'inet' as const,
      name: blockTableName(11434, PEER),
      chains: [
        {
          name: 'input',
          hook: 'input',
          priority: -10,
          policy: 'accept',
          type: 'filter',
          device: null,
          rules: [
            {
              text: `ip saddr ${PEER} tcp dport 11434 reject with tcp reset`,
              conditions: [
                { kind: 'addr', negate: false, direction: 'saddr', family: 4, items: [PEER] },
                {
                  kind: 'port',
                  negate: false,
                  direction: 'dport',
                  protocol: 'tcp',
                  ranges: [[11434, 11434]],
                },
              ],
              verdict: { kind: 'reject', with: 'tcp reset' },
              vmap: null,
            },
          ],
        },
      ],
    };
    const blocked = snap(
      {},
      {
        ...facts,
        nftables: {
          ...facts.nftables,
          ruleset: { ...facts.nftables.ruleset!, tables: [table as never] },
        },
      },
    );
    expect(checkClientBlocked(verification, blocked)).toMatchObject({ ok: true });
    // Another machine is not affected: the same table does not refuse it.
    expect(checkClientBlocked({ ...verification, setting: '192.168.1.99' }, blocked)).toMatchObject(
      { ok: false },
    );
  });
});
