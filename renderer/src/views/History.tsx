import { useEffect, useMemo } from 'react';
import { Badge } from '../components/Badge';
import { CopyButton } from '../components/CopyButton';
import { SeverityBadge } from '../components/FindingCard';
import { kindName } from '../fix-impact';
import { RUN_STATE_LABEL, newestFirst, relativeTime, runStateTone, shortDateTime } from '../format';
import { useStore } from '../store';
import { undoReexposes, verdictTimeline } from '../../../electron/engine/history/timeline';
import type { TimelineEntry } from '../../../electron/engine/history/timeline';

const TIMELINE_TONE: Record<TimelineEntry['tone'], 'ok' | 'warn' | 'bad' | 'neutral'> = {
  ok: 'ok',
  warn: 'warn',
  bad: 'bad',
  neutral: 'neutral',
};
const TIMELINE_WORD: Record<TimelineEntry['tone'], string> = {
  ok: 'Safe',
  warn: 'Exposed',
  bad: 'Exposed',
  neutral: 'Note',
};

/** The ids behind a line, for support and the command line: under Details, with a copy button. */
function Ids({ ids }: { ids: Array<[string, string | null]> }) {
  const shown = ids.filter((pair): pair is [string, string] => pair[1] !== null);
  if (shown.length === 0) return null;
  const text = shown.map(([k, v]) => `${k}: ${v}`).join('\n');
  return (
    <details className="small">
      <summary>Details</summary>
      <dl className="muted">
        {shown.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd className="mono">{v}</dd>
          </div>
        ))}
      </dl>
      <CopyButton text={text} label="Copy details" />
    </details>
  );
}

export function History() {
  const history = useStore((s) => s.history);
  const loading = useStore((s) => s.historyLoading);
  const loadHistory = useStore((s) => s.loadHistory);
  const undoRun = useStore((s) => s.undoRun);
  const snapshot = useStore((s) => s.scanView?.snapshot ?? null);

  useEffect(() => {
    if (!history) void loadHistory();
  }, [history, loadHistory]);

  const timeline = useMemo(() => {
    if (!history) return [];
    const nameOf = (id: string | null) => {
      const instance = snapshot?.instances.find((i) => i.id === id) ?? null;
      return instance ? kindName(instance) : null;
    };
    return verdictTimeline(history.events, history.runs, { nameOf });
  }, [history, snapshot]);

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
  const nameOf = (id: string | null) => {
    const instance = snapshot?.instances.find((i) => i.id === id) ?? null;
    return instance ? kindName(instance) : 'Ollama';
  };
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
      <section className="card" aria-labelledby="timeline-heading" data-testid="history-timeline">
        <h2 id="timeline-heading" className="section-title">
          Who could reach your servers, and when
        </h2>
        {timeline.length === 0 ? (
          <p className="muted">No change in who can reach a server has been recorded yet.</p>
        ) : (
          <ol className="plain events">
            {timeline.map((entry) => (
              <li
                key={entry.id}
                className={`event timeline-${entry.tone}`}
                data-testid="timeline-entry"
                data-tone={entry.tone}
              >
                <Badge tone={TIMELINE_TONE[entry.tone]}>{TIMELINE_WORD[entry.tone]}</Badge>
                <div>
                  <p>
                    <time dateTime={entry.at} title={shortDateTime(entry.at)}>
                      {entry.when}
                    </time>{' '}
                    — {entry.sentence}
                  </p>
                  <Ids
                    ids={[
                      ['Server id', entry.details.instance],
                      ['Fix', entry.details.fixId],
                      ['Run id', entry.details.runId],
                      ['Event', entry.details.kind],
                    ]}
                  />
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>
      <section className="card" aria-labelledby="runs-heading">
        <h2 id="runs-heading" className="section-title">
          Fixes <span className="count">{history.runs.length}</span>
        </h2>
        {history.runs.length === 0 ? (
          <p className="muted">No fix has been applied yet.</p>
        ) : (
          <ul className="plain runs">
            {history.runs.map((run) => {
              const reexposed = undoReexposes(run);
              const name = nameOf(run.plan.instance);
              return (
                <li key={run.id} className="run" data-testid={`run-${run.id}`}>
                  <div className="row spread">
                    <div>
                      <strong>{run.plan.title}</strong>{' '}
                      {reexposed ? (
                        <Badge tone="warn">Undone: reachable again</Badge>
                      ) : (
                        <Badge tone={runStateTone(run.state)}>{RUN_STATE_LABEL[run.state]}</Badge>
                      )}
                      <p className="muted small">
                        <time dateTime={run.startedAt} title={run.startedAt}>
                          {shortDateTime(run.startedAt)}
                        </time>
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
                  {reexposed ? (
                    <p className="notice notice-warn small" data-testid="undo-warning">
                      {run.plan.fixId === 'block-client'
                        ? `${run.plan.verification.setting ?? 'The machine it cut off'} can reach ${name} again.`
                        : `${name} is reachable from other machines again.`}{' '}
                      Apply the fix again to close it.
                    </p>
                  ) : (
                    <p className="small">{run.outcome}</p>
                  )}
                  <Ids
                    ids={[
                      ['Run id', run.id],
                      ['Fix', run.plan.fixId],
                      ['Server id', run.plan.instance],
                      ['Outcome', reexposed ? run.outcome : null],
                    ]}
                  />
                </li>
              );
            })}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="events-heading">
        <h2 id="events-heading" className="section-title">
          All events <span className="count">{events.length}</span>
        </h2>
        {events.length === 0 ? (
          <p className="muted">Nothing has happened yet.</p>
        ) : (
          <ol className="plain events">
            {events.map((event) => (
              <li key={event.id} className="event" data-testid="history-event">
                <SeverityBadge severity={event.severity} />
                <div>
                  <p>
                    {(event.instance
                      ? event.message.split(event.instance).join(nameOf(event.instance))
                      : event.message
                    ).replace(/ \(run [0-9TZ-]+\)/, '')}
                  </p>
                  <p className="muted small">
                    <time dateTime={event.at} title={shortDateTime(event.at)}>
                      {relativeTime(event.at)}
                    </time>
                  </p>
                  <Ids
                    ids={[
                      ['Event', event.kind],
                      ['Server id', event.instance],
                    ]}
                  />
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
