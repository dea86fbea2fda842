import { describe, expect, it } from 'vitest';
import {
  baseRelease,
  compareVersions,
  parseOllamaVersion,
} from '../../../electron/engine/advisories/version';

describe('compareVersions: Ollama version strings', () => {
  it.each([
    // numeric, not lexical
    ['0.1.29', '0.1.3', 1],
    ['0.1.3', '0.1.29', -1],
    ['0.12.10', '0.12.9', 1],
    ['0.12.9', '0.12.10', -1],
    ['0.12.10', '0.12.10', 0],
    ['1.0.0', '0.99.99', 1],
    ['0.4.0', '0.3.14', 1],
    // a pre-release sorts before its release, rc2 < rc10 (natural order, not SemVer's lexical)
    ['0.33.0-rc2', '0.33.0', -1],
    ['0.33.0', '0.33.0-rc2', 1],
    ['0.33.0-rc2', '0.33.0-rc10', -1],
    ['0.33.0-rc10', '0.33.0-rc2', 1],
    ['0.33.0-rc2', '0.33.0-rc2', 0],
    ['0.33.0-rc9', '0.32.9', 1],
    ['0.33.0-rc.2', '0.33.0-rc.10', -1],
    ['0.33.0-alpha', '0.33.0-rc1', -1],
    // a leading v changes nothing
    ['v0.5.1', '0.5.1', 0],
    ['v0.5.1', '0.5.2', -1],
    ['V0.5.1', 'v0.5.0', 1],
    // git describe builds: after their release, before the next one
    ['0.5.1-3-gabc1234', '0.5.1', 1],
    ['0.5.1-3-gabc1234', '0.5.2', -1],
    ['0.5.1-3-gabc1234', '0.5.1-12-gabc1234', -1],
    ['0.5.1-3-gabc1234-dirty', '0.5.1-3-gabc1234', 0],
    // build metadata is ignored
    ['0.5.1+linux', '0.5.1', 0],
    // two parts: patch 0
    ['0.5', '0.5.0', 0],
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });

  it('is antisymmetric and transitive over a sorted list', () => {
    const sorted = [
      '0.0.0',
      '0.1.3',
      '0.1.28',
      '0.1.29-rc1',
      '0.1.29',
      '0.1.29-2-g0123abc',
      '0.1.30',
      '0.3.14',
      '0.12.9',
      '0.12.10',
      '0.33.0-rc2',
      '0.33.0-rc10',
      '0.33.0',
    ];
    for (let i = 0; i < sorted.length; i += 1) {
      for (let j = 0; j < sorted.length; j += 1) {
        const a = sorted[i] as string;
        const b = sorted[j] as string;
        expect(compareVersions(a, b), `${a} vs ${b}`).toBe(Math.sign(i - j));
      }
    }
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareVersions)).toEqual(sorted);
  });

  it('throws on a string that is not a version (parse untrusted text first)', () => {
    expect(() => compareVersions('garbage', '0.1.0')).toThrow(TypeError);
  });
});

describe('parseOllamaVersion', () => {
  it('parses releases, pre-releases and the v prefix', () => {
    expect(parseOllamaVersion('0.12.10')).toMatchObject({
      major: 0,
      minor: 12,
      patch: 10,
      prerelease: [],
      commitsAfter: null,
      devBuild: false,
    });
    expect(parseOllamaVersion('0.33.0-rc2')).toMatchObject({ prerelease: ['rc', 2] });
    expect(parseOllamaVersion(' v0.5.1\n')).toMatchObject({ raw: 'v0.5.1', minor: 5, patch: 1 });
  });

  it('0.0.0 is a development build', () => {
    expect(parseOllamaVersion('0.0.0')?.devBuild).toBe(true);
    expect(parseOllamaVersion('v0.0.0')?.devBuild).toBe(true);
    expect(parseOllamaVersion('0.0.0-4-gdeadbee')?.devBuild).toBe(true);
    expect(parseOllamaVersion('0.0.1')?.devBuild).toBe(false);
  });

  it('reads git describe builds as commits after their release', () => {
    const v = parseOllamaVersion('0.5.1-3-gabc1234-dirty');
    expect(v).toMatchObject({ patch: 1, prerelease: [], commitsAfter: 3 });
    expect(baseRelease(v!).commitsAfter).toBeNull();
    expect(parseOllamaVersion('0.33.0-rc2-1-gabc1234')).toMatchObject({
      prerelease: ['rc', 2],
      commitsAfter: 1,
    });
  });

  it.each([
    '',
    '   ',
    'garbage',
    'ollama version is 0.5.1',
    '0',
    '1.',
    '.1.2',
    '0.1.2.3',
    '0.1.2-',
    '0.1.2-rc 1',
    '0.1.x',
    '-0.1.2',
    'vv0.1.2',
    '0.1.2\u001b[31m',
    '1234567890.0.0',
    `0.1.2-${'a'.repeat(80)}`,
  ])('garbage %j → null', (text) => {
    expect(parseOllamaVersion(text)).toBeNull();
  });

  it('null and undefined → null', () => {
    expect(parseOllamaVersion(null)).toBeNull();
    expect(parseOllamaVersion(undefined)).toBeNull();
  });
});
