import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { readFileSync } from 'node:fs';
import { defineConfig } from 'electron-vite';
import { macBundleVersions } from './scripts/mac-bundle-version.mjs';

const bundle = macBundleVersions(
  (JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { version: string }).version,
);

export default defineConfig({
  main: {
    // The Developer ID team the Mac app is signed for, fixed in its code at build time (never
    // read from the environment when it runs): the admin copy must carry this team's signature
    // (electron/cli/mac-admin-copy.ts). APPLE_TEAM_ID is the variable electron-builder's
    // notarization reads; without it the build cannot vouch for a copy, and says so.
    // The version and build the packaged Mac app's Info.plist will say (the same rule as
    // electron-builder's), so that the app checks the admin copy against the build it is.
    define: {
      'process.env.PADDOCK_MAC_TEAM_ID': JSON.stringify(process.env.APPLE_TEAM_ID ?? ''),
      'process.env.PADDOCK_APP_VERSION': JSON.stringify(bundle.version),
      'process.env.PADDOCK_BUNDLE_VERSION': JSON.stringify(bundle.build),
    },
    build: {
      rollupOptions: {
        input: {
          index: resolve('electron/main/index.ts'),
          // The engine process (a utility process): probes and fixes off the UI's path.
          engine: resolve('electron/engine/service/entry.ts'),
        },
      },
    },
  },
  preload: {
    build: { rollupOptions: { input: { index: resolve('electron/preload/index.ts') } } },
  },
  renderer: {
    root: resolve('renderer'),
    build: {
      // Minified: the window parses less before the first verdict (bench/ui.ts).
      minify: true,
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
    plugins: [react()],
  },
});
