/**
 * Root is a boundary, not a mode (docs/security.md). What runs as root decides what to trust
 * from the file system itself, never from what a caller says:
 *
 * - a path is **root-controlled** when no other user can change what it names: every folder
 *   from `/` down is owned by root and writable by no one else (a sticky, world-writable folder
 *   such as /tmp is allowed only where the entry below it is root's, since no one else can
 *   rename or remove that entry), every symbolic link on the way is root's, and the final file,
 *   when asked, is root's and writable by no one else;
 * - a program runs as root only by such a path, found in a fixed list of system folders when
 *   it is named without one (never through the caller's PATH);
 * - a root process gets a fixed environment of its own, never the caller's.
 *
 * Synchronous and small: called once per program or file a root process touches.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, realpathSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';

/** Where root looks for a program named without a folder, in this order. */
export const ROOT_PROGRAM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'] as const;

/** The environment every program Paddock starts as root gets, and nothing else. */
export const ROOT_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({
  PATH: ROOT_PROGRAM_DIRS.join(':'),
  LC_ALL: 'C',
  LANG: 'C',
});

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function owner(stat: Stats): string {
  return stat.uid === 0 ? 'root' : `uid ${stat.uid}`;
}

/** Every prefix of an absolute path, `/` first: /a/b/c → [/, /a, /a/b, /a/b/c]. */
function prefixes(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  const list = ['/'];
  for (let i = 1; i <= parts.length; i += 1) list.push(`/${parts.slice(0, i).join('/')}`);
  return list;
}

/**
 * Why another user could change what `path` names, or null when only root can: every folder
 * above it is root's and writable by no one else (or sticky, with a root-owned entry below),
 * and every symbolic link on the way, `path` itself included, is root's and leads somewhere
 * root controls. The owner and mode of `path` itself are not judged here (a server's env file
 * may belong to its service user; see trustedFileProblem for what root runs). A path that does
 * not exist yet is judged by the folders that do: whoever may write the last existing folder
 * decides what appears there.
 */
export function untrustedChainProblem(path: string, depth = 0): string | null {
  if (!path.startsWith('/')) return `${path} is not an absolute path`;
  if (depth > 8) return `${path}: too many symbolic links`;
  const chain = prefixes(path);
  for (let i = 0; i < chain.length; i += 1) {
    const here = chain[i]!;
    const last = i === chain.length - 1;
    const stat = lstatOrNull(here);
    if (stat === null) return null; // nothing below exists: decided by the folder above
    if (stat.isSymbolicLink()) {
      // A link only root could have made, leading where only root controls.
      if (stat.uid !== 0) return `${here} is a symbolic link owned by ${owner(stat)}`;
      let real: string;
      try {
        real = realpathSync(here);
      } catch {
        return `${here} is a symbolic link that leads nowhere`;
      }
      const further = untrustedChainProblem(real, depth + 1);
      if (further) return `${here} leads to ${real}, and ${further}`;
      if (!last) {
        // The link stands for a folder on the way: that folder must be root's, like any other.
        const next = lstatOrNull(chain[i + 1]!);
        const realStat = lstatOrNull(real);
        if (realStat && realStat.uid !== 0)
          return `${here} leads to ${real}, which is owned by ${owner(realStat)}`;
        if (realStat && (realStat.mode & GROUP_OR_OTHER_WRITE) !== 0) {
          const sticky = (realStat.mode & STICKY) !== 0;
          if (!(sticky && next !== null && next.uid === 0))
            return `${real} can be written by users other than root (mode ${(realStat.mode & 0o7777).toString(8)})`;
        }
      }
      continue;
    }
    if (last) break;
    if (!stat.isDirectory()) return `${here} is not a folder`;
    if (stat.uid !== 0) return `${here} is owned by ${owner(stat)}`;
    if ((stat.mode & GROUP_OR_OTHER_WRITE) !== 0) {
      const next = lstatOrNull(chain[i + 1]!);
      const sticky = (stat.mode & STICKY) !== 0;
      // In a sticky folder only an entry's owner (or root) may rename or remove it.
      if (sticky && next !== null && next.uid !== 0)
        return `${chain[i + 1]} is owned by ${owner(next)}`;
      if (!(sticky && next !== null && next.uid === 0))
        return `${here} can be written by users other than root (mode ${(stat.mode & 0o7777).toString(8)})`;
    }
  }
  return null;
}

/**
 * Why a file must not be trusted as root's own (to run it, or to load code from it), or null:
 * it must exist as a regular file, be root's, be writable by no one else, and sit on a
 * root-controlled path.
 */
export function trustedFileProblem(path: string): string | null {
  if (/ \(deleted\)$/.test(path)) return `${path} has been deleted since it was started`;
  const chain = untrustedChainProblem(path);
  if (chain) return chain;
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return `${path} does not exist`;
  }
  const stat = lstatOrNull(real);
  if (stat === null || !stat.isFile()) return `${real} is not a regular file`;
  if (stat.uid !== 0) return `${real} is owned by ${owner(stat)}`;
  if ((stat.mode & GROUP_OR_OTHER_WRITE) !== 0 || (stat.mode & 0o6000) !== 0)
    return `${real} has mode ${(stat.mode & 0o7777).toString(8)} (writable by others, or set-id)`;
  return null;
}

export type ResolvedProgram =
  | { ok: true; path: string; inSystemDir: boolean }
  | { ok: false; code: 'ENOENT' | 'EUNTRUSTED'; message: string };

/**
 * The program root may run for argv[0]: a bare name is looked up in ROOT_PROGRAM_DIRS only;
 * any path must be a trusted file (root's, on a root-controlled path).
 */
export function resolveRootProgram(name: string): ResolvedProgram {
  if (name.includes('/')) {
    const problem = trustedFileProblem(name);
    if (problem)
      return {
        ok: false,
        code: 'EUNTRUSTED',
        message: `not run as root: ${problem}`,
      };
    const inSystemDir = (ROOT_PROGRAM_DIRS as readonly string[]).includes(dirname(name));
    return { ok: true, path: name, inSystemDir };
  }
  if (name === '' || name === '.' || name === '..')
    return { ok: false, code: 'ENOENT', message: `${JSON.stringify(name)} is not a program name` };
  const problems: string[] = [];
  for (const dir of ROOT_PROGRAM_DIRS) {
    const candidate = `${dir}/${name}`;
    if (lstatOrNull(candidate) === null) continue;
    const problem = trustedFileProblem(candidate);
    if (problem === null) return { ok: true, path: candidate, inSystemDir: true };
    problems.push(problem);
  }
  return problems.length > 0
    ? { ok: false, code: 'EUNTRUSTED', message: `not run as root: ${problems.join('; ')}` }
    : {
        ok: false,
        code: 'ENOENT',
        message: `${name} is not installed in ${ROOT_PROGRAM_DIRS.join(', ')}`,
      };
}

/**
 * Opens a trusted program once, for running it from that open file: whatever happens to the
 * path afterwards, the file checked is the file run. The caller closes the descriptor.
 */
export function openTrustedProgram(path: string): { fd: number } | { problem: string } {
  const problem = trustedFileProblem(path);
  if (problem) return { problem };
  let fd: number;
  try {
    fd = openSync(realpathSync(path), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    return { problem: `${path} could not be opened (${(error as NodeJS.ErrnoException).code})` };
  }
  const stat = fstatSync(fd);
  if (!stat.isFile() || stat.uid !== 0 || (stat.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    closeSync(fd);
    return { problem: `${path} changed while it was opened` };
  }
  return { fd };
}

/**
 * Why the files a root process is about to load its own code from must not be trusted, or
 * null: each must be a trusted file (root's, writable by no one else, on a root-controlled
 * path). For "refuse to start as root from a user-writable install".
 */
export function installProblem(files: readonly string[]): string | null {
  for (const file of files) {
    const problem = trustedFileProblem(file);
    if (problem) return problem;
  }
  return null;
}

// ── Windows (issue 17) ───────────────────────────────────────────────────────────────────
//
// The same rule on Windows, judged from the security descriptors Windows keeps, never from a
// caller: what runs as an administrator must be a file, in a chain of folders from the drive
// root down, that only administrators can change. The descriptors are read by a fixed
// PowerShell template (cli/win32-elevate.ts, PS_PATH_ACL: the owner and access rules that
// Get-Acl shows, as SIDs) and judged here, purely.
//
// Who may change a file or folder on NTFS: its owner (who may always rewrite its DACL), and
// whoever an allow rule that applies to the object itself grants a right that writes it
// (WriteData, AppendData, WriteAttributes, WriteExtendedAttributes, Delete, ChangePermissions,
// TakeOwnership, GENERIC_WRITE, GENERIC_ALL), or, in its parent folder, the right to delete
// its entries (DeleteSubdirectoriesAndFiles). Only the trusted SIDs below may hold any of these.
// A folder above the program's own may let others add new entries (CreateFiles,
// CreateDirectories) and write its own attributes: C:\ lets Authenticated Users create
// folders, and a new folder cannot replace one that exists, as in a sticky /tmp. The program's own folder may not (a DLL
// planted beside it would be loaded). Deny rules are not counted (they can only narrow, and
// ignoring them errs towards refusing). Inherit-only rules, and rules for CREATOR OWNER and
// CREATOR GROUP (templates for new children, never applied to the object itself), grant
// nothing here. A reparse point (symbolic link, junction, mount point) anywhere on the way is
// refused, and so are UNC paths (a share is its server's, not this machine's).

/** SIDs that may change what an administrator runs: SYSTEM, Administrators, TrustedInstaller. */
export const WINDOWS_TRUSTED_SIDS: ReadonlyMap<string, string> = new Map([
  ['S-1-5-18', 'SYSTEM'],
  ['S-1-5-32-544', 'Administrators'],
  ['S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464', 'TrustedInstaller'],
]);
/** Placeholders in inheritable rules: they stand for a new child's creator, never apply here. */
const WINDOWS_TEMPLATE_SIDS = new Set(['S-1-3-0', 'S-1-3-1']);

/** FileSystemRights bits (Microsoft Learn, "FileSystemRights Enum"; winnt.h for GENERIC_*). */
export const FS_RIGHTS = {
  ReadData: 0x1,
  WriteData: 0x2,
  AppendData: 0x4,
  ReadExtendedAttributes: 0x8,
  WriteExtendedAttributes: 0x10,
  ExecuteFile: 0x20,
  DeleteSubdirectoriesAndFiles: 0x40,
  ReadAttributes: 0x80,
  WriteAttributes: 0x100,
  Delete: 0x10000,
  ReadPermissions: 0x20000,
  ChangePermissions: 0x40000,
  TakeOwnership: 0x80000,
  Synchronize: 0x100000,
  GenericAll: 0x10000000,
  GenericExecute: 0x20000000,
  GenericWrite: 0x40000000,
  GenericRead: 0x80000000,
} as const;

/** What anyone may hold anywhere: reading, listing, running. */
const READ_ONLY_RIGHTS =
  FS_RIGHTS.ReadData |
  FS_RIGHTS.ReadExtendedAttributes |
  FS_RIGHTS.ExecuteFile |
  FS_RIGHTS.ReadAttributes |
  FS_RIGHTS.ReadPermissions |
  FS_RIGHTS.Synchronize |
  FS_RIGHTS.GenericExecute |
  FS_RIGHTS.GenericRead;
/**
 * What others may also hold on a folder above the program's own: adding new entries and
 * writing the folder's own attributes (C:\ gives Authenticated Users AppendData; ProgramData
 * gives Users WriteData, AppendData, WriteExtendedAttributes and WriteAttributes). None of it
 * renames, removes or replaces an entry that exists.
 */
const ADD_ENTRY_RIGHTS =
  FS_RIGHTS.WriteData |
  FS_RIGHTS.AppendData |
  FS_RIGHTS.WriteExtendedAttributes |
  FS_RIGHTS.WriteAttributes;

/** InheritanceFlags and PropagationFlags, as numbers (Microsoft Learn). */
const PROPAGATE_INHERIT_ONLY = 0x2;

export interface WindowsAclRule {
  /** The trustee's SID, as Windows names it ("S-1-5-32-545"). */
  sid: string;
  /** Its account name, for messages only (localised: "VORDEFINIERT\Benutzer"). */
  identity: string;
  type: 'Allow' | 'Deny';
  /** The access mask (FileSystemRights, GENERIC_* bits included), unsigned. */
  rights: number;
  inherited: boolean;
  /** The rule is only a template for children (PropagationFlags.InheritOnly). */
  inheritOnly: boolean;
}

export interface WindowsAclEntry {
  path: string;
  exists: boolean;
  container: boolean;
  reparsePoint: boolean;
  ownerSid: string;
  owner: string;
  rules: WindowsAclRule[];
  /** Why the descriptor could not be read, or null. */
  error: string | null;
}

const WINDOWS_ABSOLUTE = /^[A-Za-z]:\\/;
// eslint-disable-next-line no-control-regex -- control characters are what we refuse
const WINDOWS_BAD_CHARS = /[\u0000-\u001f"*<>?|]/;

/** Why `path` is not a plain absolute path on a local drive, or null. */
export function windowsPathProblem(path: string): string | null {
  if (typeof path !== 'string' || !WINDOWS_ABSOLUTE.test(path))
    return `${String(path)} is not an absolute path on a drive of this computer (C:\\…)`;
  const rest = path.slice(3);
  if (WINDOWS_BAD_CHARS.test(rest) || rest.includes(':') || rest.includes('/'))
    return `${path} holds a character Windows does not allow in a plain path`;
  const parts = rest.split('\\');
  if (
    parts.some((part, i) => (part === '' && i < parts.length - 1) || part === '.' || part === '..')
  )
    return `${path} is not a plain path (empty, . or .. parts)`;
  if (parts.some((part) => / $|\.$/.test(part)))
    return `${path} has a part ending in a space or a dot, which Windows strips`;
  return null;
}

/** The drive root, then every folder down to `path` itself: C:\a\b → [C:\, C:\a, C:\a\b]. */
export function windowsChain(path: string): string[] {
  const drive = `${path.slice(0, 2).toUpperCase()}\\`;
  const parts = path
    .slice(3)
    .split('\\')
    .filter((p) => p !== '');
  const list = [drive];
  for (let i = 1; i <= parts.length; i += 1) list.push(`${drive}${parts.slice(0, i).join('\\')}`);
  return list;
}

const sameWindowsPath = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function nameOf(rule: { sid: string; identity: string }): string {
  return rule.identity && rule.identity !== rule.sid ? rule.identity : rule.sid;
}

function rightsText(rights: number): string {
  const names = Object.entries(FS_RIGHTS)
    .filter(([name, bit]) => (rights & bit) >>> 0 === bit && !name.startsWith('Read'))
    .map(([name]) => name)
    .filter((name) => !['ExecuteFile', 'Synchronize', 'GenericExecute'].includes(name));
  return names.length > 0 ? names.join(', ') : `0x${rights.toString(16)}`;
}

export type WindowsAclRole =
  /** A folder on the way to the program: others may add entries, nothing more. */
  | 'above'
  /** The program's own folder, or a folder an administrator writes into: read only to others. */
  | 'folder'
  /** The program file itself. */
  | 'file';

/** Why others than administrators could change this one entry, or null. */
export function windowsAclEntryProblem(
  entry: WindowsAclEntry,
  role: WindowsAclRole,
  alsoTrusted: ReadonlySet<string> = new Set(),
): string | null {
  if (entry.error !== null)
    return `the permissions of ${entry.path} could not be read (${entry.error})`;
  if (!entry.exists) return `${entry.path} does not exist`;
  if (entry.reparsePoint)
    return `${entry.path} is a link (a symbolic link, junction or mount point), which could lead anywhere`;
  if (role === 'file' && entry.container) return `${entry.path} is a folder, not a file`;
  if (role !== 'file' && !entry.container) return `${entry.path} is not a folder`;
  const trusted = (sid: string) => WINDOWS_TRUSTED_SIDS.has(sid) || alsoTrusted.has(sid);
  if (!trusted(entry.ownerSid))
    return `${entry.path} is owned by ${nameOf({ sid: entry.ownerSid, identity: entry.owner })}, who can change it without admin rights`;
  const allowed = READ_ONLY_RIGHTS | (role === 'above' ? ADD_ENTRY_RIGHTS : 0);
  for (const rule of entry.rules) {
    if (rule.type !== 'Allow' || rule.inheritOnly || WINDOWS_TEMPLATE_SIDS.has(rule.sid)) continue;
    if (trusted(rule.sid)) continue;
    const extra = (rule.rights & ~allowed) >>> 0;
    if (extra !== 0)
      return `${nameOf(rule)} may change ${entry.path} (${rightsText(extra)}) without admin rights`;
  }
  return null;
}

/**
 * Why others than administrators could change what `path` names, or null: every folder from
 * the drive root down and `path` itself, as `role` says (a program file, or a folder an
 * administrator writes into), each entry read from `entries` (PS_PATH_ACL's output).
 */
export function windowsChainProblem(
  path: string,
  role: 'file' | 'folder',
  entries: readonly WindowsAclEntry[],
  alsoTrusted: ReadonlySet<string> = new Set(),
): string | null {
  const bad = windowsPathProblem(path);
  if (bad) return bad;
  const chain = windowsChain(path);
  for (let i = 0; i < chain.length; i += 1) {
    const here = chain[i]!;
    const entry = entries.find((e) => sameWindowsPath(e.path, here));
    if (!entry) return `the permissions of ${here} were not read`;
    const last = i === chain.length - 1;
    const own = role === 'file' ? i >= chain.length - 2 : last;
    const problem = windowsAclEntryProblem(
      entry,
      last ? role : own ? 'folder' : 'above',
      alsoTrusted,
    );
    if (problem) return problem;
  }
  return null;
}

/**
 * Why the files an administrator's process would load its code from must not be trusted, or
 * null: the Windows counterpart of installProblem (each file, and every folder above it,
 * changeable by administrators only).
 */
export function windowsInstallProblem(
  files: readonly string[],
  entries: readonly WindowsAclEntry[],
): string | null {
  if (files.length === 0) return 'no program was named';
  for (const file of files) {
    const problem = windowsChainProblem(file, 'file', entries);
    if (problem) return problem;
  }
  return null;
}

const MAX_ACL_OUTPUT = 4 * 1024 * 1024;
const SID = /^S-1-[0-9]+(?:-[0-9]+){0,15}$/;

/**
 * PS_PATH_ACL's output (one JSON array of { Path, Exists, Container, ReparsePoint, Owner,
 * OwnerSid, Access: [{ Identity, Sid, Type, Rights, Inherited, InheritanceFlags,
 * PropagationFlags }], Error }) as entries; null when it is not that shape (then nothing is
 * trusted). A malformed rule spoils its whole entry: a rule that cannot be read might grant.
 */
export function parseWindowsAcl(text: string): WindowsAclEntry[] | null {
  if (typeof text !== 'string' || text.length > MAX_ACL_OUTPUT) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const rows = Array.isArray(json) ? json : [json];
  const entries: WindowsAclEntry[] = [];
  const str = (value: unknown) => (typeof value === 'string' ? value : null);
  for (const row of rows) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return null;
    const r = row as Record<string, unknown>;
    const path = str(r.Path);
    if (path === null) return null;
    const error = str(r.Error);
    const access = r.Access === null || r.Access === undefined ? [] : r.Access;
    const list = Array.isArray(access) ? access : [access];
    const rules: WindowsAclRule[] = [];
    let spoiled: string | null = null;
    for (const item of list) {
      const a = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
      const sid = str(a.Sid);
      const type =
        a.Type === 'Allow' || a.Type === 0
          ? 'Allow'
          : a.Type === 'Deny' || a.Type === 1
            ? 'Deny'
            : null;
      if (
        sid === null ||
        !SID.test(sid) ||
        type === null ||
        typeof a.Rights !== 'number' ||
        !Number.isInteger(a.Rights) ||
        typeof a.PropagationFlags !== 'number'
      ) {
        spoiled = 'an access rule that could not be read';
        break;
      }
      rules.push({
        sid,
        identity: str(a.Identity) ?? sid,
        type,
        rights: a.Rights >>> 0,
        inherited: a.Inherited === true,
        inheritOnly: (a.PropagationFlags & PROPAGATE_INHERIT_ONLY) !== 0,
      });
    }
    const ownerSid = str(r.OwnerSid) ?? '';
    entries.push({
      path,
      exists: r.Exists === true,
      container: r.Container === true,
      reparsePoint: r.ReparsePoint !== false,
      ownerSid,
      owner: str(r.Owner) ?? ownerSid,
      rules,
      error:
        error ??
        spoiled ??
        (r.Exists === true && !SID.test(ownerSid) ? 'no owner could be read' : null),
    });
  }
  return entries;
}

/**
 * The environment the administrator's side of Paddock gives itself and every program it
 * starts on Windows, and nothing else: the system folders where Windows keeps them
 * (probes/win32/powershell.ts runs C:\Windows\System32's powershell.exe by that path too),
 * and PowerShell's own modules only (never a user's Documents\WindowsPowerShell\Modules).
 */
export const WINDOWS_ADMIN_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({
  SystemRoot: 'C:\\Windows',
  windir: 'C:\\Windows',
  SystemDrive: 'C:',
  PATH: 'C:\\Windows\\System32;C:\\Windows;C:\\Windows\\System32\\WindowsPowerShell\\v1.0',
  PSModulePath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\Modules',
});
