/**
 * Settings, on a Mac (issue 16): the admin copy (cli/mac-admin-copy.ts). Says why it exists,
 * what state it is in, and, before any prompt, exactly what macOS will run as root to make or
 * remove it: the steps in words, then the statements and arguments themselves. Removing it is
 * the way back, offered whenever a copy is there.
 */
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
        text: `Ready: version ${state.version} at /Library/Paddock/Paddock.app. Fixes that need admin rights run from it and ask for your password.`,
      };
    case 'absent':
      return {
        tone: 'warn',
        text: 'No admin copy yet: fixes that need admin rights (closing a port in the firewall) cannot run from this app.',
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
  const { state, install, remove, outcome } = view;
  const line = stateLine(view);
  return (
    <section
      className="card admin-copy"
      aria-labelledby="admin-copy-heading"
      data-testid="admin-copy"
      data-state={state.kind}
    >
      <h2 id="admin-copy-heading" className="section-title">
        Admin rights on this Mac
      </h2>
      <p className="small">
        Paddock runs its admin side only from files nobody but root can change. An app in
        /Applications is not one: any administrator account can replace it without a password.
        Paddock can keep a copy of itself in /Library/Paddock, where only root writes, and run fixes
        that need admin rights from there.
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
                className="button"
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
        <>
          <p className="small">
            When you continue, macOS asks for an administrator password, then:
          </p>
          <ol className="small" data-testid="admin-copy-steps">
            {STEPS(state.bundle, state.version).map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
          <details className="raw" data-testid="admin-copy-exact">
            <summary>What macOS runs as root, exactly</summary>
            <p className="muted small">
              One line for /bin/sh, these statements in this order, with a fresh environment:
            </p>
            <pre className="code">{install.statements.join('\n')}</pre>
            <p className="muted small">
              Its arguments: the app, its version, the signature it must have.
            </p>
            <pre className="code">{install.args.join('\n')}</pre>
          </details>
        </>
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
            {state.kind === 'absent' ? 'Make the admin copy' : 'Make it again from this app'}
          </button>
        )}
        {remove && (
          <button
            type="button"
            className="button"
            disabled={busy !== null}
            data-testid="admin-copy-remove"
            onClick={() => void change('remove')}
          >
            Remove the admin copy
          </button>
        )}
      </div>
      {remove && (
        <p className="muted small" data-testid="admin-copy-remove-note">
          Removing it is the way back. Fixes already made with admin rights are undone through the
          copy too: undo them first, or make the copy again when you want to undo them.
        </p>
      )}
      {remove && (
        <details className="raw">
          <summary>What removing it runs as root</summary>
          <pre className="code">{remove.statements.join('\n')}</pre>
        </details>
      )}
    </section>
  );
}
