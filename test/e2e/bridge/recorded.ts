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
import { isManual, planFix } from '../../../electron/engine/fixes/recipes';
import { shareOffers } from '../../../electron/engine/fixes/recipes/share-allowlist';
import { vpnAddresses } from '../../../electron/engine/fixes/recipes/share-vpn';
import { fixPreview } from '../../../electron/engine/service/service';
import type { FixId } from '../../../shared/fixes';
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
    call: async (method, request) => {
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
        // Issue 14: the share chooser's offers, and the plans for sharing, from the recorded
        // scan through the real recipes (reading no file: nothing here is applied).
        case 'shareOffers': {
          const instance = recording.snapshot.instances.find(
            (i) => i.id === (request as { instance: string }).instance,
          );
          if (!instance) return { ok: false, error: { kind: 'engine', message: 'no such server' } };
          return ok({
            offers: shareOffers(recording.snapshot, instance),
            vpn: vpnAddresses(recording.snapshot.probes.interfaces.data ?? [])[0] ?? null,
          });
        }
        case 'planFix': {
          const { fixId, instance, allow } = request as {
            fixId: FixId;
            instance: string;
            allow?: string[];
          };
          if (fixId !== 'share-allowlist' && fixId !== 'share-vpn') break;
          const made = planFix(
            fixId,
            recording.snapshot,
            instance,
            { readFile: () => null },
            {
              ...(allow ? { allow } : {}),
            },
          );
          return ok(isManual(made) ? { kind: 'manual', manual: made } : fixPreview(made));
        }
      }
      return {
        ok: false,
        error: { kind: 'engine', message: 'This is a recorded scan: nothing can be changed.' },
      };
    },
    onEvent: (listener) => listeners.push(listener),
    close: () => Promise.resolve(),
  };
}
