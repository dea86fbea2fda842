/**
 * Which program each kind of Paddock asks to run with admin rights (privileged-program.ts),
 * and which program the Windows recipes start for `__ollama-app-switch` (recipes/win32.ts):
 * from a terminal, Node and the bundle; from the desktop app on Windows and macOS, the app's
 * own binary as Node on the copy in its resources; on Linux, the .deb's root-owned copy.
 */
import { describe, expect, it } from 'vitest';
import {
  INSTALLED_PRIVILEGED,
  MAC_ROOT_COPY,
  RUN_AS_NODE,
  macAppBinary,
  macRuntimeFiles,
  privilegedArgv,
  resourcesFolder,
} from '../../../electron/cli/privileged-program';
import type { RuntimeFacts } from '../../../electron/cli/privileged-program';
import { defaultPaddockProgram } from '../../../electron/engine/fixes/recipes/win32';

const none = () => undefined;
const WIN_RES = 'C:\\Program Files\\Paddock\\resources';
const WIN_EXE = 'C:\\Program Files\\Paddock\\Paddock.exe';
const MAC_RES = '/Applications/Paddock.app/Contents/Resources';
const MAC_EXE = '/Applications/Paddock.app/Contents/MacOS/Paddock';

const app = (
  platform: NodeJS.Platform,
  execPath: string,
  resourcesPath?: string,
): RuntimeFacts => ({
  platform,
  electron: '38.0.0',
  execPath,
  resourcesPath,
});
const node = (platform: NodeJS.Platform, execPath: string): RuntimeFacts => ({
  platform,
  electron: undefined,
  execPath,
  resourcesPath: undefined,
});
const only =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

describe('privilegedArgv', () => {
  it('Windows app: its own binary as Node on resources\\paddock-privileged (UAC sets the variable: win32-elevate.ts)', () => {
    const argv = privilegedArgv(
      none,
      `${WIN_RES}\\app.asar\\out\\main`,
      only(`${WIN_RES}\\paddock-privileged`),
      app('win32', WIN_EXE, WIN_RES),
    );
    expect(argv).toEqual([WIN_EXE, `${WIN_RES}\\paddock-privileged`]);
  });

  it('macOS app: /usr/bin/env sets ELECTRON_RUN_AS_NODE in the argv itself, which sudo and env -i keep', () => {
    const argv = privilegedArgv(
      none,
      `${MAC_RES}/app.asar/out/main`,
      only(`${MAC_RES}/paddock-privileged`),
      app('darwin', MAC_EXE, MAC_RES),
    );
    expect(argv).toEqual([
      '/usr/bin/env',
      `${RUN_AS_NODE}=1`,
      MAC_EXE,
      `${MAC_RES}/paddock-privileged`,
    ]);
  });

  it('from the engine’s utility process (Paddock Helper) the admin side is still run by the app’s own binary', () => {
    const helper =
      '/Applications/Paddock.app/Contents/Frameworks/Paddock Helper.app/Contents/MacOS/Paddock Helper';
    expect(macAppBinary(helper)).toBe(MAC_EXE);
    expect(
      macAppBinary(
        '/Applications/Paddock.app/Contents/Frameworks/Paddock Helper (Renderer).app/Contents/MacOS/Paddock Helper (Renderer)',
      ),
    ).toBe(MAC_EXE);
    expect(macAppBinary(MAC_EXE)).toBe(MAC_EXE);
    const argv = privilegedArgv(
      none,
      `${MAC_RES}/app.asar/out/main`,
      only(`${MAC_RES}/paddock-privileged`),
      app('darwin', helper, MAC_RES),
    );
    expect(argv).toEqual([
      '/usr/bin/env',
      `${RUN_AS_NODE}=1`,
      MAC_EXE,
      `${MAC_RES}/paddock-privileged`,
    ]);
  });

  it('macOS: the admin copy in /Library/Paddock of the same version runs the admin side; another version, or none, does not', () => {
    const plist = (version: string, build = version) =>
      `<?xml version="1.0"?><plist><dict><key>CFBundleShortVersionString</key>\n\t<string>${version}</string><key>CFBundleVersion</key><string>${build}</string></dict></plist>`;
    const copyExe = `${MAC_ROOT_COPY}/Contents/MacOS/Paddock`;
    const copyScript = `${MAC_ROOT_COPY}/Contents/Resources/paddock-privileged`;
    const files = only(`${MAC_RES}/paddock-privileged`, copyExe, copyScript);
    const argvWith = (mine: string, copy: string | null, exists = files, copyBuild = copy) =>
      privilegedArgv(
        none,
        `${MAC_RES}/app.asar/out/main`,
        exists,
        // The engine's utility process: the Helper's binary, mapped to the app's; its version
        // and build compiled in.
        {
          ...app(
            'darwin',
            '/Applications/Paddock.app/Contents/Frameworks/Paddock Helper.app/Contents/MacOS/Paddock Helper',
            MAC_RES,
          ),
          bundleVersion: { version: mine, build: mine },
        },
        (path) =>
          // What the bundle in /Applications says is never asked.
          path === `${MAC_ROOT_COPY}/Contents/Info.plist` && copy !== null
            ? plist(copy, copyBuild ?? copy)
            : path === '/Applications/Paddock.app/Contents/Info.plist'
              ? (() => {
                  throw new Error('read the app bundle’s own Info.plist');
                })()
              : null,
      );
    expect(argvWith('0.2.0', '0.2.0')).toEqual([
      '/usr/bin/env',
      `${RUN_AS_NODE}=1`,
      copyExe,
      copyScript,
    ]);
    const own = ['/usr/bin/env', `${RUN_AS_NODE}=1`, MAC_EXE, `${MAC_RES}/paddock-privileged`];
    // An older copy would make other plans (refused as not approved): the app's own, which the
    // install check then refuses from /Applications, offering to make the copy again.
    expect(argvWith('0.2.0', '0.1.0')).toEqual(own);
    expect(argvWith('0.2.0', null)).toEqual(own);
    // Another build of the same version is not this one.
    expect(argvWith('0.2.0', '0.2.0', files, '0.2.0.7')).toEqual(own);
    // A copy without its admin side is not used.
    expect(argvWith('0.2.0', '0.2.0', only(`${MAC_RES}/paddock-privileged`, copyExe))).toEqual(own);
  });

  it('a Mac path with `=` (which env would read as a variable, and run the next word) gives nothing to run', () => {
    const res = '/Users/a/x=y/Paddock.app/Contents/Resources';
    expect(
      privilegedArgv(
        none,
        `${res}/app.asar/out/main`,
        only(`${res}/paddock-privileged`),
        app('darwin', '/Users/a/x=y/Paddock.app/Contents/MacOS/Paddock', res),
      ),
    ).toEqual([]);
  });

  it('a process Electron gave no resourcesPath (the engine’s utility process) finds the folder from the app.asar it was loaded from', () => {
    expect(resourcesFolder(app('win32', WIN_EXE), `${WIN_RES}\\app.asar\\out\\main`)).toBe(WIN_RES);
    expect(resourcesFolder(app('darwin', MAC_EXE), `${MAC_RES}/app.asar/out/main`)).toBe(MAC_RES);
    expect(resourcesFolder(app('darwin', MAC_EXE), '/Users/a/paddock/out/main')).toBeNull();
    expect(
      resourcesFolder(node('darwin', '/usr/local/bin/node'), `${MAC_RES}/app.asar/out/main`),
    ).toBeNull();
    const argv = privilegedArgv(
      none,
      `${WIN_RES}\\app.asar\\out\\main`,
      only(`${WIN_RES}\\paddock-privileged`),
      app('win32', WIN_EXE),
    );
    expect(argv).toEqual([WIN_EXE, `${WIN_RES}\\paddock-privileged`]);
  });

  it('`electron .` in a checkout on a Mac: the bundle beside out/main, with the app binary as Node', () => {
    const electronDist =
      '/Users/a/paddock/node_modules/electron/dist/Electron.app/Contents/Resources';
    const bundle = '/Users/a/paddock/out/cli/paddock-privileged.cjs';
    const argv = privilegedArgv(
      none,
      '/Users/a/paddock/out/main',
      only(bundle),
      app(
        'darwin',
        '/Users/a/paddock/node_modules/electron/dist/Electron.app/Contents/MacOS/Electron',
        electronDist,
      ),
    );
    expect(argv.slice(0, 2)).toEqual(['/usr/bin/env', `${RUN_AS_NODE}=1`]);
    expect(argv.at(-1)).toBe(bundle);
  });

  it('an app copy with no admin side anywhere: nothing to start, said by the elevation code', () => {
    expect(
      privilegedArgv(
        none,
        `${WIN_RES}\\app.asar\\out\\main`,
        only(),
        app('win32', WIN_EXE, WIN_RES),
      ),
    ).toEqual([]);
  });

  it('Linux app: the .deb’s root-owned copy (polkit names that path), never the app binary', () => {
    expect(
      privilegedArgv(
        none,
        '/opt/Paddock/resources/app.asar/out/main',
        only(INSTALLED_PRIVILEGED),
        app('linux', '/opt/Paddock/paddock', '/opt/Paddock/resources'),
      ),
    ).toEqual([INSTALLED_PRIVILEGED]);
    // No .deb (an AppImage): the system's Node on the bundle, as before.
    const argv = privilegedArgv(
      none,
      '/tmp/.mount_x/resources/app.asar/out/main',
      only(),
      app('linux', '/tmp/.mount_x/paddock', '/tmp/.mount_x/resources'),
    );
    expect(argv[0]).toBe('/usr/bin/node');
  });

  it('the CLI run by Node: PADDOCK_PRIVILEGED, else the installed copy, else the bundle beside it, run by this Node', () => {
    const runtime = node('linux', '/usr/bin/node');
    expect(
      privilegedArgv(
        (n) => (n === 'PADDOCK_PRIVILEGED' ? '/srv/p.cjs' : undefined),
        '/x/out/cli',
        only(),
        runtime,
      ),
    ).toEqual(['/usr/bin/node', '/srv/p.cjs']);
    expect(
      privilegedArgv(none, '/x/out/cli', only('/x/out/cli/paddock-privileged.cjs'), runtime),
    ).toEqual(['/usr/bin/node', '/x/out/cli/paddock-privileged.cjs']);
  });
});

describe('defaultPaddockProgram (__ollama-app-switch on Windows)', () => {
  const cli = `${WIN_RES}\\app.asar\\out\\cli\\paddock.cjs`;

  it('the desktop app: its binary as Node on the CLI bundle in app.asar', () => {
    expect(
      defaultPaddockProgram(
        app('win32', WIN_EXE, WIN_RES),
        `${WIN_RES}\\app.asar\\out\\main`,
        only(cli),
      ),
    ).toEqual([WIN_EXE, cli]);
  });

  it('the desktop app without the bundle: no program, so the plan says what to do by hand', () => {
    expect(
      defaultPaddockProgram(
        app('win32', WIN_EXE, WIN_RES),
        `${WIN_RES}\\app.asar\\out\\main`,
        only(),
      ),
    ).toBeNull();
  });

  it('the CLI on Node: that Node and its launcher; anything but Windows: none', () => {
    const nodeExe = 'C:\\Program Files\\nodejs\\node.exe';
    const launcher = 'C:\\Program Files\\Paddock\\bin\\paddock.cjs';
    expect(defaultPaddockProgram(node('win32', nodeExe), 'C:\\x', only(), launcher)).toEqual([
      nodeExe,
      launcher,
    ]);
    expect(
      defaultPaddockProgram(node('win32', nodeExe), 'C:\\x', only(), 'relative\\paddock'),
    ).toBeNull();
    expect(
      defaultPaddockProgram(node('linux', '/usr/bin/node'), '/x', only(), '/x/paddock'),
    ).toBeNull();
  });
});

describe('macRuntimeFiles (judged with the app’s binary before root runs it)', () => {
  const F = '/Applications/Paddock.app/Contents/Frameworks';
  const E = `${F}/Electron Framework.framework`;
  const tree: Record<string, string[]> = {
    [F]: [
      'Electron Framework.framework',
      'Mantle.framework',
      'Paddock Helper.app',
      'Squirrel.framework',
    ],
    [`${E}/Resources`]: ['icudtl.dat', 'v8_context_snapshot.arm64.bin', 'en.lproj', 'Info.plist'],
    [`${E}/Libraries`]: ['libEGL.dylib', 'libffmpeg.dylib'],
  };
  const list = (dir: string) => tree[dir] ?? null;

  it('every framework’s code, the dylibs and V8’s and ICU’s data, by the paths the loader follows', () => {
    expect(macRuntimeFiles(MAC_EXE, list)).toEqual([
      `${E}/Electron Framework`,
      `${F}/Mantle.framework/Mantle`,
      `${F}/Squirrel.framework/Squirrel`,
      `${E}/Resources/icudtl.dat`,
      `${E}/Resources/v8_context_snapshot.arm64.bin`,
      `${E}/Libraries/libEGL.dylib`,
      `${E}/Libraries/libffmpeg.dylib`,
    ]);
  });

  it('refuses (null) when a folder cannot be listed or holds more than it judges; nothing for a binary outside a bundle', () => {
    expect(
      macRuntimeFiles(MAC_EXE, (dir) => (dir.endsWith('/Libraries') ? null : list(dir))),
    ).toBeNull();
    expect(macRuntimeFiles(MAC_EXE, () => null)).toBeNull();
    const many = Array.from({ length: 200 }, (_, i) => `lib${i}.dylib`);
    expect(
      macRuntimeFiles(MAC_EXE, (dir) => (dir.endsWith('/Libraries') ? many : list(dir))),
    ).toBeNull();
    expect(macRuntimeFiles('/usr/local/bin/node', list)).toEqual([]);
  });
});
