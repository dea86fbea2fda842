/**
 * Issue 16: whether a new TCP connection gets through a Mac's firewalls, and why.
 *
 * - **pf** filters by address and port, before any socket sees the packet. macOS ships it
 *   disabled with no blocking rule in its own anchors; Paddock's block fix loads a rule for the
 *   port into an anchor of its own (`com.apple/paddock`) and enables pf. Only that anchor is
 *   read: a rule a user wrote elsewhere is not modelled, and is said to be so.
 * - **The application firewall** (System Settings › Network › Firewall, `socketfilterfw`)
 *   filters per application, not per port: an application it lets in is reachable on every
 *   interface its sockets accept, whatever the port. "Block all incoming connections" stops
 *   every application (but basic services: DHCP, Bonjour, IPsec). An application not in the
 *   list is let in automatically when it is signed and "Automatically allow downloaded signed
 *   software" is on (apps in /Applications from a vendor are; Homebrew's builds are not
 *   Developer-ID signed), else macOS asks the user the first time, and refuses until then.
 *   Stealth mode changes only what a closed port or a ping answers, never an allowed
 *   application's listening socket.
 *
 * What cannot be read is `unknown`, which counts as open (exposure.ts), and says why.
 */
import type {
  FirewallDecision,
  FirewallEvaluation,
  FirewallQuery,
  FirewallStep,
  MacFirewallFacts,
} from '../../../shared/firewall';

function step(
  layer: FirewallStep['layer'],
  decision: FirewallDecision,
  kind: FirewallStep['kind'],
  rule: string,
): FirewallStep {
  return { layer, decision, kind, rule, where: null };
}

/** A program inside an application bundle installed for everyone: signed by its vendor. */
function vendorAppBundle(program: string): boolean {
  return /^\/Applications\/[^/]+\.app\//.test(program);
}

function pfStep(pf: MacFirewallFacts['pf'], q: FirewallQuery): FirewallStep {
  if (!pf || pf.enabled === null)
    return step('pf', 'unknown', 'status', 'pf could not be read (pfctl needs admin rights)');
  if (!pf.enabled) return step('pf', 'allowed', 'status', 'pf is disabled');
  if (pf.paddockBlocks === null)
    return step('pf', 'unknown', 'status', "pf is enabled; Paddock's anchor could not be read");
  if (pf.anchorCalled === false)
    return step(
      'pf',
      'unknown',
      'status',
      "pf's main rules do not call the com.apple anchors, so Paddock's anchor may not apply",
    );
  const block = pf.paddockBlocks.find(
    (b) => b.port === q.port && (b.family === null || b.family === q.family),
  );
  return block
    ? step('pf', 'blocked', 'rule', block.rule)
    : step(
        'pf',
        'allowed',
        'policy',
        `pf is enabled; no rule of Paddock's anchor blocks port ${q.port}`,
      );
}

function applicationStep(app: MacFirewallFacts['application'], q: FirewallQuery): FirewallStep {
  const layer = 'application-firewall';
  if (!app || app.state === 'unknown')
    return step(layer, 'unknown', 'status', 'the application firewall could not be read');
  if (app.state === 'off')
    return step(layer, 'allowed', 'status', 'the application firewall is off');
  if (app.blockAll)
    return step(
      layer,
      'blocked',
      'policy',
      'the application firewall blocks all incoming connections',
    );
  const program = q.program ?? null;
  if (program === null)
    return step(
      layer,
      'unknown',
      'status',
      'the program that listens is not known, and the application firewall decides per program',
    );
  if (app.apps === null)
    return step(
      layer,
      'unknown',
      'status',
      "the application firewall's list of applications could not be read",
    );
  // The program's own entry decides; an entry for the bundle it lies in may only let it in
  // (whether a bundle's block covers a program inside it is not known).
  const exact = app.apps.find((a) => a.path === program);
  if (exact)
    return step(
      layer,
      exact.allowIncoming ? 'allowed' : 'blocked',
      'rule',
      `${exact.path}: ${exact.allowIncoming ? 'allow' : 'block'} incoming connections`,
    );
  const bundle = app.apps.find((a) => program.startsWith(`${a.path.replace(/\/+$/, '')}/`));
  if (bundle)
    return step(
      layer,
      bundle.allowIncoming ? 'allowed' : 'unknown',
      'rule',
      bundle.allowIncoming
        ? `${bundle.path}: allow incoming connections`
        : `${bundle.path}: block incoming connections (whether that covers ${program}, inside it, is not known)`,
    );
  if (vendorAppBundle(program) && app.allowSignedDownloaded !== false)
    return step(
      layer,
      app.allowSignedDownloaded ? 'allowed' : 'unknown',
      'policy',
      `${program} is not listed; signed software is allowed automatically${app.allowSignedDownloaded ? '' : ' (whether that is on could not be read)'}`,
    );
  return step(
    layer,
    'unknown',
    'policy',
    `${program} is not listed: macOS asks the user the first time it listens, and refuses until allowed`,
  );
}

export function evaluateMacFirewall(facts: MacFirewallFacts, q: FirewallQuery): FirewallEvaluation {
  const pf = pfStep(facts.pf, q);
  const app = applicationStep(facts.application, q);
  const layers = [pf, app];
  const decision: FirewallDecision = layers.some((l) => l.decision === 'blocked')
    ? 'blocked'
    : layers.some((l) => l.decision === 'unknown')
      ? 'unknown'
      : 'allowed';
  const notes: string[] = [];
  if (facts.application?.stealth)
    notes.push(
      'Stealth mode is on: it hides closed ports and pings, not a program the application firewall lets in.',
    );
  if (facts.pf?.enabled)
    notes.push("Only Paddock's own pf anchor is read; other pf rules are not modelled.");
  return {
    decision,
    decidedBy: decision === 'allowed' ? layers : layers.filter((l) => l.decision === decision),
    layers,
    notes,
  };
}
