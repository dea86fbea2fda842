/**
 * The privileged side's allowlist (defence in depth behind "root makes the plan itself"): every
 * plan the recipes make passes it, and each way the security review found to turn an allowed
 * change into root's code execution or a weaker firewall (shared/docs/security-review.md, F1
 * and F10) is refused with the reason, read the way systemd and a shell read the file.
 */
import { describe, expect, it } from 'vitest';
import type { PrivilegedContext } from '../../../electron/engine/fixes/allowlist';
import {
  privilegedContext,
  privilegedPlanProblems,
} from '../../../electron/engine/fixes/allowlist';
import { buildSnapshot, setting, wildcardOllama } from '../../rules/snapshots';
import {
  NFT_MAIN_CONTENT,
  NFT_UNIT_CONTENT,
  nftPortRules,
  PADDOCK_NFT_MAIN,
  PADDOCK_NFT_UNIT,
} from '../../../electron/engine/fixes/recipes/block-port';
import type { FixPlan, FixStep } from '../../../shared/fixes';

function plan(steps: FixStep[]): FixPlan {
  return {
    fixId: 'block-port',
    findingId: null,
    instance: 'ollama:port:11434',
    title: 't',
    summary: 's',
    warnings: [],
    requiresAdmin: true,
    steps,
    verification: {
      kind: 'port-closed-beyond-loopback',
      instance: null,
      port: 11434,
      setting: null,
      description: '',
    },
    basedOn: '2026-11-28T12:00:00.000Z',
  };
}
const run = (argv: string[], undo: string[] | null = null): FixStep => ({
  kind: 'run',
  argv,
  undo,
  description: '',
});
const write = (path: string, before: string | null, content: string, mode = 0o644): FixStep => ({
  kind: 'write-file',
  path,
  before,
  content,
  mode,
  description: '',
});
const context: PrivilegedContext = {
  units: new Set(['ollama.service']),
  envFiles: new Set(['/etc/default/ollama']),
};
const OLLAMA_UNIT = [
  '[Unit]',
  'Description=Ollama',
  '[Service]',
  'ExecStart=/usr/bin/ollama serve',
  'Environment="OLLAMA_HOST=0.0.0.0"',
  'User=ollama',
  'Group=ollama',
  '[Install]',
  'WantedBy=default.target',
  '',
].join('\n');
const DROPIN = '/etc/systemd/system/ollama.service.d/zz-paddock-loopback.conf';
const nftUndo = [
  'nft',
  'add',
  'table',
  'inet',
  'paddock_11434',
  ';',
  'delete',
  'table',
  'inet',
  'paddock_11434',
];

describe('privilegedPlanProblems', () => {
  it('accepts the shapes the recipes write', () => {
    const ok = plan([
      run(
        ['systemctl', 'cat', '--', 'ollama.service'],
        ['systemctl', 'try-restart', '--', 'ollama.service'],
      ),
      run(['systemctl', 'daemon-reload'], ['systemctl', 'daemon-reload']),
      write(DROPIN, null, '# Paddock\n[Service]\nEnvironment="OLLAMA_HOST=127.0.0.1:11434"\n'),
      write(
        '/usr/lib/systemd/system/ollama.service',
        OLLAMA_UNIT,
        OLLAMA_UNIT.replace('OLLAMA_HOST=0.0.0.0', 'OLLAMA_HOST=127.0.0.1'),
      ),
      run(['systemctl', 'daemon-reload']),
      run(['systemctl', 'try-restart', '--', 'ollama.service']),
      write('/etc/paddock/nftables.d/port-11434.nft', null, nftPortRules(11434)),
      {
        ...write(PADDOCK_NFT_UNIT, null, NFT_UNIT_CONTENT),
        keptWhile: '/etc/paddock/nftables.d',
      } as FixStep,
      {
        ...run(
          ['systemctl', 'enable', '--', 'paddock-nftables.service'],
          ['systemctl', 'disable', '--', 'paddock-nftables.service'],
        ),
        keptWhile: '/etc/paddock/nftables.d',
      } as FixStep,
      run(['nft', '-f', '/etc/paddock/nftables.d/port-11434.nft'], nftUndo),
      run(
        ['ufw', 'prepend', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
        ['ufw', 'delete', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
      ),
      run(
        ['ufw', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
        ['ufw', 'allow', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
      ),
      run(
        [
          'firewall-cmd',
          '--permanent',
          '--zone=public',
          '--add-rich-rule=rule port port="11434" protocol="tcp" reject',
        ],
        [
          'firewall-cmd',
          '--permanent',
          '--zone=public',
          '--remove-rich-rule=rule port port="11434" protocol="tcp" reject',
        ],
      ),
      write('/etc/environment', 'PATH="/usr/bin"\nOLLAMA_ORIGINS=*\n', 'PATH="/usr/bin"\n'),
      write(
        '/etc/default/ollama',
        'OLLAMA_ORIGINS="*"\nOLLAMA_MODELS=/srv/models\n',
        'OLLAMA_ORIGINS="http://localhost:3000"\nOLLAMA_MODELS=/srv/models\n',
        0o600,
      ),
    ]);
    expect(privilegedPlanProblems(ok, context)).toEqual([]);
  });

  // Each way in the security review's F1 (and F10) to make root run code or weaken the host.
  it.each<[string, FixStep, RegExp]>([
    [
      'F1.1 a NUL byte, which ends a line for systemd but not for a regex',
      write(
        DROPIN,
        null,
        "[Service]\nEnvironment=OLLAMA_HOST=127.0.0.1:11434\u0000ExecStartPre=/bin/sh -c 'id > /root/pwned'\n",
      ),
      /NUL byte/,
    ],
    [
      'F1.2 a line continuation that swallows User=',
      write(
        '/usr/lib/systemd/system/ollama.service',
        OLLAMA_UNIT,
        OLLAMA_UNIT.replace('User=ollama\n', 'Environment=OLLAMA_DEBUG=0 \\\nUser=ollama\n'),
      ),
      /backslash/,
    ],
    [
      'F1.2 a continuation hidden behind trailing spaces',
      write(DROPIN, null, '[Service]\nEnvironment=OLLAMA_DEBUG=0 \\  \n'),
      /backslash/,
    ],
    [
      'F1.2 an added line after one that continues',
      write(
        '/usr/lib/systemd/system/ollama.service',
        OLLAMA_UNIT.replace('ExecStart=/usr/bin/ollama serve', 'ExecStart=/usr/bin/ollama \\'),
        OLLAMA_UNIT.replace(
          'ExecStart=/usr/bin/ollama serve',
          'ExecStart=/usr/bin/ollama \\\nEnvironment=OLLAMA_X=1',
        ),
      ),
      /follows a line ending in a backslash/,
    ],
    [
      'F1.3 any variable (LD_PRELOAD)',
      write(DROPIN, null, '[Service]\nEnvironment=LD_PRELOAD=/var/tmp/x.so\n'),
      /more than OLLAMA_\* variables/,
    ],
    [
      'F1.3 a second assignment hidden in one Environment= line',
      write(DROPIN, null, '[Service]\nEnvironment=OLLAMA_HOST=127.0.0.1 LD_PRELOAD=/x.so\n'),
      /more than OLLAMA_\* variables/,
    ],
    [
      'F1.3 any unit (sshd)',
      write(
        '/etc/systemd/system/sshd.service.d/zz-paddock-loopback.conf',
        null,
        '[Service]\nEnvironment=OLLAMA_HOST=127.0.0.1\n',
      ),
      /sshd.service, whose main process is not a server Paddock found/,
    ],
    [
      'F1.4 a set-id, world-writable mode',
      write(
        '/usr/lib/systemd/system/ollama.service',
        OLLAMA_UNIT,
        `${OLLAMA_UNIT}# paddock\n`,
        0o4777,
      ),
      /mode 4777 is not one Paddock writes/,
    ],
    [
      'F1.4 a group-writable mode',
      write(DROPIN, null, '[Service]\nEnvironment=OLLAMA_HOST=127.0.0.1\n', 0o664),
      /mode 664/,
    ],
    [
      'F1.5 shell code in a sourced file',
      write(
        '/etc/default/ollama',
        'OLLAMA_ORIGINS=*\n',
        'OLLAMA_ORIGINS=*\nOLLAMA_X=$(id > /root/pwned-by-update-grub)\n',
      ),
      /not a plain literal/,
    ],
    [
      'F1.5 backticks in a quoted value',
      write('/etc/default/ollama', 'OLLAMA_ORIGINS=*\n', 'OLLAMA_ORIGINS="`id`"\n'),
      /not a plain literal/,
    ],
    [
      'F1.5 a file under /etc/default that no server reads',
      write('/etc/default/grub', 'GRUB_DEFAULT=0\n', 'GRUB_DEFAULT=0\nOLLAMA_X=1\n'),
      /not an EnvironmentFile= of a server Paddock found/,
    ],
    [
      'F1.6 ufw opening a port',
      run(['ufw', 'allow', 'proto', 'tcp', 'to', 'any', 'port', '22']),
      /not a port rule of the shape a fix uses/,
    ],
    [
      'F1.6 nft deleting Paddock’s table',
      run(['nft', 'delete', 'table', 'inet', 'paddock_11434']),
      /more than Paddock's own tables/,
    ],
    [
      'F1.6 disabling a security service',
      run(['systemctl', 'disable', '--', 'apparmor.service']),
      /not one of the systemctl commands/,
    ],
    [
      'F1.6 removing a firewalld rule',
      run([
        'firewall-cmd',
        '--zone=public',
        '--remove-rich-rule=rule port port="11434" protocol="tcp" reject',
      ]),
      /not a reject rule/,
    ],
    [
      'F1.6 a deny whose "undo" opens another port',
      run(
        ['ufw', 'prepend', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
        ['ufw', 'allow', 'proto', 'tcp', 'to', 'any', 'port', '22'],
      ),
      /undone only by removing that rule/,
    ],
    [
      'F1.6 removing Paddock’s own files',
      { kind: 'remove-file', path: DROPIN, before: 'x', description: '' },
      /not Paddock's own file/,
    ],
    [
      'F10 a unit name that is an option',
      run(['systemctl', 'try-restart', '-Mfoo.service']),
      /not one of the systemctl commands/,
    ],
    [
      'F10 a unit without -- before it',
      run(['systemctl', 'try-restart', 'ollama.service']),
      /not one of the systemctl commands/,
    ],
    ['a shell', run(['sh', '-c', 'id']), /not a program a fix may run/],
    ['a program by path', run(['/tmp/x/systemctl', 'daemon-reload']), /not a program/],
    [
      'systemctl starting something else',
      run(['systemctl', 'start', '--', 'ollama.service']),
      /not one of the systemctl commands/,
    ],
    ['nft flushing everything', run(['nft', 'flush', 'ruleset']), /more than Paddock's own tables/],
    [
      'nft loading another file',
      run(['nft', '-f', '/tmp/rules.nft'], nftUndo),
      /more than Paddock's own tables/,
    ],
    ['ufw disabling itself', run(['ufw', 'disable']), /not a port rule/],
    [
      'a rich rule that accepts',
      run([
        'firewall-cmd',
        '--zone=public',
        '--add-rich-rule=rule port port="11434" protocol="tcp" accept',
      ]),
      /not a reject rule/,
    ],
    ['a file outside the allowed places', write('/etc/passwd', '', 'x'), /not an EnvironmentFile=/],
    [
      'a path with ..',
      write('/etc/systemd/system/../../root/.bashrc', null, 'x'),
      /not a file Paddock may change/,
    ],
    [
      'a new unit that runs a program',
      write('/etc/systemd/system/ollama.service', null, '[Service]\nExecStart=/bin/sh -c id\n'),
      /may not write/,
    ],
    [
      'a drop-in that changes ExecStart',
      write(DROPIN, null, '[Service]\nExecStart=\nExecStart=/tmp/x\n'),
      /may not write/,
    ],
    [
      'a [Service] header moving lines into another section',
      write(
        '/usr/lib/systemd/system/ollama.service',
        OLLAMA_UNIT,
        OLLAMA_UNIT.replace('[Install]\n', '[Install]\n[Service]\n'),
      ),
      /may not write/,
    ],
    [
      'a value with systemd specifiers or quotes',
      write(DROPIN, null, '[Service]\nEnvironment="OLLAMA_HOST=%h\\x20x"\n'),
      /characters Paddock does not write/,
    ],
    [
      'a carriage return',
      write(DROPIN, null, '[Service]\r\nEnvironment=OLLAMA_HOST=127.0.0.1\r\n'),
      /carriage return/,
    ],
    [
      'Paddock’s unit with another command',
      write(PADDOCK_NFT_UNIT, null, NFT_UNIT_CONTENT.replace('nft -f', 'sh -c')),
      /Paddock's own unit/,
    ],
    [
      'a port file with an extra rule',
      write(
        '/etc/paddock/nftables.d/port-11434.nft',
        null,
        `${nftPortRules(11434)}flush ruleset\n`,
      ),
      /nothing else/,
    ],
    [
      '/etc/environment gaining LD_PRELOAD',
      write('/etc/environment', '', 'LD_PRELOAD=/tmp/x.so\n'),
      /may not write/,
    ],
    [
      'a control character in an argument',
      run(['systemctl', 'try-restart', '--', 'ollama.service\n']),
      /control character/,
    ],
  ])('refuses %s', (_name, step, reason) => {
    const problems = privilegedPlanProblems(plan([step]), context);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(reason);
  });

  it('re-checking a recorded run (no context) keeps every rule but the tie to a server', () => {
    const step = write(
      '/etc/systemd/system/sshd.service.d/zz.conf',
      null,
      '[Service]\nEnvironment=OLLAMA_HOST=127.0.0.1\n',
    );
    expect(privilegedPlanProblems(plan([step]), null)).toEqual([]);
    const hostile = write(
      '/etc/systemd/system/sshd.service.d/zz.conf',
      null,
      '[Service]\nEnvironment=LD_PRELOAD=/x.so\n',
    );
    expect(privilegedPlanProblems(plan([hostile]), null)[0]).toMatch(/more than OLLAMA_/);
  });
});

describe('privilegedContext: which units root may touch', () => {
  const snapshot = buildSnapshot({
    instances: [
      wildcardOllama(null, {
        settings: [
          setting('OLLAMA_ORIGINS', '*', {
            kind: 'systemd-envfile',
            path: '/etc/default/ollama',
            line: 1,
          }),
        ],
      }),
    ],
  });

  it('a unit whose main process is the server, and the environment files it reads', () => {
    const context = privilegedContext(
      snapshot,
      (unit, pid) => unit === 'ollama.service' && pid === 42,
    );
    expect([...context.units]).toEqual(['ollama.service']);
    expect([...context.envFiles]).toEqual(['/etc/default/ollama']);
  });

  it('red-team finding: a server that only sits in a unit’s cgroup (a cron job, a user manager’s unit named like a system one) ties nothing to it', () => {
    const context = privilegedContext(snapshot, () => false);
    expect([...context.units]).toEqual([]);
    expect([...context.envFiles]).toEqual([]);
    const dropIn = write(
      '/etc/systemd/system/ollama.service.d/zz-paddock-loopback.conf',
      null,
      '[Service]\nEnvironment="OLLAMA_HOST=127.0.0.1:11434"\n',
    );
    expect(privilegedPlanProblems(plan([dropIn]), context)[0]).toMatch(
      /whose main process is not a server Paddock found/,
    );
    expect(
      privilegedPlanProblems(
        plan([run(['systemctl', 'try-restart', '--', 'ollama.service'])]),
        context,
      )[0],
    ).toMatch(/not one of the systemctl commands/);
  });
});

describe('stop-tunnel: root stops only a tunnel client’s own service (issue 12, class 5)', () => {
  const tunnelContext: PrivilegedContext = {
    ...context,
    tunnelUnits: new Set(['cloudflared.service']),
  };
  const stop = (unit: string, undo: string[] | null) =>
    plan([run(['systemctl', 'stop', '--', unit], undo)]);

  it('the service of a tunnel client root found, undone by starting it', () => {
    expect(
      privilegedPlanProblems(
        stop('cloudflared.service', ['systemctl', 'start', '--', 'cloudflared.service']),
        tunnelContext,
      ),
    ).toEqual([]);
  });

  it('never a server’s unit or any other, never without `--`, never with another undo', () => {
    for (const [p, why] of [
      [
        stop('ollama.service', ['systemctl', 'start', '--', 'ollama.service']),
        /only the service of a tunnel client/,
      ],
      [
        stop('sshd.service', ['systemctl', 'start', '--', 'sshd.service']),
        /only the service of a tunnel client/,
      ],
      [
        plan([
          run(
            ['systemctl', 'stop', 'cloudflared.service'],
            ['systemctl', 'start', 'cloudflared.service'],
          ),
        ]),
        /only the service of a tunnel client/,
      ],
      [stop('cloudflared.service', null), /undone by starting it again/],
      [
        stop('cloudflared.service', ['systemctl', 'start', '--', 'sshd.service']),
        /undone by starting it again/,
      ],
    ] as const)
      expect(privilegedPlanProblems(p, tunnelContext)[0]).toMatch(why);
  });

  it('the tie comes from systemd: a tunnel whose unit’s main process is someone else gives none', () => {
    const snapshot = buildSnapshot({ instances: [wildcardOllama()] });
    snapshot.instances[0]!.tunnels = [
      {
        tool: 'cloudflared',
        pid: 77,
        argv: ['cloudflared', 'tunnel', '--url', 'http://localhost:11434'],
        remote: null,
        config: null,
        systemdUnit: 'cloudflared.service',
        targets: [{ host: 'localhost', port: 11434, source: 'argv' }],
      },
    ];
    expect([
      ...(privilegedContext(snapshot, (u, pid) => u === 'cloudflared.service' && pid === 77)
        .tunnelUnits ?? []),
    ]).toEqual(['cloudflared.service']);
    expect([...(privilegedContext(snapshot, () => false).tunnelUnits ?? [])]).toEqual([]);
  });
});

describe('kept while other rules remain (R1): only the boot plumbing Paddock’s nftables fixes share', () => {
  const DIR = '/etc/paddock/nftables.d';
  const DISABLE = ['systemctl', 'disable', '--', 'paddock-nftables.service'];
  const shared = (
    path: string,
    content: string,
    before: string | null = null,
    folder: unknown = DIR,
  ): FixStep => ({ ...write(path, before, content), keptWhile: folder }) as FixStep;
  const enable = (undo: string[] | null, folder: unknown = DIR) =>
    ({
      ...run(['systemctl', 'enable', '--', 'paddock-nftables.service'], undo),
      keptWhile: folder,
    }) as FixStep;
  const kept = (path: string, content: string, before: string | null = null): FixStep =>
    ({ ...write(path, before, content), kept: true }) as FixStep;
  const portFile = '/etc/paddock/nftables.d/port-11434.nft';
  const rule = [write(portFile, null, nftPortRules(11434)), run(['nft', '-f', portFile], nftUndo)];

  it('accepts the include file and the unit, each as the recipe writes it, and the enable of its unit undone by disabling it, with Paddock’s rules folder', () => {
    const steps = [
      shared(PADDOCK_NFT_MAIN, NFT_MAIN_CONTENT),
      shared(PADDOCK_NFT_UNIT, NFT_UNIT_CONTENT),
      run(['systemctl', 'daemon-reload']),
      enable(DISABLE),
      ...rule,
    ];
    expect(privilegedPlanProblems(plan(steps), context)).toEqual([]);
    // Undo and recovery re-check the recorded run without the tie to a server.
    expect(privilegedPlanProblems(plan(steps), null)).toEqual([]);
    // A later fix shares them as they are.
    const later = [
      shared(PADDOCK_NFT_MAIN, NFT_MAIN_CONTENT, NFT_MAIN_CONTENT),
      shared(PADDOCK_NFT_UNIT, NFT_UNIT_CONTENT, NFT_UNIT_CONTENT),
      enable(DISABLE),
      ...rule,
    ];
    expect(privilegedPlanProblems(plan(later), context)).toEqual([]);
  });

  it('a run recorded before R1 (no flag, the unit disabled by undo) is still accepted', () => {
    const old = plan([
      ...rule,
      write(PADDOCK_NFT_MAIN, null, NFT_MAIN_CONTENT),
      write(PADDOCK_NFT_UNIT, null, NFT_UNIT_CONTENT),
      run(['systemctl', 'daemon-reload']),
      run(['systemctl', 'enable', '--', 'paddock-nftables.service'], DISABLE),
    ]);
    expect(privilegedPlanProblems(old, null)).toEqual([]);
    // As a new plan it would bring R1 back (its undo takes the plumbing from later rules).
    const MUST = /must be kept while other rules remain \(keptWhile \/etc\/paddock\/nftables\.d\)$/;
    expect(privilegedPlanProblems(old, context)).toEqual([
      expect.stringMatching(new RegExp(`^step 3: ${PADDOCK_NFT_MAIN}: .*${MUST.source}`)),
      expect.stringMatching(new RegExp(`^step 4: ${PADDOCK_NFT_UNIT}: .*${MUST.source}`)),
      expect.stringMatching(
        new RegExp(`^step 6: systemctl enable -- paddock-nftables.service: .*${MUST.source}`),
      ),
    ]);
  });

  it('a run recorded with R1’s `kept` (commit 26e498d) is accepted for its undo, and refused as a new plan', () => {
    const r1 = plan([
      ...rule,
      kept(PADDOCK_NFT_MAIN, NFT_MAIN_CONTENT),
      kept(PADDOCK_NFT_UNIT, NFT_UNIT_CONTENT),
      run(['systemctl', 'daemon-reload']),
      run(['systemctl', 'enable', '--', 'paddock-nftables.service'], null),
    ]);
    expect(privilegedPlanProblems(r1, null)).toEqual([]);
    expect(privilegedPlanProblems(r1, context)).toEqual([
      expect.stringMatching(/^step 3: .*accepted only on a run recorded before `keptWhile`/),
      expect.stringMatching(/^step 4: .*accepted only on a run recorded before `keptWhile`/),
      expect.stringMatching(
        /^step 6: systemctl enable -- paddock-nftables.service: Paddock's shared nftables plumbing must be kept while other rules remain/,
      ),
      expect.stringMatching(/^step 6: enabling Paddock’s unit is undone by disabling it$/),
    ]);
  });

  const ONLY =
    /step 1: .*only Paddock's own nftables include file and unit, exactly as the recipe writes them, and the enable of its unit \(undone by `systemctl disable -- paddock-nftables.service`\) are kept while other rules remain/;
  it.each<[string, FixStep]>([
    ['a port file of Paddock’s', shared(portFile, nftPortRules(11434))],
    [
      'a drop-in of a server’s unit',
      shared(DROPIN, '[Service]\nEnvironment="OLLAMA_HOST=127.0.0.1"\n'),
    ],
    ['/etc/environment', shared('/etc/environment', 'PATH="/usr/bin"\n', 'PATH="/usr/bin"\n')],
    [
      'the include file with other content',
      shared(PADDOCK_NFT_MAIN, `${NFT_MAIN_CONTENT}flush ruleset\n`),
    ],
    [
      'the unit with other content',
      shared(PADDOCK_NFT_UNIT, NFT_UNIT_CONTENT.replace('-f', '-c -f')),
    ],
    ['the include file’s content at the unit’s path', shared(PADDOCK_NFT_UNIT, NFT_MAIN_CONTENT)],
    ['the load of a rule', { ...run(['nft', '-f', portFile], nftUndo), keptWhile: DIR } as FixStep],
    ['the enable of Paddock’s unit with no undo', enable(null)],
    [
      'the enable of Paddock’s unit undone otherwise',
      enable(['systemctl', 'stop', '--', 'paddock-nftables.service']),
    ],
    [
      'the enable of Paddock’s unit undone by a disable without --',
      enable(['systemctl', 'disable', 'paddock-nftables.service']),
    ],
    ['a daemon-reload', { ...run(['systemctl', 'daemon-reload']), keptWhile: DIR } as FixStep],
    [
      'a removal',
      {
        kind: 'remove-file',
        path: PADDOCK_NFT_MAIN,
        before: NFT_MAIN_CONTENT,
        description: '',
        keptWhile: DIR,
      } as unknown as FixStep,
    ],
  ])('refuses `keptWhile` on %s', (_name, step) => {
    for (const ctx of [context, null])
      expect(privilegedPlanProblems(plan([step]), ctx).join('; ')).toMatch(ONLY);
  });

  it.each<[string, unknown]>([
    ['the include file’s own folder', '/etc/paddock'],
    ['another folder', '/tmp'],
    ['a folder on the way up', '/etc/paddock/nftables.d/../../tmp'],
    ['a folder with a trailing slash', '/etc/paddock/nftables.d/'],
    ['a value that is no folder', true],
  ])(
    'refuses `keptWhile` with %s: root decides only from Paddock’s rules folder',
    (_name, folder) => {
      for (const step of [
        shared(PADDOCK_NFT_MAIN, NFT_MAIN_CONTENT, null, folder),
        shared(PADDOCK_NFT_UNIT, NFT_UNIT_CONTENT, null, folder),
        enable(DISABLE, folder),
      ])
        for (const ctx of [context, null])
          expect(privilegedPlanProblems(plan([step]), ctx).join('; ')).toMatch(
            /step 1: .*kept only while \/etc\/paddock\/nftables\.d holds rules/,
          );
    },
  );

  it('refuses `kept` and `keptWhile` together, and `kept` anywhere but the two files', () => {
    const both = { ...shared(PADDOCK_NFT_MAIN, NFT_MAIN_CONTENT), kept: true } as FixStep;
    expect(privilegedPlanProblems(plan([both]), null)).toEqual([
      expect.stringMatching(/^step 1: .*`kept` and `keptWhile` together/),
    ]);
    for (const step of [
      kept(portFile, nftPortRules(11434)),
      { ...enable(null), keptWhile: undefined, kept: true } as unknown as FixStep,
      { ...write(PADDOCK_NFT_MAIN, null, NFT_MAIN_CONTENT), kept: false } as unknown as FixStep,
    ])
      expect(privilegedPlanProblems(plan([step]), null).join('; ')).toMatch(
        /step 1: .*only Paddock's own nftables include file and unit, exactly as the recipe writes them, stay after undo/,
      );
  });

  it('refuses `keptWhile` in a plan of Paddock’s own service too', () => {
    const service: FixPlan = {
      ...plan([shared('/etc/systemd/system/paddock.service', '[Service]\n')]),
      fixId: 'service-install',
    };
    expect(privilegedPlanProblems(service, null)[0]).toMatch(ONLY);
  });

  it('an enable of Paddock’s unit is undone by disabling it (or, recorded under R1, not at all); any other unit is never enabled', () => {
    expect(
      privilegedPlanProblems(
        plan([
          run(
            ['systemctl', 'enable', '--', 'paddock-nftables.service'],
            ['systemctl', 'stop', '--', 'paddock-nftables.service'],
          ),
        ]),
        null,
      ),
    ).toEqual([expect.stringMatching(/undone by disabling it, or not at all/)]);
    expect(
      privilegedPlanProblems(plan([run(['systemctl', 'enable', '--', 'ollama.service'])]), context),
    ).toEqual([expect.stringMatching(/not one of the systemctl commands a fix uses/)]);
  });
});
