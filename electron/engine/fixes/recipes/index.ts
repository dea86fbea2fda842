/**
 * One entry point for every fix recipe: the fix id, the snapshot it is planned from, the
 * server it is for, and the one door to file contents. Recipes are pure; the caller reads
 * files through the Host and the executor runs the plan the user approved.
 */
import type { FixId, FixPlan, ManualFix } from '../../../../shared/fixes';
import type { Snapshot } from '../../../../shared/snapshot';
import { planBlockClient } from './block-client';
import { planBlockPort } from './block-port';
import type { RecipeIO } from './common';
import { planDockerLocalhost } from './docker-localhost';
import { planRebindServer } from './rebind-server';
import { planShareAllowlist } from './share-allowlist';
import { planShareVpn } from './share-vpn';
import { planShareProxy, planShareProxyRotate } from './share-proxy';
import type { ProxyChoice } from './share-proxy-config';
import { proxyChoiceArg, proxyChoiceOfPlan } from './share-proxy-config';
import { planRebindSystemd } from './rebind-systemd';
import { planStopRequestLogging } from './stop-request-logging';
import { planStopTunnel } from './stop-tunnel';
import { planTightenOrigins } from './tighten-origins';
import { planBlockPortDarwin, planRebindLaunchd, planTightenOriginsDarwin } from './darwin';
import { planBlockPortWindows, planRebindWindows, planTightenOriginsWindows } from './win32';

export type { RecipeIO } from './common';
export { isManual } from './common';

export interface PlanFixOptions {
  /** The finding the plan resolves (Finding.id), recorded in the plan the user approves. */
  findingId?: string | null;
  /** block-port: make the rule survive a reboot (needs systemd as the init system). */
  persist?: boolean;
  /** share-allowlist: the addresses or prefixes to share with; block-client: the one address to cut off. */
  allow?: readonly string[];
  /** share-proxy: the proxy, credential, endpoints and TLS the user chose. */
  proxy?: ProxyChoice;
}

/**
 * The user's choices a plan was made with, as the privileged side takes them after the digest
 * (privileged.ts checks each): share-allowlist's sources, share-proxy's proxy and TLS.
 */
export function privilegedChoiceArgs(plan: FixPlan): string[] {
  if (plan.fixId === 'share-allowlist') return [plan.verification.setting ?? ''];
  if (plan.fixId === 'block-client') return [plan.verification.setting ?? ''];
  if (plan.fixId === 'share-proxy') {
    const choice = proxyChoiceOfPlan(plan.steps);
    return [choice ? proxyChoiceArg(choice) : ''];
  }
  return [];
}

/** share-proxy's choice when none is given: the first proxy installed, a token, inference only. */
export const DEFAULT_PROXY_CHOICE: ProxyChoice = {
  software: 'nginx',
  auth: 'bearer',
  endpoints: 'inference',
  tls: 'certificate',
  cert: null,
  key: null,
};

export function planFix(
  fixId: FixId,
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
  options: PlanFixOptions = {},
): FixPlan | ManualFix {
  const result = plan(fixId, snapshot, instanceId, io, options);
  if (!('steps' in result) || options.findingId === undefined) return result;
  return { ...result, findingId: options.findingId };
}

function plan(
  fixId: FixId,
  snapshot: Snapshot,
  instanceId: string,
  io: RecipeIO,
  options: PlanFixOptions,
): FixPlan | ManualFix {
  // macOS (issue 16): its own recipes; the rest are Linux's and say so.
  if (snapshot.host.platform === 'darwin') {
    if (fixId === 'rebind-launchd' || fixId === 'rebind-systemd')
      return planRebindLaunchd(snapshot, instanceId, io);
    if (fixId === 'block-port') return planBlockPortDarwin(snapshot, instanceId, io);
    if (fixId === 'tighten-origins') return planTightenOriginsDarwin(snapshot, instanceId, io);
    return {
      fixId,
      instance: instanceId,
      reason: `Paddock does not apply ${fixId} on macOS yet.`,
      commands: [],
    };
  }
  // Windows (issue 17): its own recipes; the rest are Linux's and say so.
  if (snapshot.host.platform === 'win32') {
    if (fixId === 'rebind-windows' || fixId === 'rebind-systemd')
      return planRebindWindows(snapshot, instanceId, io);
    if (fixId === 'block-port') return planBlockPortWindows(snapshot, instanceId, io);
    if (fixId === 'tighten-origins') return planTightenOriginsWindows(snapshot, instanceId, io);
    return {
      fixId,
      instance: instanceId,
      reason: `Paddock does not apply ${fixId} on Windows yet.`,
      commands: [],
    };
  }
  switch (fixId) {
    case 'rebind-windows':
      return {
        fixId,
        instance: instanceId,
        reason: 'rebind-windows is for Windows; on Linux, rebind-systemd or rebind-server.',
        commands: [],
      };
    case 'rebind-launchd':
      return {
        fixId,
        instance: instanceId,
        reason: 'rebind-launchd is for macOS; on Linux, rebind-systemd or rebind-server.',
        commands: [],
      };
    case 'rebind-systemd':
      return planRebindSystemd(snapshot, instanceId, { findingId: options.findingId ?? null });
    case 'block-port':
      return planBlockPort(snapshot, instanceId, io, { persist: options.persist });
    case 'tighten-origins':
      return planTightenOrigins(snapshot, instanceId, io);
    case 'stop-request-logging':
      return planStopRequestLogging(snapshot, instanceId, io);
    case 'docker-localhost':
      return planDockerLocalhost(snapshot, instanceId);
    case 'stop-tunnel':
      return planStopTunnel(snapshot, instanceId);
    case 'share-vpn':
      return planShareVpn(snapshot, instanceId, io);
    case 'block-client':
      return planBlockClient(snapshot, instanceId, io, {
        address: options.allow?.length === 1 ? options.allow[0]! : null,
        persist: options.persist,
      });
    case 'share-allowlist':
      return planShareAllowlist(snapshot, instanceId, options.allow ?? [], io, {
        persist: options.persist,
      });
    case 'share-proxy':
      return planShareProxy(snapshot, instanceId, io, {
        choice: options.proxy ?? DEFAULT_PROXY_CHOICE,
        findingId: options.findingId ?? null,
      });
    case 'share-proxy-rotate':
      return planShareProxyRotate(snapshot, instanceId, io);
    case 'rebind-server':
      return planRebindServer(snapshot, instanceId, io, { findingId: options.findingId ?? null });
    case 'service-install':
    case 'service-uninstall':
      return {
        fixId,
        instance: instanceId,
        reason:
          "Paddock's own service is no fix for a server: use `paddock service install` or `paddock service uninstall`.",
        commands: [],
      };
  }
}
