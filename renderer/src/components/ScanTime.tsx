import { useEffect, useState } from 'react';
import type { Snapshot } from '../../../shared/snapshot';
import { isStale, relativeTime } from '../format';
import { useStore } from '../store';

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
 * How fresh the scan on screen is: out of date (the latest scan failed) or stale (older than
 * the watcher's interval and a margin), with the time that follows the clock.
 */
export function useScanFreshness(takenAt: string): {
  now: number;
  outOfDate: boolean;
  stale: boolean;
} {
  const now = useNow();
  const outOfDate = useStore((s) => s.scanError) !== null;
  const interval = useStore((s) => s.settings?.preferences.scanIntervalMinutes ?? 10);
  return { now, outOfDate, stale: !outOfDate && isStale(takenAt, now, interval) };
}

/** "Scanned 2 minutes ago in 40 ms", or the Out of date / Stale badge and why it matters. */
export function ScanTime({ snapshot }: { snapshot: Snapshot }) {
  const { now, outOfDate, stale } = useScanFreshness(snapshot.takenAt);
  return (
    <p className="muted small scan-time">
      {outOfDate ? (
        <span className="badge badge-warn" data-testid="out-of-date">
          Out of date
        </span>
      ) : stale ? (
        <span className="badge badge-warn" data-testid="stale">
          Stale
        </span>
      ) : null}{' '}
      {outOfDate ? 'Last good scan ' : 'Scanned '}
      <time dateTime={snapshot.takenAt} title={snapshot.takenAt}>
        {relativeTime(snapshot.takenAt, now)}
      </time>
      {outOfDate
        ? '; the latest scan failed, so this may no longer be true.'
        : stale
          ? '; Paddock has not scanned since, so this may no longer be true. Scan now to check.'
          : ` in ${Math.round(snapshot.durationMs)} ms`}
    </p>
  );
}
