/**
 * Issue 17: the Windows settings a user would point at — a PowerShell profile's
 * `$env:OLLAMA_HOST = …`, the user's and the machine's variables, the app's switch — and which
 * one the server gets, by who started it.
 */
import { describe, expect, it } from 'vitest';
import {
  parsePowerShellProfile,
  resolveWindowsSettings,
} from '../../../electron/engine/probes/win32/settings';
import type { WindowsSettingsInputs } from '../../../electron/engine/probes/win32/settings';

describe('PowerShell profiles', () => {
  it('reads literal assignments, in any case, with a BOM and CRLF', () => {
    const text =
      "\uFEFF# Ollama\r\n$ENV:ollama_host = '0.0.0.0:11434'  # LAN\r\n$env:OLLAMA_ORIGINS=\"*\"\r\n$env:OLLAMA_KEEP_ALIVE = 'it''s 5m'\r\n";
    expect(parsePowerShellProfile(text)).toEqual([
      { line: 2, name: 'OLLAMA_HOST', value: '0.0.0.0:11434' },
      { line: 3, name: 'OLLAMA_ORIGINS', value: '*' },
      { line: 4, name: 'OLLAMA_KEEP_ALIVE', value: "it's 5m" },
    ]);
  });

  it('does not guess at what PowerShell would expand, nor at other variables', () => {
    const text = [
      '$env:OLLAMA_HOST = "$ip:11434"',
      '$env:OLLAMA_HOST = "`$x"',
      '$env:OLLAMA_HOST = $addr',
      '$env:PATH = "C:\\tools"',
      "if ($x) { $env:OLLAMA_HOST = '0.0.0.0' }",
    ].join('\n');
    expect(parsePowerShellProfile(text)).toEqual([]);
  });
});

const base: WindowsSettingsInputs = {
  launcher: 'unknown',
  pid: 5120,
  registry: { status: 'ok', values: [] },
  profiles: [],
  app: null,
};

describe('which value the server gets', () => {
  it("the user's variable over the machine's, whatever the case of their names", () => {
    const report = resolveWindowsSettings({
      ...base,
      registry: {
        status: 'ok',
        values: [
          { scope: 'machine', name: 'OLLAMA_HOST', value: '0.0.0.0' },
          { scope: 'user', name: 'Ollama_Host', value: '127.0.0.1' },
        ],
      },
    });
    expect(report.settings.map((s) => [s.source.kind, s.name, s.state])).toEqual([
      ['registry-machine', 'OLLAMA_HOST', 'shadowed'],
      ['registry-user', 'OLLAMA_HOST', 'effective'],
    ]);
  });

  it("a profile applies only to a server started from a terminal; the app's switch only to the app's", () => {
    const inputs: WindowsSettingsInputs = {
      ...base,
      profiles: [{ path: 'C:\\p.ps1', line: 3, name: 'OLLAMA_HOST', value: '0.0.0.0' }],
      app: { path: 'C:\\db.sqlite', status: 'ok', expose: true, browser: false },
    };
    const byApp = resolveWindowsSettings({ ...inputs, launcher: 'app' }).settings;
    expect(byApp.map((s) => [s.source.kind, s.state])).toEqual([
      ['app-settings', 'effective'],
      ['shell-rc', 'latent'],
    ]);
    const byShell = resolveWindowsSettings({ ...inputs, launcher: 'shell' }).settings;
    expect(byShell.map((s) => [s.source.kind, s.state])).toEqual([
      ['app-settings', 'latent'],
      ['shell-rc', 'effective'],
    ]);
  });

  it('an unreadable registry or app database is a gap, never "not set"', () => {
    const report = resolveWindowsSettings({
      ...base,
      launcher: 'app',
      registry: { status: 'error', message: 'Zugriff verweigert', values: [] },
      app: {
        path: 'C:\\db.sqlite',
        status: 'denied',
        expose: null,
        browser: null,
        message: 'locked',
      },
    });
    expect(report.settings).toEqual([]);
    expect(report.gaps.map((g) => [g.status, g.message])).toEqual([
      ['unavailable', expect.stringContaining("read a running program's environment")],
      ['denied', 'locked'],
      ['error', expect.stringContaining('Zugriff verweigert')],
    ]);
  });
});
