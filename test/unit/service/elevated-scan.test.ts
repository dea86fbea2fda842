/**
 * Issue 18, "Check with admin rights…" (attack review R5/R6): the window may ask for a scan
 * with the firewall read by the privileged side. However often it asks, one admin prompt is
 * open at a time and every request shares its answer; a refused prompt changes nothing and
 * says why.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createService } from '../../../electron/engine/service/service';
import { createFakeHost } from '../../support/fake-host';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-elev-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('three requests at once: one admin prompt, one answer for all; refused, it says so', async () => {
  const host = createFakeHost({
    uid: 1000,
    user: 'alice',
    exec: {
      'sudo -n -- /opt/paddock-privileged __firewall-facts': {
        code: 1,
        stderr: 'sudo: a password is required\n',
      },
      'pkexec /opt/paddock-privileged __firewall-facts': { code: 126, stderr: '' },
    },
  });
  const service = createService({
    host,
    elevate: { host, privileged: ['/opt/paddock-privileged'], interactive: false },
    settingsPath: path.join(dir, 'settings.json'),
    emit: () => undefined,
  });
  const answers = await Promise.allSettled([
    service.scan({ elevated: true }),
    service.scan({ elevated: true }),
    service.scan({ elevated: true }),
  ]);
  const prompts = host.execCalls.filter((argv) => argv[0] === 'pkexec');
  expect(prompts).toHaveLength(1);
  for (const answer of answers) {
    expect(answer.status).toBe('rejected');
    expect(String((answer as PromiseRejectedResult).reason)).toMatch(/cancelled/);
  }
  // Once answered, a new request may prompt again.
  await service.scan({ elevated: true }).catch(() => undefined);
  expect(host.execCalls.filter((argv) => argv[0] === 'pkexec')).toHaveLength(2);
});
