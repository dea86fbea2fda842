/**
 * The Mac app's admin copy (issue 16, cli/mac-admin-copy.ts): what the app says of it, what it
 * asks macOS's prompt to run, and what it reports afterwards, read back from the system. The
 * scripts themselves run for real, as root, in test/lab/mac-admin-copy.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  INSTALL_SCRIPT,
  MAC_ROOT_COPY,
  REMOVE_SCRIPT,
  adminCopyAction,
  adminCopyState,
  buildTeamId,
  compareVersions,
  developerIdRequirement,
  installArgv,
  removeArgv,
} from '../../../electron/cli/mac-admin-copy';
import type { AdminCopyFacts } from '../../../electron/cli/mac-admin-copy';
import type { PaddockEvent } from '../../../shared/events';
import { adminCopyViewSchema } from '../../../shared/api';
import { adminPromptWords } from '../../support/admin-prompt';
import { createFakeHost } from '../../support/fake-host';

const APP = '/Applications/Paddock.app';
const TEAM = 'ABCDE12345';
/** This app: 0.2.0, build 0.2.0.41, compiled in. */
const OWN = { version: '0.2.0', build: '0.2.0.41' };
const plist = (version: string, build = version) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>\n\t<key>CFBundleShortVersionString</key>\n\t<string>${version}</string>\n\t<key>CFBundleVersion</key>\n\t<string>${build}</string>\n</dict></plist>\n`;

/** A Mac app in /Applications (refused by the install check), with or without a copy. */
function facts(
  copy: { version: string; build?: string; problem?: string | null; unreadable?: true } | null,
  over: Partial<AdminCopyFacts> = {},
): AdminCopyFacts {
  return {
    platform: 'darwin',
    bundle: APP,
    team: TEAM,
    own: OWN,
    present: () => copy !== null,
    bundleProblem: () => '/Applications may be changed by the admin group',
    // The app's own Info.plist on disk says something else: only the compiled build counts.
    read: (path) =>
      path === `${APP}/Contents/Info.plist`
        ? plist('9.9.9')
        : path === `${MAC_ROOT_COPY}/Contents/Info.plist` && copy && !copy.unreadable
          ? plist(copy.version, copy.build ?? copy.version)
          : null,
    copyProblem: () => copy?.problem ?? null,
    ...over,
  };
}
const ready = { version: '0.2.0', build: '0.2.0.41' };

describe('the prompt’s argv', () => {
  it('runs the fixed script with a fresh environment; the bundle, version and requirement are data, whatever is in them', () => {
    const odd = "/Users/o'neil/My Apps/$(id) `x`/Paddock.app";
    const words = adminPromptWords(
      installArgv(odd, { version: '0.2.0-beta.1', build: '0.2.0.7' }, TEAM, '0.1.9.3'),
    );
    expect(words).toEqual([
      '/usr/bin/env',
      '-i',
      'PATH=/usr/bin:/bin:/usr/sbin:/sbin',
      'LC_ALL=C',
      '/bin/sh',
      '-c',
      INSTALL_SCRIPT,
      'paddock-admin-copy',
      odd,
      '0.2.0-beta.1',
      developerIdRequirement(TEAM, '0.2.0.7'),
      '0.1.9.3',
    ]);
    expect(adminPromptWords(removeArgv())).toEqual([
      '/usr/bin/env',
      '-i',
      'PATH=/usr/bin:/bin:/usr/sbin:/sbin',
      'LC_ALL=C',
      '/bin/sh',
      '-c',
      REMOVE_SCRIPT,
      'paddock-admin-copy',
    ]);
  });

  it('the requirement names Apple’s Developer ID chain, the team, Paddock’s identifier and this very build', () => {
    expect(developerIdRequirement(TEAM, '0.2.0.41')).toBe(
      'identifier "dev.paddock.app" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] and certificate leaf[field.1.2.840.113635.100.6.1.13] and certificate leaf[subject.OU] = "ABCDE12345" and info[CFBundleVersion] = "0.2.0.41"',
    );
    for (const bad of ['', 'abcde12345', 'ABCDE1234', 'ABCDE12345" or anchor apple', 'ABCDE 2345'])
      expect(() => developerIdRequirement(bad, '1')).toThrow(/not a team ID/);
    for (const bad of ['', '1" or anchor apple', '1 2'])
      expect(() => developerIdRequirement(TEAM, bad)).toThrow(/not a build version/);
  });

  it('refuses a bundle that is not an absolute .app path, the copy itself, and a version that is not one', () => {
    for (const bundle of ['Paddock.app', '/Applications/Paddock', '/Applications/../tmp/x.app', ''])
      expect(() => installArgv(bundle, OWN, TEAM, 'none')).toThrow(/not an absolute path/);
    expect(() => installArgv(MAC_ROOT_COPY, OWN, TEAM, 'none')).toThrow(/admin copy itself/);
    for (const version of ['', '0.2.0 ', '-1', '0.2.0;id', 'x'.repeat(65)])
      expect(() => installArgv(APP, { version, build: '1' }, TEAM, 'none')).toThrow(
        /not a version/,
      );
    for (const current of ['', '"1"', '1;id'])
      expect(() => installArgv(APP, OWN, TEAM, current)).toThrow(/not a build/);
  });

  it('the team comes from the build: a missing or malformed one is none', () => {
    expect(buildTeamId('ABCDE12345')).toBe('ABCDE12345');
    expect(buildTeamId('')).toBeNull();
    expect(buildTeamId(undefined)).toBeNull();
    expect(buildTeamId('abc')).toBeNull();
  });

  it('both scripts are valid POSIX sh (dash and bash --posix parse them)', () => {
    for (const script of [INSTALL_SCRIPT, REMOVE_SCRIPT]) {
      expect(spawnSync('/bin/sh', ['-n', '-c', script]).status).toBe(0);
      expect(spawnSync('/bin/bash', ['--posix', '-n', '-c', script]).status).toBe(0);
    }
  });
});

describe('adminCopyState', () => {
  it('says what there is, from the system, against the build this code was compiled as', () => {
    expect(adminCopyState(facts(null))).toEqual({ kind: 'absent', bundle: APP, version: '0.2.0' });
    expect(adminCopyState(facts({ version: '0.1.0' }))).toEqual({
      kind: 'other-version',
      bundle: APP,
      version: '0.2.0',
      copyVersion: '0.1.0',
      copyNewer: false,
    });
    // The same version, another build (another signed Paddock 0.2.0): not this one.
    expect(adminCopyState(facts({ version: '0.2.0', build: '0.2.0.40' }))).toMatchObject({
      kind: 'other-version',
      copyNewer: false,
    });
    expect(adminCopyState(facts({ ...ready, problem: 'x is writable by group 80' }))).toEqual({
      kind: 'untrusted',
      bundle: APP,
      version: '0.2.0',
      why: 'x is writable by group 80',
    });
    expect(adminCopyState(facts(ready))).toEqual({ kind: 'ready', bundle: APP, version: '0.2.0' });
    // Something there whose Info.plist cannot be read is a copy all the same (it can be removed).
    expect(adminCopyState(facts({ ...ready, unreadable: true }))).toMatchObject({
      kind: 'other-version',
      copyVersion: null,
      copyNewer: false,
    });
  });

  it('a later copy than this app (an older Paddock put in /Applications) is not replaced from here', () => {
    for (const later of [
      { version: '0.10.0' },
      { version: '0.2.1' },
      { version: '0.2.0', build: '0.2.0.42' },
    ])
      expect(adminCopyState(facts(later))).toMatchObject({
        kind: 'other-version',
        copyNewer: true,
      });
  });

  it('not needed off a Mac, outside a packaged app, from the copy, or from an install root already trusts', () => {
    expect(adminCopyState(facts(null, { platform: 'linux' })).kind).toBe('not-needed');
    expect(adminCopyState(facts(null, { bundle: null })).kind).toBe('not-needed');
    expect(adminCopyState(facts(null, { bundle: MAC_ROOT_COPY })).kind).toBe('not-needed');
    expect(adminCopyState(facts(null, { bundleProblem: () => null }))).toMatchObject({
      kind: 'not-needed',
      why: expect.stringMatching(/root's alone/),
    });
  });

  it('a build without a Developer ID team, or without its own version compiled in, cannot vouch for a copy', () => {
    expect(adminCopyState(facts(null, { team: null }))).toMatchObject({
      kind: 'unavailable',
      why: expect.stringMatching(/not signed with a Developer ID.*macOS’s firewall/),
    });
    expect(adminCopyState(facts(null, { own: null }))).toMatchObject({
      kind: 'unavailable',
      why: expect.stringMatching(/does not know its own version and build/),
    });
  });
});

describe('compareVersions', () => {
  it('compares numbers as numbers', () => {
    expect(compareVersions('0.10.0', '0.9.9')).toBe(1);
    expect(compareVersions('0.2.0', '0.2.0')).toBe(0);
    expect(compareVersions('0.2', '0.2.0')).toBe(0);
    expect(compareVersions('0.2.0.40', '0.2.0.41')).toBe(-1);
    expect(compareVersions('1.0.0-beta', '1.0.0-alpha')).toBe(1);
    expect(compareVersions('99999999999999999999.0', '99999999999999999998.0')).toBe(1);
  });

  it('ranks a pre-release below its release (semver), and ignores +build', () => {
    expect(compareVersions('1.0.0', '1.0.0-beta.1')).toBe(1);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0-beta.2', '1.0.0-beta.11')).toBe(-1);
    expect(compareVersions('1.0.0-beta', '1.0.0-beta.1')).toBe(-1);
    expect(compareVersions('1.0.0-1', '1.0.0-alpha')).toBe(-1);
    expect(compareVersions('1.0.0+5', '1.0.0+9')).toBe(0);
  });
});

/** A fake Mac whose exec table answers, and which remembers that something ran. */
function changing(exec: Record<string, { code: number; stdout: string }>) {
  const host = createFakeHost({ platform: 'darwin', uid: 501, exec });
  const base = host.exec.bind(host);
  let done = false;
  host.exec = async (argv, options) => {
    const result = await base(argv, options);
    done = true;
    return result;
  };
  return { host, ran: () => done };
}

describe('adminCopyAction', () => {
  /** As the app does: the preview first, then the action with that preview's digest. */
  const act = async (
    deps: Parameters<typeof adminCopyAction>[0],
    action: 'status' | 'install' | 'remove',
  ) => {
    if (action === 'status') return adminCopyAction(deps, { action });
    const shown = await adminCopyAction(deps, { action: 'status' });
    return adminCopyAction(deps, { action, digest: shown[action]?.digest ?? 'f'.repeat(64) });
  };

  const ran = (said: string[], code: number) => ({
    code: 0,
    stdout: `${said.map((line) => `paddock-admin-copy: ${line}\n`).join('')}\npaddock-exit:${code}\n`,
  });

  it('status runs nothing and previews the exact statements and arguments', async () => {
    const host = createFakeHost({ platform: 'darwin', uid: 501 });
    const view = await act({ host, facts: () => facts(null) }, 'status');
    expect(host.execCalls).toEqual([]);
    expect(adminCopyViewSchema.parse(view)).toEqual(view);
    expect(view.install?.statements.join(' ')).toBe(INSTALL_SCRIPT);
    expect(view.install?.args).toEqual([
      APP,
      '0.2.0',
      developerIdRequirement(TEAM, '0.2.0.41'),
      'none',
    ]);
    expect(view.remove).toBeNull();
  });

  it('install: the prompt runs the script; success is what the system shows afterwards, and it is recorded', async () => {
    const { host, ran: made } = changing({
      [installArgv(APP, OWN, TEAM, 'none').join(' ')]: ran(
        ['installed 0.2.0 at /Library/Paddock/Paddock.app'],
        0,
      ),
    });
    const recorded: PaddockEvent[] = [];
    const view = await act(
      {
        host,
        facts: () => facts(made() ? ready : null),
        record: (event) => void recorded.push(event),
        now: () => new Date('2026-12-06T12:00:00Z'),
      },
      'install',
    );
    expect(host.execCalls).toEqual([installArgv(APP, OWN, TEAM, 'none')]);
    expect(view.state.kind).toBe('ready');
    expect(view.outcome).toMatchObject({
      ok: true,
      message: expect.stringMatching(/copied to \/Library\/Paddock\/Paddock\.app/),
    });
    expect(view.install).toBeNull();
    expect(view.remove).not.toBeNull();
    expect(recorded).toEqual([
      expect.objectContaining({
        kind: 'admin-copy',
        at: '2026-12-06T12:00:00.000Z',
        severity: 'info',
        instance: null,
        data: { action: 'install', ok: true, path: MAC_ROOT_COPY },
      }),
    ]);
  });

  it('install that the script refuses: its own words, and the state as it is', async () => {
    const host = createFakeHost({
      platform: 'darwin',
      uid: 501,
      exec: {
        [installArgv(APP, OWN, TEAM, 'none').join(' ')]: ran(
          [
            'the copy of /Applications/Paddock.app is not signed by Paddock’s developer, or was changed after signing; nothing was changed',
          ],
          1,
        ),
      },
    });
    const view = await act({ host, facts: () => facts(null) }, 'install');
    expect(view.state.kind).toBe('absent');
    expect(view.outcome).toEqual({
      ok: false,
      cancelled: false,
      message:
        'the copy of /Applications/Paddock.app is not signed by Paddock’s developer, or was changed after signing; nothing was changed',
    });
  });

  it('a cancelled prompt is "cancelled", nothing recorded', async () => {
    const host = createFakeHost({
      platform: 'darwin',
      uid: 501,
      exec: {
        [installArgv(APP, OWN, TEAM, 'none').join(' ')]: {
          code: 1,
          stderr: '0:453: execution error: User canceled. (-128)\n',
        },
      },
    });
    const recorded: PaddockEvent[] = [];
    const view = await act(
      { host, facts: () => facts(null), record: (e) => void recorded.push(e) },
      'install',
    );
    expect(view.outcome).toMatchObject({ ok: false, cancelled: true });
    expect(recorded).toEqual([]);
  });

  it('a script said done but the copy is still refused by the install check: not ok, and says to remove it', async () => {
    const host = createFakeHost({
      platform: 'darwin',
      uid: 501,
      exec: { [installArgv(APP, OWN, TEAM, 'none').join(' ')]: ran(['installed'], 0) },
    });
    const made = () => host.execCalls.length > 0;
    const view = await act(
      {
        host,
        facts: () =>
          facts(made() ? { ...ready, problem: '/Library is writable by group 80' } : null),
      },
      'install',
    );
    expect(view.state.kind).toBe('untrusted');
    expect(view.outcome).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /cannot use it: \/Library is writable by group 80\. Remove it/,
      ),
    });
  });

  it('refuses, running nothing, what the state does not offer', async () => {
    const host = createFakeHost({ platform: 'darwin', uid: 501 });
    await expect(act({ host, facts: () => facts(ready) }, 'install')).rejects.toThrow(
      /already this build/,
    );
    await expect(
      act({ host, facts: () => facts({ version: '0.3.0' }) }, 'install'),
    ).rejects.toThrow(/newer \(0\.3\.0\) than this app \(0\.2\.0\): update this app/);
    await expect(act({ host, facts: () => facts(null) }, 'remove')).rejects.toThrow(
      /no admin copy to remove/,
    );
    await expect(
      act({ host, facts: () => facts(null, { platform: 'linux' }) }, 'install'),
    ).rejects.toThrow(/nothing was run/);
    await expect(
      act({ host, facts: () => facts(null, { team: null }) }, 'install'),
    ).rejects.toThrow(/not signed with a Developer ID/);
    expect(host.execCalls).toEqual([]);
  });

  it('remove: the prompt runs the remove script, and the copy is gone afterwards', async () => {
    const { host, ran: gone } = changing({
      [removeArgv().join(' ')]: ran(['removed /Library/Paddock/Paddock.app'], 0),
    });
    const view = await act(
      { host, facts: () => facts(gone() ? null : { version: '0.1.0' }) },
      'remove',
    );
    expect(host.execCalls).toEqual([removeArgv()]);
    expect(view.state.kind).toBe('absent');
    expect(view.outcome).toMatchObject({ ok: true, message: expect.stringMatching(/was removed/) });
  });

  it('remove said done, yet the copy is still there: not ok', async () => {
    const { host } = changing({
      [removeArgv().join(' ')]: ran(['removed /Library/Paddock/Paddock.app'], 0),
    });
    const view = await act({ host, facts: () => facts({ version: '0.1.0' }) }, 'remove');
    expect(view.outcome).toMatchObject({
      ok: false,
      message: expect.stringMatching(/still there/),
    });
  });

  it('runs only what was previewed: a digest of anything else is refused, nothing run', async () => {
    const host = createFakeHost({ platform: 'darwin', uid: 501 });
    let version = '0.1.0';
    const deps = { host, facts: () => facts({ version }) };
    const shown = await adminCopyAction(deps, { action: 'status' });
    expect(shown.install?.digest).toMatch(/^[0-9a-f]{64}$/);
    // The copy changed between the preview and the click (someone updated it).
    version = '0.1.5';
    await expect(
      adminCopyAction(deps, { action: 'install', digest: shown.remove!.digest }),
    ).rejects.toThrow(/no longer what was shown/);
    await expect(
      adminCopyAction(deps, { action: 'install', digest: 'a'.repeat(64) }),
    ).rejects.toThrow(/no longer what was shown.*Nothing was run/);
    expect(host.execCalls).toEqual([]);
  });

  it('remove is offered for anything at the copy’s path, and done only once nothing is there', async () => {
    const host = createFakeHost({ platform: 'darwin', uid: 501 });
    const view = await adminCopyAction(
      { host, facts: () => facts({ ...ready, unreadable: true }) },
      { action: 'status' },
    );
    expect(view.remove?.statements.join(' ')).toBe(REMOVE_SCRIPT);
    expect(view.install).not.toBeNull();
  });
});
