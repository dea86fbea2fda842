/**
 * Install trust on Windows (issue 17): whether an administrator's process may run Paddock's
 * privileged side from where it is installed, judged from the owner and access rules of the
 * program's files and of every folder up to the drive root (PS_PATH_ACL's output, one fixture
 * per case, each composed from Microsoft's Get-Acl and FileSystemAccessRule documentation; none
 * recorded). The messages are what a user reads when Paddock refuses to offer the admin prompt.
 */
import { describe, expect, it } from 'vitest';
import type { WindowsAclEntry } from '../../../electron/engine/host/trust';
import {
  FS_RIGHTS,
  parseWindowsAcl,
  windowsAclEntryProblem,
  windowsChain,
  windowsChainProblem,
  windowsInstallProblem,
  windowsPathProblem,
} from '../../../electron/engine/host/trust';
import { perUserInstallMessage } from '../../../electron/cli/win32-elevate';
import { fixtureOutput } from '../../support/fixture-file';

const acl = (name: string): WindowsAclEntry[] => {
  const entries = parseWindowsAcl(fixtureOutput('win32', `acl/${name}`));
  expect(entries, name).not.toBeNull();
  return entries!;
};

const NODE = 'C:\\Program Files\\nodejs\\node.exe';

describe('Paddock installed for all users, in Program Files', () => {
  it('is trusted: C:\\ lets others only add folders, Program Files is TrustedInstaller’s', () => {
    const entries = acl('program-files-win11.txt');
    expect(
      windowsInstallProblem(
        [NODE, 'C:\\Program Files\\Paddock\\resources\\paddock-privileged.cjs'],
        entries,
      ),
    ).toBeNull();
    // The rules that make it so are really there (not an empty fixture).
    const root = entries.find((e) => e.path === 'C:\\')!;
    expect(root.rules.some((r) => r.sid === 'S-1-5-11' && r.rights === FS_RIGHTS.AppendData)).toBe(
      true,
    );
    expect(root.rules.some((r) => r.sid === 'S-1-5-11' && r.inheritOnly)).toBe(true);
  });

  it('is trusted in a folder named with spaces and non-ASCII on a German Windows: SIDs decide, not names', () => {
    const entries = acl('program-files-spaces-umlaut-de-win11.txt');
    const cjs = 'C:\\Program Files\\Paddock Größe – Änderung\\resources\\paddock-privileged.cjs';
    // The \u escapes the template prints come back as the characters.
    expect(entries.map((e) => e.path)).toContain(cjs);
    expect(entries.find((e) => e.path === 'C:\\Program Files')!.rules[4]!.identity).toBe(
      'VORDEFINIERT\\Administratoren',
    );
    expect(windowsInstallProblem([NODE, cjs], entries)).toBeNull();
  });
});

describe('an install that a non-admin could change is refused, and the user is told how to fix it', () => {
  it('%LOCALAPPDATA%\\Programs (nsis "only for me"): the profile folder is the user’s', () => {
    const entries = acl('localappdata-programs-win11.txt');
    const cjs =
      'C:\\Users\\alice\\AppData\\Local\\Programs\\Paddock\\resources\\paddock-privileged.cjs';
    const problem = windowsInstallProblem([NODE, cjs], entries);
    expect(problem).toBe(
      'DESKTOP-7Q2KMVB\\alice may change C:\\Users\\alice (DeleteSubdirectoriesAndFiles, Delete, ChangePermissions, TakeOwnership) without admin rights',
    );
    // node.exe alone, in Program Files, is fine: it is the bundle that is the user's.
    expect(windowsInstallProblem([NODE], entries)).toBeNull();
    expect(perUserInstallMessage(problem!)).toMatch(
      /^Windows' admin prompt was not offered: Paddock's admin side would run from files that can be changed without admin rights \(DESKTOP-7Q2KMVB\\alice may change C:\\Users\\alice .*\)\. A fix that needs admin rights needs Paddock installed for all users: run Paddock's installer again, choose to install it for all users \(it then goes into C:\\Program Files\), and apply the fix from that copy\.$/,
    );
  });

  it('a folder where Users have Modify (C:\\Apps\\Paddock)', () => {
    const entries = acl('users-modify-win10.txt');
    expect(
      windowsInstallProblem(
        [NODE, 'C:\\Apps\\Paddock\\resources\\paddock-privileged.cjs'],
        entries,
      ),
    ).toBe('BUILTIN\\Users may change C:\\Apps\\Paddock (Delete) without admin rights');
  });
});

describe('the judge, rule by rule', () => {
  const base = (path: string, over: Partial<WindowsAclEntry> = {}): WindowsAclEntry => ({
    path,
    exists: true,
    container: true,
    reparsePoint: false,
    ownerSid: 'S-1-5-32-544',
    owner: 'BUILTIN\\Administrators',
    rules: [],
    error: null,
    ...over,
  });
  const users = (rights: number, over: Partial<WindowsAclEntry['rules'][number]> = {}) => ({
    sid: 'S-1-5-32-545',
    identity: 'BUILTIN\\Users',
    type: 'Allow' as const,
    rights,
    inherited: false,
    inheritOnly: false,
    ...over,
  });
  const file = 'C:\\P\\app\\x.cjs';
  const chain = (over: Record<string, Partial<WindowsAclEntry>>) =>
    windowsChain(file).map((p) => base(p, { container: p !== file, ...(over[p] ?? {}) }));

  it('walks from the drive root down', () => {
    expect(windowsChain('c:\\A b\\ü\\x.exe')).toEqual([
      'C:\\',
      'C:\\A b',
      'C:\\A b\\ü',
      'C:\\A b\\ü\\x.exe',
    ]);
    expect(windowsChainProblem(file, 'file', chain({}))).toBeNull();
  });

  it('lets others add entries above the program’s folder, never in it (a planted DLL)', () => {
    const add = [users(FS_RIGHTS.WriteData | FS_RIGHTS.AppendData)];
    expect(windowsChainProblem(file, 'file', chain({ 'C:\\P': { rules: add } }))).toBeNull();
    expect(windowsChainProblem(file, 'file', chain({ 'C:\\P\\app': { rules: add } }))).toBe(
      'BUILTIN\\Users may change C:\\P\\app (WriteData, AppendData) without admin rights',
    );
    // Deleting entries of a folder on the way replaces what is below it.
    expect(
      windowsChainProblem(
        file,
        'file',
        chain({ 'C:\\P': { rules: [users(FS_RIGHTS.DeleteSubdirectoriesAndFiles)] } }),
      ),
    ).toMatch(/BUILTIN\\Users may change C:\\P \(DeleteSubdirectoriesAndFiles\)/);
  });

  it('counts GENERIC_ALL and GENERIC_WRITE, ignores inherit-only rules, CREATOR OWNER and deny rules', () => {
    expect(
      windowsChainProblem(file, 'file', chain({ [file]: { rules: [users(0x40000000)] } })),
    ).toMatch(/GenericWrite/);
    expect(
      windowsChainProblem(file, 'file', chain({ 'C:\\P': { rules: [users(0x10000000)] } })),
    ).toMatch(/GenericAll/);
    const harmless = [
      users(0x10000000, { inheritOnly: true }),
      users(0x1f01ff, { sid: 'S-1-3-0', identity: 'CREATOR OWNER' }),
      users(0x1f01ff, { type: 'Deny' }),
    ];
    expect(
      windowsChainProblem(file, 'file', chain({ 'C:\\P\\app': { rules: harmless } })),
    ).toBeNull();
  });

  it('an owner who is not an administrator may always change it', () => {
    expect(
      windowsChainProblem(
        file,
        'file',
        chain({ [file]: { ownerSid: 'S-1-5-21-1-2-3-1001', owner: 'PC\\bob' } }),
      ),
    ).toBe('C:\\P\\app\\x.cjs is owned by PC\\bob, who can change it without admin rights');
  });

  it('refuses links, missing entries, unreadable permissions, UNC and odd paths', () => {
    expect(windowsChainProblem(file, 'file', chain({ 'C:\\P': { reparsePoint: true } }))).toBe(
      'C:\\P is a link (a symbolic link, junction or mount point), which could lead anywhere',
    );
    expect(windowsChainProblem(file, 'file', chain({ [file]: { exists: false } }))).toBe(
      'C:\\P\\app\\x.cjs does not exist',
    );
    expect(
      windowsChainProblem(file, 'file', chain({ 'C:\\P': { error: 'Zugriff verweigert' } })),
    ).toBe('the permissions of C:\\P could not be read (Zugriff verweigert)');
    expect(windowsChainProblem(file, 'file', chain({}).slice(1))).toBe(
      'the permissions of C:\\ were not read',
    );
    expect(windowsPathProblem('\\\\server\\share\\paddock.cjs')).toMatch(
      /not an absolute path on a drive/,
    );
    expect(windowsPathProblem('/usr/bin/node')).toMatch(/not an absolute path on a drive/);
    expect(windowsPathProblem('C:\\P\\..\\x')).toMatch(/not a plain path/);
    expect(windowsPathProblem('C:\\P\\x.cjs:stream')).toMatch(/character Windows does not allow/);
    expect(windowsPathProblem('C:\\P\\x.cjs.')).toMatch(/ending in a space or a dot/);
    expect(windowsInstallProblem([], [])).toBe('no program was named');
  });

  it('a rule or owner that cannot be read spoils its entry: nothing unread is trusted', () => {
    expect(parseWindowsAcl('not json')).toBeNull();
    expect(parseWindowsAcl('[1]')).toBeNull();
    const [entry] = parseWindowsAcl(
      JSON.stringify([
        {
          Path: 'C:\\',
          Exists: true,
          Container: true,
          ReparsePoint: false,
          Owner: 'x',
          OwnerSid: 'S-1-5-18',
          Access: [{ Sid: 'S-1-5-11', Type: 'Allow', Rights: 'Modify', PropagationFlags: 0 }],
          Error: null,
        },
      ]),
    )!;
    expect(windowsAclEntryProblem(entry!, 'above')).toBe(
      'the permissions of C:\\ could not be read (an access rule that could not be read)',
    );
    // One object instead of an array (ConvertTo-Json of a single row): still read.
    expect(
      parseWindowsAcl(
        JSON.stringify({
          Path: 'C:\\',
          Exists: true,
          Container: true,
          ReparsePoint: false,
          OwnerSid: '',
          Access: null,
          Error: null,
        }),
      )![0]!.error,
    ).toBe('no owner could be read');
  });
});
