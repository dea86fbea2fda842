/**
 * Issue 15: the service's configuration and the file of its secrets. A good file loads with
 * its defaults; every bad one is refused with the file and the field named; the secrets file
 * must be the service user's own, 0600, a regular file (never a link); and no secret value ever
 * appears in an error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../../../electron/engine/alerts/config';

const URL_SECRET = 'https://hooks.slack.com/services/T000/B000/VERY-SECRET-TOKEN';

describe('the service configuration', () => {
  let dir = '';
  const me = process.getuid?.() ?? 0;
  const config = () => path.join(dir, 'paddock.json');
  const secrets = () => path.join(dir, 'secrets.json');
  const write = (value: unknown) => fs.writeFileSync(config(), JSON.stringify(value));
  const writeSecrets = (value: unknown, mode = 0o600) => {
    fs.writeFileSync(secrets(), JSON.stringify(value), { mode });
    fs.chmodSync(secrets(), mode);
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads with its defaults, and resolves each webhook’s URL from the secrets file', () => {
    write({
      version: 1,
      textfile: '/var/lib/prometheus/node-exporter/paddock.prom',
      webhookUrlsFile: secrets(),
      webhooks: [{ name: 'ops', shape: 'slack', urlKey: 'slack-ops' }],
    });
    writeSecrets({ 'slack-ops': URL_SECRET });
    const loaded = loadServiceConfig(config(), { owner: me });
    expect(loaded).toMatchObject({
      ok: true,
      config: { intervalMinutes: 10, journald: true },
      webhooks: [{ name: 'ops', shape: 'slack', url: URL_SECRET }],
    });
  });

  it.each([
    [{ version: 2 }, /version/],
    [{ version: 1, intervalMinutes: 0 }, /intervalMinutes/],
    [{ version: 1, textfile: 'relative.prom' }, /textfile: an absolute, normalised path/],
    [{ version: 1, textfile: '/var/lib/x/../paddock.prom' }, /textfile/],
    [{ version: 1, textfile: '/var/lib/paddock.txt' }, /a file ending in .prom/],
    [{ version: 1, token: 'x' }, /Unrecognized key/],
    [
      { version: 1, webhooks: [{ name: 'Ops!', shape: 'slack', urlKey: 'a' }] },
      /webhooks\.0\.name/,
    ],
    [{ version: 1, webhooks: [{ name: 'ops', shape: 'irc', urlKey: 'a' }] }, /webhooks\.0\.shape/],
    [
      {
        version: 1,
        webhooks: [
          { name: 'ops', shape: 'slack', urlKey: 'a' },
          { name: 'ops', shape: 'ntfy', urlKey: 'b' },
        ],
      },
      /the name ops is used twice/,
    ],
  ])('refuses %j, naming the field', (value, why) => {
    write(value);
    const loaded = loadServiceConfig(config(), { owner: me });
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) {
      expect(loaded.error).toMatch(why);
      expect(loaded.error.startsWith(config())).toBe(true);
    }
  });

  it('refuses a file that is missing, not JSON, or a link', () => {
    expect(loadServiceConfig(config())).toEqual({
      ok: false,
      error: `${config()}: it does not exist`,
    });
    fs.writeFileSync(config(), '{');
    expect(loadServiceConfig(config())).toEqual({ ok: false, error: `${config()} is not JSON` });
    fs.rmSync(config());
    fs.writeFileSync(path.join(dir, 'real.json'), '{"version":1}');
    fs.symlinkSync(path.join(dir, 'real.json'), config());
    expect(loadServiceConfig(config())).toMatchObject({
      ok: false,
      error: expect.stringMatching(/cannot be opened \(ELOOP\)/),
    });
  });

  it('a configuration another user owns, or others may change, is refused: it says where root writes', () => {
    write({ version: 1 });
    fs.chmodSync(config(), 0o666);
    const open = loadServiceConfig(config(), { owner: me });
    expect(open.ok).toBe(false);
    if (!open.ok) expect(open.error).toMatch(/writable by no one else \(it is uid \d+, mode 666\)/);
    fs.chmodSync(config(), 0o644);
    expect(loadServiceConfig(config(), { owner: me + 1 }).ok).toBe(false);
  });

  describe('the secrets file', () => {
    beforeEach(() =>
      write({
        version: 1,
        webhookUrlsFile: secrets(),
        webhooks: [{ name: 'ops', shape: 'slack', urlKey: 'slack-ops' }],
      }),
    );
    const error = () => {
      const loaded = loadServiceConfig(config(), { owner: me });
      expect(loaded.ok).toBe(false);
      return loaded.ok ? '' : loaded.error;
    };
    it('readable by others: refused, and the URL is in no error', () => {
      writeSecrets({ 'slack-ops': URL_SECRET }, 0o644);
      expect(error()).toMatch(/others may read it \(mode 644; it must be 600\)/);
      expect(error()).not.toContain('SECRET');
    });
    it('owned by another user than the service’s: refused', () => {
      writeSecrets({ 'slack-ops': URL_SECRET });
      // The configuration is that user's (it must be the service user's too): only the
      // secrets file is someone else's.
      fs.chownSync(config(), me + 1, me + 1);
      const loaded = loadServiceConfig(config(), { owner: me + 1 });
      expect(loaded.ok).toBe(false);
      if (!loaded.ok) expect(loaded.error).toMatch(/not by the service's user/);
    });
    it('a missing key, or a value that is not a URL: named by its key, the value never shown', () => {
      writeSecrets({ other: URL_SECRET });
      expect(error()).toMatch(/the key slack-ops \(webhook ops\) is missing/);
      writeSecrets({ 'slack-ops': 'ftp://VERY-SECRET-TOKEN' });
      expect(error()).toMatch(/is not an http:\/\/ or https:\/\/ URL/);
      expect(error()).not.toContain('SECRET');
      writeSecrets({ 'slack-ops': 'not a url VERY-SECRET-TOKEN' });
      expect(error()).not.toContain('SECRET');
    });
    it('a link in its place: refused', () => {
      fs.writeFileSync(
        path.join(dir, 'elsewhere.json'),
        JSON.stringify({ 'slack-ops': URL_SECRET }),
        {
          mode: 0o600,
        },
      );
      fs.symlinkSync(path.join(dir, 'elsewhere.json'), secrets());
      expect(error()).toMatch(/cannot be opened \(ELOOP\)/);
    });
  });
});
