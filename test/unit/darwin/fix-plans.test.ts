/**
 * Issue 16: every macOS fix as a golden plan (its exact preview, undo included:
 * test/fixtures/plans/darwin/, UPDATE_GOLDEN=1 rewrites them), made from the Mac cases of
 * test/support/darwin-host.ts; each argv checked by the executor's and the privileged side's
 * rules; and run by the real executor on a recorded exec and real files, then undone: the undo
 * puts back the values the system had.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixPlan } from '../../../shared/fixes';
import { applyPlan, planProblems, undoRun } from '../../../electron/engine/fixes/executor';
import { privilegedPlanProblems } from '../../../electron/engine/fixes/allowlist';
import { previewPlan } from '../../../electron/engine/fixes/preview';
import { planFix } from '../../../electron/engine/fixes/recipes/index';
import {
  PF_ANCHOR_FILE,
  QUIT_OLLAMA_ARGV,
  pfPortRules,
} from '../../../electron/engine/fixes/recipes/darwin';
import type { RecipeIO } from '../../../electron/engine/fixes/recipes/common';
import { APP, fixture, scanCase } from '../../support/darwin-host';
import type { MacCase } from '../../support/darwin-host';

const GOLDEN = path.resolve('test/fixtures/plans/darwin');
let root = '';

/** The preview with the temporary home as /Users/alice, the scan's time and digest fixed. */
function golden(name: string, plan: FixPlan, home: string): void {
  const text = previewPlan(plan)
    .split(home)
    .join('/Users/alice')
    .replace(/Plan sha256: [0-9a-f]{64}/, 'Plan sha256: (varies with the scan time)');
  const file = path.join(GOLDEN, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, text);
  }
  expect(text).toBe(fs.readFileSync(file, 'utf8'));
}

const EXPOSED_APP: MacCase = {
  pids: APP,
  server: 745,
  globalState: fixture('socketfilterfw/globalstate-off.txt'),
  launchctlHost: fixture('launchctl/getenv-ollama-host-set.txt'),
  expose: 1,
};

async function planFor(
  c: MacCase,
  fixId: 'rebind-launchd' | 'block-port' | 'tighten-origins',
  io: Partial<RecipeIO> = {},
) {
  const { snapshot, home } = await scanCase(root, c);
  const instance = snapshot.instances[0]!.id;
  const plan = planFix(fixId, snapshot, instance, { readFile: () => null, homeDir: home, ...io });
  if (!('steps' in plan)) throw new Error(plan.reason);
  return { plan, home };
}

/** The executor on a recorded exec and real files under a temporary root for absolute paths. */
function recorder(base: string) {
  const calls: string[][] = [];
  return {
    calls,
    deps: {
      runsDir: path.join(base, 'runs'),
      exec: async (argv: readonly string[]) => {
        calls.push([...argv]);
        return {
          argv: [...argv],
          code: 0,
          signal: null,
          stdout: '',
          stderr: '',
          truncated: false,
          timedOut: false,
          spawnError: null,
          durationMs: 1,
        };
      },
      now: () => new Date('2026-12-06T10:00:00.000Z'),
      verify: async () => ({ ok: true, detail: 'verified in this test' }),
    },
  };
}

describe('the macOS fixes as plans', () => {
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-mac-plans-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('rebind-launchd: the app quit, its switch off, launchctl to loopback with a LaunchAgent, the app started; undo puts the old values back', async () => {
    const { plan, home } = await planFor(EXPOSED_APP, 'rebind-launchd');
    golden('rebind-launchd', plan, home);
    expect(plan.requiresAdmin).toBe(false);
    expect(planProblems(plan)).toEqual([]);
    // Root never runs it: a user's launchd, app and home are the user's to change.
    expect(privilegedPlanProblems(plan, null).length).toBeGreaterThan(0);
    // Programs by absolute path only; the values read from the system only as argv elements.
    for (const step of plan.steps) if (step.kind === 'run') expect(step.argv[0]).toMatch(/^\//);

    const r = recorder(root);
    const run = await applyPlan(plan, r.deps);
    expect(run.state).toBe('applied');
    const agent = `${home}/Library/LaunchAgents/dev.paddock.ollama-host.plist`;
    expect(fs.readFileSync(agent, 'utf8')).toContain('<string>127.0.0.1:11434</string>');
    const applied = r.calls.length;
    const undone = await undoRun(run.id, r.deps);
    expect(undone.state).toBe('undone');
    expect(fs.existsSync(agent)).toBe(false);
    // Undo, last first: quit the app, launchctl's old value, the switch on again, the app started.
    expect(r.calls.slice(applied).map((a) => a.join(' '))).toEqual([
      QUIT_OLLAMA_ARGV.join(' '),
      '/bin/launchctl setenv OLLAMA_HOST 0.0.0.0:11434',
      `/usr/bin/sqlite3 -cmd .timeout 5000 ${home}/Library/Application Support/Ollama/db.sqlite UPDATE settings SET expose = 1 WHERE id = 1`,
      '/usr/bin/open -a Ollama',
    ]);
  });

  it('an Ollama app that has not gone after 10 s: its settings are not touched, and the run rolls back', async () => {
    const { plan } = await planFor(EXPOSED_APP, 'rebind-launchd');
    // The quit waits for the app to be gone, else ends with an error (osascript exits 1).
    const quit = plan.steps[0]!;
    expect(quit.kind === 'run' && quit.argv).toEqual(QUIT_OLLAMA_ARGV);
    expect(QUIT_OLLAMA_ARGV.join('\n')).toMatch(
      /is running then tell application "Ollama" to quit[\s\S]*repeat 50 times[\s\S]*is not running then return[\s\S]*delay 0\.2[\s\S]*error "/,
    );
    const r = recorder(root);
    const run = await applyPlan(plan, {
      ...r.deps,
      exec: async (argv: readonly string[]) => {
        const result = await r.deps.exec(argv);
        return argv[0] === '/usr/bin/osascript'
          ? {
              ...result,
              code: 1,
              stderr:
                'execution error: The Ollama app did not quit within 10 seconds; nothing more was changed. (-2700)',
            }
          : result;
      },
    });
    expect(run.state).toBe('rolled-back');
    // Nothing but the quit, then its undo (the app started again): no sqlite3, no launchctl.
    expect(r.calls.map((a) => a[0])).toEqual(['/usr/bin/osascript', '/usr/bin/open']);
  });

  it("block-port: Paddock's pf anchor, pf enabled when it was not; root's rules accept it; undo empties the anchor and leaves pf enabled", async () => {
    const { plan, home } = await planFor({ ...EXPOSED_APP, launchctlHost: '' }, 'block-port');
    golden('block-port', plan, home);
    expect(plan.requiresAdmin).toBe(true);
    expect(privilegedPlanProblems(plan, null)).toEqual([]);
    // The file is written under a temporary root here (the executor writes real files).
    const base = fs.mkdtempSync(path.join(root, 'pf-'));
    const moved: FixPlan = {
      ...plan,
      steps: plan.steps.map((s) =>
        s.kind === 'write-file' ? { ...s, path: `${base}${s.path}` } : s,
      ),
    };
    const r = recorder(base);
    const run = await applyPlan(moved, r.deps);
    expect(run.state).toBe('applied');
    expect(fs.readFileSync(`${base}${PF_ANCHOR_FILE}`, 'utf8')).toBe(pfPortRules([11434]));
    const applied = r.calls.length;
    expect((await undoRun(run.id, r.deps)).state).toBe('undone');
    expect(fs.existsSync(`${base}${PF_ANCHOR_FILE}`)).toBe(false);
    // pf stays enabled: others may rely on it by then (the preview says so).
    expect(r.calls.slice(applied).map((a) => a.join(' '))).toEqual([
      '/sbin/pfctl -a com.apple/paddock -F rules',
    ]);
  });

  it("block-port with Paddock's rules for another port already there: both ports, and undo loads the old file again", async () => {
    const { plan, home } = await planFor({ ...EXPOSED_APP, launchctlHost: '' }, 'block-port', {
      readFile: (p) => (p === PF_ANCHOR_FILE ? pfPortRules([8080]) : null),
    });
    golden('block-port-second-port', plan, home);
    expect(privilegedPlanProblems(plan, null)).toEqual([]);
    const write = plan.steps.find((s) => s.kind === 'write-file');
    expect(write?.kind === 'write-file' && write.content).toBe(pfPortRules([8080, 11434]));
    expect(plan.steps[0]).toMatchObject({
      undo: ['/sbin/pfctl', '-a', 'com.apple/paddock', '-f', PF_ANCHOR_FILE],
    });
  });

  it('root refuses a pf plan that does anything else', async () => {
    const { plan } = await planFor({ ...EXPOSED_APP, launchctlHost: '' }, 'block-port');
    const tampered = (change: (p: FixPlan) => FixPlan) =>
      privilegedPlanProblems(change(plan), null).join(' ');
    expect(
      tampered((p) => ({
        ...p,
        steps: p.steps.map((s) =>
          s.kind === 'write-file' ? { ...s, content: 'pass in all\n' } : s,
        ),
      })),
    ).toMatch(/must hold Paddock's pf rules/);
    expect(
      tampered((p) => ({
        ...p,
        steps: p.steps.map((s) =>
          s.kind === 'run' && s.argv.includes('-e') ? { ...s, undo: ['/sbin/pfctl', '-d'] } : s,
        ),
      })),
    ).toMatch(/enabling pf has no undo/);
    expect(
      tampered((p) => ({
        ...p,
        steps: [
          ...p.steps,
          { kind: 'run', argv: ['/sbin/pfctl', '-F', 'all'], undo: null, description: 'x' },
        ],
      })),
    ).toMatch(/not one of the pfctl commands/);
  });

  it("tighten-origins: the browser switch and launchctl's OLLAMA_ORIGINS", async () => {
    const { snapshot, home } = await scanCase(root, { ...EXPOSED_APP, expose: 1 });
    const instance = snapshot.instances[0]!;
    // The app's "browser" switch on, as the app would have written it.
    const withBrowser = {
      ...snapshot,
      instances: [
        {
          ...instance,
          settings: [
            ...instance.settings,
            {
              name: 'OLLAMA_ORIGINS',
              value: '*',
              source: {
                kind: 'app-settings' as const,
                path: `${home}/Library/Application Support/Ollama/db.sqlite`,
                line: null,
              },
              state: 'effective' as const,
              reason: 'test',
            },
          ],
        },
      ],
    };
    const plan = planFix('tighten-origins', withBrowser, instance.id, {
      readFile: () => null,
      homeDir: home,
    });
    if (!('steps' in plan)) throw new Error(plan.reason);
    golden('tighten-origins', plan, home);
    expect(planProblems(plan)).toEqual([]);
  });

  it("warns that the user's own LaunchAgent would set OLLAMA_HOST again at login", async () => {
    const name = 'agent-home';
    const { plan } = await (async () => {
      const { snapshot, home } = await scanCase(
        root,
        {
          ...EXPOSED_APP,
          files: {
            [`${path.join(root, name)}/Library/LaunchAgents/setenv.OLLAMA_HOST.plist`]: fixture(
              'plist/setenv.OLLAMA_HOST.plist',
            ),
          },
        },
        name,
      );
      const made = planFix('rebind-launchd', snapshot, snapshot.instances[0]!.id, {
        readFile: () => null,
        homeDir: home,
      });
      if (!('steps' in made)) throw new Error(made.reason);
      return { plan: made };
    })();
    expect(plan.warnings.join(' ')).toMatch(
      /setenv\.OLLAMA_HOST\.plist sets OLLAMA_HOST=0\.0\.0\.0 at login: it would set it again/,
    );
  });

  it('a server started by Homebrew or a terminal gets the steps to take, not a plan', async () => {
    const { snapshot } = await scanCase(root, {
      pids: [1, 910],
      server: 910,
      globalState: fixture('socketfilterfw/globalstate-off.txt'),
    });
    const fix = planFix('rebind-launchd', snapshot, snapshot.instances[0]!.id, {
      readFile: () => null,
      homeDir: '/Users/alice',
    });
    expect('steps' in fix).toBe(false);
  });
});

describe('pf as the probe reads it back after block-port', () => {
  it("pfctl's own printing of Paddock's rule closes the port on every interface but loopback", async () => {
    const { macFirewallFacts } = await import('../../../electron/engine/probes/darwin/probes');
    const facts = macFirewallFacts({
      application: null,
      pfInfo: fixture('pfctl/info-enabled.txt'),
      // How pfctl prints the rule of pfPortRules([11434]) back (pfctl_parser.c: "port = N").
      pfRules: 'block drop in quick on ! lo0 proto tcp from any to any port = 11434\n',
      pfMain: fixture('pfctl/main-rules-default.txt'),
    });
    expect(facts.pf).toEqual({
      enabled: true,
      anchorCalled: true,
      paddockBlocks: [expect.objectContaining({ port: 11434, family: null })],
    });
  });
});

describe('a Mac user-level fix under sudo', () => {
  it("is refused before anything runs: it would reach root's launchd and write through the user's folders", async () => {
    const { applyApproved } = await import('../../../electron/cli/fix');
    const { createFakeHost } = await import('../../support/fake-host');
    const host = createFakeHost({ platform: 'darwin', uid: 0 });
    const said: string[] = [];
    const plan: FixPlan = {
      fixId: 'rebind-launchd',
      findingId: null,
      instance: 'ollama:port:11434',
      title: 'Make Ollama listen on this Mac only',
      summary: '',
      warnings: [],
      requiresAdmin: false,
      steps: [
        {
          kind: 'run',
          argv: ['/bin/launchctl', 'setenv', 'OLLAMA_HOST', '127.0.0.1:11434'],
          undo: null,
          description: '',
        },
      ],
      verification: {
        kind: 'instance-loopback-only',
        instance: 'ollama:port:11434',
        port: 11434,
        setting: null,
        description: '',
      },
      basedOn: '2026-12-06T10:00:00.000Z',
    };
    const applied = await applyApproved(
      {
        host,
        elevate: { host, privileged: [], interactive: false },
        stdout: (t) => said.push(t),
        stderr: (t) => said.push(t),
        confirm: async () => true,
      },
      plan,
    );
    expect(applied).toBeNull();
    expect(said.join('')).toMatch(/run it without sudo/);
    expect(host.execCalls).toEqual([]);
  });
});
