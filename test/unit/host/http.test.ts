/**
 * The host's HTTP client against real servers on loopback: an answer whose Content-Length is
 * over the cap is refused before its body is read, and a byte budget shared by several
 * requests bounds what they read together.
 */
import { describe, expect, it } from 'vitest';
import { createByteBudget, httpRequest } from '../../../electron/engine/host/http';
import type { HttpResult } from '../../../electron/engine/host/types';
import { serve } from '../../support/loopback-http';

const KiB = 1024;

function answer(result: HttpResult) {
  if (!result.ok) throw new Error(`expected an answer, got ${result.error}: ${result.message}`);
  return result;
}

describe('createByteBudget', () => {
  it('grants what is left, then nothing', () => {
    const budget = createByteBudget(100);
    expect(budget.total).toBe(100);
    expect(budget.take(60)).toBe(60);
    expect(budget.take(60)).toBe(40);
    expect(budget.take(1)).toBe(0);
    expect(budget.remaining()).toBe(0);
  });

  it('a part of a larger budget takes from both, and never more than its own size', () => {
    const scan = createByteBudget(100);
    const part = createByteBudget(70, scan);
    expect(part.take(80)).toBe(70);
    expect(part.remaining()).toBe(0);
    expect(scan.remaining()).toBe(30);
    const other = createByteBudget(50, scan);
    expect(other.remaining()).toBe(30);
    expect(other.take(50)).toBe(30);
    expect(scan.remaining()).toBe(0);
  });
});

describe('httpRequest bounds', () => {
  it('refuses a body whose Content-Length is over the cap without reading it', async () => {
    // Headers announce 10 MiB, then nothing comes: reading would wait for the 3 s timeout.
    let closed: Promise<unknown> | null = null;
    const port = await serve((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 10 * 1024 * KiB });
      res.flushHeaders();
      closed = new Promise((resolve) => req.socket.once('close', resolve));
    });
    const result = answer(
      await httpRequest({ address: '127.0.0.1', port, path: '/api/tags', maxBodyBytes: 256 * KiB }),
    );
    expect(result).toMatchObject({ status: 200, body: '', truncated: true, cut: 'content-length' });
    expect(result.headers['content-length']).toBe(String(10 * 1024 * KiB));
    // The client hung up rather than wait for the body (the test's timeout bounds this).
    expect(closed).not.toBeNull();
    await closed;
  });

  it('reads a body whose Content-Length is within the cap, and a HEAD answer as it is', async () => {
    const body = 'y'.repeat(64 * KiB);
    const port = await serve((req, res) => {
      res.writeHead(200, { 'Content-Length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    const got = answer(
      await httpRequest({ address: '127.0.0.1', port, path: '/', maxBodyBytes: 64 * KiB }),
    );
    expect(got).toMatchObject({ truncated: false, body });
    expect(got.cut).toBeUndefined();
    const head = answer(
      await httpRequest({ address: '127.0.0.1', port, path: '/', method: 'HEAD', maxBodyBytes: 1 }),
    );
    expect(head).toMatchObject({ status: 200, truncated: false, body: '' });
  });

  it('cuts a body with no Content-Length at the cap', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' }); // chunked
      res.end('z'.repeat(100 * KiB));
    });
    const got = answer(
      await httpRequest({ address: '127.0.0.1', port, path: '/', maxBodyBytes: 64 * KiB }),
    );
    expect(got).toMatchObject({ truncated: true, cut: 'size-cap' });
    expect(got.body).toHaveLength(64 * KiB);
  });

  it('requests sharing a budget read no more than it together, and the last is cut', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200); // chunked: the client cannot know the size before reading
      res.end('b'.repeat(60 * KiB));
    });
    const budget = createByteBudget(100 * KiB);
    const get = () =>
      httpRequest({ address: '127.0.0.1', port, path: '/', maxBodyBytes: 256 * KiB, budget });
    const first = answer(await get());
    const second = answer(await get());
    const third = answer(await get());
    expect(first).toMatchObject({ truncated: false });
    expect(first.body).toHaveLength(60 * KiB);
    expect(second).toMatchObject({ truncated: true, cut: 'budget' });
    expect(second.body).toHaveLength(40 * KiB);
    expect(third).toMatchObject({ truncated: true, cut: 'budget', body: '' });
    expect(budget.remaining()).toBe(0);
  });

  it('refuses unread a Content-Length over what is left of the budget', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': String(8 * KiB) });
      res.end('c'.repeat(8 * KiB));
    });
    const budget = createByteBudget(4 * KiB);
    const got = answer(
      await httpRequest({ address: '127.0.0.1', port, path: '/', maxBodyBytes: 64 * KiB, budget }),
    );
    expect(got).toMatchObject({ truncated: true, cut: 'budget', body: '' });
    expect(budget.remaining()).toBe(4 * KiB);
  });
});
