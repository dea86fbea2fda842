/** Paddock's settings file: accepted risks, validation, refusal to overwrite, expiry. */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import type { AcceptedRisk, Finding } from '../../../shared/findings';
import {
  MAX_REASON_LENGTH,
  SettingsError,
  acceptRisk,
  applyAcceptances,
  cleanReason,
  defaultSettingsPath,
  loadSettings,
  resetSettings,
  withdrawRisk,
} from '../../../electron/engine/settings/store';

const root = mkdtempSync(join(tmpdir(), 'pdk-settings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
/** A settings path in a folder of its own (the folder is not created). */
const freshPath = () => {
  count += 1;
  return join(root, `case-${count}`, 'paddock', 'settings.json');
};
const NOW = new Date('2026-08-21T12:00:00.000Z');
const LATER = new Date('2026-09-21T12:00:00.000Z');

async function settingsError(promise: Promise<unknown>): Promise<SettingsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

function finding(ruleId: string, instance: string | null): Finding {
  return {
    id: `${ruleId}@${instance ?? 'host'}`,
    ruleId,
    instance,
    severity: 'high',
    category: 'exposure',
    title: ruleId,
    summary: '',
    attackerCan: [],
    evidence: ['first fact'],
    fixes: [],
    references: [],
    accepted: null,
  };
}

describe('defaultSettingsPath', () => {
  const host = (env: Record<string, string>) => ({
    env: (name: string) => env[name],
    homeDir: () => '/home/ada',
  });
  it('uses $XDG_CONFIG_HOME when it is absolute, else ~/.config', () => {
    expect(defaultSettingsPath(host({ XDG_CONFIG_HOME: '/cfg/' }))).toBe(
      '/cfg/paddock/settings.json',
    );
    expect(defaultSettingsPath(host({}))).toBe('/home/ada/.config/paddock/settings.json');
    expect(defaultSettingsPath(host({ XDG_CONFIG_HOME: '' }))).toBe(
      '/home/ada/.config/paddock/settings.json',
    );
    // XDG: a relative path is invalid and ignored
    expect(defaultSettingsPath(host({ XDG_CONFIG_HOME: 'cfg' }))).toBe(
      '/home/ada/.config/paddock/settings.json',
    );
  });
});

describe('loadSettings', () => {
  it('a missing file is empty settings, and nothing is written', async () => {
    const path = freshPath();
    expect(await loadSettings(path)).toEqual({ version: 1, acceptedRisks: [] });
    expect(() => statSync(join(path, '..'))).toThrow();
  });

  it.each([
    ['not JSON', '{"version": 1, "acceptedRisks": ['],
    ['empty', ''],
    ['an array', '[]'],
    ['no version', '{"acceptedRisks": []}'],
    ['version 0', '{"version": 0, "acceptedRisks": []}'],
    ['risks not a list', '{"version": 1, "acceptedRisks": {}}'],
    [
      'a risk without a reason',
      '{"version": 1, "acceptedRisks": [{"ruleId": "x", "instance": null, "acceptedAt": "t", "expiresAt": null}]}',
    ],
  ])('%s: a clear error naming the file', async (_label, text) => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    const error = await settingsError(loadSettings(path));
    expect(error.kind).toBe('corrupt');
    expect(error.path).toBe(path);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/has not changed it/);
  });

  it('a file from a newer Paddock is refused, not called corrupt', async () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '{"version": 2, "acceptedRisks": [], "rules": {}}');
    const error = await settingsError(loadSettings(path));
    expect(error.kind).toBe('newer-version');
    expect(error.message).toContain('newer Paddock');
  });

  it('a huge file is refused', async () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, ' '.repeat(1024 * 1024 + 10));
    expect((await settingsError(loadSettings(path))).message).toContain('larger than');
  });

  it('a folder where the file should be is unreadable', async () => {
    const path = freshPath();
    mkdirSync(path, { recursive: true });
    expect((await settingsError(loadSettings(path))).kind).toBe('unreadable');
  });

  it('cleans reasons a hand edit put there', async () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    const risk = {
      ruleId: 'cors-allow-all',
      instance: null,
      reason: 'ok\u001b[2J\u202e',
      acceptedAt: NOW.toISOString(),
      expiresAt: null,
    };
    writeFileSync(path, JSON.stringify({ version: 1, acceptedRisks: [risk] }));
    expect((await loadSettings(path)).acceptedRisks[0]?.reason).toBe('ok[2J');
  });
});

describe('acceptRisk and withdrawRisk', () => {
  it('creates the file 0600 in a folder 0700, with the acceptance', async () => {
    const path = freshPath();
    const risk = await acceptRisk(
      path,
      { ruleId: 'exposed-lan', instance: 'ollama:pid:42', reason: 'lab box', expiresAt: LATER },
      NOW,
    );
    expect(risk).toEqual({
      ruleId: 'exposed-lan',
      instance: 'ollama:pid:42',
      reason: 'lab box',
      acceptedAt: NOW.toISOString(),
      expiresAt: LATER.toISOString(),
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1, acceptedRisks: [risk] });
    expect(await loadSettings(path)).toEqual({ version: 1, acceptedRisks: [risk] });
  });

  it('replaces an earlier acceptance of the same rule and instance, keeps the others', async () => {
    const path = freshPath();
    const a = { ruleId: 'exposed-lan', instance: 'ollama:pid:42', expiresAt: null };
    await acceptRisk(path, { ...a, reason: 'first' }, NOW);
    await acceptRisk(path, { ...a, instance: null, reason: 'host-wide' }, NOW);
    await acceptRisk(path, { ...a, ruleId: 'cors-allow-all', reason: 'other rule' }, NOW);
    await acceptRisk(path, { ...a, reason: 'second' }, LATER);
    const { acceptedRisks } = await loadSettings(path);
    expect(acceptedRisks.map((r) => [r.ruleId, r.instance, r.reason, r.acceptedAt])).toEqual([
      ['exposed-lan', 'ollama:pid:42', 'second', LATER.toISOString()],
      ['exposed-lan', null, 'host-wide', NOW.toISOString()],
      ['cors-allow-all', 'ollama:pid:42', 'other rule', NOW.toISOString()],
    ]);
  });

  it('withdraws one acceptance; withdrawing nothing writes nothing', async () => {
    const path = freshPath();
    expect(await withdrawRisk(path, 'exposed-lan', null)).toBe(false);
    expect(() => statSync(path)).toThrow(); // not created
    await acceptRisk(path, { ruleId: 'a', instance: null, reason: 'r', expiresAt: null }, NOW);
    await acceptRisk(path, { ruleId: 'b', instance: null, reason: 'r', expiresAt: null }, NOW);
    const before = statSync(path).mtimeMs;
    expect(await withdrawRisk(path, 'a', 'ollama:pid:1')).toBe(false);
    expect(statSync(path).mtimeMs).toBe(before);
    expect(await withdrawRisk(path, 'a', null)).toBe(true);
    expect((await loadSettings(path)).acceptedRisks.map((r) => r.ruleId)).toEqual(['b']);
  });

  it('keeps keys it does not know when rewriting', async () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify({ version: 1, acceptedRisks: [], theme: 'dark' }));
    await acceptRisk(path, { ruleId: 'a', instance: null, reason: 'r', expiresAt: null }, NOW);
    expect(JSON.parse(readFileSync(path, 'utf8')).theme).toBe('dark');
  });

  it('refuses bad input without touching the file', async () => {
    const path = freshPath();
    const ok = { ruleId: 'exposed-lan', instance: null, reason: 'fine', expiresAt: null };
    for (const bad of [
      { ...ok, ruleId: 'Not Kebab' },
      { ...ok, ruleId: '../../etc' },
      { ...ok, instance: 'has space' },
      { ...ok, instance: 'x'.repeat(201) },
      { ...ok, reason: '' },
      { ...ok, reason: ' \u001b\u0007\u202e\n ' },
      { ...ok, expiresAt: 'not a date' },
      { ...ok, expiresAt: NOW },
      { ...ok, expiresAt: '2020-01-01T00:00:00Z' },
    ]) {
      const error = await settingsError(acceptRisk(path, bad, NOW));
      expect(error.kind, JSON.stringify(bad)).toBe('invalid-input');
    }
    expect(() => statSync(join(path, '..'))).toThrow();
  });
});

describe('a corrupted file is never overwritten', () => {
  const corrupt = () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '{"version": 1, "acceptedRisks": [ oops');
    return path;
  };
  const request = { ruleId: 'exposed-lan', instance: null, reason: 'r', expiresAt: null };

  it('accept and withdraw refuse with the error and write nothing', async () => {
    const path = corrupt();
    const before = readFileSync(path, 'utf8');
    const e1 = await settingsError(acceptRisk(path, request, NOW));
    expect(e1.kind).toBe('corrupt');
    expect(e1.message).toContain(path);
    const e2 = await settingsError(withdrawRisk(path, 'exposed-lan', null));
    expect(e2.kind).toBe('corrupt');
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(join(path, '..'))).toEqual(['settings.json']);
  });

  it('a newer version is not overwritten either', async () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '{"version": 3}');
    expect((await settingsError(acceptRisk(path, request, NOW))).kind).toBe('newer-version');
    expect(readFileSync(path, 'utf8')).toBe('{"version": 3}');
  });

  it('reset, asked for explicitly, keeps the bad file as settings.json.corrupt-<time>', async () => {
    const path = corrupt();
    const before = readFileSync(path, 'utf8');
    const { keptAs } = await resetSettings(path, NOW);
    expect(keptAs).toBe(`${path}.corrupt-2026-08-21T12-00-00-000Z`);
    expect(readFileSync(keptAs!, 'utf8')).toBe(before);
    expect(await loadSettings(path)).toEqual({ version: 1, acceptedRisks: [] });
    await acceptRisk(path, request, NOW); // usable again
  });

  it('reset of a valid file keeps it as settings.json.previous-<time>; of none, keeps nothing', async () => {
    const path = freshPath();
    expect((await resetSettings(path, NOW)).keptAs).toBeNull();
    await acceptRisk(path, request, NOW);
    const { keptAs } = await resetSettings(path, LATER);
    expect(keptAs).toBe(`${path}.previous-2026-09-21T12-00-00-000Z`);
    expect(JSON.parse(readFileSync(keptAs!, 'utf8')).acceptedRisks).toHaveLength(1);
    expect((await loadSettings(path)).acceptedRisks).toEqual([]);
  });

  // Root ignores folder permissions: as root, the write is tried by an ordinary user
  // (nobody, through setpriv) on a folder it may read but not write.
  it('an unwritable folder: clear error, file as it was', async () => {
    const path = freshPath();
    await acceptRisk(path, request, NOW);
    const before = readFileSync(path, 'utf8');
    if (process.getuid?.() !== 0) {
      chmodSync(join(path, '..'), 0o500);
      try {
        const error = await settingsError(acceptRisk(path, { ...request, reason: 'new' }, NOW));
        expect(error.kind).toBe('unwritable');
      } finally {
        chmodSync(join(path, '..'), 0o700);
      }
    } else {
      for (const dir of [root, join(path, '..', '..'), join(path, '..')]) chmodSync(dir, 0o755);
      chmodSync(path, 0o644);
      const script = join(path, '..', '..', 'store.cjs');
      await build({
        entryPoints: [
          fileURLToPath(new URL('../../../electron/engine/settings/store.ts', import.meta.url)),
        ],
        outfile: script,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        logLevel: 'error',
      });
      chmodSync(script, 0o644);
      const program = `require(${JSON.stringify(script)}).acceptRisk(${JSON.stringify(path)}, { ruleId: 'exposed-lan', instance: null, reason: 'new', expiresAt: null }, new Date()).then(() => console.log('written'), (e) => console.log(e.kind ?? 'raw: ' + e.message))`;
      const child = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', program],
        {
          encoding: 'utf8',
          timeout: 10_000,
          env: {
            ...process.env,
            NODE_PATH: fileURLToPath(new URL('../../../node_modules', import.meta.url)),
          },
        },
      );
      expect(child.stdout.trim(), child.stderr).toBe('unwritable');
    }
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});

describe('hostile reason text', () => {
  it('strips control, escape and bidi characters; line breaks become spaces', () => {
    expect(cleanReason('trusted\u001b[31m red\u0007 \u0000bell')).toBe('trusted[31m red bell');
    expect(cleanReason('line one\r\nline two\tend')).toBe('line one line two end');
    expect(cleanReason('abc\u202edcba\u2066x\u2069\u200f')).toBe('abcdcbax');
    expect(cleanReason('a\u0085b\u2028c\u2029d')).toBe('a b c d');
    expect(cleanReason('\ufeffzero\u200bwidth')).toBe('zerowidth');
    expect(cleanReason('lone \ud800 surrogate')).toBe('lone surrogate');
    expect(cleanReason('  spaced    out  ')).toBe('spaced out');
    expect(cleanReason(42)).toBe('');
    expect(cleanReason('café 🦙 ok')).toBe('café 🦙 ok');
  });

  it('caps the length without cutting a character in half', () => {
    const long = cleanReason('🦙'.repeat(MAX_REASON_LENGTH * 3));
    expect(Array.from(long)).toHaveLength(MAX_REASON_LENGTH);
    expect(long.endsWith('🦙…')).toBe(true);
    expect(long).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(cleanReason('x'.repeat(MAX_REASON_LENGTH))).toHaveLength(MAX_REASON_LENGTH);
  });

  it('is stored cleaned', async () => {
    const path = freshPath();
    const risk = await acceptRisk(
      path,
      {
        ruleId: 'exposed-lan',
        instance: null,
        reason: `\u001b]0;pwned\u0007ok\n${'y'.repeat(5000)}`,
        expiresAt: null,
      },
      NOW,
    );
    expect(risk.reason).toMatch(/^\]0;pwnedok y+…$/);
    expect(Array.from(risk.reason)).toHaveLength(MAX_REASON_LENGTH);
    const stored = readFileSync(path, 'utf8');
    expect(stored).not.toMatch(/\\u001b|\\u0007/);
  });
});

describe('applyAcceptances', () => {
  const risk = (over: Partial<AcceptedRisk>): AcceptedRisk => ({
    ruleId: 'exposed-lan',
    instance: 'ollama:pid:42',
    reason: 'lab box',
    acceptedAt: '2026-08-01T00:00:00.000Z',
    expiresAt: null,
    ...over,
  });

  it('accepts the finding with the same rule and instance, only that one', () => {
    const findings = [
      finding('exposed-lan', 'ollama:pid:42'),
      finding('exposed-lan', 'ollama:pid:43'),
      finding('exposed-lan', null),
      finding('cors-allow-all', 'ollama:pid:42'),
    ];
    const out = applyAcceptances(findings, [risk({})], NOW);
    expect(out.map((f) => f.accepted)).toEqual([
      { reason: 'lab box', acceptedAt: '2026-08-01T00:00:00.000Z', expiresAt: null },
      null,
      null,
      null,
    ]);
    expect(findings[0]?.accepted).toBeNull(); // input not changed
  });

  it('an acceptance counts until its expiry, not at or after it', () => {
    const f = [finding('exposed-lan', 'ollama:pid:42')];
    const until = (expiresAt: string) => applyAcceptances(f, [risk({ expiresAt })], NOW)[0]!;
    expect(until('2026-08-21T12:00:00.001Z').accepted?.expiresAt).toBe('2026-08-21T12:00:00.001Z');
    const expired = until('2026-08-21T12:00:00.000Z');
    expect(expired.accepted).toBeNull();
    expect(expired.evidence).toEqual([
      'first fact',
      'The acceptance expired on 2026-08-21T12:00:00.000Z, so this finding counts again (reason given: "lab box").',
    ]);
    expect(until('2026-01-01T00:00:00Z').evidence.at(-1)).toContain(
      'acceptance expired on 2026-01-01T00:00:00.000Z',
    );
  });

  it('an expiry that is not a date does not count', () => {
    const out = applyAcceptances(
      [finding('exposed-lan', 'ollama:pid:42')],
      [risk({ expiresAt: 'soon\u001b[2J' })],
      NOW,
    )[0]!;
    expect(out.accepted).toBeNull();
    expect(out.evidence.at(-1)).toMatch(/expiry that is not a date \(soon\uFFFD\[2J\)/);
  });

  it('the last of duplicate acceptances wins; reasons are cleaned', () => {
    const out = applyAcceptances(
      [finding('exposed-lan', 'ollama:pid:42')],
      [risk({ reason: 'old' }), risk({ reason: 'new\u001b[0m' })],
      NOW,
    )[0]!;
    expect(out.accepted?.reason).toBe('new[0m');
  });
});
