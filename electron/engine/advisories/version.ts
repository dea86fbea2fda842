/**
 * Ollama's version strings, parsed and ordered the way its releases are.
 *
 * What Ollama really reports (`/api/version`, `ollama --version`, the server log):
 * - releases `0.1.29`, `0.12.10`: numeric parts, so 0.12.10 > 0.12.9 and 0.1.29 > 0.1.3;
 * - pre-releases `0.33.0-rc2`: before their release, and rc2 < rc10 (natural order, not
 *   SemVer's lexical order of alphanumeric identifiers, which would put rc10 first);
 * - a leading `v` from a tag (`v0.5.1`);
 * - `0.0.0`: the version compiled in when the build did not set one (a source build); it says
 *   nothing about which code it is;
 * - source builds that `git describe` named, `0.5.1-3-gabc1234` or `…-dirty`: that many
 *   commits after v0.5.1. They sort after their release and before the next one.
 * Anything else is not a version: `parseOllamaVersion` returns null.
 */

export interface ParsedVersion {
  /** The text as given, trimmed. */
  raw: string;
  major: number;
  minor: number;
  patch: number;
  /** Pre-release tokens, digits and letters split apart: `rc10` → ['rc', 10]. Empty for a release. */
  prerelease: (string | number)[];
  /** Commits after the release for a `git describe` build (`0.5.1-3-gabc1234`); null otherwise. */
  commitsAfter: number | null;
  /** `0.0.0`: a development build whose version is unknown. */
  devBuild: boolean;
}

/** Long enough for any real version; a longer string is not one. */
const MAX_VERSION_LENGTH = 64;
/** Numeric parts beyond this many digits are not a version (and would lose precision). */
const MAX_DIGITS = 9;

const VERSION =
  /^v?(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?(?:-([0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*))?(?:\+[0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*)?$/i;
/** `git describe --long` suffix: commits since the tag, `g` + abbreviated hash, maybe `-dirty`. */
const GIT_DESCRIBE = /(?:^|-)(\d{1,9})-g[0-9a-f]{4,40}(?:-dirty)?$/i;

function tokens(prerelease: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of prerelease.split(/[.-]/)) {
    for (const run of part.match(/\d+|\D+/g) ?? []) {
      out.push(/^\d+$/.test(run) && run.length <= MAX_DIGITS ? Number(run) : run.toLowerCase());
    }
  }
  return out;
}

export function parseOllamaVersion(text: string | null | undefined): ParsedVersion | null {
  if (typeof text !== 'string') return null;
  const raw = text.trim();
  if (raw.length === 0 || raw.length > MAX_VERSION_LENGTH) return null;
  const match = VERSION.exec(raw);
  if (!match) return null;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const patch = Number(match[3] ?? '0');
  const suffix = match[4] ?? null;
  let prerelease: (string | number)[] = [];
  let commitsAfter: number | null = null;
  if (suffix !== null) {
    const describe = GIT_DESCRIBE.exec(suffix);
    if (describe) commitsAfter = Number(describe[1]);
    const rest = describe ? suffix.slice(0, describe.index) : suffix;
    if (rest.length > 0) prerelease = tokens(rest);
  }
  return {
    raw,
    major,
    minor,
    patch,
    prerelease,
    commitsAfter,
    devBuild: major === 0 && minor === 0 && patch === 0,
  };
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function comparePrerelease(a: (string | number)[], b: (string | number)[]): -1 | 0 | 1 {
  // A release (no tokens) sorts after every pre-release of the same numbers.
  if (a.length === 0 || b.length === 0) return sign(b.length - a.length);
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return sign(x - y);
    // SemVer: numeric identifiers sort before alphanumeric ones.
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return sign(a.length - b.length);
}

function toParsed(value: ParsedVersion | string): ParsedVersion {
  if (typeof value !== 'string') return value;
  const parsed = parseOllamaVersion(value);
  if (!parsed) throw new TypeError(`not an Ollama version: ${JSON.stringify(value.slice(0, 80))}`);
  return parsed;
}

/**
 * Orders two versions: -1 when a is older than b. Strings are parsed first and throw a
 * TypeError when they are not versions (parse untrusted text with `parseOllamaVersion`).
 * `0.0.0` compares as the number it is; whether a dev build is affected is the matcher's call.
 */
export function compareVersions(a: ParsedVersion | string, b: ParsedVersion | string): -1 | 0 | 1 {
  const x = toParsed(a);
  const y = toParsed(b);
  const numbers = sign(x.major - y.major) || sign(x.minor - y.minor) || sign(x.patch - y.patch);
  if (numbers !== 0) return numbers;
  const pre = comparePrerelease(x.prerelease, y.prerelease);
  if (pre !== 0) return pre;
  return sign((x.commitsAfter ?? -1) - (y.commitsAfter ?? -1));
}

/** The release a version is built on: `0.5.1-3-gabc1234` → 0.5.1 (pre-release kept). */
export function baseRelease(version: ParsedVersion): ParsedVersion {
  return version.commitsAfter === null ? version : { ...version, commitsAfter: null };
}
