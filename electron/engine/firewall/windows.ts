/**
 * Issue 17: whether a new TCP connection gets through Windows Defender Firewall, and why.
 *
 * - The interface's network profile decides which settings and rules apply: Domain, Private or
 *   Public (Get-NetConnectionProfile). An interface with no profile (an unidentified network)
 *   is Public, as Windows treats it.
 * - That profile off: everything gets through. "Block all incoming connections"
 *   (AllowInboundRules false): nothing does, whatever the rules say.
 * - Otherwise the enabled inbound rules of that profile that match the port (a port rule) and
 *   the program (an app rule: Windows' own "Allow access" prompt makes one per program): a
 *   matching block rule wins over any allow; else an allow rule lets it in; else the
 *   profile's default inbound action (not configured: block).
 * - A rule whose program, port or remote addresses cannot be matched for sure makes the
 *   answer unknown where it could change it; unknown counts as open (exposure.ts).
 */
import type {
  FirewallDecision,
  FirewallEvaluation,
  FirewallQuery,
  FirewallStep,
  WindowsFirewallFacts,
} from '../../../shared/firewall';
import { ruleCoversProgram, ruleCoversTcpPort } from '../probes/win32/parse/firewall-rules';

type Rule = NonNullable<WindowsFirewallFacts['rules']>[number];
type Tri = boolean | null;

function step(
  decision: FirewallDecision,
  kind: FirewallStep['kind'],
  rule: string,
  where: string | null,
): FirewallStep {
  return { layer: 'windows-firewall', decision, kind, rule, where };
}

/** The parsers' own matching (probes/win32/parse/firewall-rules.ts); no program known: unknown. */
const coversPort = (rule: Rule, port: number): Tri => ruleCoversTcpPort(rule, port);
const coversProgram = (rule: Rule, program: string | null): Tri =>
  rule.program === null ? true : program === null ? null : ruleCoversProgram(rule, program);

/** Any, or LocalSubnet for a neighbour on the interface's own subnet; anything else: unknown. */
function coversPeer(rule: Rule, q: FirewallQuery): Tri {
  const items = rule.remoteAddresses
    .flatMap((a) => a.split(','))
    .map((a) => a.trim().toLowerCase());
  if (items.length === 0 || items.includes('any') || items.includes('*')) return true;
  if (items.includes('localsubnet') && q.source === 'lan') return true;
  if (items.every((i) => i === 'localsubnet') && q.source === 'internet') return false;
  return null;
}

function and(...values: Tri[]): Tri {
  if (values.includes(false)) return false;
  return values.includes(null) ? null : true;
}

function ruleText(rule: Rule): string {
  const name = rule.displayName ?? rule.name;
  return `${rule.action} rule "${name}"${rule.program ? ` for ${rule.program}` : ''}${rule.fromPrompt ? " (made by Windows' own prompt)" : ''}`;
}

export function evaluateWindowsFirewall(
  facts: WindowsFirewallFacts,
  q: FirewallQuery,
): FirewallEvaluation {
  const notes: string[] = [];
  const program = q.program ?? null;
  const profileOf = facts.interfaces?.find(
    (i) => i.alias.toLowerCase() === q.interface.toLowerCase(),
  );
  if (facts.interfaces && !profileOf)
    notes.push(
      `${q.interface} has no network profile (an unidentified network): Windows treats it as Public.`,
    );
  const profile = profileOf?.profile ?? (facts.interfaces ? 'public' : null);
  const done = (s: FirewallStep): FirewallEvaluation => ({
    decision: s.decision,
    decidedBy: [s],
    layers: [s],
    notes,
  });
  if (profile === null)
    return done(step('unknown', 'status', 'the network profiles could not be read', null));
  const where = `${profile[0]!.toUpperCase()}${profile.slice(1)} profile`;
  const settings = facts.profiles?.find((p) => p.profile === profile);
  if (!settings)
    return done(step('unknown', 'status', `the ${where}'s settings could not be read`, where));
  if (settings.enabled === false)
    return done(step('allowed', 'status', `the firewall is off for the ${where}`, where));
  if (settings.allowInboundRules === false)
    return done(
      step(
        'blocked',
        'policy',
        'all incoming connections are blocked, whatever the rules allow',
        where,
      ),
    );
  if (facts.rules === null)
    return done(step('unknown', 'status', 'the firewall rules could not be read', where));
  const matching = facts.rules
    .filter((r) => r.profiles.includes(profile))
    .map((rule) => ({
      rule,
      match: and(coversPort(rule, q.port), coversProgram(rule, program), coversPeer(rule, q)),
    }))
    .filter((m) => m.match !== false);
  const sure = (action: 'allow' | 'block') =>
    matching.find((m) => m.match === true && m.rule.action === action);
  const maybe = (action: 'allow' | 'block') =>
    matching.find((m) => m.match === null && m.rule.action === action);
  const block = sure('block');
  if (block) return done(step('blocked', 'rule', ruleText(block.rule), where));
  const allow = sure('allow');
  const defaultStep =
    settings.defaultInboundAction === 'allow'
      ? step(
          'allowed',
          'policy',
          'no rule decides, and inbound connections are allowed by default',
          where,
        )
      : step(
          'blocked',
          'policy',
          `no rule allows it, and inbound connections are blocked by default${settings.defaultInboundAction === null ? " (Windows' default)" : ''}`,
          where,
        );
  const decided = allow ? step('allowed', 'rule', ruleText(allow.rule), where) : defaultStep;
  // A rule that may or may not match, and would change the answer: unknown.
  const doubt =
    decided.decision === 'allowed' ? maybe('block') : allow ? undefined : maybe('allow');
  if (doubt)
    return done(
      step(
        'unknown',
        'rule',
        `${ruleText(doubt.rule)} may apply (its program, ports or remote addresses could not be matched for sure)`,
        where,
      ),
    );
  return done(decided);
}
