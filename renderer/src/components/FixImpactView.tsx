/**
 * Issue 18, the fix dialog's first and last words: "What changes for you" before a fix (who
 * keeps access, who loses it, how long it lasts, the lasting fix offered), the proof after it
 * (the state before → after, what the rescan checked, a check to run from another device), and
 * an undo that re-exposes the server as a warning. The words come from fix-impact.ts (pure).
 */
import type { FixImpact, FixProof, ImpactTone, UndoNotice } from '../fix-impact';
import { CopyButton } from './CopyButton';
import './fix-dialog.css';

const MARK: Readonly<Record<ImpactTone, string>> = {
  keep: '✓',
  lose: '✕',
  time: '',
  note: 'i',
};

/** A clock, for how long a change lasts (an emoji may have no glyph in the system's fonts). */
function ClockIcon() {
  return (
    <svg
      className="clock-icon"
      width="14"
      height="14"
      viewBox="0 0 16 16"
      aria-hidden="true"
      focusable="false"
    >
      <circle cx="8" cy="8" r="6.25" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
const MARK_WORD: Readonly<Record<ImpactTone, string>> = {
  keep: 'Keeps working:',
  lose: 'Loses access:',
  time: 'How long:',
  note: 'Note:',
};

/** A padlock, for "needs admin": decorative, the words say it. */
export function LockIcon() {
  return (
    <svg
      className="lock-icon"
      width="14"
      height="14"
      viewBox="0 0 16 16"
      aria-hidden="true"
      focusable="false"
    >
      <path
        fill="currentColor"
        d="M8 1a3.5 3.5 0 0 0-3.5 3.5V7H4a1.5 1.5 0 0 0-1.5 1.5v5A1.5 1.5 0 0 0 4 15h8a1.5 1.5 0 0 0 1.5-1.5v-5A1.5 1.5 0 0 0 12 7h-.5V4.5A3.5 3.5 0 0 0 8 1Zm-2 3.5a2 2 0 1 1 4 0V7H6V4.5Z"
      />
    </svg>
  );
}

export function WhatChanges({
  impact,
  onLasting,
}: {
  impact: FixImpact;
  onLasting: ((fixId: string) => void) | null;
}) {
  return (
    <section className="what-changes" aria-labelledby="what-changes-title" data-testid="fix-impact">
      <h3 id="what-changes-title">What changes for you</h3>
      <ul className="impact">
        {impact.lines.map((line, i) => (
          <li key={i} className={`impact-line impact-${line.tone}`} data-tone={line.tone}>
            <span className="impact-mark" aria-hidden="true">
              {line.tone === 'time' ? <ClockIcon /> : MARK[line.tone]}
            </span>
            <span className="visually-hidden">{MARK_WORD[line.tone]} </span>
            <span className="impact-text">
              <strong>{line.text}</strong>
              {line.detail && <span className="impact-detail">{line.detail}</span>}
              {line.tone === 'time' && impact.lasting && onLasting && (
                <button
                  type="button"
                  className="button small lasting"
                  data-testid="fix-lasting"
                  onClick={() => onLasting(impact.lasting!.fixId)}
                >
                  Use the lasting fix instead: {impact.lasting.label}
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
      <p className={`needs-admin-line ${impact.needsAdmin ? 'yes' : ''}`}>
        {impact.needsAdmin ? (
          <>
            <LockIcon /> Your system asks for an administrator password before anything changes.
          </>
        ) : (
          'No administrator password needed.'
        )}
      </p>
    </section>
  );
}

/** The proven new state after an applied fix. */
export function ProofView({
  proof,
  closes,
  untilReboot,
  checkedText,
  runState,
}: {
  proof: FixProof;
  /** The fix takes other machines' access away: each address is checked and a curl offered. */
  closes: boolean;
  untilReboot: boolean;
  /** What the rescan looked for, in the plan's words (for fixes that close nothing). */
  checkedText: string;
  runState: string;
}) {
  const good = proof.after === null || proof.improved || !closes;
  return (
    <>
      <div
        className={`notice ${good ? 'notice-ok' : 'notice-warn'} proof`}
        data-testid="fix-result"
        data-state={runState}
        role="status"
      >
        <p className="state-change" data-testid="state-change">
          <span className="state-before">{proof.before}</span>
          <span className="state-arrow"> → </span>
          {proof.after === null ? (
            <span className="muted">checking by scanning again…</span>
          ) : (
            <strong className="state-after" data-testid="state-after">
              {proof.after}
            </strong>
          )}
        </p>
        <p className="small">
          {proof.after === null
            ? 'Paddock checked the change before saying it is done, and is scanning this computer again for the whole picture.'
            : 'Checked by scanning this computer again after the change:'}
        </p>
        {closes ? (
          <ul className="checks" data-testid="fix-checks">
            {proof.addresses.map((a) => (
              <li key={`${a.address}|${a.port}`} data-now={a.now}>
                <span className="impact-mark" aria-hidden="true">
                  {a.now === 'refused' ? '✓' : '✕'}
                </span>
                <span>
                  <code className="mono">
                    {a.address.includes(':') ? `[${a.address}]` : a.address}:{a.port}
                  </code>{' '}
                  ({a.interface}){' '}
                  {a.now === 'refused'
                    ? proof.after === null
                      ? 'closed to other machines'
                      : 'now refused to other machines'
                    : 'still reachable from other machines'}
                </span>
              </li>
            ))}
            {proof.loopback && (
              <li data-now={proof.loopback.answers ? 'answers' : 'silent'}>
                <span className="impact-mark" aria-hidden="true">
                  {proof.loopback.answers ? '✓' : '✕'}
                </span>
                <span>
                  <code className="mono">
                    {proof.loopback.address.includes(':')
                      ? `[${proof.loopback.address}]`
                      : proof.loopback.address}
                    :{proof.loopback.port}
                  </code>{' '}
                  {proof.loopback.answers
                    ? 'still answers: apps on this computer keep working'
                    : 'does not answer: apps on this computer may not reach it'}
                </span>
              </li>
            )}
          </ul>
        ) : (
          <p className="small">{checkedText}</p>
        )}
        {untilReboot && (
          <p className="small">
            <ClockIcon /> This lasts until this computer restarts.
          </p>
        )}
      </div>
      {closes && proof.outsideChecks.length > 0 && (
        <section
          className="outside-check"
          aria-labelledby="outside-check-title"
          data-testid="outside-check"
        >
          <h3 id="outside-check-title">Check it from another device</h3>
          <p className="small">
            On another computer on the same network,{' '}
            {proof.outsideChecks.length === 1 ? 'this' : 'each of these'} should now fail (time out
            or be refused):
          </p>
          <ul className="commands outside-commands">
            {proof.outsideChecks.map((command) => (
              <li key={command} className="command">
                <code className="mono">{command}</code>
                <CopyButton text={command} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

/** After an undo: a server reachable by others again is a warning, not a success. */
export function UndoView({ notice, outcome }: { notice: UndoNotice; outcome: string }) {
  return (
    <div
      className={`notice ${notice.tone === 'ok' ? 'notice-ok' : 'notice-warn'}`}
      data-testid="fix-result"
      data-state="undone"
      data-tone={notice.tone}
      role="status"
    >
      <p>
        {notice.tone === 'warn' && (
          <span className="warn-mark" aria-hidden="true">
            !
          </span>
        )}
        <strong data-testid="undo-state">{notice.text}</strong>
      </p>
      <p className="small">
        The fix was undone: {outcome.replace(/^Undone[.:]?\s*/i, '') || 'the system is as it was.'}
      </p>
    </div>
  );
}
