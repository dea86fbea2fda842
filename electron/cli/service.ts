/**
 * `paddock service install|uninstall|status|run` (issue 15, Linux): Paddock's watcher as a
 * hardened systemd service of its own (engine/headless/unit.ts), its alerts through journald,
 * webhooks and the Prometheus textfile (engine/headless/runner.ts).
 *
 * install and uninstall are plans the fix executor runs like any fix: the exact preview, a
 * confirmation (or --yes), backups, a journal, verification by asking systemd, rollback on
 * failure, and `paddock undo RUN` later. They change the system as root, so they are run as
 * root (`sudo paddock service install`): the plan is made here from this machine's own files,
 * and every path that goes into the unit is this installation's own, which root's start-up
 * check (root-install.ts) has just found root's and writable by no one else.
 *
 * `run` is what the unit starts; `status` says what systemd and the service's status file say.
 */
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import type { FixPlan, FixRun } from '../../shared/fixes';
import { loadServiceConfig } from '../engine/alerts/config';
import { journaldSink } from '../engine/alerts/journald';
import { removeTextfile } from '../engine/alerts/textfile';
import { assess } from '../engine/assess';
import type { FixDeps, VerifyResult } from '../engine/fixes/executor';
import { applyPlan, planProblems } from '../engine/fixes/executor';
import { planDigest, previewPlan } from '../engine/fixes/preview';
import { servicePlanProblems } from '../engine/headless/allowlist';
import { readRegularFile } from '../engine/host/fix-files';
import { createNodeHost } from '../engine/host/node-host';
import { resolveRootProgram } from '../engine/host/trust';
import type { Host } from '../engine/host/types';
import { STATUS_FILE, startServiceRunner } from '../engine/headless/runner';
import type { ServiceStatusFile } from '../engine/headless/runner';
import {
  DEBIAN_TEXTFILE_DIR,
  SERVICE_CONFIG_DIR,
  SERVICE_CONFIG_PATH,
  SERVICE_STATE_DIR,
  SERVICE_UNIT_NAME,
  SERVICE_UNIT_PATH,
  planServiceInstall,
  planServiceUninstall,
  textfileOf,
} from '../engine/headless/unit';
import { createTickProbe } from '../engine/monitor/tick';
import { scan } from '../engine/scan';
import { defaultSettingsPath } from '../engine/settings/store';
import { cleanLine } from '../engine/text/untrusted';
import { describeRun, recoverAtStart, rootRunsDir } from './fix';
import type { FixCommandContext } from './fix';

export const SERVICE_USAGE = `Usage:
  paddock service install [--dry-run] [--yes]
        run Paddock's watcher as the systemd service ${SERVICE_UNIT_NAME} (as root: sudo)
  paddock service uninstall [--keep-config] [--dry-run] [--yes]
        stop it and remove it with what it wrote (--keep-config keeps ${SERVICE_CONFIG_PATH})
  paddock service status [--json]
        what systemd and the service say: running or not, last scan, verdict, alerts, queues
  paddock service run [--config FILE]
        what the unit starts (the watcher with journald, webhook and textfile alerts)
`;

const MAX_STATE_FILES = 200;

function readText(path: string): string | null {
  const read = readRegularFile(path, 16 * 1024 * 1024);
  if (read.ok) return read.text;
  if (/ENOENT|does not exist/.test(read.why)) return null;
  throw new Error(`${path}: ${read.why}`);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

async function systemctl(host: Host, args: string[]): Promise<string> {
  const result = await host.exec(['systemctl', ...args], { timeoutMs: 15_000 });
  return result.stdout.trim();
}

/** What systemd says of the unit: its properties by name. */
async function unitProperties(host: Host): Promise<Record<string, string>> {
  const text = await systemctl(host, [
    'show',
    '--property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,ExecMainStartTimestamp',
    '--',
    SERVICE_UNIT_NAME,
  ]);
  const props: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return props;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The last lines the service logged, one line each, for a failed verification. */
async function lastLog(host: Host): Promise<string> {
  const result = await host.exec(
    ['journalctl', '--no-pager', '-o', 'cat', '-n', '3', '-u', SERVICE_UNIT_NAME],
    { timeoutMs: 10_000 },
  );
  const lines = result.stdout
    .split('\n')
    .map((l) => cleanLine(l, 300))
    .filter((l) => l.trim() !== '');
  return lines.length > 0 ? `; it logged: ${lines.join(' / ')}` : '';
}

/** install's verification: active, enabled, and still so a moment later (no restart loop). */
export async function verifyServiceActive(host: Host, settleMs = 1500): Promise<VerifyResult> {
  let props: Record<string, string> = {};
  for (let i = 0; i < 20; i += 1) {
    props = await unitProperties(host);
    if (props.ActiveState === 'active') break;
    await sleep(250);
  }
  if (props.ActiveState === 'active') {
    await sleep(settleMs);
    props = await unitProperties(host);
  }
  const ok =
    props.ActiveState === 'active' &&
    props.UnitFileState === 'enabled' &&
    (props.NRestarts ?? '0') === '0';
  const said = `${SERVICE_UNIT_NAME} is ${props.ActiveState ?? 'unknown'} (${props.SubState ?? '?'}), ${props.UnitFileState || 'not installed'}, restarted ${props.NRestarts ?? '?'} times`;
  return ok ? { ok, detail: said } : { ok, detail: `${said}${await lastLog(host)}` };
}

/** uninstall's verification: neither active nor enabled, and no unit file. */
export async function verifyServiceRemoved(host: Host): Promise<VerifyResult> {
  const props = await unitProperties(host);
  const ok =
    props.ActiveState !== 'active' &&
    props.UnitFileState !== 'enabled' &&
    !exists(SERVICE_UNIT_PATH);
  return {
    ok,
    detail: `${SERVICE_UNIT_NAME} is ${props.ActiveState ?? 'unknown'}, ${props.UnitFileState || 'not installed'}; ${exists(SERVICE_UNIT_PATH) ? 'its unit file is still there' : 'no unit file'}`,
  };
}

/** The installed launcher and Node, as root's start-up check found them. */
function installedPaths(): { node: string; launcher: string } {
  const launcher = process.argv[1];
  if (!launcher || !launcher.startsWith('/'))
    throw new Error("the path of Paddock's launcher (bin/paddock.cjs) is not known");
  return { node: realpathSync(process.execPath), launcher: realpathSync(launcher) };
}

export function installFacts(now: Date): Parameters<typeof planServiceInstall>[0] {
  const { node, launcher } = installedPaths();
  return {
    node,
    launcher,
    config: readText(SERVICE_CONFIG_PATH),
    textfileDirExists: exists(DEBIAN_TEXTFILE_DIR),
    unit: readText(SERVICE_UNIT_PATH),
    basedOn: now.toISOString(),
  };
}

export function uninstallFacts(
  now: Date,
  keepConfig: boolean,
): Parameters<typeof planServiceUninstall>[0] {
  const config = readText(SERVICE_CONFIG_PATH);
  let state: Array<{ path: string; text: string }> | null = null;
  if (exists(SERVICE_STATE_DIR)) {
    const names = readdirSync(SERVICE_STATE_DIR).sort();
    if (names.length > MAX_STATE_FILES)
      throw new Error(`${SERVICE_STATE_DIR} holds more than ${MAX_STATE_FILES} files`);
    state = names.map((name) => {
      const path = `${SERVICE_STATE_DIR}/${name}`;
      const text = readText(path);
      if (text === null) throw new Error(`${path} went away while it was read`);
      return { path, text };
    });
  }
  const textfilePath = config ? textfileOf(config) : null;
  const textfile =
    textfilePath && 'path' in textfilePath && textfilePath.path && exists(textfilePath.path)
      ? { path: textfilePath.path }
      : null;
  let configDirEntries: string[] | null = null;
  try {
    configDirEntries = readdirSync(SERVICE_CONFIG_DIR);
  } catch {
    configDirEntries = null;
  }
  return {
    unit: readText(SERVICE_UNIT_PATH),
    state,
    config,
    textfile,
    configDirEntries,
    keepConfig,
    basedOn: now.toISOString(),
  };
}

function applyDeps(host: Host, plan: FixPlan): FixDeps {
  return {
    runsDir: rootRunsDir(host),
    exec: (argv) => host.exec(argv, { timeoutMs: 60_000, maxBytes: 1024 * 1024 }),
    now: () => new Date(),
    expectedDigest: planDigest(plan),
    verify: (p) =>
      p.verification.kind === 'service-active'
        ? verifyServiceActive(host)
        : verifyServiceRemoved(host),
  };
}

export interface ServiceCommandOptions {
  dryRun: boolean;
  yes: boolean;
  keepConfig: boolean;
}

/** install or uninstall: preview, ask, apply with the executor, say how to undo. */
export async function commandServiceChange(
  context: FixCommandContext,
  which: 'install' | 'uninstall',
  options: ServiceCommandOptions,
): Promise<number> {
  const { host } = context;
  if (process.platform !== 'linux') {
    context.stderr('paddock: `paddock service` runs Paddock under systemd, on Linux only.\n');
    return 2;
  }
  if (host.uid() !== 0) {
    context.stderr(
      `paddock: \`paddock service ${which}\` changes systemd's units as root: run it with sudo (sudo paddock service ${which}). Nothing was changed.\n`,
    );
    return 1;
  }
  await recoverAtStart(host, context.stderr);
  // A running service keeps writing its state (history, queues, status): its files are
  // previewed exactly only once it has stopped. Stopping is asked for (or --yes), and undone
  // (started again) whenever the uninstall does not happen.
  let stopped = false;
  if (which === 'uninstall' && !options.dryRun) {
    const props = await unitProperties(host);
    if (props.ActiveState === 'active' || props.ActiveState === 'activating') {
      if (
        !options.yes &&
        !(await context.confirm(
          `${SERVICE_UNIT_NAME} is running: stop it now, so that what it wrote can be shown exactly before anything is removed? (It is started again if you do not go on.)`,
        ))
      ) {
        context.stderr('paddock: not stopped; nothing was changed.\n');
        return 1;
      }
      const stop = await host.exec(['systemctl', 'stop', '--', SERVICE_UNIT_NAME], {
        timeoutMs: 60_000,
      });
      if (stop.code !== 0) {
        context.stderr(
          `paddock: ${SERVICE_UNIT_NAME} did not stop (${cleanLine(stop.stderr.trim(), 300) || `exit ${stop.code}`}); nothing was changed.\n`,
        );
        return 1;
      }
      stopped = true;
      context.stderr(`paddock: stopped ${SERVICE_UNIT_NAME} to preview what it wrote.\n`);
    }
  }
  const restart = async (why: string) => {
    if (!stopped) return;
    const start = await host.exec(['systemctl', 'start', '--', SERVICE_UNIT_NAME], {
      timeoutMs: 60_000,
    });
    context.stderr(
      start.code === 0
        ? `paddock: ${why}: ${SERVICE_UNIT_NAME} is started again, as it was.\n`
        : `paddock: ${why}, and ${SERVICE_UNIT_NAME} did not start again: run \`systemctl start ${SERVICE_UNIT_NAME}\`.\n`,
    );
  };
  const now = new Date();
  let made: FixPlan | { error: string };
  try {
    made =
      which === 'install'
        ? planServiceInstall(installFacts(now))
        : planServiceUninstall(uninstallFacts(now, options.keepConfig));
  } catch (error) {
    context.stderr(`paddock: ${(error as Error).message}. Nothing was changed.\n`);
    await restart('not uninstalled');
    return 1;
  }
  if ('error' in made) {
    context.stderr(`paddock: ${made.error}\n`);
    await restart('not uninstalled');
    return 1;
  }
  const plan = made;
  // The same checks as any plan root runs (docs/security.md): argv only, and only changes of
  // Paddock's own unit, configuration and state.
  const problems = [...planProblems(plan), ...servicePlanProblems(plan, true)];
  if (problems.length > 0) {
    context.stderr(`paddock: the plan was refused: ${problems.join('; ')}. Nothing was changed.\n`);
    await restart('not uninstalled');
    return 1;
  }
  context.stdout(previewPlan(plan));
  if (options.dryRun) return 0;
  if (!options.yes && !(await context.confirm('Apply this plan?'))) {
    context.stderr(
      'paddock: not applied (answer y, or pass --yes when there is no terminal); nothing was changed.\n',
    );
    await restart('not uninstalled');
    return 1;
  }
  // A run ends applied or rolled back, never half-way: a Ctrl-C or a closed SSH session must
  // not stop it between `disable --now` and the last removal (docs/security.md).
  const ignore = () => {};
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, ignore);
  let run: FixRun;
  try {
    run = await applyPlan(plan, applyDeps(host, plan));
  } finally {
    for (const signal of signals) process.off(signal, ignore);
  }
  context.stdout(`\n${describeRun(run)}\n`);
  if (run.state === 'applied') {
    context.stdout(`To undo it later: paddock undo ${run.id}\n`);
    if (which === 'install')
      context.stdout(
        `See it with: paddock service status; its alerts: journalctl -u ${SERVICE_UNIT_NAME}\n`,
      );
  } else await restart('the uninstall was rolled back');
  return run.state === 'applied' ? 0 : 1;
}

function readStatusFile(): ServiceStatusFile | { problem: string } | null {
  const path = `${SERVICE_STATE_DIR}/${STATUS_FILE}`;
  const read = readRegularFile(path, 1024 * 1024);
  if (!read.ok) {
    if (/ENOENT|does not exist/.test(read.why)) return null;
    return { problem: `${path}: ${read.why}` };
  }
  try {
    return JSON.parse(read.text) as ServiceStatusFile;
  } catch {
    return { problem: `${path} is not JSON` };
  }
}

export async function commandServiceStatus(
  host: Host,
  json: boolean,
  say: (text: string) => void,
): Promise<number> {
  const props = await unitProperties(host);
  const installed = props.LoadState === 'loaded' && exists(SERVICE_UNIT_PATH);
  const status = installed ? readStatusFile() : null;
  const active = props.ActiveState === 'active';
  if (json) {
    say(
      `${JSON.stringify(
        {
          installed,
          active,
          enabled: props.UnitFileState === 'enabled',
          systemd: props,
          status: status && !('problem' in status) ? status : null,
          statusProblem: status && 'problem' in status ? status.problem : null,
        },
        null,
        2,
      )}\n`,
    );
    return active ? 0 : 1;
  }
  if (!installed) {
    say(`Paddock's service is not installed (sudo paddock service install installs it).\n`);
    return 1;
  }
  const lines = [
    `${SERVICE_UNIT_NAME}: ${props.ActiveState} (${props.SubState}), ${props.UnitFileState}${active && props.ExecMainStartTimestamp ? `, since ${props.ExecMainStartTimestamp}` : ''}${props.NRestarts && props.NRestarts !== '0' ? `, restarted ${props.NRestarts} times` : ''}`,
  ];
  if (status === null) lines.push('No status yet (the service writes it after its first scan).');
  else if ('problem' in status)
    lines.push(
      `The status file cannot be read: ${status.problem}${host.uid() !== 0 ? ' (run it as root)' : ''}`,
    );
  else {
    lines.push(
      `Last full scan: ${status.lastScanAt ?? 'none yet'}; verdict ${status.verdict ?? 'unknown'}${status.exposed ? ' (exposed)' : ''}, ${status.instances.length} server${status.instances.length === 1 ? '' : 's'}`,
      ...(status.lastError ? [`Last error: ${cleanLine(status.lastError, 300)}`] : []),
      `Alerts sent: ${status.alerts.sent}${status.alerts.heldBack ? `, ${status.alerts.heldBack} held back by the rate limit` : ''}`,
      `journald: ${status.journald.enabled ? (status.journald.lastError ? `failing (${cleanLine(status.journald.lastError, 200)})` : 'on') : 'off'}`,
      `Prometheus textfile: ${status.textfile.path ? `${status.textfile.path}${status.textfile.lastError ? `, failing (${cleanLine(status.textfile.lastError, 300)})` : status.textfile.writtenAt ? `, written ${status.textfile.writtenAt}` : ''}` : 'none'}`,
      ...status.webhooks.map(
        (w) =>
          `Webhook ${w.name} (${w.shape}): ${w.pending} waiting${w.dropped ? `, ${w.dropped} dropped when the queue was full` : ''}${w.lastError ? `, last error: ${cleanLine(w.lastError, 200)}` : ''}${w.nextAttemptAt && w.pending ? `, next try ${w.nextAttemptAt}` : ''}`,
      ),
    );
  }
  say(`${lines.join('\n')}\n`);
  return active ? 0 : 1;
}

/** `paddock service __remove-textfile PATH`: uninstall's step (unit.ts REMOVE_TEXTFILE). */
export function commandRemoveTextfile(path: string, say: (text: string) => void): number {
  const removed = removeTextfile(path, 0);
  if (!removed.ok) {
    say(`paddock: ${removed.error}\n`);
    return 1;
  }
  return 0;
}

/** What the unit starts: the watcher with the configured sinks, until SIGTERM. */
export async function commandServiceRun(
  configPath: string,
  io: { stdout: (t: string) => void; stderr: (t: string) => void },
  until?: Promise<unknown>,
): Promise<number> {
  const host = createNodeHost();
  const loaded = loadServiceConfig(configPath, { owner: host.uid() ?? 0 });
  if (!loaded.ok) {
    io.stderr(`paddock: the service cannot start: ${loaded.error}\n`);
    return 2;
  }
  const logger = resolveRootProgram('logger');
  if (loaded.config.journald && !logger.ok) {
    io.stderr(`paddock: the service cannot start: journald is on, but ${logger.message}\n`);
    return 2;
  }
  const stateDir = process.env.STATE_DIRECTORY?.split(':')[0] || SERVICE_STATE_DIR;
  const settingsPath = defaultSettingsPath(host);
  const tickProbe = createTickProbe(host);
  const runner = startServiceRunner({
    config: loaded,
    stateDir,
    hostname: host.hostname(),
    tick: (last) => tickProbe.tick(last),
    fullScan: async () => {
      const snapshot = await scan(host, { gpuControllers: false });
      const assessed = await assess(snapshot, { settingsPath });
      return { snapshot, findings: assessed.findings, assessed };
    },
    journal: journaldSink(logger.ok ? logger.path : 'logger', (argv, input) =>
      host.exec(argv, { input, timeoutMs: 5_000 }),
    ),
    log: (line) => io.stdout(`${line}\n`),
  });
  await (until ??
    new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    }));
  await runner.stop();
  io.stdout('paddock: the service stopped.\n');
  return 0;
}
