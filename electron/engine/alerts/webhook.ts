/**
 * Issue 15, alerts where a team already looks: a webhook sink for Paddock's events
 * (shared/events.ts). The body in the shape each service accepts (a generic JSON, Slack's and
 * Discord's incoming webhooks, a Microsoft Teams connector's MessageCard, ntfy's plain text
 * with headers), and a queue on disk so that an alert raised while the network is down is sent
 * later, once: in order, with retries and backoff, bounded (the oldest dropped and counted when
 * full). Nothing in here decides which events to send: the watcher's change-only, rate-limit
 * and hourly-cap rules stay where the desktop notifications have them.
 *
 * The queue file is written atomically (host/atomic-write.ts, 0600): a crash leaves the old
 * queue or the new one, never half. An event is removed only after the receiver answered 2xx;
 * the generic body and every shape's text carry the event's id, for a receiver that must never
 * see one twice even if Paddock dies between its answer and the rewrite.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PaddockEvent } from '../../../shared/events';
import { writeFileAtomic } from '../host/atomic-write';

export type WebhookShape = 'generic' | 'slack' | 'discord' | 'teams' | 'ntfy';
export const WEBHOOK_SHAPES: readonly WebhookShape[] = [
  'generic',
  'slack',
  'discord',
  'teams',
  'ntfy',
];

export interface WebhookRequest {
  body: string;
  headers: Record<string, string>;
}

const TITLES: Record<PaddockEvent['kind'], string> = {
  'exposure-started': 'A local LLM server became reachable',
  'exposure-ended': 'A local LLM server is private again',
  'remote-client': 'Another machine is using a local LLM server',
  'new-instance': 'A new local LLM server',
  'instance-gone': 'A local LLM server stopped',
  'finding-new': 'A new finding',
  'finding-resolved': 'A finding is resolved',
  'fix-applied': 'A fix was applied',
  'fix-failed': 'A fix failed and was rolled back',
  'fix-undone': 'A fix was undone',
  'gpu-busy-remote': 'The GPU is busy for another machine',
  'vulnerable-version': 'A server runs a version with known advisories',
  'admin-copy': "Paddock's admin copy changed",
};

/** ntfy's priority (1-5) for a severity. */
const NTFY_PRIORITY: Record<PaddockEvent['severity'], string> = {
  critical: '5',
  high: '4',
  medium: '3',
  low: '2',
  info: '2',
};

/** A header value: one line of printable ASCII (ntfy's Title, Tags), cut. */
function headerValue(text: string, max = 200): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The host name a message names, so that a channel shared by a fleet knows which machine. */
export function webhookRequest(
  shape: WebhookShape,
  event: PaddockEvent,
  hostname: string,
): WebhookRequest {
  const title = `${TITLES[event.kind]} on ${hostname}`;
  const line = `${event.message} (${event.severity}; event ${event.id})`;
  const json = (value: unknown): WebhookRequest => ({
    body: JSON.stringify(value),
    headers: { 'Content-Type': 'application/json' },
  });
  switch (shape) {
    case 'generic':
      return json({ source: 'paddock', host: hostname, title, event });
    case 'slack':
      // Slack reads `<`, `>` and `&` as markup in text: escaped as its docs say.
      return json({
        text: cut(
          `*${title}*\n${line}`.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
          3000,
        ),
      });
    case 'discord':
      // Discord allows 2000 characters; no mention may ping anyone.
      return json({
        content: cut(`**${title}**\n${line}`, 2000),
        allowed_mentions: { parse: [] },
      });
    case 'teams':
      return json({
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: cut(title, 200),
        title: cut(title, 200),
        text: cut(line, 4000),
      });
    case 'ntfy':
      return {
        body: cut(line, 4000),
        headers: {
          'Content-Type': 'text/plain; charset=utf-8',
          Title: headerValue(title),
          Priority: NTFY_PRIORITY[event.severity],
          Tags: headerValue(`paddock,${event.kind}`),
        },
      };
  }
}

// ── the queue ──────────────────────────────────────────────────────────────────────────

export interface QueuedEvent {
  event: PaddockEvent;
  attempts: number;
  /** Epoch ms before which it is not tried again (backoff); 0: now. */
  notBefore: number;
  /** What the last try said, for `paddock service status`. */
  lastError: string | null;
}

interface QueueFile {
  version: 1;
  /** Events dropped because the queue was full, since the file was made. */
  dropped: number;
  entries: QueuedEvent[];
}

export type SendResult = { ok: true } | { ok: false; error: string };

export interface WebhookQueueOptions {
  /** The queue's file (0600, written atomically). */
  file: string;
  /** At most this many events wait; the oldest go first when it is full. */
  maxEntries: number;
  /** Sends one event; ok only for a 2xx answer. */
  send: (event: PaddockEvent) => Promise<SendResult>;
  now: () => number;
  /** Backoff after the nth failure (1-based), ms: 1 s doubling, at most 5 minutes. */
  backoffMs?: (attempt: number) => number;
}

export interface FlushResult {
  delivered: number;
  pending: number;
  dropped: number;
  /** The error of the first event that could not be sent this time, if any. */
  error: string | null;
}

const defaultBackoff = (attempt: number) => Math.min(300_000, 1000 * 2 ** (attempt - 1));

export class WebhookQueue {
  private readonly options: WebhookQueueOptions;
  private flushing: Promise<FlushResult> | null = null;
  /**
   * Ids the receiver took whose removal from the file is not written yet (the disk full, or
   * read-only): never sent again, and removed as soon as a write works.
   */
  private readonly delivered = new Set<string>();
  /** After a write failed: no sending before then (the whole queue backs off). */
  private pausedUntil = 0;

  constructor(options: WebhookQueueOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1)
      throw new Error('the queue must hold at least one event');
    this.options = options;
  }

  private read(): QueueFile {
    let text: string;
    try {
      text = readFileSync(this.options.file, 'utf8');
    } catch {
      return { version: 1, dropped: 0, entries: [] };
    }
    try {
      const parsed = JSON.parse(text) as QueueFile;
      if (parsed.version === 1 && Array.isArray(parsed.entries) && Number.isInteger(parsed.dropped))
        return parsed;
    } catch {
      // fall through
    }
    throw new Error(`${this.options.file} is not a queue Paddock wrote; it was left as it is`);
  }

  private write(queue: QueueFile): void {
    writeFileAtomic(this.options.file, `${JSON.stringify(queue)}\n`, 0o600);
  }

  /** Queues events (an id already queued is not queued twice); drops the oldest when full. */
  enqueue(events: readonly PaddockEvent[]): { queued: number; dropped: number } {
    const queue = this.read();
    const known = new Set(queue.entries.map((e) => e.event.id));
    let queued = 0;
    for (const event of events) {
      if (known.has(event.id)) continue;
      known.add(event.id);
      queue.entries.push({ event, attempts: 0, notBefore: 0, lastError: null });
      queued += 1;
    }
    const over = Math.max(0, queue.entries.length - this.options.maxEntries);
    if (over > 0) {
      queue.entries.splice(0, over);
      queue.dropped += over;
    }
    this.write(queue);
    return { queued, dropped: over };
  }

  /**
   * Sends what is due, oldest first, and stops at the first failure (order is kept: a later
   * event never overtakes one that failed). One flush at a time.
   */
  flush(): Promise<FlushResult> {
    if (this.flushing) return this.flushing;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<FlushResult> {
    let queue = this.read();
    let delivered = 0;
    let error: string | null = null;
    const backoff = this.options.backoffMs ?? defaultBackoff;
    if (this.options.now() < this.pausedUntil)
      return {
        delivered,
        pending: queue.entries.length,
        dropped: queue.dropped,
        error: 'the queue file could not be written; waiting before the next try',
      };
    // What was delivered while the file could not be written goes first.
    if (this.delivered.size > 0) {
      const before = queue.entries.length;
      queue.entries = queue.entries.filter((e) => !this.delivered.has(e.event.id));
      if (queue.entries.length !== before && !this.tryWrite(queue))
        return {
          delivered,
          pending: queue.entries.length,
          dropped: queue.dropped,
          error: this.writeError,
        };
      this.delivered.clear();
    }
    // Bounded: at most the entries there were when the flush began.
    for (let budget = queue.entries.length; budget > 0; budget -= 1) {
      const head = queue.entries[0];
      if (!head || head.notBefore > this.options.now()) break;
      const result = await this.options.send(head.event);
      queue = this.read();
      const at = queue.entries.findIndex((e) => e.event.id === head.event.id);
      if (result.ok) {
        this.delivered.add(head.event.id);
        if (at >= 0) queue.entries.splice(at, 1);
        delivered += 1;
        if (!this.tryWrite(queue)) {
          error = this.writeError;
          break;
        }
        this.delivered.delete(head.event.id);
        continue;
      }
      error = result.error;
      if (at >= 0) {
        const entry = queue.entries[at]!;
        entry.attempts += 1;
        entry.notBefore = this.options.now() + backoff(entry.attempts);
        entry.lastError = result.error.slice(0, 300);
        this.write(queue);
      }
      break;
    }
    return { delivered, pending: queue.entries.length, dropped: queue.dropped, error };
  }

  private writeError: string | null = null;

  /** Writes the queue; on failure remembers why and pauses sending for a minute. */
  private tryWrite(queue: QueueFile): boolean {
    try {
      this.write(queue);
      this.writeError = null;
      return true;
    } catch (error) {
      this.writeError = `the queue file could not be written (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
      this.pausedUntil = this.options.now() + 60_000;
      return false;
    }
  }

  status(): { pending: number; dropped: number; nextAttemptAt: number | null } {
    const queue = this.read();
    return {
      pending: queue.entries.length,
      dropped: queue.dropped,
      nextAttemptAt: queue.entries[0]?.notBefore ?? null,
    };
  }
}

// ── sending ─────────────────────────────────────────────────────────────────────────────

/**
 * A sender for one webhook URL. The URL is a secret for most services (Slack's and Discord's
 * carry their token in the path): it is never put in an error, a log or a status, which say
 * only the host. 2xx is delivered; anything else, or no answer within `timeoutMs`, is not.
 */
export function webhookSender(
  url: string,
  shape: WebhookShape,
  hostname: string,
  timeoutMs = 10_000,
): (event: PaddockEvent) => Promise<SendResult> {
  const target = new URL(url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:')
    throw new Error('a webhook URL is http:// or https://');
  const where = target.host;
  return (event) =>
    new Promise((resolve) => {
      const { body, headers } = webhookRequest(shape, event, hostname);
      const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
      let settled = false;
      const done = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const req = request(
        target,
        {
          method: 'POST',
          headers: {
            ...headers,
            'Content-Length': Buffer.byteLength(body),
            'User-Agent': 'paddock',
          },
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            done(
              status >= 200 && status < 300
                ? { ok: true }
                : { ok: false, error: `${where} answered HTTP ${status}` },
            );
          });
          res.on('error', () => done({ ok: false, error: `${where}: the answer broke off` }));
        },
      );
      const timer = setTimeout(() => {
        done({ ok: false, error: `${where}: no answer within ${timeoutMs} ms` });
        req.destroy();
      }, timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) =>
        done({ ok: false, error: `${where}: ${error.code ?? 'the request failed'}` }),
      );
      req.end(body);
    });
}
