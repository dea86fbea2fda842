/**
 * Issue 16: the fixes on a Mac, as plans the same executor runs (preview, backup, journal,
 * verification by rescan, rollback, undo).
 *
 * - **rebind-launchd** (as the user, no admin): what makes the Ollama app's server listen
 *   beyond loopback is undone where it is set (ollama-facts.md, "Where the configuration
 *   lives"): the app's "Expose Ollama to the network" switch (`expose` in its `db.sqlite`,
 *   which wins over any other value) is turned off with the app quit, through macOS's own
 *   `sqlite3`; a `launchctl setenv OLLAMA_HOST` beyond loopback is set to 127.0.0.1 with a
 *   LaunchAgent of Paddock's own that sets it again at every login; then the app is started
 *   again, and starts its server. Undo runs it all back, last first: the app quit, the old
 *   launchctl value and switch back, the app started. A server started by Homebrew's service
 *   or from a terminal gets the exact steps to take instead (Paddock does not edit Homebrew's
 *   generated plist nor a user's running terminal).
 * - **block-port** (admin, through the privileged side): Paddock's own pf anchor
 *   `com.apple/paddock` (macOS's /etc/pf.conf evaluates every `com.apple/*` anchor) with one
 *   rule per port, dropping it on every interface but loopback, and pf enabled when it was not
 *   (undo empties the anchor and leaves pf enabled). It lasts until the next restart.
 * - **tighten-origins** (as the user): the app's "browser" switch off and a broad
 *   `launchctl setenv OLLAMA_ORIGINS` narrowed, the same way.
 *
 * Every argv names its program by absolute path (macOS's own, in /usr/bin, /bin, /sbin), and
 * every value read from the system is only ever an argv element, checked plain first.
 */
import type { FixPlan, FixStep, ManualFix } from '../../../../shared/fixes';
import type { Instance, Setting, Snapshot } from '../../../../shared/snapshot';
import { tightenedOrigins } from './tighten-origins';
import type { RecipeIO } from './common';
import { findInstance, isPlainAbsolutePath, isPort, manualFix, planShape, shown } from './common';

export const LAUNCHCTL = '/bin/launchctl';
export const OSASCRIPT = '/usr/bin/osascript';
export const OPEN = '/usr/bin/open';
export const SQLITE3 = '/usr/bin/sqlite3';
export const PFCTL = '/sbin/pfctl';
/**
 * Quit the Ollama app and wait until it has gone (at most 10 s, then an error, so that the run
 * rolls back): its database is changed next, and an app still exiting could write its own
 * settings back over the change. `running` does not start an app that is not running, and a
 * quit is sent only to one that is. One AppleScript line per `-e`: nothing from the system
 * is in it.
 */
export const QUIT_OLLAMA: readonly string[] = [
  'if application "Ollama" is running then tell application "Ollama" to quit',
  'repeat 50 times',
  'if application "Ollama" is not running then return',
  'delay 0.2',
  'end repeat',
  'error "The Ollama app did not quit within 10 seconds; nothing more was changed."',
];
export const QUIT_OLLAMA_ARGV: readonly string[] = [
  OSASCRIPT,
  ...QUIT_OLLAMA.flatMap((line) => ['-e', line]),
];
export const HOST_AGENT_LABEL = 'dev.paddock.ollama-host';

/** Paddock's own pf anchor (macOS's /etc/pf.conf evaluates every `com.apple/*` anchor). */
export const PF_ANCHOR = 'com.apple/paddock';
export const PF_ANCHOR_FILE = '/etc/pf.anchors/dev.paddock';

/** Paddock's pf rules: each port dropped on every interface but loopback, IPv4 and IPv6. */
export function pfPortRules(ports: readonly number[]): string {
  return [
    '# Written by Paddock: these TCP ports are closed to other machines; this Mac still reaches',
    `# them over loopback. Undo it from Paddock, or run: pfctl -a ${PF_ANCHOR} -F rules`,
    ...[...new Set(ports)]
      .sort((a, b) => a - b)
      .map((port) => `block drop in quick on ! lo0 proto tcp from any to any port ${port}`),
    '',
  ].join('\n');
}

/** The ports an anchor file of Paddock's own closes; null when it is not one Paddock wrote. */
export function pfFilePorts(text: string): number[] | null {
  const ports = [
    ...text.matchAll(/^block drop in quick on ! lo0 proto tcp from any to any port (\d{1,5})$/gm),
  ]
    .map((m) => Number(m[1]))
    .filter(isPort);
  return pfPortRules(ports) === text ? ports : null;
}

/** The LaunchAgent that sets OLLAMA_HOST again at every login (launchctl setenv does not last). */
export function hostAgentPlist(port: number): string {
  if (!isPort(port)) throw new Error('not a port');
  const value = `127.0.0.1:${port}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by Paddock: keeps Ollama listening on this Mac only, at every login. Undo it from Paddock. -->',
    '<plist version="1.0">',
    '<dict>',
    '\t<key>Label</key>',
    `\t<string>${HOST_AGENT_LABEL}</string>`,
    '\t<key>ProgramArguments</key>',
    '\t<array>',
    `\t\t<string>${LAUNCHCTL}</string>`,
    '\t\t<string>setenv</string>',
    '\t\t<string>OLLAMA_HOST</string>',
    `\t\t<string>${value}</string>`,
    '\t</array>',
    '\t<key>RunAtLoad</key>',
    '\t<true/>',
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

/** A value read from the system that goes back as an argv element: one plain line. */
function plainValue(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are what we refuse
  return value.length <= 4096 && !/[\u0000-\u001f\u007f]/.test(value);
}

function portOf(instance: Instance): number | null {
  const port = instance.configuredBind?.port ?? instance.listeners[0]?.port ?? null;
  return isPort(port) ? port : null;
}

const appSetting = (instance: Instance, name: string): Setting | undefined =>
  instance.settings.find((s) => s.source.kind === 'app-settings' && s.name === name);
const launchctlSetting = (instance: Instance, name: string): Setting | undefined =>
  instance.settings.find((s) => s.source.kind === 'launchctl' && s.name === name);

function isLoopbackHost(value: string): boolean {
  const host = value
    .replace(/^https?:\/\//, '')
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '');
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Quit the app first and start it last: its server restarts with what the steps changed. */
function aroundApp(steps: FixStep[]): FixStep[] {
  return [
    {
      kind: 'run',
      argv: [...QUIT_OLLAMA_ARGV],
      undo: [OPEN, '-a', 'Ollama'],
      description:
        'Quit the Ollama app (its server stops with it) and wait until it has gone, at most 10 seconds. On undo: start it again.',
    },
    ...steps,
    {
      kind: 'run',
      argv: [OPEN, '-a', 'Ollama'],
      undo: [...QUIT_OLLAMA_ARGV],
      description:
        'Start the Ollama app again: it starts its server with the new settings. On undo: quit it first.',
    },
  ];
}

function switchOff(db: string, column: 'expose' | 'browser', label: string): FixStep {
  return {
    kind: 'run',
    argv: [SQLITE3, '-cmd', '.timeout 5000', db, `UPDATE settings SET ${column} = 0 WHERE id = 1`],
    undo: [SQLITE3, '-cmd', '.timeout 5000', db, `UPDATE settings SET ${column} = 1 WHERE id = 1`],
    description: `Turn off "${label}" in the Ollama app's settings, the way its own switch does (the app is not running). On undo: on again.`,
  };
}

function launchedByApp(instance: Instance): boolean {
  return instance.process?.launcher === 'app';
}

function notByApp(
  fixId: 'rebind-launchd' | 'tighten-origins',
  instance: Instance,
  name: string,
): ManualFix {
  const where = instance.settings
    .filter((s) => s.name === name && s.state === 'effective')
    .map((s) => `${shown(s.source.path)}${s.source.line !== null ? `:${s.source.line}` : ''}`);
  const how =
    instance.process?.launcher === 'launchd'
      ? `launchd starts it as a service${instance.process.launchdJob ? ` (${shown(instance.process.launchdJob)})` : ''}: set ${name} in that service's definition (for Homebrew: \`brew services stop ollama\`, then start \`ollama serve\` yourself without it, or edit the formula's service) and restart it`
      : `it was started from a terminal: stop it (Ctrl-C) and start it again without ${name}${where.length ? ` (set in ${where.join(', ')})` : ''}`;
  return manualFix(
    fixId,
    instance.id,
    `Paddock changes the Ollama app's own settings and launchctl's; this server was not started by the app: ${how}.`,
  );
}

export function planRebindLaunchd(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  if (!instance) return manualFix('rebind-launchd', instanceId, 'No such server in the scan.');
  const port = portOf(instance);
  if (port === null)
    return manualFix('rebind-launchd', instance.id, "The server's port is not known.");
  if (!launchedByApp(instance)) return notByApp('rebind-launchd', instance, 'OLLAMA_HOST');
  const steps: FixStep[] = [];
  const expose = appSetting(instance, 'OLLAMA_HOST');
  if (expose) {
    if (!isPlainAbsolutePath(expose.source.path))
      return manualFix(
        'rebind-launchd',
        instance.id,
        "The app's settings file has a path Paddock will not pass on.",
      );
    steps.push(switchOff(expose.source.path, 'expose', 'Expose Ollama to the network'));
  }
  const set = launchctlSetting(instance, 'OLLAMA_HOST');
  const home = io.homeDir;
  if (set && !isLoopbackHost(set.value)) {
    if (!plainValue(set.value) || !home || !isPlainAbsolutePath(home))
      return manualFix(
        'rebind-launchd',
        instance.id,
        "launchctl's OLLAMA_HOST or your home folder cannot be passed on as they are.",
      );
    const value = `127.0.0.1:${port}`;
    steps.push(
      {
        kind: 'run',
        argv: [LAUNCHCTL, 'setenv', 'OLLAMA_HOST', value],
        undo: [LAUNCHCTL, 'setenv', 'OLLAMA_HOST', set.value],
        description: `Set launchd's OLLAMA_HOST to ${value} (it was ${shown(set.value)}): apps started from now on get it. On undo: ${shown(set.value)} again.`,
      },
      {
        kind: 'write-file',
        path: `${home}/Library/LaunchAgents/${HOST_AGENT_LABEL}.plist`,
        before: null,
        content: hostAgentPlist(port),
        mode: 0o644,
        description:
          "A LaunchAgent of Paddock's own that sets it again at every login (launchctl setenv is forgotten at restart). On undo: removed.",
      },
    );
  }
  if (steps.length === 0)
    return manualFix(
      'rebind-launchd',
      instance.id,
      'Neither the app\'s "Expose Ollama to the network" nor launchctl\'s OLLAMA_HOST makes this server listen beyond loopback; see its settings for where it comes from.',
    );
  return planShape({
    fixId: 'rebind-launchd',
    instance: instance.id,
    title: 'Make Ollama listen on this Mac only',
    summary: `The Ollama app is quit, ${expose ? '"Expose Ollama to the network" is turned off' : ''}${expose && set ? ' and ' : ''}${set && !isLoopbackHost(set.value) ? `launchd's OLLAMA_HOST is set to 127.0.0.1:${port}` : ''}, and the app is started again: its server then listens on 127.0.0.1:${port} only. Apps on this Mac keep working; other machines lose access.`,
    warnings: [
      'The Ollama app is quit and started again: a download or a chat in progress in it stops.',
      // A LaunchAgent of the user's own that runs `launchctl setenv OLLAMA_HOST …` at login
      // would set it again at the next login, racing Paddock's: said, not removed.
      ...instance.settings
        .filter(
          (s) =>
            s.source.kind === 'launchd-plist' &&
            s.name === 'OLLAMA_HOST' &&
            !isLoopbackHost(s.value),
        )
        .map(
          (s) =>
            `${shown(s.source.path)} sets OLLAMA_HOST=${shown(s.value)} at login: it would set it again at the next login. Remove that line (or the LaunchAgent) yourself; Paddock does not change your own agents.`,
        ),
    ],
    requiresAdmin: false,
    steps: aroundApp(steps),
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

export function planTightenOriginsDarwin(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  if (!instance) return manualFix('tighten-origins', instanceId, 'No such server in the scan.');
  if (!launchedByApp(instance)) return notByApp('tighten-origins', instance, 'OLLAMA_ORIGINS');
  const steps: FixStep[] = [];
  const browser = appSetting(instance, 'OLLAMA_ORIGINS');
  if (browser) {
    if (!isPlainAbsolutePath(browser.source.path))
      return manualFix(
        'tighten-origins',
        instance.id,
        "The app's settings file has a path Paddock will not pass on.",
      );
    steps.push(switchOff(browser.source.path, 'browser', 'Allow browser requests'));
  }
  const set = launchctlSetting(instance, 'OLLAMA_ORIGINS');
  if (set) {
    const edit = tightenedOrigins(set.value);
    const changed = edit.kind === 'remove' || edit.value !== set.value;
    if (changed) {
      if (!plainValue(set.value))
        return manualFix(
          'tighten-origins',
          instance.id,
          "launchctl's OLLAMA_ORIGINS cannot be passed on as it is.",
        );
      steps.push({
        kind: 'run',
        argv:
          edit.kind === 'remove'
            ? [LAUNCHCTL, 'unsetenv', 'OLLAMA_ORIGINS']
            : [LAUNCHCTL, 'setenv', 'OLLAMA_ORIGINS', edit.value],
        undo: [LAUNCHCTL, 'setenv', 'OLLAMA_ORIGINS', set.value],
        description: `${edit.kind === 'remove' ? 'Remove' : 'Narrow'} launchd's OLLAMA_ORIGINS (it was ${shown(set.value)}). On undo: as it was.`,
      });
    }
  }
  void io;
  if (steps.length === 0)
    return manualFix(
      'tighten-origins',
      instance.id,
      "Neither the app's browser switch nor launchctl's OLLAMA_ORIGINS lets every site in.",
    );
  return planShape({
    fixId: 'tighten-origins',
    instance: instance.id,
    title: 'Stop letting every web site use Ollama through your browser',
    summary:
      'The Ollama app is quit, the settings that let any web page call Ollama are turned off, and the app is started again.',
    warnings: [
      'The Ollama app is quit and started again: a download or a chat in progress in it stops.',
    ],
    requiresAdmin: false,
    steps: aroundApp(steps),
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

export function planBlockPortDarwin(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  if (!instance) return manualFix('block-port', instanceId, 'No such server in the scan.');
  const port = portOf(instance);
  if (port === null) return manualFix('block-port', instance.id, "The server's port is not known.");
  const pf = snapshot.probes.firewall.data?.macos?.pf ?? null;
  if (!pf || pf.enabled === null)
    return manualFix(
      'block-port',
      instance.id,
      'pf could not be read without admin rights: run the scan with admin rights (sudo paddock fix block-port) so that Paddock can see what pf does now.',
    );
  const before = io.readFile(PF_ANCHOR_FILE);
  const ports = before === null ? [] : pfFilePorts(before);
  if (ports === null)
    return manualFix(
      'block-port',
      instance.id,
      `${PF_ANCHOR_FILE} is not the file Paddock writes (it was changed by hand): it is left as it is.`,
    );
  if (pf.enabled && (pf.paddockBlocks ?? []).some((b) => b.port === port && b.family === null))
    return manualFix('block-port', instance.id, `Paddock's pf rule already closes port ${port}.`);
  const steps: FixStep[] = [
    {
      kind: 'run',
      argv: [PFCTL, '-a', PF_ANCHOR, '-s', 'rules'],
      undo:
        before === null
          ? [PFCTL, '-a', PF_ANCHOR, '-F', 'rules']
          : [PFCTL, '-a', PF_ANCHOR, '-f', PF_ANCHOR_FILE],
      description: `List what Paddock's pf anchor holds now. On undo: ${before === null ? 'empty it again' : 'load its previous rules again, once the file is back'}.`,
    },
    {
      kind: 'write-file',
      path: PF_ANCHOR_FILE,
      before,
      content: pfPortRules([...ports, port]),
      mode: 0o644,
      description: `Paddock's pf rules: port ${port} dropped on every interface but loopback${ports.length ? ` (with the ports it closed before: ${ports.join(', ')})` : ''}.`,
    },
    {
      kind: 'run',
      argv: [PFCTL, '-a', PF_ANCHOR, '-f', PF_ANCHOR_FILE],
      undo: null,
      description: `Load them into pf's anchor ${PF_ANCHOR}.`,
    },
    ...(pf.enabled
      ? []
      : [
          {
            kind: 'run' as const,
            argv: [PFCTL, '-e'],
            undo: null,
            description:
              "Enable pf (it was disabled). Undo leaves it enabled: other programs (a VPN, a firewall app) may rely on it by then, and macOS's own pf rules allow everything else.",
          },
        ]),
  ];
  return planShape({
    fixId: 'block-port',
    instance: instance.id,
    title: `Close port ${port} to other machines`,
    summary: `pf drops connections to port ${port} from other machines; this Mac still reaches Ollama over loopback. It lasts until the Mac restarts (then run the fix again, or make Ollama listen on this Mac only).`,
    warnings: pf.enabled
      ? []
      : ["pf is enabled for this; macOS's own pf rules allow everything else."],
    requiresAdmin: true,
    steps,
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
