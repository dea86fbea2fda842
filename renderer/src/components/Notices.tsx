import type { ScanView } from '../../../shared/api';
import { ollamaPresence, probeProblems } from '../format';
import { useStore } from '../store';

/** The engine refused or failed: its words, and Retry. */
export function EngineErrorBanner() {
  const error = useStore((s) => s.error);
  const dismiss = useStore((s) => s.dismissError);
  if (!error) return null;
  return (
    <div className="notice notice-bad banner" role="alert" data-testid="engine-error">
      <p>
        <strong>Paddock’s engine reported a problem.</strong> {error.message}
      </p>
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
          {p.message && <p className="muted small">{p.message}</p>}
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

/** No server: not installed, stopped, or not visible. */
export function OllamaAbsent({ view }: { view: ScanView }) {
  const presence = ollamaPresence(view.snapshot);
  if (presence === 'running') return null;
  const text = {
    'not-found': {
      title: 'No Ollama found on this computer',
      body: 'Paddock found no Ollama process, listener or saved settings. If you use Ollama, install it from ollama.com or start it, then scan again.',
    },
    stopped: {
      title: 'Ollama is not running',
      body: 'Ollama’s settings or processes are here, but no server is listening. Start it (for example `systemctl start ollama` or open the Ollama app), then scan again. The settings below are what it will use when it starts.',
    },
    unknown: {
      title: 'Paddock could not see whether Ollama runs',
      body: 'The process list could not be read. Scan again; if it keeps failing, run Paddock with admin rights.',
    },
  }[presence];
  return (
    <div className="empty card" data-testid={`ollama-${presence}`}>
      <h2>{text.title}</h2>
      <p className="muted">{text.body}</p>
    </div>
  );
}
