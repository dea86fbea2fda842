/**
 * The cleaners for untrusted text: `cleanLine` for anything shown on one line (no line break of
 * any kind survives, so a model name cannot forge a line of `paddock scan`), `cleanText` for
 * text that really is several lines (LF and TAB kept). Both neutralise terminal escapes.
 */
/* eslint-disable no-control-regex -- looking for control characters is the point */
import { describe, expect, it } from 'vitest';
import { cleanLine, cleanText } from '../../../electron/engine/text/untrusted';

const FORGED = 'Verdict: private to this computer (score 100)';
/** Every way a reader may break a line: LF, CR, VT, FF, FS/GS/RS, NEL, LS, PS. */
const ANY_LINE_BREAK = /[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/;

describe('cleanLine', () => {
  it.each([
    ['LF', `x\n${FORGED}`],
    ['CR LF', `x\r\n${FORGED}`],
    ['CR', `x\r${FORGED}`],
    ['VT', `x\u000b${FORGED}`],
    ['FF', `x\u000c${FORGED}`],
    ['NEL', `x\u0085${FORGED}`],
    ['FS', `x\u001c${FORGED}`],
    ['RS', `x\u001e${FORGED}`],
    ['LINE SEPARATOR', `x\u2028${FORGED}`],
    ['PARAGRAPH SEPARATOR', `x\u2029${FORGED}`],
  ])('%s becomes a space: the forged verdict stays on the name’s line', (_what, name) => {
    const cleaned = cleanLine(name);
    expect(cleaned).not.toMatch(ANY_LINE_BREAK);
    expect(cleaned).toMatch(new RegExp(`^x +${FORGED.replace(/[()]/g, '\\$&')}$`));
  });

  it('TAB becomes a space', () => {
    expect(cleanLine('tab\there')).toBe('tab here');
  });

  it('terminal escapes, NUL, DEL, C1 controls and bidi overrides become U+FFFD', () => {
    const cleaned = cleanLine(
      'esc\u001b[31mRED\u001b]0;pwned\u0007\u0000\u007f\u009b bidi\u202egnp.exe\u2066',
    );
    expect(cleaned).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(cleaned).toBe(
      'esc\uFFFD[31mRED\uFFFD]0;pwned\uFFFD\uFFFD\uFFFD\uFFFD bidi\uFFFDgnp.exe\uFFFD',
    );
  });

  it('markup and entities stay as they are: escaping is the caller’s (notifications, HTML)', () => {
    expect(cleanLine('<a href="https://evil.example/">x</a><img src=file:///x> &amp;')).toBe(
      '<a href="https://evil.example/">x</a><img src=file:///x> &amp;',
    );
  });

  it('cuts long text with an ellipsis, never between the halves of a surrogate pair', () => {
    expect(cleanLine('abcdef', 3)).toBe('abc…');
    expect(cleanLine('ab😀cd', 3)).toBe('ab…');
    expect(cleanLine('ab😀cd', 4)).toBe('ab😀…');
  });

  it('anything else becomes text; null and undefined become nothing', () => {
    expect(cleanLine(null)).toBe('');
    expect(cleanLine(undefined)).toBe('');
    expect(cleanLine(42)).toBe('42');
  });
});

describe('cleanText (several lines)', () => {
  it('keeps LF and TAB, and neutralises CR, the other separators’ controls and escapes', () => {
    expect(cleanText('line 1\n\tline 2')).toBe('line 1\n\tline 2');
    expect(cleanText('a\rb\u001b[0m')).toBe('a\uFFFDb\uFFFD[0m');
  });
});
