/**
 * The privileged side on Windows (issue 17): UAC through Windows PowerShell's Start-Process
 * -Verb RunAs, the answer in the admin side's own folder under ProgramData. No Windows and no
 * PowerShell here: the host is a fake that reads each PowerShell script back from its
 * -EncodedCommand, tells the templates apart, and answers with what PowerShell would print
 * (the ACL rows are test/fixtures/win32/acl/, composed from Microsoft's documentation, none
 * recorded). What the tests hold to is what a user would see, and what was run or read.
 */
import { describe, expect, it, vi } from 'vitest';
import { runElevated } from '../../../electron/cli/elevate';
import type { WindowsPrivilegedDeps } from '../../../electron/cli/win32-elevate';
import {
  CANCELLED_MESSAGE,
  NO_ANSWER_FOLDER_EXIT,
  PS_ELEVATE,
  WIN32_ELEVATE_TEMPLATES,
  answerPath,
  elevateArgv,
  programDataOf,
  runElevatedWindows,
  windowsCommandLine,
  elevatedRunnerArgv,
  windowsRuntimeFiles,
  PS_RUN_AS_NODE,
  loadedSystemDirectory,
  windowsPrivilegedMain,
} from '../../../electron/cli/win32-elevate';
import {
  POWERSHELL_EXE,
  decodePowerShellCommand,
  powershellScript,
} from '../../../electron/engine/probes/win32/powershell';
import type { ExecResult, Host } from '../../../electron/engine/host/types';
import { WINDOWS_ADMIN_ENVIRONMENT } from '../../../electron/engine/host/trust';
import { createFakeHost } from '../../support/fake-host';
import { fixtureOutput } from '../../support/fixture-file';

const NODE = 'C:\\Program Files\\nodejs\\node.exe';
const CJS = 'C:\\Program Files\\Paddock\\resources\\paddock-privileged.cjs';
const SELF = [NODE, CJS];
/** The desktop app installed for all users: its own binary runs the admin side as Node. */
const APP_EXE = 'C:\\Program Files\\Paddock\\Paddock.exe';
const APP_PRIVILEGED = 'C:\\Program Files\\Paddock\\resources\\paddock-privileged';
const APP_SELF = [APP_EXE, APP_PRIVILEGED];
const APP_DIR = 'C:\\Program Files\\Paddock';
const APP_DIR_LISTING = [
  'LICENSE.electron.txt',
  'Paddock.exe',
  'chrome_100_percent.pak',
  'ffmpeg.dll',
  'icudtl.dat',
  'locales',
  'resources',
  'v8_context_snapshot.bin',
];
/** What the runner gives the admin side: the fixed environment, nothing of the user's. */
const ADMIN_ENVIRONMENT_LINES = Object.entries(WINDOWS_ADMIN_ENVIRONMENT)
  .map(([name, value]) => `${name}=${value}`)
  .join('\n');
const NONCE = '0123456789abcdef0123456789abcdef';
const ANSWER = `C:\\ProgramData\\Paddock\\answers\\${NONCE}.json`;
const ALICE = 'S-1-5-21-3623811015-3361044348-30300820-1001';
const APPLY = ['__apply-fix', 'rebind-windows', 'ollama:app:ollama', 'a'.repeat(64)];

const DATA_LINE =
  /^\$v_([A-Za-z0-9]+) = \[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([^']*)'\)\)$/gm;

/** The script with every data literal replaced by a placeholder, and the data decoded. */
function split(script: string): { skeleton: string; data: Record<string, string> } {
  const data: Record<string, string> = {};
  const skeleton = script.replace(DATA_LINE, (_line, name: string, base64: string) => {
    expect(base64).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
    data[name] = Buffer.from(base64, 'base64').toString('utf8');
    return `$v_${name} = <DATA>`;
  });
  return { skeleton, data };
}

type TemplateId = 'pathAcl' | 'systemPlaces' | 'adminFolders' | 'elevate' | 'runAsNode';

/** Which template a PowerShell argv runs, and its values. */
function templateOf(argv: readonly string[]): { id: TemplateId; data: Record<string, string> } {
  expect(argv[0]).toBe(POWERSHELL_EXE);
  const script = decodePowerShellCommand(argv[argv.length - 1]!);
  const { skeleton, data } = split(script);
  for (const [id, template] of Object.entries(WIN32_ELEVATE_TEMPLATES)) {
    const empty = Object.fromEntries(template.params.map((p) => [p, '']));
    if (split(powershellScript(template, empty)).skeleton === skeleton)
      return { id: id as TemplateId, data };
  }
  throw new Error('not one of the Windows elevation templates');
}

const ok = (stdout: string): Partial<ExecResult> => ({ code: 0, stdout });
const rows = (...names: string[]) =>
  JSON.stringify(names.flatMap((n) => JSON.parse(fixtureOutput('win32', `acl/${n}`)) as unknown[]));

interface Script {
  trust?: string;
  elevate?: Record<string, unknown>;
  answerAcl?: string;
  places?: Record<string, unknown>;
  folders?: string;
}

/** A Windows host whose PowerShell answers per template; every call is kept with its values. */
function windowsHost(
  script: Script,
  files: Record<string, string> = {},
  dirs: Record<string, string[]> = {
    'C:\\Program Files\\nodejs': ['node.exe', 'node_modules', 'npm.cmd'],
    [APP_DIR]: APP_DIR_LISTING,
  },
) {
  const calls: Array<{ id: TemplateId; data: Record<string, string> }> = [];
  const base = createFakeHost({
    platform: 'win32',
    uid: null,
    files,
    dirs,
    // The caller's environment names other places: none of it may be used.
    env: { ProgramData: 'C:\\Users\\alice\\evil', SystemDrive: 'D:', ALLUSERSPROFILE: 'D:\\x' },
  });
  const readFile = vi.fn(base.readFile);
  let aclCalls = 0;
  const host: Host = {
    ...base,
    readFile,
    async exec(argv) {
      const { id, data } = templateOf(argv);
      calls.push({ id, data });
      let answer: Partial<ExecResult> = { code: 1, stderr: 'paddock: not scripted' };
      if (id === 'pathAcl') {
        aclCalls += 1;
        const out = aclCalls === 1 ? script.trust : script.answerAcl;
        if (out !== undefined) answer = ok(out);
      }
      if (id === 'elevate' && script.elevate) answer = ok(JSON.stringify([script.elevate]));
      if (id === 'systemPlaces' && script.places) answer = ok(JSON.stringify([script.places]));
      if (id === 'adminFolders' && script.folders !== undefined) answer = ok(script.folders);
      return {
        argv: [...argv],
        code: 0,
        signal: null,
        stdout: '',
        stderr: '',
        truncated: false,
        timedOut: false,
        spawnError: null,
        durationMs: 1,
        ...answer,
      };
    },
  };
  return { host, calls, readFile };
}

const started = (over: Record<string, unknown> = {}) => ({
  Started: true,
  Cancelled: false,
  ExitCode: 0,
  Error: null,
  UserSid: ALICE,
  ProgramData: '%SystemDrive%\\ProgramData',
  SystemDirectory: 'C:\\WINDOWS\\system32',
  ...over,
});

/** Microsoft's documented rules for splitting a command line ("Parsing C++ command-line arguments"). */
function parseCommandLine(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i += 1;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length; i += 1) {
      const c = line[i]!;
      if (!quoted && (c === ' ' || c === '\t')) break;
      if (c === '\\') {
        let n = 0;
        while (line[i] === '\\') {
          n += 1;
          i += 1;
        }
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) arg += '"';
          else quoted = !quoted;
        } else {
          arg += '\\'.repeat(n);
          i -= 1;
        }
        continue;
      }
      if (c === '"') {
        if (quoted && line[i + 1] === '"') {
          arg += '"';
          i += 1;
        } else quoted = !quoted;
        continue;
      }
      arg += c;
    }
    args.push(arg);
  }
  return args;
}

describe('the UAC argv: a fixed script, every value base64 data', () => {
  const HOSTILE = [
    "C:\\Program Files\\It's $(calc)\\node.exe",
    'a"b',
    '"; Start-Process calc; "',
    "'; Remove-Item C:\\ -Recurse; '",
    '$(Invoke-WebRequest evil)',
    '`$env:USERPROFILE`',
    'x\\"y\\\\',
    'trailing\\',
    'with space\\',
    '--require=C:\\Users\\alice\\evil.js',
    '',
    'ümlaut 模型',
  ];

  it('is powershell.exe by its full path, no profile, never interactive, an encoded command', () => {
    const argv = elevateArgv(NODE, [CJS, '--answer-nonce', NONCE, ...APPLY]);
    expect(argv.slice(0, -1)).toEqual([
      'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      '-NoProfile',
      '-NonInteractive',
      '-NoLogo',
      '-ExecutionPolicy',
      'Bypass',
      '-EncodedCommand',
    ]);
    const script = decodePowerShellCommand(argv.at(-1)!);
    expect(script).toContain(
      'Start-Process -FilePath $v_program -ArgumentList $v_arguments -Verb RunAs -WindowStyle Hidden -Wait -PassThru',
    );
    expect(split(script).data).toEqual({
      program: NODE,
      arguments: `"${CJS}" --answer-nonce ${NONCE} ${APPLY.join(' ')}`,
    });
  });

  it('hostile values (a quote, $(…), a newline) never change the script, at the template itself', () => {
    const benign = split(powershellScript(PS_ELEVATE, { program: NODE, arguments: 'x' })).skeleton;
    for (const value of [...HOSTILE, 'x\nRemove-Item -Recurse C:\\\n#', 'x\r\nexit 0']) {
      const script = powershellScript(PS_ELEVATE, { program: value, arguments: value });
      const { skeleton, data } = split(script);
      expect(skeleton).toBe(benign);
      expect(data).toEqual({ program: value, arguments: value });
      if (value.length >= 2) expect(script.includes(value)).toBe(false);
    }
  });

  it('through elevateArgv: the script is the same, and the command line splits back into exactly the arguments', () => {
    const reference = split(decodePowerShellCommand(elevateArgv(NODE, ['x']).at(-1)!)).skeleton;
    const args = [CJS, '--answer-nonce', NONCE, ...HOSTILE];
    const argv = elevateArgv(HOSTILE[0]!, args);
    const { skeleton, data } = split(decodePowerShellCommand(argv.at(-1)!));
    expect(skeleton).toBe(reference);
    expect(data.program).toBe(HOSTILE[0]);
    expect(data.arguments).toBe(windowsCommandLine(args));
    // node.exe's C runtime reads back one argument per value, byte for byte: no value can
    // become a second argument or an option of Node's.
    expect(parseCommandLine(data.arguments!)).toEqual(args);
  });

  it('refuses a newline or other control character in an argument, and a program that is no plain drive path', () => {
    expect(() => elevateArgv(NODE, [CJS, 'a\nb'])).toThrow(/control character/);
    expect(() => elevateArgv('node.exe', [CJS])).toThrow(/not an absolute path on a drive/);
    expect(() => elevateArgv('C:\\x\n\\node.exe', [CJS])).toThrow(/does not allow/);
    // Start-Process -FilePath is a wildcard pattern: [ab] could match another file.
    expect(() => elevateArgv('C:\\Program Files\\[ab]\\node.exe', [CJS])).toThrow(
      /a path with \[ or \] is not started/,
    );
  });

  it('the templates follow powershell.ts’s rules: no double quote, no backtick, no code from data', () => {
    for (const template of Object.values(WIN32_ELEVATE_TEMPLATES)) {
      for (const name of template.params) expect(template.body).toContain(`$v_${name}`);
      expect(template.body).not.toMatch(/FromBase64String|Invoke-Expression|\biex\b|ScriptBlock/);
      expect(template.body).not.toContain('"');
      expect(template.body).not.toContain('`');
    }
    // The admin side's templates load no module: .NET types only (no cmdlet but Where-Object,
    // which is the engine's own), so nothing from a user's module folder runs as admin.
    for (const template of [
      WIN32_ELEVATE_TEMPLATES.pathAcl!,
      WIN32_ELEVATE_TEMPLATES.adminFolders!,
    ])
      expect(template.body).not.toMatch(/\b(Get|Set|New|Remove)-[A-Z]\w+/);
  });
  it('the runner: hostile arguments stay base64 data, each read back as one argument', () => {
    const reference = split(
      powershellScript(PS_RUN_AS_NODE, { program: NODE, arguments: 'x', environment: 'A=1' }),
    ).skeleton;
    const argv = elevatedRunnerArgv(
      [APP_EXE, APP_PRIVILEGED],
      ['--answer-nonce', NONCE, ...HOSTILE],
    );
    const { skeleton, data } = split(decodePowerShellCommand(argv.at(-1)!));
    expect(skeleton).toBe(reference);
    expect(parseCommandLine(data.arguments!)).toEqual([
      APP_PRIVILEGED,
      '--answer-nonce',
      NONCE,
      ...HOSTILE,
    ]);
    expect(() => elevatedRunnerArgv([APP_EXE, APP_PRIVILEGED], ['a\nb'])).toThrow(
      /control character/,
    );
    expect(() => elevatedRunnerArgv(['Paddock.exe'], [])).toThrow(
      /not an absolute path on a drive/,
    );
    // As admin it loads no module: no cmdlet at all, .NET types only.
    expect(PS_RUN_AS_NODE.body).not.toMatch(/\b[A-Z][a-z]+-[A-Z][A-Za-z]+\b/);
  });
});

describe('runElevated on Windows: what the user sees', () => {
  it('a per-user install (%LOCALAPPDATA%\\Programs) is refused before any prompt, with how to install for all users', async () => {
    const userCjs =
      'C:\\Users\\alice\\AppData\\Local\\Programs\\Paddock\\resources\\paddock-privileged.cjs';
    const { host, calls } = windowsHost({ trust: rows('localappdata-programs-win11.txt') });
    const result = await runElevated(
      { host, privileged: [NODE, userCjs], interactive: true },
      APPLY,
    );
    expect(result).toEqual({
      ok: false,
      cancelled: false,
      message: expect.stringMatching(
        /^Windows' admin prompt was not offered: .*DESKTOP-7Q2KMVB\\alice may change C:\\Users\\alice .*run Paddock's installer again, choose to install it for all users \(it then goes into C:\\Program Files\), and apply the fix from that copy\. Nothing was changed\.$/,
      ),
    });
    // Only the permissions were read: no Start-Process.
    expect(calls.map((c) => c.id)).toEqual(['pathAcl']);
    expect(calls[0]!.data.paths).toBe(`${NODE}\n${userCjs}`);
  });

  it('a copy with no admin side beside it (nothing, or no drive path) says so plainly and offers nothing', async () => {
    const { host, calls } = windowsHost({});
    for (const privileged of [[], ['/usr/bin/node', CJS]]) {
      const result = await runElevatedWindows(host, privileged, APPLY, undefined, NONCE);
      expect(!result.ok && result.message).toMatch(
        /has no admin side \(`paddock-privileged`\) to start: reinstall Paddock for all users.*Nothing was changed/,
      );
    }
    expect(calls).toEqual([]);
  });

  it('the desktop app: UAC starts Windows PowerShell, which runs Paddock.exe as Node on the admin side with ELECTRON_RUN_AS_NODE=1', async () => {
    const { host, calls } = windowsHost(
      {
        trust: rows('program-files-app-win11.txt'),
        elevate: started(),
        answerAcl: rows('programdata-answers-win11.txt'),
      },
      {},
      { [APP_DIR]: APP_DIR_LISTING },
    );
    await runElevatedWindows(host, APP_SELF, APPLY, undefined, NONCE);
    // The permissions of the app's binary, its admin side and what the binary loads from its
    // folder (DLLs, V8's and ICU's data) are what is checked first.
    expect(calls[0]!.data.paths).toBe(
      [
        APP_EXE,
        APP_PRIVILEGED,
        ...['ffmpeg.dll', 'icudtl.dat', 'v8_context_snapshot.bin'].map((f) => `${APP_DIR}\\${f}`),
      ].join('\n'),
    );
    expect(calls[1]!.id).toBe('elevate');
    // What UAC is asked to start: PowerShell by its full path, never Paddock.exe itself (UAC
    // gives it a fresh environment, so the variable could not reach it)...
    expect(calls[1]!.data.program).toBe(POWERSHELL_EXE);
    const runner = parseCommandLine(calls[1]!.data.arguments!);
    // The same options as every PowerShell Paddock starts (asserted word for word above).
    expect(runner.slice(0, -1)).toEqual(elevateArgv(NODE, ['x']).slice(1, -1));
    // ...whose fixed script starts the binary as Node, waits, and passes its exit code on.
    const script = decodePowerShellCommand(runner.at(-1)!);
    expect(script).toContain("$info.EnvironmentVariables['ELECTRON_RUN_AS_NODE'] = '1'");
    expect(script).toContain('$info.UseShellExecute = $false');
    expect(script).toContain('exit $process.ExitCode');
    // Nothing of the user's environment (NODE_COMPILE_CACHE, PSModulePath…) reaches the admin
    // side: cleared, then only the fixed one; started in the system directory; and .NET's
    // profiler variables, which load code into PowerShell itself, stop it before it starts one.
    const cleared = script.indexOf('$info.EnvironmentVariables.Clear()');
    expect(cleared).toBeGreaterThan(0);
    expect(script.indexOf('$info.EnvironmentVariables[$line.Substring(0, $at)]')).toBeGreaterThan(
      cleared,
    );
    expect(script).toContain('$info.WorkingDirectory = [Environment]::SystemDirectory');
    expect(script).toMatch(/'\^\(COR_\|COMPLUS_\|CORECLR_\|DOTNET_\)'[\s\S]*exit 11/);
    expect(script.indexOf('exit 11')).toBeLessThan(script.indexOf('[Diagnostics.Process]::Start'));
    // The prelude too builds its encoding with .NET, not New-Object: no cmdlet, no module.
    expect(script).not.toMatch(/\b[A-Z][a-z]+-[A-Z][A-Za-z]+\b/);
    const { data } = split(script);
    expect(data.environment).toBe(ADMIN_ENVIRONMENT_LINES);
    expect(data.program).toBe(APP_EXE);
    expect(parseCommandLine(data.arguments!)).toEqual([
      APP_PRIVILEGED,
      '--answer-nonce',
      NONCE,
      ...APPLY,
    ]);
  });

  it('a DLL beside Paddock.exe that Users may change: refused before any prompt, naming it', async () => {
    const { host, calls } = windowsHost(
      { trust: rows('program-files-app-dll-users-win11.txt') },
      {},
      { [APP_DIR]: APP_DIR_LISTING },
    );
    const result = await runElevatedWindows(host, APP_SELF, APPLY, undefined, NONCE);
    expect(!result.ok && result.message).toMatch(
      /^Windows' admin prompt was not offered: .*Users may change C:\\Program Files\\Paddock\\ffmpeg\.dll.*install it for all users/,
    );
    expect(calls.map((c) => c.id)).toEqual(['pathAcl']);
  });

  it('a program folder that cannot be listed: refused before any prompt (its DLLs could not be judged)', async () => {
    const { host, calls } = windowsHost({ trust: rows('program-files-app-win11.txt') }, {}, {});
    const result = await runElevatedWindows(host, APP_SELF, APPLY, undefined, NONCE);
    expect(!result.ok && result.message).toMatch(
      /not offered: .*the DLL and data files beside Paddock's program could not all be listed/,
    );
    expect(calls).toEqual([]);
  });

  it('windowsRuntimeFiles: the DLL and data files of the program’s own folder, nothing else', () => {
    expect(windowsRuntimeFiles(APP_EXE, APP_DIR_LISTING)).toEqual([
      `${APP_DIR}\\ffmpeg.dll`,
      `${APP_DIR}\\icudtl.dat`,
      `${APP_DIR}\\v8_context_snapshot.bin`,
    ]);
    // A folder it cannot list, or more files than it judges: refused (null), never skipped.
    expect(windowsRuntimeFiles(APP_EXE, null)).toBeNull();
    expect(
      windowsRuntimeFiles(
        APP_EXE,
        Array.from({ length: 100 }, (_, i) => `x${i}.dll`),
      ),
    ).toBeNull();
    expect(windowsRuntimeFiles('Paddock.exe', APP_DIR_LISTING)).toEqual([]);
  });

  it('.NET profiler variables in the account: the runner starts nothing, and the user is told what to remove', async () => {
    const { host, calls, readFile } = windowsHost({
      trust: rows('program-files-app-win11.txt'),
      elevate: started({ ExitCode: 11 }),
    });
    const result = await runElevatedWindows(host, APP_SELF, APPLY, undefined, NONCE);
    expect(result).toEqual({
      ok: false,
      cancelled: false,
      message: expect.stringMatching(
        /^The admin side was not started: your account's environment variables hold \.NET's COR_, COMPLUS_, CORECLR_ or DOTNET_ settings.*Nothing was changed\.$/,
      ),
    });
    // Its answers folder was checked for an answer, and none was there to read.
    expect(calls.map((c) => c.id)).toEqual(['pathAcl', 'elevate', 'pathAcl']);
    expect(readFile).not.toHaveBeenCalled();
  });

  it('exit code 11 from the admin side itself, with its answer: the answer is what counts', async () => {
    const answer = { code: 11, text: 'the admin side said so', notes: [] };
    const { host } = windowsHost(
      {
        trust: rows('program-files-app-win11.txt'),
        elevate: started({ ExitCode: 11 }),
        answerAcl: rows('programdata-answers-win11.txt'),
      },
      { [ANSWER]: JSON.stringify(answer) },
    );
    const result = await runElevatedWindows(host, APP_SELF, APPLY, undefined, NONCE);
    expect(result).toMatchObject({ ok: true, code: 11, stdout: 'the admin side said so' });
  });

  it('UAC cancelled (ERROR_CANCELLED): cancelled, the admin prompt was cancelled, nothing read or changed', async () => {
    const { host, calls, readFile } = windowsHost({
      trust: rows('program-files-win11.txt'),
      elevate: started({
        Started: false,
        Cancelled: true,
        ExitCode: null,
        Error:
          'This command cannot be run due to the error: The operation was canceled by the user.',
      }),
    });
    const result = await runElevatedWindows(host, SELF, APPLY, undefined, NONCE);
    expect(result).toEqual({ ok: false, cancelled: true, message: CANCELLED_MESSAGE });
    expect(CANCELLED_MESSAGE).toBe('the admin prompt was cancelled');
    expect(calls.map((c) => c.id)).toEqual(['pathAcl', 'elevate']);
    expect(readFile).not.toHaveBeenCalled();
  });

  it('approved: the answer is read from the admin side’s checked folder only, its path from the registry, not the environment', async () => {
    const answer = {
      code: 0,
      text: '{"id":"run-1","state":"applied"}',
      notes: ['an interrupted fix was rolled back'],
    };
    const { host, calls, readFile } = windowsHost(
      {
        trust: rows('program-files-win11.txt'),
        elevate: started(),
        answerAcl: rows('programdata-answers-win11.txt'),
      },
      {
        [ANSWER]: JSON.stringify(answer),
        'C:\\Users\\alice\\evil\\Paddock\\answers\\x.json': '{}',
      },
    );
    const result = await runElevatedWindows(host, SELF, APPLY, undefined, NONCE);
    expect(result).toEqual({
      ok: true,
      stdout: answer.text,
      code: 0,
      via: 'UAC',
      notes: answer.notes,
    });
    expect(calls.map((c) => c.id)).toEqual(['pathAcl', 'elevate', 'pathAcl']);
    expect(calls[1]!.data.program).toBe(POWERSHELL_EXE);
    const runner = split(
      decodePowerShellCommand(parseCommandLine(calls[1]!.data.arguments!).at(-1)!),
    ).data;
    expect(runner).toEqual({
      program: NODE,
      arguments: `"${CJS}" --answer-nonce ${NONCE} ${APPLY.join(' ')}`,
      environment: ADMIN_ENVIRONMENT_LINES,
    });
    expect(calls[2]!.data.paths).toBe(ANSWER);
    expect(readFile.mock.calls.map((c) => c[0])).toEqual([ANSWER]);
  });

  it('an answer owned by the administrator who approved the prompt is read; one that others may write is not', async () => {
    const answer = { code: 0, text: '{"state":"applied"}', notes: [] };
    const withFile = (change: (row: Record<string, unknown>) => Record<string, unknown>) =>
      JSON.stringify(
        (JSON.parse(rows('programdata-answers-win11.txt')) as Array<Record<string, unknown>>).map(
          (r) => (r.Path === ANSWER ? change(r) : r),
        ),
      );
    const admin = { OwnerSid: 'S-1-5-21-3623811015-3361044348-30300820-500', Owner: 'PC\\admin' };
    const owned = windowsHost(
      {
        trust: rows('program-files-win11.txt'),
        elevate: started(),
        answerAcl: withFile((r) => ({ ...r, ...admin })),
      },
      { [ANSWER]: JSON.stringify(answer) },
    );
    expect(await runElevatedWindows(owned.host, SELF, APPLY, undefined, NONCE)).toMatchObject({
      ok: true,
      stdout: answer.text,
    });
    const everyone = {
      Identity: 'Everyone',
      Sid: 'S-1-1-0',
      Type: 'Allow',
      Rights: 1245631,
      Inherited: false,
      InheritanceFlags: 0,
      PropagationFlags: 0,
    };
    const writable = windowsHost(
      {
        trust: rows('program-files-win11.txt'),
        elevate: started(),
        answerAcl: withFile((r) => ({ ...r, Access: [...(r.Access as unknown[]), everyone] })),
      },
      { [ANSWER]: JSON.stringify(answer) },
    );
    const result = await runElevatedWindows(writable.host, SELF, APPLY, undefined, NONCE);
    expect(!result.ok && result.message).toMatch(
      /its answer cannot be trusted: Everyone may change C:\\ProgramData\\Paddock\\answers\\0123456789abcdef0123456789abcdef\.json \(/,
    );
    expect(writable.readFile).not.toHaveBeenCalled();
  });

  it('an answers folder a user made first is not believed, and its file is never read', async () => {
    const { host, readFile } = windowsHost(
      {
        trust: rows('program-files-win11.txt'),
        elevate: started(),
        answerAcl: rows('programdata-planted-win11.txt'),
      },
      { [ANSWER]: JSON.stringify({ code: 0, text: '{"state":"applied"}', notes: [] }) },
    );
    const result = await runElevatedWindows(host, SELF, APPLY, undefined, NONCE);
    expect(result).toEqual({
      ok: false,
      cancelled: false,
      message:
        'The admin side ran (exit code 0), but its answer cannot be trusted: C:\\ProgramData\\Paddock is owned by DESKTOP-7Q2KMVB\\alice, who can change it without admin rights. Check `paddock history` before trying again.',
    });
    expect(readFile).not.toHaveBeenCalled();
  });

  it('no answer left: says so, with the admin side’s reason when it had no safe folder', async () => {
    const { host } = windowsHost({
      trust: rows('program-files-win11.txt'),
      elevate: started({ ExitCode: NO_ANSWER_FOLDER_EXIT }),
      answerAcl: JSON.stringify(
        (JSON.parse(rows('programdata-answers-win11.txt')) as Array<Record<string, unknown>>).map(
          (r) => (r.Path === ANSWER ? { ...r, Exists: false, Access: [], OwnerSid: '' } : r),
        ),
      ),
    });
    const result = await runElevatedWindows(host, SELF, APPLY, undefined, NONCE);
    expect(!result.ok && result.message).toBe(
      "The admin side ran (exit code 10), but its answer cannot be trusted: it found no safe folder to answer in (C:\\ProgramData\\Paddock\\answers is not only administrators'; an administrator should remove it, and Paddock makes it again). Check `paddock history` before trying again.",
    );
  });

  it('a nonce that is not 32 hex digits is refused before anything runs', async () => {
    for (const nonce of [
      '..\\..\\Windows\\x',
      'ABCDEF0123456789ABCDEF0123456789',
      '0123',
      `${NONCE}0`,
    ]) {
      const { host, calls } = windowsHost({ trust: rows('program-files-win11.txt') });
      const result = await runElevatedWindows(host, SELF, APPLY, undefined, nonce);
      expect(result).toEqual({
        ok: false,
        cancelled: false,
        message:
          'The answer nonce is not 32 hex digits; the admin prompt was not offered. Nothing was changed.',
      });
      expect(calls).toEqual([]);
    }
    expect(() => answerPath('C:\\ProgramData', 'x')).toThrow(/32 hex digits/);
  });

  it('an argument with a newline is refused before the prompt', async () => {
    const { host, calls } = windowsHost({ trust: rows('program-files-win11.txt') });
    const result = await runElevatedWindows(host, SELF, ['__undo-run', 'x\ny'], undefined, NONCE);
    expect(!result.ok && result.message).toBe(
      'The admin prompt was not offered: an argument for the admin prompt holds a control character. Nothing was changed.',
    );
    expect(calls.map((c) => c.id)).toEqual(['pathAcl']);
  });
});

describe('ProgramData comes from the system', () => {
  it('%SystemDrive% is the system directory’s drive; any other variable is refused', () => {
    expect(programDataOf('%SystemDrive%\\ProgramData', 'D:\\Windows\\system32')).toEqual({
      ok: true,
      path: 'D:\\ProgramData',
    });
    expect(programDataOf('E:\\Daten\\ProgramData\\', 'C:\\WINDOWS\\system32')).toEqual({
      ok: true,
      path: 'E:\\Daten\\ProgramData',
    });
    expect(programDataOf('%USERPROFILE%\\ProgramData', 'C:\\WINDOWS\\system32')).toEqual({
      ok: false,
      why: 'ProgramData (%USERPROFILE%\\ProgramData) names a variable other than %SystemDrive%',
    });
    expect(programDataOf('', 'C:\\WINDOWS\\system32').ok).toBe(false);
    expect(programDataOf('\\\\server\\pd', 'C:\\WINDOWS\\system32').ok).toBe(false);
  });
});

describe('the elevated side on Windows', () => {
  const ADMIN_PLACES = {
    Admin: true,
    UserSid: ALICE,
    ProgramData: '%SystemDrive%\\ProgramData',
    SystemDirectory: 'C:\\WINDOWS\\system32',
  };
  const deps = (over: Partial<WindowsPrivilegedDeps> = {}) => {
    const written: Array<[string, string]> = [];
    const said: string[] = [];
    const run = vi.fn(async () => ({ text: '{"state":"applied"}', code: 0, notes: ['n'] }));
    return {
      written,
      said,
      run,
      deps: {
        run,
        programFiles: SELF,
        startEnvironment: ['Path', 'USERPROFILE'],
        writeAnswer: (path: string, text: string) => written.push([path, text]),
        say: (line: string) => said.push(line),
        systemDirectory: 'C:\\WINDOWS\\system32' as string | null,
        ...over,
      } satisfies WindowsPrivilegedDeps,
    };
  };
  const folders = rows('programdata-admin-folders-win11.txt', 'program-files-win11.txt');

  it('checks its folders and its own install, runs in ProgramData\\Paddock\\runs, answers under the nonce', async () => {
    const { host, calls } = windowsHost({ places: ADMIN_PLACES, folders });
    const d = deps();
    const code = await windowsPrivilegedMain(host, ['--answer-nonce', NONCE, ...APPLY], d.deps);
    expect(code).toBe(0);
    expect(d.run).toHaveBeenCalledWith(APPLY, 'C:\\ProgramData\\Paddock\\runs');
    expect(d.written).toEqual([
      [ANSWER, JSON.stringify({ code: 0, text: '{"state":"applied"}', notes: ['n'] })],
    ]);
    expect(calls.map((c) => c.id)).toEqual(['systemPlaces', 'adminFolders']);
    expect(calls[1]!.data).toEqual({
      base: 'C:\\ProgramData\\Paddock',
      paths: [
        'C:\\ProgramData\\Paddock\\runs',
        'C:\\ProgramData\\Paddock\\answers',
        NODE,
        CJS,
      ].join('\n'),
    });
  });

  it("Windows on another drive (C:\\Windows could be any user's folder there): nothing is started at all", async () => {
    const { host, calls } = windowsHost({ places: ADMIN_PLACES, folders });
    for (const systemDirectory of ['D:\\Windows\\System32', null]) {
      const d = deps({ systemDirectory });
      expect(await windowsPrivilegedMain(host, ['--answer-nonce', NONCE, ...APPLY], d.deps)).toBe(
        2,
      );
      expect(d.run).not.toHaveBeenCalled();
      expect(d.said.join(' ')).toMatch(/Windows is not in C:\\Windows on this PC.*Nothing was run/);
    }
    expect(calls).toEqual([]);
  });

  it('where Windows is comes from the DLLs the process loaded, not from a variable', () => {
    expect(
      loadedSystemDirectory([
        'C:\\Program Files\\nodejs\\node.exe',
        'C:\\WINDOWS\\SYSTEM32\\ntdll.dll',
        'C:\\WINDOWS\\System32\\KERNEL32.DLL',
      ]),
    ).toBe('C:\\WINDOWS\\SYSTEM32');
    expect(loadedSystemDirectory(['D:\\Win\\System32\\ntdll.dll'])).toBe('D:\\Win\\System32');
    expect(loadedSystemDirectory(['C:\\Users\\x\\ntdll.dll'])).toBeNull();
    expect(loadedSystemDirectory(undefined)).toBeNull();
  });

  it('Node and OpenSSL variables of the account refuse the run, OPENSSL_CONF included', async () => {
    const { host } = windowsHost({ places: ADMIN_PLACES, folders });
    const d = deps({ startEnvironment: ['Path', 'OPENSSL_CONF', 'NODE_ICU_DATA'] });
    expect(await windowsPrivilegedMain(host, ['--answer-nonce', NONCE, ...APPLY], d.deps)).toBe(2);
    expect(d.run).not.toHaveBeenCalled();
    expect(d.written[0]![1]).toMatch(/OPENSSL_CONF, NODE_ICU_DATA is set/);
  });

  it('a nonce that is not hex: nothing runs, no file is written', async () => {
    const { host, calls } = windowsHost({ places: ADMIN_PLACES, folders });
    const d = deps();
    for (const args of [
      ['--answer-nonce', '..\\..\\evil', ...APPLY],
      ['--answer-nonce', NONCE.toUpperCase(), ...APPLY],
      APPLY,
    ]) {
      expect(await windowsPrivilegedMain(host, args, d.deps)).toBe(2);
    }
    expect(calls).toEqual([]);
    expect(d.run).not.toHaveBeenCalled();
    expect(d.written).toEqual([]);
    expect(d.said[0]).toMatch(/--answer-nonce and 32 hex digits first; nothing was run/);
  });

  it('a folder a user planted under ProgramData: refused, nothing run, nothing written there', async () => {
    const { host } = windowsHost({
      places: ADMIN_PLACES,
      folders: rows('programdata-planted-win11.txt', 'program-files-win11.txt'),
    });
    const d = deps();
    expect(await windowsPrivilegedMain(host, ['--answer-nonce', NONCE, ...APPLY], d.deps)).toBe(
      NO_ANSWER_FOLDER_EXIT,
    );
    expect(d.run).not.toHaveBeenCalled();
    expect(d.written).toEqual([]);
    expect(d.said).toEqual([
      'refusing to run: C:\\ProgramData\\Paddock is owned by DESKTOP-7Q2KMVB\\alice, who can change it without admin rights. Its folder C:\\ProgramData\\Paddock must be made and owned by administrators only; an administrator should remove what is there, and Paddock makes it again. Nothing was run.',
    ]);
  });

  it('without admin rights it runs nothing', async () => {
    const { host, calls } = windowsHost({ places: { ...ADMIN_PLACES, Admin: false }, folders });
    const d = deps();
    expect(await windowsPrivilegedMain(host, ['--answer-nonce', NONCE, ...APPLY], d.deps)).toBe(2);
    expect(calls.map((c) => c.id)).toEqual(['systemPlaces']);
    expect(d.run).not.toHaveBeenCalled();
  });

  it('from a per-user install: refused in its answer, which says how to install for all users', async () => {
    const userCjs =
      'C:\\Users\\alice\\AppData\\Local\\Programs\\Paddock\\resources\\paddock-privileged.cjs';
    const { host } = windowsHost({
      places: ADMIN_PLACES,
      folders: rows('programdata-admin-folders-win11.txt', 'localappdata-programs-win11.txt'),
    });
    const d = deps({ programFiles: [NODE, userCjs] });
    expect(await windowsPrivilegedMain(host, ['--answer-nonce', NONCE, ...APPLY], d.deps)).toBe(2);
    expect(d.run).not.toHaveBeenCalled();
    const [[path, text]] = d.written as [[string, string]];
    expect(path).toBe(ANSWER);
    expect(JSON.parse(text)).toEqual({
      code: 2,
      notes: [],
      text: expect.stringMatching(
        /^refused, nothing was run: this copy of Paddock can be changed without admin rights \(.*alice.*\)\. Install Paddock for all users \(into C:\\Program Files\) and apply the fix from that copy\.$/,
      ),
    });
  });

  it('the DLLs beside its own binary could not all be named: refused in its answer, nothing run', async () => {
    const { host } = windowsHost({ places: ADMIN_PLACES, folders });
    const d = deps({
      programFilesProblem:
        "the DLL and data files beside Paddock's program could not all be listed",
    });
    expect(await windowsPrivilegedMain(host, ['--answer-nonce', NONCE, ...APPLY], d.deps)).toBe(2);
    expect(d.run).not.toHaveBeenCalled();
    const [[, text]] = d.written as [[string, string]];
    expect(JSON.parse(text).text).toMatch(
      /^refused, nothing was run: this copy of Paddock can be changed without admin rights \(the DLL and data files beside Paddock's program could not all be listed\)/,
    );
  });

  it('NODE_OPTIONS in the environment it started with: refused, and the user told where to remove it', async () => {
    const { host } = windowsHost({ places: ADMIN_PLACES, folders });
    const d = deps({ startEnvironment: ['Path', 'NODE_OPTIONS'] });
    expect(await windowsPrivilegedMain(host, ['--answer-nonce', NONCE, ...APPLY], d.deps)).toBe(2);
    expect(d.run).not.toHaveBeenCalled();
    expect(JSON.parse(d.written[0]![1]).text).toMatch(
      /^refused, nothing was run: NODE_OPTIONS is set in your account's environment, and Node acts on it before Paddock's first line runs/,
    );
  });
});
