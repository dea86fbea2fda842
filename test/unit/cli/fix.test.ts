/**
 * The privileged side of `paddock fix` and the admin prompt around it: what is refused before
 * anything runs, and a cancelled prompt that changes nothing and says so.
 */
import { describe, expect, it } from 'vitest';
import { applyApproved, privilegedApply } from '../../../electron/cli/fix';
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
      argv: ['nft', 'delete', 'table', 'inet', 'paddock_11434'],
      undo: null,
      description: '',
    },
  ],
  verification: {
    kind: 'port-closed-beyond-loopback',
    instance: null,
    port: 11434,
    setting: null,
    description: '',
  },
  basedOn: '2026-11-28T12:00:00.000Z',
};

describe('the privileged side (paddock __apply-plan DIGEST, plan on stdin)', () => {
  const root = () => createFakeHost({ uid: 0 });

  it('refuses anything but a digest as argument', async () => {
    expect(await privilegedApply(root(), [], async () => '')).toMatchObject({ code: 2 });
    expect(await privilegedApply(root(), ['abc', 'x'], async () => '')).toMatchObject({ code: 2 });
  });

  it('refuses a plan that is not the one approved, running nothing', async () => {
    const host = root();
    const changed = { ...plan, title: 'something else' };
    const outcome = await privilegedApply(host, [planDigest(plan)], async () =>
      JSON.stringify(changed),
    );
    expect(outcome).toMatchObject({ code: 2 });
    expect(outcome.text).toMatch(/differs from the one approved/);
    expect(host.execCalls).toEqual([]);
  });

  it('refuses a plan outside the allowlist, running nothing', async () => {
    const host = root();
    const hostile: FixPlan = {
      ...plan,
      steps: [{ kind: 'run', argv: ['nft', 'flush', 'ruleset'], undo: null, description: '' }],
    };
    const outcome = await privilegedApply(host, [planDigest(hostile)], async () =>
      JSON.stringify(hostile),
    );
    expect(outcome.code).toBe(2);
    expect(outcome.text).toMatch(/refused, nothing was run: step 1: nft flush ruleset/);
    expect(host.execCalls).toEqual([]);
  });

  it('refuses what is not a plan', async () => {
    expect((await privilegedApply(root(), ['0'.repeat(64)], async () => 'not json')).text).toMatch(
      /does not hold a fix plan/,
    );
  });
});

describe('applying as an ordinary user', () => {
  it('a cancelled admin prompt applies nothing and says so', async () => {
    const host = createFakeHost({
      uid: 1000,
      exec: {
        [`sudo -n -- node paddock __apply-plan ${planDigest(plan)}`]: {
          code: 1,
          stderr: 'sudo: a password is required\n',
        },
        [`pkexec node paddock __apply-plan ${planDigest(plan)}`]: {
          code: 126,
          stderr: 'Request dismissed\n',
        },
      },
    });
    const said: string[] = [];
    const run = await applyApproved(
      {
        host,
        elevate: { host, self: ['node', 'paddock'], interactive: false },
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
