/**
 * OLLAMA_ORIGINS the way Ollama and gin-contrib/cors v1.7.2 read it (ollama-facts.md,
 * "OLLAMA_ORIGINS (CORS)"): which values crash `ollama serve` at start, which open the API to
 * every web page, and how the two rules report them.
 */
import { describe, expect, it } from 'vitest';
import { broadOrigins, originsCrash } from '../../electron/engine/rules/support/origins';
import originsTooBroad from '../../electron/engine/rules/origins-too-broad';
import originsCrashAtStart from '../../electron/engine/rules/origins-crash-at-start';
import { buildSnapshot, loopbackOllama, setting } from './snapshots';

describe('originsCrash: the values that make ollama serve panic', () => {
  const crashes: Array<[string, string, RegExp]> = [
    ['https://a.example, https://b.example', ' https://b.example', /space after a comma/],
    ['https://a.example,', '', /empty entry/],
    ['https://a.example,,https://b.example', '', /empty entry/],
    ['example.com', 'example.com', /no \* and does not start with/],
    ['HTTP://a.example', 'HTTP://a.example', /case-sensitive/],
    ['app://x', 'app://x', /no \*/],
    ['*, bad', ' bad', /space after a comma/],
    ['*://*', '*://*', /more than one \*/],
    ['https://*.example.*', 'https://*.example.*', /more than one \*/],
  ];
  for (const [value, entry, reason] of crashes)
    it(`${JSON.stringify(value)} crashes on ${JSON.stringify(entry)}`, () => {
      const crash = originsCrash(value);
      expect(crash?.entry).toBe(entry);
      expect(crash?.reason).toMatch(reason);
    });

  const fine = [
    '',
    '   ',
    '*',
    '"*"',
    'https://a.example,https://b.example',
    ' https://a.example ', // the whole value is trimmed, the entries are not
    'https://a.example, *', // " *" contains a star: valid (and matches nothing useful)
    'chrome-extension://abcdefghijklmnop',
    'moz-extension://*',
    'http://localhost:*',
    'vscode-webview://*',
  ];
  for (const value of fine)
    it(`${JSON.stringify(value)} starts`, () => expect(originsCrash(value)).toBeNull());
});

describe('broadOrigins: entries that let every site or extension in', () => {
  const broad: Array<[string, 'any-site' | 'any-extension']> = [
    ['*', 'any-site'],
    ['"*"', 'any-site'],
    ['https://*', 'any-site'],
    ['http://*', 'any-site'],
    ['http*', 'any-site'],
    ['*.com', 'any-site'],
    ['https://*.com', 'any-site'],
    ['http://*:3000', 'any-site'],
    ['chrome-extension://*', 'any-extension'],
    ['moz-extension://*', 'any-extension'],
    ['safari-extension://*', 'any-extension'],
  ];
  for (const [value, reach] of broad)
    it(`${JSON.stringify(value)} is ${reach}`, () =>
      expect(broadOrigins(value).map((b) => b.reach)).toEqual([reach]));

  const narrow = [
    'https://chat.example.com',
    'https://*.example.com',
    'http://localhost:*',
    'app://*',
    'vscode-webview://*',
    'chrome-extension://abcdefghijklmnop',
    '*://*', // crashes instead: two stars
    'https://a.example, *', // " *" matches only origins starting with a space
  ];
  for (const value of narrow)
    it(`${JSON.stringify(value)} is not broad`, () => expect(broadOrigins(value)).toEqual([]));
});

describe('origins-too-broad', () => {
  const snapshotWith = (value: string, state: 'effective' | 'latent' = 'effective') =>
    buildSnapshot({
      instances: [loopbackOllama({ settings: [setting('OLLAMA_ORIGINS', value, { state })] })],
    });

  it('"*" in force is high and says a loopback server is still reachable from web pages', () => {
    const [finding] = originsTooBroad.evaluate(snapshotWith('*'));
    expect(finding?.severity).toBe('high');
    expect(finding?.summary).toMatch(/even though it listens on this computer only/);
    expect(finding?.attackerCan[0]).toMatch(/llama3\.2:3b/);
  });

  it('extensions only is medium and speaks of extensions', () => {
    const [finding] = originsTooBroad.evaluate(snapshotWith('chrome-extension://*'));
    expect(finding?.severity).toBe('medium');
    expect(finding?.summary).toMatch(/any browser extension you install/);
  });

  it('"*" saved for the next start only is medium', () => {
    const [finding] = originsTooBroad.evaluate(snapshotWith('*', 'latent'));
    expect(finding?.severity).toBe('medium');
    expect(finding?.summary).toMatch(/saved for the next start/);
  });

  it('the fingerprint alone (no readable setting) is enough, and high', () => {
    const snapshot = buildSnapshot({ instances: [loopbackOllama({ foreignOriginAllowed: true })] });
    const [finding] = originsTooBroad.evaluate(snapshot);
    expect(finding?.severity).toBe('high');
    expect(finding?.evidence.join(' ')).toMatch(/foreign Origin/);
  });
});

describe('origins-crash-at-start', () => {
  it('names the bad entry, with the space that makes it bad', () => {
    const snapshot = buildSnapshot({
      instances: [
        loopbackOllama({ settings: [setting('OLLAMA_ORIGINS', 'https://a, https://b')] }),
      ],
    });
    const [finding] = originsCrashAtStart.evaluate(snapshot);
    expect(finding?.summary).toContain('the entry " https://b" is invalid');
  });
});
