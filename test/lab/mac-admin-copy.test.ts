/**
 * The Mac admin copy's two scripts (issue 16, electron/cli/mac-admin-copy.ts), run for real as
 * root on this Linux machine, the way macOS's admin prompt runs them: the prompt's own argv
 * (installArgv/removeArgv) is decoded back into the shell line `do shell script` hands to
 * `/bin/sh -c`, and its answer is read by runAdminCopyScript, as the app reads it.
 *
 * Each run happens in a private mount namespace (`unshare -m --propagation private`) and a
 * chroot whose root is a temporary folder: this machine's /usr, read-only, under an overlay
 * that adds stand-ins for the macOS tools Debian lacks at the exact paths the scripts call
 * (/usr/bin/ditto, /usr/bin/codesign, /usr/libexec/PlistBuddy, /usr/sbin/chown; see their
 * headers in test/support/mac-standins/), /dev/null, /dev/zero and /dev/urandom bound in,
 * and a /bin/sh of the test's choosing: dash, and bash started as `sh` (POSIX mode, which is
 * what macOS's /bin/sh is). /Library and /Applications are plain folders of the chroot; the
 * app bundle in /Applications is a fixture with a user's files, group- and world-writable
 * files, set-id files and links, "signed" by the codesign stand-in's seal. One test adds a
 * fault-injecting /usr/bin/mv (written by this file into the temporary folder) so that the
 * branch that puts the previous copy back runs.
 *
 * Nothing is written outside the temporary folder: every mount lives and dies with the
 * namespace of one run, and the folder is removed at the end (after checking that no mount
 * is left under it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_COPY_SAYS,
  INSTALL_SCRIPT,
  MAC_ROOT_COPY,
  MAC_ROOT_FOLDER,
  REMOVE_SCRIPT,
  developerIdRequirement,
  installArgv,
  removeArgv,
  runAdminCopyScript,
} from '../../electron/cli/mac-admin-copy';
import type { AdminCopyOutcome } from '../../electron/cli/mac-admin-copy';
import { macBundleVersion } from '../../electron/cli/privileged-program';
import { parseAdminShellOutput } from '../../electron/cli/elevate';
import type { ExecResult, Host } from '../../electron/engine/host/types';
import { createFakeHost } from '../support/fake-host';
import type { Prerequisite } from '../support/prerequisites';
import { describeWhen } from '../support/prerequisites';
import { which } from './proc';

const STANDINS = fileURLToPath(new URL('../support/mac-standins/', import.meta.url));
/** Where each stand-in goes, relative to /usr. */
const STANDIN_PLACES: Record<string, string> = {
  ditto: 'bin/ditto',
  codesign: 'bin/codesign',
  PlistBuddy: 'libexec/PlistBuddy',
  chown: 'sbin/chown',
};
const TEAM = 'ABCDE12345';
const OTHER_TEAM = 'ZZZZZ99999';
/** What a bundle of 1.0.0 (whose build is its version here) is "signed" to satisfy. */
const REQUIREMENT = developerIdRequirement(TEAM, '1.0.0');
const APP = '/Applications/Paddock.app';
const USER = 1000;
const RUN_TIMEOUT_MS = 30_000;
const MAX_ENTRIES = 10_000;

interface Shell {
  name: string;
  /** What the chroot's /usr/bin/sh (and so /bin/sh) links to. */
  target: string;
}
const SHELLS: Shell[] = [
  { name: 'dash', target: 'dash' },
  { name: 'bash in POSIX mode (started as sh, as macOS does)', target: 'bash' },
];

function prerequisites(): Prerequisite {
  const missing: string[] = [];
  if (process.platform !== 'linux') missing.push(`Linux (this is ${process.platform})`);
  const uid = process.getuid?.();
  if (uid !== 0) missing.push(`root (this process runs as uid ${uid})`);
  for (const tool of ['unshare', 'chroot', 'mount', 'setpriv'])
    if (!which(tool)) missing.push(`\`${tool}\` on PATH`);
  for (const file of [
    '/usr/bin/dash',
    '/usr/bin/bash',
    '/usr/bin/env',
    '/usr/bin/id',
    '/usr/bin/ls',
    '/usr/bin/mktemp',
    '/usr/bin/cp',
    '/usr/bin/find',
    '/usr/bin/sha256sum',
    '/usr/bin/stat',
    '/usr/bin/chown',
    '/usr/bin/setpriv',
    '/usr/bin/ps',
    '/usr/bin/readlink',
    '/usr/bin/grep',
    '/usr/bin/ln',
  ])
    if (!fs.existsSync(file)) missing.push(file);
  for (const top of ['bin', 'sbin', 'lib']) {
    let target: string | null = null;
    try {
      target = fs.readlinkSync(`/${top}`);
    } catch {
      // not a link
    }
    if (target !== `usr/${top}`) missing.push(`a merged /usr (/${top} -> usr/${top})`);
  }
  let overlay = false;
  try {
    overlay = /\toverlay$/m.test(fs.readFileSync('/proc/filesystems', 'utf8'));
  } catch {
    // no /proc
  }
  if (!overlay) missing.push('overlayfs');
  if (missing.length === 0) {
    const probe = spawnSync(which('unshare')!, ['-m', '--propagation', 'private', 'true'], {
      encoding: 'utf8',
      timeout: 5000,
    });
    if (probe.status !== 0)
      missing.push(`mount namespaces (unshare -m failed: ${(probe.stderr || '').trim()})`);
  }
  return missing.length === 0 ? { ok: true } : { ok: false, reason: missing.join(', ') };
}

// ---------------------------------------------------------------------------------------
// the chroot
// ---------------------------------------------------------------------------------------

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  uid?: number;
  failPutInPlace?: boolean;
  /** The rename into place is interrupted: mv sends TERM to the script, then fails. */
  termPutInPlace?: boolean;
  /** The copy's build the install asks to find (default: what is there, as the app reads it). */
  current?: string;
}

/** A file's text, or null (as the app's readSmall). */
function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

const FAULT_MV = `#!/bin/sh
# Paddock lab test fault injection (not a macOS tool): the rename of a staged copy into
# /Library/Paddock/Paddock.app fails; every other move is the real mv's.
if [ $# -eq 2 ] && [ "$2" = /Library/Paddock/Paddock.app ]; then
  case $1 in
    /Library/Paddock/.stage.*/Paddock.app) echo 'mv: injected failure' >&2; exit 1 ;;
  esac
fi
exec /usr/lib/pdk-fault/mv "$@"
`;

/** The same rename, interrupted: the script is sent TERM (a shutdown, a root kill) meanwhile. */
const TERM_MV = `#!/bin/sh
# Paddock lab test fault injection (not a macOS tool): while the staged copy would be renamed
# into /Library/Paddock/Paddock.app, the script running mv receives TERM; the rename fails.
if [ $# -eq 2 ] && [ "$2" = /Library/Paddock/Paddock.app ]; then
  case $1 in
    /Library/Paddock/.stage.*/Paddock.app) kill -TERM "$PPID"; exit 1 ;;
  esac
fi
exec /usr/lib/pdk-fault/mv "$@"
`;

/**
 * Mounts /usr (read-only overlay: the shell's layer, the stand-ins, this machine's /usr) and
 * the three devices and /proc, all inside the private namespace, then enters the chroot. $1: lowerdir,
 * $2: the chroot's root, then the command.
 */
const ENTER = [
  'set -eu',
  'lower=$1; root=$2; shift 2',
  'mount -t overlay pdk-mac-usr -o "lowerdir=$lower" "$root/usr"',
  'for dev in null zero urandom; do mount --bind "/dev/$dev" "$root/dev/$dev"; done',
  // The machine's processes, for ps and kill -0 on a lock's pid (no pid namespace of its own).
  'mount -t proc pdk-mac-proc "$root/proc"',
  'exec chroot "$root" "$@"',
].join('\n');

class MacChroot {
  readonly dir: string;
  readonly root: string;
  private readonly layers: string;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-mac-copy-'));
    fs.chmodSync(this.dir, 0o700);
    this.layers = path.join(this.dir, 'layers');
    // The stand-ins, root's and 0755, where macOS keeps the tools.
    for (const [name, place] of Object.entries(STANDIN_PLACES)) {
      const target = path.join(this.layers, 'standins', place);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
      fs.copyFileSync(path.join(STANDINS, name), target);
      fs.chmodSync(target, 0o755);
    }
    // One layer per shell: /usr/bin/sh (so /bin/sh) links to it.
    for (const shell of SHELLS) {
      const bin = path.join(this.layers, shell.target, 'bin');
      fs.mkdirSync(bin, { recursive: true, mode: 0o755 });
      fs.symlinkSync(shell.target, path.join(bin, 'sh'));
    }
    // Fault injection (not macOS tools): /usr/bin/mv that refuses, or is interrupted while, it
    // moves a staged copy into place, and runs the real mv (copied beside it) for the rest.
    for (const [layer, script] of [
      ['fault-mv', FAULT_MV],
      ['term-mv', TERM_MV],
    ] as const) {
      const fault = path.join(this.layers, layer);
      fs.mkdirSync(path.join(fault, 'bin'), { recursive: true, mode: 0o755 });
      fs.mkdirSync(path.join(fault, 'lib', 'pdk-fault'), { recursive: true, mode: 0o755 });
      fs.copyFileSync('/usr/bin/mv', path.join(fault, 'lib', 'pdk-fault', 'mv'));
      fs.chmodSync(path.join(fault, 'lib', 'pdk-fault', 'mv'), 0o755);
      fs.writeFileSync(path.join(fault, 'bin', 'mv'), script, { mode: 0o755 });
      fs.chmodSync(path.join(fault, 'bin', 'mv'), 0o755);
    }
    this.root = path.join(this.dir, 'root');
    fs.mkdirSync(this.root, { mode: 0o755 });
    fs.chmodSync(this.root, 0o755);
    for (const top of ['bin', 'sbin', 'lib', 'lib64', 'lib32', 'libx32']) {
      let target: string | null = null;
      try {
        target = fs.readlinkSync(`/${top}`);
      } catch {
        continue;
      }
      fs.symlinkSync(target, path.join(this.root, top));
    }
    fs.mkdirSync(path.join(this.root, 'usr'), { mode: 0o755 });
    fs.mkdirSync(path.join(this.root, 'dev'), { mode: 0o755 });
    fs.mkdirSync(path.join(this.root, 'proc'), { mode: 0o555 });
    for (const dev of ['null', 'zero', 'urandom'])
      fs.writeFileSync(path.join(this.root, 'dev', dev), '', { mode: 0o644 });
    const etc = path.join(this.root, 'etc');
    fs.mkdirSync(etc, { mode: 0o755 });
    // macOS names gid 0 "wheel"; the script chowns to root:wheel.
    fs.writeFileSync(path.join(etc, 'passwd'), 'root:x:0:0:System Administrator:/:/bin/sh\n');
    fs.writeFileSync(path.join(etc, 'group'), 'wheel:x:0:root\nstaff:x:20:\n');
    fs.writeFileSync(path.join(etc, 'nsswitch.conf'), 'passwd: files\ngroup: files\n');
    if (fs.existsSync('/etc/ld.so.cache'))
      fs.copyFileSync('/etc/ld.so.cache', path.join(etc, 'ld.so.cache'));
    this.reset();
  }

  /** This machine's path of a path inside the chroot. */
  at(inside: string): string {
    if (!inside.startsWith('/')) throw new Error(`${inside} is not absolute`);
    return path.join(this.root, inside);
  }

  /** An empty /Library, /Applications and /tmp, and nothing else of a previous test. */
  reset(): void {
    for (const name of ['Library', 'Applications', 'tmp', 'pwned'])
      fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
    fs.mkdirSync(this.at('/Library'), { mode: 0o755 });
    fs.mkdirSync(this.at('/Applications'), { mode: 0o755 });
    fs.mkdirSync(this.at('/tmp'));
    fs.chmodSync(this.at('/tmp'), 0o1777);
  }

  /**
   * Runs argv inside the chroot (as root, or as `uid` through setpriv), /bin/sh = shell;
   * `failPutInPlace`: with the fault-injecting mv.
   */
  run(shell: Shell, argv: readonly string[], opts: RunOptions = {}): RunResult {
    const lower = [
      ...(opts.failPutInPlace ? [path.join(this.layers, 'fault-mv')] : []),
      ...(opts.termPutInPlace ? [path.join(this.layers, 'term-mv')] : []),
      path.join(this.layers, shell.target),
      path.join(this.layers, 'standins'),
      '/usr',
    ];
    const inner =
      opts.uid === undefined
        ? [...argv]
        : [
            '/usr/bin/setpriv',
            `--reuid=${opts.uid}`,
            `--regid=${opts.uid}`,
            '--clear-groups',
            ...argv,
          ];
    const r = spawnSync(
      which('unshare')!,
      [
        '-m',
        '--propagation',
        'private',
        '/bin/sh',
        '-c',
        ENTER,
        'pdk-mac-chroot',
        lower.join(':'),
        this.root,
        ...inner,
      ],
      {
        encoding: 'utf8',
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
        cwd: '/',
        timeout: RUN_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 4 * 1024 * 1024,
      },
    );
    if (r.error) throw r.error;
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /**
   * A Host whose exec is macOS's admin prompt: it takes the osascript argv the app builds,
   * decodes the AppleScript string, and runs that shell line with /bin/sh -c in the chroot
   * (as root, or as `uid`), as `do shell script … with administrator privileges` does.
   */
  prompt(shell: Shell, opts: RunOptions = {}): Host & { lines: RunResult[] } {
    const lines: RunResult[] = [];
    const host = createFakeHost({ platform: 'darwin' });
    return Object.assign(host, {
      lines,
      exec: async (argv: readonly string[]): Promise<ExecResult> => {
        const line = promptLine(argv);
        const started = Date.now();
        const r = this.run(shell, ['/bin/sh', '-c', line], opts);
        lines.push(r);
        return {
          argv: [...argv],
          code: r.code,
          signal: null,
          stdout: r.stdout,
          stderr: r.stderr,
          truncated: false,
          timedOut: false,
          spawnError: null,
          durationMs: Date.now() - started,
        };
      },
    });
  }

  /** Removes the folder, after checking that no mount is left anywhere under it. */
  close(): void {
    const mounts = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((point) => point === this.dir || point.startsWith(`${this.dir}/`));
    if (mounts.length > 0)
      throw new Error(`mounts left under ${this.dir}: ${mounts.join(', ')}; not removed`);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The shell line inside `do shell script "…" with administrator privileges …`. */
function promptLine(argv: readonly string[]): string {
  expect(argv.slice(0, 2)).toEqual(['/usr/bin/osascript', '-e']);
  const m =
    /^do shell script "((?:[^"\\]|\\.)*)" with administrator privileges without altering line endings$/.exec(
      argv[2] ?? '',
    );
  if (!m) throw new Error(`not an admin prompt: ${argv[2]}`);
  return m[1]!.replace(/\\(.)/g, '$1');
}

// ---------------------------------------------------------------------------------------
// the fixture bundle and what the tests read back
// ---------------------------------------------------------------------------------------

interface Entry {
  type: 'dir' | 'file' | 'link' | 'other';
  uid: number;
  gid: number;
  mode: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  target?: string;
  sha256?: string;
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Every entry under `dir` (relative paths, '.' for dir itself), never through a link. */
function snapshot(dir: string): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const queue = ['.'];
  while (queue.length > 0) {
    if (Object.keys(out).length > MAX_ENTRIES) throw new Error(`over ${MAX_ENTRIES} entries`);
    const rel = queue.shift()!;
    const full = path.join(dir, rel);
    const st = fs.lstatSync(full);
    const type = st.isSymbolicLink()
      ? 'link'
      : st.isDirectory()
        ? 'dir'
        : st.isFile()
          ? 'file'
          : 'other';
    out[rel] = {
      type,
      uid: st.uid,
      gid: st.gid,
      mode: st.mode & 0o7777,
      ino: st.ino,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      ...(type === 'link' ? { target: fs.readlinkSync(full) } : {}),
      ...(type === 'file' ? { sha256: sha256(full) } : {}),
    };
    if (type === 'dir')
      for (const name of fs.readdirSync(full).sort())
        queue.push(rel === '.' ? name : `${rel}/${name}`);
  }
  return out;
}

/** What a copy keeps of its source: the tree, the contents and the link targets. */
function contentsOf(tree: Record<string, Entry>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tree).map(([rel, e]) => [rel, `${e.type} ${e.sha256 ?? e.target ?? ''}`]),
  );
}

const plist = (version: string) => `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>CFBundleIdentifier</key>
\t<string>dev.paddock.app</string>
\t<key>CFBundleVersion</key>
\t<string>9000</string>
\t<key>CFBundleShortVersionString</key>
\t<string>${version}</string>
</dict>
</plist>
`;

/** The codesign stand-in's seal lines for a bundle (see its header): bytewise sorted. */
function sealLines(bundle: string): string[] {
  const paths: string[] = [];
  const queue = ['.'];
  while (queue.length > 0) {
    if (paths.length > MAX_ENTRIES) throw new Error(`over ${MAX_ENTRIES} entries`);
    const rel = queue.shift()!;
    if (rel === './Contents/_CodeSignature') continue;
    paths.push(rel);
    const full = path.join(bundle, rel);
    const st = fs.lstatSync(full);
    if (st.isDirectory() && !st.isSymbolicLink())
      for (const name of fs.readdirSync(full)) queue.push(`${rel}/${name}`);
  }
  paths.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return paths.map((rel) => {
    const full = path.join(bundle, rel);
    const st = fs.lstatSync(full);
    if (st.isSymbolicLink()) return `link ${rel} -> ${fs.readlinkSync(full)}`;
    if (st.isDirectory()) return `dir ${rel}`;
    if (st.isFile()) return `file ${rel} ${sha256(full)}`;
    return `other ${rel}`;
  });
}

/** "Signs" a bundle as it now is, for `requirement` (the seal is the user's, like the rest). */
function seal(bundle: string, requirement = REQUIREMENT): void {
  const folder = path.join(bundle, 'Contents', '_CodeSignature');
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'CodeResources');
  fs.writeFileSync(
    file,
    [
      "# Paddock lab stand-in seal (the codesign stand-in's format, not Apple's)",
      `requirement ${requirement}`,
      ...sealLines(bundle),
      '',
    ].join('\n'),
  );
  for (const p of [folder, file]) fs.chownSync(p, USER, USER);
  fs.chmodSync(folder, 0o755);
  fs.chmodSync(file, 0o644);
}

interface BundleOptions {
  version?: string;
  /** Leave out Contents/Resources/paddock-privileged. */
  withoutAdminSide?: boolean;
  /** Add Contents/Resources/outside, a link out of the bundle (to /Applications/outside.txt). */
  linkOut?: boolean;
}

/**
 * An app bundle as a user's drag into /Applications leaves it: the user's files, a folder and
 * a program the group may write, a world-writable file, set-uid and set-gid files (one root's),
 * a set-gid folder, and a framework's version links; then sealed.
 */
function makeBundle(bundle: string, opts: BundleOptions = {}): void {
  const version = opts.version ?? '1.0.0';
  const own = (rel: string, uid: number, gid: number, mode: number) => {
    const p = path.join(bundle, rel);
    fs.lchownSync(p, uid, gid);
    if (!fs.lstatSync(p).isSymbolicLink()) fs.chmodSync(p, mode); // after chown: Linux clears set-id
  };
  const dir = (rel: string) => fs.mkdirSync(path.join(bundle, rel), { recursive: true });
  const file = (rel: string, text: string) => fs.writeFileSync(path.join(bundle, rel), text);
  const framework = 'Contents/Frameworks/Paddock Framework.framework';
  dir('Contents/MacOS');
  dir('Contents/Resources');
  dir(`${framework}/Versions/A`);
  file('Contents/Info.plist', plist(version));
  file('Contents/MacOS/Paddock', `#!/bin/sh\necho Paddock ${version}\n`);
  if (!opts.withoutAdminSide)
    file('Contents/Resources/paddock-privileged', `#!/bin/sh\necho privileged ${version}\n`);
  file('Contents/Resources/app.asar', `app ${version}\n`);
  file('Contents/Resources/root-helper', '#!/bin/sh\nexit 0\n');
  file('Contents/Resources/lock-marked', 'set-gid without group execute\n');
  file(`Contents/Resources/only-in-${version}.txt`, `${version}\n`);
  file(`${framework}/Versions/A/Paddock Framework`, `framework ${version}\n`);
  fs.symlinkSync('A', path.join(bundle, framework, 'Versions/Current'));
  fs.symlinkSync(
    'Versions/Current/Paddock Framework',
    path.join(bundle, framework, 'Paddock Framework'),
  );
  if (opts.linkOut)
    fs.symlinkSync('/Applications/outside.txt', path.join(bundle, 'Contents/Resources/outside'));
  const tree: Array<[string, number, number, number]> = [
    ['.', USER, USER, 0o755],
    ['Contents', USER, USER, 0o755],
    ['Contents/Info.plist', USER, USER, 0o644],
    ['Contents/MacOS', USER, USER, 0o775],
    ['Contents/MacOS/Paddock', USER, USER, 0o775],
    ['Contents/Resources', 0, USER, 0o2775],
    ['Contents/Resources/app.asar', USER, USER, 0o666],
    ['Contents/Resources/root-helper', 0, 0, 0o6755],
    ['Contents/Resources/lock-marked', USER, USER, 0o2644],
    [`Contents/Resources/only-in-${version}.txt`, USER, USER, 0o644],
    ['Contents/Frameworks', USER, USER, 0o755],
    [framework, USER, USER, 0o755],
    [`${framework}/Versions`, USER, USER, 0o755],
    [`${framework}/Versions/A`, USER, USER, 0o755],
    [`${framework}/Versions/A/Paddock Framework`, USER, USER, 0o755],
    [`${framework}/Versions/Current`, USER, USER, 0],
    [`${framework}/Paddock Framework`, USER, USER, 0],
  ];
  if (!opts.withoutAdminSide)
    tree.push(['Contents/Resources/paddock-privileged', USER, USER, 0o4755]);
  if (opts.linkOut) tree.push(['Contents/Resources/outside', USER, USER, 0]);
  for (const [rel, uid, gid, mode] of tree) own(rel, uid, gid, mode);
  // Signed for this build (its build is its version here).
  seal(bundle, developerIdRequirement(TEAM, version));
}

// ---------------------------------------------------------------------------------------
// the tests
// ---------------------------------------------------------------------------------------

const said = (line: string) => `${ADMIN_COPY_SAYS}${line}`;
const installed = (version: string) => `installed ${version} at ${MAC_ROOT_COPY}`;

describeWhen(
  'mac admin copy lab',
  prerequisites,
  'the macOS admin copy scripts, run as root in a chroot with stand-ins for the macOS tools',
  () => {
    let lab: MacChroot;

    beforeAll(() => {
      lab = new MacChroot();
    });

    afterAll(() => {
      lab?.close();
    });

    it('the chroot: /bin/sh is dash, or bash in POSIX mode; the stand-ins sit where macOS keeps the tools; /dev/null works', () => {
      lab.reset();
      const [dash, bash] = SHELLS as [Shell, Shell];
      expect(lab.run(dash, ['/usr/bin/readlink', '-f', '/bin/sh']).stdout).toBe('/usr/bin/dash\n');
      expect(lab.run(bash, ['/usr/bin/readlink', '-f', '/bin/sh']).stdout).toBe('/usr/bin/bash\n');
      expect(lab.run(bash, ['/bin/sh', '-c', 'set -o | grep "^posix"']).stdout).toMatch(
        /^posix\s+on$/m,
      );
      const r = lab.run(dash, [
        '/bin/sh',
        '-c',
        'for f in /usr/bin/ditto /usr/bin/codesign /usr/libexec/PlistBuddy /usr/sbin/chown; do ' +
          '/usr/bin/sed -n 2p "$f"; done; echo gone >/dev/null && echo null-ok; ' +
          '/usr/bin/touch /usr/x 2>/dev/null || echo usr-read-only',
      ]);
      expect(r.stdout).toBe(
        [
          ...[
            '/usr/bin/ditto',
            '/usr/bin/codesign',
            '/usr/libexec/PlistBuddy',
            '/usr/sbin/chown',
          ].map((tool) => `# STAND-IN for macOS's ${tool}, used only by Paddock's lab test`),
          'null-ok',
          'usr-read-only',
          '',
        ].join('\n'),
      );
    });

    it('the stand-ins check their arguments and do what their headers say', () => {
      lab.reset();
      const [dash] = SHELLS as [Shell];
      makeBundle(lab.at(APP));
      const sh = (script: string) => lab.run(dash, ['/bin/sh', '-c', script]);
      // ditto: unknown options refused; a copy keeps owners, modes and set-id bits, links stay links.
      expect(sh('/usr/bin/ditto --frobnicate /Applications/Paddock.app /tmp/x').code).toBe(64);
      expect(sh('/usr/bin/ditto --noacl /Applications/Paddock.app /tmp/x').code).toBe(0);
      const copied = snapshot(lab.at('/tmp/x'));
      const source = snapshot(lab.at(APP));
      for (const [rel, e] of Object.entries(source)) {
        expect(copied[rel], rel).toMatchObject({
          type: e.type,
          uid: e.uid,
          gid: e.gid,
          ...(e.type === 'link' ? { target: e.target } : { mode: e.mode }),
        });
      }
      // codesign: only the script's form; a good seal passes, a change or another requirement fails.
      const verify = (req: string, bundle = APP) =>
        `/usr/bin/codesign --verify --deep --strict "-R=${req.replace(/"/g, '\\"')}" ${bundle}`;
      expect(sh(verify(REQUIREMENT)).code).toBe(0);
      expect(sh(verify(developerIdRequirement(OTHER_TEAM, '1.0.0'))).code).toBe(3);
      expect(sh(verify(developerIdRequirement(TEAM, '1.0.0.7'))).code).toBe(3);
      expect(sh(`/usr/bin/codesign --verify -R=x ${APP}`).code).toBe(2);
      expect(sh(`/usr/bin/codesign -v --deep --strict "-R=x" ${APP}`).code).toBe(2);
      fs.appendFileSync(lab.at(`${APP}/Contents/Resources/app.asar`), 'changed\n');
      const changed = sh(verify(REQUIREMENT));
      expect(changed.code).toBe(1);
      expect(changed.stderr).toMatch(/a sealed resource is missing or invalid/);
      // PlistBuddy: the one key, not the first <string>; a missing key fails.
      expect(
        sh(
          `/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" ${APP}/Contents/Info.plist`,
        ).stdout,
      ).toBe('1.0.0\n');
      expect(
        sh(`/usr/libexec/PlistBuddy -c "Print :Nope" ${APP}/Contents/Info.plist`).code,
      ).not.toBe(0);
      expect(sh(`/usr/libexec/PlistBuddy -c "Set :X 1" ${APP}/Contents/Info.plist`).code).toBe(2);
      // chown as root keeps set-id bits (as macOS does), never follows a link.
      expect(sh('/usr/sbin/chown -R root:wheel /tmp/x').code).toBe(0);
      const owned = snapshot(lab.at('/tmp/x'));
      expect(Object.values(owned).every((e) => e.uid === 0 && e.gid === 0)).toBe(true);
      expect(owned['Contents/Resources/paddock-privileged']!.mode).toBe(0o4755);
      expect(owned['Contents/Resources/root-helper']!.mode).toBe(0o6755);
      expect(sh('/usr/sbin/chown --frobnicate root /tmp/x').code).toBe(64);
    });

    describe.each(SHELLS)('/bin/sh: $name', (shell) => {
      const install = async (
        bundle = APP,
        version = '1.0.0',
        team = TEAM,
        opts: RunOptions = {},
        build = version,
      ): Promise<{ outcome: AdminCopyOutcome; output: string; code: number | null }> => {
        const host = lab.prompt(shell, opts);
        // As the app does: the copy there now, as the preview saw it.
        const current = fs.existsSync(copy())
          ? (macBundleVersion(readOrNull(path.join(copy(), 'Contents/Info.plist')))?.build ??
            'unreadable')
          : 'none';
        const outcome = await runAdminCopyScript(
          host,
          installArgv(bundle, { version, build }, team, opts.current ?? current),
        );
        const parsed = parseAdminShellOutput(host.lines[0]!.stdout);
        return { outcome, output: parsed?.stdout ?? '', code: parsed?.code ?? null };
      };
      const remove = async (opts: { uid?: number } = {}) => {
        const host = lab.prompt(shell, opts);
        const outcome = await runAdminCopyScript(host, removeArgv());
        const parsed = parseAdminShellOutput(host.lines[0]!.stdout);
        return { outcome, output: parsed?.stdout ?? '', code: parsed?.code ?? null };
      };
      /** The script itself with any arguments (what installArgv would already refuse). */
      const rawInstall = (...args: string[]) =>
        lab.run(shell, [
          '/usr/bin/env',
          '-i',
          'PATH=/usr/bin:/bin:/usr/sbin:/sbin',
          'LC_ALL=C',
          '/bin/sh',
          '-c',
          INSTALL_SCRIPT,
          'paddock-admin-copy',
          ...args,
        ]);
      const folder = () => lab.at(MAC_ROOT_FOLDER);
      const copy = () => lab.at(MAC_ROOT_COPY);
      const stages = () =>
        fs.existsSync(folder())
          ? fs.readdirSync(folder()).filter((name) => name.startsWith('.stage.'))
          : [];
      /**
       * /Library/Paddock and everything in it, all but the folder's own times (a run that makes
       * a staging folder in it and removes it again changes them, and nothing else).
       */
      const folderState = (): Record<string, Partial<Entry>> => {
        const tree = snapshot(folder());
        const { mtimeMs: _m, ctimeMs: _c, ...own } = tree['.']!;
        return { ...tree, '.': own };
      };
      /** Installs 1.0.0 and returns the state of /Library/Paddock afterwards. */
      const installFirst = async () => {
        const first = await install();
        expect(first.outcome).toEqual({ ok: true, said: [installed('1.0.0')] });
        return folderState();
      };
      const expectRefused = (
        result: { outcome: AdminCopyOutcome; output: string; code: number | null },
        message: RegExp,
      ) => {
        expect(result.code).not.toBe(0);
        expect(result.code).not.toBeNull();
        expect(result.outcome.ok).toBe(false);
        if (!result.outcome.ok) {
          expect(result.outcome.cancelled).toBe(false);
          // runAdminCopyScript hands back the script's last line without its prefix.
          expect(`${ADMIN_COPY_SAYS}${result.outcome.message}`).toMatch(message);
        }
        const lines = result.output.split('\n').filter((l) => l.startsWith(ADMIN_COPY_SAYS));
        expect(lines.at(-1), result.output).toMatch(message);
      };

      beforeEach(() => {
        lab.reset();
        makeBundle(lab.at(APP));
      });

      it('1. installs a root-only copy: every entry root:wheel, nothing group/other-writable or set-id, links kept as links, the source untouched', async () => {
        const before = snapshot(lab.at(APP));
        const result = await install();
        expect(result.code).toBe(0);
        expect(result.output).toBe(`${said(installed('1.0.0'))}\n`);
        expect(result.outcome).toEqual({ ok: true, said: [installed('1.0.0')] });

        const root = fs.lstatSync(folder());
        expect(root.isDirectory()).toBe(true);
        expect([root.uid, root.gid, root.mode & 0o7777]).toEqual([0, 0, 0o755]);
        expect(fs.readdirSync(folder())).toEqual(['Paddock.app']);

        const copied = snapshot(copy());
        for (const [rel, e] of Object.entries(copied)) {
          expect([rel, e.uid, e.gid]).toEqual([rel, 0, 0]);
          if (e.type !== 'link') {
            expect([rel, e.mode & 0o022]).toEqual([rel, 0]);
            expect([rel, e.mode & 0o6000]).toEqual([rel, 0]);
          }
        }
        // Nothing taken away but write and set-id bits: the rest of each mode is the source's.
        expect(copied['Contents/MacOS/Paddock']!.mode).toBe(0o755);
        expect(copied['Contents/Resources/paddock-privileged']!.mode).toBe(0o755);
        expect(copied['Contents/Resources/app.asar']!.mode).toBe(0o644);
        expect(copied['Contents/Resources']!.mode).toBe(0o755);
        const fw = 'Contents/Frameworks/Paddock Framework.framework';
        expect(copied[`${fw}/Versions/Current`]).toMatchObject({ type: 'link', target: 'A' });
        expect(copied[`${fw}/Paddock Framework`]).toMatchObject({
          type: 'link',
          target: 'Versions/Current/Paddock Framework',
        });
        expect(contentsOf(copied)).toEqual(contentsOf(before));
        expect(snapshot(lab.at(APP))).toEqual(before);
        expect(stages()).toEqual([]);
      });

      it('12. .DS_Store files (which a signature leaves out of its seal, so unchecked) are not kept in the copy', async () => {
        fs.writeFileSync(lab.at(`${APP}/Contents/.DS_Store`), 'any bytes at all\n');
        fs.writeFileSync(lab.at(`${APP}/Contents/Resources/.DS_Store`), 'more\n');
        const result = await install();
        expect(result.outcome).toEqual({ ok: true, said: [installed('1.0.0')] });
        const copied = Object.keys(snapshot(copy()));
        expect(copied.filter((rel) => rel.endsWith('.DS_Store'))).toEqual([]);
        // The source keeps its own.
        expect(fs.existsSync(lab.at(`${APP}/Contents/.DS_Store`))).toBe(true);
      });

      it('13. modes a signature does not seal cannot hide the copy from its user: its folders and Info.plist stay readable', async () => {
        fs.chmodSync(lab.at(`${APP}/Contents/Info.plist`), 0o600);
        fs.chmodSync(lab.at(`${APP}/Contents/MacOS`), 0o700);
        const result = await install();
        expect(result.outcome).toEqual({ ok: true, said: [installed('1.0.0')] });
        const copied = snapshot(copy());
        expect(copied['Contents/Info.plist']!.mode).toBe(0o644);
        expect(copied['Contents/MacOS']!.mode).toBe(0o755);
      });

      it('14. one run at a time: a lock held by a live run refuses; one left by a run that is gone, or whose pid another program now has, is taken over; no lock is left', async () => {
        fs.mkdirSync(folder(), { mode: 0o755 });
        fs.chmodSync(folder(), 0o755);
        const lock = path.join(folder(), '.lock');
        // A live run: a process whose arguments are the script's ($0 paddock-admin-copy).
        const live = spawn('/bin/sh', ['-c', 'sleep 30', 'paddock-admin-copy'], {
          stdio: 'ignore',
        });
        try {
          fs.symlinkSync(String(live.pid), lock);
          const busy = await install();
          expectRefused(busy, /another run is changing the admin copy; nothing was changed$/);
          expectRefused(await remove(), /another run is changing the admin copy/);
          expect(fs.existsSync(copy())).toBe(false);
          // Refused runs leave the other run's lock as it was.
          expect(fs.readlinkSync(lock)).toBe(String(live.pid));
        } finally {
          live.kill('SIGKILL');
        }
        // A pid that another program has now (this test's own): not a run of the script.
        fs.rmSync(lock);
        fs.symlinkSync(String(process.pid), lock);
        const reused = await install();
        expect(reused.outcome).toEqual({ ok: true, said: [installed('1.0.0')] });
        expect(fs.readdirSync(folder())).toEqual(['Paddock.app']);
        // A pid no process has (above the kernel's pid_max).
        const pidMax = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
        fs.symlinkSync(String(pidMax + 1), lock);
        const gone = await remove();
        expect(gone.outcome).toEqual({ ok: true, said: [`removed ${MAC_ROOT_COPY}`] });
        expect(fs.existsSync(folder())).toBe(false);
      });

      it('15. a lock that is not a link with a pid is refused, never removed', async () => {
        fs.mkdirSync(path.join(folder(), '.lock'), { recursive: true });
        fs.chmodSync(folder(), 0o755);
        expectRefused(await install(), /\.lock is not a lock of Paddock's \(remove it first\)/);
        expect(fs.statSync(path.join(folder(), '.lock')).isDirectory()).toBe(true);
        expect(fs.readdirSync(path.join(folder(), '.lock'))).toEqual([]);
        // A link to a folder elsewhere: nothing is made through it.
        fs.rmSync(path.join(folder(), '.lock'), { recursive: true });
        const elsewhere = lab.at('/tmp/lock-target');
        fs.mkdirSync(elsewhere, { recursive: true });
        fs.symlinkSync('/tmp/lock-target', path.join(folder(), '.lock'));
        expectRefused(await install(), /\.lock is not a lock of Paddock's \(remove it first\)/);
        expect(fs.readdirSync(elsewhere)).toEqual([]);
      });

      it('16. the copy changed since the preview (another Paddock made one meanwhile): refused, that copy kept', async () => {
        const previous = await installFirst();
        const result = await install(APP, '1.0.0', TEAM, { current: 'none' });
        expectRefused(
          result,
          /the admin copy changed since this was shown \(it is now 9000, not none\); nothing was changed$/,
        );
        expect(folderState()).toEqual(previous);
        expect(stages()).toEqual([]);
      });

      it('17. what the signature leaves unchecked is not kept: a root-only file hard-linked in as PkgInfo never becomes readable', async () => {
        const secret = lab.at('/Applications/secret');
        fs.writeFileSync(secret, 'root only\n');
        fs.chownSync(secret, 0, 0);
        fs.chmodSync(secret, 0o600);
        fs.mkdirSync(lab.at(`${APP}/Contents/Resources/en.lproj`));
        fs.chownSync(lab.at(`${APP}/Contents/Resources/en.lproj`), USER, USER);
        // Signed with the folder (a localization the app has); the two files come after.
        seal(lab.at(APP), REQUIREMENT);
        fs.linkSync(secret, lab.at(`${APP}/Contents/PkgInfo`));
        fs.linkSync(secret, lab.at(`${APP}/Contents/Resources/en.lproj/locversion.plist`));
        // Left out of the seal, as codesign's default rules leave them: the bundle verifies.
        const result = await install();
        expect(result.outcome).toEqual({ ok: true, said: [installed('1.0.0')] });
        const copied = snapshot(copy());
        expect(Object.keys(copied).filter((rel) => /PkgInfo|locversion/.test(rel))).toEqual([]);
        // Nothing in the copy is readable by others that was not readable in the source.
        const source = snapshot(lab.at(APP));
        for (const [rel, e] of Object.entries(copied))
          if (e.type === 'file')
            expect([rel, e.mode & 0o044 & ~(source[rel]!.mode & 0o044)]).toEqual([rel, 0]);
        expect(fs.statSync(secret).mode & 0o777).toBe(0o600);
      });

      it('2a. a copy changed after signing is refused: the previous copy stays exactly as it was, no staging left', async () => {
        const previous = await installFirst();
        fs.rmSync(lab.at(APP), { recursive: true });
        makeBundle(lab.at(APP), { version: '1.1.0' });
        fs.appendFileSync(lab.at(`${APP}/Contents/MacOS/Paddock`), 'echo injected\n');
        const result = await install(APP, '1.1.0');
        expectRefused(
          result,
          /^paddock-admin-copy: \/Applications\/Paddock\.app is not signed by Paddock's developer, or was changed after signing; nothing was changed$/,
        );
        expect(folderState()).toEqual(previous);
        expect(stages()).toEqual([]);
      });

      it('2b. a bundle that does not meet the requirement (another team) is refused, the previous copy kept', async () => {
        const previous = await installFirst();
        const result = await install(APP, '1.0.0', OTHER_TEAM);
        expectRefused(result, /is not signed by Paddock's developer/);
        expect(folderState()).toEqual(previous);
        expect(stages()).toEqual([]);
      });

      it('2c. a file added to a signed bundle is refused, the previous copy kept', async () => {
        const previous = await installFirst();
        fs.writeFileSync(lab.at(`${APP}/Contents/Resources/extra.dylib`), 'added\n');
        const result = await install();
        expectRefused(result, /is not signed by Paddock's developer/);
        expect(folderState()).toEqual(previous);
        expect(stages()).toEqual([]);
      });

      it('2d. a link out of the bundle fails strict verification, and chown/chmod never changed what it leads to', async () => {
        const previous = await installFirst();
        const outside = lab.at('/Applications/outside.txt');
        fs.writeFileSync(outside, 'not the bundle\n');
        fs.chownSync(outside, USER, USER);
        fs.chmodSync(outside, 0o4666);
        const outsideBefore = snapshot(outside);
        fs.rmSync(lab.at(APP), { recursive: true });
        makeBundle(lab.at(APP), { linkOut: true });
        const result = await install();
        expectRefused(result, /is not signed by Paddock's developer/);
        expect(snapshot(outside)).toEqual(outsideBefore);
        expect(folderState()).toEqual(previous);
        expect(stages()).toEqual([]);
      });

      it('2e. a signed bundle without the admin side is refused, the previous copy kept', async () => {
        const previous = await installFirst();
        fs.rmSync(lab.at(APP), { recursive: true });
        makeBundle(lab.at(APP), { withoutAdminSide: true });
        const result = await install();
        expectRefused(
          result,
          /^paddock-admin-copy: the copy lacks the admin side; nothing was changed$/,
        );
        expect(folderState()).toEqual(previous);
        expect(stages()).toEqual([]);
      });

      it('3b. another build than this app (an older signed Paddock put in /Applications) fails the requirement, the previous copy kept', async () => {
        const previous = await installFirst();
        // The app asks for its own build, 1.0.0.7; the bundle on disk is the signed 1.0.0.
        const result = await install(APP, '1.0.0', TEAM, {}, '1.0.0.7');
        expectRefused(result, /is not signed by Paddock's developer/);
        expect(folderState()).toEqual(previous);
        expect(stages()).toEqual([]);
      });

      it('3. a version other than the one asked for is refused, the previous copy kept', async () => {
        const previous = await installFirst();
        fs.rmSync(lab.at(APP), { recursive: true });
        makeBundle(lab.at(APP), { version: '1.1.0' });
        // The build the requirement names is this bundle's; its short version is not the one asked.
        const result = await install(APP, '1.2.0', TEAM, {}, '1.1.0');
        expectRefused(
          result,
          /^paddock-admin-copy: the copy is version 1\.1\.0, not 1\.2\.0 \(was the app updated just now\?\); nothing was changed$/,
        );
        expect(folderState()).toEqual(previous);
        expect(stages()).toEqual([]);
      });

      it('4. a new version replaces the older copy; nothing of the old one is left', async () => {
        await installFirst();
        fs.rmSync(lab.at(APP), { recursive: true });
        makeBundle(lab.at(APP), { version: '2.0.0' });
        const result = await install(APP, '2.0.0');
        expect(result.outcome).toEqual({ ok: true, said: [installed('2.0.0')] });
        expect(fs.readdirSync(folder())).toEqual(['Paddock.app']);
        expect(fs.readFileSync(`${copy()}/Contents/Info.plist`, 'utf8')).toContain(
          '<string>2.0.0</string>',
        );
        expect(fs.existsSync(`${copy()}/Contents/Resources/only-in-1.0.0.txt`)).toBe(false);
        expect(fs.existsSync(`${copy()}/Contents/Resources/only-in-2.0.0.txt`)).toBe(true);
        expect(contentsOf(snapshot(copy()))).toEqual(contentsOf(snapshot(lab.at(APP))));
      });

      it('4c. interrupted while the new copy is put in place: the previous one is put back, and it says it was interrupted', async () => {
        const previous = await installFirst();
        fs.rmSync(lab.at(APP), { recursive: true });
        makeBundle(lab.at(APP), { version: '2.0.0' });
        const result = await install(APP, '2.0.0', TEAM, { termPutInPlace: true });
        expectRefused(
          result,
          /^paddock-admin-copy: interrupted before it finished; the app reads the admin copy again$/,
        );
        const { ctimeMs: _c, ...moved } = previous['Paddock.app']!;
        const now = folderState();
        const { ctimeMs: _n, ...movedNow } = now['Paddock.app']!;
        expect({ ...now, 'Paddock.app': movedNow }).toEqual({ ...previous, 'Paddock.app': moved });
        expect(stages()).toEqual([]);
        expect(fs.existsSync(path.join(folder(), '.lock'))).toBe(false);
      });

      it('4b. when the new copy cannot be put in place, the previous one is put back', async () => {
        const previous = await installFirst();
        fs.rmSync(lab.at(APP), { recursive: true });
        makeBundle(lab.at(APP), { version: '2.0.0' });
        const result = await install(APP, '2.0.0', TEAM, { failPutInPlace: true });
        expectRefused(
          result,
          /^paddock-admin-copy: could not put the copy in place; the previous one was put back$/,
        );
        // Renamed aside and back: the same inodes and contents; only the moved folder's ctime.
        const { ctimeMs: _c, ...moved } = previous['Paddock.app']!;
        const now = folderState();
        const { ctimeMs: _n, ...movedNow } = now['Paddock.app']!;
        expect({ ...now, 'Paddock.app': movedNow }).toEqual({ ...previous, 'Paddock.app': moved });
        expect(stages()).toEqual([]);
      });

      it('5. /Library/Paddock as a symbolic link is refused; nothing is written through it', async () => {
        const elsewhere = lab.at('/tmp/elsewhere');
        fs.mkdirSync(elsewhere, { mode: 0o755 });
        fs.writeFileSync(path.join(elsewhere, 'keep'), 'keep\n');
        fs.symlinkSync('/tmp/elsewhere', folder());
        const before = snapshot(elsewhere);
        const result = await install();
        expectRefused(
          result,
          /^paddock-admin-copy: \/Library\/Paddock is a symbolic link; nothing was changed$/,
        );
        expect(snapshot(elsewhere)).toEqual(before);
        expect(fs.readlinkSync(folder())).toBe('/tmp/elsewhere');
        // A link that leads nowhere is refused the same way (nothing made where it points).
        fs.rmSync(folder());
        fs.symlinkSync('/tmp/nowhere', folder());
        expectRefused(await install(), /is a symbolic link; nothing was changed/);
        expect(fs.existsSync(lab.at('/tmp/nowhere'))).toBe(false);
      });

      it.each([
        ['owned by uid 1000', USER, 0o755],
        ['mode 0777', 0, 0o777],
        ['mode 0775', 0, 0o775],
        ['mode 0757', 0, 0o757],
        ['mode 01777 (sticky)', 0, 0o1777],
      ])('6. /Library/Paddock %s is refused; nothing in it changes', async (_what, uid, mode) => {
        await installFirst();
        fs.writeFileSync(path.join(folder(), 'someone-elses'), 'x\n');
        fs.chownSync(folder(), uid, 0);
        fs.chmodSync(folder(), mode);
        const before = snapshot(folder());
        const result = await install();
        expectRefused(
          result,
          /^paddock-admin-copy: \/Library\/Paddock is not a folder of root's that only root may change \(remove it first\); nothing was changed$/,
        );
        expect(snapshot(folder())).toEqual(before);
      });

      it('7. stale staging folders are removed; a .stage.* link is removed without being followed, nor is a link inside a stale one', async () => {
        fs.mkdirSync(folder(), { mode: 0o755 });
        const stale = path.join(folder(), '.stage.AbCd1234');
        fs.mkdirSync(path.join(stale, 'Paddock.app', 'Contents'), { recursive: true, mode: 0o700 });
        fs.writeFileSync(path.join(stale, 'Paddock.app', 'Contents', 'half'), 'half a copy\n');
        const victim = lab.at('/tmp/victim');
        const victim2 = lab.at('/tmp/victim2');
        for (const v of [victim, victim2]) {
          fs.mkdirSync(v, { mode: 0o755 });
          fs.writeFileSync(path.join(v, 'keep'), 'keep\n');
        }
        fs.symlinkSync('/tmp/victim2', path.join(stale, 'previous'));
        fs.symlinkSync('/tmp/victim', path.join(folder(), '.stage.evil'));
        const victims = [snapshot(victim), snapshot(victim2)];
        const result = await install();
        expect(result.outcome).toEqual({ ok: true, said: [installed('1.0.0')] });
        expect(fs.existsSync(stale)).toBe(false);
        expect(stages()).toEqual([]);
        expect([snapshot(victim), snapshot(victim2)]).toEqual(victims);
      });

      it('8. a source that is relative, not a .app, or a symbolic link is refused before anything is made', async () => {
        fs.symlinkSync('Paddock.app', lab.at('/Applications/Link.app'));
        fs.cpSync(lab.at(APP), lab.at('/Applications/Paddock'), {
          recursive: true,
          verbatimSymlinks: true,
        });
        for (const [src, message] of [
          ['Applications/Paddock.app', /is not an absolute path to a \.app; nothing was changed$/],
          ['Paddock.app', /is not an absolute path to a \.app; nothing was changed$/],
          ['/Applications/Paddock', /is not an absolute path to a \.app; nothing was changed$/],
          [
            '/Applications/Paddock.app/',
            /is not an absolute path to a \.app; nothing was changed$/,
          ],
          [
            '/Applications/Link.app',
            /^paddock-admin-copy: \/Applications\/Link\.app is not an app folder; nothing was changed$/,
          ],
          ['/Applications/Missing.app', /\/Applications\/Missing\.app is not an app folder/],
        ] as const) {
          const r = rawInstall(src, '1.0.0', REQUIREMENT, 'none');
          expect([src, r.code]).toEqual([src, 1]);
          expect(r.stdout.trim().split('\n').at(-1), `${src}: ${r.stdout}`).toMatch(message);
          expect(fs.existsSync(folder()), src).toBe(false);
        }
        // The symbolic link through the prompt too (installArgv lets it through; the script refuses).
        expectRefused(await install('/Applications/Link.app'), /is not an app folder/);
        expect(fs.existsSync(folder())).toBe(false);
        // Too few arguments: set -u stops it.
        const few = rawInstall(APP);
        expect(few.code).not.toBe(0);
        expect(fs.existsSync(folder())).toBe(false);
      });

      it.each([
        ["/Applications/My 'Apps'/Paddock.app"],
        ["/Applications/My 'Apps' $(touch pwned) `touch pwned` * ; x/Paddock.app"],
      ])('9. a source path with spaces, quotes and shell syntax works: %s', async (src) => {
        fs.mkdirSync(path.dirname(lab.at(src)), { recursive: true });
        fs.renameSync(lab.at(APP), lab.at(src));
        const before = snapshot(lab.at(src));
        const result = await install(src);
        expect(result.outcome).toEqual({ ok: true, said: [installed('1.0.0')] });
        expect(contentsOf(snapshot(copy()))).toEqual(contentsOf(before));
        expect(snapshot(lab.at(src))).toEqual(before);
        expect(fs.existsSync(lab.at('/pwned'))).toBe(false);
        expect(stages()).toEqual([]);
      });

      it('10. remove: removes the copy and the empty folder; again says there is none; refuses a link or a folder others may write', async () => {
        await installFirst();
        const removed = await remove();
        expect(removed.code).toBe(0);
        expect(removed.output).toBe(`${said(`removed ${MAC_ROOT_COPY}`)}\n`);
        expect(removed.outcome).toEqual({ ok: true, said: [`removed ${MAC_ROOT_COPY}`] });
        expect(fs.existsSync(folder())).toBe(false);

        const again = await remove();
        expect(again.code).toBe(0);
        expect(again.outcome).toEqual({ ok: true, said: ['there is no admin copy'] });

        // Something else in the folder: the copy goes, the folder and the other entry stay; a
        // second remove says there is no copy (not "removed").
        await installFirst();
        fs.writeFileSync(path.join(folder(), 'other'), 'x\n');
        expect((await remove()).outcome.ok).toBe(true);
        expect(fs.readdirSync(folder())).toEqual(['other']);
        expect((await remove()).outcome).toEqual({ ok: true, said: ['there is no admin copy'] });
        fs.rmSync(folder(), { recursive: true });

        // A link: refused, nothing removed where it leads.
        const elsewhere = lab.at('/tmp/elsewhere');
        fs.mkdirSync(path.join(elsewhere, 'Paddock.app'), { recursive: true });
        fs.writeFileSync(path.join(elsewhere, 'Paddock.app', 'keep'), 'keep\n');
        fs.symlinkSync('/tmp/elsewhere', folder());
        const before = snapshot(elsewhere);
        expectRefused(
          await remove(),
          /^paddock-admin-copy: \/Library\/Paddock is a symbolic link; nothing was changed$/,
        );
        expect(snapshot(elsewhere)).toEqual(before);
        fs.rmSync(folder());

        // A folder others may write: refused, the copy kept.
        await installFirst();
        fs.chmodSync(folder(), 0o777);
        const kept = snapshot(folder());
        expectRefused(
          await remove(),
          /^paddock-admin-copy: \/Library\/Paddock is not a folder of root's that only root may change; nothing was changed$/,
        );
        expect(snapshot(folder())).toEqual(kept);
      });

      it('11. not root: both scripts say "this must run as root" and change nothing', async () => {
        const result = await install(APP, '1.0.0', TEAM, { uid: USER });
        expectRefused(result, /^paddock-admin-copy: this must run as root$/);
        expect(fs.existsSync(folder())).toBe(false);

        const previous = await installFirst();
        expectRefused(await remove({ uid: USER }), /^paddock-admin-copy: this must run as root$/);
        expectRefused(
          await install(APP, '1.0.0', TEAM, { uid: USER }),
          /^paddock-admin-copy: this must run as root$/,
        );
        expect(folderState()).toEqual(previous);
        // REMOVE_SCRIPT run by hand as the user, the same.
        const r = lab.run(
          shell,
          ['/usr/bin/env', '-i', 'PATH=/usr/bin:/bin', '/bin/sh', '-c', REMOVE_SCRIPT, 'x'],
          { uid: USER },
        );
        expect([r.code, r.stdout]).toEqual([1, `${said('this must run as root')}\n`]);
        expect(folderState()).toEqual(previous);
      });
    });
  },
);
