/**
 * The app's engine process as an ordinary user (what the desktop app is): a fix that needs
 * admin rights goes, by the digest of the plan the user previewed, to the privileged side
 * through sudo -n (the OS's prompt is polkit's dialog when there is no sudo rule), which makes
 * the plan again from root's own scan, runs it only if it is the one previewed, and checks it
 * against the allowlist. The engine runs in the lab host as nobody and
 * is driven over stdio exactly as the window's bridge drives it. The sudo rule, /etc/paddock and
 * root's run journal exist only inside the lab host.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AppEvent, FixOutcome, FixPreview, HistoryView } from '../../shared/api';
import type { EngineLink } from '../e2e/bridge/server';
import { stdioEngine } from '../e2e/bridge/server';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import { describeFirewallLab } from './firewall-lab';
import type { HostMounts } from './host-mounts';
import { hostMounts } from './host-mounts';
import { installPrivileged, sudoRules } from './privileged-install';

const NOBODY = 65534;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENGINE = path.join(ROOT, 'out/cli/engine.cjs');

describeFirewallLab(
  'the app’s engine as an ordinary user: fixes through sudo',
  ['nft', 'sudo'],
  () => {
    let lab: Lab;
    let standin: Standin;
    let dir: string;
    let engine: EngineLink;
    const events: AppEvent[] = [];
    let mounts: HostMounts;
    const ruleset = async () => (await lab.runInHost(['nft', '-s', 'list', 'ruleset'])).stdout;
    const call = async <T>(method: string, request: unknown = {}): Promise<T> => {
      const answer = await engine.call(method, request);
      if (!answer.ok) throw new Error(`${method}: ${answer.error.kind}: ${answer.error.message}`);
      return answer.value as T;
    };

    beforeAll(async () => {
      lab = await createLab();
      standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-app-sudo-'));
      fs.chmodSync(dir, 0o755);
      for (const sub of ['state', 'config']) {
        fs.mkdirSync(path.join(dir, sub));
        fs.chmodSync(path.join(dir, sub), 0o777);
      }
      const rules = path.join(dir, 'sudoers');
      fs.mkdirSync(rules, { mode: 0o755 });
      const privileged = installPrivileged(dir);
      fs.writeFileSync(path.join(rules, 'paddock-lab'), sudoRules('nobody', privileged));
      fs.chmodSync(path.join(rules, 'paddock-lab'), 0o440);
      mounts = hostMounts(lab);
      await mounts.bind(rules, '/etc/sudoers.d');
      await mounts.tmpfs('/etc/paddock');
      await mounts.tmpfs('/var/lib/paddock');
      const child = lab.spawnInHost([process.execPath, ENGINE], {
        uid: NOBODY,
        env: {
          HOME: '/nonexistent',
          XDG_CONFIG_HOME: path.join(dir, 'config'),
          PADDOCK_STATE_DIR: path.join(dir, 'state'),
          PADDOCK_PRIVILEGED: privileged[1]!,
        },
      });
      engine = stdioEngine(child);
      engine.onEvent((event) => events.push(event));
    });
    afterAll(async () => {
      await engine?.close();
      await mounts?.release();
      await standin?.stop();
      await lab?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('previews, applies as root through sudo with the admin prompt announced, and undoes the same way', async () => {
      const before = await ruleset();
      const preview = await call<FixPreview>('planFix', { fixId: 'block-port', instance: null });
      expect(preview.kind).toBe('plan');
      if (preview.kind !== 'plan') return;
      expect(preview.plan.requiresAdmin).toBe(true);
      expect(preview.commands.map((c) => c.shown).join('\n')).toMatch(/nft/);
      expect(await ruleset()).toBe(before);

      const outcome = await call<FixOutcome>('applyFix', { digest: preview.digest });
      expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.run.state).toBe('applied');
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'admin-prompt', digest: preview.digest }),
      );
      expect(await lab.connectFromLan(lab.hostAddress4, 11434, 800)).not.toBe('open');
      const journal = await lab.runInHost([
        'cat',
        `/var/lib/paddock/runs/${outcome.run.id}/journal.jsonl`,
      ]);
      expect(journal.stdout).toMatch(/"event":"verify-ok"/);
      // The history records the run and its event (in the user's own state folder).
      const history = await call<HistoryView>('history');
      expect(history.events).toContainEqual(
        expect.objectContaining({ kind: 'fix-applied', instance: preview.plan.instance }),
      );

      // A plan is applied once: the same digest again is refused before anything runs.
      const again = await engine.call('applyFix', { digest: preview.digest });
      expect(again).toMatchObject({ ok: false, error: { kind: 'engine' } });

      const undone = await call<FixOutcome>('undo', { runId: outcome.run.id });
      expect(undone.ok && undone.run.state, JSON.stringify(undone)).toBe('undone');
      expect(await ruleset()).toBe(before);
      expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('open');
    });

    it('without a way to get admin rights: nothing runs, and the answer says so', async () => {
      await mounts.unmount('/etc/sudoers.d');
      try {
        const before = await ruleset();
        const preview = await call<FixPreview>('planFix', { fixId: 'block-port', instance: null });
        if (preview.kind !== 'plan') throw new Error('expected a plan');
        const outcome = await call<FixOutcome>('applyFix', { digest: preview.digest });
        expect(outcome.ok).toBe(false);
        expect(!outcome.ok && outcome.message).toMatch(/nothing was changed/);
        expect(await ruleset()).toBe(before);
        expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('open');
      } finally {
        await mounts.bind(path.join(dir, 'sudoers'), '/etc/sudoers.d');
      }
    });
  },
);
