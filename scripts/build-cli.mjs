// Bundles the `paddock` CLI into one CommonJS file so that start-up loads one module, not
// hundreds. Runs at `npm install` (prepare) and before the tests.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'none',
  // zod validates only what crosses a trust boundary (a settings file, --elevated's answer),
  // loaded on demand from node_modules: bundled, its 800 KB would be parsed at every start.
  external: ['zod'],
  logLevel: 'warning',
};

await build({ ...common, entryPoints: ['electron/cli/entry.ts'], outfile: 'out/cli/paddock.cjs' });
// The engine process behind the desktop app's window, for the test bridge and `node`; the app
// itself builds the same entry with electron-vite (out/main/engine.js).
await build({
  ...common,
  entryPoints: ['electron/engine/service/entry.ts'],
  outfile: 'out/cli/engine.cjs',
});
