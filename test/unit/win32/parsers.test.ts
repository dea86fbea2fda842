/**
 * What holds for every Windows parser: its fixtures say where their format comes from (and
 * none claims to be recorded: there is no Windows machine here), and no input, however
 * hostile, makes a parser throw or run away.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  commandLineToArgv,
  parseNetConnectionProfiles,
  parseNetFirewallProfiles,
  parseNetFirewallRules,
  parseNetTcpConnections,
  parseNetstatAno,
  parseRegistryEnvironment,
  parseWin32Processes,
} from '../../../electron/engine/probes/win32/parse';
import { parseWindowsAcl } from '../../../electron/engine/host/trust';

const ROOT = join(__dirname, '../../fixtures/win32');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const FIXTURES = filesUnder(ROOT);

/** Every parser, as one function of one text. */
const PARSERS: Record<string, (text: string) => unknown> = {
  processes: parseWin32Processes,
  tcpConnections: parseNetTcpConnections,
  netstat: parseNetstatAno,
  connectionProfiles: parseNetConnectionProfiles,
  firewallProfiles: parseNetFirewallProfiles,
  firewallRules: parseNetFirewallRules,
  registry: parseRegistryEnvironment,
  argv: (text) => commandLineToArgv(text),
};

/** Each parser's result has rows and the unparsed-entry accounting. */
function checkShape(result: unknown): void {
  if (Array.isArray(result)) return; // commandLineToArgv
  const r = result as { unparsed: unknown[]; unparsedTotal: number; truncated: boolean };
  expect(Array.isArray(r.unparsed)).toBe(true);
  expect(r.unparsed.length).toBeLessThanOrEqual(100);
  expect(r.unparsedTotal).toBeGreaterThanOrEqual(r.unparsed.length);
  expect(typeof r.truncated).toBe('boolean');
}

describe('win32 fixtures', () => {
  it('cover every tool', () => {
    const tools = new Set(FIXTURES.map((path) => relative(ROOT, path).split('/')[0]));
    expect([...tools].sort()).toEqual([
      'acl',
      'firewall',
      'netstat',
      'processes',
      'profiles',
      'registry',
      'tcp',
    ]);
  });

  it.each(FIXTURES.map((path) => [relative(ROOT, path), path]))(
    '%s names its tool, the Windows it stands for and where its format comes from',
    (_name, path) => {
      const text = readFileSync(path, 'utf8');
      const header = text
        .split('\n')
        .filter((line) => line.startsWith('#fixture:'))
        .map((line) => line.slice('#fixture:'.length).trim());
      expect(text.startsWith('#fixture:')).toBe(true);
      expect(header.some((line) => /^tool: /.test(line))).toBe(true);
      expect(header.some((line) => /^stands for: .*Windows/.test(line))).toBe(true);
      expect(header.some((line) => /^format from: /.test(line))).toBe(true);
      expect(header.some((line) => /^composed by hand, not recorded on Windows/.test(line))).toBe(
        true,
      );
      // Nothing here was recorded on Windows, and no header may say otherwise.
      for (const line of header) {
        for (const match of line.matchAll(/recorded/gi)) {
          expect(line.slice(0, match.index).endsWith('not ')).toBe(true);
        }
      }
    },
  );

  it.each(FIXTURES.map((path) => [relative(ROOT, path), path]))(
    '%s is read by its parser',
    (name, path) => {
      const tool = name.split('/')[0]!;
      const file = name.split('/')[1]!;
      if (tool === 'acl') {
        // The install-trust check's reader (host/trust.ts): every entry read, or nothing trusted.
        const entries = parseWindowsAcl(
          readFileSync(path, 'utf8').replace(/^(#fixture:[^\n]*\n)+/, ''),
        );
        expect(entries).not.toBeNull();
        expect(entries!.length).toBeGreaterThan(0);
        return;
      }
      const parser =
        tool === 'processes'
          ? parseWin32Processes
          : tool === 'tcp'
            ? parseNetTcpConnections
            : tool === 'netstat'
              ? parseNetstatAno
              : tool === 'firewall'
                ? parseNetFirewallRules
                : tool === 'registry'
                  ? parseRegistryEnvironment
                  : file.startsWith('netconnectionprofile')
                    ? parseNetConnectionProfiles
                    : parseNetFirewallProfiles;
      const text = readFileSync(path, 'utf8').replace(/^(#fixture:[^\n]*\n)+/, '');
      const result = parser(text) as { unparsedTotal: number };
      checkShape(result);
      // Only the misdecoded German netstat has a row the parser refuses on purpose.
      expect(result.unparsedTotal).toBe(file === 'netstat-ano-de-misdecoded.txt' ? 1 : 0);
    },
  );
});

describe('every win32 parser on hostile input', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (text) => {
        for (const parse of Object.values(PARSERS)) checkShape(parse(text));
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it('never throws on arbitrary JSON, shaped like rows or not', () => {
    const row = fc.dictionary(
      fc.constantFrom(
        'ProcessId',
        'ParentProcessId',
        'Name',
        'CommandLine',
        'ExecutablePath',
        'LocalAddress',
        'LocalPort',
        'RemoteAddress',
        'RemotePort',
        'State',
        'OwningProcess',
        'NetworkCategory',
        'InterfaceAlias',
        'Enabled',
        'Action',
        'Direction',
        'Profile',
        'LocalPort',
        'Program',
        'Scope',
        'Value',
        'Kind',
        '__proto__',
        'constructor',
      ),
      fc.jsonValue({ maxDepth: 3 }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.array(row, { maxLength: 20 }), row, fc.jsonValue()), (value) => {
        const text = JSON.stringify(value) ?? '';
        for (const parse of Object.values(PARSERS)) checkShape(parse(text));
      }),
      { numRuns: 500, seed: 17 },
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
          for (const parse of Object.values(PARSERS)) checkShape(parse(text));
        },
      ),
      { numRuns: 300, seed: 17 },
    );
  });

  it('stays bounded on huge and pathological input', () => {
    const manyRows = JSON.stringify(
      Array.from({ length: 250_000 }, (_, i) => ({ ProcessId: i, Name: 'x', State: 2 })),
    );
    const inputs = [
      'x'.repeat(20 * 1024 * 1024),
      `[${'['.repeat(1_000_000)}`,
      `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`,
      manyRows,
      `[${'"\\u0000",'.repeat(500_000)}""]`,
      `${'WARNING: x\n'.repeat(300_000)}[]`,
      '  TCP    '.repeat(400_000),
      `  TCP    0.0.0.0:1 0.0.0.0:0 ${'A'.repeat(1_000_000)} 1`,
      '  TCP    [::]:1  [::]:0  LISTENING  1\n'.repeat(300_000),
      JSON.stringify([{ CommandLine: `x ${'\\"'.repeat(100_000)}`, ProcessId: 1 }]),
      JSON.stringify([
        {
          Name: 'r',
          Enabled: 1,
          Action: 2,
          Direction: 1,
          Profile: 0,
          LocalPort: Array(100_000).fill('1'),
        },
      ]),
      '\n'.repeat(2_000_000),
    ];
    const started = Date.now();
    for (const text of inputs) {
      for (const parse of Object.values(PARSERS)) checkShape(parse(text));
    }
    // Generous for a 2-core CI machine; a backtracking regex or a quadratic loop would take minutes.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 90_000);

  it('caps what it keeps: at most 100 unparsed entries, each clipped', () => {
    const rows = JSON.stringify(
      Array.from({ length: 1000 }, () => ({ ProcessId: 'x'.repeat(5000) })),
    );
    const result = parseWin32Processes(rows);
    expect(result.unparsedTotal).toBe(1000);
    expect(result.unparsed).toHaveLength(100);
    for (const entry of result.unparsed) expect(entry.text.length).toBeLessThanOrEqual(201);
    const many = parseWin32Processes(
      JSON.stringify(Array.from({ length: 200_001 }, (_, i) => ({ ProcessId: i, Name: 'a' }))),
    );
    expect(many.truncated).toBe(true);
    expect(many.processes).toHaveLength(200_000);
  });
});
