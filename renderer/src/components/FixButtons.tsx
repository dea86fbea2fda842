import type { Finding } from '../../../shared/findings';
import { fixLabel, isPlannableFix } from '../format';
import { useStore } from '../store';

/** One button per fix the finding names; each opens the fix dialog. */
export function FixButtons({ finding }: { finding: Finding }) {
  const openFix = useStore((s) => s.openFix);
  if (finding.fixes.length === 0) return null;
  return (
    <>
      {finding.fixes.map((fixId, i) => (
        <button
          key={fixId}
          type="button"
          className={`button ${i === 0 && isPlannableFix(fixId) ? 'primary' : ''}`}
          data-testid={`fix-button-${fixId}`}
          onClick={() => openFix(fixId, finding.id, finding.instance)}
          title={isPlannableFix(fixId) ? 'Preview this fix' : 'See what to do by hand'}
        >
          {isPlannableFix(fixId) ? 'Fix: ' : ''}
          {fixLabel(fixId)}
        </button>
      ))}
    </>
  );
}
