/**
 * The risk catalog on snapshots the real `paddock scan` takes inside the lab host: the
 * exposure findings must agree with what the LAN neighbour and the "internet" peer really get
 * when they connect, with no firewall, with an nftables drop on every path, and with a drop
 * for IPv4 only.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Finding } from '../../shared/findings';
import { runRules } from '../../electron/engine/rules/evaluate';
import { describeFirewallLab, lanReach, nftInHost } from './firewall-lab';
import type { Lab, Standin } from './lab';
import { createLab, describeLab } from './lab';
import { runScan } from './scan-helpers';

const PORT = 11434;
const EXPOSURE_RULES = [
  'exposed-to-internet',
  'exposed-to-lan',
  'saved-only-by-firewall',
  'ipv6-path-open',
];

/** Scans the lab host and runs the catalog on the snapshot; findings of the standin and host-wide. */
async function findingsFor(
  lab: Lab,
  standin: Standin,
): Promise<{ findings: Finding[]; instance: string; ruleIds: string[] }> {
  const { json } = await runScan(lab);
  const instance = json.instances.find((i) => i.pid === standin.hostPid)?.id;
  expect(instance, JSON.stringify(json.instances)).toBeDefined();
  const findings = runRules(json.snapshot).filter(
    (f) => f.instance === instance || f.instance === null,
  );
  expect(findings.filter((f) => f.ruleId === 'rule-failed')).toEqual([]);
  return { findings, instance: instance!, ruleIds: findings.map((f) => f.ruleId) };
}

function exposureRules(ruleIds: string[]): string[] {
  return ruleIds.filter((id) => EXPOSURE_RULES.includes(id));
}

describeLab('the risk catalog agrees with what the LAN really reaches', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab();
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('OLLAMA_HOST=0.0.0.0: exposed-to-lan, naming the LAN address, and the neighbour connects', async () => {
    const standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    try {
      const { findings, instance, ruleIds } = await findingsFor(lab, standin);
      expect(await lab.connectFromLan(lab.hostAddress4, PORT)).toBe('open');
      expect(exposureRules(ruleIds)).toEqual(['exposed-to-lan']);
      const lan = findings.find((f) => f.ruleId === 'exposed-to-lan')!;
      expect(lan).toMatchObject({ id: `exposed-to-lan@${instance}`, severity: 'high' });
      expect(lan.summary).toContain(`${lab.hostAddress4}:${PORT}`);
      expect(lan.attackerCan[0]).toMatch(/llama3\.2:3b/);
      // No firewall in the lab host, and a wildcard bind skips Ollama's Host check.
      expect(ruleIds).toEqual(expect.arrayContaining(['firewall-off', 'dns-rebinding']));
    } finally {
      await standin.stop();
    }
  });

  it('OLLAMA_HOST unset: no exposure finding, and the neighbour is refused', async () => {
    const standin = await lab.startStandin({});
    try {
      const { ruleIds } = await findingsFor(lab, standin);
      expect(await lab.connectFromLan(lab.hostAddress4, PORT)).toBe('refused');
      expect(exposureRules(ruleIds)).toEqual([]);
      expect(ruleIds).not.toContain('firewall-off');
      expect(ruleIds).not.toContain('dns-rebinding');
    } finally {
      await standin.stop();
    }
  });

  it('OLLAMA_ORIGINS=* on a loopback server: origins-too-broad, still no exposure finding', async () => {
    const standin = await lab.startStandin({ OLLAMA_ORIGINS: '*' });
    try {
      const { findings, ruleIds } = await findingsFor(lab, standin);
      expect(exposureRules(ruleIds)).toEqual([]);
      const origins = findings.find((f) => f.ruleId === 'origins-too-broad');
      expect(origins?.severity).toBe('high');
      expect(origins?.evidence.join(' ')).toMatch(/foreign Origin/);
    } finally {
      await standin.stop();
    }
  });

  it('a neighbour holding a connection: remote-clients-connected names it, and the GPU rule sees a model loaded for it alone', async () => {
    const standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    const held = await lab.holdConnectionFromLan(lab.hostAddress4, PORT);
    try {
      const { findings } = await findingsFor(lab, standin);
      const connected = findings.find((f) => f.ruleId === 'remote-clients-connected');
      expect(connected?.summary).toContain(lab.lanAddress4);
      const gpu = findings.find((f) => f.ruleId === 'gpu-busy-for-remote');
      expect(gpu?.summary).toMatch(/loaded in memory/);
    } finally {
      await held.close();
      await standin.stop();
    }
  });
});

describeLab('the risk catalog agrees with what the internet peer really reaches', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab({ publicInterface: true });
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('OLLAMA_HOST=0.0.0.0 with a public address: exposed-to-internet (critical), and the peer connects', async () => {
    const standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    try {
      const { findings, ruleIds } = await findingsFor(lab, standin);
      expect(await lab.connectFrom('public', lab.publicAddress4!, PORT)).toBe('open');
      expect(exposureRules(ruleIds)).toEqual(['exposed-to-internet']);
      const internet = findings.find((f) => f.ruleId === 'exposed-to-internet')!;
      expect(internet.severity).toBe('critical');
      expect(internet.summary).toContain(`${lab.publicAddress4}:${PORT}`);
    } finally {
      await standin.stop();
    }
  });

  it('OLLAMA_HOST set to the LAN address only: exposed-to-lan, and the internet peer cannot connect', async () => {
    const standin = await lab.startStandin({ OLLAMA_HOST: lab.hostAddress4 });
    try {
      const { ruleIds } = await findingsFor(lab, standin);
      expect(await lab.connectFromLan(lab.hostAddress4, PORT)).toBe('open');
      expect(await lab.connectFrom('public', lab.publicAddress4!, PORT)).not.toBe('open');
      expect(exposureRules(ruleIds)).toEqual(['exposed-to-lan']);
    } finally {
      await standin.stop();
    }
  });
});

describeFirewallLab('the risk catalog with a real nftables firewall', ['nft'], () => {
  let lab: Lab;
  let standin: Standin;
  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
  });
  afterAll(async () => {
    await standin?.stop();
    await lab?.close();
  });

  it('a drop on every path: saved-only-by-firewall, no LAN exposure, and the LAN is blocked', async () => {
    await nftInHost(
      lab,
      'table inet pdkrules {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport 11434 drop\n  }\n}\n',
    );
    try {
      const { findings, ruleIds } = await findingsFor(lab, standin);
      expect(await lanReach(lab, 4, PORT)).toBe('blocked');
      expect(await lanReach(lab, 6, PORT)).toBe('blocked');
      expect(exposureRules(ruleIds)).toEqual(['saved-only-by-firewall']);
      expect(ruleIds).not.toContain('firewall-off');
      const saved = findings.find((f) => f.ruleId === 'saved-only-by-firewall')!;
      expect(saved.evidence.join(' ')).toMatch(/tcp dport 11434 drop/);
      expect(saved.summary).toContain(lab.hostAddress4);
    } finally {
      await lab.runInHost(['nft', 'delete', 'table', 'inet', 'pdkrules']);
    }
  });

  it('a drop for IPv4 only: ipv6-path-open and exposed-to-lan, and the neighbour gets in over IPv6', async () => {
    await nftInHost(
      lab,
      'table ip pdkrules4 {\n  chain input {\n    type filter hook input priority 0;\n    tcp dport 11434 drop\n  }\n}\n',
    );
    try {
      const { findings, ruleIds } = await findingsFor(lab, standin);
      expect(await lanReach(lab, 4, PORT)).toBe('blocked');
      expect(await lanReach(lab, 6, PORT)).toBe('allowed');
      expect(exposureRules(ruleIds).sort()).toEqual(['exposed-to-lan', 'ipv6-path-open']);
      const leak = findings.find((f) => f.ruleId === 'ipv6-path-open')!;
      expect(leak.summary).toContain(`[${lab.hostAddress6}]:${PORT}`);
      expect(leak.summary).toContain(lab.hostAddress4);
    } finally {
      await lab.runInHost(['nft', 'delete', 'table', 'ip', 'pdkrules4']);
    }
  });
});
