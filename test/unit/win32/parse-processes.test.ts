import { describe, expect, it } from 'vitest';
import type { WindowsProcess } from '../../../electron/engine/probes/win32/parse';
import {
  commandLineToArgv,
  parseWin32Processes,
  windowsBaseName,
} from '../../../electron/engine/probes/win32/parse';
import { fixtureOutput } from '../../support/fixture-file';

/** A fixture's tool output: its `#fixture:` header lines are dropped. */
const fixture = (name: string): string => fixtureOutput('win32', name);

const byPid = (processes: readonly WindowsProcess[], pid: number): WindowsProcess => {
  const found = processes.find((p) => p.pid === pid);
  if (!found) throw new Error(`no process ${pid}`);
  return found;
};

const APPS = 'C:\\Users\\alice\\AppData\\Local\\Programs';

describe('Win32_Process as the processes template prints it (5.1, compressed)', () => {
  const result = parseWin32Processes(fixture('processes/win32-process-template-win11.txt'));

  it('reads every row', () => {
    expect(result.unparsed).toEqual([]);
    expect(result.truncated).toBe(false);
    expect(result.processes).toHaveLength(11);
  });

  it("finds the Ollama app and its server, `ollama.exe serve`, the app's child", () => {
    const app = byPid(result.processes, 5004);
    const server = byPid(result.processes, 5120);
    expect(app).toMatchObject({
      name: 'ollama app.exe',
      executable: `${APPS}\\Ollama\\ollama app.exe`,
      argv: [`${APPS}\\Ollama\\ollama app.exe`],
    });
    expect(server).toMatchObject({
      name: 'ollama.exe',
      ppid: 5004,
      executable: `${APPS}\\Ollama\\ollama.exe`,
      argv: [`${APPS}\\Ollama\\ollama.exe`, 'serve'],
    });
  });

  it('keeps LM Studio.exe whole in a path with spaces, and a quoted --user-data-dir as one argument', () => {
    const main = byPid(result.processes, 6220);
    expect(main.argv).toEqual([`${APPS}\\LM Studio\\LM Studio.exe`]);
    const helper = byPid(result.processes, 6388);
    expect(helper.argv[0]).toBe(`${APPS}\\LM Studio\\LM Studio.exe`);
    expect(helper.argv).toContain('--user-data-dir=C:\\Users\\alice\\AppData\\Roaming\\LM Studio');
    expect(helper.argv).toContain('--type=utility');
  });

  it("reads llama-server's bind address and a model path with spaces", () => {
    const server = byPid(result.processes, 7344);
    expect(server.argv).toEqual([
      'C:\\tools\\llama.cpp\\llama-server.exe',
      '--host',
      '0.0.0.0',
      '--port',
      '8080',
      '-m',
      'D:\\Models\\Qwen 2.5\\qwen2.5-7b-instruct-q4_k_m.gguf',
      '--api-key-file',
      'C:\\Users\\alice\\.llama\\key.txt',
    ]);
  });

  it("decodes 5.1's escapes (\\u0027, \\u003c, \\u0026) and escaped quotes in arguments", () => {
    const python = byPid(result.processes, 7460);
    expect(python.executable).toBe(
      "C:\\Users\\o'brien\\AppData\\Local\\Programs\\Python\\Python312\\python.exe",
    );
    expect(python.argv).toEqual([
      'python.exe',
      '-c',
      'print("<ok> & done")',
      'C:\\data\\',
      'two words',
    ]);
  });

  it('keeps processes whose path and command line may not be read, with empty argv', () => {
    expect(byPid(result.processes, 0)).toEqual({
      pid: 0,
      ppid: 0,
      name: 'System Idle Process',
      executable: null,
      commandLine: null,
      argv: [],
    });
    expect(byPid(result.processes, 1044)).toMatchObject({ name: 'svchost.exe', argv: [] });
    // A trailing space after a quoted program is no argument.
    expect(byPid(result.processes, 7020).argv).toEqual([
      'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    ]);
  });
});

describe('Win32_Process as typed at a German prompt (5.1, indented, umlauts)', () => {
  const result = parseWin32Processes(fixture('processes/win32-process-pretty-de-win10.txt'));

  it('reads the server from a quoted path with spaces and umlauts', () => {
    expect(result.unparsed).toEqual([]);
    const server = byPid(result.processes, 4188);
    expect(server.argv).toEqual([
      'C:\\Users\\Jürgen Müller\\AppData\\Local\\Programs\\Ollama\\ollama.exe',
      'serve',
    ]);
    expect(windowsBaseName(server.executable!)).toBe('ollama.exe');
  });

  it('splits a cmd.exe /c line as CommandLineToArgvW does (cmd reads its own line differently)', () => {
    expect(byPid(result.processes, 5530).argv).toEqual([
      'C:\\Windows\\system32\\cmd.exe',
      '/c',
      'set OLLAMA_HOST=0.0.0.0 && ollama serve',
    ]);
  });
});

describe('commandLineToArgv', () => {
  it.each<[string, string[]]>([
    // Microsoft Learn's table for CommandLineToArgvW / the C runtime (after argv[0]).
    ['x "a b c" d e', ['x', 'a b c', 'd', 'e']],
    ['x "ab\\"c" "\\\\" d', ['x', 'ab"c', '\\', 'd']],
    ['x a\\\\\\b d"e f"g h', ['x', 'a\\\\\\b', 'de fg', 'h']],
    ['x a\\\\\\"b c d', ['x', 'a\\"b', 'c', 'd']],
    ['x a\\\\\\\\"b c" d e', ['x', 'a\\\\b c', 'd', 'e']],
    // Consecutive quotes (the pre-2008 msvcrt rule CommandLineToArgvW keeps).
    ['x "a""b"', ['x', 'a"b']],
    ['x a"b"" c d', ['x', 'ab"', 'c', 'd']], // msvcrt since 2008 reads `ab" c d` here
    ['x """a"""', ['x', '"a"']],
    ['x ""', ['x', '']],
    ['x "" ""', ['x', '', '']],
    // argv[0]: no escapes, quoted to the next quote, or to the first white space.
    ['"C:\\Program Files\\a\\"b c', ['C:\\Program Files\\a\\', 'b', 'c']],
    ['C:\\a\\b.exe\tserve', ['C:\\a\\b.exe', 'serve']],
    ['"C:\\x y\\z.exe"serve', ['C:\\x y\\z.exe', 'serve']],
    ['"unterminated program', ['unterminated program']],
    ['prog "unterminated arg', ['prog', 'unterminated arg']],
    ['prog   a\t\tb   ', ['prog', 'a', 'b']],
    ['', []],
  ])('%j', (line, argv) => {
    expect(commandLineToArgv(line)).toEqual(argv);
  });

  it('gives nothing for a line longer than Windows allows, and stays linear on pathological lines', () => {
    expect(commandLineToArgv('x'.repeat(40_000))).toEqual([]);
    const started = Date.now();
    commandLineToArgv(`x ${'\\'.repeat(16_000)}"${'"'.repeat(16_000)}`);
    commandLineToArgv(`x ${'\\"'.repeat(16_000)}`);
    commandLineToArgv(`x ${'a "'.repeat(10_000)}`);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('Win32_Process JSON that is not what the template prints', () => {
  it('reads a lone object (one process piped into ConvertTo-Json) and empty output', () => {
    const one = parseWin32Processes(
      '{"ProcessId":12,"ParentProcessId":4,"Name":"ollama.exe","ExecutablePath":null,"CommandLine":"ollama serve"}',
    );
    expect(one.processes).toEqual([
      {
        pid: 12,
        ppid: 4,
        name: 'ollama.exe',
        executable: null,
        commandLine: 'ollama serve',
        argv: ['ollama', 'serve'],
      },
    ]);
    for (const empty of ['', '  \r\n', 'null', '[]', '\ufeff[]']) {
      expect(parseWin32Processes(empty)).toMatchObject({ processes: [], unparsed: [] });
    }
  });

  it('keeps bad rows as unparsed entries and reads the rest', () => {
    const result = parseWin32Processes(
      JSON.stringify([
        { ProcessId: 'x' },
        { ProcessId: -1, Name: 'neg' },
        { ProcessId: 1, Name: 7 },
        42,
        null,
        { ProcessId: 2, Name: 'ok.exe', CommandLine: 'ok.exe' },
      ]),
    );
    expect(result.processes.map((p) => p.pid)).toEqual([2]);
    expect(result.unparsed.map((u) => u.line)).toEqual([1, 2, 3, 4, 5]);
    expect(result.unparsedTotal).toBe(5);
  });

  it('reads the JSON after a warning PowerShell printed first', () => {
    const result = parseWin32Processes(
      'WARNUNG: Das Modul wurde geladen.\r\n[{"ProcessId":9,"Name":"a.exe"}]',
    );
    expect(result.processes.map((p) => p.pid)).toEqual([9]);
    expect(result.unparsed).toEqual([
      {
        line: 1,
        text: 'WARNUNG: Das Modul wurde geladen.\r',
        reason: 'text before the JSON output',
      },
    ]);
  });

  it('says when the output is not JSON at all', () => {
    const result = parseWin32Processes('Get-CimInstance : Zugriff verweigert');
    expect(result.processes).toEqual([]);
    expect(result.unparsed[0]).toMatchObject({ line: 0, reason: 'not JSON' });
  });
});
