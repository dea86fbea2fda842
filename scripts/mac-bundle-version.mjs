// The Mac app's CFBundleShortVersionString and CFBundleVersion as electron-builder writes them
// (app-builder-lib's AppInfo and macPackager: the short version is package.json's version; the
// bundle version is the config's buildVersion, none here, else that version followed by
// `.${buildNumber}` when the first of these variables that is set holds more than spaces).
// electron.vite.config.mts compiles both into the app's code, so that the app knows which
// build it is without reading its own bundle (cli/mac-admin-copy.ts); a unit test checks this
// against app-builder-lib itself.
export const BUILD_NUMBER_VARIABLES = [
  'BUILD_NUMBER',
  'TRAVIS_BUILD_NUMBER',
  'APPVEYOR_BUILD_NUMBER',
  'CIRCLE_BUILD_NUM',
  'BUILD_BUILDNUMBER',
  'CI_PIPELINE_IID',
];

/** @returns {{ version: string, build: string }} */
export function macBundleVersions(version, env = process.env) {
  const number = BUILD_NUMBER_VARIABLES.map((name) => env[name]).find((value) => value);
  return {
    version,
    build: number && number.trim().length > 0 ? `${version}.${number}` : version,
  };
}
