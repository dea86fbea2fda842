// Bundles the `paddock` CLI into one CommonJS file so that start-up loads one module, not
// hundreds. Runs at `npm install` (prepare) and before the tests.
import { chmodSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Minified (names kept, a linked source map for stack traces): half the bytes to compile at
  // every start (bench/README.md, start-up ratio).
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'none',
  // zod validates only what crosses a trust boundary (a settings file, --elevated's answer),
  // loaded on demand from node_modules: bundled, its 800 KB would be parsed at every start.
  // sql.js (the WASM SQLite that reads the Ollama app's db.sqlite, engine/probes/app-db.ts) is
  // loaded the same way, only when that file is read; its sql-wasm.wasm is found beside it with
  // require.resolve. As root, both package folders are checked first (cli/root-install.ts).
  external: ['zod', 'sql.js', 'sql.js/*'],
  logLevel: 'warning',
  // The Mac app's Developer ID team, version and build (cli/mac-admin-copy.ts), fixed when the code is built and
  // never read from the environment at run time. These bundles run under Node, where no admin
  // copy is made: always empty here; the app's own build (electron.vite.config.mts) sets it.
  define: {
    'process.env.PADDOCK_MAC_TEAM_ID': '""',
    'process.env.PADDOCK_APP_VERSION': '""',
    'process.env.PADDOCK_BUNDLE_VERSION': '""',
  },
};

await build({ ...common, entryPoints: ['electron/cli/entry.ts'], outfile: 'out/cli/paddock.cjs' });
// The engine process behind the desktop app's window, for the test bridge and `node`; the app
// itself builds the same entry with electron-vite (out/main/engine.js).
await build({
  ...common,
  entryPoints: ['electron/engine/service/entry.ts'],
  outfile: 'out/cli/engine.cjs',
});
// The privileged side (docs/security.md): everything it loads in one file, zod included, so
// that root runs only what was installed with it. Started directly by sudo or pkexec, hence
// the interpreter by absolute path (never `env node`, which would search the caller's PATH).
await build({
  ...common,
  // sql.js's JavaScript is bundled; its WASM is read at run time, and as root only when no
  // other user could change it (probes/app-db.ts).
  external: ['sql.js/*'],
  banner: { js: '#!/usr/bin/node' },
  entryPoints: ['electron/cli/privileged-entry.ts'],
  outfile: 'out/cli/paddock-privileged.cjs',
});
chmodSync('out/cli/paddock-privileged.cjs', 0o755);
