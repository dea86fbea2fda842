/**
 * Real HTTP servers on 127.0.0.1 for tests, closed (with their open connections) after each
 * test of the file that uses them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const closers: Array<() => void> = [];
afterEach(() => {
  while (closers.length) closers.pop()!();
});

/** Starts a server on a free loopback port and returns the port. */
export async function serve(handler: Handler): Promise<number> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** Closes something else after the test too (another kind of server). */
export function closeAfterTest(close: () => void): void {
  closers.push(close);
}

/** Closes the most recently started server now (to test a closed port). */
export function closeLatest(): void {
  closers.pop()?.();
}
