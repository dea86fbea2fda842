/**
 * What every Windows output parser shares. Most Windows probes ask PowerShell for JSON
 * (`ConvertTo-Json`, see ../powershell.ts); `netstat -ano` is the one text table. The line
 * helpers are the macOS parsers' (one implementation of "bounded, never throws, keeps what it
 * could not read"); this module adds reading PowerShell's JSON within the same bounds.
 *
 * For JSON an `UnparsedLine.line` is the 1-based index of the entry in the JSON array (0: the
 * output as a whole), and `text` is the entry re-serialised and clipped.
 *
 * What PowerShell's JSON looks like, and why the readers below accept more than one form:
 *   - `ConvertTo-Json` in Windows PowerShell 5.1 (JavaScriptSerializer) writes enums as their
 *     numbers, indents with four spaces and puts two spaces after each colon, and escapes
 *     `'`, `<`, `>`, `&` as \u0027, \u003c, \u003e, \u0026; PowerShell 7 (Newtonsoft.Json)
 *     writes enums as numbers too unless `-EnumsAsStrings` (7.0+) is given, and indents with
 *     two spaces. JSON.parse reads both; every enum reader takes the number and the name.
 *   - One object piped into `ConvertTo-Json` comes out as an object, not an array of one:
 *     the templates pass `-InputObject @(...)`, and the readers still take a lone object.
 *   - No objects at all can come out as nothing, `null`, or `[]`: all three are no rows.
 *   - A warning written by a cmdlet may precede the JSON on stdout; lines before the first
 *     line that starts with `[` or `{` are then kept as unparsed and the rest is read.
 */
export type { LineLimits, ParseProblems, UnparsedLine, Line } from '../../darwin/parse/common';
export {
  DEFAULT_LINE_LIMITS,
  MAX_UNPARSED,
  MAX_KEPT_TEXT,
  ProblemLog,
  boundedLines,
  clip,
  portNumber,
  safeInt,
} from '../../darwin/parse/common';
import type { ProblemLog } from '../../darwin/parse/common';
import { clip } from '../../darwin/parse/common';

export interface JsonLimits {
  /** Characters of output read at most; longer output is not parsed at all (JSON cut short is not JSON). */
  maxChars: number;
  /** Array entries looked at at most; the rest are dropped and `truncated` set. */
  maxEntries: number;
  /** A string field longer than this is not read (the entry is kept as unparsed). */
  maxFieldLength: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = {
  maxChars: 32 * 1024 * 1024,
  maxEntries: 200_000,
  maxFieldLength: 64 * 1024,
};

/** A parsed JSON object, as PowerShell writes one per row. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An entry as kept text: its JSON, clipped before it can grow large. */
export function entryText(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return clip(typeof text === 'string' ? text : String(value));
  } catch {
    return '(entry that cannot be shown)';
  }
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * The entries of PowerShell's JSON output: an array's elements, a lone object as one entry,
 * nothing for empty output, `null` or `[]`. What is not JSON is logged (line 0) and gives no
 * entries. Never throws.
 */
export function readJsonEntries(
  text: string,
  log: ProblemLog,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): unknown[] {
  let input = typeof text === 'string' ? text : '';
  if (input.length > limits.maxChars) {
    log.truncated = true;
    log.add(0, input.slice(0, 200), `output longer than ${limits.maxChars} characters, not read`);
    return [];
  }
  if (input.charCodeAt(0) === 0xfeff) input = input.slice(1);
  input = input.trim();
  if (input === '') return [];

  let parsed = tryParse(input);
  if (!parsed.ok) {
    // Something (a warning) before the JSON: start again at the first line that opens it.
    const match = /(^|\n)[ \t]*[[{]/.exec(input);
    if (match && match.index > 0) {
      const start = match.index + match[1]!.length;
      const before = input.slice(0, start);
      const again = tryParse(input.slice(start));
      if (again.ok) {
        let number = 0;
        for (const line of before.split('\n')) {
          number += 1;
          if (line.trim() !== '') log.add(number, line, 'text before the JSON output');
        }
        parsed = again;
      }
    }
  }
  if (!parsed.ok) {
    log.add(0, input.slice(0, 200), 'not JSON');
    return [];
  }
  const value = parsed.value;
  if (value === null) return [];
  if (Array.isArray(value)) {
    if (value.length > limits.maxEntries) {
      log.truncated = true;
      return value.slice(0, limits.maxEntries);
    }
    return value;
  }
  if (isJsonObject(value)) return [value];
  log.add(0, entryText(value), 'JSON output is neither an array nor an object');
  return [];
}

/** `table[key]` for the table's own keys only (never `constructor`, `__proto__`, …). */
/**
 * Each entry of the JSON array that is an object, with its 1-based position; any other entry
 * is logged as not an object.
 */
export function forEachJsonObject(
  text: string,
  log: ProblemLog,
  limits: JsonLimits,
  visit: (entry: JsonObject, at: number) => void,
): void {
  readJsonEntries(text, log, limits).forEach((entry, index) => {
    const at = index + 1;
    if (!isJsonObject(entry)) {
      log.add(at, entryText(entry), 'not an object');
      return;
    }
    visit(entry, at);
  });
}

export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

function own(object: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

/**
 * A string field; null when absent or JSON null. `undefined` when present but not a string
 * or longer than `maxLength` (the caller decides whether that spoils the row).
 */
export function stringField(
  object: JsonObject,
  key: string,
  maxLength = DEFAULT_JSON_LIMITS.maxFieldLength,
): string | null | undefined {
  const value = own(object, key);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > maxLength) return undefined;
  return value;
}

/** A non-negative safe integer field (a number, or digits in a string); null when absent, undefined when not one. */
export function intField(object: JsonObject, key: string): number | null | undefined {
  const value = own(object, key);
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

/** The raw value of a field, for enum readers; undefined when absent. */
export function rawField(object: JsonObject, key: string): unknown {
  return own(object, key);
}

/**
 * A list field: PowerShell writes a string[] property as an array, but one value may come as
 * a bare string (a scalar property, or a cmdlet that unwraps one element). null when absent;
 * undefined when neither, or when an element is not a string. At most `maxItems` are read.
 */
export function stringListField(
  object: JsonObject,
  key: string,
  maxItems = 4096,
): string[] | null | undefined {
  const value = own(object, key);
  if (value === undefined || value === null) return null;
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (!items || items.length > maxItems) return undefined;
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === 'number' && Number.isFinite(item)) out.push(String(item));
    else if (typeof item === 'string' && item.length <= DEFAULT_JSON_LIMITS.maxFieldLength)
      out.push(item);
    else return undefined;
  }
  return out;
}

/**
 * An enum field as PowerShell writes it: the number (5.1, and 7 without -EnumsAsStrings) or
 * the name (7 with -EnumsAsStrings, or a template that casts it to [string]). `byNumber` maps
 * the documented numbers to canonical names, `byName` (lower-case keys) the printed names.
 * null when absent; undefined when present but not a known value.
 */
export function enumField<T extends string>(
  object: JsonObject,
  key: string,
  byNumber: Readonly<Record<number, T>>,
  byName: Readonly<Record<string, T>>,
): T | null | undefined {
  const value = own(object, key);
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    return Object.prototype.hasOwnProperty.call(byNumber, value) ? byNumber[value] : undefined;
  }
  if (typeof value === 'string' && value.length <= 64) {
    const name = value.trim().toLowerCase();
    if (Object.prototype.hasOwnProperty.call(byName, name)) return byName[name];
    if (/^\d{1,5}$/.test(name)) {
      const number = Number(name);
      return Object.prototype.hasOwnProperty.call(byNumber, number) ? byNumber[number] : undefined;
    }
  }
  return undefined;
}
