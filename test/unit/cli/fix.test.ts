/**
 * The privileged side of `paddock fix` and the admin prompt around it: what is refused before
 * anything runs, and a cancelled prompt that changes nothing and says so. (The lab tests run
 * the real privileged program through sudo: test/lab/privileged-boundary.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyApproved } from '../../../electron/cli/fix';
import { privilegedApplyFix, runPrivilegedCommand } from '../../../electron/cli/privileged';
import { planDigest } from '../../../electron/engine/fixes/preview';
import type { FixPlan } from '../../../shared/fixes';
import { createFakeHost } from '../../support/fake-host';

const plan: FixPlan = {
  fixId: 'block-port',
  findingId: null,
  instance: 'ollama:port:11434',
  title: 'Close port 11434 to other machines',
  summary: 's',
  warnings: [],
  requiresAdmin: true,
  steps: [
    {
      kind: 'run',
      argv: ['nft', '-f', '/etc/paddock/nftables.d/port-11434.nft'],
      undo: [
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
      description: '',
    },
  ],
  verification: {
    kind: 'port-closed-beyond-loopback',
    instance: 'ollama:port:11434',
    port: 11434,
    setting: null,
    description: '',
  },
  basedOn: '2026-11-28T12:00:00.000Z',
};

const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-priv-unit-'));
afterAll(() => fs.rmSync(runsDir, { recursive: true, force: true }));

describe('the privileged side (paddock-privileged __apply-fix FIX-ID INSTANCE-ID DIGEST)', () => {
  const root = () => createFakeHost({ uid: 0 });

  it.each<[string, string[]]>([
    ['nothing', []],
    ['a digest only (the old __apply-plan form)', ['0'.repeat(64)]],
    ['an unknown fix', ['open-everything', 'ollama:port:11434', '0'.repeat(64)]],
    ['an instance with a space', ['block-port', 'ollama port', '0'.repeat(64)]],
    ['a short digest', ['block-port', 'ollama:port:11434', 'abc']],
    ['an extra argument', ['block-port', 'ollama:port:11434', '0'.repeat(64), '--mode=4777']],
    // Issue 14: share-allowlist's sources, the one choice root takes, must be canonical.
    [
      'a share source that is not canonical',
      ['share-allowlist', 'ollama:port:11434', '0'.repeat(64), '192.168.001.5'],
    ],
    [
      'everyone as a share source',
      ['share-allowlist', 'ollama:port:11434', '0'.repeat(64), '0.0.0.0/0'],
    ],
    [
      'a share source with nft syntax',
      ['share-allowlist', 'ollama:port:11434', '0'.repeat(64), '10.0.0.1,}; flush ruleset'],
    ],
    [
      'two source arguments',
      ['share-allowlist', 'ollama:port:11434', '0'.repeat(64), '10.0.0.1', '10.0.0.2'],
    ],
  ])('refuses %s as arguments, running nothing', async (_name, args) => {
    const host = root();
    const outcome = await privilegedApplyFix(host, args, runsDir);
    expect(outcome.code).toBe(2);
    expect(outcome.text).toMatch(/takes FIX-ID INSTANCE-ID DIGEST/);
    expect(host.execCalls).toEqual([]);
  });

  it('takes no plan from the caller: __apply-plan is not one of its commands', async () => {
    const outcome = await runPrivilegedCommand(root(), ['__apply-plan', planDigest(plan)]);
    expect(outcome.code).toBe(2);
    expect(outcome.text).toMatch(/takes only __apply-fix, __undo-run and __firewall-facts/);
  });

  it('refuses a server its own scan does not find, running nothing', async () => {
    const host = root();
    const outcome = await privilegedApplyFix(
      host,
      ['block-port', 'ollama:port:11434', planDigest(plan)],
      runsDir,
    );
    expect(outcome.code).toBe(2);
    expect(outcome.text).toMatch(/root's own scan finds no server ollama:port:11434/);
    // Only the scan's reads ran: nothing that changes the system.
    const changing = /daemon-reload|try-restart|^-f$|^deny$|^--add-rich-rule|^enable$/;
    expect(host.execCalls.filter((argv) => argv.some((a) => changing.test(a)))).toEqual([]);
  });

  it('refuses a runs folder another user controls', async () => {
    const open = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-priv-open-'));
    fs.chmodSync(open, 0o777);
    try {
      const outcome = await privilegedApplyFix(
        root(),
        ['block-port', 'ollama:port:11434', planDigest(plan)],
        path.join(open, 'runs'),
      );
      expect(outcome.code).toBe(2);
      expect(outcome.text).toMatch(/not a folder only root controls/);
    } finally {
      fs.rmSync(open, { recursive: true, force: true });
    }
  });
});

describe('applying as an ordinary user', () => {
  it('a cancelled admin prompt applies nothing and says so', async () => {
    const host = createFakeHost({
      uid: 1000,
      exec: {
        [`sudo -n -- node paddock-privileged.cjs __apply-fix block-port ollama:port:11434 ${planDigest(plan)}`]:
          {
            code: 1,
            stderr: 'sudo: a password is required\n',
          },
        [`pkexec node paddock-privileged.cjs __apply-fix block-port ollama:port:11434 ${planDigest(plan)}`]:
          {
            code: 126,
            stderr: 'Request dismissed\n',
          },
      },
    });
    const said: string[] = [];
    const run = await applyApproved(
      {
        host,
        elevate: { host, privileged: ['node', 'paddock-privileged.cjs'], interactive: false },
        stdout: () => undefined,
        stderr: (t) => void said.push(t),
        confirm: async () => true,
      },
      plan,
    );
    expect(run).toBeNull();
    expect(said.join('')).toMatch(
      /Cancelled .*the admin prompt was cancelled.*nothing was changed/,
    );
    expect(host.execCalls.map((argv) => argv[0])).toEqual(['sudo', 'pkexec']);
  });
});
