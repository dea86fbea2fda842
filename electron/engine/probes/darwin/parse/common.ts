/**
 * What every macOS output parser shares: reading text line by line within fixed bounds, and
 * keeping the lines it could not understand (clipped, counted, never thrown). The parsers in
 * this folder are pure: text in, typed rows out, no I/O, so they can be tested on fixture
 * files on any machine.
 */

/** One line a parser could not read, kept so the probe can say what it skipped. */
export interface UnparsedLine {
  /** 1-based line number in the tool's output (0: the output as a whole). */
  line: number;
  /** The line itself, clipped to MAX_KEPT_TEXT characters. */
  text: string;
  /** Why it was not read, in a few words. */
  reason: string;
}

export interface ParseProblems {
  /** Lines not understood; at most MAX_UNPARSED are kept, `unparsedTotal` counts them all. */
  unparsed: UnparsedLine[];
  unparsedTotal: number;
  /** The output was longer than the parser reads (bytes or lines); the rest was not looked at. */
  truncated: boolean;
}

export interface LineLimits {
  /** Characters of input read at most; the rest is dropped and `truncated` set. */
  maxChars: number;
  /** Lines read at most. */
  maxLines: number;
  /** A longer line is reported as unparsed without being matched against anything. */
  maxLineLength: number;
}

export const DEFAULT_LINE_LIMITS: LineLimits = {
  maxChars: 16 * 1024 * 1024,
  maxLines: 500_000,
  maxLineLength: 64 * 1024,
};

export const MAX_UNPARSED = 100;
export const MAX_KEPT_TEXT = 200;

/** A line, clipped for keeping in a report: hostile output must not bloat the snapshot. */
export function clip(text: string, max = MAX_KEPT_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Collects unparsed lines up to MAX_UNPARSED while counting every one. */
export class ProblemLog {
  readonly unparsed: UnparsedLine[] = [];
  unparsedTotal = 0;
  truncated = false;

  add(line: number, text: string, reason: string): void {
    this.unparsedTotal += 1;
    if (this.unparsed.length < MAX_UNPARSED) {
      this.unparsed.push({ line, text: clip(text), reason });
    }
  }

  result(): ParseProblems {
    return {
      unparsed: this.unparsed,
      unparsedTotal: this.unparsedTotal,
      truncated: this.truncated,
    };
  }
}

export interface Line {
  /** 1-based. */
  number: number;
  /** Without its terminator (a trailing CR is dropped too). */
  text: string;
}

/**
 * The lines of `text` within `limits`. Lines over `maxLineLength` are logged as unparsed and
 * not returned, so no parser ever runs a pattern over an unbounded line.
 */
export function boundedLines(
  text: string,
  log: ProblemLog,
  limits: LineLimits = DEFAULT_LINE_LIMITS,
): Line[] {
  let input = typeof text === 'string' ? text : '';
  if (input.length > limits.maxChars) {
    input = input.slice(0, limits.maxChars);
    log.truncated = true;
  }
  const lines: Line[] = [];
  let start = 0;
  let number = 0;
  while (start < input.length) {
    if (number >= limits.maxLines) {
      log.truncated = true;
      break;
    }
    let end = input.indexOf('\n', start);
    if (end < 0) end = input.length;
    number += 1;
    let line = input.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > limits.maxLineLength) {
      log.add(number, line, `line longer than ${limits.maxLineLength} characters`);
    } else {
      lines.push({ number, text: line });
    }
    start = end + 1;
  }
  return lines;
}

/** Digits as a safe integer, or null (empty, signs, overflow past 2^53). */
export function safeInt(digits: string): number | null {
  if (!/^\d{1,16}$/.test(digits)) return null;
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : null;
}

/** A TCP/UDP port number 0–65535 from its digits, or null. */
export function portNumber(digits: string): number | null {
  if (!/^\d{1,5}$/.test(digits)) return null;
  const value = Number(digits);
  return value <= 65_535 ? value : null;
}
