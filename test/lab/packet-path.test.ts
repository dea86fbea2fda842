/**
 * Issue 12, class 1 ("the whole netfilter path"), for real in a lab host with nftables: what
 * happens to a connection before the input hook counts, and what is not in force does not.
 * Each case compares the verdict of the real `paddock scan` with what the LAN neighbour really
 * reaches, in the same run, and none may say "private" while the neighbour gets in.
 *
 * - A dormant table (`flags dormant`) is loaded but not in force: its drop stops nothing.
 *   nft 1.0.6 (Debian 12) prints the flag wrongly in JSON (the table's name or the release
 *   name), so Paddock reads it from the text form.
 * - A drop in a prerouting chain (raw, mangle or filter priority) stops the connection before
 *   the routing decision, and the verdict names that rule.
 * - A drop in an ingress chain on the LAN device stops it there.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import { describeFirewallLab, lanReach, nftInHost, runInHostOk } from './firewall-lab';
import { runScan } from './scan-helpers';

describeFirewallLab('the packet path before the input hook (nftables)', ['nft'], () => {
  let lab: Lab;
  let standin: Standin;

  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
  });
  afterEach(async () => {
    await runInHostOk(lab, ['nft', 'flush', 'ruleset']);
  });
  afterAll(async () => {
    await standin?.stop();
    await lab?.close();
  });

  const verdictAndReach = async () => {
    const { json } = await runScan(lab);
    const reach = await lanReach(lab, 4, 11434);
    return { verdict: json.verdict, reach, json };
  };

  it('a dormant table’s drop is not in force: the LAN gets in, and the verdict says so', async () => {
    await nftInHost(
      lab,
      'table inet pdkdormant {\n  flags dormant\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport 11434 drop\n  }\n}\n',
    );
    const { verdict, reach, json } = await verdictAndReach();
    expect(reach).toBe('allowed');
    expect(verdict).toBe('lan');
    expect(JSON.stringify(json.snapshot.probes.firewall)).toMatch(/dormant/);
  });

  it('a drop in prerouting stops it before the routing decision: private, naming the rule', async () => {
    await nftInHost(
      lab,
      'table inet pdkpre {\n  chain pre {\n    type filter hook prerouting priority -300; policy accept;\n    iifname "lo" accept\n    tcp dport 11434 drop\n  }\n}\n',
    );
    const { verdict, reach, json } = await verdictAndReach();
    expect(reach).toBe('blocked');
    expect(verdict).toBe('private');
    const reasons = json.snapshot.instances[0]!.listeners.flatMap((l) =>
      l.reachableVia.map((p) => JSON.stringify(p.firewall)),
    );
    expect(reasons.join('\n')).toMatch(/pdkpre pre/);
  });

  it('a drop in an ingress chain on the LAN device stops it there', async () => {
    await nftInHost(
      lab,
      `table netdev pdkingress {\n  chain in {\n    type filter hook ingress device "${lab.names.hostIf}" priority 0; policy accept;\n    tcp dport 11434 drop\n  }\n}\n`,
    );
    const { verdict, reach } = await verdictAndReach();
    expect(reach).toBe('blocked');
    expect(verdict).toBe('private');
  });
});
