/**
 * Issue 15, the webhook sink under faults, against a real HTTP receiver on loopback: down, slow,
 * answering 500, then back. Every event arrives once, in order, none twice; while it cannot be
 * sent it waits on disk (0600), and a full queue drops the oldest and counts them. Plus the
 * body each service accepts, with hostile text kept to what it is.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  WebhookQueue,
  webhookRequest,
  webhookSender,
} from '../../../electron/engine/alerts/webhook';
import type { PaddockEvent } from '../../../shared/events';

function event(n: number, over: Partial<PaddockEvent> = {}): PaddockEvent {
  return {
    id: `2026-12-06T10:00:${String(n).padStart(2, '0')}.000Z-ev${n}`,
    kind: 'exposure-started',
    at: `2026-12-06T10:00:${String(n).padStart(2, '0')}.000Z`,
    instance: 'ollama:service:ollama.service',
    verdict: 'lan',
    severity: 'high',
    message: `Ollama became reachable from the local network (${n}).`,
    data: {},
    ...over,
  };
}

/** A receiver whose behaviour the test sets: up, down (closed), slow, or answering 500. */
async function receiver() {
  const got: Array<{ id: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  let mode: 'ok' | 'error' | 'slow' = 'ok';
  let slowMs = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const answer = () => {
        if (mode === 'error') {
          res.statusCode = 500;
          res.end('no');
          return;
        }
        const id = (JSON.parse(body) as { event: PaddockEvent }).event.id;
        got.push({ id, headers: req.headers, body });
        res.end('ok');
      };
      if (mode === 'slow') setTimeout(answer, slowMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    url: `http://127.0.0.1:${port}/hook/SECRET-TOKEN-PART`,
    set(next: 'ok' | 'error' | 'slow', ms = 0) {
      mode = next;
      slowMs = ms;
    },
    async down() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
    async up() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the webhook queue under faults, against a real receiver', () => {
  let dir = '';
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('down, answering 500, slow, then back: every event once, in order, none twice; waiting on disk meanwhile', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-hook-'));
    const file = path.join(dir, 'queue.json');
    const r = await receiver();
    let clock = 1_000_000;
    const queue = new WebhookQueue({
      file,
      maxEntries: 100,
      send: webhookSender(r.url, 'generic', 'gpu1', 2000),
      now: () => clock,
    });
    try {
      // Down: nothing sent, the event waits on disk (0600), the error names no secret.
      await r.down();
      queue.enqueue([event(1)]);
      let result = await queue.flush();
      expect(result).toMatchObject({ delivered: 0, pending: 1 });
      expect(result.error).toMatch(/^127\.0\.0\.1:\d+: ECONNREFUSED$/);
      expect(result.error).not.toContain('SECRET');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      // Backoff: not tried again before its time.
      queue.enqueue([event(2)]);
      expect((await queue.flush()).delivered).toBe(0);
      expect(queue.status()).toMatchObject({ pending: 2, nextAttemptAt: clock + 1000 });

      // Back up but answering 500: still waiting, the next try later (2 s).
      await r.up();
      r.set('error');
      clock += 1000;
      result = await queue.flush();
      expect(result).toMatchObject({ delivered: 0, pending: 2 });
      expect(result.error).toMatch(/answered HTTP 500$/);
      expect(queue.status().nextAttemptAt).toBe(clock + 2000);

      // Slow but within the timeout: delivered, in order, once.
      r.set('slow', 500);
      clock += 2000;
      queue.enqueue([event(3)]);
      result = await queue.flush();
      expect(result).toMatchObject({ delivered: 3, pending: 0, error: null });

      // Slower than the timeout: not counted as sent; sent again once it answers in time.
      r.set('slow', 3000);
      queue.enqueue([event(4)]);
      result = await queue.flush();
      expect(result.error).toMatch(/no answer within 2000 ms/);
      r.set('ok');
      clock += 1000;
      result = await queue.flush();
      expect(result).toMatchObject({ delivered: 1, pending: 0 });
      // The slow answer to the first try may still land after it: wait it out, then count.
      await new Promise((resolve) => setTimeout(resolve, 3200));
      const ids = r.got.map((g) => g.id);
      expect(ids.slice(0, 3)).toEqual([event(1).id, event(2).id, event(3).id]);
      expect(ids.filter((id) => id !== event(4).id)).toHaveLength(3);
      // Event 4 reached the receiver at most twice (the timed-out try, then the retry); a
      // receiver that must never see one twice dedupes by the id every body carries.
      const fourth = ids.filter((id) => id === event(4).id).length;
      expect(fourth).toBeGreaterThanOrEqual(1);
      expect(fourth).toBeLessThanOrEqual(2);
      // Enqueuing an event already queued does not queue it twice.
      queue.enqueue([event(5), event(5)]);
      expect(queue.status().pending).toBe(1);
    } finally {
      await r.close();
    }
  }, 30_000);

  it('bounded: a full queue drops the oldest and counts them; what is left goes out in order', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-hook-'));
    const file = path.join(dir, 'queue.json');
    const r = await receiver();
    const queue = new WebhookQueue({
      file,
      maxEntries: 3,
      send: webhookSender(r.url, 'generic', 'gpu1', 2000),
      now: () => 0,
    });
    try {
      await r.down();
      for (let n = 1; n <= 5; n++) queue.enqueue([event(n)]);
      expect(queue.status()).toMatchObject({ pending: 3, dropped: 2 });
      await r.up();
      expect(await queue.flush()).toMatchObject({ delivered: 3, pending: 0, dropped: 2 });
      expect(r.got.map((g) => g.id)).toEqual([event(3).id, event(4).id, event(5).id]);
    } finally {
      await r.close();
    }
  });

  it('a delivery whose removal cannot be written (a full disk) is never sent again', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-hook-'));
    const file = path.join(dir, 'queue.json');
    const r = await receiver();
    let clock = 0;
    const queue = new WebhookQueue({
      file,
      maxEntries: 10,
      send: webhookSender(r.url, 'generic', 'gpu1', 2000),
      now: () => clock,
    });
    try {
      queue.enqueue([event(1), event(2)]);
      // The disk fills up after the event was taken: the rewrite fails.
      const fails = queue as unknown as { write: (q: unknown) => void };
      const write = fails.write.bind(queue);
      fails.write = () => {
        throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      };
      const first = await queue.flush();
      expect(first.error).toMatch(/ENOSPC/);
      expect(r.got.map((g) => g.id)).toEqual([event(1).id]);
      // Flushes in the next minute send nothing at all.
      clock += 5_000;
      await queue.flush();
      expect(r.got).toHaveLength(1);
      // The disk has room again: event 1 leaves the file unsent, event 2 goes out.
      fails.write = write;
      clock += 60_000;
      expect(await queue.flush()).toMatchObject({ delivered: 1, pending: 0 });
      expect(r.got.map((g) => g.id)).toEqual([event(1).id, event(2).id]);
    } finally {
      await r.close();
    }
  });

  it('a queue file Paddock did not write is left as it is, with a clear error', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-hook-'));
    const file = path.join(dir, 'queue.json');
    fs.writeFileSync(file, 'not json');
    const queue = new WebhookQueue({
      file,
      maxEntries: 3,
      send: async () => ({ ok: true }),
      now: () => 0,
    });
    expect(() => queue.enqueue([event(1)])).toThrow(/not a queue Paddock wrote/);
    expect(fs.readFileSync(file, 'utf8')).toBe('not json');
  });
});

describe('the body each service accepts', () => {
  const hostile = event(1, {
    message: 'Ollama <@everyone> & <!channel> on "x"\nTitle: evil',
    severity: 'critical',
  });
  it('generic: the event as it is, with the host and a title', () => {
    const r = webhookRequest('generic', hostile, 'gpu1');
    expect(JSON.parse(r.body)).toMatchObject({ source: 'paddock', host: 'gpu1', event: hostile });
    expect(r.headers['Content-Type']).toBe('application/json');
  });
  it('Slack: markup characters escaped, so a message cannot mention a channel', () => {
    const text = (JSON.parse(webhookRequest('slack', hostile, 'gpu1').body) as { text: string })
      .text;
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
    expect(text).toMatch(/^\*A local LLM server became reachable on gpu1\*\n/);
  });
  it('Discord: no mention pings anyone, at most 2000 characters', () => {
    const body = JSON.parse(
      webhookRequest('discord', event(1, { message: 'x'.repeat(3000) }), 'gpu1').body,
    ) as { content: string; allowed_mentions: { parse: string[] } };
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.content.length).toBeLessThanOrEqual(2000);
  });
  it('Teams: a MessageCard with a summary', () => {
    expect(JSON.parse(webhookRequest('teams', hostile, 'gpu1').body)).toMatchObject({
      '@type': 'MessageCard',
      summary: 'A local LLM server became reachable on gpu1',
    });
  });
  it('ntfy: plain text; its headers one printable line, priority from the severity', () => {
    const r = webhookRequest('ntfy', hostile, 'gp\nu1');
    expect(r.headers.Title).toBe('A local LLM server became reachable on gp?u1');
    expect(r.headers.Priority).toBe('5');
    expect(r.body).toContain(hostile.id);
  });
});
