/**
 * Which of a kind's advisories (servers/<kind>/index.ts, each from its section of
 * servers-facts.md) a version is in. Versions compare as releases do (advisories/version.ts):
 * 0.12.10 after 0.12.9. An unreadable version matches nothing.
 */
import type { Instance } from '../../../shared/snapshot';
import { compareVersions, parseOllamaVersion } from '../advisories/version';
import type { ServerAdvisory } from './kind';
import { kindById } from './registry';

export function affects(advisory: ServerAdvisory, version: string): boolean {
  const v = parseOllamaVersion(version);
  if (!v || v.devBuild) return false;
  if (advisory.from !== null && compareVersions(v, advisory.from) < 0) return false;
  if (advisory.fixed !== null) return compareVersions(v, advisory.fixed) < 0;
  return advisory.lastAffected !== undefined && compareVersions(v, advisory.lastAffected) <= 0;
}

/** The advisories of this server's kind that its version is in. */
export function advisoriesOf(instance: Instance): ServerAdvisory[] {
  if (instance.kind === 'ollama' || !instance.version) return [];
  const version = instance.version;
  return (kindById(instance.kind).advisories ?? []).filter((a) => affects(a, version));
}

/** "1.83.7 or later" for the highest fixed version among these, or null when none is known. */
export function upgradeTarget(advisories: readonly ServerAdvisory[]): string | null {
  const fixed = advisories.flatMap((a) => (a.fixed ? [a.fixed] : []));
  return fixed.sort((a, b) => compareVersions(b, a))[0] ?? null;
}

/** The affected range in words: "1.74.2 to before 1.83.7", "up to 0.3.32". */
export function rangeWords(a: ServerAdvisory): string {
  if (a.fixed === null) return `up to ${a.lastAffected ?? '?'} (no fixed version given)`;
  return a.from ? `${a.from} to before ${a.fixed}` : `before ${a.fixed}`;
}
