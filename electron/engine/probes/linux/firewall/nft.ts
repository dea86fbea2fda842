/**
 * `nft -j list ruleset` → the shared rule model (shared/firewall.ts).
 *
 * The JSON schema is libnftables-json(5) (nftables 0.9+, json_schema_version 1). Each rule's
 * `expr` array is turned into conditions and a verdict for the rule shapes people write:
 * port, protocol, interface, address, ct state/status and fib type matches (single values,
 * anonymous and named sets, ranges, prefixes, negation), verdicts and verdict maps. Counters,
 * logs, comments and other statements that leave the packet alone are dropped; anything
 * else that could change the packet's fate becomes an `unknown` condition or verdict that
 * keeps its text, so the evaluator can say "unknown" and show the rule.
 *
 * The rule text is rebuilt from the JSON in nft syntax for display (approximate for rare
 * expressions, which fall back to compact JSON).
 */
import type {
  FirewallChain,
  FirewallRule,
  FirewallRuleset,
  FirewallTable,
  NatTarget,
  PortRange,
  RuleCondition,
  RuleVerdict,
} from '../../../../../shared/firewall';
import { clip, isRecord, normalizeProtocol, stripLeadingComments } from './common';

export type NftParseResult =
  { ok: true; ruleset: FirewallRuleset } | { ok: false; message: string };

/** A ruleset with more objects than this is cut short (with a warning). */
const MAX_OBJECTS = 200_000;
/** Elements resolved from one named set; a bigger set is treated as unknown. */
const MAX_SET_ELEMENTS = 20_000;

type Atom = string | number | { range: [string | number, string | number] };

interface NamedSet {
  /** null: the set's contents could not be read into atoms. */
  atoms: Atom[] | null;
  /** For verdict maps: key → verdict JSON. */
  map: Array<[unknown, unknown]> | null;
}

interface Context {
  sets: Map<string, NamedSet>;
  family: string;
  table: string;
}

/** Standard priority names (nft(8) "PRIORITY"), for outputs that print them as words. */
const PRIORITY_NAMES: Record<string, number> = {
  raw: -300,
  mangle: -150,
  dstnat: -100,
  filter: 0,
  security: 50,
  srcnat: 100,
  out: 100,
};

function parsePriority(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return null;
  const match = /^\s*([a-z]+|-?\d+)\s*(?:([+-])\s*(\d+))?\s*$/.exec(value);
  if (!match) return null;
  const base = /^-?\d+$/.test(match[1]!) ? Number(match[1]) : PRIORITY_NAMES[match[1]!];
  if (base === undefined) return null;
  const offset = match[3] ? Number(match[3]) * (match[2] === '-' ? -1 : 1) : 0;
  return base + offset;
}

// ── values ─────────────────────────────────────────────────────────────────────────────────

/** Flattens a right-hand value into atoms; null when it holds something not modelled. */
function atoms(value: unknown, ctx: Context, depth = 0): Atom[] | null {
  if (depth > 8) return null;
  if (typeof value === 'number') return [value];
  if (typeof value === 'string') {
    if (value.startsWith('@')) {
      const named = ctx.sets.get(value.slice(1));
      return named?.atoms ?? null;
    }
    return [value];
  }
  if (Array.isArray(value)) {
    const out: Atom[] = [];
    for (const item of value) {
      const inner = atoms(item, ctx, depth + 1);
      if (!inner) return null;
      out.push(...inner);
    }
    return out;
  }
  if (!isRecord(value)) return null;
  if ('set' in value) return atoms(value.set, ctx, depth + 1);
  if ('elem' in value && isRecord(value.elem)) return atoms(value.elem.val, ctx, depth + 1);
  if ('prefix' in value && isRecord(value.prefix)) {
    const { addr, len } = value.prefix;
    return typeof addr === 'string' && typeof len === 'number' ? [`${addr}/${len}`] : null;
  }
  if ('range' in value && Array.isArray(value.range) && value.range.length === 2) {
    const [a, b] = value.range as unknown[];
    const ok = (v: unknown) => typeof v === 'string' || typeof v === 'number';
    return ok(a) && ok(b) ? [{ range: [a as string | number, b as string | number] }] : null;
  }
  return null;
}

function portNumber(value: string | number): number | null {
  const n = typeof value === 'number' ? value : /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65_535 ? n : null;
}

function portRanges(list: Atom[]): PortRange[] | null {
  const out: PortRange[] = [];
  for (const atom of list) {
    if (typeof atom === 'object') {
      const lo = portNumber(atom.range[0]);
      const hi = portNumber(atom.range[1]);
      if (lo === null || hi === null || hi < lo) return null;
      out.push([lo, hi]);
    } else {
      const p = portNumber(atom);
      if (p === null) return null; // a service name nft did not print numerically
      out.push([p, p]);
    }
  }
  return out;
}

function strings(list: Atom[]): string[] | null {
  const out: string[] = [];
  for (const atom of list) {
    if (typeof atom !== 'string') return null;
    out.push(atom);
  }
  return out;
}

function addressItems(list: Atom[]): string[] | null {
  const out: string[] = [];
  for (const atom of list) {
    if (typeof atom === 'string') out.push(atom);
    else if (typeof atom === 'object') out.push(`${atom.range[0]}-${atom.range[1]}`);
    else return null;
  }
  return out;
}

// ── rendering (display only) ───────────────────────────────────────────────────────────────

/** Rendering depth, so a hostile, deeply nested expression cannot exhaust the stack. */
let renderDepth = 0;
const MAX_RENDER_DEPTH = 24;

/** Compact JSON for display; never throws (a cyclic or absurdly deep value becomes "…"). */
function safeJson(value: unknown, max: number): string {
  try {
    return clip(JSON.stringify(value) ?? 'null', max);
  } catch {
    return '…';
  }
}

function renderValue(value: unknown, quote: boolean): string {
  if (renderDepth > MAX_RENDER_DEPTH) return '…';
  renderDepth += 1;
  try {
    return renderValueInner(value, quote);
  } finally {
    renderDepth -= 1;
  }
}

function renderValueInner(value: unknown, quote: boolean): string {
  if (typeof value === 'string') return quote && !value.startsWith('@') ? `"${value}"` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, quote)).join(',');
  if (isRecord(value)) {
    if ('set' in value) {
      const items = Array.isArray(value.set) ? value.set : [value.set];
      return `{ ${items
        .map((item) =>
          Array.isArray(item) && item.length === 2
            ? `${renderValue(item[0], quote)} : ${renderStatement(item[1])}`
            : renderValue(item, quote),
        )
        .join(', ')} }`;
    }
    if ('prefix' in value && isRecord(value.prefix))
      return `${String(value.prefix.addr)}/${String(value.prefix.len)}`;
    if ('range' in value && Array.isArray(value.range))
      return value.range.map((v) => renderValue(v, quote)).join('-');
    if ('elem' in value && isRecord(value.elem)) return renderValue(value.elem.val, quote);
    if ('concat' in value && Array.isArray(value.concat))
      return value.concat.map((v) => renderValue(v, quote)).join(' . ');
    return renderExpression(value);
  }
  return safeJson(value, 160);
}

function renderExpression(value: unknown): string {
  if (renderDepth > MAX_RENDER_DEPTH) return '…';
  renderDepth += 1;
  try {
    return renderExpressionInner(value);
  } finally {
    renderDepth -= 1;
  }
}

function renderExpressionInner(value: unknown): string {
  if (!isRecord(value)) return renderValue(value, false);
  if (isRecord(value.meta)) {
    const key = String(value.meta.key);
    return ['iifname', 'oifname', 'iif', 'oif', 'l4proto', 'nfproto', 'mark', 'pkttype'].includes(
      key,
    )
      ? key === 'mark' || key === 'pkttype' || key === 'l4proto' || key === 'nfproto'
        ? `meta ${key}`
        : key
      : `meta ${key}`;
  }
  if (isRecord(value.payload)) {
    const p = value.payload;
    if (typeof p.protocol === 'string') return `${p.protocol} ${String(p.field)}`;
    return `@${String(p.base)},${String(p.offset)},${String(p.len)}`;
  }
  if (isRecord(value.ct)) return `ct ${String(value.ct.key)}`;
  if (isRecord(value.fib)) {
    const flags = Array.isArray(value.fib.flags) ? value.fib.flags.map(String) : [];
    return `fib ${flags.join(' . ')} ${String(value.fib.result)}`;
  }
  if (isRecord(value.exthdr)) return `exthdr ${String(value.exthdr.name)}`;
  if ('concat' in value && Array.isArray(value.concat))
    return value.concat.map(renderExpression).join(' . ');
  return safeJson(value, 120);
}

const IFACE_KEYS = new Set(['iifname', 'oifname', 'iif', 'oif']);

function renderStatement(statement: unknown): string {
  if (!isRecord(statement)) return String(statement);
  const key = Object.keys(statement)[0] ?? '';
  const body = statement[key];
  switch (key) {
    case 'match': {
      if (!isRecord(body)) break;
      const left = renderExpression(body.left);
      const quote =
        isRecord(body.left) &&
        isRecord(body.left.meta) &&
        IFACE_KEYS.has(String(body.left.meta.key));
      const op = body.op === '==' || body.op === 'in' ? '' : `${String(body.op)} `;
      return `${left} ${op}${renderValue(body.right, quote)}`;
    }
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
      return key;
    case 'jump':
    case 'goto':
      return isRecord(body) ? `${key} ${String(body.target)}` : key;
    case 'reject': {
      if (!isRecord(body)) return 'reject';
      if (body.type === 'tcp reset') return 'reject with tcp reset';
      return body.expr !== undefined
        ? `reject with ${String(body.type ?? 'icmp')} ${String(body.expr)}`
        : `reject${body.type ? ` with ${String(body.type)}` : ''}`;
    }
    case 'counter':
      return 'counter';
    case 'log':
      return isRecord(body) && typeof body.prefix === 'string'
        ? `log prefix "${body.prefix}"`
        : 'log';
    case 'limit':
      return isRecord(body)
        ? `limit rate ${body.inv ? 'over ' : ''}${String(body.rate)}/${String(body.per ?? 'second')}`
        : 'limit';
    case 'vmap':
      if (isRecord(body))
        return `${renderExpression(body.key)} vmap ${renderValue(body.data, isRecord(body.key) && isRecord(body.key.meta) && IFACE_KEYS.has(String(body.key.meta.key)))}`;
      break;
    case 'xt':
      if (isRecord(body)) return `xt ${String(body.type)} ${String(body.name)}`;
      break;
    default:
      break;
  }
  return safeJson(statement, 160);
}

export function renderNftRule(expr: unknown[], comment: string | null): string {
  const parts = expr.map(renderStatement);
  if (comment) parts.push(`comment "${comment}"`);
  return clip(parts.join(' '));
}

// ── conditions and verdicts ─────────────────────────────────────────────────────────────────

const unknown = (text: string): RuleCondition => ({ kind: 'unknown', text: clip(text, 200) });

/** Transport protocols whose header a port match implies. */
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'th']);
/** Protocols whose header fields imply the protocol itself. */
const L4_ONLY = new Set(['icmp', 'icmpv6', 'igmp', 'esp', 'ah', 'comp', 'gre']);

/**
 * One `match` expression → conditions (usually one; `ip protocol` also implies IPv4).
 * Ordered comparisons (`tcp dport < 1024`) become ranges.
 */
function matchConditions(op: string, left: unknown, right: unknown, ctx: Context): RuleCondition[] {
  const text = `${renderExpression(left)} ${op} ${renderValue(right, false)}`;
  if (!isRecord(left)) return [unknown(text)];
  const negate = op === '!=';
  const membership = op === '==' || op === '!=' || op === 'in';

  const values = () => atoms(right, ctx);

  if (isRecord(left.payload) && typeof left.payload.protocol === 'string') {
    const protocol = left.payload.protocol;
    const field = String(left.payload.field);
    if (PORT_PROTOCOLS.has(protocol) && (field === 'dport' || field === 'sport')) {
      let ranges: PortRange[] | null = null;
      if (membership) {
        const list = values();
        ranges = list ? portRanges(list) : null;
      } else {
        const p = typeof right === 'number' || typeof right === 'string' ? portNumber(right) : null;
        if (p !== null) {
          if (op === '<' && p > 0) ranges = [[0, p - 1]];
          if (op === '<=') ranges = [[0, p]];
          if (op === '>' && p < 65_535) ranges = [[p + 1, 65_535]];
          if (op === '>=') ranges = [[p, 65_535]];
        }
      }
      if (!ranges) {
        // The protocol is still implied even when the port list is not understood.
        return protocol === 'th'
          ? [unknown(text)]
          : [{ kind: 'l4proto', negate: false, protocols: [protocol] }, unknown(text)];
      }
      return [{ kind: 'port', negate, direction: field, protocol, ranges }];
    }
    if (PORT_PROTOCOLS.has(protocol) && protocol !== 'th')
      return [{ kind: 'l4proto', negate: false, protocols: [protocol] }, unknown(text)];
    if (L4_ONLY.has(protocol))
      return [{ kind: 'l4proto', negate: false, protocols: [normalizeProtocol(protocol)] }];
    if (protocol === 'ip' || protocol === 'ip6') {
      const family = protocol === 'ip' ? 4 : 6;
      const implied: RuleCondition = { kind: 'nfproto', negate: false, families: [family] };
      if ((field === 'saddr' || field === 'daddr') && membership) {
        const list = values();
        const items = list ? addressItems(list) : null;
        if (items) return [{ kind: 'addr', negate, direction: field, family, items }];
        return [implied, unknown(text)];
      }
      if ((field === 'protocol' || field === 'nexthdr') && membership) {
        const list = values();
        const names = list?.every((a) => typeof a !== 'object')
          ? list.map((a) => normalizeProtocol(a as string | number))
          : null;
        if (names) return [implied, { kind: 'l4proto', negate, protocols: names }];
      }
      return [implied, unknown(text)];
    }
    return [unknown(text)];
  }

  if (isRecord(left.meta)) {
    const key = String(left.meta.key);
    const list = membership ? values() : null;
    if (!list) return [unknown(text)];
    if (IFACE_KEYS.has(key)) {
      const names = strings(list);
      if (!names) return [unknown(text)];
      return [{ kind: 'iface', negate, direction: key.startsWith('i') ? 'in' : 'out', names }];
    }
    if (key === 'l4proto') {
      const names = list.every((a) => typeof a !== 'object')
        ? list.map((a) => normalizeProtocol(a as string | number))
        : null;
      return names ? [{ kind: 'l4proto', negate, protocols: names }] : [unknown(text)];
    }
    if (key === 'nfproto' || key === 'protocol') {
      const families: Array<4 | 6> = [];
      for (const a of list) {
        if (a === 'ipv4' || a === 'ip') families.push(4);
        else if (a === 'ipv6' || a === 'ip6') families.push(6);
        else if (key === 'protocol') return [unknown(text)];
      }
      return [{ kind: 'nfproto', negate, families }];
    }
    if (key === 'pkttype') {
      const types = strings(list);
      return types ? [{ kind: 'pkttype', negate, types }] : [unknown(text)];
    }
    return [unknown(text)];
  }

  if (isRecord(left.ct) && left.ct.dir === undefined) {
    const key = String(left.ct.key);
    const list = membership ? values() : null;
    const names = list ? strings(list) : null;
    if (names && key === 'state')
      return [{ kind: 'ctstate', negate, states: names.map((s) => s.toLowerCase()) }];
    if (names && key === 'status')
      return [{ kind: 'ctstatus', negate, statuses: names.map((s) => s.toLowerCase()) }];
    return [unknown(text)];
  }

  if (isRecord(left.exthdr) && typeof left.exthdr.name === 'string') {
    // `exthdr rt missing` holds for a plain SYN; anything else needs the header to be there.
    if (right === false && op === '==') return [];
    if (right === true && op === '!=') return [];
    return [{ kind: 'exthdr', name: left.exthdr.name }];
  }

  if (isRecord(left.fib) && left.fib.result === 'type' && Array.isArray(left.fib.flags)) {
    const flags = left.fib.flags.map(String).sort();
    // `fib daddr type` and `fib daddr . iif type`: the peer connects to an address of the
    // interface it arrives on, so both answer "local" for the packet evaluated here.
    const daddr = flags.join(',') === 'daddr' || flags.join(',') === 'daddr,iif';
    const list = membership ? values() : null;
    const types = list ? strings(list) : null;
    if (daddr && types) return [{ kind: 'addrtype', negate, direction: 'daddr', types }];
    return [unknown(text)];
  }

  return [unknown(text)];
}

function verdictOf(value: unknown): RuleVerdict | null {
  if (!isRecord(value)) return null;
  const key = Object.keys(value)[0];
  const body = key === undefined ? undefined : value[key];
  switch (key) {
    case 'accept':
      return { kind: 'accept' };
    case 'drop':
      return { kind: 'drop' };
    case 'continue':
      return { kind: 'continue' };
    case 'return':
      return { kind: 'return' };
    case 'jump':
    case 'goto':
      return isRecord(body) && typeof body.target === 'string'
        ? { kind: key, target: body.target }
        : null;
    default:
      return null;
  }
}

/** Statements that leave the packet's fate alone (it goes on to the next statement). */
const NEUTRAL = new Set([
  'counter',
  'log',
  'mangle',
  'set',
  'notrack',
  'dup',
  'secmark',
  'last',
  'ct helper',
  'ct timeout',
  'ct expectation',
  'flow',
  'map',
  'meter',
]);
/** Statements that may stop the packet only sometimes: matches whose outcome is not modelled. */
const RATE_LIKE = new Set(['limit', 'quota', 'ct count', 'connlimit']);
const TABLE_FLAGS = new Set(['dormant', 'owner', 'persist']);

/**
 * A table's `flags` as JSON shows them: a flag name or a list of them, as libnftables-json(5)
 * says. nft 1.0.6 (Debian 12) prints something else there (the table's name, the release
 * name): then null, and the text form decides (firewall/probe.ts).
 */
export function tableDormant(flags: unknown): boolean | null {
  const list = typeof flags === 'string' ? [flags] : Array.isArray(flags) ? flags : null;
  if (!list || list.length === 0 || !list.every((f) => typeof f === 'string' && TABLE_FLAGS.has(f)))
    return null;
  return list.includes('dormant');
}

/** `flags dormant, owner` in `nft list table FAMILY NAME`: whether the table is dormant. */
export function dormantFromText(text: string): boolean | null {
  const line = /^\s*flags\s+([a-z, ]{1,100})$/m.exec(text);
  if (!line) return /^table\s/m.test(text) ? false : null;
  return line[1]!.split(',').some((f) => f.trim() === 'dormant');
}

/** iptables targets (seen as `xt target`) that never end the packet's way. */
export const NEUTRAL_XT_TARGETS = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'MARK',
  'CONNMARK',
  'TRACE',
  'AUDIT',
  'CT',
  'NOTRACK',
  'TCPMSS',
  'CLASSIFY',
  'DSCP',
  'TOS',
  'TTL',
  'HL',
  'SET',
  'CHECKSUM',
  'CONNSECMARK',
  'SECMARK',
  'IDLETIMER',
  'LED',
  'RATEEST',
  'TEE',
]);

function convertRule(expr: unknown[], comment: string | null, ctx: Context): FirewallRule {
  const text = renderNftRule(expr, comment);
  const conditions: RuleCondition[] = [];
  let verdict: RuleVerdict | null = null;
  let vmap: FirewallRule['vmap'] = null;
  let unknownStatement: string | null = null;
  let nat: NatTarget | null = null;
  for (const statement of expr) {
    if (verdict || vmap) break; // nothing after a verdict runs
    if (!isRecord(statement)) {
      conditions.push(unknown(String(statement)));
      continue;
    }
    const key = Object.keys(statement)[0] ?? '';
    const body = statement[key];
    const plain = verdictOf(statement);
    if (plain) {
      verdict = plain;
      continue;
    }
    if (key === 'match' && isRecord(body) && typeof body.op === 'string') {
      conditions.push(...matchConditions(body.op, body.left, body.right, ctx));
      continue;
    }
    if (key === 'reject') {
      const kind = isRecord(body) ? String(body.type ?? '') : '';
      verdict = { kind: 'reject', with: kind === '' ? null : kind };
      continue;
    }
    if (key === 'vmap' && isRecord(body)) {
      vmap = convertVmap(body.key, body.data, ctx);
      if (!vmap) verdict = { kind: 'unknown', text: renderStatement(statement) };
      continue;
    }
    if (key === 'xt' && isRecord(body)) {
      if (body.type === 'target') {
        if (!NEUTRAL_XT_TARGETS.has(String(body.name)))
          verdict = { kind: 'unknown', text: renderStatement(statement) };
      } else {
        conditions.push(unknown(renderStatement(statement)));
      }
      continue;
    }
    if (NEUTRAL.has(key)) continue;
    if (RATE_LIKE.has(key)) {
      conditions.push(unknown(renderStatement(statement)));
      continue;
    }
    if ((key === 'dnat' || key === 'redirect') && isRecord(body)) nat = natTarget(key, body);
    // queue, nat, fwd, tproxy, synproxy and anything new: may end the packet's way.
    unknownStatement = renderStatement(statement);
    verdict = { kind: 'unknown', text: unknownStatement };
  }
  return nat ? { text, nat, conditions, verdict, vmap } : { text, conditions, verdict, vmap };
}

/** `{"dnat": {"addr": "127.0.0.1", "port": 11434}}`, `{"redirect": {"port": 11434}}`. */
function natTarget(kind: 'dnat' | 'redirect', body: Record<string, unknown>): NatTarget {
  const port = typeof body.port === 'number' && Number.isInteger(body.port) ? body.port : null;
  const address = kind === 'dnat' && typeof body.addr === 'string' ? body.addr : null;
  return { kind, address, port: port !== null && port > 0 && port <= 65535 ? port : null };
}

function convertVmap(key: unknown, data: unknown, ctx: Context): FirewallRule['vmap'] {
  let pairs: Array<[unknown, unknown]> | null = null;
  if (typeof data === 'string' && data.startsWith('@')) {
    pairs = ctx.sets.get(data.slice(1))?.map ?? null;
  } else if (isRecord(data) && Array.isArray(data.set)) {
    pairs = [];
    for (const item of data.set) {
      if (!Array.isArray(item) || item.length !== 2) return null;
      pairs.push([item[0], item[1]]);
    }
  }
  if (!pairs) return null;
  const entries: NonNullable<FirewallRule['vmap']> = [];
  for (const [k, v] of pairs) {
    const verdict = verdictOf(v) ?? { kind: 'unknown' as const, text: renderStatement(v) };
    // A key such as `ip protocol` yields the implied family first: keep the specific, last one.
    const match = matchConditions('==', key, k, ctx);
    entries.push({ match: match[match.length - 1]!, verdict });
  }
  return entries;
}

// ── the ruleset ──────────────────────────────────────────────────────────────────────────────

export function parseNftJson(text: string): NftParseResult {
  try {
    return parseNftDocument(text);
  } catch (error) {
    // JSON of a shape nft never prints, such as {"toString": null} where a name belongs, can
    // make String() throw deep inside; the ruleset is then unreadable, as when it is not JSON.
    return {
      ok: false,
      message: `nft printed JSON Paddock could not read: ${error instanceof Error ? error.message : 'unknown error'}`,
    };
  }
}

function parseNftDocument(text: string): NftParseResult {
  const body = stripLeadingComments(text).trim();
  if (body === '') return { ok: false, message: 'nft printed nothing' };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (error) {
    return {
      ok: false,
      message: `nft output is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (!isRecord(doc) || !Array.isArray(doc.nftables))
    return { ok: false, message: 'nft output has no "nftables" array' };
  const items = doc.nftables;
  const warnings: string[] = [];
  if (items.length > MAX_OBJECTS)
    warnings.push(`ruleset cut short at ${MAX_OBJECTS} of ${items.length} objects`);

  let version: string | null = null;
  const tables = new Map<string, FirewallTable>();
  const chains = new Map<string, FirewallChain>();
  const sets = new Map<string, Map<string, NamedSet>>();
  const rules: Array<Record<string, unknown>> = [];
  let skipped = 0;

  const tableKey = (family: unknown, table: unknown) => `${String(family)}\u0000${String(table)}`;

  for (const item of items.slice(0, MAX_OBJECTS)) {
    if (!isRecord(item)) {
      skipped += 1;
      continue;
    }
    if (isRecord(item.metainfo)) {
      if (typeof item.metainfo.version === 'string') version = item.metainfo.version;
    } else if (isRecord(item.table)) {
      const { family, name } = item.table;
      if (typeof family !== 'string' || typeof name !== 'string') {
        skipped += 1;
        continue;
      }
      tables.set(tableKey(family, name), {
        family,
        name,
        chains: [],
        ...(item.table.flags === undefined ? {} : { dormant: tableDormant(item.table.flags) }),
      });
    } else if (isRecord(item.chain)) {
      const c = item.chain;
      const table = tables.get(tableKey(c.family, c.table));
      if (!table || typeof c.name !== 'string') {
        skipped += 1;
        continue;
      }
      const hook = typeof c.hook === 'string' ? c.hook : null;
      const chain: FirewallChain = {
        name: c.name,
        hook,
        priority: hook ? parsePriority(c.prio) : null,
        policy: c.policy === 'drop' ? 'drop' : c.policy === 'accept' || hook ? 'accept' : null,
        type: typeof c.type === 'string' ? c.type : null,
        device: typeof c.dev === 'string' ? c.dev : Array.isArray(c.dev) ? c.dev.join(',') : null,
        rules: [],
      };
      table.chains.push(chain);
      chains.set(`${tableKey(c.family, c.table)}\u0000${c.name}`, chain);
    } else if (isRecord(item.set) || isRecord(item.map)) {
      const s = (item.set ?? item.map) as Record<string, unknown>;
      if (typeof s.name !== 'string') continue;
      const key = tableKey(s.family, s.table);
      if (!sets.has(key)) sets.set(key, new Map());
      const elems = Array.isArray(s.elem) ? s.elem : [];
      const isMap = isRecord(item.map) || s.map !== undefined;
      let named: NamedSet;
      if (elems.length > MAX_SET_ELEMENTS) named = { atoms: null, map: null };
      else if (isMap)
        named = {
          atoms: null,
          map: elems.every((e) => Array.isArray(e) && e.length === 2)
            ? (elems as Array<[unknown, unknown]>)
            : null,
        };
      else named = { atoms: atoms(elems, { sets: new Map(), family: '', table: '' }), map: null };
      sets.get(key)!.set(s.name, named);
    } else if (isRecord(item.rule)) {
      rules.push(item.rule);
    }
  }

  for (const r of rules) {
    const key = tableKey(r.family, r.table);
    const chain = chains.get(`${key}\u0000${String(r.chain)}`);
    if (!chain || !Array.isArray(r.expr)) {
      skipped += 1;
      continue;
    }
    const ctx: Context = {
      sets: sets.get(key) ?? new Map(),
      family: String(r.family),
      table: String(r.table),
    };
    chain.rules.push(convertRule(r.expr, typeof r.comment === 'string' ? r.comment : null, ctx));
  }
  if (skipped > 0) warnings.push(`${skipped} objects could not be read and were skipped`);
  return { ok: true, ruleset: { version, tables: [...tables.values()], warnings } };
}
