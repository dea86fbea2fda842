import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
interface BuilderConfig {
  linux: { target: string[]; icon?: string };
  mac: { target: Array<string | { target: string }>; icon?: string };
  win: {
    target: Array<string | { target: string; arch?: string[] }>;
    requestedExecutionLevel?: string;
    icon?: string;
  };
  nsis: Record<string, unknown>;
  electronFuses: Record<string, boolean>;
  asar: boolean;
  files: string[];
}
interface PackageJson {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
const config = parse(readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as PackageJson;

describe('electron-builder.yml', () => {
  it('is valid against electron-builder’s own configuration schema', () => {
    const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    expect(validate(config), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The schema really constrains: a misspelt key or a wrong type is refused.
    expect(validate({ ...config, linx: { target: ['deb'] } })).toBe(false);
    expect(validate({ ...config, asar: 'yes please' })).toBe(false);
  });

  it('builds AppImage and deb on Linux, dmg on macOS, nsis on Windows', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.mac.target.map((t) => (typeof t === 'string' ? t : t.target))).toContain('dmg');
    expect(config.win.target.map((t) => (typeof t === 'string' ? t : t.target))).toContain('nsis');
  });

  it('names the app’s icons, each a file that is there (scripts/make-icons.mjs writes them)', () => {
    // Windows: the multi-size .ico; Linux: the 512 px PNG; macOS: its icns made from that PNG.
    expect(config.win.icon).toBe('build/icon.ico');
    expect(config.linux.icon).toBe('build/icon.png');
    expect(config.mac.icon).toBe('build/icon.png');
    for (const icon of [config.win.icon, config.linux.icon, config.mac.icon])
      expect(existsSync(icon ?? ''), icon).toBe(true);
    // The comment that said no icon exists is gone with it.
    expect(readFileSync('electron-builder.yml', 'utf8')).not.toMatch(/No icon is set/);
  });

  it('runs as Node only when asked (its own admin side and CLI), never with NODE_OPTIONS or --inspect', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    });
    expect(config.asar).toBe(true);
  });

  it.each([
    ['runAsNode', true],
    ['enableNodeOptionsEnvironmentVariable', false],
    ['enableNodeCliInspectArguments', false],
    ['onlyLoadAppFromAsar', true],
    ['enableEmbeddedAsarIntegrityValidation', true],
    ['enableCookieEncryption', true],
  ] as const)('security fuse %s is %s', (fuse, value) => {
    expect(config.electronFuses[fuse]).toBe(value);
  });

  it('ships the built output, and electron is a devDependency as electron-builder insists', () => {
    expect(config.files).toContain('out/**');
    // What the tests and benchmarks build under out/ is not shipped.
    expect(config.files).toContain('!out/{e2e,bench,test}/**');
    expect(pkg.devDependencies.electron).toBeDefined();
    expect(pkg.dependencies.electron).toBeUndefined();
    expect(pkg.main).toBe('out/main/index.js');
  });
});

describe('the privileged side in the package (docs/security.md)', () => {
  const builder = config as unknown as {
    extraResources: Array<{ from: string; to: string }>;
    deb: { depends: string[]; afterInstall: string; afterRemove: string };
    productName: string;
  };
  const policy = readFileSync('build/linux/dev.paddock.privileged.policy', 'utf8');

  it('ships paddock-privileged outside the asar where the CLI and polkit look for it', async () => {
    const { INSTALLED_PRIVILEGED } = await import('../../../electron/cli/privileged-program');
    expect(builder.extraResources).toContainEqual({
      from: 'out/cli/paddock-privileged.cjs',
      to: 'paddock-privileged',
    });
    // electron-builder's .deb installs the app in /opt/<productName>, resources beside it.
    expect(INSTALLED_PRIVILEGED).toBe(`/opt/${builder.productName}/resources/paddock-privileged`);
    expect(policy).toContain(
      `<annotate key="org.freedesktop.policykit.exec.path">${INSTALLED_PRIVILEGED}</annotate>`,
    );
  });

  it('on Windows and macOS the app finds its admin side and its CLI where the package puts them, and builds both first', async () => {
    const { RESOURCES_PRIVILEGED, privilegedArgv } =
      await import('../../../electron/cli/privileged-program');
    const { defaultPaddockProgram } = await import('../../../electron/engine/fixes/recipes/win32');
    const entry = builder.extraResources.find((r) => r.to === RESOURCES_PRIVILEGED);
    expect(entry?.from).toBe('out/cli/paddock-privileged.cjs');
    // The CLI bundle rides in app.asar (files: out/**, only e2e, bench and test left out).
    expect(config.files).toContain('out/**');
    expect(config.files.filter((f) => f.startsWith('!')).join(' ')).not.toMatch(/cli/);
    const resources = 'C:\\Program Files\\Paddock\\resources';
    const exe = 'C:\\Program Files\\Paddock\\Paddock.exe';
    const runtime = {
      platform: 'win32' as const,
      electron: '38.0.0',
      execPath: exe,
      resourcesPath: resources,
    };
    const packaged = new Set([
      `${resources}\\${RESOURCES_PRIVILEGED}`,
      `${resources}\\app.asar\\out\\cli\\paddock.cjs`,
    ]);
    const exists = (path: string) => packaged.has(path);
    expect(
      privilegedArgv(() => undefined, `${resources}\\app.asar\\out\\main`, exists, runtime),
    ).toEqual([exe, `${resources}\\${RESOURCES_PRIVILEGED}`]);
    expect(defaultPaddockProgram(runtime, `${resources}\\app.asar\\out\\main`, exists)).toEqual([
      exe,
      `${resources}\\app.asar\\out\\cli\\paddock.cjs`,
    ]);
    // `npm run dist` builds the app and both CLI bundles before it packages them.
    const scripts = (
      JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.dist).toMatch(/^npm run build && electron-builder/);
    expect(scripts.build).toContain('scripts/build-cli.mjs');
  });

  it('asks for an administrator every time (auth_admin, never _keep or yes)', () => {
    const defaults = [...policy.matchAll(/<allow_(any|inactive|active)>([^<]*)</g)].map(
      (m) => m[2],
    );
    expect(defaults).toEqual(['auth_admin', 'auth_admin', 'auth_admin']);
    expect(policy).toMatch(/<message>[^<]{40,}<\/message>/);
  });

  it('the .deb depends on Node for the helper and runs the scripts that make it root’s', () => {
    expect(builder.deb.depends).toContain('nodejs');
    expect(readFileSync(builder.deb.afterInstall, 'utf8')).toMatch(/chown root:root/);
    expect(readFileSync(builder.deb.afterRemove, 'utf8')).toMatch(
      /dev\.paddock\.privileged\.policy/,
    );
  });
});

describe('Windows: the nsis installer (issue 17)', () => {
  const nsisTarget = config.win.target.find(
    (t): t is { target: string; arch?: string[] } => typeof t !== 'string' && t.target === 'nsis',
  );

  it('one installer per architecture, each name saying which', () => {
    expect(nsisTarget?.arch).toEqual(['x64', 'arm64']);
    expect(config.nsis.buildUniversalInstaller).toBe(false);
    expect(config.nsis.artifactName).toBe('${productName}-Setup-${version}-${arch}.${ext}');
  });

  it('installs per user by default, and still offers all users (the install an admin fix needs)', () => {
    expect(config.nsis).toMatchObject({
      oneClick: false,
      perMachine: false,
      selectPerMachineByDefault: false,
      allowElevation: true,
      allowToChangeInstallationDirectory: false,
    });
  });

  it('the app never asks for admin rights itself', () => {
    expect(config.win.requestedExecutionLevel).toBe('asInvoker');
  });

  it('a Start menu entry named Paddock, no desktop shortcut, no version in Settings > Apps', () => {
    expect(config.nsis).toMatchObject({
      createStartMenuShortcut: true,
      createDesktopShortcut: false,
      shortcutName: 'Paddock',
      uninstallDisplayName: '${productName}',
    });
  });

  it('names no icon file that is not there (a missing one fails the build)', () => {
    for (const icon of [config.win.icon, config.nsis.installerIcon, config.nsis.uninstallerIcon])
      if (typeof icon === 'string') expect(existsSync(icon), icon).toBe(true);
  });

  it('what a user is told when an admin fix meets a per-user install matches what the installer offers', async () => {
    const { perUserInstallMessage } = await import('../../../electron/cli/win32-elevate');
    const message = perUserInstallMessage('C:\\Users\\alice is alice’s');
    expect(message).toContain("run Paddock's installer again, choose to install it for all users");
    expect(message).toContain('C:\\Program Files');
    expect(config.nsis.allowElevation).toBe(true);
  });
});
