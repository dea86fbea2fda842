/**
 * Does the host firewall let a new TCP connection to a port through? Pure: firewall facts
 * (shared/firewall.ts) and one query in, a decision and the rules that make it out.
 *
 * How the kernel decides, and so how this file decides:
 * - Every base chain on the input hook (nftables families ip, ip6 and inet; the INPUT chains
 *   of iptables' filter, mangle and security tables, both variants) sees the packet, in
 *   priority order. `accept` ends only that chain; the packet goes on to the next one. A
 *   drop or reject anywhere is final. So the connection is allowed only when every base
 *   chain lets it through, blocked when any one stops it, and unknown otherwise.
 * - Within a chain rules are walked as the kernel walks them (jump, goto, return, continue,
 *   verdict maps, the policy at the end of a base chain). A rule whose match cannot be
 *   decided (a rate limit, a mark, a set that could not be read) is followed both ways;
 *   when both ways end alike the answer stands, otherwise it is unknown and names the rule.
 *
 * Not counting a table twice: tables made by iptables-nft live in nftables too (`nft list
 * ruleset` shows `table ip filter`, with the iptables matches it cannot print as `xt`
 * expressions). When iptables-nft-save could read a table, that table is judged from its
 * iptables-save text, which is complete, and skipped in the nftables walk; a table it
 * calls incompatible, or any table when it could not run, is judged from nft's view.
 *
 * ufw and firewalld: their configuration is modelled as well (user rules and default
 * policy; zones, services, ports, rich rules, policies and targets). The brief proposed that
 * each judge its own chains. We keep the kernel's rules as the judge whenever they could be
 * read, and use the models to explain and to fill in: (1) the rules actually loaded are
 * what the kernel does, even when the configuration was edited and not reloaded or
 * before.rules were customised; (2) the models name what the user wrote ("ufw deny
 * 11434/tcp", "zone public: port 11434/tcp") next to the kernel rule; (3) where the walk
 * is unknown only inside the owner's chains (ufw's `limit` uses `-m recent`) and the model
 * is sure, the model decides; (4) without root the kernel rules cannot be listed but
 * firewall-cmd and ufw's readable files still can, and then the models take part in the
 * decision. When a model disagrees with the loaded rules, the loaded rules win and a note
 * says so.
 */
import { evaluateMacFirewall } from './macos';
import { evaluateWindowsFirewall } from './windows';
import type {
  FirewallChain,
  FirewallDecision,
  FirewallEvaluation,
  FirewallFacts,
  FirewallFamily,
  FirewallLayer,
  FirewallQuery,
  FirewallRule,
  FirewallStep,
  FirewalldModel,
  FirewalldPort,
  FirewalldRichRule,
  FirewalldService,
  FirewalldZone,
  PortRange,
  RuleCondition,
  RuleVerdict,
  UfwModel,
  UfwRule,
} from '../../../shared/firewall';
import type { NetInterface } from '../../../shared/snapshot';
import { parseIPv4, parseIPv6 } from '../net/address';

// ── addresses ──────────────────────────────────────────────────────────────────────────────

export function toBig(address: string): { family: FirewallFamily; value: bigint } | null {
  const v4 = parseIPv4(address.trim());
  if (v4 !== null) return { family: 4, value: BigInt(v4) };
  const v6 = parseIPv6(address.trim());
  if (v6 === null) return null;
  let value = 0n;
  for (const group of v6) value = (value << 16n) | BigInt(group);
  return { family: 6, value };
}

function widthOf(family: FirewallFamily): number {
  return family === 4 ? 32 : 128;
}

/** Is `address` inside `item` ("a", "a/len", "a-b")? null when either cannot be read. */
export function addressInItem(address: string, item: string): boolean | null {
  const a = toBig(address);
  if (!a) return null;
  const dash = item.indexOf('-');
  if (dash > 0 && !item.includes('/')) {
    const lo = toBig(item.slice(0, dash));
    const hi = toBig(item.slice(dash + 1));
    if (!lo || !hi || lo.family !== hi.family) return null;
    return lo.family === a.family && a.value >= lo.value && a.value <= hi.value;
  }
  const [base, lenText] = item.split('/');
  const b = toBig(base ?? '');
  if (!b) return null;
  if (b.family !== a.family) return false;
  const width = widthOf(b.family);
  const len = lenText === undefined ? width : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > width) return null;
  const shift = BigInt(width - len);
  return a.value >> shift === b.value >> shift;
}

export function fromBig(value: bigint, family: FirewallFamily): string {
  if (family === 4)
    return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 255n).toString()).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i -= 1) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest zero run for readability.
  const text = groups.join(':');
  const runs = [...text.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)];
  if (runs.length === 0) return text;
  const longest = runs.reduce((a, b) => (b[0].length > a[0].length ? b : a));
  return `${text.slice(0, longest.index)}::${text.slice(longest.index! + longest[0].length)}`;
}

// ── representative peers ─────────────────────────────────────────────────────────────────

export const INTERNET_CANDIDATES: Record<FirewallFamily, string[]> = {
  4: ['198.51.100.200', '192.0.2.200', '203.0.113.200', '8.8.8.8', '1.1.1.1'],
  6: ['2001:db8:ffff::200', '2001:db8:fffe::200', '2606:4700:4700::1111'],
};

/**
 * The addresses to evaluate with: the host's address on `interfaceName` (family `family`,
 * preferring a non-link-local one) and a representative peer. For `lan`, an address in that
 * address's own subnet that no local interface carries; for `internet`, a public-looking
 * address outside every local subnet. Nulls when there is no such address (the evaluator
 * then treats address matches as unknown).
 */
export function representativePeer(
  interfaces: readonly NetInterface[],
  interfaceName: string,
  family: FirewallFamily,
  source: 'lan' | 'internet',
): { localAddress: string | null; peerAddress: string | null } {
  const iface = interfaces.find((i) => i.name === interfaceName);
  const mine = (iface?.addresses ?? []).filter((a) => a.family === family);
  const local = mine.find((a) => a.scope !== 'link-local') ?? mine[0] ?? null;
  const allLocal = interfaces.flatMap((i) => i.addresses);
  const isLocal = (candidate: string) =>
    allLocal.some((a) => addressInItem(candidate, a.address) === true);
  const inLocalSubnet = (candidate: string) =>
    allLocal.some(
      (a) =>
        a.prefixLength !== null &&
        addressInItem(candidate, `${a.address}/${a.prefixLength}`) === true,
    );
  if (source === 'internet') {
    const peer = INTERNET_CANDIDATES[family].find((c) => !inLocalSubnet(c) && !isLocal(c)) ?? null;
    return { localAddress: local?.address ?? null, peerAddress: peer };
  }
  if (!local || local.prefixLength === null)
    return { localAddress: local?.address ?? null, peerAddress: null };
  const big = toBig(local.address);
  if (!big) return { localAddress: local.address, peerAddress: null };
  const width = widthOf(family);
  const hostBits = width - local.prefixLength;
  if (hostBits < 1) return { localAddress: local.address, peerAddress: null };
  const size = 1n << BigInt(hostBits);
  const network = (big.value >> BigInt(hostBits)) << BigInt(hostBits);
  // Skip the network address (and IPv4's broadcast) unless the subnet is a /31 or /127.
  const first = hostBits === 1 ? 0n : 1n;
  const last = family === 4 && hostBits > 1 ? size - 2n : size - 1n;
  for (let offset = first, tries = 0; offset <= last && tries < 256; offset += 1n, tries += 1) {
    const candidate = fromBig(network + offset, family);
    if (!isLocal(candidate)) return { localAddress: local.address, peerAddress: candidate };
  }
  return { localAddress: local.address, peerAddress: null };
}

/** A ready query for `port` on one interface, from the interfaces probe's data. */
export function firewallQueryFor(
  interfaces: readonly NetInterface[],
  interfaceName: string,
  family: FirewallFamily,
  source: 'lan' | 'internet',
  port: number,
): FirewallQuery {
  const { localAddress, peerAddress } = representativePeer(
    interfaces,
    interfaceName,
    family,
    source,
  );
  return { port, family, interface: interfaceName, source, localAddress, peerAddress };
}

// ── conditions ──────────────────────────────────────────────────────────────────────────────

type Tri = boolean | null;

function inRanges(port: number, ranges: readonly PortRange[]): boolean {
  return ranges.some(([lo, hi]) => port >= lo && port <= hi);
}

function anyItem(address: string | null, items: readonly string[]): Tri {
  if (address === null) return null;
  let unsure = false;
  for (const item of items) {
    const r = addressInItem(address, item);
    if (r === true) return true;
    if (r === null) unsure = true;
  }
  return unsure ? null : false;
}

function ifaceMatches(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name));
}

const neg = (value: Tri, negate: boolean): Tri => (value === null ? null : negate ? !value : value);

/** One condition against the packet: a new TCP connection (a SYN) to the query's port. */
export function conditionMatches(c: RuleCondition, q: FirewallQuery): Tri {
  switch (c.kind) {
    case 'nfproto':
      return neg(c.families.includes(q.family), c.negate);
    case 'l4proto':
      return neg(
        c.protocols.some((p) => p === 'tcp' || p === '6'),
        c.negate,
      );
    case 'port': {
      // The protocol is implied and never negated: `udp dport != 53` skips every TCP packet.
      if (c.protocol !== 'th' && c.protocol !== 'tcp') return false;
      if (c.direction === 'sport') return null; // the peer's ephemeral port is not known
      const hit = inRanges(q.port, c.ranges);
      if (c.direction === 'either' && !hit) return null;
      return neg(hit, c.negate);
    }
    case 'iface':
      // Output interfaces are not set on the input hook (an `oifname` match there is false in
      // the kernel, but iptables refuses `-o` on INPUT, so such a rule is odd: left unknown).
      if (c.direction === 'out')
        return q.hook === 'forward' && q.outInterface
          ? neg(ifaceMatches(q.outInterface, c.names), c.negate)
          : null;
      return neg(ifaceMatches(q.interface, c.names), c.negate);
    case 'addr':
      if (c.family !== q.family) return false; // `ip saddr` in an inet table skips IPv6
      return neg(
        anyItem(c.direction === 'saddr' ? q.peerAddress : q.localAddress, c.items),
        c.negate,
      );
    case 'ctstate':
      return neg(c.states.includes('new'), c.negate);
    case 'ctstatus':
      // A new connection: not expected, nothing seen in reply yet; `dnat` when translated.
      return neg(c.statuses.includes(q.natted ? 'dnat' : 'none'), c.negate);
    case 'addrtype':
      // Routed on (forward): the destination is another machine's, a unicast address.
      return neg(
        c.direction === 'daddr' && q.hook !== 'forward'
          ? c.types.includes('local')
          : c.types.includes('unicast'),
        c.negate,
      );
    case 'pkttype':
      return neg(c.types.includes('host') || c.types.includes('unicast'), c.negate);
    case 'exthdr':
      return false;
    case 'unknown':
      return null;
  }
}

function allMatch(conditions: readonly RuleCondition[], q: FirewallQuery): Tri {
  let unsure = false;
  for (const c of conditions) {
    const r = conditionMatches(c, q);
    if (r === false) return false;
    if (r === null) unsure = true;
  }
  return unsure ? null : true;
}

// ── walking chains ───────────────────────────────────────────────────────────────────────

interface Uncertain {
  chain: string;
  rule: string;
}

interface Outcome {
  end: 'accept' | 'drop' | 'reject' | 'unknown' | 'return';
  /** The rule that ended it (null for a return that falls off a chain). */
  rule: string | null;
  chain: string;
  /** Unsure rules passed on the way, for display (capped). */
  uncertain: Uncertain[];
  /** Every chain holding such a rule (capped; "*" stands for "more"), for the models. */
  unsureChains: string[];
}

const MAX_STEPS = 50_000;
/** Nested jumps, as the kernel also bounds them. */
const MAX_DEPTH = 64;
/** Nested walks (every unsure rule and every return adds one): keeps the stack bounded. */
const MAX_NESTING = 1_000;
const MAX_UNCERTAIN = 8;

class Walker {
  private readonly memo = new Map<string, Outcome[]>();
  private readonly active = new Set<string>();
  private steps = 0;
  private nesting = 0;

  constructor(
    private readonly chains: ReadonlyMap<string, FirewallChain>,
    private readonly q: FirewallQuery,
  ) {}

  run(chain: FirewallChain): Outcome[] {
    return this.from(chain, 0, 0);
  }

  private from(chain: FirewallChain, index: number, depth: number): Outcome[] {
    const key = `${chain.name}\u0000${index}`;
    const known = this.memo.get(key);
    if (known) return known;
    if (
      this.active.has(key) ||
      depth > MAX_DEPTH ||
      this.steps > MAX_STEPS ||
      this.nesting > MAX_NESTING
    ) {
      return [
        {
          end: 'unknown',
          rule: depth > MAX_DEPTH ? 'chains nested too deeply' : 'rule set too large or looping',
          chain: chain.name,
          uncertain: [],
          unsureChains: [],
        },
      ];
    }
    this.active.add(key);
    this.nesting += 1;
    let result: Outcome[];
    try {
      result = this.compute(chain, index, depth);
    } finally {
      this.nesting -= 1;
      this.active.delete(key);
    }
    this.memo.set(key, result);
    return result;
  }

  private compute(chain: FirewallChain, index: number, depth: number): Outcome[] {
    for (let i = index; i < chain.rules.length; i += 1) {
      this.steps += 1;
      const rule = chain.rules[i]!;
      const matched = allMatch(rule.conditions, this.q);
      if (matched === false) continue;
      const choices = this.choices(rule);
      if (matched === null) choices.push({ verdict: null, sure: false });
      // A rule that only counts or logs changes nothing, whether it matches or not.
      if (choices.every((c) => c.verdict === null || c.verdict.kind === 'continue')) continue;
      const definite = matched === true && choices.length === 1 && choices[0]!.sure;
      if (definite && choices[0]!.verdict === null) continue;
      if (definite && choices[0]!.verdict?.kind === 'continue') continue;
      const out: Outcome[] = [];
      for (const choice of choices) {
        const outcomes = this.apply(choice.verdict, rule, chain, i, depth);
        out.push(...outcomes);
      }
      if (definite) return dedupe(out);
      const unsure = {
        uncertain: [{ chain: chain.name, rule: rule.text }],
        unsureChains: [chain.name],
      };
      return dedupe(out.map((o) => withUncertain(o, unsure)));
    }
    return [{ end: 'return', rule: null, chain: chain.name, uncertain: [], unsureChains: [] }];
  }

  /** The verdicts a rule may apply once its conditions match (several with an unsure vmap). */
  private choices(rule: FirewallRule): Array<{ verdict: RuleVerdict | null; sure: boolean }> {
    if (!rule.vmap) return [{ verdict: rule.verdict, sure: true }];
    const out: Array<{ verdict: RuleVerdict | null; sure: boolean }> = [];
    for (const entry of rule.vmap) {
      const r = conditionMatches(entry.match, this.q);
      if (r === true) {
        out.push({ verdict: entry.verdict, sure: out.length === 0 });
        return out;
      }
      if (r === null) out.push({ verdict: entry.verdict, sure: false });
    }
    out.push({ verdict: null, sure: out.length === 0 });
    return out;
  }

  private apply(
    verdict: RuleVerdict | null,
    rule: FirewallRule,
    chain: FirewallChain,
    index: number,
    depth: number,
  ): Outcome[] {
    const here = (end: Outcome['end']): Outcome[] => [
      { end, rule: rule.text, chain: chain.name, uncertain: [], unsureChains: [] },
    ];
    if (!verdict || verdict.kind === 'continue') return this.from(chain, index + 1, depth);
    switch (verdict.kind) {
      case 'accept':
      case 'drop':
      case 'reject':
      case 'unknown':
        return here(verdict.kind);
      case 'return':
        return [
          { end: 'return', rule: rule.text, chain: chain.name, uncertain: [], unsureChains: [] },
        ];
      case 'jump':
      case 'goto': {
        const target = this.chains.get(verdict.target);
        if (!target) return here('unknown');
        const inner = this.from(target, 0, depth + 1);
        if (verdict.kind === 'goto') return inner;
        const out: Outcome[] = [];
        for (const o of inner) {
          if (o.end !== 'return') out.push(o);
          else
            out.push(...this.from(chain, index + 1, depth).map((next) => withUncertain(next, o)));
        }
        return dedupe(out);
      }
    }
  }
}

const MAX_UNSURE_CHAINS = 64;

function withUncertain(o: Outcome, extra: Pick<Outcome, 'uncertain' | 'unsureChains'>): Outcome {
  if (extra.uncertain.length === 0 && extra.unsureChains.length === 0) return o;
  const uncertain = [...o.uncertain];
  for (const u of extra.uncertain)
    if (
      uncertain.length < MAX_UNCERTAIN &&
      !uncertain.some((m) => m.rule === u.rule && m.chain === u.chain)
    )
      uncertain.push(u);
  const unsureChains = [...o.unsureChains];
  for (const c of extra.unsureChains) {
    if (unsureChains.includes(c)) continue;
    if (unsureChains.length >= MAX_UNSURE_CHAINS) {
      if (!unsureChains.includes('*')) unsureChains.push('*');
      break;
    }
    unsureChains.push(c);
  }
  return { ...o, uncertain, unsureChains };
}

/**
 * One outcome per way of ending (accept, drop, reject, unknown, return): the decision needs
 * no more, and it keeps the walk linear on long chains of unsure rules. The first one found
 * (nearest the top) is kept; what was unsure on the others is merged into it.
 */
function dedupe(outcomes: Outcome[]): Outcome[] {
  const out: Outcome[] = [];
  for (const o of outcomes) {
    const same = out.findIndex((x) => x.end === o.end);
    if (same < 0) out.push(o);
    else out[same] = withUncertain(out[same]!, o);
  }
  return out;
}

function decisionOf(end: Outcome['end']): FirewallDecision {
  return end === 'accept' ? 'allowed' : end === 'drop' || end === 'reject' ? 'blocked' : 'unknown';
}

interface ChainResult {
  step: FirewallStep;
  priority: number;
  /** Chains (and tables) where the walk could not decide. */
  uncertainIn: string[];
}

/** Walks one base chain to its end (the policy when nothing decides before). */
function walkBaseChain(
  layer: FirewallLayer,
  where: string,
  base: FirewallChain,
  chains: ReadonlyMap<string, FirewallChain>,
  q: FirewallQuery,
): ChainResult {
  const outcomes = new Walker(chains, q).run(base).map((o) =>
    o.end === 'return'
      ? {
          ...o,
          end: base.policy ?? 'accept',
          rule: `policy ${base.policy ?? 'accept'}`,
          chain: base.name,
        }
      : o,
  );
  const decisions = new Set(outcomes.map((o) => decisionOf(o.end)));
  const priority = base.priority ?? 0;
  if (decisions.size === 1 && !decisions.has('unknown')) {
    const best = [...outcomes].sort((a, b) => a.uncertain.length - b.uncertain.length)[0]!;
    const isPolicy = best.rule?.startsWith('policy ') === true && best.chain === base.name;
    return {
      step: {
        layer,
        decision: decisionOf(best.end),
        kind: isPolicy ? 'policy' : 'rule',
        rule: isPolicy ? `${best.rule} (no rule decided)` : (best.rule ?? ''),
        where: best.chain === base.name ? where : `${where} → ${best.chain}`,
      },
      priority,
      uncertainIn: [],
    };
  }
  const unknownEnd = outcomes.find((o) => o.end === 'unknown');
  const unsure = outcomes.flatMap((o) => o.uncertain);
  const first = unknownEnd
    ? { chain: unknownEnd.chain, rule: unknownEnd.rule ?? '' }
    : (unsure[0] ?? { chain: base.name, rule: '' });
  return {
    step: {
      layer,
      decision: 'unknown',
      kind: 'rule',
      rule: first.rule,
      where: first.chain === base.name ? where : `${where} → ${first.chain}`,
    },
    priority,
    uncertainIn: [
      ...new Set([
        ...outcomes.flatMap((o) => o.unsureChains),
        ...(unknownEnd ? [unknownEnd.chain] : []),
      ]),
    ],
  };
}

// ── kernel layers ─────────────────────────────────────────────────────────────────────────

interface KernelResult extends ChainResult {
  /** Who configured this chain: its decision may be explained (or completed) by that model. */
  owner: 'ufw' | 'firewalld' | null;
  /** The table name, for the firewalld ownership check. */
  table: string;
  /** Where on the packet's way: ingress (0), prerouting (1), input (2). */
  hookRank: number;
}

/**
 * The hooks a new connection to a local socket passes, in order: ingress on its device,
 * prerouting (raw, mangle and filter priorities, before the routing decision), then input.
 * Before input only a chain that surely drops counts: an accept there ends only that chain,
 * and a chain that may or may not drop (reverse-path checks, marks) leaves the cautious reading
 * (open) to the chains that follow. NAT chains (type nat) rewrite, they do not filter: they
 * are not judged here.
 */
const HOOK_RANK: Readonly<Record<string, number>> = {
  ingress: 0,
  prerouting: 1,
  input: 2,
  forward: 2,
};

/** The hook after the routing decision for this query: input (local socket) or forward. */
function finalHook(q: FirewallQuery): 'input' | 'forward' {
  return q.hook ?? 'input';
}

function judgedHere(chain: FirewallChain, q: FirewallQuery): boolean {
  if (chain.hook === finalHook(q)) return true;
  if (chain.hook === 'prerouting') return true;
  // An ingress chain is attached to one device (netdev), or to every device (inet, kernel 5.10+).
  return chain.hook === 'ingress' && (chain.device === null || chain.device === q.interface);
}

/** A chain before input (or forward) counts only when it surely stops the connection. */
function counts(chain: FirewallChain, result: ChainResult, q: FirewallQuery): boolean {
  return chain.hook === finalHook(q) || result.step.decision === 'blocked';
}

/** Chains before the routing decision see the packet as the peer sent it, before NAT. */
function queryAt(chain: FirewallChain, q: FirewallQuery): FirewallQuery {
  if (!q.preNat || (chain.hook !== 'prerouting' && chain.hook !== 'ingress')) return q;
  return { ...q, localAddress: q.preNat.localAddress, port: q.preNat.port, natted: false };
}

const IPTABLES_TABLES = new Set(['filter', 'mangle', 'security', 'raw', 'nat']);
/** iptables tables whose INPUT chain may drop a packet. */
const FILTERING_TABLES = new Set(['filter', 'mangle', 'security']);
/** iptables tables whose PREROUTING chain may drop a packet (nat's only rewrites). */
const PREROUTING_TABLES = new Set(['raw', 'mangle']);
const INPUT_TABLE_FAMILIES: Record<FirewallFamily, string[]> = {
  4: ['ip', 'inet', 'netdev'],
  6: ['ip6', 'inet', 'netdev'],
};

function isUfwChain(name: string): boolean {
  return name.startsWith('ufw-') || name.startsWith('ufw6-');
}

/**
 * Who configured a table: firewalld's own nftables table, or a table holding ufw's chains
 * (ufw writes them through iptables). Its model explains the table's decision.
 */
function tableOwner(name: string, chains: readonly FirewallChain[]): KernelResult['owner'] {
  if (name === 'firewalld') return 'firewalld';
  return chains.some((c) => isUfwChain(c.name)) ? 'ufw' : null;
}

function kernelLayers(
  facts: FirewallFacts,
  q: FirewallQuery,
): { results: KernelResult[]; gaps: FirewallStep[] } {
  const results: KernelResult[] = [];
  const gaps: FirewallStep[] = [];
  const tableFamily = q.family === 4 ? 'ip' : 'ip6';

  // Tables iptables-nft could read are judged from its output, not nft's.
  const viaIptablesNft = new Set<string>();
  for (const ipt of facts.iptables) {
    if (ipt.variant !== 'nft' || ipt.status !== 'ok' || !ipt.ruleset) continue;
    for (const t of ipt.ruleset.tables) viaIptablesNft.add(`${t.family} ${t.name}`);
  }

  const nft = facts.nftables;
  if (nft.status === 'ok' && nft.ruleset) {
    for (const table of nft.ruleset.tables) {
      if (!INPUT_TABLE_FAMILIES[q.family].includes(table.family)) continue;
      if (IPTABLES_TABLES.has(table.name) && viaIptablesNft.has(`${table.family} ${table.name}`))
        continue;
      // A dormant table is loaded but not in force: it changes nothing.
      if (table.dormant === true) continue;
      if (table.dormant === null) {
        gaps.push({
          layer: 'nftables',
          decision: 'unknown',
          kind: 'status',
          rule: `table ${table.family} ${table.name} has flags nft could not show, so whether it is in force (dormant or not) is unknown`,
          where: null,
        });
        continue;
      }
      const byName = new Map(table.chains.map((c) => [c.name, c]));
      for (const chain of table.chains) {
        if (!judgedHere(chain, q) || (chain.type !== null && chain.type !== 'filter')) continue;
        const r = walkBaseChain(
          'nftables',
          `${table.family} ${table.name} ${chain.name}`,
          chain,
          byName,
          queryAt(chain, q),
        );
        if (!counts(chain, r, q)) continue;
        results.push({
          ...r,
          owner: tableOwner(table.name, table.chains),
          table: table.name,
          hookRank: HOOK_RANK[chain.hook ?? 'input'] ?? 2,
        });
      }
    }
  } else if (nft.status !== 'ok') {
    gaps.push({
      layer: 'nftables',
      decision: 'unknown',
      kind: 'status',
      rule:
        nft.status === 'unavailable'
          ? 'nft is not installed, so rules loaded through nftables cannot be listed'
          : `nft list ruleset: ${nft.status}${nft.message ? ` (${nft.message})` : ''}`,
      where: null,
    });
  }

  for (const ipt of facts.iptables) {
    if (ipt.family !== q.family) continue;
    const layer: FirewallLayer = ipt.variant === 'nft' ? 'iptables-nft' : 'iptables-legacy';
    if (ipt.status === 'unavailable') continue; // not installed: nftables (or nothing) covers it
    if (ipt.status !== 'ok' || !ipt.ruleset) {
      // iptables-nft's tables are also visible to nft; a failure there is only a gap without nft.
      if (ipt.variant === 'nft' && nft.status === 'ok') continue;
      gaps.push({
        layer,
        decision: 'unknown',
        kind: 'status',
        rule: `${ipt.family === 4 ? 'iptables' : 'ip6tables'}-${ipt.variant}-save: ${ipt.status}${
          ipt.message ? ` (${ipt.message})` : ''
        }`,
        where: null,
      });
      continue;
    }
    for (const table of ipt.ruleset.tables) {
      // nat's INPUT chain only rewrites source addresses; raw has no INPUT chain; nat's
      // PREROUTING rewrites destinations (not judged here), raw's and mangle's may drop.
      if (table.family !== tableFamily) continue;
      const byName = new Map(table.chains.map((c) => [c.name, c]));
      for (const chain of table.chains) {
        const here =
          (chain.hook === finalHook(q) && FILTERING_TABLES.has(table.name)) ||
          (chain.hook === 'prerouting' && PREROUTING_TABLES.has(table.name));
        if (!here) continue;
        const r = walkBaseChain(
          layer,
          `${table.family} ${table.name} ${chain.name}`,
          chain,
          byName,
          queryAt(chain, q),
        );
        if (!counts(chain, r, q)) continue;
        results.push({
          ...r,
          owner: tableOwner(table.name, table.chains),
          table: table.name,
          hookRank: HOOK_RANK[chain.hook ?? 'input'] ?? 2,
        });
      }
    }
  }
  results.sort((a, b) => a.hookRank - b.hookRank || a.priority - b.priority);
  return { results, gaps };
}

// ── ufw ───────────────────────────────────────────────────────────────────────────────────

function ufwRuleMatches(rule: UfwRule, q: FirewallQuery): Tri {
  if (rule.unparsed) return null;
  if (rule.direction !== 'in' || rule.family !== q.family) return false;
  if (rule.protocol !== 'any' && rule.protocol !== 'tcp') return false;
  if (rule.toPorts && !inRanges(q.port, rule.toPorts)) return false;
  if (rule.interface !== null && rule.interface !== q.interface) return false;
  const results: Tri[] = [
    rule.toAddress === 'any' ? true : anyItem(q.localAddress, [rule.toAddress]),
    rule.fromAddress === 'any' ? true : anyItem(q.peerAddress, [rule.fromAddress]),
    rule.fromPorts ? null : true,
  ];
  if (results.includes(false)) return false;
  return results.includes(null) ? null : true;
}

const ufwStep = (
  decision: FirewallDecision,
  kind: FirewallStep['kind'],
  rule: string,
): FirewallStep => ({
  layer: 'ufw',
  decision,
  kind,
  rule,
  where: null,
});

export function evaluateUfw(model: UfwModel, q: FirewallQuery): FirewallStep {
  if (model.active === false) return ufwStep('allowed', 'status', 'ufw is inactive');
  if (model.active === null) {
    if (model.enabledAtBoot === false)
      return ufwStep('allowed', 'status', 'ufw is disabled (ENABLED=no in /etc/ufw/ufw.conf)');
    if (model.rules === null)
      return ufwStep(
        'unknown',
        'status',
        model.enabledAtBoot
          ? 'ufw is enabled (ENABLED=yes in /etc/ufw/ufw.conf) but its state and rules can only be read as root'
          : 'ufw state and rules could not be read',
      );
  }
  if (q.family === 6 && model.ipv6 === false)
    return ufwStep('allowed', 'status', 'ufw does not filter IPv6 (IPV6=no in /etc/default/ufw)');
  if (model.rules === null) return ufwStep('unknown', 'status', 'ufw rules could not be read');
  const possible: FirewallStep[] = [];
  for (const rule of model.rules) {
    const m = ufwRuleMatches(rule, q);
    if (m === false) continue;
    const decision: FirewallDecision = rule.unparsed
      ? 'unknown'
      : rule.action === 'allow' || rule.action === 'limit'
        ? 'allowed'
        : 'blocked';
    const text =
      rule.action === 'limit'
        ? `${rule.text} (rate-limited: 6 connections in 30 s per address)`
        : rule.text;
    possible.push(ufwStep(decision, 'rule', text));
    if (m === true) return settle(possible);
  }
  const policy = model.defaultIncoming;
  possible.push(
    ufwStep(
      policy === null ? 'unknown' : policy === 'allow' ? 'allowed' : 'blocked',
      'policy',
      policy === null ? 'default incoming policy unknown' : `default ${policy} (incoming)`,
    ),
  );
  return settle(possible);
}

/** Several possible outcomes (unsure matches before the sure one): one answer if they agree. */
function settle(possible: FirewallStep[]): FirewallStep {
  const first = possible[0]!;
  if (possible.every((p) => p.decision === first.decision && first.decision !== 'unknown'))
    return first;
  const unsure = possible.find((p) => p.decision === 'unknown') ?? first;
  return {
    ...unsure,
    decision: 'unknown',
    rule: possible.length > 1 ? `${first.rule} (cannot tell whether it applies)` : unsure.rule,
  };
}

// ── firewalld ─────────────────────────────────────────────────────────────────────────────

function portSpecMatches(spec: FirewalldPort, q: FirewallQuery): boolean {
  return spec.protocol === 'tcp' && inRanges(q.port, spec.ranges);
}

function serviceMatches(name: string, model: FirewalldModel, q: FirewallQuery, depth = 0): Tri {
  const service: FirewalldService | undefined = model.services[name];
  if (!service || depth > 4) return null;
  const destination = q.family === 4 ? service.destination4 : service.destination6;
  const otherOnly = q.family === 4 ? service.destination6 : service.destination4;
  if (!destination && otherOnly) return false;
  let result: Tri =
    service.ports.some((p) => portSpecMatches(p, q)) || service.protocols.includes('tcp');
  if (!result && service.sourcePorts.some((p) => p.protocol === 'tcp')) result = null;
  for (const inc of service.includes) {
    if (result === true) break;
    const r = serviceMatches(inc, model, q, depth + 1);
    if (r === true) result = true;
    else if (r === null) result = null;
  }
  if (result && destination) {
    const d = anyItem(q.localAddress, [destination]);
    if (d !== true) return d;
  }
  return result;
}

function richRuleMatches(rule: FirewalldRichRule, model: FirewalldModel, q: FirewallQuery): Tri {
  if (rule.parseError) return null;
  if (rule.family !== null && rule.family !== q.family) return false;
  const results: Tri[] = [];
  for (const [side, address] of [
    [rule.source, q.peerAddress],
    [rule.destination, q.localAddress],
  ] as const) {
    if (!side) continue;
    if (side.other) results.push(null);
    else if (side.address) {
      const a = side.address;
      const family = a.includes(':') ? 6 : 4;
      if (rule.family === null && family !== q.family) return false;
      results.push(neg(anyItem(address, [a]), side.negate));
    }
  }
  switch (rule.element.kind) {
    case 'none':
      break;
    case 'port':
      results.push(portSpecMatches(rule.element.port, q));
      break;
    case 'service':
      results.push(serviceMatches(rule.element.name, model, q));
      break;
    case 'protocol':
      results.push(rule.element.value === 'tcp');
      break;
    case 'source-port':
      results.push(rule.element.port.protocol === 'tcp' ? null : false);
      break;
    case 'icmp':
      results.push(false);
      break;
    case 'other':
      results.push(null);
      break;
  }
  if (rule.limited) results.push(null);
  if (results.includes(false)) return false;
  return results.includes(null) ? null : true;
}

function richDecision(rule: FirewalldRichRule): FirewallDecision | null {
  if (rule.parseError) return 'unknown';
  if (rule.action === 'accept') return 'allowed';
  if (rule.action === 'reject' || rule.action === 'drop') return 'blocked';
  return null; // log, audit or mark only
}

interface FirewalldRules {
  name: string;
  services: string[];
  ports: FirewalldPort[];
  protocols: string[];
  sourcePorts: FirewalldPort[];
  forwardPorts: string[];
  richRules: FirewalldRichRule[];
}

/** The ordered checks of a zone or policy chain, as firewalld 1.x lays them out in nftables. */
function firewalldChecks(
  rules: FirewalldRules,
  what: string,
  model: FirewalldModel,
  q: FirewallQuery,
): Array<{ match: Tri; decision: FirewallDecision; rule: string }> {
  const checks: Array<{ match: Tri; decision: FirewallDecision; rule: string }> = [];
  const rich = (filter: (r: FirewalldRichRule) => boolean) =>
    rules.richRules
      .filter(filter)
      .sort((a, b) => a.priority - b.priority)
      .forEach((r) => {
        const decision = richDecision(r);
        if (decision === null) return;
        checks.push({
          match: richRuleMatches(r, model, q),
          decision,
          rule: `${what}: rich rule ${r.text}`,
        });
      });
  for (const fwd of rules.forwardPorts) {
    const m = /port=([\d-]+):proto=(\w+)/.exec(fwd);
    const range = m ? m[1]!.split('-').map(Number) : null;
    if (!m || (m[2] === 'tcp' && range && q.port >= range[0]! && q.port <= (range[1] ?? range[0]!)))
      checks.push({ match: null, decision: 'unknown', rule: `${what}: forward-port ${fwd}` });
  }
  rich((r) => r.priority < 0);
  rich((r) => r.priority === 0 && richDecision(r) === 'blocked');
  for (const name of rules.services) {
    const m = serviceMatches(name, model, q);
    const def = model.services[name];
    const ports = def
      ? def.ports
          .map(
            (p) =>
              `${p.ranges.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(',')}/${p.protocol}`,
          )
          .join(' ')
      : 'definition not found';
    checks.push({ match: m, decision: 'allowed', rule: `${what}: service ${name} (${ports})` });
  }
  for (const port of rules.ports)
    if (portSpecMatches(port, q))
      checks.push({
        match: true,
        decision: 'allowed',
        rule: `${what}: port ${port.ranges.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(',')}/${port.protocol}`,
      });
  if (rules.protocols.includes('tcp'))
    checks.push({ match: true, decision: 'allowed', rule: `${what}: protocol tcp` });
  for (const port of rules.sourcePorts)
    if (port.protocol === 'tcp')
      checks.push({
        match: null,
        decision: 'allowed',
        rule: `${what}: source-port ${port.ranges[0]![0]}/tcp`,
      });
  rich((r) => r.priority === 0 && richDecision(r) !== 'blocked');
  rich((r) => r.priority > 0);
  return checks;
}

function targetDecision(target: string): FirewallDecision | null {
  const t = target.toUpperCase();
  if (t === 'ACCEPT') return 'allowed';
  if (t === 'DROP' || t === 'REJECT' || t === '%%REJECT%%' || t === 'DEFAULT') return 'blocked';
  if (t === 'CONTINUE') return null;
  return 'unknown';
}

function fwStep(
  decision: FirewallDecision,
  kind: FirewallStep['kind'],
  rule: string,
  where: string | null,
): FirewallStep {
  return { layer: 'firewalld', decision, kind, rule, where };
}

/** Picks the zone the kernel would: a source binding first, then the interface, then the default zone. */
function zoneFor(
  model: FirewalldModel,
  q: FirewallQuery,
): { zone: FirewalldZone | null; why: string; unsure: boolean } {
  let unsure = false;
  for (const zone of model.zones) {
    if (zone.sources.length === 0) continue;
    const addressSources = zone.sources.filter((s) => /^[\d.:a-fA-F/]+$/.test(s));
    const hit = anyItem(q.peerAddress, addressSources);
    if (hit === true)
      return { zone, why: `source ${q.peerAddress ?? ''} is bound to zone ${zone.name}`, unsure };
    if (hit === null || addressSources.length !== zone.sources.length) unsure = true;
  }
  const byIface = model.zones.find((z) => z.interfaces.includes(q.interface));
  if (byIface)
    return { zone: byIface, why: `interface ${q.interface} is in zone ${byIface.name}`, unsure };
  const fallback = model.zones.find((z) => z.name === model.defaultZone) ?? null;
  return {
    zone: fallback,
    why: `interface ${q.interface} is in no zone, so the default zone ${model.defaultZone ?? '?'} applies`,
    unsure,
  };
}

export function evaluateFirewalld(model: FirewalldModel, q: FirewallQuery): FirewallStep {
  if (model.running === false) return fwStep('allowed', 'status', 'firewalld is not running', null);
  if (model.running === null) return fwStep('unknown', 'status', 'firewalld state unknown', null);
  const { zone, why, unsure } = zoneFor(model, q);
  if (!zone) return fwStep('unknown', 'status', `zones could not be read (${why})`, null);
  const where = `zone ${zone.name}`;
  const policies = (model.policies ?? []).filter(
    (p) =>
      p.active &&
      p.egressZones.includes('HOST') &&
      (p.ingressZones.includes('ANY') || p.ingressZones.includes(zone.name)),
  );
  const policyChecks = (list: typeof policies) => {
    const out: Array<{ match: Tri; decision: FirewallDecision; rule: string }> = [];
    for (const p of [...list].sort((a, b) => a.priority - b.priority)) {
      out.push(...firewalldChecks(p, `policy ${p.name}`, model, q));
      const t = targetDecision(p.target);
      if (t !== null)
        out.push({ match: true, decision: t, rule: `policy ${p.name}: target ${p.target}` });
    }
    return out;
  };
  const checks = [
    ...policyChecks(policies.filter((p) => p.priority < 0)),
    ...firewalldChecks(zone, where, model, q),
    ...policyChecks(policies.filter((p) => p.priority >= 0)),
  ];
  const target = targetDecision(zone.target) ?? 'blocked';
  checks.push({
    match: true,
    decision: target,
    rule: `${where}: target ${zone.target}${zone.target === 'default' ? ' (reject)' : ''} (${why})`,
  });
  const possible: FirewallStep[] = [];
  if (unsure)
    possible.push(fwStep('unknown', 'status', 'a zone bound to source addresses may apply', where));
  for (const check of checks) {
    if (check.match === false) continue;
    possible.push(
      fwStep(
        check.decision,
        check.rule.includes(': target ') ? 'policy' : 'rule',
        check.rule,
        where,
      ),
    );
    if (check.match === true) break;
  }
  return settle(possible);
}

// ── putting it together ───────────────────────────────────────────────────────────────────

function combine(decisions: FirewallDecision[]): FirewallDecision {
  if (decisions.includes('blocked')) return 'blocked';
  if (decisions.includes('unknown')) return 'unknown';
  return 'allowed';
}

/**
 * Whether a new TCP connection described by `q` gets through the host firewall, and why.
 * Never throws on odd facts: what cannot be judged is `unknown` with the reason.
 */
export function evaluateFirewall(facts: FirewallFacts, q: FirewallQuery): FirewallEvaluation {
  // macOS (issue 16): pf and the application firewall, nothing of Linux's.
  if (facts.macos) return evaluateMacFirewall(facts.macos, q);
  // Windows (issue 17): Windows Defender Firewall by the interface's network profile.
  if (facts.windows) return evaluateWindowsFirewall(facts.windows, q);
  const notes: string[] = [];
  const { results, gaps } = kernelLayers(facts, q);
  // The ufw and firewalld models describe what reaches this host's own sockets; a routed
  // connection (forward) is judged by the loaded rules alone.
  const forward = finalHook(q) === 'forward';

  const ufwStepResult =
    forward || (facts.ufw.status === 'unavailable' && !facts.ufw.model)
      ? null
      : facts.ufw.model
        ? evaluateUfw(facts.ufw.model, q)
        : ufwStep(
            'unknown',
            'status',
            `ufw: ${facts.ufw.status}${facts.ufw.message ? ` (${facts.ufw.message})` : ''}`,
          );
  const fwdStepResult =
    forward || (facts.firewalld.status === 'unavailable' && !facts.firewalld.model)
      ? null
      : facts.firewalld.model
        ? evaluateFirewalld(facts.firewalld.model, q)
        : fwStep(
            'unknown',
            'status',
            `firewalld: ${facts.firewalld.status}${facts.firewalld.message ? ` (${facts.firewalld.message})` : ''}`,
            null,
          );
  const modelFor = (owner: KernelResult['owner']) =>
    owner === 'ufw' ? ufwStepResult : owner === 'firewalld' ? fwdStepResult : null;

  // Kernel chains whose uncertainty lies only in a model's own chains: the model decides.
  const kernelSteps: FirewallStep[] = results.map((r) => {
    const model = modelFor(r.owner);
    if (
      r.step.decision === 'unknown' &&
      model &&
      model.decision !== 'unknown' &&
      model.kind !== 'status' &&
      r.uncertainIn.length > 0 &&
      r.uncertainIn.every((c) => (r.owner === 'ufw' ? isUfwChain(c) : r.table === 'firewalld'))
    ) {
      notes.push(
        `${r.step.where}: "${r.step.rule}" is not modelled; ${r.owner}'s own configuration decides (${model.rule}).`,
      );
      return { ...r.step, decision: model.decision };
    }
    return r.step;
  });

  const kernelComplete = gaps.length === 0;
  const models = [ufwStepResult, fwdStepResult].filter((s): s is FirewallStep => s !== null);
  const layers = [...kernelSteps, ...gaps, ...models];

  let decision: FirewallDecision;
  let deciding: FirewallStep[];
  if (kernelComplete) {
    decision = combine(kernelSteps.map((s) => s.decision));
    // Models explain; where they disagree with the loaded rules, say so.
    for (const [owner, model] of [
      ['ufw', ufwStepResult],
      ['firewalld', fwdStepResult],
    ] as const) {
      if (!model || model.decision === 'unknown' || model.kind === 'status') continue;
      const owned = results.filter((r) => r.owner === owner);
      const mine =
        owned.length > 0
          ? combine(owned.map((r) => kernelSteps[results.indexOf(r)]!.decision))
          : null;
      if (mine === null && model.decision === 'blocked')
        notes.push(
          `${owner}'s configuration says blocked (${model.rule}) but none of its rules are loaded in the kernel.`,
        );
      if (mine !== null && mine !== 'unknown' && mine !== model.decision)
        notes.push(
          `${owner}'s configuration says ${model.decision} (${model.rule}) but the rules loaded in the kernel decide ${mine}; the loaded rules are what counts.`,
        );
    }
    const explain = (steps: FirewallStep[]) => {
      const extra = models.filter(
        (m) =>
          m.decision === decision &&
          m.kind !== 'status' &&
          results.some((r) => r.owner === m.layer),
      );
      return [...extra, ...steps];
    };
    deciding =
      decision === 'allowed'
        ? explain(kernelSteps)
        : explain(kernelSteps.filter((s) => s.decision === decision));
  } else {
    const all = [...kernelSteps, ...gaps, ...models];
    decision = combine(all.map((s) => s.decision));
    deciding = decision === 'allowed' ? all : all.filter((s) => s.decision === decision);
    notes.push(
      'Some of the kernel packet filter could not be read; the ufw and firewalld configuration take part in the decision.',
    );
  }
  if (kernelComplete && results.length === 0)
    deciding = [
      {
        layer: 'nftables',
        decision: 'allowed',
        kind: 'status',
        rule: forward ? 'no forward filter rules are loaded' : 'no input filter rules are loaded',
        where: null,
      },
    ];
  return { decision, decidedBy: deciding, layers, notes };
}
