/**
 * ufw: `ufw status verbose` (root only), /etc/ufw/user.rules and user6.rules (root only),
 * /etc/default/ufw and /etc/ufw/ufw.conf (readable by everyone).
 *
 * The rules come from the `### tuple ###` comments ufw writes above each rule in
 * user.rules: one machine-readable line per rule, with application profiles already
 * resolved into ports (ufw 0.36, src/backend_iptables.py). The table `ufw status` prints is
 * the fallback when the files cannot be read but the command could run.
 */
import type { FirewallFamily, PortRange, UfwRule } from '../../../../../shared/firewall';
import { clip, parsePortList } from './common';

export interface UfwStatus {
  active: boolean | null;
  defaultIncoming: 'allow' | 'deny' | 'reject' | null;
  rules: UfwRule[];
}

const ACTIONS = new Set(['allow', 'deny', 'reject', 'limit']);

function familyOfAddress(address: string): FirewallFamily | null {
  if (address === 'any') return null;
  return address.includes(':') ? 6 : /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(address) ? 4 : null;
}

function portsText(ports: PortRange[] | null): string {
  return ports ? ports.map(([a, b]) => (a === b ? `${a}` : `${a}:${b}`)).join(',') : 'any';
}

/** The rule as a ufw command line would state it. */
export function ufwRuleText(rule: Omit<UfwRule, 'text' | 'unparsed'>): string {
  const parts = [rule.action, rule.direction === 'route' ? 'route' : rule.direction];
  if (rule.interface) parts.push('on', rule.interface);
  if (rule.protocol !== 'any') parts.push('proto', rule.protocol);
  parts.push('from', rule.fromAddress);
  if (rule.fromPorts) parts.push('port', portsText(rule.fromPorts));
  parts.push('to', rule.toAddress);
  if (rule.toPorts) parts.push('port', portsText(rule.toPorts));
  if (rule.app) parts.push(`(app ${rule.app})`);
  return parts.join(' ');
}

const anyAddress = (a: string) => (a === '0.0.0.0/0' || a === '::/0' ? 'any' : a);

/**
 * `### tuple ### <action> <proto> <dport> <dst> <sport> <src> [<dapp> <sapp>] <direction>
 * [comment=<hex>]`; action may carry `_log`/`_log-all`, route rules start with `route:`,
 * the direction may name interfaces (`in_eth0`, `in_eth0!out_eth1`).
 */
export function parseUfwUserRules(text: string, family: FirewallFamily): UfwRule[] {
  const rules: UfwRule[] = [];
  for (const line of text.split('\n')) {
    const match = /^### tuple ### (.*)$/.exec(line.trim());
    if (!match) continue;
    const words = match[1]!
      .trim()
      .split(/\s+/)
      .filter((w) => !w.startsWith('comment='));
    const raw = clip(line.trim());
    let actionWord = words[0] ?? '';
    let route = false;
    if (actionWord.startsWith('route:')) {
      route = true;
      actionWord = actionWord.slice('route:'.length);
    }
    const action = actionWord.replace(/_log(-all)?$/, '');
    if (!ACTIONS.has(action) || (words.length !== 7 && words.length !== 9)) {
      rules.push(unparsedRule(raw, family));
      continue;
    }
    const [, proto, dport, dst, sport, src] = words as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const app =
      words.length === 9 ? [words[6], words[7]].filter((w) => w && w !== '-').join(' / ') : '';
    const directionWord = words[words.length - 1]!;
    const inIface = /^in_([^!]+)/.exec(directionWord)?.[1] ?? null;
    const direction: UfwRule['direction'] = route
      ? 'route'
      : directionWord.startsWith('out')
        ? 'out'
        : 'in';
    const toPorts = dport === 'any' ? null : parsePortList(dport);
    const fromPorts = sport === 'any' ? null : parsePortList(sport);
    if ((dport !== 'any' && !toPorts) || (sport !== 'any' && !fromPorts)) {
      rules.push(unparsedRule(raw, family));
      continue;
    }
    const base = {
      action: action as UfwRule['action'],
      direction,
      interface: direction === 'in' ? inIface : null,
      protocol: proto.toLowerCase(),
      toPorts,
      toAddress: anyAddress(dst),
      fromPorts,
      fromAddress: anyAddress(src),
      family,
      app: app ? app.replace(/%20/g, ' ') : null,
    };
    rules.push({ ...base, text: ufwRuleText(base), unparsed: false });
  }
  return rules;
}

function unparsedRule(text: string, family: FirewallFamily): UfwRule {
  return {
    text,
    action: 'allow',
    direction: 'in',
    interface: null,
    protocol: 'any',
    toPorts: null,
    toAddress: 'any',
    fromPorts: null,
    fromAddress: 'any',
    family,
    app: null,
    unparsed: true,
  };
}

/** One side of the status table: "Anywhere", "10.0.0.0/8", "11434/tcp", "10.0.0.1 22/tcp", "OpenSSH". */
function parseSide(text: string): {
  address: string;
  ports: PortRange[] | null;
  protocol: string | null;
  app: string | null;
} | null {
  let address = 'any';
  let ports: PortRange[] | null = null;
  let protocol: string | null = null;
  let app: string | null = null;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (word === 'Anywhere') continue;
    const portSpec = /^([\d,:]+)(?:\/(\w+))?$/.exec(word);
    if (portSpec) {
      ports = parsePortList(portSpec[1]!);
      if (!ports) return null;
      protocol = portSpec[2]?.toLowerCase() ?? null;
      continue;
    }
    if (familyOfAddress(word.replace(/\/\d+$/, '')) !== null || /^[\da-f:]+(\/\d+)?$/i.test(word)) {
      address = word;
      continue;
    }
    app = app ? `${app} ${word}` : word;
  }
  return { address, ports, protocol, app };
}

/**
 * `ufw status verbose`:
 *
 *   Status: active
 *   Default: deny (incoming), allow (outgoing), disabled (routed)
 *   To                         Action      From
 *   --                         ------      ----
 *   11434/tcp on eth0          DENY IN     10.0.0.0/8
 *   11434/tcp (v6)             ALLOW IN    Anywhere (v6)
 */
export function parseUfwStatus(text: string): UfwStatus | null {
  const status = /^Status:\s*(active|inactive)\s*$/m.exec(text)?.[1];
  if (!status) return null;
  const incoming = /^Default:.*?\b(allow|deny|reject) \(incoming\)/m.exec(text)?.[1] as
    UfwStatus['defaultIncoming'] | undefined;
  const rules: UfwRule[] = [];
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^--\s+------\s+----/.test(l.trim()));
  if (header >= 0) {
    for (const line of lines.slice(header + 1)) {
      const trimmed = stripComment(line).trim();
      if (trimmed === '') continue;
      rules.push(parseStatusRow(trimmed));
    }
  }
  return { active: status === 'active', defaultIncoming: incoming ?? null, rules };
}

/*
 * The regular expressions these replace (/\s+#.*$/, /^(.*?)\s+(ALLOW|…)\s+(.*)$/ and
 * /\s*\(v6\)/) tried every position of a long run of blanks: quadratic on "x      …      y"
 * (fuzz-findings.md F4). The loops below find the same matches in one pass.
 */

const isSpace = (c: string) => /\s/.test(c);
// `.` in those expressions does not match these line breaks.
const LINE_BREAKS = ['\n', '\r', '\u2028', '\u2029'];
const firstBreak = (text: string) =>
  Math.min(...LINE_BREAKS.map((c) => text.indexOf(c)).filter((i) => i >= 0), text.length);
const lastBreak = (text: string) => Math.max(...LINE_BREAKS.map((c) => text.lastIndexOf(c)));

/** The start of the run of \s that ends just before `at`. */
function blanksBefore(text: string, at: number): number {
  let start = at;
  while (start > 0 && isSpace(text.charAt(start - 1))) start--;
  return start;
}

/** line.replace(/\s+#.*$/, ''): a `#` after blanks starts a comment to the end of the line. */
function stripComment(line: string): string {
  // `.*$` must reach the end: only a `#` after the last line break can start the comment.
  const from = lastBreak(line) + 1;
  for (let hash = line.indexOf('#', from); hash >= 0; hash = line.indexOf('#', hash + 1)) {
    const start = blanksBefore(line, hash);
    if (start < hash) return line.slice(0, start);
  }
  return line;
}

/** text.replace(/\s*\(v6\)/, ''): the first "(v6)" and the blanks before it. */
function dropV6(text: string): string {
  const at = text.indexOf('(v6)');
  return at < 0 ? text : text.slice(0, blanksBefore(text, at)) + text.slice(at + 4);
}

const ACTION_WORD = /(?:ALLOW|DENY|REJECT|LIMIT)/g;

/** /^(.*?)\s+(ALLOW|DENY|REJECT|LIMIT)(?: (IN|OUT|FWD))?\s+(.*)$/ on one row, without its backtracking. */
function splitStatusRow(
  row: string,
): { toText: string; action: string; direction: string | undefined; fromText: string } | null {
  const toEnd = firstBreak(row); // (.*?) cannot reach past this
  const fromStart = lastBreak(row) + 1; // nor (.*) start before this
  ACTION_WORD.lastIndex = 0;
  for (let m = ACTION_WORD.exec(row); m; m = ACTION_WORD.exec(row)) {
    const at = m.index;
    const start = blanksBefore(row, at);
    if (start > toEnd) return null;
    if (start === at) continue;
    let after = at + m[0].length;
    const direction = /^ (IN|OUT|FWD)\s/.exec(row.slice(after, after + 5))?.[1];
    if (direction) after += 1 + direction.length;
    if (!isSpace(row.charAt(after))) {
      ACTION_WORD.lastIndex = at + 1;
      continue;
    }
    let from = after;
    while (from < row.length && isSpace(row.charAt(from))) from++;
    if (from < fromStart) continue;
    return { toText: row.slice(0, start), action: m[0], direction, fromText: row.slice(from) };
  }
  return null;
}

function parseStatusRow(row: string): UfwRule {
  // Columns are padded to a width a long "To" overflows ("8000:8100/tcp (v6) on eth0 ALLOW IN"),
  // so the action is found by its words rather than by the padding.
  const match = splitStatusRow(row);
  const family: FirewallFamily = row.includes('(v6)') ? 6 : 4;
  if (!match) return unparsedRule(clip(row), family);
  const { toText, action: actionWord, direction: directionWord, fromText } = match;
  let to = dropV6(toText);
  const from = dropV6(fromText);
  let iface: string | null = null;
  const on = / on (\S+)$/.exec(to);
  if (on) {
    iface = on[1]!;
    to = to.slice(0, on.index);
  }
  const toSide = parseSide(to);
  const fromSide = parseSide(from);
  if (!toSide || !fromSide || toSide.app || fromSide.app) return unparsedRule(clip(row), family);
  const addrFamily =
    familyOfAddress(toSide.address.replace(/\/\d+$/, '')) ??
    familyOfAddress(fromSide.address.replace(/\/\d+$/, ''));
  const direction: UfwRule['direction'] =
    directionWord === 'OUT' ? 'out' : directionWord === 'FWD' ? 'route' : 'in';
  const base = {
    action: actionWord.toLowerCase() as UfwRule['action'],
    direction,
    interface: iface,
    protocol: toSide.protocol ?? fromSide.protocol ?? 'any',
    toPorts: toSide.ports,
    toAddress: toSide.address,
    fromPorts: fromSide.ports,
    fromAddress: fromSide.address,
    family: addrFamily ?? family,
    app: null,
  };
  return { ...base, text: clip(row), unparsed: false };
}

/** KEY=value lines of a shell-style config (quotes removed); later wins. */
function shellAssignments(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    // Not /=\s*(.*?)\s*$/: its lazy group and trailing \s* were quadratic on
    // "ENABLED=yes      …      x" (fuzz-findings.md F4). JavaScript's trim() strips what \s matches.
    const match = /^\s*([A-Z_][A-Z0-9_]*)\s*=(.*)$/.exec(line);
    if (!match) continue;
    out.set(match[1]!, match[2]!.trim().replace(/^(["'])(.*)\1$/, '$2'));
  }
  return out;
}

export function parseUfwDefaults(text: string): {
  defaultIncoming: 'allow' | 'deny' | 'reject' | null;
  ipv6: boolean | null;
} {
  const vars = shellAssignments(text);
  const policy = vars.get('DEFAULT_INPUT_POLICY')?.toUpperCase();
  const ipv6 = vars.get('IPV6')?.toLowerCase();
  return {
    defaultIncoming:
      policy === 'DROP'
        ? 'deny'
        : policy === 'REJECT'
          ? 'reject'
          : policy === 'ACCEPT'
            ? 'allow'
            : null,
    ipv6: ipv6 === 'yes' ? true : ipv6 === 'no' ? false : null,
  };
}

export function parseUfwConf(text: string): { enabledAtBoot: boolean | null } {
  const value = shellAssignments(text).get('ENABLED')?.toLowerCase();
  return { enabledAtBoot: value === 'yes' ? true : value === 'no' ? false : null };
}
