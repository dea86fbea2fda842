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
import { EMPTY_FIREWALL_FACTS } from '../../support/firewall-facts';

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

it('the firewall admin rights read stands for the scans that follow, says when it was read, and is dropped after 10 minutes', async () => {
  const facts = EMPTY_FIREWALL_FACTS;
  const host = createFakeHost({
    uid: 1000,
    user: 'alice',
    exec: {
      'sudo -n -- /opt/paddock-privileged __firewall-facts': {
        code: 0,
        stdout: JSON.stringify(facts),
      },
    },
  });
  let clock = Date.parse('2026-12-06T10:00:00.000Z');
  const service = createService({
    host,
    elevate: { host, privileged: ['/opt/paddock-privileged'], interactive: false },
    settingsPath: path.join(dir, 'settings.json'),
    emit: () => undefined,
    now: () => new Date(clock),
  });
  const readAsUser = async () => (await service.scan({})).snapshot.probes.firewall;

  // Without admin rights this fake host's firewall cannot be read.
  expect((await readAsUser()).data?.nftables.status).not.toBe('ok');
  const elevated = await service.scan({ elevated: true });
  expect(elevated.snapshot.probes.firewall.data?.nftables.status).toBe('ok');
  expect(host.execCalls.filter((a) => a[0] === 'sudo')).toHaveLength(1);

  // The watcher's scan three minutes later: the same facts, no second prompt, and when they were read.
  clock += 3 * 60_000;
  const later = await readAsUser();
  expect(later.data?.nftables.status).toBe('ok');
  expect(later.message).toBe(
    'Read with admin rights at 2026-12-06T10:00:00.000Z (3 min ago); used until 10 minutes have passed or a fix changes something.',
  );
  expect(host.execCalls.filter((a) => a[0] === 'sudo')).toHaveLength(1);

  // Ten minutes on: read without admin rights again, as before the prompt.
  clock += 7 * 60_000;
  const expired = await readAsUser();
  expect(expired.data?.nftables.status).not.toBe('ok');
  expect(expired.message ?? '').not.toMatch(/admin rights at/);
});
