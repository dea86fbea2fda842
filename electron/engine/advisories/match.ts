/**
 * Which known advisories affect an Ollama version (the table in docs/ollama-facts.md, as data
 * in ./data.ts). Pure: no I/O.
 *
 * - An unparseable version, or `0.0.0` (a development build: its version says nothing about
 *   its code), matches nothing. Callers say so with `versionAdvisoryStatus` rather than
 *   showing a clean bill of health; `isDevBuild` tells the two apart.
 * - A source build named by `git describe` (`0.5.1-3-gabc1234`) is judged as the release it
 *   is built on: the cautious reading, since the commits after it may or may not carry a fix.
 * - Windows-only advisories match only when the platform is win32.
 */
import { ADVISORIES, sourcesFor } from './data';
import type { AdvisoryRecord, AffectedRange } from './data';
import { baseRelease, compareVersions, parseOllamaVersion } from './version';
import type { ParsedVersion } from './version';

export interface Advisory {
  id: string;
  summary: string;
  affected: string;
  fixed: string | null;
  sources: string[];
}

export const DEV_BUILD_NOTE = 'development build, version unknown for advisory purposes';

/** True for `0.0.0` (with or without a suffix): a build that did not set its version. */
export function isDevBuild(version: string | null | undefined): boolean {
  return parseOllamaVersion(version)?.devBuild ?? false;
}

function inRange(version: ParsedVersion, range: AffectedRange): boolean {
  if (range.exact) return range.exact.some((v) => compareVersions(version, v) === 0);
  if (range.introduced !== undefined && compareVersions(version, range.introduced) < 0) {
    return false;
  }
  if (range.fixedIn !== undefined && compareVersions(version, range.fixedIn) >= 0) return false;
  if (range.lastAffected !== undefined && compareVersions(version, range.lastAffected) > 0) {
    return false;
  }
  return true;
}

function toAdvisories(record: AdvisoryRecord): Advisory[] {
  return record.ids.map((id) => ({
    id,
    summary: record.summary,
    affected: record.affected,
    fixed: record.fixed,
    sources: sourcesFor(record, id),
  }));
}

/**
 * The advisories that affect this version on this platform, one per CVE id, in the table's
 * order. Empty for an unparseable version or a development build (see `isDevBuild`).
 */
export function advisoriesAffecting(
  version: string,
  platform: NodeJS.Platform | string = 'linux',
): Advisory[] {
  const parsed = parseOllamaVersion(version);
  if (!parsed || parsed.devBuild) return [];
  const judged = baseRelease(parsed);
  return ADVISORIES.filter(
    (record) =>
      (!record.platforms || (record.platforms as string[]).includes(platform)) &&
      inRange(judged, record.range),
  ).flatMap(toAdvisories);
}

export type VersionAdvisoryStatus =
  | { status: 'checked'; advisories: Advisory[]; note: string | null }
  | { status: 'dev-build' | 'unknown'; advisories: []; note: string };

/**
 * `advisoriesAffecting` with the reason when nothing could be checked, for a finding or a
 * report to show: a dev build or an unreadable version is not "no known advisories".
 */
export function versionAdvisoryStatus(
  version: string | null | undefined,
  platform: NodeJS.Platform | string = 'linux',
): VersionAdvisoryStatus {
  const parsed = parseOllamaVersion(version);
  if (!parsed) {
    return {
      status: 'unknown',
      advisories: [],
      note:
        version === null || version === undefined || version.trim() === ''
          ? 'version unknown: advisories could not be checked'
          : 'version not recognised: advisories could not be checked',
    };
  }
  if (parsed.devBuild) return { status: 'dev-build', advisories: [], note: DEV_BUILD_NOTE };
  return {
    status: 'checked',
    advisories: advisoriesAffecting(parsed.raw, platform),
    note:
      parsed.commitsAfter === null
        ? null
        : `source build ${parsed.commitsAfter} commit(s) after its release; judged as that release`,
  };
}
