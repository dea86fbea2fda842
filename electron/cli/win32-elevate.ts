/**
 * The privileged side on Windows (issue 17): the same design as sudo and pkexec on Linux
 * (docs/security.md), through UAC. The caller names a command (`__apply-fix FIX INSTANCE
 * DIGEST`, `__undo-run RUN`); the elevated side makes the plan again from its own scan and runs
 * it only when its digest is the one approved (privileged.ts). What differs is how it is
 * started and how its answer comes back.
 *
 * The caller (unelevated, `runElevatedWindows`):
 *
 *   1. asks whether an administrator's process could trust the program: PS_PATH_ACL reads the
 *      owner and access rules of the program (the desktop app's Paddock.exe, or the CLI's
 *      node.exe), its paddock-privileged script and every folder above them
 *      up to the drive root, and host/trust.ts judges them (windowsInstallProblem). A program
 *      that a non-admin could change (the per-user install in %LOCALAPPDATA%\Programs, a
 *      checkout, a folder where Users may write) is refused before any prompt, with what to do
 *      instead (install Paddock for all users, into Program Files);
 *   2. draws a nonce (128 random bits, 32 hex digits) and starts the program through UAC's own
 *      prompt with Windows PowerShell's `Start-Process -Verb RunAs -Wait -PassThru`
 *      (PS_ELEVATE; the program and its command line travel as base64 data, powershell.ts) of
 *      Windows PowerShell running PS_RUN_AS_NODE, which starts `PROGRAM SCRIPT --answer-nonce
 *      NONCE COMMAND…` with ELECTRON_RUN_AS_NODE=1 (an elevated process gets a fresh
 *      environment, so the caller cannot pass it) and exits with its code. ShellExecute's runas
 *      hands back no stdout, only an exit code; a prompt the user cancels is ERROR_CANCELLED
 *      (1223, "The operation was canceled by the user"), recognised by its code and by the
 *      system's own text for it, in any language;
 *   3. reads the answer from `<ProgramData>\Paddock\answers\<NONCE>.json` only after checking,
 *      with PS_PATH_ACL again, that the folder is the admin side's own (owner Administrators or
 *      SYSTEM, no write for anyone else on it or above it) and that the file is one only an
 *      administrator (or this user's own elevated process) could have written. ProgramData is
 *      the machine's, read from the registry (HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion
 *      \ProfileList, value ProgramData, unexpanded) and the system directory (GetSystemDirectory,
 *      for %SystemDrive%), never from an environment variable.
 *
 * The elevated side (`windowsPrivilegedMain`, started by privileged-entry.ts):
 *
 *   1. has already dropped the environment it started with for WINDOWS_ADMIN_ENVIRONMENT
 *      (host/trust.ts) before it starts any program; refuses a nonce that is not 32 hex digits;
 *   2. checks that it holds admin rights (an elevated token: Administrators enabled);
 *   3. derives ProgramData the same way, creates `Paddock`, `Paddock\runs` and
 *      `Paddock\answers` when missing, each with its security descriptor given at creation
 *      (owner Administrators, SYSTEM and Administrators full control, inheritance from
 *      ProgramData cut; in `answers`, Users may open a file by its exact name and read it, not
 *      list the folder), and checks them, as they are, with the same judge: a folder another
 *      user made there first (ProgramData lets Users create folders) is refused, never used
 *      and never "repaired";
 *   4. refuses to run from files a non-admin could change (the same check as the caller's);
 *   5. runs the command with runs kept in `<ProgramData>\Paddock\runs` (the counterpart of
 *      /var/lib/paddock/runs) and writes its answer, `{ code, text, notes }`, as a new file
 *      (never over one that exists) into `answers`. Answers older than an hour are removed
 *      when the next elevated run starts (the caller cannot delete them: it may only read).
 *
 * Every PowerShell template here uses .NET types only, no cmdlet but Start-Process in the
 * unelevated caller: an elevated PowerShell loads no module, so none from a user's
 * Documents\WindowsPowerShell\Modules.
 *
 * What UAC does not protect, and this does not either: in Windows' admin approval mode the
 * elevated process is the same user's, started with that user's own environment variables
 * (HKCU\Environment), which Node reads before Paddock's first line (NODE_OPTIONS). Malware
 * already running as that user can set them; Microsoft does not count same-user elevation as a
 * security boundary. The elevated side refuses to go on when it finds NODE_OPTIONS and the like
 * in the environment it started with (a mistake is caught; code that already ran is not
 * undone). A standard user elevating with an administrator's credentials gets that
 * administrator's environment, which the standard user cannot change.
 */
import { randomBytes } from 'node:crypto';
import type { PsTemplate } from '../engine/probes/win32/powershell';
import {
  PowerShellArgvError,
  powershellArgv,
  powershellErrorText,
} from '../engine/probes/win32/powershell';
import type { WindowsAclEntry } from '../engine/host/trust';
import {
  WINDOWS_ADMIN_ENVIRONMENT,
  parseWindowsAcl,
  windowsAclEntryProblem,
  windowsChainProblem,
  windowsInstallProblem,
  windowsPathProblem,
} from '../engine/host/trust';
import type { Host } from '../engine/host/types';
import { ANSWER_NONCE, WINDOWS_ANSWER_OPTION, windowsAdminDirs } from './privileged-commands';

/** What runElevated returns (elevate.ts's Elevated; repeated here to keep imports one-way). */
export type WindowsElevated =
  | { ok: true; stdout: string; code: number; via: string; notes: string[] }
  | { ok: false; cancelled: boolean; message: string };

export const UAC_VIA = 'UAC';
export const CANCELLED_MESSAGE = 'the admin prompt was cancelled';
/** The elevated side's exit code when it has no safe folder to answer in. */
export const NO_ANSWER_FOLDER_EXIT = 10;
/** PS_RUN_AS_NODE's exit code when the environment UAC gave it loads code into .NET. */
export const RUNNER_REFUSED_EXIT = 11;

const ELEVATED_TIMEOUT_MS = 120_000;
const PS_TIMEOUT_MS = 30_000;
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

// ── PowerShell templates ─────────────────────────────────────────────────────────────────

/**
 * One row per file or folder on the way to each path (drive root first, each once): whether
 * it exists, is a folder, is a reparse point, its owner and its access rules, as SIDs, with
 * the account names for messages. The rules are those Get-Acl shows (FileSystemAccessRule:
 * IdentityReference, FileSystemRights, AccessControlType, IsInherited, InheritanceFlags,
 * PropagationFlags), read through the .NET methods Get-Acl itself uses, so that no module is
 * loaded; rights, flags and type as numbers and a name (PowerShell 5.1 prints enums as numbers).
 */
const ACL_ROWS = `
  $sidType = [Security.Principal.SecurityIdentifier]
  $seen = @{}
  $rows = @(foreach ($path in $paths) {
    $chain = [System.Collections.Generic.List[string]]::new()
    $p = $path
    while (-not [string]::IsNullOrEmpty($p)) { $chain.Insert(0, $p); $p = [IO.Path]::GetDirectoryName($p) }
    foreach ($here in $chain) {
      if (-not $seen.ContainsKey($here)) {
        $seen[$here] = $true
        $row = [ordered]@{ Path = $here; Exists = $false; Container = $false; ReparsePoint = $false; Owner = ''; OwnerSid = ''; Access = @(); Error = $null }
        try {
          $isDir = [IO.Directory]::Exists($here)
          if ($isDir -or [IO.File]::Exists($here)) {
            $row.Exists = $true
            $row.Container = $isDir
            $row.ReparsePoint = (([IO.File]::GetAttributes($here) -band [IO.FileAttributes]::ReparsePoint) -ne 0)
            if ($isDir) { $acl = [IO.Directory]::GetAccessControl($here) } else { $acl = [IO.File]::GetAccessControl($here) }
            $owner = $acl.GetOwner($sidType)
            $row.OwnerSid = $owner.Value
            $row.Owner = $owner.Value
            try { $row.Owner = $owner.Translate([Security.Principal.NTAccount]).Value } catch { }
            $row.Access = @(foreach ($rule in @($acl.GetAccessRules($true, $true, $sidType))) {
              $name = $rule.IdentityReference.Value
              try { $name = $rule.IdentityReference.Translate([Security.Principal.NTAccount]).Value } catch { }
              [pscustomobject]@{
                Identity = $name
                Sid = $rule.IdentityReference.Value
                Type = [string]$rule.AccessControlType
                Rights = [int]$rule.FileSystemRights
                Inherited = $rule.IsInherited
                InheritanceFlags = [int]$rule.InheritanceFlags
                PropagationFlags = [int]$rule.PropagationFlags
              }
            })
          }
        } catch { $row.Error = $_.Exception.Message }
        [pscustomobject]$row
      }
    }
  })`;

/** The security descriptors of `paths` (one per line) and every folder above them → parseWindowsAcl. */
export const PS_PATH_ACL: PsTemplate = {
  id: 'pathAcl',
  description: 'owner and access rules of each path and every folder above it, as SIDs',
  params: ['paths'],
  body: `
  $paths = @($v_paths.Split([char]10) | Where-Object { $_ -ne '' })
${ACL_ROWS}`,
};

/**
 * The machine's ProgramData as the registry holds it (unexpanded), the system directory
 * (GetSystemDirectory: where Windows is, not what %SystemRoot% says), whether this process
 * holds admin rights (Administrators enabled in its token: true only when elevated under
 * UAC), and its user's SID → parseSystemPlaces.
 */
export const PS_SYSTEM_PLACES: PsTemplate = {
  id: 'systemPlaces',
  description: 'ProfileList ProgramData (unexpanded), the system directory, admin rights, user SID',
  params: [],
  body: `
  $identity = [Security.Principal.WindowsIdentity]::GetCurrent()
  $principal = [Security.Principal.WindowsPrincipal]::new($identity)
  $key = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList')
  $raw = ''
  if ($null -ne $key) { $raw = [string]$key.GetValue('ProgramData', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames) }
  $rows = @([pscustomobject]@{
    Admin = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
    UserSid = $identity.User.Value
    ProgramData = $raw
    SystemDirectory = [Environment]::SystemDirectory
  })`,
};

/**
 * As an administrator: creates `base`, `base\runs` and `base\answers` where missing, each with
 * its security descriptor given at creation (owner Administrators; SYSTEM and Administrators
 * full control; nothing inherited from ProgramData; in answers, Users may traverse it and read
 * a file they name, never list it), never touching one that exists (a folder below a link is
 * not made); removes answers older than an hour; then prints PS_PATH_ACL's rows for `paths`.
 */
export const PS_ADMIN_FOLDERS: PsTemplate = {
  id: 'adminFolders',
  description: 'the admin side creates its folders under ProgramData, then their ACL rows',
  params: ['base', 'paths'],
  body: `
  $admins = [Security.Principal.SecurityIdentifier]::new('S-1-5-32-544')
  $system = [Security.Principal.SecurityIdentifier]::new('S-1-5-18')
  $users = [Security.Principal.SecurityIdentifier]::new('S-1-5-32-545')
  $full = [Security.AccessControl.FileSystemRights]::FullControl
  $both = [Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
  $noFlags = [Security.AccessControl.InheritanceFlags]::None
  $none = [Security.AccessControl.PropagationFlags]::None
  $allow = [Security.AccessControl.AccessControlType]::Allow
  $answers = $v_base + '\\answers'
  foreach ($dir in @($v_base, ($v_base + '\\runs'), $answers)) {
    $parent = [IO.Path]::GetDirectoryName($dir)
    if (([IO.File]::GetAttributes($parent) -band [IO.FileAttributes]::ReparsePoint) -ne 0) { throw ($parent + ' is a link') }
    if (-not [IO.Directory]::Exists($dir)) {
      $security = [Security.AccessControl.DirectorySecurity]::new()
      $security.SetAccessRuleProtection($true, $false)
      $security.SetOwner($admins)
      $security.AddAccessRule([Security.AccessControl.FileSystemAccessRule]::new($system, $full, $both, $none, $allow))
      $security.AddAccessRule([Security.AccessControl.FileSystemAccessRule]::new($admins, $full, $both, $none, $allow))
      if ($dir -eq $answers) {
        $security.AddAccessRule([Security.AccessControl.FileSystemAccessRule]::new($users, [Security.AccessControl.FileSystemRights]'Traverse, ReadAttributes, Synchronize', $noFlags, $none, $allow))
        $security.AddAccessRule([Security.AccessControl.FileSystemAccessRule]::new($users, [Security.AccessControl.FileSystemRights]'ReadData, ReadAttributes, ReadPermissions, Synchronize', [Security.AccessControl.InheritanceFlags]::ObjectInherit, [Security.AccessControl.PropagationFlags]::InheritOnly, $allow))
      }
      $null = [IO.Directory]::CreateDirectory($dir, $security)
    }
  }
  $old = [DateTime]::UtcNow.AddHours(-1)
  foreach ($file in @([IO.Directory]::GetFiles($answers))) {
    $name = [IO.Path]::GetFileName($file)
    if (($name -match '^[0-9a-f]{32}[.]json$') -and ([IO.File]::GetLastWriteTimeUtc($file) -lt $old)) { [IO.File]::Delete($file) }
  }
  $paths = @($v_paths.Split([char]10) | Where-Object { $_ -ne '' })
${ACL_ROWS}`,
};

/**
 * UAC's own prompt: `Start-Process -Verb RunAs -Wait -PassThru` of `program` with the command
 * line `arguments` (already quoted, windowsCommandLine), its window hidden; then the exit code,
 * or whether the prompt was cancelled (ERROR_CANCELLED, 1223: by the Win32Exception's code
 * anywhere in the chain, or by the system's own text for 1223, which is in the user's language);
 * and the same facts as PS_SYSTEM_PLACES for finding the answer.
 */
export const PS_ELEVATE: PsTemplate = {
  id: 'elevate',
  description: 'Start-Process -Verb RunAs -Wait -PassThru, then where the answer is',
  params: ['program', 'arguments'],
  // The command line is PS_RUN_AS_NODE's own encoded command, about 4 KB.
  maxValueBytes: 8192,
  body: `
  $cancelText = [ComponentModel.Win32Exception]::new(1223).Message
  $row = [ordered]@{ Started = $false; Cancelled = $false; ExitCode = $null; Error = $null; UserSid = ''; ProgramData = ''; SystemDirectory = [Environment]::SystemDirectory }
  try {
    $process = Start-Process -FilePath $v_program -ArgumentList $v_arguments -Verb RunAs -WindowStyle Hidden -Wait -PassThru
    $row.Started = $true
    $row.ExitCode = $process.ExitCode
  } catch {
    $row.Error = $_.Exception.Message
    $e = $_.Exception
    while ($null -ne $e) {
      if (($e -is [ComponentModel.Win32Exception]) -and ($e.NativeErrorCode -eq 1223)) { $row.Cancelled = $true }
      if ($e.Message.Contains($cancelText)) { $row.Cancelled = $true }
      $e = $e.InnerException
    }
  }
  $row.UserSid = [Security.Principal.WindowsIdentity]::GetCurrent().User.Value
  $key = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList')
  if ($null -ne $key) { $row.ProgramData = [string]$key.GetValue('ProgramData', '', [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames) }
  $rows = @([pscustomobject]$row)`,
};

/**
 * What UAC starts: Windows PowerShell (System32, an administrator's own), which starts the
 * privileged program with an environment of its own, waits, and exits with its exit code. UAC
 * gives an elevated process a fresh environment of the user's (the caller's variables do not
 * reach it, the user's own registry ones do), so this script:
 * - refuses (RUNNER_REFUSED_EXIT) when that environment holds .NET's profiler or runtime
 *   variables (COR_*, COMPLUS_*, CORECLR_*, DOTNET_*), which load code into any .NET process,
 *   this PowerShell included: by then it has run, so nothing more is started, and the user is
 *   told which to remove;
 * - gives the program only `environment` (WINDOWS_ADMIN_ENVIRONMENT) and ELECTRON_RUN_AS_NODE=1,
 *   which lets the desktop app's own binary run `paddock-privileged` as Node (Node ignores it):
 *   nothing of the user's (NODE_COMPILE_CACHE, PSModulePath) reaches it;
 * - starts it in the system directory.
 * .NET types only (Process, ProcessStartInfo): no cmdlet, so no module is loaded as admin.
 * `arguments` is the command line windowsCommandLine built; `environment` NAME=VALUE lines.
 */
export const PS_RUN_AS_NODE: PsTemplate = {
  id: 'runAsNode',
  description:
    'the elevated PowerShell starts the privileged program as Node, in an environment of its own, and passes on its exit code',
  params: ['program', 'arguments', 'environment'],
  body: `
  $tainted = @()
  foreach ($name in [Environment]::GetEnvironmentVariables().Keys) {
    if ([string]$name -match '^(COR_|COMPLUS_|CORECLR_|DOTNET_)') { $tainted += [string]$name }
  }
  if ($tainted.Count -gt 0) {
    [Console]::Error.WriteLine('paddock: .NET variables in the environment: ' + ($tainted -join ', '))
    exit ${RUNNER_REFUSED_EXIT}
  }
  $info = [Diagnostics.ProcessStartInfo]::new($v_program, $v_arguments)
  $info.UseShellExecute = $false
  $info.CreateNoWindow = $true
  $info.WorkingDirectory = [Environment]::SystemDirectory
  $info.EnvironmentVariables.Clear()
  foreach ($line in $v_environment.Split([char]10)) {
    $at = $line.IndexOf([char]61)
    if ($at -gt 0) { $info.EnvironmentVariables[$line.Substring(0, $at)] = $line.Substring($at + 1) }
  }
  $info.EnvironmentVariables['ELECTRON_RUN_AS_NODE'] = '1'
  $process = [Diagnostics.Process]::Start($info)
  $process.WaitForExit()
  exit $process.ExitCode`,
};

/**
 * The argv UAC is asked to start for `privileged` and its arguments: PS_RUN_AS_NODE run by
 * Windows PowerShell, the program and its command line as base64 data. Throws (before anything
 * runs) when the program is not a plain absolute path or an argument holds a control character.
 */
export function elevatedRunnerArgv(
  privileged: readonly string[],
  args: readonly string[],
): string[] {
  const [program, ...rest] = privileged;
  if (program === undefined) throw new Error('no program to start');
  const problem = windowsPathProblem(program);
  if (problem) throw new Error(problem);
  return powershellArgv(PS_RUN_AS_NODE, {
    program,
    arguments: windowsCommandLine([...rest, ...args]),
    environment: Object.entries(WINDOWS_ADMIN_ENVIRONMENT)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n'),
  });
}

export const WIN32_ELEVATE_TEMPLATES: Readonly<Record<string, PsTemplate>> = {
  pathAcl: PS_PATH_ACL,
  systemPlaces: PS_SYSTEM_PLACES,
  adminFolders: PS_ADMIN_FOLDERS,
  elevate: PS_ELEVATE,
  runAsNode: PS_RUN_AS_NODE,
};

// ── pure parts ───────────────────────────────────────────────────────────────────────────

/** 128 random bits as 32 lowercase hex digits: the answer file's name. */
export function newAnswerNonce(): string {
  return randomBytes(16).toString('hex');
}

export function isAnswerNonce(value: unknown): value is string {
  return typeof value === 'string' && ANSWER_NONCE.test(value);
}

// eslint-disable-next-line no-control-regex -- control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * One argument for a Windows command line, as the Microsoft C runtime (node.exe's) splits it
 * ("Parsing C++ command-line arguments"): plain when it has no space, tab or double quote;
 * otherwise in double quotes, each quote as \" and the backslashes before a quote (or before
 * the closing one) doubled. A control character is refused, never passed on.
 */
export function windowsCommandLineArg(arg: string): string {
  if (CONTROL.test(arg))
    throw new Error('an argument for the admin prompt holds a control character');
  if (arg !== '' && !/[ \t"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      slashes += 1;
      continue;
    }
    out += ch === '"' ? `${'\\'.repeat(slashes * 2 + 1)}"` : `${'\\'.repeat(slashes)}${ch}`;
    slashes = 0;
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}

export function windowsCommandLine(args: readonly string[]): string {
  return args.map(windowsCommandLineArg).join(' ');
}

/**
 * The argv of the unelevated PowerShell that asks UAC to start `program` with `args`. Throws
 * (before anything runs) when the program is not a plain absolute path or an argument holds a
 * control character.
 */
export function elevateArgv(program: string, args: readonly string[]): string[] {
  const problem = windowsPathProblem(program);
  if (problem) throw new Error(problem);
  // Start-Process reads -FilePath as a wildcard pattern: `[` and `]` could make it start
  // another file than the one whose permissions were checked.
  if (/[[\]]/.test(program)) throw new Error(`${program}: a path with [ or ] is not started`);
  return powershellArgv(PS_ELEVATE, { program, arguments: windowsCommandLine(args) });
}

/**
 * The machine's ProgramData from the registry's unexpanded value and the system directory:
 * `%SystemDrive%` becomes the system directory's drive; any other variable, or a path that is
 * not a plain absolute one, is refused.
 */
export function programDataOf(
  raw: string,
  systemDirectory: string,
): { ok: true; path: string } | { ok: false; why: string } {
  if (typeof systemDirectory !== 'string' || !/^[A-Za-z]:\\/.test(systemDirectory))
    return {
      ok: false,
      why: `the system directory ${JSON.stringify(systemDirectory)} is not a drive path`,
    };
  if (typeof raw !== 'string' || raw === '')
    return { ok: false, why: 'the registry names no ProgramData folder' };
  const path = raw.replace(/^%SystemDrive%/i, systemDirectory.slice(0, 2)).replace(/\\+$/, '');
  if (path.includes('%'))
    return { ok: false, why: `ProgramData (${raw}) names a variable other than %SystemDrive%` };
  const problem = windowsPathProblem(path);
  return problem ? { ok: false, why: problem } : { ok: true, path };
}

/** The answer file for a nonce, in the admin side's answers folder. */
export function answerPath(programData: string, nonce: string): string {
  if (!isAnswerNonce(nonce)) throw new Error('the answer nonce is not 32 hex digits');
  return `${windowsAdminDirs(programData).answers}\\${nonce}.json`;
}

interface SystemPlaces {
  admin: boolean;
  userSid: string;
  programData: string;
  systemDirectory: string;
}

function firstRow(stdout: string): Record<string, unknown> | null {
  try {
    const json: unknown = JSON.parse(stdout);
    const row = Array.isArray(json) ? json[0] : json;
    return typeof row === 'object' && row !== null ? (row as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

export function parseSystemPlaces(stdout: string): SystemPlaces | null {
  const row = firstRow(stdout);
  if (!row || typeof row.Admin !== 'boolean') return null;
  return {
    admin: row.Admin,
    userSid: text(row.UserSid),
    programData: text(row.ProgramData),
    systemDirectory: text(row.SystemDirectory),
  };
}

export interface ElevationOutcome {
  started: boolean;
  cancelled: boolean;
  exitCode: number | null;
  error: string | null;
  userSid: string;
  programData: string;
  systemDirectory: string;
}

export function parseElevation(stdout: string): ElevationOutcome | null {
  const row = firstRow(stdout);
  if (!row || typeof row.Started !== 'boolean') return null;
  return {
    started: row.Started,
    cancelled: row.Cancelled === true,
    exitCode: typeof row.ExitCode === 'number' ? row.ExitCode : null,
    error: typeof row.Error === 'string' ? row.Error : null,
    userSid: text(row.UserSid),
    programData: text(row.ProgramData),
    systemDirectory: text(row.SystemDirectory),
  };
}

/** What the elevated side writes, and the caller reads back. */
export interface Answer {
  code: number;
  text: string;
  notes: string[];
}

export function parseAnswer(raw: string): Answer | null {
  const row = firstRow(raw);
  if (
    !row ||
    typeof row.code !== 'number' ||
    !Number.isInteger(row.code) ||
    typeof row.text !== 'string' ||
    !Array.isArray(row.notes) ||
    !row.notes.every((n) => typeof n === 'string')
  )
    return null;
  return { code: row.code, text: row.text, notes: row.notes as string[] };
}

// ── the caller ───────────────────────────────────────────────────────────────────────────

async function powershell(
  host: Host,
  template: PsTemplate,
  values: Record<string, string>,
): Promise<{ ok: true; stdout: string } | { ok: false; why: string }> {
  let argv: string[];
  try {
    argv = powershellArgv(template, values);
  } catch (error) {
    return { ok: false, why: error instanceof PowerShellArgvError ? error.message : String(error) };
  }
  const result = await host.exec(argv, { timeoutMs: PS_TIMEOUT_MS, maxBytes: MAX_ANSWER_BYTES });
  if (result.spawnError === 'ENOENT')
    return { ok: false, why: `Windows PowerShell is not at ${argv[0]}` };
  if (result.spawnError || result.timedOut || result.truncated || result.code !== 0)
    return {
      ok: false,
      why:
        powershellErrorText(result.stderr) ||
        (result.timedOut
          ? 'PowerShell did not answer in time'
          : `PowerShell exited with ${result.code}`),
    };
  return { ok: true, stdout: result.stdout };
}

/** The ACL rows of `paths` and the folders above them, or why they could not be read. */
export async function readPathAcl(
  host: Host,
  paths: readonly string[],
): Promise<WindowsAclEntry[] | string> {
  const bad = paths.map(windowsPathProblem).find((p) => p !== null);
  if (bad) return bad;
  const read = await powershell(host, PS_PATH_ACL, { paths: paths.join('\n') });
  if (!read.ok) return `the permissions could not be read (${read.why})`;
  return parseWindowsAcl(read.stdout) ?? 'the permissions PowerShell printed could not be read';
}

/**
 * Why an administrator's process must not run `files` (the privileged program: node.exe and
 * paddock-privileged.cjs), or null. Asked before UAC's prompt is offered, and again by the
 * elevated side itself.
 */
/**
 * What else the program loads from its own folder before any of Paddock's code runs: the DLLs
 * Windows' loader maps (ffmpeg.dll beside Paddock.exe) and the data files V8 and ICU read
 * (`*.bin`, `*.dat`). The folder itself is judged with the program (no one else may add a file
 * there); these are judged too, each by its own rules. Sorted, at most 64.
 */
export function windowsRuntimeFiles(
  program: string,
  names: readonly string[] | null,
): string[] | null {
  const at = program.lastIndexOf('\\');
  if (at < 0) return [];
  if (names === null) return null;
  const folder = program.slice(0, at);
  const self = program.slice(at + 1).toLowerCase();
  const files = names
    .filter(
      (name) => /^[^\\/:*?"<>|]+\.(?:dll|bin|dat)$/i.test(name) && name.toLowerCase() !== self,
    )
    .sort()
    .map((name) => `${folder}\\${name}`);
  return files.length > 64 ? null : files;
}

/** windowsRuntimeFiles of the host's own listing of the program's folder (null: refuse). */
export async function windowsRuntimeFilesOf(host: Host, program: string): Promise<string[] | null> {
  const at = program.lastIndexOf('\\');
  if (at < 0) return [];
  const listed = await host.readDir(program.slice(0, at));
  return windowsRuntimeFiles(program, listed.ok ? listed.entries : null);
}

/** Why the files a program loads could not all be named. */
export const RUNTIME_FILES_UNLISTED =
  "the DLL and data files beside Paddock's program could not all be listed (its folder unreadable, or more than 64 of them)";

export async function windowsProgramTrustProblem(
  host: Host,
  files: readonly string[],
): Promise<string | null> {
  if (files.length === 0) return 'no program was named';
  const entries = await readPathAcl(host, files);
  return typeof entries === 'string' ? entries : windowsInstallProblem(files, entries);
}

const nothingChanged = (message: string): WindowsElevated => ({
  ok: false,
  cancelled: false,
  message: `${message} Nothing was changed.`,
});

/** The words a user sees when Paddock is installed where a non-admin could change it. */
export function perUserInstallMessage(problem: string): string {
  return `Windows' admin prompt was not offered: Paddock's admin side would run from files that can be changed without admin rights (${problem}). A fix that needs admin rights needs Paddock installed for all users: run Paddock's installer again, choose to install it for all users (it then goes into C:\\Program Files), and apply the fix from that copy.`;
}

/**
 * Runs one privileged command as an administrator through UAC (see the header): `ok: true`
 * means the elevated side ran and answered, whatever its own exit code; `ok: false` means it
 * never ran, or its answer could not be trusted.
 */
export async function runElevatedWindows(
  host: Host,
  privileged: readonly string[],
  command: readonly string[],
  input?: string,
  nonce: string = newAnswerNonce(),
): Promise<WindowsElevated> {
  if (input !== undefined)
    return nothingChanged("Windows' admin prompt cannot pass input to the admin side.");
  if (!isAnswerNonce(nonce))
    return nothingChanged(
      'The answer nonce is not 32 hex digits; the admin prompt was not offered.',
    );
  // No admin side found beside this copy of Paddock (a build without its resources): said
  // plainly, before anything is read or offered.
  if (privileged.length === 0 || !/^[A-Za-z]:\\/.test(privileged[0] ?? ''))
    return nothingChanged(
      'This copy of Paddock has no admin side (`paddock-privileged`) to start: reinstall Paddock for all users, or close the port in Windows Defender Firewall yourself.',
    );
  const runtime = await windowsRuntimeFilesOf(host, privileged[0]!);
  const trust =
    runtime === null
      ? RUNTIME_FILES_UNLISTED
      : await windowsProgramTrustProblem(host, [...privileged, ...runtime]);
  if (trust) return nothingChanged(perUserInstallMessage(trust));
  let argv: string[];
  try {
    const runner = elevatedRunnerArgv(privileged, [WINDOWS_ANSWER_OPTION, nonce, ...command]);
    argv = elevateArgv(runner[0]!, runner.slice(1));
  } catch (error) {
    return nothingChanged(
      `The admin prompt was not offered: ${error instanceof Error ? error.message : String(error)}.`,
    );
  }
  const result = await host.exec(argv, {
    timeoutMs: ELEVATED_TIMEOUT_MS,
    maxBytes: 1024 * 1024,
  });
  if (result.spawnError === 'ENOENT')
    return nothingChanged(
      `Windows PowerShell is not at ${argv[0]}, so no admin prompt could be shown.`,
    );
  if (result.timedOut)
    return {
      ok: false,
      cancelled: false,
      message:
        'No answer from the admin prompt in time. If it was approved, the admin side may still be running: `paddock history` shows what it did.',
    };
  const outcome = parseElevation(result.stdout);
  if (!outcome)
    return nothingChanged(
      `The admin prompt could not be shown (${powershellErrorText(result.stderr) || `PowerShell exited with ${result.code}`}).`,
    );
  if (outcome.cancelled) return { ok: false, cancelled: true, message: CANCELLED_MESSAGE };
  if (!outcome.started)
    return nothingChanged(
      `The admin side could not be started (${outcome.error ?? 'no reason given'}).`,
    );
  const answered = await readAnswer(host, outcome, nonce);
  // Exit code 11 with no answer is the runner's refusal (the admin side itself always answers
  // in its file, whatever its exit code): said as that.
  if (!answered.ok && outcome.exitCode === RUNNER_REFUSED_EXIT)
    return nothingChanged(
      "The admin side was not started: your account's environment variables hold .NET's COR_, COMPLUS_, CORECLR_ or DOTNET_ settings, which load code into every .NET program, the admin prompt's PowerShell included. Unless you set them on purpose, remove them (Settings > System > About > Advanced system settings > Environment Variables) and check this PC for malware.",
    );
  return answered;
}

async function readAnswer(
  host: Host,
  outcome: ElevationOutcome,
  nonce: string,
): Promise<WindowsElevated> {
  const failed = (why: string): WindowsElevated => ({
    ok: false,
    cancelled: false,
    message: `The admin side ran (exit code ${outcome.exitCode ?? 'unknown'}), but its answer cannot be trusted: ${why}. Check \`paddock history\` before trying again.`,
  });
  const programData = programDataOf(outcome.programData, outcome.systemDirectory);
  if (!programData.ok) return failed(programData.why);
  const { answers } = windowsAdminDirs(programData.path);
  const file = answerPath(programData.path, nonce);
  const entries = await readPathAcl(host, [file]);
  if (typeof entries === 'string') return failed(entries);
  const folder = windowsChainProblem(answers, 'folder', entries);
  if (folder) return failed(folder);
  const entry = entries.find((e) => e.path.toLowerCase() === file.toLowerCase());
  if (!entry || !entry.exists)
    return failed(
      outcome.exitCode === NO_ANSWER_FOLDER_EXIT
        ? `it found no safe folder to answer in (${answers} is not only administrators'; an administrator should remove it, and Paddock makes it again)`
        : `it left no answer in ${answers}`,
    );
  // Only administrators may add a file to the checked folder, so its owner is whatever owner an
  // elevated process gives what it creates: Administrators, or the account that approved the
  // prompt (this user's own in admin approval mode, an administrator's with their password).
  // What counts is that no one else may write it.
  const owners = new Set([entry.ownerSid, ...(outcome.userSid ? [outcome.userSid] : [])]);
  const problem = windowsAclEntryProblem(entry, 'file', owners);
  if (problem) return failed(problem);
  const read = await host.readFile(file, MAX_ANSWER_BYTES);
  if (!read.ok) return failed(`${file} could not be read (${read.code})`);
  if (read.truncated) return failed(`${file} is larger than an answer can be`);
  const answer = parseAnswer(read.text);
  if (!answer) return failed(`${file} is not an answer of Paddock's admin side`);
  return { ok: true, stdout: answer.text, code: answer.code, via: UAC_VIA, notes: answer.notes };
}

// ── the elevated side ────────────────────────────────────────────────────────────────────

/** Variables Node (or the C runtime under it) acts on before Paddock's first line runs. */
const PRELOADED =
  /^(NODE_OPTIONS|NODE_REPL_EXTERNAL_MODULE|NODE_EXTRA_CA_CERTS|NODE_PATH|NODE_V8_COVERAGE|NODE_DEBUG_NATIVE|NODE_PENDING_DEPRECATION|NODE_ICU_DATA|NODE_REDIRECT_WARNINGS|NODE_COMPILE_CACHE|NODE_CHANNEL_FD|NODE_UNIQUE_ID|NODE_USE_ENV_PROXY|UV_THREADPOOL_SIZE|OPENSSL_CONF|OPENSSL_MODULES|OPENSSL_ENGINES|SSL_CERT_FILE|SSL_CERT_DIR|CHROME_CRASHPAD_PIPE_NAME|ELECTRON_NO_ASAR|COR_[A-Z0-9_]*|COMPLUS_[A-Z0-9_]*|CORECLR_[A-Z0-9_]*|DOTNET_[A-Z0-9_]*)$/i;

/**
 * The system directory from the full paths of the DLLs this process loaded
 * (`process.report.getReport().sharedObjects`: ntdll.dll is always among them, and Windows
 * loads it from its own System32 only); null when none says.
 */
export function loadedSystemDirectory(sharedObjects: unknown): string | null {
  if (!Array.isArray(sharedObjects)) return null;
  for (const item of sharedObjects.slice(0, 4096)) {
    if (typeof item !== 'string' || item.length > 1024) continue;
    const m = /^([A-Za-z]:\\(?:[^\\]+\\)*?System32)\\ntdll\.dll$/i.exec(item);
    if (m) return m[1]!;
  }
  return null;
}

export interface WindowsPrivilegedDeps {
  /** Runs one privileged command (privileged.ts), runs kept in `runsDir`. */
  run: (
    command: string[],
    runsDir: string,
  ) => Promise<{ text: string; code: number; notes?: string[] }>;
  /** The files this process loads its code from: its binary, this bundle, the binary's DLLs and data. */
  programFiles: readonly string[];
  /** Why the files it loads could not all be named (its folder unlisted, or too many): refused. */
  programFilesProblem?: string | null;
  /** The names of the variables this process started with, before it dropped them. */
  startEnvironment: readonly string[];
  /** Creates `path` with `text`; fails if it exists (never writes over a file). */
  writeAnswer: (path: string, text: string) => void;
  /** A line for stderr, when there is no answer file to put it in. */
  say: (line: string) => void;
  /** Where Windows is, from the DLLs this process loaded (loadedSystemDirectory); null: unknown. */
  systemDirectory: string | null;
}

/** The elevated side on Windows (see the header); returns its exit code. */
export async function windowsPrivilegedMain(
  host: Host,
  args: readonly string[],
  deps: WindowsPrivilegedDeps,
): Promise<number> {
  const [option, nonce, ...command] = args;
  if (option !== WINDOWS_ANSWER_OPTION || !isAnswerNonce(nonce)) {
    deps.say(
      `on Windows this is started by \`paddock\` through the admin prompt, with ${WINDOWS_ANSWER_OPTION} and 32 hex digits first; nothing was run.`,
    );
    return 2;
  }
  // Windows' own programs are run by their C:\Windows paths: anywhere else such a path could
  // be any user's folder, so nothing is started at all.
  if (deps.systemDirectory?.toLowerCase() !== 'c:\\windows\\system32') {
    deps.say(
      `Windows is not in C:\\Windows on this PC (${deps.systemDirectory ?? 'not found'}): Paddock's admin side runs Windows' programs by those paths only, so it refuses. Nothing was run.`,
    );
    return 2;
  }
  const placesRead = await powershell(host, PS_SYSTEM_PLACES, {});
  const places = placesRead.ok ? parseSystemPlaces(placesRead.stdout) : null;
  if (!places) {
    deps.say(
      `could not read where Windows keeps ProgramData (${placesRead.ok ? 'no answer' : placesRead.why}); nothing was run.`,
    );
    return NO_ANSWER_FOLDER_EXIT;
  }
  if (!places.admin) {
    deps.say(
      'this is the part of Paddock that runs with admin rights, through the admin prompt; run `paddock` instead. Nothing was run.',
    );
    return 2;
  }
  const programData = programDataOf(places.programData, places.systemDirectory);
  if (!programData.ok) {
    deps.say(`${programData.why}; nothing was run.`);
    return NO_ANSWER_FOLDER_EXIT;
  }
  const dirs = windowsAdminDirs(programData.path);
  const made = await powershell(host, PS_ADMIN_FOLDERS, {
    base: dirs.base,
    paths: [dirs.runs, dirs.answers, ...deps.programFiles].join('\n'),
  });
  const entries = made.ok ? parseWindowsAcl(made.stdout) : null;
  const folderProblem = !made.ok
    ? `its folders could not be made (${made.why})`
    : entries === null
      ? 'the permissions of its folders could not be read'
      : (windowsChainProblem(dirs.answers, 'folder', entries) ??
        windowsChainProblem(dirs.runs, 'folder', entries));
  if (folderProblem || entries === null) {
    deps.say(
      `refusing to run: ${folderProblem}. Its folder ${dirs.base} must be made and owned by administrators only; an administrator should remove what is there, and Paddock makes it again. Nothing was run.`,
    );
    return NO_ANSWER_FOLDER_EXIT;
  }
  const answer = (code: number, text: string, notes: string[] = []): number => {
    const path = answerPath(programData.path, nonce);
    try {
      deps.writeAnswer(path, JSON.stringify({ code, text, notes }));
    } catch (error) {
      deps.say(`could not write the answer ${path}: ${String(error)}`);
      for (const note of notes) deps.say(note);
      deps.say(text);
    }
    return code;
  };
  const preloaded = deps.startEnvironment.filter((name) => PRELOADED.test(name));
  if (preloaded.length > 0)
    return answer(
      2,
      `refused, nothing was run: ${preloaded.join(', ')} is set in your account's environment, and Node acts on it before Paddock's first line runs, here with admin rights. Remove it (Settings > System > About > Advanced system settings > Environment Variables) and try again.`,
    );
  const install = deps.programFilesProblem ?? windowsInstallProblem(deps.programFiles, entries);
  if (install)
    return answer(
      2,
      `refused, nothing was run: this copy of Paddock can be changed without admin rights (${install}). Install Paddock for all users (into C:\\Program Files) and apply the fix from that copy.`,
    );
  const outcome = await deps.run([...command], dirs.runs);
  return answer(outcome.code, outcome.text, outcome.notes ?? []);
}
