/**
 * macOS (issue 16): the admin copy. An app in /Applications cannot run Paddock's admin side:
 * any administrator account may replace what is in /Applications without a password, so
 * whatever runs as root from there could have been changed by a process that never asked.
 * Paddock therefore keeps a copy of itself where only root writes, `/Library/Paddock/Paddock.app`,
 * and runs its admin side from that copy when it is the app's own version
 * (privileged-program.ts); the install check (elevate.ts) still judges that copy, file by file
 * and folder by folder, before every prompt.
 *
 * Making the copy is one run of a fixed shell script through macOS's own admin prompt
 * (`do shell script … with administrator privileges`, started with `env -i`), with three data
 * arguments: the bundle to copy (the running app's), the version it must hold, and the code
 * signing requirement it must meet. As root, the script
 *
 *   1. refuses unless `/Library/Paddock` is a real folder of root's that nobody else may write
 *      (made 0755 when absent: `/Library` is root's alone, so nobody else could have made it);
 *   2. removes what an interrupted run left (`.stage.*` folders, never through a link);
 *   3. copies the bundle into a fresh `mktemp -d` folder inside it (0700, root's), so that no
 *      other user can reach a file of the copy while it is made: `ditto --noacl --noextattr
 *      --noqtn --norsrc`; ditto keeps owners and, as root, set-id bits, so then
 *   4. `chown -R root:wheel` and `chmod -R go-w,ugo-s` (no link is followed by either with -R);
 *   5. checks the copy, not the source: `codesign --verify --deep --strict` against the
 *      Developer ID requirement of Paddock's team (anything added, removed or changed in the
 *      bundle fails it), and its Info.plist's version against the one asked for;
 *   6. only then moves the previous copy aside and this one into place (two renames inside
 *      root's folder; a failed second rename puts the previous one back), and removes the rest.
 *
 * Any failure removes the staging folder and leaves the previous copy as it was. The source may
 * change while it is copied (it is in /Applications): what is checked is what was copied. The
 * team is the one the build was signed for (`APPLE_TEAM_ID`, the variable electron-builder's
 * notarization reads), compiled into the app's own code at build time
 * (electron.vite.config.mts), never read from the bundle being copied; a build made without
 * it cannot vouch for a copy and says so.
 *
 * Undo is `remove`: the same folder checks, the copy moved into a staging folder and deleted,
 * and `/Library/Paddock` removed when nothing else is in it. Nothing of the user's is ever
 * overwritten: the folder is Paddock's own, and the app in /Applications is the source of
 * every copy, so a removed copy can always be made again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import type { AdminCopyState, AdminCopyView } from '../../shared/api';
import type { PaddockEvent } from '../../shared/events';
import type { ExecResult, Host } from '../engine/host/types';
import { installProblem } from '../engine/host/trust';
import { appleScriptAdminArgv, parseAdminShellOutput } from './elevate';
import {
  MAC_ROOT_COPY,
  RESOURCES_PRIVILEGED,
  currentRuntime,
  isMacVersion,
  macAppBinary,
  macBundleOf,
  macBundleVersion,
  macRuntimeFiles,
  readSmall,
  sameBundleVersion,
} from './privileged-program';
import type { BundleVersion, RuntimeFacts } from './privileged-program';

export { MAC_ROOT_COPY, macBundleVersion };

export const MAC_ROOT_FOLDER = '/Library/Paddock';
/** electron-builder.yml's appId: the identifier the copy's signature must carry. */
export const MAC_APP_ID = 'dev.paddock.app';
/** The word the scripts start each line they print with. */
export const ADMIN_COPY_SAYS = 'paddock-admin-copy: ';

/** The build's Developer ID team, or null (a build signed ad hoc or not at all). */
export function buildTeamId(
  compiled: string | undefined = process.env.PADDOCK_MAC_TEAM_ID,
): string | null {
  return compiled && /^[A-Z0-9]{10}$/.test(compiled) ? compiled : null;
}

/**
 * The code signing requirement the copy must meet: signed by Apple's chain with a Developer ID
 * Application certificate (the two marker extensions Apple's own `codesign -d -r-` prints for
 * Developer ID code) of this team, with Paddock's identifier and this very build's
 * CFBundleVersion (`info[…]` reads the signed Info.plist): another signed Paddock, an older one
 * with a flaw above all, does not pass for this one.
 */
export function developerIdRequirement(team: string, build: string): string {
  if (!/^[A-Z0-9]{10}$/.test(team)) throw new Error(`${JSON.stringify(team)} is not a team ID`);
  if (!isMacVersion(build)) throw new Error(`${JSON.stringify(build)} is not a build version`);
  return [
    `identifier "${MAC_APP_ID}"`,
    'anchor apple generic',
    'certificate 1[field.1.2.840.113635.100.6.2.6]',
    'certificate leaf[field.1.2.840.113635.100.6.1.13]',
    `certificate leaf[subject.OU] = "${team}"`,
    `info[CFBundleVersion] = "${build}"`,
  ].join(' and ');
}

// The scripts are one line each: `do shell script` hands the text to /bin/sh, and the admin
// prompt's argv refuses control characters. Every statement below ends with its own `;` (or
// `then`/`do`/`{`), so the lines are joined by spaces. POSIX sh only: macOS's /bin/sh is bash
// in POSIX mode (or dash); the lab test runs them with Debian's dash.

/** Checks shared by both scripts: `$root` must be a folder of root's that only root writes. */
const FOLDER_CHECKS = [
  'root=/Library/Paddock; copy=/Library/Paddock/Paddock.app; stage=; locked=; made=; swap=; acl_cleared=no;',
  `say() { printf '%s\\n' "${ADMIN_COPY_SAYS}$1"; };`,
  // What this run made goes with it: its staging folder, its lock, the folder if it made it.
  // Only its own lock: another run's is never removed.
  'release() { if [ -n "$locked" ] && [ "$(/usr/bin/readlink "$root/.lock" 2>/dev/null)" = "$$" ]; then /bin/rm -f "$root/.lock"; fi; locked=; };',
  // What this run made goes with it (its staging folder, its lock, the folder if it made it),
  // the previous copy is put back if the swap was cut short, and the reason comes last, once
  // nothing is left to do (the prompt may be gone: a write to it then fails, harmlessly).
  'fail() { trap "" HUP INT TERM; if [ -n "$stage" ]; then if [ -n "$swap" ] && [ ! -e "$copy" ] && [ ! -L "$copy" ] && { [ -e "$stage/previous" ] || [ -L "$stage/previous" ]; }; then /bin/mv "$stage/previous" "$copy"; fi; /bin/rm -rf "$stage"; fi; release; if [ -n "$made" ]; then /bin/rmdir "$root" 2>/dev/null; fi; say "$1"; exit 1; };',
  'trap "" PIPE; trap \'fail "interrupted before it finished; the app reads the admin copy again"\' HUP INT TERM;',
  '[ "$(/usr/bin/id -u)" = 0 ] || fail "this must run as root";',
  'if [ -L "$root" ]; then fail "$root is a symbolic link; nothing was changed"; fi;',
  // `ls -ldn`: mode, links, uid. The group and others may not write, and no ACL: macOS's
  // `chmod -N` takes every ACL entry off root's own folder first (clear_acl), and since `ls`
  // shows `@` (extended attributes, which grant nothing) in place of `+` when a file has both,
  // a trailing `@` is accepted only once that succeeded. Where there is no `chmod -N` (the
  // lab's Linux), any suffix is refused.
  'owner_is_root() { set -- $(/bin/ls -ldn "$root"); [ "$3" = 0 ]; };',
  'clear_acl() { if owner_is_root && /bin/chmod -N "$root" 2>/dev/null; then acl_cleared=yes; fi; };',
  'folder_ok() { set -- $(/bin/ls -ldn "$root"); [ "$3" = 0 ] || return 1; case "$1" in d????[!w]??[!w]?) return 0;; d????[!w]??[!w]?@) [ "$acl_cleared" = yes ];; *) return 1;; esac; };',
  // One run at a time: the lock is a link whose target is the run's pid, made in one step
  // (ln -sn, which never writes through a link there), so it never exists without its pid; a
  // folder by that name (ln would make the link inside it) is refused. It is taken over only from a process that is
  // gone or is not one of these scripts (a pid reused after a crash or a restart), by moving it
  // aside and checking that what was moved is the lock that was judged.
  'take_lock() { if /bin/ln -sn "$$" "$root/.lock" 2>/dev/null; then if [ ! -L "$root/.lock" ]; then /bin/rm -f "$root/.lock/$$"; fail "$root/.lock is not a lock of Paddock\'s (remove it first); nothing was changed"; fi; locked=yes; return 0; fi; pid=$(/usr/bin/readlink "$root/.lock" 2>/dev/null) || pid=; case "$pid" in "" | *[!0-9]*) fail "$root/.lock is not a lock of Paddock\'s (remove it first); nothing was changed";; esac; if [ "$pid" != "$$" ] && /bin/ps -p "$pid" -o args= 2>/dev/null | /usr/bin/grep -q paddock-admin-copy; then fail "another run is changing the admin copy; nothing was changed"; fi; /bin/mv "$root/.lock" "$root/.lock.dead.$$" 2>/dev/null || fail "could not lock $root; nothing was changed"; got=$(/usr/bin/readlink "$root/.lock.dead.$$" 2>/dev/null) || got=; if [ "$got" != "$pid" ]; then case "$got" in "" | *[!0-9]*) ;; *) /bin/ln -sn "$got" "$root/.lock" 2>/dev/null;; esac; /bin/rm -f "$root/.lock.dead.$$"; fail "another run took the lock; nothing was changed"; fi; /bin/rm -f "$root/.lock.dead.$$"; /bin/ln -sn "$$" "$root/.lock" 2>/dev/null && [ -L "$root/.lock" ] || fail "another run took the lock; nothing was changed"; locked=yes; };',
  // A version from an Info.plist, by the rule the app reads one with (isMacVersion), else none.
  'plist_version() { v=$(/usr/libexec/PlistBuddy -c "Print :$1" "$2" 2>/dev/null) || return 1; case "$v" in "" | [!0-9A-Za-z]* | *[!0-9A-Za-z.+-]*) return 1;; esac; [ "${#v}" -le 64 ] || return 1; printf \'%s\' "$v"; };',
];

/**
 * Removes what an interrupted run left behind, never through a link: a link itself is removed
 * (`rm -f` on a link removes the link), a real folder with what is in it.
 */
const CLEAR_STALE =
  'for old in "$root"/.stage.* "$root"/.lock.dead.*; do if [ -L "$old" ]; then /bin/rm -f "$old"; elif [ -d "$old" ]; then /bin/rm -rf "$old"; fi; done;';

/**
 * The install script's statements, in order (the preview shows them; run joined by spaces).
 * Runs as root with $1 the bundle, $2 the version, $3 the signing requirement, $4 the build of
 * the copy there now as the preview saw it (`none` when there is none, `unreadable`).
 */
export const INSTALL_STATEMENTS: readonly string[] = [
  'set -u; src=$1; version=$2; requirement=$3; current=$4;',
  ...FOLDER_CHECKS,
  'case "$src" in /*.app) ;; *) fail "the app to copy is not an absolute path to a .app; nothing was changed";; esac;',
  'if [ -L "$src" ] || [ ! -d "$src" ]; then fail "$src is not an app folder; nothing was changed"; fi;',
  'if [ ! -e "$root" ]; then /bin/mkdir -m 755 "$root" || fail "could not make $root; nothing was changed"; made=yes; fi;',
  'clear_acl; folder_ok || fail "$root is not a folder of root\'s that only root may change (remove it first); nothing was changed";',
  'take_lock;',
  CLEAR_STALE,
  // The copy there must still be the one the preview was made against (its build, `none`, or
  // `unreadable`): one made since, by another user's Paddock, is never replaced unseen.
  'if [ -e "$copy" ] || [ -L "$copy" ]; then now=$(plist_version CFBundleVersion "$copy/Contents/Info.plist") && plist_version CFBundleShortVersionString "$copy/Contents/Info.plist" >/dev/null || now=unreadable; else now=none; fi;',
  '[ "$now" = "$current" ] || fail "the admin copy changed since this was shown (it is now $now, not $current); nothing was changed";',
  // Copied from the folder as opened, not by its name again (ditto follows a link given as an
  // argument: the name could be swapped for one); a quick check of the source first, so that
  // something that is not Paddock is never copied at all.
  'cd -P "$src" || fail "could not open $src; nothing was changed";',
  'if [ ! -f Contents/Info.plist ]; then fail "$src is not an app; nothing was changed"; fi;',
  '/usr/bin/codesign --verify --strict "-R=$requirement" . || fail "$src is not signed by Paddock\'s developer, or was changed after signing; nothing was changed";',
  'stage=$(/usr/bin/mktemp -d "$root/.stage.XXXXXXXX") || { stage=; fail "could not make a staging folder in $root; nothing was changed"; };',
  '/usr/bin/ditto --norsrc --noextattr --noqtn --noacl . "$stage/Paddock.app" || fail "copying $src failed; nothing was changed";',
  'cd / || fail "could not leave $src; nothing was changed";',
  // What a signature's default rules leave out of its seal (.DS_Store anywhere, PkgInfo,
  // locversion.plist) is not checked, so could be anything, a hard link to a root-only file
  // included: none is kept. Deleting them never breaks the seal.
  '/usr/bin/find "$stage/Paddock.app" ! -type d \\( -name .DS_Store -o -path "$stage/Paddock.app/Contents/PkgInfo" -o \\( -path "$stage/Paddock.app/Contents/Frameworks/*.app/Contents/PkgInfo" ! -path "$stage/Paddock.app/Contents/Frameworks/*/*/Contents/PkgInfo" \\) -o -path "$stage/Paddock.app/Contents/Resources/*.lproj/locversion.plist" \\) -exec /bin/rm -f {} + || fail "could not clear the copy of the files its signature leaves out; nothing was changed";',
  '/usr/sbin/chown -hR root:wheel "$stage/Paddock.app" || fail "could not make the copy root\'s; nothing was changed";',
  // Modes are not sealed either: only write and set-id rights are taken away (never read
  // given, which could expose a root-only file linked in), then every folder opened to all
  // (folders cannot be hard links) and, below, the signed Info.plist made readable.
  '/bin/chmod -R u+w,go-w,ugo-s "$stage/Paddock.app" || fail "could not take write and set-id rights off the copy; nothing was changed";',
  '/usr/bin/find "$stage/Paddock.app" -type d -exec /bin/chmod a+rx {} + || fail "could not open the copy\'s folders to its users; nothing was changed";',
  '/usr/bin/codesign --verify --deep --strict "-R=$requirement" "$stage/Paddock.app" || fail "the copy of $src is not signed by Paddock\'s developer, or was changed after signing; nothing was changed";',
  'got=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$stage/Paddock.app/Contents/Info.plist") || fail "the copy has no version; nothing was changed";',
  '[ "$got" = "$version" ] || fail "the copy is version $got, not $version (was the app updated just now?); nothing was changed";',
  'if [ -L "$stage/Paddock.app/Contents/Info.plist" ] || [ ! -f "$stage/Paddock.app/Contents/Info.plist" ]; then fail "the copy\'s Info.plist is not a file; nothing was changed"; fi;',
  '/bin/chmod a+r "$stage/Paddock.app/Contents/Info.plist" || fail "could not make the copy\'s Info.plist readable; nothing was changed";',
  'if [ ! -f "$stage/Paddock.app/Contents/MacOS/Paddock" ] || [ ! -f "$stage/Paddock.app/Contents/Resources/paddock-privileged" ]; then fail "the copy lacks the admin side; nothing was changed"; fi;',
  'swap=yes; if [ -e "$copy" ] || [ -L "$copy" ]; then /bin/mv "$copy" "$stage/previous" || fail "could not move the previous copy aside; nothing was changed"; fi;',
  'if ! /bin/mv "$stage/Paddock.app" "$copy"; then if [ -e "$stage/previous" ] || [ -L "$stage/previous" ]; then /bin/mv "$stage/previous" "$copy"; fi; fail "could not put the copy in place; the previous one was put back"; fi;',
  // In place: from here on an interruption changes nothing more.
  'swap=; trap "" HUP INT TERM;',
  '/bin/rm -rf "$stage"; stage=; release;',
  'say "installed $version at $copy";',
];
export const INSTALL_SCRIPT = INSTALL_STATEMENTS.join(' ');

/** Runs as root, no argument: removes the copy and, when empty, Paddock's folder. */
export const REMOVE_STATEMENTS: readonly string[] = [
  'set -u;',
  ...FOLDER_CHECKS,
  'if [ ! -e "$root" ]; then say "there is no admin copy"; exit 0; fi;',
  'clear_acl; folder_ok || fail "$root is not a folder of root\'s that only root may change; nothing was changed";',
  'take_lock;',
  CLEAR_STALE,
  'had=no; if [ -e "$copy" ] || [ -L "$copy" ]; then had=yes; stage=$(/usr/bin/mktemp -d "$root/.stage.XXXXXXXX") || { stage=; fail "could not make a staging folder in $root; nothing was changed"; }; /bin/mv "$copy" "$stage/previous" || fail "could not move the copy aside; nothing was changed"; /bin/rm -rf "$stage"; stage=; fi;',
  'release;',
  '/bin/rmdir "$root" 2>/dev/null;',
  'if [ "$had" = yes ]; then say "removed $copy"; else say "there is no admin copy"; fi;',
];
export const REMOVE_SCRIPT = REMOVE_STATEMENTS.join(' ');

/** The prompt's argv for one of the scripts (argv, never a shell string of values). */
function scriptArgv(script: string, args: readonly string[]): string[] {
  return appleScriptAdminArgv([
    '/usr/bin/env',
    '-i',
    'PATH=/usr/bin:/bin:/usr/sbin:/sbin',
    'LC_ALL=C',
    '/bin/sh',
    '-c',
    script,
    'paddock-admin-copy',
    ...args,
  ]);
}

/**
 * The install script's own arguments, each checked: the bundle, the version, the signing
 * requirement, and `current`, the build of the copy there now as the preview saw it, `none` (no
 * copy) or `unreadable` (the script refuses when that is no longer so).
 */
function installArgs(bundle: string, own: BundleVersion, team: string, current: string): string[] {
  if (!/^\/.+\.app$/.test(bundle) || bundle.split('/').includes('..'))
    throw new Error(`${JSON.stringify(bundle)} is not an absolute path to an app bundle`);
  if (bundle === MAC_ROOT_COPY) throw new Error('the app runs from the admin copy itself');
  if (!isMacVersion(own.version))
    throw new Error(`${JSON.stringify(own.version)} is not a version`);
  if (current !== 'none' && current !== 'unreadable' && !isMacVersion(current))
    throw new Error(`${JSON.stringify(current)} is not a build`);
  return [bundle, own.version, developerIdRequirement(team, own.build), current];
}

export function installArgv(
  bundle: string,
  own: BundleVersion,
  team: string,
  current: string,
): string[] {
  return scriptArgv(INSTALL_SCRIPT, installArgs(bundle, own, team, current));
}

export function removeArgv(): string[] {
  return scriptArgv(REMOVE_SCRIPT, []);
}

export interface AdminCopyFacts {
  platform: NodeJS.Platform;
  /** The running app's bundle (`/Applications/Paddock.app`), or null (not a packaged Mac app). */
  bundle: string | null;
  /** The app's own bundle's install problem (null: it may run its admin side itself). */
  bundleProblem: () => string | null;
  team: string | null;
  /** The version and build this code was compiled as (never read from the bundle on disk). */
  own: BundleVersion | null;
  /** Whether anything is at MAC_ROOT_COPY (lstat: a link or an unreadable copy counts). */
  present: () => boolean;
  read: (path: string) => string | null;
  /** installProblem of the copy's binary, script and runtime files (null: root may trust it). */
  copyProblem: () => string | null;
}

/** A version's dot-separated release numbers and its pre-release identifiers (semver). */
function versionParts(version: string): { release: string[]; pre: string[] | null } {
  const noBuild = version.split('+')[0]!;
  const dash = noBuild.indexOf('-');
  return {
    release: (dash < 0 ? noBuild : noBuild.slice(0, dash)).split('.'),
    pre: dash < 0 ? null : noBuild.slice(dash + 1).split('.'),
  };
}

/** Numbers as numbers of any length (BigInt), before words; words as text. */
function compareIdentifiers(x: string, y: string): number {
  const nx = /^\d+$/.test(x);
  const ny = /^\d+$/.test(y);
  if (nx && ny) return Math.sign(Number(BigInt(x) - BigInt(y)));
  if (nx !== ny) return nx ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * -1, 0 or 1, by semver's precedence, for any number of release numbers (a CFBundleVersion
 * such as 0.1.0.42; a missing one counts as 0): a pre-release ranks below its release, and a
 * `+build` suffix is ignored.
 */
export function compareVersions(a: string, b: string): number {
  const left = versionParts(a);
  const right = versionParts(b);
  for (let i = 0; i < Math.max(left.release.length, right.release.length); i++) {
    const order = compareIdentifiers(left.release[i] ?? '0', right.release[i] ?? '0');
    if (order !== 0) return order;
  }
  if (left.pre === null || right.pre === null)
    return left.pre === right.pre ? 0 : left.pre === null ? 1 : -1;
  for (let i = 0; i < Math.max(left.pre.length, right.pre.length); i++) {
    if (left.pre[i] === undefined) return -1;
    if (right.pre[i] === undefined) return 1;
    const order = compareIdentifiers(left.pre[i]!, right.pre[i]!);
    if (order !== 0) return order;
  }
  return 0;
}

/** What the Mac app can say of its admin copy, from the system (never from a caller). */
export function adminCopyState(facts: AdminCopyFacts): AdminCopyState {
  if (facts.platform !== 'darwin' || facts.bundle === null)
    return { kind: 'not-needed', why: 'only the packaged Mac app needs an admin copy' };
  if (facts.bundle === MAC_ROOT_COPY)
    return { kind: 'not-needed', why: 'this app runs from the admin copy itself' };
  if (facts.bundleProblem() === null)
    return {
      kind: 'not-needed',
      why: `${facts.bundle} is root's alone, so Paddock runs its admin side from there`,
    };
  if (facts.own === null)
    return {
      kind: 'unavailable',
      why: 'this build of Paddock does not know its own version and build, so it cannot check a copy against them',
    };
  if (facts.team === null)
    return {
      kind: 'unavailable',
      why: 'this build of Paddock was not signed with a Developer ID, so it cannot check that a copy is Paddock’s own; block the port in macOS’s firewall instead (System Settings > Network > Firewall > Options)',
    };
  const { version, build } = facts.own;
  if (!facts.present()) return { kind: 'absent', bundle: facts.bundle, version };
  const copy = macBundleVersion(facts.read(`${MAC_ROOT_COPY}/Contents/Info.plist`));
  if (!sameBundleVersion(copy, facts.own))
    return {
      kind: 'other-version',
      bundle: facts.bundle,
      version,
      copyVersion: copy?.version ?? null,
      // Never replaced from here by an older build (someone may have put an older signed
      // Paddock in /Applications): update this app, or remove the copy first.
      copyNewer:
        copy !== null &&
        (compareVersions(copy.version, version) || compareVersions(copy.build, build)) > 0,
    };
  const why = facts.copyProblem();
  if (why !== null) return { kind: 'untrusted', bundle: facts.bundle, version, why };
  return { kind: 'ready', bundle: facts.bundle, version };
}

/**
 * The install check of a bundle's admin side (what elevate.ts judges before a prompt): its
 * binary, its script and every file the binary loads.
 */
function bundleInstallProblem(binary: string, bundle: string): string | null {
  const loaded = macRuntimeFiles(binary);
  if (loaded === null) return `the files of ${bundle} could not all be listed`;
  return installProblem([
    binary,
    `${bundle}/Contents/Resources/${RESOURCES_PRIVILEGED}`,
    ...loaded,
  ]);
}

/** The install check of the copy. */
export function copyInstallProblem(): string | null {
  return bundleInstallProblem(`${MAC_ROOT_COPY}/Contents/MacOS/Paddock`, MAC_ROOT_COPY);
}

export type AdminCopyOutcome =
  { ok: true; said: string[] } | { ok: false; cancelled: boolean; message: string };

const ADMIN_COPY_TIMEOUT_MS = 300_000;

/**
 * Runs one of the scripts through the prompt and reads its answer. `ok: true` only when the
 * script itself ran to its end and exited 0.
 */
export async function runAdminCopyScript(
  host: Host,
  argv: readonly string[],
): Promise<AdminCopyOutcome> {
  const result: ExecResult = await host.exec(argv, {
    timeoutMs: ADMIN_COPY_TIMEOUT_MS,
    maxBytes: 1024 * 1024,
  });
  if (result.spawnError !== null)
    return {
      ok: false,
      cancelled: false,
      message: `osascript could not be started (${result.spawnError}); nothing was changed.`,
    };
  if (/\(-128\)/.test(result.stderr))
    return {
      ok: false,
      cancelled: true,
      message: 'The admin prompt was cancelled; nothing was changed.',
    };
  if (result.timedOut)
    return { ok: false, cancelled: false, message: 'No answer from the admin prompt in time.' };
  const answer = result.code === 0 ? parseAdminShellOutput(result.stdout) : null;
  if (answer === null)
    return {
      ok: false,
      cancelled: false,
      message: `The admin prompt did not run the script to its end: ${(result.stderr.trim() || result.stdout.trim()).slice(0, 300) || `osascript exited with ${result.code}`}`,
    };
  const said = answer.stdout
    .split('\n')
    .filter((line) => line.startsWith(ADMIN_COPY_SAYS))
    .map((line) => line.slice(ADMIN_COPY_SAYS.length));
  if (answer.code !== 0)
    return {
      ok: false,
      cancelled: false,
      message: said.at(-1) ?? `the script exited with ${answer.code}`,
    };
  return { ok: true, said };
}

/** The facts of the process this runs in: the app's bundle from its own binary's path. */
export function currentAdminCopyFacts(
  runtime: RuntimeFacts = currentRuntime(),
  team: string | null = buildTeamId(),
): AdminCopyFacts {
  const binary = macAppBinary(runtime.execPath);
  const bundle = runtime.electron && runtime.platform === 'darwin' ? macBundleOf(binary) : null;
  return {
    platform: runtime.platform,
    bundle,
    team,
    own: runtime.bundleVersion ?? null,
    present: () => {
      try {
        lstatSync(MAC_ROOT_COPY);
        return true;
      } catch (error) {
        // Only "nothing there" is absent: a copy that cannot be looked at is treated as one.
        return (error as NodeJS.ErrnoException).code !== 'ENOENT';
      }
    },
    read: readSmall,
    bundleProblem: () => (bundle === null ? null : bundleInstallProblem(binary, bundle)),
    copyProblem: copyInstallProblem,
  };
}

export interface AdminCopyDeps {
  host: Host;
  facts: () => AdminCopyFacts;
  /** Where the made or removed copy is recorded (the history). */
  record?: (event: PaddockEvent) => Promise<void> | void;
  now?: () => Date;
}

/** What a preview stands for: the exact argv the prompt would be given. */
function digestOf(argv: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(argv)).digest('hex');
}

/** The build of the copy there now: what the install script must still find. */
function currentCopyBuild(facts: AdminCopyFacts): string {
  if (!facts.present()) return 'none';
  return (
    macBundleVersion(facts.read(`${MAC_ROOT_COPY}/Contents/Info.plist`))?.build ?? 'unreadable'
  );
}

/** The argv each offered action would run now (and the install script's own arguments). */
interface Offered {
  install: { argv: string[]; args: string[] } | null;
  remove: string[] | null;
}

/** The argv each offered action would run now, or null where the state offers none. */
function offered(facts: AdminCopyFacts, state: AdminCopyState): Offered {
  const canInstall =
    state.kind === 'absent' ||
    state.kind === 'untrusted' ||
    (state.kind === 'other-version' && !state.copyNewer);
  return {
    install:
      canInstall && 'bundle' in state && facts.team !== null && facts.own !== null
        ? (() => {
            const args = installArgs(state.bundle, facts.own, facts.team, currentCopyBuild(facts));
            return { argv: scriptArgv(INSTALL_SCRIPT, args), args };
          })()
        : null,
    remove:
      state.kind !== 'not-needed' && state.kind !== 'absent' && facts.present()
        ? removeArgv()
        : null,
  };
}

function view(
  state: AdminCopyState,
  argv: Offered,
  outcome: AdminCopyView['outcome'],
): AdminCopyView {
  return {
    state,
    install: argv.install
      ? {
          statements: [...INSTALL_STATEMENTS],
          args: argv.install.args,
          digest: digestOf(argv.install.argv),
        }
      : null,
    remove: argv.remove
      ? { statements: [...REMOVE_STATEMENTS], digest: digestOf(argv.remove) }
      : null,
    outcome,
  };
}

let busy = false;

/**
 * `status`: the state, from the system. `install` and `remove`: only the action previewed
 * (its digest), through macOS's prompt, then the state read again, which is what the answer
 * says happened (verified, not taken from the script's word). Refused, with nothing run, where
 * the state offers no such action or no longer the one previewed.
 */
export async function adminCopyAction(
  deps: AdminCopyDeps,
  request: { action: 'status' } | { action: 'install' | 'remove'; digest: string },
): Promise<AdminCopyView> {
  const facts = deps.facts();
  const before = adminCopyState(facts);
  const argvs = offered(facts, before);
  if (request.action === 'status') return view(before, argvs, null);
  const { action } = request;
  const argv = action === 'install' ? (argvs.install?.argv ?? null) : argvs.remove;
  if (argv === null)
    throw new Error(
      before.kind === 'ready' && action === 'install'
        ? `The admin copy ${MAC_ROOT_COPY} is already this build and usable; nothing was run.`
        : before.kind === 'other-version' && before.copyNewer && action === 'install'
          ? `The admin copy ${MAC_ROOT_COPY} is newer (${before.copyVersion}) than this app (${before.version}): update this app, or remove the copy first; nothing was run.`
          : `There is no admin copy to ${action} here (${'why' in before ? before.why : before.kind}); nothing was run.`,
    );
  if (digestOf(argv) !== request.digest)
    throw new Error(
      'What this would run is no longer what was shown (the app or its copy changed since); look at it again. Nothing was run.',
    );
  if (busy) throw new Error('The admin copy is being changed already; nothing more was run.');
  busy = true;
  try {
    const ran = await runAdminCopyScript(deps.host, argv);
    const afterFacts = deps.facts();
    const after = adminCopyState(afterFacts);
    let outcome: NonNullable<AdminCopyView['outcome']>;
    if (!ran.ok) outcome = { ok: false, cancelled: ran.cancelled, message: ran.message };
    else if (action === 'install' && after.kind !== 'ready')
      outcome = {
        ok: false,
        cancelled: false,
        message: `The script said it made the copy, but Paddock cannot use it: ${
          after.kind === 'untrusted'
            ? after.why
            : after.kind === 'other-version'
              ? `it is ${after.copyVersion ?? 'of an unknown version'}, not ${after.version}`
              : after.kind
        }.${afterFacts.present() ? ' Remove it from here.' : ''}`,
      };
    else if (action === 'remove' && afterFacts.present())
      outcome = { ok: false, cancelled: false, message: `${MAC_ROOT_COPY} is still there.` };
    else
      outcome = {
        ok: true,
        cancelled: false,
        message:
          action === 'install'
            ? `Paddock ${after.kind === 'ready' ? after.version : ''} was copied to ${MAC_ROOT_COPY}, checked against its developer's signature and this build, and is owned by root. Fixes that need admin rights now ask for your password.`
            : `${MAC_ROOT_COPY} was removed. Fixes that need admin rights, and undoing those already made, wait until a copy is made again.`,
      };
    if (ran.ok && deps.record) {
      const at = (deps.now?.() ?? new Date()).toISOString();
      await deps.record({
        id: `${at}-${randomBytes(4).toString('hex')}`,
        kind: 'admin-copy',
        at,
        instance: null,
        verdict: null,
        severity: 'info',
        message: outcome.message,
        data: { action, ok: outcome.ok, path: MAC_ROOT_COPY },
      });
    }
    return view(after, offered(afterFacts, after), outcome);
  } finally {
    busy = false;
  }
}
