/**
 * Issue 18: History's timeline of verdict changes, in plain sentences, from the events the
 * engine records: exposure started and ended, fixes applied and undone. A change is attributed
 * to the fix that caused it; an undo that gives other machines their access back is a warning.
 */
import { describe, expect, it } from 'vitest';
import type { PaddockEvent } from '../../../shared/events';
import type { TimelineRun } from '../../../electron/engine/history/timeline';
import { undoReexposes, verdictTimeline } from '../../../electron/engine/history/timeline';

const ID = 'ollama:pid:42';
const RUN = '20261201T140400000Z-1a2b3c4d';

function event(
  kind: PaddockEvent['kind'],
  at: string,
  extra: Partial<PaddockEvent> = {},
): PaddockEvent {
  return {
    id: `${at}-${kind}`,
    kind,
    at,
    instance: ID,
    verdict: null,
    severity: 'info',
    message: `engine words for ${kind} (${ID}, run ${RUN})`,
    data: {},
    ...extra,
  };
}

const run = (
  state: TimelineRun['state'],
  fixId: TimelineRun['plan']['fixId'] = 'block-port',
): TimelineRun => ({
  id: RUN,
  state,
  startedAt: '2026-12-01T14:04:30.000Z',
  endedAt: '2026-12-01T14:09:00.000Z',
  plan: {
    title:
      fixId === 'block-client'
        ? 'Cut off 192.168.1.50 from port 11434'
        : 'Close port 11434 to other machines',
    fixId,
    instance: ID,
    verification:
      fixId === 'block-client'
        ? { kind: 'client-blocked', setting: '192.168.1.50' }
        : { kind: 'port-closed-beyond-loopback' },
  },
});

const nameOf = () => 'Ollama';
const options = { nameOf, timeZone: 'UTC' };

const EXPOSED = event('exposure-started', '2026-12-01T14:02:00.000Z', { verdict: 'lan' });
const APPLIED = event('fix-applied', '2026-12-01T14:04:40.000Z', {
  data: { runId: RUN, fixId: 'block-port' },
});
const PRIVATE = event('exposure-ended', '2026-12-01T14:05:00.000Z', {
  verdict: 'private',
  data: { previous: 'lan', stopped: false },
});
const UNDONE = event('fix-undone', '2026-12-01T14:09:00.000Z', {
  data: { runId: RUN, fixId: 'block-port' },
});

describe('verdictTimeline', () => {
  it('exposed, fixed, undone: three sentences, the undo a warning, newest first, the day once', () => {
    const lines = verdictTimeline([UNDONE, EXPOSED, APPLIED, PRIVATE], [run('undone')], options);
    expect(lines.map((l) => `${l.when} — ${l.sentence} [${l.tone}]`)).toEqual([
      'Tuesday 14:09 — Ollama is reachable from the local network again, after undoing “Close port 11434 to other machines” [warn]',
      '14:05 — Ollama is private to this computer again, after “Close port 11434 to other machines” [ok]',
      '14:02 — Ollama became reachable from the local network [warn]',
    ]);
    // Ids stay out of the sentences, and under Details.
    expect(lines.map((l) => l.sentence).join(' ')).not.toMatch(/ollama:pid|20261201T|block-port/);
    expect(lines[0]!.details).toEqual({
      instance: ID,
      runId: RUN,
      fixId: 'block-port',
      kind: 'fix-undone',
    });
  });

  it('a fix the monitor did not see change anything: said by its verified result', () => {
    const lines = verdictTimeline([APPLIED], [run('applied')], options);
    expect(lines.map((l) => l.sentence)).toEqual([
      'Ollama is private to this computer, after “Close port 11434 to other machines”',
    ]);
  });

  it('the internet is bad, a stopped server is neutral, a failed fix says nothing changed', () => {
    const lines = verdictTimeline(
      [
        event('exposure-started', '2026-12-02T09:00:00.000Z', { verdict: 'internet' }),
        event('exposure-ended', '2026-12-02T09:30:00.000Z', {
          verdict: 'private',
          data: { stopped: true },
        }),
        event('fix-failed', '2026-12-02T09:10:00.000Z', { data: { runId: 'gone' } }),
      ],
      [],
      options,
    );
    expect(lines.map((l) => `${l.when} — ${l.sentence} [${l.tone}]`)).toEqual([
      'Wednesday 09:30 — Ollama stopped; nothing listens where it was [neutral]',
      '09:10 — A fix did not work, so nothing changed for Ollama [bad]',
      '09:00 — Ollama became reachable from the internet [bad]',
    ]);
  });

  it('undoing block-client: the machine it cut off gets back in, a warning', () => {
    const lines = verdictTimeline(
      [event('fix-undone', '2026-12-01T14:09:00.000Z', { data: { runId: RUN } })],
      [run('undone', 'block-client')],
      options,
    );
    expect(lines[0]).toMatchObject({
      sentence:
        '192.168.1.50 can reach Ollama again, after undoing “Cut off 192.168.1.50 from port 11434”',
      tone: 'warn',
    });
    expect(undoReexposes(run('undone', 'block-client'))).toBe(true);
    expect(undoReexposes(run('applied'))).toBe(false);
  });

  it('remote clients and findings are not verdict changes', () => {
    expect(
      verdictTimeline(
        [
          event('remote-client', '2026-12-01T14:00:00.000Z'),
          event('finding-new', '2026-12-01T14:00:01.000Z'),
        ],
        [],
        options,
      ),
    ).toEqual([]);
  });
});
