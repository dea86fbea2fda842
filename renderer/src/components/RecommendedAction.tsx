import { useId, useState } from 'react';
import type { Recommendation } from '../format';
import { actionEffect, actionLabel, isPlannableFix } from '../format';
import { useStore } from '../store';

/**
 * Issue 18: the one thing to do, in the verdict panel. A primary button that names the action
 * ("Make Ollama private to this computer"), one line on what it changes, and "Other ways…" for
 * the finding's other fixes and sharing safely. Each opens the fix dialog, as the finding's own
 * fix buttons do.
 */
export function RecommendedAction({ recommendation }: { recommendation: Recommendation }) {
  const openFix = useStore((s) => s.openFix);
  const [others, setOthers] = useState(false);
  const id = useId();
  const { fixId, finding, instance } = recommendation;
  const open = (fix: string) => openFix(fix, finding.id, finding.instance);
  const alternatives = [...recommendation.alternatives, ...recommendation.share];
  return (
    <div className="recommended" data-testid="recommended">
      <p className="recommended-lead">Recommended</p>
      <div className="recommended-row">
        <button
          type="button"
          className="button primary large"
          data-testid="recommended-action"
          data-fix={fixId}
          aria-describedby={`${id}-effect`}
          onClick={() => open(fixId)}
        >
          {recommendation.label}
        </button>
        {alternatives.length > 0 && (
          <button
            type="button"
            className="button ghost"
            aria-expanded={others}
            aria-controls={`${id}-others`}
            data-testid="other-ways"
            onClick={() => setOthers(!others)}
          >
            Other ways…
          </button>
        )}
      </div>
      <p id={`${id}-effect`} className="small recommended-effect">
        {recommendation.effect} You see every change before anything happens.
      </p>
      {others && (
        <ul id={`${id}-others`} className="other-ways" data-testid="other-ways-list">
          {alternatives.map((alt) => (
            <li key={alt}>
              <button
                type="button"
                className="button small"
                data-testid={`other-way-${alt}`}
                onClick={() => open(alt)}
              >
                {actionLabel(alt, instance)}
                {isPlannableFix(alt) ? '' : ' (by hand)'}
              </button>{' '}
              <span className="muted small">{actionEffect(alt, instance)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
