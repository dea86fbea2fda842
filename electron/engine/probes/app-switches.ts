/**
 * The Ollama desktop app's own settings (macOS and Windows, ollama-facts.md "Where the
 * configuration lives"): its `db.sqlite` switches, as the settings resolvers of both platforms
 * read them (probes/darwin/settings.ts, probes/win32/settings.ts).
 */
import type { ProbeStatus, Setting, SettingsReport } from '../../../shared/snapshot';
import type { AppDbResult } from './app-db';

/** The names the app's switches set, and the values: each over any other value. */
export const APP_SWITCHES = [
  { field: 'expose', name: 'OLLAMA_HOST', value: '0.0.0.0', label: 'Expose Ollama to the network' },
  { field: 'browser', name: 'OLLAMA_ORIGINS', value: '*', label: 'Allow browser requests' },
] as const;

/** The app's settings as a resolver takes them: expose and browser, or why they are not known. */
export interface AppSwitches {
  path: string;
  status: ProbeStatus;
  expose: boolean | null;
  browser: boolean | null;
  message?: string;
  /** The values may be older than the app's (its WAL could not be applied): why. */
  stale?: string;
}

/**
 * What the app database's read says for the resolver: its switches; null when there is no
 * database and the app did not start the server (nothing to say); else why they are unknown.
 */
export function appSwitchesOf(
  dbPath: string,
  db: AppDbResult,
  startedByApp: boolean,
): AppSwitches | null {
  if (db.status === 'ok')
    return {
      path: dbPath,
      status: 'ok',
      expose: db.expose,
      browser: db.browser,
      ...(db.wal === 'ignored'
        ? {
            stale: `The Ollama app's recent changes (${dbPath}-wal) could not be read: its switches may be older than what the app uses.`,
          }
        : {}),
    };
  if (db.status === 'missing' && !startedByApp) return null;
  return {
    path: dbPath,
    status: db.status === 'denied' ? 'denied' : db.status === 'missing' ? 'unavailable' : 'error',
    expose: null,
    browser: null,
    message:
      db.status === 'missing'
        ? `The Ollama app runs this server, but its settings (${dbPath}) were not found: whether "Expose Ollama to the network" is on is unknown.`
        : db.message,
  };
}

export function setting(
  name: string,
  value: string,
  kind: Setting['source']['kind'],
  path: string,
  line: number | null,
  state: Setting['state'],
  reason: string,
): Setting {
  return { name, value, source: { kind, path, line }, state, reason };
}

/** The app's switches that are on (read and set). */
export function switchesOn(app: AppSwitches | null): Array<(typeof APP_SWITCHES)[number]> {
  return APP_SWITCHES.filter((s) => app?.status === 'ok' && app[s.field] === true);
}

/**
 * What the app's settings add to a report: a gap where they are stale or unread, and a setting
 * per switch that is on, in the state `stateOf` gives it (by the platform's launcher chain).
 */
export function appSwitchReport(
  app: AppSwitches,
  stateOf: (name: string, value: string) => { state: Setting['state']; reason: string },
): SettingsReport {
  const gaps: SettingsReport['gaps'] = [];
  if (app.stale) gaps.push({ path: app.path, status: 'error', message: app.stale });
  if (app.status !== 'ok')
    gaps.push({
      path: app.path,
      status: app.status,
      message: app.message ?? "the Ollama app's settings could not be read",
    });
  const settings = switchesOn(app).map((s) => {
    const st = stateOf(s.name, s.value);
    return setting(
      s.name,
      s.value,
      'app-settings',
      app.path,
      null,
      st.state,
      `"${s.label}" is on in the Ollama app, which sets ${s.name}=${s.value} over any other value when it starts the server; ${st.reason}`,
    );
  });
  return { settings, gaps };
}
