import type { Finding } from '../../../shared/findings';
import { fixLabel, isPlannableFix } from '../format';
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
  if (finding.fixes.length === 0) return null;
  const close = finding.fixes.filter((f) => !SHARE_FIXES.has(f));
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
      {close.map((fixId, i) => button(fixId, i === 0 && !quiet))}
      {share.length > 0 && (
        <span className="share-group" data-testid="share-safely">
          <span className="muted small">Or share it safely:</span>
          {share.map((fixId) => button(fixId, false))}
        </span>
      )}
    </>
  );
}
