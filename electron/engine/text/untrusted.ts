/**
 * Everything a server, a file or a process tells us is untrusted text. These helpers make it
 * safe to store and print: bounded length, no control characters (no terminal escapes, no
 * NULs), and, for text shown on one line, no line break of any kind. Escaping for HTML or
 * notification markup is the caller's job; this is about bytes and lines.
 *
 * - `cleanLine`: the one to use for anything shown on one line (names, values, messages in
 *   `paddock scan` and `paddock watch`, notifications, the tray). Every line or paragraph
 *   separator and TAB becomes a space, so a model name such as "x\nVerdict: private" cannot
 *   print a line of its own.
 * - `cleanText`: keeps LF and TAB; only for text that is really several lines (a preview of a
 *   file's contents, a command's output shown as is).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * What breaks a line for some reader, and TAB: LF, VT, FF, CR, the C0 separators FS, GS, RS
 * (Python's splitlines), NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR (Unicode's Zl and Zp).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const LINE_BREAK = /[\t\n\u000b\u000c\r\u001c-\u001e\u0085\u2028\u2029]/g;

function asText(value: unknown): string {
  return typeof value === 'string'
    ? value
    : value === undefined || value === null
      ? ''
      : String(value);
}

/** Cuts at `maxLength` UTF-16 units, never between the two halves of a surrogate pair. */
function cut(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let end = maxLength;
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Untrusted text that may hold several lines: LF and TAB kept, other controls replaced. */
export function cleanText(value: unknown, maxLength = 256): string {
  return cut(asText(value).replace(CONTROL, '\uFFFD'), maxLength);
}

/**
 * Untrusted text for one line: line and paragraph separators and TAB become spaces, other
 * control characters and bidi overrides U+FFFD.
 */
export function cleanLine(value: unknown, maxLength = 256): string {
  return cut(asText(value).replace(LINE_BREAK, ' ').replace(CONTROL, '\uFFFD'), maxLength);
}

/** Parses JSON without throwing; `undefined` when the text is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
