// Bundles the `paddock` CLI into one CommonJS file so that start-up loads one module, not
// hundreds. Runs at `npm install` (prepare) and before the tests.
import { build } from 'esbuild';

await build({
  entryPoints: ['electron/cli/entry.ts'],
  outfile: 'out/cli/paddock.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
