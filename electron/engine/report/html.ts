/**
 * The HTML report: ONE self-contained, printable page. Inline CSS only, no script at all, no
 * font, image, stylesheet or link it would load, and a Content-Security-Policy that forbids
 * anything else (`default-src 'none'; style-src 'unsafe-inline'; img-src data:`), so that even a
 * value that slipped through escaping could neither run nor call home.
 *
 * Every value from the system (and every finding text, which quotes such values) goes through
 * `h()`: control characters replaced, then `& < > " '` as entities. Attributes are always
 * double-quoted and receive only escaped text; class names come from fixed tables, never from
 * the input. References are printed as text, not links: the page links to nothing.
 *
 * Layout: a large verdict banner coloured by exposure with one sentence and the score, the
 * counts per severity, a findings table (worst first, accepted ones last and marked) with what
 * an attacker could do and the evidence, then each instance with its listeners and settings,
 * and what each probe could read. A print stylesheet keeps colours and avoids split rows.
 */
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import type { Severity } from '../../../shared/findings';
import type { Exposure, Instance, ProbeResult } from '../../../shared/snapshot';
import type { ReportInput } from './index';
import {
  EXPOSURE_WORDS,
  probesOf,
  PROBE_WORDS,
  SEVERITY_ORDER,
  SEVERITY_WORDS,
  VERDICT_HEADLINE,
  buildReport,
  familyWords,
  formatBytes,
  formatDuration,
  formatEndpoint,
  formatTime,
  instanceModels,
  plain,
  settingSource,
  sortedInstances,
  verdictSentence,
} from './json';
import type { ReportDocument, ReportFinding } from './json';
import { scoreLines } from './score';

export const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Untrusted text for HTML text and double-quoted attribute values alike. */
export function h(value: unknown): string {
  return plain(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A class name from a fixed table; the fallback when the input holds anything else. */
function pick<K extends string>(table: Record<K, string>, key: unknown, fallback: string): string {
  return typeof key === 'string' && Object.prototype.hasOwnProperty.call(table, key)
    ? table[key as K]
    : fallback;
}

const EXPOSURE_CLASS: Record<Exposure, string> = {
  internet: 'x-internet',
  lan: 'x-lan',
  unknown: 'x-unknown',
  private: 'x-private',
};
const SEVERITY_CLASS: Record<Severity, string> = {
  critical: 's-critical',
  high: 's-high',
  medium: 's-medium',
  low: 's-low',
  info: 's-info',
};
const STATUS_CLASS: Record<string, string> = {
  ok: 'st-ok',
  unavailable: 'st-unavailable',
  denied: 'st-denied',
  error: 'st-error',
};
const EXPOSURE_LABEL: Record<Exposure, string> = {
  internet: 'Internet',
  lan: 'Local network',
  unknown: 'Unknown',
  private: 'Private',
};

const exposurePill = (exposure: Exposure) =>
  `<span class="pill ${pick(EXPOSURE_CLASS, exposure, 'x-unknown')}">${h(pick(EXPOSURE_LABEL, exposure, String(exposure)))}</span>`;
const severityPill = (severity: Severity) =>
  `<span class="sev ${pick(SEVERITY_CLASS, severity, 's-info')}">${h(pick(SEVERITY_WORDS, severity, String(severity)))}</span>`;

const list = (items: readonly string[], className = '') =>
  items.length === 0
    ? '<span class="muted">—</span>'
    : `<ul${className ? ` class="${className}"` : ''}>${items.map((i) => `<li>${h(i)}</li>`).join('')}</ul>`;

const STYLE = `
:root{--ink:#101828;--ink-2:#344054;--muted:#667085;--line:#e4e7ec;--paper:#fff;--bg:#f2f4f7;
--mono:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;
--internet:#b42318;--lan:#b54708;--unknown:#475467;--private:#067647;color-scheme:light}
*{box-sizing:border-box}
html{background:var(--bg)}
body{margin:0;color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans","DejaVu Sans",sans-serif;-webkit-print-color-adjust:exact;print-color-adjust:exact}
main{max-width:1040px;margin:0 auto;padding:28px 28px 40px}
.mono,code{font-family:var(--mono);font-size:.92em}
.muted{color:var(--muted)}
.brand{display:flex;justify-content:space-between;align-items:baseline;gap:16px;margin-bottom:14px;color:var(--ink-2)}
.brand .name{font-weight:700;letter-spacing:.14em;text-transform:uppercase;font-size:12px;color:var(--ink)}
.brand .name span{color:var(--muted);font-weight:500;letter-spacing:.04em;text-transform:none;font-size:13px;margin-left:8px}
.brand .when{font-size:12.5px;color:var(--muted);text-align:right}
.verdict{--tone:var(--unknown);display:flex;align-items:center;justify-content:space-between;gap:28px;background:var(--tone);color:#fff;border-radius:14px;padding:28px 32px}
.verdict.x-internet{--tone:var(--internet)}.verdict.x-lan{--tone:var(--lan)}.verdict.x-private{--tone:var(--private)}.verdict.x-unknown{--tone:var(--unknown)}
.verdict .eyebrow{font-size:12px;font-weight:700;letter-spacing:.16em;text-transform:uppercase;opacity:.82}
.verdict h1{margin:4px 0 8px;font-size:34px;line-height:1.15;letter-spacing:-.01em}
.verdict p{margin:0;font-size:17px;max-width:640px;opacity:.96}
.score{flex:none;text-align:center}
.ring{width:118px;height:118px;border-radius:50%;display:grid;place-items:center;background:conic-gradient(#fff calc(var(--score) * 1%),rgba(255,255,255,.26) 0)}
.ring-inner{width:94px;height:94px;border-radius:50%;background:var(--tone);display:flex;flex-direction:column;align-items:center;justify-content:center;line-height:1}
.ring .num{font-size:36px;font-weight:800}
.ring .of{font-size:12px;opacity:.85;margin-top:3px}
.score-label{margin-top:8px;font-size:12px;font-weight:600;letter-spacing:.08em;text-transform:uppercase;opacity:.9}
.stats{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;margin:16px 0 6px}
.stat{background:var(--paper);border:1px solid var(--line);border-radius:10px;padding:10px 14px;border-top:4px solid var(--c,#d0d5dd)}
.stat b{display:block;font-size:24px;line-height:1.2}
.stat span{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.06em;font-weight:600}
.stat.zero b{color:#98a2b3}
.stat.k-critical{--c:#7a271a}.stat.k-high{--c:#d92d20}.stat.k-medium{--c:#f79009}.stat.k-low{--c:#2e90fa}.stat.k-info{--c:#98a2b3}.stat.k-accepted{--c:#667085}
.stat.k-critical:not(.zero) b{color:#7a271a}.stat.k-high:not(.zero) b{color:#b42318}.stat.k-medium:not(.zero) b{color:#b54708}.stat.k-low:not(.zero) b{color:#175cd3}
.meta{font-size:12.5px;color:var(--muted);margin:8px 2px 0}
h2{font-size:19px;margin:32px 0 10px;letter-spacing:-.005em}
h2 small{font-weight:500;color:var(--muted);font-size:14px;margin-left:6px}
h3{font-size:16px;margin:0}
h4{font-size:12px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);margin:18px 0 6px}
.card{background:var(--paper);border:1px solid var(--line);border-radius:12px;overflow:hidden}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);font-weight:700;background:#f9fafb;padding:8px 12px;border-bottom:1px solid var(--line)}
td{padding:12px;vertical-align:top;border-bottom:1px solid var(--line);overflow-wrap:break-word}
.findings td,td.any{overflow-wrap:anywhere}
.nw{white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.card.score-fixes{margin-top:10px}
tr:last-child td{border-bottom:0}
td ul{margin:0;padding-left:18px}
td li+li{margin-top:4px}
.findings td:first-child{width:96px;border-left:4px solid var(--r,#d0d5dd)}
.r-critical{--r:#7a271a}.r-high{--r:#d92d20}.r-medium{--r:#f79009}.r-low{--r:#2e90fa}.r-info{--r:#98a2b3}tr.accepted{--r:#d0d5dd}
.findings .title{font-weight:700;font-size:14px}
.findings .where{font-family:var(--mono);font-size:11.5px;color:var(--muted);margin-top:2px}
.findings p{margin:6px 0 0}
.findings .attack{width:29%}
.findings .evidence{width:28%;color:var(--ink-2);font-size:12.5px}
.fixes{margin-top:8px;font-size:12px;color:var(--ink-2)}
.fixes code{background:#f2f4f7;border:1px solid var(--line);border-radius:5px;padding:0 5px;margin-right:4px}
.refs{margin-top:6px;font-size:11.5px;color:var(--muted);font-family:var(--mono)}
tr.group td{background:#f9fafb;font-size:12px;font-weight:700;color:var(--muted);text-transform:uppercase;letter-spacing:.06em;padding:8px 12px}
tr.accepted td{color:var(--muted)}
tr.accepted .sev{opacity:.7}
.acceptance{margin-top:8px;padding:6px 10px;border-left:3px solid #98a2b3;background:#f9fafb;font-size:12.5px;color:var(--ink-2)}
.sev,.pill{display:inline-block;border-radius:999px;padding:2px 10px;font-size:12px;font-weight:700;white-space:nowrap}
.s-critical{background:#7a271a;color:#fff}.s-high{background:#fee4e2;color:#b42318}.s-medium{background:#fef0c7;color:#93370d}.s-low{background:#d1e9ff;color:#175cd3}.s-info{background:#f2f4f7;color:#344054}
.pill.x-internet{background:#fee4e2;color:#b42318}.pill.x-lan{background:#fef0c7;color:#93370d}.pill.x-unknown{background:#eaecf0;color:#344054}.pill.x-private{background:#d1fadf;color:#05603a}
.st-ok{background:#d1fadf;color:#05603a}.st-unavailable{background:#eaecf0;color:#344054}.st-denied{background:#fef0c7;color:#93370d}.st-error{background:#fee4e2;color:#b42318}
.instance{padding:18px 20px;margin-bottom:14px}
.instance header{display:flex;justify-content:space-between;align-items:center;gap:12px}
.instance header h3{font-family:var(--mono);font-size:15px}
.facts{display:grid;grid-template-columns:170px 1fr;gap:5px 16px;margin:14px 0 0;font-size:13px}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.chips{display:flex;flex-wrap:wrap;gap:6px}
.chip{font-family:var(--mono);font-size:12px;background:#f2f4f7;border:1px solid var(--line);border-radius:6px;padding:1px 7px}
.chip small{color:var(--muted);font-family:system-ui,sans-serif;margin-left:4px}
.sub{border:1px solid var(--line);border-radius:8px;overflow:hidden}
.sub td,.sub th,.compact td,.compact th{padding:7px 12px}
.via{list-style:none;padding:0!important}
.via .fw{color:var(--muted);font-size:12px}
.reasons{margin:10px 0 0;padding-left:18px;font-size:12.5px;color:var(--ink-2)}
footer{margin-top:30px;padding-top:12px;border-top:1px solid var(--line);font-size:12px;color:var(--muted)}
@page{size:A4;margin:14mm 12mm}
@media print{
html{background:#fff}
body{font-size:9.5pt}
table{font-size:8.5pt}
td{padding:8px 9px}
th{padding:6px 9px}
.findings td:first-child{width:72px}
.findings .title{font-size:9.5pt}
.stats{gap:6px}
.stat b{font-size:16pt}
.instance{padding:12px 14px}
.facts{grid-template-columns:120px 1fr}
main{max-width:none;padding:0}
.verdict{border-radius:10px;padding:20px 24px}
.verdict h1{font-size:26pt}
.card,.stat{border-color:#d0d5dd}
h2{break-after:avoid}
tr,.instance,.stat,.verdict{break-inside:avoid}
thead{display:table-header-group}
}
`.trim();

const STAT_CLASS: Record<Severity, string> = {
  critical: 'k-critical',
  high: 'k-high',
  medium: 'k-medium',
  low: 'k-low',
  info: 'k-info',
};

function statBox(doc: ReportDocument, severity: Severity): string {
  const n = doc.counts[severity];
  return `<div class="stat ${pick(STAT_CLASS, severity, 'k-info')}${n === 0 ? ' zero' : ''}"><b>${h(n)}</b><span>${h(SEVERITY_WORDS[severity])}</span></div>`;
}

const ROW_CLASS: Record<Severity, string> = {
  critical: 'r-critical',
  high: 'r-high',
  medium: 'r-medium',
  low: 'r-low',
  info: 'r-info',
};

function findingRow(finding: ReportFinding): string {
  const where = [
    finding.instance === null ? 'whole host' : finding.instance,
    `rule ${finding.ruleId}`,
  ];
  let acceptance = '';
  if (finding.accepted) {
    const until = finding.accepted.expiresAt
      ? `until ${formatTime(finding.accepted.expiresAt)}`
      : 'until withdrawn';
    acceptance = `<div class="acceptance"><strong>Accepted</strong> ${h(formatTime(finding.accepted.acceptedAt))}, ${h(until)}: ${h(finding.accepted.reason)}</div>`;
  }
  const fixes =
    finding.fixes.length > 0
      ? `<div class="fixes">Fix: ${finding.fixes.map((f) => `<code>${h(f)}</code>`).join('')}</div>`
      : '';
  const refs =
    finding.references.length > 0
      ? `<div class="refs">${finding.references.map((r) => h(r)).join('<br>')}</div>`
      : '';
  const rowClass = `${pick(ROW_CLASS, finding.severity, 'r-info')}${finding.accepted ? ' accepted' : ''}`;
  return `<tr class="${rowClass}">
<td>${severityPill(finding.severity)}</td>
<td><div class="title">${h(finding.title)}</div><div class="where">${where.map(h).join(' · ')}</div><p>${h(finding.summary)}</p>${acceptance}${fixes}${refs}</td>
<td class="attack">${list(finding.attackerCan)}</td>
<td class="evidence">${list(finding.evidence)}</td>
</tr>`;
}

function findingsSection(doc: ReportDocument): string {
  const open = doc.findings.filter((f) => !f.accepted);
  const accepted = doc.findings.filter((f) => f.accepted);
  if (doc.findings.length === 0)
    return `<h2>Findings</h2><div class="card"><table><tbody><tr><td class="muted">No finding.</td></tr></tbody></table></div>`;
  const rows = [
    ...open.map(findingRow),
    ...(accepted.length > 0
      ? [
          `<tr class="group"><td colspan="4">Accepted risks: shown, not counted in the score</td></tr>`,
          ...accepted.map(findingRow),
        ]
      : []),
  ];
  return `<h2>Findings <small>${open.length} open${accepted.length ? `, ${accepted.length} accepted` : ''}</small></h2>
<div class="card"><table class="findings">
<thead><tr><th>Severity</th><th>Finding</th><th>What an attacker could do</th><th>Evidence</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div>`;
}

function listenersTable(instance: Instance): string {
  if (instance.listeners.length === 0) return '<p class="muted">No listener found.</p>';
  const rows = instance.listeners.map((listener) => {
    const via = listener.reachableVia.map((path) => {
      const fw = path.firewall
        ? `firewall ${path.firewall.decision}${
            path.firewall.decidedBy[0]
              ? ` (${path.firewall.decidedBy[0].layer}: ${path.firewall.decidedBy[0].rule})`
              : ''
          }`
        : 'firewall not judged';
      return `<li><span class="mono">${h(path.interface)} ${h(path.address)}</span> <span class="muted">${h(path.scope)}</span>${path.open ? '' : ' <span class="muted">(blocked, not counted)</span>'}<div class="fw">${h(fw)}</div></li>`;
    });
    const owner = listener.owner
      ? `${h(listener.owner.name)} <span class="muted">pid ${h(listener.owner.pid)}</span>`
      : listener.ownerVisibility === 'denied'
        ? '<span class="muted">hidden (another user)</span>'
        : '<span class="muted">none visible</span>';
    return `<tr><td class="nw"><span class="mono">${h(formatEndpoint(listener.address, listener.port))}</span><div class="muted">${h(familyWords(listener))}</div></td><td class="nw">${h(listener.path)}</td><td>${owner}</td><td class="nw">${exposurePill(listener.exposure)}</td><td class="any">${via.length ? `<ul class="via">${via.join('')}</ul>` : '<span class="muted">loopback only</span>'}</td></tr>`;
  });
  return `<div class="sub"><table><thead><tr><th>Listens on</th><th>Path</th><th>Owner</th><th>Exposure</th><th>Reachable via</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function settingsTable(instance: Instance): string {
  if (instance.settings.length === 0)
    return instance.kind === 'ollama'
      ? '<p class="muted">No OLLAMA_* setting found; Ollama uses its defaults.</p>'
      : '<p class="muted">No listen address, port or key found in its command line, environment, unit or settings file; it uses its defaults.</p>';
  const rows = instance.settings.map(
    (s) =>
      `<tr><td class="mono nw">${h(s.name)}</td><td class="mono any">${h(JSON.stringify(plain(s.value)))}</td><td class="nw">${s.state === 'effective' ? '<strong>effective</strong>' : h(s.state)}</td><td class="any"><span class="mono">${h(settingSource(s.source))}</span><div class="muted">${h(s.reason)}</div></td></tr>`,
  );
  return `<div class="sub"><table><thead><tr><th>Name</th><th>Value</th><th>State</th><th>Source</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function instanceCard(instance: Instance): string {
  const facts: [string, string][] = [];
  const process = instance.process;
  facts.push(['Server', h(SERVER_KIND_NAMES[instance.kind])]);
  facts.push([
    'PID',
    instance.pid === null ? '<span class="muted">unknown</span>' : h(instance.pid),
  ]);
  facts.push([
    'Version',
    instance.version
      ? `${h(instance.version)} <span class="muted">(from ${h(instance.versionSource === 'api' ? 'the API' : instance.versionSource === 'cli' ? 'ollama --version' : 'unknown')})</span>`
      : '<span class="muted">unknown</span>',
  ]);
  if (process) {
    facts.push(['Command', `<span class="mono">${h(process.argv.join(' '))}</span>`]);
    if (process.user)
      facts.push([
        'User',
        `${h(process.user)}${process.uid === null ? '' : ` <span class="muted">uid ${h(process.uid)}</span>`}`,
      ]);
    if (process.systemdUnit)
      facts.push(['Service', `<span class="mono">${h(process.systemdUnit)}</span>`]);
    if (process.startedAt) facts.push(['Started', h(formatTime(process.startedAt))]);
  }
  if (instance.configuredBind) {
    const bind = instance.configuredBind;
    facts.push([
      'OLLAMA_HOST asks for',
      `<span class="mono">${h(bind.host === '' ? '(every interface)' : bind.host)} port ${h(bind.port)}</span>${bind.notes.length ? ` <span class="muted">${h(bind.notes.join('; '))}</span>` : ''}`,
    ]);
  }
  const models = instanceModels(instance);
  facts.push([
    'Models',
    models.length === 0
      ? '<span class="muted">none listed</span>'
      : `<div class="chips">${models
          .map((m) => {
            const size = formatBytes(m.size);
            return `<span class="chip">${h(m.name)}${size ? `<small>${h(size)}</small>` : ''}</span>`;
          })
          .join('')}</div>`,
  ]);
  if (instance.vram)
    facts.push([
      'Loaded now',
      `${h(instance.vram.loadedModels)} model${instance.vram.loadedModels === 1 ? '' : 's'}${instance.vram.totalBytes !== null ? `, ${h(formatBytes(instance.vram.totalBytes))}` : ''}${instance.vram.vramBytes !== null ? ` (${h(formatBytes(instance.vram.vramBytes))} in VRAM)` : ''}`,
    ]);
  if (instance.peers.length > 0)
    facts.push([
      'Connected now',
      instance.peers
        .map(
          (p) =>
            `<span class="mono">${h(p.address)}</span> <span class="muted">${h(p.scope ?? 'unknown scope')}, ${h(p.connections)} connection${p.connections === 1 ? '' : 's'}</span>`,
        )
        .join('<br>'),
    ]);
  const reasons =
    instance.reasons.length > 0
      ? `<ul class="reasons">${instance.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>`
      : '';
  return `<article class="card instance">
<header><h3>${h(instance.id)}</h3>${exposurePill(instance.exposure)}</header>
${reasons}
<dl class="facts">${facts.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`).join('')}</dl>
<h4>Listeners</h4>
${listenersTable(instance)}
<h4>Settings</h4>
${settingsTable(instance)}
</article>`;
}

/** How the score is made (docs/score.md): each finding's cost, the cap, each fix's gain. */
function scoreSection(doc: ReportDocument): string {
  const lines = scoreLines(doc);
  if (!lines) return '';
  const rows = lines.findings.map(
    (f) =>
      `<tr><td>${h(f.title)}</td><td class="nw">${h(f.severity)}</td><td class="nw num">${h(f.cost)}</td></tr>`,
  );
  const fixRows = lines.fixes.map(
    (f) =>
      `<tr><td class="nw"><code>${h(f.fixId)}</code></td><td>${h(f.instance)}</td><td class="nw">${h(f.resolves)}</td><td>${h(f.after)}</td></tr>`,
  );
  return `<h2>How the score is made <small>starts at 100; accepted findings take off nothing</small></h2>
<div class="card"><table class="compact">${rows.length > 0 ? `<thead><tr><th>Finding</th><th>Severity</th><th>Takes off</th></tr></thead>` : ''}<tbody>${rows.join('')}<tr><td colspan="3">${h(lines.afterFindings)}</td></tr>${lines.capLine ? `<tr><td colspan="3">${h(lines.capLine)}</td></tr>` : ''}<tr><td colspan="3"><strong>Score: ${h(doc.score)}/100${doc.scoreLabel ? ` (${h(doc.scoreLabel)})` : ''}</strong></td></tr></tbody></table></div>${
    fixRows.length > 0
      ? `
<div class="card score-fixes"><table class="compact"><thead><tr><th>Fix</th><th>Server</th><th>Resolves</th><th>Score after, at best</th></tr></thead><tbody>${fixRows.join('')}</tbody></table></div>`
      : ''
  }`;
}

function probesSection(doc: ReportDocument): string {
  const rows = probesOf(doc.snapshot).map((name) => {
    const probe = doc.snapshot.probes[name] as ProbeResult<unknown>;
    return `<tr><td class="nw">${h(PROBE_WORDS[name])}</td><td class="nw"><span class="pill ${pick(STATUS_CLASS, probe.status, 'st-error')}">${h(probe.status)}</span></td><td class="nw">${h(formatDuration(probe.durationMs))}</td><td>${probe.message ? h(probe.message) : ''}</td></tr>`;
  });
  return `<h2>What Paddock could read</h2>
<div class="card"><table class="compact"><thead><tr><th>Probe</th><th>Status</th><th>Time</th><th>Note</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

export function reportHtml(input: ReportInput): string {
  const doc = buildReport(input);
  const snapshot = doc.snapshot;
  const host = doc.host;
  const score =
    doc.score === null ? null : Math.max(0, Math.min(100, Math.round(Number(doc.score)) || 0));
  const instances = sortedInstances(snapshot.instances);
  const who = host.user ? ` as ${host.user}${host.uid === null ? '' : ` (uid ${host.uid})`}` : '';
  const verdictClass = pick(EXPOSURE_CLASS, doc.verdict, 'x-unknown');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="generator" content="Paddock">
<title>Paddock report: ${h(host.hostname)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<main>
<div class="brand"><div class="name">Paddock<span>Ollama exposure report</span></div><div class="when">${h(host.hostname)}<br>${h(formatTime(doc.generatedAt))}</div></div>
<section class="verdict ${verdictClass}">
<div><div class="eyebrow">Verdict</div><h1>${h(pick(VERDICT_HEADLINE, doc.verdict, 'Exposure unknown'))}</h1><p>${h(verdictSentence(doc))}</p></div>
${score === null ? '<div class="score none"><div class="score-label">No server,<br>no score</div></div>' : `<div class="score" style="--score:${score}"><div class="ring"><div class="ring-inner"><span class="num">${score}</span><span class="of">of 100</span></div></div><div class="score-label">${h(doc.scoreLabel ?? 'Score')}</div></div>`}
</section>
<div class="stats">${SEVERITY_ORDER.map((s) => statBox(doc, s)).join('')}<div class="stat k-accepted${doc.counts.accepted === 0 ? ' zero' : ''}"><b>${h(doc.counts.accepted)}</b><span>Accepted</span></div></div>
<p class="meta">${h(host.hostname)} · ${h(host.platform)} ${h(host.release)} · scanned ${h(formatTime(doc.generatedAt))}${h(who)} in ${h(formatDuration(snapshot.durationMs))} · ${instances.length} Ollama server${instances.length === 1 ? '' : 's'} · exposure ${h(pick(EXPOSURE_WORDS, doc.verdict, 'unknown'))}</p>
${findingsSection(doc)}
${scoreSection(doc)}
<h2>Instances <small>${instances.length}</small></h2>
${instances.length === 0 ? '<div class="card instance muted">No Ollama server was found.</div>' : instances.map(instanceCard).join('\n')}
${probesSection(doc)}
<footer>Generated by Paddock from the scan of ${h(host.hostname)} taken ${h(formatTime(doc.generatedAt))}. Everything read from the system is shown as text; this page runs no script and loads nothing.</footer>
</main>
</body>
</html>
`;
}
