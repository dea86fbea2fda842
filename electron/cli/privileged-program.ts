/**
 * Which program the unprivileged side asks sudo, pkexec, macOS's prompt or UAC to run with
 * admin rights: always `paddock-privileged` (privileged-entry.ts), never the desktop app as an
 * app (Chromium reads switches from the whole command line before any of Paddock's code runs)
 * and never the ordinary CLI. sudo's rules, polkit's action or UAC's prompt decide whether it
 * may run; the privileged side itself refuses to start from an install another user could
 * change.
 *
 * From a terminal (`paddock`, run by Node):
 * 1. PADDOCK_PRIVILEGED, when set to an absolute path (an administrator's own install, tests);
 * 2. the copy the .deb installs root-owned (electron-builder.yml, build/linux/);
 * 3. the bundle beside this one (a development checkout: `out/cli/paddock-privileged.cjs`).
 * A `.cjs` is run by this Node (`process.execPath`); the installed program by its own
 * `#!/usr/bin/node` line, which is the path polkit's exec.path annotation names.
 *
 * From the desktop app (Electron):
 * - Linux: the .deb's root-owned copy, run by the system's Node (the package depends on
 *   `nodejs`; polkit's action names that path);
 * - Windows and macOS, where no system Node can be counted on: the app's own binary run as
 *   Node (ELECTRON_RUN_AS_NODE, which only the runAsNode fuse lets it honour;
 *   electron-builder.yml says why that fuse is on) on `paddock-privileged` in the app's
 *   resources. On a Mac the variable is set by `/usr/bin/env` in the argv itself, since sudo
 *   and `env -i` drop the caller's; on Windows UAC starts the elevated side with a fresh
 *   environment, so cli/win32-elevate.ts sets it in the elevated PowerShell that starts it.
 *   Whether an administrator's process may trust that copy is checked before any prompt (on a
 *   Mac: every folder from / down root's alone, which /Applications, writable by the admin
 *   group, is not; on Windows: Program Files, an install for all users).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, win32 } from 'node:path';

/** Where the .deb installs it (electron-builder's /opt/${productName}/resources). */
export const INSTALLED_PRIVILEGED = '/opt/Paddock/resources/paddock-privileged';
export const PRIVILEGED_BUNDLE = 'paddock-privileged.cjs';
/** Its name in the packaged app's resources (electron-builder.yml, extraResources). */
export const RESOURCES_PRIVILEGED = 'paddock-privileged';
/** The variable that makes an Electron binary run a script as plain Node. */
export const RUN_AS_NODE = 'ELECTRON_RUN_AS_NODE';

/** What privilegedArgv needs to know of the process it runs in (the real one by default). */
export interface RuntimeFacts {
  platform: NodeJS.Platform;
  /** process.versions.electron: set in the desktop app's processes. */
  electron: string | undefined;
  execPath: string;
  /** process.resourcesPath: the packaged app's resources folder (Electron only). */
  resourcesPath: string | undefined;
  /** The Mac app's version and build, compiled in (compiledBundleVersion); null: unknown. */
  bundleVersion?: BundleVersion | null;
}

/** A Mac bundle's CFBundleShortVersionString and CFBundleVersion. */
export interface BundleVersion {
  version: string;
  build: string;
}

/**
 * The version and build this code was built as (electron.vite.config.mts compiles them in,
 * by electron-builder's rule: scripts/mac-bundle-version.mjs); null under Node, where the CLI's
 * bundles define them empty, and never read from the environment of a packaged app.
 */
export function compiledBundleVersion(
  version: string | undefined = process.env.PADDOCK_APP_VERSION,
  build: string | undefined = process.env.PADDOCK_BUNDLE_VERSION,
): BundleVersion | null {
  return version && build && isMacVersion(version) && isMacVersion(build)
    ? { version, build }
    : null;
}

export function currentRuntime(): RuntimeFacts {
  return {
    platform: process.platform,
    electron: process.versions.electron,
    execPath: process.execPath,
    resourcesPath: (process as { resourcesPath?: string }).resourcesPath,
    bundleVersion: compiledBundleVersion(),
  };
}

/**
 * The packaged app's resources folder: Electron's own word for it, else the folder that holds
 * the `app.asar` this code was loaded from (`…/resources/app.asar/out/main`), else null (a
 * development checkout, or Node).
 */
export function resourcesFolder(runtime: RuntimeFacts, here: string): string | null {
  if (!runtime.electron) return null;
  if (runtime.resourcesPath) return runtime.resourcesPath;
  const match = /^(.*)[\\/]app\.asar(?:[\\/]|$)/.exec(here);
  return match ? match[1]! : null;
}

/**
 * The app's own binary for a process of its bundle: the engine runs in a utility process, whose
 * binary on a Mac is `…/Contents/Frameworks/Paddock Helper.app/Contents/MacOS/Paddock Helper`;
 * the admin side is run by the app's, `…/Contents/MacOS/Paddock`, the one the docs and the
 * install check name. Anything else is returned as it is.
 */
export function macAppBinary(execPath: string): string {
  const m =
    /^(.+?\.app)\/Contents\/Frameworks\/[^/]+\.app\/Contents\/MacOS\/(.+?) Helper(?: \([A-Za-z]+\))?$/.exec(
      execPath,
    );
  return m ? `${m[1]}/Contents/MacOS/${m[2]}` : execPath;
}

/**
 * macOS: the copy of Paddock.app that only root can change (`/Library` is root's alone;
 * `/Applications` lets any administrator account replace what is in it without a password).
 * Made and removed through macOS's prompt by cli/mac-admin-copy.ts. The app runs its admin
 * side from it when it holds the app's own version (another version would make other plans,
 * which the privileged side refuses as not approved).
 */
export const MAC_ROOT_COPY = '/Library/Paddock/Paddock.app';

/** What a bundle version may be to be used or passed on (electron-builder's semver). */
export function isMacVersion(version: string): boolean {
  return /^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/.test(version);
}

/** One string key of a bundle's Info.plist (XML, as electron-builder writes it), if a version. */
function plistVersionKey(infoPlist: string | null, key: string): string | null {
  if (infoPlist === null) return null;
  const found = new RegExp(`<key>${key}</key>\\s*<string>([^<]{1,64})</string>`).exec(
    infoPlist,
  )?.[1];
  return found !== undefined && isMacVersion(found) ? found : null;
}

/** CFBundleShortVersionString and CFBundleVersion of an Info.plist; null if either is missing. */
export function macBundleVersion(infoPlist: string | null): BundleVersion | null {
  const version = plistVersionKey(infoPlist, 'CFBundleShortVersionString');
  const build = plistVersionKey(infoPlist, 'CFBundleVersion');
  return version !== null && build !== null ? { version, build } : null;
}

export function sameBundleVersion(a: BundleVersion | null, b: BundleVersion | null): boolean {
  return a !== null && b !== null && a.version === b.version && a.build === b.build;
}

/** A small file's text, or null (absent, unreadable, over 1 MiB). */
export function readSmall(path: string): string | null {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length <= 1024 * 1024 ? text : null;
  } catch {
    return null;
  }
}

/** The bundle a binary inside it belongs to (`/Applications/Paddock.app`), or null. */
export function macBundleOf(binary: string): string | null {
  return /^(.+?\.app)\/Contents\//.exec(binary)?.[1] ?? null;
}

/**
 * What the app's binary loads from its bundle before any of Paddock's code runs, by the paths
 * the loader and Chromium use (through each framework's `Versions/Current` link, which the
 * install check follows and judges too): every framework's code in Contents/Frameworks (the
 * Electron framework, and Squirrel and the like that it links), the Electron framework's
 * dylibs (libffmpeg…) and V8's and ICU's data files. Judged with the binary by the install
 * check. [] when `binary` is not an app bundle's; null (refuse) when a folder could not be
 * listed or holds more than the check will judge.
 */
export function macRuntimeFiles(
  binary: string,
  list: (dir: string) => string[] | null = listDir,
): string[] | null {
  const bundle = macBundleOf(binary);
  if (bundle === null) return [];
  const frameworks = `${bundle}/Contents/Frameworks`;
  const names = list(frameworks);
  if (names === null) return null;
  const files = names
    .filter((name) => /^[^/]+\.framework$/.test(name))
    .sort()
    .map((name) => `${frameworks}/${name}/${name.slice(0, -'.framework'.length)}`);
  const electron = `${frameworks}/Electron Framework.framework`;
  for (const [folder, kind] of [
    ['Resources', /^[^/]+\.(?:bin|dat)$/],
    ['Libraries', /^[^/]+\.dylib$/],
  ] as const) {
    const entries = list(`${electron}/${folder}`);
    if (entries === null) return null;
    files.push(
      ...entries
        .filter((name) => kind.test(name))
        .sort()
        .map((name) => `${electron}/${folder}/${name}`),
    );
  }
  return files.length > 128 ? null : files;
}

function listDir(dir: string): string[] | null {
  try {
    return readdirSync(dir);
  } catch {
    return null;
  }
}

export function privilegedArgv(
  env: (name: string) => string | undefined = (name) => process.env[name],
  here: string = __dirname,
  exists: (path: string) => boolean = existsSync,
  runtime: RuntimeFacts = currentRuntime(),
  read: (path: string) => string | null = readSmall,
): string[] {
  const asked = env('PADDOCK_PRIVILEGED');
  if (runtime.electron && (runtime.platform === 'win32' || runtime.platform === 'darwin')) {
    const windows = runtime.platform === 'win32';
    const resources = resourcesFolder(runtime, here);
    const packaged =
      resources && (windows ? win32 : { join }).join(resources, RESOURCES_PRIVILEGED);
    // `electron .` in a checkout: Electron's resources hold no Paddock; the bundle beside this one.
    const script =
      packaged && exists(packaged)
        ? packaged
        : [join(here, PRIVILEGED_BUNDLE), join(here, '..', 'cli', PRIVILEGED_BUNDLE)].find(exists);
    if (!script) return [];
    if (windows) return [runtime.execPath, script];
    let binary = macAppBinary(runtime.execPath);
    let program = script;
    // The root-owned copy of this same build, when one was made (mac-admin-copy.ts): the
    // build this code was compiled as, never what the bundle in /Applications says.
    const bundle = macBundleOf(binary);
    if (bundle !== null && bundle !== MAC_ROOT_COPY) {
      const copyBinary = `${MAC_ROOT_COPY}${binary.slice(bundle.length)}`;
      const copyScript = `${MAC_ROOT_COPY}/Contents/Resources/${RESOURCES_PRIVILEGED}`;
      if (
        sameBundleVersion(
          runtime.bundleVersion ?? null,
          macBundleVersion(read(`${MAC_ROOT_COPY}/Contents/Info.plist`)),
        ) &&
        exists(copyBinary) &&
        exists(copyScript)
      ) {
        binary = copyBinary;
        program = copyScript;
      }
    }
    // `env` reads a word with `=` as one more variable: such a path would be run as a program.
    if (binary.includes('=') || program.includes('=')) return [];
    return ['/usr/bin/env', `${RUN_AS_NODE}=1`, binary, program];
  }
  const node = runtime.electron ? '/usr/bin/node' : runtime.execPath;
  const argvFor = (path: string) => (path.endsWith('.cjs') ? [node, path] : [path]);
  if (asked && asked.startsWith('/')) return argvFor(asked);
  if (exists(INSTALLED_PRIVILEGED)) return [INSTALLED_PRIVILEGED];
  for (const candidate of [
    join(here, PRIVILEGED_BUNDLE),
    join(here, '..', 'cli', PRIVILEGED_BUNDLE),
  ])
    if (exists(candidate)) return argvFor(candidate);
  return argvFor(join(here, PRIVILEGED_BUNDLE));
}
