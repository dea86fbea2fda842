import { describe, expect, it } from 'vitest';
import { elevatedFirewallFacts } from '../../../electron/cli/elevate';
import type { ExecResult } from '../../../electron/engine/host/types';
import { adminPromptWords } from '../../support/admin-prompt';
import { createFakeHost } from '../../support/fake-host';
import { EMPTY_FIREWALL_FACTS } from '../../support/firewall-facts';

const SELF = ['/usr/bin/node', '/opt/paddock/paddock.cjs'];
const facts = EMPTY_FIREWALL_FACTS;
const key = (...argv: string[]) => argv.join(' ');
const answered = (stdout: string): Partial<ExecResult> => ({ code: 0, stdout });

describe('elevatedFirewallFacts', () => {
  it('sudo -n without a prompt: the facts come back, validated', async () => {
    const host = createFakeHost({
      uid: 1000,
      exec: {
        [key('sudo', '-n', '--', ...SELF, '__firewall-facts')]: answered(JSON.stringify(facts)),
      },
    });
    const result = await elevatedFirewallFacts({ host, privileged: SELF, interactive: false });
    expect(result).toMatchObject({ ok: true, via: 'sudo -n', result: { status: 'ok' } });
    expect(host.execCalls).toHaveLength(1);
  });

  it('no terminal: after sudo -n, polkit’s dialog (pkexec); dismissed is "cancelled", nothing else tried', async () => {
    const host = createFakeHost({
      uid: 1000,
      exec: {
        [key('sudo', '-n', '--', ...SELF, '__firewall-facts')]: {
          code: 1,
          stderr: 'sudo: a password is required\n',
        },
        [key('pkexec', ...SELF, '__firewall-facts')]: {
          code: 126,
          stderr: 'Error executing command as another user: Request dismissed\n',
        },
      },
    });
    const result = await elevatedFirewallFacts({ host, privileged: SELF, interactive: false });
    expect(result).toMatchObject({ ok: false, cancelled: true });
    expect(!result.ok && result.message).toMatch(
      /^Cancelled .*the admin prompt was cancelled.*nothing was changed/,
    );
    expect(host.execCalls.map((argv) => argv[0])).toEqual(['sudo', 'pkexec']);
  });

  it('on a terminal, sudo asks there instead of pkexec', async () => {
    const host = createFakeHost({
      uid: 1000,
      exec: {
        [key('sudo', '-n', '--', ...SELF, '__firewall-facts')]: {
          code: 1,
          stderr: 'sudo: a password is required\n',
        },
        [key('sudo', '--', ...SELF, '__firewall-facts')]: answered(JSON.stringify(facts)),
      },
    });
    const result = await elevatedFirewallFacts({ host, privileged: SELF, interactive: true });
    expect(result).toMatchObject({ ok: true, via: 'sudo' });
  });

  it('neither sudo nor pkexec installed: says so, not "cancelled"', async () => {
    const result = await elevatedFirewallFacts({
      host: createFakeHost({ uid: 1000 }),
      privileged: SELF,
      interactive: false,
    });
    expect(result).toMatchObject({ ok: false, cancelled: false });
    expect(!result.ok && result.message).toMatch(
      /sudo is not installed; pkexec: pkexec is not installed/,
    );
  });

  it('an answer that is not firewall facts is refused', async () => {
    for (const stdout of ['not json', '{"status":"ok","data":{"nftables":"x"}}']) {
      const host = createFakeHost({
        uid: 1000,
        exec: { [key('sudo', '-n', '--', ...SELF, '__firewall-facts')]: answered(stdout) },
      });
      const result = await elevatedFirewallFacts({ host, privileged: SELF, interactive: false });
      expect(result.ok, stdout).toBe(false);
    }
  });
});

describe("macOS's admin prompt (osascript): hostile values stay one argument each", () => {
  it('the command AppleScript hands to /bin/sh gives back exactly the argv, whatever is in it', async () => {
    const { appleScriptAdminArgv } = await import('../../../electron/cli/elevate');
    const hostile = [
      '/Applications/Paddock.app/Contents/Resources/paddock-privileged',
      '__apply-fix',
      'block-port',
      `ollama:port:11434'; touch /tmp/pwned; echo '`,
      'a"b\\"c$(id)`id`\\',
      '$HOME * ? [x] ~ ; | & > <',
      "it's",
      '',
    ];
    // A real /bin/sh reads the line back: one argument per value, byte for byte.
    expect(adminPromptWords(appleScriptAdminArgv(hostile))).toEqual(hostile);
  });

  it('a real /bin/sh runs the line: the answer, the notes and the exit status all come back, even when it is not 0', async () => {
    const { appleScriptAdminArgv, parseAdminShellOutput } =
      await import('../../../electron/cli/elevate');
    const { spawnSync } = await import('node:child_process');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-osa-'));
    try {
      // Stands in for paddock-privileged refusing a plan: a note on stderr, its answer on
      // stdout, exit 2 (what `do shell script` alone would have turned into an error, the
      // answer lost).
      const program = path.join(dir, 'privileged');
      fs.writeFileSync(
        program,
        '#!/bin/sh\necho \'paddock-privileged: an interrupted fix was rolled back\' >&2\necho \'{"refused":"preview again"}\'\nexit 2\n',
      );
      fs.chmodSync(program, 0o755);
      const argv = appleScriptAdminArgv([program, '__apply-fix', "it's"]);
      const literal = /^do shell script "((?:[^"\\]|\\.)*)" with/.exec(argv[2]!)![1]!;
      const line = literal.replace(/\\(.)/g, '$1');
      const out = spawnSync('/bin/sh', ['-c', line], { encoding: 'utf8' });
      // The line itself succeeds, so osascript hands its output back.
      expect(out.status).toBe(0);
      expect(parseAdminShellOutput(out.stdout)).toEqual({
        code: 2,
        stdout: '{"refused":"preview again"}\n',
        notes: ['an interrupted fix was rolled back'],
      });
      // A line cut short (no status) is not taken for an answer.
      expect(parseAdminShellOutput('{"refused":"x"}\n')).toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a value with a control character rather than pass it on', async () => {
    const { appleScriptAdminArgv } = await import('../../../electron/cli/elevate');
    expect(() => appleScriptAdminArgv(['a', 'b\nrm -rf /'])).toThrow(/control character/);
  });
});

describe('runElevated on a Mac', () => {
  it('asks through the admin prompt after sudo -n, and a cancel there is a cancel', async () => {
    const { appleScriptAdminArgv, runElevated } = await import('../../../electron/cli/elevate');
    // A program root could trust (root's, on a root-controlled path) stands in for the
    // installed paddock-privileged.
    const privileged = ['/bin/sh'];
    const prompt = appleScriptAdminArgv([
      '/usr/bin/env',
      '-i',
      'PATH=/usr/bin:/bin:/usr/sbin:/sbin',
      'LC_ALL=C',
      ...privileged,
      '__firewall-facts',
    ]);
    const answer = (stdout: string, code = 0, stderr = '') => ({ stdout, code, stderr });
    const run = async (result: ReturnType<typeof answer>) => {
      const host = createFakeHost({
        platform: 'darwin',
        exec: {
          [['sudo', '-n', '--', ...privileged, '__firewall-facts'].join(' ')]: answer(
            '',
            1,
            'sudo: a password is required',
          ),
          [prompt.join(' ')]: result,
        },
      });
      const elevated = await runElevated({ host, privileged, interactive: false }, [
        '__firewall-facts',
      ]);
      return { elevated, calls: host.execCalls.map((c) => c[0]) };
    };
    const ok = await run(answer('{"ok":true}\n\npaddock-exit:0\n'));
    expect(ok.calls).toEqual(['sudo', '/usr/bin/osascript']);
    expect(ok.elevated).toMatchObject({ ok: true, via: 'osascript', stdout: '{"ok":true}\n' });
    const cancelled = await run(answer('', 1, '0:187: execution error: User canceled. (-128)'));
    expect(cancelled.elevated).toMatchObject({ ok: false, cancelled: true });
  });

  it('the packaged Mac app: its binary as Node (/usr/bin/env sets the variable), offered only from folders root alone controls', async () => {
    const { runElevated } = await import('../../../electron/cli/elevate');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-macapp-'));
    /** A Paddock.app under `apps`, every file and folder root's, `apps` with `mode`. */
    const install = (apps: string, mode: number) => {
      const contents = path.join(base, apps, 'Paddock.app', 'Contents');
      fs.mkdirSync(path.join(contents, 'MacOS'), { recursive: true });
      fs.mkdirSync(path.join(contents, 'Resources'), { recursive: true });
      const exe = path.join(contents, 'MacOS', 'Paddock');
      const script = path.join(contents, 'Resources', 'paddock-privileged');
      fs.writeFileSync(exe, '');
      fs.writeFileSync(script, '');
      // What the binary loads from its bundle, laid out as a real framework: the code, V8's
      // data and the dylibs in Versions/A, reached through Versions/Current and top-level links.
      const frameworkRoot = path.join(contents, 'Frameworks', 'Electron Framework.framework');
      const versionA = path.join(frameworkRoot, 'Versions', 'A');
      fs.mkdirSync(path.join(versionA, 'Resources'), { recursive: true });
      fs.mkdirSync(path.join(versionA, 'Libraries'), { recursive: true });
      fs.writeFileSync(path.join(versionA, 'Electron Framework'), '');
      fs.writeFileSync(path.join(versionA, 'Resources', 'v8_context_snapshot.arm64.bin'), '');
      fs.writeFileSync(path.join(versionA, 'Libraries', 'libffmpeg.dylib'), '');
      fs.symlinkSync('A', path.join(frameworkRoot, 'Versions', 'Current'));
      for (const name of ['Electron Framework', 'Resources', 'Libraries'])
        fs.symlinkSync(`Versions/Current/${name}`, path.join(frameworkRoot, name));
      for (const dir of [
        path.join(versionA, 'Resources'),
        path.join(versionA, 'Libraries'),
        versionA,
        path.join(frameworkRoot, 'Versions'),
        frameworkRoot,
        path.join(contents, 'Frameworks'),
      ])
        fs.chmodSync(dir, 0o755);
      for (const dir of [
        path.join(base, apps),
        contents,
        path.join(contents, 'MacOS'),
        path.join(contents, 'Resources'),
        path.dirname(contents),
      ])
        fs.chmodSync(dir, 0o755);
      fs.chmodSync(exe, 0o755);
      fs.chmodSync(script, 0o644);
      // /Applications is root:admin, rwxrwxr-x: any administrator account may rename what is in it.
      fs.chmodSync(path.join(base, apps), mode);
      return ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', exe, script];
    };
    try {
      fs.chmodSync(base, 0o755);
      const applications = install('Applications', 0o775);
      const host = createFakeHost({ platform: 'darwin', exec: {} });
      const refused = await runElevated({ host, privileged: applications, interactive: false }, [
        '__firewall-facts',
      ]);
      // Only sudo -n was tried (which needs a rule an administrator wrote): no prompt.
      expect(host.execCalls.map((c) => c[0])).toEqual(['sudo']);
      expect(host.execCalls[0]).toEqual(['sudo', '-n', '--', ...applications, '__firewall-facts']);
      expect(refused).toMatchObject({
        ok: false,
        message: expect.stringMatching(
          /admin prompt was not offered: .*Applications.*an app in \/Applications can be replaced by any administrator account without a password\. Make Paddock's admin copy once \(Settings > Admin rights on this Mac: a copy in \/Library\/Paddock that only root can change, checked against Paddock's signature\), or block the port in macOS's own firewall instead/,
        ),
        // The app offers to make the admin copy (Settings) from the fix's failure.
        adminCopy: true,
      });
      // The same app where only root may change anything on the way: the prompt is offered,
      // its shell line sets the variable through env, nothing of the caller's environment.
      const rootOnly = install('Library-Paddock', 0o755);
      const host2 = createFakeHost({ platform: 'darwin', exec: {} });
      await runElevated({ host: host2, privileged: rootOnly, interactive: false }, [
        '__firewall-facts',
      ]);
      const prompt = host2.execCalls.find((c) => c[0] === '/usr/bin/osascript');
      // A data file V8 reads before Paddock's first line, writable by others: no prompt.
      const frameworkOf = (exe: string) =>
        path.join(path.dirname(path.dirname(exe)), 'Frameworks/Electron Framework.framework');
      const snapshot = path.join(
        frameworkOf(rootOnly[2]!),
        'Versions/A/Resources/v8_context_snapshot.arm64.bin',
      );
      fs.chmodSync(snapshot, 0o666);
      const host3 = createFakeHost({ platform: 'darwin', exec: {} });
      const tampered = await runElevated(
        { host: host3, privileged: rootOnly, interactive: false },
        ['__firewall-facts'],
      );
      expect(host3.execCalls.map((c) => c[0])).toEqual(['sudo']);
      expect(tampered).toMatchObject({
        ok: false,
        message: expect.stringMatching(
          /admin prompt was not offered: .*v8_context_snapshot\.arm64\.bin/,
        ),
      });
      fs.chmodSync(snapshot, 0o644);
      // Versions/Current pointing at a folder another user owns (what the loader would follow):
      // no prompt, though Versions/A itself is root's.
      const elsewhere = fs.mkdtempSync(path.join(base, 'elsewhere-'));
      fs.mkdirSync(path.join(elsewhere, 'Resources'));
      fs.mkdirSync(path.join(elsewhere, 'Libraries'));
      fs.writeFileSync(path.join(elsewhere, 'Electron Framework'), '');
      fs.chownSync(elsewhere, 1000, 1000);
      const current = path.join(frameworkOf(rootOnly[2]!), 'Versions', 'Current');
      fs.unlinkSync(current);
      fs.symlinkSync(elsewhere, current);
      const host4 = createFakeHost({ platform: 'darwin', exec: {} });
      const redirected = await runElevated(
        { host: host4, privileged: rootOnly, interactive: false },
        ['__firewall-facts'],
      );
      expect(host4.execCalls.map((c) => c[0])).toEqual(['sudo']);
      expect(redirected).toMatchObject({
        ok: false,
        message: expect.stringMatching(/admin prompt was not offered: .*(elsewhere|uid 1000)/),
      });
      expect(prompt?.[2]).toBe(
        `do shell script "'/usr/bin/env' '-i' 'PATH=/usr/bin:/bin:/usr/sbin:/sbin' 'LC_ALL=C' '/usr/bin/env' 'ELECTRON_RUN_AS_NODE=1' '${rootOnly[2]}' '${rootOnly[3]}' '__firewall-facts' 2>&1; printf '\\\\npaddock-exit:%s\\\\n' \\"$?\\"" with administrator privileges without altering line endings`,
      );
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  it('a word of the admin side’s argv that is no plain absolute path (or holds `=`): no prompt', async () => {
    const { runElevated } = await import('../../../electron/cli/elevate');
    for (const privileged of [
      ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', '/x=y/Paddock', '/opt/p'],
      ['/usr/bin/env', 'NODE_OPTIONS=--require=/tmp/x.js', '/opt/p'],
      ['relative/paddock-privileged'],
    ]) {
      const host = createFakeHost({ platform: 'darwin', exec: {} });
      const elevated = await runElevated({ host, privileged, interactive: false }, [
        '__firewall-facts',
      ]);
      expect(host.execCalls.map((c) => c[0])).toEqual(['sudo']);
      expect(elevated).toMatchObject({
        ok: false,
        message: expect.stringMatching(
          /admin prompt was not offered: ".*" is not a plain absolute path/,
        ),
      });
    }
  });

  it('never offers the prompt for a program another user could change, and says why', async () => {
    const { runElevated } = await import('../../../electron/cli/elevate');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-priv-'));
    const program = path.join(dir, 'paddock-privileged');
    fs.writeFileSync(program, '#!/bin/sh\n');
    // Writable by anyone (the umask would have hidden the mode given to writeFileSync).
    fs.chmodSync(program, 0o777);
    try {
      const host = createFakeHost({ platform: 'darwin', exec: {} });
      const elevated = await runElevated({ host, privileged: [program], interactive: false }, [
        '__firewall-facts',
      ]);
      expect(host.execCalls.map((c) => c[0])).toEqual(['sudo']);
      expect(elevated).toMatchObject({
        ok: false,
        message: expect.stringMatching(/admin prompt was not offered: .*paddock-privileged/),
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
