import { useEffect } from 'react';
import { Badge } from '../components/Badge';
import { SeverityBadge } from '../components/FindingCard';
import { RUN_STATE_LABEL, newestFirst, relativeTime, runStateTone, shortDateTime } from '../format';
import { useStore } from '../store';

export function History() {
  const history = useStore((s) => s.history);
  const loading = useStore((s) => s.historyLoading);
  const loadHistory = useStore((s) => s.loadHistory);
  const undoRun = useStore((s) => s.undoRun);

  useEffect(() => {
    if (!history) void loadHistory();
  }, [history, loadHistory]);

  if (!history)
    return (
      <div className="stack">
        <h1>History</h1>
        <p className="loading" role="status">
          {loading ? 'Reading the history…' : 'No history yet.'}
        </p>
      </div>
    );
  const events = newestFirst(history.events);
  return (
    <div className="stack">
      <div className="row spread">
        <h1>History</h1>
        <button
          type="button"
          className="button ghost small"
          onClick={() => void loadHistory()}
          disabled={loading}
        >
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {history.problems.length > 0 && (
        <div className="notice notice-warn" data-testid="history-problems">
          <p>
            <strong>Some of the history could not be read:</strong>
          </p>
          <ul>
            {history.problems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <section className="card" aria-labelledby="runs-heading">
        <h2 id="runs-heading" className="section-title">
          Fixes <span className="count">{history.runs.length}</span>
        </h2>
        {history.runs.length === 0 ? (
          <p className="muted">No fix has been applied yet.</p>
        ) : (
          <ul className="plain runs">
            {history.runs.map((run) => (
              <li key={run.id} className="run" data-testid={`run-${run.id}`}>
                <div className="row spread">
                  <div>
                    <strong>{run.plan.title}</strong>{' '}
                    <Badge tone={runStateTone(run.state)}>{RUN_STATE_LABEL[run.state]}</Badge>
                    <p className="muted small">
                      <time dateTime={run.startedAt} title={run.startedAt}>
                        {shortDateTime(run.startedAt)}
                      </time>
                      <span className="mono"> · {run.plan.fixId}</span>
                      {run.plan.instance && <span className="mono"> · {run.plan.instance}</span>}
                    </p>
                  </div>
                  {run.state === 'applied' && (
                    <button
                      type="button"
                      className="button small"
                      data-testid={`history-undo-${run.id}`}
                      onClick={() => void undoRun(run.id)}
                    >
                      Undo
                    </button>
                  )}
                </div>
                <p className="small">{run.outcome}</p>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="events-heading">
        <h2 id="events-heading" className="section-title">
          Events <span className="count">{events.length}</span>
        </h2>
        {events.length === 0 ? (
          <p className="muted">Nothing has happened yet.</p>
        ) : (
          <ol className="plain events">
            {events.map((event) => (
              <li key={event.id} className="event" data-testid="history-event">
                <SeverityBadge severity={event.severity} />
                <div>
                  <p>{event.message}</p>
                  <p className="muted small">
                    <time dateTime={event.at} title={shortDateTime(event.at)}>
                      {relativeTime(event.at)}
                    </time>{' '}
                    · {event.kind}
                    {event.instance && <span className="mono"> · {event.instance}</span>}
                  </p>
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
