/**
 * The fix dialog. It opens on what the fix changes for the user (who keeps access, who loses
 * it and who is connected now, how long it lasts, the lasting fix one click away; words from
 * fix-impact.ts), with the exact preview of the plan (summary, warnings, admin rights, diffs,
 * commands and their undo, the verification) under "Show exact changes", and an apply button
 * that names the action and says admin is needed. Then the run as the engine reports it, then
 * the proof (the state before → after from the scans before and after, each address now
 * refused, loopback answering, a check to run from another device; the engine's log under
 * Details) or the rollback and why; an undo that re-exposes the server is a warning. Modal:
 * focus stays inside, Esc closes it unless a run is in progress, and focus goes back to where
 * it was.
 */
import type { RefObject } from 'react';
import { useEffect, useRef, useState } from 'react';
import type { FixOutcome, FixPreview, ScanView } from '../../../shared/api';
import type { Instance, Snapshot } from '../../../shared/snapshot';
import { findInstance, fixImpact, fixProof, serverName, undoNotice } from '../fix-impact';
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
import { LockIcon, ProofView, UndoView, WhatChanges } from './FixImpactView';
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

/** The fixes that take other machines' access away: their proof checks each address. */
const CLOSING_FIXES: ReadonlySet<string> = new Set([
  'block-port',
  'rebind-systemd',
  'rebind-server',
  'rebind-launchd',
  'rebind-windows',
  'docker-localhost',
]);

/**
 * What the dialog knows beyond the store's fix state: the scan from before the fix (kept in
 * this component while it is open, frozen once a run starts), the server as that scan saw it,
 * the other fixes its finding offers, and the scan after the run or the undo, once one comes.
 */
interface DialogContext {
  before: Instance | null;
  otherFixes: string[];
  /** A scan taken after the run ended (null: none yet). */
  afterApply: Snapshot | null;
  /** A scan taken after the undo ended (null: none yet). */
  afterUndo: Snapshot | null;
  switchTo: (fixId: string) => void;
}

const takenAfter = (view: ScanView | null, at: string | null | undefined): Snapshot | null =>
  view && at && Date.parse(view.snapshot.takenAt) >= Date.parse(at) ? view.snapshot : null;

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
  const openFix = useStore((s) => s.openFix);
  const scanView = useStore((s) => s.scanView);
  const [held, setHeld] = useState<AppliedSecret | null>(null);
  // The scan before the fix: followed while nothing has run, frozen from Apply on.
  const [beforeView, setBeforeView] = useState<ScanView | null>(scanView);
  const frozen = fix.phase === 'applying' || fix.outcome !== null;
  useEffect(() => {
    if (!frozen) setBeforeView(scanView);
  }, [frozen, scanView]);
  const run = fix.outcome?.ok ? fix.outcome.run : null;
  const secret =
    held && run && run.id === held.runId && run.state === 'applied' && fix.undoOutcome?.ok !== true
      ? held.secret
      : null;
  useEffect(() => {
    if (held && secret === null) setHeld(null);
  }, [held, secret]);
  const busy = fix.phase === 'applying' || fix.undoing;

  const planInstance = fix.preview?.kind === 'plan' ? fix.preview.plan.instance : null;
  const before = findInstance(beforeView?.snapshot ?? null, fix.instance ?? planInstance);
  const findings = beforeView?.findings ?? [];
  const finding = findings.find((f) => f.id === fix.findingId);
  const otherFixes = finding
    ? finding.fixes
    : [...new Set(findings.filter((f) => f.instance === before?.id).flatMap((f) => f.fixes))];
  const undoRun = fix.undoOutcome?.ok ? fix.undoOutcome.run : null;
  const context: DialogContext = {
    before,
    otherFixes,
    afterApply: run ? takenAfter(scanView, run.endedAt ?? run.startedAt) : null,
    afterUndo: undoRun ? takenAfter(scanView, undoRun.endedAt ?? undoRun.startedAt) : null,
    switchTo: (fixId) => {
      openFix(fixId, fix.findingId, fix.instance);
      // The button that asked is gone with the old preview: focus stays in the dialog.
      dialogRef.current?.focus();
    },
  };

  const title = fix.preview?.kind === 'plan' ? fix.preview.plan.title : fixLabel(fix.fixId);
  const plan = fix.preview?.kind === 'plan' ? fix.preview.plan : null;

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
            <p className="eyebrow">Fix{before || plan ? ` · ${serverName(before, plan)}` : ''}</p>
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
          <DialogBody fix={fix} secret={secret} context={context} />
        </div>
        <DialogFooter fix={fix} onSecret={setHeld} context={context} />
      </div>
    </div>
  );
}

function DialogBody({
  fix,
  secret,
  context,
}: {
  fix: FixDialogState;
  secret: string | null;
  context: DialogContext;
}) {
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
  const outcome = fix.undoOutcome ?? fix.outcome;
  const finished = fix.phase === 'result' && outcome !== null;
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
      {!finished && (fix.phase === 'applying' || fix.progress.length > 0 || fix.adminPrompt) && (
        <Progress fix={fix} />
      )}
      {outcome && <Outcome fix={fix} outcome={outcome} context={context} />}
      {secret !== null && fix.outcome?.ok && (
        <ShareSecret plan={fix.outcome.run.plan} secret={secret} />
      )}
      {finished && <RunDetails fix={fix} />}
      {fix.preview && fix.phase !== 'result' && (
        <Preview
          preview={fix.preview}
          context={context}
          // No switching while a run is on or done: the dialog belongs to that run.
          canSwitch={fix.phase === 'preview'}
        />
      )}
    </>
  );
}

function Preview({
  preview,
  context,
  canSwitch,
}: {
  preview: FixPreview;
  context: DialogContext;
  canSwitch: boolean;
}) {
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
  const impact = fixImpact(plan, context.before, context.otherFixes);
  const secrets = plan.steps.flatMap((step) => (step.kind === 'write-secret' ? [step] : []));
  return (
    <>
      <WhatChanges impact={impact} onLasting={canSwitch ? context.switchTo : null} />
      <details className="exact" data-testid="fix-exact">
        <summary>Show exact changes</summary>
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
                      Made while the fix is applied, by root; the plan holds only where it goes.
                      Undo: remove it.
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
      </details>
    </>
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

/** The engine's own record of the run (and of its undo), under "Details". */
function RunDetails({ fix }: { fix: FixDialogState }) {
  const run = fix.outcome?.ok ? fix.outcome.run : null;
  const undo = fix.undoOutcome?.ok ? fix.undoOutcome.run : null;
  const journal = undo?.journal.length
    ? [...(run?.journal ?? []), ...undo.journal]
    : run?.journal.length
      ? run.journal
      : fix.progress;
  return (
    <details className="raw" data-testid="fix-details">
      <summary>Details</summary>
      <div className="run-details">
        {run && (
          <p className="small">
            {undo ? 'Applied first: ' : ''}
            {run.outcome}
          </p>
        )}
        {undo && <p className="small">{undo.outcome}</p>}
        {run && (
          <p className="muted small">
            Run <code className="mono">{run.id}</code>; Paddock’s check:{' '}
            {run.plan.verification.description}
          </p>
        )}
        {journal.length > 0 && (
          <ol className="journal">
            {journal.map((entry, i) => (
              <li key={i} className={`tone-${journalTone(entry)}`}>
                {journalText(entry)}
              </li>
            ))}
          </ol>
        )}
      </div>
    </details>
  );
}

function Outcome({
  fix,
  outcome,
  context,
}: {
  fix: FixDialogState;
  outcome: FixOutcome;
  context: DialogContext;
}) {
  if (!outcome.ok && outcome.adminCopy)
    // The Mac app in /Applications: not a failure, a one-time setup (the engine's own words,
    // sudo's and the install check's, under Details).
    return (
      <div
        className="notice notice-warn"
        data-testid="fix-result"
        data-state="not-started"
        role="status"
      >
        <p>
          <strong>One-time setup needed first.</strong> Paddock won’t make admin changes from
          /Applications, because any administrator account can replace apps there without a
          password. Make Paddock’s admin copy once, then come back to this fix. Nothing was changed.
        </p>
        <div className="actions">
          <button
            type="button"
            className="button primary"
            data-testid="fix-admin-copy"
            onClick={() => {
              useStore.getState().closeFix();
              useStore.setState({ settingsFocus: 'admin-copy' });
              useStore.getState().navigate('settings');
            }}
          >
            Set up admin copy…
          </button>
        </div>
        <p className="muted small">
          Or block Ollama in macOS’s own firewall instead: System Settings › Network › Firewall ›
          Options.
        </p>
        <details className="raw">
          <summary>What the system said</summary>
          <p className="small">{outcome.message}</p>
        </details>
      </div>
    );
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
  if (run.state === 'applied') {
    const impact = fixImpact(run.plan, context.before, context.otherFixes);
    return (
      <ProofView
        proof={fixProof(context.before, context.afterApply, run)}
        closes={CLOSING_FIXES.has(run.plan.fixId)}
        untilReboot={impact.untilReboot}
        checkedText={run.plan.verification.description}
        runState={run.state}
      />
    );
  }
  if (run.state === 'undone' && fix.undoOutcome === outcome)
    return (
      <UndoView notice={undoNotice(context.before, context.afterUndo)} outcome={run.outcome} />
    );
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
    </div>
  );
}

function DialogFooter({
  fix,
  onSecret,
  context,
}: {
  fix: FixDialogState;
  onSecret: (secret: AppliedSecret) => void;
  context: DialogContext;
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
  const plan = fix.preview?.kind === 'plan' ? fix.preview.plan : null;
  const canApply = fix.phase === 'preview' && plan !== null;
  const impact = plan ? fixImpact(plan, context.before, context.otherFixes) : null;
  const undone = fix.undoOutcome?.ok === true;
  const canGoBack =
    CHOOSING_FIXES.has(fix.fixId) &&
    (fix.phase === 'preview' || (fix.phase === 'failed' && !fix.preview));
  const action = impact?.action ?? 'Apply fix';
  const admin = impact?.needsAdmin === true;
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
      {fix.phase === 'result' && run && run.state === 'applied' && !undone && (
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
      {fix.phase === 'failed' && (
        <button type="button" className="button" onClick={rescan} data-testid="rescan">
          Scan again
        </button>
      )}
      {fix.phase !== 'result' && (
        <button
          type="button"
          className="button ghost"
          onClick={closeFix}
          disabled={fix.phase === 'applying'}
        >
          Cancel
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
          {admin && <LockIcon />}
          {action}
          {admin && (
            <>
              {/* Read as "Close port 11434, needs admin": the name is the visible words. */}
              <span className="visually-hidden">, </span>
              <span className="needs-admin-tag">needs admin</span>
            </>
          )}
        </button>
      )}
      {fix.phase === 'applying' && (
        <button type="button" className="button primary" disabled data-testid="fix-apply">
          Applying…
        </button>
      )}
      {fix.phase === 'result' && (
        <button
          type="button"
          className="button primary"
          onClick={closeFix}
          disabled={fix.undoing}
          data-testid="fix-done"
        >
          Done
        </button>
      )}
    </footer>
  );
}
