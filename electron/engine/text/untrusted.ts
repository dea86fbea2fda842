/**
 * Everything a server, a file or a process tells us is untrusted text. These helpers make it
 * safe to store and print: bounded length, no control characters (no terminal escapes, no
 * NULs). Escaping for HTML is the renderer's and the report's job; this is about bytes.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function cleanText(value: unknown, maxLength = 256): string {
  const text =
    typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  const cleaned = text.replace(CONTROL, '\uFFFD');
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength)}…` : cleaned;
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
