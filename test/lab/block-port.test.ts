/**
 * Real nftables, ufw and firewalld: block-port closes the port to the LAN namespace while
 * loopback keeps working; undo restores the exact previous ruleset.
 *
 * The plan comes from the real firewall probe run inside the lab host, and it is applied and
 * undone by the real executor (engine/fixes/executor.ts): its commands run in the lab host,
 * its files are written through /proc/<holder>/root (the lab host's mount namespace), and its
 * verification is what the LAN neighbour and loopback really get. Before and after, the text
 * of `nft list ruleset`, `ufw status verbose` with ufw's rule files, and firewalld's runtime
 * and permanent zones must be byte-identical.
 *
 * /etc/paddock is a tmpfs inside the lab host, so nothing lands in this machine's /etc (an
 * empty mount point is made there if missing, and removed again).
 */
import { spawnSync } from 'node:child_process';
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
import type { BlockPortOptions } from '../../electron/engine/fixes/recipes/block-port';
import {
  PADDOCK_NFT_UNIT_NAME,
  nftPortFile,
  planBlockPort,
} from '../../electron/engine/fixes/recipes/block-port';
import { buildSnapshot, wildcardOllama } from '../rules/snapshots';
import type { ScanJson } from '../../electron/cli/scan-json';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import {
  describeFirewallLab,
  inHost,
  labExec,
  labFixFiles,
  privatePaddockEtc,
  lanReach,
  probeInLab,
  runInHostOk,
  setupUfw,
  startFirewalld,
} from './firewall-lab';
import type { SystemdLab } from './systemd';
import { REPO_IN_CONTAINER, STANDIN_PORT, createSystemdLab, describeSystemdLab } from './systemd';

const PORT = 11434;
const PADDOCK_ETC = '/etc/paddock';

describeFirewallLab(
  'block-port with real firewalls',
  ['nft', 'ufw', 'firewalld', 'firewall-cmd', 'dbus-daemon'],
  () => {
    let lab: Lab;
    let standin: Standin;
    let runsDir: string;
    let releaseEtc: (() => Promise<void>) | null = null;

    beforeAll(async () => {
      lab = await createLab();
      standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
      runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-block-port-runs-'));
      releaseEtc = await privatePaddockEtc(lab);
    });

    afterAll(async () => {
      await releaseEtc?.();
      await standin?.stop();
      await lab?.close();
      if (runsDir) fs.rmSync(runsDir, { recursive: true, force: true });
    });

    /** The executor's files, inside the lab host's mount namespace. */
    const labFiles = () => labFixFiles(lab);
    const exec = (argv: readonly string[]) => labExec(lab)(argv);

    /** What the neighbours really get: the port closed to the LAN, open on loopback. */
    async function reach(): Promise<string> {
      const [v4, v6] = await Promise.all([lanReach(lab, 4, PORT), lanReach(lab, 6, PORT)]);
      const [lo4, lo6] = await Promise.all([
        lab.connectFrom('host', '127.0.0.1', PORT),
        lab.connectFrom('host', '::1', PORT),
      ]);
      return `lan4 ${v4}, lan6 ${v6}, loopback4 ${lo4}, loopback6 ${lo6}`;
    }
    const CLOSED = 'lan4 blocked, lan6 blocked, loopback4 open, loopback6 open';
    const OPEN = 'lan4 allowed, lan6 allowed, loopback4 open, loopback6 open';

    function deps(verifyOk = true): FixDeps {
      return {
        runsDir,
        exec,
        files: labFiles(),
        now: () => new Date(),
        verify: async () => {
          const seen = await reach();
          return { ok: verifyOk && seen === CLOSED, detail: seen };
        },
      };
    }

    const readInHost = (p: string): string | null => {
      try {
        return fs.readFileSync(inHost(lab, p), 'utf8');
      } catch {
        return null;
      }
    };

    /** A snapshot from the real firewall probe inside the lab host. */
    async function labSnapshot(): Promise<Snapshot> {
      const probe = await probeInLab(lab);
      return snapshotSchema.parse(
        buildSnapshot({
          instances: [wildcardOllama(null)],
          interfaces: probe.interfaces,
          firewall: {
            status: probe.firewall.status,
            facts: probe.firewall.data,
            ...(probe.firewall.message ? { message: probe.firewall.message } : {}),
          },
        }),
      ) as Snapshot;
    }

    async function planFor(options: BlockPortOptions = {}): Promise<FixPlan> {
      const result = planBlockPort(
        await labSnapshot(),
        'ollama:pid:42',
        { readFile: readInHost },
        options,
      );
      if (isManual(result)) throw new Error(`no plan: ${result.reason}`);
      return result;
    }

    const text = async (argv: string[]) => (await runInHostOk(lab, argv)).stdout;
    /** The ruleset without counters (-s): traffic changes counters, not rules. */
    const ruleset = () => text(['nft', '-s', 'list', 'ruleset']);

    /** Applies, checks the port is closed, undoes, and returns the state text after undo. */
    async function applyAndUndo(
      plan: FixPlan,
      state: () => Promise<string>,
      whileApplied: () => void = () => undefined,
    ): Promise<void> {
      const before = await state();
      expect(await reach()).toBe(OPEN);
      const run = await applyPlan(plan, deps());
      expect(run.state, run.outcome).toBe('applied');
      expect(await reach()).toBe(CLOSED);
      whileApplied();
      const undone = await undoRun(run.id, deps());
      expect(undone.state, undone.outcome).toBe('undone');
      expect(await state()).toBe(before);
      expect(await reach()).toBe(OPEN);
    }

    it('nftables: a table of its own drops the port beyond loopback; undo restores the exact ruleset', async () => {
      const plan = await planFor({ persist: false });
      expect(plan.steps.map((s) => s.kind)).toEqual(['write-file', 'run']);
      expect(plan.warnings.join(' ')).toMatch(/lasts until the next reboot/);

      // A rollback (the rescan says no) leaves the ruleset and /etc/paddock as they were.
      const before = await ruleset();
      const rolled = await applyPlan(plan, deps(false));
      expect(rolled.state, rolled.outcome).toBe('rolled-back');
      expect(await ruleset()).toBe(before);
      expect(fs.readdirSync(inHost(lab, PADDOCK_ETC))).toEqual([]);

      await applyAndUndo(
        plan,
        async () => {
          const files = fs.readdirSync(inHost(lab, PADDOCK_ETC));
          return `${await ruleset()}\n/etc/paddock: ${files.join(',')}`;
        },
        () => {
          const write = plan.steps.find((s) => 'path' in s && s.path === nftPortFile(PORT))!;
          expect(
            write.kind === 'write-file' && readInHost(nftPortFile(PORT)) === write.content,
          ).toBe(true);
        },
      );
    });

    it('ufw active with "allow 11434/tcp": the rule becomes a deny and back; with "allow 11434": a deny goes first and is deleted again', async () => {
      const ufw = await setupUfw(lab);
      const state = async () =>
        [
          await text(['ufw', 'status', 'verbose']),
          readInHost('/etc/ufw/user.rules'),
          readInHost('/etc/ufw/user6.rules'),
          await ruleset(),
        ].join('\n---\n');
      try {
        await ufw.run('--force', 'enable');
        await ufw.run('allow', '22/tcp');
        await ufw.run('allow', `${PORT}/tcp`);
        // Right after `enable`, ufw 0.36.2 leaves ip6tables' ufw6-user-limit chains without
        // their final reject/accept until its next reload; any rule change reloads them. Start
        // from ufw's steady state so the comparison is about this fix, not that quirk.
        await ufw.run('reload');
        const convert = await planFor();
        expect(convert.steps).toEqual([
          expect.objectContaining({
            argv: ['ufw', 'deny', 'proto', 'tcp', 'to', 'any', 'port', String(PORT)],
            undo: ['ufw', 'allow', 'proto', 'tcp', 'to', 'any', 'port', String(PORT)],
          }),
        ]);
        await applyAndUndo(convert, state);

        await ufw.run('delete', 'allow', `${PORT}/tcp`);
        await ufw.run('allow', String(PORT));
        const prepend = await planFor();
        expect(prepend.steps).toEqual([
          expect.objectContaining({
            argv: ['ufw', 'prepend', 'deny', 'proto', 'tcp', 'to', 'any', 'port', String(PORT)],
          }),
        ]);
        await applyAndUndo(prepend, state);
      } finally {
        await ufw.run('--force', 'disable').catch(() => undefined);
        await ufw.dispose();
      }
    });

    it('firewalld running: a reject rich rule in the zone that opens the port, runtime and permanent; undo restores both', async () => {
      const firewalld = await startFirewalld(lab);
      try {
        await firewalld.cmd(`--add-port=${PORT}/tcp`);
        await firewalld.cmd('--permanent', `--add-port=${PORT}/tcp`);
        const plan = await planFor();
        expect(plan.steps.map((s) => (s.kind === 'run' ? s.argv : []))).toEqual([
          [
            'firewall-cmd',
            '--zone=public',
            `--add-rich-rule=rule port port="${PORT}" protocol="tcp" reject`,
          ],
          [
            'firewall-cmd',
            '--permanent',
            '--zone=public',
            `--add-rich-rule=rule port port="${PORT}" protocol="tcp" reject`,
          ],
        ]);
        await applyAndUndo(plan, async () =>
          [
            await text(['firewall-cmd', '--list-all-zones']),
            await text(['firewall-cmd', '--permanent', '--list-all-zones']),
            await ruleset(),
          ].join('\n---\n'),
        );
      } finally {
        await firewalld.stop();
      }
    });
  },
);

/**
 * Persistence, for real: in a container booted with systemd (test/lab/systemd.ts, the stand-in
 * running as ollama.service on 0.0.0.0), the full plan writes Paddock's unit and enables it.
 * A boot is stood in for by removing the table and running the unit's ExecStart as systemd
 * loaded it; the port must be closed again. The container's Debian root has no nftables package, so this
 * machine's `nft` and the libraries it links are copied in (same Debian release).
 */
describeSystemdLab('block-port persists through a real systemd unit', () => {
  let sd: SystemdLab;
  let runsDir: string;

  beforeAll(async () => {
    runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-block-port-sd-runs-'));
    sd = await createSystemdLab();
    const ldd = spawnSync('ldd', ['/usr/sbin/nft'], { encoding: 'utf8' });
    const libs = [...ldd.stdout.matchAll(/=> (\/\S+)/g)].map((m) => m[1]!);
    for (const file of ['/usr/sbin/nft', ...libs]) {
      const target = sd.hostPath(file);
      if (fs.existsSync(target)) continue;
      fs.copyFileSync(file, target);
      fs.chmodSync(target, fs.statSync(file).mode & 0o7777);
    }
  }, 240_000);

  afterAll(async () => {
    await sd?.close();
    if (runsDir) fs.rmSync(runsDir, { recursive: true, force: true });
  }, 30_000);

  const inContainer = async (argv: string[]) => sd.runInContainer(argv, { timeoutMs: 20_000 });
  const closedNow = async () => {
    const [v4, v6, lo] = await Promise.all([
      sd.connectFromLan(STANDIN_PORT, 4),
      sd.connectFromLan(STANDIN_PORT, 6),
      sd.lab.connectFrom('host', '127.0.0.1', STANDIN_PORT),
    ]);
    return `lan4 ${v4}, lan6 ${v6}, loopback ${lo}`;
  };
  const CLOSED = 'lan4 timeout, lan6 timeout, loopback open';
  const OPEN = 'lan4 open, lan6 open, loopback open';

  /** What undo must put back: the ruleset, systemd's unit folder (enablement included), /etc/paddock. */
  async function state(): Promise<string> {
    const ruleset = (await inContainer(['nft', '-s', 'list', 'ruleset'])).stdout;
    const units = (await inContainer(['find', '/etc/systemd/system', '-printf', '%p %y %l\\n']))
      .stdout;
    return `${ruleset}\n---\n${units.split('\n').sort().join('\n')}\n---\n${fs.existsSync(sd.hostPath('/etc/paddock'))}`;
  }

  it('the unit is enabled and its command loads the rule again as at boot; undo of the last rule removes it with the unit and the include file, leaving no trace', async () => {
    const scan = await inContainer([
      '/usr/bin/node',
      `${REPO_IN_CONTAINER}/bin/paddock.cjs`,
      'scan',
      '--json',
    ]);
    const { snapshot } = JSON.parse(scan.stdout) as ScanJson;
    const instance = snapshot.instances[0]!;
    const readFile = (p: string) => {
      try {
        return fs.readFileSync(sd.hostPath(p), 'utf8');
      } catch {
        return null;
      }
    };
    const plan = planBlockPort(snapshot, instance.id, { readFile });
    if (isManual(plan)) throw new Error(`no plan: ${plan.reason}`);
    expect(
      plan.steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : `write ${s.path}`)),
    ).toEqual([
      'write /etc/paddock/nftables.conf',
      `write /etc/systemd/system/${PADDOCK_NFT_UNIT_NAME}`,
      'systemctl daemon-reload',
      `systemctl enable -- ${PADDOCK_NFT_UNIT_NAME}`,
      `write ${nftPortFile(STANDIN_PORT)}`,
      `nft -f ${nftPortFile(STANDIN_PORT)}`,
    ]);

    const before = await state();
    expect(await closedNow()).toBe(OPEN);
    const deps: FixDeps = {
      runsDir,
      exec: (argv) => sd.exec(argv),
      files: sd.fixFiles(),
      now: () => new Date(),
      verify: async () => {
        const seen = await closedNow();
        return { ok: seen === CLOSED, detail: seen };
      },
    };
    const run = await applyPlan(plan, deps);
    expect(run.state, run.outcome).toBe('applied');
    expect(
      (await inContainer(['systemctl', 'is-enabled', PADDOCK_NFT_UNIT_NAME])).stdout.trim(),
    ).toBe('enabled');

    // As after a reboot: the table is gone until the unit's ExecStart runs. systemd itself
    // cannot run it here (this container's capability bounding set lacks CAP_NET_ADMIN, so nft
    // gets EPERM from netlink), so the command systemd loaded for the unit is run as root.
    const verify = await inContainer(['systemd-analyze', 'verify', PADDOCK_NFT_UNIT_NAME]);
    expect([verify.code, verify.stderr]).toEqual([0, '']);
    const shown = await inContainer([
      'systemctl',
      'show',
      '--property=ExecStart',
      '--value',
      PADDOCK_NFT_UNIT_NAME,
    ]);
    const argv = /argv\[\]=([^;]*);/.exec(shown.stdout)?.[1]?.trim().split(' ') ?? [];
    expect(argv).toEqual(['/usr/sbin/nft', '-f', '/etc/paddock/nftables.conf']);
    await inContainer(['nft', 'delete', 'table', 'inet', `paddock_${STANDIN_PORT}`]);
    expect(await closedNow()).toBe(OPEN);
    const started = await sd.exec(argv);
    expect(started.code, started.stderr).toBe(0);
    expect(await closedNow()).toBe(CLOSED);

    const undone = await undoRun(run.id, deps);
    expect(undone.state, undone.outcome).toBe('undone');
    expect(await closedNow()).toBe(OPEN);
    // R1: this was Paddock's only rule, so its undo took the shared plumbing too: the include
    // file, the unit and its enablement are gone, with no command to run by hand.
    expect(fs.existsSync(sd.hostPath('/etc/paddock'))).toBe(false);
    expect(fs.existsSync(sd.hostPath(`/etc/systemd/system/${PADDOCK_NFT_UNIT_NAME}`))).toBe(false);
    expect(
      (await inContainer(['systemctl', 'is-enabled', PADDOCK_NFT_UNIT_NAME])).stdout.trim(),
    ).not.toBe('enabled');
    expect(undone.journal.filter((e) => e.event === 'step-undone').map((e) => e.detail)).toContain(
      `ran \`systemctl disable -- ${PADDOCK_NFT_UNIT_NAME}\`: no rule of Paddock's is left in /etc/paddock/nftables.d`,
    );
    expect(await state()).toBe(before);
  }, 90_000);
});
