/**
 * Windows processes from WMI's Win32_Process, as the `processes` PowerShell template prints
 * them (`Get-CimInstance Win32_Process` → ProcessId, ParentProcessId, Name, ExecutablePath,
 * CommandLine → `ConvertTo-Json`).
 *
 * Win32_Process (https://learn.microsoft.com/windows/win32/cimwin32prov/win32-process):
 * ProcessId and ParentProcessId are uint32; Name is the image file name (`ollama app.exe`,
 * `LM Studio.exe`); ExecutablePath and CommandLine are null where the caller may not read
 * them (the System process, services and other users' elevated processes without admin
 * rights). A parent id may name a process that has exited and whose id was reused.
 *
 * CommandLine is one string, as the starter passed it to CreateProcess: Windows has no argv.
 * `commandLineToArgv` splits it the way CommandLineToArgvW does, which is how the C runtime
 * and Go (`os.Args`, via syscall.CommandLineToArgv) read their own command lines, so
 * `ollama.exe serve` and `llama-server.exe --host 0.0.0.0` come out as the program saw them.
 */
import type { JsonLimits, ParseProblems } from './common';
import {
  DEFAULT_JSON_LIMITS,
  ProblemLog,
  entryText,
  intField,
  isJsonObject,
  readJsonEntries,
  stringField,
} from './common';

/** Windows limits a command line to 32,767 UTF-16 units; anything longer is not split. */
export const MAX_COMMAND_LINE = 32_767;

export interface WindowsProcess {
  pid: number;
  /** The parent's id when WMI gave one (it may be a process that has since exited). */
  ppid: number | null;
  /** Image name, `ollama.exe`; WMI always gives one, "" only if it did not. */
  name: string;
  /** Full path of the image; null where it may not be read. */
  executable: string | null;
  /** The command line as started; null where it may not be read. */
  commandLine: string | null;
  /** `commandLine` split per CommandLineToArgvW; empty when there is no command line. */
  argv: string[];
}

export interface Win32ProcessResult extends ParseProblems {
  processes: WindowsProcess[];
}

const isBlank = (code: number): boolean => code === 0x20 || code === 0x09;
// The program name ends at the first white space of C's isspace: space, \t, \n, \v, \f, \r.
const isSpace = (code: number): boolean => code === 0x20 || (code >= 0x09 && code <= 0x0d);

/**
 * Splits a Windows command line the way CommandLineToArgvW does (Microsoft Learn,
 * "CommandLineToArgvW function (shellapi.h)"; Raymond Chen, "What's up with the strange
 * treatment of quotation marks and backslashes by CommandLineToArgvW", The Old New Thing,
 * 2010-09-17; the undocumented corners as Wine's and ReactOS's shell32 reproduce them):
 *   - argv[0], the program, is special: if it starts with `"` it runs to the next `"`,
 *     whatever lies between (backslashes are literal, spaces kept: `"C:\Program Files\x.exe"`);
 *     otherwise it runs to the first white space. Nothing in it is an escape.
 *   - The other arguments are separated by spaces and tabs outside quotes.
 *   - 2n backslashes before `"` give n backslashes and the quote opens or closes quoting;
 *     2n+1 backslashes before `"` give n backslashes and a literal `"`; backslashes not
 *     before a `"` are literal.
 *   - Consecutive quotes: each third quote of a run is a literal `"` (so `"a""b"` is `a"b`
 *     with quoting closed after the run, the behaviour msvcrt had before 2008).
 * An empty command line gives [] (CommandLineToArgvW would return the caller's own path).
 * Never throws; a line longer than `maxLength` gives [].
 */
export function commandLineToArgv(commandLine: string, maxLength = MAX_COMMAND_LINE): string[] {
  if (typeof commandLine !== 'string' || commandLine.length > maxLength) return [];
  const s = commandLine;
  const n = s.length;
  if (n === 0) return [];
  const argv: string[] = [];
  let i = 0;

  // argv[0]
  let program = '';
  if (s.charCodeAt(0) === 0x22) {
    const close = s.indexOf('"', 1);
    program = close < 0 ? s.slice(1) : s.slice(1, close);
    i = close < 0 ? n : close + 1;
  } else {
    while (i < n && !isSpace(s.charCodeAt(i))) i += 1;
    program = s.slice(0, i);
    if (i < n) i += 1;
  }
  argv.push(program);
  while (i < n && isBlank(s.charCodeAt(i))) i += 1;
  if (i >= n) return argv;

  // The rest, built in an array so that taking back escaped backslashes costs nothing.
  let current: string[] = [];
  let quotes = 0;
  let backslashes = 0;
  while (i < n) {
    const code = s.charCodeAt(i);
    if (isBlank(code) && quotes === 0) {
      argv.push(current.join(''));
      current = [];
      backslashes = 0;
      while (i < n && isBlank(s.charCodeAt(i))) i += 1;
      if (i >= n) return argv;
      continue;
    }
    if (code === 0x5c) {
      current.push('\\');
      backslashes += 1;
      i += 1;
      continue;
    }
    if (code === 0x22) {
      if (backslashes % 2 === 0) {
        current.length -= backslashes / 2;
        quotes += 1;
      } else {
        current.length -= (backslashes + 1) / 2;
        current.push('"');
      }
      i += 1;
      backslashes = 0;
      while (i < n && s.charCodeAt(i) === 0x22) {
        quotes += 1;
        if (quotes === 3) {
          current.push('"');
          quotes = 0;
        }
        i += 1;
      }
      if (quotes === 2) quotes = 0;
      continue;
    }
    current.push(s[i]!);
    backslashes = 0;
    i += 1;
  }
  argv.push(current.join(''));
  return argv;
}

/** The last element of a Windows path (either separator). */
export function windowsBaseName(path: string): string {
  const cut = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return cut >= 0 ? path.slice(cut + 1) : path;
}

/** Parses the `processes` template's JSON (Win32_Process rows); never throws. */
export function parseWin32Processes(
  text: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): Win32ProcessResult {
  const log = new ProblemLog();
  const processes: WindowsProcess[] = [];
  const entries = readJsonEntries(text, log, limits);
  entries.forEach((entry, index) => {
    const at = index + 1;
    if (!isJsonObject(entry)) {
      log.add(at, entryText(entry), 'not an object');
      return;
    }
    const pid = intField(entry, 'ProcessId');
    if (pid === null || pid === undefined || pid > 0xffffffff) {
      log.add(at, entryText(entry), 'ProcessId is not a number');
      return;
    }
    const ppid = intField(entry, 'ParentProcessId');
    const name = stringField(entry, 'Name');
    const executable = stringField(entry, 'ExecutablePath');
    const commandLine = stringField(entry, 'CommandLine', MAX_COMMAND_LINE);
    if (
      ppid === undefined ||
      name === undefined ||
      executable === undefined ||
      commandLine === undefined
    ) {
      log.add(at, entryText(entry), 'a field has the wrong type or length');
      return;
    }
    processes.push({
      pid,
      ppid: ppid !== null && ppid <= 0xffffffff ? ppid : null,
      name: name ?? (executable ? windowsBaseName(executable) : ''),
      executable: executable || null,
      commandLine,
      argv: commandLine === null ? [] : commandLineToArgv(commandLine),
    });
  });
  return { processes, ...log.result() };
}
