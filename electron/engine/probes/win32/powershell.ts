/**
 * How Paddock asks Windows PowerShell: a fixed script template, its untrusted values passed as
 * data, run through `-EncodedCommand`, the whole invocation an argv (never one string for a
 * shell, never values joined into script text).
 *
 * The argv: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile
 * -NonInteractive -NoLogo -ExecutionPolicy Bypass -EncodedCommand <base64>`, where the base64
 * is of the script's UTF-16LE bytes (about_PowerShell_exe: "-EncodedCommand Accepts a
 * Base64-encoded string version of a command"). Windows PowerShell 5.1 is on every Windows
 * 10 and 11 at that path; PowerShell 7 (`pwsh.exe`) may not be installed and is not used.
 * -NoProfile: no profile script of the user runs (and none can change what the cmdlets
 * return); -NonInteractive: nothing waits for an answer.
 *
 * Values: a template names its parameters; each value becomes one line
 *     $v_name = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('<base64>'))
 * whose literal holds only base64 characters (A–Z a–z 0–9 + / =), so no value — a quote, a
 * `$(…)`, a backtick, a newline, `'; Remove-Item …` — can end the literal or be read as
 * code: the script text differs between two values only inside those literals
 * (test/unit/win32/powershell.test.ts decodes the argv back and checks exactly that).
 *
 * Every template prints one JSON array on stdout (`ConvertTo-Json -InputObject @(…)`, so one
 * row is still an array, and `-Depth` for the filters' lists) and nothing else. The JSON is
 * made pure ASCII (every other character as a `\uXXXX` escape), because Windows PowerShell
 * writes stdout in the console's OEM code page, which would lose `Jürgen` in a path, and
 * setting the console to UTF-8 can fail in a process without a console; JSON.parse restores
 * the characters. Progress records are silenced (they come on stderr as CLIXML,
 * sindresorhus/open#358), and an error ends the script with exit code 1 and its message on
 * stderr. An error PowerShell itself reports (a script it cannot parse) comes on
 * stderr as CLIXML (PowerShell/PowerShell#5912); `powershellErrorText` reads either.
 */

export const POWERSHELL_EXE = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';

/** The options before `-EncodedCommand`, in order. */
export const POWERSHELL_OPTIONS: readonly string[] = [
  '-NoProfile',
  '-NonInteractive',
  '-NoLogo',
  '-ExecutionPolicy',
  'Bypass',
];

/**
 * A value may be at most this many bytes of UTF-8: every template must fit Windows' command
 * line with all its values this long (a byte grows 8/3 times on its way into
 * -EncodedCommand). A path of 260 characters (MAX_PATH, which most programs keep to) is at
 * most 780 bytes.
 */
export const MAX_VALUE_BYTES = 2048;

/**
 * Windows limits a command line to 32,767 characters; the argv is refused well before, with
 * room for the path and options.
 */
export const MAX_ENCODED_COMMAND_LENGTH = 30_000;

export interface PsTemplate {
  /** Short name, for logs and errors. */
  readonly id: string;
  /** What the template prints, for the reader of a log. */
  readonly description: string;
  /** The values it takes; each is the variable `$v_<name>` in `body`. */
  readonly params: readonly string[];
  /** PowerShell that sets `$rows`; it may use the params' variables, never their text. */
  readonly body: string;
  /** The most bytes one value may hold (default MAX_VALUE_BYTES). */
  readonly maxValueBytes?: number;
}

export class PowerShellArgvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PowerShellArgvError';
  }
}

const PARAM_NAME = /^[a-z][A-Za-z0-9]{0,31}$/;

/** ConvertTo-Json's -Depth: rows are objects whose deepest fields are lists of strings. */
const TEMPLATE_DEPTH = 4;

const PRELUDE = [
  "$ErrorActionPreference = 'Stop'",
  "$ProgressPreference = 'SilentlyContinue'",
  // For stderr's sake only; a console-less process may refuse it (SetConsoleOutputCP).
  // A .NET constructor, not New-Object: a cmdlet could load a module from the user's folders.
  'try { [Console]::OutputEncoding = [Text.UTF8Encoding]::new($false) } catch { }',
].join('\n');

function epilogue(depth: number): string {
  return [
    `  $json = ConvertTo-Json -InputObject @($rows) -Depth ${depth} -Compress`,
    // Every character past ASCII as a JSON \u escape: the output then reads the same in any
    // code page, whatever the console's output encoding turned out to be.
    "  $json = [regex]::Replace($json, '[^\\x00-\\x7F]', { param($m) '\\u{0:x4}' -f [int][char]$m.Value })",
    '  [Console]::Out.Write($json)',
    '} catch {',
    "  [Console]::Error.WriteLine('paddock: ' + $_.Exception.Message)",
    '  exit 1',
    '}',
  ].join('\n');
}

/** A string that UTF-8 can carry as it is: no lone surrogate (which would come back as U+FFFD). */
function isWellFormed(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i += 1;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** The line that gives a parameter its value: only base64 characters between the quotes. */
export function dataLine(name: string, value: string): string {
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  return `$v_${name} = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${base64}'))`;
}

/**
 * The full script for a template and its values. Throws PowerShellArgvError when a value is
 * missing, unexpected, not a string, too long or not well-formed, or the template's
 * parameter names are not plain identifiers: a programming error, never a property of the
 * machine being scanned.
 */
export function powershellScript(
  template: PsTemplate,
  values: Readonly<Record<string, string>> = {},
): string {
  for (const name of template.params) {
    if (!PARAM_NAME.test(name)) {
      throw new PowerShellArgvError(`template ${template.id}: bad parameter name ${name}`);
    }
  }
  const given = Object.keys(values);
  for (const name of given) {
    if (!template.params.includes(name)) {
      throw new PowerShellArgvError(`template ${template.id} takes no value ${name}`);
    }
  }
  const lines: string[] = [PRELUDE];
  for (const name of template.params) {
    if (!Object.prototype.hasOwnProperty.call(values, name)) {
      throw new PowerShellArgvError(`template ${template.id} needs a value for ${name}`);
    }
    const value = values[name];
    if (typeof value !== 'string') {
      throw new PowerShellArgvError(`template ${template.id}: ${name} is not a string`);
    }
    if (Buffer.byteLength(value, 'utf8') > (template.maxValueBytes ?? MAX_VALUE_BYTES)) {
      throw new PowerShellArgvError(`template ${template.id}: ${name} is too long`);
    }
    if (!isWellFormed(value)) {
      throw new PowerShellArgvError(`template ${template.id}: ${name} is not well-formed text`);
    }
    lines.push(dataLine(name, value));
  }
  lines.push('try {', template.body.replace(/^\n+/, '').trimEnd(), epilogue(TEMPLATE_DEPTH));
  return lines.join('\n');
}

// ── batches: one PowerShell process for several templates ───────────────────────────────

/**
 * Several templates in one script, so that a scan starts PowerShell once per batch instead of
 * once per question (Windows PowerShell takes a few hundred milliseconds to start). Each part
 * runs in a script block of its own (its values and `$rows` are its own), in its own
 * try/catch: one that fails says so on its line and the next still runs. The output is one
 * line per part, in order:
 *     {"id":"<template id>","ok":true,"rows":<the template's JSON array>}
 *     {"id":"<template id>","ok":false,"error":"<the message>"}
 * pure ASCII as for a single template; `parseBatchOutput` reads it back.
 */
export interface BatchPart {
  template: PsTemplate;
  values?: Readonly<Record<string, string>>;
}

const BATCH_ID = /^[a-z][A-Za-z0-9]{0,31}$/;

function batchSection(part: BatchPart): string {
  const { template } = part;
  if (!BATCH_ID.test(template.id))
    throw new PowerShellArgvError(`template id ${template.id} cannot name a batch part`);
  // The single-template script, less its prelude, as the body of a script block.
  const script = powershellScript(template, part.values ?? {});
  const inner = script.slice(PRELUDE.length + 1);
  const body = inner
    .replace(
      '  [Console]::Out.Write($json)',
      () =>
        `  [Console]::Out.Write('{"id":"${template.id}","ok":true,"rows":' + $json + '}' + [char]10)`,
    )
    .replace("  [Console]::Error.WriteLine('paddock: ' + $_.Exception.Message)\n  exit 1", () =>
      [
        '  $msg = ConvertTo-Json -InputObject ([string]$_.Exception.Message) -Compress',
        "  $msg = [regex]::Replace($msg, '[^\\x00-\\x7F]', { param($m) '\\u{0:x4}' -f [int][char]$m.Value })",
        `  [Console]::Out.Write('{"id":"${template.id}","ok":false,"error":' + $msg + '}' + [char]10)`,
      ].join('\n'),
    );
  return `& {\n${body}\n}`;
}

/** The script of a batch (see BatchPart). Throws PowerShellArgvError as powershellScript does. */
export function powershellBatchScript(parts: readonly BatchPart[]): string {
  const ids = parts.map((p) => p.template.id);
  if (new Set(ids).size !== ids.length)
    throw new PowerShellArgvError('a batch names a template twice');
  return [PRELUDE, ...parts.map(batchSection)].join('\n');
}

/** The argv that runs a batch. Throws PowerShellArgvError. */
export function powershellBatchArgv(parts: readonly BatchPart[]): string[] {
  const encoded = encodePowerShellCommand(powershellBatchScript(parts));
  if (encoded.length > MAX_ENCODED_COMMAND_LENGTH)
    throw new PowerShellArgvError('batch: command line too long for Windows');
  return [POWERSHELL_EXE, ...POWERSHELL_OPTIONS, '-EncodedCommand', encoded];
}

/** One part's answer: its rows as JSON text (for the parsers), or why there are none. */
export type BatchAnswer = { ok: true; rows: string } | { ok: false; error: string };

/**
 * Reads a batch's stdout: the parts' answers by template id. A part with no line (the script
 * stopped before it, the output was cut) is absent; a line that is not a part's answer is
 * ignored. Bounded by the exec's own output cap; never throws.
 */
export function parseBatchOutput(stdout: string): Map<string, BatchAnswer> {
  const answers = new Map<string, BatchAnswer>();
  const text = typeof stdout === 'string' ? stdout : '';
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{"id":"')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null) continue;
    const { id, ok, rows, error } = parsed as Record<string, unknown>;
    if (typeof id !== 'string' || !BATCH_ID.test(id) || answers.has(id)) continue;
    if (ok === true && rows !== undefined)
      answers.set(id, { ok: true, rows: JSON.stringify(rows) });
    else if (ok === false)
      answers.set(id, { ok: false, error: typeof error === 'string' ? error.slice(0, 4096) : '' });
  }
  return answers;
}

/** `-EncodedCommand`'s argument for a script: base64 of its UTF-16LE bytes. */
export function encodePowerShellCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

/** The script an `-EncodedCommand` argument carries (for tests and logs). */
export function decodePowerShellCommand(encoded: string): string {
  return Buffer.from(encoded, 'base64').toString('utf16le');
}

/** The argv that runs a template with its values. Throws PowerShellArgvError (see powershellScript). */
export function powershellArgv(
  template: PsTemplate,
  values: Readonly<Record<string, string>> = {},
): string[] {
  const encoded = encodePowerShellCommand(powershellScript(template, values));
  if (encoded.length > MAX_ENCODED_COMMAND_LENGTH) {
    throw new PowerShellArgvError(`template ${template.id}: command line too long for Windows`);
  }
  return [POWERSHELL_EXE, ...POWERSHELL_OPTIONS, '-EncodedCommand', encoded];
}

/**
 * The error text in PowerShell's stderr: the templates' own `paddock: …` line as it is, or
 * the messages of a CLIXML stream (`#< CLIXML` then `<S S="Error">…_x000D__x000A_</S>`),
 * decoded. Bounded: at most 64 KiB is read. Never throws.
 */
export function powershellErrorText(stderr: string): string {
  const text = typeof stderr === 'string' ? stderr.slice(0, 64 * 1024) : '';
  if (!text.trimStart().startsWith('#< CLIXML')) return text.trim();
  const parts: string[] = [];
  for (const match of text.matchAll(/<S S="Error">([^<]{0,4096})<\/S>/g)) {
    parts.push(
      match[1]!
        .replace(/_x([0-9A-Fa-f]{4})_/g, (_whole, hex: string) =>
          String.fromCharCode(parseInt(hex, 16)),
        )
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&'),
    );
  }
  return parts.join('').trim();
}

// ── templates ────────────────────────────────────────────────────────────────────────────

/**
 * Every process: Win32_Process → parseWin32Processes. A command line is cut at 8,192
 * characters (what decides, `ollama.exe serve`, comes first): any user may start processes
 * with 32,767-character command lines, and enough of them would fill the output.
 */
export const PS_PROCESSES: PsTemplate = {
  id: 'processes',
  description: 'Win32_Process: ProcessId, ParentProcessId, Name, ExecutablePath, CommandLine',
  params: [],
  body: `
  $rows = @(Get-CimInstance -ClassName Win32_Process -Property ProcessId, ParentProcessId, Name, ExecutablePath, CommandLine |
    Select-Object ProcessId, ParentProcessId, Name, ExecutablePath, @{ Name = 'CommandLine'; Expression = {
      if ($null -ne $_.CommandLine -and $_.CommandLine.Length -gt 8192) { $_.CommandLine.Substring(0, 8192) } else { $_.CommandLine } } })`,
};

/** Listening and established TCP sockets, both families → parseNetTcpConnections. */
export const PS_TCP_CONNECTIONS: PsTemplate = {
  id: 'tcpConnections',
  description: 'Get-NetTCPConnection -State Listen,Established',
  params: [],
  body: `
  $rows = @(Get-NetTCPConnection -State Listen, Established -ErrorAction SilentlyContinue |
    Select-Object LocalAddress, LocalPort, RemoteAddress, RemotePort, State, OwningProcess)`,
};

/** Each connected interface's network category → parseNetConnectionProfiles. */
export const PS_CONNECTION_PROFILES: PsTemplate = {
  id: 'connectionProfiles',
  description: 'Get-NetConnectionProfile: Name, InterfaceAlias, InterfaceIndex, NetworkCategory',
  params: [],
  body: `
  $rows = @(Get-NetConnectionProfile -ErrorAction SilentlyContinue |
    Select-Object Name, InterfaceAlias, InterfaceIndex, NetworkCategory)`,
};

/** The effective settings of the Domain, Private and Public profiles → parseNetFirewallProfiles. */
export const PS_FIREWALL_PROFILES: PsTemplate = {
  id: 'firewallProfiles',
  description: 'Get-NetFirewallProfile -PolicyStore ActiveStore',
  params: [],
  body: `
  $rows = @(Get-NetFirewallProfile -PolicyStore ActiveStore |
    Select-Object Name, Enabled, DefaultInboundAction, AllowInboundRules, NotifyOnListen)`,
};

/**
 * Enabled inbound rules of the active policy whose local ports may include `port` (Any, the
 * port, or a range, which parse/firewall-rules.ts then checks; empty `port`: every rule) and
 * whose program may be `program` (Any, or the same file name, %variables% expanded; empty
 * `program`: any) →
 * parseNetFirewallRules. The filters are read once each with -All and joined by InstanceID:
 * asking each rule for its filters takes minutes on a machine with many rules.
 */
export const PS_FIREWALL_RULES: PsTemplate = {
  id: 'firewallRules',
  description:
    'Get-NetFirewallRule -Direction Inbound -Enabled True with port/program/address/service filters',
  params: ['port', 'program'],
  body: `
  $store = 'ActiveStore'
  $leaf = ''
  if ($v_program -ne '') { $leaf = [IO.Path]::GetFileName($v_program) }
  $ports = @{}; foreach ($f in @(Get-NetFirewallPortFilter -All -PolicyStore $store)) { $ports[$f.InstanceID] = $f }
  $apps = @{}; foreach ($f in @(Get-NetFirewallApplicationFilter -All -PolicyStore $store)) { $apps[$f.InstanceID] = $f }
  $addrs = @{}; foreach ($f in @(Get-NetFirewallAddressFilter -All -PolicyStore $store)) { $addrs[$f.InstanceID] = $f }
  $svcs = @{}; foreach ($f in @(Get-NetFirewallServiceFilter -All -PolicyStore $store)) { $svcs[$f.InstanceID] = $f }
  $rows = @(foreach ($r in @(Get-NetFirewallRule -PolicyStore $store -Direction Inbound -Enabled True)) {
    $pf = $ports[$r.InstanceID]; $af = $apps[$r.InstanceID]; $ad = $addrs[$r.InstanceID]; $sf = $svcs[$r.InstanceID]
    $lp = @(if ($null -ne $pf) { foreach ($p in @($pf.LocalPort)) { [string]$p } })
    $prog = ''
    if ($null -ne $af) { $prog = [string]$af.Program }
    $portOk = ($v_port -eq '') -or ($lp.Count -eq 0) -or ($lp -contains 'Any') -or ($lp -contains $v_port) -or (@($lp | Where-Object { $_ -match '^[0-9]+-[0-9]+$' }).Count -gt 0)
    $progOk = ($prog -eq '') -or ($prog -eq 'Any') -or ($leaf -eq '') -or ([IO.Path]::GetFileName([Environment]::ExpandEnvironmentVariables($prog)) -eq $leaf)
    if ($portOk -and $progOk) {
      [pscustomobject]@{
        Name = $r.Name
        DisplayName = $r.DisplayName
        Enabled = $r.Enabled
        Action = $r.Action
        Direction = $r.Direction
        Profile = $r.Profile
        EdgeTraversalPolicy = $r.EdgeTraversalPolicy
        Protocol = if ($null -ne $pf) { [string]$pf.Protocol } else { 'Any' }
        LocalPort = $lp
        LocalAddress = @(if ($null -ne $ad) { foreach ($a in @($ad.LocalAddress)) { [string]$a } })
        RemoteAddress = @(if ($null -ne $ad) { foreach ($a in @($ad.RemoteAddress)) { [string]$a } })
        Program = $prog
        Service = if ($null -ne $sf) { [string]$sf.Service } else { '' }
      }
    }
  })`,
};

/**
 * Registry environment values of the user and the machine whose names start with `prefix`
 * (without case), unexpanded, with their kind → parseRegistryEnvironment.
 */
export const PS_REGISTRY_ENVIRONMENT: PsTemplate = {
  id: 'registryEnvironment',
  description: 'HKCU:\\Environment and the machine Environment key, values named prefix*',
  params: ['prefix'],
  body: `
  $keys = [ordered]@{
    user = 'HKCU:\\Environment'
    machine = 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment'
  }
  $rows = @(foreach ($scope in @($keys.Keys)) {
    $key = Get-Item -LiteralPath $keys[$scope] -ErrorAction SilentlyContinue
    if ($null -ne $key) {
      foreach ($name in @($key.GetValueNames())) {
        if ($name.StartsWith($v_prefix, [StringComparison]::OrdinalIgnoreCase)) {
          [pscustomobject]@{
            Scope = $scope
            Name = $name
            Value = [string]$key.GetValue($name, $null, 'DoNotExpandEnvironmentNames')
            Kind = [string]$key.GetValueKind($name)
          }
        }
      }
    }
  })`,
};

/** Every template, by id. */
export const PS_TEMPLATES: Readonly<Record<string, PsTemplate>> = {
  processes: PS_PROCESSES,
  tcpConnections: PS_TCP_CONNECTIONS,
  connectionProfiles: PS_CONNECTION_PROFILES,
  firewallProfiles: PS_FIREWALL_PROFILES,
  firewallRules: PS_FIREWALL_RULES,
  registryEnvironment: PS_REGISTRY_ENVIRONMENT,
};
