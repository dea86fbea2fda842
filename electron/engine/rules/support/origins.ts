/**
 * OLLAMA_ORIGINS as Ollama and gin-contrib/cors v1.7.2 read it (ollama-facts.md,
 * "OLLAMA_ORIGINS (CORS)"): envconfig.Var trims the whole value, then it is split on commas
 * with no trimming of the entries; Ollama appends its built-ins (all valid) and turns on
 * AllowWildcard and AllowBrowserExtensions. At start, cors.New panics when an entry
 *   - has no `*` and does not start with an allowed scheme (Config.Validate: "bad origin"), or
 *   - has more than one `*` (parseWildcardRules: "only one * is allowed").
 * An entry with one `*` matches every origin that starts with the part before it and ends
 * with the part after it; the single entry `*` allows every origin.
 */
import { ollamaTrim } from '../../ollama/listen-address';
import { plain } from './words';

/** Schemes an entry without `*` may start with: cors.DefaultSchemas + ExtensionSchemas. */
export const ALLOWED_ORIGIN_SCHEMES = [
  'http://',
  'https://',
  'chrome-extension://',
  'safari-extension://',
  'moz-extension://',
  'ms-browser-extension://',
] as const;

const WEB_SCHEMES = ['http://', 'https://'];
const EXTENSION_SCHEMES = ALLOWED_ORIGIN_SCHEMES.filter((s) => !WEB_SCHEMES.includes(s));

/** The user's entries, exactly as Ollama hands them to the CORS middleware; [] when unset. */
export function originEntries(raw: string): string[] {
  const value = ollamaTrim(raw);
  return value === '' ? [] : value.split(',');
}

export interface OriginCrash {
  entry: string;
  /** Why cors.New panics on it, in plain words. */
  reason: string;
}

/** The entry that makes `ollama serve` panic at start, in the order Go checks; null: none. */
export function originsCrash(raw: string): OriginCrash | null {
  const entries = originEntries(raw);
  for (const entry of entries) {
    if (entry.includes('*') || ALLOWED_ORIGIN_SCHEMES.some((s) => entry.startsWith(s))) continue;
    let reason: string;
    if (entry === '') reason = 'an empty entry (two commas in a row, or a comma at the end)';
    else if (/^\s/.test(entry))
      reason =
        'a space after a comma: Ollama does not trim entries, so this one does not start with http:// or https://';
    else
      reason = `it has no * and does not start with ${ALLOWED_ORIGIN_SCHEMES.join(', ')} (the scheme is case-sensitive)`;
    return { entry, reason };
  }
  for (const entry of entries)
    if (entry.split('*').length > 2)
      return { entry, reason: 'more than one * in one entry (the CORS library allows only one)' };
  return null;
}

export interface BroadOrigin {
  entry: string;
  /** any-site: every web page (or every page of a whole top-level domain or port); any-extension: every installed browser extension. */
  reach: 'any-site' | 'any-extension';
  words: string;
}

/** A prefix with no host in it: "", "h", "https", "https://", "chrome-extension://". */
function schemeOnly(prefix: string): boolean {
  return /^[A-Za-z0-9+.-]*(:\/{0,2})?$/.test(prefix);
}

/** No registrable domain after the star: "", ".com", ":8080", "/". */
function noDomain(suffix: string): boolean {
  return !suffix.replace(/^\./, '').includes('.');
}

function reachOfPrefix(prefix: string): BroadOrigin['reach'] | null {
  if (prefix === '' || WEB_SCHEMES.some((s) => s.startsWith(prefix) || prefix.startsWith(s)))
    return 'any-site';
  if (EXTENSION_SCHEMES.some((s) => s.startsWith(prefix))) return 'any-extension';
  return null; // app://*, file://*, a custom scheme: not something a web page can claim
}

/** Entries that let every web site (or every browser extension) call the API from the browser. */
export function broadOrigins(raw: string): BroadOrigin[] {
  const broad: BroadOrigin[] = [];
  for (const entry of originEntries(raw)) {
    if (entry === '*') {
      broad.push({
        entry,
        reach: 'any-site',
        words: '"*" lets every web site call the API from your browser',
      });
      continue;
    }
    const parts = entry.split('*');
    if (parts.length !== 2) continue; // no wildcard, or one that crashes (originsCrash)
    const [prefix, suffix] = parts as [string, string];
    if (!schemeOnly(prefix) || !noDomain(suffix)) continue;
    const reach = reachOfPrefix(prefix);
    if (!reach) continue;
    const scope =
      suffix === ''
        ? reach === 'any-site'
          ? 'every web site'
          : 'every installed browser extension'
        : `every site ending in "${plain(suffix, 60)}"`;
    broad.push({
      entry,
      reach,
      words: `"${plain(entry, 80)}" lets ${scope} call the API from your browser`,
    });
  }
  return broad;
}
