/**
 * pf on macOS, as pfctl prints it: whether pf is enabled (`pfctl -s info`) and the rules of
 * Paddock's own anchor (`pfctl -a com.apple/paddock -s rules`).
 *
 * Formats from pfctl's source (pfctl_parser.c, print_status and print_rule; macOS's pfctl
 * derives from the same OpenBSD 4.x code FreeBSD carried in contrib/pf/pfctl):
 *   - `Status: Enabled for 0 days 00:12:34` or `Status: Disabled`, padded to 44 columns,
 *     then `Debug: Urgent` (or None/Misc/Loud); then counter tables;
 *   - a rule is printed back as `block drop in quick inet6 proto tcp from any to any port =
 *     11434`: action, `drop`/`return`/`return-rst`/`return-icmp(…)` for block, direction,
 *     `log`, `quick`, `on IF`, `inet`/`inet6`, `proto`, then `all` or `from … to …` with
 *     `port = N` (`port N:M`, `port > N` and the like for other operators), then options
 *     (`flags S/SA keep state` on pass rules, `label "…"`).
 * On macOS pfctl writes "No ALTQ support in kernel" / "ALTQ related functions disabled" to
 * stderr on every run, and -f adds "pfctl: Use of -f option, could result in flushing of
 * rules / present in the main ruleset added by the system at startup. / See /etc/pf.conf for
 * further details." (basecamp/pow#452, Ettercap/ettercap#641, bettercap/bettercap#162). The
 * probe may pass stderr in with stdout: those lines are set aside as warnings, other `pfctl:`
 * lines (such as "pfctl: /dev/pf: Permission denied") as errors.
 */
import type { ParseProblems } from './common';
import { DEFAULT_LINE_LIMITS, ProblemLog, boundedLines, portNumber } from './common';

export const PADDOCK_PF_ANCHOR = 'com.apple/paddock';
export const PFCTL_INFO_ARGV: readonly string[] = ['pfctl', '-s', 'info'];
export function pfctlAnchorRulesArgv(anchor: string = PADDOCK_PF_ANCHOR): readonly string[] {
  return ['pfctl', '-a', anchor, '-s', 'rules'];
}

const KNOWN_WARNINGS = [
  /^No ALTQ support in kernel$/,
  /^ALTQ related functions disabled$/,
  /^pfctl: Use of -f option, could result in flushing of rules$/,
  /^present in the main ruleset added by the system at startup\.$/,
  /^See \/etc\/pf\.conf for further details\.$/,
];

interface Noise {
  warnings: string[];
  errors: string[];
}

/** Sorts pfctl's stderr chatter out of a line; true when the line was chatter. */
function setAside(line: string, noise: Noise): boolean {
  if (KNOWN_WARNINGS.some((pattern) => pattern.test(line))) {
    noise.warnings.push(line);
    return true;
  }
  if (line.startsWith('pfctl: ')) {
    if (noise.errors.length < 20) noise.errors.push(line.slice(0, 200));
    return true;
  }
  return false;
}

export interface PfInfo extends ParseProblems {
  status: 'enabled' | 'disabled' | 'unknown';
  /** How long pf has run (`Enabled for D days HH:MM:SS`); null when not printed. */
  runningSeconds: number | null;
  warnings: string[];
  /** pfctl's own error lines (no permission, no device). */
  errors: string[];
}

const STATUS_LINE =
  /^Status: (Enabled|Disabled)(?: for (\d{1,6}) days (\d{2}):(\d{2}):(\d{2}))?\s+Debug: \w+\s*$/;
const INFO_HEADINGS =
  /^(?:State Table|Source Tracking Table|Counters|Limit Counters|Interface Stats for |Hostid:|Checksum:)/;

/** Parses `pfctl -s info` (stderr included or not); never throws. */
export function parsePfInfo(text: string): PfInfo {
  const log = new ProblemLog();
  const noise: Noise = { warnings: [], errors: [] };
  let status: PfInfo['status'] = 'unknown';
  let runningSeconds: number | null = null;
  let seen = false;
  for (const { number, text: line } of boundedLines(text, log, DEFAULT_LINE_LIMITS)) {
    const trimmed = line.trim();
    if (trimmed === '' || setAside(trimmed, noise)) continue;
    const match = STATUS_LINE.exec(trimmed);
    if (match) {
      const next = match[1] === 'Enabled' ? 'enabled' : 'disabled';
      if (seen && next !== status) status = 'unknown';
      else status = next;
      seen = true;
      if (match[2] !== undefined) {
        runningSeconds =
          Number(match[2]) * 86_400 +
          Number(match[3]) * 3600 +
          Number(match[4]) * 60 +
          Number(match[5]);
      }
      continue;
    }
    // The tables under the status: headings and indented counter rows.
    if (seen && (INFO_HEADINGS.test(trimmed) || /^\s/.test(line))) continue;
    log.add(number, line, 'not part of pfctl -s info');
  }
  return { status, runningSeconds, ...noise, ...log.result() };
}

export interface PfPortMatch {
  /** `=`, `!=`, `<`, `<=`, `>`, `>=`, `:` (range, inclusive), `><`, `<>`. */
  op: string;
  /** Port numbers (or service names when pfctl printed one). */
  values: (number | string)[];
}

export interface PfRule {
  /** The line as printed. */
  text: string;
  action: 'pass' | 'block';
  /** For block: drop, return, return-rst, return-icmp… as printed; null for pass. */
  policy: string | null;
  direction: 'in' | 'out' | null;
  log: boolean;
  quick: boolean;
  /** `on IF`, with a leading `!` when negated. */
  interface: string | null;
  family: 4 | 6 | null;
  proto: string | null;
  /** `all`: from any to any. Otherwise the source/destination as printed. */
  from: string;
  fromPort: PfPortMatch | null;
  to: string;
  toPort: PfPortMatch | null;
  /** What follows (flags, state, label), as printed. */
  options: string;
}

export interface PfRules extends ParseProblems {
  rules: PfRule[];
  /** `anchor "name" …` lines: sub-anchors called from this ruleset. */
  anchors: string[];
  warnings: string[];
  errors: string[];
}

/** Words, with `{ … }` lists and "quoted" strings kept whole. */
function words(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i] ?? '';
    if (ch === ' ' || ch === '\t') {
      i += 1;
      continue;
    }
    const close = ch === '{' ? '}' : ch === '"' ? '"' : null;
    if (close) {
      const end = line.indexOf(close, i + 1);
      if (end < 0) return null;
      out.push(line.slice(i, end + 1));
      i = end + 1;
      continue;
    }
    let end = i;
    while (end < line.length && line[end] !== ' ' && line[end] !== '\t') end += 1;
    out.push(line.slice(i, end));
    i = end;
  }
  return out;
}

const PORT_OPS = new Set(['=', '!=', '<', '<=', '>', '>=']);

function portValue(word: string): number | string | null {
  if (/^\d+$/.test(word)) return portNumber(word);
  return /^[a-z][a-z0-9-]{0,31}$/i.test(word) ? word : null;
}

/** `port …` at words[i]; returns the match and the index after it, or null. */
function readPort(list: string[], i: number): { port: PfPortMatch; next: number } | null {
  if (list[i] !== 'port') return null;
  const a = list[i + 1] ?? '';
  if (PORT_OPS.has(a)) {
    const value = portValue(list[i + 2] ?? '');
    return value === null ? null : { port: { op: a, values: [value] }, next: i + 3 };
  }
  if (a.startsWith('{')) {
    const values = a
      .slice(1, -1)
      .trim()
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(portValue);
    if (values.length === 0 || values.some((v) => v === null)) return null;
    return { port: { op: '=', values: values as (number | string)[] }, next: i + 2 };
  }
  const range = /^(\d+):(\d+)$/.exec(a);
  if (range) {
    const low = portNumber(range[1] ?? '');
    const high = portNumber(range[2] ?? '');
    return low === null || high === null
      ? null
      : { port: { op: ':', values: [low, high] }, next: i + 2 };
  }
  const first = portValue(a);
  if (first === null) return null;
  const op = list[i + 2];
  if (op === '><' || op === '<>') {
    const second = portValue(list[i + 3] ?? '');
    return second === null ? null : { port: { op, values: [first, second] }, next: i + 4 };
  }
  return { port: { op: '=', values: [first] }, next: i + 2 };
}

/** An address spec (`any`, `! 10.0.0.0/8`, `<table>`, `{ … }`, `(en0)`, `self`). */
function readHostSpec(list: string[], i: number): { host: string; next: number } | null {
  const parts: string[] = [];
  let j = i;
  if (list[j] === '!') parts.push(list[j++] ?? '');
  const word = list[j];
  if (word === undefined || ['port', 'to', 'from', 'flags'].includes(word)) return null;
  parts.push(word);
  return { host: parts.join(' '), next: j + 1 };
}

function parseRule(line: string): PfRule | null {
  const list = words(line);
  if (!list || (list[0] !== 'pass' && list[0] !== 'block')) return null;
  const rule: PfRule = {
    text: line,
    action: list[0],
    policy: null,
    direction: null,
    log: false,
    quick: false,
    interface: null,
    family: null,
    proto: null,
    from: 'any',
    fromPort: null,
    to: 'any',
    toPort: null,
    options: '',
  };
  let i = 1;
  if (rule.action === 'block' && /^(drop|return(-rst|-icmp6?)?)(\(.*\))?$/.test(list[i] ?? '')) {
    rule.policy = list[i++] ?? null;
  }
  if (list[i] === 'in' || list[i] === 'out') rule.direction = list[i++] as 'in' | 'out';
  if (list[i] === 'log') {
    rule.log = true;
    i += 1;
    if ((list[i] ?? '').startsWith('(')) {
      while (i < list.length && !(list[i] ?? '').endsWith(')')) i += 1;
      i += 1;
    }
  }
  if (list[i] === 'quick') {
    rule.quick = true;
    i += 1;
  }
  if (list[i] === 'on') {
    const negated = list[i + 1] === '!';
    const name = list[i + (negated ? 2 : 1)];
    if (name === undefined) return null;
    rule.interface = negated ? `!${name}` : name;
    i += negated ? 3 : 2;
  }
  if (list[i] === 'inet' || list[i] === 'inet6') rule.family = list[i++] === 'inet' ? 4 : 6;
  if (list[i] === 'proto') {
    rule.proto = list[i + 1] ?? null;
    if (rule.proto === null) return null;
    i += 2;
  }
  if (list[i] === 'all') i += 1;
  else {
    if (list[i] === 'from') {
      const host = readHostSpec(list, i + 1);
      if (!host) return null;
      rule.from = host.host;
      i = host.next;
      const port = readPort(list, i);
      if (port) {
        rule.fromPort = port.port;
        i = port.next;
      } else if (list[i] === 'port') return null;
    }
    if (list[i] === 'to') {
      const host = readHostSpec(list, i + 1);
      if (!host) return null;
      rule.to = host.host;
      i = host.next;
      const port = readPort(list, i);
      if (port) {
        rule.toPort = port.port;
        i = port.next;
      } else if (list[i] === 'port') return null;
    }
  }
  rule.options = list.slice(i).join(' ');
  return rule;
}

/** Parses `pfctl [-a ANCHOR] -s rules` (stderr included or not); never throws. */
export function parsePfRules(text: string): PfRules {
  const log = new ProblemLog();
  const noise: Noise = { warnings: [], errors: [] };
  const rules: PfRule[] = [];
  const anchors: string[] = [];
  for (const { number, text: line } of boundedLines(text, log, DEFAULT_LINE_LIMITS)) {
    const trimmed = line.trim();
    if (trimmed === '' || setAside(trimmed, noise)) continue;
    const anchor =
      /^(?:anchor|nat-anchor|rdr-anchor|binat-anchor|scrub-anchor|dummynet-anchor) "([^"]{1,200})"/.exec(
        trimmed,
      );
    if (anchor) {
      anchors.push(anchor[1] ?? '');
      continue;
    }
    const rule = parseRule(trimmed);
    if (rule) rules.push(rule);
    else log.add(number, line, 'not a pass or block rule pfctl prints');
  }
  return { rules, anchors, ...noise, ...log.result() };
}

export interface PfPortBlock {
  port: number;
  /** null: both families (the rule named none). */
  family: 4 | 6 | null;
  /** drop (silently) or return (refused with a reset or ICMP). */
  policy: 'drop' | 'return';
  interface: string | null;
}

/**
 * Ports that `block … in quick … proto tcp from any to any port = N` rules close to
 * incoming TCP, the only shape Paddock's anchor holds. Other rules (pass, out, a source
 * other than any, ranges) are not summarised here.
 */
export function blockedInboundTcpPorts(rules: readonly PfRule[]): PfPortBlock[] {
  const blocks: PfPortBlock[] = [];
  for (const rule of rules) {
    if (rule.action !== 'block' || rule.direction !== 'in' || !rule.quick) continue;
    if (rule.proto !== 'tcp' || rule.from !== 'any' || rule.fromPort !== null) continue;
    if (rule.to !== 'any' || rule.toPort?.op !== '=') continue;
    const policy = rule.policy === null || rule.policy === 'drop' ? 'drop' : 'return';
    for (const port of rule.toPort.values) {
      if (typeof port === 'number') {
        blocks.push({ port, family: rule.family, policy, interface: rule.interface });
      }
    }
  }
  return blocks;
}
