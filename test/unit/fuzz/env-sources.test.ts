/**
 * Bounded fuzzing of the environment-source parsers: systemd unit files and EnvironmentFile=
 * (systemd-unit.ts), /etc/environment and shell start-up files (env-files.ts). None may
 * throw, and what they return keeps its shape: valid names, line numbers inside the file.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { EnvStatement } from '../../../electron/engine/probes/linux/env-files';
import {
  parseEtcEnvironment,
  parseShellFile,
} from '../../../electron/engine/probes/linux/env-files';
import type { ParseProblem } from '../../../electron/engine/probes/linux/systemd-unit';
import {
  parseEnvironmentFile,
  parseUnitFile,
  splitUnitWords,
} from '../../../electron/engine/probes/linux/systemd-unit';
import { ENV_NAME, check, lineCount, parserInput } from './support';

const UNITS = [
  [
    '[Unit]',
    'Description=Ollama Service',
    'After=network-online.target',
    '',
    '[Service]',
    'ExecStart=/usr/local/bin/ollama serve',
    'User=ollama',
    'Group=ollama',
    'Restart=always',
    'RestartSec=3',
    'Environment="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n'),
  '[Service]\nEnvironment="OLLAMA_HOST=0.0.0.0:11434"\n',
  '[Service]\nEnvironment=OLLAMA_HOST=0.0.0.0 "OLLAMA_ORIGINS=*" \\\n  OLLAMA_DEBUG=1\nEnvironmentFile=-/etc/default/ollama\nUnsetEnvironment=OLLAMA_NOPRUNE\n',
  "[Service]\nEnvironment=\nEnvironment=A=%n B=%i C=\\x41\\u00e9 D='x y'\nEnvironmentFile=\n; comment\n# comment\n",
];
const ENV_FILES = [
  'OLLAMA_HOST=0.0.0.0\n# comment\nOLLAMA_ORIGINS="*"\n',
  'A=\'single $x\' B=2\nexport C=3\nD="dq \\" \\$ \\n"\nE=x \\\n  y\n',
];
const SHELL = [
  'export OLLAMA_HOST=0.0.0.0\n',
  'if [ -f ~/.bashrc ]; then . ~/.bashrc; fi\nexport PATH="$HOME/bin:$PATH"\nOLLAMA_HOST=127.0.0.1:11434; export OLLAMA_HOST\ndeclare -x OLLAMA_ORIGINS=\'*\'\nunset OLLAMA_DEBUG\nexport A=~/x:~/y B=$(hostname) C=`date`\n',
  'set -gx OLLAMA_HOST 0.0.0.0\nset -x PATH ~/bin $PATH\nset -e OLLAMA_DEBUG\nset -U OLLAMA_ORIGINS (echo "*")\n',
];
const ETC_ENVIRONMENT = [
  'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"\nOLLAMA_HOST=0.0.0.0\n',
  '# comment\nexport A=1 # trailing\nB="quoted\nC=x\\\n  continued\nD\n',
];

function expectProblems(problems: ParseProblem[], text: string) {
  const lines = lineCount(text);
  for (const p of problems) {
    expect(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines).toBe(true);
    expect(typeof p.message).toBe('string');
    expect(typeof p.fatal).toBe('boolean');
  }
}

function expectStatements(statements: EnvStatement[], text: string, name: RegExp) {
  const lines = lineCount(text);
  for (const s of statements) {
    expect(['assign', 'export', 'unexport', 'unset']).toContain(s.kind);
    expect(s.name).toMatch(name);
    expect(Number.isInteger(s.line) && s.line >= 1 && s.line <= lines).toBe(true);
    if (s.kind === 'assign') {
      expect(typeof s.value).toBe('string');
      expect(typeof s.exported).toBe('boolean');
      expect(s.unexpanded.every((u) => typeof u === 'string')).toBe(true);
    }
  }
}

// systemd's utf8_is_valid() refuses these; a value that reaches a directive never has one.
const NOT_SYSTEMD_UTF8 = /[\p{Noncharacter_Code_Point}\p{Surrogate}]/u;

describe('fuzz: systemd unit files and EnvironmentFile=', () => {
  it('parseUnitFile: directives of known kinds, valid names and values, lines in the file', () => {
    check(fc.tuple(parserInput([...UNITS, ...ENV_FILES]), fc.boolean()), ([text, invalidUtf8]) => {
      const parsed = parseUnitFile(text, { unitName: 'ollama@gpu0.service', invalidUtf8 });
      expectProblems(parsed.problems, text);
      const lines = lineCount(text);
      for (const d of parsed.directives) {
        expect(d.line >= 1 && d.line <= lines).toBe(true);
        if (d.kind === 'set' || d.kind === 'unset') expect(d.name).toMatch(ENV_NAME);
        if (d.kind === 'set') expect(NOT_SYSTEMD_UTF8.test(d.value)).toBe(false);
        if (d.kind === 'environment-file') expect(d.path.startsWith('/')).toBe(true);
      }
    });
  });

  it('parseEnvironmentFile: valid names, no fatal problem without a reason, lines in the file', () => {
    check(fc.tuple(parserInput([...ENV_FILES, ...UNITS]), fc.boolean()), ([text, invalidUtf8]) => {
      const parsed = parseEnvironmentFile(text, { invalidUtf8 });
      expectProblems(parsed.problems, text);
      for (const a of parsed.assignments) {
        expect(a.name).toMatch(ENV_NAME);
        expect(a.line >= 1 && a.line <= lineCount(text)).toBe(true);
        expect(NOT_SYSTEMD_UTF8.test(a.value)).toBe(false);
        if (invalidUtf8) expect(a.value.includes('\uFFFD')).toBe(false);
      }
      if (parsed.problems.some((p) => p.fatal))
        expect(parsed.problems.find((p) => p.fatal)!.message).toMatch(/UTF-8/);
    });
  });

  it('splitUnitWords: words, and an error only with the words read before it', () => {
    check(parserInput(UNITS.map((u) => u.split('=').slice(1).join('='))), (text) => {
      const { words, error } = splitUnitWords(text);
      expect(words.every((w) => typeof w === 'string')).toBe(true);
      expect(error === null || typeof error === 'string').toBe(true);
      // Whitespace alone is no word.
      if (/^[ \t\n\r]*$/.test(text)) expect({ words, error }).toEqual({ words: [], error: null });
    });
  });
});

describe('fuzz: the login session', () => {
  it('parseShellFile (sh): statements with valid names and lines', () => {
    check(parserInput(SHELL), (text) => {
      const parsed = parseShellFile(text, 'sh');
      expectProblems(parsed.problems, text);
      expectStatements(parsed.statements, text, ENV_NAME);
    });
  });

  it('parseShellFile (fish): statements with valid names and lines', () => {
    check(parserInput(SHELL), (text) => {
      const parsed = parseShellFile(text, 'fish');
      expectProblems(parsed.problems, text);
      expectStatements(parsed.statements, text, ENV_NAME);
    });
  });

  it('parseEtcEnvironment: exported assignments and unsets of alphanumeric names', () => {
    check(parserInput(ETC_ENVIRONMENT), (text) => {
      const parsed = parseEtcEnvironment(text);
      expectProblems(parsed.problems, text);
      expectStatements(parsed.statements, text, /^[A-Za-z0-9_]+$/);
      for (const s of parsed.statements) if (s.kind === 'assign') expect(s.exported).toBe(true);
    });
  });
});
