/**
 * Issue 17: every Windows fix as a golden plan (its exact preview, every PowerShell script
 * decoded, undo included: test/fixtures/plans/win32/, UPDATE_GOLDEN=1 rewrites them), made from
 * the Windows cases of test/support/win32-host.ts through the real probes and scan; each run by
 * the real executor on a recorded exec (there is no Windows here: the commands are recorded,
 * never run), then undone: the undo puts back the values the system had. Hostile values stay
 * data; the privileged side accepts the elevated plans only in their exact shapes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixPlan, FixStep } from '../../../shared/fixes';
import type { Setting, Snapshot } from '../../../shared/snapshot';
import { applyPlan, planProblems, undoRun } from '../../../electron/engine/fixes/executor';
import {
  privilegedContext,
  privilegedPlanProblems,
} from '../../../electron/engine/fixes/allowlist';
import { encodedScriptLines, previewPlan } from '../../../electron/engine/fixes/preview';
import { planFix } from '../../../electron/engine/fixes/recipes/index';
import type { Win32RecipeIO } from '../../../electron/engine/fixes/recipes/win32';
import {
  FIX_TEMPLATES,
  PS_ADD_BLOCK_RULE,
  PS_REMOVE_BLOCK_RULE,
} from '../../../electron/engine/fixes/recipes/win32-scripts';
import {
  POWERSHELL_EXE,
  decodePowerShellCommand,
  encodePowerShellCommand,
  powershellArgv,
} from '../../../electron/engine/probes/win32/powershell';
import { APP_DB, APP_EXE, scanWindowsCase } from '../../support/win32-host';
import type { WindowsCase } from '../../support/win32-host';

const GOLDEN = path.resolve('test/fixtures/plans/win32');
/** Paddock's own program as a CLI install on Windows would name it (an example path). */
const PADDOCK = [
  'C:\\Program Files\\nodejs\\node.exe',
  'C:\\Users\\alice\\AppData\\Local\\Programs\\Paddock\\bin\\paddock.cjs',
];
const IO: Win32RecipeIO = { readFile: () => null, paddockProgram: PADDOCK };
type FixId = 'rebind-windows' | 'block-port' | 'tighten-origins';

let root = '';

function golden(name: string, plan: FixPlan): void {
  const text = previewPlan(plan).replace(
    /Plan sha256: [0-9a-f]{64}/,
    'Plan sha256: (varies with the scan time)',
  );
  const file = path.join(GOLDEN, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, text);
  }
  expect(text).toBe(fs.readFileSync(file, 'utf8'));
}

async function scanned(c: WindowsCase): Promise<Snapshot> {
  return (await scanWindowsCase(root, c)).snapshot;
}

function planOf(snapshot: Snapshot, fixId: FixId, io: Win32RecipeIO = IO): FixPlan {
  const plan = planFix(fixId, snapshot, snapshot.instances[0]!.id, io);
  if (!('steps' in plan)) throw new Error(plan.reason);
  return plan;
}

const DATA =
  /^\$v_([A-Za-z0-9]+) = \[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/]*={0,2})'\)\)$/gm;

/** What a recorded argv does, in words a test can compare: the template and its values. */
function described(argv: readonly string[]): string {
  if (argv[0] !== POWERSHELL_EXE) return argv.join(' ');
  const script = decodePowerShellCommand(argv[argv.length - 1]!);
  const values = [...script.matchAll(DATA)].map(
    (m) => `${m[1]}=${Buffer.from(m[2]!, 'base64').toString('utf8')}`,
  );
  const names = values.map((v) => v.slice(0, v.indexOf('=')));
  const template = FIX_TEMPLATES.find(
    (t) =>
      t.params.join() === names.join() &&
      powershellArgv(
        t,
        Object.fromEntries(
          values.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]),
        ),
      ).join('\u0000') === argv.join('\u0000'),
  );
  return `${template?.id ?? '(not a fix template)'} ${values.join(' ')}`.trim();
}

/** The script with every base64 literal's content blanked: what PowerShell reads as code. */
function skeleton(argv: readonly string[]): string {
  return decodePowerShellCommand(argv[argv.length - 1]!).replace(
    DATA,
    (_l, name: string) =>
      `$v_${name} = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('<DATA>'))`,
  );
}

/** The executor on a recorded exec: every command is recorded and answers exit 0. */
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
          stdout: '[]',
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

async function applyAndUndo(plan: FixPlan) {
  const r = recorder(fs.mkdtempSync(path.join(root, 'runs-')));
  const run = await applyPlan(plan, r.deps);
  expect(run.state).toBe('applied');
  const applied = r.calls.length;
  expect((await undoRun(run.id, r.deps)).state).toBe('undone');
  return {
    applied: r.calls.slice(0, applied).map(described),
    undone: r.calls.slice(applied).map(described),
  };
}

const EXPOSED_APP: WindowsCase = {
  launcher: 'app',
  expose: 1,
  user: { OLLAMA_HOST: '0.0.0.0:11434' },
};

describe('the Windows fixes as plans', () => {
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-win-plans-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('rebind-windows, the app with expose on and a user variable: the app quit, its switch off, the variable to loopback, the app started; undo puts the old values back', async () => {
    const snapshot = await scanned(EXPOSED_APP);
    const plan = planOf(snapshot, 'rebind-windows');
    golden('rebind-windows', plan);
    expect(plan.requiresAdmin).toBe(false);
    expect(planProblems(plan)).toEqual([]);
    // Never elevated: a user-level Windows fix is the user's own.
    expect(privilegedPlanProblems(plan, null).join(' ')).toMatch(/never elevated/);
    // rebind-systemd, as the rules may still name it, makes the same plan on Windows.
    const same = planFix('rebind-systemd', snapshot, snapshot.instances[0]!.id, IO);
    expect('steps' in same && same.steps).toEqual(plan.steps);

    const { applied, undone } = await applyAndUndo(plan);
    expect(applied).toEqual([
      `quitOllamaApp app=${APP_EXE}`,
      `${PADDOCK.join(' ')} __ollama-app-switch --column expose --value 0 --db ${APP_DB}`,
      'setUserVariable name=OLLAMA_HOST value=127.0.0.1:11434',
      `startOllamaApp app=${APP_EXE}`,
    ]);
    // Undo, last first: quit the app, the old value, the switch on again, the app started.
    expect(undone).toEqual([
      `quitOllamaApp app=${APP_EXE}`,
      'setUserVariable name=OLLAMA_HOST value=0.0.0.0:11434',
      `${PADDOCK.join(' ')} __ollama-app-switch --column expose --value 1 --db ${APP_DB}`,
      `startOllamaApp app=${APP_EXE}`,
    ]);
  });

  it("rebind-windows with only a machine variable: still the user's own plan (a user variable of loopback wins for the user's programs), never elevated; undo removes it", async () => {
    const snapshot = await scanned({ launcher: 'app', machine: { OLLAMA_HOST: '0.0.0.0' } });
    const plan = planOf(snapshot, 'rebind-windows');
    golden('rebind-windows-machine', plan);
    expect(plan.requiresAdmin).toBe(false);
    expect(plan.warnings.join(' ')).toMatch(
      /machine variable OLLAMA_HOST is 0\.0\.0\.0 for every account.*another account's Ollama, or a service, would still get it/,
    );
    // The elevated side would refuse it outright: it quits and starts a program the user controls.
    expect(privilegedPlanProblems({ ...plan, requiresAdmin: true }, null).join(' ')).toMatch(
      /rebind-windows is not a fix Paddock runs elevated on Windows/,
    );
    const { applied, undone } = await applyAndUndo(plan);
    expect(applied).toEqual([
      `quitOllamaApp app=${APP_EXE}`,
      'setUserVariable name=OLLAMA_HOST value=127.0.0.1:11434',
      `startOllamaApp app=${APP_EXE}`,
    ]);
    expect(undone).toEqual([
      `quitOllamaApp app=${APP_EXE}`,
      'removeUserVariable name=OLLAMA_HOST',
      `startOllamaApp app=${APP_EXE}`,
    ]);
  });

  it('rebind-windows with a user variable over a machine one: the user variable only (it wins for this user), no admin, and a warning names the machine value', async () => {
    const snapshot = await scanned({
      launcher: 'app',
      user: { OLLAMA_HOST: '0.0.0.0:11434' },
      machine: { OLLAMA_HOST: '0.0.0.0' },
    });
    const plan = planOf(snapshot, 'rebind-windows');
    expect(plan.requiresAdmin).toBe(false);
    expect(plan.steps.map((s) => (s.kind === 'run' ? described(s.argv) : s.kind))).toEqual([
      `quitOllamaApp app=${APP_EXE}`,
      'setUserVariable name=OLLAMA_HOST value=127.0.0.1:11434',
      `startOllamaApp app=${APP_EXE}`,
    ]);
    expect(plan.warnings.join(' ')).toMatch(
      /machine variable OLLAMA_HOST is 0\.0\.0\.0 for every account.*Your user variable wins over it/,
    );
  });

  it('rebind-windows with expose on and a machine variable: never elevated (the switch writes into your folder), a user variable of loopback added instead, the machine value named', async () => {
    const snapshot = await scanned({
      launcher: 'app',
      expose: 1,
      machine: { OLLAMA_HOST: '0.0.0.0' },
    });
    const plan = planOf(snapshot, 'rebind-windows');
    expect(plan.requiresAdmin).toBe(false);
    expect(plan.steps.map((s) => (s.kind === 'run' ? described(s.argv) : s.kind))).toEqual([
      `quitOllamaApp app=${APP_EXE}`,
      expect.stringContaining('__ollama-app-switch --column expose --value 0'),
      'setUserVariable name=OLLAMA_HOST value=127.0.0.1:11434',
      `startOllamaApp app=${APP_EXE}`,
    ]);
    expect(plan.warnings.join(' ')).toMatch(
      /machine variable OLLAMA_HOST is 0\.0\.0\.0 for every account.*Your new user variable wins over it/,
    );
    // Undo removes the variable the fix added, rather than setting it to something.
    const { undone } = await applyAndUndo(plan);
    expect(undone).toContain('removeUserVariable name=OLLAMA_HOST');
    // And the elevated side would refuse the plan outright: it is the user's own.
    expect(
      privilegedPlanProblems(
        plan,
        privilegedContext(snapshot, () => false),
      ).length,
    ).toBeGreaterThan(0);
  });

  it('a server started from a terminal gets the exact steps, not a plan', async () => {
    const snapshot = await scanned({ launcher: 'shell', user: { OLLAMA_HOST: '0.0.0.0:11434' } });
    const fix = planFix('rebind-windows', snapshot, snapshot.instances[0]!.id, IO);
    expect('steps' in fix).toBe(false);
    if ('steps' in fix) return;
    expect(fix.reason).toMatch(/started from a terminal/);
    expect(fix.reason).toMatch(/OLLAMA_HOST set to 127\.0\.0\.1:11434/);
    expect(fix.reason).toMatch(/your user variable \(HKCU\\Environment\) as 0\.0\.0\.0:11434/);
  });

  it("without Paddock's command-line program the app switch is left to the user, said plainly", async () => {
    const snapshot = await scanned(EXPOSED_APP);
    const fix = planFix('rebind-windows', snapshot, snapshot.instances[0]!.id, {
      readFile: () => null,
    });
    expect('steps' in fix ? null : fix.reason).toMatch(
      /turn off "Expose Ollama to the network" in the Ollama app's settings yourself/,
    );
  });

  it("block-port: Paddock's named rule, undone by that name; the elevated side accepts it", async () => {
    const snapshot = await scanned({ ...EXPOSED_APP, user: {} });
    const plan = planOf(snapshot, 'block-port');
    golden('block-port', plan);
    expect(plan.requiresAdmin).toBe(true);
    expect(plan.summary).toMatch(/block rule wins over every allow rule/);
    expect(plan.summary).toMatch(/loopback traffic is not filtered/);
    expect(privilegedPlanProblems(plan, null)).toEqual([]);
    expect(
      privilegedPlanProblems(
        plan,
        privilegedContext(snapshot, () => false),
      ),
    ).toEqual([]);
    const script = decodePowerShellCommand((plan.steps[0] as { argv: string[] }).argv.at(-1)!);
    expect(script).toContain(
      "New-NetFirewallRule -Name $name -DisplayName ('Paddock: block TCP port ' + $v_port + ' from other machines')",
    );
    expect(script).toContain(
      '-Direction Inbound -Action Block -Protocol TCP -LocalPort $v_port -Profile Any',
    );
    const { applied, undone } = await applyAndUndo(plan);
    expect(applied).toEqual(['addBlockRule port=11434']);
    expect(undone).toEqual(['removeBlockRule port=11434']);
  });

  it('block-port warns when a profile is off (the rule does nothing there) and refuses when the firewall was not read or its rule is there', async () => {
    const off = await scanned({ ...EXPOSED_APP, user: {}, enabled: { Public: 0 } });
    const plan = planOf(off, 'block-port');
    expect(plan.warnings.join(' ')).toMatch(
      /off for the Public profile: the rule does nothing while this PC is on such a network.*your decision/,
    );

    const snapshot = await scanned({ ...EXPOSED_APP, user: {} });
    const windows = snapshot.probes.firewall.data!.windows!;
    const unread: Snapshot = {
      ...snapshot,
      probes: {
        ...snapshot.probes,
        firewall: {
          ...snapshot.probes.firewall,
          data: { ...snapshot.probes.firewall.data!, windows: { ...windows, rules: null } },
        },
      },
    };
    const refused = planFix('block-port', unread, unread.instances[0]!.id, IO);
    expect('steps' in refused ? null : refused.reason).toMatch(/could not be read/);

    const present: Snapshot = {
      ...snapshot,
      probes: {
        ...snapshot.probes,
        firewall: {
          ...snapshot.probes.firewall,
          data: {
            ...snapshot.probes.firewall.data!,
            windows: {
              ...windows,
              rules: [
                ...(windows.rules ?? []),
                {
                  name: 'Paddock-Block-TCP-11434',
                  displayName: 'Paddock: block TCP port 11434 from other machines',
                  action: 'block',
                  profiles: ['domain', 'private', 'public'],
                  protocol: 'TCP',
                  localPorts: ['11434'],
                  remoteAddresses: [],
                  program: null,
                  fromPrompt: false,
                },
              ],
            },
          },
        },
      },
    };
    const again = planFix('block-port', present, present.instances[0]!.id, IO);
    expect('steps' in again ? null : again.reason).toMatch(
      /Paddock's rule Paddock-Block-TCP-11434 is there already/,
    );
  });

  it("tighten-origins: the app's browser switch and a broad user OLLAMA_ORIGINS narrowed; undo puts both back", async () => {
    const snapshot = await scanned({
      launcher: 'app',
      expose: 0,
      browser: 1,
      user: { OLLAMA_ORIGINS: '*,https://notes.example' },
    });
    const plan = planOf(snapshot, 'tighten-origins');
    golden('tighten-origins', plan);
    expect(plan.requiresAdmin).toBe(false);
    const { applied, undone } = await applyAndUndo(plan);
    expect(applied).toEqual([
      `quitOllamaApp app=${APP_EXE}`,
      `${PADDOCK.join(' ')} __ollama-app-switch --column browser --value 0 --db ${APP_DB}`,
      'setUserVariable name=OLLAMA_ORIGINS value=https://notes.example',
      `startOllamaApp app=${APP_EXE}`,
    ]);
    expect(undone).toEqual([
      `quitOllamaApp app=${APP_EXE}`,
      'setUserVariable name=OLLAMA_ORIGINS value=*,https://notes.example',
      `${PADDOCK.join(' ')} __ollama-app-switch --column browser --value 1 --db ${APP_DB}`,
      `startOllamaApp app=${APP_EXE}`,
    ]);
  });
});

describe('hostile values stay data', () => {
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-win-hostile-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** The scanned case with the app's path and the user variable's value replaced. */
  function withValues(snapshot: Snapshot, app: string, value: string): Snapshot {
    const instance = snapshot.instances[0]!;
    return {
      ...snapshot,
      instances: [
        {
          ...instance,
          process: { ...instance.process!, appExecutable: app },
          settings: instance.settings.map((s): Setting =>
            s.source.kind === 'registry-user' && s.name === 'OLLAMA_HOST' ? { ...s, value } : s,
          ),
        },
      ],
    };
  }

  it("an app path with a quote, a value with `'; Remove-Item`: the scripts are the same outside their base64 literals", async () => {
    const snapshot = await scanned({ launcher: 'app', user: { OLLAMA_HOST: '0.0.0.0:11434' } });
    const plain = planOf(snapshot, 'rebind-windows');
    const hostile = planOf(
      withValues(
        snapshot,
        "C:\\Users\\o'brien $(calc)\\AppData\\Local\\Programs\\Ollama\\ollama app.exe",
        "0.0.0.0'; Remove-Item C:\\ -Recurse; '",
      ),
      'rebind-windows',
    );
    const argvs = (p: FixPlan) =>
      p.steps.flatMap((s: FixStep) => (s.kind === 'run' ? [s.argv, s.undo!] : []));
    const a = argvs(plain);
    const b = argvs(hostile);
    expect(b).toHaveLength(a.length);
    a.forEach((argv, i) => {
      expect(b[i]!.slice(0, -1)).toEqual(argv.slice(0, -1));
      expect(skeleton(b[i]!)).toBe(skeleton(argv));
      expect(b[i]!.at(-1)).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    });
    // The hostile values are there, as data, and the undo restores the hostile old value as it was.
    const set = hostile.steps.find(
      (s) => s.kind === 'run' && described(s.argv).startsWith('setUser'),
    );
    expect(described(set?.kind === 'run' ? set.undo! : [])).toBe(
      "setUserVariable name=OLLAMA_HOST value=0.0.0.0'; Remove-Item C:\\ -Recurse; '",
    );
  });

  it('a value with a line break or a % reference, or an app path with a double quote, is not passed on at all', async () => {
    const snapshot = await scanned({ launcher: 'app', user: { OLLAMA_HOST: '0.0.0.0:11434' } });
    for (const [app, value, why] of [
      [APP_EXE, '0.0.0.0\nRemove-Item C:\\', /could not put back exactly/],
      [APP_EXE, '%HOSTADDR%:11434', /could not put back exactly/],
      ['C:\\Users\\alice\\"x\\ollama app.exe', '0.0.0.0', /path is not one Paddock will pass on/],
      [
        'C:\\Users\\alice\\AppData\\Local\\Programs\\Ollama\\calc.exe',
        '0.0.0.0',
        /path is not one/,
      ],
    ] as const) {
      const fix = planFix(
        'rebind-windows',
        withValues(snapshot, app, value),
        snapshot.instances[0]!.id,
        IO,
      );
      expect('steps' in fix ? 'a plan' : fix.reason).toMatch(why);
    }
  });

  it('the preview shows each script decoded, exactly as PowerShell reads it, and its values', async () => {
    const snapshot = await scanned(EXPOSED_APP);
    const plan = planOf(snapshot, 'rebind-windows');
    const step = plan.steps[0]!;
    const lines = encodedScriptLines(step.kind === 'run' ? step.argv : [])!;
    const script = decodePowerShellCommand((step as { argv: string[] }).argv.at(-1)!);
    expect(lines.filter((l) => l.startsWith('   | ')).slice(0, script.split('\n').length)).toEqual(
      script.split('\n').map((l) => `   | ${l}`),
    );
    expect(lines).toContain(`   | $v_app = ${JSON.stringify(APP_EXE)}`);
    expect(encodedScriptLines(['C:\\Windows\\System32\\cmd.exe', '/c', 'dir'])).toBeNull();
  });
});

describe('the elevated side refuses a Windows plan in any other shape', () => {
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-win-tamper-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a changed script, another template, the app or a variable, a swapped undo, an extra program', async () => {
    const snapshot = await scanned({ ...EXPOSED_APP, user: {} });
    const block = planOf(snapshot, 'block-port');
    const step0 = block.steps[0] as Extract<FixStep, { kind: 'run' }>;
    const withStep = (p: FixPlan, i: number, change: Partial<Extract<FixStep, { kind: 'run' }>>) =>
      privilegedPlanProblems(
        { ...p, steps: p.steps.map((s, k) => (k === i ? { ...s, ...change } : s)) as FixStep[] },
        null,
      ).join(' ');

    // One more command in the script, re-encoded: the argv is no longer the template's.
    const script = decodePowerShellCommand(step0.argv.at(-1)!);
    const tampered = [
      ...step0.argv.slice(0, -1),
      encodePowerShellCommand(`${script}\nRemove-Item C:\\ -Recurse`),
    ];
    expect(withStep(block, 0, { argv: tampered })).toMatch(/not one of the PowerShell scripts/);
    // The app's switch writes into the user's own folder: never in an elevated plan, whoever's
    // Paddock would run it.
    const appSwitch = [
      ...PADDOCK,
      '__ollama-app-switch',
      '--column',
      'expose',
      '--value',
      '0',
      '--db',
      APP_DB,
    ];
    const undoSwitch = [...appSwitch.slice(0, -3), '1', '--db', APP_DB];
    expect(withStep(block, 0, { argv: appSwitch, undo: undoSwitch })).toMatch(
      /changed only without admin rights, never by the elevated side/,
    );
    // Nor quitting or starting the app (a program the user controls), nor any variable.
    const template = (id: string) => FIX_TEMPLATES.find((t) => t.id === id)!;
    expect(
      withStep(block, 0, {
        argv: powershellArgv(template('startOllamaApp'), { app: APP_EXE }),
        undo: powershellArgv(template('quitOllamaApp'), { app: APP_EXE }),
      }),
    ).toMatch(/accepted only as the undo/);
    expect(
      withStep(block, 0, {
        argv: powershellArgv(template('setMachineVariable'), {
          name: 'OLLAMA_HOST',
          value: '127.0.0.1:11434',
        }),
        undo: powershellArgv(template('setMachineVariable'), {
          name: 'OLLAMA_HOST',
          value: '0.0.0.0',
        }),
      }),
    ).toMatch(/accepted only as the undo/);
    // Another option before -EncodedCommand (a profile would run).
    const noProfileDropped = step0.argv.filter((a) => a !== '-NoProfile');
    expect(withStep(block, 0, { argv: noProfileDropped })).toMatch(
      /not one of the PowerShell scripts/,
    );
    // Removing the rule as a step, not as the undo.
    expect(
      withStep(block, 0, {
        argv: powershellArgv(PS_REMOVE_BLOCK_RULE, { port: '11434' }),
        undo: powershellArgv(PS_ADD_BLOCK_RULE, { port: '11434' }),
      }),
    ).toMatch(/accepted only as the undo/);
    // A rule whose undo removes another port's rule.
    expect(
      withStep(block, 0, { undo: powershellArgv(PS_REMOVE_BLOCK_RULE, { port: '22' }) }),
    ).toMatch(/undone only by removing the rule of the same name/);
    // Any other program beside the PowerShell steps.
    expect(
      privilegedPlanProblems(
        {
          ...block,
          steps: [
            ...block.steps,
            {
              kind: 'run',
              argv: ['C:\\Windows\\System32\\cmd.exe', '/c', 'del C:\\x'],
              undo: null,
              description: 'x',
            },
          ],
        },
        null,
      ).join(' '),
    ).toMatch(/step 2: .*cmd\.exe: not one of the PowerShell scripts/);
    // A user-level fix marked as needing admin rights is still not one Paddock elevates.
    const tighten = planOf(
      await scanned({ launcher: 'app', expose: 0, browser: 1 }),
      'tighten-origins',
    );
    expect(privilegedPlanProblems({ ...tighten, requiresAdmin: true }, null).join(' ')).toMatch(
      /tighten-origins is not a fix Paddock runs elevated on Windows/,
    );
  });
});
