import { useEffect, useState } from 'react';
import type { ScanView } from '../../../shared/api';
import {
  EXPOSURE_TONE,
  VERDICT_MEANING,
  VERDICT_MEANING_KINDS,
  firewallUnread,
  isStale,
  reachSentence,
  recommendedAction,
  relativeTime,
  serverName,
  sharingOf,
  verdictSentence,
} from '../format';
import { useStore } from '../store';
import { RecommendedAction } from './RecommendedAction';
import { Score } from './Score';

/** Re-renders every half minute, so "5 minutes ago" and "stale" follow the clock. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 30_000);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}

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
  const now = useNow();
  const scanError = useStore((s) => s.scanError);
  const interval = useStore((s) => s.settings?.preferences.scanIntervalMinutes ?? 10);
  const elevating = useStore((s) => s.elevating);
  const scanElevated = useStore((s) => s.scanElevated);
  const exposed = verdict === 'lan' || verdict === 'internet';
  const probably = exposed && !shared && firewallUnread(snapshot);
  const stale = !scanError && isStale(snapshot.takenAt, now, interval);
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
        <p className="muted small scan-time">
          {scanError ? (
            <span className="badge badge-warn" data-testid="out-of-date">
              Out of date
            </span>
          ) : stale ? (
            <span className="badge badge-warn" data-testid="stale">
              Stale
            </span>
          ) : null}{' '}
          {scanError ? 'Last good scan ' : 'Scanned '}
          <time dateTime={snapshot.takenAt} title={snapshot.takenAt}>
            {relativeTime(snapshot.takenAt, now)}
          </time>
          {scanError
            ? '; the latest scan failed, so this may no longer be true.'
            : stale
              ? '; Paddock has not scanned since, so this may no longer be true. Scan now to check.'
              : ` in ${Math.round(snapshot.durationMs)} ms`}
        </p>
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
