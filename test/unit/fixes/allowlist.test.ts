/**
 * The privileged side's allowlist: every plan the recipes make passes it, and a plan that
 * strays (another program, another path, another argument, a unit that runs something) is
 * refused with the reason.
 */
import { describe, expect, it } from 'vitest';
import { privilegedPlanProblems } from '../../../electron/engine/fixes/allowlist';
import {
  NFT_UNIT_CONTENT,
  nftPortRules,
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
const write = (path: string, before: string | null, content: string): FixStep => ({
  kind: 'write-file',
  path,
  before,
  content,
  mode: 0o644,
  description: '',
});

describe('privilegedPlanProblems', () => {
  it('accepts the shapes the recipes write', () => {
    const ok = plan([
      run(['systemctl', 'cat', 'ollama.service'], ['systemctl', 'try-restart', 'ollama.service']),
      run(['systemctl', 'daemon-reload'], ['systemctl', 'daemon-reload']),
      write(
        '/etc/systemd/system/ollama.service.d/zz-paddock-loopback.conf',
        null,
        '# Paddock\n[Service]\nEnvironment="OLLAMA_HOST=127.0.0.1:11434"\n',
      ),
      write('/etc/paddock/nftables.d/port-11434.nft', null, nftPortRules(11434)),
      write(PADDOCK_NFT_UNIT, null, NFT_UNIT_CONTENT),
      run(
        ['nft', '-f', '/etc/paddock/nftables.d/port-11434.nft'],
        [
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
        ],
      ),
      run(
        ['ufw', 'prepend', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
        ['ufw', 'delete', 'deny', 'proto', 'tcp', 'to', 'any', 'port', '11434'],
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
    ]);
    expect(privilegedPlanProblems(ok)).toEqual([]);
  });

  it.each<[string, FixStep, RegExp]>([
    ['a shell', run(['sh', '-c', 'id']), /not a program a fix may run/],
    ['a program by path', run(['/tmp/x/systemctl', 'daemon-reload']), /not a program/],
    [
      'systemctl on something else',
      run(['systemctl', 'start', 'evil.service']),
      /not one of the systemctl commands/,
    ],
    ['a unit name with a space', run(['systemctl', 'restart', 'a b.service']), /not one of/],
    ['nft flushing everything', run(['nft', 'flush', 'ruleset']), /more than Paddock's own tables/],
    [
      'nft loading another file',
      run(['nft', '-f', '/tmp/rules.nft']),
      /more than Paddock's own tables/,
    ],
    ['ufw disabling itself', run(['ufw', 'disable']), /not a port rule/],
    [
      'firewall-cmd opening things',
      run(['firewall-cmd', '--zone=public', '--add-port=22/tcp']),
      /not a reject rule/,
    ],
    [
      'a rich rule that accepts',
      run(['firewall-cmd', '--add-rich-rule=rule port port="11434" protocol="tcp" accept']),
      /not a reject rule/,
    ],
    [
      'a file outside the allowed places',
      write('/etc/passwd', '', 'x'),
      /not a file Paddock may change/,
    ],
    [
      'a path with ..',
      write('/etc/systemd/system/../../root/.bashrc', null, 'x'),
      /not a file Paddock may change/,
    ],
    [
      'a new unit that runs a program',
      write('/etc/systemd/system/evil.service', null, '[Service]\nExecStart=/bin/sh -c id\n'),
      /may not write/,
    ],
    [
      'a drop-in that changes ExecStart',
      write(
        '/etc/systemd/system/ollama.service.d/x.conf',
        null,
        '[Service]\nExecStart=\nExecStart=/tmp/x\n',
      ),
      /may not write/,
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
      run(['systemctl', 'restart', 'ollama.service\n']),
      /control character/,
    ],
  ])('refuses %s', (_name, step, reason) => {
    const problems = privilegedPlanProblems(plan([step]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(reason);
  });
});
