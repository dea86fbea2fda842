/**
 * The first-run screen (issue 18, item 8): what Paddock reads, that nothing leaves this
 * computer, why it will ask for admin rights, that it keeps watching from the tray, and an
 * offer to be notified when a server first becomes reachable (the Settings' notifications
 * preference). Shown once: Continue (or Escape) remembers it in this window's localStorage
 * (FIRST_RUN_KEY), as the theme is remembered.
 *
 * A modal <dialog> (showModal): the browser makes the rest of the window inert and keeps focus
 * inside. Test ids: `first-run`, `first-run-notify` (the checkbox), `first-run-continue`.
 * The browser tests' bridge (test/e2e/bridge/client.ts) marks it done before the page loads,
 * unless the page's address has `?first-run`.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { useStore } from '../store';
import './FirstRun.css';

export const FIRST_RUN_KEY = 'paddock.firstRunDone';

function firstRunDone(): boolean {
  try {
    return window.localStorage?.getItem(FIRST_RUN_KEY) === '1';
  } catch {
    return false;
  }
}

function rememberFirstRun(): void {
  try {
    window.localStorage?.setItem(FIRST_RUN_KEY, '1');
  } catch {
    // Storage refused (a locked-down profile): it shows again next time, nothing worse.
  }
}

export function FirstRun() {
  const [open, setOpen] = useState(() => !firstRunDone());
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const settings = useStore((s) => s.settings);
  const loadSettings = useStore((s) => s.loadSettings);
  const updateSettings = useStore((s) => s.updateSettings);
  const available = useStore((s) => s.available);
  const current = settings?.preferences.notifications ?? null;
  const [notify, setNotify] = useState<boolean | null>(null);
  const checked = notify ?? current ?? true;

  useEffect(() => {
    if (!open) return;
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    if (available && !settings) void loadSettings();
    // Only when it opens: the settings arrive later and must not reopen it.
  }, [open]);

  if (!open) return null;

  const finish = () => {
    rememberFirstRun();
    if (available && notify !== null && notify !== current)
      void updateSettings({ notifications: notify });
    dialog.current?.close();
    setOpen(false);
  };

  return (
    <dialog
      ref={dialog}
      className="first-run"
      aria-labelledby={titleId}
      data-testid="first-run"
      onCancel={(event) => {
        event.preventDefault();
        finish();
      }}
    >
      <div className="first-run-head">
        <span className="brand-mark" aria-hidden="true" />
        <h1 id={titleId}>Welcome to Paddock</h1>
        <p className="first-run-lead">
          Paddock tells you who can reach the AI model servers on this computer (Ollama and others
          like it), and helps you close them.
        </p>
      </div>
      <ul className="first-run-points">
        <li>
          <h2>What Paddock reads</h2>
          <p>
            The programs running here and the network ports they listen on, the firewall’s rules,
            and each server’s own settings (its service files, environment and configuration). All
            of it on this computer.
          </p>
        </li>
        <li>
          <h2>Nothing leaves this computer</h2>
          <p>
            No account, no cloud, no telemetry. Paddock talks only to the servers running here, and
            its scans and history stay on this computer.
          </p>
        </li>
        <li>
          <h2>Why it may ask for an administrator password</h2>
          <p>
            Only to read the firewall when it cannot otherwise, or to apply a fix you have seen and
            approved. The system’s own prompt asks each time; looking never needs it.
          </p>
        </li>
        <li>
          <h2>It keeps watching from the tray</h2>
          <p>
            Closing the window does not stop Paddock: its icon in the tray says who can reach your
            servers, and a scan runs every few minutes.
          </p>
        </li>
      </ul>
      <label className="first-run-notify">
        <input
          type="checkbox"
          checked={checked}
          onChange={(e) => setNotify(e.target.checked)}
          disabled={!available}
          data-testid="first-run-notify"
        />
        <span>
          Notify me when a server becomes reachable from other machines, or another machine connects
          to it. You can change this in Settings.
        </span>
      </label>
      <div className="first-run-foot">
        <button
          type="button"
          className="button primary"
          onClick={finish}
          data-testid="first-run-continue"
          autoFocus
        >
          Continue
        </button>
      </div>
    </dialog>
  );
}
