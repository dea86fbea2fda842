/**
 * What holds for every macOS parser: its fixtures say where their format comes from (and
 * none claims to be recorded: there is no Mac here), and no input, however hostile, makes a
 * parser throw or run away.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envFromPsE } from '../../../electron/engine/probes/darwin/probes';
import {
  parseAllowSigned,
  parseAppBlocked,
  parseBlockAll,
  parseGlobalState,
  parseLaunchctlGetenv,
  parseLaunchdPlist,
  parseListApps,
  parseLsofTcp,
  parseNetstatTcp,
  parsePfInfo,
  parsePfRules,
  parsePs,
  parseStealthMode,
  parseXmlPlist,
} from '../../../electron/engine/probes/darwin/parse';

const ROOT = join(__dirname, '../../fixtures/darwin');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const FIXTURES = filesUnder(ROOT);

/** Every parser, as one function of one text. */
const PARSERS: Record<string, (text: string) => unknown> = {
  ps: (text) => parsePs(text, text),
  psEnv: envFromPsE,
  lsof: parseLsofTcp,
  netstat: parseNetstatTcp,
  launchctlGetenv: parseLaunchctlGetenv,
  plist: parseXmlPlist,
  launchd: parseLaunchdPlist,
  globalState: parseGlobalState,
  blockAll: parseBlockAll,
  stealth: parseStealthMode,
  allowSigned: parseAllowSigned,
  listApps: parseListApps,
  appBlocked: (text) => parseAppBlocked(text, '/Applications/Ollama.app'),
  pfInfo: parsePfInfo,
  pfRules: parsePfRules,
};

describe('darwin fixtures', () => {
  it('cover every tool', () => {
    const tools = new Set(FIXTURES.map((path) => relative(ROOT, path).split('/')[0]));
    expect([...tools].sort()).toEqual([
      'launchctl',
      'lsof',
      'netstat',
      'pfctl',
      'plist',
      'ps',
      'socketfilterfw',
    ]);
  });

  it.each(FIXTURES.map((path) => [relative(ROOT, path), path]))(
    '%s names its tool, the macOS it stands for and where its format comes from',
    (_name, path) => {
      const text = readFileSync(path, 'utf8');
      const header = text
        .split('\n')
        .filter((line) => line.startsWith('#fixture:'))
        .map((line) => line.slice('#fixture:'.length).trim());
      expect(text.startsWith('#fixture:')).toBe(true);
      expect(header.some((line) => /^(tool|file): /.test(line))).toBe(true);
      expect(header.some((line) => /^stands for: .*(macOS|OS X)/.test(line))).toBe(true);
      expect(header.some((line) => /^format from: /.test(line))).toBe(true);
      // Nothing here was recorded on a Mac, and no header may say otherwise.
      for (const line of header) {
        for (const match of line.matchAll(/recorded/gi)) {
          expect(line.slice(0, match.index).endsWith('not ')).toBe(true);
        }
      }
    },
  );
});

describe('every darwin parser on hostile input', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (text) => {
        for (const parse of Object.values(PARSERS)) parse(text);
      }),
      { numRuns: 300, seed: 16 },
    );
  });

  it('never throws on fixture text cut or spliced at random places', () => {
    const samples = FIXTURES.map((path) => readFileSync(path, 'utf8'));
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.nat(),
        fc.nat(),
        fc.string({ maxLength: 40 }),
        (sample, a, b, junk) => {
          const at = a % (sample.length + 1);
          const to = Math.min(sample.length, at + (b % 200));
          const text = sample.slice(0, at) + junk + sample.slice(to);
          for (const parse of Object.values(PARSERS)) parse(text);
        },
      ),
      { numRuns: 300, seed: 16 },
    );
  });

  it('stays bounded on huge and pathological input', () => {
    const inputs = [
      'x'.repeat(20 * 1024 * 1024),
      `${' '.repeat(1_000_000)}1`,
      `1 1 1 ${'a'.repeat(500_000)} ${' '.repeat(500_000)}`,
      'tcp4 '.repeat(400_000),
      'p1\n'.repeat(600_000),
      '<plist version="1.0">' + '<array>'.repeat(200_000),
      '<plist version="1.0"><array>' + '<true/>'.repeat(140_000) + '</array></plist>',
      '&'.repeat(1_000_000),
      `<plist version="1.0"><string>${'&amp;'.repeat(200_000)}</string></plist>`,
      '\n'.repeat(2_000_000),
    ];
    const started = Date.now();
    for (const text of inputs) {
      for (const parse of Object.values(PARSERS)) parse(text);
    }
    // Generous for a 2-core CI machine; a backtracking regex would take minutes.
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);
});
