/** Placeholder page until the desktop-app issue: the verdict in one sentence. */
import { useEffect, useState } from 'react';
import type { PaddockApi } from '../../shared/api';
import type { Snapshot } from '../../shared/snapshot';

declare global {
  interface Window {
    paddock?: PaddockApi;
  }
}

const SENTENCE: Record<Snapshot['verdict'], string> = {
  private: 'Private to this computer',
  lan: 'Reachable from the local network',
  internet: 'Reachable from the internet',
  unknown: 'Unknown',
};

export function App() {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    window.paddock?.scan().then(setSnapshot, (e: unknown) => setError(String(e)));
  }, []);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: 24 }}>
      <h1>Paddock</h1>
      {error && <p role="alert">The scan failed: {error}</p>}
      {!snapshot && !error && <p>Scanning…</p>}
      {snapshot && (
        <section>
          <h2>{SENTENCE[snapshot.verdict]}</h2>
          <ul>
            {snapshot.verdictReasons.map((reason) => (
              <li key={reason}>{reason}</li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}
