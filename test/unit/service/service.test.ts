/**
 * The engine service behind the app's window (engine/service/): the contract is enforced in
 * the engine process itself (a request that does not match its schema does nothing; an answer
 * that does not match is never sent), a fix is applied only by the digest of a plan this
 * engine previewed, and preferences and accepted risks land in the settings file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../shared/api';
import { dispatch } from '../../../electron/engine/service/dispatch';
import type { Service } from '../../../electron/engine/service/service';
import { ServiceError, createService } from '../../../electron/engine/service/service';
import { createNodeHost } from '../../../electron/engine/host/node-host';
import { createFakeHost } from '../../support/fake-host';

let dir: string;
let settingsPath: string;
let events: AppEvent[];
let service: Service;
let calls: string[];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-service-'));
  settingsPath = path.join(dir, 'config', 'settings.json');
  events = [];
  calls = [];
  const host = createNodeHost();
  const tracked = {
    ...host,
    exec: (argv: readonly string[], options?: Parameters<typeof host.exec>[1]) => {
      calls.push(argv.join(' '));
      return host.exec(argv, options);
    },
  };
  service = createService({
    host: tracked,
    elevate: { host: tracked, privileged: ['/nonexistent/paddock'], interactive: false },
    settingsPath,
    emit: (event) => events.push(event),
  });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('dispatch', () => {
  it('refuses a request that does not match its schema, and never calls the engine', async () => {
    let called = false;
    const spy = {
      ...service,
      planFix: () => {
        called = true;
        return Promise.reject(new Error('must not be called'));
      },
    } as Service;
    const bad = await dispatch(spy, 'planFix', { fixId: 'rm -rf /', instance: null });
    expect(bad).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    const extra = await dispatch(spy, 'planFix', {
      fixId: 'block-port',
      instance: null,
      shell: 'sh -c',
    });
    expect(extra).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    expect(called).toBe(false);
  });

  it('refuses a method that is not in the contract', async () => {
    for (const method of ['constructor', '__proto__', 'recover', 'latest', 'exec']) {
      const answer = await dispatch(service, method, {});
      expect(answer, method).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    }
  });

  it('passes the engine’s own words back, and never an answer of the wrong shape', async () => {
    const refusing = {
      ...service,
      history: () => Promise.reject(new ServiceError('The runs folder is on fire.')),
    } as Service;
    expect(await dispatch(refusing, 'history', {})).toEqual({
      ok: false,
      error: { kind: 'engine', message: 'The runs folder is on fire.' },
    });
    const lying = {
      ...service,
      history: () => Promise.resolve({ runs: 'all of them' }),
    } as unknown as Service;
    expect(await dispatch(lying, 'history', {})).toMatchObject({
      ok: false,
      error: { kind: 'invalid-result' },
    });
  });
});

describe('the service', () => {
  it('scans this machine and answers a view that matches the contract', async () => {
    const answer = await dispatch(service, 'scan', {});
    expect(answer.ok).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['scan-started', 'scan-finished']);
    const snapshot = await dispatch(service, 'snapshot', {});
    expect(snapshot).toEqual(answer);
  });

  it('applies nothing for a digest it did not preview', async () => {
    const answer = await dispatch(service, 'applyFix', { digest: 'a'.repeat(64) });
    expect(answer).toMatchObject({ ok: false, error: { kind: 'engine' } });
    expect(!answer.ok && answer.error.message).toMatch(/no longer current.*nothing was run/i);
    expect(calls).toEqual([]);
  });

  it('says plainly when there is no server to fix', async () => {
    // A host with nothing on it (this machine may run lab stand-ins while the tests run).
    const empty = createFakeHost();
    const bare = createService({
      host: empty,
      elevate: { host: empty, privileged: ['/nonexistent/paddock'], interactive: false },
      settingsPath,
      emit: () => undefined,
    });
    const answer = await dispatch(bare, 'planFix', { fixId: 'block-port', instance: null });
    expect(answer).toMatchObject({ ok: false, error: { kind: 'engine' } });
    expect(!answer.ok && answer.error.message).toMatch(/No Ollama server was found/);
  });

  it('keeps preferences in the settings file and refuses values out of range', async () => {
    const first = await dispatch(service, 'getSettings', {});
    expect(first).toMatchObject({
      ok: true,
      value: { preferences: { scanIntervalMinutes: 10, notifications: true, startAtLogin: false } },
    });
    expect(fs.existsSync(settingsPath)).toBe(false);
    const changed = await dispatch(service, 'updateSettings', { scanIntervalMinutes: 30 });
    expect(changed).toMatchObject({
      ok: true,
      value: { preferences: { scanIntervalMinutes: 30 } },
    });
    const stored = JSON.parse(fs.readFileSync(settingsPath, 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ version: 1, preferences: { scanIntervalMinutes: 30 } });
    const before = fs.readFileSync(settingsPath, 'utf8');
    expect(await dispatch(service, 'updateSettings', { scanIntervalMinutes: 0 })).toMatchObject({
      ok: false,
      error: { kind: 'invalid-request' },
    });
    expect(fs.readFileSync(settingsPath, 'utf8')).toBe(before);
  });

  it('never rewrites a broken settings file, and says what to do', async () => {
    fs.mkdirSync(path.dirname(settingsPath), { recursive: true });
    fs.writeFileSync(settingsPath, '{ not json');
    const settings = await dispatch(service, 'getSettings', {});
    expect(settings).toMatchObject({
      ok: true,
      value: { problem: expect.stringMatching(/not valid JSON/) },
    });
    const update = await dispatch(service, 'updateSettings', { notifications: false });
    expect(update).toMatchObject({ ok: false, error: { kind: 'engine' } });
    expect(fs.readFileSync(settingsPath, 'utf8')).toBe('{ not json');
  });

  it('records an accepted risk and shows it on the next view', async () => {
    const answer = await dispatch(service, 'acceptRisk', {
      ruleId: 'firewall-off',
      instance: null,
      reason: 'lab machine\u202e with a bidi override',
      until: null,
    });
    expect(answer.ok).toBe(true);
    const settings = await dispatch(service, 'getSettings', {});
    expect(settings).toMatchObject({
      ok: true,
      value: {
        acceptedRisks: [{ ruleId: 'firewall-off', reason: 'lab machine with a bidi override' }],
      },
    });
  });
});
