/**
 * One scan's fingerprints on a fake host: each GET's cap, a few listeners at a time, Ollama's
 * own listeners first, one byte budget and one time limit; what the limits do not reach says
 * so, and is never reported as "not Ollama". The fake host honours the budget the way the
 * real one does (host/http.ts, tested on loopback in test/unit/host/http.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createByteBudget } from '../../../electron/engine/host/http';
import type { Host, HttpRequest, HttpResult } from '../../../electron/engine/host/types';
import {
  MODEL_LIST_CAP,
  SMALL_ANSWER_CAP,
  createFingerprintPool,
  fingerprintListener,
} from '../../../electron/engine/probes/fingerprint';
import { createFakeHost } from '../../support/fake-host';

const KiB = 1024;
const OLLAMA_PORT = 11434;

/** Ollama on OLLAMA_PORT; every other port answers `size` bytes of junk on every path. */
function answer(request: HttpRequest, size: number): HttpResult {
  const url = `http://${request.address}:${request.port}${request.path}`;
  let body: string;
  if (request.port === OLLAMA_PORT)
    body =
      request.path === '/'
        ? 'Ollama is running'
        : request.path === '/api/version'
          ? '{"version":"0.12.10"}'
          : '{"models":[{"name":"llama3.2:3b","size":1}]}';
  else body = 'x'.repeat(size);
  const cap = request.maxBodyBytes ?? Infinity;
  const wanted = Math.min(body.length, cap);
  const granted = request.budget ? request.budget.take(wanted) : wanted;
  const cut = granted < wanted ? 'budget' : granted < body.length ? 'size-cap' : undefined;
  return {
    ok: true,
    url,
    status: 200,
    headers: {},
    body: body.slice(0, granted),
    truncated: cut !== undefined,
    ...(cut ? { cut } : {}),
    durationMs: 1,
  };
}

/** A fake host whose answers take a turn of the event loop, counting listeners in flight. */
function hostWith(size: number) {
  const inFlight = new Map<number, number>();
  let most = 0;
  const requests: HttpRequest[] = [];
  const order: number[] = [];
  const host = createFakeHost({
    http: async (request) => {
      requests.push(request);
      if (!inFlight.has(request.port)) order.push(request.port);
      inFlight.set(request.port, (inFlight.get(request.port) ?? 0) + 1);
      most = Math.max(most, inFlight.size);
      await new Promise((resolve) => setImmediate(resolve));
      const left = inFlight.get(request.port)! - 1;
      if (left === 0) inFlight.delete(request.port);
      else inFlight.set(request.port, left);
      return answer(request, size);
    },
  });
  return { host, requests, order, mostListenersAtOnce: () => most };
}

describe('fingerprint limits', () => {
  it('caps each GET: 256 KiB for the model lists, 64 KiB for the rest', async () => {
    const { host, requests } = hostWith(10);
    await fingerprintListener(host, '127.0.0.1', OLLAMA_PORT);
    const caps = Object.fromEntries(
      requests.map((r) => [
        `${r.path}${r.headers ? ` ${Object.keys(r.headers)[0]}` : ''}`,
        r.maxBodyBytes,
      ]),
    );
    expect(caps).toEqual({
      '/': SMALL_ANSWER_CAP,
      '/api/version': SMALL_ANSWER_CAP,
      '/api/tags': MODEL_LIST_CAP,
      '/api/ps': MODEL_LIST_CAP,
      '/api/version Origin': SMALL_ANSWER_CAP,
      '/api/version Host': SMALL_ANSWER_CAP,
    });
    expect(MODEL_LIST_CAP).toBe(256 * KiB);
    expect(SMALL_ANSWER_CAP).toBe(64 * KiB);
  });

  it('a spent budget: the listeners it did not reach say so, and none is called "not Ollama"', async () => {
    const { host, mostListenersAtOnce } = hostWith(1024 * KiB);
    const budget = createByteBudget(2 * 1024 * KiB);
    const pool = createFingerprintPool(host, { concurrency: 2, budget });
    const ports = Array.from({ length: 12 }, (_, i) => 20_000 + i);
    const outcomes = await Promise.all(ports.map((port) => pool.fingerprint('127.0.0.1', port, 2)));
    expect(mostListenersAtOnce()).toBeLessThanOrEqual(2);
    expect(budget.remaining()).toBeLessThan(4 * KiB);
    const limited = outcomes.filter((o) => o.limitedBy === 'budget');
    expect(limited.length).toBeGreaterThanOrEqual(ports.length - 4);
    for (const outcome of limited) {
      expect(outcome.fingerprint.identity).toBe('no-answer');
      const problems = outcome.fingerprint.problems.join(' ');
      expect(problems).toMatch(/budget for HTTP answers \(2 MiB over all listeners\) was spent/);
      expect(problems).toMatch(/whether Ollama answers here is unknown/);
      expect(outcome.evidence.map((e) => e.outcome).join(' ')).toMatch(/budget/);
    }
    // Not one of them is "other-http": what was not read is not a judgement.
    expect(outcomes.filter((o) => o.fingerprint.identity === 'other-http')).toHaveLength(
      outcomes.length - limited.length,
    );
    const skipped = limited.filter((o) => o.fingerprint.problems[0]!.startsWith('not checked'));
    expect(skipped.length).toBeGreaterThan(0);
    for (const outcome of skipped)
      expect(outcome.evidence).toEqual([
        expect.objectContaining({ kind: 'http', outcome: expect.stringMatching(/^not checked: /) }),
      ]);
  });

  it('Ollama’s own listener goes first, even when asked for after the hidden ones', async () => {
    const { host, order } = hostWith(1024 * KiB);
    const budget = createByteBudget(1024 * KiB);
    const pool = createFingerprintPool(host, { concurrency: 1, budget });
    const hostile = Array.from({ length: 8 }, (_, i) =>
      pool.fingerprint('127.0.0.1', 20_000 + i, 2),
    );
    const ollama = pool.fingerprint('127.0.0.1', OLLAMA_PORT, 0);
    const [found, ...others] = await Promise.all([ollama, ...hostile]);
    // The first hidden one had already started; Ollama's came next, before the budget ran out.
    expect(order.slice(0, 2)).toEqual([20_000, OLLAMA_PORT]);
    expect(found!.fingerprint).toMatchObject({ identity: 'ollama', version: '0.12.10' });
    expect(found!.limitedBy).toBeNull();
    expect(others.some((o) => o.limitedBy === 'budget')).toBe(true);
  });

  it('past the time limit, the rest are not checked, and say that time ran out', async () => {
    let clock = 0;
    const { host: fake } = hostWith(10);
    const host: Host = {
      ...fake,
      monotonicMs: () => clock,
      http: async (request) => {
        clock += 1500; // each GET takes 1.5 s of the scan's time
        return fake.http(request);
      },
    };
    const pool = createFingerprintPool(host, { concurrency: 1, timeLimitMs: 4000 });
    const outcomes = await Promise.all(
      [20_000, 20_001, 20_002].map((port) => pool.fingerprint('127.0.0.1', port, 2)),
    );
    expect(outcomes[0]!.limitedBy).toBeNull();
    for (const outcome of outcomes.slice(1)) {
      expect(outcome.limitedBy).toBe('time');
      expect(outcome.fingerprint.identity).toBe('no-answer');
      expect(outcome.fingerprint.problems[0]).toMatch(
        /^not checked: the scan's time for HTTP checks \(4 s\) ran out/,
      );
    }
  });

  it('a GET starting late gets only the time left, not its own 3 s', async () => {
    let clock = 0;
    const { host: fake, requests } = hostWith(10);
    const host: Host = { ...fake, monotonicMs: () => clock };
    const pool = createFingerprintPool(host, { timeLimitMs: 4000 });
    await pool.fingerprint('127.0.0.1', OLLAMA_PORT);
    clock = 3500;
    await pool.fingerprint('127.0.0.1', 20_000);
    expect(requests.slice(0, 6).every((r) => r.totalTimeoutMs === 3000)).toBe(true);
    expect(requests.slice(6).every((r) => r.totalTimeoutMs === 500)).toBe(true);
    expect(requests.slice(6).every((r) => r.connectTimeoutMs === 500)).toBe(true);
  });
});
