import { describe, expect, it, vi } from 'vitest';
import {
  LOGIN_SHELL_COMMAND,
  PATH_MARKER,
  chooseShell,
  defaultPathEnvDeps,
  mergePath,
  pathBetweenMarkers,
  restorePath,
  wellKnownDirs,
} from '../../../electron/main/path-env';
import type { PathEnvDeps, ShellRun } from '../../../electron/main/path-env';

const ETC_SHELLS = '# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n/usr/bin/zsh\n\n';
const LAUNCHER_PATH = '/usr/bin:/bin';

function deps(
  overrides: Partial<PathEnvDeps> = {},
  stdout = '',
): PathEnvDeps & { runs: string[][] } {
  const runs: string[][] = [];
  return {
    platform: 'linux',
    env: { PATH: LAUNCHER_PATH, SHELL: '/usr/bin/zsh' },
    home: '/home/me',
    readEtcShells: () => ETC_SHELLS,
    isExecutable: () => true,
    run: async (argv): Promise<ShellRun> => {
      runs.push([...argv]);
      return { stdout, code: 0, timedOut: false };
    },
    runs,
    ...overrides,
  };
}

describe('pathBetweenMarkers', () => {
  it('takes what the shell printed between the markers, ignoring banners around it', () => {
    const stdout = `Welcome to fortune\n${PATH_MARKER}/home/me/bin:/usr/bin${PATH_MARKER}bye\n`;
    expect(pathBetweenMarkers(stdout)).toBe('/home/me/bin:/usr/bin');
  });

  it('no pair of markers: no answer', () => {
    expect(pathBetweenMarkers('')).toBeNull();
    expect(pathBetweenMarkers(`${PATH_MARKER}/usr/bin`)).toBeNull();
    expect(pathBetweenMarkers('/usr/bin:/bin')).toBeNull();
  });

  it('the command is a constant that prints PATH between the markers', () => {
    expect(LOGIN_SHELL_COMMAND).toBe('printf "__PADDOCK_PATH__%s__PADDOCK_PATH__" "$PATH"');
  });
});

describe('mergePath', () => {
  it('shell entries first, then the current ones, then the usual folders; each once', () => {
    expect(
      mergePath('/home/me/.cargo/bin:/usr/local/bin:/usr/bin', '/usr/bin:/bin:/snap/bin', [
        '/usr/local/bin',
        '/usr/sbin',
        '/bin',
      ]),
    ).toBe('/home/me/.cargo/bin:/usr/local/bin:/usr/bin:/bin:/snap/bin:/usr/sbin');
  });

  it('drops relative and empty entries (a PATH with "." or "::" runs what is in the working directory)', () => {
    expect(mergePath('.:bin::/usr/bin:~/bin', ':./node_modules/.bin', ['/bin'])).toBe(
      '/usr/bin:/bin',
    );
  });

  it('a trailing slash does not make a second entry', () => {
    expect(mergePath('/usr/bin/', '/usr/bin', [])).toBe('/usr/bin');
  });

  it('no shell answer: the current PATH and the usual folders', () => {
    expect(mergePath(null, undefined, ['/usr/bin', '/bin'])).toBe('/usr/bin:/bin');
  });
});

describe('wellKnownDirs', () => {
  it('Homebrew on macOS only, and ~/.local/bin everywhere', () => {
    expect(wellKnownDirs('linux', '/home/me')).toEqual([
      '/usr/local/sbin',
      '/usr/local/bin',
      '/usr/sbin',
      '/usr/bin',
      '/sbin',
      '/bin',
      '/home/me/.local/bin',
    ]);
    expect(wellKnownDirs('darwin', '/Users/me')).toContain('/opt/homebrew/bin');
    expect(wellKnownDirs('linux', '/home/me')).not.toContain('/opt/homebrew/bin');
    expect(wellKnownDirs('linux', '')).not.toContain('.local/bin');
  });
});

describe('chooseShell', () => {
  const executable = () => true;
  it('$SHELL when it is absolute, listed in /etc/shells and executable', () => {
    expect(chooseShell('/usr/bin/zsh', ETC_SHELLS, executable)).toBe('/usr/bin/zsh');
  });

  it('otherwise /bin/sh', () => {
    expect(chooseShell(undefined, ETC_SHELLS, executable)).toBe('/bin/sh');
    expect(chooseShell('zsh', ETC_SHELLS, executable)).toBe('/bin/sh');
    expect(chooseShell('/tmp/evil', ETC_SHELLS, executable)).toBe('/bin/sh');
    expect(chooseShell('/usr/bin/zsh', null, executable)).toBe('/bin/sh');
    expect(chooseShell('/usr/bin/zsh', ETC_SHELLS, () => false)).toBe('/bin/sh');
    expect(chooseShell('# /etc/shells: valid login shells', ETC_SHELLS, executable)).toBe(
      '/bin/sh',
    );
  });
});

describe('restorePath', () => {
  it('runs the login shell by argv with the constant command, and sets the merged PATH', async () => {
    const d = deps({}, `motd\n${PATH_MARKER}/home/me/go/bin:/usr/bin${PATH_MARKER}`);
    const run = vi.spyOn(d, 'run');
    const result = await restorePath(d);
    expect(run).toHaveBeenCalledExactlyOnceWith(
      ['/usr/bin/zsh', '-ilc', LOGIN_SHELL_COMMAND],
      3000,
    );
    expect(result.source).toBe('shell');
    expect(d.env.PATH?.split(':').slice(0, 3)).toEqual(['/home/me/go/bin', '/usr/bin', '/bin']);
    expect(d.env.PATH).toContain('/usr/local/sbin');
    expect(d.env.PATH).toContain('/home/me/.local/bin');
  });

  it('a shell that fails, times out or prints no markers: the usual folders are still added', async () => {
    for (const run of [
      async () => ({ stdout: '', code: 1, timedOut: false }),
      async () => ({ stdout: `${PATH_MARKER}/usr/b`, code: null, timedOut: true }),
      async () => {
        throw new Error('ENOENT');
      },
    ]) {
      const d = deps({ run });
      const result = await restorePath(d);
      expect(result.source).toBe('fallback');
      expect(d.env.PATH).toBe(mergePath(null, LAUNCHER_PATH, wellKnownDirs('linux', '/home/me')));
    }
  });

  it('an unlisted $SHELL is not run; /bin/sh is', async () => {
    const d = deps({ env: { PATH: LAUNCHER_PATH, SHELL: '/home/me/evil-shell' } });
    await restorePath(d);
    expect(d.runs[0]?.[0]).toBe('/bin/sh');
  });

  // Windows has no /bin/sh (and its PATH is left alone: the test below); never skipped in CI.
  it.skipIf(process.platform === 'win32')(
    'a real /bin/sh answers the constant command with its PATH between the markers',
    async () => {
      const env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', SHELL: '/bin/sh' };
      const result = await restorePath({ ...defaultPathEnvDeps(), platform: 'linux', env });
      expect(result).toMatchObject({ source: 'shell', shell: '/bin/sh' });
      expect(env.PATH?.split(':')).toEqual(expect.arrayContaining(['/usr/bin', '/bin']));
      expect(env.PATH).not.toContain(PATH_MARKER);
    },
  );

  it('Windows: PATH is left alone and nothing runs', async () => {
    const d = deps({ platform: 'win32', env: { PATH: 'C:\\Windows\\system32' } });
    const result = await restorePath(d);
    expect(result.source).toBe('unchanged');
    expect(d.env.PATH).toBe('C:\\Windows\\system32');
    expect(d.runs).toEqual([]);
  });
});
