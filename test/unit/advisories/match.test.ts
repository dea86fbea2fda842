/**
 * Every row of ollama-facts.md "Known advisories (affected → fixed)", matched at its
 * boundaries. The table is written out again here, on purpose: data.ts and this copy must
 * agree, so a slip in either shows.
 */
import { describe, expect, it } from 'vitest';
import { ADVISORIES } from '../../../electron/engine/advisories/data';
import {
  DEV_BUILD_NOTE,
  advisoriesAffecting,
  isDevBuild,
  versionAdvisoryStatus,
} from '../../../electron/engine/advisories/match';

/** id(s) | affected (as written) | fixed display text (null: none known). */
const TABLE: [string[], string, string | null][] = [
  [['CVE-2024-28224'], '< 0.1.29', '0.1.29'],
  [['CVE-2024-37032'], '< 0.1.34', '0.1.34'],
  [['CVE-2024-39721'], '< 0.1.34', '0.1.34'],
  [['CVE-2025-44779'], '0.1.33', '0.1.34'],
  [['CVE-2024-39720'], '< 0.1.46', '0.1.46'],
  [['CVE-2024-39722'], '< 0.1.46', '0.1.46'],
  [['CVE-2024-45436'], '< 0.1.47', '0.1.47'],
  [['CVE-2024-39719'], '<= 0.3.14', null], // not stated
  [['CVE-2024-12886'], '0.3.14', '0.4.0'],
  [['CVE-2025-0312', 'CVE-2025-0315', 'CVE-2025-0317', 'CVE-2024-12055'], '<= 0.3.14', null],
  [['CVE-2025-1975'], '0.5.11', null],
  [['CVE-2025-51471'], '0.6.7', '0.14.3 (inferred)'],
  [['CVE-2025-63389'], '<= 0.12.3', null], // no patch (by design)
  [['CVE-2026-7482'], '< 0.17.1', '0.17.1'],
  [['CVE-2026-42248', 'CVE-2026-42249'], '0.12.10 - 0.17.5', '0.23.3 (inferred)'],
  [['CVE-2026-7020'], '<= 0.20.2', null],
];

/** [id, version, platform, affected?] at each row's boundaries: just below, at, just above. */
const BOUNDARIES: [string, string, string, boolean][] = [
  // < 0.1.29
  ['CVE-2024-28224', '0.1.28', 'linux', true],
  ['CVE-2024-28224', '0.1.29-rc1', 'linux', true],
  ['CVE-2024-28224', '0.1.29', 'linux', false],
  ['CVE-2024-28224', '0.1.30', 'linux', false],
  ['CVE-2024-28224', '0.1.3', 'linux', true],
  // < 0.1.34
  ['CVE-2024-37032', '0.1.33', 'linux', true],
  ['CVE-2024-37032', '0.1.34', 'linux', false],
  ['CVE-2024-37032', '0.1.35', 'linux', false],
  ['CVE-2024-39721', '0.1.33', 'darwin', true],
  ['CVE-2024-39721', '0.1.34', 'darwin', false],
  ['CVE-2024-39721', '0.1.35', 'darwin', false],
  // 0.1.33 exactly
  ['CVE-2025-44779', '0.1.32', 'linux', false],
  ['CVE-2025-44779', '0.1.33', 'linux', true],
  ['CVE-2025-44779', 'v0.1.33', 'linux', true],
  ['CVE-2025-44779', '0.1.34', 'linux', false],
  // < 0.1.46
  ['CVE-2024-39720', '0.1.45', 'linux', true],
  ['CVE-2024-39720', '0.1.46', 'linux', false],
  ['CVE-2024-39720', '0.1.47', 'linux', false],
  ['CVE-2024-39722', '0.1.45', 'win32', true],
  ['CVE-2024-39722', '0.1.46', 'win32', false],
  ['CVE-2024-39722', '0.1.47', 'win32', false],
  // < 0.1.47
  ['CVE-2024-45436', '0.1.46', 'linux', true],
  ['CVE-2024-45436', '0.1.47', 'linux', false],
  ['CVE-2024-45436', '0.1.48', 'linux', false],
  // <= 0.3.14
  ['CVE-2024-39719', '0.3.13', 'linux', true],
  ['CVE-2024-39719', '0.3.14', 'linux', true],
  ['CVE-2024-39719', '0.3.15', 'linux', false],
  ['CVE-2024-39719', '0.4.0', 'linux', false],
  // 0.3.14 exactly
  ['CVE-2024-12886', '0.3.13', 'linux', false],
  ['CVE-2024-12886', '0.3.14', 'linux', true],
  ['CVE-2024-12886', '0.3.15', 'linux', false],
  // <= 0.3.14, the family
  ['CVE-2025-0312', '0.3.14', 'linux', true],
  ['CVE-2025-0315', '0.3.13', 'linux', true],
  ['CVE-2025-0317', '0.3.14', 'linux', true],
  ['CVE-2025-0317', '0.3.15', 'linux', false],
  ['CVE-2024-12055', '0.3.14', 'linux', true],
  ['CVE-2024-12055', '0.4.0', 'linux', false],
  // 0.5.11 exactly
  ['CVE-2025-1975', '0.5.10', 'linux', false],
  ['CVE-2025-1975', '0.5.11', 'linux', true],
  ['CVE-2025-1975', '0.5.12', 'linux', false],
  // 0.6.7 exactly: only what is known affected, though the fix is inferred in 0.14.3
  ['CVE-2025-51471', '0.6.6', 'linux', false],
  ['CVE-2025-51471', '0.6.7', 'linux', true],
  ['CVE-2025-51471', '0.6.8', 'linux', false],
  ['CVE-2025-51471', '0.14.2', 'linux', false],
  // <= 0.12.3
  ['CVE-2025-63389', '0.12.2', 'linux', true],
  ['CVE-2025-63389', '0.12.3', 'linux', true],
  ['CVE-2025-63389', '0.12.4', 'linux', false],
  ['CVE-2025-63389', '0.12.10', 'linux', false],
  // < 0.17.1
  ['CVE-2026-7482', '0.17.0', 'linux', true],
  ['CVE-2026-7482', '0.17.1-rc0', 'linux', true],
  ['CVE-2026-7482', '0.17.1', 'linux', false],
  ['CVE-2026-7482', '0.17.2', 'linux', false],
  // 0.12.10 - 0.17.5, Windows only
  ['CVE-2026-42248', '0.12.9', 'win32', false],
  ['CVE-2026-42248', '0.12.10', 'win32', true],
  ['CVE-2026-42248', '0.17.5', 'win32', true],
  ['CVE-2026-42248', '0.17.6', 'win32', false],
  ['CVE-2026-42249', '0.12.10', 'win32', true],
  ['CVE-2026-42249', '0.17.5', 'win32', true],
  ['CVE-2026-42248', '0.12.10', 'linux', false],
  ['CVE-2026-42248', '0.15.0', 'darwin', false],
  ['CVE-2026-42249', '0.17.5', 'linux', false],
  // <= 0.20.2
  ['CVE-2026-7020', '0.20.1', 'linux', true],
  ['CVE-2026-7020', '0.20.2', 'linux', true],
  ['CVE-2026-7020', '0.20.3', 'linux', false],
  ['CVE-2026-7020', '0.33.0-rc2', 'linux', false],
];

const ids = (version: string, platform?: string) =>
  advisoriesAffecting(version, platform).map((a) => a.id);

describe('advisory data mirrors ollama-facts.md', () => {
  it('has every row of the table, in order, with its affected and fixed text', () => {
    expect(ADVISORIES.map((r) => [r.ids, r.affected, r.fixed])).toEqual(TABLE);
  });

  it('keeps the table words when no fixed version is known, and never a version there', () => {
    const notes = Object.fromEntries(ADVISORIES.map((r) => [r.ids[0], r.fixedNote]));
    expect(notes['CVE-2024-39719']).toBe('not stated');
    expect(notes['CVE-2025-0312']).toBe('none listed');
    expect(notes['CVE-2025-1975']).toBe('none listed');
    expect(notes['CVE-2025-63389']).toBe('no patch (by design)');
    expect(notes['CVE-2026-7020']).toBe('none listed');
    for (const r of ADVISORIES) {
      expect(r.fixed === null, r.ids[0]).toBe(r.fixedNote !== null);
      if (r.range.fixedIn) expect(r.fixed, r.ids[0]).toBe(r.range.fixedIn);
    }
  });

  it('marks inferred fixes as inferred', () => {
    for (const r of ADVISORIES) {
      if (r.fixed?.includes('inferred')) expect(r.fixed).toMatch(/^\d+\.\d+\.\d+ \(inferred\)$/);
    }
    expect(advisoriesAffecting('0.6.7').find((a) => a.id === 'CVE-2025-51471')?.fixed).toBe(
      '0.14.3 (inferred)',
    );
  });

  it('gives each id its NVD and osv.dev pages, plus confirmed GitHub and Go entries', () => {
    for (const id of ADVISORIES.flatMap((r) => r.ids)) {
      const advisory = advisoriesAffecting(exampleVersion(id), 'win32').find((a) => a.id === id);
      expect(advisory, id).toBeDefined();
      expect(advisory!.sources[0]).toBe(`https://nvd.nist.gov/vuln/detail/${id}`);
      expect(advisory!.sources[1]).toBe(`https://osv.dev/vulnerability/${id}`);
      for (const url of advisory!.sources.slice(2)) {
        expect(url).toMatch(/^https:\/\/(github\.com\/advisories\/GHSA-|pkg\.go\.dev\/vuln\/GO-)/);
      }
    }
    const probllama = advisoriesAffecting('0.1.33').find((a) => a.id === 'CVE-2024-37032');
    expect(probllama?.sources).toEqual([
      'https://nvd.nist.gov/vuln/detail/CVE-2024-37032',
      'https://osv.dev/vulnerability/CVE-2024-37032',
      'https://github.com/advisories/GHSA-8hqg-whrw-pv92',
      'https://pkg.go.dev/vuln/GO-2024-2901',
    ]);
  });
});

/** A version known to be affected by this id, from the boundary table. */
function exampleVersion(id: string): string {
  const row = BOUNDARIES.find(([i, , , affected]) => i === id && affected);
  if (!row) throw new Error(`no affected example for ${id}`);
  return row[1];
}

describe('advisoriesAffecting: every row at its boundaries', () => {
  it.each(BOUNDARIES)('%s, version %s on %s: affected %s', (id, version, platform, affected) => {
    expect(ids(version, platform).includes(id)).toBe(affected);
  });

  it('covers every id of the table with affected and unaffected versions', () => {
    for (const id of ADVISORIES.flatMap((r) => r.ids)) {
      const rows = BOUNDARIES.filter(([i]) => i === id);
      expect(
        rows.some(([, , , a]) => a),
        id,
      ).toBe(true);
    }
    for (const r of ADVISORIES) {
      expect(
        BOUNDARIES.some(([i, , , a]) => r.ids.includes(i) && !a),
        r.ids[0],
      ).toBe(true);
    }
  });

  it('"none listed" shows null as the fixed version', () => {
    const family = advisoriesAffecting('0.3.14').filter((a) =>
      ['CVE-2025-0312', 'CVE-2025-0315', 'CVE-2025-0317', 'CVE-2024-12055'].includes(a.id),
    );
    expect(family).toHaveLength(4);
    for (const a of family) expect(a.fixed).toBeNull();
    expect(advisoriesAffecting('0.5.11').find((a) => a.id === 'CVE-2025-1975')?.fixed).toBeNull();
    expect(advisoriesAffecting('0.20.2').find((a) => a.id === 'CVE-2026-7020')?.fixed).toBeNull();
    expect(advisoriesAffecting('0.3.14').find((a) => a.id === 'CVE-2024-39719')?.fixed).toBeNull();
    expect(advisoriesAffecting('0.12.3').find((a) => a.id === 'CVE-2025-63389')?.fixed).toBeNull();
  });

  it('shows the affected range as the table writes it', () => {
    const a = advisoriesAffecting('0.15.0', 'win32').find((x) => x.id === 'CVE-2026-42249');
    expect(a).toMatchObject({ affected: '0.12.10 - 0.17.5', fixed: '0.23.3 (inferred)' });
  });

  it('Windows-only advisories match only on win32; platform defaults to linux', () => {
    expect(ids('0.15.0')).not.toContain('CVE-2026-42248');
    expect(ids('0.15.0', 'linux')).not.toContain('CVE-2026-42248');
    expect(ids('0.15.0', 'darwin')).not.toContain('CVE-2026-42248');
    expect(ids('0.15.0', 'win32')).toEqual(
      expect.arrayContaining(['CVE-2026-42248', 'CVE-2026-42249']),
    );
  });

  it('lists a very old version under every advisory that has no lower bound', () => {
    expect(ids('0.1.0')).toEqual([
      'CVE-2024-28224',
      'CVE-2024-37032',
      'CVE-2024-39721',
      'CVE-2024-39720',
      'CVE-2024-39722',
      'CVE-2024-45436',
      'CVE-2024-39719',
      'CVE-2025-0312',
      'CVE-2025-0315',
      'CVE-2025-0317',
      'CVE-2024-12055',
      'CVE-2025-63389',
      'CVE-2026-7482',
      'CVE-2026-7020',
    ]);
  });

  it('a current version is affected by nothing listed', () => {
    expect(ids('0.33.0', 'win32')).toEqual([]);
    expect(ids('0.33.0-rc2', 'linux')).toEqual([]);
  });

  it('judges a git describe build as the release it is built on', () => {
    expect(ids('0.1.33-5-gabc1234')).toContain('CVE-2025-44779');
    expect(ids('0.3.14-2-gabc1234-dirty')).toContain('CVE-2024-39719');
    expect(ids('0.17.1-1-gabc1234')).not.toContain('CVE-2026-7482');
  });
});

describe('development builds and unknown versions', () => {
  it('0.0.0 matches nothing and is reported as a development build', () => {
    expect(isDevBuild('0.0.0')).toBe(true);
    expect(isDevBuild('v0.0.0')).toBe(true);
    expect(isDevBuild('0.0.1')).toBe(false);
    expect(isDevBuild('garbage')).toBe(false);
    expect(advisoriesAffecting('0.0.0')).toEqual([]);
    expect(advisoriesAffecting('0.0.0', 'win32')).toEqual([]);
    expect(versionAdvisoryStatus('0.0.0')).toEqual({
      status: 'dev-build',
      advisories: [],
      note: DEV_BUILD_NOTE,
    });
    expect(DEV_BUILD_NOTE).toBe('development build, version unknown for advisory purposes');
  });

  it('garbage matches nothing and says advisories could not be checked', () => {
    expect(advisoriesAffecting('garbage')).toEqual([]);
    expect(advisoriesAffecting('')).toEqual([]);
    expect(versionAdvisoryStatus('not-a-version\u001b[2J')).toMatchObject({
      status: 'unknown',
      note: 'version not recognised: advisories could not be checked',
    });
    expect(versionAdvisoryStatus(null)).toMatchObject({
      status: 'unknown',
      note: 'version unknown: advisories could not be checked',
    });
  });

  it('a known version is checked', () => {
    const status = versionAdvisoryStatus('0.6.7');
    expect(status.status).toBe('checked');
    expect(status.advisories.map((a) => a.id)).toEqual([
      'CVE-2025-51471',
      'CVE-2025-63389',
      'CVE-2026-7482',
      'CVE-2026-7020',
    ]);
    expect(versionAdvisoryStatus('0.5.1-3-gabc1234').note).toMatch(/source build 3 commit/);
  });
});
