import { describe, expect, it } from 'vitest';
import type { DarwinProcess } from '../../../electron/engine/probes/darwin/parse';
import {
  PS_ARGS_ARGV,
  PS_ENV,
  PS_PROCESS_ARGV,
  parsePs,
  parsePsArgs,
  parsePsProcesses,
  toDarwinProcess,
} from '../../../electron/engine/probes/darwin/parse';
import { envFromPsE } from '../../../electron/engine/probes/darwin/probes';
import { resolveDarwinSettings } from '../../../electron/engine/probes/darwin/settings';
import { fixtureOutput } from '../../support/fixture-file';

/** A fixture's tool output: its `#fixture:` header lines are dropped. */
const fixture = (name: string): string => fixtureOutput('darwin', name);

const UTC = { timeZone: { offsetMinutes: 0 } } as const;
const scene = parsePs(fixture('ps/ps-processes-sonoma.txt'), fixture('ps/ps-args-sonoma.txt'), UTC);
const byPid = (pid: number): DarwinProcess => {
  const found = scene.processes.find((process) => process.pid === pid);
  if (!found) throw new Error(`no process ${pid}`);
  return found;
};

describe('ps on macOS', () => {
  it('runs two argv-only commands in the C locale', () => {
    expect(PS_PROCESS_ARGV).toEqual(['ps', '-axww', '-o', 'pid=,ppid=,uid=,user=,lstart=,comm=']);
    expect(PS_ARGS_ARGV).toEqual(['ps', '-axww', '-o', 'pid=,args=']);
    expect(PS_ENV).toEqual({ LC_ALL: 'C' });
  });

  it('reads every line of the Sonoma fixtures', () => {
    expect(scene.unparsed).toEqual([]);
    expect(scene.truncated).toBe(false);
    expect(scene.processes).toHaveLength(14);
  });

  it("finds the Ollama app's server: its executable, serve, its parent app, user and start", () => {
    const server = byPid(745);
    expect(server).toEqual({
      pid: 745,
      ppid: 712,
      uid: 501,
      user: 'alice',
      startedAt: '2025-06-02T09:02:31.000Z',
      executable: '/Applications/Ollama.app/Contents/Resources/ollama',
      name: 'ollama',
      argv: ['/Applications/Ollama.app/Contents/Resources/ollama', 'serve'],
      argvStatus: 'ok',
    });
    expect(byPid(712).executable).toBe('/Applications/Ollama.app/Contents/MacOS/Ollama');
  });

  it("keeps LM Studio's path with spaces whole, and its helper's flags split", () => {
    const app = byPid(801);
    expect(app.executable).toBe('/Applications/LM Studio.app/Contents/MacOS/LM Studio');
    expect(app.name).toBe('LM Studio');
    expect(app.argv).toEqual(['/Applications/LM Studio.app/Contents/MacOS/LM Studio']);
    const helper = byPid(823);
    expect(helper.argv[0]).toBe(
      '/Applications/LM Studio.app/Contents/Frameworks/LM Studio Helper.app/Contents/MacOS/LM Studio Helper',
    );
    expect(helper.name).toBe('LM Studio Helper');
    expect(helper.argv.slice(1)).toEqual([
      '--type=utility',
      '--utility-sub-type=node.mojom.NodeService',
      '--lang=en-US',
      '--service-sandbox-type=none',
    ]);
  });

  it("finds Homebrew's ollama serve and Docker Desktop's backend", () => {
    expect(byPid(910).argv).toEqual(['/opt/homebrew/opt/ollama/bin/ollama', 'serve']);
    expect(byPid(910).ppid).toBe(1);
    expect(byPid(954).name).toBe('com.docker.backend');
    expect(byPid(954).executable).toBe(
      '/Applications/Docker.app/Contents/MacOS/com.docker.backend',
    );
  });

  it('gives no executable for an argv[0] that is not a path (a terminal ollama, a login shell)', () => {
    expect(byPid(1204)).toMatchObject({
      executable: null,
      name: 'ollama',
      argv: ['ollama', 'serve'],
      argvStatus: 'ok',
    });
    expect(byPid(1190)).toMatchObject({ executable: null, name: '-zsh', argv: ['-zsh'] });
  });

  it('cannot tell an argument with a space from two arguments, as ps shows them', () => {
    expect(byPid(1300).argv).toEqual([
      'python3',
      '-m',
      'http.server',
      '8000',
      '--directory',
      '/Users/alice/My',
      'Models',
    ]);
  });

  it("says when ps could not read a process's arguments, and names zombies", () => {
    expect(byPid(305)).toMatchObject({
      user: '_mdnsresponder',
      uid: 65,
      name: 'mDNSResponder',
      executable: null,
      argv: [],
      argvStatus: 'unavailable',
    });
    expect(byPid(1350)).toMatchObject({ argvStatus: 'zombie', argv: [], executable: null });
  });

  it('joins by pid: a process gone before the args run keeps argv[0] only', () => {
    expect(byPid(1360)).toMatchObject({
      argv: ['/usr/bin/curl'],
      argvStatus: 'comm-only',
      executable: '/usr/bin/curl',
    });
    expect(scene.processes.some((process) => process.pid === 1402)).toBe(false);
  });

  it("reads lstart in this machine's zone by default", () => {
    const local = parsePsProcesses(fixture('ps/ps-processes-sonoma.txt'));
    expect(local.rows[0]?.startedAt).toBe(new Date(2025, 5, 2, 9, 1, 10).toISOString());
    const east = parsePsProcesses(fixture('ps/ps-processes-sonoma.txt'), {
      timeZone: { offsetMinutes: 120 },
    });
    expect(east.rows[0]?.startedAt).toBe('2025-06-02T07:01:10.000Z');
  });

  it('treats a reused pid (args not starting with argv[0]) as comm-only', () => {
    const row = {
      pid: 9,
      ppid: 1,
      uid: 501,
      user: 'alice',
      startedAt: null,
      comm: '/opt/homebrew/bin/ollama',
    };
    expect(toDarwinProcess(row, '/opt/homebrew/bin/ollamaX serve').argvStatus).toBe('comm-only');
    expect(toDarwinProcess(row, 'something else').argv).toEqual(['/opt/homebrew/bin/ollama']);
  });
});

describe('ps on hostile output', () => {
  it('reports garbage, missing fields and a non-C locale as unparsed lines', () => {
    const result = parsePsProcesses(
      [
        'garbage',
        '  12    1',
        '  13    1   501 alice lun.  2 juin 09:01:10 2025     /bin/zsh',
        '  14    1   501 alice Mon Jun  2 09:01:10 2025',
        '  15    1   501 alice Mon Jun  2 09:01:10 2025     /bin/ok',
      ].join('\n'),
      UTC,
    );
    expect(result.rows.map((row) => row.pid)).toEqual([15]);
    expect(result.unparsed.map((u) => u.line)).toEqual([1, 2, 3, 4]);
    expect(result.unparsedTotal).toBe(4);
  });

  it('keeps a row whose start is not a real date, without a time', () => {
    const result = parsePsProcesses(
      '   16     1   501 alice Mon Feb 31 09:01:10 2025     /bin/x',
      UTC,
    );
    expect(result.rows[0]).toMatchObject({ pid: 16, startedAt: null, comm: '/bin/x' });
    expect(result.unparsed[0]?.reason).toMatch(/real date/);
  });

  it('refuses pids past 2^53 and lines longer than an argument area', () => {
    const huge = `   17 ${'x'.repeat(2 * 1024 * 1024)}`;
    const args = parsePsArgs(`99999999999999999999 /bin/x\n${huge}\n   18 /bin/y`);
    expect([...args.args.keys()]).toEqual([18]);
    expect(args.unparsedTotal).toBe(2);
    expect(args.unparsed[1]?.text.length).toBeLessThanOrEqual(201);
  });

  it('keeps at most 100 unparsed lines but counts them all', () => {
    const result = parsePsArgs('nonsense\n'.repeat(500));
    expect(result.unparsed).toHaveLength(100);
    expect(result.unparsedTotal).toBe(500);
  });

  it('never throws on input that is not text', () => {
    expect(() => parsePs(undefined as unknown as string, null as unknown as string)).not.toThrow();
    expect(parsePs('', '').processes).toEqual([]);
  });
});

describe('ps -E: the server’s own environment', () => {
  it('reads each OLLAMA_* value up to the next NAME=, spaces inside a value included, and names those values as uncertain', () => {
    const env = envFromPsE(fixture('ps/ps-E-server-sonoma.txt'));
    expect(env.status).toBe('ok');
    expect(env.vars).toEqual({
      OLLAMA_MODELS: '/Users/alice/LLM Models',
      OLLAMA_HOST: '0.0.0.0:11434',
      OLLAMA_ORIGINS: 'http://a.example, http://b.example',
    });
    expect(env.uncertain).toEqual(['OLLAMA_MODELS', 'OLLAMA_ORIGINS']);
  });

  it('another user’s process (no environment printed) is denied; no output is unavailable', () => {
    expect(envFromPsE('/usr/local/bin/ollama serve\n').status).toBe('denied');
    expect(envFromPsE('').status).toBe('unavailable');
  });

  it('a value set to nothing is an empty value, not the next variable', () => {
    expect(envFromPsE('ollama serve OLLAMA_HOST= HOME=/Users/a').vars).toEqual({ OLLAMA_HOST: '' });
  });
});

describe('a value ps -E may have cut short', () => {
  it('is used, and the settings say it may be cut short', () => {
    const env = envFromPsE(fixture('ps/ps-E-server-sonoma.txt'));
    const report = resolveDarwinSettings({
      launcher: 'shell',
      launchdJob: null,
      pid: 745,
      processEnv: env,
      launchctl: { status: 'ok', vars: {} },
      plists: [],
      shell: [],
      app: null,
    });
    expect(report.settings.find((s) => s.name === 'OLLAMA_HOST')?.value).toBe('0.0.0.0:11434');
    expect(report.gaps.map((g) => g.message)).toEqual([
      expect.stringMatching(
        /^OLLAMA_MODELS in the running server's environment holds a space; .*may be cut short$/,
      ),
      expect.stringMatching(/^OLLAMA_ORIGINS in the running server's environment holds a space/),
    ]);
  });
});
