/**
 * Issue 16: where each OLLAMA_* setting of a Mac comes from, and whether the running server
 * uses it (ollama-facts.md, "Where the configuration lives"). The sources, as the probe read
 * them (probes/darwin/probes.ts):
 *
 * - the running server's environment (`ps -E`, for one's own processes or as root): the truth;
 * - `launchctl getenv NAME`: what launchd hands to the apps it starts (the Ollama app, and
 *   through it its server), the way Ollama's docs tell users to set OLLAMA_HOST;
 * - a LaunchAgent's or LaunchDaemon's `EnvironmentVariables` (Homebrew's
 *   `homebrew.mxcl.ollama.plist`, or one a user wrote), which launchd sets for that job only,
 *   over launchctl's;
 * - shell start-up files (`~/.zshrc`, `~/.zprofile`, `~/.bash_profile`): for `ollama serve`
 *   typed in a terminal;
 * - the Ollama app's own settings (`db.sqlite`, table `settings`): "Expose Ollama to the
 *   network" (`expose`) starts the server with OLLAMA_HOST=0.0.0.0 **over any user value**,
 *   and `browser` with OLLAMA_ORIGINS=*.
 *
 * Which apply depends on who started the server (`launcher`): the app (its server's parent is
 * the app), launchd for a plist's job (Homebrew's service), or a shell. Pure: the probe gathers.
 */
import type { ProbeStatus, Setting, SettingsReport } from '../../../../shared/snapshot';
import { appSwitchReport, setting, switchesOn } from '../app-switches';
import type { AppSwitches } from '../app-switches';

export type DarwinLauncher = 'app' | 'launchd' | 'shell' | 'unknown';

export interface DarwinSettingsInputs {
  launcher: DarwinLauncher;
  /** The launchd job that runs the server (its plist path), when it is one. */
  launchdJob: string | null;
  pid: number | null;
  /** The server's environment: OLLAMA_* found there, or why not. */
  processEnv: { status: ProbeStatus; vars: Record<string, string>; uncertain?: string[] };
  launchctl: { status: ProbeStatus; vars: Record<string, string> };
  plists: Array<{ path: string; vars: Record<string, string> }>;
  shell: Array<{ path: string; line: number; name: string; value: string }>;
  /** The app's settings: expose and browser (null: not set or not read), or why not. */
  app: AppSwitches | null;
}

/**
 * Each candidate's state: the server's own environment decides when it was read; else the
 * launcher's chain does (app switch over launchctl; a job's plist over launchctl; a shell's
 * files for a shell), and the rest is latent (it would apply to another way of starting).
 */
export function resolveDarwinSettings(inputs: DarwinSettingsInputs): SettingsReport {
  const settings: Setting[] = [];
  const gaps: SettingsReport['gaps'] = [];
  const env = inputs.processEnv.status === 'ok' ? inputs.processEnv.vars : null;
  const started = inputs.launcher;

  const appOn = switchesOn(inputs.app);
  const appSets = new Map<string, string>(appOn.map((s) => [s.name, s.value]));
  const plistOfJob = inputs.plists.find((p) => p.path === inputs.launchdJob) ?? null;

  /** The value the chain of this launcher gives a name, and where; null when none does. */
  const chainWinner = (name: string): string | null => {
    if (started === 'app') {
      if (appSets.has(name)) return 'app';
      if (name in inputs.launchctl.vars) return 'launchctl';
      return null;
    }
    if (started === 'launchd') {
      if (plistOfJob && name in plistOfJob.vars) return `plist:${plistOfJob.path}`;
      if (name in inputs.launchctl.vars) return 'launchctl';
      return null;
    }
    if (started === 'shell') {
      const last = [...inputs.shell].reverse().find((s) => s.name === name);
      return last ? `shell:${last.path}:${last.line}` : null;
    }
    return null;
  };

  const stateOf = (
    name: string,
    value: string,
    id: string,
  ): { state: Setting['state']; reason: string } => {
    if (env) {
      if (!(name in env))
        return {
          state: 'latent',
          reason: 'the running server does not have it in its environment',
        };
      return env[name] === value
        ? { state: 'effective', reason: `the running server has ${name}=${value}` }
        : { state: 'shadowed', reason: `the running server has ${name}=${env[name]}` };
    }
    const winner = chainWinner(name);
    if (winner === id)
      return {
        state: 'effective',
        reason: `how the server was started (${describeLauncher(started)}) gives it this value`,
      };
    if (winner !== null)
      return { state: 'shadowed', reason: `overridden by ${describeWinner(winner)}` };
    return {
      state: 'latent',
      reason: `not read when the server is started ${describeLauncher(started)}`,
    };
  };

  if (env) {
    for (const [name, value] of Object.entries(env))
      settings.push(
        setting(
          name,
          value,
          'process',
          `pid ${inputs.pid ?? '?'}`,
          null,
          'effective',
          "in the running server's environment",
        ),
      );
  } else if (inputs.pid !== null && inputs.processEnv.status !== 'ok')
    gaps.push({
      path: `pid ${inputs.pid}`,
      status: inputs.processEnv.status,
      message:
        "the running server's environment could not be read (another user's process: run with admin rights)",
    });
  if (inputs.pid !== null && inputs.processEnv.status === 'ok')
    for (const name of inputs.processEnv.uncertain ?? [])
      gaps.push({
        path: `pid ${inputs.pid}`,
        status: 'ok',
        message: `${name} in the running server's environment holds a space; ps prints variables separated by spaces, so its value was read up to the next NAME= and may be cut short`,
      });

  if (inputs.app) {
    const app = appSwitchReport(inputs.app, (name, value) => stateOf(name, value, 'app'));
    gaps.push(...app.gaps);
    settings.push(...app.settings);
  }
  if (inputs.launchctl.status !== 'ok')
    gaps.push({
      path: 'launchctl getenv',
      status: inputs.launchctl.status,
      message: "launchd's environment could not be read",
    });
  for (const [name, value] of Object.entries(inputs.launchctl.vars)) {
    const st = stateOf(name, value, 'launchctl');
    settings.push(setting(name, value, 'launchctl', 'launchctl setenv', null, st.state, st.reason));
  }
  for (const plist of inputs.plists)
    for (const [name, value] of Object.entries(plist.vars)) {
      const st = stateOf(name, value, `plist:${plist.path}`);
      settings.push(setting(name, value, 'launchd-plist', plist.path, null, st.state, st.reason));
    }
  for (const s of inputs.shell) {
    const st = stateOf(s.name, s.value, `shell:${s.path}:${s.line}`);
    settings.push(setting(s.name, s.value, 'shell-rc', s.path, s.line, st.state, st.reason));
  }
  return { settings, gaps };
}

function describeLauncher(launcher: DarwinLauncher): string {
  switch (launcher) {
    case 'app':
      return 'by the Ollama app';
    case 'launchd':
      return 'by launchd as a service';
    case 'shell':
      return 'from a terminal';
    default:
      return 'in a way Paddock could not tell';
  }
}

function describeWinner(winner: string): string {
  if (winner === 'app') return "the Ollama app's own setting";
  if (winner === 'launchctl') return 'launchctl setenv';
  if (winner.startsWith('plist:')) return `the service's plist ${winner.slice(6)}`;
  return `a later line in ${winner.slice(6)}`;
}
