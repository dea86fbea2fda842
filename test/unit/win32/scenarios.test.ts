/**
 * Issue 17: the main Windows cases through the real win32 probes, scan, exposure and rules, on
 * a Host whose PowerShell runs answer with rows taken from the parsers' fixtures
 * (test/fixtures/win32/: each file's header says which Windows and where its format comes
 * from; none was recorded on Windows), and a real `db.sqlite` with the Ollama app's layout
 * read by the WASM SQLite. Each case must give the verdict and findings of its Linux
 * equivalent (the same server bound the same way, the same firewall decision), say where the
 * setting comes from, and offer the Windows fix.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRules } from '../../../electron/engine/rules/evaluate';
import { planFix } from '../../../electron/engine/fixes/recipes/index';
import { APP_DB, APP_EXE, rule, scanWindowsCase } from '../../support/win32-host';
import type { WindowsCase } from '../../support/win32-host';
import { buildSnapshot, firewallFacts, setting, wildcardOllama } from '../../rules/snapshots';

/**
 * The Linux equivalent: the same server on every interface, a firewall off (nothing loaded) or
 * one that is on and lets it in (ufw active) or blocks it.
 */
function linuxSnapshot(firewall: 'off' | 'allowed' | 'blocked') {
  return buildSnapshot({
    instances: [
      wildcardOllama(firewall === 'off' ? 'allowed' : firewall, {
        settings: [setting('OLLAMA_HOST', '0.0.0.0')],
      }),
    ],
    firewall: { status: 'ok', facts: firewallFacts(firewall === 'off' ? 'off' : 'ufw-active') },
  });
}
function linuxRules(firewall: 'off' | 'allowed' | 'blocked'): string[] {
  return runRules(linuxSnapshot(firewall))
    .map((f) => f.ruleId)
    .sort();
}
const linuxVerdict = (firewall: 'off' | 'allowed' | 'blocked') => linuxSnapshot(firewall).verdict;

let root = '';
const scanCase = (c: WindowsCase) => scanWindowsCase(root, c);
const OFF = { Domain: 0, Private: 0, Public: 0 } as const;

function decided(snapshot: Awaited<ReturnType<typeof scanCase>>['snapshot']) {
  const path = snapshot.instances[0]!.listeners.find((l) => l.address === '0.0.0.0')!
    .reachableVia[0]!;
  return { open: path.open, step: path.firewall?.decidedBy[0] };
}

describe('Windows cases through the real probes, scan and rules', () => {
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-win-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('the app\'s "Expose Ollama to the network" is what exposes it, over the user\'s variable', async () => {
    const { snapshot, rules } = await scanCase({
      launcher: 'app',
      expose: 1,
      user: { OLLAMA_HOST: '0.0.0.0:11434' },
      enabled: OFF,
    });
    const instance = snapshot.instances[0]!;
    expect(snapshot.verdict).toBe('lan');
    expect(instance.process).toMatchObject({
      pid: 5120,
      launcher: 'app',
      // A path with spaces, kept whole: the fix quits and starts this program.
      appExecutable: APP_EXE,
    });
    expect(instance.settings).toContainEqual(
      expect.objectContaining({
        name: 'OLLAMA_HOST',
        value: '0.0.0.0',
        state: 'effective',
        source: { kind: 'app-settings', path: APP_DB, line: null },
      }),
    );
    expect(instance.settings).toContainEqual(
      expect.objectContaining({
        name: 'OLLAMA_HOST',
        value: '0.0.0.0:11434',
        state: 'shadowed',
        source: expect.objectContaining({ kind: 'registry-user' }),
        reason: "overridden by the Ollama app's own setting",
      }),
    );
    expect(decided(snapshot)).toMatchObject({
      open: true,
      step: { layer: 'windows-firewall', rule: 'the firewall is off for the Private profile' },
    });
    expect(rules).toEqual(linuxRules('off'));
    // Docker Desktop's pipe is not opened on Windows yet: said, not "no engine".
    expect(snapshot.probes.docker).toMatchObject({
      status: 'unavailable',
      message: expect.stringMatching(/not read on Windows yet/),
    });
    const offered = runRules(snapshot).find((f) => f.ruleId === 'exposed-to-lan')!.fixes;
    expect(offered).toContain('rebind-windows');
    expect(offered).not.toContain('rebind-systemd');
    expect(offered).not.toContain('rebind-launchd');
  });

  it('a user variable alone, let in by a rule of the user for the local subnet', async () => {
    const { snapshot, rules } = await scanCase({
      launcher: 'app',
      expose: 0,
      user: { OLLAMA_HOST: '0.0.0.0:11434' },
      machine: { OLLAMA_HOST: '127.0.0.1:11434' },
      category: 1,
      rules: rule('Ollama API (LAN)'),
    });
    expect(snapshot.verdict).toBe('lan');
    const settings = snapshot.instances[0]!.settings.filter((s) => s.name === 'OLLAMA_HOST');
    expect(settings).toEqual([
      expect.objectContaining({
        value: '0.0.0.0:11434',
        state: 'effective',
        source: { kind: 'registry-user', path: 'HKCU\\Environment', line: null },
      }),
      expect.objectContaining({
        value: '127.0.0.1:11434',
        state: 'shadowed',
        source: expect.objectContaining({ kind: 'registry-machine' }),
      }),
    ]);
    expect(decided(snapshot)).toMatchObject({
      open: true,
      step: { decision: 'allowed', kind: 'rule', rule: 'allow rule "Ollama API (LAN)"' },
    });
    expect(rules).toEqual(linuxRules('allowed'));
  });

  it('a machine variable, for a server started by another program; the firewall off', async () => {
    const { snapshot, rules } = await scanCase({
      launcher: 'unknown',
      machine: { ollama_host: '0.0.0.0' },
      enabled: OFF,
    });
    expect(snapshot.verdict).toBe('lan');
    const instance = snapshot.instances[0]!;
    expect(instance.process).toMatchObject({ launcher: 'unknown', appExecutable: null });
    // Names are not case-sensitive on Windows: a lower-case name is OLLAMA_HOST.
    expect(instance.settings).toEqual([
      expect.objectContaining({
        name: 'OLLAMA_HOST',
        value: '0.0.0.0',
        state: 'effective',
        source: expect.objectContaining({
          kind: 'registry-machine',
          path: 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment',
        }),
      }),
    ]);
    // No app db for a server the app did not start: nothing about it is said.
    expect(instance.settings.some((s) => s.source.kind === 'app-settings')).toBe(false);
    expect(rules).toEqual(linuxRules('off'));
  });

  it("Public network with the allow rule Windows' own prompt made: reachable, and said so", async () => {
    const { snapshot, rules } = await scanCase({
      launcher: 'app',
      expose: 1,
      category: 0,
      rules: rule('ollama.exe'),
    });
    expect(snapshot.verdict).toBe('lan');
    expect(decided(snapshot)).toMatchObject({
      open: true,
      step: {
        decision: 'allowed',
        where: 'Public profile',
        rule: expect.stringContaining("made by Windows' own prompt"),
      },
    });
    // The UDP rule of the pair is kept out: it can say nothing of a TCP port.
    const kept = snapshot.probes.firewall.data?.windows?.rules ?? [];
    expect(kept.map((r) => r.protocol)).toEqual(['TCP']);
    expect(rules).toEqual(linuxRules('allowed'));
  });

  it('the prompt allowed it on Public networks only: on the Private one it is blocked', async () => {
    const { snapshot, rules } = await scanCase({
      launcher: 'app',
      expose: 1,
      category: 1,
      rules: rule('ollama.exe'),
    });
    expect(decided(snapshot)).toMatchObject({
      open: false,
      step: { decision: 'blocked', kind: 'policy', where: 'Private profile' },
    });
    expect(snapshot.verdict).toBe(linuxVerdict('blocked'));
    expect(rules).toEqual(linuxRules('blocked'));
  });

  it('every profile off: the firewall is off, as on Linux with nothing loaded', async () => {
    const { snapshot, rules } = await scanCase({
      launcher: 'app',
      expose: 1,
      category: 0,
      enabled: OFF,
      rules: rule('ollama.exe'),
    });
    expect(decided(snapshot).step).toMatchObject({
      rule: 'the firewall is off for the Public profile',
    });
    expect(rules).toContain('firewall-off');
    expect(rules).toEqual(linuxRules('off'));
  });

  it('IPv6: a rule for the local subnet does not let the internet in through a global address', async () => {
    const { snapshot } = await scanCase({
      launcher: 'app',
      expose: 1,
      category: 1,
      rules: rule('Ollama API (LAN)'),
      ipv6: true,
    });
    const v6 = snapshot.instances[0]!.listeners.find((l) => l.address === '::')!;
    expect(v6.reachableVia).toEqual([
      expect.objectContaining({
        address: '2001:db8:1::20',
        scope: 'public',
        open: false,
        firewall: expect.objectContaining({ decision: 'blocked' }),
      }),
    ]);
    // The same rule lets the LAN in over IPv4.
    expect(decided(snapshot)).toMatchObject({ open: true, step: { decision: 'allowed' } });
    expect(snapshot.verdict).toBe('lan');
  });

  it('IPv6: a rule for any address lets the internet in through the global address', async () => {
    const { snapshot } = await scanCase({
      launcher: 'app',
      expose: 1,
      category: 1,
      rules: rule('Dev ports'),
      ipv6: true,
    });
    const v6 = snapshot.instances[0]!.listeners.find((l) => l.address === '::')!;
    expect(v6.reachableVia[0]).toMatchObject({ open: true, scope: 'public' });
    expect(snapshot.verdict).toBe('internet');
  });

  it('started from PowerShell with $env:OLLAMA_HOST in the profile: the fix says what to do', async () => {
    const { snapshot } = await scanCase({
      launcher: 'shell',
      user: { OLLAMA_HOST: '127.0.0.1:11434' },
      profile: '# mine\r\n$env:OLLAMA_HOST = \'0.0.0.0:11434\'\r\n$env:OLLAMA_ORIGINS = "*"\r\n',
      enabled: OFF,
    });
    const instance = snapshot.instances[0]!;
    expect(instance.process).toMatchObject({ launcher: 'shell' });
    expect(instance.settings.find((s) => s.source.kind === 'shell-rc')).toMatchObject({
      name: 'OLLAMA_HOST',
      value: '0.0.0.0:11434',
      state: 'effective',
      source: {
        path: 'C:\\Users\\alice\\Documents\\WindowsPowerShell\\Microsoft.PowerShell_profile.ps1',
        line: 2,
      },
    });
    expect(instance.settings.find((s) => s.source.kind === 'registry-user')).toMatchObject({
      state: 'shadowed',
    });
    // Windows never shows another program's environment: said as a gap, not hidden.
    const gaps = Object.values(snapshot.probes.settings.data).flatMap((r) => r.gaps);
    expect(gaps.map((g) => g.message).join(' ')).toMatch(
      /Windows does not let Paddock read a running program's environment/,
    );
  });

  it('a LAN machine connected now is named, as on Linux', async () => {
    const { snapshot, rules } = await scanCase({
      launcher: 'app',
      expose: 1,
      enabled: OFF,
      remoteClient: true,
    });
    expect(rules).toContain('remote-clients-connected');
    expect(snapshot.instances[0]!.peers.map((p) => p.address)).toContain('192.168.1.31');
  });

  it('PowerShell blocked by a policy: the sockets come from German netstat, and it says so', async () => {
    const { snapshot } = await scanCase({
      launcher: 'app',
      expose: 1,
      enabled: OFF,
      powershellBlocked: true,
    });
    expect(snapshot.probes.processes).toMatchObject({
      status: 'error',
      message: expect.stringContaining('the processes could not be listed'),
    });
    expect(snapshot.probes.sockets).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('netstat -ano'),
    });
    // The server is still found (it answers as Ollama on its port) and judged.
    expect(snapshot.verdict).toBe('lan');
    expect(snapshot.instances[0]!.listeners.map((l) => l.address)).toContain('0.0.0.0');
  });

  it("other users' long command lines fill the inventory: only the processes are lost, and it says so", async () => {
    const { snapshot } = await scanCase({
      launcher: 'app',
      expose: 1,
      enabled: OFF,
      cutInProcesses: true,
    });
    expect(snapshot.probes.processes).toMatchObject({
      status: 'error',
      message: expect.stringMatching(
        /longer than Paddock reads, and the processes part was cut off/,
      ),
    });
    // The sockets, the registry and the folders came first: the server is still found and judged.
    expect(snapshot.probes.sockets.status).toBe('ok');
    expect(snapshot.verdict).toBe('lan');
  });

  it('the firewall not read at all is an error, not "ok", and its paths count as open', async () => {
    const { snapshot } = await scanCase({ launcher: 'app', expose: 1, firewallBlocked: true });
    expect(snapshot.probes.firewall).toMatchObject({
      status: 'error',
      message: expect.stringMatching(/PowerShell answered nothing/),
    });
    expect(decided(snapshot)).toMatchObject({ open: true, step: { decision: 'unknown' } });
  });

  it('a rule Paddock could not read makes the rules unknown, counted as open', async () => {
    const { snapshot } = await scanCase({
      launcher: 'app',
      expose: 1,
      category: 1,
      rules: [{ Name: 'broken', Enabled: 'maybe' }],
    });
    expect(snapshot.probes.firewall.data?.windows?.rules).toBeNull();
    expect(decided(snapshot)).toMatchObject({ open: true, step: { decision: 'unknown' } });
  });

  it('rebind-windows is planned for the app\'s server, not refused as "not on Windows"', async () => {
    const { snapshot } = await scanCase({ launcher: 'app', expose: 1, enabled: OFF });
    const plan = planFix('rebind-windows', snapshot, snapshot.instances[0]!.id, {
      readFile: () => null,
      homeDir: 'C:\\Users\\alice',
    });
    expect('steps' in plan ? null : plan.reason).not.toMatch(/not .*on Windows yet/);
  });
});
