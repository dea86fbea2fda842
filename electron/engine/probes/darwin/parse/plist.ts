/**
 * A small, strict reader for XML property lists (launchd jobs, Homebrew's service plist).
 *
 * Format: Apple's PropertyList-1.0 DTD (https://www.apple.com/DTDs/PropertyList-1.0.dtd):
 * `<plist version="1.0">` around one value; values are dict (key/value pairs), array,
 * string, integer, real, true/false, date and data. Binary plists are not read: the probe
 * converts them first with `plutil -convert xml1 -o - FILE`.
 *
 * Strict on purpose, because these files may be written by anyone who can write to a
 * LaunchAgents folder: no DTD internal subset and so no entity declarations (the classic
 * entity-expansion bombs cannot start), only the five XML entities and numeric character
 * references, no attributes but plist's `version`, no text between elements, no duplicate
 * dict keys, no control characters; bounded input size, nesting depth and value count.
 * Comments and CDATA sections are read. Dates and data stay strings (data without its
 * whitespace). Never throws: a refused document comes back with the reason and line.
 */

export type PlistValue = string | number | boolean | PlistValue[] | PlistDict;
/** A Map, so that keys such as `__proto__` are data and nothing else. */
export type PlistDict = Map<string, PlistValue>;

export interface PlistLimits {
  maxChars: number;
  maxDepth: number;
  /** Values of any kind, containers included. */
  maxValues: number;
}

export const DEFAULT_PLIST_LIMITS: PlistLimits = {
  maxChars: 1024 * 1024,
  maxDepth: 32,
  maxValues: 100_000,
};

export type PlistParseResult =
  { ok: true; value: PlistValue } | { ok: false; error: string; line: number };

class PlistError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const SCALAR_TAGS = new Set(['string', 'integer', 'real', 'date', 'data']);

class Reader {
  private pos = 0;
  private values = 0;

  constructor(
    private readonly text: string,
    private readonly limits: PlistLimits,
  ) {}

  fail(message: string, at = this.pos): never {
    throw new PlistError(message, at);
  }

  private startsWith(token: string): boolean {
    return this.text.startsWith(token, this.pos);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /[ \t\r\n]/.test(this.text[this.pos] ?? '')) {
      this.pos += 1;
    }
  }

  private skipComment(): void {
    const end = this.text.indexOf('-->', this.pos + 4);
    if (end < 0) this.fail('comment without an end');
    this.pos = end + 3;
  }

  /** Whitespace and comments between elements. */
  private skipMisc(): void {
    for (;;) {
      this.skipSpace();
      if (this.startsWith('<!--')) this.skipComment();
      else return;
    }
  }

  private skipDoctype(): void {
    const start = this.pos;
    this.pos += '<!DOCTYPE'.length;
    let quote: string | null = null;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos] ?? '';
      if (quote) {
        if (ch === quote) quote = null;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '[')
        this.fail('DOCTYPE with an internal subset (entity declarations) is refused');
      else if (ch === '>') {
        this.pos += 1;
        return;
      }
      this.pos += 1;
    }
    this.fail('DOCTYPE without an end', start);
  }

  document(): PlistValue {
    if (this.text.startsWith('\uFEFF')) this.pos = 1;
    this.skipSpace();
    if (this.startsWith('<?xml')) {
      const end = this.text.indexOf('?>', this.pos);
      if (end < 0) this.fail('XML declaration without an end');
      this.pos = end + 2;
    }
    this.skipMisc();
    if (this.startsWith('<!DOCTYPE')) this.skipDoctype();
    this.skipMisc();
    if (this.startsWith('<!')) this.fail('declarations other than one DOCTYPE are refused');
    if (this.startsWith('<?')) this.fail('processing instructions are refused');
    const root = this.openTag();
    if (root.name !== 'plist' || root.empty) this.fail('root element is not <plist>');
    this.skipMisc();
    const value = this.value(1);
    this.skipMisc();
    this.closeTag('plist');
    this.skipMisc();
    if (this.pos < this.text.length) this.fail('content after </plist>');
    return value;
  }

  private openTag(): { name: string; empty: boolean } {
    const start = this.pos;
    if (!this.startsWith('<')) this.fail('expected an element');
    const match =
      /^<([A-Za-z][A-Za-z0-9]{0,15})((?:\s+[A-Za-z]+\s*=\s*(?:"[^"<]{0,64}"|'[^'<]{0,64}'))*)\s*(\/?)>/.exec(
        this.text.slice(this.pos, this.pos + 256),
      );
    if (!match) this.fail('malformed or over-long tag', start);
    const name = match[1] ?? '';
    const attributes = match[2] ?? '';
    if (attributes.trim() !== '') {
      if (name !== 'plist' || !/^\s*version\s*=\s*(["'])[0-9.]{1,8}\1\s*$/.test(attributes)) {
        this.fail(`attributes on <${name}> are refused`, start);
      }
    }
    this.pos += match[0].length;
    return { name, empty: match[3] === '/' };
  }

  private closeTag(name: string): void {
    const tag = `</${name}`;
    if (!this.startsWith(tag)) this.fail(`expected </${name}>`);
    this.pos += tag.length;
    this.skipSpace();
    if (!this.startsWith('>')) this.fail(`expected </${name}>`);
    this.pos += 1;
  }

  private count(): void {
    this.values += 1;
    if (this.values > this.limits.maxValues) {
      this.fail(`more than ${this.limits.maxValues} values`);
    }
  }

  private value(depth: number): PlistValue {
    if (depth > this.limits.maxDepth) this.fail(`nested deeper than ${this.limits.maxDepth}`);
    this.count();
    const start = this.pos;
    const tag = this.openTag();
    switch (tag.name) {
      case 'true':
      case 'false':
        if (!tag.empty) this.closeTag(tag.name);
        return tag.name === 'true';
      case 'dict':
        return tag.empty ? new Map() : this.dict(depth);
      case 'array':
        return tag.empty ? [] : this.array(depth);
      default:
        if (!SCALAR_TAGS.has(tag.name)) this.fail(`unknown element <${tag.name}>`, start);
        return this.scalar(tag.name, tag.empty ? '' : this.textUntil(tag.name), start);
    }
  }

  private dict(depth: number): PlistDict {
    const dict: PlistDict = new Map();
    for (;;) {
      this.skipMisc();
      if (this.startsWith('</')) {
        this.closeTag('dict');
        return dict;
      }
      const keyStart = this.pos;
      const key = this.openTag();
      if (key.name !== 'key') this.fail(`expected <key> in <dict>, found <${key.name}>`, keyStart);
      const name = key.empty ? '' : this.textUntil('key');
      if (dict.has(name)) this.fail(`duplicate key "${name.slice(0, 64)}"`, keyStart);
      this.skipMisc();
      if (this.startsWith('</')) this.fail(`key "${name.slice(0, 64)}" has no value`);
      dict.set(name, this.value(depth + 1));
    }
  }

  private array(depth: number): PlistValue[] {
    const array: PlistValue[] = [];
    for (;;) {
      this.skipMisc();
      if (this.startsWith('</')) {
        this.closeTag('array');
        return array;
      }
      array.push(this.value(depth + 1));
    }
  }

  /** Character data up to `</name>`, entities decoded, CDATA and comments read. */
  private textUntil(name: string): string {
    let out = '';
    for (;;) {
      const lt = this.text.indexOf('<', this.pos);
      if (lt < 0) this.fail(`<${name}> without an end`);
      out += this.decode(this.text.slice(this.pos, lt), this.pos);
      this.pos = lt;
      if (this.startsWith('<![CDATA[')) {
        const end = this.text.indexOf(']]>', this.pos);
        if (end < 0) this.fail('CDATA section without an end');
        out += this.text.slice(this.pos + 9, end);
        this.pos = end + 3;
      } else if (this.startsWith('<!--')) {
        this.skipComment();
      } else {
        this.closeTag(name);
        return out;
      }
    }
  }

  private decode(raw: string, at: number): string {
    if (raw.includes(']]>')) this.fail("']]>' in text", at);
    if (!raw.includes('&')) return raw;
    return raw.replace(/&([^;&\s]{0,12})(;?)/g, (_whole, body: string, semicolon: string) => {
      if (semicolon !== ';') this.fail('& without an entity', at);
      switch (body) {
        case 'lt':
          return '<';
        case 'gt':
          return '>';
        case 'amp':
          return '&';
        case 'quot':
          return '"';
        case 'apos':
          return "'";
      }
      const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(body);
      if (!numeric) this.fail(`entity &${body.slice(0, 12)}; is refused`, at);
      const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]);
      const allowed =
        code === 0x9 ||
        code === 0xa ||
        code === 0xd ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        (code >= 0x10000 && code <= 0x10ffff);
      if (!allowed) this.fail(`character reference &${body}; is not an XML character`, at);
      return String.fromCodePoint(code);
    });
  }

  private scalar(tag: string, text: string, at: number): PlistValue {
    switch (tag) {
      case 'string':
        return text;
      case 'integer': {
        const trimmed = text.trim();
        const match = /^([+-]?)(?:0[xX]([0-9A-Fa-f]{1,14})|([0-9]{1,16}))$/.exec(trimmed);
        const magnitude = match
          ? match[2] !== undefined
            ? parseInt(match[2], 16)
            : Number(match[3])
          : NaN;
        const value = match?.[1] === '-' ? -magnitude : magnitude;
        if (!Number.isSafeInteger(value))
          this.fail(`<integer> "${trimmed.slice(0, 32)}" is not a safe integer`, at);
        return value;
      }
      case 'real': {
        const trimmed = text.trim();
        if (!/^[+-]?(?:\d{1,40}(?:\.\d{0,40})?|\.\d{1,40})(?:[eE][+-]?\d{1,3})?$/.test(trimmed)) {
          this.fail(`<real> "${trimmed.slice(0, 32)}" is not a number`, at);
        }
        return Number(trimmed);
      }
      case 'date': {
        const trimmed = text.trim();
        if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(trimmed)) {
          this.fail(`<date> "${trimmed.slice(0, 32)}" is not YYYY-MM-DDTHH:MM:SSZ`, at);
        }
        return trimmed;
      }
      default: {
        const compact = text.replace(/[ \t\r\n]/g, '');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) this.fail('<data> is not base64', at);
        return compact;
      }
    }
  }
}

/** Index of the first character XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE/F). */
function firstControlCharacter(text: string): number {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x9 && code !== 0xa && code !== 0xd) || code >= 0xfffe) {
      return i;
    }
  }
  return -1;
}

function lineAt(text: string, at: number): number {
  let line = 1;
  const end = Math.min(at, text.length);
  for (let i = 0; i < end; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

/** Reads one XML property list; never throws. */
export function parseXmlPlist(
  text: string,
  limits: PlistLimits = DEFAULT_PLIST_LIMITS,
): PlistParseResult {
  if (typeof text !== 'string') return { ok: false, error: 'not text', line: 0 };
  if (text.length > limits.maxChars) {
    return { ok: false, error: `longer than ${limits.maxChars} characters`, line: 0 };
  }
  if (text.startsWith('bplist')) {
    return { ok: false, error: 'binary property list: convert it with plutil first', line: 0 };
  }
  const control = firstControlCharacter(text);
  if (control >= 0) {
    return { ok: false, error: 'control character in the document', line: lineAt(text, control) };
  }
  try {
    return { ok: true, value: new Reader(text, limits).document() };
  } catch (error) {
    if (error instanceof PlistError) {
      return { ok: false, error: error.message, line: lineAt(text, error.at) };
    }
    return { ok: false, error: 'unexpected reader failure', line: 0 };
  }
}

export function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return value instanceof Map;
}
