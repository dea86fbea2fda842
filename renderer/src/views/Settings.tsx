import { useEffect, useId, useState } from 'react';
import type { FormEvent } from 'react';
import { shortDateTime } from '../format';
import { AdminCopy } from '../components/AdminCopy';
import { useStore } from '../store';

export function Settings() {
  const settings = useStore((s) => s.settings);
  const loading = useStore((s) => s.settingsLoading);
  const settingsError = useStore((s) => s.settingsError);
  const loadSettings = useStore((s) => s.loadSettings);
  const updateSettings = useStore((s) => s.updateSettings);
  const withdrawRisk = useStore((s) => s.withdrawRisk);
  const pending = useStore((s) => s.pendingRisks);
  const adminCopy = useStore((s) => s.adminCopy);
  const loadAdminCopy = useStore((s) => s.loadAdminCopy);
  const [interval, setIntervalText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();

  useEffect(() => {
    if (!settings && !settingsError) void loadSettings();
  }, [settings, settingsError, loadSettings]);
  useEffect(() => {
    void loadAdminCopy();
  }, [loadAdminCopy]);
  useEffect(() => {
    if (settings) setIntervalText(String(settings.preferences.scanIntervalMinutes));
  }, [settings]);

  if (!settings)
    return (
      <div className="stack">
        <h1>Settings</h1>
        {settingsError && !loading ? (
          <div className="notice notice-warn" role="alert" data-testid="settings-unavailable">
            <p>
              <strong>Paddock could not read its settings.</strong> The engine said: {settingsError}
            </p>
            <p className="small">
              Your accepted risks and preferences are unchanged on disk. Retry; if it keeps failing,
              restart Paddock.
            </p>
            <div className="actions">
              <button
                type="button"
                className="button"
                data-testid="settings-retry"
                onClick={() => void loadSettings()}
              >
                Retry
              </button>
            </div>
          </div>
        ) : (
          <p className="loading" role="status">
            Reading the settings…
          </p>
        )}
      </div>
    );

  const saveInterval = (event: FormEvent) => {
    event.preventDefault();
    const minutes = Number(interval);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
      setProblem('Give a whole number of minutes from 1 to 1440.');
      return;
    }
    setProblem(null);
    void updateSettings({ scanIntervalMinutes: minutes });
  };
  const { preferences } = settings;

  return (
    <div className="stack">
      <h1>Settings</h1>
      {settings.problem && (
        <div className="notice notice-warn" role="alert" data-testid="settings-file-problem">
          <p>
            <strong>The settings file cannot be used:</strong> {settings.problem}
          </p>
        </div>
      )}
      <section className="card" aria-labelledby="prefs-heading">
        <h2 id="prefs-heading" className="section-title">
          Watching
        </h2>
        <form className="field-row" onSubmit={saveInterval} noValidate>
          <label htmlFor={`${id}-interval`}>Scan every</label>
          <input
            id={`${id}-interval`}
            type="number"
            min={1}
            max={1440}
            step={1}
            inputMode="numeric"
            value={interval}
            onChange={(e) => setIntervalText(e.target.value)}
            aria-invalid={problem !== null}
            aria-describedby={problem ? `${id}-interval-problem` : undefined}
            className="narrow"
            data-testid="setting-interval"
          />
          <span>minutes</span>
          <button
            type="submit"
            className="button small"
            disabled={interval === String(preferences.scanIntervalMinutes)}
          >
            Save
          </button>
        </form>
        {problem && (
          <p className="form-problem" id={`${id}-interval-problem`} role="alert">
            {problem}
          </p>
        )}
        <label className="check">
          <input
            type="checkbox"
            checked={preferences.notifications}
            onChange={(e) => void updateSettings({ notifications: e.target.checked })}
            data-testid="setting-notifications"
          />
          Notify me when Ollama becomes reachable or another machine connects
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={preferences.startAtLogin}
            onChange={(e) => void updateSettings({ startAtLogin: e.target.checked })}
            data-testid="setting-start-at-login"
          />
          Start Paddock when I log in
        </label>
        <p className="muted small">
          Saved in <span className="mono">{settings.settingsPath}</span>
        </p>
      </section>
      {adminCopy && adminCopy.state.kind !== 'not-needed' && <AdminCopy view={adminCopy} />}
      <section className="card" aria-labelledby="risks-heading">
        <h2 id="risks-heading" className="section-title">
          Accepted risks <span className="count">{settings.acceptedRisks.length}</span>
        </h2>
        {settings.acceptedRisks.length === 0 ? (
          <p className="muted">
            You have not accepted any risk. Accept one from a finding on the overview.
          </p>
        ) : (
          <ul className="plain runs">
            {settings.acceptedRisks.map((risk) => {
              const key = `${risk.ruleId}@${risk.instance ?? 'host'}`;
              return (
                <li key={key} className="run" data-testid={`accepted-${key}`}>
                  <div className="row spread">
                    <div>
                      <strong className="mono">{risk.ruleId}</strong>
                      <span className="muted small mono">
                        {' '}
                        · {risk.instance ?? 'this computer'}
                      </span>
                      <p className="small">
                        <q>{risk.reason}</q>
                      </p>
                      <p className="muted small">
                        Accepted {shortDateTime(risk.acceptedAt)}
                        {risk.expiresAt
                          ? `, until ${shortDateTime(risk.expiresAt)}`
                          : ', until withdrawn'}
                      </p>
                    </div>
                    <button
                      type="button"
                      className="button small"
                      disabled={pending.includes(key)}
                      onClick={() => void withdrawRisk(key, risk.ruleId, risk.instance)}
                    >
                      Withdraw
                    </button>
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </div>
  );
}
