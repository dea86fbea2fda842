/**
 * Issue 16: the main macOS cases through the real darwin probes, scan, exposure and rules, on a
 * Host whose commands answer with lines taken from the parsers' fixtures (test/fixtures/darwin/:
 * each file's header says which macOS and where its format comes from; none was recorded on a
 * Mac), and a real `db.sqlite` with the Ollama app's layout read by the WASM SQLite. Each case
 * must give the verdict and findings of its Linux equivalent (the same server bound the same
 * way, the same firewall decision), and offer the macOS fix.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRules } from '../../../electron/engine/rules/evaluate';
import { APP, fixture, scanCase as scanIn } from '../../support/darwin-host';
import type { MacCase } from '../../support/darwin-host';
import { buildSnapshot, firewallFacts, setting, wildcardOllama } from '../../rules/snapshots';
import { planFix } from '../../../electron/engine/fixes/recipes/index';

/**
 * The Linux equivalent: the same server on every interface, a firewall off (nothing loaded) or
 * one that is on and lets it in (ufw active) or blocks it.
 */
function linuxRules(firewall: 'off' | 'allowed' | 'blocked'): string[] {
  const snapshot = buildSnapshot({
    instances: [
      wildcardOllama(firewall === 'off' ? 'allowed' : firewall, {
        settings: [setting('OLLAMA_HOST', '0.0.0.0')],
      }),
    ],
    firewall: { status: 'ok', facts: firewallFacts(firewall === 'off' ? 'off' : 'ufw-active') },
  });
  return runRules(snapshot)
    .map((f) => f.ruleId)
    .sort();
}

let root = '';
const scanCase = (c: MacCase, name?: string) => scanIn(root, c, name);

describe('macOS cases through the real probes, scan and rules', () => {
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-mac-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('the app\'s "Expose Ollama to the network" is what exposes it', async () => {
    const { snapshot, rules } = await scanCase({
      pids: APP,
      server: 745,
      globalState: fixture('socketfilterfw/globalstate-off.txt'),
      expose: 1,
    });
    const instance = snapshot.instances[0]!;
    expect(snapshot.verdict).toBe('lan');
    expect(instance.process).toMatchObject({ pid: 745, launcher: 'app' });
    // What a Mac lets an ordinary program know of its GPU, said plainly.
    expect(snapshot.probes.gpu).toMatchObject({
      status: 'unavailable',
      message: expect.stringMatching(/no GPU utilisation counter/),
    });
    expect(instance.settings).toContainEqual(
      expect.objectContaining({
        name: 'OLLAMA_HOST',
        value: '0.0.0.0',
        state: 'effective',
        source: expect.objectContaining({ kind: 'app-settings' }),
      }),
    );
    expect(instance.listeners[0]!.reachableVia[0]!.firewall?.decidedBy[1]).toMatchObject({
      layer: 'application-firewall',
      rule: 'the application firewall is off',
    });
    expect(rules).toEqual(linuxRules('off'));
    const offered = runRules(snapshot).find((f) => f.ruleId === 'exposed-to-lan')!.fixes;
    expect(offered).toContain('rebind-launchd');
    expect(offered).not.toContain('rebind-systemd');
  });

  it('launchctl setenv alone: the app does not override it', async () => {
    const { snapshot, rules } = await scanCase({
      pids: APP,
      server: 745,
      globalState: fixture('socketfilterfw/globalstate-off.txt'),
      launchctlHost: fixture('launchctl/getenv-ollama-host-set.txt'),
      expose: 0,
    });
    expect(snapshot.verdict).toBe('lan');
    const host = snapshot.instances[0]!.settings.find((s) => s.name === 'OLLAMA_HOST')!;
    expect(host).toMatchObject({
      value: '0.0.0.0:11434',
      state: 'effective',
      source: { kind: 'launchctl' },
    });
    expect(rules).toEqual(linuxRules('off'));
  });

  it("Homebrew's service: its plist's environment, and the fix says what to do by hand", async () => {
    const plist = fixture('plist/homebrew.mxcl.ollama.plist').replace(
      '<key>EnvironmentVariables</key>\n\t<dict>',
      '<key>EnvironmentVariables</key>\n\t<dict>\n\t\t<key>OLLAMA_HOST</key>\n\t\t<string>0.0.0.0</string>',
    );
    expect(plist).toContain('<string>0.0.0.0</string>');
    const { snapshot, rules } = await scanCase(
      {
        pids: [1, 910],
        server: 910,
        globalState: fixture('socketfilterfw/globalstate-off.txt'),
        files: {
          [`${path.join(root, 'brew')}/Library/LaunchAgents/homebrew.mxcl.ollama.plist`]: plist,
        },
      },
      'brew',
    );
    const instance = snapshot.instances[0]!;
    expect(snapshot.verdict).toBe('lan');
    expect(instance.process).toMatchObject({ pid: 910, launcher: 'launchd' });
    expect(instance.settings.find((s) => s.name === 'OLLAMA_HOST')).toMatchObject({
      state: 'effective',
      source: { kind: 'launchd-plist' },
    });
    expect(rules).toEqual(linuxRules('off'));
    const fix = planFix('rebind-launchd', snapshot, instance.id, {
      readFile: () => null,
      homeDir: '/Users/alice',
    });
    expect('reason' in fix && fix.reason).toMatch(/launchd starts it as a service.*brew services/);
  });

  it('the application firewall on, with Ollama allowed: still reachable', async () => {
    const { snapshot, rules } = await scanCase({
      pids: APP,
      server: 745,
      globalState: fixture('socketfilterfw/globalstate-on.txt'),
      listApps: fixture('socketfilterfw/listapps-alf-sonoma.txt'),
      expose: 1,
    });
    expect(snapshot.verdict).toBe('lan');
    expect(
      snapshot.instances[0]!.listeners[0]!.reachableVia[0]!.firewall?.decidedBy,
    ).toContainEqual(
      expect.objectContaining({
        layer: 'application-firewall',
        rule: expect.stringMatching(/allow incoming connections/),
      }),
    );
    expect(rules).toEqual(linuxRules('allowed'));
  });

  it('stealth mode does not hide an allowed app', async () => {
    const { snapshot, rules } = await scanCase({
      pids: APP,
      server: 745,
      globalState: fixture('socketfilterfw/globalstate-on.txt'),
      stealth: fixture('socketfilterfw/stealth-on-sequoia.txt'),
      listApps: fixture('socketfilterfw/listapps-alf-sonoma.txt'),
      expose: 1,
    });
    expect(snapshot.verdict).toBe('lan');
    expect(snapshot.instances[0]!.listeners[0]!.reachableVia[0]!.firewall?.notes.join(' ')).toMatch(
      /Stealth mode/,
    );
    expect(rules).toEqual(linuxRules('allowed'));
  });

  it('the application firewall blocking Ollama: private, saved only by the firewall', async () => {
    const { snapshot, rules } = await scanCase({
      pids: APP,
      server: 745,
      globalState: fixture('socketfilterfw/globalstate-on.txt'),
      listApps: fixture('socketfilterfw/listapps-alf-sonoma.txt').replace(
        '/Applications/Ollama.app/Contents/Resources/ollama \n \t ( Allow',
        '/Applications/Ollama.app/Contents/Resources/ollama \n \t ( Block',
      ),
      expose: 1,
    });
    expect(snapshot.verdict).toBe('private');
    expect(rules).toEqual(linuxRules('blocked'));
  });

  it('a locked or missing app database is a probe status that says so, never "not exposed"', async () => {
    const locked = await scanCase({
      pids: APP,
      server: 745,
      globalState: fixture('socketfilterfw/globalstate-off.txt'),
      probes: {
        readAppDb: async (p) => ({
          status: 'locked',
          message: `Ollama's app settings (${p}) could not be read: the file is locked (EBUSY)`,
        }),
      },
    });
    const gaps = Object.values(locked.snapshot.probes.settings.data).flatMap((r) => r.gaps);
    // The app's recent changes (its WAL) could not be applied: the switches may be stale.
    const stale = await scanCase({
      pids: APP,
      server: 745,
      globalState: fixture('socketfilterfw/globalstate-off.txt'),
      probes: {
        readAppDb: async () => ({
          status: 'ok',
          expose: false,
          browser: false,
          columns: ['expose', 'browser'],
          wal: 'ignored',
          evidence: 'test',
        }),
      },
    });
    expect(
      Object.values(stale.snapshot.probes.settings.data).flatMap((r) => r.gaps),
    ).toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(/may be older than what the app uses/),
      }),
    );
    expect(gaps).toContainEqual(
      expect.objectContaining({ status: 'error', message: expect.stringMatching(/locked/) }),
    );
    // No database at all while the app runs the server: said too.
    const missing = await scanCase({
      pids: APP,
      server: 745,
      globalState: fixture('socketfilterfw/globalstate-off.txt'),
    });
    const missingGaps = Object.values(missing.snapshot.probes.settings.data).flatMap((r) => r.gaps);
    expect(missingGaps).toContainEqual(
      expect.objectContaining({
        status: 'unavailable',
        message: expect.stringMatching(/were not found/),
      }),
    );
  });

  it("another user's server, whose socket only netstat lists, is found and judged, its owner denied", async () => {
    const { snapshot } = await scanCase({
      pids: [1, 910],
      server: 910,
      globalState: fixture('socketfilterfw/globalstate-off.txt'),
      othersServer: true,
    });
    expect(snapshot.verdict).toBe('lan');
    const socket = snapshot.probes.sockets.data.find((s) => s.localPort === 11434)!;
    expect(socket).toMatchObject({ ownerVisibility: 'denied', processes: [{ pid: 910 }] });
    expect(snapshot.instances.map((i) => i.exposure)).toContain('lan');
  });
});

describe("the program the application firewall judges is the file the kernel mapped, not ps's argv[0]", () => {
  it('a process that calls itself /Applications/Ollama.app/… is judged as what it runs, or unknown', async () => {
    const { darwinProbes, executableArgv } =
      await import('../../../electron/engine/probes/darwin/probes');
    const { PS_ARGS_ARGV, PS_PROCESS_ARGV } =
      await import('../../../electron/engine/probes/darwin/parse/index');
    const { createFakeHost } = await import('../../support/fake-host');
    const keep = (l: string) => [1, 712, 745].includes(Number(l.trim().split(/\s+/)[0]));
    const lines = (file: string) => fixture(file).split('\n').filter(keep).join('\n');
    const processes = async (txt: { stdout: string; code: number }) =>
      (
        await darwinProbes.processes(
          createFakeHost({
            platform: 'darwin',
            exec: {
              [PS_PROCESS_ARGV.join(' ')]: { stdout: lines('ps/ps-processes-sonoma.txt') },
              [PS_ARGS_ARGV.join(' ')]: { stdout: lines('ps/ps-args-sonoma.txt') },
              [executableArgv(745).join(' ')]: txt,
            },
          }),
        )
      ).data;
    const spoofed = await processes({
      stdout: 'p745\nftxt\nn/Users/mallory/.cache/ollama\n',
      code: 0,
    });
    expect(spoofed[0]).toMatchObject({ pid: 745, executable: '/Users/mallory/.cache/ollama' });
    const unread = await processes({ stdout: '', code: 1 });
    expect(unread[0]).toMatchObject({ pid: 745, executable: null, executableStatus: 'denied' });
  });
});

describe('settings a Mac would not let Paddock read', () => {
  it('a LaunchDaemons folder or a shell file it may not read is a denied gap, never "no settings"', async () => {
    const { darwinProbes } = await import('../../../electron/engine/probes/darwin/probes');
    const { createFakeHost } = await import('../../support/fake-host');
    const host = createFakeHost({
      platform: 'darwin',
      home: '/Users/alice',
      fileErrors: { '/Library/LaunchDaemons': 'EACCES', '/Users/alice/.zshrc': 'EACCES' },
    });
    const report = (await darwinProbes.settings(host, null)).data;
    expect(report.gaps).toContainEqual(
      expect.objectContaining({ path: '/Library/LaunchDaemons', status: 'denied' }),
    );
    expect(report.gaps).toContainEqual(
      expect.objectContaining({ path: '/Users/alice/.zshrc', status: 'denied' }),
    );
  });
});
