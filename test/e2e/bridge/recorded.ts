/**
 * A recorded engine for the bridge: answers from a saved Snapshot through the real rules and
 * posture (engine/assess.ts), so the page can be shown states no lab can make on demand (the
 * internet verdict, a GPU under load, a denied probe, no Ollama at all, an engine error).
 * Fixes are not applied here: planFix answers the engine's own refusal.
 */
import type { AppEvent, AppSettings, Envelope, GpuSample, HistoryView } from '../../../shared/api';
import { DEFAULT_PREFERENCES } from '../../../shared/api';
import type { Snapshot } from '../../../shared/snapshot';
import { assess } from '../../../electron/engine/assess';
import type { EngineLink } from './server';

export interface Recording {
  snapshot: Snapshot;
  gpuHistory?: GpuSample[];
  history?: HistoryView;
  /** Every scan fails with this message (the engine-error state). */
  scanError?: string;
}

export function recordedEngine(recording: Recording): EngineLink {
  const listeners: Array<(event: AppEvent) => void> = [];
  const view = async () => {
    const { findings, posture } = await assess(recording.snapshot, { settingsPath: null });
    return {
      snapshot: recording.snapshot,
      findings,
      posture,
      settingsProblem: null,
      gpuHistory: recording.gpuHistory ?? [],
    };
  };
  const settings: AppSettings = {
    preferences: DEFAULT_PREFERENCES,
    acceptedRisks: [],
    settingsPath: '/home/dev/.config/paddock/settings.json',
    problem: null,
  };
  const ok = (value: unknown): Envelope<unknown> => ({ ok: true, value });
  return {
    call: async (method) => {
      switch (method) {
        case 'scan':
        case 'snapshot':
          if (recording.scanError)
            return method === 'snapshot'
              ? ok(null)
              : { ok: false, error: { kind: 'engine', message: recording.scanError } };
          return ok(await view());
        case 'history':
          return ok(recording.history ?? { runs: [], events: [], problems: [] });
        case 'getSettings':
        case 'updateSettings':
          return ok(settings);
        default:
          return {
            ok: false,
            error: { kind: 'engine', message: 'This is a recorded scan: nothing can be changed.' },
          };
      }
    },
    onEvent: (listener) => listeners.push(listener),
    close: () => Promise.resolve(),
  };
}
