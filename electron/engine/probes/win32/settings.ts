/**
 * Issue 17: where each OLLAMA_* setting of a Windows PC comes from, and whether the running
 * server uses it (ollama-facts.md, "Where the configuration lives"). The sources, as the
 * probe read them (probes/win32/probes.ts):
 *
 * - the user's variables (`HKCU\Environment`) and the machine's (`HKLM\SYSTEM\
 *   CurrentControlSet\Control\Session Manager\Environment`): every program the user starts
 *   gets both, the user's winning over the machine's of the same name (Microsoft Learn,
 *   "Environment Variables": "User environment variables … take precedence"), from the values
 *   as they were when its parent got them (a change reaches programs started after the
 *   WM_SETTINGCHANGE broadcast, not running ones);
 * - PowerShell profiles: `$env:OLLAMA_HOST = '…'` there applies to `ollama serve` typed in
 *   PowerShell, over the registry's;
 * - the Ollama app's own settings (`%LOCALAPPDATA%\Ollama\db.sqlite`, table `settings`):
 *   "Expose Ollama to the network" (`expose`) starts the server with OLLAMA_HOST=0.0.0.0
 *   **over any user value**, and `browser` with OLLAMA_ORIGINS=*.
 *
 * Windows gives no supported way to read another program's environment (PowerShell has none),
 * so the running server's own environment is never the source here: which value applies is
 * deduced from who started the server (`launcher`), and a gap says that it was deduced.
 * Environment names are not case-sensitive on Windows: they are compared in upper case.
 * Pure: the probe gathers.
 */
import type { ProbeStatus, Setting, SettingsReport } from '../../../../shared/snapshot';
import { appSwitchReport, setting, switchesOn } from '../app-switches';
import type { AppSwitches } from '../app-switches';

export type WindowsLauncher = 'app' | 'shell' | 'unknown';

export const HKCU_ENVIRONMENT = 'HKCU\\Environment';
export const HKLM_ENVIRONMENT =
  'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment';

export interface WindowsSettingsInputs {
  launcher: WindowsLauncher;
  pid: number | null;
  /** The registry's values (names as saved), or why they were not read. */
  registry: {
    status: ProbeStatus;
    message?: string;
    values: Array<{ scope: 'user' | 'machine'; name: string; value: string }>;
  };
  /** `$env:NAME = '…'` lines of the PowerShell profiles, in the order PowerShell runs them. */
  profiles: Array<{ path: string; line: number; name: string; value: string }>;
  /** The app's settings: expose and browser (null: not set or not read), or why not. */
  app: AppSwitches | null;
}

function describeLauncher(launcher: WindowsLauncher): string {
  if (launcher === 'app') return 'by the Ollama app';
  if (launcher === 'shell') return 'from a terminal';
  return 'by a program Paddock could not tell (a user variable applies to every program the user starts)';
}

/**
 * `$env:NAME = 'value'` or `"value"` (a double-quoted value without `$` or a backtick); PowerShell
 * does not care about case.
 */
const PROFILE_ASSIGNMENT =
  /^\s*\$env:([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:'((?:[^']|'')*)'|"([^"$`]*)")\s*(?:#.*)?$/i;

/**
 * The `$env:OLLAMA_…` assignments of a PowerShell profile, line by line: a literal value only
 * (an expandable one is not guessed at). Bounded: at most 10,000 lines are read.
 */
export function parsePowerShellProfile(
  text: string,
): Array<{ line: number; name: string; value: string }> {
  const out: Array<{ line: number; name: string; value: string }> = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/, 10_000);
  lines.forEach((raw, index) => {
    const m = PROFILE_ASSIGNMENT.exec(raw);
    if (!m) return;
    const name = m[1]!.toUpperCase();
    if (!name.startsWith('OLLAMA_')) return;
    const value = m[2] !== undefined ? m[2].replace(/''/g, "'") : m[3]!;
    out.push({ line: index + 1, name, value });
  });
  return out;
}

/**
 * Each candidate's state from the launcher's chain: the app's switch, then (a terminal's)
 * PowerShell profile, then the user's variable, then the machine's. The first in the chain
 * that sets a name is effective; the later ones are shadowed; a source this launcher does not
 * read is latent.
 */
export function resolveWindowsSettings(inputs: WindowsSettingsInputs): SettingsReport {
  const settings: Setting[] = [];
  const gaps: SettingsReport['gaps'] = [];
  const started = inputs.launcher;
  const appOn = switchesOn(inputs.app);
  const upper = inputs.registry.values.map((v) => ({ ...v, name: v.name.toUpperCase() }));
  const lastProfile = (name: string) => [...inputs.profiles].reverse().find((p) => p.name === name);

  /** The id of the source that gives `name` its value for this launcher; null: none does. */
  const winner = (name: string): string | null => {
    if (started === 'app' && appOn.some((s) => s.name === name)) return 'app';
    if (started === 'shell') {
      const p = lastProfile(name);
      if (p) return `profile:${p.path}:${p.line}`;
    }
    if (upper.some((v) => v.scope === 'user' && v.name === name)) return 'user';
    if (upper.some((v) => v.scope === 'machine' && v.name === name)) return 'machine';
    return null;
  };
  const describeWinner = (id: string): string => {
    if (id === 'app') return "the Ollama app's own setting";
    if (id === 'user') return `your user variable (${HKCU_ENVIRONMENT})`;
    if (id === 'machine') return 'the machine variable';
    return `the PowerShell profile ${id.slice('profile:'.length)}`;
  };
  const stateOf = (
    name: string,
    id: string,
    readBy: boolean,
  ): { state: Setting['state']; reason: string } => {
    if (!readBy)
      return {
        state: 'latent',
        reason: `not read when the server is started ${describeLauncher(started)}`,
      };
    const w = winner(name);
    if (w === id)
      return {
        state: 'effective',
        reason: `how the server was started (${describeLauncher(started)}) gives it this value`,
      };
    return { state: 'shadowed', reason: `overridden by ${describeWinner(w ?? id)}` };
  };

  if (inputs.pid !== null)
    gaps.push({
      path: `pid ${inputs.pid}`,
      status: 'unavailable',
      message:
        "Windows does not let Paddock read a running program's environment: which value the server uses is deduced from how it was started, and a variable changed after it started reaches it only when it restarts",
    });
  if (inputs.app) {
    const app = appSwitchReport(inputs.app, (name) => stateOf(name, 'app', started === 'app'));
    gaps.push(...app.gaps);
    settings.push(...app.settings);
  }
  if (inputs.registry.status !== 'ok')
    gaps.push({
      path: `${HKCU_ENVIRONMENT}, ${HKLM_ENVIRONMENT}`,
      status: inputs.registry.status,
      message: `the user's and machine's environment variables could not be read${inputs.registry.message ? ` (${inputs.registry.message})` : ''}`,
    });
  for (const p of inputs.profiles) {
    const st = stateOf(p.name, `profile:${p.path}:${p.line}`, started === 'shell');
    settings.push(setting(p.name, p.value, 'shell-rc', p.path, p.line, st.state, st.reason));
  }
  for (const v of upper) {
    const st = stateOf(v.name, v.scope, true);
    settings.push(
      setting(
        v.name,
        v.value,
        v.scope === 'user' ? 'registry-user' : 'registry-machine',
        v.scope === 'user' ? HKCU_ENVIRONMENT : HKLM_ENVIRONMENT,
        null,
        st.state,
        st.reason,
      ),
    );
  }
  return { settings, gaps };
}
