/**
 * The privileged side as the .deb installs it, for real in a lab host (tmpfs over /opt and
 * polkit's actions folder; dpkg itself is not run): files unpacked carelessly (another user's,
 * group-writable) are made root's by the package's after-install script; the program then runs
 * by its own `#!/usr/bin/node` line, `paddock scan --elevated` finds it there without being
 * told, through the exact sudo rules docs/security.md gives; before the script, it refuses to
 * run as root; after-remove takes polkit's action away.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INSTALLED_PRIVILEGED } from '../../electron/cli/privileged-program';
import { describeFirewallLab } from './firewall-lab';
import type { HostMounts } from './host-mounts';
import { hostMounts } from './host-mounts';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import { PRIVILEGED_BUNDLE, sudoRules, writeSudoers } from './privileged-install';
import { CLI } from './scan-helpers';

const NOBODY = 65534;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESOURCES = path.dirname(INSTALLED_PRIVILEGED);
const POLICY = '/usr/share/polkit-1/actions/dev.paddock.privileged.policy';

describeFirewallLab('paddock-privileged as the .deb installs it', ['nft', 'sudo'], () => {
  let lab: Lab;
  let standin: Standin;
  let dir: string;
  let mounts: HostMounts;
  const inHost = (argv: string[], uid?: number) =>
    lab.runInHost(argv, { timeoutMs: 30_000, uid, env: uid ? { HOME: '/nonexistent' } : {} });

  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-deb-'));
    fs.chmodSync(dir, 0o755);
    mounts = hostMounts(lab);
    await mounts.tmpfs('/opt');
    await mounts.tmpfs('/usr/share/polkit-1');
    await mounts.bind(
      writeSudoers(dir, sudoRules('nobody', [INSTALLED_PRIVILEGED])),
      '/etc/sudoers.d',
    );
    // Unpacked as a careless archive would leave it: a user's files, group-writable.
    expect((await inHost(['mkdir', '-p', RESOURCES, '/usr/share/polkit-1/actions'])).code).toBe(0);
    for (const [from, to] of [
      [PRIVILEGED_BUNDLE, INSTALLED_PRIVILEGED],
      [
        path.join(ROOT, 'build/linux/dev.paddock.privileged.policy'),
        `${RESOURCES}/dev.paddock.privileged.policy`,
      ],
    ] as const) {
      expect((await inHost(['cp', from, to])).code).toBe(0);
      expect((await inHost(['chown', '1000:1000', to])).code).toBe(0);
      expect((await inHost(['chmod', '0775', to])).code).toBe(0);
    }
    expect((await inHost(['chown', '1000:1000', RESOURCES])).code).toBe(0);
  });
  afterAll(async () => {
    await mounts?.release();
    await standin?.stop();
    await lab?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('before the package’s script has run, it refuses to run as root from files another user owns', async () => {
    const ran = await inHost([INSTALLED_PRIVILEGED, '__firewall-facts']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(
      /refusing to run as root from an install that users other than root can change: .*owned by uid 1000/,
    );
  });

  it('after-install makes it root’s and installs the polkit action; it then runs by its own #! line', async () => {
    const installed = await inHost(['sh', path.join(ROOT, 'build/linux/after-install.sh')]);
    expect(installed.code, installed.stderr).toBe(0);
    const stat = (await inHost(['stat', '-c', '%U:%G %a', RESOURCES, INSTALLED_PRIVILEGED, POLICY]))
      .stdout;
    expect(stat.trim().split('\n')).toEqual(['root:root 755', 'root:root 755', 'root:root 644']);
    const ran = await inHost([INSTALLED_PRIVILEGED, '__firewall-facts']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'ok' });
  });

  it('an ordinary user’s `paddock scan --elevated` finds it by itself, through the exact sudo rules', async () => {
    const scanned = await inHost([process.execPath, CLI, 'scan', '--json', '--elevated'], NOBODY);
    expect(scanned.stderr).toBe('');
    const json = JSON.parse(scanned.stdout) as {
      snapshot: { probes: { firewall: { status: string } } };
    };
    expect(json.snapshot.probes.firewall.status).toBe('ok');
    // Any other argument form is refused by sudo itself, before the program starts.
    const other = await inHost(
      ['sudo', '-n', INSTALLED_PRIVILEGED, '__apply-plan', '0'.repeat(64)],
      NOBODY,
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/a password is required/);
  });

  it('after-remove takes the polkit action away', async () => {
    const removed = await inHost(['sh', path.join(ROOT, 'build/linux/after-remove.sh')]);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await inHost(['test', '-e', POLICY])).code).not.toBe(0);
  });
});
