/**
 * Reading OLLAMA_* settings the way Ollama does: where each one comes from, which are in
 * force, and Go's boolean rule (ollama-facts.md, "Other environment variables").
 */
import type { Instance, Setting, Snapshot } from '../../../../shared/snapshot';
import { ollamaTrim } from '../../ollama/listen-address';
import { plain } from './words';

/** Settings found for one server, or saved on disk with no server running (instance null). */
export interface SettingsGroup {
  instance: Instance | null;
  settings: Setting[];
}

/**
 * Every group of settings in the snapshot: each instance's own, plus any report the settings
 * probe keyed to no instance (scan.ts reports the files on disk under "persistent" when no
 * server runs; what it finds there would apply at the next start).
 */
export function settingsGroups(snapshot: Snapshot): SettingsGroup[] {
  const groups: SettingsGroup[] = snapshot.instances.map((instance) => ({
    instance,
    settings: instance.settings,
  }));
  const known = new Set(snapshot.instances.map((i) => i.id));
  for (const [key, report] of Object.entries(snapshot.probes.settings.data))
    if (!known.has(key)) groups.push({ instance: null, settings: report.settings });
  return groups;
}

/** Settings of this name that count: in force now, or saved for the next start. */
export function liveSettings(settings: readonly Setting[], name: string): Setting[] {
  return settings.filter((s) => s.name === name && s.state !== 'shadowed');
}

export function effectiveSetting(settings: readonly Setting[], name: string): Setting | undefined {
  return settings.find((s) => s.name === name && s.state === 'effective');
}

/** "/etc/systemd/system/ollama.service.d/override.conf:2", or "the environment of pid 42". */
export function settingLocation(setting: Setting): string {
  if (setting.source.kind === 'process')
    return `the environment of the running server (${plain(setting.source.path, 40)})`;
  const path = plain(setting.source.path, 200);
  return setting.source.line !== null ? `${path}:${setting.source.line}` : path;
}

/** `OLLAMA_HOST=0.0.0.0 (effective, in /etc/...:2)`. */
export function describeSetting(setting: Setting): string {
  return `${plain(setting.name, 60)}=${plain(setting.value, 200)} (${setting.state}, ${settingLocation(setting)})`;
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/**
 * Ollama's envconfig.Bool: the value as envconfig.Var trims it; empty is false; what Go's
 * strconv.ParseBool accepts means what it says; anything else it rejects counts as TRUE
 * (ollama-facts.md: "OLLAMA_NOPRUNE=no is true").
 */
export function ollamaBool(raw: string | undefined): boolean {
  if (raw === undefined) return false;
  const value = ollamaTrim(raw);
  if (value === '') return false;
  if (GO_TRUE.has(value)) return true;
  if (GO_FALSE.has(value)) return false;
  return true;
}
