/**
 * The Linux firewall probe: reads every backend at once, each with its own status, and
 * returns their normalised facts (shared/firewall.ts). It only reads: `nft -j list ruleset`,
 * `iptables-save` of each variant and family, `ufw status verbose`, `firewall-cmd` queries
 * (--state, --get-default-zone, --list-all-zones, --list-all-policies), and files (ufw's
 * configuration, firewalld service definitions). Nothing read from the system reaches a
 * command line: firewalld services are resolved from their XML files, not with
 * `--info-service=<name>`.
 *
 * Statuses per backend: `unavailable` when the tool is not installed, `denied` when it needs
 * root (never reported as "no firewall"), `error` for timeouts or output that cannot be read.
 */
import type {
  FirewallFacts,
  FirewalldFacts,
  FirewalldModel,
  FirewalldService,
  IptablesFacts,
  NftablesFacts,
  UfwFacts,
  UfwModel,
} from '../../../../../shared/firewall';
import type { Evidence, ProbeResult, ProbeStatus } from '../../../../../shared/base';
import type { ExecOptions, ExecResult, FileRead, Host } from '../../../host/types';
import { execEvidence, fileEvidence, runProbe, statusForFsError } from '../../probe';
import { clip } from './common';
import {
  isServiceName,
  parseFirewalldPolicies,
  parseFirewalldZones,
  parseServiceXml,
} from './firewalld';
import { parseIptablesSave } from './iptables';
import { dormantFromText, parseNftJson } from './nft';
import { parseUfwConf, parseUfwDefaults, parseUfwStatus, parseUfwUserRules } from './ufw';

const PROBE_TIMEOUT_MS = 20_000;
const EXEC_TIMEOUT_MS = 5_000;
const RULESET_MAX_BYTES = 32 * 1024 * 1024;
const MAX_SERVICES = 64;
/** Where the tools live when PATH (of a non-root user, often) lacks the sbin directories. */
const SBIN_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

export const NFT_ARGV = ['nft', '-j', 'list', 'ruleset'] as const;

interface ToolRun {
  result: ExecResult;
  evidence: Evidence;
  status: ProbeStatus;
  /** Plain-language outcome for a status other than ok. */
  message: string | null;
  /** Not run: the facts already said there was nothing for it to show. */
  skipped?: boolean;
}

const DENIED =
  /Operation not permitted|Permission denied|must be root|need to be root|Authorization failed|NotAuthorized|AccessDenied|ACCESS_DENIED/i;

/** Runs a tool by name, then from the sbin directories when PATH does not have it. */
export async function runTool(
  host: Host,
  name: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ToolRun> {
  const candidates = [name, ...SBIN_DIRS.map((d) => `${d}/${name}`)];
  let result: ExecResult | null = null;
  for (const program of candidates) {
    result = await host.exec([program, ...args], { timeoutMs: EXEC_TIMEOUT_MS, ...options });
    if (result.spawnError !== 'ENOENT') break;
  }
  const r = result!;
  const evidence = execEvidence(r);
  const said = clip(`${r.stderr} ${r.stdout}`.trim(), 200);
  if (r.spawnError === 'ENOENT')
    return { result: r, evidence, status: 'unavailable', message: `${name} is not installed` };
  if (r.spawnError)
    return {
      result: r,
      evidence,
      status: statusForFsError(r.spawnError),
      message: `${name} could not be started (${r.spawnError})`,
    };
  if (r.timedOut)
    return { result: r, evidence, status: 'error', message: `${name} did not answer in time` };
  if (r.truncated)
    return { result: r, evidence, status: 'error', message: `${name} printed more than we read` };
  if (r.code !== 0) {
    if (DENIED.test(`${r.stderr}\n${r.stdout}`))
      return { result: r, evidence, status: 'denied', message: `${name} needs root: ${said}` };
    return {
      result: r,
      evidence,
      status: 'error',
      message: `${name} exited with ${r.code ?? r.signal}: ${said}`,
    };
  }
  return { result: r, evidence, status: 'ok', message: null };
}

function failed(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ── nftables ──────────────────────────────────────────────────────────────────────────────

export async function probeNftables(host: Host): Promise<NftablesFacts> {
  const run = await runTool(host, NFT_ARGV[0], NFT_ARGV.slice(1), {
    maxBytes: RULESET_MAX_BYTES,
  });
  if (run.status !== 'ok')
    return {
      status: run.status,
      evidence: [run.evidence],
      message: run.message ?? undefined,
      ruleset: null,
    };
  const parsed = parseNftJson(run.result.stdout);
  if (!parsed.ok)
    return { status: 'error', evidence: [run.evidence], message: parsed.message, ruleset: null };
  // A table whose flags JSON could not show (nft 1.0.6): its text form says whether it is
  // dormant (loaded but not in force). Rare, so one more nft run per such table, at most 16.
  const evidence = [run.evidence];
  for (const table of parsed.ruleset.tables.filter((t) => t.dormant === null).slice(0, 16)) {
    const text = await runTool(host, NFT_ARGV[0], ['list', 'table', table.family, table.name], {
      maxBytes: RULESET_MAX_BYTES,
    });
    evidence.push(text.evidence);
    if (text.status === 'ok') table.dormant = dormantFromText(text.result.stdout);
  }
  return {
    status: 'ok',
    evidence,
    message: parsed.ruleset.warnings.length ? parsed.ruleset.warnings.join('; ') : undefined,
    ruleset: parsed.ruleset,
  };
}

// ── iptables ──────────────────────────────────────────────────────────────────────────────

function iptablesFacts(
  run: ToolRun,
  family: 4 | 6,
  fallbackVariant: 'nft' | 'legacy',
): IptablesFacts {
  if (run.status !== 'ok')
    return {
      status: run.status,
      evidence: [run.evidence],
      message: run.message ?? undefined,
      variant: fallbackVariant,
      family,
      ruleset: null,
    };
  // iptables-nft prints its warnings ("iptables-legacy tables present") on stderr.
  const stderrNotes = run.result.stderr
    .split('\n')
    .filter((l) => /^#\s*(Warning|Table)/.test(l))
    .join('\n');
  const parsed = parseIptablesSave(`${stderrNotes}\n${run.result.stdout}`, family);
  if (!parsed.ok)
    return {
      status: 'error',
      evidence: [run.evidence],
      message: parsed.message,
      variant: fallbackVariant,
      family,
      ruleset: null,
    };
  return {
    status: 'ok',
    evidence: [run.evidence],
    message: parsed.ruleset.warnings.length ? parsed.ruleset.warnings.join('; ') : undefined,
    variant: parsed.variant ?? fallbackVariant,
    family,
    ruleset: parsed.ruleset,
  };
}

/**
 * A tool Paddock chose not to run, because the facts already said it had nothing to show:
 * an empty successful run, with evidence saying what was not run and why.
 */
function notRun(argv: string[], evidence: Evidence): ToolRun {
  return {
    result: {
      argv,
      code: 0,
      signal: null,
      stdout: '',
      stderr: '',
      truncated: false,
      timedOut: false,
      spawnError: null,
      durationMs: 0,
    },
    evidence,
    status: 'ok',
    message: null,
    skipped: true,
  };
}

/**
 * The kernel lists its legacy (x_tables) tables in /proc/net/ip_tables_names and
 * ip6_tables_names, per network namespace. When that file is absent or empty there is no
 * legacy rule to read, and iptables-legacy-save is not run: it would load the x_tables
 * modules as a side effect, a change to the system Paddock does not make by looking.
 */
async function noLegacyTables(host: Host, family: 4 | 6): Promise<ToolRun | null> {
  const path = `/proc/net/${family === 4 ? 'ip' : 'ip6'}_tables_names`;
  const names = await host.readFile(path, 4096);
  if (names.ok && names.text.trim() !== '') return null;
  if (!names.ok && names.code !== 'ENOENT') return null;
  const argv = [`${family === 4 ? 'iptables' : 'ip6tables'}-legacy-save`];
  return notRun(argv, {
    kind: 'file',
    ref: path,
    outcome: `${names.ok ? 'empty' : 'absent'}: no legacy ${family === 4 ? 'iptables' : 'ip6tables'} table is loaded, so ${argv[0]} was not run`,
  });
}

/**
 * iptables-nft-save and iptables-legacy-save for each family (iptables 1.8+ installs both);
 * plain iptables-save only when neither exists (iptables before 1.8: legacy, unless its
 * header says nf_tables).
 */
/** The tables iptables-nft keeps in nftables; any other nft table is not its business. */
const IPTABLES_NFT_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

/**
 * iptables-nft keeps its tables in nftables, so `nft list ruleset` already says whether it has
 * any. With none there is nothing for iptables-nft-save to show, and it is not run.
 */
function noIptablesNftTables(nft: NftablesFacts | null, family: 4 | 6): ToolRun | null {
  if (!nft || nft.status !== 'ok' || !nft.ruleset) return null;
  const tableFamily = family === 4 ? 'ip' : 'ip6';
  if (nft.ruleset.tables.some((t) => t.family === tableFamily && IPTABLES_NFT_TABLES.has(t.name)))
    return null;
  const argv = [`${family === 4 ? 'iptables' : 'ip6tables'}-nft-save`];
  return notRun(argv, {
    kind: 'exec',
    ref: NFT_ARGV.join(' '),
    outcome: `no ${tableFamily} iptables table in the nftables ruleset, so ${argv[0]} was not run`,
  });
}

export async function probeIptables(
  host: Host,
  nftables: Promise<NftablesFacts | null> = Promise.resolve(null),
): Promise<IptablesFacts[]> {
  const families = [4, 6] as const;
  const tool = (family: 4 | 6, variant: string) =>
    `${family === 4 ? 'iptables' : 'ip6tables'}${variant}-save`;
  const runs = await Promise.all(
    families.flatMap((family) =>
      (['-nft', '-legacy'] as const).map(async (variant) => ({
        family,
        variant: variant === '-nft' ? ('nft' as const) : ('legacy' as const),
        run:
          (variant === '-legacy'
            ? await noLegacyTables(host, family)
            : noIptablesNftTables(await nftables, family)) ??
          (await runTool(host, tool(family, variant), [], { maxBytes: RULESET_MAX_BYTES })),
      })),
    ),
  );
  const out: IptablesFacts[] = [];
  for (const family of families) {
    const mine = runs.filter((r) => r.family === family);
    // iptables before 1.8 has neither -nft nor -legacy: plain iptables-save (legacy) then.
    const legacyMissing = mine.some(
      (r) => r.variant === 'legacy' && r.run.status === 'unavailable',
    );
    const nftNotAsked = mine.some(
      (r) => r.variant === 'nft' && (r.run.status === 'unavailable' || r.run.skipped),
    );
    if (legacyMissing && nftNotAsked) {
      const plain = await runTool(host, tool(family, ''), [], { maxBytes: RULESET_MAX_BYTES });
      out.push(iptablesFacts(plain, family, 'legacy'));
      continue;
    }
    for (const r of mine) out.push(iptablesFacts(r.run, family, r.variant));
  }
  return out;
}

// ── ufw ───────────────────────────────────────────────────────────────────────────────────

export const UFW_FILES = {
  conf: '/etc/ufw/ufw.conf',
  defaults: '/etc/default/ufw',
  user4: '/etc/ufw/user.rules',
  user6: '/etc/ufw/user6.rules',
} as const;

/**
 * `ufw status` is a Python program (about 100 ms) that only repeats what its files say when
 * ufw is switched off: then it is not run, and the evidence says why.
 */
function ufwOffWithoutStatus(conf: FileRead): ToolRun | null {
  if (!conf.ok || parseUfwConf(conf.text).enabledAtBoot !== false) return null;
  const off = notRun(['ufw', 'status', 'verbose'], {
    kind: 'file',
    ref: UFW_FILES.conf,
    outcome: 'ENABLED=no: ufw is off, so `ufw status verbose` was not run',
  });
  return { ...off, result: { ...off.result, stdout: 'Status: inactive\n' } };
}

export async function probeUfw(host: Host): Promise<UfwFacts> {
  const conf = await host.readFile(UFW_FILES.conf);
  const [status, defaults, user4, user6] = await Promise.all([
    ufwOffWithoutStatus(conf) ?? runTool(host, 'ufw', ['status', 'verbose']),
    host.readFile(UFW_FILES.defaults),
    host.readFile(UFW_FILES.user4, 4 * 1024 * 1024),
    host.readFile(UFW_FILES.user6, 4 * 1024 * 1024),
  ]);
  const reads: FileRead[] = [conf, defaults, user4, user6];
  const evidence = [status.evidence, ...reads.map(fileEvidence)];
  if (status.status === 'unavailable' && !conf.ok)
    return { status: 'unavailable', evidence, message: 'ufw is not installed', model: null };

  const parsedStatus = status.status === 'ok' ? parseUfwStatus(status.result.stdout) : null;
  const fromDefaults = defaults.ok ? parseUfwDefaults(defaults.text) : null;
  const fromConf = conf.ok ? parseUfwConf(conf.text) : null;
  let rules: UfwModel['rules'] = null;
  let rulesSource: UfwModel['rulesSource'] = null;
  if (user4.ok) {
    rules = [
      ...parseUfwUserRules(user4.text, 4),
      ...(user6.ok ? parseUfwUserRules(user6.text, 6) : []),
    ];
    rulesSource = 'user.rules';
    if (!user6.ok && fromDefaults?.ipv6 !== false)
      rules.push({
        text: `${UFW_FILES.user6}: ${user6.code}`,
        action: 'allow',
        direction: 'in',
        interface: null,
        protocol: 'any',
        toPorts: null,
        toAddress: 'any',
        fromPorts: null,
        fromAddress: 'any',
        family: 6,
        app: null,
        unparsed: true,
      });
  } else if (parsedStatus) {
    rules = parsedStatus.rules;
    rulesSource = 'status';
  }
  const model: UfwModel = {
    active: parsedStatus?.active ?? null,
    enabledAtBoot: fromConf?.enabledAtBoot ?? null,
    defaultIncoming: parsedStatus?.defaultIncoming ?? fromDefaults?.defaultIncoming ?? null,
    ipv6: fromDefaults?.ipv6 ?? null,
    rules,
    rulesSource,
  };
  const problems: string[] = [];
  let result: ProbeStatus = 'ok';
  if (status.status !== 'ok') {
    problems.push(status.message ?? `ufw status: ${status.status}`);
    result = status.status === 'unavailable' ? 'ok' : status.status;
  } else if (!parsedStatus) {
    problems.push('`ufw status verbose` printed something unexpected');
    result = 'error';
  }
  if (!user4.ok && user4.code !== 'ENOENT') {
    problems.push(`${UFW_FILES.user4}: ${user4.code}`);
    if (result === 'ok') result = statusForFsError(user4.code);
  }
  if (parsedStatus?.active === false && result !== 'ok') result = 'ok';
  return {
    status: result,
    evidence,
    message: problems.length ? problems.join('; ') : undefined,
    model,
  };
}

// ── firewalld ─────────────────────────────────────────────────────────────────────────────

export const FIREWALLD_SERVICE_DIRS = ['/etc/firewalld/services', '/usr/lib/firewalld/services'];

async function readServices(
  host: Host,
  names: string[],
  evidence: Evidence[],
): Promise<{ services: Record<string, FirewalldService>; unresolved: string[] }> {
  const services: Record<string, FirewalldService> = {};
  const unresolved: string[] = [];
  const queue = [...new Set(names)];
  const seen = new Set<string>();
  while (queue.length > 0 && seen.size < MAX_SERVICES) {
    const batch = queue.splice(0, 16).filter((n) => !seen.has(n));
    batch.forEach((n) => seen.add(n));
    await Promise.all(
      batch.map(async (name) => {
        if (!isServiceName(name)) {
          unresolved.push(name);
          return;
        }
        for (const dir of FIREWALLD_SERVICE_DIRS) {
          const path = `${dir}/${name}.xml`;
          const read = await host.readFile(path, 256 * 1024);
          if (!read.ok && read.code === 'ENOENT') continue;
          evidence.push(fileEvidence(read));
          const parsed = read.ok ? parseServiceXml(read.text, name, path) : null;
          if (parsed) {
            services[name] = parsed;
            for (const inc of parsed.includes) if (!seen.has(inc)) queue.push(inc);
          } else unresolved.push(name);
          return;
        }
        unresolved.push(name);
      }),
    );
  }
  for (const rest of queue) if (!seen.has(rest)) unresolved.push(rest);
  return { services, unresolved: [...new Set(unresolved)].sort() };
}

/**
 * Whether a process named firewalld runs, from /proc/PID/comm (about a millisecond, where
 * `firewall-cmd --state` is a Python program of about 100 ms). null when /proc cannot be
 * listed or every comm is hidden (hidepid): then firewall-cmd decides.
 */
async function firewalldProcess(host: Host): Promise<boolean | null> {
  const proc = await host.readDir('/proc');
  if (!proc.ok) return null;
  let readable = 0;
  for (const entry of proc.entries.slice(0, 65_536)) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await host.readFile(`/proc/${entry}/comm`, 64);
    if (!comm.ok) continue;
    readable += 1;
    if (comm.text.trim() === 'firewalld') return true;
  }
  return readable > 0 ? false : null;
}

const FIREWALLD_INSTALLED = ['/usr/lib/firewalld', '/etc/firewalld'];

export async function probeFirewalld(host: Host): Promise<FirewalldFacts> {
  const empty = (running: boolean | null): FirewalldModel => ({
    running,
    defaultZone: null,
    zones: [],
    policies: null,
    services: {},
    unresolvedServices: [],
  });
  if ((await firewalldProcess(host)) === false) {
    const installed = await Promise.all(FIREWALLD_INSTALLED.map((dir) => host.readDir(dir)));
    const evidence: Evidence[] = [
      { kind: 'file', ref: '/proc/*/comm', outcome: 'no process named firewalld' },
    ];
    if (!installed.some((dir) => dir.ok))
      return {
        status: 'unavailable',
        evidence,
        message: 'firewalld is not installed',
        model: null,
      };
    return { status: 'ok', evidence, message: 'firewalld is not running', model: empty(false) };
  }
  const state = await runTool(host, 'firewall-cmd', ['--state']);
  const evidence: Evidence[] = [state.evidence];
  if (state.status === 'unavailable')
    return { status: 'unavailable', evidence, message: 'firewalld is not installed', model: null };
  const said = `${state.result.stdout}\n${state.result.stderr}`;
  const firstLine = state.result.stdout.trim().split('\n')[0] ?? '';
  if (firstLine === 'running' && state.result.code === 0) {
    // fall through to the queries
  } else if (/^not running$/m.test(said)) {
    return { status: 'ok', evidence, model: empty(false) };
  } else if (
    /Failed to connect to socket|DBUS_ERROR|org\.freedesktop\.DBus\.Error/.test(said) &&
    !DENIED.test(said)
  ) {
    // firewalld talks only over the system bus: without one it cannot be running.
    return {
      status: 'ok',
      evidence,
      message: 'no D-Bus system bus, so firewalld is not running',
      model: empty(false),
    };
  } else {
    return {
      status: state.status === 'ok' ? 'error' : state.status,
      evidence,
      message: state.message ?? `firewall-cmd --state printed ${clip(firstLine, 80)}`,
      model: empty(null),
    };
  }

  const [defaultZone, zones, policies] = await Promise.all([
    runTool(host, 'firewall-cmd', ['--get-default-zone']),
    runTool(host, 'firewall-cmd', ['--list-all-zones'], { maxBytes: 8 * 1024 * 1024 }),
    runTool(host, 'firewall-cmd', ['--list-all-policies'], { maxBytes: 8 * 1024 * 1024 }),
  ]);
  evidence.push(defaultZone.evidence, zones.evidence, policies.evidence);
  const model = empty(true);
  const problems: string[] = [];
  let status: ProbeStatus = 'ok';
  const note = (run: ToolRun) => {
    if (run.status === 'ok') return;
    problems.push(run.message ?? run.status);
    if (status === 'ok' || run.status === 'denied') status = run.status;
  };
  if (defaultZone.status === 'ok') {
    const name = defaultZone.result.stdout.trim();
    model.defaultZone = /^\S{1,64}$/.test(name) ? name : null;
  } else note(defaultZone);
  if (zones.status === 'ok') {
    model.zones = parseFirewalldZones(zones.result.stdout);
    if (model.zones.length === 0) {
      problems.push('firewall-cmd --list-all-zones printed no zone');
      status = 'error';
    }
  } else note(zones);
  // firewalld before 0.9 has no policies and says so; that is not a problem.
  if (policies.status === 'ok') model.policies = parseFirewalldPolicies(policies.result.stdout);
  else if (policies.status === 'denied') note(policies);

  const names = [
    ...model.zones.flatMap((z) => [
      ...z.services,
      ...z.richRules.flatMap((r) => (r.element.kind === 'service' ? [r.element.name] : [])),
    ]),
    ...(model.policies ?? []).flatMap((p) => [
      ...p.services,
      ...p.richRules.flatMap((r) => (r.element.kind === 'service' ? [r.element.name] : [])),
    ]),
  ];
  const { services, unresolved } = await readServices(host, names, evidence);
  model.services = services;
  model.unresolvedServices = unresolved;
  if (unresolved.length > 0)
    problems.push(`service definitions not found: ${unresolved.slice(0, 10).join(', ')}`);
  return {
    status,
    evidence,
    message: problems.length ? problems.join('; ') : undefined,
    model,
  };
}

// ── the probe ─────────────────────────────────────────────────────────────────────────────

function emptyFacts(): FirewallFacts {
  const none = { status: 'error' as const, evidence: [], message: 'not read' };
  return {
    nftables: { ...none, ruleset: null },
    iptables: [],
    ufw: { ...none, model: null },
    firewalld: { ...none, model: null },
  };
}

async function guarded<T>(body: () => Promise<T>, fallback: (message: string) => T): Promise<T> {
  try {
    return await body();
  } catch (error) {
    return fallback(failed(error));
  }
}

export async function probeFirewall(host: Host): Promise<ProbeResult<FirewallFacts>> {
  return runProbe(host, 'firewall', emptyFacts(), PROBE_TIMEOUT_MS, async () => {
    const broken = (message: string) => ({
      status: 'error' as const,
      evidence: [],
      message: `failed: ${message}`,
    });
    const nftablesRun = guarded(
      () => probeNftables(host),
      (m) => ({ ...broken(m), ruleset: null }),
    );
    const [nftables, iptables, ufw, firewalld] = await Promise.all([
      nftablesRun,
      guarded(
        () => probeIptables(host, nftablesRun),
        (m) => [{ ...broken(m), variant: 'nft' as const, family: 4 as const, ruleset: null }],
      ),
      guarded(
        () => probeUfw(host),
        (m) => ({ ...broken(m), model: null }),
      ),
      guarded(
        () => probeFirewalld(host),
        (m) => ({ ...broken(m), model: null }),
      ),
    ]);
    const data: FirewallFacts = { nftables, iptables, ufw, firewalld };
    const parts: Array<[string, { status: ProbeStatus; message?: string }]> = [
      ['nftables', nftables],
      ...iptables.map((i): [string, IptablesFacts] => [
        `${i.family === 4 ? 'iptables' : 'ip6tables'}-${i.variant}`,
        i,
      ]),
      ['ufw', ufw],
      ['firewalld', firewalld],
    ];
    const statuses = parts.map(([, p]) => p.status);
    const status: ProbeStatus = statuses.includes('denied')
      ? 'denied'
      : statuses.includes('error')
        ? 'error'
        : statuses.every((s) => s === 'unavailable')
          ? 'unavailable'
          : 'ok';
    const message = parts
      .filter(([, p]) => p.status !== 'ok' || p.message)
      .map(([name, p]) => `${name}: ${p.status}${p.message ? ` (${p.message})` : ''}`)
      .join('; ');
    return {
      status,
      data,
      evidence: [
        ...nftables.evidence,
        ...iptables.flatMap((i) => i.evidence),
        ...ufw.evidence,
        ...firewalld.evidence,
      ],
      message: message || undefined,
    };
  });
}
