/**
 * The shell's own requests to the engine process (watch, pause, status): checked before use,
 * and watching really runs (a first full scan through the service, events to the history).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { AppEvent } from '../../../shared/api';
import type { PaddockEvent } from '../../../shared/events';
import { createNodeHost } from '../../../electron/engine/host/node-host';
import { createService } from '../../../electron/engine/service/service';
import { controller } from '../../../electron/engine/service/worker';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function make() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-control-'));
  dirs.push(dir);
  const host = createNodeHost();
  const emitted: AppEvent[] = [];
  const appended: PaddockEvent[] = [];
  const events = {
    append: (event: PaddockEvent) => void appended.push(event),
    read: () => Promise.resolve({ events: appended, problems: [] }),
  };
  const emit = (event: AppEvent) => emitted.push(event);
  const service = createService({
    host,
    elevate: { host, privileged: ['/nonexistent'], interactive: false },
    settingsPath: path.join(dir, 'settings.json'),
    emit,
    events,
  });
  return { control: controller(service, { host, events, emit }), emitted };
}

it('refuses malformed watch and pause requests, and pausing before watching', async () => {
  const { control } = make();
  for (const bad of [{ fullScanMinutes: 0 }, { fullScanMinutes: 1.5 }, { fullScanMinutes: '10' }])
    expect(await control('watch', bad)).toMatchObject({
      ok: false,
      error: { kind: 'invalid-request' },
    });
  expect(await control('pause', { until: null })).toMatchObject({
    ok: false,
    error: { message: expect.stringMatching(/not watching/) },
  });
});

it('watches: a first full scan at once, pause until a time, resume', async () => {
  const { control, emitted } = make();
  const started = await control('watch', { fullScanMinutes: 10 });
  expect(started).toMatchObject({ ok: true, value: { running: true, pausedUntil: null } });
  for (let i = 0; i < 100 && !emitted.some((e) => e.type === 'scan-finished'); i += 1)
    await new Promise((resolve) => setTimeout(resolve, 20));
  expect(emitted.some((e) => e.type === 'scan-finished')).toBe(true);
  const until = new Date(Date.now() + 3_600_000).toISOString();
  expect(await control('pause', { until: 'tomorrow' })).toMatchObject({ ok: false });
  expect(await control('pause', { until })).toMatchObject({
    ok: true,
    value: { pausedUntil: until },
  });
  // Restarting at another interval keeps the pause.
  expect(await control('watch', { fullScanMinutes: 30 })).toMatchObject({
    ok: true,
    value: { pausedUntil: until },
  });
  expect(await control('pause', { until: null })).toMatchObject({
    ok: true,
    value: { pausedUntil: null },
  });
  await control('watch', { fullScanMinutes: 1440 });
  const status = await control('status', {});
  expect(status).toMatchObject({ ok: true, value: { running: true } });
});
