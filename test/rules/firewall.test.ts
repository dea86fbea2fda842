/** firewall-off and firewall-unknown: which firewall facts count as "off" and "unreadable". */
import { describe, expect, it } from 'vitest';
import firewallOff from '../../electron/engine/rules/firewall-off';
import firewallUnknown from '../../electron/engine/rules/firewall-unknown';
import { filteringTables } from '../../electron/engine/rules/support/firewall';
import type { FirewallFacts } from '../../shared/firewall';
import {
  buildSnapshot,
  container,
  firewallFacts,
  loopbackOllama,
  wildcardOllama,
} from './snapshots';

const withFacts = (facts: FirewallFacts, instances = [wildcardOllama('allowed')]) =>
  buildSnapshot({ firewall: { status: 'ok', facts }, instances });

describe('firewall-off', () => {
  it('an nftables table whose input chain only accepts does not filter', () => {
    const facts = firewallFacts('nft-drop');
    facts.nftables.ruleset!.tables[0]!.chains[0]!.rules[0]!.verdict = { kind: 'accept' };
    expect(filteringTables(facts.nftables.ruleset)).toEqual([]);
    expect(firewallOff.evaluate(withFacts(facts))).toHaveLength(1);
  });

  it('a drop policy on an input chain filters, even with no rule', () => {
    const facts = firewallFacts('nft-drop');
    const chain = facts.nftables.ruleset!.tables[0]!.chains[0]!;
    chain.rules = [];
    chain.policy = 'drop';
    expect(filteringTables(facts.nftables.ruleset)).toEqual(['inet filter']);
    expect(firewallOff.evaluate(withFacts(facts))).toEqual([]);
  });

  it('firewalld running counts as a firewall', () => {
    const facts = firewallFacts('off');
    facts.firewalld.model!.running = true;
    expect(firewallOff.evaluate(withFacts(facts))).toEqual([]);
  });

  it('nothing beyond loopback, or only a Docker publish (which no input rule sees): no finding', () => {
    expect(firewallOff.evaluate(withFacts(firewallFacts('off'), [loopbackOllama()]))).toEqual([]);
    const docker = {
      pid: null,
      id: 'ollama:docker:ollama',
      listeners: [
        { path: 'docker' as const, address: '0.0.0.0', via: [{ address: '192.168.1.20' }] },
      ],
      containers: [container()],
    };
    expect(firewallOff.evaluate(withFacts(firewallFacts('off'), [docker]))).toEqual([]);
  });

  it('a backend that could not be read is not "off": that is firewall-unknown', () => {
    const facts = firewallFacts('denied');
    expect(firewallOff.evaluate(withFacts(facts))).toEqual([]);
    expect(firewallUnknown.evaluate(withFacts(facts))).toHaveLength(1);
  });

  it('ufw whose state could not be asked is not "off" either', () => {
    const facts = firewallFacts('off');
    facts.ufw.model!.active = null;
    expect(firewallOff.evaluate(withFacts(facts))).toEqual([]);
  });
});

describe('firewall-unknown', () => {
  it('recommends paddock scan --elevated', () => {
    const [finding] = firewallUnknown.evaluate(
      withFacts(firewallFacts('denied'), [wildcardOllama('unknown')]),
    );
    expect(finding?.summary).toMatch(/paddock scan --elevated/);
    expect(finding?.evidence.join(' ')).toMatch(/Counted as open without a firewall verdict/);
  });

  it('the whole probe failing (no facts at all) is unknown too', () => {
    const s = buildSnapshot({
      firewall: { status: 'error', facts: null, message: 'firewall probe timed out' },
      instances: [wildcardOllama()],
    });
    expect(firewallUnknown.evaluate(s)[0]?.summary).toMatch(/firewall probe: error/);
  });

  it('no firewall facts because the platform has no probe (unavailable) is not a finding', () => {
    expect(firewallUnknown.evaluate(buildSnapshot({ instances: [wildcardOllama()] }))).toEqual([]);
  });
});
