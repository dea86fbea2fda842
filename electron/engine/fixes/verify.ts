/**
 * Verification after a fix: a rescan must show what the plan promised, or the executor rolls
 * back. Pure check on a snapshot, plus a bounded loop of rescans (a restarted service binds
 * its socket a moment after `systemctl restart` returns).
 */
import type { FixPlan, Verification } from '../../../shared/fixes';
import type { Instance, Snapshot } from '../../../shared/snapshot';
import { scopeOf } from '../exposure';
import type { VerifyResult } from './executor';
import { checkClientBlocked } from './recipes/block-client';

const isLoopback = (address: string) => scopeOf(address) === 'loopback';

function effective(instance: Instance, name: string): string | undefined {
  return instance.settings.find((s) => s.name === name && s.state === 'effective')?.value;
}

function instanceOf(verification: Verification, snapshot: Snapshot): Instance | undefined {
  return snapshot.instances.find((i) => i.id === verification.instance);
}

/** Does this snapshot show what the verification expects? Plain words either way. */
export function checkVerification(verification: Verification, snapshot: Snapshot): VerifyResult {
  switch (verification.kind) {
    case 'shared-behind-proxy': {
      const loopback = checkVerification(
        { ...verification, kind: 'instance-loopback-only', port: null },
        snapshot,
      );
      if (!loopback.ok) return loopback;
      const instance = instanceOf(verification, snapshot)!;
      const paths = instance.proxyPaths.filter((p) => p.port === verification.port);
      const open = instance.proxyPaths.filter((p) => p.authRequired !== true);
      if (paths.length === 0)
        return {
          ok: false,
          detail: `${loopback.detail}, but no proxy answers for it on port ${verification.port}`,
        };
      if (open.length > 0 || paths.some((p) => p.authRequired !== true))
        return {
          ok: false,
          detail: `${loopback.detail}, and a proxy (${[...open, ...paths].map((p) => `${p.software} on ${p.listenAddress}:${p.port}`)[0]}) answers without credentials`,
        };
      return {
        ok: true,
        detail: `${loopback.detail}; ${paths.map((p) => `${p.software} on ${p.listenAddress}:${p.port}${p.tls ? ' (TLS)' : ''}`).join(', ')} asks for credentials before anything reaches it`,
      };
    }
    case 'instance-loopback-only': {
      const instance = instanceOf(verification, snapshot);
      if (!instance) return { ok: false, detail: `${verification.instance} is not running` };
      const direct = instance.listeners.filter((l) => l.path === 'direct');
      const shown = direct.map((l) => `${l.address}:${l.port}`).join(', ') || 'nothing';
      const onPort = verification.port === null || direct.some((l) => l.port === verification.port);
      const ok = direct.length > 0 && onPort && direct.every((l) => isLoopback(l.address));
      return { ok, detail: `${instance.id} listens on ${shown}` };
    }
    case 'port-closed-beyond-loopback': {
      const listeners = snapshot.instances
        .flatMap((i) => i.listeners)
        .filter((l) => verification.port === null || l.port === verification.port);
      const open = listeners.flatMap((l) =>
        l.reachableVia.filter((via) => via.open).map((via) => `${via.interface} ${via.address}`),
      );
      return open.length === 0
        ? {
            ok: true,
            detail: `port ${verification.port} is reachable from no interface but loopback`,
          }
        : {
            ok: false,
            detail: `port ${verification.port} is still reachable via ${open.join(', ')}`,
          };
    }
    case 'setting-absent': {
      const instance = instanceOf(verification, snapshot);
      const value =
        instance && verification.setting ? effective(instance, verification.setting) : undefined;
      if (!instance) return { ok: false, detail: `${verification.instance} is not running` };
      return value === undefined
        ? { ok: true, detail: `${verification.setting} is no longer set for ${instance.id}` }
        : { ok: false, detail: `${verification.setting} is still ${JSON.stringify(value)}` };
    }
    case 'tunnel-stopped': {
      const instance = instanceOf(verification, snapshot);
      const left = instance?.tunnels ?? [];
      if (snapshot.probes.tunnels && snapshot.probes.tunnels.status !== 'ok')
        return {
          ok: false,
          detail: `the tunnel clients could not be listed (${snapshot.probes.tunnels.status})`,
        };
      return left.length === 0
        ? { ok: true, detail: `no tunnel client publishes ${verification.instance}` }
        : {
            ok: false,
            detail: `still published by ${left.map((t) => `${t.tool} (pid ${t.pid})`).join(', ')}`,
          };
    }
    case 'instance-bound-to': {
      const instance = instanceOf(verification, snapshot);
      if (!instance) return { ok: false, detail: `${verification.instance} is not running` };
      const direct = instance.listeners.filter((l) => l.path === 'direct');
      const shown = direct.map((l) => `${l.address}:${l.port}`).join(', ') || 'nothing';
      const ok =
        direct.length > 0 &&
        direct.every((l) => l.address === verification.setting || isLoopback(l.address));
      return { ok, detail: `${instance.id} listens on ${shown}` };
    }
    case 'shared-only-with': {
      const instance = instanceOf(verification, snapshot);
      if (!instance) return { ok: false, detail: `${verification.instance} is not running` };
      const chosen = (verification.setting ?? '').split(',').filter(Boolean);
      if ((instance.tunnels?.length ?? 0) > 0)
        return { ok: false, detail: `a tunnel publishes ${instance.id} on the internet` };
      if (instance.exposure === 'private')
        return { ok: true, detail: `no other machine reaches ${instance.id}` };
      const shared = instance.sharedWith;
      if (!shared)
        return {
          ok: false,
          detail: `${instance.id} is still open to machines that were not chosen (${instance.exposure})`,
        };
      const extra = shared.filter((s) => !chosen.includes(s));
      return extra.length === 0
        ? { ok: true, detail: `${instance.id} is shared with ${shared.join(', ')} only` }
        : { ok: false, detail: `${instance.id} is also open to ${extra.join(', ')}` };
    }
    case 'setting-without-wildcard': {
      const instance = instanceOf(verification, snapshot);
      if (!instance) return { ok: false, detail: `${verification.instance} is not running` };
      const value = effective(instance, verification.setting ?? 'OLLAMA_ORIGINS') ?? '';
      const wild = value.split(',').some((entry) => entry.trim() === '*');
      return wild
        ? { ok: false, detail: `${verification.setting} still contains *` }
        : { ok: true, detail: `${verification.setting} is ${JSON.stringify(value)}` };
    }
    case 'client-blocked':
      return checkClientBlocked(verification, snapshot);
    case 'service-active':
    case 'service-removed':
      // Paddock's own service: systemd answers (cli/service.ts), a scan cannot.
      return { ok: false, detail: `${verification.setting} is checked with systemd, not a scan` };
  }
}

/**
 * Rescans until the plan's verification holds or the time runs out: at most `attempts`
 * scans, `intervalMs` apart.
 */
export async function verifyByRescan(
  plan: FixPlan,
  rescan: () => Promise<Snapshot>,
  options: { attempts?: number; intervalMs?: number } = {},
): Promise<VerifyResult> {
  const attempts = options.attempts ?? 16;
  let last: VerifyResult = { ok: false, detail: 'no rescan was made' };
  for (let i = 0; i < attempts; i += 1) {
    last = checkVerification(plan.verification, await rescan());
    if (last.ok) return last;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  return { ok: false, detail: `${last.detail} (after ${attempts} rescans)` };
}
