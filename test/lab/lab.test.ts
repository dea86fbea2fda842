/**
 * The lab itself: namespaces, the host's private PID/mount view, clients on the lan and the
 * public side, and a clean teardown.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, describeLab, labPrerequisites, leftovers } from './lab';
import type { Lab } from './lab';
import { labRequired } from '../support/prerequisites';

describeLab('lab: namespaces and helpers', () => {
  let lab: Lab;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const t0 = performance.now();
    lab = await createLab({ publicInterface: true });
    timings.createLab = performance.now() - t0;
  });

  afterAll(async () => {
    await lab?.close();
    console.info(
      `[lab timings] ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))} ms`,
    );
  });

  it('reports its prerequisites as met on this machine', () => {
    expect(labPrerequisites()).toEqual({ ok: true });
  });

  it('gives the host its LAN, IPv6 and public addresses, with short interface names', async () => {
    const r = await lab.runInHost(['ip', '-br', 'addr']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${lab.hostAddress4}/24`);
    expect(r.stdout).toContain(`${lab.hostAddress6}/64`);
    expect(r.stdout).toContain(`${lab.publicAddress4}/30`);
    expect(r.stdout).toMatch(/^lo\s+UNKNOWN\s+127\.0\.0\.1\/8/m);
    for (const name of [lab.names.hostIf, lab.names.lanIf, lab.names.publicIf!])
      expect(name.length).toBeLessThanOrEqual(15);
    const routes = await lab.runInHost(['ip', 'route']);
    expect(routes.stdout).toContain(`default via ${lab.publicPeerAddress4}`);
  });

  it('shows the host a PID namespace of its own, with the holder as PID 1', async () => {
    const r = await lab.runInHost([
      'sh',
      '-c',
      'for p in /proc/[0-9]*; do echo "${p#/proc/} $(cat $p/comm)"; done',
    ]);
    expect(r.code).toBe(0);
    const procs = r.stdout.trim().split('\n');
    expect(procs).toContain('1 sleep');
    // the holder, this shell and its cat/echo children: nothing of the real machine
    expect(procs.length).toBeLessThan(8);
    expect(fs.readFileSync(`/proc/${lab.holderPid}/comm`, 'utf8').trim()).toBe('sleep');
  });

  it('keeps name lookups inside the lab (private resolv.conf and hosts)', async () => {
    const resolv = await lab.runInHost(['cat', '/etc/resolv.conf']);
    expect(resolv.stdout).toContain('nameserver 127.0.0.1');
    const hosts = await lab.runInHost(['getent', 'hosts', lab.hostName]);
    expect(hosts.stdout).toContain(lab.hostAddress4);
    // the machine's own files are untouched
    expect(fs.readFileSync('/etc/hosts', 'utf8')).not.toContain(lab.hostName);
  });

  it('runs host commands as another user when asked', async () => {
    const r = await lab.runInHost(['id', '-u'], { uid: 65534 });
    expect(r.stdout.trim()).toBe('65534');
    const g = await lab.runInHost(['id', '-G'], { uid: 65534 });
    expect(g.stdout.trim()).toBe('65534');
  });

  it('bounds host commands with a timeout', async () => {
    const t0 = performance.now();
    const r = await lab.runInHost(['sleep', '30'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('connects from the lan and the public side: refused where nothing listens', async () => {
    expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('refused');
    expect(await lab.connectFromLan(lab.hostAddress6, 11434)).toBe('refused');
    expect(await lab.connectFrom('public', lab.publicAddress4!, 11434)).toBe('refused');
    expect(await lab.connectFrom('host', '127.0.0.1', 11434)).toBe('refused');
  });

  it('sees a dropped port as a timeout (nft in the host namespace)', async (context) => {
    const nft = await lab.runInHost(['sh', '-c', 'command -v nft']);
    if (nft.code !== 0) {
      const reason = 'needs nftables (apt-get install nftables)';
      if (labRequired()) throw new Error(`${reason}; PADDOCK_REQUIRE_LAB=1 forbids skipping`);
      context.skip(reason);
    }
    const add = await lab.runInHost(['nft', '-f', '-'], {
      input:
        'table inet pdklab {\n  chain input {\n    type filter hook input priority 0;\n    tcp dport 11434 drop\n  }\n}\n',
    });
    expect(add.code).toBe(0);
    try {
      expect(await lab.connectFromLan(lab.hostAddress4, 11434, 400)).toBe('timeout');
    } finally {
      await lab.runInHost(['nft', 'delete', 'table', 'inet', 'pdklab']);
    }
  });

  it('refuses to contact anything but loopback and the lab', async () => {
    await expect(lab.connectFromLan('192.0.2.1', 80)).rejects.toThrow(/refusing to contact/);
    await expect(lab.httpFromLan('http://198.51.100.7/')).rejects.toThrow(/refusing to contact/);
  });

  it('holds a TCP connection open from the lan until closed', async () => {
    const t0 = performance.now();
    const s = await lab.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    timings.startStandin = performance.now() - t0;
    try {
      const held = await lab.holdConnectionFromLan(lab.hostAddress4, 11434);
      const ss = await lab.runInHost(['ss', '-Htn', 'state', 'established']);
      // a dual-stack socket shows the peer as [::ffff:10.251.X.2]:port
      expect(ss.stdout).toMatch(
        new RegExp(`(\\[::ffff:)?${lab.lanAddress4.replace(/\./g, '\\.')}\\]?:\\d+`),
      );
      await held.close();
    } finally {
      await s.stop();
    }
  });

  it('tears down everything, idempotently, and leaves nothing behind', async () => {
    const t0 = performance.now();
    const second = await createLab();
    timings.createLabPlain = performance.now() - t0;
    const s = await second.startStandin({ OLLAMA_HOST: '0.0.0.0' });
    const child = second.spawnInHost(['sleep', '60']);
    const inner = await second.innerPid(child);
    const t1 = performance.now();
    await second.close();
    timings.close = performance.now() - t1;
    await second.close();
    for (const pid of [s.pid, inner, second.holderPid]) {
      expect(
        fs.existsSync(`/proc/${pid}`) &&
          !/State:\s+Z/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')),
      ).toBe(false);
    }
    // the first lab is still open: only what belongs to the second one must be gone
    const ofSecond = (l: string) =>
      [
        `netns ${second.names.host}`,
        `netns ${second.names.lan}`,
        `link ${second.names.hostIf}`,
        `dir ${s.dir}`,
        `process ${second.holderPid} `,
        `process ${s.pid} `,
      ].some((x) => l === x || l.startsWith(x));
    expect((await leftovers()).filter(ofSecond)).toEqual([]);
    expect(fs.existsSync(s.dir)).toBe(false);
    await expect(second.runInHost(['true'])).rejects.toThrow(/closed/);
  });
});

describeLab('lab: leftovers after every lab of this file is closed', () => {
  it('lists nothing', async () => {
    const lab = await createLab({ publicInterface: true });
    await lab.close();
    expect(await leftovers()).toEqual([]);
  });
});
