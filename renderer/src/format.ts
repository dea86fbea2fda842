/**
 * Pure helpers for what the renderer shows: the verdict in words, severity order, times,
 * sizes, diff lines, the chart's path, and what a snapshot says about Ollama and the probes.
 * No DOM and no React here, so the unit tests run them in Node.
 */
import { PLANNABLE_FIX_IDS } from '../../shared/fix-ids';
import type { GpuSample } from '../../shared/api';
import type { PaddockEvent } from '../../shared/events';
import type { Finding, Severity } from '../../shared/findings';
import type { JournalEntry, RunState } from '../../shared/fixes';
import type { Exposure, Snapshot } from '../../shared/snapshot';
import { SERVER_KIND_NAMES } from '../../shared/servers';
import { SEVERITIES } from '../../shared/severity';

export const VERDICT_SENTENCE: Readonly<Record<Exposure, string>> = {
  private: 'Private to this computer',
  lan: 'Reachable from the local network',
  internet: 'Reachable from the internet',
  unknown: 'Unknown',
};

/** The one sentence under the verdict, saying what it means for the user. */
export const VERDICT_MEANING: Readonly<Record<Exposure, string>> = {
  private: 'Only programs on this computer can reach Ollama.',
  lan: 'Other machines on your network can use Ollama without a password.',
  internet: 'Anyone on the internet who finds this address can use Ollama.',
  unknown: 'Paddock could not tell who can reach Ollama; the reasons below say what is missing.',
};

/** What the verdict means when servers of other kinds run too (issue 13): no "without a password", since some ask for one. */
export const VERDICT_MEANING_KINDS: Readonly<Record<Exposure, string>> = {
  private: 'Only programs on this computer can reach these servers.',
  lan: 'Other machines on your network can reach at least one of these servers.',
  internet: 'Anyone on the internet who finds this address can reach at least one of them.',
  unknown: 'Paddock could not tell who can reach them; the reasons below say what is missing.',
};

/**
 * Issue 14: when every server others reach is shared on purpose (only chosen sources, or over
 * a VPN only), the words for that: who may use it. null when any is simply exposed.
 */
export function sharingOf(snapshot: Snapshot): { headline: string; meaning: string } | null {
  if (snapshot.verdict === 'private') {
    const behind = snapshot.instances.flatMap((i) => i.sharedBehind ?? []);
    if (behind.length === 0) return null;
    const token = behind.every((b) => /^bearer$/i.test(b.scheme ?? ''));
    return {
      headline: `Shared with ${token ? 'a token' : 'a password'}`,
      meaning: `Other machines reach it only through ${[...new Set(behind.map((b) => b.software))].join(' and ')} on port ${[...new Set(behind.map((b) => b.port))].join(', ')}, which refuses every request without ${token ? 'the token' : 'the password'}.`,
    };
  }
  if (snapshot.verdict !== 'lan' && snapshot.verdict !== 'internet') return null;
  const reached = snapshot.instances.filter(
    (i) => i.exposure === 'lan' || i.exposure === 'internet',
  );
  if (
    reached.length === 0 ||
    reached.some((i) => (!i.sharedWith && !i.sharedOver) || (i.tunnels?.length ?? 0) > 0)
  )
    return null;
  const sources = [...new Set(reached.flatMap((i) => i.sharedWith ?? []))];
  const vpns = [...new Set(reached.flatMap((i) => i.sharedOver ?? []))];
  const parts = [
    ...(sources.length > 0 ? [`${sources.join(', ')}`] : []),
    ...(vpns.length > 0 ? [`machines on the VPN (${vpns.join(', ')})`] : []),
  ];
  return {
    headline:
      vpns.length > 0 && sources.length === 0
        ? 'Shared over the VPN only'
        : `Shared with ${sources.length === 1 ? '1 source' : `${sources.length} sources`} only`,
    meaning: `Only ${parts.join(' and ')} can reach it; every other machine is refused.`,
  };
}

/** An instance's badge: shared on purpose, or its exposure. */
export function instanceReachWords(instance: Snapshot['instances'][number]): string {
  if (instance.sharedBehind) return 'Shared with a password or token';
  if (instance.sharedOver) return 'Shared over the VPN only';
  if (instance.sharedWith)
    return `Shared with ${instance.sharedWith.length === 1 ? '1 source' : `${instance.sharedWith.length} sources`} only`;
  return VERDICT_SENTENCE[instance.exposure];
}

export function verdictSentence(verdict: Exposure): string {
  return VERDICT_SENTENCE[verdict] ?? VERDICT_SENTENCE.unknown;
}

export function severityRank(severity: Severity): number {
  const i = SEVERITIES.indexOf(severity);
  return i === -1 ? SEVERITIES.length : i;
}

export interface SeverityGroup {
  severity: Severity;
  findings: Finding[];
}

/** Findings grouped by severity, most severe first; the engine's order is kept inside a group. */
export function groupBySeverity(findings: readonly Finding[]): SeverityGroup[] {
  return SEVERITIES.map((severity) => ({
    severity,
    findings: findings.filter((f) => f.severity === severity),
  })).filter((g) => g.findings.length > 0);
}

export const SEVERITY_LABEL: Readonly<Record<Severity, string>> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Info',
};

/** "just now", "5 minutes ago", "in 3 days"; the date itself past a month. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'unknown time';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const diff = at - now;
  const abs = Math.abs(diff);
  const units: Array<[number, string]> = [
    [24 * 3600_000, 'day'],
    [3600_000, 'hour'],
    [60_000, 'minute'],
  ];
  if (abs < 45_000) return 'just now';
  if (abs >= 30 * 24 * 3600_000) return new Date(at).toISOString().slice(0, 10);
  for (const [size, name] of units) {
    if (abs >= size) {
      const n = Math.round(abs / size);
      const text = `${n} ${name}${n === 1 ? '' : 's'}`;
      return diff < 0 ? `${text} ago` : `in ${text}`;
    }
  }
  return 'just now';
}

/** Local date and time, for titles and tables ("2026-11-28 12:00"). */
export function shortDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** 1536 → "1.5 KiB"; null → "—". */
/**
 * Where a loaded model sits, from `/api/ps`'s `size` and `size_vram` (ollama-facts.md, "API"):
 * none of it in VRAM is a model running on the CPU, part of it is split between GPU and CPU.
 */
export function loadedModelPlace(
  size: number | null | undefined,
  sizeVram: number | null | undefined,
): string {
  if (sizeVram === null || sizeVram === undefined || !Number.isFinite(sizeVram) || sizeVram < 0)
    return formatBytes(size);
  const known = size !== null && size !== undefined && Number.isFinite(size) && size > 0;
  if (sizeVram === 0) return known ? `${formatBytes(size)}, on CPU` : 'on CPU';
  if (known && sizeVram < size) return `${formatBytes(sizeVram)} of ${formatBytes(size)} on GPU`;
  return `${formatBytes(sizeVram)} on GPU`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits).replace(/\.0+$|(\.\d*?)0+$/, '$1')} ${units[unit]}`;
}

export function formatMiB(mib: number | null | undefined): string {
  if (mib === null || mib === undefined) return '—';
  return formatBytes(mib * 1024 * 1024);
}

/** "[::]:11434" for IPv6, "0.0.0.0:11434" for IPv4. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

// ── fixes ──────────────────────────────────────────────────────────────────────────────────

/** The fixes Paddock can plan (shared/fix-ids.ts). A finding may name others (upgrade-ollama,
 * proxy-auth…) that the user does by hand. */
export const PLANNABLE_FIXES = PLANNABLE_FIX_IDS;
export type PlannableFix = (typeof PLANNABLE_FIXES)[number];

export function isPlannableFix(fixId: string): fixId is PlannableFix {
  return (PLANNABLE_FIXES as readonly string[]).includes(fixId);
}

const FIX_LABELS: Readonly<Record<string, string>> = {
  'rebind-systemd': 'Listen on this computer only',
  'block-port': 'Close the port in the firewall',
  'tighten-origins': 'Tighten allowed origins',
  'stop-request-logging': 'Stop logging requests',
  'docker-localhost': 'Publish the container on localhost',
  'stop-tunnel': 'Stop the tunnel to the internet',
  'rebind-server': 'Listen on this computer only',
  'share-allowlist': 'Share with chosen machines only',
  'share-vpn': 'Share over the VPN only',
  'share-proxy': 'Share behind a password or token',
  'share-proxy-rotate': 'New password or token',
  'rebind-launchd': 'Listen on this Mac only',
  'rebind-windows': 'Listen on this PC only',
  'block-client': 'Cut off this machine',
  'upgrade-ollama': 'Upgrade Ollama',
  'disable-cloud': 'Turn off cloud models',
  'enable-firewall': 'Turn on a firewall',
  'proxy-auth': 'Require a password at the proxy',
};

/** A fix id in words; unknown ids become "Some fix id" rather than disappearing. */
export function fixLabel(fixId: string): string {
  const known = FIX_LABELS[fixId];
  if (known) return known;
  const words = fixId.replace(/[-_]+/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : fixId;
}

export type DiffLineKind = 'add' | 'remove' | 'hunk' | 'header' | 'context';

/** How one line of a unified diff is coloured. */
export function diffLineKind(line: string): DiffLineKind {
  if (line.startsWith('+++ ') || line.startsWith('--- ')) return 'header';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'remove';
  return 'context';
}

export function diffLines(diff: string): Array<{ kind: DiffLineKind; text: string }> {
  const lines = diff.replace(/\n$/, '').split('\n');
  return lines.map((text) => ({ kind: diffLineKind(text), text }));
}

/** A command as copied to the clipboard: argv joined, each element quoted when it needs it. */
export function argvText(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

const JOURNAL_WORDS: Partial<Record<JournalEntry['event'], string>> = {
  'run-started': 'Started',
  'backup-saved': 'Backup saved',
  'step-starting': 'Running step',
  'step-done': 'Step done',
  'step-failed': 'Step failed',
  'verify-starting': 'Checking the result',
  'verify-ok': 'Verified',
  'verify-failed': 'Verification failed',
  'rollback-starting': 'Rolling back',
  'step-undone': 'Step undone',
  'rollback-done': 'Rolled back',
  'rollback-failed': 'Rollback failed',
  'undo-starting': 'Undoing',
  'undo-done': 'Undone',
  'undo-refused': 'Undo refused',
  'undo-failed': 'Undo failed',
  recovered: 'Recovered',
};

/** A journal line in words: "Step 2 done: …". */
export function journalText(entry: JournalEntry): string {
  const head = JOURNAL_WORDS[entry.event] ?? entry.event;
  const step = entry.step === null ? '' : ` ${entry.step + 1}`;
  const label =
    entry.step !== null && head.startsWith('Step ')
      ? `Step${step} ${head.slice(5)}`
      : `${head}${step}`;
  return entry.detail ? `${label}: ${entry.detail}` : label;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral';

export function journalTone(entry: JournalEntry): Tone {
  if (/failed|refused/.test(entry.event)) return 'bad';
  if (entry.event.startsWith('rollback') || entry.event === 'step-undone') return 'warn';
  if (entry.event === 'verify-ok' || entry.event.endsWith('-done')) return 'ok';
  return 'neutral';
}

export const RUN_STATE_LABEL: Readonly<Record<RunState, string>> = {
  applying: 'Applying',
  verifying: 'Verifying',
  applied: 'Applied and verified',
  'rolling-back': 'Rolling back',
  'rolled-back': 'Rolled back',
  'rollback-failed': 'Rollback failed',
  undoing: 'Undoing',
  undone: 'Undone',
  'undo-failed': 'Undo failed',
};

export function runStateTone(state: RunState): Tone {
  if (state === 'applied' || state === 'undone') return 'ok';
  if (state === 'rolled-back') return 'warn';
  if (state === 'rollback-failed' || state === 'undo-failed') return 'bad';
  return 'neutral';
}

export const EXPOSURE_TONE: Readonly<Record<Exposure, Tone>> = {
  private: 'ok',
  lan: 'warn',
  internet: 'bad',
  unknown: 'neutral',
};

export function scoreTone(score: number): Tone {
  if (score >= 80) return 'ok';
  if (score >= 50) return 'warn';
  return 'bad';
}

// ── what the snapshot says ─────────────────────────────────────────────────────────────────

export type OllamaPresence = 'running' | 'stopped' | 'not-found' | 'unknown';

/**
 * running: a server instance; stopped: no server, but Ollama processes or saved settings
 * exist; not-found: nothing at all; unknown: the process list could not be read.
 */
export function ollamaPresence(snapshot: Snapshot): OllamaPresence {
  if (snapshot.instances.length > 0) return 'running';
  const processes = snapshot.probes.processes;
  if (processes.status !== 'ok') return 'unknown';
  if (processes.data.length > 0) return 'stopped';
  const settings = snapshot.probes.settings.data ?? {};
  const saved = Object.values(settings).some((report) => report.settings.length > 0);
  return saved ? 'stopped' : 'not-found';
}

export interface ProbeProblem {
  probe: string;
  status: 'denied' | 'error';
  message: string;
  /** What the user can do about it. */
  hint: string;
}

const PROBE_NAMES: Readonly<Record<string, string>> = {
  processes: 'the process list',
  sockets: 'the open sockets',
  interfaces: 'the network interfaces',
  settings: "Ollama's settings",
  fingerprints: 'the servers themselves',
  versions: "Ollama's version",
  firewall: 'the firewall',
  proxies: 'reverse proxies',
  docker: 'Docker',
  gpu: 'the GPU',
  accessLog: "Ollama's log",
  tunnels: 'tunnel clients',
};

/** Probes (and firewall backends) that were denied or failed, with what to do. */
export function probeProblems(snapshot: Snapshot): ProbeProblem[] {
  const out: ProbeProblem[] = [];
  const probes = snapshot.probes as Record<string, { status: string; message?: string }>;
  for (const [probe, result] of Object.entries(probes)) {
    if (result.status !== 'denied' && result.status !== 'error') continue;
    out.push(problem(probe, result.status, result.message));
  }
  const facts = snapshot.probes.firewall.data;
  if (facts && !out.some((p) => p.probe === 'firewall')) {
    const backends = [facts.nftables, facts.ufw, facts.firewalld, ...facts.iptables];
    const denied = backends.find((b) => b.status === 'denied');
    if (denied) out.push(problem('firewall', 'denied', denied.message));
  }
  return out;
}

function problem(probe: string, status: 'denied' | 'error', message?: string): ProbeProblem {
  const name = PROBE_NAMES[probe] ?? probe;
  const hint =
    status === 'denied'
      ? probe === 'firewall'
        ? 'Paddock could not read the firewall without admin rights, so it assumes nothing blocks the port. Check with admin rights to be sure.'
        : `Paddock could not read ${name} without admin rights: run Paddock as an administrator to see it.`
      : `Paddock could not read ${name}. Scan again; if it keeps failing, the message says why.`;
  return { probe, status, message: message ?? '', hint };
}

/** Ports of the instances' own listeners, to pick them out among every listener. */
export function instancePorts(snapshot: Snapshot): Set<number> {
  const ports = new Set<number>();
  for (const instance of snapshot.instances)
    for (const listener of instance.listeners) ports.add(listener.port);
  return ports;
}

/** Model names per instance from its fingerprints (listed and loaded), without repeats. */
export function instanceModels(instance: Snapshot['instances'][number]): {
  models: string[];
  loaded: string[];
} {
  const models = new Set<string>();
  const loaded = new Set<string>();
  for (const fp of instance.fingerprints) {
    for (const m of fp.models ?? []) models.add(m.name);
    for (const m of fp.loadedModels ?? []) loaded.add(m.name);
  }
  return { models: [...models], loaded: [...loaded] };
}

// ── events ─────────────────────────────────────────────────────────────────────────────────

/** Newest first, by time then id; unknown times last. */
export function newestFirst(events: readonly PaddockEvent[]): PaddockEvent[] {
  return [...events].sort((a, b) => {
    const ta = Date.parse(a.at);
    const tb = Date.parse(b.at);
    const na = Number.isNaN(ta) ? -Infinity : ta;
    const nb = Number.isNaN(tb) ? -Infinity : tb;
    if (na !== nb) return nb - na;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}

/** The history list with a pushed event on top (once), kept to `limit` entries. */
export function prependEvent(
  events: readonly PaddockEvent[],
  event: PaddockEvent,
  limit = 500,
): PaddockEvent[] {
  if (events.some((e) => e.id === event.id)) return [...events];
  return [event, ...events].slice(0, limit);
}

// ── accept risk ───────────────────────────────────────────────────────────────────────────

/** The accept-risk form: a reason is required; `until`, when given, a future YYYY-MM-DD. */
export function validateAcceptance(
  reason: string,
  until: string,
  now: number = Date.now(),
): string | null {
  if (reason.trim().length === 0) return 'Say why you accept this risk.';
  if (reason.length > 2000) return 'Keep the reason under 2000 characters.';
  if (until === '') return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(until) || Number.isNaN(Date.parse(until)))
    return 'Give the date as YYYY-MM-DD, or leave it empty.';
  if (Date.parse(`${until}T23:59:59Z`) < now) return 'Pick a date in the future.';
  return null;
}

// ── the GPU chart ─────────────────────────────────────────────────────────────────────────

export interface ChartSeries {
  utilization: Array<number | null>;
  vram: Array<number | null>;
}

/** Utilisation and VRAM (as % of total) per sample; null where the sample has none. */
export function gpuSeries(samples: readonly GpuSample[]): ChartSeries {
  return {
    utilization: samples.map((s) => clampPercent(s.utilizationPercent)),
    vram: samples.map((s) =>
      s.memoryUsedMiB !== null && s.memoryTotalMiB
        ? clampPercent((100 * s.memoryUsedMiB) / s.memoryTotalMiB)
        : null,
    ),
  };
}

export function hasGpuReadings(samples: readonly GpuSample[]): boolean {
  return samples.some((s) => s.utilizationPercent !== null || s.memoryUsedMiB !== null);
}

function clampPercent(value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  return Math.min(100, Math.max(0, value));
}

/**
 * An SVG path through 0-100 values over a width and height; a null breaks the line. One
 * point alone becomes a short flat segment so it stays visible.
 */
export function linePath(values: ReadonlyArray<number | null>, width: number, height: number) {
  const n = values.length;
  if (n === 0) return '';
  const x = (i: number) => (n === 1 ? width / 2 : (i * width) / (n - 1));
  const y = (v: number) => height - (v / 100) * height;
  const parts: string[] = [];
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    const px = round(x(i));
    const py = round(y(v));
    parts.push(`${pen ? 'L' : 'M'}${px} ${py}`);
    if (n === 1) parts.push(`M${round(px - 4)} ${py}L${round(px + 4)} ${py}`);
    pen = true;
  });
  return parts.join('');
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * How a connection from another machine gets in on one path (issue 12), in words: the
 * listener's own port, a NAT rule from another port, a forward into another network namespace,
 * or a neighbour routing the namespace's address through this computer.
 */
export function wayIn(
  path: {
    address: string;
    nat?: { port: number; rule: string };
    forward?: {
      outInterface: string | null;
      to: { address: string; port: number };
      routed: boolean;
    };
  },
  port: number,
): string {
  const to = path.forward ? ` to ${hostPort(path.forward.to.address, path.forward.to.port)}` : '';
  if (path.nat) return `Port ${path.nat.port}, sent on by a NAT rule${to || ` to port ${port}`}`;
  if (path.forward?.routed) return `Routed through this computer${to}`;
  if (path.forward) return `Its own network link`;
  return `Port ${port}`;
}

// ── human words for servers, actions and reasons (issue 18) ────────────────────────────────

type Instance = Snapshot['instances'][number];
type ReachPath = Instance['listeners'][number]['reachableVia'][number];

/** The port a server answers on: its own socket's first, else the first way in. */
export function serverPort(instance: Instance): number | null {
  const direct = instance.listeners.find((l) => l.path === 'direct');
  const published = instance.containers.flatMap((c) => c.published)[0];
  return direct?.port ?? published?.hostPort ?? instance.listeners[0]?.port ?? null;
}

/**
 * A server as a person names it: "Ollama service · port 11434" (a systemd unit), "Ollama app ·
 * port 11434", "Container pdk-ollama · port 8000", "LM Studio · port 1234". Never its id.
 */
export function serverName(instance: Instance): string {
  const port = serverPort(instance);
  const at = port === null ? '' : ` · port ${port}`;
  const container = instance.containers[0]?.names[0]?.replace(/^\//, '');
  if (container) return `Container ${container}${at}`;
  const kind = SERVER_KIND_NAMES[instance.kind] ?? instance.kind;
  const process = instance.process;
  if (instance.kind === 'ollama' && process) {
    if (process.containerId) return `Ollama in a container${at}`;
    if (process.systemdUnit || process.launcher === 'launchd' || process.launchdJob)
      return `Ollama service${at}`;
    if (process.launcher === 'app' || process.role === 'app' || process.appExecutable)
      return `Ollama app${at}`;
  }
  return `${kind}${at}`;
}

/** The server's name for a finding's instance id; null for a host-wide finding or one gone. */
export function serverNameOf(snapshot: Snapshot, instanceId: string | null): string | null {
  if (instanceId === null) return null;
  const instance = snapshot.instances.find((i) => i.id === instanceId);
  return instance ? serverName(instance) : null;
}

/**
 * Engine text made readable: instance ids become the server's name and "(pid 42)" goes (the
 * process id is under Details). The rest of the engine's words stay as they are.
 */
export function humanText(text: string, snapshot: Snapshot): string {
  let out = text
    .replace(/ \(pid \d+\)/g, '')
    // "(nftables: denied (nft needs root: …))": the backends' states are under Details.
    .replace(/ \((?:nftables|iptables|ufw|firewalld)\b[^()]*(?:\([^()]*\)[^()]*)*\)/g, '')
    // The CLI's way to read the firewall; the app has a button for it.
    .replace(
      /Run `?paddock scan --elevated`?[^.]*\./g,
      'Use “Check with admin rights…” to read it.',
    );
  for (const instance of [...snapshot.instances].sort((a, b) => b.id.length - a.id.length))
    out = out.split(instance.id).join(serverName(instance));
  return out;
}

/** Would this fix act on this server at all? (No rebind of a unit for a container, …) */
export function fixApplies(fixId: string, instance: Instance | null, snapshot: Snapshot): boolean {
  if (!instance) return true;
  const inContainer = instance.containers.length > 0 || Boolean(instance.process?.containerId);
  const open = instance.listeners.flatMap((l) =>
    l.reachableVia.filter((p) => p.open).map((p) => ({ path: l.path, p })),
  );
  const platform = snapshot.host.platform;
  switch (fixId) {
    case 'rebind-systemd':
      return (
        instance.kind === 'ollama' &&
        !inContainer &&
        platform !== 'darwin' &&
        platform !== 'win32' &&
        (instance.process === null || instance.process.systemdUnit !== null)
      );
    case 'rebind-launchd':
      return instance.kind === 'ollama' && !inContainer && platform === 'darwin';
    case 'rebind-windows':
      return instance.kind === 'ollama' && !inContainer && platform === 'win32';
    case 'docker-localhost':
      return inContainer || instance.listeners.some((l) => l.path === 'docker');
    case 'block-port':
      // Docker forwards a published port before the input rules see it.
      return open.length === 0 || open.some((o) => o.path !== 'docker');
    case 'stop-tunnel':
      return (instance.tunnels?.length ?? 0) > 0;
    default:
      return true;
  }
}

/** The fixes that share instead of closing (issue 14). */
export const SHARE_FIX_IDS: ReadonlySet<string> = new Set([
  'share-allowlist',
  'share-vpn',
  'share-proxy',
]);

/** The action a fix takes, for a button a person reads: "Make Ollama private to this computer". */
export function actionLabel(fixId: string, instance: Instance | null): string {
  const kind = instance ? (SERVER_KIND_NAMES[instance.kind] ?? 'the server') : 'Ollama';
  const port = instance ? serverPort(instance) : null;
  switch (fixId) {
    case 'rebind-systemd':
      return 'Make Ollama private to this computer';
    case 'rebind-launchd':
      return 'Make Ollama private to this Mac';
    case 'rebind-windows':
      return 'Make Ollama private to this PC';
    case 'rebind-server':
      return `Make ${kind} private to this computer`;
    case 'docker-localhost':
      return 'Publish the container on this computer only';
    case 'block-port':
      return port === null
        ? 'Close the port to other machines'
        : `Close port ${port} to other machines`;
    case 'stop-tunnel':
      return 'Stop the tunnel to the internet';
    case 'tighten-origins':
      return 'Stop other web sites from using Ollama';
    case 'stop-request-logging':
      return 'Stop logging requests';
    default:
      return fixLabel(fixId);
  }
}

/** What the action changes, in one line. */
export function actionEffect(fixId: string, instance: Instance | null): string {
  const kind = instance ? (SERVER_KIND_NAMES[instance.kind] ?? 'The server') : 'Ollama';
  const port = instance ? serverPort(instance) : null;
  const portWords = port === null ? 'its port' : `port ${port}`;
  switch (fixId) {
    case 'rebind-systemd':
    case 'rebind-launchd':
    case 'rebind-windows':
    case 'rebind-server':
      return `${kind} will answer on this computer only: apps here keep working, other machines lose access. It lasts across restarts.`;
    case 'docker-localhost':
      return `The container's ${portWords} is published on this computer only: apps here keep working, other machines lose access.`;
    case 'block-port':
      return `A firewall rule refuses ${portWords} to other machines; apps on this computer keep working. It lasts until the next restart.`;
    case 'stop-tunnel':
      return 'The program that publishes it on the internet is stopped; nothing else changes.';
    case 'tighten-origins':
      return 'Only the web sites you name may call it from your browser.';
    case 'stop-request-logging':
      return 'Ollama stops writing each request to its log.';
    case 'share-allowlist':
      return 'Only the machines you choose can reach it; the firewall refuses every other one.';
    case 'share-vpn':
      return 'It answers on the VPN only; other machines on your network lose access.';
    case 'share-proxy':
      return 'Other machines need a password or token to use it.';
    case 'enable-firewall':
      return 'Paddock shows how to turn on a firewall that refuses other machines by default.';
    case 'upgrade-ollama':
      return 'Paddock shows how to install a version without the known problems.';
    case 'disable-cloud':
      return 'Paddock shows how to turn off ollama.com features on this server.';
    default:
      return 'Paddock shows each step before anything changes.';
  }
}

export interface Recommendation {
  fixId: string;
  finding: Finding;
  instance: Instance | null;
  label: string;
  effect: string;
  /** The finding's other fixes that close the way in (plannable or done by hand). */
  alternatives: string[];
  /** Share-safely fixes the finding offers. */
  share: string[];
}

/**
 * The one recommended action, as the tray offers it (electron/main/tray.ts mainFixOf): the
 * first applicable fix Paddock can plan of the worst open exposure finding; share fixes are
 * alternatives, never the recommendation. null: nothing to do in one step.
 */
export function recommendedAction(
  findings: readonly Finding[],
  snapshot: Snapshot,
): Recommendation | null {
  // Who can reach it: the exposure finding, and the ways in that are findings of their own
  // (a Docker publish, a proxy without credentials); worst first, exposure first on a tie.
  const order = ['exposure', 'docker', 'proxy'];
  const open = findings
    .filter((f) => order.includes(f.category) && f.accepted === null)
    .sort(
      (a, b) =>
        severityRank(a.severity) - severityRank(b.severity) ||
        order.indexOf(a.category) - order.indexOf(b.category),
    );
  for (const finding of open) {
    const instance = snapshot.instances.find((i) => i.id === finding.instance) ?? null;
    const fixId = finding.fixes.find(
      (f) => isPlannableFix(f) && !SHARE_FIX_IDS.has(f) && fixApplies(f, instance, snapshot),
    );
    if (!fixId) continue;
    return {
      fixId,
      finding,
      instance,
      label: actionLabel(fixId, instance),
      effect: actionEffect(fixId, instance),
      alternatives: finding.fixes.filter(
        (f) => f !== fixId && !SHARE_FIX_IDS.has(f) && fixApplies(f, instance, snapshot),
      ),
      share: finding.fixes.filter((f) => SHARE_FIX_IDS.has(f)),
    };
  }
  return null;
}

export interface FixGroup {
  /** The fix that resolves every finding here; null: none to apply (do by hand, or accept). */
  fixId: string | null;
  instance: string | null;
  heading: string;
  findings: Finding[];
}

/**
 * Open findings grouped by the fix that resolves them: the recommended fix first, with every
 * finding it resolves ("fixes 4 of 5"); the rest by their own first applicable fix, worst
 * group first. Inside a group, the engine's order (worst first).
 */
export function groupByFix(
  findings: readonly Finding[],
  snapshot: Snapshot,
  recommended: Recommendation | null,
): FixGroup[] {
  const groups = new Map<string, FixGroup>();
  for (const finding of findings) {
    const instance = snapshot.instances.find((i) => i.id === finding.instance) ?? null;
    const fixId =
      recommended &&
      finding.fixes.includes(recommended.fixId) &&
      (finding.instance === recommended.finding.instance || finding.instance === null)
        ? recommended.fixId
        : (finding.fixes.find((f) => !SHARE_FIX_IDS.has(f) && fixApplies(f, instance, snapshot)) ??
          null);
    const key = `${fixId ?? ''}@${fixId ? (finding.instance ?? '') : ''}`;
    const group = groups.get(key) ?? {
      fixId,
      instance: fixId ? finding.instance : null,
      heading: fixId ? actionLabel(fixId, instance) : 'Nothing to apply',
      findings: [],
    };
    group.findings.push(finding);
    groups.set(key, group);
  }
  const worst = (g: FixGroup) => Math.min(...g.findings.map((f) => severityRank(f.severity)));
  const isRecommended = (g: FixGroup) =>
    recommended !== null &&
    g.fixId === recommended.fixId &&
    g.instance === recommended.finding.instance;
  return [...groups.values()].sort(
    (a, b) =>
      Number(isRecommended(b)) - Number(isRecommended(a)) ||
      Number(a.fixId === null) - Number(b.fixId === null) ||
      worst(a) - worst(b),
  );
}

const SCOPE_WORDS: Readonly<Record<string, string>> = {
  public: 'a public address',
  private: 'an address of your local network',
  cgnat: 'a VPN or carrier address',
  'link-local': 'a link-local address',
  loopback: 'this computer’s own address',
};
const SCOPE_ORDER = ['public', 'cgnat', 'private', 'link-local'];

/** The firewall probe could not be read (or a backend in it): the verdict assumes it open. */
export function firewallUnread(snapshot: Snapshot): boolean {
  return probeProblems(snapshot).some((p) => p.probe === 'firewall');
}

function firewallWords(
  path: ReachPath,
  kind: Instance['listeners'][number]['path'],
  port: number,
  snapshot: Snapshot,
): string {
  if (kind === 'docker') return 'Docker publishes it past the firewall';
  const decision = path.firewall?.decision ?? null;
  if (path.onlyFrom?.length) return `the firewall lets in ${path.onlyFrom.join(', ')} only`;
  if (decision === 'allowed') return `no firewall rule blocks port ${port}`;
  if (decision === 'unknown') return `the firewall could not be judged for port ${port}`;
  if (firewallUnread(snapshot))
    return `the firewall could not be read without admin rights, so port ${port} is assumed open`;
  return `no firewall blocks port ${port}`;
}

/**
 * One sentence per server with the deciding fact, composed from the snapshot's own facts:
 * "It answers on 203.0.113.20, a public address on eth1, and no firewall blocks port 11434."
 */
export function reachSentence(instance: Instance, snapshot: Snapshot): string {
  const tunnel = instance.tunnels?.[0];
  if (tunnel)
    return `${tunnel.tool} publishes it on the internet${tunnel.remote ? ` through ${tunnel.remote}` : ''}, whatever the firewall says.`;
  const behind = instance.sharedBehind?.[0];
  if (behind)
    return `Other machines reach it only through ${behind.software} on port ${behind.port}, which asks for a password or token first.`;
  const open = instance.listeners.flatMap((l) =>
    l.reachableVia.filter((p) => p.open).map((p) => ({ listener: l, path: p })),
  );
  if (open.length === 0) {
    if (instance.exposure === 'unknown')
      return 'Paddock could not tell which addresses it answers on, so who can reach it is unknown.';
    const blocked = instance.listeners.some((l) => l.reachableVia.length > 0);
    const port = serverPort(instance);
    return blocked
      ? `The firewall refuses ${port === null ? 'its port' : `port ${port}`} to every other machine.`
      : 'It answers on this computer’s own address only.';
  }
  open.sort((a, b) => {
    const rank = (s: string) => (SCOPE_ORDER.indexOf(s) === -1 ? 9 : SCOPE_ORDER.indexOf(s));
    return rank(a.path.scope) - rank(b.path.scope);
  });
  const { listener, path } = open[0]!;
  const port = path.nat?.port ?? listener.port;
  const where = `${path.address}, ${SCOPE_WORDS[path.scope] ?? 'an address'} on ${path.interface}`;
  const more =
    open.length > 1 ? ` (and ${open.length - 1} more address${open.length > 2 ? 'es' : ''})` : '';
  if (path.nat)
    return `A forwarding rule sends port ${path.nat.port} on ${where} to it${more}, and ${firewallWords(path, listener.path, port, snapshot)}.`;
  if (listener.path === 'proxy')
    return `A reverse proxy answers for it on ${where}${more}, and ${firewallWords(path, listener.path, port, snapshot)}.`;
  if (listener.path === 'docker')
    return `Docker publishes it on ${where}${more}, past the firewall.`;
  return `It answers on ${where}${more}, and ${firewallWords(path, listener.path, port, snapshot)}.`;
}

/** A scan older than this is marked stale (the watcher scans every 10 minutes by default). */
export function isStale(takenAt: string, now: number = Date.now(), intervalMinutes = 10): boolean {
  const at = Date.parse(takenAt);
  if (Number.isNaN(at)) return true;
  return now - at > (intervalMinutes + 5) * 60_000;
}

/**
 * Words the overview must not show (issue 18): internal ids and jargon. The browser test keeps
 * the same list; `pid` counts as a word only.
 */
export const OVERVIEW_JARGON: ReadonlyArray<RegExp> = [
  /ollama:port:/i,
  /ollama:pid:/i,
  /listener/i,
  /\bpid\b/i,
  /nftables/i,
  /\(direct\)/i,
];

/** What "Copy diagnostics" copies: the engine's words, versions and platform; nothing secret. */
export function diagnosticsText(input: {
  error: string;
  snapshot: Snapshot | null;
  userAgent: string;
  at: string;
}): string {
  const lines = [
    'Paddock diagnostics',
    `When: ${input.at}`,
    `Engine error: ${input.error}`,
    `Window: ${input.userAgent}`,
  ];
  if (input.snapshot) {
    const { host } = input.snapshot;
    lines.push(
      `Platform: ${host.platform} ${host.release}`,
      `Last good scan: ${input.snapshot.takenAt} (${input.snapshot.verdict})`,
      ...input.snapshot.instances.map(
        (i) => `Server: ${serverName(i)}, version ${i.version ?? 'unknown'}`,
      ),
      ...probeProblems(input.snapshot).map((p) => `Probe ${p.probe}: ${p.status} ${p.message}`),
    );
  }
  return lines.join('\n');
}
