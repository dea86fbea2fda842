import type { ScanView } from '../../../shared/api';
import { useState } from 'react';
import { diagnosticsText, ollamaPresence, probeProblems } from '../format';
import { useStore } from '../store';
import { ScanTime } from './ScanTime';

/** Copies what helps a bug report (the engine's words, versions, platform; nothing secret). */
function CopyDiagnostics({ message }: { message: string }) {
  const snapshot = useStore((s) => s.scanView?.snapshot ?? null);
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const copy = () => {
    const text = diagnosticsText({
      error: message,
      snapshot,
      userAgent: navigator.userAgent,
      at: new Date().toISOString(),
    });
    navigator.clipboard.writeText(text).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
    window.setTimeout(() => setCopied('no'), 2000);
  };
  return (
    <button type="button" className="button" data-testid="copy-diagnostics" onClick={copy}>
      <span aria-live="polite">
        {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Could not copy' : 'Copy diagnostics'}
      </span>
    </button>
  );
}

/**
 * The engine refused or failed: its words, and Retry. A failed scan says that the view below
 * is the last good one, what to try, and offers the diagnostics to copy.
 */
export function EngineErrorBanner() {
  const error = useStore((s) => s.error);
  const dismiss = useStore((s) => s.dismissError);
  const scanError = useStore((s) => s.scanError);
  const kept = useStore((s) => s.scanView !== null);
  if (!error) return null;
  const scanFailed = scanError !== null && scanError.message === error.message;
  return (
    <div className="notice notice-bad banner" role="alert" data-testid="engine-error">
      {scanFailed ? (
        <>
          <p>
            <strong>
              {kept
                ? 'The latest scan failed: what you see is the last good scan, out of date.'
                : 'Paddock’s scan failed, so it cannot say who can reach Ollama yet.'}
            </strong>
          </p>
          <p className="small">
            Try Retry in a moment. If it keeps failing, restart Paddock; if that does not help, copy
            the diagnostics into a bug report.
          </p>
          <p className="small muted">The engine said: {error.message}</p>
        </>
      ) : (
        <p>
          <strong>Paddock’s engine reported a problem.</strong> {error.message}
        </p>
      )}
      <div className="actions">
        {error.retry && (
          <button
            type="button"
            className="button"
            data-testid="retry"
            onClick={() => {
              const retry = error.retry;
              dismiss();
              retry?.();
            }}
          >
            Retry
          </button>
        )}
        {scanFailed && <CopyDiagnostics message={error.message} />}
        <button type="button" className="button ghost" onClick={dismiss}>
          Dismiss
        </button>
      </div>
    </div>
  );
}

/** Probes that were denied or failed, each with what to do. */
export function ProbeNotices({ view }: { view: ScanView }) {
  const problems = probeProblems(view.snapshot);
  if (problems.length === 0 && !view.settingsProblem) return null;
  return (
    <div className="notices" data-testid="probe-notices">
      {problems.map((p) => (
        <div
          key={p.probe}
          className="notice notice-warn"
          data-testid={`probe-${p.status}-${p.probe}`}
        >
          <p>
            <strong>{p.hint}</strong>
          </p>
          {p.message && (
            <details className="disclosure small">
              <summary>Details</summary>
              <p className="muted mono">{p.message}</p>
            </details>
          )}
        </div>
      ))}
      {view.settingsProblem && (
        <div className="notice notice-warn" data-testid="settings-problem">
          <p>
            <strong>Your accepted risks are not applied:</strong> {view.settingsProblem}
          </p>
        </div>
      )}
    </div>
  );
}

/**
 * No server (issue 18): a neutral panel, never a green "Private" nor a score. Nothing runs, so
 * nothing is exposed; stopped settings and an unreadable process list say so.
 */
export function NoServerPanel({ view }: { view: ScanView }) {
  const presence = ollamaPresence(view.snapshot);
  const text = {
    running: { title: '', body: '' },
    'not-found': {
      title: 'Ollama isn’t running; nothing is exposed',
      lead: 'No Ollama found on this computer.',
      body: 'Paddock found no Ollama process, server or saved settings. If you use Ollama, install it from ollama.com or start it; Paddock checks again by itself.',
    },
    stopped: {
      title: 'Ollama isn’t running; nothing is exposed',
      lead: 'Ollama is installed but not running.',
      body: 'Its settings are here, but no server answers. When you start it (the Ollama app, or its service), Paddock checks again who can reach it.',
    },
    unknown: {
      title: 'Paddock could not see whether Ollama runs',
      lead: 'The list of programs could not be read.',
      body: 'Scan again; if it keeps failing, Paddock needs admin rights to see other users’ programs.',
    },
  }[presence] as { title: string; lead?: string; body: string };
  return (
    <section
      className="verdict-panel tone-neutral no-server"
      aria-labelledby="verdict-heading"
      data-testid={`ollama-${presence}`}
    >
      <div className="verdict-main">
        <p className="eyebrow">
          Ollama on {view.snapshot.host.hostname}
          <span className="visually-hidden">:</span>
        </p>
        <h1
          id="verdict-heading"
          className="verdict"
          data-testid="verdict"
          data-verdict="none"
          data-presence={presence}
        >
          <span className="verdict-dot" aria-hidden="true" />
          {text.title}
        </h1>
        <data
          hidden
          value={view.snapshot.verdict}
          data-testid="verdict-label"
          data-verdict={view.snapshot.verdict}
        >
          {view.snapshot.verdict}
        </data>
        {text.lead && <p className="verdict-meaning">{text.lead}</p>}
        <p className="muted">{text.body}</p>
        <ScanTime snapshot={view.snapshot} />
      </div>
    </section>
  );
}
