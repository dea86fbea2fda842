/**
 * Inputs for the bounded fuzz suite of the parsers (fuzz-findings.md, "What held up"): the
 * same kinds the fuzzing harness used, at a size that runs in `npm test`. Every property runs
 * with a fixed seed, so a failure names an input that reproduces it.
 *
 *   - mutations of real inputs: test/fixtures files and realistic lines, with runs of
 *     meta-characters inserted and bytes deleted;
 *   - strings over an alphabet of shell, systemd, JSON and log meta-characters;
 *   - arbitrary Unicode, lone surrogates included;
 *   - JSON values;
 *   - long runs of one meta-character behind a realistic prefix (the shape of every
 *     quadratic-time finding), a few thousand characters long. They assert answers, never
 *     times: a parser that turned quadratic again would run into the test timeout.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

/**
 * Fixed, so a failure reproduces. For a deeper search by hand, PADDOCK_FUZZ_SEED and
 * PADDOCK_FUZZ_RUNS (a multiple of the default runs, at most 100) change them:
 * `PADDOCK_FUZZ_RUNS=20 PADDOCK_FUZZ_SEED=7 npx vitest run --project unit test/unit/fuzz`.
 */
export const SEED = Number(process.env.PADDOCK_FUZZ_SEED) || 20_261_111;
const SCALE = Math.min(100, Math.max(1, Number(process.env.PADDOCK_FUZZ_RUNS) || 1));

/** Runs per parser: the whole suite stays well under 30 s on 2 cores. */
export const RUNS = 300;

const FIXTURES = join(__dirname, '../../fixtures');

/**
 * Without the `#` lines (the fixtures' headers say where the text came from; as the unit
 * tests do, all of them go, which also drops some comments of the files themselves).
 */
function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
}

function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) Object.assign(out, readTree(path));
    else out[path.slice(FIXTURES.length + 1)] = readFileSync(path, 'utf8');
  }
  return out;
}

/** Every fixture by its path under test/fixtures, as it is on disk. */
export const FIXTURE_TEXT: Readonly<Record<string, string>> = readTree(FIXTURES);

/** The fixtures whose path matches, each as it is and without its `#` lines. */
export function fixtures(pattern: RegExp): string[] {
  return Object.entries(FIXTURE_TEXT)
    .filter(([path]) => pattern.test(path))
    .flatMap(([, text]) => [text, withoutComments(text)]);
}

/** A fixture's text without its `#` lines, e.g. for JSON.parse. */
export function fixtureBody(path: string): string {
  const text = FIXTURE_TEXT[path];
  if (text === undefined) throw new Error(`no fixture ${path}`);
  return withoutComments(text);
}

export const ALPHABET = [
  '\\',
  '"',
  "'",
  '$',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '|',
  '=',
  '#',
  ';',
  '%',
  ':',
  ' ',
  '\t',
  '\n',
  '\r',
  '\0',
  '`',
  '~',
  ',',
  '.',
  '/',
  '-',
  '*',
  '<',
  '>',
  '@',
  'a',
  'x',
  'A',
  '0',
  '1',
  '9',
  '\u001b',
  '\uFFFD',
  '\uFFFE',
  '\uFEFF',
  '\u00a0',
  '\u2028',
  '\ud800',
  'é',
  'µ',
  '{"',
  'null',
  'true',
  '[]',
  '{}',
  '"a":',
  ':1',
  '::',
  '%eth0',
  '0.0.0.0',
  '127.0.0.1',
  '11434',
  'OLLAMA_HOST',
  'export ',
  '\\\n',
];

/** Strings over the meta-character alphabet. */
export const metaString = fc
  .array(fc.constantFrom(...ALPHABET), { maxLength: 120 })
  .map((parts) => parts.join(''));

/** Any Unicode, lone surrogates included. */
export const binaryString = fc.string({ unit: 'binary', maxLength: 100 });

export const jsonText = fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value));

/** A seed with up to 6 edits: a run of 1-5 copies of an alphabet token in, up to 3 characters out. */
export function mutated(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(
        fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...ALPHABET), fc.integer({ min: 1, max: 5 })),
        { maxLength: 6 },
      ),
    )
    .map(([seed, edits]) => {
      let text = seed;
      for (const [at, remove, token, times] of edits) {
        const p = at % (text.length + 1);
        text = text.slice(0, p) + token.repeat(times) + text.slice(p + remove);
      }
      return text;
    });
}

/** A realistic prefix, then a run of one token (up to 4,000 copies), then one more token. */
export function longRun(prefixes: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom('', ...prefixes),
      fc.constantFrom(...ALPHABET),
      fc.integer({ min: 500, max: 4000 }),
      fc.constantFrom('', 'x', 'y', '"', '\n', ']'),
    )
    .map(([prefix, token, times, end]) => `${prefix}x${token.repeat(times)}${end}`);
}

/** Everything above, for a parser whose own inputs look like `seeds`. */
export function parserInput(seeds: readonly string[], prefixes: readonly string[] = seeds) {
  const all = Object.values(FIXTURE_TEXT);
  return fc.oneof(
    { weight: 4, arbitrary: mutated(seeds) },
    { weight: 1, arbitrary: mutated(all) },
    { weight: 2, arbitrary: metaString },
    { weight: 1, arbitrary: binaryString },
    { weight: 1, arbitrary: jsonText },
    { weight: 1, arbitrary: longRun(prefixes.map((p) => p.slice(0, 200))) },
  );
}

/** Runs the property with the suite's seed and run count. */
export function check<T>(arbitrary: fc.Arbitrary<T>, property: (value: T) => void, runs = RUNS) {
  fc.assert(fc.property(arbitrary, property), { numRuns: runs * SCALE, seed: SEED });
}

/** 1-based line numbers a parser may report for this text (NUL, CR and LF all end lines). */
export function lineCount(text: string): number {
  let lines = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 0 || (c === 13 && text.charCodeAt(i + 1) !== 10)) lines++;
  }
  return lines;
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const isPort = (port: unknown) =>
  typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535;

/** JSON-shaped mutation: random subtrees of a document replaced with odd values. */
export function jsonMutations(docs: readonly unknown[]): fc.Arbitrary<string> {
  const odd = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom<unknown>(
      null,
      -1,
      -0,
      1.5,
      1e308,
      4294967296,
      '',
      '0.0.0.0',
      '::',
      '__proto__',
      'tcp',
      11434,
      [],
      {},
      { '': 1 },
      [11434, 11434],
      { range: [1, 65535] },
      { set: [] },
      { prefix: { addr: '0.0.0.0', len: 0 } },
    ),
  );
  return fc
    .tuple(
      fc.nat(docs.length - 1),
      fc.array(fc.tuple(fc.nat(), odd), { minLength: 1, maxLength: 4 }),
    )
    .map(([which, edits]) => {
      let doc = docs[which];
      for (const [at, value] of edits) {
        const paths = pathsOf(doc);
        doc = setAt(doc, paths[at % paths.length]!, value);
      }
      return JSON.stringify(doc);
    });
}

type Path = Array<string | number>;

function pathsOf(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (out.length > 5000) return out;
  if (value !== null && typeof value === 'object')
    for (const key of Object.keys(value))
      pathsOf((value as Record<string, unknown>)[key], [...path, key], out);
  return out;
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}
