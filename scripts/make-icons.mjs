// Writes the app's icons for electron-builder from the code that draws them
// (electron/main/app-icon.ts): build/icon.ico (Windows: every size Windows draws an app icon
// at, 16 to 256 px) and build/icon.png (512 px: Linux's AppImage and deb, and macOS's icns,
// which electron-builder makes from a PNG of 512 px or more). Run it after changing the
// drawing, and commit both files: a unit test (test/unit/packaging/app-icon.test.ts) fails
// while they differ from what the code draws.
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

// The module is TypeScript: bundled in memory (as scripts/build-cli.mjs bundles the CLI) and
// imported from a data: URL, so that nothing is left behind in out/.
const { outputFiles } = await build({
  entryPoints: ['electron/main/app-icon.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  write: false,
  logLevel: 'warning',
});
const source = outputFiles[0].text;
const { appIconIco, appIconPng, PNG_ICON_SIZE } = await import(
  `data:text/javascript;base64,${Buffer.from(source).toString('base64')}`
);

writeFileSync('build/icon.ico', appIconIco());
writeFileSync('build/icon.png', appIconPng(PNG_ICON_SIZE));
console.log('wrote build/icon.ico and build/icon.png');
