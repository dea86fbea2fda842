/**
 * Runs the catalog over a snapshot: fills in what every finding shares (id, rule metadata,
 * acceptance), sorts worst first, and keeps going when one rule fails.
 *
 * A rule that throws, or returns two findings for the same instance (a bug in the rule: ids
 * must be unique), becomes an `info` finding with ruleId `rule-failed` that names the rule and
 * the error, so the report says a check is missing instead of silently passing it. Its id is
 * `rule-failed:<rule id>@host`: the failed rule's id keeps two failures apart.
 */
import type { Finding, Severity } from '../../../shared/findings';
import { SEVERITIES } from '../../../shared/severity';
import type { Instance, Snapshot } from '../../../shared/snapshot';
import { cleanText } from '../text/untrusted';
import { RULES } from './index';
import type { Rule, RuleFinding } from './rule';
import { dockerPublishedPorts, exposedOnlyByDocker } from './support/docker';

export const RULE_FAILED = 'rule-failed';

/** Most severe first, from shared/severity.ts (zod-free, so the CLI's scan path stays light). */
const RANK = new Map<Severity, number>(SEVERITIES.map((s, i) => [s, i]));

function findingId(ruleId: string, instance: string | null): string {
  return `${ruleId}@${instance ?? 'host'}`;
}

/** Fixes that close a way in at the server's socket, the firewall or a proxy. */
const SOCKET_FIXES = new Set([
  'rebind-launchd',
  'rebind-windows',
  'share-allowlist',
  'share-vpn',
  'share-proxy',
  'rebind-systemd',
  'rebind-server',
  'block-port',
  'enable-firewall',
  'docker-localhost',
  'proxy-auth',
]);

/** Fixes that change how a host's server is started: none reaches into a container. */
const REBIND_FIXES = new Set([
  'rebind-systemd',
  'rebind-server',
  'rebind-launchd',
  'rebind-windows',
]);
/** Fixes in the host firewall's input path, which Docker's published ports never meet. */
const HOST_FIREWALL_FIXES = new Set([
  'block-port',
  'enable-firewall',
  'share-allowlist',
  'share-vpn',
]);

/**
 * The fixes that can apply to this finding's server: publishing a container on localhost only
 * when Docker publishes it, credentials at a proxy only when a proxy is in front of it, and
 * none of those that close a socket, a port or a proxy when only a tunnel out publishes it
 * (issue 12: a tunnel reaches a loopback socket from inside; the finding names the tunnel). A
 * host-wide finding keeps them all.
 */
export function applicableFixes(
  fixes: readonly string[],
  instance: Instance | undefined,
): string[] {
  if (!instance) return [...fixes];
  // Issue 18: a container's server is not a host service (no rebind applies), and ports Docker
  // publishes are forwarded before the host firewall's input rules (no host firewall fix
  // closes them). docker-proxy on a published port is Docker's publish, not a proxy to guard.
  const inContainer = instance.containers.length > 0;
  const dockerOnly = exposedOnlyByDocker(instance);
  const published = dockerPublishedPorts(instance);
  const onlyTunnels =
    (instance.tunnels?.length ?? 0) > 0 &&
    !instance.listeners.some((l) => l.reachableVia.some((p) => p.open));
  return fixes.filter(
    (fix) =>
      (fix !== 'docker-localhost' || instance.containers.length > 0) &&
      // A new secret only for a server shared behind a proxy.
      (fix !== 'share-proxy-rotate' || (instance.sharedBehind?.length ?? 0) > 0) &&
      // A container is put behind a proxy only once it is published on localhost (its own fix).
      (fix !== 'share-proxy' || instance.containers.length === 0) &&
      (fix !== 'proxy-auth' || instance.proxyPaths.some((p) => !published.has(p.port))) &&
      !(inContainer && REBIND_FIXES.has(fix)) &&
      !(dockerOnly && HOST_FIREWALL_FIXES.has(fix)) &&
      (fix !== 'stop-tunnel' || (instance.tunnels?.length ?? 0) > 0) &&
      !(onlyTunnels && SOCKET_FIXES.has(fix)),
  );
}

/** Fixes Paddock applies only on Linux so far (macOS and Windows have their own rebind). */
const LINUX_ONLY_FIXES = new Set([
  'rebind-server',
  'stop-request-logging',
  'stop-tunnel',
  'share-allowlist',
  'share-vpn',
  'share-proxy',
  'share-proxy-rotate',
]);

/**
 * The fixes as this platform has them: on macOS rebind-launchd, on Windows rebind-windows, in
 * rebind-systemd's place.
 */
export function platformFixes(fixes: readonly string[], platform: string): string[] {
  if (platform !== 'darwin' && platform !== 'win32') return [...fixes];
  const rebind = platform === 'darwin' ? 'rebind-launchd' : 'rebind-windows';
  const mapped = fixes
    .map((fix) => (fix === 'rebind-systemd' ? rebind : fix))
    .filter((fix) => !LINUX_ONLY_FIXES.has(fix));
  return mapped.filter((fix, i) => mapped.indexOf(fix) === i);
}

function complete(rule: Rule, finding: RuleFinding, snapshot: Snapshot): Finding {
  const instance = snapshot.instances.find((i) => i.id === finding.instance);
  return {
    id: findingId(rule.meta.id, finding.instance),
    ruleId: rule.meta.id,
    instance: finding.instance,
    severity: finding.severity ?? rule.meta.severity,
    category: rule.meta.category,
    title: finding.title ?? rule.meta.title,
    summary: finding.summary,
    attackerCan: finding.attackerCan,
    evidence: finding.evidence,
    fixes: platformFixes(applicableFixes(rule.meta.fixes, instance), snapshot.host.platform),
    references: [...rule.meta.references],
    accepted: null,
  };
}

function failure(rule: Rule, problem: string): Finding {
  return {
    id: findingId(`${RULE_FAILED}:${rule.meta.id}`, null),
    ruleId: RULE_FAILED,
    instance: null,
    severity: 'info',
    category: rule.meta.category,
    title: `Paddock could not run the check "${rule.meta.title}"`,
    summary: `The rule ${rule.meta.id} failed on this snapshot, so this risk was not checked: ${problem}`,
    attackerCan: [],
    evidence: [`Rule ${rule.meta.id}: ${problem}`],
    fixes: [],
    references: [],
    accepted: null,
  };
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return cleanText(text, 300);
}

/** Worst severity first, then host-wide before per-instance, then by instance and rule. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    RANK.get(a.severity)! - RANK.get(b.severity)! ||
    (a.instance ?? '').localeCompare(b.instance ?? '') ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.id.localeCompare(b.id)
  );
}

/**
 * Rules written for every kind of server (issue 13); the others were written for Ollama (its
 * settings, endpoints and advisories) and see only Ollama's instances.
 */
const EVERY_KIND = new Set([
  'server-exposed',
  'unclaimed-admin',
  'server-risky-feature',
  'server-cors-open',
  'server-known-exploited',
  'server-advisory',
  'shared-with-chosen',
]);

function viewFor(rule: Rule, snapshot: Snapshot): Snapshot {
  if (EVERY_KIND.has(rule.meta.id)) return snapshot;
  if (snapshot.instances.every((i) => i.kind === 'ollama')) return snapshot;
  return { ...snapshot, instances: snapshot.instances.filter((i) => i.kind === 'ollama') };
}

export function runRules(snapshot: Snapshot, rules: readonly Rule[] = RULES): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    let produced: Finding[];
    try {
      const returned: unknown = rule.evaluate(viewFor(rule, snapshot));
      if (!Array.isArray(returned)) throw new TypeError('it did not return a list of findings');
      produced = (returned as RuleFinding[]).map((finding) => complete(rule, finding, snapshot));
    } catch (error) {
      findings.push(failure(rule, describeError(error)));
      continue;
    }
    const seen = new Set<string>();
    const twice = new Set<string>();
    for (const finding of produced) {
      if (seen.has(finding.id)) twice.add(finding.instance ?? 'the host');
      else {
        seen.add(finding.id);
        findings.push(finding);
      }
    }
    if (twice.size > 0)
      findings.push(
        failure(
          rule,
          `it reported ${[...twice].join(', ')} more than once; the first finding is kept.`,
        ),
      );
  }
  return findings.sort(compareFindings);
}
