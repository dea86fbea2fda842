import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import type { Finding } from '../../../shared/findings';
import { validateAcceptance } from '../format';
import { useStore } from '../store';

/** Accept a finding's risk: a reason (required) and an optional end date. */
export function AcceptRiskForm({ finding, onDone }: { finding: Finding; onDone: () => void }) {
  const acceptRisk = useStore((s) => s.acceptRisk);
  const pending = useStore((s) => s.pendingRisks.includes(finding.id));
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const invalid = validateAcceptance(reason, until);
    setProblem(invalid);
    if (invalid) return;
    const ok = await acceptRisk(
      finding.id,
      finding.ruleId,
      finding.instance,
      reason,
      until || null,
    );
    if (ok) onDone();
  };

  return (
    <form
      className="accept-form"
      onSubmit={submit}
      noValidate
      aria-label={`Accept the risk: ${finding.title}`}
    >
      <div className="field">
        <label htmlFor={`${id}-reason`}>Why is this acceptable?</label>
        <textarea
          id={`${id}-reason`}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          rows={2}
          maxLength={2000}
          required
          aria-invalid={problem !== null && reason.trim() === ''}
          aria-describedby={problem ? `${id}-problem` : undefined}
          placeholder="e.g. This workstation is on an isolated lab network"
          autoFocus
        />
      </div>
      <div className="field field-inline">
        <label htmlFor={`${id}-until`}>Until (optional)</label>
        <input
          id={`${id}-until`}
          type="date"
          value={until}
          onChange={(e) => setUntil(e.target.value)}
        />
      </div>
      {problem && (
        <p className="form-problem" id={`${id}-problem`} role="alert">
          {problem}
        </p>
      )}
      <div className="actions">
        <button
          type="submit"
          className="button"
          disabled={pending}
          data-testid={`accept-submit-${finding.id}`}
        >
          {pending ? 'Accepting…' : 'Accept risk'}
        </button>
        <button type="button" className="button ghost" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
