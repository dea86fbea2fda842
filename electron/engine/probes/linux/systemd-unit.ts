/**
 * systemd unit files and EnvironmentFile= files, read the way systemd reads them, for the one
 * thing Paddock needs from them: the environment a service starts with (Environment=,
 * EnvironmentFile= and UnsetEnvironment= in [Service]).
 *
 * The rules are systemd's own (conf-parser.c for lines and sections, extract-word.c with
 * EXTRACT_CUNESCAPE|EXTRACT_UNQUOTE for the words of Environment=, load-fragment.c for what each
 * key accepts, env-file.c for EnvironmentFile=), because a security verdict has to describe what
 * systemd does, including what it silently drops: a user who wrote `export OLLAMA_HOST=...` in an
 * env file believes the server is exposed, and systemd ignores that line.
 *
 * All input is untrusted text. Nothing here throws on bad input: a line systemd would ignore or
 * reject becomes a ParseProblem with its line number, and the rest of the file is still read.
 */

export interface ParseProblem {
  /** 1-based line in the file. */
  line: number;
  message: string;
  /** systemd rejects the whole file over this, not just the line. */
  fatal: boolean;
}

export type UnitEnvDirective =
  | { kind: 'set'; name: string; value: string; line: number; notes: string[] }
  /** An empty `Environment=`: forgets every Environment= assignment before it. */
  | { kind: 'clear-environment'; line: number }
  | { kind: 'environment-file'; path: string; optional: boolean; line: number }
  | { kind: 'clear-environment-files'; line: number }
  /** `UnsetEnvironment=NAME` (any value) or `UnsetEnvironment=NAME=VALUE` (only that value). */
  | { kind: 'unset'; name: string; value: string | null; line: number }
  | { kind: 'clear-unset'; line: number }
  /**
   * `ExecStart=` with a command: its words as systemd splits them (prefixes such as `-` or `@`
   * apart), and `several` when `;` chains more than one command (systemd 252 still accepts it).
   * Variables (`$X`, `${X}`) are left as written: systemd expands them at start.
   */
  | { kind: 'exec-start'; prefix: string; argv: string[]; several: boolean; line: number }
  /** An empty `ExecStart=`: forgets every command before it (how a drop-in replaces one). */
  | { kind: 'clear-exec-start'; line: number };

export interface ParsedUnitFile {
  directives: UnitEnvDirective[];
  problems: ParseProblem[];
}

export interface UnitParseOptions {
  /** The unit these lines configure, so %n %N %p %i %j resolve as systemd would. */
  unitName?: string;
  /**
   * The file's bytes were not valid UTF-8 (the host's FileRead says so): a U+FFFD in the text
   * may stand for them. Otherwise a U+FFFD is the character itself, which systemd accepts.
   */
  invalidUtf8?: boolean;
}

export interface EnvFileParseOptions {
  /** As in UnitParseOptions: the bytes were not valid UTF-8. */
  invalidUtf8?: boolean;
}

export interface EnvFileAssignment {
  name: string;
  value: string;
  line: number;
}

export interface ParsedEnvironmentFile {
  assignments: EnvFileAssignment[];
  problems: ParseProblem[];
}

// systemd's WHITESPACE; JavaScript's trim() strips more (NBSP, BOM) and would disagree with it.
const WHITESPACE = ' \t\n\r';
const NEWLINE = '\n\r';
const COMMENTS = '#;';
/** What the host's UTF-8 decoder puts where the file had bytes that are not UTF-8. */
const REPLACEMENT = '\uFFFD';
/**
 * Code points systemd's utf8_is_valid() refuses although they are well-formed UTF-8
 * (unichar_is_valid in src/basic/utf8.c: U+FDD0..U+FDEF and U+xFFFE/U+xFFFF), and lone
 * surrogates, which no UTF-8 can carry (WordBuilder writes one per escaped byte that did not
 * decode).
 */
const NOT_SYSTEMD_UTF8 = /[\p{Noncharacter_Code_Point}\p{Surrogate}]/u;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_KEYS = new Set(['Environment', 'EnvironmentFile', 'UnsetEnvironment', 'ExecStart']);

// C0 and C1 controls except tab, and the bidi marks, embeddings, overrides and isolates.
/* eslint-disable no-control-regex -- matching control characters is the point */
const UNSAFE_CHARS =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/**
 * Untrusted text made safe to show or store: control characters (tab excepted) and bidi
 * overrides (which can make a value display as something else) removed, length capped.
 */
export function safeText(text: string, max: number): { text: string; truncated: boolean } {
  const clean = text.replace(UNSAFE_CHARS, '');
  if (clean.length <= max) return { text: clean, truncated: false };
  let cut = clean.slice(0, max);
  // Never leave half a surrogate pair at the end.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return { text: cut, truncated: true };
}

/** A short, safe rendering of untrusted text for a problem message. */
export function quoteForMessage(text: string): string {
  const { text: clean, truncated } = safeText(text, 80);
  return JSON.stringify(truncated ? `${clean}…` : clean);
}

export function isValidEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

function strip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && WHITESPACE.includes(text.charAt(start))) start++;
  while (end > start && WHITESPACE.includes(text.charAt(end - 1))) end--;
  return text.slice(start, end);
}

// ── lines ────────────────────────────────────────────────────────────────────────────────────

interface LogicalLine {
  text: string;
  /** The first physical line, which is where a person looks for it. */
  line: number;
}

/** True when the text ends in a backslash that is not itself escaped. */
function endsWithContinuation(text: string): boolean {
  let escaped = false;
  for (let i = 0; i < text.length; i++) escaped = escaped ? false : text.charCodeAt(i) === 92;
  return escaped;
}

/**
 * Splits the file into logical lines as conf-parser.c does: \n, \r\n, \r and NUL end a line;
 * comment lines are skipped even inside a continuation; a trailing unescaped backslash joins the
 * next line, replaced by a space.
 *
 * Each physical line is scanned once: the text carried over ends in that space, which escapes
 * nothing, so whether the joined text ends in a continuation is decided by the new line alone
 * (re-scanning the whole joined text was quadratic: fuzz-findings.md F4).
 */
function logicalLines(text: string): LogicalLine[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r|\0/);
  const lines: LogicalLine[] = [];
  let parts: string[] = [];
  let first = 0;
  physical.forEach((raw, index) => {
    let lead = 0;
    while (lead < raw.length && WHITESPACE.includes(raw.charAt(lead))) lead++;
    if (lead < raw.length && COMMENTS.includes(raw.charAt(lead))) return;
    if (parts.length === 0) first = index + 1;
    if (endsWithContinuation(raw)) {
      parts.push(raw.slice(0, -1), ' ');
      return;
    }
    parts.push(raw);
    lines.push({ text: parts.join(''), line: first });
    parts = [];
  });
  if (parts.length > 0) lines.push({ text: parts.join(''), line: first });
  return lines;
}

/**
 * Why systemd's utf8_is_valid() refuses this text, or null when it accepts it. A U+FFFD counts
 * as invalid bytes only when the file's bytes were not valid UTF-8 (fuzz-findings.md F3): a
 * real U+FFFD is valid UTF-8, and files that went through a lossy conversion contain it.
 */
function utf8Problem(text: string, invalidUtf8: boolean | undefined): string | null {
  if (invalidUtf8 && text.includes(REPLACEMENT)) return 'not valid UTF-8';
  const bad = NOT_SYSTEMD_UTF8.exec(text);
  if (!bad) return null;
  const cp = bad[0].codePointAt(0)!;
  if (cp >= 0xd800 && cp <= 0xdfff) return 'not valid UTF-8';
  const name = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `not valid UTF-8 for systemd (${name} is a Unicode noncharacter, which it refuses)`;
}

// ── words (extract_first_word with EXTRACT_CUNESCAPE | EXTRACT_UNQUOTE) ────────────────────

type Unescaped = { text: string; length: number } | { byte: number; length: number };

function isValidUnichar(cp: number): boolean {
  if (cp === 0 || cp >= 0x110000) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  if (cp >= 0xfdd0 && cp <= 0xfdef) return false;
  return (cp & 0xfffe) !== 0xfffe;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
  s: ' ',
};

/** systemd's cunescape_one: the escape after a backslash at `at`, or null where systemd says EINVAL. */
function unescapeOne(text: string, at: number): Unescaped | null {
  const c = text.charAt(at);
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return { text: simple, length: 1 };
  const hex = (digits: number) => {
    const h = text.slice(at + 1, at + 1 + digits);
    return new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(h) ? parseInt(h, 16) : -1;
  };
  if (c === 'x') {
    const byte = hex(2);
    return byte > 0 ? { byte, length: 3 } : null;
  }
  if (c === 'u' || c === 'U') {
    const digits = c === 'u' ? 4 : 8;
    const cp = hex(digits);
    return isValidUnichar(cp) ? { text: String.fromCodePoint(cp), length: digits + 1 } : null;
  }
  const octal = text.slice(at, at + 3);
  if (/^[0-7]{3}$/.test(octal)) {
    const byte = parseInt(octal, 8);
    return byte > 0 && byte <= 255 ? { byte, length: 3 } : null;
  }
  return null;
}

/** Collects a word whose escapes may be raw bytes (\xc3\xa9), which must form valid UTF-8. */
class WordBuilder {
  private text = '';
  private bytes: number[] = [];

  addText(text: string): void {
    this.flush();
    this.text += text;
  }

  addByte(byte: number): void {
    this.bytes.push(byte);
  }

  finish(): string {
    this.flush();
    return this.text;
  }

  private flush(): void {
    if (this.bytes.length === 0) return;
    try {
      this.text += new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(this.bytes));
    } catch {
      // systemd would then reject the assignment as not UTF-8. The marker makes that happen here:
      // one lone surrogate per byte (U+DC80 + byte), which no UTF-8 text can contain; a real
      // U+FFFD in the file is a character systemd accepts.
      this.text += String.fromCharCode(...this.bytes.map((b) => 0xdc00 + b));
    }
    this.bytes = [];
  }
}

interface Words {
  words: string[];
  /** Why systemd stopped reading the value; the words before it still count. */
  error: string | null;
}

/** Reads one word from `at`; returns the word and where reading stopped, or an error. */
function readWord(text: string, at: number): { word: string; next: number } | { error: string } {
  const word = new WordBuilder();
  let quote: string | null = null;
  let i = at;
  for (;;) {
    if (i >= text.length) {
      if (quote) return { error: `unterminated ${quote === '"' ? 'double' : 'single'} quote` };
      return { word: word.finish(), next: i };
    }
    const c = text.charAt(i);
    if (c === '\\') {
      if (i + 1 >= text.length) return { error: 'trailing backslash' };
      const escape = unescapeOne(text, i + 1);
      if (!escape)
        return { error: `unknown escape sequence ${quoteForMessage(text.slice(i, i + 2))}` };
      if ('byte' in escape) word.addByte(escape.byte);
      else word.addText(escape.text);
      i += 1 + escape.length;
    } else if (quote) {
      if (c === quote) quote = null;
      else word.addText(c);
      i++;
    } else if (c === '"' || c === "'") {
      quote = c;
      i++;
    } else if (WHITESPACE.includes(c)) {
      return { word: word.finish(), next: i };
    } else {
      word.addText(c);
      i++;
    }
  }
}

/**
 * Splits a value into words the way Environment= does: whitespace separates, quotes may start
 * anywhere in a word and group, C escapes work inside and outside quotes.
 */
export function splitUnitWords(text: string): Words {
  const words: string[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && WHITESPACE.includes(text.charAt(i))) i++;
    if (i >= text.length) return { words, error: null };
    const read = readWord(text, i);
    if ('error' in read) return { words, error: read.error };
    words.push(read.word);
    i = read.next;
  }
}

// ── specifiers ───────────────────────────────────────────────────────────────────────────────

// Every specifier systemd knows in unit files; any other letter after % makes it drop the value.
const KNOWN_SPECIFIERS = new Set('aAbBCdEfgGhHiIjJlLmMnNopPqQsStTuUvVwWyY');

function unitSpecifier(letter: string, unitName: string): string | null {
  const dot = unitName.lastIndexOf('.');
  const base = dot > 0 ? unitName.slice(0, dot) : unitName;
  const at = base.indexOf('@');
  const prefix = at >= 0 ? base.slice(0, at) : base;
  switch (letter) {
    case 'n':
      return unitName;
    case 'N':
      return base;
    case 'p':
      return prefix;
    case 'i':
      return at >= 0 ? base.slice(at + 1) : '';
    case 'j':
      return prefix.slice(prefix.lastIndexOf('-') + 1);
    default:
      return null;
  }
}

type Resolved = { value: string; unresolved: string[] } | { unknown: string };

/** Resolves %-specifiers; those that need the running system stay as written, and are listed. */
function resolveSpecifiers(text: string, unitName: string | undefined): Resolved {
  let value = '';
  const unresolved: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c !== '%') {
      value += c;
      continue;
    }
    const letter = text.charAt(++i);
    if (letter === '') value += '%';
    else if (letter === '%') value += '%';
    else if (!KNOWN_SPECIFIERS.has(letter)) return { unknown: `%${letter}` };
    else {
      const replaced = unitName ? unitSpecifier(letter, unitName) : null;
      if (replaced !== null) value += replaced;
      else {
        value += `%${letter}`;
        unresolved.push(`%${letter}`);
      }
    }
  }
  return { value, unresolved };
}

function specifierNote(unresolved: string[]): string[] {
  if (unresolved.length === 0) return [];
  return [
    `contains ${[...new Set(unresolved)].join(' ')}, which systemd fills in at start; Paddock shows it unexpanded`,
  ];
}

// ── keys ─────────────────────────────────────────────────────────────────────────────────────

type Sink = { directives: UnitEnvDirective[]; problems: ParseProblem[] };

function problem(sink: Sink, line: number, message: string, fatal = false): void {
  sink.problems.push({ line, message, fatal });
}

function splitAssignment(word: string): { name: string; value: string } | null {
  const eq = word.indexOf('=');
  if (eq <= 0) return null;
  const name = word.slice(0, eq);
  const value = word.slice(eq + 1);
  // env_assignment_is_valid(): a value must be valid UTF-8 as systemd checks it.
  if (!ENV_NAME.test(name) || NOT_SYSTEMD_UTF8.test(value)) return null;
  return { name, value };
}

function parseEnvironment(
  value: string,
  line: number,
  sink: Sink,
  options: UnitParseOptions,
): void {
  if (value === '') {
    sink.directives.push({ kind: 'clear-environment', line });
    return;
  }
  const { words, error } = splitUnitWords(value);
  for (const word of words) {
    const resolved = resolveSpecifiers(word, options.unitName);
    if ('unknown' in resolved) {
      problem(
        sink,
        line,
        `Environment=: unknown specifier ${resolved.unknown}; systemd ignores ${quoteForMessage(word)}`,
      );
      continue;
    }
    const assignment = splitAssignment(resolved.value);
    if (!assignment) {
      problem(
        sink,
        line,
        `Environment=: not a valid NAME=VALUE assignment; systemd ignores ${quoteForMessage(word)}`,
      );
      continue;
    }
    sink.directives.push({
      kind: 'set',
      ...assignment,
      line,
      notes: specifierNote(resolved.unresolved),
    });
  }
  // systemd keeps the words before the bad one (they are already applied) and drops the rest.
  if (error) problem(sink, line, `Environment=: ${error}; systemd ignores the rest of this line`);
}

/** path_simplify_and_warn with PATH_CHECK_ABSOLUTE: absolute, no `..`, duplicate slashes folded. */
function normalizeAbsolutePath(path: string): string | null {
  if (!path.startsWith('/')) return null;
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return null;
  return `/${parts.join('/')}`;
}

function parseEnvironmentFileKey(
  value: string,
  line: number,
  sink: Sink,
  options: UnitParseOptions,
): void {
  if (value === '') {
    sink.directives.push({ kind: 'clear-environment-files', line });
    return;
  }
  const resolved = resolveSpecifiers(value, options.unitName);
  if ('unknown' in resolved) {
    problem(
      sink,
      line,
      `EnvironmentFile=: unknown specifier ${resolved.unknown}; systemd ignores this line`,
    );
    return;
  }
  if (resolved.unresolved.length > 0) {
    problem(
      sink,
      line,
      `EnvironmentFile=: path uses ${resolved.unresolved.join(' ')}, which Paddock cannot fill in; not read`,
    );
    return;
  }
  const optional = resolved.value.startsWith('-');
  const path = normalizeAbsolutePath(optional ? resolved.value.slice(1) : resolved.value);
  if (!path || NOT_SYSTEMD_UTF8.test(path)) {
    problem(
      sink,
      line,
      `EnvironmentFile=: ${quoteForMessage(resolved.value)} is not a normalized absolute path; systemd ignores it`,
    );
    return;
  }
  sink.directives.push({ kind: 'environment-file', path, optional, line });
}

function parseUnsetEnvironment(
  value: string,
  line: number,
  sink: Sink,
  options: UnitParseOptions,
): void {
  if (value === '') {
    sink.directives.push({ kind: 'clear-unset', line });
    return;
  }
  const { words, error } = splitUnitWords(value);
  for (const word of words) {
    const resolved = resolveSpecifiers(word, options.unitName);
    const text = 'unknown' in resolved ? null : resolved.value;
    const assignment = text === null ? null : splitAssignment(text);
    if (assignment)
      sink.directives.push({ kind: 'unset', name: assignment.name, value: assignment.value, line });
    else if (text !== null && ENV_NAME.test(text))
      sink.directives.push({ kind: 'unset', name: text, value: null, line });
    else problem(sink, line, `UnsetEnvironment=: systemd ignores ${quoteForMessage(word)}`);
  }
  if (error)
    problem(sink, line, `UnsetEnvironment=: ${error}; systemd ignores the rest of this line`);
}

/** The characters systemd reads as prefixes of an Exec*= command (exec_command_flags_from_strv). */
const EXEC_PREFIXES = '-@:+!|';

function parseExecStart(value: string, line: number, sink: Sink, options: UnitParseOptions): void {
  if (value === '') {
    sink.directives.push({ kind: 'clear-exec-start', line });
    return;
  }
  let at = 0;
  while (at < value.length && EXEC_PREFIXES.includes(value.charAt(at))) at++;
  const { words, error } = splitUnitWords(value.slice(at));
  // systemd relaxes unknown escapes on Exec lines and reads `\;` as a literal `;`: where this
  // parser would disagree, it says so instead of guessing the command.
  if (error)
    return problem(
      sink,
      line,
      `ExecStart=: ${error}; Paddock cannot read this command the way systemd does, so it is not shown`,
    );
  const argv: string[] = [];
  for (const word of words) {
    const resolved = resolveSpecifiers(word, options.unitName);
    if ('unknown' in resolved)
      return problem(
        sink,
        line,
        `ExecStart=: unknown specifier ${resolved.unknown}; systemd ignores this line`,
      );
    argv.push(resolved.value);
  }
  if (argv.length === 0) return problem(sink, line, 'ExecStart=: no command; systemd ignores it');
  const several = argv.includes(';');
  sink.directives.push({
    kind: 'exec-start',
    prefix: value.slice(0, at),
    argv: several ? argv.slice(0, argv.indexOf(';')) : argv,
    several,
    line,
  });
}

const KEY_PARSERS: Record<
  string,
  (value: string, line: number, sink: Sink, options: UnitParseOptions) => void
> = {
  Environment: parseEnvironment,
  EnvironmentFile: parseEnvironmentFileKey,
  UnsetEnvironment: parseUnsetEnvironment,
  ExecStart: parseExecStart,
};

// ── unit files ───────────────────────────────────────────────────────────────────────────────

/** The section a header line opens, or null (and a fatal problem) when systemd rejects it. */
function sectionHeader(text: string, line: number, sink: Sink): string | null {
  if (!text.endsWith(']')) {
    problem(
      sink,
      line,
      `invalid section header ${quoteForMessage(text)}; systemd refuses to load this file`,
      true,
    );
    return null;
  }
  return text.slice(1, -1);
}

/**
 * The environment directives (and ExecStart=) of a unit file or drop-in, in file order, and every line systemd
 * would complain about. Only [Service] counts; other sections are read past.
 */
export function parseUnitFile(text: string, options: UnitParseOptions = {}): ParsedUnitFile {
  const sink: Sink = { directives: [], problems: [] };
  let section: string | null = null;
  for (const { text: raw, line } of logicalLines(text)) {
    const l = strip(raw);
    if (l === '') continue;
    const utf8 = utf8Problem(l, options.invalidUtf8);
    if (utf8 !== null) {
      problem(sink, line, `line is ${utf8}; systemd refuses to load this file`, true);
    } else if (l.startsWith('[')) {
      section = sectionHeader(l, line, sink);
    } else if (section === null) {
      problem(
        sink,
        line,
        'assignment outside of any section; systemd ignores it (is the [Service] line missing?)',
      );
    } else {
      parseAssignmentLine(l, line, section, sink, options);
    }
  }
  return sink;
}

function parseAssignmentLine(
  l: string,
  line: number,
  section: string,
  sink: Sink,
  options: UnitParseOptions,
): void {
  const eq = l.indexOf('=');
  if (eq < 0)
    return problem(sink, line, `missing '=' in ${quoteForMessage(l)}; systemd ignores this line`);
  if (eq === 0)
    return problem(sink, line, "missing key name before '='; systemd ignores this line");
  const key = strip(l.slice(0, eq));
  const parse = ENV_KEYS.has(key) ? KEY_PARSERS[key] : undefined;
  if (!parse) return;
  if (section !== 'Service') {
    return problem(
      sink,
      line,
      `${key}= in [${safeText(section, 40).text}] is ignored; it belongs in [Service]`,
    );
  }
  parse(strip(l.slice(eq + 1)), line, sink, options);
}

// ── EnvironmentFile= contents (env-file.c) ──────────────────────────────────────────────────

type EnvFileState =
  | 'pre-key'
  | 'key'
  | 'pre-value'
  | 'value'
  | 'value-escape'
  | 'single-quote'
  | 'double-quote'
  | 'double-quote-escape'
  | 'comment'
  | 'comment-escape';

const SHELL_NEED_ESCAPE = '"\\`$';
const VALUE_STATES = new Set<EnvFileState>([
  'pre-value',
  'value',
  'value-escape',
  'single-quote',
  'double-quote',
  'double-quote-escape',
]);

interface RawPair {
  key: string;
  value: string;
  line: number;
}

/**
 * A port of env-file.c's state machine. It differs from a shell on purpose, as systemd does:
 * `#` after a value is part of the value, quotes concatenate with what follows, a quote left
 * open takes the rest of the file.
 */
class EnvFileScanner {
  readonly pairs: RawPair[] = [];
  readonly problems: ParseProblem[] = [];
  private state: EnvFileState = 'pre-key';
  private key = '';
  private value = '';
  private keyLine = 1;
  private line = 1;
  private lastKeySpace = -1;
  private lastValueSpace = -1;

  scan(text: string): this {
    for (const c of text) {
      this.step(c);
      if (c === '\n') this.line++;
    }
    this.finish();
    return this;
  }

  private step(c: string): void {
    switch (this.state) {
      case 'pre-key':
        return this.preKey(c);
      case 'key':
        return this.inKey(c);
      case 'pre-value':
        return this.preValue(c);
      case 'value':
        return this.inValue(c);
      case 'value-escape':
        this.state = 'value';
        if (!NEWLINE.includes(c)) this.value += c;
        return;
      case 'single-quote':
        if (c === "'") this.state = 'pre-value';
        else this.value += c;
        return;
      case 'double-quote':
        if (c === '"') this.state = 'pre-value';
        else if (c === '\\') this.state = 'double-quote-escape';
        else this.value += c;
        return;
      case 'double-quote-escape':
        this.state = 'double-quote';
        if (SHELL_NEED_ESCAPE.includes(c)) this.value += c;
        else if (c !== '\n') this.value += `\\${c}`;
        return;
      case 'comment':
        if (c === '\\') this.state = 'comment-escape';
        else if (NEWLINE.includes(c)) this.state = 'pre-key';
        return;
      case 'comment-escape':
        this.state = NEWLINE.includes(c) ? 'pre-key' : 'comment';
        return;
    }
  }

  private preKey(c: string): void {
    if (COMMENTS.includes(c)) this.state = 'comment';
    else if (!WHITESPACE.includes(c)) {
      this.state = 'key';
      this.key = c;
      this.keyLine = this.line;
      this.lastKeySpace = -1;
    }
  }

  private inKey(c: string): void {
    if (NEWLINE.includes(c)) {
      this.problems.push({
        line: this.keyLine,
        message: `no '=' in ${quoteForMessage(this.key)}; systemd ignores this line`,
        fatal: false,
      });
      this.state = 'pre-key';
    } else if (c === '=') {
      this.state = 'pre-value';
      this.value = '';
      this.lastValueSpace = -1;
    } else {
      if (!WHITESPACE.includes(c)) this.lastKeySpace = -1;
      else if (this.lastKeySpace === -1) this.lastKeySpace = this.key.length;
      this.key += c;
    }
  }

  private preValue(c: string): void {
    if (NEWLINE.includes(c)) this.push();
    else if (c === "'") this.state = 'single-quote';
    else if (c === '"') this.state = 'double-quote';
    else if (c === '\\') this.state = 'value-escape';
    else if (!WHITESPACE.includes(c)) {
      this.state = 'value';
      this.value += c;
    }
  }

  private inValue(c: string): void {
    if (NEWLINE.includes(c)) this.push();
    else if (c === '\\') {
      this.state = 'value-escape';
      this.lastValueSpace = -1;
    } else {
      if (!WHITESPACE.includes(c)) this.lastValueSpace = -1;
      else if (this.lastValueSpace === -1) this.lastValueSpace = this.value.length;
      this.value += c;
    }
  }

  private push(): void {
    if (this.state === 'value' && this.lastValueSpace !== -1)
      this.value = this.value.slice(0, this.lastValueSpace);
    const key = this.lastKeySpace !== -1 ? this.key.slice(0, this.lastKeySpace) : this.key;
    this.pairs.push({ key, value: this.value, line: this.keyLine });
    this.state = 'pre-key';
  }

  private finish(): void {
    if (
      this.state === 'single-quote' ||
      this.state === 'double-quote' ||
      this.state === 'double-quote-escape'
    ) {
      this.problems.push({
        line: this.keyLine,
        message: 'unterminated quote; systemd takes the rest of the file as the value',
        fatal: false,
      });
    }
    if (this.state === 'key') {
      this.problems.push({
        line: this.keyLine,
        message: `no '=' in ${quoteForMessage(this.key)}; systemd ignores this line`,
        fatal: false,
      });
    }
    if (VALUE_STATES.has(this.state)) this.push();
  }
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charAt(i) === '\n') line++;
  return line;
}

function checkPair(
  pair: RawPair,
  problems: ParseProblem[],
  invalidUtf8: boolean | undefined,
): EnvFileAssignment | null {
  // check_utf8ness_and_warn() in env-file.c: the key and the value, not comments.
  const utf8 = utf8Problem(pair.key, invalidUtf8) ?? utf8Problem(pair.value, invalidUtf8);
  if (utf8 !== null) {
    problems.push({
      line: pair.line,
      message: `${utf8}; systemd refuses to use this file`,
      fatal: true,
    });
    return null;
  }
  if (/^export[ \t]/.test(pair.key)) {
    problems.push({
      line: pair.line,
      message: `'export' is shell syntax, not EnvironmentFile syntax; systemd ignores ${quoteForMessage(pair.key)}`,
      fatal: false,
    });
    return null;
  }
  if (!ENV_NAME.test(pair.key)) {
    problems.push({
      line: pair.line,
      message: `invalid variable name ${quoteForMessage(pair.key)}; systemd ignores it`,
      fatal: false,
    });
    return null;
  }
  return { name: pair.key, value: pair.value, line: pair.line };
}

/**
 * The assignments of an EnvironmentFile=, in file order (a later one for the same name wins),
 * with every line systemd would drop. A `fatal` problem means systemd rejects the whole file:
 * with `-` it starts the service without it, without `-` the service fails to start.
 */
export function parseEnvironmentFile(
  text: string,
  options: EnvFileParseOptions = {},
): ParsedEnvironmentFile {
  const problems: ParseProblem[] = [];
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    problems.push({
      line: lineOfOffset(text, nul),
      message: 'NUL byte; systemd stops reading the file here',
      fatal: false,
    });
  }
  const scanner = new EnvFileScanner().scan(nul >= 0 ? text.slice(0, nul) : text);
  problems.push(...scanner.problems);
  const assignments: EnvFileAssignment[] = [];
  for (const pair of scanner.pairs) {
    const assignment = checkPair(pair, problems, options.invalidUtf8);
    if (assignment) assignments.push(assignment);
  }
  problems.sort((a, b) => a.line - b.line);
  return { assignments, problems };
}
