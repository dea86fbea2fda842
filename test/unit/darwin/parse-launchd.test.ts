import { describe, expect, it } from 'vitest';
import type { LaunchdJob, PlistDict } from '../../../electron/engine/probes/darwin/parse';
import {
  DEFAULT_PLIST_LIMITS,
  launchctlGetenvArgv,
  launchctlSetenvAssignments,
  parseLaunchctlGetenv,
  parseLaunchdPlist,
  parseXmlPlist,
  readLaunchdJob,
} from '../../../electron/engine/probes/darwin/parse';
import { fixtureOutput } from '../../support/fixture-file';

/** A fixture's tool output: its `#fixture:` header lines are dropped. */
const fixture = (name: string): string => fixtureOutput('darwin', name);

function job(name: string): LaunchdJob {
  const result = parseLaunchdPlist(fixture(`plist/${name}`));
  if (!result.ok) throw new Error(`${name}: ${result.error} (line ${result.line})`);
  return result.job;
}

const plist = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n${body}\n</plist>\n`;

describe('launchd property lists', () => {
  it("reads Homebrew's ollama service: what it runs, its environment, and that it starts at login", () => {
    expect(job('homebrew.mxcl.ollama.plist')).toEqual({
      label: 'homebrew.mxcl.ollama',
      program: null,
      programArguments: ['/opt/homebrew/opt/ollama/bin/ollama', 'serve'],
      executable: '/opt/homebrew/opt/ollama/bin/ollama',
      environment: [
        { name: 'OLLAMA_FLASH_ATTENTION', value: '1' },
        { name: 'OLLAMA_KV_CACHE_TYPE', value: 'q8_0' },
      ],
      runAtLoad: true,
      keepAlive: true,
      keepAliveConditions: [],
      disabled: null,
      userName: null,
      workingDirectory: '/opt/homebrew/var',
      standardOutPath: '/opt/homebrew/var/log/ollama.log',
      standardErrorPath: '/opt/homebrew/var/log/ollama.log',
      problems: [],
    });
  });

  it('finds the LaunchAgent that sets OLLAMA_HOST in launchd at every login', () => {
    const agent = job('setenv.OLLAMA_HOST.plist');
    expect(agent.label).toBe('setenv.OLLAMA_HOST');
    expect(agent.runAtLoad).toBe(true);
    expect(agent.environment).toEqual([]);
    expect(launchctlSetenvAssignments(agent)).toEqual([
      { name: 'OLLAMA_HOST', value: '0.0.0.0', viaShell: false },
    ]);
  });

  it('reads a daemon with a shell one-liner, conditional KeepAlive, entities and CDATA', () => {
    const daemon = job('com.example.ollama-shell.plist');
    expect(daemon.environment).toEqual([
      { name: 'OLLAMA_HOST', value: '0.0.0.0:11434' },
      { name: 'OLLAMA_ORIGINS', value: `http://a.example & <b> * * "q" 's'` },
    ]);
    expect(daemon.keepAlive).toBe('conditional');
    expect(daemon.keepAliveConditions).toEqual(['SuccessfulExit', 'NetworkState']);
    expect(daemon.userName).toBe('_ollama');
    expect(daemon.disabled).toBe(false);
    expect(daemon.executable).toBe('/bin/sh');
    expect(launchctlSetenvAssignments(daemon)).toEqual([
      { name: 'OLLAMA_HOST', value: '0.0.0.0:11434', viaShell: true },
      { name: 'OLLAMA_ORIGINS', value: '*', viaShell: true },
    ]);
  });

  it('keeps integers as numbers, and dates and data as strings', () => {
    const parsed = parseXmlPlist(fixture('plist/com.example.ollama-shell.plist'));
    if (!parsed.ok) throw new Error(parsed.error);
    const root = parsed.value as PlistDict;
    expect(root.get('ThrottleInterval')).toBe(30);
    expect(root.get('Installed')).toBe('2025-06-02T09:01:10Z');
    expect(root.get('Token')).toBe('b2xsYW1h');
    expect(root.get('Empty')).toBe('');
  });

  it('takes Program over ProgramArguments[0] as launchd does', () => {
    const result = parseLaunchdPlist(
      plist(
        '<dict><key>Program</key><string>/usr/local/bin/ollama</string><key>ProgramArguments</key><array><string>ollama</string><string>serve</string></array></dict>',
      ),
    );
    expect(result.ok && result.job.executable).toBe('/usr/local/bin/ollama');
  });

  it('names keys of the wrong type instead of guessing', () => {
    const result = parseLaunchdPlist(
      plist(
        '<dict><key>Label</key><integer>1</integer><key>ProgramArguments</key><string>/bin/x</string><key>EnvironmentVariables</key><dict><key>A</key><true/><key>B</key><string>b</string></dict><key>RunAtLoad</key><string>yes</string><key>KeepAlive</key><array/></dict>',
      ),
    );
    if (!result.ok) throw new Error(result.error);
    expect(result.job).toMatchObject({
      label: null,
      programArguments: null,
      executable: null,
      runAtLoad: null,
      keepAlive: null,
      environment: [{ name: 'B', value: 'b' }],
    });
    expect(result.job.problems).toEqual([
      'ProgramArguments is not an array of strings',
      'EnvironmentVariables.A is not a string',
      'KeepAlive is neither a boolean nor a dictionary',
      'Label is not a string',
      'RunAtLoad is not a boolean',
    ]);
    expect(readLaunchdJob(['not', 'a', 'dict'])).toMatchObject({ ok: false });
  });
});

describe('the XML plist reader on hostile files', () => {
  const refused = (text: string, pattern: RegExp) => {
    const result = parseXmlPlist(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(pattern);
  };

  it('refuses a DOCTYPE that declares entities (billion laughs)', () => {
    const result = parseXmlPlist(fixture('plist/hostile-entity-expansion.plist'));
    expect(result).toEqual({
      ok: false,
      error: 'DOCTYPE with an internal subset (entity declarations) is refused',
      line: 2,
    });
  });

  it('refuses entities beyond the five, bad references and bare ampersands', () => {
    refused(plist('<string>&c;</string>'), /entity &c; is refused/);
    refused(plist('<string>&#0;</string>'), /not an XML character/);
    refused(plist('<string>&#xD800;</string>'), /not an XML character/);
    refused(plist('<string>a & b</string>'), /& without an entity/);
    refused(plist('<string>&amp</string>'), /& without an entity/);
  });

  it('refuses deep nesting, too many values and oversized input', () => {
    refused(plist('<array>'.repeat(40) + '</array>'.repeat(40)), /nested deeper than 32/);
    const small = parseXmlPlist(plist(`<array>${'<true/>'.repeat(20)}</array>`), {
      ...DEFAULT_PLIST_LIMITS,
      maxValues: 10,
    });
    expect(small).toMatchObject({ ok: false, error: 'more than 10 values' });
    refused('x'.repeat(DEFAULT_PLIST_LIMITS.maxChars + 1), /longer than/);
  });

  it('refuses binary plists, attributes, stray text, duplicates and unknown elements', () => {
    refused('bplist00\u00d1\u0001\u0002', /binary property list/);
    refused(plist('<string id="x">a</string>'), /attributes on <string>/);
    refused(plist('<dict>text<key>a</key><true/></dict>'), /expected an element/);
    refused(plist('<dict><key>a</key><true/><key>a</key><false/></dict>'), /duplicate key "a"/);
    refused(plist('<dict><key>a</key></dict>'), /key "a" has no value/);
    refused(plist('<script>x</script>'), /unknown element <script>/);
    refused(plist('<dict><string>a</string></dict>'), /expected <key>/);
  });

  it('refuses broken structure and values', () => {
    refused(
      '<?xml version="1.0"?><plist version="1.0"><dict>',
      /expected an element|without an end/,
    );
    refused(plist('<true/>') + '<extra/>', /content after <\/plist>/);
    refused('<?xml version="1.0"?><dict></dict>', /root element is not <plist>/);
    refused(plist('<string>a</array>'), /expected <\/string>/);
    refused(plist('<integer>99999999999999999999</integer>'), /not a safe integer/);
    refused(plist('<integer>1e3</integer>'), /not a safe integer/);
    refused(plist('<real>fast</real>'), /not a number/);
    refused(plist('<date>yesterday</date>'), /not YYYY-MM-DDTHH:MM:SSZ/);
    refused(plist('<data>!!!</data>'), /not base64/);
    refused(plist('<string>a\u0000b</string>'), /control character/);
    refused(plist('<!-- never closed <true/>'), /comment without an end/);
    refused(
      '<?xml version="1.0"?><?evil?><plist version="1.0"><true/></plist>',
      /processing instructions/,
    );
  });

  it('keeps __proto__ as data in a Map, polluting nothing', () => {
    const result = parseXmlPlist(
      plist('<dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict>'),
    );
    if (!result.ok) throw new Error(result.error);
    expect((result.value as PlistDict).has('__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads hex and signed integers, reals, empty containers and a BOM', () => {
    const result = parseXmlPlist(
      '\uFEFF' +
        plist(
          '<array><integer>0x1F</integer><integer>-3</integer><real>2.5</real><dict/><array/><false></false></array>',
        ),
    );
    expect(result).toEqual({ ok: true, value: [31, -3, 2.5, new Map(), [], false] });
  });

  it('never throws on input that is not text', () => {
    for (const input of [undefined, null, 7, {}]) {
      expect(() => parseXmlPlist(input as unknown as string)).not.toThrow();
      expect(() => parseLaunchdPlist(input as unknown as string)).not.toThrow();
    }
  });
});

describe('launchctl getenv', () => {
  it('builds argv for a variable name and refuses anything else', () => {
    expect(launchctlGetenvArgv('OLLAMA_HOST')).toEqual(['launchctl', 'getenv', 'OLLAMA_HOST']);
    expect(launchctlGetenvArgv('OLLAMA_HOST; rm -rf /')).toBeNull();
    expect(launchctlGetenvArgv('')).toBeNull();
  });

  it('reads the value that launchctl setenv left for the Ollama app', () => {
    expect(parseLaunchctlGetenv(fixture('launchctl/getenv-ollama-host-set.txt'))).toEqual({
      set: true,
      value: '0.0.0.0:11434',
      refused: null,
    });
  });

  it('says not set when launchctl printed nothing', () => {
    expect(parseLaunchctlGetenv(fixture('launchctl/getenv-ollama-host-unset.txt'))).toEqual({
      set: false,
      value: null,
      refused: null,
    });
  });

  it('keeps spaces and inner newlines of a value, and refuses a flood', () => {
    expect(parseLaunchctlGetenv('a b\nc\n').value).toBe('a b\nc');
    expect(parseLaunchctlGetenv('\n')).toEqual({ set: true, value: '', refused: null });
    expect(parseLaunchctlGetenv('x'.repeat(70_000)).refused).toMatch(/longer than/);
    expect(() => parseLaunchctlGetenv(undefined as unknown as string)).not.toThrow();
  });
});
