import type { Finding } from '../../../shared/findings';
import { fixApplies, fixLabel, isPlannableFix } from '../format';
import { useStore } from '../store';

/** The fixes that keep sharing instead of taking access away (issue 14). */
const SHARE_FIXES = new Set(['share-allowlist', 'share-vpn', 'share-proxy']);

/**
 * The share fixes the finding names, in the order the three ways are told: chosen machines, the
 * VPN, a password or token in front. Each recipe says when it cannot apply.
 */
function shareFixes(fixes: readonly string[]): string[] {
  return fixes.filter((f) => SHARE_FIXES.has(f));
}

/**
 * One button per fix the finding names; each opens the fix dialog. Those that close the way
 * in come first; those that share safely instead sit apart, under "Or share it safely".
 */
export function FixButtons({ finding, quiet = false }: { finding: Finding; quiet?: boolean }) {
  const openFix = useStore((s) => s.openFix);
  const snapshot = useStore((s) => s.scanView?.snapshot ?? null);
  if (finding.fixes.length === 0) return null;
  const close = finding.fixes.filter((f) => !SHARE_FIXES.has(f));
  // The primary one is the first Paddock can plan for this server (the recommended action's
  // rule: no systemd rebind for a server outside systemd or a container), not merely the first.
  const instance = snapshot?.instances.find((i) => i.id === finding.instance) ?? null;
  const primaryFix = close.find(
    (f) => isPlannableFix(f) && (snapshot === null || fixApplies(f, instance, snapshot)),
  );
  const share = shareFixes(finding.fixes);
  const button = (fixId: string, primary: boolean) => (
    <button
      key={fixId}
      type="button"
      className={`button ${primary && isPlannableFix(fixId) ? 'primary' : ''}`}
      data-testid={`fix-button-${fixId}`}
      onClick={() => openFix(fixId, finding.id, finding.instance)}
      title={isPlannableFix(fixId) ? 'Preview this fix' : 'See what to do by hand'}
    >
      {isPlannableFix(fixId) && !SHARE_FIXES.has(fixId) ? 'Fix: ' : ''}
      {fixLabel(fixId)}
    </button>
  );
  return (
    <>
      {close.map((fixId) => button(fixId, fixId === primaryFix && !quiet))}
      {share.length > 0 && (
        <span className="share-group" data-testid="share-safely">
          <span className="muted small">Or share it safely:</span>
          {share.map((fixId) => button(fixId, false))}
        </span>
      )}
    </>
  );
}
