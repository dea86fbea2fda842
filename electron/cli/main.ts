/**
 * The `paddock` command over the engine. Exit codes are a contract for scripts:
 *   0 private (or every exposure accepted) · 1 exposed, or a finding at --fail-on or worse
 *   2 usage error · 3 internal error · 4 verdict unknown
 */
import type { ProxyRequest } from './fix';
import type { Severity } from '../../shared/findings';
import type { Snapshot } from '../../shared/snapshot';
import type { Assessment } from '../engine/assess';
import { assess, exposedAfterAcceptance, openFindingsAtLeast } from '../engine/assess';
import { writeFileAtomic } from '../engine/host/atomic-write';
import { createNodeHost } from '../engine/host/node-host';
import type { Host } from '../engine/host/types';
import type { ReportFormat } from '../engine/report/index';
import type { ScanOptions } from '../engine/scan';
import { scan } from '../engine/scan';
import { acceptRisk, defaultSettingsPath, withdrawRisk } from '../engine/settings/store';
import { elevatedFirewallFacts } from './elevate';
import type { FixCommandContext } from './fix';
import { FIX_IDS } from './privileged-commands';
import { privilegedArgv } from './privileged-program';
import { renderScan, styleFor } from './render';
import { toScanJson } from './scan-json';

export const EXIT = { private: 0, exposed: 1, usage: 2, internal: 3, unknown: 4 } as const;

const VERSION = '0.1.0';
const SEVERITY_NAMES = ['critical', 'high', 'medium', 'low', 'info'] as const;
const FORMATS = ['json', 'md', 'html', 'prometheus'] as const;

const HELP = `paddock: keeps local LLM servers (Ollama first) private to this computer

Usage:
  paddock scan [--json] [--gpu] [--elevated] [--fail-on SEVERITY]
        find every Ollama server here, say who can reach it, who uses it, and what is wrong
  paddock report --format json|md|html|prometheus -o FILE [--gpu] [--elevated]
        write a report to keep or hand over (-o - for standard output)
  paddock accept RULE-ID --instance ID|host --reason TEXT [--until YYYY-MM-DD]
        accept one finding's risk: it stays visible, marked accepted, and no longer counts
        toward the score or the exit code
  paddock unaccept RULE-ID --instance ID|host
  paddock fix FIX-ID [--instance ID] [--dry-run] [--yes]
        show exactly what will change, ask, apply with the OS's admin prompt when needed,
        verify by scanning again, and roll back by itself if anything fails
        (FIX-ID: rebind-systemd, rebind-server, block-port, tighten-origins,
        stop-request-logging, docker-localhost, stop-tunnel, share-allowlist, share-vpn,
        share-proxy, block-client, …)
        share-allowlist --allow ADDR[/LEN],...   keep the port open to these sources only
        block-client --allow ADDR                cut off one machine connected to the server
        share-proxy [--proxy nginx|caddy] [--auth bearer|basic] [--endpoints inference|all]
                    [--tls certificate --cert PEM --key PEM | --tls internal | --tls vpn-plain]
              the server back on loopback, a proxy that asks for a token or password in
              front; the secret is generated as root and printed once
  paddock undo RUN-ID [--yes]     undo a past fix (refused if a file changed since)
  paddock history [--json]        past fix runs, newest last
  paddock watch [--json] [--interval SECONDS]
        print what changes as it happens (exposure started or ended, remote clients,
        servers, findings) and keep it in the history; Ctrl-C stops (exit 0)
  paddock service install|uninstall|status [--dry-run] [--yes] [--json]
        (Linux, as root) run the watcher as the hardened systemd service paddock.service,
        with alerts to journald, webhooks and a Prometheus textfile (/etc/paddock/paddock.json)
  paddock --version
  paddock --help

Options:
  --json       print the result as JSON (stable fields: verdict, score (null with no
               server), scoreLabel, findings[], instances[], snapshot)
  --gpu        also list the GPU controllers (systeminformation; live NVIDIA figures always)
  --elevated   read the firewall with admin rights (sudo, or pkexec's dialog); only the
               read-only firewall probe runs as root, and a cancelled prompt changes nothing
  --fail-on S  exit 1 when a finding of severity S or worse is open (critical, high,
               medium, low, info), else 0
  --help       show this help

Exit codes:
  0  private to this computer (or every exposure accepted)
  1  exposed (local network or internet), or a finding at --fail-on or worse
  2  usage error        3  internal error
  4  verdict unknown (something could not be read; the output says what)

Accepted risks live in $XDG_CONFIG_HOME/paddock/settings.json (else ~/.config/paddock/).
Colour is used on a terminal unless NO_COLOR is set.
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTty: boolean;
  /** stdin is a terminal: sudo may ask for a password there. */
  isStdinTty: boolean;
  /** argv that starts the privileged program for admin rights (privileged-program.ts). */
  privileged: readonly string[];
  env: (name: string) => string | undefined;
  /** Where accepted risks are kept; null to ignore them (tests). Default: the settings file. */
  settingsPath?: string | null;
}

class UsageError extends Error {}

interface Options {
  flags: Set<string>;
  values: Map<string, string>;
  positional: string[];
}

/** Flags without a value, and options that take one; anything else is a usage error. */
function parseArgs(args: string[], flags: readonly string[], valued: readonly string[]): Options {
  const options: Options = { flags: new Set(), values: new Map(), positional: [] };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    if (flags.includes(name)) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value`);
      options.flags.add(name);
    } else if (valued.includes(name)) {
      const value = inline ?? args[(i += 1)];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      options.values.set(name, value);
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option: ${JSON.stringify(arg)}`);
    } else {
      options.positional.push(arg);
    }
  }
  return options;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(
      `${what} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`,
    );
  return value as T;
}

export function exitCodeFor(
  snapshot: Snapshot,
  assessment?: Pick<Assessment, 'findings'>,
  failOn?: Severity,
): number {
  if (failOn && assessment)
    return openFindingsAtLeast(assessment.findings, failOn).length > 0
      ? EXIT.exposed
      : EXIT.private;
  if (snapshot.verdict === 'unknown') return EXIT.unknown;
  if (snapshot.verdict === 'private') return EXIT.private;
  return !assessment || exposedAfterAcceptance(snapshot, assessment.findings)
    ? EXIT.exposed
    : EXIT.private;
}

function settingsPathOf(io: CliIo, host: Host): string | null {
  return io.settingsPath === undefined ? defaultSettingsPath(host) : io.settingsPath;
}

async function scanWithOptions(host: Host, io: CliIo, options: Options): Promise<Snapshot> {
  let firewall: ScanOptions['firewall'];
  if (options.flags.has('--elevated') && host.uid() !== 0) {
    const elevated = await elevatedFirewallFacts({
      host,
      privileged: io.privileged,
      interactive: io.isStdinTty,
    });
    if (elevated.ok) firewall = elevated.result;
    else io.stderr(`paddock: --elevated: ${elevated.message}\n`);
  }
  return scan(host, { gpuControllers: options.flags.has('--gpu'), firewall });
}

async function assessed(host: Host, io: CliIo, snapshot: Snapshot): Promise<Assessment> {
  const assessment = await assess(snapshot, { settingsPath: settingsPathOf(io, host) });
  if (assessment.settingsProblem)
    io.stderr(`paddock: accepted risks not applied: ${assessment.settingsProblem}\n`);
  return assessment;
}

/**
 * fix, undo and history load the fix engine (and zod) only when asked: a scan never needs
 * them, and loading them costs every start (bench/README.md, start-up ratio).
 */
const fixModule = () => import('./fix');

async function fixContext(io: CliIo): Promise<FixCommandContext> {
  const { confirm } = await fixModule();
  const host = createNodeHost();
  return {
    host,
    elevate: { host, privileged: io.privileged, interactive: io.isStdinTty },
    stdout: io.stdout,
    stderr: io.stderr,
    confirm: (question) => confirm(question, io.isStdinTty),
  };
}

async function commandFix(args: string[], io: CliIo): Promise<number> {
  const options = parseArgs(
    args,
    ['--dry-run', '--yes', '-y'],
    ['--instance', '--allow', '--proxy', '--auth', '--endpoints', '--tls', '--cert', '--key'],
  );
  const [fixText, ...extra] = options.positional;
  if (!fixText || extra.length > 0)
    throw new UsageError(`fix takes one FIX-ID (${FIX_IDS.join(', ')})`);
  const fixId = oneOf(fixText, FIX_IDS, 'FIX-ID');
  const { commandFixFlow } = await fixModule();
  return commandFixFlow(await fixContext(io), fixId, {
    instance: options.values.get('--instance'),
    dryRun: options.flags.has('--dry-run'),
    yes: options.flags.has('--yes') || options.flags.has('-y'),
    allow: (options.values.get('--allow') ?? '').split(',').filter((s) => s.trim() !== ''),
    ...(fixId === 'share-proxy' ? { proxy: proxyOptions(options.values) } : {}),
  });
}

async function commandService(args: string[], io: CliIo): Promise<number> {
  const service = await import('./service');
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout(service.SERVICE_USAGE);
    return sub === undefined ? EXIT.usage : 0;
  }
  if (sub === 'install' || sub === 'uninstall') {
    const options = parseArgs(
      rest,
      ['--dry-run', '--yes', '-y', ...(sub === 'uninstall' ? ['--keep-config'] : [])],
      [],
    );
    if (options.positional.length > 0)
      throw new UsageError(`unexpected argument: ${JSON.stringify(options.positional[0])}`);
    return service.commandServiceChange(await fixContext(io), sub, {
      dryRun: options.flags.has('--dry-run'),
      yes: options.flags.has('--yes') || options.flags.has('-y'),
      keepConfig: options.flags.has('--keep-config'),
    });
  }
  if (sub === 'status') {
    const options = parseArgs(rest, ['--json'], []);
    if (options.positional.length > 0)
      throw new UsageError(`unexpected argument: ${JSON.stringify(options.positional[0])}`);
    return service.commandServiceStatus(createNodeHost(), options.flags.has('--json'), io.stdout);
  }
  if (sub === '__remove-textfile') {
    if (rest.length !== 1 || !rest[0]!.startsWith('/') || !rest[0]!.endsWith('.prom'))
      throw new UsageError('__remove-textfile takes the absolute path of a .prom file');
    return service.commandRemoveTextfile(rest[0]!, io.stderr);
  }
  if (sub === 'run') {
    const options = parseArgs(rest, [], ['--config']);
    if (options.positional.length > 0)
      throw new UsageError(`unexpected argument: ${JSON.stringify(options.positional[0])}`);
    const config = options.values.get('--config') ?? '/etc/paddock/paddock.json';
    if (!config.startsWith('/')) throw new UsageError('--config needs an absolute path');
    return service.commandServiceRun(config, io);
  }
  throw new UsageError(
    `service takes install, uninstall, status or run (got ${JSON.stringify(sub)})`,
  );
}

/** share-proxy's choices from the command line; the proxy defaults to the one installed. */
function proxyOptions(values: Map<string, string>): ProxyRequest {
  const get = <T extends string>(flag: string, allowed: readonly T[]): T | undefined => {
    const value = values.get(flag);
    return value === undefined ? undefined : oneOf(value, allowed, flag);
  };
  const cert = values.get('--cert') ?? null;
  const key = values.get('--key') ?? null;
  const software = get('--proxy', ['nginx', 'caddy'] as const);
  const tls = get('--tls', ['certificate', 'internal', 'vpn-plain'] as const);
  if ((cert === null) !== (key === null))
    throw new UsageError('--cert and --key go together (a PEM certificate and its key)');
  if (cert !== null && tls !== undefined && tls !== 'certificate')
    throw new UsageError('--cert and --key are for --tls certificate');
  return {
    software,
    auth: get('--auth', ['bearer', 'basic'] as const) ?? 'bearer',
    endpoints: get('--endpoints', ['inference', 'all'] as const) ?? 'inference',
    tls: tls ?? (cert !== null ? 'certificate' : undefined),
    cert,
    key,
  };
}

async function commandUndo(args: string[], io: CliIo): Promise<number> {
  const options = parseArgs(args, ['--yes', '-y'], []);
  const [id, ...extra] = options.positional;
  if (!id || extra.length > 0) throw new UsageError('undo takes one RUN-ID (see paddock history)');
  const { commandUndoFlow } = await fixModule();
  return commandUndoFlow(
    await fixContext(io),
    id,
    options.flags.has('--yes') || options.flags.has('-y'),
  );
}

async function commandHistory(args: string[], io: CliIo): Promise<number> {
  const options = parseArgs(args, ['--json'], []);
  if (options.positional.length > 0) throw new UsageError('history takes no argument');
  const { commandHistoryFlow } = await fixModule();
  return commandHistoryFlow(await fixContext(io), options.flags.has('--json'));
}

async function commandScan(args: string[], io: CliIo): Promise<number> {
  const options = parseArgs(args, ['--json', '--gpu', '--elevated', '--help', '-h'], ['--fail-on']);
  if (options.flags.has('--help') || options.flags.has('-h')) {
    io.stdout(HELP);
    return 0;
  }
  if (options.positional.length > 0)
    throw new UsageError(`unexpected argument: ${JSON.stringify(options.positional[0])}`);
  const failOnText = options.values.get('--fail-on');
  const failOn =
    failOnText === undefined ? undefined : oneOf(failOnText, SEVERITY_NAMES, '--fail-on');
  const host = createNodeHost();
  const snapshot = await scanWithOptions(host, io, options);
  const assessment = await assessed(host, io, snapshot);
  if (options.flags.has('--json'))
    io.stdout(`${JSON.stringify(toScanJson(snapshot, assessment), null, 2)}\n`);
  else io.stdout(renderScan(snapshot, styleFor(io.isTty, io.env), assessment));
  return exitCodeFor(snapshot, assessment, failOn);
}

async function commandReport(args: string[], io: CliIo): Promise<number> {
  const options = parseArgs(args, ['--gpu', '--elevated'], ['--format', '-o', '--output']);
  if (options.positional.length > 0)
    throw new UsageError(`unexpected argument: ${JSON.stringify(options.positional[0])}`);
  const formatText = options.values.get('--format');
  if (!formatText) throw new UsageError('report needs --format json|md|html|prometheus');
  const format = oneOf(formatText, FORMATS, '--format') as ReportFormat;
  const output = options.values.get('-o') ?? options.values.get('--output');
  if (!output) throw new UsageError('report needs -o FILE (or -o - for standard output)');
  const host = createNodeHost();
  const snapshot = await scanWithOptions(host, io, options);
  const assessment = await assessed(host, io, snapshot);
  const { renderReport } = await import('../engine/report/index');
  const text = renderReport(format, {
    snapshot,
    findings: assessment.findings,
    posture: assessment.posture,
  });
  if (output === '-') io.stdout(text);
  else {
    // Atomic: node_exporter's textfile collector may read the file at any moment. The
    // Prometheus file must be readable by the collector's user; the others stay private.
    await writeFileAtomic(output, text, format === 'prometheus' ? 0o644 : 0o600);
    io.stderr(
      `paddock: wrote ${format} report to ${output} (verdict ${snapshot.verdict}, score ${assessment.posture.score ?? 'none: no server'})\n`,
    );
  }
  return 0;
}

function instanceArg(options: Options): string | null {
  const instance = options.values.get('--instance');
  if (!instance)
    throw new UsageError('--instance ID is needed (use "host" for a host-wide finding)');
  return instance === 'host' ? null : instance;
}

async function commandAccept(args: string[], io: CliIo): Promise<number> {
  const options = parseArgs(args, [], ['--instance', '--reason', '--until']);
  const [ruleId, ...extra] = options.positional;
  if (!ruleId || extra.length > 0) throw new UsageError('accept takes one RULE-ID');
  const reason = options.values.get('--reason');
  if (!reason) throw new UsageError('accept needs --reason TEXT: say why this risk is acceptable');
  const { RULES } = await import('../engine/rules/index');
  if (!RULES.some((rule) => rule.meta.id === ruleId))
    throw new UsageError(
      `no rule is named ${JSON.stringify(ruleId)}; \`paddock scan\` names each finding's rule`,
    );
  const path = settingsPathOf(io, createNodeHost());
  if (!path) throw new UsageError('no settings file to keep accepted risks in');
  const risk = await acceptRisk(
    path,
    {
      ruleId,
      instance: instanceArg(options),
      reason,
      expiresAt: options.values.get('--until') ?? null,
    },
    new Date(),
  );
  io.stdout(
    `Accepted ${risk.ruleId} for ${risk.instance ?? 'this host'}${risk.expiresAt ? ` until ${risk.expiresAt}` : ''}: ${risk.reason}\n(saved in ${path})\n`,
  );
  return 0;
}

async function commandUnaccept(args: string[], io: CliIo): Promise<number> {
  const options = parseArgs(args, [], ['--instance']);
  const [ruleId, ...extra] = options.positional;
  if (!ruleId || extra.length > 0) throw new UsageError('unaccept takes one RULE-ID');
  const path = settingsPathOf(io, createNodeHost());
  if (!path) throw new UsageError('no settings file');
  const instance = instanceArg(options);
  const removed = await withdrawRisk(path, ruleId, instance);
  io.stdout(
    removed
      ? `No longer accepted: ${ruleId} for ${instance ?? 'this host'}\n`
      : `Nothing to withdraw: ${ruleId} for ${instance ?? 'this host'} was not accepted\n`,
  );
  return 0;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout(HELP);
      return command === undefined ? EXIT.usage : 0;
    }
    if (command === '--version' || command === '-V') {
      io.stdout(`paddock ${VERSION}\n`);
      return 0;
    }
    if (command === '__ollama-app-switch')
      return await (await import('./ollama-app-switch')).commandOllamaAppSwitch(rest, io);
    if (command.startsWith('__'))
      throw new UsageError(
        `${command} belongs to paddock-privileged, the part of Paddock that runs as root (docs/security.md); this command does not run it`,
      );
    if (command === 'fix') return await commandFix(rest, io);
    if (command === 'undo') return await commandUndo(rest, io);
    if (command === 'history') return await commandHistory(rest, io);
    if (command === 'watch') return await (await import('./watch')).commandWatch(rest, io);
    if (command === 'service') return await commandService(rest, io);
    if (command === 'scan') return await commandScan(rest, io);
    if (command === 'report') return await commandReport(rest, io);
    if (command === 'accept') return await commandAccept(rest, io);
    if (command === 'unaccept') return await commandUnaccept(rest, io);
    throw new UsageError(`unknown command: ${JSON.stringify(command)}`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`paddock: ${error.message}\nRun 'paddock --help' for usage.\n`);
      return EXIT.usage;
    }
    if (error instanceof Error && error.name === 'SettingsError') {
      io.stderr(`paddock: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof Error && error.name === 'FixRefusal') {
      io.stderr(`paddock: ${error.message} Nothing was changed.\n`);
      return EXIT.exposed;
    }
    io.stderr(
      `paddock: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.internal;
  }
}

/** This process's own standard streams and environment, as the CLI uses them. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTty: process.stdout.isTTY === true,
    isStdinTty: process.stdin.isTTY === true,
    privileged: privilegedArgv(),
    env: (name) => process.env[name],
  };
}

/** Runs the CLI for this process's argv and answers its exit code. */
export async function runFromArgv(argv: readonly string[]): Promise<number> {
  try {
    return await runCli(argv.slice(2), processIo());
  } catch (error) {
    process.stderr.write(`paddock: internal error: ${String(error)}\n`);
    return EXIT.internal;
  }
}

/** Entry point of the bundled CLI. */
export function main(): void {
  void runFromArgv([process.execPath, ...process.argv.slice(1)]).then((code) => {
    process.exitCode = code;
  });
}
