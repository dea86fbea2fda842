/**
 * The login-session side of the environment: /etc/environment as pam_env reads it, and shell
 * start-up files (sh, bash, zsh, fish) as far as they can be understood without running them.
 *
 * Files are read, never run. A value that needs the shell to compute it (`$(...)`, backticks,
 * `$VAR`, `~`) is kept verbatim and its unexpanded parts are listed, so a caller can say plainly
 * that Paddock did not expand it. Conditionals are not evaluated: an export inside `if` counts as
 * if it ran. Nothing here throws on bad input; odd lines become problems with line numbers.
 */
import type { ParseProblem } from './systemd-unit';
import { isValidEnvName, quoteForMessage } from './systemd-unit';

/** What a file does to one variable, in file order. */
export type EnvStatement =
  | {
      kind: 'assign';
      name: string;
      value: string;
      line: number;
      /** This statement itself exports (export, declare -x, set -x, /etc/environment). */
      exported: boolean;
      /** Parts of the value a shell would compute, shown verbatim: "$(hostname)", "$HOME", "~". */
      unexpanded: string[];
    }
  /** Gives the name the export attribute (`export NAME`, `declare -x NAME`). */
  | { kind: 'export'; name: string; line: number }
  /** Takes the export attribute away (`export -n`, `declare +x`, `set -u`). */
  | { kind: 'unexport'; name: string; line: number }
  | { kind: 'unset'; name: string; line: number };

export interface ParsedEnvSource {
  statements: EnvStatement[];
  problems: ParseProblem[];
}

export type ShellDialect = 'sh' | 'fish';

// ── /etc/environment (pam_env) ──────────────────────────────────────────────────────────────

interface PamLine {
  text: string;
  line: number;
}

/** Without trailing blanks (spaces and tabs); a loop, as /[ \t]+$/ is quadratic on "x   …   y". */
function trimEndBlanks(text: string): string {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return text.slice(0, end);
}

/**
 * pam_env's _assemble_line: blank and `#` lines skipped (also between continued lines), a `#`
 * anywhere ends the line, a backslash before trailing blanks continues it. A continuation still
 * open at the end of the file is dropped, as pam_env drops it.
 */
function pamLines(text: string, problems: ParseProblem[]): PamLine[] {
  const lines: PamLine[] = [];
  let pending: PamLine | null = null;
  const physical = text.split('\n');
  for (let index = 0; index < physical.length; index++) {
    const raw = physical[index]!;
    let lead = 0;
    while (lead < raw.length && (raw.charCodeAt(lead) === 32 || raw.charCodeAt(lead) === 9)) lead++;
    const rest = raw.slice(lead);
    if (rest === '' || rest.startsWith('#')) continue;
    const start: PamLine = pending ?? { text: '', line: index + 1 };
    const hash = rest.indexOf('#');
    const body = trimEndBlanks(raw);
    if (hash < 0 && body.endsWith('\\')) {
      pending = { text: start.text + body.slice(0, -1), line: start.line };
      continue;
    }
    lines.push({
      text: start.text + (hash >= 0 ? raw.slice(0, lead + hash) : raw),
      line: start.line,
    });
    pending = null;
  }
  if (pending) {
    problems.push({
      line: pending.line,
      message: 'ends with a backslash and nothing after it; pam_env drops this line',
      fatal: false,
    });
  }
  return lines;
}

/** pam_env's "not too smart" quotes: drop the opening quote and a quote that ends the line. */
function pamUnquote(value: string): string {
  if (!value.startsWith('"') && !value.startsWith("'")) return value;
  let out = '';
  for (let t = 1; t < value.length; t++) {
    const c = value.charAt(t);
    if ((c !== '"' && c !== "'") || t + 1 < value.length) out += c;
  }
  return out;
}

function pamStatement(entry: PamLine, problems: ParseProblem[]): EnvStatement | null {
  let key = entry.text.replace(/^[ \t]+/, '');
  if (key.startsWith('export ')) key = key.slice(7);
  const eq = key.indexOf('=');
  const name = eq >= 0 ? key.slice(0, eq) : key;
  if (name === '') {
    problems.push({
      line: entry.line,
      message: "no variable name before '='; pam_env ignores this line",
      fatal: false,
    });
    return null;
  }
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    problems.push({
      line: entry.line,
      message: `non-alphanumeric name ${quoteForMessage(name)}; pam_env ignores this line`,
      fatal: false,
    });
    return null;
  }
  // A bare name is pam_env's way of removing a variable set earlier.
  if (eq < 0) return { kind: 'unset', name, line: entry.line };
  return {
    kind: 'assign',
    name,
    value: pamUnquote(key.slice(eq + 1)),
    line: entry.line,
    exported: true,
    unexpanded: [],
  };
}

/**
 * /etc/environment as pam_env reads it for every login: NAME=VALUE lines, optional `export `,
 * optional quotes. Nothing is expanded there: `$HOME` stays the four characters `$HOME`.
 */
export function parseEtcEnvironment(text: string): ParsedEnvSource {
  const problems: ParseProblem[] = [];
  const statements: EnvStatement[] = [];
  for (const entry of pamLines(text, problems)) {
    const statement = pamStatement(entry, problems);
    if (statement) statements.push(statement);
  }
  problems.sort((a, b) => a.line - b.line);
  return { statements, problems };
}

// ── shell words ─────────────────────────────────────────────────────────────────────────────

interface Word {
  text: string;
  /**
   * The last character of text. Reading it back from text, which is built with +=, made V8
   * flatten the string at every `~`: quadratic on a line of `~` (fuzz-findings.md F4).
   */
  last: string;
  line: number;
  /** Index in text of the first '=' that was not quoted or escaped; -1 when none. */
  bareEq: number;
  /** Any part of the word was quoted or escaped (a quoted word is never a keyword). */
  quoted: boolean;
  unexpanded: string[];
}

interface Command {
  words: Word[];
  line: number;
}

const ANSI_C_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Characters step() handles itself; a run of any others is one piece of a word. */
const SHELL_SPECIAL = new Set([...'\n \t\r#;&|()\\\'"$`=~']);
/** Where a run of quoted text stops: its end, an escape, a newline (counted), an expansion. */
const SINGLE_QUOTED_STOPS = /['\\\n]/g;
const DOUBLE_QUOTED_STOPS = /["\\\n$`]/g;

/**
 * Splits shell text into simple commands of words, handling quotes, escapes, comments and
 * continuation lines. Expansions are copied verbatim into the word and listed.
 */
class ShellTokenizer {
  readonly commands: Command[] = [];
  readonly problems: ParseProblem[] = [];
  private i = 0;
  private line = 1;
  private words: Word[] = [];
  private word: Word | null = null;

  constructor(
    private readonly s: string,
    private readonly dialect: ShellDialect,
  ) {}

  run(): this {
    while (this.i < this.s.length) this.step(this.s.charAt(this.i));
    this.endCommand();
    return this;
  }

  private step(c: string): void {
    if (c === '\n') {
      this.endCommand();
      this.line++;
      this.i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      this.endWord();
      this.i++;
    } else if (c === '#' && !this.word) {
      while (this.i < this.s.length && this.s.charAt(this.i) !== '\n') this.i++;
    } else if (
      c === ';' ||
      c === '&' ||
      c === '|' ||
      c === ')' ||
      (c === '(' && this.dialect === 'sh')
    ) {
      this.endCommand();
      this.i++;
    } else if (c === '(') {
      this.expansion(this.balanced(this.i, '(', ')'));
    } else if (c === '\\') {
      this.backslash();
    } else if (c === "'") {
      this.singleQuoted();
    } else if (c === '"') {
      this.doubleQuoted();
    } else if (c === '$') {
      this.dollar(false);
    } else if (c === '`' && this.dialect === 'sh') {
      this.expansion(this.backtick(this.i));
    } else if (c === '~' && this.tildeExpands()) {
      this.expansion(this.i + 1);
    } else if (c === '=') {
      this.append(c, false);
      this.i++;
    } else {
      this.plainRun();
    }
  }

  /**
   * c and the ordinary characters after it, into the word as one piece: one string per run
   * instead of one per character, which on 1 MiB of `~` left a million strings to the garbage
   * collector. A `~` after `:` ends the run (it may expand); so does anything step() treats
   * specially, `=` included (append() notes the first one).
   */
  private plainRun(): void {
    let end = this.i + 1;
    while (end < this.s.length) {
      const d = this.s.charAt(end);
      if (d === '~' ? this.s.charAt(end - 1) === ':' : SHELL_SPECIAL.has(d)) break;
      end++;
    }
    this.appendRun(this.s.slice(this.i, end), false);
    this.i = end;
  }

  /** Text without `=` or newlines, into the word as it is. */
  private appendRun(text: string, quoted: boolean): void {
    const word = this.current();
    if (quoted) word.quoted = true;
    word.text += text;
    word.last = text.charAt(text.length - 1);
  }

  /**
   * The character here, which the caller takes literally, and the text after it up to the first
   * of `stops` (or the end), into the word as quoted text.
   */
  private quotedRun(stops: RegExp): void {
    stops.lastIndex = this.i + 1;
    const end = stops.exec(this.s)?.index ?? this.s.length;
    this.appendRun(this.s.slice(this.i, end), true);
    this.i = end;
  }

  private current(): Word {
    this.word ??= {
      text: '',
      last: '',
      line: this.line,
      bareEq: -1,
      quoted: false,
      unexpanded: [],
    };
    return this.word;
  }

  private append(c: string, quoted: boolean): void {
    const word = this.current();
    if (quoted) word.quoted = true;
    else if (c === '=' && word.bareEq < 0) word.bareEq = word.text.length;
    word.text += c;
    word.last = c;
  }

  /** Copies s[i..end) into the word verbatim as something the shell would have computed. */
  private expansion(end: number): void {
    const raw = this.s.slice(this.i, end);
    const word = this.current();
    word.text += raw;
    if (raw !== '') word.last = raw.charAt(raw.length - 1);
    word.unexpanded.push(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw);
    this.countLines(raw);
    this.i = end;
  }

  private countLines(text: string): void {
    for (const c of text) if (c === '\n') this.line++;
  }

  private endWord(): void {
    if (this.word) this.words.push(this.word);
    this.word = null;
  }

  private endCommand(): void {
    this.endWord();
    if (this.words.length > 0) this.commands.push({ words: this.words, line: this.words[0]!.line });
    this.words = [];
  }

  /** `~` expands at the start of a word and after `=` or `:` in an assignment. */
  private tildeExpands(): boolean {
    const word = this.word;
    if (!word || word.text.length === 0) return true;
    return word.bareEq >= 0 && (word.last === '=' || word.last === ':');
  }

  private unterminated(what: string, line: number): void {
    this.problems.push({
      line,
      message: `unterminated ${what}; Paddock read to the end of the file`,
      fatal: false,
    });
  }

  private backslash(): void {
    const next = this.s.charAt(this.i + 1);
    if (next === '\n') this.line++;
    else if (next !== '') this.append(next, true);
    this.i += 2;
  }

  private singleQuoted(): void {
    const startLine = this.line;
    this.current().quoted = true;
    this.i++;
    for (;;) {
      const c = this.s.charAt(this.i);
      if (c === '') return this.unterminated('single quote', startLine);
      this.i++;
      if (c === "'") return;
      // fish, unlike sh, honours \' and \\ inside single quotes.
      if (
        c === '\\' &&
        this.dialect === 'fish' &&
        (this.s.charAt(this.i) === "'" || this.s.charAt(this.i) === '\\')
      ) {
        this.append(this.s.charAt(this.i), true);
        this.i++;
        continue;
      }
      if (c === '\n') {
        this.line++;
        this.append(c, true);
      } else {
        this.i--;
        this.quotedRun(SINGLE_QUOTED_STOPS);
      }
    }
  }

  private doubleQuoted(): void {
    const startLine = this.line;
    const escapable = this.dialect === 'sh' ? '$`"\\' : '$"\\';
    this.current().quoted = true;
    this.i++;
    for (;;) {
      const c = this.s.charAt(this.i);
      if (c === '') return this.unterminated('double quote', startLine);
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === '\\') {
        const next = this.s.charAt(this.i + 1);
        const escaped = next !== '' && (next === '\n' || escapable.includes(next));
        if (next === '\n') this.line++;
        else if (escaped) this.append(next, true);
        else this.append('\\', true);
        this.i += escaped ? 2 : 1;
      } else if (c === '$') {
        this.dollar(true);
      } else if (c === '`' && this.dialect === 'sh') {
        this.expansion(this.backtick(this.i));
      } else if (c === '\n') {
        this.line++;
        this.append(c, true);
        this.i++;
      } else {
        this.quotedRun(DOUBLE_QUOTED_STOPS);
      }
    }
  }

  private dollar(inQuotes: boolean): void {
    const next = this.s.charAt(this.i + 1);
    if (this.dialect === 'sh' && !inQuotes && next === "'") return this.ansiC();
    if (this.dialect === 'sh' && !inQuotes && next === '"') {
      this.i++; // $"..." is a translatable string: the same as "..." here.
      return;
    }
    if (next === '(') return this.expansion(this.balanced(this.i + 1, '(', ')'));
    if (next === '{') return this.expansion(this.balanced(this.i + 1, '{', '}'));
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i + 1, this.i + 257));
    if (name) return this.expansion(this.i + 1 + name[0].length);
    if (this.dialect === 'sh' && next !== '' && '0123456789@*#?$!-'.includes(next))
      return this.expansion(this.i + 2);
    this.append('$', inQuotes);
    this.i++;
  }

  /** Index just past the bracket that closes the one at `open`, skipping quoted text. */
  private balanced(open: number, opener: string, closer: string): number {
    const startLine = this.line;
    let depth = 0;
    let quote = '';
    for (let j = open; j < this.s.length; j++) {
      const c = this.s.charAt(j);
      if (c === '\\' && quote !== "'") j++;
      else if (quote) {
        if (c === quote) quote = '';
      } else if (c === "'" || c === '"') quote = c;
      else if (c === opener) depth++;
      else if (c === closer && --depth === 0) return j + 1;
    }
    this.unterminated(`${opener}…${closer}`, startLine);
    return this.s.length;
  }

  private backtick(at: number): number {
    for (let j = at + 1; j < this.s.length; j++) {
      const c = this.s.charAt(j);
      if (c === '\\') j++;
      else if (c === '`') return j + 1;
    }
    this.unterminated('backtick', this.line);
    return this.s.length;
  }

  /** $'...' (bash, zsh): C escapes inside single quotes. */
  private ansiC(): void {
    const startLine = this.line;
    this.current().quoted = true;
    this.i += 2;
    for (;;) {
      const c = this.s.charAt(this.i);
      if (c === '') return this.unterminated("$'...' string", startLine);
      this.i++;
      if (c === "'") return;
      if (c !== '\\') {
        if (c === '\n') this.line++;
        this.append(c, true);
        continue;
      }
      this.append(this.ansiEscape(), true);
    }
  }

  private ansiEscape(): string {
    const c = this.s.charAt(this.i);
    const simple = ANSI_C_ESCAPES[c];
    if (simple !== undefined) {
      this.i++;
      return simple;
    }
    const numeric =
      /^(?:x([0-9a-fA-F]{1,2})|([0-7]{1,3})|u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8}))/.exec(
        this.s.slice(this.i, this.i + 9),
      );
    if (!numeric) return '\\';
    this.i += numeric[0].length;
    const [, hex, octal, u4, u8] = numeric;
    const code = hex ? parseInt(hex, 16) : octal ? parseInt(octal, 8) : parseInt((u4 ?? u8)!, 16);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
      ? String.fromCodePoint(code)
      : '';
  }
}

// ── shell commands → statements ─────────────────────────────────────────────────────────────

const SH_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '{', '!']);
const FISH_KEYWORDS = new Set([
  'if',
  'else',
  'and',
  'or',
  'not',
  'while',
  'begin',
  'builtin',
  'command',
]);

interface ShellState {
  /** `set -a` (allexport): every assignment is exported until `set +a`. */
  allExport: boolean;
}

function assignFromWord(word: Word, eq: number, exported: boolean): EnvStatement | null {
  const name = word.text.slice(0, eq);
  if (!isValidEnvName(name)) return null;
  return {
    kind: 'assign',
    name,
    value: word.text.slice(eq + 1),
    line: word.line,
    exported,
    unexpanded: word.unexpanded,
  };
}

function isBareAssignment(word: Word): boolean {
  return word.bareEq > 0 && isValidEnvName(word.text.slice(0, word.bareEq));
}

/** Leading words that are shell syntax rather than the command (`then export A=1`). */
function dropKeywords(words: Word[], keywords: Set<string>): Word[] {
  let k = 0;
  while (k < words.length && !words[k]!.quoted && keywords.has(words[k]!.text)) k++;
  return words.slice(k);
}

function optionsAndOperands(args: Word[]): { flags: string[]; operands: Word[] } {
  const flags: string[] = [];
  let k = 0;
  for (; k < args.length; k++) {
    const text = args[k]!.text;
    if (text === '--') {
      k++;
      break;
    }
    if (!/^(?:[-+]|--)[A-Za-z]/.test(text) || args[k]!.quoted) break;
    flags.push(text);
  }
  return { flags, operands: args.slice(k) };
}

function nameStatements(operands: Word[], kind: 'export' | 'unexport' | 'unset'): EnvStatement[] {
  return operands
    .filter((w) => isValidEnvName(w.text))
    .map((w) => ({ kind, name: w.text, line: w.line }));
}

/** export, declare, typeset, readonly: NAME=VALUE operands assign, bare NAME operands mark. */
function declarationStatements(command: string, args: Word[]): EnvStatement[] {
  const { flags, operands } = optionsAndOperands(args);
  if (flags.some((f) => /^[-+][A-Za-z]*[fF]/.test(f))) return []; // these name functions, not variables
  const exportFlag = command === 'export' || flags.some((f) => /^-[A-Za-z]*x/.test(f));
  const unexport =
    (command === 'export' && flags.some((f) => /^-[A-Za-z]*n/.test(f))) ||
    flags.some((f) => /^\+[A-Za-z]*x/.test(f));
  const statements: EnvStatement[] = [];
  for (const word of operands) {
    const eq = word.text.indexOf('=');
    const assign = eq > 0 ? assignFromWord(word, eq, exportFlag && !unexport) : null;
    if (assign) statements.push(assign);
    if (unexport)
      statements.push(
        ...nameStatements(
          [{ ...word, text: eq > 0 ? word.text.slice(0, eq) : word.text }],
          'unexport',
        ),
      );
    else if (exportFlag && eq < 0) statements.push(...nameStatements([word], 'export'));
  }
  return statements;
}

function unsetStatements(args: Word[]): EnvStatement[] {
  const { flags, operands } = optionsAndOperands(args);
  if (flags.some((f) => f.includes('f'))) return [];
  return nameStatements(operands, 'unset');
}

function updateAllExport(args: Word[], state: ShellState): void {
  args.forEach((word, k) => {
    const text = word.text;
    const next = args[k + 1]?.text;
    if (/^-[A-Za-z]*a/.test(text) || (text === '-o' && next === 'allexport'))
      state.allExport = true;
    if (/^\+[A-Za-z]*a/.test(text) || (text === '+o' && next === 'allexport'))
      state.allExport = false;
  });
}

function shCommand(command: Command, state: ShellState): EnvStatement[] {
  const words = dropKeywords(command.words, SH_KEYWORDS);
  let k = 0;
  while (k < words.length && isBareAssignment(words[k]!)) k++;
  if (k === words.length) {
    return words.flatMap((w) => assignFromWord(w, w.bareEq, state.allExport) ?? []);
  }
  // NAME=value before a command only sets it for that one command: nothing persists.
  const head = words[k]!;
  if (head.quoted || head.unexpanded.length > 0) return [];
  const args = words.slice(k + 1);
  switch (head.text) {
    case 'export':
    case 'declare':
    case 'typeset':
    case 'readonly':
      return declarationStatements(head.text, args);
    case 'unset':
      return unsetStatements(args);
    case 'set':
      updateAllExport(args, state);
      return [];
    default:
      return [];
  }
}

/** fish's `set`: scope and export flags, then NAME and its values (a list, exported space-joined). */
function fishSet(args: Word[]): EnvStatement[] {
  const { flags, operands } = optionsAndOperands(args);
  const letters = flags
    .map((f) => (f.startsWith('--') ? (FISH_LONG_FLAGS[f] ?? '') : f.slice(1)))
    .join('');
  if (/[qSnL]/.test(letters) || /[lf]/.test(letters)) return []; // queries, or local to config.fish
  const [nameWord, ...values] = operands;
  if (!nameWord || !isValidEnvName(nameWord.text)) return [];
  const line = nameWord.line;
  if (letters.includes('e')) return [{ kind: 'unset', name: nameWord.text, line }];
  const unexpanded = values.flatMap((w) => w.unexpanded);
  if (/[ap]/.test(letters)) unexpanded.push('(appended to the existing value)');
  const assign: EnvStatement = {
    kind: 'assign',
    name: nameWord.text,
    value: values.map((w) => w.text).join(' '),
    line,
    exported: letters.includes('x'),
    unexpanded,
  };
  return letters.includes('u')
    ? [assign, { kind: 'unexport', name: nameWord.text, line }]
    : [assign];
}

const FISH_LONG_FLAGS: Record<string, string> = {
  '--export': 'x',
  '--unexport': 'u',
  '--global': 'g',
  '--universal': 'U',
  '--local': 'l',
  '--function': 'f',
  '--erase': 'e',
  '--append': 'a',
  '--prepend': 'p',
  '--query': 'q',
  '--show': 'S',
  '--names': 'n',
  '--long': 'L',
};

function fishCommand(command: Command): EnvStatement[] {
  const words = dropKeywords(command.words, FISH_KEYWORDS);
  const head = words[0];
  if (!head || head.quoted || head.unexpanded.length > 0) return [];
  if (head.text === 'set') return fishSet(words.slice(1));
  // fish ships an `export` function for sh habits: `export A=1` is `set -gx A 1`.
  if (head.text === 'export') return declarationStatements('export', words.slice(1));
  return [];
}

/**
 * What a shell start-up file does to the environment, statement by statement: `export A=1 B=2`,
 * `A=1` with a later `export A` (or `A=1; export A`), `declare -x`, `typeset -x`, `set -a`,
 * `unset`, and for fish `set -gx`/`set -Ux`/`set -e` and `export`.
 */
export function parseShellFile(text: string, dialect: ShellDialect): ParsedEnvSource {
  const tokens = new ShellTokenizer(text.replace(/\0/g, ''), dialect).run();
  const state: ShellState = { allExport: false };
  const statements = tokens.commands.flatMap((command) =>
    dialect === 'fish' ? fishCommand(command) : shCommand(command, state),
  );
  return { statements, problems: tokens.problems };
}
