/**
 * Issue 15: Paddock's own unit and the plans that install and remove it, and the rules root
 * holds them to (headless/allowlist.ts) before applying and again before an undo.
 */
import { describe, expect, it } from 'vitest';
import type { FixPlan } from '../../../shared/fixes';
import { privilegedPlanProblems } from '../../../electron/engine/fixes/allowlist';
import { planProblems } from '../../../electron/engine/fixes/executor';
import { servicePlanProblems } from '../../../electron/engine/headless/allowlist';
import type { InstallFacts } from '../../../electron/engine/headless/unit';
import {
  SERVICE_UNIT_PATH,
  defaultServiceConfig,
  parseServiceUnit,
  planServiceInstall,
  planServiceUninstall,
  serviceUnitText,
} from '../../../electron/engine/headless/unit';

const NODE = process.execPath;
const FACTS: InstallFacts = {
  node: NODE,
  launcher: '/usr/local/lib/paddock/bin/paddock.cjs',
  config: null,
  textfileDirExists: true,
  unit: null,
  basedOn: '2026-12-06T10:00:00.000Z',
};

function install(over: Partial<InstallFacts> = {}): FixPlan {
  const plan = planServiceInstall({ ...FACTS, ...over });
  if ('error' in plan) throw new Error(plan.error);
  return plan;
}

describe('the unit', () => {
  it('runs the watcher hardened, with three capabilities, and writes only its state and the textfile folder', () => {
    const text = serviceUnitText({
      node: '/usr/bin/node',
      launcher: '/usr/local/lib/paddock/bin/paddock.cjs',
      textfileDir: '/var/lib/prometheus/node-exporter',
    });
    expect(text).toMatch(
      /^ExecStart=\/usr\/bin\/node \/usr\/local\/lib\/paddock\/bin\/paddock\.cjs service run --config \/etc\/paddock\/paddock\.json$/m,
    );
    expect(text).toMatch(
      /^CapabilityBoundingSet=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_NET_ADMIN$/m,
    );
    for (const line of [
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=read-only',
      'StateDirectory=paddock/service',
      'ReadWritePaths=-/var/lib/prometheus/node-exporter',
      'ReadOnlyPaths=/proc',
      'SystemCallFilter=~process_vm_writev process_vm_readv',
      'PrivateTmp=yes',
      'PrivateDevices=yes',
    ])
      expect(text.split('\n')).toContain(line);
    expect(parseServiceUnit(text)).toEqual({
      node: '/usr/bin/node',
      launcher: '/usr/local/lib/paddock/bin/paddock.cjs',
      textfileDir: '/var/lib/prometheus/node-exporter',
    });
    // One byte changed by hand, and it is no longer Paddock's.
    expect(parseServiceUnit(text.replace('NoNewPrivileges=yes', 'NoNewPrivileges=no'))).toBeNull();
  });

  it('refuses a path that would need quoting in a unit', () => {
    for (const launcher of [
      '/home/me/my paddock/bin/paddock.cjs',
      '/opt/p%h/paddock.cjs',
      '/opt/$HOME/paddock.cjs',
      '/opt/a\nExecStartPre=/bin/sh/paddock.cjs',
      'relative/paddock.cjs',
      '/opt/../etc/paddock.cjs',
    ]) {
      const plan = planServiceInstall({ ...FACTS, launcher });
      expect(plan, launcher).toMatchObject({
        error: expect.stringMatching(/not a plain absolute path/),
      });
    }
  });
});

describe('the install plan', () => {
  it('writes the configuration only when there is none, then the unit, and enables it with its undo', () => {
    const plan = install();
    expect(
      plan.steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : `${s.kind} ${s.path}`)),
    ).toEqual([
      'systemctl daemon-reload',
      'write-file /etc/paddock/paddock.json',
      `write-file ${SERVICE_UNIT_PATH}`,
      'systemctl daemon-reload',
      'systemctl enable --now -- paddock.service',
    ]);
    const enable = plan.steps[4]!;
    expect(enable.kind === 'run' && enable.undo).toEqual([
      'systemctl',
      'disable',
      '--now',
      '--',
      'paddock.service',
    ]);
    expect(planProblems(plan)).toEqual([]);
    // Before an undo the programs are not looked at; before applying, they must be root's own.
    expect(servicePlanProblems(plan, false)).toEqual([]);
    expect(servicePlanProblems(plan, true).join()).toMatch(
      /would run \/usr\/local\/lib\/paddock\/bin\/paddock\.cjs as root/,
    );
    const kept = install({ config: defaultServiceConfig(false) });
    expect(
      kept.steps.some((s) => s.kind === 'write-file' && s.path === '/etc/paddock/paddock.json'),
    ).toBe(false);
    // No textfile configured: nothing but the state is writable.
    const unit = kept.steps.find((s) => s.kind === 'write-file')!;
    expect(unit.kind === 'write-file' && unit.content).not.toMatch(/ReadWritePaths/);
  });

  it('changes nothing when the unit exists or the configuration is unusable', () => {
    expect(planServiceInstall({ ...FACTS, unit: '[Unit]\n' })).toMatchObject({
      error: expect.stringMatching(/already exists.*Nothing was changed/),
    });
    expect(planServiceInstall({ ...FACTS, config: '{"version":2}' })).toMatchObject({
      error: expect.stringMatching(/paddock\.json: version/),
    });
  });
});

describe('the uninstall plan', () => {
  // Programs that exist and are root's: an undo puts this unit back and starts it.
  const unit = serviceUnitText({ node: NODE, launcher: NODE, textfileDir: null });
  const facts = {
    unit,
    state: [
      { path: '/var/lib/paddock/service/history.jsonl', text: '{"v":1}\n' },
      { path: '/var/lib/paddock/service/status.json', text: '{}\n' },
    ],
    config: defaultServiceConfig(true),
    textfile: { path: '/var/lib/prometheus/node-exporter/paddock.prom' },
    configDirEntries: ['paddock.json'],
    keepConfig: false,
    basedOn: '2026-12-06T10:00:00.000Z',
  };

  it('stops, removes what install and the service wrote, and empties the folders it made', () => {
    const plan = planServiceUninstall(facts);
    if ('error' in plan) throw new Error(plan.error);
    expect(
      plan.steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : `${s.kind} ${s.path}`)),
    ).toEqual([
      'systemctl disable --now -- paddock.service',
      'remove-file /var/lib/paddock/service/history.jsonl',
      'remove-file /var/lib/paddock/service/status.json',
      'rmdir -- /var/lib/paddock/service',
      `${NODE} ${NODE} service __remove-textfile /var/lib/prometheus/node-exporter/paddock.prom`,
      'remove-file /etc/paddock/paddock.json',
      'rmdir -- /etc/paddock',
      `remove-file ${SERVICE_UNIT_PATH}`,
      'systemctl daemon-reload',
    ]);
    expect(servicePlanProblems(plan, false)).toEqual([]);
    // Another file in /etc/paddock (a share's, the webhook URLs): the folder stays.
    const shared = planServiceUninstall({ ...facts, configDirEntries: ['paddock.json', 'share'] });
    expect(JSON.stringify(shared)).not.toMatch(/rmdir -- \/etc\/paddock"/);
    const kept = planServiceUninstall({ ...facts, keepConfig: true });
    expect(JSON.stringify(kept)).not.toMatch(/remove-file","path":"\/etc\/paddock\/paddock.json/);
  });

  it('leaves a unit it did not write alone', () => {
    expect(
      planServiceUninstall({ ...facts, unit: `${unit}ExecStartPre=/bin/true\n` }),
    ).toMatchObject({
      error: expect.stringMatching(/not the unit Paddock writes/),
    });
    expect(planServiceUninstall({ ...facts, unit: null })).toMatchObject({
      error: expect.stringMatching(/not installed/),
    });
  });
});

describe("root's rules for the service's plans", () => {
  const tamper = (plan: FixPlan, index: number, change: Record<string, unknown>): FixPlan => ({
    ...plan,
    steps: plan.steps.map((s, i) => (i === index ? ({ ...s, ...change } as typeof s) : s)),
  });

  it('refuses a unit that runs a program another user could change, or any other file or command', () => {
    const plan = install();
    const unitStep = plan.steps[2]!;
    const content = unitStep.kind === 'write-file' ? unitStep.content : '';
    expect(
      servicePlanProblems(
        tamper(plan, 2, { content: content.replace(NODE, '/tmp/node') }),
        true,
      ).join(),
    ).toMatch(/would run \/tmp\/node as root|not the unit/);
    expect(
      servicePlanProblems(
        tamper(plan, 2, { path: '/etc/systemd/system/sshd.service' }),
        true,
      ).join(),
    ).toMatch(/not a file of Paddock's service/);
    expect(servicePlanProblems(tamper(plan, 2, { mode: 0o666 }), true).join()).toMatch(/mode 666/);
    expect(servicePlanProblems(tamper(plan, 4, { undo: null }), true).join()).toMatch(
      /enable without disable/,
    );
    expect(
      servicePlanProblems(
        tamper(plan, 4, { argv: ['systemctl', 'enable', '--now', '--', 'ssh.service'] }),
        true,
      ).join(),
    ).toMatch(/not a command of Paddock's service plans/);
    expect(
      servicePlanProblems(
        tamper(plan, 0, {
          argv: ['rmdir', '--', '/etc'],
          undo: ['install', '-d', '-m', '0755', '--', '/etc'],
        }),
        true,
      ).join(),
    ).toMatch(/not Paddock's service folder/);
    expect(
      servicePlanProblems(
        tamper(plan, 1, { kind: 'remove-file', path: '/etc/shadow', before: 'x' }),
        false,
      ).join(),
    ).toMatch(/not a file of Paddock's service/);
    expect(
      servicePlanProblems(
        tamper(plan, 1, {
          kind: 'remove-file',
          path: '/var/lib/paddock/service/../../../etc/shadow',
          before: 'x',
        }),
        false,
      ).join(),
    ).toMatch(/not a file of Paddock's service/);
  });

  it('lets the textfile be removed only by the program the unit runs, and state files by their names', () => {
    const plan = planServiceUninstall({
      unit: serviceUnitText({ node: NODE, launcher: NODE, textfileDir: null }),
      state: [{ path: '/var/lib/paddock/service/.status.json.tmp-4242-a1b2c3d4e5f6', text: '{' }],
      config: null,
      textfile: { path: '/var/lib/prometheus/node-exporter/paddock.prom' },
      configDirEntries: null,
      keepConfig: false,
      basedOn: '2026-12-06T10:00:00.000Z',
    });
    if ('error' in plan) throw new Error(plan.error);
    // What a crash in the middle of an atomic write leaves is the service's own.
    expect(servicePlanProblems(plan, true)).toEqual([]);
    const at = plan.steps.findIndex((s) => s.kind === 'run' && s.argv[3] === '__remove-textfile');
    const step = plan.steps[at]!;
    if (step.kind !== 'run') throw new Error('not a run');
    expect(
      servicePlanProblems(
        tamper(plan, at, { argv: ['/tmp/evil', ...step.argv.slice(1)] }),
        false,
      ).join(),
    ).toMatch(/only by the program the unit runs/);
    expect(
      servicePlanProblems(
        tamper(plan, at, { argv: [...step.argv.slice(0, 4), '/etc/shadow'] }),
        false,
      ).join(),
    ).toMatch(/not a textfile/);
  });

  it("checks, before an undo puts the unit back and starts it, that it runs only root's own programs", () => {
    const plan = planServiceUninstall({
      unit: serviceUnitText({ node: '/tmp/node', launcher: NODE, textfileDir: null }),
      state: null,
      config: null,
      textfile: null,
      configDirEntries: null,
      keepConfig: false,
      basedOn: '2026-12-06T10:00:00.000Z',
    });
    if ('error' in plan) throw new Error(plan.error);
    expect(servicePlanProblems(plan, false).join()).toMatch(/would run \/tmp\/node as root/);
  });

  it("keeps a server's fix away from the service's files", () => {
    const plan = install();
    const asFix: FixPlan = { ...plan, fixId: 'rebind-systemd', instance: 'ollama:pid:1' };
    expect(privilegedPlanProblems(asFix, null).join()).toMatch(/only `paddock service` changes it/);
  });
});
