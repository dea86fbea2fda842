import { describe, expect, it } from 'vitest';
import { checkVerification, verifyByRescan } from '../../../electron/engine/fixes/verify';
import type { FixPlan, Verification } from '../../../shared/fixes';
import { buildSnapshot, lanPaths, setting } from '../../rules/snapshots';

const ID = 'ollama:service:ollama.service';
const loopbackOnly: Verification = {
  kind: 'instance-loopback-only',
  instance: ID,
  port: 11434,
  setting: null,
  description: 'every listener on loopback',
};

describe('checkVerification', () => {
  it('instance-loopback-only: holds for 127.0.0.1, not for 0.0.0.0, not when the server is gone', () => {
    const local = buildSnapshot({
      instances: [{ id: ID, listeners: [{ address: '127.0.0.1' }] }],
    });
    const wide = buildSnapshot({
      instances: [{ id: ID, listeners: [{ address: '0.0.0.0', via: lanPaths() }] }],
    });
    expect(checkVerification(loopbackOnly, local)).toMatchObject({ ok: true });
    expect(checkVerification(loopbackOnly, wide)).toMatchObject({
      ok: false,
      detail: `${ID} listens on 0.0.0.0:11434`,
    });
    expect(checkVerification(loopbackOnly, buildSnapshot({ instances: [] }))).toMatchObject({
      ok: false,
      detail: `${ID} is not running`,
    });
  });

  it('instance-loopback-only: the promised port must be the one listening', () => {
    const moved = buildSnapshot({
      instances: [{ id: ID, listeners: [{ address: '127.0.0.1', port: 8080 }] }],
    });
    expect(checkVerification(loopbackOnly, moved).ok).toBe(false);
  });

  it('port-closed-beyond-loopback: every path blocked is closed; one open path is not', () => {
    const verification: Verification = {
      kind: 'port-closed-beyond-loopback',
      instance: ID,
      port: 11434,
      setting: null,
      description: '',
    };
    const blocked = buildSnapshot({
      instances: [{ id: ID, listeners: [{ address: '0.0.0.0', via: lanPaths('blocked') }] }],
    });
    const open = buildSnapshot({
      instances: [{ id: ID, listeners: [{ address: '0.0.0.0', via: lanPaths('allowed') }] }],
    });
    expect(checkVerification(verification, blocked).ok).toBe(true);
    expect(checkVerification(verification, open)).toMatchObject({ ok: false });
  });

  it('setting-absent and setting-without-wildcard read the effective settings', () => {
    const absent: Verification = {
      kind: 'setting-absent',
      instance: ID,
      port: null,
      setting: 'OLLAMA_DEBUG_LOG_REQUESTS',
      description: '',
    };
    const noWildcard: Verification = {
      kind: 'setting-without-wildcard',
      instance: ID,
      port: null,
      setting: 'OLLAMA_ORIGINS',
      description: '',
    };
    const before = buildSnapshot({
      instances: [
        {
          id: ID,
          settings: [
            setting('OLLAMA_DEBUG_LOG_REQUESTS', '1'),
            setting('OLLAMA_ORIGINS', 'http://a.example,*'),
          ],
        },
      ],
    });
    const after = buildSnapshot({
      instances: [{ id: ID, settings: [setting('OLLAMA_ORIGINS', 'http://a.example')] }],
    });
    expect(checkVerification(absent, before).ok).toBe(false);
    expect(checkVerification(noWildcard, before).ok).toBe(false);
    expect(checkVerification(absent, after).ok).toBe(true);
    expect(checkVerification(noWildcard, after).ok).toBe(true);
  });
});

describe('verifyByRescan', () => {
  const plan = { verification: loopbackOnly } as FixPlan;
  it('rescans until the restarted server shows the promised bind, within a bounded number of scans', async () => {
    const wide = buildSnapshot({
      instances: [{ id: ID, listeners: [{ address: '0.0.0.0', via: lanPaths() }] }],
    });
    const local = buildSnapshot({
      instances: [{ id: ID, listeners: [{ address: '127.0.0.1' }] }],
    });
    let scans = 0;
    const result = await verifyByRescan(plan, async () => (++scans < 3 ? wide : local), {
      intervalMs: 1,
    });
    expect(result.ok).toBe(true);
    expect(scans).toBe(3);
    scans = 0;
    const never = await verifyByRescan(plan, async () => (++scans, wide), {
      attempts: 4,
      intervalMs: 1,
    });
    expect(never).toMatchObject({ ok: false });
    expect(never.detail).toMatch(/after 4 rescans/);
    expect(scans).toBe(4);
  });
});
