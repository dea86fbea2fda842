/**
 * Issue 17: the fixes on Windows, as plans the same executor runs (preview, backup, journal,
 * verification by rescan, rollback, undo). Every command is Windows PowerShell 5.1 running a
 * fixed template of win32-scripts.ts with its values as base64 data (probes/win32/powershell.ts),
 * or Paddock's own program (`__ollama-app-switch`, the app's settings database).
 *
 * - **rebind-windows**: what makes the Ollama app's server listen beyond loopback is undone
 *   where it is set (ollama-facts.md, "Where the configuration lives"). The app is quit (its
 *   server with it); its "Expose Ollama to the network" switch (`expose` in
 *   `%LOCALAPPDATA%\Ollama\db.sqlite`, which wins over any variable) is turned off; a user
 *   variable OLLAMA_HOST beyond loopback (`HKCU\Environment`) becomes 127.0.0.1:PORT; where no
 *   user variable is set and the machine's (`HKLM\…\Session Manager\Environment`) reaches
 *   beyond loopback, a user variable of loopback is added (it wins over the machine's for the
 *   user's programs) and the machine's is named in a warning. The plan never needs admin
 *   rights: an elevated process would have to write into the user's folder (the switch) and
 *   quit and start a program the user controls (the app), and Windows documents no way to
 *   start a program unelevated from an elevated one. The app is started again through Explorer, unelevated, with the refreshed environment. A user
 *   variable wins over a machine variable of the same name in that user's programs, so a
 *   user's own value is what the app gets when both exist. Undo runs it all back, last first.
 *   A server started from a terminal gets the exact steps to take instead.
 * - **block-port** (admin): a named inbound block rule of Paddock's own for the port
 *   (`Paddock-Block-TCP-<port>`, every profile, TCP), removed by that name on undo. In Windows
 *   Defender Firewall a block rule takes precedence over allow rules (only an "allow if secure,
 *   override block rules" IPsec rule passes it: MS-FASP 2.2.34, FW_RULE_ACTION,
 *   https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-fasp/702e3c23-c9d8-43db-8380-b4c670dd7f7d),
 *   and loopback traffic is not filtered, so programs on this PC keep reaching the server.
 * - **tighten-origins**: the app's "browser" switch off (`OLLAMA_ORIGINS=*` from the app) and a
 *   broad user variable OLLAMA_ORIGINS narrowed (tighten-origins.ts decides what is broad), the
 *   app quit and started around it.
 *
 * Values from the system reach a command only as a template's data or a plain argv element:
 * the app's path must be an absolute path ending in `\ollama app.exe` without `"`, the
 * database's an absolute path ending in `\db.sqlite`, a variable's old value (restored by undo)
 * one line without `%` (SetEnvironmentVariable writes REG_SZ, so a REG_EXPAND_SZ value with
 * `%NAME%` could not be put back as it was).
 */
import { currentRuntime, resourcesFolder } from '../../../cli/privileged-program';
import type { RuntimeFacts } from '../../../cli/privileged-program';
import { existsSync } from 'node:fs';
import { win32 } from 'node:path';
import type { FixPlan, FixStep, ManualFix } from '../../../../shared/fixes';
import type { Instance, Setting, Snapshot } from '../../../../shared/snapshot';
import { parseOllamaHost } from '../../ollama/listen-address';
import { powershellArgv } from '../../probes/win32/powershell';
import { broadOrigins } from '../../rules/support/origins';
import type { RecipeIO } from './common';
import { findInstance, isPort, manualFix, planShape, shown } from './common';
import { tightenedOrigins } from './tighten-origins';
import {
  OLLAMA_APP_EXE,
  PS_ADD_BLOCK_RULE,
  PS_QUIT_OLLAMA_APP,
  PS_REMOVE_BLOCK_RULE,
  PS_REMOVE_USER_VARIABLE,
  PS_SET_USER_VARIABLE,
  PS_START_OLLAMA_APP,
  blockRuleName,
} from './win32-scripts';

/** Paddock's own internal command that turns one of the Ollama app's switches on or off. */
export const APP_SWITCH_COMMAND = '__ollama-app-switch';

/**
 * What a Windows recipe needs besides RecipeIO: the argv that starts Paddock's own program,
 * for `__ollama-app-switch`. The caller passes it; without it, defaultPaddockProgram.
 */
export interface Win32RecipeIO extends RecipeIO {
  paddockProgram?: readonly string[];
}

/** The CLI bundle inside the packaged app (electron-builder.yml `files`: out/**). */
const PACKAGED_CLI = ['app.asar', 'out', 'cli', 'paddock.cjs'] as const;

/**
 * Paddock's own program, as this process would run it, or null when it cannot say: the CLI run
 * by Node runs its own launcher with its own Node; the desktop app runs the CLI bundle in its
 * app.asar with its own binary as Node (host/exec.ts sets ELECTRON_RUN_AS_NODE for exactly
 * that binary; the runAsNode fuse is on for it, electron-builder.yml).
 */
export function defaultPaddockProgram(
  runtime: RuntimeFacts = currentRuntime(),
  here: string = __dirname,
  exists: (path: string) => boolean = existsSync,
  launcher: string | undefined = process.argv[1],
): string[] | null {
  if (runtime.platform !== 'win32') return null;
  if (runtime.electron) {
    const resources = resourcesFolder(runtime, here);
    const packaged = resources === null ? null : win32.join(resources, ...PACKAGED_CLI);
    // `electron .` in a checkout: the bundle scripts/build-cli.mjs wrote beside out/main.
    const cli =
      packaged !== null && exists(packaged)
        ? packaged
        : win32.join(here, '..', 'cli', 'paddock.cjs');
    return exists(cli) ? [runtime.execPath, cli] : null;
  }
  if (!launcher || !isWindowsAbsolutePath(launcher)) return null;
  return [runtime.execPath, launcher];
}

function paddockProgram(io: RecipeIO): readonly string[] | null {
  const given = (io as Win32RecipeIO).paddockProgram;
  const program = given ?? defaultPaddockProgram();
  return program && program.length > 0 && program.every(isWindowsAbsolutePath) ? program : null;
}

/**
 * An absolute Windows path of plain text: a drive letter, backslashes, no `"`, no control
 * character, no `.` or `..` part, no wildcard or device syntax (`\\?\`, `<>|?*`).
 */
export function isWindowsAbsolutePath(path: string): boolean {
  if (path.length > 1024 || !/^[A-Za-z]:\\/.test(path)) return false;
  // eslint-disable-next-line no-control-regex -- control characters are what we refuse
  if (/[\u0000-\u001f\u007f"<>|?*/]/.test(path.slice(2))) return false;
  return path
    .slice(3)
    .split('\\')
    .every((part) => part !== '' && part !== '.' && part !== '..' && part.trim() === part);
}

/** The Ollama app's executable: an absolute path ending in `\ollama app.exe`. */
export function isOllamaAppPath(path: string): boolean {
  return isWindowsAbsolutePath(path) && path.toLowerCase().endsWith(`\\${OLLAMA_APP_EXE}`);
}

/** The Ollama app's settings database: an absolute path ending in `\db.sqlite`. */
export function isAppDbPath(path: string): boolean {
  return isWindowsAbsolutePath(path) && path.toLowerCase().endsWith('\\db.sqlite');
}

/** A variable's old value that undo can restore exactly: one line, no `%`, not empty. */
export function isRestorableValue(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are what we refuse
  return value.length > 0 && value.length <= 2048 && !/[\u0000-\u001f\u007f%]/.test(value);
}

function portOf(instance: Instance): number | null {
  const port = instance.configuredBind?.port ?? instance.listeners[0]?.port ?? null;
  return isPort(port) ? port : null;
}

const sourced = (instance: Instance, kind: Setting['source']['kind'], name: string) =>
  instance.settings.find((s) => s.source.kind === kind && s.name === name);

function beyondLoopback(value: string): boolean {
  return parseOllamaHost(value).reach !== 'loopback';
}

function where(s: Setting): string {
  switch (s.source.kind) {
    case 'registry-user':
      return 'your user variable (HKCU\\Environment)';
    case 'registry-machine':
      return 'the machine variable (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment)';
    case 'app-settings':
      return `the Ollama app's settings (${shown(s.source.path)})`;
    default:
      return `${shown(s.source.path)}${s.source.line !== null ? `:${s.source.line}` : ''}`;
  }
}

// ── the steps ────────────────────────────────────────────────────────────────────────────

function quitApp(app: string): string[] {
  return powershellArgv(PS_QUIT_OLLAMA_APP, { app });
}

function startApp(app: string): string[] {
  return powershellArgv(PS_START_OLLAMA_APP, { app });
}

/** Quit the app first and start it last: its server restarts with what the steps changed. */
function aroundApp(app: string, steps: FixStep[]): FixStep[] {
  return [
    {
      kind: 'run',
      argv: quitApp(app),
      undo: startApp(app),
      description:
        'Quit the Ollama app and the server it started (asked to close, then ended). On undo: start it again.',
    },
    ...steps,
    {
      kind: 'run',
      argv: startApp(app),
      undo: quitApp(app),
      description:
        'Start the Ollama app again, through Explorer: it runs as you, unelevated, with the changed environment, and starts its server. On undo: quit it first.',
    },
  ];
}

/** The argv of `__ollama-app-switch` for one column and value. */
export function appSwitchArgv(
  program: readonly string[],
  db: string,
  column: 'expose' | 'browser',
  value: 0 | 1,
): string[] {
  return [...program, APP_SWITCH_COMMAND, '--column', column, '--value', String(value), '--db', db];
}

function switchOff(
  program: readonly string[],
  db: string,
  column: 'expose' | 'browser',
  label: string,
): FixStep {
  return {
    kind: 'run',
    argv: appSwitchArgv(program, db, column, 0),
    undo: appSwitchArgv(program, db, column, 1),
    description: `Turn off "${label}" in the Ollama app's settings (only that value of its database changes; refused while the app still has the database open). On undo: on again.`,
  };
}

/** The user's variable (HKCU\Environment) set to `value`, or removed (null); undo: as it was. */
function setVariable(setting: Setting, value: string | null, label: string): FixStep {
  const name = setting.name;
  const where = 'your user variable';
  return {
    kind: 'run',
    argv:
      value === null
        ? powershellArgv(PS_REMOVE_USER_VARIABLE, { name })
        : powershellArgv(PS_SET_USER_VARIABLE, { name, value }),
    undo: powershellArgv(PS_SET_USER_VARIABLE, { name, value: setting.value }),
    description: `${value === null ? `Remove ${where} ${name}` : `Set ${where} ${name} to ${value}`} (it was ${shown(setting.value)}): ${label} On undo: ${shown(setting.value)} again.`,
  };
}

function launchedByApp(instance: Instance): string | null {
  const app = instance.process?.appExecutable ?? null;
  return instance.process?.launcher === 'app' && app !== null ? app : null;
}

function notByApp(
  fixId: 'rebind-windows' | 'tighten-origins',
  instance: Instance,
  name: string,
  port: number | null,
): ManualFix {
  const sets = instance.settings.filter(
    (s) => s.name === name && s.source.kind !== 'default' && s.source.kind !== 'server-log',
  );
  const found = sets.length
    ? ` ${name} is set in ${sets.map((s) => `${where(s)} as ${shown(s.value)}`).join('; ')}.`
    : '';
  const target =
    name === 'OLLAMA_HOST'
      ? `127.0.0.1:${port ?? 11434}`
      : 'only the sites that need it (or not at all)';
  const pid = instance.process?.pid;
  return manualFix(
    fixId,
    instance.id,
    `Paddock changes the Ollama app's settings and the registry's variables, and restarts the app; this server was started from a terminal or by another program, which Paddock does not restart. Stop it (Ctrl-C in its window, or end ollama.exe${pid ? ` process ${pid}` : ''} in Task Manager) and start it again with ${name} set to ${target}.${found} In that terminal, \`$env:${name}\` overrides the registry until it is closed; a PowerShell profile sets it again in every new one.`,
  );
}

// ── rebind-windows ───────────────────────────────────────────────────────────────────────

export function planRebindWindows(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
): FixPlan | ManualFix {
  const fixId = 'rebind-windows';
  const instance = findInstance(snapshot, instanceId);
  if (!instance) return manualFix(fixId, instanceId, 'No such server in the scan.');
  const port = portOf(instance);
  if (port === null) return manualFix(fixId, instance.id, "The server's port is not known.");
  const app = launchedByApp(instance);
  if (app === null) return notByApp(fixId, instance, 'OLLAMA_HOST', port);
  if (!isOllamaAppPath(app))
    return manualFix(fixId, instance.id, "The Ollama app's path is not one Paddock will pass on.");
  const value = `127.0.0.1:${port}`;
  const steps: FixStep[] = [];
  const warnings: string[] = [
    'The Ollama app is quit and started again: a download or a chat in progress in it stops.',
  ];
  const expose = sourced(instance, 'app-settings', 'OLLAMA_HOST');
  if (expose) {
    if (!isAppDbPath(expose.source.path))
      return manualFix(
        fixId,
        instance.id,
        'The app\'s settings file has a path Paddock will not pass on: turn off "Expose Ollama to the network" in the Ollama app\'s settings yourself.',
      );
    const program = paddockProgram(io);
    if (program === null)
      return manualFix(
        fixId,
        instance.id,
        "Turning off the app's switch needs Paddock's command-line program (`paddock fix rebind-windows`), which this copy of Paddock cannot start: run that, or turn off \"Expose Ollama to the network\" in the Ollama app's settings yourself.",
      );
    steps.push(switchOff(program, expose.source.path, 'expose', 'Expose Ollama to the network'));
  }
  const user = sourced(instance, 'registry-user', 'OLLAMA_HOST');
  const machine = sourced(instance, 'registry-machine', 'OLLAMA_HOST');
  const unrestorable = (s: Setting) =>
    manualFix(
      fixId,
      instance.id,
      `${where(s)} OLLAMA_HOST is ${shown(s.value)}, which Paddock could not put back exactly on undo (a % reference or a line break): set it to ${value} yourself (Settings > System > About > Advanced system settings > Environment Variables).`,
    );
  if (user && beyondLoopback(user.value)) {
    if (!isRestorableValue(user.value)) return unrestorable(user);
    steps.push(
      setVariable(
        user,
        value,
        `programs you start from now on get it; it wins over a machine variable of the same name for your programs.`,
      ),
    );
  }
  // Where the user has no variable of their own, the machine's is what the app gets. The plan
  // stays the user's all the same: a user variable of loopback is added, which wins over the
  // machine's for every program the user starts, the Ollama app included, and the machine's is
  // named in a warning. Changing the machine's would need an elevated process, and that process
  // would then have to quit and start the app, a program the user controls: Windows documents
  // no way to start a program unelevated from an elevated one, so Paddock never does.
  const userOverMachine = !user && machine !== undefined && beyondLoopback(machine.value);
  if (userOverMachine)
    steps.push({
      kind: 'run',
      argv: powershellArgv(PS_SET_USER_VARIABLE, { name: 'OLLAMA_HOST', value }),
      undo: powershellArgv(PS_REMOVE_USER_VARIABLE, { name: 'OLLAMA_HOST' }),
      description: `Add your user variable OLLAMA_HOST=${value} (you had none): it wins over the machine variable (${shown(machine!.value)}) for the programs you start, the Ollama app included. On undo: removed again.`,
    });
  if (userOverMachine)
    warnings.push(
      `The machine variable OLLAMA_HOST is ${shown(machine!.value)} for every account on this PC. Your new user variable wins over it for your programs, so it is left as it is; another account's Ollama, or a service, would still get it (change it in System Properties > Environment Variables, with admin rights).`,
    );
  if (user && machine && beyondLoopback(machine.value))
    warnings.push(
      `The machine variable OLLAMA_HOST is ${shown(machine.value)} for every account on this PC. Your user variable wins over it for your programs, so it is left as it is; another account's Ollama would still get it (change it in System Properties > Environment Variables, with admin rights).`,
    );
  for (const s of instance.settings)
    if (s.source.kind === 'shell-rc' && s.name === 'OLLAMA_HOST' && beyondLoopback(s.value))
      warnings.push(
        `${where(s)} sets OLLAMA_HOST=${shown(s.value)} in every PowerShell you open: an \`ollama serve\` started there would listen beyond loopback again. Remove that line yourself; Paddock does not change your profile.`,
      );
  if (steps.length === 0)
    return manualFix(
      fixId,
      instance.id,
      'Neither the app\'s "Expose Ollama to the network" nor a registry variable OLLAMA_HOST makes this server listen beyond loopback; see its settings for where it comes from.',
    );
  const changes = [
    expose ? '"Expose Ollama to the network" is turned off' : null,
    user && beyondLoopback(user.value) ? `your user variable OLLAMA_HOST is set to ${value}` : null,
    userOverMachine ? `your user variable OLLAMA_HOST=${value} is added` : null,
  ].filter((c): c is string => c !== null);
  return planShape({
    fixId,
    instance: instance.id,
    title: 'Make Ollama listen on this PC only',
    summary: `The Ollama app is quit, ${changes.join(' and ')}, and the app is started again: its server then listens on ${value} only. Apps on this PC keep working; other machines lose access.`,
    warnings,
    requiresAdmin: false,
    steps: aroundApp(app, steps),
    verification: {
      kind: 'instance-loopback-only',
      instance: instance.id,
      port,
      setting: null,
      description: `The server listens on loopback only, port ${port}.`,
    },
    snapshot,
  });
}

// ── tighten-origins ──────────────────────────────────────────────────────────────────────

export function planTightenOriginsWindows(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
): FixPlan | ManualFix {
  const fixId = 'tighten-origins';
  const instance = findInstance(snapshot, instanceId);
  if (!instance) return manualFix(fixId, instanceId, 'No such server in the scan.');
  const app = launchedByApp(instance);
  if (app === null) return notByApp(fixId, instance, 'OLLAMA_ORIGINS', portOf(instance));
  if (!isOllamaAppPath(app))
    return manualFix(fixId, instance.id, "The Ollama app's path is not one Paddock will pass on.");
  const steps: FixStep[] = [];
  const warnings = [
    'The Ollama app is quit and started again: a download or a chat in progress in it stops.',
  ];
  const browser = sourced(instance, 'app-settings', 'OLLAMA_ORIGINS');
  if (browser) {
    const program = paddockProgram(io);
    if (!isAppDbPath(browser.source.path) || program === null)
      return manualFix(
        fixId,
        instance.id,
        "Paddock cannot change the app's settings from here: turn off the Ollama app's setting that lets browsers in yourself.",
      );
    steps.push(switchOff(program, browser.source.path, 'browser', 'Allow browser requests'));
  }
  const user = sourced(instance, 'registry-user', 'OLLAMA_ORIGINS');
  if (user && broadOrigins(user.value).length > 0) {
    if (!isRestorableValue(user.value))
      return manualFix(
        fixId,
        instance.id,
        `Your user variable OLLAMA_ORIGINS (${shown(user.value)}) could not be put back exactly on undo: narrow it yourself.`,
      );
    const edit = tightenedOrigins(user.value);
    steps.push(
      setVariable(
        user,
        edit.kind === 'remove' ? null : edit.value,
        'every site and extension it let in is taken out.',
      ),
    );
  }
  const machine = sourced(instance, 'registry-machine', 'OLLAMA_ORIGINS');
  if (machine && broadOrigins(machine.value).length > 0)
    warnings.push(
      `The machine variable OLLAMA_ORIGINS is ${shown(machine.value)} for every account on this PC; ${user ? 'your user variable wins over it for your programs' : 'the app gets it while you have no user variable of that name'}. Paddock leaves it as it is: narrow it in System Properties > Environment Variables, with admin rights.`,
    );
  if (steps.length === 0)
    return manualFix(
      fixId,
      instance.id,
      "Neither the app's browser switch nor your user variable OLLAMA_ORIGINS lets every site in.",
    );
  return planShape({
    fixId,
    instance: instance.id,
    title: 'Stop letting every web site use Ollama through your browser',
    summary:
      'The Ollama app is quit, the settings that let any web page call Ollama are turned off, and the app is started again.',
    warnings,
    requiresAdmin: false,
    steps: aroundApp(app, steps),
    verification: {
      kind: 'setting-without-wildcard',
      instance: instance.id,
      port: null,
      setting: 'OLLAMA_ORIGINS',
      description: 'OLLAMA_ORIGINS no longer lets every site in.',
    },
    snapshot,
  });
}

// ── block-port ───────────────────────────────────────────────────────────────────────────

const PROFILE_NAMES = { domain: 'Domain', private: 'Private', public: 'Public' } as const;

export function planBlockPortWindows(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
): FixPlan | ManualFix {
  void io;
  const fixId = 'block-port';
  const instance = findInstance(snapshot, instanceId);
  if (!instance) return manualFix(fixId, instanceId, 'No such server in the scan.');
  const port = portOf(instance);
  if (port === null) return manualFix(fixId, instance.id, "The server's port is not known.");
  const facts = snapshot.probes.firewall.data?.windows ?? null;
  if (!facts || facts.status !== 'ok' || facts.rules === null || facts.profiles === null)
    return manualFix(
      fixId,
      instance.id,
      'Windows Defender Firewall could not be read (its profiles and rules): Paddock adds a rule only where it can see what the firewall does now. Scan again, or add an inbound block rule for this port yourself (Windows Security > Firewall & network protection > Advanced settings).',
    );
  const name = blockRuleName(port);
  if (facts.rules.some((r) => r.name === name))
    return manualFix(
      fixId,
      instance.id,
      `Paddock's rule ${name} is there already${facts.rules.some((r) => r.name === name && r.action === 'block') ? '' : ' (changed: it no longer blocks)'}: undo the run that added it, or remove it (Remove-NetFirewallRule -Name ${name}) and run the fix again.`,
    );
  const warnings: string[] = [];
  const off = facts.profiles.filter((p) => p.enabled === false).map((p) => p.profile);
  if (off.length > 0) {
    const names = off.map((p) => PROFILE_NAMES[p]);
    const current = (facts.interfaces ?? [])
      .filter((i) => off.includes(i.profile))
      .map((i) => `${shown(i.alias)} (${PROFILE_NAMES[i.profile]})`);
    warnings.push(
      `Windows Defender Firewall is off for the ${names.join(', ')} profile${off.length === 1 ? '' : 's'}: the rule does nothing while this PC is on such a network${current.length ? `, as it is now on ${current.join(', ')}` : ''}. Turning the firewall on there is your decision (Windows Security > Firewall & network protection); until then, make Ollama listen on this PC only instead.`,
    );
  }
  return planShape({
    fixId,
    instance: instance.id,
    title: `Close port ${port} to other machines`,
    summary: `Windows Defender Firewall gets a rule of Paddock's own, ${name}, that blocks incoming TCP connections to port ${port} from other machines on every network profile (Domain, Private, Public). A block rule wins over every allow rule, the one Windows' own "Allow access" prompt made included. Programs on this PC still reach Ollama: loopback traffic is not filtered. The rule stays until it is undone.`,
    warnings,
    requiresAdmin: true,
    steps: [
      {
        kind: 'run',
        argv: powershellArgv(PS_ADD_BLOCK_RULE, { port: String(port) }),
        undo: powershellArgv(PS_REMOVE_BLOCK_RULE, { port: String(port) }),
        description: `Add the inbound rule ${name}: block TCP port ${port}, every profile. On undo: remove the rule of that name.`,
      },
    ],
    verification: {
      kind: 'port-closed-beyond-loopback',
      instance: instance.id,
      port,
      setting: null,
      description: `Port ${port} is closed to other machines.`,
    },
    snapshot,
  });
}
