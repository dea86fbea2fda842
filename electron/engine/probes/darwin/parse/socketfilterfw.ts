/**
 * The macOS application firewall as `/usr/libexec/ApplicationFirewall/socketfilterfw` reports
 * it. Apple documents the options (socketfilterfw(8), quoted in
 * herrbischoff/awesome-macos-command-line#194) but not their output, and the wording changed
 * across releases, so every reader accepts each wording found in public material and says
 * "unknown" (null) for anything else, never a guess. Sources, per command:
 *
 * --getglobalstate: "Firewall is enabled. (State = 1)" / "Firewall is disabled. (State = 0)"
 *   (jamf extension attributes, rgcr/m-cli#161); state 2 as "Firewall is enabled. (State = 2)"
 *   (rgcr/m-cli#160, #161; kolide/launcher test-data/data.txt) or "Firewall is blocking all
 *   non-essential incoming connections. (State = 2)" (dan-snelson/Mac-Health-Check#8).
 *   State 2 is the stored globalstate "on for essential services", but kolide/launcher#1842
 *   saw it with block-all disabled and stealth on, so block-all is read from --getblockall
 *   only; `state` keeps the number.
 * --getblockall: older "Block all DISABLED!" / "Block all ENABLED!" (public scripts and
 *   tests checking those strings), newer "Firewall has block all state set to disabled." /
 *   "... enabled." (kolide/launcher test-data, mondoohq/mql), and "Firewall is set to block
 *   all non-essential incoming connections" (krypted.com; what --setblockall on prints in
 *   rgcr/m-cli#161, read as on).
 * --getstealthmode: "Stealth mode enabled" / "Stealth mode disabled" (up to macOS 14; CIS
 *   benchmarks on tenable.com, kolide/launcher test-data), "Firewall stealth mode is on" /
 *   "... off" (macOS 15 and later, per public scripts and mondoohq/mql).
 * --getallowsigned: "Automatically allow signed built-in software ENABLED." and
 *   "Automatically allow downloaded signed software ENABLED." (two lines since macOS 12.3,
 *   kolide/launcher test-data; the two settings are AllowSigned / AllowSignedApp in Apple's
 *   com.apple.security.firewall payload); older single line "Automatically allow signed
 *   software ENABLED" (read as both). Some scripts quote "built-in signed"; both orders are read.
 * --listapps: three forms. "ALF: total number of apps = N" then per app "N :  PATH" and a
 *   line "( Allow incoming connections )" or "( Block incoming connections )" (CIS audits,
 *   public parsers); "Total number of apps = N" with "N : PATH" and "(Allow incoming
 *   connections)" (nix-darwin/nix-darwin#1705, 2026); "Total number of apps = N" then
 *   "NAME (state: S)" with S 1 allow and 4 block (kolide/launcher test-data/apps.txt,
 *   macOS 15). On macOS 15+ an entry may be a bundle identifier rather than a path
 *   (osquery's alf_exceptions spec).
 * --getappblocked PATH: the least documented. Forms seen: "The application PATH is
 *   permitted" / "... is blocked", "Incoming connection to PATH is permitted." (and "to the
 *   application"), "... is not part of the firewall". Read by those closing words, with PATH
 *   itself removed first so a word inside a path cannot decide.
 */

export const SOCKETFILTERFW = '/usr/libexec/ApplicationFirewall/socketfilterfw';
export const SOCKETFILTERFW_ARGV = {
  globalState: [SOCKETFILTERFW, '--getglobalstate'],
  blockAll: [SOCKETFILTERFW, '--getblockall'],
  stealthMode: [SOCKETFILTERFW, '--getstealthmode'],
  allowSigned: [SOCKETFILTERFW, '--getallowsigned'],
  listApps: [SOCKETFILTERFW, '--listapps'],
} as const;

export function getAppBlockedArgv(path: string): readonly string[] {
  return [SOCKETFILTERFW, '--getappblocked', path];
}

/** Outputs longer than this are not socketfilterfw's answers. */
const MAX_ANSWER_CHARS = 4096;
const MAX_LISTAPPS_CHARS = 4 * 1024 * 1024;
const MAX_APPS = 10_000;

function answer(text: string): string | null {
  if (typeof text !== 'string' || text.length > MAX_ANSWER_CHARS) return null;
  return text.replace(/\r/g, '');
}

export interface GlobalState {
  state: 'on' | 'off' | 'unknown';
  /** The `(State = N)` number, when printed. */
  stateNumber: number | null;
}

export function parseGlobalState(text: string): GlobalState {
  const body = answer(text);
  if (body === null) return { state: 'unknown', stateNumber: null };
  const number = /\(State = (\d)\)/.exec(body);
  const stateNumber = number ? Number(number[1]) : null;
  const enabled =
    /^Firewall is (?:enabled|blocking all non-essential incoming connections)\b/m.test(body);
  const disabled = /^Firewall is disabled\b/m.test(body);
  if (enabled === disabled) return { state: 'unknown', stateNumber };
  // The number must agree with the words when both are there.
  if (stateNumber !== null && (stateNumber === 0) !== disabled)
    return { state: 'unknown', stateNumber };
  if (stateNumber !== null && stateNumber > 2) return { state: 'unknown', stateNumber };
  return { state: enabled ? 'on' : 'off', stateNumber };
}

/** true, false, or null when the answer is none of the known sentences. */
function toggle(text: string, on: RegExp, off: RegExp): boolean | null {
  const body = answer(text);
  if (body === null) return null;
  const isOn = on.test(body);
  const isOff = off.test(body);
  return isOn === isOff ? null : isOn;
}

export function parseBlockAll(text: string): boolean | null {
  return toggle(
    text,
    /^(?:Block all ENABLED!|Firewall has block all state set to enabled\.?|Firewall is set to block all non-essential incoming connections)\s*$/m,
    /^(?:Block all DISABLED!|Firewall has block all state set to disabled\.?)\s*$/m,
  );
}

export function parseStealthMode(text: string): boolean | null {
  return toggle(
    text,
    /^(?:Stealth mode enabled|Firewall stealth mode is on)\s*$/m,
    /^(?:Stealth mode disabled|Firewall stealth mode is off)\s*$/m,
  );
}

export interface AllowSigned {
  /** Built-in (Apple-signed) software may receive connections without a rule. */
  allowSigned: boolean | null;
  /** Downloaded, validly signed software may too. */
  allowSignedDownloaded: boolean | null;
}

export function parseAllowSigned(text: string): AllowSigned {
  const body = answer(text);
  const result: AllowSigned = { allowSigned: null, allowSignedDownloaded: null };
  if (body === null) return result;
  for (const line of body.split('\n')) {
    const match =
      /^Automatically allow (built-in signed|signed built-in|downloaded signed|signed) software (ENABLED|DISABLED)\.?\s*$/.exec(
        line.trim(),
      );
    if (!match) continue;
    const value = match[2] === 'ENABLED';
    if (match[1] === 'downloaded signed') result.allowSignedDownloaded = value;
    else if (match[1] === 'signed') {
      // The single older line covered both kinds.
      result.allowSigned = value;
      result.allowSignedDownloaded ??= value;
    } else result.allowSigned = value;
  }
  return result;
}

export interface FirewallApp {
  /** As listed: a path, or (macOS 15+) a bundle identifier or a name. */
  path: string;
  /** true when `path` is an absolute path. */
  isPath: boolean;
  /** null: the listing gave a state this parser does not know. */
  allowIncoming: boolean | null;
}

export interface ListApps {
  /** The "total number of apps" the header announced; null when no header. */
  announced: number | null;
  apps: FirewallApp[];
  /** The header's count matches the apps read and every line was understood. */
  complete: boolean;
  /** Lines not understood (clipped), for the probe's message. */
  unparsed: string[];
}

export function parseListApps(text: string): ListApps {
  const result: ListApps = { announced: null, apps: [], complete: false, unparsed: [] };
  if (typeof text !== 'string' || text.length > MAX_LISTAPPS_CHARS) {
    result.unparsed.push('output missing or too long');
    return result;
  }
  let pending: FirewallApp | null = null;
  for (const raw of text.replace(/\r/g, '').split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (result.apps.length >= MAX_APPS) {
      result.unparsed.push(`more than ${MAX_APPS} apps`);
      break;
    }
    const header = /^(?:ALF: )?[Tt]otal number of apps = (\d{1,6})$/.exec(line);
    if (header) {
      result.announced = Number(header[1]);
      continue;
    }
    const rule = /^\(\s*(Allow|Block) incoming connections\s*\)$/.exec(line);
    if (rule) {
      if (pending && pending.allowIncoming === null) pending.allowIncoming = rule[1] === 'Allow';
      else if (result.unparsed.length < 100) result.unparsed.push(line.slice(0, 200));
      pending = null;
      continue;
    }
    const numbered = /^\d{1,6}\s*:\s+(\S.*)$/.exec(line);
    if (numbered) {
      const path = numbered[1] ?? '';
      pending = { path, isPath: path.startsWith('/'), allowIncoming: null };
      result.apps.push(pending);
      continue;
    }
    const stated = /^(\S.*?) \(state: (\d{1,3})\)$/.exec(line);
    if (stated) {
      const path = stated[1] ?? '';
      const state = Number(stated[2]);
      const allowIncoming = state === 1 ? true : state === 4 ? false : null;
      result.apps.push({ path, isPath: path.startsWith('/'), allowIncoming });
      pending = null;
      continue;
    }
    if (result.unparsed.length < 100) result.unparsed.push(line.slice(0, 200));
  }
  result.complete =
    result.announced !== null &&
    result.announced === result.apps.length &&
    result.unparsed.length === 0 &&
    result.apps.every((app) => app.allowIncoming !== null);
  return result;
}

export type AppRule = 'blocked' | 'permitted' | 'not-listed' | 'unknown';

/** `--getappblocked PATH`; `path` is removed from the text before it is read. */
export function parseAppBlocked(text: string, path?: string): AppRule {
  const body = answer(text);
  if (body === null) return 'unknown';
  const rest = (path ? body.split(path).join(' ') : body).trim();
  if (!/^(?:The application|Incoming connection to|Application)\b/.test(rest)) return 'unknown';
  const notListed = /\bis not part of the firewall(?: list)?\.?$/.test(rest);
  const permitted =
    /\bis (?:permitted|allowed|not blocked(?: from accepting incoming connections)?)\.?$/.test(
      rest,
    );
  const blocked = /\bis blocked(?: from accepting incoming connections)?\.?$/.test(rest);
  const hits = [notListed, permitted, blocked].filter(Boolean).length;
  if (hits !== 1) return 'unknown';
  return notListed ? 'not-listed' : permitted ? 'permitted' : 'blocked';
}

export interface ApplicationFirewall {
  globalState: 'on' | 'off' | 'unknown';
  stateNumber: number | null;
  blockAll: boolean | null;
  stealth: boolean | null;
  allowSigned: boolean | null;
  allowSignedDownloaded: boolean | null;
  apps: FirewallApp[];
  /** The app listing was read in full (see ListApps.complete); false also when not given. */
  appsComplete: boolean;
}

export interface ApplicationFirewallOutputs {
  globalState?: string;
  blockAll?: string;
  stealthMode?: string;
  allowSigned?: string;
  listApps?: string;
}

/** All the global answers at once; an output not given stays unknown. */
export function parseApplicationFirewall(outputs: ApplicationFirewallOutputs): ApplicationFirewall {
  const global =
    outputs.globalState === undefined
      ? { state: 'unknown' as const, stateNumber: null }
      : parseGlobalState(outputs.globalState);
  const signed =
    outputs.allowSigned === undefined
      ? { allowSigned: null, allowSignedDownloaded: null }
      : parseAllowSigned(outputs.allowSigned);
  const list = outputs.listApps === undefined ? null : parseListApps(outputs.listApps);
  return {
    globalState: global.state,
    stateNumber: global.stateNumber,
    blockAll: outputs.blockAll === undefined ? null : parseBlockAll(outputs.blockAll),
    stealth: outputs.stealthMode === undefined ? null : parseStealthMode(outputs.stealthMode),
    allowSigned: signed.allowSigned,
    allowSignedDownloaded: signed.allowSignedDownloaded,
    apps: list?.apps ?? [],
    appsComplete: list?.complete ?? false,
  };
}
