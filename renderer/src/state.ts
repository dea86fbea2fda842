/**
 * The renderer's state as plain data, and what an AppEvent does to it: pure, with no DOM and
 * no engine calls, so the unit tests run it in Node. The store (store.ts) wraps it with the
 * actions that call `window.paddock`.
 */
import type {
  AdminCopyView,
  AppEvent,
  AppSettings,
  FixOutcome,
  FixPreview,
  HistoryView,
  ScanView,
  ShareOffers,
  ViewName,
} from '../../shared/api';
import type { JournalEntry, ProxyChoice } from '../../shared/fixes';
import { isPlannableFix, prependEvent } from './format';

export type FixPhase =
  'choosing' | 'planning' | 'preview' | 'unsupported' | 'applying' | 'result' | 'failed';

export interface FixDialogState {
  fixId: string;
  findingId: string | null;
  instance: string | null;
  phase: FixPhase;
  preview: FixPreview | null;
  /** Journal lines of the run in progress, as the engine pushes them. */
  progress: JournalEntry[];
  /** The admin prompt is up, shown through this program (pkexec, sudo). */
  adminPrompt: string | null;
  outcome: FixOutcome | null;
  undoOutcome: FixOutcome | null;
  undoing: boolean;
  /** The engine refused to plan or apply, in its words. */
  error: string | null;
  /** Issue 14, "share with chosen machines": what the scan offers, once loaded. */
  offers?: ShareOffers | null;
  /** The sources the preview was planned with, so "Change choices" comes back to them. */
  allow?: string[];
  /** Issue 14, "password or token in front": the choices as they stand in the dialog. */
  proxyDraft?: ProxyDraft;
}

/** The share-proxy choices as the dialog holds them, before they are complete. */
export interface ProxyDraft {
  /** null: the first installed one. */
  software: ProxyChoice['software'] | null;
  auth: ProxyChoice['auth'];
  endpoints: ProxyChoice['endpoints'];
  tls: ProxyChoice['tls'] | null;
  cert: string;
  key: string;
}

/** A token, inference only; the proxy and the protection still to choose. */
export const NEW_PROXY_DRAFT: ProxyDraft = {
  software: null,
  auth: 'bearer',
  endpoints: 'inference',
  tls: null,
  cert: '',
  key: '',
};

/**
 * The draft as far as it counts: only what is offered (an installed proxy, the first by default;
 * Caddy's own authority with Caddy; plain HTTP with a VPN up), and the complete choice, or what
 * is still missing, in words for the button.
 */
export function resolveProxyDraft(
  draft: ProxyDraft,
  offers: ShareOffers | null | undefined,
): {
  software: ProxyChoice['software'] | null;
  tls: ProxyChoice['tls'] | null;
  choice: ProxyChoice | null;
  missing: string | null;
} {
  const installed = offers ? (offers.proxies ?? []) : null;
  const software =
    installed === null
      ? null
      : draft.software !== null && installed.includes(draft.software)
        ? draft.software
        : (installed[0] ?? null);
  const tls =
    draft.tls === 'certificate' ||
    (draft.tls === 'internal' && software === 'caddy') ||
    (draft.tls === 'vpn-plain' && (offers?.vpn ?? null) !== null)
      ? draft.tls
      : null;
  const cert = draft.cert.trim();
  const key = draft.key.trim();
  const missing =
    software === null
      ? installed === null
        ? 'Looking at what is installed…'
        : 'Neither nginx nor Caddy is installed'
      : tls === null
        ? 'Choose how the traffic is protected'
        : tls === 'certificate' && (cert === '' || key === '')
          ? 'Name the certificate and its key'
          : null;
  const choice =
    missing === null && software !== null && tls !== null
      ? {
          software,
          auth: draft.auth,
          endpoints: draft.endpoints,
          tls,
          cert: tls === 'certificate' ? cert : null,
          key: tls === 'certificate' ? key : null,
        }
      : null;
  return { software, tls, choice, missing };
}

/** The fixes that start with a choice in the dialog (issue 14) rather than planning at once. */
export const CHOOSING_FIXES: ReadonlySet<string> = new Set(['share-allowlist', 'share-proxy']);

/**
 * What the store keeps of an outcome: all of it but a share-proxy's secret, which the dialog
 * that applied the fix holds in its own component state only (shown once, kept nowhere).
 */
export function withoutSecret(outcome: FixOutcome): FixOutcome {
  if (!outcome.ok || outcome.secret === undefined) return outcome;
  const { secret: _secret, ...rest } = outcome;
  return rest;
}

export interface EngineError {
  message: string;
  /** What Retry does; null when there is nothing to retry. */
  retry: (() => void) | null;
}

export type ThemeChoice = 'system' | 'light' | 'dark';

export interface DataState {
  /** window.paddock exists (false in a plain browser). */
  available: boolean;
  view: ViewName;
  selectedFindingId: string | null;
  scanView: ScanView | null;
  /** The first scan view has been shown. */
  ready: boolean;
  scanning: boolean;
  error: EngineError | null;
  /**
   * The latest scan failed (issue 18): the view shown is the last good one, out of date. Its
   * words and when; cleared by the next scan that finishes.
   */
  scanError: { message: string; at: string } | null;
  /** A scan with admin rights to read the firewall is in flight. */
  elevating: boolean;
  fix: FixDialogState | null;
  history: HistoryView | null;
  historyLoading: boolean;
  settings: AppSettings | null;
  settingsLoading: boolean;
  /** Why the settings could not be read (the engine's words); null: read, or not tried. */
  settingsError: string | null;
  /** Finding ids whose accept or withdraw is in flight. */
  pendingRisks: string[];
  /** macOS: the admin copy, as the engine last read it (null: not read yet). */
  adminCopy: AdminCopyView | null;
  /** The admin copy is being made or removed (the admin prompt is up). */
  adminCopyBusy: 'install' | 'remove' | null;
  /** Settings opens on this card (a fix refused for want of the admin copy). */
  settingsFocus: 'admin-copy' | null;
  theme: ThemeChoice;
}

export const THEME_KEY = 'paddock-theme';

export function initialState(available: boolean, theme: ThemeChoice = 'system'): DataState {
  return {
    available,
    view: 'overview',
    selectedFindingId: null,
    scanView: null,
    ready: false,
    scanning: false,
    error: null,
    scanError: null,
    elevating: false,
    fix: null,
    history: null,
    historyLoading: false,
    settings: null,
    settingsLoading: false,
    settingsError: null,
    pendingRisks: [],
    adminCopy: null,
    adminCopyBusy: null,
    settingsFocus: null,
    theme,
  };
}

/** A fresh fix dialog: planning for fixes Paddock can plan, else an explanation. */
export function newFixDialog(
  fixId: string,
  findingId: string | null,
  instance: string | null,
): FixDialogState {
  return {
    fixId,
    findingId,
    instance,
    // Sharing with chosen machines, or behind a proxy, starts by choosing; every other fix
    // plans at once.
    phase: CHOOSING_FIXES.has(fixId)
      ? 'choosing'
      : isPlannableFix(fixId)
        ? 'planning'
        : 'unsupported',
    preview: null,
    progress: [],
    adminPrompt: null,
    outcome: null,
    undoOutcome: null,
    undoing: false,
    error: null,
  };
}

/** As many readings as the engine keeps (engine/service/service.ts). */
export const MAX_GPU_SAMPLES = 360;

/** The digest of the plan the dialog shows, which progress events must carry. */
function dialogDigest(fix: FixDialogState | null): string | null {
  return fix?.preview?.kind === 'plan' ? fix.preview.digest : null;
}

/**
 * What an AppEvent does to the state. `navigate` with a fixId also opens the fix dialog;
 * the store then asks the engine for the plan.
 */
export function reduceAppEvent(state: DataState, event: AppEvent): Partial<DataState> {
  switch (event.type) {
    case 'scan-started':
      return { scanning: true };
    case 'scan-finished':
      return { scanView: event.view, ready: true, scanning: false, scanError: null };
    case 'scan-failed':
      return {
        scanning: false,
        scanError: { message: event.message, at: new Date().toISOString() },
      };
    case 'fix-progress': {
      const fix = state.fix;
      if (!fix || dialogDigest(fix) !== event.digest) return {};
      return { fix: { ...fix, progress: [...fix.progress, event.entry], adminPrompt: null } };
    }
    case 'admin-prompt': {
      const fix = state.fix;
      if (!fix || dialogDigest(fix) !== event.digest) return {};
      return { fix: { ...fix, adminPrompt: event.via } };
    }
    case 'gpu-sample': {
      const view = state.scanView;
      if (!view) return {};
      const gpuHistory = [...view.gpuHistory, event.sample].slice(-MAX_GPU_SAMPLES);
      return { scanView: { ...view, gpuHistory } };
    }
    case 'event':
      return state.history
        ? { history: { ...state.history, events: prependEvent(state.history.events, event.event) } }
        : {};
    case 'navigate': {
      const view = event.view === 'finding' && !event.findingId ? 'overview' : event.view;
      const change: Partial<DataState> = { view };
      if (event.findingId) change.selectedFindingId = event.findingId;
      if (event.fixId && !(state.fix && state.fix.phase === 'applying')) {
        const finding = state.scanView?.findings.find((f) => f.id === event.findingId) ?? null;
        change.fix = newFixDialog(event.fixId, event.findingId, finding?.instance ?? null);
      }
      return change;
    }
  }
}

/** The fix dialog after applyFix answered. */
export function withOutcome(fix: FixDialogState, outcome: FixOutcome): FixDialogState {
  return { ...fix, phase: 'result', outcome, adminPrompt: null };
}
