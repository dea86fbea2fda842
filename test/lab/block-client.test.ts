/**
 * Issue 18, "Cut it off now": block-client refuses one LAN address on the server's port with a
 * real nftables table, while another LAN address of the neighbour (its IPv6 one) and loopback
 * still get in; undo restores access and the exact ruleset.
 *
 * The address comes from the system: the LAN neighbour holds a real connection to the stand-in
 * server and the peer is read from the lab host's own `ss`, as the sockets probe would; an
 * address that is not connected gives no plan. The plan is applied and undone by the real
 * executor (its commands run in the lab host, its files are written through the lab host's
 * mount namespace), and its verification is both what the neighbour really gets and the
 * recipe's own check (checkClientBlocked) on the real firewall probe's reading of the ruleset.
 * /etc/paddock is a tmpfs inside the lab host (as in block-port.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FixPlan } from '../../shared/fixes';
import type { Snapshot } from '../../shared/snapshot';
import { snapshotSchema } from '../../shared/snapshot';
import type { FixDeps } from '../../electron/engine/fixes/executor';
import { applyPlan, undoRun } from '../../electron/engine/fixes/executor';
import { isManual } from '../../electron/engine/fixes/recipes/common';
import { planFix } from '../../electron/engine/fixes/recipes/index';
import { blockFile, checkClientBlocked } from '../../electron/engine/fixes/recipes/block-client';
import { buildSnapshot, peer, wildcardOllama } from '../rules/snapshots';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import {
  describeFirewallLab,
  inHost,
  labExec,
  labFixFiles,
  privatePaddockEtc,
  probeInLab,
  runInHostOk,
} from './firewall-lab';

const PORT = 11434;

describeFirewallLab('block-client with real nftables', ['nft'], () => {
  let lab: Lab;
  let standin: Standin;
  let runsDir: string;
  let releaseEtc: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-block-client-runs-'));
    releaseEtc = await privatePaddockEtc(lab);
  });

  afterAll(async () => {
    await releaseEtc?.();
    await standin?.stop();
    await lab?.close();
    if (runsDir) fs.rmSync(runsDir, { recursive: true, force: true });
  });

  const readInHost = (p: string): string | null => {
    try {
      return fs.readFileSync(inHost(lab, p), 'utf8');
    } catch {
      return null;
    }
  };
  const text = async (argv: string[]) => (await runInHostOk(lab, argv)).stdout;
  const ruleset = () => text(['nft', '-s', 'list', 'ruleset']);

  /** The peers connected to the port now, as the lab host's own ss lists them. */
  async function connectedPeers(): Promise<string[]> {
    const out = await text(['ss', '-Htn', 'state', 'established', `( sport = :${PORT} )`]);
    return [
      ...new Set(
        out
          .split('\n')
          .map((line) => line.trim().split(/\s+/).at(-1) ?? '')
          .map((peerText) => peerText.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''))
          .map((a) => a.replace(/^::ffff:/, ''))
          .filter((a) => a !== '' && a !== lab.hostAddress4 && !a.startsWith('127.')),
      ),
    ];
  }

  /** A snapshot with the real interfaces, firewall and connected peers of the lab host. */
  async function labSnapshot(peers: string[]): Promise<Snapshot> {
    const probe = await probeInLab(lab);
    return snapshotSchema.parse(
      buildSnapshot({
        instances: [wildcardOllama(null, { peers: peers.map((a) => peer(a)) })],
        interfaces: probe.interfaces,
        firewall: {
          status: probe.firewall.status,
          facts: probe.firewall.data,
          ...(probe.firewall.message ? { message: probe.firewall.message } : {}),
        },
      }),
    ) as Snapshot;
  }

  /** What each side really gets: the blocked LAN address, the other LAN address, loopback. */
  async function reach(): Promise<string> {
    const [lan4, lan6, lo4] = await Promise.all([
      lab.connectFromLan(lab.hostAddress4, PORT, 1000),
      lab.connectFromLan(lab.hostAddress6, PORT, 1000),
      lab.connectFrom('host', '127.0.0.1', PORT),
    ]);
    return `lan4 (${lab.lanAddress4}) ${lan4}, lan6 (${lab.lanAddress6}) ${lan6}, loopback ${lo4}`;
  }

  it('refuses the connected LAN address only; the other LAN address and loopback still get in; undo restores access', async () => {
    const open = `lan4 (${lab.lanAddress4}) open, lan6 (${lab.lanAddress6}) open, loopback open`;
    const cut = `lan4 (${lab.lanAddress4}) refused, lan6 (${lab.lanAddress6}) open, loopback open`;
    expect(await reach()).toBe(open);

    // The neighbour is connected now: the address comes from the host's sockets.
    const held = await lab.holdConnectionFromLan(lab.hostAddress4, PORT);
    let peers: string[];
    try {
      peers = await connectedPeers();
    } finally {
      await held.close();
    }
    expect(peers).toEqual([lab.lanAddress4]);
    const snapshot = await labSnapshot(peers);

    // An address the scan does not find connected (the neighbour's IPv6 one) gives no plan.
    const refused = planFix(
      'block-client',
      snapshot,
      'ollama:pid:42',
      { readFile: readInHost },
      {
        allow: [lab.lanAddress6],
        persist: false,
      },
    );
    expect(isManual(refused) && refused.reason).toMatch(/finds no machine at/);

    const made = planFix(
      'block-client',
      snapshot,
      'ollama:pid:42',
      { readFile: readInHost },
      {
        allow: [lab.lanAddress4],
        persist: false,
      },
    );
    if (isManual(made)) throw new Error(made.reason);
    const plan: FixPlan = made;
    expect(plan.steps.map((s) => s.kind)).toEqual(['write-file', 'run']);

    const deps: FixDeps = {
      runsDir,
      exec: (argv) => labExec(lab)(argv),
      files: labFixFiles(lab),
      now: () => new Date(),
      verify: async () => {
        const seen = await reach();
        const check = checkClientBlocked(plan.verification, await labSnapshot(peers));
        return { ok: seen === cut && check.ok, detail: `${seen}; ${check.detail}` };
      },
    };

    const before = await ruleset();
    // Before the fix, the recipe's own check sees the address let in.
    expect(checkClientBlocked(plan.verification, snapshot).ok).toBe(false);
    const run = await applyPlan(plan, deps);
    expect(run.state, run.outcome).toBe('applied');
    expect(await reach()).toBe(cut);
    expect(readInHost(blockFile(PORT, lab.lanAddress4))).toBe(
      (
        plan.steps.find((s) => 'path' in s && s.path === blockFile(PORT, lab.lanAddress4)) as {
          content: string;
        }
      ).content,
    );
    expect(checkClientBlocked(plan.verification, await labSnapshot(peers))).toMatchObject({
      ok: true,
    });

    const undone = await undoRun(run.id, deps);
    expect(undone.state, undone.outcome).toBe('undone');
    expect(await ruleset()).toBe(before);
    expect(await reach()).toBe(open);
    expect(readInHost(blockFile(PORT, lab.lanAddress4))).toBeNull();
  });
});
