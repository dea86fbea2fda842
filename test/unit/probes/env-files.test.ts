import { describe, expect, it } from 'vitest';
import type { EnvStatement } from '../../../electron/engine/probes/linux/env-files';
import {
  parseEtcEnvironment,
  parseShellFile,
} from '../../../electron/engine/probes/linux/env-files';

type Assign = Extract<EnvStatement, { kind: 'assign' }>;

const sh = (text: string) => parseShellFile(text, 'sh');
const fish = (text: string) => parseShellFile(text, 'fish');
const assigns = (statements: EnvStatement[]) =>
  statements.filter((s): s is Assign => s.kind === 'assign');
/** name, value, exported, line of each assignment. */
const brief = (statements: EnvStatement[]) =>
  assigns(statements).map((s) => [s.name, s.value, s.exported, s.line]);

describe('/etc/environment is read as pam_env reads it', () => {
  it.each<[string, string, string]>([
    ['OLLAMA_HOST=0.0.0.0', 'OLLAMA_HOST', '0.0.0.0'],
    ['export OLLAMA_HOST=0.0.0.0', 'OLLAMA_HOST', '0.0.0.0'],
    ['OLLAMA_HOST="0.0.0.0:11434"', 'OLLAMA_HOST', '0.0.0.0:11434'],
    ["OLLAMA_HOST='0.0.0.0'", 'OLLAMA_HOST', '0.0.0.0'],
    ['OLLAMA_HOST=" 0.0.0.0 "', 'OLLAMA_HOST', ' 0.0.0.0 '],
    ['OLLAMA_HOST="a"b"', 'OLLAMA_HOST', 'a"b'],
    ['OLLAMA_MODELS=$HOME/models', 'OLLAMA_MODELS', '$HOME/models'],
    ['OLLAMA_ORIGINS=http://x#fragment', 'OLLAMA_ORIGINS', 'http://x'],
    ['   OLLAMA_HOST=indented', 'OLLAMA_HOST', 'indented'],
    ['OLLAMA_HOST=', 'OLLAMA_HOST', ''],
  ])('%s sets %s to %j (no expansion, no shell quoting)', (line, name, value) => {
    expect(parseEtcEnvironment(`${line}\n`).statements).toEqual([
      { kind: 'assign', name, value, line: 1, exported: true, unexpanded: [] },
    ]);
  });

  it('skips comments and blank lines and keeps line numbers', () => {
    const parsed = parseEtcEnvironment(
      '# comment\n\nPATH="/usr/bin"\n  # indented comment\nOLLAMA_HOST=0.0.0.0\n',
    );
    expect(brief(parsed.statements)).toEqual([
      ['PATH', '/usr/bin', true, 3],
      ['OLLAMA_HOST', '0.0.0.0', true, 5],
    ]);
  });

  it('joins backslash continuations and drops one left open at the end with a problem', () => {
    const parsed = parseEtcEnvironment('OLLAMA_ORIGINS=a,\\\nb\nOLLAMA_HOST=x\\');
    expect(brief(parsed.statements)).toEqual([['OLLAMA_ORIGINS', 'a,b', true, 1]]);
    expect(parsed.problems).toEqual([
      { line: 3, message: expect.stringContaining('pam_env drops'), fatal: false },
    ]);
  });

  it('reports names pam_env rejects and carries on', () => {
    const parsed = parseEtcEnvironment('OLLAMA-HOST=1\n=x\nOLLAMA_HOST=ok\n');
    expect(brief(parsed.statements)).toEqual([['OLLAMA_HOST', 'ok', true, 3]]);
    expect(parsed.problems.map((p) => p.line)).toEqual([1, 2]);
  });

  it('treats a bare name as pam_env does: it removes the variable', () => {
    expect(
      parseEtcEnvironment('OLLAMA_HOST=1\nOLLAMA_HOST\n').statements.map((s) => s.kind),
    ).toEqual(['assign', 'unset']);
  });
});

describe('shell start-up files (sh, bash, zsh)', () => {
  it('reads export NAME=value', () => {
    expect(brief(sh('export OLLAMA_HOST=0.0.0.0\n').statements)).toEqual([
      ['OLLAMA_HOST', '0.0.0.0', true, 1],
    ]);
  });

  it('reads NAME=value with a later export NAME as an assignment plus an export', () => {
    const parsed = sh('OLLAMA_HOST=0.0.0.0\n# ...\necho hi\nexport OLLAMA_HOST\n');
    expect(parsed.statements).toEqual([
      {
        kind: 'assign',
        name: 'OLLAMA_HOST',
        value: '0.0.0.0',
        line: 1,
        exported: false,
        unexpanded: [],
      },
      { kind: 'export', name: 'OLLAMA_HOST', line: 4 },
    ]);
  });

  it('reads NAME=v; export NAME on one line', () => {
    expect(sh('OLLAMA_HOST=0.0.0.0; export OLLAMA_HOST').statements.map((s) => s.kind)).toEqual([
      'assign',
      'export',
    ]);
  });

  it('reads several assignments in one export', () => {
    expect(brief(sh('export A=1 OLLAMA_HOST="0.0.0.0" B').statements)).toEqual([
      ['A', '1', true, 1],
      ['OLLAMA_HOST', '0.0.0.0', true, 1],
    ]);
    expect(sh('export A=1 B').statements.at(-1)).toEqual({ kind: 'export', name: 'B', line: 1 });
  });

  it.each<[string, boolean]>([
    ['declare -x OLLAMA_HOST=1', true],
    ['declare -gx OLLAMA_HOST=1', true],
    ['typeset -x OLLAMA_HOST=1', true],
    ['declare OLLAMA_HOST=1', false],
    ['readonly OLLAMA_HOST=1', false],
  ])('%s is exported: %s', (line, exported) => {
    expect(brief(sh(line).statements)).toEqual([['OLLAMA_HOST', '1', exported, 1]]);
  });

  it('ignores declare -f and local', () => {
    expect(sh('declare -f OLLAMA_HOST\nlocal OLLAMA_HOST=1').statements).toEqual([]);
  });

  it.each<[string, string]>([
    ['export OLLAMA_HOST="0.0.0.0:11434"', '0.0.0.0:11434'],
    ["export OLLAMA_HOST='0.0.0.0'", '0.0.0.0'],
    ['export OLLAMA_HOST=" 0.0.0.0 "', ' 0.0.0.0 '],
    ['export OLLAMA_ORIGINS=a\\ b', 'a b'],
    ['export OLLAMA_ORIGINS="a\\"b\\\\c\\x"', 'a"b\\c\\x'],
    ["export OLLAMA_ORIGINS='a\\b'", 'a\\b'],
    ["export OLLAMA_ORIGINS=$'a\\tb\\x41'", 'a\tbA'],
    ['export OLLAMA_ORIGINS="a"\'b\'c', 'abc'],
    ['export OLLAMA_HOST=0.0.0.0 # listen everywhere', '0.0.0.0'],
    ['export OLLAMA_ORIGINS=a#b', 'a#b'],
  ])('%s gives %j', (line, value) => {
    expect(assigns(sh(line).statements)[0]?.value).toBe(value);
  });

  it.each<[string, string, string[]]>([
    [
      'export OLLAMA_HOST=$(hostname -I | cut -d" " -f1):11434',
      '$(hostname -I | cut -d" " -f1):11434',
      ['$(hostname -I | cut -d" " -f1)'],
    ],
    ['export OLLAMA_HOST=`hostname`', '`hostname`', ['`hostname`']],
    ['export OLLAMA_MODELS=$HOME/models', '$HOME/models', ['$HOME']],
    [
      'export OLLAMA_MODELS="${XDG_DATA_HOME}/ollama"',
      '${XDG_DATA_HOME}/ollama',
      ['${XDG_DATA_HOME}'],
    ],
    ['export OLLAMA_MODELS=~/models', '~/models', ['~']],
    [
      'export OLLAMA_HOST="$(ip route | awk \'{print $9}\')"',
      "$(ip route | awk '{print $9}')",
      ["$(ip route | awk '{print $9}')"],
    ],
  ])('keeps %s verbatim and lists what was not expanded', (line, value, unexpanded) => {
    expect(assigns(sh(line).statements)).toEqual([
      { kind: 'assign', name: expect.any(String), value, line: 1, exported: true, unexpanded },
    ]);
  });

  it('ignores an assignment that only prefixes a command', () => {
    expect(sh('OLLAMA_HOST=0.0.0.0 ollama serve &').statements).toEqual([]);
  });

  it('skips comment lines', () => {
    expect(sh('# export OLLAMA_HOST=0.0.0.0\n  # OLLAMA_HOST=1').statements).toEqual([]);
  });

  it('counts statements inside if/then and after && as if they ran', () => {
    const parsed = sh(
      'if [ -d /opt ]; then\n  export OLLAMA_A=1\nfi\n[ -f x ] && export OLLAMA_B=2 || true\n{ export OLLAMA_C=3; }',
    );
    expect(brief(parsed.statements)).toEqual([
      ['OLLAMA_A', '1', true, 2],
      ['OLLAMA_B', '2', true, 4],
      ['OLLAMA_C', '3', true, 5],
    ]);
  });

  it('reads unset, export -n and declare +x', () => {
    expect(
      sh('unset OLLAMA_A OLLAMA_B\nexport -n OLLAMA_C\ndeclare +x OLLAMA_D').statements,
    ).toEqual([
      { kind: 'unset', name: 'OLLAMA_A', line: 1 },
      { kind: 'unset', name: 'OLLAMA_B', line: 1 },
      { kind: 'unexport', name: 'OLLAMA_C', line: 2 },
      { kind: 'unexport', name: 'OLLAMA_D', line: 3 },
    ]);
  });

  it('exports every assignment between set -a and set +a', () => {
    expect(brief(sh('OLLAMA_A=1\nset -a\nOLLAMA_B=2\nset +a\nOLLAMA_C=3').statements)).toEqual([
      ['OLLAMA_A', '1', false, 1],
      ['OLLAMA_B', '2', true, 3],
      ['OLLAMA_C', '3', false, 5],
    ]);
  });

  it('keeps line numbers right after continuation lines and multi-line quotes', () => {
    const parsed = sh(
      'export OLLAMA_A=1 \\\n  OLLAMA_B=2\nexport OLLAMA_C="line one\nline two"\nexport OLLAMA_D=4\n',
    );
    expect(brief(parsed.statements)).toEqual([
      ['OLLAMA_A', '1', true, 1],
      ['OLLAMA_B', '2', true, 2],
      ['OLLAMA_C', 'line one\nline two', true, 3],
      ['OLLAMA_D', '4', true, 5],
    ]);
  });

  it('reports an unterminated quote instead of throwing', () => {
    const parsed = sh('export OLLAMA_A=1\nexport OLLAMA_B="never closed\nexport OLLAMA_C=3\n');
    expect(parsed.problems).toEqual([
      { line: 2, message: expect.stringContaining('unterminated double quote'), fatal: false },
    ]);
    expect(assigns(parsed.statements)[0]).toMatchObject({ name: 'OLLAMA_A', value: '1' });
  });

  it('survives binary junk and unbalanced brackets', () => {
    const junk =
      'export OLLAMA_A=1\n\u0000\u0001\u001b[2J$(((\n`\nexport OLLAMA_B=${\n\uFFFD\uFFFD';
    expect(() => sh(junk)).not.toThrow();
    expect(() => fish(junk)).not.toThrow();
    expect(assigns(sh(junk).statements)[0]).toMatchObject({ name: 'OLLAMA_A', value: '1' });
  });
});

describe('fish config.fish', () => {
  it.each<[string, boolean]>([
    ['set -gx OLLAMA_HOST 0.0.0.0', true],
    ['set -Ux OLLAMA_HOST 0.0.0.0', true],
    ['set -x OLLAMA_HOST 0.0.0.0', true],
    ['set --global --export OLLAMA_HOST 0.0.0.0', true],
    ['set -g OLLAMA_HOST 0.0.0.0', false],
  ])('%s is exported: %s', (line, exported) => {
    expect(brief(fish(line).statements)).toEqual([['OLLAMA_HOST', '0.0.0.0', exported, 1]]);
  });

  it('joins a list value with spaces, as fish exports it', () => {
    expect(assigns('set -gx OLLAMA_ORIGINS a b').at(0)?.value).toBe('a b');
  });

  it('ignores local and query forms, reads erase as unset', () => {
    expect(fish('set -l OLLAMA_A 1\nset -q OLLAMA_B\nset -e OLLAMA_C').statements).toEqual([
      { kind: 'unset', name: 'OLLAMA_C', line: 3 },
    ]);
  });

  it('reads the export function, fish single quotes and command substitution', () => {
    const parsed = fish(
      "export OLLAMA_A=1\nset -gx OLLAMA_B 'it\\'s'\nset -gx OLLAMA_C (hostname):11434",
    );
    expect(brief(parsed.statements)).toEqual([
      ['OLLAMA_A', '1', true, 1],
      ['OLLAMA_B', "it's", true, 2],
      ['OLLAMA_C', '(hostname):11434', true, 3],
    ]);
    expect(assigns(parsed.statements)[2]!.unexpanded).toEqual(['(hostname)']);
  });

  it('reads a statement after `; or` and inside if blocks', () => {
    expect(
      brief(
        fish(
          'set -q OLLAMA_HOST; or set -gx OLLAMA_HOST 0.0.0.0\nif true\n  set -gx OLLAMA_A 1\nend',
        ).statements,
      ),
    ).toEqual([
      ['OLLAMA_HOST', '0.0.0.0', true, 1],
      ['OLLAMA_A', '1', true, 3],
    ]);
  });

  function assigns(text: string | EnvStatement[]): Assign[] {
    const statements = typeof text === 'string' ? fish(text).statements : text;
    return statements.filter((s): s is Assign => s.kind === 'assign');
  }
});

describe('fuzz F4: the env-file parsers take linear time on 1 MiB inputs', () => {
  const MIB = 1024 * 1024;

  it('fuzz F4: parseEtcEnvironment with 1 MiB of blanks inside a value or before a continuation', () => {
    const inner = parseEtcEnvironment(`A=x${' '.repeat(MIB)}y`);
    expect(inner.problems).toEqual([]);
    expect(brief(inner.statements)).toEqual([['A', `x${' '.repeat(MIB)}y`, true, 1]]);
    // A backslash before trailing blanks continues the line, as pam_env reads it.
    expect(
      brief(parseEtcEnvironment(`A=x\\${' \t'.repeat(MIB / 2)}\ny\nB=1\n`).statements),
    ).toEqual([
      ['A', 'xy', true, 1],
      ['B', '1', true, 3],
    ]);
  });

  it('fuzz F4: parseShellFile (sh and fish) on 1 MiB of `~`', () => {
    expect(sh('~'.repeat(MIB))).toEqual({ statements: [], problems: [] });
    expect(fish('~'.repeat(MIB))).toEqual({ statements: [], problems: [] });
    // Only the `~` right after `=` (sh) or at the start of the word (fish) is a tilde expansion.
    const shell = assigns(sh(`export A=${'~'.repeat(MIB)}`).statements);
    expect(shell).toHaveLength(1);
    expect(shell[0]).toMatchObject({ name: 'A', exported: true, unexpanded: ['~'] });
    expect(shell[0]!.value).toBe('~'.repeat(MIB));
    const fishSet = assigns(fish(`set -gx A ${'~'.repeat(MIB)}`).statements);
    expect(fishSet).toHaveLength(1);
    expect(fishSet[0]).toMatchObject({ name: 'A', exported: true, unexpanded: ['~'] });
    expect(fishSet[0]!.value).toBe('~'.repeat(MIB));
    // After every `:` of an assignment it is one again.
    const path = assigns(sh(`export A=${':~'.repeat(MIB / 2)}`).statements)[0]!;
    expect(path.value).toBe(':~'.repeat(MIB / 2));
    expect(path.unexpanded).toHaveLength(MIB / 2);
  });
});
