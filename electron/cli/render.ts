/**
 * Human output of `paddock scan`: the verdict first, then each server with its listeners,
 * its exposure evidence and its settings with their sources. Every value read from the
 * system goes through cleanLine, so that no byte from a server or a file reaches the terminal
 * as a control sequence, and none breaks a line: each line printed is Paddock's own.
 */
import type { Finding } from '../../shared/findings';
import type { Exposure, Instance, ProbeResult, Setting, Snapshot } from '../../shared/snapshot';
import type { Assessment } from '../engine/assess';
import { EXPOSURE_SENTENCE } from '../engine/exposure';
import { FORGEABLE_CLIENT_SENTENCE } from '../engine/ollama/access-log';
import { PERSISTENT_SETTINGS_KEY } from '../engine/scan';
import { cleanLine } from '../engine/text/untrusted';
import { settingSource } from './scan-json';

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  exposure(exposure: Exposure, text: string): string;
}

const plain: Style = { bold: (t) => t, dim: (t) => t, exposure: (_e, t) => t };
const ansi = (code: string) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const colored: Style = {
  bold: ansi('1'),
  dim: ansi('2'),
  exposure: (exposure, text) =>
    ({ private: ansi('32'), lan: ansi('33'), internet: ansi('1;31'), unknown: ansi('35') })[
      exposure
    ](text),
};

/** Colour only for a terminal, and never when NO_COLOR is set to anything (no-color.org). */
export function styleFor(isTty: boolean, env: (name: string) => string | undefined): Style {
  const noColor = env('NO_COLOR');
  return isTty && (noColor === undefined || noColor === '') && env('TERM') !== 'dumb'
    ? colored
    : plain;
}

const MARK: Record<Exposure, string> = { private: '✔', lan: '!', internet: '✖', unknown: '?' };
const t = (value: unknown, max = 200) => cleanLine(value, max);

function formatBytes(size: number | null | undefined): string {
  if (size === null || size === undefined) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return ` (${value.toFixed(value >= 10 || unit === 0 ? 0 : 1)} ${units[unit]})`;
}

function renderSettings(
  settings: Setting[],
  style: Style,
  indent: string,
  incomplete = false,
): string[] {
  if (settings.length === 0)
    return [
      `${indent}${style.dim(incomplete ? 'no OLLAMA_* setting could be read (see what could not be read, below)' : 'no OLLAMA_* setting found; Ollama uses its defaults')}`,
    ];
  const lines: string[] = [];
  for (const setting of settings) {
    const state =
      setting.state === 'effective' ? style.bold(setting.state) : style.dim(setting.state);
    lines.push(
      `${indent}${t(setting.name, 80)}=${JSON.stringify(t(setting.value, 300))}  ${state}  ${t(settingSource(setting), 300)}`,
    );
    if (setting.reason) lines.push(`${indent}  ${style.dim(t(setting.reason, 300))}`);
  }
  return lines;
}

function renderInstance(instance: Instance, snapshot: Snapshot, style: Style): string[] {
  const lines: string[] = [];
  const process = instance.process;
  const who = process
    ? `pid ${process.pid}  ${t(process.argv.join(' '), 120)}${process.user ? `  user ${t(process.user, 40)}` : ''}`
    : instance.pid !== null
      ? `pid ${instance.pid}`
      : 'process hidden from this user';
  lines.push(
    `${style.exposure(instance.exposure, MARK[instance.exposure])} ${style.bold(t(instance.id, 200))}  ${who}`,
  );
  const version = instance.version
    ? `${t(instance.version, 40)} (from ${{ api: 'the API', cli: '`ollama --version`', log: "the server's log", unknown: '' }[instance.versionSource]})`
    : 'unknown';
  lines.push(`    version ${version}`);
  if (process?.systemdUnit) lines.push(`    systemd unit ${t(process.systemdUnit, 100)}`);
  if (process?.startedAt) lines.push(`    started ${t(process.startedAt, 40)}`);
  lines.push(
    `    ${style.exposure(instance.exposure, EXPOSURE_SENTENCE[instance.exposure].toLowerCase())}`,
  );
  for (const reason of instance.reasons.slice(0, -1)) lines.push(`      ${t(reason, 400)}`);
  if (instance.listeners.length > 0) lines.push('    listeners');
  for (const listener of instance.listeners) {
    const family = listener.family === 6 ? (listener.dualStack ? 'IPv4+IPv6' : 'IPv6') : 'IPv4';
    const address = listener.address.includes(':') ? `[${listener.address}]` : listener.address;
    const via =
      listener.path === 'proxy'
        ? `  through ${t(listener.owner?.name ?? 'a reverse proxy', 40)}${listener.owner ? ` (pid ${listener.owner.pid})` : ''}, no credentials asked`
        : listener.path === 'docker'
          ? '  published by Docker'
          : '';
    lines.push(
      `      ${address}:${listener.port}  ${family}  ${style.exposure(listener.exposure, listener.exposure)}${via}`,
    );
    for (const reason of listener.reasons) lines.push(`        ${style.dim(t(reason, 400))}`);
    if (listener.ownerVisibility === 'denied')
      lines.push(
        `        ${style.dim('socket owner: denied (owned by another user; run as root to see it)')}`,
      );
  }
  if (!instance.configuredBind && instance.process) {
    lines.push(
      `    OLLAMA_HOST in force: unknown (the server's environment is not readable by this user)`,
    );
  }
  if (instance.configuredBind) {
    const bind = instance.configuredBind;
    const host = bind.host === '' ? '(every interface)' : t(bind.host, 100);
    lines.push(
      `    OLLAMA_HOST asks for ${host} port ${bind.port}${bind.notes.length ? `: ${bind.notes.map((n) => t(n, 200)).join('; ')}` : ''}`,
    );
  }
  for (const fingerprint of instance.fingerprints) {
    const where = `${fingerprint.address.includes(':') ? `[${fingerprint.address}]` : fingerprint.address}:${fingerprint.port}`;
    if (fingerprint.models) {
      const names = fingerprint.models
        .slice(0, 8)
        .map((m) => `${t(m.name, 80)}${formatBytes(m.size)}`);
      const more =
        fingerprint.models.length > 8 ? `, and ${fingerprint.models.length - 8} more` : '';
      lines.push(`    models at ${where}: ${names.length ? names.join(', ') + more : 'none'}`);
    }
    if (fingerprint.loadedModels?.length)
      lines.push(
        `    loaded now: ${fingerprint.loadedModels.map((m) => `${t(m.name, 80)}${m.sizeVram ? ` (${formatBytes(m.sizeVram).slice(2, -1)} in VRAM)` : ''}`).join(', ')}`,
      );
    if (fingerprint.foreignOriginAllowed !== null)
      lines.push(
        `    web pages from other sites ${fingerprint.foreignOriginAllowed ? 'CAN' : 'cannot'} call this API from your browser (CORS)`,
      );
    if (fingerprint.foreignHostRefused !== null)
      lines.push(
        `    DNS-rebinding check ${fingerprint.foreignHostRefused ? 'on' : 'off'} (requests naming a foreign Host are ${fingerprint.foreignHostRefused ? 'refused' : 'served'})`,
      );
    for (const problem of fingerprint.problems)
      lines.push(`    ${style.dim(`note: ${t(problem, 300)}`)}`);
  }
  for (const container of instance.containers) {
    const publishes = container.published
      .map(
        (p) =>
          `${p.hostIp.includes(':') ? `[${t(p.hostIp, 60)}]` : t(p.hostIp || '0.0.0.0', 60)}:${p.hostPort}→${p.containerPort}/${p.protocol}`,
      )
      .join(', ');
    lines.push(
      `    Docker container ${t(container.names[0] ?? container.id.slice(0, 12), 80)} (${t(container.image, 120)}, ${t(container.state, 20)})${publishes ? `: ${publishes}` : ''}`,
    );
  }
  if (instance.peers.length > 0) {
    lines.push('    connected now from other machines');
    for (const peer of instance.peers)
      lines.push(
        `      ${t(peer.address, 60)}  ${peer.connections} connection${peer.connections === 1 ? '' : 's'} to port ${peer.ports.join(', ')}${peer.isLocalAddress ? ' (an address of this computer)' : ''}`,
      );
  }
  lines.push('    settings');
  lines.push(
    ...renderSettings(instance.settings, style, '      ', gapsFor(instance, snapshot).length > 0),
  );
  return lines;
}

/** One line on the host firewall: what each backend is doing, or why it could not be read. */
function firewallSummary(probe: Snapshot['probes']['firewall']): string {
  const facts = probe.data;
  if (!facts) return t(probe.message ?? probe.status, 300);
  const parts: string[] = [];
  const nft = facts.nftables;
  if (nft.status === 'ok' && nft.ruleset) {
    const input = nft.ruleset.tables.flatMap((table) =>
      table.chains.filter((c) => c.hook === 'input'),
    );
    parts.push(
      input.length
        ? `nftables ${input.length} input chain${input.length === 1 ? '' : 's'}`
        : 'nftables no input rules',
    );
  } else parts.push(`nftables ${nft.status}`);
  const iptables = facts.iptables.filter(
    (i) => i.status !== 'ok' || (i.ruleset?.tables.length ?? 0) > 0,
  );
  for (const i of iptables)
    parts.push(
      `${i.family === 4 ? 'iptables' : 'ip6tables'}-${i.variant} ${i.status === 'ok' ? `${i.ruleset!.tables.length} table(s)` : i.status}`,
    );
  const ufw = facts.ufw;
  if (ufw.status === 'ok' && ufw.model) parts.push(`ufw ${ufw.model.active ? 'active' : 'off'}`);
  else if (ufw.status !== 'unavailable') parts.push(`ufw ${ufw.status}`);
  const firewalld = facts.firewalld;
  if (firewalld.status === 'ok' && firewalld.model)
    parts.push(`firewalld ${firewalld.model.running ? 'running' : 'not running'}`);
  else if (firewalld.status !== 'unavailable') parts.push(`firewalld ${firewalld.status}`);
  const summary = parts.join(' · ');
  return probe.status === 'denied' ? `${summary} (run with --elevated to read it all)` : summary;
}

function renderGpu(snapshot: Snapshot, style: Style): string[] {
  const gpu = snapshot.probes.gpu.data;
  const lines: string[] = [];
  const figure = (value: number | null, unit: string) =>
    value === null ? 'n/a' : `${value}${unit}`;
  for (const card of gpu?.nvidia ?? []) {
    lines.push(
      `GPU ${card.index ?? ''} ${t(card.name, 80)}: ${figure(card.utilizationPercent, '%')} busy, ${figure(card.memoryUsedMiB, '')}/${figure(card.memoryTotalMiB, ' MiB')} memory, ${figure(card.temperatureC, ' °C')}`,
    );
  }
  if (!gpu?.nvidia?.length)
    for (const controller of gpu?.controllers ?? [])
      lines.push(style.dim(`GPU ${t(controller.model, 80)} (${t(controller.vendor, 40)})`));
  return lines.length ? [style.bold('GPU'), ...lines.map((l) => `  ${l}`), ''] : [];
}

function renderAccessLog(snapshot: Snapshot, style: Style): string[] {
  const log = snapshot.probes.accessLog.data?.accessLog;
  if (!log || log.clients.length === 0) return [];
  const lines = [
    style.bold(
      `Clients in Ollama's access log (${t(log.source.ref, 120)}, ${log.requests} requests)`,
    ),
  ];
  for (const client of log.clients.slice(0, 10)) {
    const endpoints = client.endpoints
      .slice(0, 4)
      .map((e) => `${t(e.path, 60)} ×${e.count}`)
      .join(', ');
    lines.push(
      `  ${t(client.client, 60)}  ${client.requests} request${client.requests === 1 ? '' : 's'}${client.failed ? ` (${client.failed} failed)` : ''}, ${t(client.firstSeen ?? '?', 40)} … ${t(client.lastSeen ?? '?', 40)}: ${endpoints}`,
    );
  }
  if (log.clients.length > 10) lines.push(`  and ${log.clients.length - 10} more`);
  lines.push(style.dim(`  ${FORGEABLE_CLIENT_SENTENCE}`), '');
  return lines;
}

function gapsFor(instance: Instance, snapshot: Snapshot) {
  return snapshot.probes.settings.data[instance.id]?.gaps ?? [];
}

/** Unreadable files, grouped by folder when there are many, so the list stays short. */
function renderGaps(snapshot: Snapshot, style: Style): string[] {
  const gaps = Object.values(snapshot.probes.settings.data).flatMap((r) => r.gaps);
  const byFolder = new Map<string, typeof gaps>();
  for (const gap of gaps) {
    const folder = gap.path.slice(0, gap.path.lastIndexOf('/') + 1) || gap.path;
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), gap]);
  }
  const lines: string[] = [];
  for (const [folder, group] of byFolder) {
    if (group.length > 2) {
      const statuses = [...new Set(group.map((g) => g.status))].join(', ');
      lines.push(
        style.dim(`could not read ${group.length} files in ${t(folder, 200)}: ${statuses}`),
      );
    } else {
      for (const gap of group)
        lines.push(
          style.dim(`could not read ${t(gap.path, 200)}: ${gap.status}, ${t(gap.message, 200)}`),
        );
    }
  }
  return lines;
}

function probeLine(name: string, probe: ProbeResult<unknown>): string {
  return `${name} ${probe.status} ${Math.round(probe.durationMs)} ms${probe.message && probe.status !== 'ok' ? `: ${t(probe.message, 300)}` : ''}`;
}

const SEVERITY_EXPOSURE: Record<Finding['severity'], Exposure> = {
  critical: 'internet',
  high: 'internet',
  medium: 'lan',
  low: 'unknown',
  info: 'private',
};

function renderFindings(
  assessment: Pick<Assessment, 'findings' | 'posture'>,
  style: Style,
): string[] {
  const { findings, posture } = assessment;
  const open = findings.filter((f) => f.accepted === null);
  const lines = [
    style.bold(
      `Findings: ${open.length} open${findings.length > open.length ? `, ${findings.length - open.length} accepted` : ''} · ${posture.score === null ? 'no score (no server)' : `score ${posture.score}/100${posture.label ? ` (${posture.label})` : ''}`}`,
    ),
  ];
  for (const finding of [...open, ...findings.filter((f) => f.accepted !== null)]) {
    const tag = finding.accepted
      ? style.dim(`[accepted] ${finding.severity}`)
      : style.exposure(SEVERITY_EXPOSURE[finding.severity], finding.severity.toUpperCase());
    lines.push(
      `  ${tag}  ${style.bold(t(finding.title, 200))}  ${style.dim(`${finding.ruleId}${finding.instance ? ` @ ${t(finding.instance, 80)}` : ''}`)}`,
    );
    lines.push(`      ${t(finding.summary, 600)}`);
    for (const can of finding.attackerCan.slice(0, 4)) lines.push(`      - ${t(can, 300)}`);
    if (finding.fixes.length) lines.push(style.dim(`      fix: ${finding.fixes.join(', ')}`));
    if (finding.accepted)
      lines.push(
        style.dim(
          `      accepted: ${t(finding.accepted.reason, 300)}${finding.accepted.expiresAt ? ` (until ${finding.accepted.expiresAt})` : ''}`,
        ),
      );
  }
  if (findings.length === 0) lines.push(style.dim('  nothing to report'));
  lines.push('');
  return lines;
}

export function renderScan(
  snapshot: Snapshot,
  style: Style,
  assessment?: Pick<Assessment, 'findings' | 'posture'>,
): string {
  const lines: string[] = [];
  const v = snapshot.verdict;
  lines.push(style.exposure(v, style.bold(`${MARK[v]} ${EXPOSURE_SENTENCE[v]}`)));
  for (const reason of snapshot.verdictReasons) lines.push(`  ${t(reason, 500)}`);
  lines.push('');
  if (assessment) lines.push(...renderFindings(assessment, style));
  if (snapshot.instances.length > 0) {
    lines.push(style.bold(`Ollama servers (${snapshot.instances.length})`));
    for (const instance of snapshot.instances)
      lines.push(...renderInstance(instance, snapshot, style), '');
  }
  const persistent = snapshot.probes.settings.data[PERSISTENT_SETTINGS_KEY];
  if (persistent) {
    lines.push(
      style.bold('Ollama settings saved on this computer (they apply when a server starts)'),
    );
    lines.push(...renderSettings(persistent.settings, style, '  ', persistent.gaps.length > 0), '');
  }
  lines.push(...renderGpu(snapshot, style));
  lines.push(...renderAccessLog(snapshot, style));
  lines.push(...renderGaps(snapshot, style));
  const p = snapshot.probes;
  lines.push(
    style.dim(
      [
        probeLine('processes', p.processes),
        probeLine('sockets', p.sockets),
        probeLine('interfaces', p.interfaces),
        probeLine('settings', p.settings),
        probeLine('http', p.fingerprints),
      ].join(' · '),
    ),
  );
  for (const probe of [p.processes, p.sockets])
    if (probe.status === 'ok' && probe.message) lines.push(style.dim(t(probe.message, 300)));
  // Listeners the scan's HTTP limits did not reach (the message says none when all were read).
  if (p.fingerprints.status === 'ok' && p.fingerprints.message && p.fingerprints.data.length > 0)
    lines.push(style.dim(`http: ${t(p.fingerprints.message, 500)}`));
  lines.push(style.dim(`firewall: ${firewallSummary(p.firewall)}`));
  lines.push(
    style.dim(
      `scan took ${Math.round(snapshot.durationMs)} ms on ${t(snapshot.host.hostname, 100)} as ${t(snapshot.host.user ?? `uid ${snapshot.host.uid}`, 60)}`,
    ),
  );
  return `${lines.join('\n')}\n`;
}
