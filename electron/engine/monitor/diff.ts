/**
 * What changed between two scans, as events (pure). The monitor calls it with the previous
 * scan and the new one; `paddock watch`, the history file and the tray show what it returns.
 *
 * Servers restart and get a new pid, hence a new instance id (`ollama:pid:N`). Exposure and
 * findings are therefore followed per *place*, not per process: the ports a server listens on
 * (its direct listeners; else any path; else its id). A restart on the same port with the same
 * bind is no exposure change; a restart bound elsewhere is ("rebinding"). The instance events
 * (new-instance, instance-gone) still follow the ids: a restart shows as one gone, one new.
 *
 * - exposure-started: a place goes from private (or unknown, or absent) to lan or internet,
 *   or from lan to internet. exposure-ended: from lan or internet to private, or the place is
 *   gone. A change to or from `unknown` while present raises nothing (we cannot tell), nor
 *   does internet → lan (still exposed; the finding-resolved event says which finding went).
 * - remote-client: a peer from another machine (not loopback, not one of this machine's own
 *   addresses) connected to a place that it was not connected to in the previous scan.
 * - finding-new / finding-resolved by rule and place (accepted findings are left out: a
 *   finding the user accepts is neither new nor resolved). Findings that have an event kind of
 *   their own raise that instead: a vulnerability finding raises vulnerable-version, the
 *   gpu-busy-for-remote rule raises gpu-busy-remote, and the exposure and remote-client rules
 *   raise nothing (exposure-* and remote-client already say it).
 *
 * The first scan (no previous one) reports only what is dangerous right now: each exposed
 * place as exposure-started and each remote peer connected now as remote-client, so a watch
 * started on an exposed machine says so once. It does not list every instance and finding.
 */
import type { PaddockEvent } from '../../../shared/events';
import type { Finding } from '../../../shared/findings';
import type { Exposure, Instance, Listener, Snapshot } from '../../../shared/snapshot';
import type { RemotePeer } from '../../../shared/traffic';
import { worstExposure } from '../exposure';
import { isLoopback } from '../net/address';
import { cleanText } from '../text/untrusted';
import { makeEvent } from './events';

export interface ScanResult {
  snapshot: Snapshot;
  findings: Finding[];
}

/** Rules whose facts have an event kind of their own (no finding-new/resolved for them). */
const COVERED_RULES = new Set([
  'exposed-to-lan',
  'exposed-to-internet',
  'remote-clients-connected',
]);
const GPU_RULE = 'gpu-busy-for-remote';
/** Internal trouble, not a fact about the machine. */
const IGNORED_RULES = new Set(['rule-failed']);

const RANK: Record<Exposure, number> = { private: 0, unknown: 0, lan: 1, internet: 2 };
const REACH_WORDS: Record<Exposure, string> = {
  internet: 'reachable from the internet',
  lan: 'reachable from the local network',
  private: 'private to this computer',
  unknown: 'of unknown reach',
};

// ── places ──────────────────────────────────────────────────────────────────────────────

interface Place {
  key: string;
  /** Readable: "port 11434", "ports 8080 and 11434", or the instance id. */
  label: string;
  instances: Instance[];
  exposure: Exposure;
}

function plainList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function placePorts(instance: Instance): number[] {
  const direct = instance.listeners.filter((l) => l.path === 'direct');
  const chosen = direct.length > 0 ? direct : instance.listeners;
  return [...new Set(chosen.map((l) => l.port))].sort((a, b) => a - b);
}

export function placeKey(instance: Instance): string {
  const ports = placePorts(instance);
  return ports.length > 0 ? `ports:${ports.join(',')}` : `instance:${instance.id}`;
}

function placesOf(snapshot: Snapshot): Map<string, Place> {
  const places = new Map<string, Place>();
  for (const instance of snapshot.instances) {
    const key = placeKey(instance);
    const place = places.get(key);
    if (place) {
      place.instances.push(instance);
      place.exposure = worstExposure([place.exposure, instance.exposure]);
      continue;
    }
    const ports = placePorts(instance);
    places.set(key, {
      key,
      label:
        ports.length === 0
          ? cleanText(instance.id, 120)
          : `${ports.length === 1 ? 'port' : 'ports'} ${plainList(ports.map(String))}`,
      instances: [instance],
      exposure: instance.exposure,
    });
  }
  return places;
}

/** The instance that decides a place's exposure (the most exposed one). */
function leadOf(place: Place): Instance {
  return place.instances.reduce((a, b) => (RANK[b.exposure] > RANK[a.exposure] ? b : a));
}

// ── words ───────────────────────────────────────────────────────────────────────────────

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function describeInstance(instance: Instance): string {
  const version = instance.version ? `, version ${cleanText(instance.version, 40)}` : '';
  return `Ollama (${cleanText(instance.id, 120)}${version})`;
}

function exposedListeners(instance: Instance): Listener[] {
  return instance.listeners.filter((l) => RANK[l.exposure] > 0);
}

/** Where other machines reach it: the open paths' interface addresses, at most eight. */
function reachableAt(instance: Instance): string[] {
  const at = new Set<string>();
  for (const listener of exposedListeners(instance))
    for (const path of listener.reachableVia)
      if (path.open) at.add(hostPort(cleanText(path.address, 80), listener.port));
  return [...at].slice(0, 8);
}

function listenAddresses(instance: Instance): string[] {
  return instance.listeners
    .filter((l) => l.path === 'direct')
    .map((l) => hostPort(cleanText(l.address, 80), l.port))
    .slice(0, 8);
}

function remotePeers(instance: Instance): RemotePeer[] {
  return instance.peers.filter((p) => !p.isLocalAddress && !isLoopback(p.address));
}

// ── the diff ────────────────────────────────────────────────────────────────────────────

function exposureEvents(
  prev: Map<string, Place> | null,
  next: Map<string, Place>,
  at: string,
): PaddockEvent[] {
  const events: PaddockEvent[] = [];
  for (const [key, was] of prev ?? []) {
    if (RANK[was.exposure] === 0) continue;
    const now = next.get(key);
    if (now && (now.exposure === 'unknown' || RANK[now.exposure] > 0)) continue;
    const lead = now ? leadOf(now) : leadOf(was);
    const message = now
      ? `${describeInstance(lead)} on ${now.label} is no longer reachable from other machines: it is ${REACH_WORDS[now.exposure]} now (it was ${REACH_WORDS[was.exposure]}).`
      : `Nothing listens on ${was.label} any more: ${describeInstance(lead)}, which was ${REACH_WORDS[was.exposure]}, has stopped.`;
    events.push(
      makeEvent({
        kind: 'exposure-ended',
        at,
        subject: key,
        instance: lead.id,
        verdict: now ? now.exposure : 'private',
        severity: 'info',
        message,
        data: {
          place: key,
          previous: was.exposure,
          stopped: !now,
          listen: listenAddresses(lead).join(', ') || null,
          pid: lead.pid,
        },
      }),
    );
  }
  for (const [key, now] of next) {
    const was = prev?.get(key) ?? null;
    const before = was ? RANK[was.exposure] : 0;
    if (RANK[now.exposure] === 0 || RANK[now.exposure] <= before) continue;
    const lead = leadOf(now);
    const reach = reachableAt(lead);
    const listen = listenAddresses(lead);
    const where = reach.length > 0 ? ` at ${plainList(reach)}` : '';
    const bound = listen.length > 0 ? ` (listening on ${plainList(listen)})` : '';
    const since = !prev
      ? ''
      : was
        ? ` It was ${REACH_WORDS[was.exposure]}.`
        : ' It was not running there before.';
    events.push(
      makeEvent({
        kind: 'exposure-started',
        at,
        subject: key,
        instance: lead.id,
        verdict: now.exposure,
        severity: now.exposure === 'internet' ? 'critical' : 'high',
        message: `${describeInstance(lead)} is ${REACH_WORDS[now.exposure]}${where}${bound}.${since}`,
        data: {
          place: key,
          previous: prev ? (was?.exposure ?? null) : null,
          reachableAt: reach.join(', ') || null,
          listen: listen.join(', ') || null,
          pid: lead.pid,
          version: lead.version,
        },
      }),
    );
  }
  return events;
}

function instanceEvents(prev: Snapshot, next: Snapshot, at: string): PaddockEvent[] {
  const events: PaddockEvent[] = [];
  const before = new Map(prev.instances.map((i) => [i.id, i]));
  const after = new Map(next.instances.map((i) => [i.id, i]));
  for (const [id, instance] of before) {
    if (after.has(id)) continue;
    events.push(
      makeEvent({
        kind: 'instance-gone',
        at,
        subject: id,
        instance: id,
        verdict: null,
        severity: 'info',
        message: `${describeInstance(instance)} is no longer running${listenAddresses(instance).length > 0 ? ` (it listened on ${plainList(listenAddresses(instance))})` : ''}.`,
        data: { pid: instance.pid, version: instance.version },
      }),
    );
  }
  for (const [id, instance] of after) {
    if (before.has(id)) continue;
    const listen = listenAddresses(instance);
    events.push(
      makeEvent({
        kind: 'new-instance',
        at,
        subject: id,
        instance: id,
        verdict: instance.exposure,
        severity: 'info',
        message: `${describeInstance(instance)} started${listen.length > 0 ? `, listening on ${plainList(listen)}` : ''}; it is ${REACH_WORDS[instance.exposure]}.`,
        data: {
          pid: instance.pid,
          version: instance.version,
          listen: listen.join(', ') || null,
          exposure: instance.exposure,
          user: instance.process?.user ?? null,
          unit: instance.process?.systemdUnit ?? null,
        },
      }),
    );
  }
  return events;
}

function peerEvents(
  prev: Map<string, Place> | null,
  next: Map<string, Place>,
  at: string,
): PaddockEvent[] {
  const events: PaddockEvent[] = [];
  for (const [key, place] of next) {
    const known = new Set(
      (prev?.get(key)?.instances ?? []).flatMap((i) => remotePeers(i).map((p) => p.address)),
    );
    for (const instance of place.instances) {
      for (const peer of remotePeers(instance)) {
        if (known.has(peer.address)) continue;
        known.add(peer.address);
        const address = cleanText(peer.address, 80);
        const ports = peer.ports.length > 0 ? peer.ports : placePorts(instance);
        const connections =
          peer.connections === 1 ? '1 connection' : `${peer.connections} connections`;
        events.push(
          makeEvent({
            kind: 'remote-client',
            at,
            subject: `${key}|${peer.address}`,
            instance: instance.id,
            verdict: instance.exposure,
            severity: peer.scope === 'public' ? 'high' : 'medium',
            message: `${address}, another machine${peer.scope === 'public' ? ' on the internet' : ''}, is connected to ${describeInstance(instance)} on ${ports.length === 1 ? 'port' : 'ports'} ${plainList(ports.map(String))} (${connections}).`,
            data: {
              address,
              scope: peer.scope,
              ports: ports.join(', '),
              connections: peer.connections,
              pid: instance.pid,
            },
          }),
        );
      }
    }
  }
  return events;
}

/** Findings keyed by rule and place, so a restarted server's findings stay the same ones. */
function findingsByKey(result: ScanResult): Map<string, Finding> {
  const placeOfInstance = new Map(result.snapshot.instances.map((i) => [i.id, placeKey(i)]));
  const keyed = new Map<string, Finding>();
  for (const finding of result.findings) {
    if (IGNORED_RULES.has(finding.ruleId)) continue;
    const where =
      finding.instance === null
        ? 'host'
        : (placeOfInstance.get(finding.instance) ?? `instance:${finding.instance}`);
    const key = `${finding.ruleId}@${where}`;
    // Two instances on one place: keep the worse-looking one (an open one over an accepted one).
    const kept = keyed.get(key);
    if (!kept || (kept.accepted !== null && finding.accepted === null)) keyed.set(key, finding);
  }
  return keyed;
}

function findingEvents(prev: ScanResult, next: ScanResult, at: string): PaddockEvent[] {
  const events: PaddockEvent[] = [];
  const before = findingsByKey(prev);
  const after = findingsByKey(next);
  for (const [key, finding] of before) {
    if (finding.accepted !== null || after.has(key)) continue;
    if (COVERED_RULES.has(finding.ruleId)) continue;
    events.push(
      makeEvent({
        kind: 'finding-resolved',
        at,
        subject: key,
        instance: finding.instance,
        verdict: null,
        severity: 'info',
        message: `Resolved: ${cleanText(finding.title, 300)}${finding.instance ? ` (${cleanText(finding.instance, 120)})` : ''}.`,
        data: {
          findingId: finding.id,
          ruleId: finding.ruleId,
          category: finding.category,
          severity: finding.severity,
        },
      }),
    );
  }
  for (const [key, finding] of after) {
    if (finding.accepted !== null || COVERED_RULES.has(finding.ruleId)) continue;
    const was = before.get(key);
    if (was && was.accepted === null) continue;
    const kind =
      finding.category === 'vulnerability'
        ? 'vulnerable-version'
        : finding.ruleId === GPU_RULE
          ? 'gpu-busy-remote'
          : 'finding-new';
    const instance = finding.instance
      ? next.snapshot.instances.find((i) => i.id === finding.instance)
      : undefined;
    events.push(
      makeEvent({
        kind,
        at,
        subject: key,
        instance: finding.instance,
        verdict: null,
        severity: finding.severity,
        message: `${cleanText(finding.title, 300)}: ${cleanText(finding.summary, 1500)}`,
        data: {
          findingId: finding.id,
          ruleId: finding.ruleId,
          category: finding.category,
          ...(kind === 'vulnerable-version' ? { version: instance?.version ?? null } : {}),
          ...(kind === 'gpu-busy-remote' ? gpuFacts(next.snapshot, instance) : {}),
        },
      }),
    );
  }
  return events;
}

function gpuFacts(
  snapshot: Snapshot,
  instance: Instance | undefined,
): Record<string, string | number | null> {
  const utilization = (snapshot.probes.gpu.data?.nvidia ?? [])
    .map((g) => g.utilizationPercent)
    .filter((u): u is number => u !== null);
  return {
    utilizationPercent: utilization.length > 0 ? Math.max(...utilization) : null,
    remotePeers: instance
      ? remotePeers(instance)
          .map((p) => cleanText(p.address, 80))
          .join(', ')
      : null,
    loadedModels: instance?.vram?.loadedModels ?? null,
  };
}

/**
 * The events between two scans, worst news last within each group: what ended, what went,
 * what came, what opened, who connected, then findings. `prev` null: the first scan (see the
 * file comment). `now` stamps every event.
 */
export function diffScans(prev: ScanResult | null, next: ScanResult, now: Date): PaddockEvent[] {
  const at = now.toISOString();
  const placesBefore = prev ? placesOf(prev.snapshot) : null;
  const placesAfter = placesOf(next.snapshot);
  const exposure = exposureEvents(placesBefore, placesAfter, at);
  const ended = exposure.filter((e) => e.kind === 'exposure-ended');
  const started = exposure.filter((e) => e.kind === 'exposure-started');
  const peers = peerEvents(placesBefore, placesAfter, at);
  if (!prev) return [...started, ...peers];
  return [
    ...ended,
    ...instanceEvents(prev.snapshot, next.snapshot, at),
    ...started,
    ...peers,
    ...findingEvents(prev, next, at),
  ];
}
