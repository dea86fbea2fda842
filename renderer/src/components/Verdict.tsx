import type { ScanView } from '../../../shared/api';
import {
  EXPOSURE_TONE,
  VERDICT_MEANING,
  VERDICT_MEANING_KINDS,
  firewallUnread,
  reachSentence,
  recommendedAction,
  serverName,
  sharingOf,
  verdictSentence,
} from '../format';
import { useStore } from '../store';
import { RecommendedAction } from './RecommendedAction';
import { ScanTime, useScanFreshness } from './ScanTime';
import { Score } from './Score';

/**
 * The verdict in one sentence, one sentence per server with the deciding fact, the one
 * recommended action, and the score. Out of date (the latest scan failed) and stale (older
 * than the watcher's interval) say so; a firewall that could not be read makes it "probably".
 */
export function Verdict({ view }: { view: ScanView }) {
  const { snapshot } = view;
  const verdict = snapshot.verdict;
  const tone = EXPOSURE_TONE[verdict];
  const shared = sharingOf(snapshot);
  const elevating = useStore((s) => s.elevating);
  const scanElevated = useStore((s) => s.scanElevated);
  const exposed = verdict === 'lan' || verdict === 'internet';
  const probably = exposed && !shared && firewallUnread(snapshot);
  const { outOfDate: scanError, stale } = useScanFreshness(snapshot.takenAt);
  const recommended = recommendedAction(view.findings, snapshot);
  const several = snapshot.instances.length > 1;
  const shown = exposed
    ? snapshot.instances.filter((i) => i.exposure !== 'private')
    : snapshot.instances;
  const headline = shared
    ? shared.headline
    : probably
      ? `Probably ${verdictSentence(verdict).toLowerCase()}: firewall not checked`
      : verdictSentence(verdict);
  return (
    <section
      className={`verdict-panel tone-${tone}${scanError ? ' is-out-of-date' : ''}`}
      aria-labelledby="verdict-heading"
      data-testid="verdict-panel"
      data-out-of-date={scanError ? 'true' : undefined}
      data-stale={stale ? 'true' : undefined}
    >
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
          data-probably={probably ? 'true' : undefined}
        >
          <span className="verdict-dot" aria-hidden="true" />
          {headline}
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
        {shown.length > 0 && (
          <ul className="reasons" aria-label="How Paddock knows" data-testid="verdict-reasons">
            {shown.map((instance) => (
              <li key={instance.id}>
                {several && <strong>{serverName(instance)}: </strong>}
                {reachSentence(instance, snapshot)}
              </li>
            ))}
          </ul>
        )}
        {probably && (
          <div className="elevate-row" data-testid="firewall-unread">
            <button
              type="button"
              className="button"
              data-testid="check-elevated"
              disabled={elevating}
              onClick={() => void scanElevated()}
            >
              {elevating ? 'Waiting for admin rights…' : 'Check with admin rights…'}
            </button>
            <span className="muted small">
              Paddock asks for your admin password once to read the firewall’s rules, then scans
              again. Nothing is changed.
            </span>
          </div>
        )}
        {exposed && recommended && <RecommendedAction recommendation={recommended} />}
        <ScanTime snapshot={snapshot} />
        <details className="disclosure small">
          <summary>Details</summary>
          <ul className="bullets muted" data-testid="verdict-evidence">
            {snapshot.verdictReasons.map((reason, i) => (
              <li key={i}>{reason}</li>
            ))}
            {snapshot.instances.map((i) => (
              <li key={i.id}>
                {serverName(i)}: <span className="mono">{i.id}</span>
              </li>
            ))}
          </ul>
        </details>
      </div>
      <Score view={view} />
    </section>
  );
}
