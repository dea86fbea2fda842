import { describe, expect, it } from 'vitest';
import type { AppEvent, ScanView } from '../../../shared/api';
import type { FixPreview } from '../../../shared/api';
import {
  MAX_GPU_SAMPLES,
  initialState,
  newFixDialog,
  reduceAppEvent,
  withOutcome,
} from '../../../renderer/src/state';
import type { DataState } from '../../../renderer/src/state';

const view = {
  snapshot: { verdict: 'lan' },
  findings: [{ id: 'exposed-to-lan@ollama:pid:42', instance: 'ollama:pid:42' }],
} as unknown as ScanView;

const preview = { kind: 'plan', digest: 'd'.repeat(64) } as unknown as FixPreview;

function withDialog(state: DataState): DataState {
  return {
    ...state,
    fix: { ...newFixDialog('block-port', null, 'ollama:pid:42'), phase: 'applying', preview },
  };
}

const entry = { at: 't', step: 0, event: 'step-done' as const, detail: 'x' };

describe('renderer store: what an AppEvent does', () => {
  it('scan-finished replaces the view and marks the window ready', () => {
    const state = { ...initialState(true), scanning: true };
    const change = reduceAppEvent(state, { type: 'scan-finished', view });
    expect(change).toEqual({ scanView: view, ready: true, scanning: false, scanError: null });
  });

  it('gpu-sample extends the chart, bounded, and is ignored before the first view', () => {
    const sample = { at: 't', utilizationPercent: 50, memoryUsedMiB: 1, memoryTotalMiB: 2 };
    expect(reduceAppEvent(initialState(true), { type: 'gpu-sample', sample })).toEqual({});
    const full = { ...view, gpuHistory: Array.from({ length: MAX_GPU_SAMPLES }, () => sample) };
    const next = { ...sample, at: 'later' };
    const change = reduceAppEvent(
      { ...initialState(true), scanView: full },
      { type: 'gpu-sample', sample: next },
    );
    expect(change.scanView?.gpuHistory).toHaveLength(MAX_GPU_SAMPLES);
    expect(change.scanView?.gpuHistory.at(-1)).toEqual(next);
  });

  it('navigate switches view and opens the fix dialog for the finding’s instance', () => {
    const state = { ...initialState(true), scanView: view };
    const event: AppEvent = {
      type: 'navigate',
      view: 'finding',
      findingId: 'exposed-to-lan@ollama:pid:42',
      fixId: 'rebind-systemd',
    };
    const change = reduceAppEvent(state, event);
    expect(change.view).toBe('finding');
    expect(change.selectedFindingId).toBe('exposed-to-lan@ollama:pid:42');
    expect(change.fix?.fixId).toBe('rebind-systemd');
    expect(change.fix?.instance).toBe('ollama:pid:42');
    expect(change.fix?.phase).toBe('planning');
  });

  it('navigate to a finding without an id falls back to the overview', () => {
    const change = reduceAppEvent(initialState(true), {
      type: 'navigate',
      view: 'finding',
      findingId: null,
      fixId: null,
    });
    expect(change).toEqual({ view: 'overview' });
  });

  it('navigate never replaces a dialog whose fix is being applied', () => {
    const state = withDialog(initialState(true));
    const change = reduceAppEvent(state, {
      type: 'navigate',
      view: 'overview',
      findingId: null,
      fixId: 'block-port',
    });
    expect(change.fix).toBeUndefined();
  });

  it('fix-progress appends to the dialog of the same plan only', () => {
    const state = withDialog(initialState(true));
    const mine = reduceAppEvent(state, { type: 'fix-progress', digest: 'd'.repeat(64), entry });
    expect(mine.fix?.progress).toEqual([entry]);
    const other = reduceAppEvent(state, { type: 'fix-progress', digest: 'e'.repeat(64), entry });
    expect(other).toEqual({});
  });

  it('admin-prompt shows the prompt until the next journal line', () => {
    const state = withDialog(initialState(true));
    const prompted = {
      ...state,
      ...reduceAppEvent(state, { type: 'admin-prompt', digest: 'd'.repeat(64), via: 'pkexec' }),
    };
    expect(prompted.fix?.adminPrompt).toBe('pkexec');
    const next = reduceAppEvent(prompted, { type: 'fix-progress', digest: 'd'.repeat(64), entry });
    expect(next.fix?.adminPrompt).toBeNull();
  });

  it('event prepends to the history once it is loaded, and is ignored before', () => {
    const pushed = {
      id: 'n',
      kind: 'remote-client' as const,
      at: '2026-11-28T12:00:00Z',
      instance: null,
      verdict: null,
      severity: 'high' as const,
      message: 'm',
      data: {},
    };
    expect(reduceAppEvent(initialState(true), { type: 'event', event: pushed })).toEqual({});
    const loaded = { ...initialState(true), history: { runs: [], events: [], problems: [] } };
    const change = reduceAppEvent(loaded, { type: 'event', event: pushed });
    expect(change.history?.events).toEqual([pushed]);
  });

  it('fixes Paddock cannot plan open as an explanation, not a request', () => {
    expect(newFixDialog('upgrade-ollama', null, null).phase).toBe('unsupported');
    expect(newFixDialog('block-port', null, null).phase).toBe('planning');
  });

  it('a cancelled admin prompt ends the run as a result that changed nothing', () => {
    const fix = withDialog(initialState(true)).fix!;
    const done = withOutcome(fix, { ok: false, cancelled: true, message: 'dismissed' });
    expect(done.phase).toBe('result');
    expect(done.outcome).toEqual({ ok: false, cancelled: true, message: 'dismissed' });
  });
});
