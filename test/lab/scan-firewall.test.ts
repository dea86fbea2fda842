/**
 * The real `paddock scan`, with real firewalls in the lab host: its verdict must equal what
 * the LAN neighbour really gets, before and after a rule that blocks the port, for nftables,
 * ufw (private config) and firewalld (private D-Bus); and a dual-stack listener with only
 * IPv4 blocked must stay reachable over IPv6.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab } from './lab';
import { describeFirewallLab, lanReach, nftInHost, setupUfw, startFirewalld } from './firewall-lab';
import { runScan } from './scan-helpers';

const PORT = 11434;

async function truth(lab: Lab): Promise<'lan' | 'private'> {
  const [v4, v6] = await Promise.all([lanReach(lab, 4, PORT), lanReach(lab, 6, PORT)]);
  return v4 === 'allowed' || v6 === 'allowed' ? 'lan' : 'private';
}

describeFirewallLab(
  'paddock scan verdict with real firewalls',
  ['nft', 'ufw', 'firewalld', 'firewall-cmd', 'dbus-daemon'],
  () => {
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

    it('nftables: open, then dropped, then dropped for IPv4 only (IPv6 stays reachable)', async () => {
      let { json } = await runScan(lab);
      expect(await truth(lab)).toBe('lan');
      expect(json.verdict).toBe('lan');

      await nftInHost(
        lab,
        'table inet pdkscan {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport 11434 drop\n  }\n}\n',
      );
      try {
        ({ json } = await runScan(lab));
        expect(await truth(lab)).toBe('private');
        expect(json.verdict).toBe('private');
        const paths = json.snapshot.instances[0]!.listeners[0]!.reachableVia;
        expect(paths.every((p) => !p.open && p.firewall?.decision === 'blocked')).toBe(true);
        expect(json.snapshot.instances[0]!.listeners[0]!.reasons.join(' ')).toMatch(
          /tcp dport 11434 drop/,
        );
      } finally {
        await lab.runInHost(['nft', 'delete', 'table', 'inet', 'pdkscan']);
      }

      await nftInHost(
        lab,
        'table ip pdkscan4 {\n  chain input {\n    type filter hook input priority 0;\n    tcp dport 11434 drop\n  }\n}\n',
      );
      try {
        ({ json } = await runScan(lab));
        expect(await lanReach(lab, 4, PORT)).toBe('blocked');
        expect(await lanReach(lab, 6, PORT)).toBe('allowed');
        expect(json.verdict).toBe('lan');
        const paths = json.snapshot.instances[0]!.listeners[0]!.reachableVia;
        expect(paths.filter((p) => p.open).every((p) => p.address.includes(':'))).toBe(true);
        expect(paths.find((p) => p.address === lab.hostAddress4)).toMatchObject({ open: false });
      } finally {
        await lab.runInHost(['nft', 'delete', 'table', 'ip', 'pdkscan4']);
      }
    });

    it('ufw: active with default deny blocks the port; allowing it opens it again', async () => {
      const ufw = await setupUfw(lab);
      try {
        await ufw.run('--force', 'enable');
        let { json } = await runScan(lab);
        expect(await truth(lab)).toBe('private');
        expect(json.verdict).toBe('private');
        expect(json.snapshot.probes.firewall.data?.ufw.model).toMatchObject({ active: true });

        await ufw.run('allow', `${PORT}/tcp`);
        ({ json } = await runScan(lab));
        expect(await truth(lab)).toBe('lan');
        expect(json.verdict).toBe('lan');
      } finally {
        await ufw.run('--force', 'disable').catch(() => undefined);
        await ufw.dispose();
      }
    });

    it('firewalld: the default zone rejects the port; adding it opens it', async () => {
      const firewalld = await startFirewalld(lab);
      try {
        let { json } = await runScan(lab);
        expect(await truth(lab)).toBe('private');
        expect(json.verdict).toBe('private');
        expect(json.snapshot.probes.firewall.data?.firewalld.model).toBeTruthy();

        await firewalld.cmd(`--add-port=${PORT}/tcp`);
        ({ json } = await runScan(lab));
        expect(await truth(lab)).toBe('lan');
        expect(json.verdict).toBe('lan');
      } finally {
        await firewalld.stop();
      }
    });
  },
);
