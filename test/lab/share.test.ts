/**
 * Issue 14, "only these machines" against real nftables: the stand-in Ollama on every
 * interface, a LAN neighbour with two addresses (the chosen one, .2 and ::2, and another, .3 and
 * ::3, which stands for a second machine: the firewall tells them apart by source address
 * only). The plan comes from the real CLI's scan in the lab host, the real executor applies it
 * (commands in the lab host, files through its mount namespace) and verifies it by rescanning
 * with the real CLI. The chosen neighbour keeps Ollama's answers over IPv4 and IPv6, the other
 * is refused, loopback keeps working, the scan says "shared with" instead of an exposure, and
 * undo leaves `nft list ruleset` as it was.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FixPlan } from '../../shared/fixes';
import { privilegedPlanProblems } from '../../electron/engine/fixes/allowlist';
import type { FixDeps } from '../../electron/engine/fixes/executor';
import { applyPlan, undoRun } from '../../electron/engine/fixes/executor';
import { isManual } from '../../electron/engine/fixes/recipes/common';
import {
  nftShareRules,
  planShareAllowlist,
  shareFile,
} from '../../electron/engine/fixes/recipes/share-allowlist';
import { checkVerification } from '../../electron/engine/fixes/verify';
import type { Snapshot } from '../../shared/snapshot';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import {
  describeFirewallLab,
  inHost,
  labExec,
  labFixFiles,
  privatePaddockEtc,
  runInHostOk,
  setupUfw,
  startFirewalld,
} from './firewall-lab';
import { runScan } from './scan-helpers';

const PORT = 11434;

describeFirewallLab(
  'share with chosen machines only: real nftables, ufw and firewalld',
  ['nft', 'ufw', 'firewalld', 'firewall-cmd', 'dbus-daemon'],
  () => {
    let lab: Lab;
    let standin: Standin;
    let runsDir: string;
    let releaseEtc: (() => Promise<void>) | null = null;
    let other4 = '';
    let other6 = '';

    beforeAll(async () => {
      lab = await createLab();
      standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
      runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-share-runs-'));
      releaseEtc = await privatePaddockEtc(lab);
      // The second machine: another address on the LAN side (the firewall sees only the source).
      other4 = lab.lanAddress4.replace(/\.2$/, '.3');
      other6 = lab.lanAddress6.replace(/::2$/, '::3');
      for (const argv of [
        ['ip', '-n', lab.names.lan, 'addr', 'add', `${other4}/24`, 'dev', lab.names.lanIf],
        [
          'ip',
          '-n',
          lab.names.lan,
          '-6',
          'addr',
          'add',
          `${other6}/64`,
          'dev',
          lab.names.lanIf,
          'nodad',
        ],
      ]) {
        const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 5000 });
        if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
      }
    });

    afterAll(async () => {
      await releaseEtc?.();
      await standin?.stop();
      await lab?.close();
      if (runsDir) fs.rmSync(runsDir, { recursive: true, force: true });
    });

    const labFiles = () => labFixFiles(lab);
    const exec = (argv: readonly string[]) => labExec(lab)(argv);

    const readInHost = (p: string): string | null => {
      try {
        return fs.readFileSync(inHost(lab, p), 'utf8');
      } catch {
        return null;
      }
    };

    const scan = async (): Promise<Snapshot> => (await runScan(lab)).json.snapshot as Snapshot;

    function deps(): FixDeps {
      return {
        runsDir,
        exec,
        files: labFiles(),
        now: () => new Date(),
        verify: async (plan) => checkVerification(plan.verification, await scan()),
      };
    }

    /** Who gets in: the chosen address, the other one, loopback; v4 and v6. */
    async function reach(): Promise<string> {
      // A reject answers "administratively prohibited", which Node reports as EHOSTUNREACH.
      const c = (address: string, from?: string) =>
        lab.connectFrom('lan', address, PORT, 800, from).catch((error: unknown) => {
          if (/EHOSTUNREACH|ENETUNREACH|EACCES/.test(String(error))) return 'refused';
          throw error;
        });
      const [chosen4, chosen6, other4r, other6r, lo] = await Promise.all([
        c(lab.hostAddress4, lab.lanAddress4),
        c(lab.hostAddress6, lab.lanAddress6),
        c(lab.hostAddress4, other4),
        c(lab.hostAddress6, other6),
        lab.connectFrom('host', '127.0.0.1', PORT),
      ]);
      return `chosen ${chosen4}/${chosen6}, other ${other4r}/${other6r}, loopback ${lo}`;
    }

    const ruleset = async () => (await runInHostOk(lab, ['nft', '-s', 'list', 'ruleset'])).stdout;

    it('the chosen neighbour gets in over IPv4 and IPv6, the other is refused, the scan says shared; undo restores the ruleset', async () => {
      expect(await reach()).toBe('chosen open/open, other open/open, loopback open');
      const before = await ruleset();
      const snapshot = await scan();
      const instance = snapshot.instances.find((i) => i.kind === 'ollama')!;
      expect(instance.exposure).toBe('lan');
      expect(instance.sharedWith).toBeUndefined();

      const plan = planShareAllowlist(
        snapshot,
        instance.id,
        [lab.lanAddress4, lab.lanAddress6],
        { readFile: readInHost },
        { persist: false },
      );
      if (isManual(plan)) throw new Error(plan.reason);
      const write = plan.steps.find((s) => s.kind === 'write-file');
      expect(write?.path).toBe(shareFile(PORT));
      expect(write?.kind === 'write-file' && write.content).toBe(
        nftShareRules(PORT, [lab.lanAddress4, lab.lanAddress6]),
      );

      const run = await applyPlan(plan, deps());
      expect(run.state, run.outcome).toBe('applied');
      expect(await reach()).toBe('chosen open/open, other timeout/timeout, loopback open');

      const { json } = await runScan(lab);
      const shared = json.snapshot.instances.find((i) => i.id === instance.id)!;
      expect(shared.exposure).toBe('lan');
      expect(shared.sharedWith?.sort()).toEqual([lab.lanAddress4, lab.lanAddress6].sort());
      const rules = json.findings.filter((f) => f.instance === instance.id).map((f) => f.ruleId);
      expect(rules).toContain('shared-with-chosen');
      expect(rules).not.toContain('exposed-to-lan');
      expect(shared.reasons.at(-1)).toMatch(
        /Shared with 2 sources only .*refuses every other machine/,
      );

      const undone = await undoRun(run.id, deps());
      expect(undone.state, undone.outcome).toBe('undone');
      expect(await ruleset()).toBe(before);
      expect(await reach()).toBe('chosen open/open, other open/open, loopback open');
    }, 90_000);

    it('a bad source is refused with the reason and changes nothing', async () => {
      const snapshot = await scan();
      const id = snapshot.instances[0]!.id;
      for (const [source, why] of [
        ['0.0.0.0/0', /too much of the address space/],
        ['127.0.0.1', /loopback/],
        ['10.0.0.1; flush ruleset', /not an address/],
        ['fd00::/8', /too much/],
      ] as const) {
        const plan = planShareAllowlist(snapshot, id, [source], { readFile: readInHost });
        expect(isManual(plan), source).toBe(true);
        if (isManual(plan)) expect(plan.reason).toMatch(why);
      }
    });

    /** What the scan says of the server: its exposure and with whom it is shared. */
    async function sharing(): Promise<string> {
      const { json } = await runScan(lab);
      const i = json.snapshot.instances.find((x) => x.kind === 'ollama')!;
      const rules = json.findings.filter((f) => f.instance === i.id).map((f) => f.ruleId);
      return `${i.exposure} shared:${(i.sharedWith ?? []).join(',') || '-'} ${rules.includes('shared-with-chosen') ? 'shared-finding' : ''}${rules.includes('exposed-to-lan') ? 'exposed-finding' : ''}`;
    }

    /** The plan sharing the port with the neighbour's two addresses, from a fresh scan. */
    async function planForNeighbour(): Promise<FixPlan> {
      const snapshot = await scan();
      const instance = snapshot.instances.find((i) => i.kind === 'ollama')!;
      const plan = planShareAllowlist(
        snapshot,
        instance.id,
        [lab.lanAddress4, lab.lanAddress6],
        { readFile: readInHost },
        { persist: false },
      );
      if (isManual(plan)) throw new Error(plan.reason);
      return plan;
    }

    /** ufw's rule files as it wrote them (the private copy of /etc/ufw). */
    const ufwFiles = (etc: string) =>
      ['user.rules', 'user6.rules'].map((f) => fs.readFileSync(path.join(etc, f), 'utf8'));

    it('ufw in use: the port gets rules of ufw’s own (the allow turned into a deny in place, an allow for each chosen source above it); the chosen neighbour gets in over IPv4 and IPv6, the other does not; undo restores ufw’s files byte for byte', async () => {
      const ufw = await setupUfw(lab);
      try {
        await ufw.run('--force', 'enable');
        await ufw.run('allow', `${PORT}/tcp`);
        expect(await reach()).toBe('chosen open/open, other open/open, loopback open');
        const before = ufwFiles(ufw.etc);
        const plan = await planForNeighbour();
        expect(plan.title).toMatch(/\(ufw\)$/);
        expect(
          plan.steps.map((s) => (s.kind === 'run' ? s.argv.slice(0, 3).join(' ') : s.kind)),
        ).toEqual(['ufw deny proto', 'ufw prepend allow', 'ufw prepend allow']);
        expect(privilegedPlanProblems(plan, null)).toEqual([]);
        const run = await applyPlan(plan, deps());
        expect(run.state, run.outcome).toBe('applied');
        expect(await reach()).toBe('chosen open/open, other timeout/timeout, loopback open');
        expect(await sharing()).toMatch(/^lan shared:.* shared-finding$/);
        const undone = await undoRun(run.id, deps());
        expect(undone.state, undone.outcome).toBe('undone');
        expect(ufwFiles(ufw.etc)).toEqual(before);
        expect(await reach()).toBe('chosen open/open, other open/open, loopback open');
      } finally {
        await ufw.run('--force', 'disable').catch(() => undefined);
        await ufw.dispose();
      }
    }, 90_000);

    it('firewalld in use: rich rules of its own (an accept for each chosen source, then a reject, ahead of the zone’s open port); the chosen neighbour gets in, the other is refused; undo removes exactly them', async () => {
      const firewalld = await startFirewalld(lab);
      try {
        await firewalld.cmd(`--add-port=${PORT}/tcp`);
        expect(await reach()).toBe('chosen open/open, other open/open, loopback open');
        const before = (await firewalld.cmd('--list-all')).stdout;
        const plan = await planForNeighbour();
        expect(plan.title).toMatch(/\(firewalld\)$/);
        expect(privilegedPlanProblems(plan, null)).toEqual([]);
        const run = await applyPlan(plan, deps());
        expect(run.state, run.outcome).toBe('applied');
        // A reject: Node sees the ICMP answer as refused, or (ICMPv6 here) waits it out.
        expect(await reach()).toMatch(
          /^chosen open\/open, other (refused|timeout)\/(refused|timeout), loopback open$/,
        );
        expect(await sharing()).toMatch(/^lan shared:.* shared-finding$/);
        const undone = await undoRun(run.id, deps());
        expect(undone.state, undone.outcome).toBe('undone');
        expect((await firewalld.cmd('--list-all')).stdout).toBe(before);
        expect(await reach()).toBe('chosen open/open, other open/open, loopback open');
      } finally {
        await firewalld.stop();
      }
    }, 90_000);

    it('ufw: default deny with `allow from` the chosen neighbour reads as shared with it, and the network agrees', async () => {
      const ufw = await setupUfw(lab);
      try {
        await ufw.run('--force', 'enable');
        await ufw.run(
          'allow',
          'proto',
          'tcp',
          'from',
          lab.lanAddress4,
          'to',
          'any',
          'port',
          String(PORT),
        );
        expect(await reach()).toBe('chosen open/timeout, other timeout/timeout, loopback open');
        expect(await sharing()).toBe(`lan shared:${lab.lanAddress4} shared-finding`);
        await ufw.run('allow', `${PORT}/tcp`);
        expect(await sharing()).toBe('lan shared:- exposed-finding');
      } finally {
        await ufw.run('--force', 'disable').catch(() => undefined);
        await ufw.dispose();
      }
    }, 60_000);

    it('firewalld: a rich rule accepting the chosen neighbour reads as shared with it, and the network agrees', async () => {
      const firewalld = await startFirewalld(lab);
      try {
        await firewalld.cmd(
          `--add-rich-rule=rule family="ipv6" source address="${lab.lanAddress6}" port port="${PORT}" protocol="tcp" accept`,
        );
        const seen = await reach();
        expect(seen).toMatch(/^chosen \w+\/open, other \w+\/\w+, loopback open$/);
        expect(/other (\w+)\/(\w+)/.exec(seen)!.slice(1)).not.toContain('open');
        expect(await sharing()).toBe(`lan shared:${lab.lanAddress6} shared-finding`);
      } finally {
        await firewalld.stop();
      }
    }, 60_000);
  },
);
