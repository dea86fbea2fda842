/**
 * PowerShell is asked through an argv whose script is a fixed template: a value (a model
 * name, a path with quotes, a rule name) travels as base64 data and can never become code.
 * There is no PowerShell here (pwsh is not in Debian's archive), so the proof is on the
 * script text itself: decode -EncodedCommand back and look at what PowerShell would read.
 */
import { describe, expect, it } from 'vitest';
import type { BatchPart, PsTemplate } from '../../../electron/engine/probes/win32/powershell';
import {
  MAX_ENCODED_COMMAND_LENGTH,
  MAX_VALUE_BYTES,
  POWERSHELL_EXE,
  PS_FIREWALL_RULES,
  PS_PROCESSES,
  PS_REGISTRY_ENVIRONMENT,
  PS_TEMPLATES,
  PowerShellArgvError,
  decodePowerShellCommand,
  encodePowerShellCommand,
  parseBatchOutput,
  powershellArgv,
  powershellBatchArgv,
  powershellBatchScript,
  powershellErrorText,
  powershellScript,
} from '../../../electron/engine/probes/win32/powershell';

const HOSTILE: readonly string[] = [
  "'; Remove-Item C:\\ -Recurse; '",
  '$(calc)',
  '`',
  '"',
  '"; Start-Process calc; "',
  'x\nRemove-Item -Recurse C:\\\n#',
  'x\r\nexit 0\r\n',
  'C:\\Program Files\\It\'s "quoted"\\ollama.exe',
  'C:\\Users\\Jürgen Müller\\AppData\\Local\\Programs\\Ollama\\ollama.exe',
  'llama3:8b-instruct-q4_K_M 模型 😀',
  "@' here-string '@",
  '${env:USERPROFILE}',
  '\u2018; calc; \u2019', // curly quotes PowerShell treats as quotes
  '',
  '\u0000',
];

const DATA_LINE =
  /^\$v_([A-Za-z0-9]+) = \[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([^']*)'\)\)$/gm;

/** The script with every data literal's content replaced by a placeholder, and the data. */
function split(script: string): { skeleton: string; data: Record<string, string> } {
  const data: Record<string, string> = {};
  const skeleton = script.replace(DATA_LINE, (_line, name: string, base64: string) => {
    expect(base64).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
    data[name] = Buffer.from(base64, 'base64').toString('utf8');
    return `$v_${name} = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('<DATA>'))`;
  });
  return { skeleton, data };
}

function valuesFor(template: PsTemplate, value: string): Record<string, string> {
  return Object.fromEntries(template.params.map((name) => [name, value]));
}

function scriptOf(argv: string[]): string {
  return decodePowerShellCommand(argv[argv.length - 1]!);
}

describe('the PowerShell argv', () => {
  it('is powershell.exe by its full path, no profile, never interactive, an encoded command', () => {
    const argv = powershellArgv(PS_PROCESSES);
    expect(argv.slice(0, -1)).toEqual([
      'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      '-NoProfile',
      '-NonInteractive',
      '-NoLogo',
      '-ExecutionPolicy',
      'Bypass',
      '-EncodedCommand',
    ]);
    expect(argv[0]).toBe(POWERSHELL_EXE);
    // Base64 only: nothing a command line or a shell could split or interpret.
    expect(argv[argv.length - 1]).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
  });

  it('encodes the script as base64 of its UTF-16LE bytes', () => {
    expect(encodePowerShellCommand('dir')).toBe('ZABpAHIA');
    expect(decodePowerShellCommand('ZABpAHIA')).toBe('dir');
    const argv = powershellArgv(PS_FIREWALL_RULES, { port: '11434', program: 'C:\\ollama.exe' });
    expect(scriptOf(argv)).toBe(
      powershellScript(PS_FIREWALL_RULES, { port: '11434', program: 'C:\\ollama.exe' }),
    );
  });

  it.each(HOSTILE.map((value) => [JSON.stringify(value), value]))(
    'keeps the hostile value %s as data: the script is the same apart from the data',
    (_label, value) => {
      for (const template of [PS_FIREWALL_RULES, PS_REGISTRY_ENVIRONMENT]) {
        const benign = split(scriptOf(powershellArgv(template, valuesFor(template, '11434'))));
        const hostile = split(scriptOf(powershellArgv(template, valuesFor(template, value))));
        // Identical apart from the data literals...
        expect(hostile.skeleton).toBe(benign.skeleton);
        // ...which carry the value exactly, as base64...
        for (const name of template.params) expect(hostile.data[name]).toBe(value);
        // ...and the value's own text is nowhere in what PowerShell reads.
        if (value.length >= 2) {
          const script = scriptOf(powershellArgv(template, valuesFor(template, value)));
          expect(script.includes(value)).toBe(false);
        }
      }
    },
  );

  it('gives every parameter exactly one data line and uses it only through its variable', () => {
    for (const template of Object.values(PS_TEMPLATES)) {
      const script = powershellScript(template, valuesFor(template, 'value'));
      const { data } = split(script);
      expect(Object.keys(data).sort()).toEqual([...template.params].sort());
      for (const name of template.params) expect(template.body).toContain(`$v_${name}`);
      // Nothing else in a template looks like a data line or a string built from input.
      expect(template.body).not.toMatch(/FromBase64String|Invoke-Expression|\biex\b|ScriptBlock/);
      expect(template.body).not.toContain('"');
      expect(template.body).not.toContain('`');
    }
  });

  it('prints one JSON array, ASCII only, and reports failure by exit code', () => {
    for (const template of Object.values(PS_TEMPLATES)) {
      const script = powershellScript(template, valuesFor(template, 'x'));
      expect(script).toContain('ConvertTo-Json -InputObject @($rows) -Depth 4 -Compress');
      expect(script).toContain("[regex]::Replace($json, '[^\\x00-\\x7F]'");
      expect(script).toContain("$ErrorActionPreference = 'Stop'");
      expect(script).toContain("$ProgressPreference = 'SilentlyContinue'");
      expect(script).toContain('exit 1');
      expect(script).toMatch(/\$rows = @\(/);
    }
    const rules = powershellScript(PS_FIREWALL_RULES, { port: '11434', program: '' });
    for (const part of [
      'Get-NetFirewallRule -PolicyStore $store -Direction Inbound -Enabled True',
      'Get-NetFirewallPortFilter -All -PolicyStore $store',
      'Get-NetFirewallApplicationFilter -All -PolicyStore $store',
      'Get-NetFirewallAddressFilter -All -PolicyStore $store',
      "$store = 'ActiveStore'",
    ]) {
      expect(rules).toContain(part);
    }
  });

  it('fits Windows command line with every value at its longest, in any script', () => {
    const longest = '😀'.repeat(MAX_VALUE_BYTES / 4);
    expect(Buffer.byteLength(longest, 'utf8')).toBe(MAX_VALUE_BYTES);
    for (const template of Object.values(PS_TEMPLATES)) {
      const argv = powershellArgv(template, valuesFor(template, longest));
      expect(argv[argv.length - 1]!.length).toBeLessThanOrEqual(MAX_ENCODED_COMMAND_LENGTH);
      expect(argv.join(' ').length).toBeLessThan(32_767);
    }
  });

  it('refuses what is not a plain value for the template, before anything runs', () => {
    const bad: Array<[PsTemplate, Record<string, unknown>]> = [
      [PS_FIREWALL_RULES, { port: '11434' }],
      [PS_FIREWALL_RULES, { port: '11434', program: 'x', extra: 'y' }],
      [PS_PROCESSES, { program: 'x' }],
      [PS_REGISTRY_ENVIRONMENT, { prefix: 42 }],
      [PS_REGISTRY_ENVIRONMENT, { prefix: 'x'.repeat(MAX_VALUE_BYTES + 1) }],
      [PS_REGISTRY_ENVIRONMENT, { prefix: 'ä'.repeat(MAX_VALUE_BYTES / 2 + 1) }],
      [PS_REGISTRY_ENVIRONMENT, { prefix: 'lone \ud800 surrogate' }],
      [PS_REGISTRY_ENVIRONMENT, { prefix: 'lone \udc00 surrogate' }],
      [{ ...PS_PROCESSES, params: ['bad name'] }, { 'bad name': 'x' }],
      [{ ...PS_PROCESSES, params: ['x;calc'] }, { 'x;calc': 'x' }],
    ];
    for (const [template, values] of bad) {
      expect(() => powershellArgv(template, values as Record<string, string>)).toThrow(
        PowerShellArgvError,
      );
    }
  });
});

describe("PowerShell's error text", () => {
  it("reads a template's own message as it is", () => {
    expect(powershellErrorText('paddock: Zugriff verweigert\r\n')).toBe(
      'paddock: Zugriff verweigert',
    );
  });

  it('decodes a CLIXML error stream (PowerShell/PowerShell#5912)', () => {
    const clixml =
      '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">' +
      '<S S="Error">boom_x000D__x000A_</S><S S="Error">At line:1 char:1_x000D__x000A_</S>' +
      '<S S="Error">+ throw &apos;boom&apos; &lt;here&gt;_x000D__x000A_</S></Objs>';
    expect(powershellErrorText(clixml)).toBe("boom\r\nAt line:1 char:1\r\n+ throw 'boom' <here>");
  });

  it('stays bounded on huge or broken streams', () => {
    const started = Date.now();
    expect(powershellErrorText(`#< CLIXML\n${'<S S="Error">'.repeat(500_000)}`)).toBe('');
    expect(powershellErrorText('x'.repeat(5_000_000)).length).toBe(64 * 1024);
    expect(powershellErrorText(undefined as unknown as string)).toBe('');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('a batch: several templates in one PowerShell run', () => {
  const parts = (value: string): BatchPart[] => [
    { template: PS_PROCESSES },
    { template: PS_FIREWALL_RULES, values: { port: value, program: value } },
    { template: PS_REGISTRY_ENVIRONMENT, values: { prefix: value } },
  ];

  it('a hostile value changes nothing but the data inside its literal', () => {
    const plain = split(scriptOf(powershellBatchArgv(parts('x'))));
    for (const value of HOSTILE.filter((v) => v !== '\u0000')) {
      const hostile = split(scriptOf(powershellBatchArgv(parts(value))));
      expect(hostile.skeleton).toBe(plain.skeleton);
      expect(Object.values(hostile.data)).toEqual(Object.values(hostile.data).map(() => value));
    }
  });

  it('each part runs in its own script block and answers on its own line, even when it fails', () => {
    const script = powershellBatchScript(parts('11434'));
    expect(script.match(/^& \{$/gm)).toHaveLength(3);
    for (const id of ['processes', 'firewallRules', 'registryEnvironment']) {
      expect(script).toContain(`'{"id":"${id}","ok":true,"rows":' + $json + '}' + [char]10`);
      expect(script).toContain(`'{"id":"${id}","ok":false,"error":' + $msg + '}' + [char]10`);
    }
    // No part ends the script: a failure is its line, not exit 1.
    expect(script).not.toMatch(/exit 1/);
  });

  it('refuses the same template twice, and a value it would refuse alone', () => {
    expect(() =>
      powershellBatchScript([{ template: PS_PROCESSES }, { template: PS_PROCESSES }]),
    ).toThrow(PowerShellArgvError);
    expect(() =>
      powershellBatchArgv([
        { template: PS_REGISTRY_ENVIRONMENT, values: { prefix: 'x'.repeat(MAX_VALUE_BYTES + 1) } },
      ]),
    ).toThrow(PowerShellArgvError);
  });

  it('its output is read back by part; noise, repeats and broken lines are ignored', () => {
    const out = [
      'WARNING: something PowerShell printed',
      '{"id":"processes","ok":true,"rows":[{"ProcessId":4}]}',
      '{"id":"processes","ok":true,"rows":[{"ProcessId":666}]}',
      '{"id":"firewallRules","ok":false,"error":"Zugriff verweigert \\u00e4"}',
      '{"id":"registryEnvironment","ok":true,"rows":[{"Scope":"us',
      '{"id":"$(calc)","ok":true,"rows":[]}',
    ].join('\r\n');
    const answers = parseBatchOutput(out);
    expect([...answers.keys()]).toEqual(['processes', 'firewallRules']);
    expect(answers.get('processes')).toEqual({ ok: true, rows: '[{"ProcessId":4}]' });
    expect(answers.get('firewallRules')).toEqual({ ok: false, error: 'Zugriff verweigert ä' });
    expect(parseBatchOutput(undefined as unknown as string).size).toBe(0);
  });
});
