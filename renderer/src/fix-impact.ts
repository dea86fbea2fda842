/**
 * Issue 18, the fix dialog in the user's words: what a fix changes for them before they
 * approve it (who keeps access, who loses it, how long it lasts, the lasting alternative, the
 * button's words), and what the rescan after it proves (the state before → after, each address
 * now refused, loopback still answering, a check to run from another device), and what an undo
 * brought back. Pure: plans, instances and snapshots in, words out; no DOM and no engine call,
 * so the unit tests run it in Node (test/unit/fix-impact.test.ts).
 */
import type { FixPlan, FixRun } from '../../shared/fixes';
import { SERVER_KIND_NAMES } from '../../shared/servers';
import type { Exposure, Instance, Snapshot } from '../../shared/snapshot';

// ── the server in words ────────────────────────────────────────────────────────────────────

/** "Ollama", "LM Studio": the kind's own name. */
export function kindName(instance: Pick<Instance, 'kind'> | null): string {
  return instance ? (SERVER_KIND_NAMES[instance.kind] ?? 'The server') : 'The server';
}

/** The port the server answers on: its own socket's, else the plan's. */
function serverPort(instance: Instance | null, plan: FixPlan | null): number | null {
  const direct = instance?.listeners.find((l) => l.path === 'direct') ?? instance?.listeners[0];
  return direct?.port ?? plan?.verification.port ?? null;
}

/**
 * The server as a person names it: "Ollama service · port 11434", "Ollama app · port 11434",
 * "open-webui container · port 3000"; never an instance id.
 */
export function serverName(instance: Instance | null, plan: FixPlan | null = null): string {
  const kind = kindName(instance);
  const port = serverPort(instance, plan);
  const container = instance?.containers[0]?.names[0]?.replace(/^\//, '');
  const what = container
    ? `${container} container`
    : instance?.process?.systemdUnit
      ? `${kind} service`
      : instance?.process?.launcher === 'app'
        ? `${kind} app`
        : kind;
  return port === null ? what : `${what} · port ${port}`;
}

// ── who can reach it, in words ─────────────────────────────────────────────────────────────

export const EXPOSURE_WORDS: Readonly<Record<Exposure, string>> = {
  private: 'Private to this computer',
  lan: 'Reachable from the local network',
  internet: 'Reachable from the internet',
  unknown: 'Not known who can reach it',
};

/** The server's state as the verdict says it, sharing on purpose included. */
export function stateWords(instance: Instance | null): string {
  if (!instance) return 'Not running';
  if ((instance.sharedBehind?.length ?? 0) > 0) return 'Shared behind a password or token';
  if ((instance.sharedOver?.length ?? 0) > 0) return 'Shared over the VPN only';
  if ((instance.sharedWith?.length ?? 0) > 0) return 'Shared with chosen machines only';
  return EXPOSURE_WORDS[instance.exposure];
}

/** The instance a plan is about in a scan: by id, else the same kind on the same port. */
export function findInstance(
  snapshot: Snapshot | null,
  id: string | null,
  like: Instance | null = null,
): Instance | null {
  if (!snapshot) return null;
  const byId = id ? snapshot.instances.find((i) => i.id === id) : undefined;
  if (byId) return byId;
  if (!like) return null;
  const port = serverPort(like, null);
  return (
    snapshot.instances.find((i) => i.kind === like.kind && serverPort(i, null) === port) ?? null
  );
}

// ── before: what changes for you ───────────────────────────────────────────────────────────

const REBIND_FIXES: ReadonlySet<string> = new Set([
  'rebind-systemd',
  'rebind-server',
  'rebind-launchd',
  'rebind-windows',
]);
/** The fixes that take every other machine's access away. */
const CLOSE_FIXES: ReadonlySet<string> = new Set([
  ...REBIND_FIXES,
  'block-port',
  'docker-localhost',
  'enable-firewall',
]);
/** Fixes that stay after a restart because they change where the server's address is written. */
const LASTING_FIXES = ['rebind-systemd', 'rebind-server', 'rebind-launchd', 'rebind-windows'];
const LASTING_LABEL: Readonly<Record<string, string>> = {
  'rebind-systemd': 'Listen on this computer only',
  'rebind-server': 'Listen on this computer only',
  'rebind-launchd': 'Listen on this Mac only',
  'rebind-windows': 'Listen on this PC only',
};

/**
 * Whether a lasting fix can be made for this server: never for a container's server (its
 * address is the container's publish), Ollama's unit only when it runs as a systemd service,
 * rebind-server for the other kinds.
 */
function lastingApplies(fixId: string, instance: Instance | null): boolean {
  if (!instance) return true;
  if (instance.containers.length > 0 || instance.process?.containerId) return false;
  if (fixId === 'rebind-systemd')
    return instance.kind === 'ollama' && (instance.process?.systemdUnit ?? null) !== null;
  if (fixId === 'rebind-server') return instance.kind !== 'ollama';
  return instance.kind === 'ollama';
}

/** A warning that says the change goes away at the next reboot (or firewall reload). */
const UNTIL_REBOOT = /lasts until the next reboot|a reload or a reboot removes it/i;

export type ImpactTone = 'keep' | 'lose' | 'time' | 'note';

export interface ImpactLine {
  tone: ImpactTone;
  text: string;
  /** Plain-words detail under the line (who is connected now). */
  detail?: string;
}

export interface FixImpact {
  /** "Ollama service · port 11434" */
  server: string;
  lines: ImpactLine[];
  /** The change is gone after the next restart of this computer. */
  untilReboot: boolean;
  /** The fix that lasts, offered when this one does not (null: none applies here). */
  lasting: { fixId: string; label: string } | null;
  /** The apply button's words: "Close port 11434", "Make Ollama private to this computer". */
  action: string;
  needsAdmin: boolean;
}

/** Peers from other machines connected now (not this computer's own addresses). */
function connectedNow(instance: Instance | null): string[] {
  const peers = (instance?.peers ?? []).filter((p) => !p.isLocalAddress).map((p) => p.address);
  return [...new Set(peers)];
}

function listed(items: readonly string[], max = 4): string {
  const shown = items.slice(0, max);
  const more = items.length - shown.length;
  const head =
    shown.length <= 1
      ? (shown[0] ?? '')
      : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]!}`;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : head;
}

function connectedDetail(peers: readonly string[], verb: string): string {
  if (peers.length === 0) return 'No other machine is connected to it now.';
  return `Connected now: ${listed(peers)}. ${peers.length === 1 ? 'It' : 'They'} ${verb}.`;
}

/** The apply button's words for a plan. */
export function actionLabel(plan: FixPlan, instance: Instance | null): string {
  const port = plan.verification.port ?? serverPort(instance, plan);
  if (plan.fixId === 'block-port') return port === null ? 'Close the port' : `Close port ${port}`;
  if (REBIND_FIXES.has(plan.fixId)) return `Make ${kindName(instance)} private to this computer`;
  if (plan.fixId === 'block-client' && plan.verification.setting)
    return `Cut off ${plan.verification.setting}`;
  if (plan.fixId === 'stop-tunnel') return 'Stop the tunnel';
  if (plan.fixId === 'tighten-origins') return 'Tighten allowed origins';
  if (plan.fixId === 'stop-request-logging') return 'Stop logging requests';
  return plan.title;
}

/**
 * What a plan changes for the user, from the plan (its fix, verification and warnings), the
 * server as the scan before it saw it, and the other fixes the finding offers.
 */
export function fixImpact(
  plan: FixPlan,
  instance: Instance | null,
  otherFixes: readonly string[] = [],
): FixImpact {
  const name = kindName(instance);
  const peers = connectedNow(instance);
  const lines: ImpactLine[] = [];
  const warnings = plan.warnings.join('\n');
  const chosen = (plan.verification.setting ?? '').split(',').filter(Boolean);

  if (CLOSE_FIXES.has(plan.fixId)) {
    lines.push({ tone: 'keep', text: 'Apps on this computer keep working' });
    lines.push({
      tone: 'lose',
      text: 'Other machines lose access',
      detail: connectedDetail(peers, peers.length === 1 ? 'is cut off' : 'are cut off'),
    });
  } else if (plan.fixId === 'block-client') {
    const address = plan.verification.setting ?? 'that machine';
    lines.push({ tone: 'keep', text: 'Apps on this computer keep working' });
    lines.push({ tone: 'keep', text: 'Every other machine that reaches it now keeps that access' });
    lines.push({
      tone: 'lose',
      text: `${address} loses access`,
      detail: peers.includes(address) ? `${address} is connected now: it is cut off.` : undefined,
    });
  } else if (plan.fixId === 'stop-tunnel') {
    lines.push({ tone: 'keep', text: 'Apps on this computer keep working' });
    lines.push({ tone: 'lose', text: 'Whoever used the tunnel from the internet loses access' });
  } else if (plan.fixId === 'share-allowlist') {
    lines.push({ tone: 'keep', text: 'Apps on this computer keep working' });
    if (chosen.length > 0)
      lines.push({
        tone: 'keep',
        text: `${listed(chosen)} keep${chosen.length === 1 ? 's' : ''} access`,
      });
    const cut = peers.filter((p) => !chosen.includes(p));
    lines.push({
      tone: 'lose',
      text: 'Every other machine loses access',
      detail:
        cut.length > 0
          ? connectedDetail(cut, cut.length === 1 ? 'is cut off' : 'are cut off')
          : undefined,
    });
  } else if (plan.fixId === 'share-vpn') {
    lines.push({ tone: 'keep', text: 'Apps on this computer keep working' });
    lines.push({ tone: 'keep', text: 'Machines on your VPN keep access' });
    lines.push({ tone: 'lose', text: 'Machines outside the VPN lose access' });
  } else if (plan.fixId === 'share-proxy' || plan.fixId === 'share-proxy-rotate') {
    lines.push({ tone: 'keep', text: 'Apps on this computer keep working' });
    lines.push({
      tone: 'lose',
      text:
        plan.fixId === 'share-proxy'
          ? 'Other machines need the token or password Paddock shows you once'
          : 'Machines with the old token or password lose access',
      detail: peers.length > 0 ? connectedDetail(peers, 'need it too') : undefined,
    });
  } else if (plan.fixId === 'tighten-origins') {
    lines.push({ tone: 'keep', text: `Apps that call ${name} directly keep working` });
    lines.push({
      tone: 'lose',
      text: 'Web pages from other sites can no longer call it from your browser',
    });
  } else if (plan.fixId === 'stop-request-logging') {
    lines.push({ tone: 'keep', text: `${name} keeps working as before` });
    lines.push({ tone: 'lose', text: 'Requests are no longer written to its log' });
  } else {
    lines.push({ tone: 'note', text: plan.summary });
  }

  if (/Containers and virtual machines on this computer/.test(warnings))
    lines.push({
      tone: 'lose',
      text: 'Containers and virtual machines on this computer lose access too',
    });
  if (/Ports Docker publishes/.test(warnings))
    lines.push({
      tone: 'note',
      text: 'Ports Docker publishes for it stay open: this change does not close them',
    });

  const untilReboot = UNTIL_REBOOT.test(warnings);
  // Cutting one machine off has no lasting equivalent among the fixes: closing the server to
  // everyone is another decision, not the same one kept.
  const alternative =
    untilReboot && plan.fixId !== 'block-client'
      ? (LASTING_FIXES.find(
          (f) => f !== plan.fixId && otherFixes.includes(f) && lastingApplies(f, instance),
        ) ?? null)
      : null;
  lines.push({
    tone: 'time',
    text: untilReboot
      ? 'Lasts until this computer restarts'
      : REBIND_FIXES.has(plan.fixId)
        ? `Lasts: ${name}’s own setting changes, so it stays this way after a restart`
        : 'Lasts: it stays this way after a restart, until you undo it',
    detail: 'You can undo it with one click, here or in History.',
  });
  return {
    server: serverName(instance, plan),
    lines,
    untilReboot,
    lasting: alternative
      ? { fixId: alternative, label: LASTING_LABEL[alternative] ?? 'Listen on this computer only' }
      : null,
    action: actionLabel(plan, instance),
    needsAdmin: plan.requiresAdmin,
  };
}

// ── after: what the rescan proves ──────────────────────────────────────────────────────────

export interface AddressCheck {
  address: string;
  port: number;
  interface: string;
  /** refused: no longer reachable from other machines; open: still reachable. */
  now: 'refused' | 'open';
}

export interface FixProof {
  /** The state before and after, in words ("Reachable from the local network"). */
  before: string;
  after: string | null;
  /** The after-scan says nobody else reaches it (or only those the user chose). */
  improved: boolean;
  /** Each address other machines reached before, and what the rescan says of it now. */
  addresses: AddressCheck[];
  /** Loopback after the fix: the address the scan asked, and whether the server answered. */
  loopback: { address: string; port: number; answers: boolean } | null;
  /** To run on another device: each should now fail. */
  outsideChecks: string[];
  /** The executor's own check, in its words (the journal's verify-ok). */
  verified: string | null;
}

const isLoopback = (address: string) => /^127\./.test(address) || address === '::1';
const urlHost = (address: string) => (address.includes(':') ? `[${address}]` : address);

/** The addresses other machines reached the server on: each open, non-loopback path. */
function reachedFrom(instance: Instance | null): Array<Omit<AddressCheck, 'now'>> {
  const seen = new Set<string>();
  const out: Array<Omit<AddressCheck, 'now'>> = [];
  for (const listener of instance?.listeners ?? [])
    for (const via of listener.reachableVia) {
      if (!via.open || via.scope === 'loopback') continue;
      const port = via.nat?.port ?? listener.port;
      const key = `${via.address}|${port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ address: via.address, port, interface: via.interface });
    }
  return out;
}

/**
 * What the scans before and after a run show: the verdict before → after, each address that
 * was reachable before and whether it is now, loopback still answering, and a curl per address
 * to try from another device (link-local ones need the other device's own interface name, so
 * they get none).
 */
export function fixProof(
  before: Instance | null,
  after: Snapshot | null,
  run: Pick<FixRun, 'plan' | 'journal'>,
): FixProof {
  const now = after ? findInstance(after, run.plan.instance ?? before?.id ?? null, before) : null;
  const stillOpen = new Set(reachedFrom(now).map((a) => `${a.address}|${a.port}`));
  const addresses = reachedFrom(before).map((a) => ({
    ...a,
    now: (after && stillOpen.has(`${a.address}|${a.port}`) ? 'open' : 'refused') as
      'open' | 'refused',
  }));
  const fingerprint = now?.fingerprints.find((f) => isLoopback(f.address));
  const loopbackListener = now?.listeners.find(
    (l) =>
      l.path === 'direct' &&
      (isLoopback(l.address) || l.address === '0.0.0.0' || l.address === '::'),
  );
  const loopback = fingerprint
    ? {
        address: fingerprint.address,
        port: fingerprint.port,
        answers: fingerprint.identity !== 'no-answer',
      }
    : loopbackListener
      ? {
          address: isLoopback(loopbackListener.address) ? loopbackListener.address : '127.0.0.1',
          port: loopbackListener.port,
          answers: true,
        }
      : null;
  const afterWords = after ? stateWords(now) : null;
  const verifiedEntry = [...run.journal].reverse().find((e) => e.event === 'verify-ok');
  return {
    before: stateWords(before),
    after: afterWords,
    improved:
      now !== null &&
      (now.exposure === 'private' ||
        (now.sharedWith?.length ?? 0) > 0 ||
        (now.sharedOver?.length ?? 0) > 0 ||
        (now.sharedBehind?.length ?? 0) > 0),
    addresses,
    loopback: after ? loopback : null,
    outsideChecks: addresses
      .filter((a) => !/^fe80:/i.test(a.address))
      .map((a) => `curl -m 5 http://${urlHost(a.address)}:${a.port}/`),
    verified: verifiedEntry?.detail ?? null,
  };
}

// ── after an undo ──────────────────────────────────────────────────────────────────────────

export interface UndoNotice {
  tone: 'ok' | 'warn';
  text: string;
}

/**
 * What an undo brought back, said as the state it left: a server reachable by others again is
 * a warning, never a success. `after` is the scan after the undo; until it comes, the state
 * before the fix (what the undo restores) stands for it.
 */
export function undoNotice(before: Instance | null, after: Snapshot | null): UndoNotice {
  const now = after ? (findInstance(after, before?.id ?? null, before) ?? before) : before;
  const name = kindName(now ?? before);
  if (!now) return { tone: 'warn', text: `${name} is as it was before the fix.` };
  const shared =
    (now.sharedWith?.length ?? 0) > 0 ||
    (now.sharedOver?.length ?? 0) > 0 ||
    (now.sharedBehind?.length ?? 0) > 0;
  if (shared) return { tone: 'ok', text: `${name} is ${stateWords(now).toLowerCase()} again.` };
  switch (now.exposure) {
    case 'lan':
      return { tone: 'warn', text: `${name} is reachable from the local network again` };
    case 'internet':
      return { tone: 'warn', text: `${name} is reachable from the internet again` };
    case 'unknown':
      return { tone: 'warn', text: `Paddock cannot tell who can reach ${name} now` };
    case 'private':
      return { tone: 'ok', text: `${name} is still private to this computer` };
  }
}
