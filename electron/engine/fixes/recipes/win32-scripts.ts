/**
 * Issue 17: the PowerShell that Windows fixes run, as fixed templates (probes/win32/powershell.ts
 * says how a template becomes an argv: its values travel as base64 data, never as script text,
 * and the whole runs through `-EncodedCommand` with `-NoProfile -NonInteractive`). Each body
 * checks its values itself before it acts (a path must be the Ollama app's, a name one of
 * Ollama's variables, a port a port), does one thing, reads back what it did, and sets `$rows`
 * to a small result; an error ends it with exit code 1 and a `paddock: …` line on stderr.
 *
 * The preview shows each script decoded, exactly as PowerShell reads it (fixes/preview.ts), and
 * the privileged side accepts an argv only when it is one of these templates with values it
 * checked (fixes/allowlist.ts). None of this has run on a real Windows machine yet
 * (docs/platforms.md); the development machines have no PowerShell.
 */
import type { PsTemplate } from '../../probes/win32/powershell';

/** The Ollama app's executable, as its installer names it (ollama/ollama app/cmd/app/app_windows.go). */
export const OLLAMA_APP_EXE = 'ollama app.exe';

/** The name of Paddock's own inbound block rule for a port, found again by it for undo. */
export function blockRuleName(port: number): string {
  return `Paddock-Block-TCP-${port}`;
}

const CHECK_APP = `
  if (-not [IO.Path]::IsPathRooted($v_app) -or $v_app.Contains('"') -or [IO.Path]::GetFileName($v_app) -ne 'ollama app.exe') {
    throw 'this is not the path of the Ollama app (ollama app.exe)'
  }`;

/**
 * Quit the Ollama app at `app` and the `ollama.exe` servers it started (its children): first
 * asked to close, then ended; it waits until they are gone. The app starts its server itself
 * and, when it starts, ends any other `ollama serve` (app/server/server_windows.go,
 * reapServers), so the server is ended with it here rather than left running alone. Nothing
 * runs: nothing to do.
 */
export const PS_QUIT_OLLAMA_APP: PsTemplate = {
  id: 'quitOllamaApp',
  description: 'Quit the Ollama app at this path and the ollama.exe servers it started',
  params: ['app'],
  body: `${CHECK_APP}
  $apps = @(Get-CimInstance -ClassName Win32_Process -Filter "Name = 'ollama app.exe'" | Where-Object { $_.ExecutablePath -eq $v_app })
  $ids = @($apps | ForEach-Object { [int]$_.ProcessId })
  $servers = @(Get-CimInstance -ClassName Win32_Process -Filter "Name = 'ollama.exe'" | Where-Object { $ids -contains [int]$_.ParentProcessId })
  $all = @($ids) + @($servers | ForEach-Object { [int]$_.ProcessId })
  # Asked first (its window, if it has one, gets WM_CLOSE); whatever is left after 10 s is ended.
  foreach ($id in $ids) { $p = Get-Process -Id $id -ErrorAction SilentlyContinue; if ($null -ne $p) { [void]$p.CloseMainWindow() } }
  if ($ids.Count -gt 0) { Wait-Process -Id $ids -Timeout 10 -ErrorAction SilentlyContinue }
  foreach ($id in $all) { Stop-Process -Id $id -Force -ErrorAction SilentlyContinue }
  if ($all.Count -gt 0) { Wait-Process -Id $all -Timeout 15 -ErrorAction SilentlyContinue }
  $left = @($all | Where-Object { $null -ne (Get-Process -Id $_ -ErrorAction SilentlyContinue) })
  if ($left.Count -gt 0) { throw ('the Ollama app or its server is still running (process ' + ($left -join ', ') + ')') }
  $rows = @(foreach ($id in $all) { [pscustomobject]@{ Stopped = $id } })`,
};

/**
 * Start the Ollama app at `app` through Explorer, and wait (at most 30 s) until it has started
 * its server. Explorer, not Start-Process of the app itself, for two reasons:
 * - the desktop's Explorer starts it, so the app runs as the signed-in user, unelevated, even
 *   when this script runs elevated through UAC (an app started by an elevated process would be
 *   elevated too, and so would every model and tool it runs);
 * - the app gets Explorer's environment, which Windows refreshed from the registry when a
 *   variable was changed with the WM_SETTINGCHANGE broadcast, not this process's own, which
 *   still holds the values Paddock was started with.
 * That Explorer hands the start to the running desktop shell is how Windows behaves today, not
 * a documented contract.
 */
export const PS_START_OLLAMA_APP: PsTemplate = {
  id: 'startOllamaApp',
  description:
    'Start the Ollama app at this path through Explorer (as the signed-in user, unelevated)',
  params: ['app'],
  body: `${CHECK_APP}
  if (-not (Test-Path -LiteralPath $v_app -PathType Leaf)) { throw 'the Ollama app is no longer at that path' }
  # Explorer starts it as the signed-in user, unelevated, with the environment Windows refreshed.
  $explorer = Join-Path ([Environment]::GetFolderPath('Windows')) 'explorer.exe'
  Start-Process -FilePath $explorer -ArgumentList ('"' + $v_app + '"')
  $server = $null
  for ($i = 0; $i -lt 30 -and $null -eq $server; $i++) {
    Start-Sleep -Seconds 1
    $ids = @(Get-CimInstance -ClassName Win32_Process -Filter "Name = 'ollama app.exe'" | Where-Object { $_.ExecutablePath -eq $v_app } | ForEach-Object { [int]$_.ProcessId })
    $server = Get-CimInstance -ClassName Win32_Process -Filter "Name = 'ollama.exe'" | Where-Object { $ids -contains [int]$_.ParentProcessId } | Select-Object -First 1
  }
  $rows = @([pscustomobject]@{ Started = $v_app; Server = if ($null -ne $server) { [int]$server.ProcessId } else { $null } })`,
};

const CHECK_NAME = `
  if ($v_name -cnotmatch '^OLLAMA_[A-Z0-9_]{1,64}$') { throw 'not a variable Paddock changes' }`;

/**
 * A registry environment variable set, in `scope` (User: HKCU\Environment; Machine: the
 * Session Manager's Environment key, which needs admin rights), through .NET's
 * SetEnvironmentVariable, which writes the value (as REG_SZ) and broadcasts WM_SETTINGCHANGE
 * ("Environment") so that Explorer and programs started from now on see it; then read back.
 */
function setVariable(scope: 'User' | 'Machine'): PsTemplate {
  return {
    id: `set${scope}Variable`,
    description: `Set a ${scope === 'User' ? 'user' : 'machine'} environment variable (registry) and broadcast the change`,
    params: ['name', 'value'],
    body: `${CHECK_NAME}
  if ($v_value -eq '') { throw 'an empty value would remove the variable' }
  [Environment]::SetEnvironmentVariable($v_name, $v_value, '${scope}')
  $now = [Environment]::GetEnvironmentVariable($v_name, '${scope}')
  if ($now -cne $v_value) { throw ('the ${scope === 'User' ? 'user' : 'machine'} variable ' + $v_name + ' did not take the new value') }
  $rows = @([pscustomobject]@{ Scope = '${scope}'; Name = $v_name; Value = $now })`,
  };
}

/** A registry environment variable removed (SetEnvironmentVariable with $null), then read back. */
function removeVariable(scope: 'User' | 'Machine'): PsTemplate {
  return {
    id: `remove${scope}Variable`,
    description: `Remove a ${scope === 'User' ? 'user' : 'machine'} environment variable (registry) and broadcast the change`,
    params: ['name'],
    body: `${CHECK_NAME}
  [Environment]::SetEnvironmentVariable($v_name, $null, '${scope}')
  if ($null -ne [Environment]::GetEnvironmentVariable($v_name, '${scope}')) { throw ('the ${scope === 'User' ? 'user' : 'machine'} variable ' + $v_name + ' is still set') }
  $rows = @([pscustomobject]@{ Scope = '${scope}'; Name = $v_name; Removed = $true })`,
  };
}

export const PS_SET_USER_VARIABLE = setVariable('User');
export const PS_REMOVE_USER_VARIABLE = removeVariable('User');
export const PS_SET_MACHINE_VARIABLE = setVariable('Machine');
export const PS_REMOVE_MACHINE_VARIABLE = removeVariable('Machine');

const CHECK_PORT = `
  if ($v_port -cnotmatch '^[1-9][0-9]{0,4}$' -or [int]$v_port -gt 65535) { throw 'not a port' }
  $name = 'Paddock-Block-TCP-' + $v_port`;

/**
 * Paddock's own inbound block rule for a TCP port, in every profile, in the persistent store
 * (it lasts across restarts). Refused when a rule of that name exists already.
 */
export const PS_ADD_BLOCK_RULE: PsTemplate = {
  id: 'addBlockRule',
  description: "Add Paddock's inbound block rule for a TCP port (Windows Defender Firewall)",
  params: ['port'],
  body: `${CHECK_PORT}
  if ($null -ne (Get-NetFirewallRule -Name $name -ErrorAction SilentlyContinue)) { throw ('the rule ' + $name + ' exists already') }
  New-NetFirewallRule -Name $name -DisplayName ('Paddock: block TCP port ' + $v_port + ' from other machines') -Description ('Written by Paddock. Undo it from Paddock, or run: Remove-NetFirewallRule -Name ' + $name) -Direction Inbound -Action Block -Protocol TCP -LocalPort $v_port -Profile Any -Enabled True | Out-Null
  $r = Get-NetFirewallRule -Name $name -ErrorAction Stop
  $rows = @([pscustomobject]@{ Name = $r.Name; Action = [string]$r.Action; Enabled = [string]$r.Enabled; Profile = [string]$r.Profile })`,
};

/** Paddock's own block rule for a port removed, found by its name (the undo of PS_ADD_BLOCK_RULE). */
export const PS_REMOVE_BLOCK_RULE: PsTemplate = {
  id: 'removeBlockRule',
  description: "Remove Paddock's inbound block rule for a TCP port, by its name",
  params: ['port'],
  body: `${CHECK_PORT}
  if ($null -ne (Get-NetFirewallRule -Name $name -ErrorAction SilentlyContinue)) { Remove-NetFirewallRule -Name $name -ErrorAction Stop }
  if ($null -ne (Get-NetFirewallRule -Name $name -ErrorAction SilentlyContinue)) { throw ('the rule ' + $name + ' is still there') }
  $rows = @([pscustomobject]@{ Name = $name; Removed = $true })`,
};

/** Every fix template, by id (the allowlist recognises an argv as one of these). */
export const FIX_TEMPLATES: readonly PsTemplate[] = [
  PS_QUIT_OLLAMA_APP,
  PS_START_OLLAMA_APP,
  PS_SET_USER_VARIABLE,
  PS_REMOVE_USER_VARIABLE,
  PS_SET_MACHINE_VARIABLE,
  PS_REMOVE_MACHINE_VARIABLE,
  PS_ADD_BLOCK_RULE,
  PS_REMOVE_BLOCK_RULE,
];
