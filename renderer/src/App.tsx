/**
 * Paddock's window: navigation, the view shown, the fix dialog, and the error and empty states.
 *
 * Stable selectors for end-to-end tests (data-testid unless said otherwise):
 * - `verdict`: the verdict heading; its text is the sentence ("Private to this computer",
 *   "Reachable from the local network", "Reachable from the internet", "Unknown"); it also
 *   carries data-verdict.
 * - `verdict-label`: a hidden <data> element whose text and data-verdict are the raw verdict
 *   (private | lan | internet | unknown).
 * - `score`: the score, 0-100, as its text.
 * - `instance-<instance.id>`: each server card on the overview.
 * - `model-name`: each model name shown (instance cards, loaded models on Activity).
 * - `finding-<finding.id>`: each finding card (data-accepted="true" once accepted);
 *   inside it `fix-button-<fixId>` (one per finding.fixes entry, and `share-proxy` beside
 *   `share-allowlist` in the `share-safely` group), `accept-<finding.id>`
 *   (opens the accept form; submit is `accept-submit-<finding.id>`), `withdraw-<finding.id>`.
 * - `nav-<view>`: nav entries (overview, network, activity, history, settings); the current
 *   one has aria-current="page".
 * - `theme-switch`: the theme's radio group, with the radios `theme-system`, `theme-light`,
 *   `theme-dark` (the chosen one checked).
 * - `scan-now`: the header's Scan now button (data-scanning="true" while a scan runs).
 * - `fix-dialog` (data-phase: choosing | planning | preview | unsupported | applying | result |
 *   failed), `fix-back` (Change choices, from a share's preview),
 *   `fix-apply`, `fix-result` (data-state: the latest run.state, so "applied" after Apply
 *   and "undone" after Undo; "cancelled" / "not-started" when the call answered ok:false),
 *   `fix-undo`, `fix-close`, and `rescan` (the dialog's Scan again after a run). After a run
 *   or an undo the renderer rescans by itself, so the verdict behind the dialog follows.
 * - Issue 14's choosers: `share-chooser` (`share-offer-<source>`, `share-typed`,
 *   `share-preview`); `proxy-chooser` (`proxy-<software|auth|endpoints|tls>-<value>` radios,
 *   `proxy-cert`, `proxy-key`, `proxy-none-installed`) with the footer's `proxy-preview`; after
 *   an applied share-proxy, `share-secret` with `share-secret-value` and `share-snippets`; on
 *   a server card, `shared-behind`.
 * - `engine-error` with `retry`; `no-bridge` when window.paddock is missing;
 *   `ollama-not-found` / `ollama-stopped` / `ollama-unknown`; `probe-denied-<probe>`,
 *   `probe-error-<probe>`; `settings-problem`; `gpu-chart` / `gpu-empty`;
 *   `forgeable-warning`; `history-event`, `history-undo-<runId>`.
 * - Issue 18: `verdict-panel` (data-out-of-date, data-stale), `recommended-action` (the one
 *   recommended fix, data-fix; opens the fix dialog), `other-ways` with `other-way-<fixId>`,
 *   `verdict-reasons`, `firewall-unread` with `check-elevated` (scans with admin rights),
 *   `out-of-date` / `stale` badges, `copy-diagnostics` in `engine-error`, `fix-group-<fixId|none>`
 *   (findings grouped by the fix that resolves them), `accepted-section` (a collapsed
 *   "Accepted (n), not counted"), `server-line-<instance.id>` (a server in one line; its card
 *   inside), `ollama-not-found` / `ollama-stopped` / `ollama-unknown` as the neutral verdict
 *   panel when no server runs, `settings-unavailable` with `settings-retry`.
 * - <main> gets data-ready="true" once the first scan view is shown.
 */
import { useEffect } from 'react';
import type { ViewName } from '../../shared/api';
import { FirstRun } from './components/FirstRun';
import { FixDialog } from './components/FixDialog';
import { EngineErrorBanner } from './components/Notices';
import { relativeTime } from './format';
import { useStore } from './store';
import type { ThemeChoice } from './store';
import { Activity } from './views/Activity';
import { FindingDetail } from './views/FindingDetail';
import { History } from './views/History';
import { Network } from './views/Network';
import { Overview } from './views/Overview';
import { Settings } from './views/Settings';

const NAV: Array<{ view: Exclude<ViewName, 'finding'>; label: string }> = [
  { view: 'overview', label: 'Overview' },
  { view: 'network', label: 'Network' },
  { view: 'activity', label: 'Activity' },
  { view: 'history', label: 'History' },
  { view: 'settings', label: 'Settings' },
];

const THEMES: Array<{ theme: ThemeChoice; label: string }> = [
  { theme: 'system', label: 'System' },
  { theme: 'light', label: 'Light' },
  { theme: 'dark', label: 'Dark' },
];

export function App() {
  const start = useStore((s) => s.start);
  const theme = useStore((s) => s.theme);

  useEffect(() => {
    start();
  }, [start]);

  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'system') delete root.dataset.theme;
    else root.dataset.theme = theme;
  }, [theme]);

  return (
    <>
      <Shell />
      <FixDialog />
      <FirstRun />
    </>
  );
}

function Shell() {
  const view = useStore((s) => s.view);
  const navigate = useStore((s) => s.navigate);
  const ready = useStore((s) => s.ready);
  const dialogOpen = useStore((s) => s.fix !== null);
  const theme = useStore((s) => s.theme);
  const setTheme = useStore((s) => s.setTheme);
  const current = view === 'finding' ? 'overview' : view;

  return (
    <div className="shell" inert={dialogOpen}>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>Paddock</span>
        </div>
        <nav aria-label="Views">
          <ul className="nav-list">
            {NAV.map((item) => (
              <li key={item.view}>
                <button
                  type="button"
                  className="nav-item"
                  aria-current={current === item.view ? 'page' : undefined}
                  data-testid={`nav-${item.view}`}
                  onClick={() => navigate(item.view)}
                >
                  {item.label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-foot">
          {/* Three radios, one tab stop, arrows to choose: a radio group named "Theme". */}
          <fieldset
            className="theme-switch"
            role="radiogroup"
            aria-labelledby="theme-legend"
            data-testid="theme-switch"
          >
            <legend id="theme-legend" className="theme-legend">
              Theme
            </legend>
            <div className="segmented">
              {THEMES.map((item) => (
                <label key={item.theme} className="segment">
                  <input
                    type="radio"
                    name="paddock-theme"
                    value={item.theme}
                    checked={theme === item.theme}
                    onChange={() => setTheme(item.theme)}
                    data-testid={`theme-${item.theme}`}
                  />
                  <span>{item.label}</span>
                </label>
              ))}
            </div>
          </fieldset>
        </div>
      </aside>
      <div className="content-column">
        <TopBar />
        {/* In the tab order: it scrolls, and a keyboard must be able to scroll it. */}
        <main id="content" tabIndex={0} data-ready={ready ? 'true' : undefined} aria-busy={!ready}>
          <EngineErrorBanner />
          <Content />
        </main>
      </div>
    </div>
  );
}

function TopBar() {
  const available = useStore((s) => s.available);
  const scanning = useStore((s) => s.scanning);
  const scanNow = useStore((s) => s.scanNow);
  const takenAt = useStore((s) => s.scanView?.snapshot.takenAt ?? null);
  const failed = useStore((s) => s.scanError !== null);
  return (
    <header className="topbar">
      <p className="muted small" aria-live="polite">
        {scanning
          ? 'Scanning…'
          : takenAt
            ? `Last ${failed ? 'good ' : ''}scan ${relativeTime(takenAt)}${failed ? ' (the latest failed)' : ''}`
            : ''}
      </p>
      <button
        type="button"
        className="button"
        onClick={() => void scanNow()}
        disabled={!available || scanning}
        data-testid="scan-now"
        data-scanning={scanning ? 'true' : undefined}
      >
        {scanning ? 'Scanning…' : 'Scan now'}
      </button>
    </header>
  );
}

function Content() {
  const available = useStore((s) => s.available);
  const view = useStore((s) => s.view);
  const scanView = useStore((s) => s.scanView);
  const error = useStore((s) => s.error);

  if (!available)
    return (
      <div className="empty card" data-testid="no-bridge">
        <h1>Paddock’s engine is not connected</h1>
        <p className="muted">
          This page runs outside Paddock’s window, so it cannot reach the engine. Start Paddock
          itself (the desktop app, or <code>npm start</code> in a checkout).
        </p>
      </div>
    );
  if (view === 'history') return <History />;
  if (view === 'settings') return <Settings />;
  if (!scanView)
    return error ? null : (
      <div className="empty" role="status" data-testid="first-scan">
        <div className="spinner" aria-hidden="true" />
        <p>Looking for Ollama on this computer…</p>
      </div>
    );
  switch (view) {
    case 'finding':
      return <FindingDetail view={scanView} />;
    case 'network':
      return <Network view={scanView} />;
    case 'activity':
      return <Activity view={scanView} />;
    default:
      return <Overview view={scanView} />;
  }
}
