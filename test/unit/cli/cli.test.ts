import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor, runCli } from '../../../electron/cli/main';
import { renderScan, styleFor } from '../../../electron/cli/render';
import type { Snapshot } from '../../../shared/snapshot';

function io(env: Record<string, string> = {}, isTty = false) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (t: string) => void out.push(t),
      stderr: (t: string) => void err.push(t),
      isTty,
      isStdinTty: false,
      privileged: ['node', 'paddock-privileged.cjs'],
      env: (n: string) => env[n],
    },
  };
}

describe('paddock CLI arguments', () => {
  it('an unknown option is a usage error (exit 2) that says what was wrong', async () => {
    const { io: cli, err } = io();
    expect(await runCli(['scan', '--jsn'], cli)).toBe(EXIT.usage);
    expect(err.join('')).toMatch(/unknown option: "--jsn"/);
  });

  it('an unknown command is a usage error', async () => {
    const { io: cli, err } = io();
    expect(await runCli(['sacn'], cli)).toBe(2);
    expect(err.join('')).toMatch(/unknown command: "sacn"/);
  });

  it('--help prints usage with the exit codes and exits 0; no command prints it and exits 2', async () => {
    const help = io();
    expect(await runCli(['scan', '--help'], help.io)).toBe(0);
    expect(help.out.join('')).toMatch(/Exit codes:/);
    expect(await runCli([], io().io)).toBe(2);
  });
});

const minimal = (verdict: Snapshot['verdict']) =>
  ({
    verdict,
    verdictReasons: ['x'],
    instances: [],
    durationMs: 12,
    host: { hostname: 'h', platform: 'linux', release: '6', uid: 0, user: 'root' },
    probes: {
      processes: { status: 'ok', data: [], evidence: [], durationMs: 1 },
      sockets: { status: 'ok', data: [], evidence: [], durationMs: 1 },
      interfaces: { status: 'ok', data: [], evidence: [], durationMs: 1 },
      settings: { status: 'ok', data: {}, evidence: [], durationMs: 1 },
      fingerprints: { status: 'ok', data: [], evidence: [], durationMs: 1 },
      versions: { status: 'ok', data: {}, evidence: [], durationMs: 0 },
      firewall: {
        status: 'unavailable',
        data: null,
        evidence: [],
        message: 'not yet',
        durationMs: 0,
      },
      proxies: { status: 'ok', data: [], evidence: [], durationMs: 1 },
      docker: { status: 'unavailable', data: null, evidence: [], durationMs: 1 },
      gpu: { status: 'unavailable', data: null, evidence: [], durationMs: 1 },
      accessLog: { status: 'unavailable', data: null, evidence: [], durationMs: 1 },
    },
  }) as unknown as Snapshot;

describe('exit codes and colour', () => {
  it('maps the verdict to the documented exit code', () => {
    expect(exitCodeFor(minimal('private'))).toBe(0);
    expect(exitCodeFor(minimal('lan'))).toBe(1);
    expect(exitCodeFor(minimal('internet'))).toBe(1);
    expect(exitCodeFor(minimal('unknown'))).toBe(4);
  });

  it('issue 14: a server shared on purpose (chosen sources, or a VPN only) is not an exposure for the exit code; one that is not shared still is', async () => {
    const { runRules } = await import('../../../electron/engine/rules/evaluate');
    const { buildSnapshot, wildcardOllama } = await import('../../rules/snapshots');
    const shared = buildSnapshot({ instances: [wildcardOllama()] });
    shared.instances[0]!.sharedWith = ['192.168.1.31'];
    for (const l of shared.instances[0]!.listeners)
      l.reachableVia = l.reachableVia.map((v) => ({ ...v, onlyFrom: ['192.168.1.31'] }));
    expect(shared.verdict).toBe('lan');
    expect(exitCodeFor(shared, { findings: runRules(shared) })).toBe(0);
    const exposed = buildSnapshot({ instances: [wildcardOllama()] });
    expect(exitCodeFor(exposed, { findings: runRules(exposed) })).toBe(1);
  });

  it('colours a terminal, and never when NO_COLOR is set or output is not a terminal', () => {
    const snapshot = minimal('internet');
    expect(
      renderScan(
        snapshot,
        styleFor(true, () => undefined),
      ),
    ).toContain('\u001b[');
    expect(
      renderScan(
        snapshot,
        styleFor(true, (n) => (n === 'NO_COLOR' ? '1' : undefined)),
      ),
    ).not.toContain('\u001b[');
    expect(
      renderScan(
        snapshot,
        styleFor(false, () => undefined),
      ),
    ).not.toContain('\u001b[');
  });

  it('leads with the verdict', () => {
    expect(
      renderScan(
        minimal('lan'),
        styleFor(false, () => undefined),
      ).split('\n')[0],
    ).toBe('! Reachable from the local network');
  });
});

describe('the privileged commands', () => {
  it.each(['__firewall-facts', '__apply-plan', '__apply-fix', '__undo-run'])(
    '%s is not served by paddock itself, only by paddock-privileged',
    async (command) => {
      const { io: cli, err } = io();
      expect(await runCli([command, '--anything'], cli)).toBe(EXIT.usage);
      expect(err.join('')).toMatch(/belongs to paddock-privileged/);
    },
  );
});
