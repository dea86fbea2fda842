/**
 * Firewall facts and their evaluation: plain, serialisable data, typed by zod schemas like
 * the rest of the Snapshot (shared/snapshot.ts). Engine code imports only the types.
 *
 * The probe (electron/engine/probes/linux/firewall/) reads every backend it finds and
 * normalises it: nftables (`nft -j list ruleset`) and iptables (`iptables-save` of each
 * variant) become one rule model (tables, chains, rules made of conditions and a verdict);
 * ufw and firewalld become models of their own configuration. The pure evaluator
 * (electron/engine/firewall/evaluate.ts) then answers, for one port, family, interface and
 * representative peer, whether a new TCP connection is blocked, allowed or unknown, and what
 * decides it.
 */
import { z } from 'zod';
import { evidenceSchema, probeResultSchema, probeStatusSchema } from './base';

export const firewallFamilySchema = z.union([z.literal(4), z.literal(6)]);
export type FirewallFamily = z.infer<typeof firewallFamilySchema>;

/** Inclusive port range; a single port is [p, p]. */
export const portRangeSchema = z.tuple([z.number().int(), z.number().int()]);
export type PortRange = z.infer<typeof portRangeSchema>;

// ── the rule model shared by nftables and iptables ────────────────────────────────────────

/**
 * One condition of a rule, normalised from nft JSON or iptables-save. A rule matches when
 * every condition does. `negate` inverts the comparison, never the implied protocol: in both
 * tools `udp dport != 53` does not match a TCP packet at all.
 */
export const ruleConditionSchema = z.discriminatedUnion('kind', [
  /** `meta nfproto ipv4`: the packet's address family. */
  z.object({
    kind: z.literal('nfproto'),
    negate: z.boolean(),
    families: z.array(firewallFamilySchema),
  }),
  /** `meta l4proto tcp`, `ip protocol`, `ip6 nexthdr`, `-p tcp`: names, or numbers as text. */
  z.object({ kind: z.literal('l4proto'), negate: z.boolean(), protocols: z.array(z.string()) }),
  /**
   * `tcp dport 22`, `th dport { 80, 443 }`, `--dport`, `--dports`. protocol "th" means any
   * transport header; any other protocol implies it (a tcp packet never matches `udp dport`).
   * direction "either" is multiport's `--ports` (source or destination).
   */
  z.object({
    kind: z.literal('port'),
    negate: z.boolean(),
    direction: z.enum(['dport', 'sport', 'either']),
    protocol: z.string(),
    ranges: z.array(portRangeSchema),
  }),
  /** `iifname "eth0"`, `iif lo`, `-i eth+`: names, a trailing "*" is a prefix wildcard. */
  z.object({
    kind: z.literal('iface'),
    negate: z.boolean(),
    direction: z.enum(['in', 'out']),
    names: z.array(z.string()),
  }),
  /** `ip saddr 10.0.0.0/8`, `-s`, `-d`: addresses, CIDR prefixes or "a-b" ranges. */
  z.object({
    kind: z.literal('addr'),
    negate: z.boolean(),
    direction: z.enum(['saddr', 'daddr']),
    family: firewallFamilySchema,
    items: z.array(z.string()),
  }),
  /** `ct state established,related`, `--ctstate NEW`, lower case. */
  z.object({ kind: z.literal('ctstate'), negate: z.boolean(), states: z.array(z.string()) }),
  /** `ct status dnat`, `--ctstatus DNAT`, lower case. */
  z.object({ kind: z.literal('ctstatus'), negate: z.boolean(), statuses: z.array(z.string()) }),
  /** `fib daddr type local`, `-m addrtype --dst-type LOCAL`, lower case. */
  z.object({
    kind: z.literal('addrtype'),
    negate: z.boolean(),
    direction: z.enum(['saddr', 'daddr']),
    types: z.array(z.string()),
  }),
  /** `meta pkttype host`, `-m pkttype --pkt-type unicast`. */
  z.object({ kind: z.literal('pkttype'), negate: z.boolean(), types: z.array(z.string()) }),
  /**
   * An IPv6 extension header (rt, frag, hbh, dst, mh) must be present: a plain TCP SYN
   * carries none, so the rule does not match it.
   */
  z.object({ kind: z.literal('exthdr'), name: z.string() }),
  /** Anything Paddock does not model (rate limits, marks, sets it cannot resolve...). */
  z.object({ kind: z.literal('unknown'), text: z.string() }),
]);
export type RuleCondition = z.infer<typeof ruleConditionSchema>;

export const ruleVerdictSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('accept') }),
  z.object({ kind: z.literal('drop') }),
  z.object({ kind: z.literal('reject'), with: z.string().nullable() }),
  z.object({ kind: z.literal('jump'), target: z.string() }),
  z.object({ kind: z.literal('goto'), target: z.string() }),
  z.object({ kind: z.literal('return') }),
  z.object({ kind: z.literal('continue') }),
  /** A statement that may end the packet's way through the chain in a way not modelled (queue, nat, TARPIT...). */
  z.object({ kind: z.literal('unknown'), text: z.string() }),
]);
export type RuleVerdict = z.infer<typeof ruleVerdictSchema>;

/**
 * Where a NAT rule sends a packet (nft `dnat to A:P`, `redirect to :P`; iptables `-j DNAT
 * --to-destination A:P`, `-j REDIRECT --to-ports P`). address null: the address the packet
 * came in on (redirect); port null: unchanged. Only the first address and port of a range.
 */
export const natTargetSchema = z.object({
  kind: z.enum(['dnat', 'redirect']),
  address: z.string().nullable(),
  port: z.number().int().nullable(),
});
export type NatTarget = z.infer<typeof natTargetSchema>;

export const firewallRuleSchema = z.object({
  /** The rule as its tool writes it (nft syntax, or the iptables-save line), for display. */
  text: z.string(),
  /** A NAT statement's target (its verdict stays `unknown` for the filter walk). */
  nat: natTargetSchema.optional(),
  conditions: z.array(ruleConditionSchema),
  /** null: the rule only counts, logs or marks; the packet goes on to the next rule. */
  verdict: ruleVerdictSchema.nullable(),
  /** `iifname vmap { "eth0" : jump x }`: the first entry that matches gives the verdict. */
  vmap: z.array(z.object({ match: ruleConditionSchema, verdict: ruleVerdictSchema })).nullable(),
});
export type FirewallRule = z.infer<typeof firewallRuleSchema>;

export const firewallChainSchema = z.object({
  name: z.string(),
  /** Base chains only: the netfilter hook ("input", "prerouting", ...), else null. */
  hook: z.string().nullable(),
  priority: z.number().nullable(),
  policy: z.enum(['accept', 'drop']).nullable(),
  /** nft chain type (filter, nat, route); iptables: the table name. */
  type: z.string().nullable(),
  /** netdev/ingress chains: the device they are attached to. */
  device: z.string().nullable(),
  rules: z.array(firewallRuleSchema),
});
export type FirewallChain = z.infer<typeof firewallChainSchema>;

export const firewallTableSchema = z.object({
  /** nft family (ip, ip6, inet, arp, bridge, netdev); iptables: ip or ip6. */
  family: z.string(),
  name: z.string(),
  chains: z.array(firewallChainSchema),
  /**
   * nftables `flags dormant`: the table is loaded but not in force. Absent: no flag. null: the
   * table has flags that could not be read (nft 1.0.6 prints them wrongly in JSON, and the
   * text form could not be listed), so whether it is in force is unknown.
   */
  dormant: z.boolean().nullable().optional(),
});
export type FirewallTable = z.infer<typeof firewallTableSchema>;

export const firewallRulesetSchema = z.object({
  /** Tool version from its own output (nft metainfo, the iptables-save header). */
  version: z.string().nullable(),
  tables: z.array(firewallTableSchema),
  /** Things the parser skipped or noticed: "table ip filter is incompatible", garbled lines. */
  warnings: z.array(z.string()),
});
export type FirewallRuleset = z.infer<typeof firewallRulesetSchema>;

// ── ufw ───────────────────────────────────────────────────────────────────────────────────

export const ufwRuleSchema = z.object({
  /** As ufw would take it on its command line, e.g. "deny in proto tcp from any to any port 11434". */
  text: z.string(),
  action: z.enum(['allow', 'deny', 'reject', 'limit']),
  direction: z.enum(['in', 'out', 'route']),
  /** `in on eth0`; null: any interface. */
  interface: z.string().nullable(),
  /** tcp, udp, any, or another protocol name. */
  protocol: z.string(),
  /** null: any port. */
  toPorts: z.array(portRangeSchema).nullable(),
  /** CIDR or "any". */
  toAddress: z.string(),
  fromPorts: z.array(portRangeSchema).nullable(),
  fromAddress: z.string(),
  family: firewallFamilySchema,
  /** Application profile names (the ports above are already resolved by ufw). */
  app: z.string().nullable(),
  /** A rule line Paddock could not read fully; it makes any port it could concern unknown. */
  unparsed: z.boolean(),
});
export type UfwRule = z.infer<typeof ufwRuleSchema>;

export const ufwModelSchema = z.object({
  /** From `ufw status` (root only): the chains are loaded. null: could not ask. */
  active: z.boolean().nullable(),
  /** ENABLED= in /etc/ufw/ufw.conf: started at boot. */
  enabledAtBoot: z.boolean().nullable(),
  /** Default incoming policy, from `ufw status verbose` or DEFAULT_INPUT_POLICY in /etc/default/ufw. */
  defaultIncoming: z.enum(['allow', 'deny', 'reject']).nullable(),
  /** IPV6= in /etc/default/ufw: ufw manages IPv6 too. */
  ipv6: z.boolean().nullable(),
  /** Rules in ufw's order; null when neither user.rules nor `ufw status` could be read. */
  rules: z.array(ufwRuleSchema).nullable(),
  rulesSource: z.enum(['user.rules', 'status']).nullable(),
});
export type UfwModel = z.infer<typeof ufwModelSchema>;

// ── firewalld ─────────────────────────────────────────────────────────────────────────────

export const firewalldPortSchema = z.object({
  ranges: z.array(portRangeSchema),
  protocol: z.string(),
});
export type FirewalldPort = z.infer<typeof firewalldPortSchema>;

export const firewalldRichRuleSchema = z.object({
  text: z.string(),
  family: firewallFamilySchema.nullable(),
  priority: z.number().int(),
  source: z
    .object({ address: z.string().nullable(), other: z.string().nullable(), negate: z.boolean() })
    .nullable(),
  destination: z
    .object({ address: z.string().nullable(), other: z.string().nullable(), negate: z.boolean() })
    .nullable(),
  /** What the rule is about; "other" (icmp-block, forward-port, ...) keeps its text. */
  element: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('none') }),
    z.object({ kind: z.literal('port'), port: firewalldPortSchema }),
    z.object({ kind: z.literal('service'), name: z.string() }),
    z.object({ kind: z.literal('protocol'), value: z.string() }),
    z.object({ kind: z.literal('source-port'), port: firewalldPortSchema }),
    z.object({ kind: z.literal('icmp'), text: z.string() }),
    z.object({ kind: z.literal('other'), text: z.string() }),
  ]),
  /** null: no action (a log or audit rule only). */
  action: z.enum(['accept', 'reject', 'drop', 'mark']).nullable(),
  /** A `limit value=...` on the action: it then applies only within the rate. */
  limited: z.boolean(),
  /** Set when the text could not be read; the rule is then unknown. */
  parseError: z.string().nullable(),
});
export type FirewalldRichRule = z.infer<typeof firewalldRichRuleSchema>;

const firewalldRulesShape = {
  name: z.string(),
  target: z.string(),
  services: z.array(z.string()),
  ports: z.array(firewalldPortSchema),
  protocols: z.array(z.string()),
  sourcePorts: z.array(firewalldPortSchema),
  /** forward-ports lines as printed; one on the port makes the answer unknown. */
  forwardPorts: z.array(z.string()),
  richRules: z.array(firewalldRichRuleSchema),
};

export const firewalldZoneSchema = z.object({
  ...firewalldRulesShape,
  interfaces: z.array(z.string()),
  sources: z.array(z.string()),
  icmpBlockInversion: z.boolean().nullable(),
});
export type FirewalldZone = z.infer<typeof firewalldZoneSchema>;

export const firewalldPolicySchema = z.object({
  ...firewalldRulesShape,
  active: z.boolean(),
  priority: z.number().int(),
  ingressZones: z.array(z.string()),
  egressZones: z.array(z.string()),
});
export type FirewalldPolicy = z.infer<typeof firewalldPolicySchema>;

export const firewalldServiceSchema = z.object({
  name: z.string(),
  ports: z.array(firewalldPortSchema),
  protocols: z.array(z.string()),
  sourcePorts: z.array(firewalldPortSchema),
  /** `<destination ipv4=... ipv6=...>`: the service only applies to these addresses. */
  destination4: z.string().nullable(),
  destination6: z.string().nullable(),
  includes: z.array(z.string()),
  /** Where the definition came from (a file path). */
  source: z.string(),
});
export type FirewalldService = z.infer<typeof firewalldServiceSchema>;

export const firewalldModelSchema = z.object({
  /** `firewall-cmd --state`: running, not running; null: could not tell. */
  running: z.boolean().nullable(),
  defaultZone: z.string().nullable(),
  zones: z.array(firewalldZoneSchema),
  /** null: not read (firewalld before 0.9 has no policies, or the call failed). */
  policies: z.array(firewalldPolicySchema).nullable(),
  /** Service definitions by name, from /etc/firewalld/services and /usr/lib/firewalld/services. */
  services: z.record(z.string(), firewalldServiceSchema),
  /** Services a zone or rule names whose definition could not be read. */
  unresolvedServices: z.array(z.string()),
});
export type FirewalldModel = z.infer<typeof firewalldModelSchema>;

// ── the facts the probe gathers ───────────────────────────────────────────────────────────

const sourceShape = {
  status: probeStatusSchema,
  evidence: z.array(evidenceSchema),
  message: z.string().optional(),
};

export const nftablesFactsSchema = z.object({
  ...sourceShape,
  ruleset: firewallRulesetSchema.nullable(),
});
export type NftablesFacts = z.infer<typeof nftablesFactsSchema>;

export const iptablesFactsSchema = z.object({
  ...sourceShape,
  /** nft: iptables-nft (its tables also live in nftables); legacy: the x_tables kernel API. */
  variant: z.enum(['nft', 'legacy']),
  family: firewallFamilySchema,
  ruleset: firewallRulesetSchema.nullable(),
});
export type IptablesFacts = z.infer<typeof iptablesFactsSchema>;

export const ufwFactsSchema = z.object({ ...sourceShape, model: ufwModelSchema.nullable() });
export type UfwFacts = z.infer<typeof ufwFactsSchema>;

export const firewalldFactsSchema = z.object({
  ...sourceShape,
  model: firewalldModelSchema.nullable(),
});
export type FirewalldFacts = z.infer<typeof firewalldFactsSchema>;

/**
 * Issue 16, macOS: the application firewall (socketfilterfw) filters per application, not per
 * port; pf filters by port, and Paddock's own anchor (`com.apple/paddock`) is what its block
 * fix adds. Read by probes/darwin/firewall.ts.
 */
export const macApplicationFirewallSchema = z.object({
  /** on, off, or unknown (socketfilterfw did not answer in a way Paddock reads). */
  state: z.enum(['on', 'off', 'unknown']),
  /** "Block all incoming connections". */
  blockAll: z.boolean().nullable(),
  stealth: z.boolean().nullable(),
  /** "Automatically allow built-in software to receive incoming connections". */
  allowSigned: z.boolean().nullable(),
  /** "Automatically allow downloaded signed software to receive incoming connections". */
  allowSignedDownloaded: z.boolean().nullable(),
  /** The applications listed, with their choice; null when the list could not be read. */
  apps: z.array(z.object({ path: z.string(), allowIncoming: z.boolean() })).nullable(),
});
export type MacApplicationFirewall = z.infer<typeof macApplicationFirewallSchema>;

export const macPfSchema = z.object({
  /** pf is enabled (`pfctl -s info`); null: not read (it needs admin rights). */
  enabled: z.boolean().nullable(),
  /** The main ruleset calls `anchor "com.apple/*"` (so Paddock's anchor is evaluated); null: not read. */
  anchorCalled: z.boolean().nullable().optional(),
  /** Blocking rules of Paddock's anchor: the TCP port and family (null: both). null: not read. */
  paddockBlocks: z
    .array(
      z.object({
        port: z.number().int(),
        family: firewallFamilySchema.nullable(),
        rule: z.string(),
      }),
    )
    .nullable(),
});
export type MacPf = z.infer<typeof macPfSchema>;

export const macFirewallFactsSchema = z.object({
  ...sourceShape,
  application: macApplicationFirewallSchema.nullable(),
  pf: macPfSchema.nullable(),
});
export type MacFirewallFacts = z.infer<typeof macFirewallFactsSchema>;

/**
 * Issue 17, Windows Defender Firewall: each interface's network profile, each profile's state
 * and default, and the inbound rules that may concern a server (its port or its program).
 * Read by the Windows probes; judged by firewall/windows.ts.
 */
export const windowsProfileNameSchema = z.enum(['domain', 'private', 'public']);
export const windowsFirewallFactsSchema = z.object({
  ...sourceShape,
  /** Per profile; null: not read. */
  profiles: z
    .array(
      z.object({
        profile: windowsProfileNameSchema,
        /** null: not configured or not read (Windows' default is on). */
        enabled: z.boolean().nullable(),
        /** null: not configured (Windows' default is block). */
        defaultInboundAction: z.enum(['allow', 'block']).nullable(),
        /** false: "Block all incoming connections", allow rules ignored; null: default (true). */
        allowInboundRules: z.boolean().nullable(),
      }),
    )
    .nullable(),
  /** Each interface's network profile (Get-NetConnectionProfile); null: not read. */
  interfaces: z
    .array(z.object({ alias: z.string(), profile: windowsProfileNameSchema }))
    .nullable(),
  /** Enabled inbound rules that may concern a server; null: not read. */
  rules: z
    .array(
      z.object({
        name: z.string(),
        displayName: z.string().nullable(),
        action: z.enum(['allow', 'block']),
        profiles: z.array(windowsProfileNameSchema),
        protocol: z.string(),
        localPorts: z.array(z.string()),
        remoteAddresses: z.array(z.string()),
        /** The program path as written in the rule; null for any program. */
        program: z.string().nullable(),
        /** Created by Windows' own "Allow access" prompt. */
        fromPrompt: z.boolean(),
      }),
    )
    .nullable(),
});
export type WindowsFirewallFacts = z.infer<typeof windowsFirewallFactsSchema>;

export const firewallFactsSchema = z.object({
  /** Windows (issue 17): present only there. */
  windows: windowsFirewallFactsSchema.optional(),
  /** macOS (issue 16): present only there; the Linux backends are then "unavailable". */
  macos: macFirewallFactsSchema.optional(),
  nftables: nftablesFactsSchema,
  /** One entry per variant and family that was asked (iptables-nft v4/v6, iptables-legacy v4/v6). */
  iptables: z.array(iptablesFactsSchema),
  ufw: ufwFactsSchema,
  firewalld: firewalldFactsSchema,
});
export type FirewallFacts = z.infer<typeof firewallFactsSchema>;

// ── evaluation ────────────────────────────────────────────────────────────────────────────

export const firewallDecisionSchema = z.enum(['blocked', 'allowed', 'unknown']);
export type FirewallDecision = z.infer<typeof firewallDecisionSchema>;

/** What is being asked: a new TCP connection to `port` arriving on `interface`. */
export const firewallQuerySchema = z.object({
  port: z.number().int(),
  family: firewallFamilySchema,
  interface: z.string(),
  /** Who is asking: a neighbour on the interface's own subnet, or someone outside every local subnet. */
  source: z.enum(['lan', 'internet']),
  /** The representative peer's address; null: unknown (source-address rules become unknown). */
  peerAddress: z.string().nullable(),
  /** The host's address the peer connects to; null: unknown. */
  localAddress: z.string().nullable(),
  /**
   * Issue 12: the hook after the routing decision. input (the default): delivered to a local
   * socket; forward: routed on to another network namespace, container or VM, leaving through
   * `outInterface`. `localAddress` is then the destination the packet is routed to.
   */
  hook: z.enum(['input', 'forward']).optional(),
  outInterface: z.string().nullable().optional(),
  /** The connection was translated by destination NAT (conntrack status `dnat`). */
  natted: z.boolean().optional(),
  /**
   * Before destination NAT: ingress and prerouting chains see the address and port the peer
   * connected to, not the translated ones. Absent: the same as `localAddress` and `port`.
   */
  preNat: z.object({ localAddress: z.string().nullable(), port: z.number().int() }).optional(),
  /**
   * macOS (issue 16): the program that owns the listening socket (its executable), which the
   * application firewall decides for. null or absent: unknown.
   */
  program: z.string().nullable().optional(),
});
export type FirewallQuery = z.infer<typeof firewallQuerySchema>;

export const firewallLayerSchema = z.enum([
  'nftables',
  'iptables-nft',
  'iptables-legacy',
  'ufw',
  'firewalld',
  /** macOS (issue 16). */
  'application-firewall',
  'pf',
  /** Windows (issue 17). */
  'windows-firewall',
]);
export type FirewallLayer = z.infer<typeof firewallLayerSchema>;

export const firewallStepSchema = z.object({
  layer: firewallLayerSchema,
  /** What this layer does to the connection: passes it (allowed), stops it, or cannot be told. */
  decision: firewallDecisionSchema,
  /** rule: a rule matched; policy: a chain's policy or a default applied; status: the backend's state (inactive, unreadable). */
  kind: z.enum(['rule', 'policy', 'status']),
  /** The rule's own text, or the policy / state in words. */
  rule: z.string(),
  /** Where: "inet filter input", "ip filter INPUT", "zone public". */
  where: z.string().nullable(),
});
export type FirewallStep = z.infer<typeof firewallStepSchema>;

export const firewallEvaluationSchema = z.object({
  decision: firewallDecisionSchema,
  /** The steps that make the decision: every layer that let it through, or the ones that stop it or leave it unknown. */
  decidedBy: z.array(firewallStepSchema),
  /** Every layer looked at, in the order the kernel applies them (models last). */
  layers: z.array(firewallStepSchema),
  notes: z.array(z.string()),
});
export type FirewallEvaluation = z.infer<typeof firewallEvaluationSchema>;

/** What the probe returns, as the Snapshot will carry it. */
export const firewallProbeResultSchema = probeResultSchema(firewallFactsSchema);
