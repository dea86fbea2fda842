/**
 * Fix "share-allowlist" (issue 14, "only these machines"): the server's port stays open to the
 * sources the user picks and is closed to every other machine, IPv4 and IPv6, by a table of
 * Paddock's own in nftables (`inet paddock_share_<port>`): loopback and the chosen sources
 * pass, every other new connection to the port is dropped. The table only ever drops; what
 * other firewall rules decide for the chosen sources stays theirs (the preview says so when
 * ufw or firewalld is active, and the rescan must show the chosen sources let in).
 *
 * The sources are data: each is validated as one address or a CIDR prefix, written in its
 * canonical form, and the file is generated from them; the privileged side regenerates the
 * file from the addresses it parses and compares byte for byte (allowlist.ts). Root never
 * takes sources from a caller: it offers its own (`shareOffers`, from what the scan saw) and
 * finds the set whose plan the user approved by its digest (cli/privileged.ts).
 */
import type { FixPlan, FixStep, ManualFix, Verification } from '../../../../shared/fixes';
import type { Instance, Snapshot } from '../../../../shared/snapshot';
import { classifyAddress } from '../../net/address';
import { scopeOf } from '../../exposure';
import { fromBig, toBig } from '../../firewall/evaluate';
import type { RecipeIO } from './common';
import { findInstance, manualFix, planShape, shown } from './common';
import type { Backend } from './block-port';
import {
  NFT,
  PADDOCK_NFT_DIR,
  ZONE_NAME,
  nftPersistSteps,
  planUfw,
  rejectPriority,
  zoneLetsIn,
} from './block-port';
import type { FirewalldModel, UfwModel } from '../../../../shared/firewall';

export const shareTableName = (port: number) => `paddock_share_${port}`;
export const shareFile = (port: number) => `${PADDOCK_NFT_DIR}/share-${port}.nft`;
/** Tailscale and other CGNAT-range VPNs (RFC 6598). */
const CGNAT = '100.64.0.0/10';
const MAX_SOURCES = 32;

export interface ShareOffer {
  source: string;
  why: string;
}

// ── sources ─────────────────────────────────────────────────────────────────────────────────

/**
 * One source as the table holds it: an address, or a prefix with its host bits cleared
 * (`192.168.1.7/24` is `192.168.1.0/24`), or why it is not one. Never loopback, unspecified
 * or a prefix shorter than /8 (IPv4) or /16 (IPv6): that is "everyone", not chosen machines.
 */
export function canonicalSource(
  text: string,
): { ok: true; source: string; family: 4 | 6 } | { ok: false; why: string } {
  const m = /^([0-9a-fA-F:.]{2,39})(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m)
    return { ok: false, why: `${JSON.stringify(shown(text, 60))} is not an address or a prefix` };
  const [, address, bitsText] = m as unknown as [string, string, string | undefined];
  const parsed = toBig(address);
  if (parsed === null)
    return { ok: false, why: `${JSON.stringify(shown(text, 60))} is not an IPv4 or IPv6 address` };
  const family = parsed.family;
  const width = family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (bits > width) return { ok: false, why: `/${bits} is longer than an IPv${family} address` };
  if (bits < (family === 4 ? 8 : 16))
    return { ok: false, why: `${text} covers too much of the address space to be chosen machines` };
  const host = BigInt(width - bits);
  const net = fromBig((parsed.value >> host) << host, family);
  const source = bits === width ? net : `${net}/${bits}`;
  const base = source.split('/')[0]!;
  const kind = classifyAddress(base);
  if (kind === 'loopback' || kind === 'unspecified')
    return { ok: false, why: `${text} is ${kind}, not another machine` };
  return { ok: true, source, family };
}

/**
 * The sources as the table holds them: canonical, each once, none inside another chosen
 * prefix (an interval set refuses overlapping elements), IPv4 first, each family in address
 * order. Sorting makes one list of choices one file, whatever order they were picked in.
 */
export function normalizeSources(sources: readonly string[]): string[] {
  const range = (s: string) => {
    const [base, bits] = s.split('/');
    const { family, value } = toBig(base!)!;
    const width = family === 4 ? 32 : 128;
    const host = BigInt(width - (bits === undefined ? width : Number(bits)));
    return { v4: family === 4, lo: value, hi: value + (1n << host) - 1n };
  };
  const unique = [...new Set(sources)];
  const kept = unique.filter((s) => {
    const r = range(s);
    return !unique.some((o) => {
      if (o === s) return false;
      const q = range(o);
      const contains = q.v4 === r.v4 && q.lo <= r.lo && r.hi <= q.hi;
      // Of two equal ranges the first listed stays (canonical forms make them equal strings).
      return contains && (q.lo !== r.lo || q.hi !== r.hi);
    });
  });
  return kept.sort((a, b) => {
    const x = range(a);
    const y = range(b);
    if (x.v4 !== y.v4) return x.v4 ? -1 : 1;
    return x.lo < y.lo ? -1 : x.lo > y.lo ? 1 : x.hi < y.hi ? -1 : x.hi > y.hi ? 1 : 0;
  });
}

// ── the table ───────────────────────────────────────────────────────────────────────────────

/** The file, generated from canonical sources only (the same function checks it as root). */
export function nftShareRules(port: number, sources: readonly string[]): string {
  const table = shareTableName(port);
  const v4 = sources.filter((s) => !s.includes(':'));
  const v6 = sources.filter((s) => s.includes(':'));
  const set = (name: string, type: string, items: string[]) =>
    items.length === 0
      ? []
      : [
          `\tset ${name} {`,
          `\t\ttype ${type}; flags interval;`,
          `\t\telements = { ${items.join(', ')} }`,
          '\t}',
        ];
  return [
    `#!${NFT} -f`,
    `# Written by Paddock: TCP port ${port} is shared with ${sources.join(', ')} only;`,
    '# every other machine is refused, loopback keeps working. Undo it from Paddock, or delete',
    `# this file and run: nft delete table inet ${table}`,
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    ...set('allow4', 'ipv4_addr', v4),
    ...set('allow6', 'ipv6_addr', v6),
    '\tchain input {',
    '\t\ttype filter hook input priority -10; policy accept;',
    '\t\tiifname "lo" accept',
    ...(v4.length > 0 ? [`\t\ttcp dport ${port} ip saddr @allow4 accept`] : []),
    ...(v6.length > 0 ? [`\t\ttcp dport ${port} ip6 saddr @allow6 accept`] : []),
    `\t\ttcp dport ${port} drop`,
    '\t}',
    '}',
    '',
  ].join('\n');
}

/** The port and sources a share file was generated from, or null (then it is not Paddock's). */
export function parseShareFile(
  path: string,
  text: string,
): { port: number; sources: string[] } | null {
  const m = /^\/etc\/paddock\/nftables\.d\/share-(\d{1,5})\.nft$/.exec(path);
  if (!m) return null;
  const port = Number(m[1]);
  if (port < 1 || port > 65535) return null;
  const sources = [...text.matchAll(/^\t\telements = \{ (.*) \}$/gm)].flatMap((e) =>
    e[1]!.split(', '),
  );
  const canonical = sources.map(canonicalSource);
  if (canonical.some((c) => !c.ok)) return null;
  const list = canonical.map((c) => (c as { source: string }).source);
  // Only the normalized form is Paddock's: no duplicate, no overlap, in order.
  if (JSON.stringify(normalizeSources(list)) !== JSON.stringify(list)) return null;
  return nftShareRules(port, list) === text ? { port, sources: list } : null;
}

// ── what the scan offers ────────────────────────────────────────────────────────────────────

/**
 * The sources Paddock offers for this server, from what the scan saw: the machines connected
 * to it now, the clients in its access log, the subnets of the networks it is open on, and a
 * VPN's range (Tailscale's 100.64.0.0/10) where an interface is on one.
 */
export function shareOffers(snapshot: Snapshot, instance: Instance): ShareOffer[] {
  const out: ShareOffer[] = [];
  const add = (text: string, why: string) => {
    const c = canonicalSource(text);
    if (c.ok && !out.some((o) => o.source === c.source)) out.push({ source: c.source, why });
  };
  for (const peer of instance.peers) add(peer.address, 'connected to it now');
  if (instance.kind === 'ollama')
    for (const client of snapshot.probes.accessLog?.data?.accessLog.clients ?? [])
      add(client.client, 'in its access log (an address a caller can forge)');
  const interfaces = snapshot.probes.interfaces.data ?? [];
  for (const listener of instance.listeners)
    for (const via of listener.reachableVia) {
      const iface = interfaces.find((i) => i.name === via.interface);
      const address = iface?.addresses.find((a) => a.address === via.address);
      const scope = address ? scopeOf(address.address) : null;
      // A public network is not "chosen machines"; a link-local one changes with every link.
      if (!address || address.prefixLength === null || scope === 'public' || scope === 'link-local')
        continue;
      add(
        `${address.address}/${address.prefixLength}`,
        via.scope === 'cgnat' ? `the VPN on ${via.interface}` : `the network on ${via.interface}`,
      );
    }
  // Tailscale's range, only where Tailscale's own interface carries it (a carrier's NAT uses
  // 100.64.0.0/10 too).
  if (
    interfaces.some(
      (i) =>
        /^tailscale\d*$/.test(i.name) && i.addresses.some((a) => scopeOf(a.address) === 'cgnat'),
    )
  )
    add(CGNAT, 'every machine on your Tailscale network');
  return out.slice(0, MAX_SOURCES);
}

// ── the firewall manager in use: ufw, firewalld ─────────────────────────────────────────────

/**
 * The port's families ("11434/4") on which every way in beyond loopback is open to any machine:
 * a rule of the firewall manager that lets chosen sources in there opens nothing that was
 * closed (security review of issue 14: an allow on a port that some sources, interfaces or a
 * family could not reach would open it to them).
 */
export function openToAllFamilies(instance: Instance): Set<string> {
  const out = new Set<string>();
  const byKey = new Map<string, boolean>();
  for (const l of instance.listeners) {
    if (l.path !== 'direct') continue;
    for (const via of l.reachableVia) {
      const key = `${l.port}/${via.address.includes(':') ? 6 : 4}`;
      const free = via.open && !via.onlyFrom && !via.nat && !via.forward;
      byKey.set(key, (byKey.get(key) ?? true) && free);
    }
  }
  for (const [key, free] of byKey) if (free) out.add(key);
  return out;
}

/** The address range a canonical source covers, for overlap tests. */
function rangeOf(source: string): { family: 4 | 6; low: bigint; high: bigint } | null {
  const c = canonicalSource(source);
  if (!c.ok) return null;
  const [address, bits] = c.source.split('/');
  const parsed = toBig(address!);
  if (!parsed) return null;
  const width = c.family === 4 ? 32 : 128;
  const host = BigInt(width - (bits === undefined ? width : Number(bits)));
  return { family: c.family, low: parsed.value, high: parsed.value + (1n << host) - 1n };
}

function overlaps(a: string, b: string): boolean {
  const x = rangeOf(a);
  const y = rangeOf(b);
  return x !== null && y !== null && x.family === y.family && x.low <= y.high && y.low <= x.high;
}

const familyOf = (source: string): 4 | 6 => (source.includes(':') ? 6 : 4);

/** ufw's allow for one source, as the allowlist accepts it (and its undo). */
export function ufwAllowSpec(source: string, port: number): string[] {
  return ['proto', 'tcp', 'from', source, 'to', 'any', 'port', String(port)];
}

/**
 * ufw active: its deny for the port (block-port's: ahead of every rule, or the user's own
 * `allow P/tcp` turned into a deny in place), then an allow for each source prepended above it.
 */
function planUfwShare(
  model: UfwModel,
  port: number,
  sources: readonly string[],
  io: RecipeIO,
): Backend {
  const deny = planUfw(
    model,
    port,
    sources.some((s) => familyOf(s) === 6),
    io,
  );
  if ('refused' in deny) return deny;
  // A rule of the user's that names a source overlapping a chosen one: an allow above it
  // would override it (or ufw would skip ours as a duplicate, and undo delete theirs).
  const taken = (model.rules ?? []).find(
    (r) =>
      r.direction === 'in' &&
      r.fromAddress !== 'any' &&
      sources.some((s) => overlaps(s, r.fromAddress)),
  );
  if (taken)
    return {
      refused: `ufw already has a rule from ${shown(taken.fromAddress, 60)}, which overlaps a chosen source`,
    };
  return {
    plan: {
      steps: [
        ...deny.plan.steps,
        ...sources.map((source): FixStep => ({
          kind: 'run',
          argv: ['ufw', 'prepend', 'allow', ...ufwAllowSpec(source, port)],
          undo: ['ufw', 'delete', 'allow', ...ufwAllowSpec(source, port)],
          description: `ufw: allow ${source} to TCP port ${port}, above the deny.`,
        })),
      ],
      summary: `ufw lets ${sources.join(', ')} reach TCP port ${port} and denies every other machine, rules of its own ahead of yours (IPv4 and IPv6).`,
    },
  };
}

/** firewalld's rich rules: an accept for each source, evaluated before a reject for the port. */
export function firewalldShareRules(
  sources: readonly string[],
  port: number,
  rejectAt: number,
): { accepts: string[]; reject: string } {
  const accept = rejectAt - 1;
  return {
    accepts: sources.map(
      (s) =>
        `rule family="ipv${familyOf(s)}" priority="${accept}" source address="${s}" port port="${port}" protocol="tcp" accept`,
    ),
    reject: `rule priority="${rejectAt}" port port="${port}" protocol="tcp" reject`,
  };
}

/**
 * firewalld running: in each zone in use that lets the port in, a rich rule accepting each
 * source, then one rejecting the port, at priorities ahead of the zone's own accepting rules
 * (negative: firewalld runs those before its ports and services).
 */
function planFirewalldShare(
  model: FirewalldModel,
  port: number,
  sources: readonly string[],
  persist: boolean,
): Backend {
  if (model.zones.length === 0) return { refused: "firewalld's zones could not be read" };
  const inUse = model.zones.filter(
    (z) => z.interfaces.length > 0 || z.sources.length > 0 || z.name === model.defaultZone,
  );
  const letIn = inUse.filter((z) => zoneLetsIn(model, z, port));
  if (letIn.length === 0) return { refused: `no firewalld zone in use lets port ${port} in` };
  if (letIn.some((z) => !ZONE_NAME.test(z.name)))
    return { refused: 'a firewalld zone has a name Paddock will not put on a command line' };
  const steps: FixStep[] = [];
  for (const zone of letIn) {
    const early = rejectPriority(zone, port);
    const rejectAt = early === 0 ? -1 : early;
    if (rejectAt - 1 < -32768)
      return { refused: `zone ${zone.name} has no priority left ahead of its own rules` };
    const { accepts, reject } = firewalldShareRules(sources, port, rejectAt);
    for (const permanent of persist ? [false, true] : [false])
      for (const rule of [...accepts, reject]) {
        const head = ['firewall-cmd', ...(permanent ? ['--permanent'] : []), `--zone=${zone.name}`];
        steps.push({
          kind: 'run',
          argv: [...head, `--add-rich-rule=${rule}`],
          undo: [...head, `--remove-rich-rule=${rule}`],
          description: `firewalld zone ${zone.name}${permanent ? ' (kept after a reload or reboot)' : ''}: ${rule.endsWith('accept') ? 'accept' : 'then reject every other machine on'} ${rule.endsWith('accept') ? `${/address="([^"]+)"/.exec(rule)![1]} on TCP port ${port}` : `TCP port ${port}`}.`,
        });
      }
  }
  return {
    plan: {
      steps,
      summary: `firewalld lets ${sources.join(', ')} reach TCP port ${port} and rejects every other machine in ${letIn.length === 1 ? 'zone' : 'zones'} ${letIn.map((z) => z.name).join(', ')}${persist ? ', now and after a reboot' : ''}: rich rules of Paddock's own, ahead of the zone's ports and services. Loopback is not affected.`,
    },
  };
}

// ── the plan ────────────────────────────────────────────────────────────────────────────────

export function planShareAllowlist(
  snapshot: Snapshot,
  instanceId: string,
  chosen: readonly string[],
  io: RecipeIO,
  options: { persist?: boolean } = {},
): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  const manual = (reason: string, commands: string[][] = []) =>
    manualFix('share-allowlist', instance?.id ?? null, reason, commands);
  if (!instance)
    return manual(`No server ${JSON.stringify(shown(instanceId, 80))} in this scan; scan again.`);
  if (chosen.length === 0)
    return manual(
      `Choose the machines to share with (--allow ADDRESS[,ADDRESS…]); Paddock offers: ${
        shareOffers(snapshot, instance)
          .map((o) => `${o.source} (${o.why})`)
          .join(', ') || 'nothing it saw'
      }.`,
    );
  if (chosen.length > MAX_SOURCES) return manual(`At most ${MAX_SOURCES} sources.`);
  const picked: string[] = [];
  for (const text of chosen) {
    const c = canonicalSource(text);
    if (!c.ok) return manual(`Not shared: ${c.why}.`);
    picked.push(c.source);
  }
  const sources = normalizeSources(picked);
  const ports = [
    ...new Set(
      instance.listeners
        .filter((l) => l.path === 'direct' && l.reachableVia.length > 0)
        .map((l) => l.port),
    ),
  ];
  if (ports.length === 0)
    return manual(
      'The server listens on loopback only: no other machine reaches it to share with.',
    );
  const port = ports[0]!;
  const facts = snapshot.probes.firewall.data;
  const others = instance.peers.filter((p) => !sources.some((s) => s === p.address));
  const connected =
    others.length > 0
      ? [
          `Connected now and not chosen: ${others.map((p) => shown(p.address, 60)).join(', ')}; new connections from them will be refused.`,
        ]
      : [];
  const alsoListens =
    ports.length > 1
      ? [`The server also listens on port ${ports.slice(1).join(', ')}; this shares ${port} only.`]
      : [];
  const verification: Verification = {
    kind: 'shared-only-with',
    instance: instance.id,
    port,
    setting: sources.join(','),
    description: `A rescan shows port ${port} open only to ${sources.join(', ')}.`,
  };
  // The firewall manager in use gets rules of its own (issue 14): firewalld's rich rules, or
  // ufw's; where it cannot take them exactly, Paddock's nftables table (which only drops).
  const persist = options.persist ?? true;
  // Rules that let sources in are the manager's own only where everyone reaches the port on
  // every path of each family chosen; elsewhere the table, which only drops.
  const open = openToAllFamilies(instance);
  const closedFamily = sources.find((s) => !open.has(`${port}/${familyOf(s)}`));
  const native: { manager: string; backend: Backend } | null =
    closedFamily !== undefined && (facts?.firewalld.model?.running || facts?.ufw.model?.active)
      ? {
          manager: facts.firewalld.model?.running ? 'firewalld' : 'ufw',
          backend: {
            refused: `port ${port} is not open to every machine on every path over IPv${familyOf(closedFamily)}, so an allow for ${closedFamily} could open it to machines that are refused now`,
          },
        }
      : facts?.firewalld.model?.running === true
        ? {
            manager: 'firewalld',
            backend: planFirewalldShare(facts.firewalld.model, port, sources, persist),
          }
        : facts?.ufw.model?.active === true
          ? { manager: 'ufw', backend: planUfwShare(facts.ufw.model, port, sources, io) }
          : null;
  if (native && 'plan' in native.backend) {
    const parts = native.backend.plan;
    return planShape({
      fixId: 'share-allowlist',
      instance: instance.id,
      title: `Share port ${port} with ${sources.length === 1 ? sources[0] : `${sources.length} sources`} only (${native.manager})`,
      summary: parts.summary,
      warnings: [
        ...(native.manager === 'firewalld' && !persist
          ? [
              'The rules are added to the running firewalld only: a reload or a reboot removes them.',
            ]
          : []),
        ...alsoListens,
        ...connected,
      ],
      requiresAdmin: true,
      steps: parts.steps,
      verification,
      snapshot,
    });
  }
  if (!facts || facts.nftables.status === 'unavailable')
    return manual(
      'Paddock needs nftables (the `nft` program) to share a port with chosen machines only.',
    );
  const table = shareTableName(port);
  if (facts.nftables.ruleset?.tables.some((t) => t.family === 'inet' && t.name === table))
    return manual(
      `Paddock's table inet ${table} is already loaded: undo the earlier share first (\`paddock history\`), then choose again.`,
    );
  const warnings: string[] = [];
  if (native && 'refused' in native.backend)
    warnings.push(
      `${native.manager} is in use, but Paddock cannot add its rules exactly here (${native.backend.refused}): Paddock's own table refuses every other machine whatever ${native.manager} says, and the chosen machines get in only where ${native.manager} lets them too (the rescan checks that they do).`,
    );
  warnings.push(...alsoListens);
  const file = shareFile(port);
  const steps: FixStep[] = [
    {
      kind: 'write-file',
      path: file,
      before: io.readFile(file),
      content: nftShareRules(port, sources),
      mode: 0o644,
      description: `The rule: TCP port ${port} open to ${sources.join(', ')} and loopback only (table inet ${table}).`,
    },
    {
      kind: 'run',
      argv: ['nft', '-f', file],
      undo: ['nft', 'add', 'table', 'inet', table, ';', 'delete', 'table', 'inet', table],
      description: 'Load it now (undo removes the table again).',
    },
  ];
  // The shared plumbing first: its undo is decided once this rule file is gone (R1).
  const persisted = nftPersistSteps(io, persist);
  steps.unshift(...persisted.steps);
  warnings.push(...persisted.warnings, ...connected);
  return planShape({
    fixId: 'share-allowlist',
    instance: instance.id,
    title: `Share port ${port} with ${sources.length === 1 ? sources[0] : `${sources.length} sources`} only`,
    summary: `An nftables table of Paddock's own (inet ${table}) lets ${sources.join(', ')} reach TCP port ${port} and refuses every other machine, IPv4 and IPv6${persisted.systemd && persist ? ', now and after every reboot' : ''}. Loopback is not affected; no other rule changes.`,
    warnings,
    requiresAdmin: true,
    steps,
    verification,
    snapshot,
  });
}
