/**
 * block-client (issue 18, "Cut it off now"): refuse one other machine's address on a server's
 * port, leaving this computer and every other machine as they were. Linux, nftables.
 *
 * The address is a choice among what the scan itself found for that server: a peer connected to
 * it now (the sockets probe), or a client in its access log (an address a caller can forge,
 * which the plan says). The caller's text only picks one of those; anything else is refused
 * here, so when root makes the plan again from its own scan (`__apply-fix block-client INSTANCE
 * DIGEST ADDRESS`, cli/privileged.ts) an address its scan does not see gives no plan at all.
 *
 * The rule is a table of Paddock's own per port and address, modelled on block-port's: it only
 * ever refuses (`reject with tcp reset`, so a connection open now is cut at its next packet),
 * loads ahead of every other table (a refusal is final whichever table says it), is undone by
 * deleting that table, and is loaded again at boot by Paddock's unit (the include file loads
 * every file in /etc/paddock/nftables.d). Its file is generated from the canonical address alone,
 * and root accepts exactly that file (allowlist.ts, parseBlockFile).
 */
import type { FixPlan, FixStep, ManualFix, Verification } from '../../../../shared/fixes';
import type { Instance, Snapshot } from '../../../../shared/snapshot';
import { evaluateFirewall } from '../../firewall/evaluate';
import { classifyAddress, parseIPv4 } from '../../net/address';
import { NFT, PADDOCK_NFT_DIR, nftPersistSteps } from './block-port';
import type { RecipeIO } from './common';
import { findInstance, isPort, manualFix, planShape, shown } from './common';
import { canonicalSource } from './share-allowlist';

export interface BlockClientOptions {
  /** The address to refuse: one the scan found for this server (connected now or logged). */
  address: string | null;
  /** Load the rule again at boot (needs systemd as the init system). Default true. */
  persist?: boolean;
}

/** A client the scan found for a server, and how it knows. */
export interface ClientCandidate {
  address: string;
  /** connected: an established connection now; log: only in the access log (forgeable). */
  seen: 'connected' | 'log';
  /** The server's ports it is connected to (connected peers only). */
  ports: number[];
}

/** The address in a name nft and a file accept: IPv4 dots become `_`, IPv6 colons `x`. */
export const addressTag = (address: string): string =>
  address.replace(/\./g, '_').replace(/:/g, 'x');
export const blockTableName = (port: number, address: string): string =>
  `paddock_block_${port}_${addressTag(address)}`;
export const blockFile = (port: number, address: string): string =>
  `${PADDOCK_NFT_DIR}/block-${port}-${addressTag(address)}.nft`;

/** The file, generated from the port and one canonical address only (root checks it the same way). */
export function nftBlockClientRules(port: number, address: string): string {
  const table = blockTableName(port, address);
  const match = address.includes(':') ? 'ip6 saddr' : 'ip saddr';
  return [
    `#!${NFT} -f`,
    `# Written by Paddock: ${address} may no longer connect to TCP port ${port}; this computer`,
    '# and every other machine are not affected. Undo it from Paddock, or delete this file and',
    `# run: nft delete table inet ${table}`,
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    '\tchain input {',
    '\t\ttype filter hook input priority -10; policy accept;',
    `\t\t${match} ${address} tcp dport ${port} reject with tcp reset`,
    '\t}',
    '}',
    '',
  ].join('\n');
}

const BLOCK_FILE = /^\/etc\/paddock\/nftables\.d\/block-(\d{1,5})-([0-9a-fx_]{2,64})\.nft$/;

/** The port and address a block file was generated from, or null (then it is not Paddock's). */
export function parseBlockFile(
  path: string,
  text: string,
): { port: number; address: string } | null {
  const m = BLOCK_FILE.exec(path);
  if (!m) return null;
  const port = Number(m[1]);
  if (!isPort(port)) return null;
  const rule = /^\t\tip6? saddr (\S{2,39}) tcp dport \d{1,5} reject with tcp reset$/m.exec(text);
  if (!rule) return null;
  const c = canonicalSource(rule[1]!);
  if (!c.ok || c.source !== rule[1] || c.source.includes('/')) return null;
  if (blockFile(port, c.source) !== path) return null;
  return nftBlockClientRules(port, c.source) === text ? { port, address: c.source } : null;
}

/** Whether a path is one of block-client's files (for the allowlist's file kinds). */
export const isBlockFilePath = (path: string): boolean => BLOCK_FILE.test(path);

/** Container and virtual-machine bridges (block-port.ts names the same). */
const BRIDGES = /^(docker\d*|br-[0-9a-f]+|virbr\d+|lxcbr\d+|lxdbr\d+|cni\d+|podman\d+)$/;

/** The bridge whose IPv4 subnet holds `address` (a container or VM here), or null. */
function bridgeOf(snapshot: Snapshot, address: string): string | null {
  const value = parseIPv4(address);
  if (value === null) return null;
  for (const iface of snapshot.probes.interfaces.data ?? []) {
    if (!BRIDGES.test(iface.name)) continue;
    for (const a of iface.addresses) {
      const base = parseIPv4(a.address);
      if (base === null || a.prefixLength === null || a.prefixLength < 8) continue;
      const mask = a.prefixLength === 0 ? 0 : (~0 << (32 - a.prefixLength)) >>> 0;
      if ((value & mask) >>> 0 === (base & mask) >>> 0) return iface.name;
    }
  }
  return null;
}

/** This machine's own addresses: never "another machine" to cut off. */
function ownAddresses(snapshot: Snapshot): Set<string> {
  return new Set(
    (snapshot.probes.interfaces.data ?? []).flatMap((i) => i.addresses.map((a) => a.address)),
  );
}

/**
 * The addresses the scan found for this server that could be cut off: other machines connected
 * to it now, then (Ollama) the clients of its access log. Each canonical, once, never loopback
 * or one of this machine's own.
 */
export function clientCandidates(snapshot: Snapshot, instance: Instance): ClientCandidate[] {
  const own = ownAddresses(snapshot);
  const out: ClientCandidate[] = [];
  const add = (text: string, seen: ClientCandidate['seen'], ports: number[]) => {
    const c = canonicalSource(text);
    if (!c.ok || c.source.includes('/') || own.has(c.source)) return;
    const kind = classifyAddress(c.source);
    if (kind === 'loopback' || kind === 'unspecified' || kind === 'multicast') return;
    const known = out.find((o) => o.address === c.source);
    if (known) return;
    out.push({ address: c.source, seen, ports });
  };
  for (const peer of instance.peers)
    if (!peer.isLocalAddress) add(peer.address, 'connected', [...peer.ports]);
  if (instance.kind === 'ollama')
    for (const client of snapshot.probes.accessLog?.data?.accessLog.clients ?? [])
      add(client.client, 'log', []);
  return out.slice(0, 64);
}

/** The server's ports that other machines reach (direct listeners beyond loopback, open). */
function openPorts(instance: Instance): number[] {
  return [
    ...new Set(
      instance.listeners
        .filter((l) => l.path === 'direct' && l.reachableVia.some((v) => v.open))
        .map((l) => l.port),
    ),
  ].sort((a, b) => a - b);
}

export function planBlockClient(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
  options: BlockClientOptions,
): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  const manual = (reason: string, commands: string[][] = []) =>
    manualFix('block-client', instance?.id ?? null, reason, commands);
  if (!instance) return manual(`Paddock knows no server called ${shown(instanceId)} in this scan.`);
  if (options.address === null || options.address.trim() === '')
    return manual('Choose the address to cut off: one connected to this server or in its log.');
  const chosen = canonicalSource(options.address);
  if (!chosen.ok || chosen.source.includes('/'))
    return manual(
      `${shown(options.address, 60)} is not one machine's address${chosen.ok ? '' : ` (${chosen.why})`}.`,
    );
  const address = chosen.source;
  // Without this machine's own addresses, one of them could pass for another machine's.
  if (snapshot.probes.interfaces.status !== 'ok' || snapshot.probes.interfaces.data.length === 0)
    return manual(
      "This scan could not list this computer's own addresses, so it cannot tell them from another machine's: nothing is cut off. Scan again.",
    );
  const candidate = clientCandidates(snapshot, instance).find((c) => c.address === address);
  if (!candidate)
    return manual(
      `This scan finds no machine at ${address} connected to this server or in its log, so there is nothing to cut off. Scan again while it is connected.`,
    );
  const open = openPorts(instance);
  const port = candidate.ports.find((p) => open.includes(p)) ?? open[0];
  if (port === undefined)
    return manual(
      'No other machine reaches this server through the firewall now; there is nothing to cut off.',
    );
  const facts = snapshot.probes.firewall.data;
  if (!facts)
    return manual(
      `Paddock could not read the firewall in this scan (${shown(snapshot.probes.firewall.message ?? snapshot.probes.firewall.status)}), so it cannot check the rule afterwards. Scan again with admin rights.`,
    );
  const table = blockTableName(port, address);
  const family = chosen.family;
  const match = family === 6 ? 'ip6' : 'ip';
  if (facts.nftables.status === 'unavailable')
    return manual(
      'nftables (the `nft` program) is not installed. With it, these commands cut the address off until the next reboot.',
      [
        ['nft', 'add', 'table', 'inet', table],
        [
          'nft',
          'add',
          'chain',
          'inet',
          table,
          'input',
          '{ type filter hook input priority -10; policy accept; }',
        ],
        [
          'nft',
          'add',
          'rule',
          'inet',
          table,
          'input',
          match,
          'saddr',
          address,
          'tcp',
          'dport',
          String(port),
          'reject',
          'with',
          'tcp',
          'reset',
        ],
      ],
    );
  if (facts.nftables.ruleset?.tables.some((t) => t.family === 'inet' && t.name === table))
    return manual(`Paddock's own table inet ${table} is already loaded: ${address} is cut off.`);
  const file = blockFile(port, address);
  const steps: FixStep[] = [
    {
      kind: 'write-file',
      path: file,
      before: io.readFile(file),
      content: nftBlockClientRules(port, address),
      mode: 0o644,
      description: `The rule: refuse ${address} on TCP port ${port} (table inet ${table}); nothing else changes.`,
    },
    {
      kind: 'run',
      argv: ['nft', '-f', file],
      undo: ['nft', 'add', 'table', 'inet', table, ';', 'delete', 'table', 'inet', table],
      description: `Load it now: a connection open from ${address} is cut at its next packet (undo removes the table again).`,
    },
  ];
  const persist = options.persist ?? true;
  // The shared plumbing first: its undo is decided once this rule file is gone (R1).
  const persisted = nftPersistSteps(io, persist);
  steps.unshift(...persisted.steps);
  const warnings = [...persisted.warnings];
  if (candidate.seen === 'log')
    warnings.push(
      `${address} is only in the server's access log, which takes a client's address from headers any caller can send: the machine that really sent those requests may use another address.`,
    );
  warnings.push(
    `Only ${address} is cut off: every other machine that reaches port ${port} still does. To make the server private to this computer, use "Listen on this computer only".`,
    `If ${address} is a router, a proxy or a VPN gateway, every machine behind it is cut off too.`,
  );
  const bridge = bridgeOf(snapshot, address);
  if (bridge)
    warnings.push(
      `${address} is on ${shown(bridge, 20)}, a bridge of this computer's containers or virtual machines: that container or machine (an app on this computer) loses access too.`,
    );
  const verification: Verification = {
    kind: 'client-blocked',
    instance: instance.id,
    port,
    setting: address,
    description: `The rescan finds the firewall refusing ${address} on TCP port ${port} on every interface, and the server still running.`,
  };
  return planShape({
    fixId: 'block-client',
    instance: instance.id,
    title: `Cut off ${address} from port ${port}`,
    summary: `${address} will no longer reach TCP port ${port}${persist && persisted.systemd ? ', now and after every reboot' : ''}: a firewall rule of Paddock's own refuses it. This computer and every other machine keep the access they have; no other rule changes.`,
    warnings,
    requiresAdmin: true,
    steps,
    verification,
    snapshot,
  });
}

/**
 * The rescan's check for block-client: on every interface of this machine with an address of the
 * client's family (loopback aside), the firewall refuses a new connection from that address to
 * the port, and the server is still there.
 */
export function checkClientBlocked(
  verification: Verification,
  snapshot: Snapshot,
): { ok: boolean; detail: string } {
  const address = verification.setting ?? '';
  const chosen = canonicalSource(address);
  const port = verification.port;
  if (!chosen.ok || port === null) return { ok: false, detail: 'the plan names no address' };
  const instance = snapshot.instances.find((i) => i.id === verification.instance);
  if (!instance) return { ok: false, detail: `${verification.instance} is not running` };
  const facts = snapshot.probes.firewall.data;
  if (!facts)
    return {
      ok: false,
      detail: `the firewall could not be read (${snapshot.probes.firewall.status})`,
    };
  const source = classifyAddress(chosen.source) === 'public' ? 'internet' : 'lan';
  const checked: string[] = [];
  const letIn: string[] = [];
  for (const iface of snapshot.probes.interfaces.data ?? []) {
    const mine = iface.addresses.filter(
      (a) => a.family === chosen.family && a.scope !== 'loopback',
    );
    if (mine.length === 0) continue;
    const decision = evaluateFirewall(facts, {
      port,
      family: chosen.family,
      interface: iface.name,
      source,
      peerAddress: chosen.source,
      localAddress: mine[0]!.address,
    }).decision;
    checked.push(iface.name);
    if (decision !== 'blocked') letIn.push(`${iface.name} (${decision})`);
  }
  if (checked.length === 0)
    return { ok: false, detail: `no interface carries an IPv${chosen.family} address` };
  return letIn.length === 0
    ? {
        ok: true,
        detail: `the firewall refuses ${chosen.source} on port ${port} on ${checked.join(', ')}`,
      }
    : { ok: false, detail: `${chosen.source} still gets to port ${port} on ${letIn.join(', ')}` };
}
