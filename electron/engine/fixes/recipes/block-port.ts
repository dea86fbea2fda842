/**
 * block-port: close the server's port to every other machine, keeping it open on loopback,
 * with whatever firewall the machine already uses.
 *
 * - firewalld running: a rich rule that rejects the port, in every zone in use that lets it
 *   in, runtime and permanent. Adding our own rule (rather than removing the user's port or
 *   service entry) is what makes undo exact: the snapshot shows the runtime zones only, and a
 *   port opened at runtime but not in the permanent configuration would come back wrong.
 * - ufw active: `ufw prepend deny proto tcp to any port P` (ufw writes the IPv4 and IPv6
 *   rules). ufw keeps one rule per match: when the user's own `allow P/tcp` is there, a deny
 *   replaces it in place ("Rule updated") and undo puts the allow back, byte for byte.
 * - otherwise, and whenever the above cannot be done exactly: Paddock's own nftables table per
 *   port, which drops the port on every interface but loopback ahead of every other table (a
 *   drop is final whichever table says it), made to survive reboots by a small systemd unit
 *   that loads Paddock's rules after nftables.service.
 *
 * A firewall that is off is never switched on: ufw's or firewalld's defaults would block much
 * more than this port, and the warnings say what.
 */
import type { FixPlan, FixStep, ManualFix } from '../../../../shared/fixes';
import type {
  FirewallFacts,
  FirewalldModel,
  FirewalldZone,
  UfwModel,
  UfwRule,
} from '../../../../shared/firewall';
import type { Instance, Snapshot } from '../../../../shared/snapshot';
import { evaluateFirewalld } from '../../firewall/evaluate';
import { classifyAddress } from '../../net/address';
import { listed } from '../../rules/support/words';
import type { RecipeIO } from './common';
import { findInstance, isPort, manualFix, planShape, shown } from './common';

export interface BlockPortOptions {
  /**
   * Make the change survive a reboot: firewalld's permanent configuration, and for nftables a
   * systemd unit. Default true; nftables persistence also needs systemd to be running.
   */
  persist?: boolean;
  /** The port to close; default the instance's own port beyond loopback. */
  port?: number;
}

export const PADDOCK_NFT_DIR = '/etc/paddock/nftables.d';
export const PADDOCK_NFT_MAIN = '/etc/paddock/nftables.conf';
export const PADDOCK_NFT_UNIT_NAME = 'paddock-nftables.service';
export const PADDOCK_NFT_UNIT = `/etc/systemd/system/${PADDOCK_NFT_UNIT_NAME}`;
export const NFT = '/usr/sbin/nft';

export const nftTableName = (port: number): string => `paddock_${port}`;
export const nftPortFile = (port: number): string => `${PADDOCK_NFT_DIR}/port-${port}.nft`;

/** One table per port, so each plan and its undo stand alone. Reloading it is idempotent. */
export function nftPortRules(port: number): string {
  const table = nftTableName(port);
  return [
    `#!${NFT} -f`,
    `# Written by Paddock: TCP port ${port} is closed to other machines (IPv4 and IPv6);`,
    '# this computer still reaches it over loopback. Undo it from Paddock, or delete this',
    `# file and run: nft delete table inet ${table}`,
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    '\tchain input {',
    '\t\ttype filter hook input priority -10; policy accept;',
    '\t\tiifname "lo" accept',
    `\t\ttcp dport ${port} drop`,
    '\t}',
    '}',
    '',
  ].join('\n');
}

export const NFT_MAIN_CONTENT = [
  `#!${NFT} -f`,
  '# Written by Paddock: loads every port rule Paddock added (one file per port).',
  `include "${PADDOCK_NFT_DIR}/*.nft"`,
  '',
].join('\n');

export const NFT_UNIT_CONTENT = [
  '# Written by Paddock. Loads the ports Paddock closed (/etc/paddock/nftables.conf) at boot,',
  '# after nftables.service (whose ruleset may begin with "flush ruleset"), and again whenever',
  '# nftables.service restarts or reloads.',
  '[Unit]',
  'Description=Paddock: keep local AI server ports closed to other machines',
  'DefaultDependencies=no',
  'Wants=network-pre.target',
  'Before=network-pre.target shutdown.target',
  'After=nftables.service',
  'Conflicts=shutdown.target',
  'PartOf=nftables.service',
  'ReloadPropagatedFrom=nftables.service',
  '',
  '[Service]',
  'Type=oneshot',
  'RemainAfterExit=yes',
  `ExecStart=${NFT} -f ${PADDOCK_NFT_MAIN}`,
  `ExecReload=${NFT} -f ${PADDOCK_NFT_MAIN}`,
  '',
  '[Install]',
  'WantedBy=multi-user.target',
  '',
].join('\n');

/** firewalld zone names as firewalld writes them; anything else is not put on a command line. */
export const ZONE_NAME = /^[A-Za-z0-9_+.-]{1,64}$/;
const BRIDGES = /^(docker\d*|br-[0-9a-f]+|virbr\d+|lxcbr\d+|lxdbr\d+|cni\d+|podman\d+)$/;

export interface Parts {
  steps: FixStep[];
  summary: string;
  warnings?: string[];
}

export type Backend = { plan: Parts } | { refused: string };

// ── which port ─────────────────────────────────────────────────────────────────────────────

function exposedPorts(instance: Instance): { open: number[]; beyondLoopback: number[] } {
  const direct = instance.listeners.filter((l) => l.path === 'direct' && l.reachableVia.length > 0);
  const sorted = (list: typeof direct) =>
    [...new Set(list.map((l) => l.port))].sort((a, b) => a - b);
  return {
    open: sorted(direct.filter((l) => l.reachableVia.some((p) => p.open))),
    beyondLoopback: sorted(direct),
  };
}

// ── firewalld ──────────────────────────────────────────────────────────────────────────────

/** Whether the zone itself could let a new TCP connection to the port in (unknown counts as yes). */
export function zoneLetsIn(model: FirewalldModel, zone: FirewalldZone, port: number): boolean {
  const isolated: FirewalldModel = {
    ...model,
    defaultZone: zone.name,
    zones: [{ ...zone, interfaces: [], sources: [] }],
    policies: [],
  };
  return ([4, 6] as const).some(
    (family) =>
      evaluateFirewalld(isolated, {
        port,
        family,
        interface: 'paddock-any',
        source: 'lan',
        peerAddress: null,
        localAddress: null,
      }).decision !== 'blocked',
  );
}

/** Our reject must come before any accepting rich rule with a negative priority. */
export function rejectPriority(zone: FirewalldZone, port: number): number {
  const early = zone.richRules
    .filter((r) => r.action === 'accept' && r.priority < 0)
    .filter(
      (r) =>
        r.element.kind !== 'port' ||
        (r.element.port.protocol === 'tcp' &&
          r.element.port.ranges.some(([a, b]) => port >= a && port <= b)),
    )
    .map((r) => r.priority);
  return early.length === 0 ? 0 : Math.max(-32768, Math.min(...early) - 1);
}

export function firewalldRejectRule(port: number, priority = 0): string {
  return `rule${priority !== 0 ? ` priority="${priority}"` : ''} port port="${port}" protocol="tcp" reject`;
}

function planFirewalld(model: FirewalldModel, port: number, persist: boolean): Backend {
  if (model.zones.length === 0) return { refused: "firewalld's zones could not be read" };
  const inUse = model.zones.filter(
    (z) => z.interfaces.length > 0 || z.sources.length > 0 || z.name === model.defaultZone,
  );
  const letIn = inUse.filter((z) => zoneLetsIn(model, z, port));
  if (letIn.length === 0)
    return {
      refused: `no firewalld zone in use lets port ${port} in, so something other than its zones opens it`,
    };
  const bad = letIn.find((z) => !ZONE_NAME.test(z.name));
  if (bad)
    return {
      refused: `the firewalld zone "${shown(bad.name, 64)}" has a name Paddock will not put on a command line`,
    };
  const steps: FixStep[] = [];
  for (const zone of letIn) {
    const rule = firewalldRejectRule(port, rejectPriority(zone, port));
    steps.push({
      kind: 'run',
      argv: ['firewall-cmd', `--zone=${zone.name}`, `--add-rich-rule=${rule}`],
      undo: ['firewall-cmd', `--zone=${zone.name}`, `--remove-rich-rule=${rule}`],
      description: `firewalld zone ${zone.name}: reject new connections to TCP port ${port} (now).`,
    });
    if (persist)
      steps.push({
        kind: 'run',
        argv: ['firewall-cmd', '--permanent', `--zone=${zone.name}`, `--add-rich-rule=${rule}`],
        undo: ['firewall-cmd', '--permanent', `--zone=${zone.name}`, `--remove-rich-rule=${rule}`],
        description: `firewalld zone ${zone.name}: keep that rule after a reload or reboot.`,
      });
  }
  const zones = letIn.map((z) => z.name);
  return {
    plan: {
      steps,
      summary: `firewalld will reject connections to TCP port ${port} from other machines in ${zones.length === 1 ? 'zone' : 'zones'} ${listed(zones, 6)}${persist ? ', now and after a reboot' : ''}. The zones' own ports and services stay as they are; loopback is not affected.`,
      warnings: persist
        ? []
        : ['The rule is added to the running firewalld only: a reload or a reboot removes it.'],
    },
  };
}

// ── ufw ────────────────────────────────────────────────────────────────────────────────────

/** `proto tcp from any to any port P`, inbound, on any interface: the tuple a deny would reuse. */
function isExactTuple(rule: UfwRule, port: number): boolean {
  return (
    !rule.unparsed &&
    rule.direction === 'in' &&
    rule.interface === null &&
    rule.protocol === 'tcp' &&
    rule.toAddress === 'any' &&
    rule.fromAddress === 'any' &&
    rule.fromPorts === null &&
    rule.app === null &&
    rule.toPorts !== null &&
    rule.toPorts.length === 1 &&
    rule.toPorts[0]![0] === port &&
    rule.toPorts[0]![1] === port
  );
}

/** Any inbound rule that could decide a TCP connection to the port. */
function couldMatch(rule: UfwRule, port: number): boolean {
  return (
    rule.unparsed ||
    (rule.direction === 'in' &&
      (rule.protocol === 'tcp' || rule.protocol === 'any') &&
      (rule.toPorts === null || rule.toPorts.some(([a, b]) => port >= a && port <= b)))
  );
}

/** The user.rules line ufw writes for that tuple with this action, with no log or comment. */
function plainTupleLine(text: string | null, action: string, port: number, family: 4 | 6): boolean {
  if (text === null) return false;
  const any = family === 4 ? '0.0.0.0/0' : '::/0';
  const line = `### tuple ### ${action} tcp ${port} ${any} any ${any} in`;
  return text.split('\n').some((l) => l.trim() === line);
}

export function planUfw(model: UfwModel, port: number, needV6: boolean, io: RecipeIO): Backend {
  if (model.rules === null) return { refused: "ufw's rules could not be read" };
  if (model.rules.some((r) => r.unparsed)) return { refused: 'some ufw rules could not be read' };
  if (needV6 && model.ipv6 !== true)
    return { refused: 'ufw does not manage IPv6 here (IPV6=no in /etc/default/ufw)' };
  const families: Array<4 | 6> = model.ipv6 === true ? [4, 6] : [4];
  const exact = families.map((f) => ({
    family: f,
    rules: model.rules!.filter((r) => r.family === f),
  }));
  const hits = exact.map((e) => ({ ...e, hit: e.rules.find((r) => isExactTuple(r, port)) }));
  const spec = ['proto', 'tcp', 'to', 'any', 'port', String(port)];
  if (hits.every((h) => !h.hit)) {
    return {
      plan: {
        steps: [
          {
            kind: 'run',
            argv: ['ufw', 'prepend', 'deny', ...spec],
            undo: ['ufw', 'delete', 'deny', ...spec],
            description: `ufw: deny TCP port ${port} ahead of every other rule${families.length === 2 ? ' (IPv4 and IPv6)' : ''}.`,
          },
        ],
        summary: `ufw will deny connections to TCP port ${port} from other machines, ahead of your other ufw rules. Loopback is not affected.`,
      },
    };
  }
  // ufw keeps one rule per match: a deny replaces the user's own allow in place.
  const actions = new Set(hits.map((h) => h.hit?.action ?? 'none'));
  const action = [...actions][0]!;
  if (actions.size !== 1 || (action !== 'allow' && action !== 'limit'))
    return {
      refused: `ufw already has a rule for ${port}/tcp (${listed([...actions])}) that Paddock cannot turn into a deny exactly`,
    };
  const first = hits.every((h) => h.rules.find((r) => couldMatch(r, port)) === h.hit);
  if (!first)
    return {
      refused: `an earlier ufw rule also lets port ${port} in, so turning "${action} ${port}/tcp" into a deny would not close it`,
    };
  const files = { 4: io.readFile('/etc/ufw/user.rules'), 6: io.readFile('/etc/ufw/user6.rules') };
  if (!families.every((f) => plainTupleLine(files[f], action, port, f)))
    return {
      refused: `ufw's rule "${action} ${port}/tcp" carries a comment or logging (or its file could not be read), which undo could not restore exactly`,
    };
  return {
    plan: {
      steps: [
        {
          kind: 'run',
          argv: ['ufw', 'deny', ...spec],
          undo: ['ufw', action, ...spec],
          description: `ufw: turn your rule "${action} ${port}/tcp" into "deny ${port}/tcp", in the same place${families.length === 2 ? ' (IPv4 and IPv6)' : ''}.`,
        },
      ],
      summary: `ufw will deny connections to TCP port ${port} from other machines: your rule "${action} ${port}/tcp" becomes "deny ${port}/tcp" (undo turns it back). Loopback is not affected.`,
    },
  };
}

// ── nftables ───────────────────────────────────────────────────────────────────────────────

function planNftables(facts: FirewallFacts, port: number, io: RecipeIO, persist: boolean): Backend {
  if (facts.nftables.status === 'unavailable')
    return { refused: 'nftables (the `nft` program) is not installed' };
  const table = nftTableName(port);
  if (facts.nftables.ruleset?.tables.some((t) => t.family === 'inet' && t.name === table))
    return {
      refused: `Paddock's own table inet ${table} is already loaded, yet the port is reported open`,
    };
  const file = nftPortFile(port);
  const steps: FixStep[] = [
    {
      kind: 'write-file',
      path: file,
      before: io.readFile(file),
      content: nftPortRules(port),
      mode: 0o644,
      description: `The rule: drop TCP port ${port} on every interface except loopback (table inet ${table}).`,
    },
    {
      kind: 'run',
      argv: ['nft', '-f', file],
      // `add` then `delete` in one nft transaction: removes the table, and is harmless when
      // the load never happened (a rollback runs this undo for the step that failed too).
      undo: ['nft', 'add', 'table', 'inet', table, ';', 'delete', 'table', 'inet', table],
      description: `Load it now (undo removes the table again).`,
    },
  ];
  // The shared plumbing first: its undo is decided once this rule file is gone (R1).
  const { steps: persistSteps, warnings, systemd } = nftPersistSteps(io, persist);
  steps.unshift(...persistSteps);
  return {
    plan: {
      steps,
      summary: `An nftables table of Paddock's own (inet ${table}) will drop connections to TCP port ${port} from other machines, IPv4 and IPv6, whatever other firewall rules allow${persist && systemd ? ', now and after every reboot' : ''}. Loopback is not affected; no other rule changes.`,
      warnings,
    },
  };
}

/**
 * What makes Paddock's nftables files load at boot: its include file and unit, and the unit
 * enabled. block-port, share-allowlist and block-client share them (R1), so every such fix
 * carries these steps, placed before its rule file, each with `keptWhile: PADDOCK_NFT_DIR`:
 * the first fix writes them, a later one finds them as it writes them (a step that changes
 * nothing but makes that fix share them). Undo reverts steps last first, so these are decided
 * once the fix's own rule file is gone: while another rule file of Paddock's is in
 * PADDOCK_NFT_DIR (or it cannot be read) they stay, and the undo that removes the last one
 * disables the unit and removes both files (and Paddock's folders it leaves empty), whichever
 * fix wrote them first. An include of a pattern that matches nothing is valid nftables: in
 * between, nothing is loaded.
 */
export function nftPersistSteps(
  io: RecipeIO,
  persist: boolean,
): { steps: FixStep[]; warnings: string[]; systemd: boolean } {
  const steps: FixStep[] = [];
  const warnings: string[] = [];
  const systemd = io.readFile('/proc/1/comm')?.trim() === 'systemd';
  if (persist && systemd) {
    const shared = (written: boolean) =>
      written
        ? 'already as Paddock writes it, for another of its rules: this fix shares it'
        : "shared by every firewall rule of Paddock's";
    const main = io.readFile(PADDOCK_NFT_MAIN);
    steps.push({
      kind: 'write-file',
      path: PADDOCK_NFT_MAIN,
      before: main,
      content: NFT_MAIN_CONTENT,
      mode: 0o644,
      keptWhile: PADDOCK_NFT_DIR,
      description: `${PADDOCK_NFT_MAIN}: loads every rule file Paddock wrote (${shared(main === NFT_MAIN_CONTENT)}).`,
    });
    const unit = io.readFile(PADDOCK_NFT_UNIT);
    steps.push({
      kind: 'write-file',
      path: PADDOCK_NFT_UNIT,
      before: unit,
      content: NFT_UNIT_CONTENT,
      mode: 0o644,
      keptWhile: PADDOCK_NFT_DIR,
      description: `A systemd unit that loads Paddock's rules at boot, after nftables.service (${shared(unit === NFT_UNIT_CONTENT)}).`,
    });
    if (unit !== NFT_UNIT_CONTENT)
      steps.push({
        kind: 'run',
        argv: ['systemctl', 'daemon-reload'],
        undo: null,
        description: 'Have systemd read the new unit.',
      });
    steps.push({
      kind: 'run',
      argv: ['systemctl', 'enable', '--', PADDOCK_NFT_UNIT_NAME],
      undo: ['systemctl', 'disable', '--', PADDOCK_NFT_UNIT_NAME],
      keptWhile: PADDOCK_NFT_DIR,
      description: `Start ${PADDOCK_NFT_UNIT_NAME} at every boot (nothing changes if it already does).`,
    });
    warnings.push(
      `${PADDOCK_NFT_MAIN} and ${PADDOCK_NFT_UNIT_NAME} (enabled) load every firewall rule of Paddock's at boot, and its rules share them: undo keeps them while another rule of Paddock's remains in ${PADDOCK_NFT_DIR}/, and the undo that removes the last one disables the unit and removes both. They load only Paddock's own files there.`,
    );
    warnings.push(
      'A tool that flushes the whole nftables ruleset by hand (`nft flush ruleset`) removes the rule until the next boot; restarting or reloading nftables.service loads it again.',
    );
  } else {
    warnings.push(
      persist
        ? 'systemd is not running here, so Paddock cannot load the rule at boot: it lasts until the next reboot.'
        : 'The rule is loaded now only: it lasts until the next reboot.',
    );
  }
  return { steps, warnings, systemd };
}

// ── what else a firewall that is off would block ──────────────────────────────────────────

function otherListeners(snapshot: Snapshot, port: number): string[] {
  const byPort = new Map<number, Set<string>>();
  for (const s of snapshot.probes.sockets.data) {
    if (s.state !== 'listen' || s.localPort === port || s.boundInterface === 'lo') continue;
    if (classifyAddress(s.localAddress) === 'loopback') continue;
    const names = byPort.get(s.localPort) ?? new Set<string>();
    for (const p of s.processes) names.add(shown(p.name, 40));
    byPort.set(s.localPort, names);
  }
  return [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([p, names]) => (names.size > 0 ? `${p} (${[...names].join(', ')})` : `${p}`));
}

function offFirewallWarnings(snapshot: Snapshot, facts: FirewallFacts, port: number): string[] {
  const off: string[] = [];
  if (facts.ufw.model && facts.ufw.model.active === false) off.push('ufw');
  if (facts.firewalld.model && facts.firewalld.model.running === false) off.push('firewalld');
  if (off.length === 0) return [];
  const others = otherListeners(snapshot, port);
  const blocks =
    others.length > 0
      ? `would also block the other programs that accept connections from other machines now: ${listed(others, 8)}`
      : 'would also block anything you start later that should accept connections from other machines';
  return [
    `${listed(off)} ${off.length === 1 ? 'is' : 'are'} installed but off. Paddock does not switch ${off.length === 1 ? 'it' : 'them'} on: ${off.length === 1 ? 'its' : 'their'} default policy (deny incoming) ${blocks}. Paddock adds one rule for port ${port} only.`,
  ];
}

function sideEffectWarnings(snapshot: Snapshot, instance: Instance | null, port: number): string[] {
  const warnings: string[] = [];
  const bridges = snapshot.probes.interfaces.data
    .map((i) => i.name)
    .filter((name) => BRIDGES.test(name));
  if (bridges.length > 0)
    warnings.push(
      `Containers and virtual machines on this computer reach it through ${listed(bridges.map((b) => shown(b, 20)))}, not loopback: they lose port ${port} too (for example Open WebUI in Docker calling host.docker.internal:${port}).`,
    );
  const docker = instance?.listeners.filter((l) => l.path === 'docker') ?? [];
  if (docker.length > 0)
    warnings.push(
      `Ports Docker publishes (${listed([...new Set(docker.map((l) => String(l.port)))])}) are forwarded before the host firewall sees them: this fix does not close them. Use "publish on 127.0.0.1 only" for the container.`,
    );
  return warnings;
}

// ── the recipe ─────────────────────────────────────────────────────────────────────────────

export function planBlockPort(
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
  options: BlockPortOptions = {},
): FixPlan | ManualFix {
  const instance = findInstance(snapshot, instanceId);
  const manual = (reason: string, commands: string[][] = []) =>
    manualFix('block-port', instance?.id ?? null, reason, commands);
  if (options.port !== undefined && !isPort(options.port))
    return manual(`${shown(String(options.port), 20)} is not a TCP port.`);
  if (!instance && options.port === undefined)
    return manual(`Paddock knows no server called ${shown(instanceId)} in this scan.`);
  const warnings: string[] = [];
  let port = options.port;
  if (port === undefined) {
    const { open, beyondLoopback } = exposedPorts(instance!);
    if (open.length === 0)
      return manual(
        beyondLoopback.length > 0
          ? `Port ${listed(beyondLoopback.map(String))} is already closed to other machines by the firewall; there is nothing to block.`
          : 'The server listens on loopback only; there is no port to close.',
      );
    port = open[0]!;
    if (open.length > 1)
      warnings.push(
        `The server also listens beyond loopback on ${listed(open.slice(1).map(String))}; this plan closes ${port} only.`,
      );
  }
  const facts = snapshot.probes.firewall.data;
  if (!facts)
    return manual(
      `Paddock could not read the firewall in this scan (${shown(snapshot.probes.firewall.message ?? snapshot.probes.firewall.status)}), so it cannot tell which one to use. Scan again, with --elevated if it says permission denied.`,
    );
  const persist = options.persist ?? true;
  const needV6 =
    (instance?.listeners ?? []).some(
      (l) => l.port === port && l.path === 'direct' && (l.family === 6 || l.dualStack),
    ) || instance === null;

  const tried: string[] = [];
  let chosen: Backend | null = null;
  if (facts.firewalld.model?.running === true) {
    const r = planFirewalld(facts.firewalld.model, port, persist);
    if ('refused' in r) tried.push(`firewalld is running, but ${r.refused}`);
    else chosen = r;
  }
  if (!chosen && facts.ufw.model?.active === true) {
    const r = planUfw(facts.ufw.model, port, needV6, io);
    if ('refused' in r) tried.push(`ufw is active, but ${r.refused}`);
    else chosen = r;
  }
  if (!chosen) {
    const r = planNftables(facts, port, io, persist);
    if ('refused' in r) {
      const table = nftTableName(port);
      return manual(
        `Paddock cannot close port ${port} itself: ${[...tried, r.refused].join('; ')}. With nftables installed, these commands close it until the next reboot (loopback keeps working).`,
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
          ['nft', 'add', 'rule', 'inet', table, 'input', 'iifname', 'lo', 'accept'],
          ['nft', 'add', 'rule', 'inet', table, 'input', 'tcp', 'dport', String(port), 'drop'],
        ],
      );
    }
    chosen = r;
    if (tried.length > 0)
      warnings.push(
        `${tried.join('; ')}: Paddock uses a table of its own in nftables instead, which closes the port whatever those rules say.`,
      );
    else warnings.push(...offFirewallWarnings(snapshot, facts, port));
  }
  const parts = chosen.plan;
  warnings.push(...(parts.warnings ?? []), ...sideEffectWarnings(snapshot, instance, port));
  return planShape({
    fixId: 'block-port',
    instance: instance?.id ?? null,
    title: `Close port ${port} to other machines`,
    summary: parts.summary,
    warnings,
    requiresAdmin: true,
    steps: parts.steps,
    verification: {
      kind: 'port-closed-beyond-loopback',
      instance: instance?.id ?? null,
      port,
      setting: null,
      description: `The rescan finds TCP port ${port} blocked on every path from another machine, and still open on loopback.`,
    },
    snapshot,
  });
}
