/**
 * The version and build the Mac app compiles in (scripts/mac-bundle-version.mjs, through
 * electron.vite.config.mts) are the ones electron-builder writes into its Info.plist: checked
 * against electron-builder's own AppInfo, so that a change of its rule fails here rather than
 * making every admin copy "another build" on a Mac.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILD_NUMBER_VARIABLES, macBundleVersions } from '../../../scripts/mac-bundle-version.mjs';
import { compiledBundleVersion } from '../../../electron/cli/privileged-program';

const require = createRequire(import.meta.url);
const { AppInfo } = require('app-builder-lib/out/appInfo') as {
  AppInfo: new (
    info: unknown,
    buildVersion: string | null,
  ) => { version: string; shortVersion?: string; buildVersion: string };
};

const saved = Object.fromEntries(BUILD_NUMBER_VARIABLES.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const [name, value] of Object.entries(saved))
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
});

function electronBuilder(version: string) {
  const info = new AppInfo(
    {
      metadata: { version, description: '', name: 'paddock', productName: 'Paddock' },
      config: { productName: 'Paddock', appId: 'dev.paddock.app' },
    },
    null,
  );
  return { version: info.shortVersion ?? info.version, build: info.buildVersion };
}

describe('macBundleVersions', () => {
  it.each([
    {},
    { BUILD_NUMBER: '42' },
    { CI_PIPELINE_IID: '7' },
    { TRAVIS_BUILD_NUMBER: '3', BUILD_NUMBER: '9' },
    { BUILD_NUMBER: '   ' },
    { BUILD_NUMBER: '', CIRCLE_BUILD_NUM: '5' },
  ])('says what electron-builder writes, with %o', (env) => {
    for (const name of BUILD_NUMBER_VARIABLES) delete process.env[name];
    Object.assign(process.env, env);
    expect(macBundleVersions('0.1.0', process.env)).toEqual(electronBuilder('0.1.0'));
  });
});

describe('compiledBundleVersion', () => {
  it('is known only when both were compiled in, and each is a version', () => {
    expect(compiledBundleVersion('0.1.0', '0.1.0.42')).toEqual({
      version: '0.1.0',
      build: '0.1.0.42',
    });
    expect(compiledBundleVersion('', '')).toBeNull();
    expect(compiledBundleVersion(undefined, undefined)).toBeNull();
    expect(compiledBundleVersion('0.1.0', '0.1.0 42')).toBeNull();
  });
});
