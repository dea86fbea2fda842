import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEngineHost, defaultTimeoutMs } from '../../../electron/main/engine-host';
import type { EngineHostOptions, EngineProcess } from '../../../electron/main/engine-host';
import type { EngineRequest } from '../../../electron/engine/service/protocol';

/** A utility process that answers only when the test says so. */
class FakeEngine extends EventEmitter {
  posted: EngineRequest[] = [];
  killed = false;
  postMessage(message: EngineRequest) {
    if (this.killed) throw new Error('process gone');
    this.posted.push(message);
  }
  kill() {
    this.killed = true;
    return true;
  }
  ready(pid = 4242) {
    this.emit('message', { type: 'ready', pid });
  }
  answer(id: number, envelope: unknown) {
    this.emit('message', { type: 'answer', id, envelope });
  }
  exit(code = 1) {
    this.emit('exit', code);
  }
}

function setup(options: Partial<EngineHostOptions> = {}) {
  const forks: FakeEngine[] = [];
  const events: unknown[] = [];
  const logged: string[] = [];
  const host = createEngineHost({
    fork: () => {
      const engine = new FakeEngine();
      forks.push(engine);
      return engine as unknown as EngineProcess;
    },
    onEvent: (event) => events.push(event),
    log: (message) => logged.push(message),
    ...options,
  });
  const current = () => {
    const engine = forks.at(-1);
    if (!engine) throw new Error('the engine was never forked');
    return engine;
  };
  return { host, forks, events, logged, current };
}

const OK = (value: unknown) => ({ ok: true, value });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('requests and answers', () => {
  it('answers are matched to their requests by id, whatever the order', async () => {
    const { host, current } = setup();
    host.start();
    current().ready();
    const history = host.call('history', {});
    const settings = host.call('getSettings', {});
    const [first, second] = current().posted;
    expect(first).toEqual({ id: expect.any(Number), method: 'history', request: {} });
    expect(second?.method).toBe('getSettings');
    expect(first?.id).not.toBe(second?.id);
    current().answer(second!.id, OK('settings'));
    current().answer(first!.id, OK('history'));
    await expect(history).resolves.toEqual(OK('history'));
    await expect(settings).resolves.toEqual(OK('settings'));
    expect(host.pid).toBe(4242);
  });

  it('calls made before the engine is ready wait for it, then go out', async () => {
    const { host, current } = setup();
    const early = host.call('snapshot', {});
    host.start();
    expect(current().posted).toEqual([]);
    current().ready();
    expect(current().posted).toHaveLength(1);
    current().answer(current().posted[0]!.id, OK(null));
    await expect(early).resolves.toEqual(OK(null));
  });

  it('an answer nobody waits for, and unreadable messages, are dropped', async () => {
    const { host, current, logged } = setup();
    host.start();
    current().ready();
    current().answer(999, OK('stray'));
    current().emit('message', 'hello');
    current().emit('message', { type: 'answer', id: 'x', envelope: {} });
    expect(logged.join('\n')).toMatch(/999/);
    expect(logged.join('\n')).toMatch(/cannot read/);
  });

  it('events from the engine go to the listener', () => {
    const { host, current, events } = setup();
    host.start();
    current().ready();
    current().emit('message', { type: 'event', event: { type: 'scan-started', at: 'now' } });
    expect(events).toEqual([{ type: 'scan-started', at: 'now' }]);
  });
});

describe('timeouts', () => {
  it('fixes may wait 10 minutes (the admin prompt); everything else 2', () => {
    expect(defaultTimeoutMs('applyFix')).toBe(600_000);
    expect(defaultTimeoutMs('undo')).toBe(600_000);
    expect(defaultTimeoutMs('scan')).toBe(120_000);
    expect(defaultTimeoutMs('planFix')).toBe(120_000);
  });

  it('a request with no answer in time answers unavailable; a late answer is dropped', async () => {
    const { host, current } = setup();
    host.start();
    current().ready();
    const scan = host.call('scan', {});
    const fix = host.call('applyFix', { digest: 'a'.repeat(64) });
    let scanAnswer: unknown = 'pending';
    let fixAnswer: unknown = 'pending';
    void scan.then((a) => (scanAnswer = a));
    void fix.then((a) => (fixAnswer = a));
    await vi.advanceTimersByTimeAsync(119_999);
    expect(scanAnswer).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(scanAnswer).toEqual({
      ok: false,
      error: { kind: 'unavailable', message: 'The engine did not answer scan within 2 minutes.' },
    });
    expect(fixAnswer).toBe('pending');
    current().answer(current().posted[0]!.id, OK('too late'));
    expect(scanAnswer).toMatchObject({ ok: false });
    await vi.advanceTimersByTimeAsync(480_000);
    expect(fixAnswer).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
  });
});

describe('when the engine stops', () => {
  it('what it was working on answers unavailable, and it is started again', async () => {
    const { host, forks, current } = setup({ initialBackoffMs: 500 });
    host.start();
    current().ready();
    const scan = host.call('scan', {});
    current().exit(134);
    await expect(scan).resolves.toMatchObject({
      ok: false,
      error: { kind: 'unavailable', message: expect.stringContaining('134') },
    });
    expect(forks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(forks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(forks).toHaveLength(2);
    // The new process serves calls as the first did.
    current().ready(5000);
    const history = host.call('history', {});
    current().answer(current().posted[0]!.id, OK('h'));
    await expect(history).resolves.toEqual(OK('h'));
    expect(host.pid).toBe(5000);
  });

  it('each start and restart is announced once ready (what the engine held is gone)', async () => {
    const readies: number[] = [];
    const { host, current } = setup({ initialBackoffMs: 100, onReady: (pid) => readies.push(pid) });
    host.start();
    expect(readies).toEqual([]);
    current().ready(11);
    current().exit(1);
    await vi.advanceTimersByTimeAsync(100);
    current().ready(12);
    expect(readies).toEqual([11, 12]);
  });

  it('a call made while it restarts waits for the new process', async () => {
    const { host, forks, current } = setup({ initialBackoffMs: 100 });
    host.start();
    current().ready();
    current().exit(1);
    const waiting = host.call('snapshot', {});
    await vi.advanceTimersByTimeAsync(100);
    expect(forks).toHaveLength(2);
    current().ready();
    current().answer(current().posted[0]!.id, OK(null));
    await expect(waiting).resolves.toEqual(OK(null));
  });

  it('a call still queued when the process dies before ready goes to the next one', async () => {
    const { host, forks, current } = setup({ initialBackoffMs: 100 });
    host.start();
    const queued = host.call('history', {});
    current().exit(1); // crashed while starting: the call was never sent
    await vi.advanceTimersByTimeAsync(100);
    expect(forks).toHaveLength(2);
    current().ready();
    expect(current().posted).toHaveLength(1);
    current().answer(current().posted[0]!.id, OK('h'));
    await expect(queued).resolves.toEqual(OK('h'));
  });

  it('restarts back off, and stop after the per-minute bound until a call asks again', async () => {
    const { host, forks, current, logged } = setup({
      initialBackoffMs: 100,
      maxBackoffMs: 1_000,
      maxRestartsPerMinute: 3,
    });
    host.start();
    const delays: number[] = [];
    for (let crash = 0; crash < 3; crash++) {
      current().exit(1);
      const before = forks.length;
      let waited = 0;
      while (forks.length === before) {
        await vi.advanceTimersByTimeAsync(10);
        waited += 10;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([100, 200, 400]);
    expect(forks).toHaveLength(4);
    current().exit(1); // the fourth crash within the minute: no more restarts
    expect(host.state).toBe('down');
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(forks).toHaveLength(4);
    expect(logged.join('\n')).toMatch(/leaves it down/);
    // A call after the minute has passed brings it back once.
    const scan = host.call('scan', {});
    expect(forks).toHaveLength(5);
    current().ready();
    current().answer(current().posted[0]!.id, OK('view'));
    await expect(scan).resolves.toEqual(OK('view'));
  });

  it('while down within the bound, calls answer unavailable at once and fork nothing', async () => {
    const { host, forks, current } = setup({ initialBackoffMs: 1, maxRestartsPerMinute: 1 });
    host.start();
    current().exit(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(forks).toHaveLength(2);
    current().exit(1);
    expect(host.state).toBe('down');
    await expect(host.call('scan', {})).resolves.toMatchObject({
      ok: false,
      error: { kind: 'unavailable', message: expect.stringContaining('keeps stopping') },
    });
    expect(forks).toHaveLength(2);
  });

  it('a stray exit or message from a replaced process changes nothing', async () => {
    const { host, forks, current } = setup({ initialBackoffMs: 1 });
    host.start();
    const first = current();
    first.exit(1);
    await vi.advanceTimersByTimeAsync(1);
    current().ready();
    first.exit(1);
    first.ready(1);
    expect(host.state).toBe('ready');
    expect(forks).toHaveLength(2);
    expect(host.pid).toBe(4242);
  });
});

describe('stop', () => {
  it('kills the engine, answers what waits, never restarts it', async () => {
    const { host, forks, current } = setup({ initialBackoffMs: 1 });
    host.start();
    current().ready();
    const scan = host.call('scan', {});
    host.stop();
    expect(current().killed).toBe(true);
    await expect(scan).resolves.toMatchObject({ ok: false, error: { kind: 'unavailable' } });
    current().exit(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(forks).toHaveLength(1);
    await expect(host.call('history', {})).resolves.toMatchObject({
      ok: false,
      error: { kind: 'unavailable', message: 'Paddock is quitting.' },
    });
  });
});
