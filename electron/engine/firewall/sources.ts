/**
 * Sharing with chosen machines (issue 14): a firewall that refuses a port to the neighbour the
 * verdict asks about may still let some sources in (`ip saddr 192.168.1.50 tcp dport 11434
 * accept`, `ufw allow from 10.0.0.0/24 to any port 11434`, a firewalld rich rule with a source
 * address, a zone bound to sources). Those are the only other peers whose answer can differ:
 * the sources a rule names. Each is asked of the same evaluator, as a peer on the same path,
 * and the ones let in are who the server is shared with. Pure.
 */
import type {
  FirewallEvaluation,
  FirewallFacts,
  FirewallQuery,
  FirewallRule,
  RuleCondition,
} from '../../../shared/firewall';
import { INTERNET_CANDIDATES, addressInItem, evaluateFirewall, fromBig, toBig } from './evaluate';

/** A source item as a firewall writes it: an address, a CIDR prefix, or an "a-b" range. */
export interface SourceItem {
  item: string;
  family: 4 | 6;
}

const MAX_SOURCES = 64;

function familyOf(item: string): 4 | 6 | null {
  if (/^[0-9.]+(?:\/\d{1,2})?(?:-[0-9.]+)?$/.test(item)) return 4;
  if (/^[0-9a-fA-F:]+(?:\/\d{1,3})?(?:-[0-9a-fA-F:]+)?$/.test(item) && item.includes(':')) return 6;
  return null;
}

function coversPort(conditions: readonly RuleCondition[], port: number): boolean {
  return conditions.every(
    (c) =>
      c.kind !== 'port' ||
      c.direction !== 'dport' ||
      c.negate !== c.ranges.some(([lo, hi]) => port >= lo && port <= hi),
  );
}

function fromRules(rules: readonly FirewallRule[], port: number, out: SourceItem[]): void {
  for (const rule of rules) {
    if (!coversPort(rule.conditions, port)) continue;
    const kind = rule.verdict?.kind;
    // `ip saddr X accept`, and the "only X" idiom `ip saddr != X drop`: X is let past it.
    const lets = kind === 'accept';
    const spares = kind === 'drop' || kind === 'reject';
    if (!lets && !spares) continue;
    for (const c of rule.conditions)
      if (c.kind === 'addr' && c.direction === 'saddr' && c.negate === spares)
        for (const item of c.items) out.push({ item, family: c.family });
  }
}

/** Every source a rule for `port` names as let in, in the rulesets, ufw and firewalld. */
export function namedSources(facts: FirewallFacts, port: number): SourceItem[] {
  const out: SourceItem[] = [];
  const rulesets = [facts.nftables.ruleset, ...facts.iptables.map((i) => i.ruleset)];
  for (const ruleset of rulesets)
    for (const table of ruleset?.tables ?? [])
      for (const chain of table.chains) fromRules(chain.rules, port, out);
  for (const rule of facts.ufw.model?.rules ?? []) {
    if (rule.action === 'deny' || rule.action === 'reject' || rule.direction !== 'in') continue;
    if (rule.toPorts && !rule.toPorts.some(([lo, hi]) => port >= lo && port <= hi)) continue;
    if (rule.fromAddress !== 'any') out.push({ item: rule.fromAddress, family: rule.family });
  }
  for (const zone of facts.firewalld.model?.zones ?? []) {
    for (const rich of zone.richRules)
      if (rich.action === 'accept' && rich.source?.address && !rich.source.negate) {
        const family = rich.family ?? familyOf(rich.source.address);
        if (family) out.push({ item: rich.source.address, family });
      }
    for (const source of zone.sources) {
      const family = familyOf(source);
      if (family) out.push({ item: source, family });
    }
  }
  // One host is one source however it is written (ufw's `10.0.0.2`, its chain's `10.0.0.2/32`).
  const seen = new Set<string>();
  return out
    .map((s) => ({ ...s, item: s.item.replace(s.family === 4 ? /\/32$/ : /\/128$/, '') }))
    .filter((s) => familyOf(s.item) === s.family && !seen.has(s.item) && seen.add(s.item))
    .slice(0, MAX_SOURCES);
}

/** One address that stands for the item: itself, a prefix's first host, a range's start. */
export function addressFor(item: string): string {
  const range = rangeOf(item);
  if (!range) return item.split(/[/-]/)[0] ?? item;
  // A prefix of four addresses or more: its first host, not the network address itself.
  const first = range.hi - range.lo >= 3n && !item.includes('-') ? range.lo + 1n : range.lo;
  return fromBig(first, range.family);
}

/** The narrowest a source may be and still be "chosen machines" (share-allowlist's bound). */
const MIN_PREFIX = { 4: 8, 6: 16 } as const;

function rangeOf(item: string): { family: 4 | 6; lo: bigint; hi: bigint } | null {
  const [from, to] = item.split('-');
  const [base, bits] = (from ?? '').split('/');
  const start = base ? toBig(base) : null;
  if (!start) return null;
  const width = start.family === 4 ? 32 : 128;
  if (to !== undefined) {
    const end = toBig(to);
    return end && end.family === start.family
      ? { family: start.family, lo: start.value, hi: end.value }
      : null;
  }
  const n = bits === undefined ? width : Number(bits);
  if (!Number.isInteger(n) || n < 0 || n > width) return null;
  const host = BigInt(width - n);
  const lo = (start.value >> host) << host;
  return { family: start.family, lo, hi: lo + (1n << host) - 1n };
}

/** Every source address a rule of any verdict names (accept, drop, negated): where the answer may change. */
function everySourceItem(facts: FirewallFacts): string[] {
  const out: string[] = [];
  const rulesets = [facts.nftables.ruleset, ...facts.iptables.map((i) => i.ruleset)];
  for (const ruleset of rulesets)
    for (const table of ruleset?.tables ?? [])
      for (const chain of table.chains)
        for (const rule of chain.rules)
          for (const c of rule.conditions)
            if (c.kind === 'addr' && c.direction === 'saddr') out.push(...c.items);
  for (const rule of facts.ufw.model?.rules ?? [])
    if (rule.fromAddress !== 'any') out.push(rule.fromAddress);
  for (const zone of facts.firewalld.model?.zones ?? []) {
    for (const rich of zone.richRules) if (rich.source?.address) out.push(rich.source.address);
    out.push(...zone.sources);
  }
  return out.slice(0, 512);
}

/**
 * Whether some neighbour on the path's subnet that no accepting rule names gets in: the
 * subnet is cut into pieces at every edge of every source any rule names, and one address of
 * each piece is asked (the answer is the same across a piece). Returns that neighbour's
 * evaluation, or null when every such piece is refused. One sampled neighbour is not enough:
 * the rules may refuse it and let the rest of the network in (security review of issue 14).
 */
export function openToOthers(
  facts: FirewallFacts,
  query: FirewallQuery,
  subnets: readonly string[],
  local: readonly string[],
): FirewallEvaluation | null {
  const chosen = namedSources(facts, query.port).filter((s) => s.family === query.family);
  if (query.source === 'internet') {
    // The internet is too big to cut in pieces: every stand-in peer no accepting rule names.
    for (const peer of INTERNET_CANDIDATES[query.family]) {
      if (chosen.some((c) => addressInItem(peer, c.item) === true)) continue;
      const evaluation = evaluateFirewall(facts, { ...query, peerAddress: peer });
      if (evaluation.decision !== 'blocked') return evaluation;
    }
    return null;
  }
  const edges = everySourceItem(facts)
    .map(rangeOf)
    .filter((r): r is NonNullable<typeof r> => r !== null && r.family === query.family);
  for (const subnet of subnets) {
    const net = rangeOf(subnet);
    if (!net) continue;
    const cuts = new Set<bigint>([net.lo, net.hi + 1n]);
    for (const e of edges) {
      if (e.lo > net.lo && e.lo <= net.hi) cuts.add(e.lo);
      if (e.hi + 1n > net.lo && e.hi + 1n <= net.hi) cuts.add(e.hi + 1n);
    }
    const sorted = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i + 1 < sorted.length && i < 1100; i++) {
      const [start, next] = [sorted[i]!, sorted[i + 1]!];
      // One address of the piece that is no local one (nor a v4 network or broadcast address).
      let sample: string | null = null;
      for (let a = start, tries = 0; a < next && tries < 4; a += 1n, tries += 1) {
        if (query.family === 4 && net.hi - net.lo > 1n && (a === net.lo || a === net.hi)) continue;
        const text = fromBig(a, query.family);
        if (local.some((l) => addressInItem(text, l) === true)) continue;
        sample = text;
        break;
      }
      if (sample === null) continue;
      const peer = sample;
      if (chosen.some((c) => addressInItem(peer, c.item) === true)) continue;
      const evaluation = evaluateFirewall(facts, { ...query, peerAddress: peer });
      if (evaluation.decision !== 'blocked') return evaluation;
    }
  }
  return null;
}

/**
 * The sources a rule names that the firewall lets in on this path (on the path's subnet or
 * routed to it), when no other neighbour gets in; `wide` when one of them is too broad to be
 * chosen machines (shorter than /8 or /16): then the path is open to all.
 */
export function sourcesLetIn(
  facts: FirewallFacts,
  query: FirewallQuery,
): { onlyFrom: string[]; wide: boolean } {
  const open: string[] = [];
  let wide = false;
  for (const source of namedSources(facts, query.port)) {
    if (source.family !== query.family) continue;
    const peer = addressFor(source.item);
    if (evaluateFirewall(facts, { ...query, peerAddress: peer }).decision !== 'allowed') continue;
    const bits = /\/(\d+)$/.exec(source.item);
    const range = rangeOf(source.item);
    const width = source.family === 4 ? 32 : 128;
    const size = range ? range.hi - range.lo + 1n : 1n;
    if (
      (bits && Number(bits[1]) < MIN_PREFIX[source.family]) ||
      size > 1n << BigInt(width - MIN_PREFIX[source.family])
    )
      wide = true;
    open.push(source.item);
  }
  return { onlyFrom: open, wide };
}

/**
 * A neighbour in `subnet` that no rule names and no local interface carries: the verdict's
 * representative peer must not be one of the chosen machines, or a share would read as open
 * to everyone. null when the first 256 addresses are all taken.
 */
export function peerOutside(
  subnet: string,
  named: readonly SourceItem[],
  local: readonly string[],
): string | null {
  const [base, bitsText] = subnet.split('/');
  const big = base ? toBig(base) : null;
  if (!big || bitsText === undefined) return null;
  const width = big.family === 4 ? 32 : 128;
  const hostBits = width - Number(bitsText);
  if (hostBits < 2) return null;
  const network = (big.value >> BigInt(hostBits)) << BigInt(hostBits);
  const last = (1n << BigInt(hostBits)) - (big.family === 4 ? 2n : 1n);
  for (let offset = 1n, tries = 0; offset <= last && tries < 256; offset += 1n, tries += 1) {
    const candidate = fromBig(network + offset, big.family);
    if (local.some((l) => addressInItem(candidate, l) === true)) continue;
    if (named.some((n) => addressInItem(candidate, n.item) === true)) continue;
    return candidate;
  }
  return null;
}
