/**
 * Settings, on a Mac (issue 16): the admin copy (cli/mac-admin-copy.ts). Says why it exists,
 * what state it is in, and, before any prompt, what macOS will run as root to make or remove
 * it: three lines in plain words, then (closed) every step and the exact statements and
 * arguments. Removing it is the way back, offered whenever a copy is there. A fix refused for
 * want of it opens Settings on this card (`settingsFocus`).
 */
import { useEffect, useRef } from 'react';
import type { AdminCopyView } from '../../../shared/api';
import { useStore } from '../store';

const STEPS = (bundle: string, version: string) => [
  'Make /Library/Paddock, root’s, if it is not there (clearing any ACL it inherits); stop if it is a link or anyone but root may change it. One run at a time.',
  `Check ${bundle} against Paddock’s developer signature, then copy it into a staging folder there that only root can open.`,
  'Drop what the signature leaves unchecked (.DS_Store, PkgInfo), make every file root’s, and take write and set-id rights from everyone else; folders and Info.plist stay readable so that this app can see the copy.',
  `Check the copy against Paddock’s developer signature and this build, version ${version}; stop, changing nothing, if either differs.`,
  'Put it in place of the earlier copy (only if that is still the one shown here), and remove the staging folder.',
];

function stateLine(view: AdminCopyView): { tone: 'ok' | 'warn'; text: string } {
  const { state } = view;
  switch (state.kind) {
    case 'ready':
      return {
        tone: 'ok',
        text: `Set up: version ${state.version}, in /Library/Paddock. Fixes that need admin rights run from it and ask for your password.`,
      };
    case 'absent':
      return {
        tone: 'warn',
        text: 'Not set up yet. Until it is, Paddock can’t make changes that need admin rights, such as closing a port in the firewall.',
      };
    case 'other-version':
      return {
        tone: 'warn',
        text: state.copyNewer
          ? `The admin copy is a later build (${state.copyVersion ?? 'unknown'}) than this app (${state.version}). Paddock does not replace it with an older one: update this app, or remove the copy first.`
          : `The admin copy is ${state.copyVersion ? `version ${state.copyVersion}` : 'of an unknown version'}, this app is ${state.version}: make it again so that fixes can use it.`,
      };
    case 'untrusted':
      return {
        tone: 'warn',
        text: `An admin copy of this version is there, but Paddock will not run it: ${state.why}.`,
      };
    case 'unavailable':
    case 'not-needed':
      return { tone: 'warn', text: state.why };
  }
}

export function AdminCopy({ view }: { view: AdminCopyView }) {
  const busy = useStore((s) => s.adminCopyBusy);
  const change = useStore((s) => s.changeAdminCopy);
  const navigate = useStore((s) => s.navigate);
  const focus = useStore((s) => s.settingsFocus);
  const card = useRef<HTMLElement>(null);
  const { state, install, remove, outcome } = view;
  const line = stateLine(view);
  // Arrived from a fix that needs it: this card, not the top of Settings.
  useEffect(() => {
    if (focus !== 'admin-copy' || !card.current) return;
    card.current.scrollIntoView?.({ block: 'start' });
    card.current.focus({ preventScroll: true });
    useStore.setState({ settingsFocus: null });
  }, [focus]);
  return (
    <section
      ref={card}
      tabIndex={-1}
      className="card admin-copy"
      aria-labelledby="admin-copy-heading"
      data-testid="admin-copy"
      data-state={state.kind}
    >
      <h2 id="admin-copy-heading" className="section-title">
        Admin rights on this Mac
      </h2>
      <p className="small">
        To change your firewall, Paddock needs admin rights. It won’t use them from /Applications,
        where any administrator account can swap the app without a password. Instead it keeps one
        admin copy, locked so that only macOS’s administrator (root) can change it, in
        /Library/Paddock. You set it up once, and can remove it any time.
      </p>
      {/* After a change that went through, its outcome says the same: one notice, not two. */}
      {outcome?.ok !== true && (
        <div className={`notice notice-${line.tone}`} data-testid="admin-copy-state">
          <p>{line.text}</p>
        </div>
      )}
      {outcome && (
        <div
          className={`notice notice-${outcome.ok ? 'ok' : outcome.cancelled ? 'warn' : 'bad'}`}
          role="status"
          data-testid="admin-copy-outcome"
          data-state={outcome.ok ? 'ok' : outcome.cancelled ? 'cancelled' : 'failed'}
        >
          <p>{outcome.message}</p>
          {outcome.ok && state.kind === 'ready' && (
            <div className="actions">
              <button
                type="button"
                className="button primary"
                data-testid="admin-copy-back"
                onClick={() => navigate('overview')}
              >
                Back to the overview to run the fix
              </button>
            </div>
          )}
        </div>
      )}
      {busy && (
        <p className="loading" role="status">
          Waiting for the administrator password…
        </p>
      )}
      {install && 'bundle' in state && (
        <ul className="small" data-testid="admin-copy-summary">
          <li>macOS asks for an administrator password.</li>
          <li>
            Paddock checks this app’s signature, copies it to /Library/Paddock and locks it so that
            only root can change it.
          </li>
          <li>It checks the copy again; if anything doesn’t match, nothing is changed.</li>
        </ul>
      )}
      <div className="actions">
        {install && (
          <button
            type="button"
            className="button primary"
            disabled={busy !== null}
            data-testid="admin-copy-install"
            onClick={() => void change('install')}
          >
            {state.kind === 'absent'
              ? 'Make admin copy… (asks for your password)'
              : 'Make admin copy again… (asks for your password)'}
          </button>
        )}
      </div>
      {install && 'bundle' in state && (
        <>
          <details className="raw">
            <summary>Step by step</summary>
            <ol className="small" data-testid="admin-copy-steps">
              {STEPS(state.bundle, state.version).map((step) => (
                <li key={step}>{step}</li>
              ))}
            </ol>
          </details>
          <details className="raw" data-testid="admin-copy-exact">
            <summary>What macOS runs as root, exactly</summary>
            <p className="muted small">
              One line for /bin/sh, these statements in this order, with a fresh environment:
            </p>
            <pre className="code">{install.statements.join('\n')}</pre>
            <p className="muted small">
              Its arguments: the app, its version, the signature it must have, and the build of the
              admin copy there now (none if there is none).
            </p>
            <pre className="code">{install.args.join('\n')}</pre>
          </details>
        </>
      )}
      {remove && (
        <>
          <p className="muted small" data-testid="admin-copy-remove-note">
            Removing the admin copy puts this Mac back as it was. Paddock also needs it to undo
            fixes made with admin rights: undo those first in History, or make the copy again later
            to undo them.
          </p>
          <div className="actions">
            <button
              type="button"
              className="button"
              disabled={busy !== null}
              data-testid="admin-copy-remove"
              onClick={() => void change('remove')}
            >
              Remove admin copy… (asks for your password)
            </button>
          </div>
          <details className="raw">
            <summary>What removing it runs as root</summary>
            <pre className="code">{remove.statements.join('\n')}</pre>
          </details>
        </>
      )}
    </section>
  );
}
