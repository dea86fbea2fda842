import { useState } from 'react';
import type { ScanView } from '../../../shared/api';
import { AcceptRiskForm } from '../components/AcceptRiskForm';
import { CopyButton } from '../components/CopyButton';
import { AcceptedNote, SeverityBadge } from '../components/FindingCard';
import { FixButtons } from '../components/FixButtons';
import { humanText, serverNameOf } from '../format';
import { useStore } from '../store';

/** A reference as a link only when it is an http(s) URL; anything else stays text. */
function Reference({ href }: { href: string }) {
  let safe = false;
  try {
    const url = new URL(href);
    safe = url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    safe = false;
  }
  return safe ? (
    <a href={href} target="_blank" rel="noreferrer">
      {href}
    </a>
  ) : (
    <span className="mono">{href}</span>
  );
}

export function FindingDetail({ view }: { view: ScanView }) {
  const findingId = useStore((s) => s.selectedFindingId);
  const navigate = useStore((s) => s.navigate);
  const [accepting, setAccepting] = useState(false);
  const finding = view.findings.find((f) => f.id === findingId) ?? null;
  const server = finding ? serverNameOf(view.snapshot, finding.instance) : null;
  const back = (
    <button type="button" className="button ghost small" onClick={() => navigate('overview')}>
      ← Overview
    </button>
  );
  if (!finding)
    return (
      <div className="stack">
        {back}
        <div className="empty card" data-testid="finding-gone">
          <h2>This finding is gone</h2>
          <p className="muted">
            The latest scan no longer reports it: it was fixed or its cause went away.
          </p>
        </div>
      </div>
    );
  return (
    <article
      className="stack"
      data-testid={`finding-detail-${finding.id}`}
      aria-labelledby="finding-heading"
    >
      {back}
      <header className="detail-head">
        <div className="row">
          <SeverityBadge severity={finding.severity} />
          <span className="muted small">{finding.category}</span>
          {server && <span className="muted small">{server}</span>}
        </div>
        <h1 id="finding-heading">{finding.title}</h1>
      </header>
      <AcceptedNote finding={finding} />
      <section className="card">
        <h2 className="section-title">Why it matters</h2>
        <p>{humanText(finding.summary, view.snapshot)}</p>
      </section>
      {finding.attackerCan.length > 0 && (
        <section className="card attacker">
          <h2 className="section-title">What someone who reaches it could do right now</h2>
          <ul className="bullets">
            {finding.attackerCan.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
        </section>
      )}
      {finding.evidence.length > 0 && (
        <section className="card">
          <h2 className="section-title">How Paddock knows</h2>
          <ol className="evidence">
            {finding.evidence.map((line, i) => (
              <li key={i} className="mono">
                {line}
              </li>
            ))}
          </ol>
        </section>
      )}
      <details className="disclosure small" data-testid="finding-ids">
        <summary>Details: ids for reports and the command line</summary>
        <dl className="facts">
          <dt>Finding</dt>
          <dd>
            <span className="mono">{finding.id}</span> <CopyButton text={finding.id} />
          </dd>
          <dt>Rule</dt>
          <dd>
            <span className="mono">{finding.ruleId}</span> <CopyButton text={finding.ruleId} />
          </dd>
          {finding.instance && (
            <>
              <dt>Server</dt>
              <dd>
                <span className="mono">{finding.instance}</span>{' '}
                <CopyButton text={finding.instance} />
              </dd>
            </>
          )}
        </dl>
      </details>
      {finding.references.length > 0 && (
        <section className="card">
          <h2 className="section-title">References</h2>
          <ul className="bullets">
            {finding.references.map((href) => (
              <li key={href}>
                <Reference href={href} />
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="card" aria-label="What to do">
        {accepting ? (
          <AcceptRiskForm finding={finding} onDone={() => setAccepting(false)} />
        ) : (
          <div className="actions">
            <FixButtons finding={finding} />
            {!finding.accepted && (
              <button type="button" className="button ghost" onClick={() => setAccepting(true)}>
                Accept risk
              </button>
            )}
          </div>
        )}
      </section>
    </article>
  );
}
