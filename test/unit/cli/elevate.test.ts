import { describe, expect, it } from 'vitest';
import { elevatedFirewallFacts } from '../../../electron/cli/elevate';
import type { ExecResult } from '../../../electron/engine/host/types';
import { createFakeHost } from '../../support/fake-host';

const SELF = ['/usr/bin/node', '/opt/paddock/paddock.cjs'];
const facts = {
  status: 'ok',
  data: {
    nftables: {
      status: 'ok',
      evidence: [],
      ruleset: { version: '1.0.6', tables: [], warnings: [] },
    },
    iptables: [],
    ufw: { status: 'unavailable', evidence: [], model: null },
    firewalld: { status: 'unavailable', evidence: [], model: null },
  },
  evidence: [],
  durationMs: 3,
};
const key = (...argv: string[]) => argv.join(' ');
const answered = (stdout: string): Partial<ExecResult> => ({ code: 0, stdout });

describe('elevatedFirewallFacts', () => {
  it('sudo -n without a prompt: the facts come back, validated', async () => {
    const host = createFakeHost({
      uid: 1000,
      exec: {
        [key('sudo', '-n', '--', ...SELF, '__firewall-facts')]: answered(JSON.stringify(facts)),
      },
    });
    const result = await elevatedFirewallFacts({ host, privileged: SELF, interactive: false });
    expect(result).toMatchObject({ ok: true, via: 'sudo -n', result: { status: 'ok' } });
    expect(host.execCalls).toHaveLength(1);
  });

  it('no terminal: after sudo -n, polkit’s dialog (pkexec); dismissed is "cancelled", nothing else tried', async () => {
    const host = createFakeHost({
      uid: 1000,
      exec: {
        [key('sudo', '-n', '--', ...SELF, '__firewall-facts')]: {
          code: 1,
          stderr: 'sudo: a password is required\n',
        },
        [key('pkexec', ...SELF, '__firewall-facts')]: {
          code: 126,
          stderr: 'Error executing command as another user: Request dismissed\n',
        },
      },
    });
    const result = await elevatedFirewallFacts({ host, privileged: SELF, interactive: false });
    expect(result).toMatchObject({ ok: false, cancelled: true });
    expect(!result.ok && result.message).toMatch(
      /^Cancelled .*the admin prompt was cancelled.*nothing was changed/,
    );
    expect(host.execCalls.map((argv) => argv[0])).toEqual(['sudo', 'pkexec']);
  });

  it('on a terminal, sudo asks there instead of pkexec', async () => {
    const host = createFakeHost({
      uid: 1000,
      exec: {
        [key('sudo', '-n', '--', ...SELF, '__firewall-facts')]: {
          code: 1,
          stderr: 'sudo: a password is required\n',
        },
        [key('sudo', '--', ...SELF, '__firewall-facts')]: answered(JSON.stringify(facts)),
      },
    });
    const result = await elevatedFirewallFacts({ host, privileged: SELF, interactive: true });
    expect(result).toMatchObject({ ok: true, via: 'sudo' });
  });

  it('neither sudo nor pkexec installed: says so, not "cancelled"', async () => {
    const result = await elevatedFirewallFacts({
      host: createFakeHost({ uid: 1000 }),
      privileged: SELF,
      interactive: false,
    });
    expect(result).toMatchObject({ ok: false, cancelled: false });
    expect(!result.ok && result.message).toMatch(
      /sudo is not installed; pkexec: pkexec is not installed/,
    );
  });

  it('an answer that is not firewall facts is refused', async () => {
    for (const stdout of ['not json', '{"status":"ok","data":{"nftables":"x"}}']) {
      const host = createFakeHost({
        uid: 1000,
        exec: { [key('sudo', '-n', '--', ...SELF, '__firewall-facts')]: answered(stdout) },
      });
      const result = await elevatedFirewallFacts({ host, privileged: SELF, interactive: false });
      expect(result.ok, stdout).toBe(false);
    }
  });
});
