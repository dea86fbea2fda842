/**
 * The engine process under Electron talks over process.parentPort (a utility process): the
 * messages it receives are `{ data }` events and it answers with postMessage. Electron is not
 * available here, so the port is an EventEmitter shaped like Electron's ParentPort; the worker
 * itself is the real one: it announces itself ready, answers by id through the contract, and
 * refuses what is not a request.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startWorker } from '../../../electron/engine/service/worker';
import type { EngineMessage } from '../../../electron/engine/service/protocol';
import { createFakeHost } from '../../support/fake-host';

class FakeParentPort extends EventEmitter {
  readonly posted: EngineMessage[] = [];
  postMessage(message: EngineMessage): void {
    // Electron's port clones what it sends: a value that cannot be cloned fails here too.
    this.posted.push(structuredClone(message));
  }
}

const saved = (process as { parentPort?: unknown }).parentPort;
let dir = '';
afterEach(() => {
  (process as { parentPort?: unknown }).parentPort = saved;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it('over Electron’s parentPort: ready first, answers by id, nothing for what is not a request', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-port-'));
  const port = new FakeParentPort();
  (process as { parentPort?: unknown }).parentPort = port;
  const host = createFakeHost({ env: { PADDOCK_STATE_DIR: dir }, home: dir, uid: 1000 });
  startWorker({ host, settingsPath: path.join(dir, 'settings.json') });

  const waitFor = async (test: () => boolean) => {
    for (let i = 0; i < 200 && !test(); i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(test()).toBe(true);
  };
  await waitFor(() => port.posted.some((m) => m.type === 'ready'));
  port.emit('message', { data: 'not a request' });
  port.emit('message', { data: { id: 7, method: 'getSettings', request: {} } });
  port.emit('message', { data: { id: 8, method: 'planFix', request: { fixId: 'rm -rf /' } } });
  await waitFor(() => port.posted.filter((m) => m.type === 'answer').length === 2);
  const answers = port.posted.filter((m) => m.type === 'answer');
  expect(answers).toContainEqual({
    type: 'answer',
    id: 7,
    envelope: expect.objectContaining({
      ok: true,
      value: expect.objectContaining({ settingsPath: path.join(dir, 'settings.json') }),
    }),
  });
  expect(answers).toContainEqual({
    type: 'answer',
    id: 8,
    envelope: expect.objectContaining({
      ok: false,
      error: expect.objectContaining({ kind: 'invalid-request' }),
    }),
  });
});
