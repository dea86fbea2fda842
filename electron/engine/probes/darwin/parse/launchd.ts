/**
 * The launchd job a property list describes (a LaunchAgent or LaunchDaemon, or Homebrew's
 * `homebrew.mxcl.ollama.plist`): what it runs, with which environment, and when.
 *
 * Keys and their types from launchd.plist(5)
 * (https://keith.github.io/xcode-man-pages/launchd.plist.5.html): Label (string), Program
 * (string; "If this key is missing, then the first element of the array of strings provided
 * to the ProgramArguments will be used instead"), ProgramArguments (array of strings),
 * EnvironmentVariables (dictionary of strings), RunAtLoad (boolean), KeepAlive (boolean or a
 * dictionary of conditions), Disabled (boolean), UserName, WorkingDirectory,
 * StandardOutPath, StandardErrorPath (strings). Homebrew writes these from a formula's
 * `service` block (Homebrew/brew Library/Homebrew/service.rb, its spec
 * test/service_spec.rb shows the output).
 */
import type { PlistLimits, PlistValue } from './plist';
import { DEFAULT_PLIST_LIMITS, isPlistDict, parseXmlPlist } from './plist';

export interface EnvironmentEntry {
  name: string;
  value: string;
}

export interface LaunchdJob {
  label: string | null;
  program: string | null;
  programArguments: string[] | null;
  /** What launchd executes: Program, else ProgramArguments[0]. */
  executable: string | null;
  /** EnvironmentVariables in file order. */
  environment: EnvironmentEntry[];
  /** null: the key is absent (launchd then does not start the job at load). */
  runAtLoad: boolean | null;
  /** 'conditional': a dictionary of conditions, listed in `keepAliveConditions`. */
  keepAlive: boolean | 'conditional' | null;
  keepAliveConditions: string[];
  disabled: boolean | null;
  userName: string | null;
  workingDirectory: string | null;
  standardOutPath: string | null;
  standardErrorPath: string | null;
  /** Keys present with a type launchd would not take; their fields are left null. */
  problems: string[];
}

export type LaunchdPlistResult =
  { ok: true; job: LaunchdJob } | { ok: false; error: string; line: number };

/** Reads the job keys out of a parsed plist; never throws. */
export function readLaunchdJob(root: PlistValue): LaunchdPlistResult {
  if (!isPlistDict(root)) return { ok: false, error: 'the plist is not a dictionary', line: 0 };
  const problems: string[] = [];
  const str = (key: string): string | null => {
    const value = root.get(key);
    if (value === undefined) return null;
    if (typeof value === 'string') return value;
    problems.push(`${key} is not a string`);
    return null;
  };
  const bool = (key: string): boolean | null => {
    const value = root.get(key);
    if (value === undefined) return null;
    if (typeof value === 'boolean') return value;
    problems.push(`${key} is not a boolean`);
    return null;
  };

  let programArguments: string[] | null = null;
  const args = root.get('ProgramArguments');
  if (args !== undefined) {
    if (Array.isArray(args) && args.every((arg): arg is string => typeof arg === 'string')) {
      programArguments = args;
    } else problems.push('ProgramArguments is not an array of strings');
  }

  const environment: EnvironmentEntry[] = [];
  const env = root.get('EnvironmentVariables');
  if (env !== undefined) {
    if (isPlistDict(env)) {
      for (const [name, value] of env) {
        if (typeof value === 'string') environment.push({ name, value });
        else problems.push(`EnvironmentVariables.${name} is not a string`);
      }
    } else problems.push('EnvironmentVariables is not a dictionary');
  }

  let keepAlive: LaunchdJob['keepAlive'] = null;
  const keepAliveConditions: string[] = [];
  const alive = root.get('KeepAlive');
  if (typeof alive === 'boolean') keepAlive = alive;
  else if (isPlistDict(alive)) {
    keepAlive = 'conditional';
    keepAliveConditions.push(...alive.keys());
  } else if (alive !== undefined) problems.push('KeepAlive is neither a boolean nor a dictionary');

  const program = str('Program');
  const job: LaunchdJob = {
    label: str('Label'),
    program,
    programArguments,
    executable: program ?? programArguments?.[0] ?? null,
    environment,
    runAtLoad: bool('RunAtLoad'),
    keepAlive,
    keepAliveConditions,
    disabled: bool('Disabled'),
    userName: str('UserName'),
    workingDirectory: str('WorkingDirectory'),
    standardOutPath: str('StandardOutPath'),
    standardErrorPath: str('StandardErrorPath'),
    problems,
  };
  return { ok: true, job };
}

/** Parses an XML launchd plist into its job; never throws. */
export function parseLaunchdPlist(
  xml: string,
  limits: PlistLimits = DEFAULT_PLIST_LIMITS,
): LaunchdPlistResult {
  const parsed = parseXmlPlist(xml, limits);
  return parsed.ok ? readLaunchdJob(parsed.value) : parsed;
}

export interface SetenvAssignment extends EnvironmentEntry {
  /** true: found inside a `sh -c` script, where quoting and expansion may differ. */
  viaShell: boolean;
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash']);

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * `launchctl setenv K V` argv → its assignment. launchctl(1) documents one key and value per
 * call; further pairs are read as written (an odd trailing word is ignored), though launchctl
 * may refuse them.
 */
function setenvPairs(argv: readonly string[], viaShell: boolean): SetenvAssignment[] {
  if (argv.length < 4 || baseName(argv[0] ?? '') !== 'launchctl' || argv[1] !== 'setenv') {
    return [];
  }
  const pairs: SetenvAssignment[] = [];
  for (let i = 2; i + 1 < argv.length; i += 2) {
    pairs.push({ name: argv[i] ?? '', value: argv[i + 1] ?? '', viaShell });
  }
  return pairs;
}

/**
 * Words of a simple shell command list: `;`, `&&`, `||` and newlines separate commands;
 * single and double quotes group; a backslash escapes the next character outside single
 * quotes. Enough for the `launchctl setenv` one-liners people put in LaunchAgents; anything
 * cleverer (variables, substitutions) is read literally.
 */
function shellCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < script.length && i < 64 * 1024; i += 1) {
    const ch = script[i] ?? '';
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < script.length) word += script[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < script.length) {
      word += script[++i];
      inWord = true;
    } else if (ch === ' ' || ch === '\t') endWord();
    else if (ch === ';' || ch === '\n') endCommand();
    else if ((ch === '&' || ch === '|') && script[i + 1] === ch) {
      endCommand();
      i += 1;
    } else {
      word += ch;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

/**
 * Variables a job sets in launchd when it runs: ProgramArguments that are
 * `launchctl setenv NAME VALUE` (the usual way to make a `launchctl setenv` survive a
 * restart), directly or inside `sh -c '…'`.
 */
export function launchctlSetenvAssignments(job: LaunchdJob): SetenvAssignment[] {
  const argv = job.programArguments ?? (job.program ? [job.program] : []);
  const direct = setenvPairs(argv, false);
  if (direct.length > 0) return direct;
  if (SHELLS.has(baseName(argv[0] ?? '')) && argv[1] === '-c' && argv[2] !== undefined) {
    return shellCommands(argv[2]).flatMap((command) => setenvPairs(command, true));
  }
  return [];
}
