/**
 * The fix dialog: the exact preview of a plan (summary, warnings, admin rights, diffs,
 * commands and their undo, the verification), then the run as the engine reports it, then the
 * verified result or the rollback and why. Modal: focus stays inside, Esc closes it unless a
 * run is in progress, and focus goes back to where it was.
 */
import type { RefObject } from 'react';
import { useEffect, useRef, useState } from 'react';
import type { FixOutcome, FixPreview } from '../../../shared/api';
import {
  RUN_STATE_LABEL,
  argvText,
  fixLabel,
  journalText,
  journalTone,
  runStateTone,
} from '../format';
import type { AppliedSecret, FixDialogState } from '../store';
import { useStore } from '../store';
import { CHOOSING_FIXES, NEW_PROXY_DRAFT, resolveProxyDraft } from '../state';
import { CopyButton } from './CopyButton';
import { DiffView } from './DiffView';
import { ProxyChooser } from './ProxyChooser';
import { ShareChooser } from './ShareChooser';
import { ShareSecret } from './ShareSecret';

const FOCUSABLE =
  'a[href], button:not([disabled]), textarea:not([disabled]), input:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Keeps Tab and Shift+Tab inside the dialog, wrapping at either end. */
function trapTab(event: globalThis.KeyboardEvent, dialog: HTMLElement) {
  const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) => el.offsetParent !== null,
  );
  if (items.length === 0) {
    event.preventDefault();
    dialog.focus();
    return;
  }
  const first = items[0]!;
  const last = items[items.length - 1]!;
  const active = document.activeElement;
  const inside = active instanceof Node && dialog.contains(active) && active !== dialog;
  if (!inside) {
    event.preventDefault();
    (event.shiftKey ? last : first).focus();
  } else if (event.shiftKey && active === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && active === last) {
    event.preventDefault();
    first.focus();
  }
}

export function FixDialog() {
  const fix = useStore((s) => s.fix);
  const ref = useRef<HTMLDivElement>(null);
  const returnTo = useRef<HTMLElement | null>(null);
  const open = fix !== null;

  useEffect(() => {
    if (!open) return;
    returnTo.current =
      document.activeElement instanceof HTMLElement ? document.activeElement : null;
    ref.current?.focus();
    // On the document, not the dialog: a button that disappears (Apply, Undo) drops focus to
    // the body, and Esc and Tab must still work from there.
    const onKeyDown = (event: globalThis.KeyboardEvent) => {
      const dialog = ref.current;
      if (!dialog) return;
      if (event.key === 'Escape') {
        event.preventDefault();
        useStore.getState().closeFix();
        return;
      }
      if (event.key === 'Tab') trapTab(event, dialog);
    };
    document.addEventListener('keydown', onKeyDown);
    return () => {
      document.removeEventListener('keydown', onKeyDown);
      const target = returnTo.current;
      // The opener may have gone (a rescan re-rendered the list): then focus the main region.
      if (target && target.isConnected) target.focus();
      else document.getElementById('content')?.focus();
    };
  }, [open]);

  if (!fix) return null;
  return <OpenDialog fix={fix} dialogRef={ref} />;
}

/**
 * The dialog while it is open. A share-proxy's secret lives in this component's state only:
 * it goes when the dialog closes (this unmounts), when the fix is undone, or when the dialog
 * shows another run.
 */
function OpenDialog({
  fix,
  dialogRef,
}: {
  fix: FixDialogState;
  dialogRef: RefObject<HTMLDivElement | null>;
}) {
  const closeFix = useStore((s) => s.closeFix);
  const [held, setHeld] = useState<AppliedSecret | null>(null);
  const run = fix.outcome?.ok ? fix.outcome.run : null;
  const secret =
    held && run && run.id === held.runId && run.state === 'applied' && fix.undoOutcome?.ok !== true
      ? held.secret
      : null;
  useEffect(() => {
    if (held && secret === null) setHeld(null);
  }, [held, secret]);
  const busy = fix.phase === 'applying' || fix.undoing;

  const title = fix.preview?.kind === 'plan' ? fix.preview.plan.title : fixLabel(fix.fixId);

  return (
    <div className="backdrop">
      <div
        ref={dialogRef}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="fix-title"
        aria-busy={busy}
        tabIndex={-1}
        data-testid="fix-dialog"
        data-phase={fix.phase}
      >
        <header className="dialog-head">
          <div>
            <p className="eyebrow">Fix{fix.instance ? ` · ${fix.instance}` : ''}</p>
            <h2 id="fix-title">{title}</h2>
          </div>
          <button
            type="button"
            className="button ghost icon"
            onClick={closeFix}
            disabled={busy}
            aria-label="Close"
            data-testid="fix-close"
          >
            ✕
          </button>
        </header>
        <div className="dialog-body">
          <DialogBody fix={fix} secret={secret} />
        </div>
        <DialogFooter fix={fix} onSecret={setHeld} />
      </div>
    </div>
  );
}

function DialogBody({ fix, secret }: { fix: FixDialogState; secret: string | null }) {
  if (fix.phase === 'unsupported')
    return (
      <div className="notice">
        <p>
          Paddock cannot make this change for you: <strong>{fixLabel(fix.fixId)}</strong> is done by
          hand.
        </p>
        <p className="muted">The finding’s details and references say how.</p>
      </div>
    );
  if (fix.phase === 'choosing')
    return fix.fixId === 'share-proxy' ? <ProxyChooser fix={fix} /> : <ShareChooser fix={fix} />;
  if (fix.phase === 'planning')
    return (
      <p className="loading" role="status">
        Preparing the exact changes…
      </p>
    );
  return (
    <>
      {fix.error && (
        <div className="notice notice-bad" role="alert">
          <p>
            <strong>
              {fix.phase === 'failed' && !fix.preview
                ? 'Paddock could not plan this fix.'
                : 'Something went wrong.'}
            </strong>{' '}
            {fix.error}
          </p>
          {fix.phase === 'failed' && (
            <p className="muted small">Nothing was changed. Scan again and retry.</p>
          )}
        </div>
      )}
      {(fix.phase === 'applying' || fix.progress.length > 0 || fix.adminPrompt) && (
        <Progress fix={fix} />
      )}
      {fix.undoOutcome && fix.outcome?.ok && (
        <p className="muted small">Applied first: {fix.outcome.run.outcome}</p>
      )}
      {(fix.undoOutcome ?? fix.outcome) && <Outcome outcome={(fix.undoOutcome ?? fix.outcome)!} />}
      {secret !== null && fix.outcome?.ok && (
        <ShareSecret plan={fix.outcome.run.plan} secret={secret} />
      )}
      {fix.preview && fix.phase !== 'result' && <Preview preview={fix.preview} />}
    </>
  );
}

function Preview({ preview }: { preview: FixPreview }) {
  if (preview.kind === 'manual') {
    const { manual } = preview;
    return (
      <section aria-label="Manual fix">
        <div className="notice notice-warn">
          <p>
            <strong>Paddock will not do this one itself.</strong> {manual.reason}
          </p>
        </div>
        {manual.commands.length > 0 && (
          <>
            <h3>Commands to run yourself</h3>
            <ol className="commands">
              {manual.commands.map((argv, i) => {
                const text = argvText(argv);
                return (
                  <li key={i} className="command">
                    <code className="mono">{text}</code>
                    <CopyButton text={text} />
                  </li>
                );
              })}
            </ol>
            <CopyButton text={manual.commands.map(argvText).join('\n')} label="Copy all" />
          </>
        )}
      </section>
    );
  }
  const { plan, files, commands } = preview;
  const secrets = plan.steps.flatMap((step) => (step.kind === 'write-secret' ? [step] : []));
  return (
    <section aria-label="What will change" className="preview">
      <p className="lead">{plan.summary}</p>
      {plan.warnings.length > 0 && (
        <div className="notice notice-warn">
          <p>
            <strong>Before you go on</strong>
          </p>
          <ul>
            {plan.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      <p className={`admin ${plan.requiresAdmin ? 'admin-yes' : ''}`}>
        {plan.requiresAdmin
          ? 'Needs administrator rights: your system will ask for an administrator password (unless Paddock already runs as root).'
          : 'No administrator password needed.'}
      </p>
      {files.length > 0 && (
        <>
          <h3>Files</h3>
          {files.map((file) => (
            <DiffView key={file.path} path={file.path} diff={file.diff} />
          ))}
        </>
      )}
      {secrets.length > 0 && (
        <>
          <h3>Secret</h3>
          <ul className="secret-steps">
            {secrets.map((step) => (
              <li key={step.path}>
                <code className="mono">{step.path}</code>
                <p className="small">{step.description}</p>
                <p className="muted small">
                  Made while the fix is applied, by root; the plan holds only where it goes. Undo:
                  remove it.
                </p>
              </li>
            ))}
          </ul>
        </>
      )}
      {commands.length > 0 && (
        <>
          <h3>Commands</h3>
          <ol className="commands">
            {commands.map((command, i) => (
              <li key={i} className="command-block">
                <p className="small">{command.description}</p>
                <pre className="code">
                  <span className="prompt">$ </span>
                  {command.shown}
                </pre>
                <p className="muted small">
                  Undo: <code className="mono">{command.undo ?? 'nothing to run'}</code>
                </p>
              </li>
            ))}
          </ol>
        </>
      )}
      <h3>Then Paddock checks</h3>
      <p>{plan.verification.description}</p>
      <p className="muted small">
        If the check fails, or any step fails, every step that ran is undone.
      </p>
      <details className="raw">
        <summary>Full plan as text</summary>
        <pre className="code">{preview.text}</pre>
      </details>
    </section>
  );
}

function Progress({ fix }: { fix: FixDialogState }) {
  return (
    <section aria-label="Progress" className="progress">
      <ol className="journal" aria-live="polite">
        {fix.progress.map((entry, i) => (
          <li key={i} className={`tone-${journalTone(entry)}`}>
            {journalText(entry)}
          </li>
        ))}
        {fix.adminPrompt && (
          <li className="tone-warn">Waiting for the administrator password ({fix.adminPrompt})…</li>
        )}
        {fix.phase === 'applying' && !fix.adminPrompt && (
          <li className="loading" role="status">
            Working…
          </li>
        )}
      </ol>
    </section>
  );
}

function Outcome({ outcome }: { outcome: FixOutcome }) {
  if (!outcome.ok)
    return (
      <div
        className="notice notice-warn"
        data-testid="fix-result"
        data-state={outcome.cancelled ? 'cancelled' : 'not-started'}
        role="status"
      >
        <p>
          <strong>{outcome.cancelled ? 'Nothing was changed.' : 'The fix did not start.'}</strong>{' '}
          {outcome.message}
        </p>
      </div>
    );
  const { run } = outcome;
  const tone = runStateTone(run.state);
  return (
    <div
      className={`notice notice-${tone === 'ok' ? 'ok' : tone === 'warn' ? 'warn' : 'bad'}`}
      data-testid="fix-result"
      data-state={run.state}
      role="status"
    >
      <p>
        {/* The executor's outcome usually starts with the state's own words: say them once. */}
        {run.outcome.toLowerCase().startsWith(RUN_STATE_LABEL[run.state].toLowerCase()) ? (
          <strong>{run.outcome}</strong>
        ) : (
          <>
            <strong>{RUN_STATE_LABEL[run.state]}.</strong> {run.outcome}
          </>
        )}
      </p>
      {run.state === 'applied' && <p className="small">{run.plan.verification.description}</p>}
    </div>
  );
}

function DialogFooter({
  fix,
  onSecret,
}: {
  fix: FixDialogState;
  onSecret: (secret: AppliedSecret) => void;
}) {
  const closeFix = useStore((s) => s.closeFix);
  const applyFix = useStore((s) => s.applyFix);
  const backToChoosing = useStore((s) => s.backToChoosing);
  const previewProxy = useStore((s) => s.previewProxy);
  // No Preview while neither proxy is installed: the chooser says how to install one.
  const proxy =
    fix.phase === 'choosing' &&
    fix.fixId === 'share-proxy' &&
    !(fix.offers && (fix.offers.proxies ?? []).length === 0)
      ? resolveProxyDraft(fix.proxyDraft ?? NEW_PROXY_DRAFT, fix.offers)
      : null;
  const undoFix = useStore((s) => s.undoFix);
  const rescan = useStore((s) => s.rescanAfterFix);
  const run = fix.outcome?.ok ? fix.outcome.run : null;
  const canApply = fix.phase === 'preview' && fix.preview?.kind === 'plan';
  const undone = fix.undoOutcome?.ok === true;
  const canGoBack =
    CHOOSING_FIXES.has(fix.fixId) &&
    (fix.phase === 'preview' || (fix.phase === 'failed' && !fix.preview));
  return (
    <footer className="dialog-foot">
      {canGoBack && (
        <button type="button" className="button" onClick={backToChoosing} data-testid="fix-back">
          Change choices
        </button>
      )}
      {proxy && (
        <button
          type="button"
          className="button primary"
          disabled={proxy.choice === null}
          onClick={previewProxy}
          data-testid="proxy-preview"
        >
          {proxy.missing ?? 'Preview the exact changes'}
        </button>
      )}
      {canApply && (
        <button
          type="button"
          className="button primary"
          onClick={() =>
            void applyFix().then((secret) => {
              if (secret) onSecret(secret);
            })
          }
          data-testid="fix-apply"
        >
          Apply fix
        </button>
      )}
      {fix.phase === 'applying' && (
        <button type="button" className="button primary" disabled data-testid="fix-apply">
          Applying…
        </button>
      )}
      {run && run.state === 'applied' && !undone && (
        <button
          type="button"
          className="button"
          onClick={() => void undoFix()}
          disabled={fix.undoing}
          data-testid="fix-undo"
        >
          {fix.undoing ? 'Undoing…' : 'Undo'}
        </button>
      )}
      {(fix.phase === 'result' || fix.phase === 'failed') && (
        <button
          type="button"
          className="button"
          onClick={rescan}
          disabled={fix.undoing}
          data-testid="rescan"
        >
          Scan again
        </button>
      )}
      <button
        type="button"
        className="button ghost"
        onClick={closeFix}
        disabled={fix.phase === 'applying' || fix.undoing}
      >
        {fix.phase === 'result' ? 'Done' : 'Cancel'}
      </button>
    </footer>
  );
}
