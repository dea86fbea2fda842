/**
 * Issue 13, fix "rebind-server": a server of another kind made to listen on loopback where its
 * address is written (an ExecStart= flag, an Environment= variable, a KoboldCpp .kcpps), each
 * edit proved by parsing again; the privileged allowlist lets root write exactly those changes
 * and refuses anything more; a desktop app gets the steps inside the app.
 */
import { describe, expect, it } from 'vitest';
import type { PrivilegedContext } from '../../../electron/engine/fixes/allowlist';
import { privilegedPlanProblems } from '../../../electron/engine/fixes/allowlist';
import {
  editExecStartHost,
  editKcppsHost,
  execHostOnlyChange,
} from '../../../electron/engine/fixes/bind-edits';
import { isManual, planFix } from '../../../electron/engine/fixes/recipes';
import type { RecipeIO } from '../../../electron/engine/fixes/recipes';
import type { FixPlan } from '../../../shared/fixes';
import type { Instance, OllamaProcess, Setting, Snapshot } from '../../../shared/snapshot';
import { buildSnapshot, lanPaths } from '../../rules/snapshots';

const UNIT = '/etc/systemd/system/llama.service';
const LLAMA_UNIT = `[Unit]\nDescription=llama.cpp server\n\n[Service]\nExecStart=/usr/local/bin/llama-server -m /srv/m.gguf --host 0.0.0.0 --port 8080\nRestart=always\n`;

function proc(argv: string[], unit: string | null): OllamaProcess {
  return {
    pid: 300,
    ppid: 1,
    role: 'server',
    argv,
    executable: argv[0]!,
    executableStatus: 'ok',
    uid: 0,
    user: 'root',
    startedAt: null,
    systemdUnit: unit,
    sameNetns: true,
  };
}

function s(
  name: string,
  value: string,
  kind: Setting['source']['kind'],
  path: string,
  line: number | null,
): Setting {
  return { name, value, source: { kind, path, line }, state: 'effective', reason: '(fixture)' };
}

function snapshotWith(
  kind: Exclude<Instance['kind'], 'ollama'>,
  port: number,
  process: OllamaProcess | null,
  settings: Setting[],
): Snapshot {
  const snap = buildSnapshot({
    instances: [
      { kind, pid: 300, auth: 'none', listeners: [{ address: '0.0.0.0', port, via: lanPaths() }] },
    ],
  });
  snap.instances[0]!.process = process;
  snap.instances[0]!.settings = settings;
  return snap;
}

const io = (files: Record<string, string>): RecipeIO => ({
  readFile: (p) => files[p] ?? null,
  fileMode: () => 0o644,
});
const context = (extra: Partial<PrivilegedContext> = {}): PrivilegedContext => ({
  units: new Set(['llama.service', 'koboldcpp.service', 'vllm.service']),
  envFiles: new Set(),
  hostVars: new Map([['llama.service', new Set(['LLAMA_ARG_HOST'])]]),
  ...extra,
});

function written(plan: FixPlan): { path: string; before: string | null; content: string } {
  const step = plan.steps.find((x) => x.kind === 'write-file');
  if (!step || step.kind !== 'write-file') throw new Error('no write step');
  return step;
}

describe('execHostOnlyChange', () => {
  const cmd = ['/usr/local/bin/llama-server', '-m', 'm', '--host', '0.0.0.0', '--port', '8080'];
  it.each([
    [
      'the host value to 127.0.0.1',
      ['/usr/local/bin/llama-server', '-m', 'm', '--host', '127.0.0.1', '--port', '8080'],
      true,
    ],
    [
      'the host value to ::1',
      ['/usr/local/bin/llama-server', '-m', 'm', '--host', '::1', '--port', '8080'],
      true,
    ],
    [
      'the host value to another LAN address',
      ['/usr/local/bin/llama-server', '-m', 'm', '--host', '10.0.0.1', '--port', '8080'],
      false,
    ],
    [
      'the host value to localhost (a name)',
      ['/usr/local/bin/llama-server', '-m', 'm', '--host', 'localhost', '--port', '8080'],
      false,
    ],
    ['the program', ['/tmp/x', '-m', 'm', '--host', '127.0.0.1', '--port', '8080'], false],
    [
      'the port too',
      ['/usr/local/bin/llama-server', '-m', 'm', '--host', '127.0.0.1', '--port', '9'],
      false,
    ],
    [
      'the model instead',
      ['/usr/local/bin/llama-server', '-m', 'x', '--host', '0.0.0.0', '--port', '8080'],
      false,
    ],
    ['--tools appended', [...cmd, '--tools', 'all'], false],
    ['nothing', cmd, false],
  ])('%s: %s', (_what, after, ok) => {
    expect(execHostOnlyChange(cmd, after)).toBe(ok);
  });
  it('appending --host 127.0.0.1 to a command without one; not when it has one', () => {
    const vllm = ['/usr/bin/vllm', 'serve', 'm'];
    expect(execHostOnlyChange(vllm, [...vllm, '--host', '127.0.0.1'])).toBe(true);
    expect(execHostOnlyChange(vllm, [...vllm, '--host', '0.0.0.0'])).toBe(false);
    expect(execHostOnlyChange(cmd, [...cmd, '--host', '127.0.0.1'])).toBe(false);
  });
  it('--address HOST:PORT keeps its port (§5 LocalAI)', () => {
    const la = ['/usr/bin/local-ai', 'run', '--address', '0.0.0.0:8080'];
    expect(
      execHostOnlyChange(la, ['/usr/bin/local-ai', 'run', '--address', '127.0.0.1:8080']),
    ).toBe(true);
    expect(execHostOnlyChange(la, ['/usr/bin/local-ai', 'run', '--address', '127.0.0.1:9'])).toBe(
      false,
    );
  });
});

describe('editExecStartHost', () => {
  it('changes the one value and every other byte stays', () => {
    const edit = editExecStartHost(LLAMA_UNIT, 5, 'llama.service', ['--host'], '127.0.0.1');
    expect(edit).toMatchObject({ ok: true, oldValue: '0.0.0.0' });
    if (edit.ok)
      expect(edit.content).toBe(LLAMA_UNIT.replace('--host 0.0.0.0', '--host 127.0.0.1'));
  });
  it('--host=VALUE too', () => {
    const text = '[Service]\nExecStart=/usr/local/bin/llama-server --host=0.0.0.0\n';
    const edit = editExecStartHost(text, 2, 'llama.service', ['--host'], '127.0.0.1');
    expect(edit.ok && edit.content).toBe(
      '[Service]\nExecStart=/usr/local/bin/llama-server --host=127.0.0.1\n',
    );
  });
  it.each([
    ['quoted', '[Service]\nExecStart=/bin/sh -c "llama-server --host 0.0.0.0"\n', /quotes/],
    [
      'continued',
      '[Service]\nExecStart=/usr/local/bin/llama-server \\\n  --host 0.0.0.0\n',
      /continued/,
    ],
    ['a variable', '[Service]\nExecStart=/usr/local/bin/llama-server --host $HOST\n', /variables/],
    [
      'no host and nothing to append',
      '[Service]\nExecStart=/usr/local/bin/llama-server -m m\n',
      /sets no listen address/,
    ],
    ['not an ExecStart line', '[Service]\nEnvironment=A=1\n', /not an ExecStart/],
  ])('refuses a line that is %s', (_what, text, why) => {
    const edit = editExecStartHost(text, 2, 'x.service', ['--host'], '127.0.0.1');
    expect(edit.ok).toBe(false);
    if (!edit.ok) expect(edit.reason).toMatch(why);
  });
});

describe('editKcppsHost', () => {
  it('sets "host" and keeps every other byte', () => {
    const text = '{"model": "m.gguf", "host": "", "port": 5001, "remotetunnel": false}';
    const edit = editKcppsHost(text, '127.0.0.1');
    expect(edit.ok && edit.content).toBe(
      '{"model": "m.gguf", "host": "127.0.0.1", "port": 5001, "remotetunnel": false}',
    );
  });
  it('refuses a file without one "host"', () => {
    expect(editKcppsHost('{"port": 5001}', '127.0.0.1').ok).toBe(false);
    expect(editKcppsHost('{"host": "", "x": {"host": "a"}}', '127.0.0.1').ok).toBe(false);
  });
});

describe('planRebindServer', () => {
  const argv = [
    '/usr/local/bin/llama-server',
    '-m',
    '/srv/m.gguf',
    '--host',
    '0.0.0.0',
    '--port',
    '8080',
  ];

  it('§3 llama-server under systemd: edits the ExecStart= host, reloads, restarts, verifies loopback; root may run it', () => {
    const snap = snapshotWith('llamacpp', 8080, proc(argv, 'llama.service'), [
      s('--host', '0.0.0.0', 'process', 'pid 300 arguments', null),
      s('ExecStart', argv[0]!, 'systemd-unit', UNIT, 5),
      s('--host', '0.0.0.0', 'systemd-unit', UNIT, 5),
    ]);
    const plan = planFix('rebind-server', snap, 'llamacpp:port:8080', io({ [UNIT]: LLAMA_UNIT }));
    if (isManual(plan)) throw new Error(plan.reason);
    expect(written(plan)).toMatchObject({
      path: UNIT,
      before: LLAMA_UNIT,
      content: LLAMA_UNIT.replace('--host 0.0.0.0', '--host 127.0.0.1'),
    });
    expect(
      plan.steps.filter((x) => x.kind === 'run').map((x) => x.kind === 'run' && x.argv.join(' ')),
    ).toEqual([
      'systemctl cat -- llama.service',
      'systemctl daemon-reload',
      'systemctl daemon-reload',
      'systemctl try-restart -- llama.service',
    ]);
    expect(plan.verification).toMatchObject({
      kind: 'instance-loopback-only',
      instance: 'llamacpp:port:8080',
      port: 8080,
    });
    expect(privilegedPlanProblems(plan, context())).toEqual([]);
    // Not a unit of a server root's scan found: refused.
    expect(privilegedPlanProblems(plan, context({ units: new Set() })).join(' ')).toMatch(
      /not a server Paddock found/,
    );
  });

  it('§4 vLLM listening everywhere by default: --host 127.0.0.1 appended to ExecStart=', () => {
    const path = '/etc/systemd/system/vllm.service';
    const text = '[Service]\nExecStart=/opt/venv/bin/vllm serve Qwen/Qwen2.5-0.5B --port 8000\n';
    const snap = snapshotWith(
      'vllm',
      8000,
      proc(['/opt/venv/bin/vllm', 'serve', 'Qwen/Qwen2.5-0.5B', '--port', '8000'], 'vllm.service'),
      [s('ExecStart', '/opt/venv/bin/vllm', 'systemd-unit', path, 2)],
    );
    const plan = planFix('rebind-server', snap, 'vllm:port:8000', io({ [path]: text }));
    if (isManual(plan)) throw new Error(plan.reason);
    expect(written(plan).content).toBe(
      '[Service]\nExecStart=/opt/venv/bin/vllm serve Qwen/Qwen2.5-0.5B --port 8000 --host 127.0.0.1\n',
    );
    expect(privilegedPlanProblems(plan, context())).toEqual([]);
  });

  it('§3 LLAMA_ARG_HOST in Environment=: that assignment becomes 127.0.0.1', () => {
    const text =
      '[Service]\nExecStart=/usr/local/bin/llama-server -m /srv/m.gguf\nEnvironment=LLAMA_ARG_HOST=0.0.0.0\n';
    const snap = snapshotWith(
      'llamacpp',
      8080,
      proc(['/usr/local/bin/llama-server', '-m', '/srv/m.gguf'], 'llama.service'),
      [
        s('LLAMA_ARG_HOST', '0.0.0.0', 'process', 'pid 300 environment', null),
        s('LLAMA_ARG_HOST', '0.0.0.0', 'systemd-unit', UNIT, 3),
      ],
    );
    const plan = planFix('rebind-server', snap, 'llamacpp:port:8080', io({ [UNIT]: text }));
    if (isManual(plan)) throw new Error(plan.reason);
    expect(written(plan).content).toBe(
      text.replace('LLAMA_ARG_HOST=0.0.0.0', 'LLAMA_ARG_HOST=127.0.0.1'),
    );
    expect(privilegedPlanProblems(plan, context())).toEqual([]);
  });

  it('§8 KoboldCpp started with --config: the .kcpps "host" becomes 127.0.0.1; the file must be one root saw it started with', () => {
    const kcpps = '/etc/koboldcpp/server.kcpps';
    const text = '{\n  "model": "m.gguf",\n  "host": "",\n  "port": 5001\n}\n';
    const snap = snapshotWith(
      'koboldcpp',
      5001,
      proc(['/usr/local/bin/koboldcpp', '--config', kcpps], 'koboldcpp.service'),
      [s('host', '', 'config-file', kcpps, 3)],
    );
    const plan = planFix('rebind-server', snap, 'koboldcpp:port:5001', io({ [kcpps]: text }));
    if (isManual(plan)) throw new Error(plan.reason);
    expect(written(plan).content).toBe(text.replace('"host": ""', '"host": "127.0.0.1"'));
    expect(privilegedPlanProblems(plan, context({ configFiles: new Set([kcpps]) }))).toEqual([]);
    expect(privilegedPlanProblems(plan, context()).join(' ')).toMatch(
      /not a settings file a server Paddock found/,
    );
  });

  it('§2 the LM Studio app: the steps inside the app, no plan', () => {
    const snap = snapshotWith('lmstudio', 1234, proc(['/opt/LM Studio/lm-studio'], null), []);
    const plan = planFix('rebind-server', snap, 'lmstudio:port:1234', io({}));
    expect(isManual(plan)).toBe(true);
    if (isManual(plan)) {
      expect(plan.reason).toMatch(/Server Settings" and turn off "Serve on Local Network"/);
      expect(plan.commands).toEqual([]);
    }
  });

  it('§2 llmster started by hand: its own stop and start, not a flag it does not take', () => {
    const snap = snapshotWith('lmstudio', 1234, proc(['/home/me/.lmstudio/bin/llmster'], null), []);
    const plan = planFix('rebind-server', snap, 'lmstudio:port:1234', io({}));
    if (!isManual(plan)) throw new Error('expected instructions');
    expect(plan.commands).toEqual([
      ['lms', 'server', 'stop'],
      ['lms', 'server', 'start'],
    ]);
  });

  it('a unit that already says 127.0.0.1 while the server runs from before: restart it, nothing to write', () => {
    const snap = snapshotWith('llamacpp', 8080, proc(argv, 'llama.service'), [
      s('--host', '0.0.0.0', 'process', 'pid 300 arguments', null),
      { ...s('--host', '127.0.0.1', 'systemd-unit', UNIT, 5), state: 'latent' },
    ]);
    const plan = planFix('rebind-server', snap, 'llamacpp:port:8080', io({ [UNIT]: LLAMA_UNIT }));
    if (!isManual(plan)) throw new Error('expected instructions');
    expect(plan.reason).toMatch(/already sets --host 127\.0\.0\.1.*Restart llama\.service/);
    expect(plan.commands).toEqual([['systemctl', 'restart', 'llama.service']]);
  });

  it('a server started by hand: the command line to start it with instead', () => {
    const snap = snapshotWith('llamacpp', 8080, proc(argv, null), [
      s('--host', '0.0.0.0', 'process', 'pid 300 arguments', null),
    ]);
    const plan = planFix('rebind-server', snap, 'llamacpp:port:8080', io({}));
    if (!isManual(plan)) throw new Error('expected instructions');
    expect(plan.reason).toMatch(/not started by a systemd service/);
    expect(plan.commands).toEqual([
      ['/usr/local/bin/llama-server', '-m', '/srv/m.gguf', '--host', '127.0.0.1', '--port', '8080'],
    ]);
  });
});

/** A plan of one file edit, as root would be asked to run it. */
const plan = (before: string, after: string, path = UNIT): FixPlan => ({
  fixId: 'rebind-server',
  findingId: null,
  instance: 'llamacpp:port:8080',
  title: 't',
  summary: 's',
  warnings: [],
  requiresAdmin: true,
  steps: [{ kind: 'write-file', path, before, content: after, mode: 0o644, description: '' }],
  verification: {
    kind: 'instance-loopback-only',
    instance: 'llamacpp:port:8080',
    port: 8080,
    setting: null,
    description: '',
  },
  basedOn: '2026-12-06T00:00:00.000Z',
});

describe('the allowlist refuses what a narrowing does not need', () => {
  it.each([
    ['another program', LLAMA_UNIT.replace('/usr/local/bin/llama-server', '/tmp/evil')],
    ['--tools added', LLAMA_UNIT.replace('--port 8080', '--port 8080 --tools all')],
    ['a wider host', LLAMA_UNIT.replace('--host 0.0.0.0', '--host 10.0.0.5')],
    ['a second ExecStart=', LLAMA_UNIT.replace('Restart=always', 'ExecStart=/tmp/evil')],
    ['ExecStartPre=', LLAMA_UNIT.replace('Restart=always', 'ExecStartPre=/tmp/evil')],
    [
      'LLAMA_ARG_HOST to every interface',
      LLAMA_UNIT.replace('Restart=always', 'Environment=LLAMA_ARG_HOST=0.0.0.0'),
    ],
    ['another variable', LLAMA_UNIT.replace('Restart=always', 'Environment=LD_PRELOAD=/tmp/x.so')],
  ])('%s', (_what, after) => {
    expect(privilegedPlanProblems(plan(LLAMA_UNIT, after), context())).not.toEqual([]);
  });
  it('a .kcpps change beyond "host" or to a wider host', () => {
    const kcpps = '/etc/koboldcpp/server.kcpps';
    const ctx = context({ configFiles: new Set([kcpps]) });
    const text = '{"host": "", "port": 5001}';
    expect(
      privilegedPlanProblems(
        plan(text, '{"host": "127.0.0.1", "port": 5001, "onready": "sh"}', kcpps),
        ctx,
      ),
    ).not.toEqual([]);
    expect(
      privilegedPlanProblems(plan(text, '{"host": "0.0.0.0", "port": 5001}', kcpps), ctx),
    ).not.toEqual([]);
    expect(
      privilegedPlanProblems(plan(text, '{"host": "127.0.0.1", "port": 5001}', kcpps), ctx),
    ).toEqual([]);
  });
});

describe('security review of issue 13: each finding, refused or hidden', () => {
  it('F3: an ExecStart= with an escape Paddock does not read as systemd does cannot ride along', () => {
    const added = LLAMA_UNIT.replace(
      'Restart=always',
      'ExecStart=/bin/sh -c "id > /root/pwned" \\q\nRestart=always',
    );
    expect(privilegedPlanProblems(plan(LLAMA_UNIT, added), context()).join(' ')).toMatch(
      /not one Paddock reads the way systemd does/,
    );
    const odd = '[Service]\nExecStart=/usr/local/bin/llama-server --host 0.0.0.0 -r "User\\:"\n';
    const swapped = '[Service]\nExecStart=/bin/sh -c "id > /root/pwned" \\:\n';
    expect(privilegedPlanProblems(plan(odd, swapped), context())).not.toEqual([]);
  });

  it('F4: a listen-address variable cannot be removed (LocalAI would widen to every interface), nor be another kind’s', () => {
    const before =
      '[Service]\nEnvironment=LOCALAI_ADDRESS=127.0.0.1:8080\nExecStart=/usr/bin/local-ai run\n';
    const after = '[Service]\nExecStart=/usr/bin/local-ai run\n';
    const ctx = context({ hostVars: new Map([['llama.service', new Set(['LOCALAI_ADDRESS'])]]) });
    expect(privilegedPlanProblems(plan(before, after), ctx).join(' ')).toMatch(/added or removed/);
    // HOST is LiteLLM's variable; llama.service runs llama-server, whose variable it is not.
    const generic = '[Service]\nEnvironment=HOST=0.0.0.0\nExecStart=/usr/local/bin/llama-server\n';
    expect(
      privilegedPlanProblems(
        plan(generic, generic.replace('HOST=0.0.0.0', 'HOST=127.0.0.1')),
        context(),
      ),
    ).not.toEqual([]);
  });

  it('a .kcpps number written another way is not "only the host"', () => {
    const kcpps = '/etc/koboldcpp/server.kcpps';
    const ctx = context({ configFiles: new Set([kcpps]) });
    const text = '{"host": "", "port": 5001}';
    expect(
      privilegedPlanProblems(plan(text, '{"host": "127.0.0.1", "port": 5001.0}', kcpps), ctx),
    ).not.toEqual([]);
  });

  it('F2: as root, a settings file under a folder another user controls is not even read', () => {
    const kcpps = '/tmp/eve/k.kcpps';
    const snap = snapshotWith(
      'koboldcpp',
      5001,
      proc(['/usr/local/bin/koboldcpp', '--config', kcpps], 'kobold.service'),
      [s('host', '', 'config-file', kcpps, 1)],
    );
    const reads: string[] = [];
    const plan = planFix('rebind-server', snap, 'koboldcpp:port:5001', {
      readFile: (p) => {
        reads.push(p);
        return '{"host": "db-42.corp.internal/SECRETPART"}';
      },
      rootWriteProblem: (p) => (p.startsWith('/tmp/eve') ? '/tmp/eve is writable by eve' : null),
    });
    expect(isManual(plan)).toBe(true);
    expect(reads).toEqual([]);
    expect(JSON.stringify(plan)).not.toContain('SECRETPART');
  });
});

describe('share-vpn for other kinds: root narrows only to a VPN address its own scan found', () => {
  const after = LLAMA_UNIT.replace('--host 0.0.0.0', '--host 100.101.1.2');
  it('accepted with that VPN address in root’s context, refused without it or for another', () => {
    expect(
      privilegedPlanProblems(
        plan(LLAMA_UNIT, after),
        context({ vpnAddresses: new Set(['100.101.1.2']) }),
      ),
    ).toEqual([]);
    expect(privilegedPlanProblems(plan(LLAMA_UNIT, after), context())).not.toEqual([]);
    expect(
      privilegedPlanProblems(
        plan(LLAMA_UNIT, LLAMA_UNIT.replace('--host 0.0.0.0', '--host 192.168.1.20')),
        context({ vpnAddresses: new Set(['100.101.1.2']) }),
      ),
    ).not.toEqual([]);
  });
});
