/**
 * Windows Defender Firewall rules that may decide a connection to a server, as the
 * `firewallRules` PowerShell template prints them: each enabled inbound rule of the active
 * policy (`Get-NetFirewallRule -PolicyStore ActiveStore`, so Group Policy rules count) joined
 * with its port, application, address and service filters (Get-NetFirewallPortFilter,
 * -ApplicationFilter, -AddressFilter, -ServiceFilter, matched by InstanceID), and kept when
 * its local ports may include the server's port and its program may be the server's.
 *
 * Enums, per Microsoft Learn "MSFT_NetFirewallRule class": Action Allow 2, AllowBypass 3,
 * Block 4 (NotConfigured 0 in the cmdlets' enum); Direction Inbound 1, Outbound 2; Enabled
 * 1 (the cmdlets print True) and 2 (False); Profiles a bit mask, Any 0, Domain 1, Private 2,
 * Public 4 (NET_FW_PROFILE_TYPE2 adds All 0x7FFFFFFF); EdgeTraversalPolicy Block 0, Allow 1,
 * DeferToUser 2, DeferToApp 3. Windows PowerShell 5.1 prints numbers, PowerShell 7 with
 * `-EnumsAsStrings` names (a mask as `Private, Public`).
 *
 * The rules Windows' own prompt creates ("Windows Defender Firewall has blocked some features
 * of this app", Allow or Cancel): one TCP and one UDP inbound rule per program, named
 * `TCP Query User{GUID}<program path, lower case>` and `UDP Query User{…}…`, display name and
 * description the program's description or file name, program the path, any port, any remote
 * address, the profile(s) ticked in the prompt, edge traversal "defer to user"; Allow rules
 * when the user clicked Allow, Block rules on Cancel (MicrosoftDocs/OfficeDocs-SkypeForBusiness
 * #5021; Flowfin/jellyfin-plugin-sso#1227 counts 72 such rules, one TCP and one UDP per path,
 * Allow on Public; the registry form `v2.10|Action=Allow|…|Profile=Public|App=…|Defer=User|`
 * appears in public scripts that read FirewallRules).
 */
import type { JsonLimits, ParseProblems } from './common';
import {
  DEFAULT_JSON_LIMITS,
  ProblemLog,
  entryText,
  enumField,
  lookup,
  rawField,
  forEachJsonObject,
  stringField,
  stringListField,
} from './common';
import type { FirewallProfileName } from './profiles';

export type RuleAction = 'allow' | 'allowBypass' | 'block' | 'notConfigured';
export type RuleDirection = 'inbound' | 'outbound';
export type EdgeTraversal = 'block' | 'allow' | 'deferToUser' | 'deferToApp';

const ACTION_BY_NUMBER: Readonly<Record<number, RuleAction>> = {
  0: 'notConfigured',
  2: 'allow',
  3: 'allowBypass',
  4: 'block',
};
const ACTION_BY_NAME: Readonly<Record<string, RuleAction>> = {
  notconfigured: 'notConfigured',
  allow: 'allow',
  allowbypass: 'allowBypass',
  block: 'block',
};
const DIRECTION_BY_NUMBER: Readonly<Record<number, RuleDirection>> = {
  1: 'inbound',
  2: 'outbound',
};
const DIRECTION_BY_NAME: Readonly<Record<string, RuleDirection>> = {
  inbound: 'inbound',
  outbound: 'outbound',
};
const ENABLED_BY_NUMBER: Readonly<Record<number, 'true' | 'false'>> = { 1: 'true', 2: 'false' };
const ENABLED_BY_NAME: Readonly<Record<string, 'true' | 'false'>> = {
  true: 'true',
  false: 'false',
  enabled: 'true',
  disabled: 'false',
};
const EDGE_BY_NUMBER: Readonly<Record<number, EdgeTraversal>> = {
  0: 'block',
  1: 'allow',
  2: 'deferToUser',
  3: 'deferToApp',
};
const EDGE_BY_NAME: Readonly<Record<string, EdgeTraversal>> = {
  block: 'block',
  allow: 'allow',
  defertouser: 'deferToUser',
  defertoapp: 'deferToApp',
};

const ALL_PROFILES: readonly FirewallProfileName[] = ['domain', 'private', 'public'];
const PROFILE_BITS: Readonly<Record<FirewallProfileName, number>> = {
  domain: 1,
  private: 2,
  public: 4,
};

/**
 * A rule's profiles from the number (bit mask) or the names (`Any`, `Private, Public`).
 * Any (0) and All (0x7FFFFFFF) are all three. undefined when not a known mask.
 */
export function readProfiles(raw: unknown): FirewallProfileName[] | undefined {
  if (typeof raw === 'number') {
    if (raw === 0 || raw === 0x7fffffff) return [...ALL_PROFILES];
    if (!Number.isInteger(raw) || raw < 0 || raw > 7) return undefined;
    return ALL_PROFILES.filter((name) => (raw & PROFILE_BITS[name]) !== 0);
  }
  if (typeof raw !== 'string' || raw.length > 64) return undefined;
  const names = raw
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== '');
  if (names.length === 0) return undefined;
  if (names.length === 1 && (names[0] === 'any' || names[0] === 'all')) return [...ALL_PROFILES];
  const out = new Set<FirewallProfileName>();
  for (const name of names) {
    const profile = lookup<FirewallProfileName>(
      { domain: 'domain', private: 'private', public: 'public' },
      name,
    );
    if (!profile) return undefined;
    out.add(profile);
  }
  return ALL_PROFILES.filter((name) => out.has(name));
}

export interface WindowsFirewallRule {
  /** The rule's unique name (a GUID, `TCP Query User{…}c:\…`, or a name given to it). */
  name: string;
  /** What Windows shows; may be a resource string (`@{…}` or `@%SystemRoot%…`) for built-in rules. */
  displayName: string | null;
  enabled: boolean;
  action: RuleAction;
  direction: RuleDirection;
  /** The profiles the rule is active in; all three for Any. */
  profiles: FirewallProfileName[];
  /** `TCP`, `UDP`, `Any`, or a protocol number as printed (`6`). */
  protocol: string;
  /** `Any`, port numbers, ranges (`1024-65535`) or keywords (`RPC`), as printed. */
  localPorts: string[];
  /** `Any`, addresses, subnets, ranges or keywords (`LocalSubnet`), as printed. */
  localAddresses: string[];
  remoteAddresses: string[];
  /** The program path as written in the rule (may hold %variables%); null for Any. */
  program: string | null;
  /** The service short name; null for Any. */
  service: string | null;
  edgeTraversal: EdgeTraversal | null;
  /** Named `TCP/UDP Query User{GUID}…`: Windows' own prompt created it. */
  fromPrompt: boolean;
}

export interface FirewallRulesResult extends ParseProblems {
  rules: WindowsFirewallRule[];
}

const PROMPT_RULE = /^(TCP|UDP) Query User\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}/;

function anyToNull(value: string | null): string | null {
  return value === null || value === '' || value.toLowerCase() === 'any' ? null : value;
}

/** Parses the `firewallRules` template's JSON; never throws. */
export function parseNetFirewallRules(
  text: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): FirewallRulesResult {
  const log = new ProblemLog();
  const rules: WindowsFirewallRule[] = [];
  forEachJsonObject(text, log, limits, (entry, at) => {
    const name = stringField(entry, 'Name', 1024);
    const displayName = stringField(entry, 'DisplayName', 1024);
    const enabledRaw = rawField(entry, 'Enabled');
    const enabled =
      enabledRaw === true || enabledRaw === false
        ? enabledRaw
          ? 'true'
          : 'false'
        : enumField(entry, 'Enabled', ENABLED_BY_NUMBER, ENABLED_BY_NAME);
    const action = enumField(entry, 'Action', ACTION_BY_NUMBER, ACTION_BY_NAME);
    const direction = enumField(entry, 'Direction', DIRECTION_BY_NUMBER, DIRECTION_BY_NAME);
    const profiles = readProfiles(rawField(entry, 'Profile'));
    const edge = enumField(entry, 'EdgeTraversalPolicy', EDGE_BY_NUMBER, EDGE_BY_NAME);
    const protocolRaw = rawField(entry, 'Protocol');
    const protocol =
      typeof protocolRaw === 'number' && Number.isInteger(protocolRaw)
        ? String(protocolRaw)
        : stringField(entry, 'Protocol', 32);
    const localPorts = stringListField(entry, 'LocalPort');
    const localAddresses = stringListField(entry, 'LocalAddress');
    const remoteAddresses = stringListField(entry, 'RemoteAddress');
    const program = stringField(entry, 'Program', 4096);
    const service = stringField(entry, 'Service', 256);
    if (!name || !enabled || !action || !direction || !profiles) {
      log.add(at, entryText(entry), 'no Name, or Enabled, Action, Direction or Profile not known');
      return;
    }
    if (
      displayName === undefined ||
      edge === undefined ||
      protocol === undefined ||
      localPorts === undefined ||
      localAddresses === undefined ||
      remoteAddresses === undefined ||
      program === undefined ||
      service === undefined
    ) {
      log.add(at, entryText(entry), 'a filter field has the wrong type or length');
      return;
    }
    rules.push({
      name,
      displayName,
      enabled: enabled === 'true',
      action,
      direction,
      profiles,
      protocol: protocol ?? 'Any',
      localPorts: localPorts && localPorts.length > 0 ? localPorts : ['Any'],
      localAddresses: localAddresses && localAddresses.length > 0 ? localAddresses : ['Any'],
      remoteAddresses: remoteAddresses && remoteAddresses.length > 0 ? remoteAddresses : ['Any'],
      program: anyToNull(program),
      service: anyToNull(service),
      edgeTraversal: edge,
      fromPrompt: PROMPT_RULE.test(name),
    });
  });
  return { rules, ...log.result() };
}

/** Port keywords a rule may hold instead of numbers; none of them is a server's fixed port. */
const PORT_KEYWORDS = new Set([
  'rpc',
  'rpcepmap',
  'iphttpsin',
  'iphttpsout',
  'teredo',
  'playtodiscovery',
  'mdns',
  'dhcp',
  'ply2disc',
]);

/**
 * Whether a rule's protocol and local ports include a TCP port: true, false, or null when a
 * port entry is neither a number, a range, Any nor a known keyword.
 */
export function ruleCoversTcpPort(
  rule: Pick<WindowsFirewallRule, 'protocol' | 'localPorts'>,
  port: number,
): boolean | null {
  const protocol = rule.protocol.trim().toLowerCase();
  if (protocol !== 'any' && protocol !== 'tcp' && protocol !== '6') return false;
  let unknown = false;
  for (const entry of rule.localPorts) {
    for (const item of entry.split(',')) {
      const token = item.trim().toLowerCase();
      if (token === 'any') return true;
      const range = /^(\d{1,5})\s*-\s*(\d{1,5})$/.exec(token);
      if (range) {
        if (Number(range[1]) <= port && port <= Number(range[2])) return true;
        continue;
      }
      if (/^\d{1,5}$/.test(token)) {
        if (Number(token) === port) return true;
        continue;
      }
      if (!PORT_KEYWORDS.has(token)) unknown = true;
    }
  }
  return unknown ? null : false;
}

/**
 * Whether a rule's program is `executable` (case-insensitive, `/` and `\` alike), expanding
 * `%NAME%` from `env` (names case-insensitive): true for a rule without a program, null when
 * a variable is not in `env`.
 */
export function ruleCoversProgram(
  rule: Pick<WindowsFirewallRule, 'program'>,
  executable: string,
  env: Readonly<Record<string, string>> = {},
): boolean | null {
  if (rule.program === null) return true;
  const upper = new Map(Object.entries(env).map(([key, value]) => [key.toUpperCase(), value]));
  let missing = false;
  const expanded = rule.program.replace(/%([^%]{1,64})%/g, (whole, name: string) => {
    const value = upper.get(name.toUpperCase());
    if (value === undefined) {
      missing = true;
      return whole;
    }
    return value;
  });
  const norm = (path: string) => path.replace(/\//g, '\\').replace(/\\+/g, '\\').toLowerCase();
  if (norm(expanded) === norm(executable)) return true;
  return missing ? null : false;
}
