/**
 * The renderer's state in one zustand store: the view shown, the scan view, the fix dialog,
 * history and settings, and the one engine error with its retry. What an AppEvent does to the
 * state is the pure `reduceAppEvent` (state.ts); the actions here call `window.paddock` and
 * put the answers in.
 */
import { create } from 'zustand';
import type { AppEvent, Preferences, ViewName } from '../../shared/api';
import type { ProxyChoice } from '../../shared/fixes';
import { errorMessage, getApi } from './api';
import { isPlannableFix } from './format';
import type { DataState, ThemeChoice } from './state';
import type { ProxyDraft } from './state';
import {
  NEW_PROXY_DRAFT,
  THEME_KEY,
  initialState,
  newFixDialog,
  reduceAppEvent,
  resolveProxyDraft,
  withOutcome,
  withoutSecret,
} from './state';

export type { DataState, EngineError, FixDialogState, FixPhase, ThemeChoice } from './state';

export interface Actions {
  start(): void;
  scanNow(): Promise<void>;
  /** Scans again with admin rights for the firewall (the admin prompt comes up). */
  scanElevated(): Promise<void>;
  navigate(view: ViewName, findingId?: string | null): void;
  openFix(fixId: string, findingId: string | null, instance: string | null): void;
  /** Share with chosen machines: plan it with the sources picked in the dialog. */
  previewShare(allow: string[]): void;
  /** "Cut it off now": plan block-client for one connected address of one server. */
  cutOffClient(instance: string, address: string): void;
  /** Share behind a password or token: change the choices in the dialog. */
  editProxy(change: Partial<ProxyDraft>): void;
  /** Plan it with the proxy, credential, endpoints and TLS chosen, once they are complete. */
  previewProxy(): void;
  /** From a share's preview back to its choices (kept), to change them. */
  backToChoosing(): void;
  closeFix(): void;
  /**
   * Applies the previewed plan. A share-proxy's secret comes back to the caller only (the
   * dialog shows it once from its own state); the store keeps the outcome without it.
   */
  applyFix(): Promise<AppliedSecret | null>;
  undoFix(): Promise<void>;
  rescanAfterFix(): void;
  acceptRisk(
    findingId: string,
    ruleId: string,
    instance: string | null,
    reason: string,
    until: string | null,
  ): Promise<boolean>;
  withdrawRisk(key: string, ruleId: string, instance: string | null): Promise<void>;
  loadHistory(): Promise<void>;
  undoRun(runId: string): Promise<void>;
  loadSettings(): Promise<void>;
  updateSettings(change: Partial<Preferences>): Promise<void>;
  /** macOS: reads the admin copy's state (Settings). */
  loadAdminCopy(): Promise<void>;
  /** macOS: makes or removes the admin copy as previewed (its digest), through the admin prompt. */
  changeAdminCopy(action: 'install' | 'remove'): Promise<void>;
  handleEvent(event: AppEvent): void;
  dismissError(): void;
  setTheme(theme: ThemeChoice): void;
}

export type PaddockState = DataState & Actions;

/** The secret a share-proxy run generated, and the run it belongs to. */
export interface AppliedSecret {
  runId: string;
  secret: string;
}

// ── the store ─────────────────────────────────────────────────────────────────────────────

function storedTheme(): ThemeChoice {
  try {
    const value = window.localStorage?.getItem(THEME_KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

let unsubscribe: (() => void) | null = null;

export const useStore = create<PaddockState>()((set, get) => {
  /** Runs an engine call; a throw becomes the one error banner, with its retry. */
  async function call<T>(run: () => Promise<T>, retry: (() => void) | null): Promise<T | null> {
    try {
      const value = await run();
      return value;
    } catch (error) {
      set({ error: { message: errorMessage(error), retry } });
      return null;
    }
  }

  /** The error just set, as the scan's failure that marks the view out of date. */
  function failure(): { message: string; at: string } | null {
    const error = get().error;
    return error ? { message: error.message, at: new Date().toISOString() } : null;
  }

  async function loadOffers(instance: string | null) {
    const api = getApi();
    if (!api || instance === null) return;
    try {
      const offers = await api.shareOffers({ instance });
      const fix = get().fix;
      if (fix && fix.phase === 'choosing') set({ fix: { ...fix, offers } });
    } catch (error) {
      const fix = get().fix;
      if (fix && fix.phase === 'choosing') set({ fix: { ...fix, error: errorMessage(error) } });
    }
  }

  async function plan(
    fixId: string,
    instance: string | null,
    choice: { allow?: string[]; proxy?: ProxyChoice } = {},
  ) {
    const api = getApi();
    if (!api || !isPlannableFix(fixId)) return;
    try {
      const preview = await api.planFix({
        fixId,
        instance,
        ...(choice.allow ? { allow: choice.allow } : {}),
        ...(choice.proxy ? { proxy: choice.proxy } : {}),
      });
      const fix = get().fix;
      if (fix && fix.fixId === fixId && fix.phase === 'planning')
        set({ fix: { ...fix, phase: 'preview', preview } });
    } catch (error) {
      const fix = get().fix;
      if (fix && fix.fixId === fixId)
        set({ fix: { ...fix, phase: 'failed', error: errorMessage(error) } });
    }
  }

  return {
    ...initialState(getApi() !== null, storedTheme()),

    start() {
      const api = getApi();
      if (!api) {
        set({ available: false });
        return;
      }
      if (!unsubscribe) unsubscribe = api.subscribe((event) => get().handleEvent(event));
      // React's StrictMode runs the start effect twice: one snapshot request is enough.
      if (get().scanning) return;
      set({ error: null, scanning: true });
      void (async () => {
        const retry = () => get().start();
        const existing = await call(() => api.snapshot(), retry);
        if (existing) {
          set({ scanView: existing, ready: true, scanning: false });
          return;
        }
        if (get().error) {
          set({ scanning: false });
          return;
        }
        const view = await call(() => api.scan(), retry);
        set(
          view
            ? { scanView: view, ready: true, scanning: false, scanError: null }
            : { scanning: false, scanError: failure() },
        );
      })();
    },

    async scanNow() {
      const api = getApi();
      if (!api || get().scanning) return;
      set({ scanning: true, error: null });
      const view = await call(
        () => api.scan(),
        () => void get().scanNow(),
      );
      set(
        view
          ? { scanView: view, ready: true, scanning: false, scanError: null }
          : { scanning: false, scanError: failure() },
      );
    },

    async scanElevated() {
      const api = getApi();
      if (!api || get().scanning || get().elevating) return;
      set({ scanning: true, elevating: true, error: null });
      const view = await call(
        () => api.scan({ elevated: true }),
        () => void get().scanElevated(),
      );
      set(
        view
          ? { scanView: view, ready: true, scanning: false, elevating: false, scanError: null }
          : { scanning: false, elevating: false },
      );
    },

    navigate(view, findingId = null) {
      set({ view, ...(findingId !== null ? { selectedFindingId: findingId } : {}) });
      if (view === 'history') void get().loadHistory();
      if (view === 'settings') void get().loadSettings();
    },

    openFix(fixId, findingId, instance) {
      const current = get().fix;
      if (current && current.phase === 'applying') return;
      const dialog = newFixDialog(fixId, findingId, instance);
      set({ fix: dialog });
      if (dialog.phase === 'choosing') void loadOffers(instance);
      else void plan(fixId, instance);
    },

    cutOffClient(instance, address) {
      const current = get().fix;
      if (current && current.phase === 'applying') return;
      // Straight to planning with that one address: there is nothing to choose, and so no
      // "Change choices" to go back to. Root makes the plan again from its own scan.
      const allow = [address];
      set({ fix: { ...newFixDialog('block-client', null, instance), phase: 'planning', allow } });
      void plan('block-client', instance, { allow });
    },

    previewShare(allow) {
      const fix = get().fix;
      if (!fix || fix.phase !== 'choosing' || allow.length === 0) return;
      set({ fix: { ...fix, phase: 'planning', error: null, allow } });
      void plan(fix.fixId, fix.instance, { allow });
    },

    editProxy(change) {
      const fix = get().fix;
      if (!fix || fix.phase !== 'choosing' || fix.fixId !== 'share-proxy') return;
      set({ fix: { ...fix, proxyDraft: { ...(fix.proxyDraft ?? NEW_PROXY_DRAFT), ...change } } });
    },

    previewProxy() {
      const fix = get().fix;
      if (!fix || fix.phase !== 'choosing' || fix.fixId !== 'share-proxy') return;
      const { choice } = resolveProxyDraft(fix.proxyDraft ?? NEW_PROXY_DRAFT, fix.offers);
      if (!choice) return;
      set({ fix: { ...fix, phase: 'planning', error: null } });
      void plan(fix.fixId, fix.instance, { proxy: choice });
    },

    backToChoosing() {
      const fix = get().fix;
      // From a preview, or from a plan that failed (nothing was applied), never after a run.
      if (!fix || !(fix.phase === 'preview' || (fix.phase === 'failed' && !fix.preview))) return;
      if (fix.fixId !== 'share-allowlist' && fix.fixId !== 'share-proxy') return;
      set({ fix: { ...fix, phase: 'choosing', preview: null, error: null } });
      if (!fix.offers) void loadOffers(fix.instance);
    },

    closeFix() {
      const fix = get().fix;
      if (!fix || fix.phase === 'applying' || fix.undoing) return;
      set({ fix: null });
    },

    async applyFix() {
      const api = getApi();
      const fix = get().fix;
      if (!api || !fix || fix.phase !== 'preview' || fix.preview?.kind !== 'plan') return null;
      const digest = fix.preview.digest;
      set({ fix: { ...fix, phase: 'applying', progress: [], error: null } });
      try {
        const outcome = await api.applyFix({ digest });
        const now = get().fix;
        if (now) set({ fix: withOutcome(now, withoutSecret(outcome)) });
        // The system changed (or was put back): the view behind the dialog follows.
        if (outcome.ok) void get().scanNow();
        return outcome.ok && outcome.secret !== undefined && now
          ? { runId: outcome.run.id, secret: outcome.secret }
          : null;
      } catch (error) {
        const now = get().fix;
        if (now)
          set({ fix: { ...now, phase: 'failed', adminPrompt: null, error: errorMessage(error) } });
        return null;
      }
    },

    async undoFix() {
      const api = getApi();
      const fix = get().fix;
      const run = fix?.outcome?.ok ? fix.outcome.run : null;
      if (!api || !fix || !run || fix.undoing) return;
      set({ fix: { ...fix, undoing: true, error: null } });
      try {
        const undoOutcome = await api.undo({ runId: run.id });
        const now = get().fix;
        if (now) set({ fix: { ...now, undoing: false, undoOutcome } });
        if (undoOutcome.ok) void get().scanNow();
      } catch (error) {
        const now = get().fix;
        if (now) set({ fix: { ...now, undoing: false, error: errorMessage(error) } });
      }
    },

    rescanAfterFix() {
      const fix = get().fix;
      if (fix && (fix.phase === 'applying' || fix.undoing)) return;
      set({ fix: null, view: 'overview' });
      void get().scanNow();
    },

    async acceptRisk(findingId, ruleId, instance, reason, until) {
      const api = getApi();
      if (!api) return false;
      set({ pendingRisks: [...get().pendingRisks, findingId] });
      const request = { ruleId, instance, reason: reason.trim(), until };
      const view = await call(
        () => api.acceptRisk(request),
        () => void get().acceptRisk(findingId, ruleId, instance, reason, until),
      );
      set({ pendingRisks: get().pendingRisks.filter((id) => id !== findingId) });
      if (!view) return false;
      set({ scanView: view, error: null });
      if (get().settings) void get().loadSettings();
      return true;
    },

    async withdrawRisk(key, ruleId, instance) {
      const api = getApi();
      if (!api) return;
      set({ pendingRisks: [...get().pendingRisks, key] });
      const view = await call(
        () => api.withdrawRisk({ ruleId, instance }),
        () => void get().withdrawRisk(key, ruleId, instance),
      );
      set({ pendingRisks: get().pendingRisks.filter((id) => id !== key) });
      if (!view) return;
      set({ scanView: view, error: null });
      if (get().settings) void get().loadSettings();
    },

    async loadHistory() {
      const api = getApi();
      if (!api || get().historyLoading) return;
      set({ historyLoading: true });
      const history = await call(
        () => api.history(),
        () => void get().loadHistory(),
      );
      set(history ? { history, historyLoading: false } : { historyLoading: false });
    },

    async undoRun(runId) {
      const api = getApi();
      if (!api) return;
      const outcome = await call(
        () => api.undo({ runId }),
        () => void get().undoRun(runId),
      );
      if (outcome && !outcome.ok)
        set({ error: { message: outcome.message, retry: () => void get().undoRun(runId) } });
      await get().loadHistory();
    },

    async loadSettings() {
      const api = getApi();
      if (!api || get().settingsLoading) return;
      set({ settingsLoading: true, settingsError: null });
      try {
        const settings = await api.getSettings();
        set({ settings, settingsLoading: false, settingsError: null });
      } catch (error) {
        // Said on the Settings view itself, with Retry (not as the engine's banner).
        set({ settingsLoading: false, settingsError: errorMessage(error) });
      }
    },

    async updateSettings(change) {
      const api = getApi();
      if (!api) return;
      const settings = await call(
        () => api.updateSettings(change),
        () => void get().updateSettings(change),
      );
      if (settings) set({ settings, error: null });
    },

    async loadAdminCopy() {
      const api = getApi();
      if (!api) return;
      try {
        set({ adminCopy: await api.adminCopy({ action: 'status' }) });
      } catch {
        // The Settings view works without it; the section is simply not shown.
      }
    },

    async changeAdminCopy(action) {
      const api = getApi();
      const shown = get().adminCopy?.[action];
      if (!api || !shown || get().adminCopyBusy) return;
      set({ adminCopyBusy: action });
      try {
        set({
          adminCopy: await api.adminCopy({ action, digest: shown.digest }),
          adminCopyBusy: null,
        });
      } catch (error) {
        const before = get().adminCopy;
        set({
          adminCopyBusy: null,
          ...(before
            ? {
                adminCopy: {
                  ...before,
                  outcome: { ok: false, cancelled: false, message: errorMessage(error) },
                },
              }
            : { error: { message: errorMessage(error), retry: null } }),
        });
      }
    },

    handleEvent(event) {
      // A scan that finishes puts the failed scan's banner away: the view is current again.
      const before = get();
      if (
        event.type === 'scan-finished' &&
        before.scanError &&
        before.error?.message === before.scanError.message
      )
        set({ error: null });
      const change = reduceAppEvent(get(), event);
      set(change);
      if (event.type === 'scan-failed')
        set({ error: { message: event.message, retry: () => void get().scanNow() } });

      if (event.type === 'navigate') {
        // A share starts with its choices (and what the scan offers); every other fix plans.
        if (change.fix?.phase === 'choosing') void loadOffers(change.fix.instance);
        else if (change.fix) void plan(change.fix.fixId, change.fix.instance);
        if (event.view === 'history') void get().loadHistory();
        if (event.view === 'settings') void get().loadSettings();
      }
    },

    dismissError() {
      set({ error: null });
    },

    setTheme(theme) {
      try {
        if (theme === 'system') window.localStorage?.removeItem(THEME_KEY);
        else window.localStorage?.setItem(THEME_KEY, theme);
      } catch {
        // Storage may be off; the choice then lasts for this window only.
      }
      set({ theme });
    },
  };
});
