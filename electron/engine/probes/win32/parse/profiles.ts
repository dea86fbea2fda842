/**
 * Which firewall profile each network is in, and what each profile does.
 *
 * Network profiles: `Get-NetConnectionProfile` (class MSFT_NetConnectionProfile), as the
 * `connectionProfiles` template prints it: Name (the network's name, which Windows makes up
 * in the user's language: `Netzwerk 2` on German Windows), InterfaceAlias (`Ethernet`,
 * `WLAN` on German Windows, `Wi-Fi` on English), InterfaceIndex, NetworkCategory. The
 * category is NLM_NETWORK_CATEGORY (Microsoft Learn, netlistmgr.h): Public 0, Private 1,
 * DomainAuthenticated 2. Windows PowerShell 5.1 prints the number, PowerShell 7 with
 * `-EnumsAsStrings` the name. The category picks the firewall profile: Public → Public,
 * Private → Private, DomainAuthenticated → Domain. An interface with no network profile
 * (not connected, or still identifying) is absent from the output.
 *
 * Firewall profiles: `Get-NetFirewallProfile -PolicyStore ActiveStore` (class
 * MSFT_NetFirewallProfile), as the `firewallProfiles` template prints it: Name (`Domain`,
 * `Private`, `Public`: never translated), Enabled, DefaultInboundAction, AllowInboundRules,
 * NotifyOnListen. Enabled, AllowInboundRules and NotifyOnListen are the NetSecurity
 * GpoBoolean enum: False 0, True 1, NotConfigured 2. DefaultInboundAction is the NetSecurity
 * Action enum, whose Allow 2 and Block 4 are those of MSFT_NetFirewallRule.Action (Microsoft
 * Learn) and NotConfigured is 0. NotConfigured is left as such here: Windows then applies its
 * own default (firewall on, inbound blocked, allow rules honoured), which the verdict may
 * assume and must say it assumed. Names in `netsh advfirewall` output are translated
 * (`Domänenprofil`, `Privates Profil`, `Öffentliches Profil`); Paddock does not parse netsh.
 */
import type { JsonLimits, ParseProblems } from './common';
import {
  DEFAULT_JSON_LIMITS,
  ProblemLog,
  entryText,
  enumField,
  intField,
  lookup,
  rawField,
  forEachJsonObject,
  stringField,
} from './common';

export type NetworkCategory = 'public' | 'private' | 'domainAuthenticated';
export type FirewallProfileName = 'domain' | 'private' | 'public';

export const NETWORK_CATEGORY_BY_NUMBER: Readonly<Record<number, NetworkCategory>> = {
  0: 'public',
  1: 'private',
  2: 'domainAuthenticated',
};
const NETWORK_CATEGORY_BY_NAME: Readonly<Record<string, NetworkCategory>> = {
  public: 'public',
  private: 'private',
  domainauthenticated: 'domainAuthenticated',
};

/** The firewall profile a network category puts an interface in. */
export function firewallProfileOf(category: NetworkCategory): FirewallProfileName {
  return category === 'domainAuthenticated' ? 'domain' : category;
}

export interface ConnectionProfile {
  /** The network's name as Windows shows it (user's language); null when not printed. */
  name: string | null;
  interfaceAlias: string;
  interfaceIndex: number | null;
  category: NetworkCategory;
  firewallProfile: FirewallProfileName;
}

export interface ConnectionProfilesResult extends ParseProblems {
  profiles: ConnectionProfile[];
}

/** Parses the `connectionProfiles` template's JSON; never throws. */
export function parseNetConnectionProfiles(
  text: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): ConnectionProfilesResult {
  const log = new ProblemLog();
  const profiles: ConnectionProfile[] = [];
  forEachJsonObject(text, log, limits, (entry, at) => {
    const category = enumField(
      entry,
      'NetworkCategory',
      NETWORK_CATEGORY_BY_NUMBER,
      NETWORK_CATEGORY_BY_NAME,
    );
    const alias = stringField(entry, 'InterfaceAlias', 256);
    const name = stringField(entry, 'Name', 256);
    const interfaceIndex = intField(entry, 'InterfaceIndex');
    if (!category || !alias || name === undefined || interfaceIndex === undefined) {
      log.add(at, entryText(entry), 'no known NetworkCategory or no InterfaceAlias');
      return;
    }
    profiles.push({
      name,
      interfaceAlias: alias,
      interfaceIndex,
      category,
      firewallProfile: firewallProfileOf(category),
    });
  });
  return { profiles, ...log.result() };
}

export type GpoBoolean = 'true' | 'false' | 'notConfigured';
export type ProfileAction = 'allow' | 'block' | 'notConfigured';

export const GPO_BOOLEAN_BY_NUMBER: Readonly<Record<number, GpoBoolean>> = {
  0: 'false',
  1: 'true',
  2: 'notConfigured',
};
const GPO_BOOLEAN_BY_NAME: Readonly<Record<string, GpoBoolean>> = {
  false: 'false',
  true: 'true',
  notconfigured: 'notConfigured',
};
export const PROFILE_ACTION_BY_NUMBER: Readonly<Record<number, ProfileAction>> = {
  0: 'notConfigured',
  2: 'allow',
  4: 'block',
};
const PROFILE_ACTION_BY_NAME: Readonly<Record<string, ProfileAction>> = {
  notconfigured: 'notConfigured',
  allow: 'allow',
  block: 'block',
};

const PROFILE_NAMES: Readonly<Record<string, FirewallProfileName>> = {
  domain: 'domain',
  private: 'private',
  public: 'public',
};

export interface FirewallProfile {
  profile: FirewallProfileName;
  /** Whether the firewall filters on networks in this profile; null when not printed. */
  enabled: GpoBoolean | null;
  /** What happens to an inbound connection no rule allows. */
  defaultInboundAction: ProfileAction | null;
  /** false: allow rules are ignored ("block all incoming connections"). */
  allowInboundRules: GpoBoolean | null;
  /** true: Windows asks the user when a program starts listening and no rule decides. */
  notifyOnListen: GpoBoolean | null;
}

export interface FirewallProfilesResult extends ParseProblems {
  profiles: FirewallProfile[];
}

function gpoBoolean(entry: Record<string, unknown>, key: string): GpoBoolean | null | undefined {
  const raw = rawField(entry, key);
  // A template that casts with [bool] prints true/false.
  if (raw === true) return 'true';
  if (raw === false) return 'false';
  return enumField(entry, key, GPO_BOOLEAN_BY_NUMBER, GPO_BOOLEAN_BY_NAME);
}

/** Parses the `firewallProfiles` template's JSON; never throws. */
export function parseNetFirewallProfiles(
  text: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): FirewallProfilesResult {
  const log = new ProblemLog();
  const profiles: FirewallProfile[] = [];
  forEachJsonObject(text, log, limits, (entry, at) => {
    const nameText = stringField(entry, 'Name', 32);
    const profile = nameText ? lookup(PROFILE_NAMES, nameText.trim().toLowerCase()) : undefined;
    const enabled = gpoBoolean(entry, 'Enabled');
    const defaultInboundAction = enumField(
      entry,
      'DefaultInboundAction',
      PROFILE_ACTION_BY_NUMBER,
      PROFILE_ACTION_BY_NAME,
    );
    const allowInboundRules = gpoBoolean(entry, 'AllowInboundRules');
    const notifyOnListen = gpoBoolean(entry, 'NotifyOnListen');
    if (
      !profile ||
      enabled === undefined ||
      defaultInboundAction === undefined ||
      allowInboundRules === undefined ||
      notifyOnListen === undefined
    ) {
      log.add(at, entryText(entry), 'not a Domain, Private or Public profile with known values');
      return;
    }
    profiles.push({ profile, enabled, defaultInboundAction, allowInboundRules, notifyOnListen });
  });
  return { profiles, ...log.result() };
}
