import { useState } from 'react';
import type { Finding } from '../../../shared/findings';
import { SEVERITY_LABEL, humanText, serverNameOf, shortDateTime } from '../format';
import { useStore } from '../store';
import { AcceptRiskForm } from './AcceptRiskForm';
import { Badge } from './Badge';
import { FixButtons } from './FixButtons';

export function SeverityBadge({ severity }: { severity: Finding['severity'] }) {
  const tone =
    severity === 'critical'
      ? 'critical'
      : severity === 'high'
        ? 'bad'
        : severity === 'medium'
          ? 'warn'
          : 'info';
  return <Badge tone={tone}>{SEVERITY_LABEL[severity]}</Badge>;
}

/** Acceptance state of a finding, with Withdraw. */
export function AcceptedNote({ finding }: { finding: Finding }) {
  const withdrawRisk = useStore((s) => s.withdrawRisk);
  const pending = useStore((s) => s.pendingRisks.includes(finding.id));
  if (!finding.accepted) return null;
  return (
    <div className="accepted-note">
      <p>
        <strong>Risk accepted</strong> {shortDateTime(finding.accepted.acceptedAt)}
        {finding.accepted.expiresAt
          ? `, until ${shortDateTime(finding.accepted.expiresAt)}`
          : ', until withdrawn'}
        : <q>{finding.accepted.reason}</q>
      </p>
      <button
        type="button"
        className="button small"
        disabled={pending}
        data-testid={`withdraw-${finding.id}`}
        onClick={() => void withdrawRisk(finding.id, finding.ruleId, finding.instance)}
      >
        {pending ? 'Withdrawing…' : 'Withdraw'}
      </button>
    </div>
  );
}

/** A finding on the overview: what is wrong, and what to do about it. */
export function FindingCard({ finding }: { finding: Finding }) {
  const navigate = useStore((s) => s.navigate);
  const snapshot = useStore((s) => s.scanView?.snapshot ?? null);
  const [accepting, setAccepting] = useState(false);
  const server = snapshot ? serverNameOf(snapshot, finding.instance) : null;
  const accepted = finding.accepted !== null;
  return (
    <article
      className={`card finding ${accepted ? 'is-accepted' : ''}`}
      data-testid={`finding-${finding.id}`}
      data-accepted={accepted ? 'true' : 'false'}
      aria-labelledby={`title-${finding.id}`}
    >
      <header className="finding-head">
        <SeverityBadge severity={finding.severity} />
        {accepted && <Badge tone="neutral">Accepted</Badge>}
        <h3 id={`title-${finding.id}`} className="finding-title">
          <button
            type="button"
            className="link-button"
            onClick={() => navigate('finding', finding.id)}
          >
            {finding.title}
          </button>
        </h3>
        {server && <span className="muted small finding-server">{server}</span>}
      </header>
      <p className="finding-summary">
        {snapshot ? humanText(finding.summary, snapshot) : finding.summary}
      </p>
      <AcceptedNote finding={finding} />
      {accepting ? (
        <AcceptRiskForm finding={finding} onDone={() => setAccepting(false)} />
      ) : (
        <div className="actions">
          <FixButtons finding={finding} quiet={accepted} />
          <button
            type="button"
            className="button ghost"
            onClick={() => navigate('finding', finding.id)}
          >
            Details
          </button>
          {!accepted && (
            <button
              type="button"
              className="button ghost"
              data-testid={`accept-${finding.id}`}
              onClick={() => setAccepting(true)}
            >
              Accept risk
            </button>
          )}
        </div>
      )}
    </article>
  );
}
