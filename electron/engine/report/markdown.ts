/**
 * The Markdown report: verdict and score first, then the findings worst first (accepted ones
 * marked, last), then instances, listeners, settings and what each probe could read.
 *
 * Every value that comes from the system (model names, paths, hostnames, setting values, but
 * also finding text, which quotes them) goes through `mdText`, so that it renders as the text it
 * is in CommonMark and GitHub-flavoured Markdown: no HTML (`<img …>` stays text), no link or
 * image (`](javascript:…)` stays text), no `http://` or `www.` autolink, no emphasis, code span,
 * heading, list, quote, table cell break or line break, no math. Checked with cmark-gfm (GitHub's
 * renderer, all extensions): the one thing escaping cannot stop there is its e-mail autolink
 * (`a@b.c` becomes a mailto: link whatever is escaped); `@name` is escaped, but whether GitHub's
 * mention filter honours that could not be checked offline. Untrusted values are never put
 * inside code spans (a backtick in the value could close them).
 */
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import type { Instance, ProbeResult, Setting } from '../../../shared/snapshot';
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

/** ASCII punctuation that has a meaning somewhere in (GitHub-flavoured) Markdown. */
const MD_SPECIAL = /[\\`*_~[\]|#$@!{}]/g;

/**
 * Untrusted text as one line of Markdown text: control characters replaced, line breaks
 * flattened to spaces, `& < >` as entities, the rest of Markdown's syntax backslash-escaped,
 * and a leading block marker (`-`, `+`, `=`, `1.`, `1)`) neutralised.
 */
export function mdText(value: unknown): string {
  let text = plain(value)
    .replace(/[\n\t\u2028\u2029]/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(MD_SPECIAL, (c) => `\\${c}`)
    // GFM's extended autolinks: `http://…` and `www.…` in text would become links.
    .replace(/:\/\//g, '\\://')
    .replace(/\b(www)\./gi, '$1\\.');
  // A list marker needs a space (or the end) after it; `---` and `===` make breaks and headings.
  text = text
    .replace(/^(\s*)([-+=])(?=[\s\-+=]|$)/, '$1\\$2')
    .replace(/^(\s*\d{1,9})([.)])(?=\s|$)/, '$1\\$2');
  // Leading spaces would make indented code in a list item; a report shows them as entities.
  return text.replace(/^ +/, (spaces) => '&#32;'.repeat(spaces.length));
}

/** A setting value shown in quotes, so leading and trailing spaces are visible. */
const mdQuoted = (value: unknown): string => mdText(`"${plain(value)}"`);

function table(header: string[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}

function countsLine(doc: ReportDocument): string {
  const parts = SEVERITY_ORDER.filter((s) => doc.counts[s] > 0).map((s) => `${doc.counts[s]} ${s}`);
  if (parts.length === 0) parts.push('no open finding');
  if (doc.counts.accepted > 0) parts.push(`${doc.counts.accepted} accepted`);
  return parts.join(' · ');
}

function findingBlock(finding: ReportFinding, index: number): string[] {
  const lines: string[] = [];
  const label = SEVERITY_WORDS[finding.severity].toUpperCase();
  const mark = finding.accepted ? ' (accepted)' : '';
  lines.push(`### ${index}. ${label}${mark}: ${mdText(finding.title)}`, '');
  lines.push(
    `Instance: ${finding.instance === null ? 'the whole host' : mdText(finding.instance)} · Rule: ${mdText(finding.ruleId)} · Id: ${mdText(finding.id)}`,
    '',
  );
  if (finding.accepted) {
    const until = finding.accepted.expiresAt
      ? ` until ${mdText(formatTime(finding.accepted.expiresAt))}`
      : ' until withdrawn';
    lines.push(
      `> **Accepted risk**, on ${mdText(formatTime(finding.accepted.acceptedAt))}${until}: ${mdText(finding.accepted.reason)}`,
      '',
    );
  }
  lines.push(mdText(finding.summary), '');
  if (finding.attackerCan.length > 0) {
    lines.push('**What an attacker could do**', '');
    for (const item of finding.attackerCan) lines.push(`- ${mdText(item)}`);
    lines.push('');
  }
  if (finding.evidence.length > 0) {
    lines.push('**Evidence**', '');
    for (const item of finding.evidence) lines.push(`- ${mdText(item)}`);
    lines.push('');
  }
  if (finding.fixes.length > 0) {
    lines.push(`**Fixes:** ${finding.fixes.map(mdText).join(', ')}`, '');
  }
  if (finding.references.length > 0) {
    lines.push('**References**', '');
    for (const ref of finding.references) lines.push(`- ${mdLink(ref)}`);
    lines.push('');
  }
  return lines;
}

/** An http(s) URL as an autolink; anything else as text. */
function mdLink(value: string): string {
  // plain() changes a value with control characters: those stay text.
  return /^https?:\/\/[^\s<>"'`\\]+$/.test(value) && plain(value) === value
    ? `<${value}>`
    : mdText(value);
}

function instanceRow(instance: Instance): string[] {
  const process = instance.process;
  const who = process
    ? [
        mdText(process.argv.join(' ')),
        process.user ? `user ${mdText(process.user)}` : '',
        process.systemdUnit ? `unit ${mdText(process.systemdUnit)}` : '',
      ]
        .filter(Boolean)
        .join(', ')
    : 'hidden from this user';
  const models = instanceModels(instance);
  const version = instance.version ? mdText(instance.version) : 'unknown';
  return [
    mdText(instance.id),
    SERVER_KIND_NAMES[instance.kind],
    instance.pid === null ? '' : String(instance.pid),
    version,
    `**${EXPOSURE_WORDS[instance.exposure]}**`,
    who,
    models.length === 0
      ? ''
      : models
          .map((m) => {
            const size = formatBytes(m.size);
            return size ? `${mdText(m.name)} (${size})` : mdText(m.name);
          })
          .join(', '),
  ];
}

function listenerRows(instance: Instance): string[][] {
  return instance.listeners.map((listener) => {
    const via = listener.reachableVia
      .map((path) => {
        const fw = path.firewall ? `firewall ${path.firewall.decision}` : 'firewall not judged';
        return `${mdText(path.interface)} ${mdText(path.address)} (${mdText(path.scope)}, ${fw}${path.open ? '' : ', not counted'})`;
      })
      .join('; ');
    const owner = listener.owner
      ? `${mdText(listener.owner.name)} (pid ${listener.owner.pid})`
      : listener.ownerVisibility === 'denied'
        ? 'hidden (another user)'
        : 'none visible';
    return [
      mdText(instance.id),
      mdText(listener.path),
      `${mdText(formatEndpoint(listener.address, listener.port))} (${familyWords(listener)})`,
      owner,
      `**${EXPOSURE_WORDS[listener.exposure]}**`,
      via || 'loopback only',
    ];
  });
}

function settingRow(instanceId: string, setting: Setting): string[] {
  return [
    mdText(instanceId),
    mdText(setting.name),
    mdQuoted(setting.value),
    setting.state === 'effective' ? '**effective**' : mdText(setting.state),
    mdText(settingSource(setting.source)),
    mdText(setting.reason),
  ];
}

function probeRow(name: keyof typeof PROBE_WORDS, probe: ProbeResult<unknown>): string[] {
  return [
    PROBE_WORDS[name],
    probe.status === 'ok' ? 'ok' : `**${mdText(probe.status)}**`,
    formatDuration(probe.durationMs),
    probe.message ? mdText(probe.message) : '',
  ];
}

/** How the score is made (docs/score.md): each finding's cost, the cap, each fix's gain. */
function scoreSection(doc: ReportDocument): string[] {
  const lines = scoreLines(doc);
  if (!lines) return [];
  const out = ['## How the score is made', ''];
  out.push('Starts at 100; each open finding takes off its share, accepted ones nothing.', '');
  if (lines.findings.length > 0)
    out.push(
      ...table(
        ['Finding', 'Severity', 'Takes off'],
        lines.findings.map((f) => [mdText(f.title), f.severity, f.cost]),
      ),
      '',
    );
  out.push(mdText(lines.afterFindings), '');
  if (lines.capLine) out.push(mdText(lines.capLine), '');
  out.push(`**Score: ${doc.score}/100${doc.scoreLabel ? ` (${doc.scoreLabel})` : ''}**`, '');
  if (lines.fixes.length > 0)
    out.push(
      'What each fix would give, at best:',
      '',
      ...table(
        ['Fix', 'Server', 'Resolves', 'Score after'],
        lines.fixes.map((f) => [mdText(f.fixId), mdText(f.instance), f.resolves, mdText(f.after)]),
      ),
      '',
    );
  return out;
}

export function reportMarkdown(input: ReportInput): string {
  const doc = buildReport(input);
  const snapshot = doc.snapshot;
  const host = doc.host;
  const out: string[] = [];

  out.push(`# Paddock report: ${mdText(host.hostname)}`, '');
  out.push(`**${VERDICT_HEADLINE[doc.verdict]}.** ${mdText(verdictSentence(doc))}`, '');
  out.push(
    doc.score === null
      ? `**No score: no server was found** · ${countsLine(doc)}`
      : `**Score: ${doc.score}/100${doc.scoreLabel ? ` (${doc.scoreLabel})` : ''}** · ${countsLine(doc)}`,
    '',
  );
  out.push(
    ...table(
      ['Scan', ''],
      [
        ['Host', `${mdText(host.hostname)} (${mdText(host.platform)} ${mdText(host.release)})`],
        ['Taken', mdText(formatTime(doc.generatedAt))],
        [
          'As user',
          host.user
            ? `${mdText(host.user)}${host.uid === null ? '' : ` (uid ${host.uid})`}`
            : 'unknown',
        ],
        ['Duration', formatDuration(snapshot.durationMs)],
        ['Ollama servers', String(snapshot.instances.length)],
      ],
    ),
    '',
  );
  if (snapshot.verdictReasons.length > 0) {
    out.push('Why:', '');
    for (const reason of snapshot.verdictReasons) out.push(`- ${mdText(reason)}`);
    out.push('');
  }

  out.push(`## Findings (${doc.findings.length})`, '');
  if (doc.findings.length === 0) out.push('No finding.', '');
  doc.findings.forEach((finding, i) => out.push(...findingBlock(finding, i + 1)));
  out.push(...scoreSection(doc));

  const instances = sortedInstances(snapshot.instances);
  out.push(`## Instances (${instances.length})`, '');
  if (instances.length === 0) out.push('No Ollama server was found.', '');
  else
    out.push(
      ...table(
        ['Instance', 'Server', 'PID', 'Version', 'Exposure', 'Process', 'Models'],
        instances.map(instanceRow),
      ),
      '',
    );

  const listeners = instances.flatMap(listenerRows);
  out.push('## Listeners', '');
  if (listeners.length === 0) out.push('No listener.', '');
  else
    out.push(
      ...table(['Instance', 'Path', 'Listens on', 'Owner', 'Exposure', 'Reachable via'], listeners),
      '',
    );

  const settings = instances.flatMap((i) => i.settings.map((s) => settingRow(i.id, s)));
  out.push('## Settings', '');
  if (settings.length === 0)
    out.push('No setting found (no OLLAMA\\_\\* variable, flag or file).', '');
  else out.push(...table(['Instance', 'Name', 'Value', 'State', 'Source', 'Why'], settings), '');

  out.push('## Probes', '');
  out.push(
    ...table(
      ['Probe', 'Status', 'Time', 'Note'],
      probesOf(snapshot).map((name) =>
        probeRow(name, snapshot.probes[name] as ProbeResult<unknown>),
      ),
    ),
    '',
  );
  out.push(
    `_Generated by Paddock from the scan of ${mdText(host.hostname)} taken ${mdText(formatTime(doc.generatedAt))}. Values read from the system are shown as text._`,
  );
  return `${out.join('\n')}\n`;
}
