/**
 * Editing one environment assignment in a file, the way a careful person would: change only
 * that assignment, keep every other byte, and prove it. Each edit is checked by parsing the
 * file before and after with the same parsers the settings probe uses
 * (probes/linux/systemd-unit.ts, env-files.ts): the new file must mean exactly what the old one
 * meant, except for that one assignment. Anything this file does not understand for certain
 * (continuation lines, escapes it would have to re-encode, shell expansions, systemd
 * specifiers) is refused with the reason, and the recipe falls back to instructions.
 */
import type { Setting } from '../../../../shared/snapshot';
import { parseEtcEnvironment, parseShellFile } from '../../probes/linux/env-files';
import type { ShellDialect } from '../../probes/linux/env-files';
import type { ParseProblem } from '../../probes/linux/systemd-unit';
import {
  parseEnvironmentFile,
  parseUnitFile,
  splitUnitWords,
} from '../../probes/linux/systemd-unit';

export type SourceKind = Setting['source']['kind'];

/** What to do with the value an assignment holds now. */
export type ValueEdit = { kind: 'set'; value: string } | { kind: 'remove' };

export type EditOutcome =
  { ok: true; content: string; oldValue: string; edit: ValueEdit } | { ok: false; reason: string };

export interface EditRequest {
  kind: SourceKind;
  /** The file's current text. */
  text: string;
  /** 1-based line of the assignment, as the settings probe reported it. */
  line: number;
  name: string;
  /** Decides from the value the file really holds (not the snapshot's copy of it). */
  decide(oldValue: string): ValueEdit;
  /** For unit files: the unit the lines configure (for %n, %N... in other lines). */
  unitName?: string;
  /** For shell files: which shell reads it. */
  dialect?: ShellDialect;
}

const refuse = (reason: string): EditOutcome => ({ ok: false, reason });

// eslint-disable-next-line no-control-regex -- control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/;

interface Lines {
  lines: string[];
  /** Whether the file ended with a newline (kept as it was). */
  finalNewline: boolean;
}

function splitLines(text: string): Lines | null {
  // Lone CR and NUL end lines for systemd but not for the shell: such a file is not edited.
  if (text.includes('\r') || text.includes('\0')) return null;
  const finalNewline = text.endsWith('\n');
  const lines = (finalNewline ? text.slice(0, -1) : text).split('\n');
  return { lines, finalNewline };
}

function joinLines({ lines, finalNewline }: Lines): string {
  if (lines.length === 0) return '';
  return lines.join('\n') + (finalNewline ? '\n' : '');
}

/** Replaces line `index` (0-based) by `replacement`, or removes it when replacement is null. */
function withLine(source: Lines, index: number, replacement: string | null): Lines {
  const lines = [...source.lines];
  if (replacement === null) lines.splice(index, 1);
  else lines[index] = replacement;
  return { lines, finalNewline: source.finalNewline || lines.length === 0 };
}

function endsWithBackslash(line: string | undefined): boolean {
  return line !== undefined && /\\[ \t]*$/.test(line);
}

// ── systemd: Environment= in a unit or drop-in ─────────────────────────────────────────────

/** Raw spans of the words of an Environment= value, as extract_first_word would cut them. */
function unitWordSpans(value: string): Array<[number, number]> | null {
  const spans: Array<[number, number]> = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && ' \t'.includes(value.charAt(i))) i++;
    if (i >= value.length) break;
    const start = i;
    let quote: string | null = null;
    while (i < value.length) {
      const c = value.charAt(i);
      if (c === '\\') {
        if (i + 1 >= value.length) return null;
        i += 2;
      } else if (quote) {
        if (c === quote) quote = null;
        i++;
      } else if (c === '"' || c === "'") {
        quote = c;
        i++;
      } else if (c === ' ' || c === '\t') break;
      else i++;
    }
    if (quote) return null;
    spans.push([start, i]);
  }
  return spans;
}

const UNIT_PLAIN = /^[A-Za-z0-9_.,:/*+@=-]*$/;

/** The word `NAME=value` written for Environment=, quoted unless plain. */
function unitWord(name: string, value: string, quoted: boolean): string | null {
  if (CONTROL.test(value)) return null;
  if (!quoted && UNIT_PLAIN.test(value)) return `${name}=${value}`;
  const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%');
  return `"${name}=${escaped}"`;
}

function editUnitFile(req: EditRequest, src: Lines): EditOutcome {
  const index = req.line - 1;
  const line = src.lines[index];
  if (line === undefined) return refuse(`line ${req.line} is not in the file any more`);
  if (endsWithBackslash(line) || endsWithBackslash(src.lines[index - 1]))
    return refuse(`line ${req.line} is continued over several lines`);
  const m = /^([ \t]*Environment[ \t]*=[ \t]*)(.*?)([ \t]*)$/.exec(line);
  if (!m) return refuse(`line ${req.line} is not an Environment= line`);
  const [, head, value] = m as unknown as [string, string, string, string];
  const spans = unitWordSpans(value);
  const all = splitUnitWords(value);
  if (!spans || all.error || spans.length !== all.words.length)
    return refuse(`the words of line ${req.line} could not be read with certainty`);
  const words: string[] = [];
  for (const [a, b] of spans) {
    const one = splitUnitWords(value.slice(a, b));
    if (one.error || one.words.length !== 1)
      return refuse(`line ${req.line} uses quoting Paddock does not edit`);
    words.push(one.words[0]!);
  }
  if (words.some((w, k) => w !== all.words[k]))
    return refuse(`line ${req.line} uses quoting Paddock does not edit`);
  const hits = words.flatMap((w, k) => (w.startsWith(`${req.name}=`) ? [k] : []));
  if (hits.length !== 1)
    return refuse(
      `line ${req.line} sets ${req.name} ${hits.length === 0 ? 'no longer' : 'more than once'}`,
    );
  const k = hits[0]!;
  const oldValue = words[k]!.slice(req.name.length + 1);
  if (oldValue.includes('%'))
    return refuse(`the value on line ${req.line} uses % specifiers that systemd fills in`);
  const edit = req.decide(oldValue);
  const [a, b] = spans[k]!;
  let newValue: string;
  let newLine: string | null;
  if (edit.kind === 'set') {
    const raw = value.slice(a, b);
    const word = unitWord(req.name, edit.value, /^["']/.test(raw));
    if (word === null) return refuse('the new value holds control characters');
    newValue = value.slice(0, a) + word + value.slice(b);
    newLine = head + newValue + m[3];
  } else if (spans.length === 1) {
    // An empty `Environment=` would clear every assignment before it: the line goes instead.
    newLine = null;
  } else {
    const cutFrom = k === 0 ? a : spans[k - 1]![1];
    const cutTo = k === 0 ? spans[1]![0] : b;
    newValue = value.slice(0, cutFrom) + value.slice(cutTo);
    newLine = head + newValue + m[3];
  }
  const content = joinLines(withLine(src, index, newLine));
  const proof = sameUnitMeaning(req, req.text, content, edit);
  return proof ?? { ok: true, content, oldValue, edit };
}

function problemsText(problems: ParseProblem[]): string[] {
  return problems.map((p) => `${p.fatal ? 'fatal ' : ''}${p.message}`);
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The directives of the new file equal the old ones but for the one assignment. */
function sameUnitMeaning(
  req: EditRequest,
  before: string,
  after: string,
  edit: ValueEdit,
): EditOutcome | null {
  const options = req.unitName ? { unitName: req.unitName } : {};
  const old = parseUnitFile(before, options);
  const now = parseUnitFile(after, options);
  let changed = 0;
  const expected = old.directives.flatMap((d) => {
    if (d.kind === 'set' && d.name === req.name && d.line === req.line) {
      changed++;
      return edit.kind === 'remove' ? [] : [{ ...d, value: edit.value }];
    }
    return [d];
  });
  const strip = (list: typeof old.directives) => list.map(({ line: _line, ...rest }) => rest);
  if (changed !== 1 || !sameList(strip(expected), strip(now.directives)))
    return refuse('the edited file would not mean what it should (checked by parsing it again)');
  if (!sameList(problemsText(old.problems), problemsText(now.problems)))
    return refuse('the edited file would read differently elsewhere (checked by parsing it again)');
  return null;
}

// ── systemd: an EnvironmentFile= ───────────────────────────────────────────────────────────

const ENVFILE_PLAIN = /^[A-Za-z0-9_.,:/*+@=%-]*$/;

function editEnvironmentFile(req: EditRequest, src: Lines): EditOutcome {
  const index = req.line - 1;
  const line = src.lines[index];
  if (line === undefined) return refuse(`line ${req.line} is not in the file any more`);
  if (endsWithBackslash(line)) return refuse(`line ${req.line} is continued over several lines`);
  const m = new RegExp(`^([ \\t]*${req.name}[ \\t]*=[ \\t]*)(.*?)([ \\t]*)$`).exec(line);
  if (!m) return refuse(`line ${req.line} does not start with ${req.name}=`);
  const [, head, raw] = m as unknown as [string, string, string, string];
  let oldValue: string;
  let quote = '';
  if (/^'[^']*'$/.test(raw)) {
    oldValue = raw.slice(1, -1);
    quote = "'";
  } else if (/^"[^"\\`$]*"$/.test(raw)) {
    oldValue = raw.slice(1, -1);
    quote = '"';
  } else if (/^[^\s'"\\]*$/.test(raw)) oldValue = raw;
  else return refuse(`the value on line ${req.line} uses quoting Paddock does not edit`);
  const edit = req.decide(oldValue);
  let newLine: string | null = null;
  if (edit.kind === 'set') {
    const v = edit.value;
    if (CONTROL.test(v)) return refuse('the new value holds control characters');
    let written: string;
    if (!quote && ENVFILE_PLAIN.test(v)) written = v;
    else if (!v.includes("'")) written = `'${v}'`;
    else return refuse('the new value holds a single quote');
    newLine = head + written + m[3];
  }
  const content = joinLines(withLine(src, index, newLine));
  const old = parseEnvironmentFile(req.text);
  const now = parseEnvironmentFile(content);
  let changed = 0;
  const expected = old.assignments.flatMap((a) => {
    if (a.name === req.name && a.line === req.line) {
      changed++;
      if (a.value !== oldValue) changed += 10;
      return edit.kind === 'remove' ? [] : [{ ...a, value: edit.value }];
    }
    return [a];
  });
  const strip = (list: typeof old.assignments) => list.map((a) => [a.name, a.value]);
  if (
    changed !== 1 ||
    !sameList(strip(expected), strip(now.assignments)) ||
    !sameList(problemsText(old.problems), problemsText(now.problems))
  )
    return refuse('the edited file would not mean what it should (checked by parsing it again)');
  return { ok: true, content, oldValue, edit };
}

// ── /etc/environment (pam_env) ─────────────────────────────────────────────────────────────

function editEtcEnvironment(req: EditRequest, src: Lines): EditOutcome {
  const index = req.line - 1;
  const line = src.lines[index];
  if (line === undefined) return refuse(`line ${req.line} is not in the file any more`);
  if (line.includes('#') || endsWithBackslash(line) || endsWithBackslash(src.lines[index - 1]))
    return refuse(`line ${req.line} has a comment or a continuation Paddock does not edit`);
  const m = new RegExp(`^([ \\t]*(?:export[ \\t]+)?${req.name}=)(.*)$`).exec(line);
  if (!m) return refuse(`line ${req.line} does not set ${req.name}`);
  const [, head, raw] = m as unknown as [string, string, string];
  const parsedOld = parseEtcEnvironment(req.text);
  const target = parsedOld.statements.find(
    (s) => s.kind === 'assign' && s.name === req.name && s.line === req.line,
  );
  if (!target || target.kind !== 'assign')
    return refuse(`line ${req.line} is not read as an assignment of ${req.name}`);
  const oldValue = target.value;
  const edit = req.decide(oldValue);
  let newLine: string | null = null;
  if (edit.kind === 'set') {
    const v = edit.value;
    if (CONTROL.test(v) || v.includes('#') || v.endsWith('\\'))
      return refuse('the new value cannot be written to /etc/environment as it is');
    const quote = /^["']/.test(raw) ? raw.charAt(0) : /^["']|[ \t]$/.test(v) ? '"' : '';
    newLine = head + quote + v + quote;
  }
  const content = joinLines(withLine(src, index, newLine));
  const now = parseEtcEnvironment(content);
  const expected = parsedOld.statements.flatMap((s) =>
    s === target ? (edit.kind === 'remove' ? [] : [{ ...s, value: edit.value }]) : [s],
  );
  const strip = (list: typeof now.statements) => list.map(({ line: _line, ...rest }) => rest);
  if (
    !sameList(strip(expected), strip(now.statements)) ||
    !sameList(problemsText(parsedOld.problems), problemsText(now.problems))
  )
    return refuse('the edited file would not mean what it should (checked by parsing it again)');
  return { ok: true, content, oldValue, edit };
}

// ── shell start-up files ───────────────────────────────────────────────────────────────────

const SH_PLAIN = /^[A-Za-z0-9_.,:/+@%=-]+$/;

function shellValue(dialect: ShellDialect, v: string): string | null {
  if (CONTROL.test(v)) return null;
  if (SH_PLAIN.test(v)) return v;
  if (v.includes("'") || (dialect === 'fish' && v.includes('\\'))) return null;
  return `'${v}'`;
}

/** The raw value forms edited here: '...', "..." without expansions, or a plain word. */
function shellRaw(dialect: ShellDialect): string {
  const single = dialect === 'fish' ? "'[^'\\\\]*'" : "'[^']*'";
  const double = dialect === 'fish' ? '"[^"\\\\$]*"' : '"[^"\\\\$`]*"';
  const bare = '[^\\s\'"\\\\$`;&|()<>#{}*?~\\[\\]]*';
  return `(?:${single}|${double}|${bare})`;
}

function unquoteShell(raw: string): string {
  return /^'.*'$|^".*"$/.test(raw) ? raw.slice(1, -1) : raw;
}

function editShellFile(req: EditRequest, src: Lines): EditOutcome {
  const dialect = req.dialect ?? 'sh';
  const index = req.line - 1;
  const line = src.lines[index];
  if (line === undefined) return refuse(`line ${req.line} is not in the file any more`);
  if (endsWithBackslash(line) || endsWithBackslash(src.lines[index - 1]))
    return refuse(`line ${req.line} is continued over several lines`);
  const raw = shellRaw(dialect);
  const tail = '([ \\t]*(?:#.*)?)';
  const forms = [
    new RegExp(`^([ \\t]*(?:export[ \\t]+)?${req.name}=)(${raw})${tail}$`),
    ...(dialect === 'fish'
      ? [
          new RegExp(
            `^([ \\t]*set[ \\t]+(?:-[A-Za-z]+[ \\t]+|--[a-z]+[ \\t]+)*${req.name}[ \\t]+)(${raw})${tail}$`,
          ),
        ]
      : []),
  ];
  const m = forms.map((f) => f.exec(line)).find((x) => x !== null);
  if (!m) return refuse(`line ${req.line} is not a simple assignment of ${req.name}`);
  const [, head, rawValue, rest] = m as unknown as [string, string, string, string];
  const parsedOld = parseShellFile(req.text, dialect);
  const target = parsedOld.statements.find(
    (s) => s.kind === 'assign' && s.name === req.name && s.line === req.line,
  );
  if (!target || target.kind !== 'assign' || target.unexpanded.length > 0)
    return refuse(`line ${req.line} is not read as a plain assignment of ${req.name}`);
  const oldValue = unquoteShell(rawValue);
  if (target.value !== oldValue)
    return refuse(`line ${req.line} is quoted in a way Paddock does not edit`);
  const edit = req.decide(oldValue);
  let newLine: string | null = null;
  if (edit.kind === 'set') {
    const written = shellValue(dialect, edit.value);
    if (written === null) return refuse('the new value cannot be quoted safely for the shell');
    newLine = head + written + rest;
  }
  const content = joinLines(withLine(src, index, newLine));
  const now = parseShellFile(content, dialect);
  const expected = parsedOld.statements.flatMap((s) =>
    s === target ? (edit.kind === 'remove' ? [] : [{ ...s, value: edit.value }]) : [s],
  );
  const strip = (list: typeof now.statements) => list.map(({ line: _line, ...rest }) => rest);
  if (
    !sameList(strip(expected), strip(now.statements)) ||
    !sameList(problemsText(parsedOld.problems), problemsText(now.problems))
  )
    return refuse('the edited file would not mean what it should (checked by parsing it again)');
  return { ok: true, content, oldValue, edit };
}

// ── the entry point ────────────────────────────────────────────────────────────────────────

/**
 * Changes or removes the assignment of `name` on `line` of a file of this kind. The file's
 * other bytes are kept; the result is proved by parsing both versions.
 */
export function editAssignment(req: EditRequest): EditOutcome {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(req.name)) return refuse('not a variable name');
  if (!Number.isInteger(req.line) || req.line < 1) return refuse('no line number for it');
  const src = splitLines(req.text);
  if (!src) return refuse('the file uses line endings Paddock does not edit (CR or NUL)');
  switch (req.kind) {
    case 'systemd-unit':
    case 'systemd-dropin':
      return editUnitFile(req, src);
    case 'systemd-envfile':
      return editEnvironmentFile(req, src);
    case 'etc-environment':
      return editEtcEnvironment(req, src);
    case 'shell-rc':
      return editShellFile(req, src);
    default:
      return refuse(`a ${req.kind} source is not a file Paddock edits`);
  }
}
