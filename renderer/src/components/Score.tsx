/**
 * The score beside the verdict, explained: its number and word (docs/score.md, "Label") on a
 * button that opens how it is made (a disclosure): what each open finding takes off, the
 * verdict's cap, and what each fix would give at best ("Listen on this computer only → up to
 * 100"). Everything comes from the engine's posture (Posture.breakdown); nothing is computed
 * here. No server, no score: nothing is shown.
 *
 * Test ids: `score-button` (aria-expanded), `score` (the number), `score-label` (the word),
 * `score-breakdown` (the open panel), `score-fix-<fixId>` (each fix's row).
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { ScanView } from '../../../shared/api';
import type { ScoreLabel } from '../../../shared/findings';
import type { Exposure, Instance } from '../../../shared/snapshot';
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import { SEVERITY_LABEL, fixLabel } from '../format';
import './Score.css';

const LABEL_TONE: Readonly<Record<ScoreLabel, 'ok' | 'warn' | 'bad'>> = {
  Good: 'ok',
  Fair: 'warn',
  Shared: 'warn',
  'At risk': 'bad',
  Exposed: 'bad',
};

/** The fixes listed: the ones that gain the most (the findings' cards list every fix). */
const MAX_FIXES = 4;

/** Why the verdict caps the score, in the verdict's own words. */
const CAP_WORDS: Readonly<Record<Exposure, string>> = {
  private: 'Private to this computer',
  unknown: 'Not proven private',
  lan: 'Reachable from the local network',
  internet: 'Reachable from the internet',
};

const AFTER_WORDS: Readonly<Record<Exposure, string>> = {
  private: 'private to this computer',
  unknown: 'exposure unknown',
  lan: 'still reachable from the local network',
  internet: 'still reachable from the internet',
};

/** Points as a short number: 20, 5.5, 4.25, 3.02 (two decimals at most, never rounded up). */
function points(value: number): string {
  return String(Number((Math.floor(value * 100 + 1e-9) / 100).toFixed(2)));
}

/** "Ollama · port 11434": which server a fix is for, when there are several. */
function serverWords(instance: Instance | undefined): string | null {
  if (!instance) return null;
  const port = instance.listeners[0]?.port;
  const kind = SERVER_KIND_NAMES[instance.kind] ?? instance.kind;
  return port === undefined ? kind : `${kind} · port ${port}`;
}

export function Score({ view }: { view: ScanView }) {
  const { posture, findings, snapshot } = view;
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    const onPointer = (event: PointerEvent) => {
      if (box.current && !box.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
    };
  }, [open]);

  const score = posture.score;
  if (score === null) return null;
  const label = posture.label ?? null;
  const tone = label ? LABEL_TONE[label] : score >= 80 ? 'ok' : score >= 50 ? 'warn' : 'bad';
  const breakdown = posture.breakdown ?? null;
  const titles = new Map(findings.map((f) => [f.id, f.title]));
  const several = snapshot.instances.length > 1;
  const capped = breakdown !== null && Math.min(100, breakdown.raw) > breakdown.cap;
  /** The fixes that raise the score, best first (the engine's order), at most MAX_FIXES. */
  const gaining = (breakdown?.fixes ?? []).filter((f) => f.gain > 0).slice(0, MAX_FIXES);

  return (
    <div className={`score-box tone-${tone}`} ref={box}>
      <button
        ref={button}
        type="button"
        className="score-button"
        aria-expanded={open}
        aria-controls={panelId}
        data-testid="score-button"
        onClick={() => setOpen((o) => !o)}
      >
        <span className="score-dial">
          <svg viewBox="0 0 100 100" className="score-ring" aria-hidden="true">
            <circle cx="50" cy="50" r="42" className="score-track" />
            {score > 0 && (
              <circle
                cx="50"
                cy="50"
                r="42"
                className="score-value"
                strokeDasharray={`${(score / 100) * 263.9} 263.9`}
                transform="rotate(-90 50 50)"
              />
            )}
          </svg>
          <span className="score-text">
            <span className="visually-hidden">Score </span>
            <span className="score-number" data-testid="score">
              {score}
            </span>
            <span className="score-caption">of 100</span>
          </span>
        </span>
        {label && (
          <span className="score-word" data-testid="score-label">
            {label}
          </span>
        )}
        <span className="score-why">
          How it’s made <span aria-hidden="true">{open ? '▴' : '▾'}</span>
        </span>
      </button>
      <div
        id={panelId}
        className="score-breakdown"
        data-testid="score-breakdown"
        hidden={!open}
        role="region"
        aria-label="How the score is made"
      >
        {breakdown === null ? (
          <p className="muted small">Paddock has no breakdown for this score.</p>
        ) : (
          <>
            <table className="score-table">
              <caption>How the score is made</caption>
              <thead className="visually-hidden">
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Points</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">Start</th>
                  <td>100</td>
                </tr>
                {breakdown.findings.map((part) => (
                  <tr key={part.findingId} data-testid="score-part">
                    <th scope="row">
                      <span className={`score-severity sev-${part.severity}`}>
                        {SEVERITY_LABEL[part.severity]}
                      </span>{' '}
                      {titles.get(part.findingId) ?? 'A finding'}
                    </th>
                    <td>−{points(part.cost)}</td>
                  </tr>
                ))}
                {breakdown.findings.length > 0 && (
                  <tr className="score-subtotal">
                    <th scope="row">After the findings (rounded down)</th>
                    <td>{Math.max(0, breakdown.raw)}</td>
                  </tr>
                )}
                {capped && (
                  <tr className="score-cap">
                    <th scope="row">
                      {CAP_WORDS[posture.verdict]}: at most {breakdown.cap}, whatever is fixed
                      besides
                    </th>
                    <td>≤ {breakdown.cap}</td>
                  </tr>
                )}
                <tr className="score-total">
                  <th scope="row">Score{label ? `: ${label}` : ''}</th>
                  <td>{score}</td>
                </tr>
              </tbody>
            </table>
            {posture.accepted > 0 && (
              <p className="muted small">
                {posture.accepted === 1
                  ? '1 accepted finding is not counted.'
                  : `${posture.accepted} accepted findings are not counted.`}
              </p>
            )}
            {gaining.length > 0 && (
              <>
                <h3 className="score-fixes-title">What each fix would give, at best</h3>
                <ul className="score-fixes">
                  {gaining.map((fix) => {
                    const server = several
                      ? serverWords(snapshot.instances.find((i) => i.id === fix.instance))
                      : null;
                    return (
                      <li
                        key={`${fix.fixId}:${fix.instance ?? ''}`}
                        data-testid={`score-fix-${fix.fixId}`}
                      >
                        <span className="score-fix-name">
                          {fixLabel(fix.fixId)}
                          {server ? ` (${server})` : ''}
                        </span>
                        <span className="score-fix-after">
                          → up to <strong>{fix.scoreAfter}</strong>
                          {fix.gain > 0 ? ` (+${fix.gain})` : ''}
                        </span>
                        <span className="score-fix-note muted small">
                          {fix.closesExposure ? `${AFTER_WORDS[fix.verdictAfter]}; ` : ''}
                          {fix.resolves.length === 1
                            ? 'resolves 1 finding'
                            : `resolves ${fix.resolves.length} findings`}
                        </span>
                      </li>
                    );
                  })}
                </ul>
              </>
            )}
            <p className="muted small score-foot">
              Each open finding takes off less than the one before of its severity; the verdict sets
              the best score. The formula is in Paddock’s docs (score.md).
            </p>
          </>
        )}
      </div>
    </div>
  );
}
