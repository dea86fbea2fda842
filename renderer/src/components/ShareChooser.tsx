/**
 * Issue 14, "share with chosen machines": the first step of that fix. Paddock offers what its
 * scan saw (the machines connected now, the clients in the log, the networks the server is
 * open on, the VPN's range), each with why; the user ticks them or types an address or a
 * prefix. The engine validates every source when it plans; nothing changes until the preview
 * that follows is applied.
 */
import { useState } from 'react';
import type { FixDialogState } from '../store';
import { useStore } from '../store';

export function ShareChooser({ fix }: { fix: FixDialogState }) {
  const previewShare = useStore((s) => s.previewShare);
  const offers = fix.offers?.offers ?? null;
  // Coming back from a preview ("Change choices") starts from the sources chosen then.
  const kept = fix.allow ?? [];
  const offered = (source: string) => offers?.some((o) => o.source === source) ?? false;
  const [picked, setPicked] = useState<string[]>(() => kept.filter(offered));
  const [typed, setTyped] = useState(() => kept.filter((s) => !offered(s)).join(', '));
  const typedList = typed
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const chosen = [...new Set([...picked, ...typedList])];
  const toggle = (source: string) =>
    setPicked((list) =>
      list.includes(source) ? list.filter((s) => s !== source) : [...list, source],
    );

  return (
    <div className="share-chooser" data-testid="share-chooser">
      <p>
        Keep the server open to the machines you choose, and closed to every other. A firewall table
        of Paddock’s own does it, for IPv4 and IPv6; this computer keeps using it as before.
      </p>
      {fix.error && (
        <div className="notice notice-bad" role="alert">
          <p>{fix.error}</p>
        </div>
      )}
      <fieldset>
        <legend>What Paddock saw</legend>
        {offers === null ? (
          <p className="loading" role="status">
            Looking at who uses it…
          </p>
        ) : offers.length === 0 ? (
          <p className="muted">Nothing to offer: no machine is connected and no network is open.</p>
        ) : (
          <ul className="offers">
            {offers.map((offer) => (
              <li key={offer.source}>
                <label>
                  <input
                    type="checkbox"
                    checked={picked.includes(offer.source)}
                    onChange={() => toggle(offer.source)}
                    data-testid={`share-offer-${offer.source}`}
                  />{' '}
                  <span className="mono">{offer.source}</span>{' '}
                  <span className="muted small">{offer.why}</span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      <label className="field">
        <span>Other addresses or networks (comma-separated)</span>
        <input
          type="text"
          className="mono"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          placeholder="192.168.1.20, fd00::20, 10.0.0.0/24"
          data-testid="share-typed"
        />
      </label>
      <div className="actions">
        <button
          type="button"
          className="button primary"
          disabled={chosen.length === 0}
          onClick={() => previewShare(chosen)}
          data-testid="share-preview"
        >
          {chosen.length === 0
            ? 'Choose at least one machine'
            : `Preview sharing with ${chosen.length === 1 ? chosen[0] : `${chosen.length} sources`}`}
        </button>
      </div>
    </div>
  );
}
