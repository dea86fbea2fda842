import type { ScanView } from '../../../shared/api';
import {
  EXPOSURE_TONE,
  VERDICT_MEANING,
  VERDICT_MEANING_KINDS,
  relativeTime,
  sharingOf,
  verdictSentence,
} from '../format';
import { Score } from './Score';

/** The verdict in one sentence, its evidence chain, and the score. */
export function Verdict({ view }: { view: ScanView }) {
  const { snapshot } = view;
  const verdict = snapshot.verdict;
  const tone = EXPOSURE_TONE[verdict];
  const shared = sharingOf(snapshot);
  return (
    <section className={`verdict-panel tone-${tone}`} aria-labelledby="verdict-heading">
      <div className="verdict-main">
        <p className="eyebrow">
          {snapshot.instances.every((i) => i.kind === 'ollama')
            ? `Ollama on ${snapshot.host.hostname} is`
            : `Local LLM servers on ${snapshot.host.hostname} are`}
          <span className="visually-hidden">:</span>
        </p>
        <h1
          id="verdict-heading"
          className="verdict"
          data-testid="verdict"
          data-verdict={verdict}
          data-shared={shared ? 'true' : undefined}
        >
          <span className="verdict-dot" aria-hidden="true" />
          {shared ? shared.headline : verdictSentence(verdict)}
        </h1>
        <data hidden value={verdict} data-testid="verdict-label" data-verdict={verdict}>
          {verdict}
        </data>
        <p className="verdict-meaning">
          {shared
            ? shared.meaning
            : snapshot.instances.every((i) => i.kind === 'ollama')
              ? VERDICT_MEANING[verdict]
              : VERDICT_MEANING_KINDS[verdict]}
        </p>
        {snapshot.verdictReasons.length > 0 && (
          <ol className="reasons" aria-label="How Paddock knows">
            {snapshot.verdictReasons.map((reason, i) => (
              <li key={i}>{reason}</li>
            ))}
          </ol>
        )}
        <p className="muted small">
          Scanned{' '}
          <time dateTime={snapshot.takenAt} title={snapshot.takenAt}>
            {relativeTime(snapshot.takenAt)}
          </time>{' '}
          in {Math.round(snapshot.durationMs)} ms
        </p>
      </div>
      <Score view={view} />
    </section>
  );
}
