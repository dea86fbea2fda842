/**
 * The plan of fix "rebind-systemd", from snapshots whose settings evidence comes from the real
 * settings probe run on a fake file system, so the recipe reads what a scan really records.
 */
import { describe, expect, it } from 'vitest';
import { planProblems } from '../../../electron/engine/fixes/executor';
import { revertOrder } from '../../../electron/engine/fixes/preview';
import {
  compareFileNames,
  dropinDirNames,
  dropinNameAfter,
  planRebindSystemd,
} from '../../../electron/engine/fixes/recipes/rebind-systemd';
import { probeSettings } from '../../../electron/engine/probes/linux/settings';
import type { FixPlan, FixStep, ManualFix } from '../../../shared/fixes';
import { fixPlanSchema, manualFixSchema } from '../../../shared/fixes';
import type { Snapshot } from '../../../shared/snapshot';
import { buildSnapshot, lanPaths } from '../../rules/snapshots';
import { createFakeHost } from '../../support/fake-host';

const UNIT_FILE = `[Unit]
Description=Ollama Service

[Service]
ExecStart=/usr/local/bin/ollama serve
User=ollama
Group=ollama
Restart=always
Environment="PATH=/usr/local/bin:/usr/bin:/bin"
`;
const OVERRIDE = `[Service]\nEnvironment="OLLAMA_HOST=0.0.0.0:11434"\n`;
const ETC = '/etc/systemd/system';

interface Machine {
  /** The unit the server runs in (its cgroup); null: not a service. */
  unit?: string | null;
  files?: Record<string, string>;
  fileErrors?: Record<string, string>;
  /** The server's own OLLAMA_HOST (its /proc/42/environ). */
  serverHost?: string;
  /** Default files left out. */
  without?: string[];
}

/** A scan of one Ollama server on 0.0.0.0, with the settings probe run on `files`. */
async function scanOf(machine: Machine = {}): Promise<Snapshot> {
  const unit = machine.unit === undefined ? 'ollama.service' : machine.unit;
  const snapshot = buildSnapshot({
    instances: [{ listeners: [{ address: '::', dualStack: true, via: lanPaths() }] }],
  });
  const instance = snapshot.instances[0]!;
  instance.process!.systemdUnit = unit;
  const files: Record<string, string> = {
    [`${ETC}/ollama.service`]: UNIT_FILE,
    [`${ETC}/ollama.service.d/override.conf`]: OVERRIDE,
    '/proc/42/environ': `PATH=/usr/bin\0OLLAMA_HOST=${machine.serverHost ?? '0.0.0.0:11434'}\0`,
    ...machine.files,
  };
  for (const path of machine.without ?? []) delete files[path];
  const probe = await probeSettings(
    createFakeHost({ files, fileErrors: machine.fileErrors }),
    { process: instance.process },
    { homes: [] },
  );
  instance.settings = probe.data.settings;
  snapshot.probes.settings = {
    ...snapshot.probes.settings,
    data: { [instance.id]: probe.data },
    evidence: probe.evidence,
  };
  return snapshot;
}

function plan(snapshot: Snapshot): FixPlan {
  const result = planRebindSystemd(snapshot, snapshot.instances[0]!.id);
  if (!('steps' in result)) throw new Error(`expected a plan, got: ${result.reason}`);
  expect(fixPlanSchema.parse(result)).toEqual(result);
  expect(planProblems(result)).toEqual([]);
  return result;
}

function manual(snapshot: Snapshot): ManualFix {
  const result = planRebindSystemd(snapshot, snapshot.instances[0]!.id);
  if ('steps' in result) throw new Error('expected a manual fix, got a plan');
  expect(manualFixSchema.parse(result)).toEqual(result);
  return result;
}

function written(p: FixPlan): Extract<FixStep, { kind: 'write-file' }> {
  const writes = p.steps.filter((s) => s.kind === 'write-file');
  expect(writes).toHaveLength(1);
  return writes[0] as Extract<FixStep, { kind: 'write-file' }>;
}

/** What an undo does, in the executor's order. */
function undoActions(p: FixPlan): string[] {
  return revertOrder(p.steps.map((_, i) => i)).flatMap((i) => {
    const step = p.steps[i]!;
    if (step.kind === 'run') return step.undo ? [step.undo.join(' ')] : [];
    return [
      `${step.kind === 'write-file' && step.before === null ? 'remove' : 'restore'} ${step.path}`,
    ];
  });
}

describe('planRebindSystemd: the drop-in', () => {
  it('a drop-in that comes after override.conf: zz-paddock-loopback.conf, with the user port kept', async () => {
    const p = plan(await scanOf());
    const step = written(p);
    expect(step.path).toBe(`${ETC}/ollama.service.d/zz-paddock-loopback.conf`);
    expect(step.before).toBeNull();
    expect(step.mode).toBe(0o644);
    expect(step.content).toMatch(/^# Written by Paddock/);
    expect(step.content).toContain('paddock undo <run>');
    expect(step.content).toContain('delete');
    expect(step.content.split('\n').slice(-3)).toEqual([
      '[Service]',
      'Environment="OLLAMA_HOST=127.0.0.1:11434"',
      '',
    ]);
    expect(p.requiresAdmin).toBe(true);
    expect(p.fixId).toBe('rebind-systemd');
    expect(p.verification).toMatchObject({
      kind: 'instance-loopback-only',
      instance: 'ollama:pid:42',
      port: 11434,
    });
    expect(p.basedOn).toBe('2026-11-28T12:00:00.000Z');
  });

  it('keeps a port that is not the default: 0.0.0.0:11500 becomes 127.0.0.1:11500', async () => {
    const p = plan(
      await scanOf({
        serverHost: '0.0.0.0:11500',
        files: {
          [`${ETC}/ollama.service.d/override.conf`]:
            '[Service]\nEnvironment="OLLAMA_HOST=0.0.0.0:11500"\n',
        },
      }),
    );
    expect(written(p).content).toContain('Environment="OLLAMA_HOST=127.0.0.1:11500"\n');
    expect(p.verification.port).toBe(11500);
    expect(p.summary).toContain('127.0.0.1:11500');
  });

  it('reads the port as Ollama does: http://0.0.0.0 means port 80', async () => {
    const p = plan(await scanOf({ serverHost: 'http://0.0.0.0' }));
    expect(written(p).content).toContain('OLLAMA_HOST=127.0.0.1:80"');
  });

  it('sorts after a zzz.conf drop-in: zzzz-paddock-loopback.conf', async () => {
    const p = plan(
      await scanOf({ files: { [`${ETC}/ollama.service.d/zzz.conf`]: '[Service]\n' } }),
    );
    expect(written(p).path).toBe(`${ETC}/ollama.service.d/zzzz-paddock-loopback.conf`);
  });

  it('counts drop-ins of every unit directory and every drop-in folder that applies', async () => {
    const p = plan(
      await scanOf({
        files: {
          '/usr/lib/systemd/system/ollama.service.d/zzzzz.conf': '[Service]\n',
          [`${ETC}/service.d/zzzzzz-all.conf`]: '[Service]\n',
          // Another unit's drop-ins do not apply, and a file that is not .conf is not one.
          [`${ETC}/other.service.d/zzzzzzzzzz.conf`]: '[Service]\n',
          [`${ETC}/ollama.service.d/zzzzzzzzz.conf.disabled`]: '[Service]\n',
        },
      }),
    );
    expect(written(p).path).toBe(`${ETC}/ollama.service.d/zzzzzz-paddock-loopback.conf`);
  });

  it('counts the template drop-ins of an instance unit (ollama@gpu.service)', async () => {
    const p = plan(
      await scanOf({
        unit: 'ollama@gpu.service',
        files: {
          [`${ETC}/ollama@.service`]: UNIT_FILE,
          [`${ETC}/ollama@.service.d/zzz.conf`]: OVERRIDE,
        },
      }),
    );
    expect(written(p).path).toBe(`${ETC}/ollama@gpu.service.d/zzzz-paddock-loopback.conf`);
    expect(written(p).description).toContain('and its folder');
  });

  it('when the drop-in folder does not exist yet, the write makes it (the executor removes it on undo)', async () => {
    const p = plan(await scanOf({ without: [`${ETC}/ollama.service.d/override.conf`] }));
    expect(written(p).path).toBe(`${ETC}/ollama.service.d/zz-paddock-loopback.conf`);
    expect(written(p).description).toContain('and its folder');
  });

  it('has systemd reload and restart after the write, and undo removes, reloads, then restarts', async () => {
    const p = plan(await scanOf());
    const order = p.steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : `write ${s.path}`));
    expect(order).toEqual([
      'systemctl cat -- ollama.service',
      'systemctl daemon-reload',
      `write ${ETC}/ollama.service.d/zz-paddock-loopback.conf`,
      'systemctl daemon-reload',
      'systemctl try-restart -- ollama.service',
    ]);
    expect(undoActions(p)).toEqual([
      `remove ${ETC}/ollama.service.d/zz-paddock-loopback.conf`,
      'systemctl daemon-reload',
      'systemctl try-restart -- ollama.service',
    ]);
  });

  it('warns that other computers lose access and the restart unloads models', async () => {
    const p = plan(await scanOf());
    expect(p.warnings.join(' ')).toMatch(/other computers/i);
    expect(p.warnings.join(' ')).toMatch(/unloads any model/);
  });
});

describe('planRebindSystemd: refusals, with the commands a person could run', () => {
  it('refuses a server that is not a systemd service, and says how to start it on loopback', async () => {
    const m = manual(await scanOf({ unit: null }));
    expect(m.reason).toMatch(/not started by a systemd service/);
    expect(m.commands).toEqual([['env', 'OLLAMA_HOST=127.0.0.1:11434', 'ollama', 'serve']]);
  });

  it.each([
    'ollama.service; rm -rf /',
    '-H.service',
    '../../etc/passwd.service',
    '$(reboot).service',
    'a b.service',
    'ollama\\x2dx.service',
    'ollama.socket',
    'ollama@a@b.service',
    `${'a'.repeat(300)}.service`,
  ])('refuses the hostile unit name %j, naming it in no command', async (unit) => {
    const m = manual(await scanOf({ unit }));
    expect(m.reason).toMatch(/not a plain "name\.service"/);
    expect(m.commands).toEqual([['systemctl', 'status', '42']]);
  });

  it('refuses when a Paddock drop-in is already there, and says so', async () => {
    const m = manual(
      await scanOf({
        files: {
          [`${ETC}/ollama.service.d/zz-paddock-loopback.conf`]:
            '[Service]\nEnvironment="OLLAMA_HOST=127.0.0.1:11434"\n',
        },
      }),
    );
    expect(m.reason).toContain('A Paddock drop-in is already there');
    expect(m.reason).toContain(`${ETC}/ollama.service.d/zz-paddock-loopback.conf`);
    expect(m.commands[0]).toEqual(['systemctl', 'cat', 'ollama.service']);
  });

  it('refuses when a drop-in folder could not be listed: a later drop-in might hide there', async () => {
    const m = manual(
      await scanOf({ fileErrors: { '/run/systemd/system/ollama.service.d': 'EACCES' } }),
    );
    expect(m.reason).toContain('could not list /run/systemd/system/ollama.service.d');
    expect(m.commands).toEqual([
      ['mkdir', '-p', `${ETC}/ollama.service.d`],
      ['tee', `${ETC}/ollama.service.d/zz-paddock-loopback.conf`],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'restart', 'ollama.service'],
    ]);
    expect(m.reason).toContain('Environment="OLLAMA_HOST=127.0.0.1:11434"');
  });

  it('refuses when the scan never looked at the drop-in folder', async () => {
    const snapshot = await scanOf();
    snapshot.probes.settings.evidence = [];
    expect(manual(snapshot).reason).toContain(`did not look in ${ETC}/ollama.service.d`);
  });

  it('refuses when a drop-in name sorts after any name Paddock would use', async () => {
    const m = manual(
      await scanOf({ files: { [`${ETC}/ollama.service.d/~local.conf`]: '[Service]\n' } }),
    );
    expect(m.reason).toMatch(/sort after any name Paddock would use/);
  });

  it('refuses when OLLAMA_HOST comes from an EnvironmentFile=, which beats every drop-in', async () => {
    const m = manual(
      await scanOf({
        files: {
          [`${ETC}/ollama.service.d/override.conf`]:
            '[Service]\nEnvironmentFile=/etc/default/ollama\n',
          '/etc/default/ollama': 'OLLAMA_HOST=0.0.0.0:11434\n',
        },
      }),
    );
    expect(m.reason).toContain('EnvironmentFile=');
    expect(m.reason).toContain('/etc/default/ollama');
  });

  it('refuses an instance that is not in the snapshot', async () => {
    const result = planRebindSystemd(await scanOf(), 'ollama:pid:999');
    expect('steps' in result).toBe(false);
  });
});

describe('drop-in names', () => {
  it('lists the folders systemd reads for a unit, most specific first', () => {
    expect(dropinDirNames('ollama-gpu-a.service')).toEqual([
      'ollama-gpu-a.service.d',
      'ollama-gpu-.service.d',
      'ollama-.service.d',
      'service.d',
    ]);
    expect(dropinDirNames('ollama@x.service')).toEqual([
      'ollama@x.service.d',
      'ollama@.service.d',
      'service.d',
    ]);
  });

  it('compares names as systemd does (UTF-8 bytes, that is code points), not UTF-16 units', () => {
    expect(compareFileNames('\u{10000}.conf', '\uffff.conf')).toBeGreaterThan(0);
    expect('\u{10000}.conf' < '\uffff.conf').toBe(true); // what JavaScript's < would say
    expect(compareFileNames('zz', 'zz-a')).toBeLessThan(0);
  });

  it('grows the z prefix only as far as needed, and gives up past z', () => {
    expect(dropinNameAfter([])).toBe('zz-paddock-loopback.conf');
    expect(dropinNameAfter(['override.conf', 'zz-a.conf'])).toBe('zz-paddock-loopback.conf');
    expect(dropinNameAfter(['override.conf', 'zz-q.conf'])).toBe('zzz-paddock-loopback.conf');
    expect(dropinNameAfter(['zzz.conf'])).toBe('zzzz-paddock-loopback.conf');
    expect(dropinNameAfter(['{.conf'])).toBeNull();
    expect(dropinNameAfter(['é.conf'])).toBeNull();
  });
});
