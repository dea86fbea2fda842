import { describe, expect, it } from 'vitest';
import type { UnitEnvDirective } from '../../../electron/engine/probes/linux/systemd-unit';
import {
  parseEnvironmentFile,
  parseUnitFile,
  safeText,
  splitUnitWords,
} from '../../../electron/engine/probes/linux/systemd-unit';

const service = (...lines: string[]) => ['[Service]', ...lines].join('\n');

/** The name/value pairs a unit's Environment= lines set, in order. */
function sets(text: string, unitName?: string): Array<[string, string]> {
  return parseUnitFile(text, unitName === undefined ? {} : { unitName })
    .directives.filter((d): d is Extract<UnitEnvDirective, { kind: 'set' }> => d.kind === 'set')
    .map((d) => [d.name, d.value]);
}

describe('Environment= quoting follows systemd (extract_first_word with CUNESCAPE|UNQUOTE)', () => {
  it.each<[string, Array<[string, string]>]>([
    ['A=1', [['A', '1']]],
    [
      '"A=1 2" B=3',
      [
        ['A', '1 2'],
        ['B', '3'],
      ],
    ],
    ["'X=y z'", [['X', 'y z']]],
    ['A="x y"', [['A', 'x y']]],
    ["A='x y'z", [['A', 'x yz']]],
    ['A="a\\"b"', [['A', 'a"b']]],
    ['A="a\\\\b"', [['A', 'a\\b']]],
    ['A="a\\nb"', [['A', 'a\nb']]],
    ['A="a\\tb"', [['A', 'a\tb']]],
    ["A='a\\'b'", [['A', "a'b"]]],
    ['A=x\\sy', [['A', 'x y']]],
    ['A=\\x41\\101', [['A', 'AA']]],
    ['A=caf\\xc3\\xa9', [['A', 'café']]],
    ['A=\\u00e9', [['A', 'é']]],
    ['A=', [['A', '']]],
    [
      'A=1 A=2',
      [
        ['A', '1'],
        ['A', '2'],
      ],
    ],
    ['OLLAMA_HOST=\'"0.0.0.0"\'', [['OLLAMA_HOST', '"0.0.0.0"']]],
    ['OLLAMA_HOST=" 0.0.0.0 "', [['OLLAMA_HOST', ' 0.0.0.0 ']]],
    ['"OLLAMA_HOST=0.0.0.0:11434"', [['OLLAMA_HOST', '0.0.0.0:11434']]],
    [
      '  A=1\t\tB=2  ',
      [
        ['A', '1'],
        ['B', '2'],
      ],
    ],
    ['A=100%%', [['A', '100%']]],
    ['A=50%', [['A', '50%']]],
  ])('Environment=%s sets %j', (value, expected) => {
    expect(sets(service(`Environment=${value}`))).toEqual(expected);
  });

  it('several Environment= lines accumulate in file order', () => {
    expect(sets(service('Environment=A=1', 'Environment="B=2" C=3', 'Environment=A=4'))).toEqual([
      ['A', '1'],
      ['B', '2'],
      ['C', '3'],
      ['A', '4'],
    ]);
  });

  it('keeps the words before an unterminated quote and reports the line', () => {
    const parsed = parseUnitFile(service('Environment=B=2 "A=1'));
    expect(sets(service('Environment=B=2 "A=1'))).toEqual([['B', '2']]);
    expect(parsed.problems).toEqual([
      { line: 2, message: expect.stringContaining('unterminated double quote'), fatal: false },
    ]);
  });

  it.each([
    ['unknown escape', 'Environment=A=x\\qy B=2', 'unknown escape'],
    ['escaped space (not a C escape)', 'Environment=A=x\\ y', 'unknown escape'],
    ['NUL escape', 'Environment=A=\\x00', 'unknown escape'],
    ['unterminated single quote', "Environment='A=1", 'unterminated single quote'],
  ])('reports %s as a problem without throwing', (_what, line, message) => {
    const parsed = parseUnitFile(service(line));
    expect(parsed.problems.map((p) => p.message).join('\n')).toContain(message);
    expect(parsed.directives.filter((d) => d.kind === 'set' && d.name === 'A')).toEqual([]);
  });

  it.each([
    ['no = at all', 'NOEQUALS'],
    ['a name starting with a digit', '1A=x'],
    ['a dot in the name', 'A.B=1'],
    ['an empty name', '=x'],
  ])('drops an invalid assignment (%s) and keeps the valid ones on the line', (_what, word) => {
    const parsed = parseUnitFile(service(`Environment=${word} OK=1`));
    expect(sets(service(`Environment=${word} OK=1`))).toEqual([['OK', '1']]);
    expect(parsed.problems[0]).toMatchObject({ line: 2, fatal: false });
    expect(parsed.problems[0]!.message).toContain('not a valid NAME=VALUE');
  });

  it('drops a value whose escapes decode to invalid UTF-8, as systemd does', () => {
    const parsed = parseUnitFile(service('Environment=A=\\xff B=1'));
    expect(sets(service('Environment=A=\\xff B=1'))).toEqual([['B', '1']]);
    expect(parsed.problems).toHaveLength(1);
    // Escapes that spell a noncharacter in UTF-8 (U+FFFE) fail systemd's check too.
    expect(sets(service('Environment=A=\\xef\\xbf\\xbe B=1'))).toEqual([['B', '1']]);
  });

  it('fuzz F3: a real U+FFFD in a unit file is valid UTF-8; only bytes that were not are fatal', () => {
    const unit =
      '[Unit]\nDescription=Ollama \uFFFD\n[Service]\nEnvironment="OLLAMA_HOST=0.0.0.0" "X=\uFFFD"\n';
    const parsed = parseUnitFile(unit);
    expect(parsed.problems).toEqual([]);
    expect(sets(unit)).toEqual([
      ['OLLAMA_HOST', '0.0.0.0'],
      ['X', '\uFFFD'],
    ]);
    expect(parseUnitFile(unit, { invalidUtf8: true }).problems).toEqual([
      { line: 2, message: expect.stringContaining('not valid UTF-8'), fatal: true },
      { line: 4, message: expect.stringContaining('not valid UTF-8'), fatal: true },
    ]);
    // A noncharacter anywhere on a line that is not a comment: systemd refuses the file.
    const nonchar = parseUnitFile('[Unit]\n# \uFFFE is fine here\nDescription=\uFFFE\n');
    expect(nonchar.problems).toEqual([
      { line: 3, message: expect.stringMatching(/U\+FFFE.*noncharacter/), fatal: true },
    ]);
  });
});

describe('empty assignments reset lists', () => {
  it('an empty Environment= becomes a clear-environment directive at its position', () => {
    const parsed = parseUnitFile(service('Environment=A=1', 'Environment=', 'Environment=B=2'));
    expect(parsed.directives.map((d) => d.kind)).toEqual(['set', 'clear-environment', 'set']);
    expect(parsed.directives[1]).toEqual({ kind: 'clear-environment', line: 3 });
  });

  it('an Environment= of only spaces also resets', () => {
    expect(parseUnitFile(service('Environment=   ')).directives).toEqual([
      { kind: 'clear-environment', line: 2 },
    ]);
  });

  it('an empty EnvironmentFile= and UnsetEnvironment= reset their own lists', () => {
    const kinds = parseUnitFile(service('EnvironmentFile=', 'UnsetEnvironment=')).directives.map(
      (d) => d.kind,
    );
    expect(kinds).toEqual(['clear-environment-files', 'clear-unset']);
  });
});

describe('EnvironmentFile=', () => {
  it('records the path, and a leading - as optional', () => {
    const parsed = parseUnitFile(
      service('EnvironmentFile=/etc/ollama.env', 'EnvironmentFile=-/etc/ollama.local'),
    );
    expect(parsed.directives).toEqual([
      { kind: 'environment-file', path: '/etc/ollama.env', optional: false, line: 2 },
      { kind: 'environment-file', path: '/etc/ollama.local', optional: true, line: 3 },
    ]);
  });

  it('normalizes duplicate slashes and dot components', () => {
    const parsed = parseUnitFile(service('EnvironmentFile=//etc/./default//ollama'));
    expect(parsed.directives).toEqual([
      { kind: 'environment-file', path: '/etc/default/ollama', optional: false, line: 2 },
    ]);
  });

  it.each([['relative/path'], ['-relative'], ['/etc/../shadow']])(
    'ignores %s with a problem, as systemd does',
    (path) => {
      const parsed = parseUnitFile(service(`EnvironmentFile=${path}`));
      expect(parsed.directives).toEqual([]);
      expect(parsed.problems[0]!.message).toContain('not a normalized absolute path');
    },
  );

  it('resolves %n in the path but refuses to guess %h', () => {
    expect(
      parseUnitFile(service('EnvironmentFile=/etc/%n.env'), { unitName: 'ollama.service' })
        .directives,
    ).toEqual([
      { kind: 'environment-file', path: '/etc/ollama.service.env', optional: false, line: 2 },
    ]);
    const home = parseUnitFile(service('EnvironmentFile=%h/.ollama.env'), {
      unitName: 'ollama.service',
    });
    expect(home.directives).toEqual([]);
    expect(home.problems[0]!.message).toContain('%h');
  });
});

describe('UnsetEnvironment=', () => {
  it('unsets a name, or a name only with a given value', () => {
    const parsed = parseUnitFile(service('UnsetEnvironment=OLLAMA_HOST OLLAMA_DEBUG=1'));
    expect(parsed.directives).toEqual([
      { kind: 'unset', name: 'OLLAMA_HOST', value: null, line: 2 },
      { kind: 'unset', name: 'OLLAMA_DEBUG', value: '1', line: 2 },
    ]);
  });
});

describe('specifiers in Environment=', () => {
  it('resolves the unit-name specifiers and keeps host ones verbatim with a note', () => {
    const parsed = parseUnitFile(service('Environment=A=%n B=%p/%i C=%H'), {
      unitName: 'ollama@gpu0.service',
    });
    expect(parsed.directives).toEqual([
      { kind: 'set', name: 'A', value: 'ollama@gpu0.service', line: 2, notes: [] },
      { kind: 'set', name: 'B', value: 'ollama/gpu0', line: 2, notes: [] },
      { kind: 'set', name: 'C', value: '%H', line: 2, notes: [expect.stringContaining('%H')] },
    ]);
  });

  it('drops an assignment with an unknown specifier, as systemd does', () => {
    const parsed = parseUnitFile(service('Environment=A=%k B=1'));
    expect(sets(service('Environment=A=%k B=1'))).toEqual([['B', '1']]);
    expect(parsed.problems[0]!.message).toContain('unknown specifier %k');
  });
});

describe('unit file lines, sections and comments', () => {
  it('skips # and ; comment lines', () => {
    expect(
      sets(service('# Environment=A=1', '; Environment=B=2', '   # indented', 'Environment=C=3')),
    ).toEqual([['C', '3']]);
  });

  it('joins a line ending in a backslash with the next one, reporting the first line', () => {
    const parsed = parseUnitFile(service('Environment=A=1 \\', '  B=2'));
    expect(parsed.directives).toEqual([
      { kind: 'set', name: 'A', value: '1', line: 2, notes: [] },
      { kind: 'set', name: 'B', value: '2', line: 2, notes: [] },
    ]);
  });

  it('skips comment lines inside a continuation, as systemd does', () => {
    expect(sets(service('Environment=A=1 \\', '# comment', '; another', ' B=2'))).toEqual([
      ['A', '1'],
      ['B', '2'],
    ]);
  });

  it('does not treat an escaped backslash at the end as a continuation', () => {
    const parsed = parseUnitFile(service('Environment="A=x\\\\"', 'Environment=B=2'));
    expect(sets(service('Environment="A=x\\\\"', 'Environment=B=2'))).toEqual([
      ['A', 'x\\'],
      ['B', '2'],
    ]);
    expect(parsed.directives[1]).toMatchObject({ line: 3 });
  });

  it('a continuation that never ends still parses at the end of the file', () => {
    expect(sets(service('Environment=A=1 \\'))).toEqual([['A', '1']]);
  });

  it('accepts CRLF line endings and a byte-order mark', () => {
    expect(sets('\uFEFF[Service]\r\nEnvironment=A=1\r\nEnvironment=B=2\r\n')).toEqual([
      ['A', '1'],
      ['B', '2'],
    ]);
  });

  it('accepts spaces around the key and its =', () => {
    expect(sets(service('  Environment  =  A=1  '))).toEqual([['A', '1']]);
  });

  it('ignores Environment= outside [Service] with a problem naming the section', () => {
    const parsed = parseUnitFile(
      '[Unit]\nEnvironment=A=1\n[service]\nEnvironment=B=2\n[Service]\nEnvironment=C=3',
    );
    expect(
      sets('[Unit]\nEnvironment=A=1\n[service]\nEnvironment=B=2\n[Service]\nEnvironment=C=3'),
    ).toEqual([['C', '3']]);
    expect(parsed.problems.map((p) => [p.line, p.fatal])).toEqual([
      [2, false],
      [4, false],
    ]);
    expect(parsed.problems[1]!.message).toContain('[service]');
  });

  it('reports assignments before any section (a drop-in without [Service])', () => {
    const parsed = parseUnitFile('Environment="OLLAMA_HOST=0.0.0.0:11434"\n');
    expect(parsed.directives).toEqual([]);
    expect(parsed.problems).toEqual([
      { line: 1, message: expect.stringContaining('outside of any section'), fatal: false },
    ]);
  });

  it('reports a broken section header as fatal and still parses the rest of the file', () => {
    const parsed = parseUnitFile('[Service\nEnvironment=A=1\n[Service]\nEnvironment=B=2\n');
    expect(parsed.problems[0]).toMatchObject({ line: 1, fatal: true });
    expect(parsed.problems[0]!.message).toContain('invalid section header');
    expect(sets('[Service\nEnvironment=A=1\n[Service]\nEnvironment=B=2\n')).toEqual([['B', '2']]);
  });

  it('reports lines without = or without a key, with their line numbers', () => {
    const parsed = parseUnitFile(
      service('ExecStart /usr/bin/ollama serve', '=value', 'Environment=A=1'),
    );
    expect(parsed.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(sets(service('ExecStart /usr/bin/ollama serve', '=value', 'Environment=A=1'))).toEqual([
      ['A', '1'],
    ]);
  });

  it('survives binary junk: NUL ends a line, invalid UTF-8 is fatal but the file still parses', () => {
    // The U+FFFD stand for bytes that were not UTF-8: the host says so with invalidUtf8.
    const junk = `[Service]\nEnvironment=A=1\n\u0000\u0001\u0002garbage\n\uFFFD\uFFFD=\uFFFD\n\u001b[31m\nEnvironment=B=2\n`;
    let parsed: ReturnType<typeof parseUnitFile> | undefined;
    expect(() => (parsed = parseUnitFile(junk, { invalidUtf8: true }))).not.toThrow();
    expect(sets(junk)).toEqual([
      ['A', '1'],
      ['B', '2'],
    ]);
    expect(parsed!.problems.some((p) => p.fatal && p.message.includes('UTF-8'))).toBe(true);
    expect(parsed!.problems.some((p) => p.line === 4 && p.message.includes("missing '='"))).toBe(
      true,
    );
  });

  it('fuzz F4: 1 MiB of continuation lines is read in linear time, as one logical line', () => {
    const MIB = 1024 * 1024;
    // Backslash-newline pairs only: one logical line of spaces, nothing to say.
    expect(parseUnitFile('\\\n'.repeat(MIB / 2))).toEqual({ directives: [], problems: [] });
    // An Environment= continued over 1 MiB: every word counts, the line is the first one.
    const n = Math.floor(MIB / 6);
    const parsed = parseUnitFile(
      `[Service]\nEnvironment=A=1 \\\n${'B=2 \\\n'.repeat(n)}C=3\nEnvironment=D=4\n`,
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.directives).toHaveLength(n + 3);
    expect(parsed.directives[0]).toMatchObject({ kind: 'set', name: 'A', line: 2 });
    expect(parsed.directives[n + 1]).toMatchObject({ kind: 'set', name: 'C', value: '3', line: 2 });
    expect(parsed.directives[n + 2]).toMatchObject({ kind: 'set', name: 'D', line: n + 4 });
    // An escaped backslash at the end does not continue; an odd run of them does.
    expect(sets('[Service]\nEnvironment=A=x\\\\\nEnvironment=B=1\n')).toEqual([
      ['A', 'x\\'],
      ['B', '1'],
    ]);
    expect(sets('[Service]\nEnvironment=A=x\\\\\\\nB=1\n')).toEqual([
      ['A', 'x\\'],
      ['B', '1'],
    ]);
  });

  it('never throws on random input', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = '[]=\\"\'\n\r\t #;%$xA_Environment\u0000\uFFFD';
    for (let round = 0; round < 300; round++) {
      let text = round % 2 === 0 ? '[Service]\nEnvironment=' : '';
      for (let i = 0; i < 80; i++) text += alphabet.charAt(Math.floor(random() * alphabet.length));
      expect(() => parseUnitFile(text)).not.toThrow();
      expect(() => parseEnvironmentFile(text)).not.toThrow();
    }
  });
});

describe('splitUnitWords', () => {
  it('returns the words read before an error together with the error', () => {
    expect(splitUnitWords('a "b c" \'d')).toEqual({
      words: ['a', 'b c'],
      error: 'unterminated single quote',
    });
  });

  it('reports a trailing backslash (in a unit file it would have continued the line)', () => {
    expect(splitUnitWords('A=1 B=x\\')).toEqual({ words: ['A=1'], error: 'trailing backslash' });
  });
});

describe('EnvironmentFile= contents follow env-file.c', () => {
  const parse = (text: string) =>
    parseEnvironmentFile(text).assignments.map((a) => [a.name, a.value, a.line]);

  it.each<[string, string]>([
    ['A=1', '1'],
    ['A="x y"', 'x y'],
    ["A='x y'", 'x y'],
    ['A = spaced', 'spaced'],
    ['A=trailing   ', 'trailing'],
    ['A=a # not a comment', 'a # not a comment'],
    ['A="x"y', 'xy'],
    ['A="x" "y"', 'xy'],
    ['A="a\\"b\\$c\\\\d"', 'a"b$c\\d'],
    ['A="a\\nb"', 'a\\nb'],
    ["A='a\\nb'", 'a\\nb'],
    ['A=a\\ b', 'a b'],
    ['A=', ''],
    ['OLLAMA_HOST=" 0.0.0.0 "', ' 0.0.0.0 '],
  ])('%s gives the value %j', (line, value) => {
    expect(parseEnvironmentFile(line).assignments[0]?.value).toBe(value);
  });

  it('reads several lines with comments, keeping line numbers', () => {
    expect(parse('# comment\n; also a comment\nA=1\n\n  B=2\nA=3\n')).toEqual([
      ['A', '1', 3],
      ['B', '2', 5],
      ['A', '3', 6],
    ]);
  });

  it('joins a backslash-newline inside a value', () => {
    expect(parse('A=a\\\nb\nB=2')).toEqual([
      ['A', 'ab', 1],
      ['B', '2', 3],
    ]);
  });

  it('lets a quoted value span lines', () => {
    expect(parse("A='multi\nline'\nB=2")).toEqual([
      ['A', 'multi\nline', 1],
      ['B', '2', 3],
    ]);
  });

  it('ignores an `export` line with a problem, as systemd does (it is not a valid name)', () => {
    const parsed = parseEnvironmentFile('export OLLAMA_HOST=0.0.0.0\nOLLAMA_ORIGINS=*\n');
    expect(parsed.assignments.map((a) => a.name)).toEqual(['OLLAMA_ORIGINS']);
    expect(parsed.problems).toEqual([
      { line: 1, message: expect.stringContaining("'export' is shell syntax"), fatal: false },
    ]);
  });

  it('reports a line without = and an invalid name, and keeps going', () => {
    const parsed = parseEnvironmentFile('JUSTANAME\nA-B=1\nC=3\n');
    expect(parsed.assignments.map((a) => a.name)).toEqual(['C']);
    expect(parsed.problems.map((p) => p.line)).toEqual([1, 2]);
  });

  it('takes the rest of the file for an unterminated quote, with a problem', () => {
    const parsed = parseEnvironmentFile('A="open\nB=2\n');
    expect(parsed.assignments).toEqual([{ name: 'A', value: 'open\nB=2\n', line: 1 }]);
    expect(parsed.problems[0]!.message).toContain('unterminated quote');
  });

  it('stops at a NUL byte, as systemd does', () => {
    const parsed = parseEnvironmentFile('A=1\nB=2\u0000junk\nC=3\n');
    expect(parsed.assignments.map((a) => [a.name, a.value])).toEqual([
      ['A', '1'],
      ['B', '2'],
    ]);
    expect(parsed.problems[0]).toMatchObject({ line: 2, fatal: false });
  });

  it('marks invalid UTF-8 as fatal: systemd rejects the whole file', () => {
    // The host read bytes that were not UTF-8 and decoded them to U+FFFD.
    const parsed = parseEnvironmentFile('A=1\nB=\uFFFD\n', { invalidUtf8: true });
    expect(parsed.problems).toEqual([
      { line: 2, message: expect.stringContaining('UTF-8'), fatal: true },
    ]);
    // Invalid bytes in a comment do not matter: systemd checks only keys and values.
    expect(parseEnvironmentFile('# caf\uFFFD\nA=1\n', { invalidUtf8: true }).problems).toEqual([]);
  });

  it('fuzz F3: a real U+FFFD is valid UTF-8; systemd loads the file and its OLLAMA_HOST', () => {
    const parsed = parseEnvironmentFile('OLLAMA_HOST=0.0.0.0\nCOMMENT=caf\uFFFD\n');
    expect(parsed.problems).toEqual([]);
    expect(parsed.assignments.map((a) => [a.name, a.value])).toEqual([
      ['OLLAMA_HOST', '0.0.0.0'],
      ['COMMENT', 'caf\uFFFD'],
    ]);
  });

  it('fuzz F3: noncharacters are refused as systemd refuses them (unichar_is_valid)', () => {
    for (const nonchar of ['\uFFFE', '\uFFFF', '\uFDD0', '\uFDEF', '\u{1FFFE}', '\u{10FFFF}']) {
      const parsed = parseEnvironmentFile(`OLLAMA_HOST=0.0.0.0\nX=a${nonchar}\n`);
      expect(parsed.problems, nonchar).toEqual([
        { line: 2, message: expect.stringMatching(/noncharacter.*refuses to use/), fatal: true },
      ]);
    }
    // The neighbours are ordinary characters.
    for (const ok of ['\uFDCF', '\uFDF0', '\uFFFD', '\u{1FFFD}', '\u{10000}'])
      expect(parseEnvironmentFile(`X=a${ok}\n`).problems, ok).toEqual([]);
  });
});

describe('safeText', () => {
  it('strips control characters and bidi overrides but keeps tabs', () => {
    expect(safeText('a\u0000b\u001b[31mc\td\u202ee\u0085', 100)).toEqual({
      text: 'ab[31mc\tde',
      truncated: false,
    });
  });

  it('caps length without splitting a surrogate pair', () => {
    expect(safeText('ab😀', 3)).toEqual({ text: 'ab', truncated: true });
  });
});
