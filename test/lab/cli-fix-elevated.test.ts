/**
 * `paddock fix` as an ordinary user: the plan needs admin rights, so it goes through sudo to
 * the privileged side (`paddock-privileged __apply-fix FIX-ID INSTANCE-ID DIGEST`), which
 * makes the plan again from its own scan as root, runs it only if it is the one the user saw,
 * and checks it against the allowlist; `paddock undo` goes the same way. The privileged side
 * is installed and allowed exactly as docs/security.md says; the sudo rules, /etc/paddock and
 * root's run journal exist only inside the lab host.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import { describeFirewallLab } from './firewall-lab';
import type { HostMounts } from './host-mounts';
import { hostMounts } from './host-mounts';
import { installPrivileged, sudoRules } from './privileged-install';
import { CLI } from './scan-helpers';

const NOBODY = 65534;

describeFirewallLab(
  'paddock fix and undo as an ordinary user, through sudo',
  ['nft', 'sudo'],
  () => {
    let lab: Lab;
    let standin: Standin;
    let dir: string;
    let mounts: HostMounts;
    let privileged: string[];
    const asNobody = (...args: string[]) =>
      lab.runInHost([process.execPath, CLI, ...args], {
        uid: NOBODY,
        env: {
          HOME: '/nonexistent',
          PADDOCK_STATE_DIR: path.join(dir, 'user-state'),
          PADDOCK_PRIVILEGED: privileged[1]!,
          NO_COLOR: '1',
        },
        timeoutMs: 60_000,
      });
    const ruleset = async () => (await lab.runInHost(['nft', '-s', 'list', 'ruleset'])).stdout;

    beforeAll(async () => {
      lab = await createLab();
      standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-fix-sudo-'));
      fs.chmodSync(dir, 0o755);
      fs.mkdirSync(path.join(dir, 'user-state'), { mode: 0o777 });
      fs.chmodSync(path.join(dir, 'user-state'), 0o777);
      const rules = path.join(dir, 'sudoers');
      fs.mkdirSync(rules, { mode: 0o755 });
      privileged = installPrivileged(dir);
      fs.writeFileSync(path.join(rules, 'paddock-lab'), sudoRules('nobody', privileged));
      fs.chmodSync(path.join(rules, 'paddock-lab'), 0o440);
      mounts = hostMounts(lab);
      await mounts.bind(rules, '/etc/sudoers.d');
      await mounts.tmpfs('/etc/paddock');
      await mounts.tmpfs('/var/lib/paddock');
    });
    afterAll(async () => {
      await mounts?.release();
      await standin?.stop();
      await lab?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('the fix runs as root through sudo, is verified, and undo through sudo restores the exact ruleset', async () => {
      const before = await ruleset();
      expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('open');
      const fixed = await asNobody('fix', 'block-port', '--yes');
      expect(fixed.code, `${fixed.stdout}\n${fixed.stderr}`).toBe(0);
      expect(fixed.stdout).toMatch(/needs admin rights|admin/i);
      const id = /To undo it later: paddock undo (\S+)/.exec(fixed.stdout)?.[1];
      expect(id).toBeDefined();
      expect(await lab.connectFromLan(lab.hostAddress4, 11434, 800)).not.toBe('open');
      // Root's journal of the run, where root keeps it (inside the lab host only).
      const journal = await lab.runInHost(['cat', `/var/lib/paddock/runs/${id}/journal.jsonl`]);
      expect(journal.stdout).toMatch(/"event":"verify-ok"/);

      const undone = await asNobody('undo', id!, '--yes');
      expect(undone.code, `${undone.stdout}\n${undone.stderr}`).toBe(0);
      expect(await ruleset()).toBe(before);
      expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('open');
    });

    it('a root run interrupted mid-way is rolled back by the privileged side at its next start, and the user is told', async () => {
      const before = await ruleset();
      const fixed = await asNobody('fix', 'block-port', '--yes');
      expect(fixed.code, `${fixed.stdout}\n${fixed.stderr}`).toBe(0);
      const id = /To undo it later: paddock undo (\S+)/.exec(fixed.stdout)![1]!;
      // As if root had been killed while verifying: its journal ends before verify-ok.
      const journalPath = `/var/lib/paddock/runs/${id}/journal.jsonl`;
      const lines = (await lab.runInHost(['cat', journalPath])).stdout.trimEnd().split('\n');
      const cut = lines.findIndex((line) => line.includes('"event":"verify-starting"'));
      expect(cut).toBeGreaterThan(0);
      const cutJournal = `${lines.slice(0, cut + 1).join('\n')}\n`;
      expect((await lab.runInHost(['tee', journalPath], { input: cutJournal })).code).toBe(0);
      expect(await ruleset()).not.toBe(before);

      // The next call to the privileged side (here an undo of that very run) recovers first.
      const undone = await asNobody('undo', id, '--yes');
      const said = `${undone.stdout}\n${undone.stderr}`;
      expect(said).toMatch(/an interrupted fix was rolled back|stopped while verifying/);
      expect(said).toMatch(/only an applied fix can be undone/);
      expect(undone.code).toBe(1);
      expect(await ruleset()).toBe(before);
      expect((await lab.runInHost(['cat', journalPath])).stdout).toMatch(/"event":"recovered"/);
      expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('open');
    });

    it('without a sudo rule and without a terminal: nothing runs, and it says so', async () => {
      await mounts.unmount('/etc/sudoers.d');
      const before = await ruleset();
      const fixed = await asNobody('fix', 'block-port', '--yes');
      expect(fixed.code).toBe(1);
      expect(fixed.stderr).toMatch(/nothing was changed/);
      expect(await ruleset()).toBe(before);
      await mounts.bind(path.join(dir, 'sudoers'), '/etc/sudoers.d');
    });
  },
);
