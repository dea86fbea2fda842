/**
 * Who uses Ollama, for real: the LAN neighbour holds connections open to a dual-stack
 * stand-in (OLLAMA_HOST=0.0.0.0 binds [::] for IPv4 and IPv6), and the sockets probe run
 * inside the host must show it as a remote peer with the LAN's plain IPv4 address (the kernel
 * reports it as ::ffff:a.b.c.d) and its IPv6 address. Then the LAN makes requests, one with a
 * forged X-Forwarded-For, and the stand-in's access log, parsed, names the LAN client and the
 * forged one alike.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FORGEABLE_CLIENT_SENTENCE } from '../../electron/engine/ollama/access-log';
import type { Lab, Standin } from './lab';
import { createLab, describeLab } from './lab';
import { CLI, runScan } from './scan-helpers';

describeLab('remote peers and the access log', () => {
  let lab: Lab;
  let standin: Standin;

  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0', TZ: 'UTC' });
  });
  afterAll(async () => {
    await standin?.stop();
    await lab?.close();
  });

  it('a connection held from the LAN shows as a remote peer, IPv4 plain and IPv6 as is', async () => {
    const held4 = await lab.holdConnectionFromLan(lab.hostAddress4, 11434);
    const held6 = await lab.holdConnectionFromLan(lab.hostAddress6, 11434);
    try {
      const { json } = await runScan(lab);
      const instance = json.snapshot.instances.find((i) => i.pid === standin.hostPid)!;
      // What the kernel reports: the IPv4 peer of the dual-stack socket as IPv4-mapped IPv6.
      const raw = json.snapshot.probes.sockets.data.filter(
        (s) => s.state === 'established' && s.localPort === 11434,
      );
      expect(raw.map((s) => s.peerAddress)).toContain(`::ffff:${lab.lanAddress4}`);
      const peers = instance.peers;
      expect(peers.map((p) => p.address).sort()).toEqual([lab.lanAddress4, lab.lanAddress6].sort());
      const v4 = peers.find((p) => p.address === lab.lanAddress4)!;
      expect(v4).toMatchObject({
        scope: 'private',
        isLocalAddress: false,
        connections: 1,
        ports: [11434],
        processes: [{ pid: standin.hostPid, name: 'ollama' }],
      });
      expect(JSON.stringify(peers)).not.toContain('::ffff:');
      const human = await lab.runInHost([process.execPath, CLI, 'scan'], {
        env: { NO_COLOR: '1' },
      });
      expect(human.stdout).toContain(`${lab.lanAddress4}  1 connection to port 11434`);
    } finally {
      await held4.close();
      await held6.close();
    }
  });

  it('requests from the LAN, one with a forged X-Forwarded-For, in the parsed access log', async () => {
    const base = `http://${lab.hostAddress4}:11434`;
    expect((await lab.httpFromLan(`${base}/api/tags`)).status).toBe(200);
    expect((await lab.httpFromLan(`${base}/api/version`)).status).toBe(200);
    expect((await lab.httpFromLan(`http://[${lab.hostAddress6}]:11434/`)).status).toBe(200);
    const forged = await lab.httpFromLan(`${base}/api/ps`, {
      headers: { 'X-Forwarded-For': '198.51.100.200' },
    });
    expect(forged.status).toBe(200);
    // gin writes the line when the handler returns: bounded wait for all four.
    for (let i = 0; i < 50 && (standin.stdout().match(/^\[GIN\]/gm) ?? []).length < 4; i += 1)
      await new Promise((r) => setTimeout(r, 20));

    // The scan reads the log where a server started by hand writes it (~/.ollama/logs).
    const home = mkdtempSync(join(tmpdir(), 'pdk-home-'));
    try {
      mkdirSync(join(home, '.ollama', 'logs'), { recursive: true });
      writeFileSync(join(home, '.ollama', 'logs', 'server.log'), standin.logs());
      const { json } = await runScan(lab, { env: { HOME: home, TZ: 'UTC' } });
      const accessLog = json.snapshot.probes.accessLog;
      expect(accessLog.status).toBe('ok');
      expect(accessLog.message).toContain(FORGEABLE_CLIENT_SENTENCE);
      const report = accessLog.data!.accessLog;
      expect(report.source.kind).toBe('file');
      expect(report.invalidLines).toBe(0);
      expect(json.snapshot.probes.accessLog.data!.serverLog.version).toBe('0.12.10');
      const clients = Object.fromEntries(report.clients.map((c) => [c.client, c]));
      expect(clients[lab.lanAddress4]).toMatchObject({
        requests: 2,
        scope: 'private',
        forgeable: true,
        endpoints: [
          { path: '/api/tags', count: 1 },
          { path: '/api/version', count: 1 },
        ],
      });
      expect(clients[lab.lanAddress6]).toMatchObject({
        requests: 1,
        endpoints: [{ path: '/', count: 1 }],
      });
      // Nobody at 198.51.100.200 ever connected: the LAN neighbour claimed it, and the log believes it.
      expect(clients['198.51.100.200']).toMatchObject({
        requests: 1,
        forgeable: true,
        endpoints: [{ path: '/api/ps', count: 1 }],
      });
      const human = await lab.runInHost([process.execPath, CLI, 'scan'], {
        env: { NO_COLOR: '1', HOME: home, TZ: 'UTC' },
      });
      expect(human.stdout).toMatch(/198\.51\.100\.200 {2}1 request/);
      expect(human.stdout).toContain(FORGEABLE_CLIENT_SENTENCE);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
