/**
 * The root boundary, attacked as the security review did (shared/docs/security-review.md,
 * F1–F6; proofs of concept in shared/security-poc/): an unprivileged user with a sudo rule for
 * Paddock's privileged side, a local user with a hostile "ollama", a user who swaps folders
 * under root's feet. Each attack runs for real in a lab host (its own network and mount
 * namespaces: tmpfs over the system folders it touches, a logging stand-in bound over
 * systemctl, ufw and nft, a private sudoers), and each test checks what a user would: root
 * ran nothing of the attacker's, and no file changed.
 *
 * The sudo rule here is the broadest an administrator could write (`paddock-privileged *`),
 * not the exact form docs/security.md recommends: the program itself must hold.
 *
 * PADDOCK_LAB_LEGACY_CLI=/path/to/old/bin/paddock.cjs points the same attacks at the CLI of
 * commit 8916706 (its `__apply-plan` and `__undo-run`), to see them succeed there: this file
 * then fails, as it did once before the change (see the closing note of issue 11).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { canonicalJson, planDigest } from '../../electron/engine/fixes/preview';
import type { FixPlan, FixStep } from '../../shared/fixes';
import { describeFirewallLab } from './firewall-lab';
import type { HostMounts } from './host-mounts';
import { hostMounts } from './host-mounts';
import type { Lab, RunResult, Standin } from './lab';
import { createLab } from './lab';
import { installPrivileged, writeSudoers } from './privileged-install';
import { CLI } from './scan-helpers';

const NOBODY = 65534;
const MALLORY = 4242;
const LEGACY = process.env.PADDOCK_LAB_LEGACY_CLI;
/** The `paddock` run as root in F3, F4 and F6: this one, or the legacy one. */
const ROOT_CLI = LEGACY ?? CLI;
const OLLAMA_UNIT = '/usr/lib/systemd/system/ollama.service';
const OLLAMA_UNIT_TEXT =
  '[Unit]\nDescription=Ollama\n[Service]\nExecStart=/usr/bin/ollama serve\nUser=ollama\nGroup=ollama\n[Install]\nWantedBy=default.target\n';
const GRUB_TEXT = 'GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n';
/** What the logging stand-in must never see root run. */
const CHANGING = /daemon-reload|restart|enable|disable|allow|delete|deny| -f |rich-rule/;

/** The old digest: sha256 of the canonical JSON of the whole plan, as sent. */
const legacyDigest = (plan: FixPlan) =>
  createHash('sha256').update(canonicalJson(plan), 'utf8').digest('hex');

const restart = (unit: string): FixStep => ({
  kind: 'run',
  argv: ['systemctl', 'restart', unit],
  undo: ['systemctl', 'restart', unit],
  description: 'restart',
});
const reload: FixStep = {
  kind: 'run',
  argv: ['systemctl', 'daemon-reload'],
  undo: null,
  description: 'reload',
};

/** The six plans of shared/security-poc/1-allowlist/mkplan.cjs. */
const VARIANTS: Record<string, FixStep[]> = {
  nul: [
    {
      kind: 'write-file',
      path: '/etc/systemd/system/cron.service.d/zz-paddock-loopback.conf',
      before: null,
      content:
        "[Service]\nEnvironment=OLLAMA_HOST=127.0.0.1:11434\u0000ExecStartPre=/bin/sh -c 'id > /root/pwned'\n",
      mode: 0o644,
      description: 'drop-in',
    },
    reload,
    restart('cron.service'),
  ],
  continuation: [
    {
      kind: 'write-file',
      path: OLLAMA_UNIT,
      before: OLLAMA_UNIT_TEXT,
      content: OLLAMA_UNIT_TEXT.replace(
        'User=ollama\n',
        'Environment=OLLAMA_DEBUG=0 \\\nUser=ollama\n',
      ),
      mode: 0o644,
      description: 'one Environment= line',
    },
    reload,
    restart('ollama.service'),
  ],
  preload: [
    {
      kind: 'write-file',
      path: '/etc/systemd/system/sshd.service.d/zz-paddock-loopback.conf',
      before: null,
      content: '[Service]\nEnvironment=LD_PRELOAD=/var/tmp/x.so\n',
      mode: 0o644,
      description: 'drop-in',
    },
    reload,
    restart('sshd.service'),
  ],
  mode: [
    {
      kind: 'write-file',
      path: OLLAMA_UNIT,
      before: OLLAMA_UNIT_TEXT,
      content: `${OLLAMA_UNIT_TEXT}# paddock\n`,
      mode: 0o4777,
      description: 'comment',
    },
  ],
  shellenv: [
    {
      kind: 'write-file',
      path: '/etc/default/grub',
      before: GRUB_TEXT,
      content: `${GRUB_TEXT}OLLAMA_X=$(id > /root/pwned-by-update-grub)\n`,
      mode: 0o644,
      description: 'env',
    },
  ],
  weaken: [
    {
      kind: 'run',
      argv: ['ufw', 'allow', 'proto', 'tcp', 'to', 'any', 'port', '22'],
      undo: null,
      description: 'x',
    },
    {
      kind: 'run',
      argv: ['nft', 'delete', 'table', 'inet', 'paddock_11434'],
      undo: null,
      description: 'x',
    },
    {
      kind: 'run',
      argv: ['systemctl', 'disable', 'apparmor.service'],
      undo: null,
      description: 'x',
    },
  ],
};

function hostilePlan(steps: FixStep[]): FixPlan {
  return {
    fixId: 'rebind-systemd',
    findingId: null,
    instance: null,
    title: 'Listen on loopback only',
    summary: 's',
    warnings: [],
    requiresAdmin: true,
    steps,
    // The caller's own verification: port 1 is always "closed", so nothing is rolled back.
    verification: {
      kind: 'port-closed-beyond-loopback',
      instance: null,
      port: 1,
      setting: null,
      description: 'x',
    },
    basedOn: new Date().toISOString(),
  };
}

describeFirewallLab('the root boundary, attacked (security review F1–F6)', ['sudo'], () => {
  let lab: Lab;
  let dir: string;
  let mounts: HostMounts;
  /** argv of the program the sudo rule allows (the privileged side, or the legacy CLI). */
  let target: string[];
  const log = () => path.join(dir, 'commands.log');
  const inHost = (argv: string[], input?: string) =>
    lab.runInHost(argv, { timeoutMs: 20_000, input });
  const writeInHost = async (file: string, text: string, mode = '644') => {
    expect((await inHost(['mkdir', '-p', path.dirname(file)])).code).toBe(0);
    expect((await inHost(['tee', file], text)).code).toBe(0);
    expect((await inHost(['chmod', mode, file])).code).toBe(0);
  };
  const readInHost = async (file: string) => (await inHost(['cat', file])).stdout;
  const existsInHost = async (file: string) => (await inHost(['test', '-e', file])).code === 0;
  const modeInHost = async (file: string) =>
    (await inHost(['stat', '-c', '%a', file])).stdout.trim();
  const asNobody = (argv: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
    lab.runInHost(argv, {
      uid: NOBODY,
      env: { HOME: '/nonexistent', ...opts.env },
      input: opts.input,
      timeoutMs: 60_000,
    });
  const sudo = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
    asNobody(['sudo', '-n', ...target, ...args], opts);
  const rootRan = () =>
    fs.existsSync(log())
      ? fs
          .readFileSync(log(), 'utf8')
          .split('\n')
          .filter((line) => CHANGING.test(line))
      : [];

  beforeAll(async () => {
    lab = await createLab();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-boundary-'));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'u'), { mode: 0o755 });
    fs.chownSync(path.join(dir, 'u'), NOBODY, NOBODY);
    target = LEGACY ? [process.execPath, LEGACY] : installPrivileged(dir);
    // The broadest rule an administrator could write: the program itself must hold.
    const rules = writeSudoers(dir, `nobody ALL=(root) NOPASSWD: ${target.join(' ')} *\n`);
    // A logging stand-in for the programs that change the system (root-owned, as if installed).
    const fake = path.join(dir, 'fake-tool');
    fs.writeFileSync(
      fake,
      `#!/bin/sh\necho "$(basename "$0") $* (uid=$(id -u))" >> ${log()}\nexit 0\n`,
    );
    fs.chmodSync(fake, 0o755);
    mounts = hostMounts(lab);
    await mounts.bind(rules, '/etc/sudoers.d');
    for (const where of [
      '/etc/systemd/system',
      '/usr/lib/systemd/system',
      '/etc/default',
      '/var/lib/paddock',
      '/etc/paddock',
    ])
      await mounts.tmpfs(where);
    for (const tool of ['/usr/bin/systemctl', '/usr/sbin/ufw', '/usr/sbin/nft'])
      if (fs.existsSync(tool)) await mounts.bind(fake, tool);
    await writeInHost(OLLAMA_UNIT, OLLAMA_UNIT_TEXT);
    await writeInHost(
      '/usr/lib/systemd/system/cron.service',
      '[Service]\nExecStart=/usr/sbin/cron -f\n',
    );
    await writeInHost('/etc/default/grub', GRUB_TEXT);
  });
  afterAll(async () => {
    await mounts?.release();
    await lab?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(VARIANTS))(
    'F1 (%s): a crafted plan through sudo changes nothing and runs nothing',
    async (variant) => {
      fs.rmSync(log(), { force: true });
      const plan = hostilePlan(VARIANTS[variant]!);
      // The review's attack: the plan on stdin, its own digest as the argument.
      const sent = await sudo(['__apply-plan', legacyDigest(plan)], {
        input: JSON.stringify(plan),
      });
      // The same steps named through the new entry point: a caller can only name a fix and a
      // server, and root makes the plan from its own scan.
      const named = LEGACY
        ? null
        : await sudo([
            '__apply-fix',
            'rebind-systemd',
            'ollama:service:cron.service',
            planDigest(plan),
          ]);
      const said = `${sent.stdout}${sent.stderr}\n${named?.stdout ?? ''}${named?.stderr ?? ''}`;
      expect(rootRan(), said).toEqual([]);
      expect(await existsInHost('/etc/systemd/system/cron.service.d'), said).toBe(false);
      expect(await existsInHost('/etc/systemd/system/sshd.service.d'), said).toBe(false);
      expect(await readInHost(OLLAMA_UNIT)).toBe(OLLAMA_UNIT_TEXT);
      expect(await modeInHost(OLLAMA_UNIT)).toBe('644');
      expect(await readInHost('/etc/default/grub')).toBe(GRUB_TEXT);
      expect(sent.code).not.toBe(0);
      if (named) {
        expect(named.code).toBe(2);
        expect(named.stdout).toMatch(/root's own scan finds no server ollama:service:cron.service/);
      }
    },
  );

  it('F2: the caller’s PATH is never used, even where sudo keeps it (no secure_path)', async () => {
    const sudoers = path.join(dir, 'sudoers-no-secure-path');
    fs.writeFileSync(
      sudoers,
      fs
        .readFileSync('/etc/sudoers', 'utf8')
        .split('\n')
        .filter((line) => !/secure_path/.test(line))
        .join('\n'),
    );
    fs.chmodSync(sudoers, 0o440);
    await mounts.bind(sudoers, '/etc/sudoers');
    const evil = path.join(dir, 'u', 'evil');
    fs.mkdirSync(evil, { mode: 0o755 });
    for (const tool of [
      'systemctl',
      'nft',
      'ufw',
      'ss',
      'ip',
      'iptables-nft-save',
      'journalctl',
      'firewall-cmd',
      'nvidia-smi',
    ]) {
      fs.writeFileSync(path.join(evil, tool), `#!/bin/sh\nid > ${dir}/u/PWNED-via-PATH-${tool}\n`);
      fs.chmodSync(path.join(evil, tool), 0o755);
    }
    fs.chownSync(evil, NOBODY, NOBODY);
    const plan = hostilePlan([reload]);
    const env = { PATH: `${evil}:/usr/sbin:/usr/bin:/sbin:/bin` };
    try {
      const runs: RunResult[] = [
        await sudo(['__apply-plan', legacyDigest(plan)], { input: JSON.stringify(plan), env }),
        await sudo(['__firewall-facts'], { env }),
      ];
      if (!LEGACY)
        runs.push(
          await sudo(['__apply-fix', 'block-port', 'ollama:port:11434', '0'.repeat(64)], { env }),
        );
      const pwned = fs.readdirSync(path.join(dir, 'u')).filter((f) => f.startsWith('PWNED'));
      expect(pwned, runs.map((r) => r.stdout + r.stderr).join('\n')).toEqual([]);
    } finally {
      await mounts.unmount('/etc/sudoers');
    }
  });

  it('F3: a root scan never runs a user’s binary, however the user races the version check', async () => {
    // As the review's attacker: servers named ollama with no listener (so no API version),
    // their binary deleted (/proc/PID/exe reads "… (deleted)"), and a link of exactly that
    // name flipped between a root-owned program and the user's payload.
    const race = path.join(dir, 'u', 'race');
    fs.mkdirSync(race, { mode: 0o755 });
    const payload = path.join(race, 'payload');
    fs.writeFileSync(payload, `#!/bin/sh\nid > ${dir}/u/PWNED-root-ran-my-binary-$$\n`);
    fs.chmodSync(payload, 0o755);
    fs.writeFileSync(
      path.join(race, 'serve'),
      'i=0\nwhile [ $i -lt 120 ]; do sleep 1; i=$((i+1)); done\n',
    );
    fs.writeFileSync(
      path.join(race, 'flip.cjs'),
      [
        "const fs = require('node:fs');",
        'const [dir, payload] = process.argv.slice(2);',
        'const name = `${dir}/ollama (deleted)`;',
        'const end = Date.now() + 40000;',
        'let n = 0;',
        'while (Date.now() < end && n < 5e6) {',
        "  for (const to of ['/usr/bin/id', payload]) {",
        '    try { fs.symlinkSync(to, `${dir}/t`); fs.renameSync(`${dir}/t`, name); } catch {}',
        '  }',
        '  n += 1;',
        '}',
      ].join('\n'),
    );
    for (const f of fs.readdirSync(race)) fs.chownSync(path.join(race, f), NOBODY, NOBODY);
    fs.chownSync(race, NOBODY, NOBODY);
    const children = [];
    for (const d of ['d1', 'd2']) {
      const sub = path.join(race, d);
      fs.mkdirSync(sub);
      fs.copyFileSync('/bin/dash', path.join(sub, 'ollama'));
      fs.chmodSync(path.join(sub, 'ollama'), 0o755);
      fs.copyFileSync(path.join(race, 'serve'), path.join(sub, 'serve'));
      for (const f of [sub, path.join(sub, 'ollama'), path.join(sub, 'serve')])
        fs.chownSync(f, NOBODY, NOBODY);
      children.push(
        lab.spawnInHost([path.join(sub, 'ollama'), 'serve'], { uid: NOBODY, cwd: sub }),
      );
    }
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const d of ['d1', 'd2']) fs.rmSync(path.join(race, d, 'ollama'));
      for (const d of ['d1', 'd2'])
        children.push(
          lab.spawnInHost(
            [process.execPath, path.join(race, 'flip.cjs'), path.join(race, d), payload],
            {
              uid: NOBODY,
            },
          ),
        );
      let evidence = '';
      for (let i = 0; i < 8; i += 1) {
        const scanned = await lab.runInHost([process.execPath, ROOT_CLI, 'scan', '--json'], {
          timeoutMs: 60_000,
        });
        evidence = scanned.stdout;
      }
      const pwned = fs.readdirSync(path.join(dir, 'u')).filter((f) => f.startsWith('PWNED'));
      expect(pwned).toEqual([]);
      if (!LEGACY)
        expect(evidence).toMatch(/not run: the binary was deleted after the server started/);
    } finally {
      for (const child of children) child.kill('SIGKILL');
      await inHost(['pkill', '-KILL', '-u', String(NOBODY)]);
    }
  });

  it('F4: a root fix never writes through a folder the server’s user controls, even while it is swapped', async () => {
    const home = path.join(dir, 'home', 'mallory');
    const targetDir = path.join(dir, 'target'); // root's 0755: stands for /etc/fish/conf.d
    fs.mkdirSync(path.join(home, '.config', 'fish'), { recursive: true });
    fs.mkdirSync(targetDir, { mode: 0o755 });
    const config = path.join(home, '.config', 'fish', 'config.fish');
    const configText = `set -gx OLLAMA_ORIGINS "*"\nid > ${dir}/PWNED-fish-config-ran-as-$(id -u)\n`;
    fs.writeFileSync(config, configText);
    fs.symlinkSync(targetDir, path.join(home, '.fish-link'));
    for (const p of [
      path.join(dir, 'home'),
      home,
      path.join(home, '.config'),
      path.join(home, '.config', 'fish'),
      config,
    ])
      fs.chownSync(p, MALLORY, NOBODY);
    fs.lchownSync(path.join(home, '.fish-link'), MALLORY, NOBODY);
    const passwd = path.join(dir, 'passwd');
    fs.writeFileSync(
      passwd,
      `${fs.readFileSync('/etc/passwd', 'utf8')}mallory:x:${MALLORY}:${NOBODY}::${home}:/bin/sh\n`,
    );
    await mounts.bind(passwd, '/etc/passwd');
    // The swap: ~/.config/fish and a link to the target exchanged back and forth (renameat2).
    const swap = path.join(dir, 'swap.py');
    fs.writeFileSync(
      swap,
      [
        'import ctypes, os, sys, time',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'a, b = sys.argv[1].encode(), sys.argv[2].encode()',
        'end = time.time() + 30',
        'n = 0',
        'while time.time() < end and n < 10000000:',
        '    libc.renameat2(-100, a, -100, b, 2)',
        '    n += 1',
      ].join('\n'),
    );
    let standin: Standin | null = null;
    let swapper: ReturnType<Lab['spawnInHost']> | null = null;
    const fix = () =>
      lab.runInHost([process.execPath, ROOT_CLI, 'fix', 'tighten-origins', '--yes'], {
        env: { PADDOCK_STATE_DIR: path.join(dir, 'root-state'), NO_COLOR: '1' },
        timeoutMs: 60_000,
      });
    try {
      standin = await lab.startStandin(
        { OLLAMA_HOST: '127.0.0.1:11434' },
        { uid: MALLORY, gid: NOBODY },
      );
      if (!LEGACY) {
        // Without a race: root says why it leaves the file to its owner, and changes nothing.
        const plain = await fix();
        const said = `${plain.stdout}${plain.stderr}`;
        expect(plain.code, said).toBe(1);
        expect(said).toMatch(/as root it never writes where another user could redirect the write/);
        expect(fs.readFileSync(config, 'utf8')).toBe(configText);
      }
      swapper = lab.spawnInHost(
        ['python3', swap, path.join(home, '.config', 'fish'), path.join(home, '.fish-link')],
        { uid: MALLORY, gid: NOBODY },
      );
      for (let i = 0; i < 3; i += 1) {
        const raced = await fix();
        expect(fs.readdirSync(targetDir), `${raced.stdout}${raced.stderr}`).toEqual([]);
      }
    } finally {
      swapper?.kill('SIGKILL');
      await standin?.stop();
      await mounts.unmount('/etc/passwd');
    }
    // Whichever way the swap ended, mallory's file is as she wrote it, in her real folder.
    const realDir = [path.join(home, '.config', 'fish'), path.join(home, '.fish-link')].find((p) =>
      fs.lstatSync(p).isDirectory(),
    )!;
    expect(fs.readFileSync(path.join(realDir, 'config.fish'), 'utf8')).toBe(configText);
    expect(fs.readdirSync(targetDir)).toEqual([]);
  });

  it('F5: the privileged side refuses to run from an install another user can change', async () => {
    if (LEGACY) return; // the old CLI had no such check: nothing to compare
    const userCopy = path.join(dir, 'u', 'inst', 'paddock-privileged.cjs');
    fs.mkdirSync(path.dirname(userCopy), { mode: 0o755 });
    fs.copyFileSync(target[1]!, userCopy);
    fs.chownSync(path.dirname(userCopy), NOBODY, NOBODY);
    fs.chownSync(userCopy, NOBODY, NOBODY);
    const rules = writeSudoers(
      path.join(dir, 'userinst'),
      `nobody ALL=(root) NOPASSWD: ${process.execPath} ${userCopy} *\n`,
    );
    await mounts.bind(rules, '/etc/sudoers.d');
    try {
      fs.rmSync(log(), { force: true });
      const ran = await asNobody(['sudo', '-n', process.execPath, userCopy, '__firewall-facts']);
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(
        /refusing to run as root from an install that users other than root can change: .*owned by uid 65534/,
      );
      expect(fs.existsSync(log())).toBe(false);
      // The ordinary CLI, as root, from a copy another user owns: the same refusal.
      const userCli = path.join(dir, 'u', 'inst', 'paddock.cjs');
      fs.copyFileSync(path.join(path.dirname(CLI), '..', 'out', 'cli', 'paddock.cjs'), userCli);
      fs.chownSync(userCli, NOBODY, NOBODY);
      const cli = await lab.runInHost([process.execPath, userCli, 'scan']);
      expect(cli.code).toBe(2);
      expect(cli.stderr).toMatch(
        /refusing to run as root from an install that users other than root can change/,
      );
    } finally {
      await mounts.bind(path.join(dir, 'sudoers'), '/etc/sudoers.d');
    }
  });

  it('F6: undo and recovery never trust a run folder or a recorded plan another user planted', async () => {
    const id = '20260101T000000000Z-deadbeef';
    const evil = path.join(dir, 'u', 'evil-undo');
    fs.writeFileSync(evil, `#!/bin/sh\nid > ${dir}/u/PWNED-undo-argv\n`);
    fs.chmodSync(evil, 0o755);
    const planted = {
      fixId: 'block-port',
      findingId: null,
      instance: null,
      title: 't',
      summary: 's',
      warnings: [],
      requiresAdmin: true,
      steps: [
        { kind: 'run', argv: ['systemctl', 'daemon-reload'], undo: [evil], description: 'x' },
      ],
      verification: {
        kind: 'port-closed-beyond-loopback',
        instance: null,
        port: 1,
        setting: null,
        description: 'x',
      },
      basedOn: 'x',
    };
    const journal = ['run-started:null', 'step-starting:0', 'step-done:0', 'verify-ok:null']
      .map((e) => {
        const [event, step] = e.split(':');
        return JSON.stringify({
          at: '2026-01-01T00:00:00.000Z',
          step: step === 'null' ? null : Number(step),
          event,
          detail: 'x',
        });
      })
      .join('\n');
    const plant = (runs: string) => {
      fs.mkdirSync(path.join(runs, id), { recursive: true });
      fs.writeFileSync(path.join(runs, id, 'plan.json'), JSON.stringify(planted));
      fs.writeFileSync(path.join(runs, id, 'journal.jsonl'), `${journal}\n`);
    };
    // 1. A runs folder of the user's, through PADDOCK_STATE_DIR, for root's own `paddock undo`.
    plant(path.join(dir, 'u', 'runs'));
    fs.chownSync(path.join(dir, 'u', 'runs'), NOBODY, NOBODY);
    const direct = await lab.runInHost(
      [process.execPath, ROOT_CLI, ...(LEGACY ? ['__undo-run', id] : ['undo', id, '--yes'])],
      { env: { PADDOCK_STATE_DIR: path.join(dir, 'u'), NO_COLOR: '1' } },
    );
    // 2. The same run planted in root's own folder (as if root's files were tampered with):
    //    the recorded plan is checked again before anything of it runs.
    const rootRuns = path.join(dir, 'root-runs');
    plant(path.join(rootRuns, 'runs'));
    await mounts.bind(rootRuns, '/var/lib/paddock');
    let viaSudo: RunResult | null = null;
    try {
      viaSudo = await sudo(['__undo-run', id], { env: { PADDOCK_STATE_DIR: path.join(dir, 'u') } });
    } finally {
      await mounts.unmount('/var/lib/paddock');
    }
    const said = `${direct.stdout}${direct.stderr}\n${viaSudo?.stdout}${viaSudo?.stderr}`;
    expect(fs.existsSync(path.join(dir, 'u', 'PWNED-undo-argv')), said).toBe(false);
    if (!LEGACY) {
      expect(direct.stderr).toMatch(/PADDOCK_STATE_DIR=.* is not one/);
      expect(viaSudo?.stdout).toMatch(
        /Undo refused: the recorded plan of run .* is not the one that was applied/,
      );
    }
  });
});
