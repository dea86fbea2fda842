/**
 * Issue 12, class 4 ("forwarders of any name"): a process Paddock has no name for relays a
 * port beyond loopback to an Ollama that listens on loopback only (a renamed socat, a Node
 * or Python one-liner). It is recognised by what it answers, not by its name: Ollama's banner
 * and API come back through it. The verdict must equal what the LAN neighbour really gets,
 * and never say "private" while the neighbour gets Ollama's models.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab, describeLab } from './lab';
import { expectedVerdict, runScan } from './scan-helpers';

const RELAY_PORT = 9000;

describeLab('a forwarder of no known name in front of a loopback Ollama', () => {
  let lab: Lab;
  let standin: Standin;
  let dir: string;
  let relay: ChildProcess;
  const others: ChildProcess[] = [];

  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin(); // 127.0.0.1:11434 only
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-relay-'));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'bin'));
    // "relay": Node under a name Paddock knows nothing of, forwarding 0.0.0.0:9000 to Ollama.
    fs.symlinkSync(process.execPath, path.join(dir, 'bin', 'relay'));
    fs.writeFileSync(
      path.join(dir, 'relay.cjs'),
      [
        "const net = require('node:net');",
        `net.createServer((c) => { const u = net.connect(11434, '127.0.0.1'); c.pipe(u); u.pipe(c);`,
        "  c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); })",
        `  .listen(${RELAY_PORT}, '0.0.0.0');`,
        // Neighbours that are not forwarders: a silent TCP service and an HTTP one.
        "net.createServer(() => undefined).listen(9001, '0.0.0.0');",
        "require('node:http').createServer((q, r) => r.end('hello')).listen(9002, '0.0.0.0');",
        'setTimeout(() => process.exit(0), 120000);',
      ].join('\n'),
    );
    relay = lab.spawnInHost([path.join(dir, 'bin', 'relay'), path.join(dir, 'relay.cjs')]);
    others.push(relay);
    for (
      let i = 0;
      i < 50 && (await lab.connectFromLan(lab.hostAddress4, RELAY_PORT)) !== 'open';
      i += 1
    )
      await new Promise((resolve) => setTimeout(resolve, 100));
  });
  afterAll(async () => {
    for (const child of others) child.kill('SIGKILL');
    await lab?.runInHost(['pkill', '-KILL', '-f', 'relay.cjs']);
    await standin?.stop();
    await lab?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the LAN really gets Ollama through it, and the verdict says so, naming the path', async () => {
    const tags = await lab.httpFromLan(`http://${lab.hostAddress4}:${RELAY_PORT}/api/tags`);
    expect(tags.status).toBe(200);
    expect(await lab.connectFromLan(lab.hostAddress4, 11434)).not.toBe('open');
    const { json } = await runScan(lab);
    expect(json.verdict).toBe(await expectedVerdict(lab, RELAY_PORT));
    expect(json.verdict).toBe('lan');
    const instance = json.snapshot.instances[0]!;
    const viaRelay = instance.listeners.find((l) => l.port === RELAY_PORT);
    expect(viaRelay?.path).toBe('proxy');
    expect(instance.proxyPaths.map((p) => [p.port, p.owner?.name, p.upstream])).toContainEqual([
      RELAY_PORT,
      'relay',
      'ollama',
    ]);
    // The silent and the plain HTTP neighbours are knocked on, and are not taken for paths.
    expect(instance.proxyPaths.some((p) => p.port === 9001 || p.port === 9002)).toBe(false);
  });
});
