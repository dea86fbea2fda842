/**
 * `paddock scan --elevated` for real: an unprivileged user cannot read the firewall, so the
 * scan counts the path as open and says the firewall could not be judged; with --elevated it
 * re-runs only the firewall probe through sudo (a NOPASSWD rule for exactly that command, in
 * a sudoers.d that exists only in the lab host's mount namespace) and its verdict then equals
 * what the LAN really gets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIREWALL_UNKNOWN_ASSUMED } from '../../electron/engine/exposure';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import { describeFirewallLab, lanReach, nftInHost } from './firewall-lab';
import { installPrivileged, sudoRules } from './privileged-install';
import { CLI, runScan } from './scan-helpers';

const NOBODY = 65534;

describeFirewallLab('paddock scan --elevated through sudo', ['nft', 'sudo'], () => {
  let lab: Lab;
  let standin: Standin;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-sudoers-'));
    fs.chmodSync(dir, 0o755);
    // The privileged side installed as docs/security.md says, and its exact sudo rules.
    const privileged = installPrivileged(dir);
    env = { HOME: '/nonexistent', PADDOCK_PRIVILEGED: privileged[1]! };
    const rules = path.join(dir, 'sudoers');
    fs.mkdirSync(rules, { mode: 0o755 });
    const rule = path.join(rules, 'paddock-lab');
    fs.writeFileSync(rule, sudoRules('nobody', privileged));
    fs.chmodSync(rule, 0o440);
    const mounted = await lab.runInHost(['mount', '--bind', rules, '/etc/sudoers.d']);
    expect(mounted.code, mounted.stderr).toBe(0);
    await nftInHost(
      lab,
      'table inet pdkelev {\n  chain input {\n    type filter hook input priority 0;\n    tcp dport 11434 drop\n  }\n}\n',
    );
  });
  afterAll(async () => {
    await standin?.stop();
    await lab?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the rule exists only inside the lab host', () => {
    expect(fs.existsSync('/etc/sudoers.d/paddock-lab')).toBe(false);
  });

  it('without --elevated the firewall is unread: the path counts as open, and it says so', async () => {
    expect(await lanReach(lab, 4, 11434)).toBe('blocked');
    const { json } = await runScan(lab, { uid: NOBODY, env: { HOME: '/nonexistent' } });
    expect(json.snapshot.probes.firewall.status).toBe('denied');
    expect(json.verdict).toBe('lan');
    expect(json.snapshot.instances[0]!.listeners[0]!.reasons).toContain(FIREWALL_UNKNOWN_ASSUMED);
  });

  it('with --elevated the firewall is read as root and the verdict equals the network', async () => {
    const result = await lab.runInHost([process.execPath, CLI, 'scan', '--json', '--elevated'], {
      uid: NOBODY,
      env,
      timeoutMs: 30_000,
    });
    const json = JSON.parse(result.stdout) as {
      verdict: string;
      snapshot: { host: { uid: number }; probes: { firewall: { status: string } } };
    };
    expect(result.stderr).toBe('');
    expect(json.snapshot.host.uid).toBe(NOBODY);
    expect(json.snapshot.probes.firewall.status).toBe('ok');
    expect(await lanReach(lab, 4, 11434)).toBe('blocked');
    expect(await lanReach(lab, 6, 11434)).toBe('blocked');
    expect(json.verdict).toBe('private');
    expect(result.code).toBe(0);
  });

  it('no sudo rule for the command and no terminal: it says it could not, and scans on', async () => {
    await lab.runInHost(['umount', '/etc/sudoers.d']);
    const result = await lab.runInHost([process.execPath, CLI, 'scan', '--json', '--elevated'], {
      uid: NOBODY,
      env,
      timeoutMs: 30_000,
    });
    expect(result.stderr).toMatch(
      /--elevated: .*the firewall stays unread and nothing was changed/,
    );
    const json = JSON.parse(result.stdout) as { verdict: string };
    expect(json.verdict).toBe('lan');
  });
});
