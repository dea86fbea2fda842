// `npm run bench [scan|access-log|monitor|ui|hostile-listeners|parsers] [options]`: builds the
// CLI bundle, bundles the benchmarks (bench/scan.ts, the driver, and bench/scan-inner.ts, what
// runs inside the lab host; bench/access-log.ts; bench/monitor.ts; bench/ui.ts;
// bench/hostile-listeners.ts; bench/parsers.ts) into out/bench/, then runs the one named
// (default: scan). Other arguments are passed on (scan: --warmup N, --iterations N, --startup N;
// access-log: --lines N, --runs N, --json; monitor: --ticks N; ui: --rounds N;
// hostile-listeners: --rounds N, --cli PATH, --out FILE; parsers: --sizes KIB,KIB,...,
// --runs N, --budget-ms N, --out FILE, --json).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = path.join(root, 'out', 'bench');

function run(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', timeout: 600_000 });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/**
 * The lab helpers are test code: they import `vitest` (only for describeLab, which the bench
 * does not call) and find their fixture through `import.meta.url`. In the CommonJS bundle the
 * first becomes a stub and the second the source file's own URL, computed from __dirname.
 */
const benchPlugin = {
  name: 'paddock-bench',
  setup(b) {
    b.onResolve({ filter: /^vitest$/ }, () => ({ path: 'vitest', namespace: 'vitest-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'vitest-stub' }, () => ({
      contents:
        'const unavailable = () => { throw new Error("vitest is not available in the bench bundle"); };\n' +
        'export const describe = Object.assign(unavailable, { skip: unavailable });\n' +
        'export const it = unavailable;\n',
      loader: 'js',
    }));
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const relative = path.relative(outdir, args.path).split(path.sep).join('/');
      const url = `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${JSON.stringify(relative)})).href`;
      return { contents: source.replaceAll('import.meta.url', `(${url})`), loader: 'ts' };
    });
  },
};

const built = run([process.execPath, path.join(root, 'scripts', 'build-cli.mjs')]);
if (built !== 0) process.exit(built);

await build({
  entryPoints: {
    scan: path.join(root, 'bench', 'scan.ts'),
    'scan-inner': path.join(root, 'bench', 'scan-inner.ts'),
    'access-log': path.join(root, 'bench', 'access-log.ts'),
    monitor: path.join(root, 'bench', 'monitor.ts'),
    ui: path.join(root, 'bench', 'ui.ts'),
    'hostile-listeners': path.join(root, 'bench', 'hostile-listeners.ts'),
    parsers: path.join(root, 'bench', 'parsers.ts'),
    listeners: path.join(root, 'bench', 'listeners.ts'),
    kinds: path.join(root, 'bench', 'kinds.ts'),
    'share-proxy': path.join(root, 'bench', 'share-proxy.ts'),
  },
  // The browser driver stays in node_modules (the ui bench loads it from there).
  external: ['playwright-core'],
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [benchPlugin],
});

const [first, ...rest] = process.argv.slice(2);
const benches = [
  'scan',
  'access-log',
  'monitor',
  'ui',
  'hostile-listeners',
  'parsers',
  'listeners',
  'kinds',
  'share-proxy',
];
const which = benches.includes(first) ? first : 'scan';
const args = first === which ? rest : process.argv.slice(2);
process.exit(run([process.execPath, path.join(outdir, `${which}.cjs`), ...args]));
