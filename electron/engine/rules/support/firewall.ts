/**
 * Whether any host firewall filters incoming connections at all, from the facts the firewall
 * probe gathered (shared/firewall.ts). "Filters" means: nftables or iptables has a table whose
 * input-side base chain drops by policy or holds a drop/reject rule somewhere in the table;
 * ufw is active; firewalld is running.
 */
import type { FirewallFacts, FirewallRuleset } from '../../../../shared/firewall';
import type { Instance, Snapshot } from '../../../../shared/snapshot';
import { listenerWords, openPaths, pathWords } from './reach';

const INPUT_HOOKS = new Set(['input', 'prerouting', 'ingress']);

function stops(kind: string): boolean {
  return kind === 'drop' || kind === 'reject';
}

/** Tables that can stop a new incoming connection, by name ("inet filter"). */
export function filteringTables(ruleset: FirewallRuleset | null): string[] {
  if (!ruleset) return [];
  return ruleset.tables
    .filter((table) => {
      const base = table.chains.filter((c) => c.hook !== null && INPUT_HOOKS.has(c.hook));
      if (base.length === 0) return false;
      if (base.some((c) => c.policy === 'drop')) return true;
      return table.chains.some((chain) =>
        chain.rules.some(
          (rule) =>
            (rule.verdict !== null && stops(rule.verdict.kind)) ||
            (rule.vmap ?? []).some((entry) => stops(entry.verdict.kind)),
        ),
      );
    })
    .map((t) => `${t.family} ${t.name}`);
}

export interface FirewallState {
  /** Every backend could be read (ok, or not installed). */
  complete: boolean;
  /** Something filters incoming connections. */
  active: boolean;
  /** One line per backend, for evidence. */
  lines: string[];
  /** Backends that could not be read, with why. */
  unreadable: string[];
}

const READABLE = new Set(['ok', 'unavailable']);

export function firewallState(facts: FirewallFacts): FirewallState {
  if (facts.macos) return macFirewallState(facts.macos);
  if (facts.windows) return windowsFirewallState(facts.windows);
  const lines: string[] = [];
  const unreadable: string[] = [];
  let active = false;
  const note = (name: string, status: string, message: string | undefined): void => {
    if (!READABLE.has(status))
      unreadable.push(`${name}: ${status}${message ? ` (${message})` : ''}`);
  };

  const nftTables = filteringTables(facts.nftables.ruleset);
  note('nftables', facts.nftables.status, facts.nftables.message);
  if (nftTables.length > 0) active = true;
  lines.push(
    facts.nftables.status === 'ok'
      ? nftTables.length > 0
        ? `nftables: ${nftTables.join(', ')} can drop incoming connections.`
        : `nftables: ${facts.nftables.ruleset?.tables.length ?? 0} tables, none with an input chain that drops or rejects.`
      : `nftables: ${facts.nftables.status}${facts.nftables.message ? ` (${facts.nftables.message})` : ''}.`,
  );
  for (const ipt of facts.iptables) {
    const name = `iptables-${ipt.variant} (IPv${ipt.family})`;
    note(name, ipt.status, ipt.message);
    const tables = filteringTables(ipt.ruleset);
    if (tables.length > 0) {
      active = true;
      lines.push(`${name}: ${tables.join(', ')} can drop incoming connections.`);
    } else if (ipt.status !== 'ok') {
      lines.push(`${name}: ${ipt.status}${ipt.message ? ` (${ipt.message})` : ''}.`);
    }
  }
  note('ufw', facts.ufw.status, facts.ufw.message);
  const ufw = facts.ufw.model;
  if (ufw?.active === true) active = true;
  lines.push(
    ufw
      ? `ufw: ${ufw.active === true ? 'active' : ufw.active === false ? 'inactive' : 'state unknown'}.`
      : `ufw: ${facts.ufw.status}${facts.ufw.message ? ` (${facts.ufw.message})` : ''}.`,
  );
  note('firewalld', facts.firewalld.status, facts.firewalld.message);
  const firewalld = facts.firewalld.model;
  if (firewalld?.running === true) active = true;
  lines.push(
    firewalld
      ? `firewalld: ${firewalld.running === true ? 'running' : firewalld.running === false ? 'not running' : 'state unknown'}.`
      : `firewalld: ${facts.firewalld.status}${facts.firewalld.message ? ` (${facts.firewalld.message})` : ''}.`,
  );
  const complete = unreadable.length === 0 && ufw?.active !== null && firewalld?.running !== null;
  return { complete, active, lines, unreadable };
}

/** Windows (issue 17): the profiles of the interfaces in use, on or off. */
function windowsFirewallState(win: NonNullable<FirewallFacts['windows']>): FirewallState {
  if (!win.profiles || !win.interfaces)
    return {
      complete: false,
      active: false,
      lines: [],
      unreadable: ["Windows Defender Firewall's profiles could not be read"],
    };
  const inUse = [...new Set(win.interfaces.map((i) => i.profile))];
  const lines = inUse.map((name) => {
    const p = win.profiles!.find((x) => x.profile === name);
    return `Windows Defender Firewall, ${name} profile (${win
      .interfaces!.filter((i) => i.profile === name)
      .map((i) => i.alias)
      .join(', ')}): ${p?.enabled === false ? 'off' : p ? 'on' : 'not read'}.`;
  });
  const active = inUse.some(
    (name) => win.profiles!.find((p) => p.profile === name)?.enabled !== false,
  );
  return { complete: true, active, lines, unreadable: [] };
}

/** macOS (issue 16): the application firewall, and pf with Paddock's anchor. */
function macFirewallState(mac: NonNullable<FirewallFacts['macos']>): FirewallState {
  const lines: string[] = [];
  const unreadable: string[] = [];
  const app = mac.application;
  if (!app || app.state === 'unknown')
    unreadable.push('the application firewall could not be read');
  else
    lines.push(
      `The application firewall: ${app.state}${app.state === 'on' && app.blockAll ? ', blocking all incoming connections' : ''}${app.state === 'on' && app.stealth ? ', stealth mode' : ''}.`,
    );
  const pf = mac.pf;
  if (!pf || pf.enabled === null)
    unreadable.push('pf could not be read (pfctl needs admin rights)');
  else
    lines.push(
      `pf: ${pf.enabled ? 'enabled' : 'disabled'}${pf.enabled && pf.paddockBlocks?.length ? `, Paddock's anchor closes ${pf.paddockBlocks.map((b) => b.port).join(', ')}` : ''}.`,
    );
  const active =
    app?.state === 'on' || (pf?.enabled === true && (pf.paddockBlocks?.length ?? 0) > 0);
  return { complete: unreadable.length === 0, active, lines, unreadable };
}

/** Listeners beyond loopback that the host firewall judges (Docker publishes never meet it). */
export function judgedListenersBeyondLoopback(
  snapshot: Snapshot,
): Array<{ instance: Instance; listener: Instance['listeners'][number] }> {
  return snapshot.instances.flatMap((instance) =>
    instance.listeners
      .filter((l) => l.path !== 'docker' && l.reachableVia.length > 0)
      .map((listener) => ({ instance, listener })),
  );
}

export function openPathLines(
  entries: Array<{ instance: Instance; listener: Instance['listeners'][number] }>,
): string[] {
  return entries.flatMap(({ listener }) => {
    const open = openPaths(listener);
    return open.length > 0
      ? [`${listenerWords(listener)} is open on ${open.map(pathWords).join(', ')}.`]
      : [];
  });
}
