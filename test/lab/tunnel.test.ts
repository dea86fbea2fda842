/**
 * Issue 12, class 5 ("tunnels out"), for real: the stand-in Ollama listens on 127.0.0.1 only,
 * and a tunnel client (a stand-in named `cloudflared`, started as `cloudflared tunnel --url
 * http://localhost:11434`) dials out to a relay on the lab's "internet" peer, which hands it
 * every connection made to the relay's public port. No listener of the host shows it; the
 * internet peer really gets Ollama's models. The verdict must say `internet`, name the tunnel,
 * and raise the internet finding.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab, describeLab } from './lab';
import { runScan } from './scan-helpers';

const CONTROL_PORT = 7000;
const PUBLIC_PORT = 8443;

/** On the internet peer: pairs each visitor on PUBLIC_PORT with an idle tunnel connection. */
const RELAY = `
const net = require('node:net');
const idle = [];
net.createServer((t) => { idle.push(t); t.on('error', () => undefined); }).listen(${CONTROL_PORT});
net.createServer((v) => {
  const t = idle.shift();
  if (!t) return v.destroy();
  v.pipe(t); t.pipe(v);
  v.on('error', () => t.destroy()); t.on('error', () => v.destroy());
}).listen(${PUBLIC_PORT});
setTimeout(() => process.exit(0), 120000);
`;

/** On the host: keeps idle connections open to the relay and forwards each to Ollama. */
const CLIENT = `
const net = require('node:net');
const relay = process.env.RELAY;
let open = 0;
function dial() {
  if (open >= 4) return;
  open += 1;
  const t = net.connect(${CONTROL_PORT}, relay);
  t.on('error', () => { open -= 1; setTimeout(dial, 200); });
  t.once('data', (first) => {
    open -= 1; dial();
    const o = net.connect(11434, '127.0.0.1');
    o.write(first); t.pipe(o); o.pipe(t);
    o.on('error', () => t.destroy());
  });
}
for (let i = 0; i < 4; i += 1) dial();
setTimeout(() => process.exit(0), 120000);
`;

describeLab('a tunnel out in front of a loopback Ollama', () => {
  let lab: Lab;
  let standin: Standin;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    lab = await createLab({ publicInterface: true });
    standin = await lab.startStandin(); // 127.0.0.1:11434 only
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-tunnel-'));
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(dir, 'relay.cjs'), RELAY);
    fs.writeFileSync(path.join(dir, 'client.cjs'), CLIENT);
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.symlinkSync(process.execPath, path.join(dir, 'bin', 'cloudflared'));
    const relay = spawn(
      'nsenter',
      [
        `--net=/run/netns/${lab.names.public!}`,
        '--',
        process.execPath,
        path.join(dir, 'relay.cjs'),
      ],
      { stdio: 'ignore', detached: true },
    );
    children.push(relay);
    await new Promise((resolve) => setTimeout(resolve, 300));
    children.push(
      lab.spawnInHost(
        [
          path.join(dir, 'bin', 'cloudflared'),
          path.join(dir, 'client.cjs'),
          'tunnel',
          '--token',
          'tok-secret-4711',
          '--url',
          'http://localhost:11434',
        ],
        { env: { RELAY: lab.publicPeerAddress4! } },
      ),
    );
    for (
      let i = 0;
      i < 50 &&
      (await lab.httpFrom('public', `http://${lab.publicPeerAddress4}:${PUBLIC_PORT}/`)).status !==
        200;
      i += 1
    )
      await new Promise((resolve) => setTimeout(resolve, 100));
  });
  afterAll(async () => {
    for (const child of children) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
    await lab?.runInHost(['pkill', '-KILL', '-f', 'client.cjs']);
    await standin?.stop();
    await lab?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the internet peer gets the models through the tunnel; the verdict is internet and names cloudflared', async () => {
    // Whoever calls from the internet picks the Host header too: Ollama's Host check stops
    // browsers (DNS rebinding), not a direct caller.
    const tags = await lab.httpFrom(
      'public',
      `http://${lab.publicPeerAddress4}:${PUBLIC_PORT}/api/tags`,
      { headers: { Host: 'localhost:11434' } },
    );
    expect(tags.status).toBe(200);
    expect(await lab.connectFrom('public', lab.publicAddress4!, 11434)).not.toBe('open');
    const { json, code } = await runScan(lab);
    expect(json.verdict).toBe('internet');
    expect(code).toBe(1);
    const instance = json.snapshot.instances[0]!;
    expect(instance.tunnels?.map((t) => [t.tool, t.targets[0]?.port])).toEqual([
      ['cloudflared', 11434],
    ]);
    // Its token never reaches --json (nor any report made from it).
    expect(JSON.stringify(json)).not.toContain('tok-secret-4711');
    expect(instance.tunnels?.[0]?.argv).toContain('(hidden)');
    expect(instance.reasons.join('\n')).toMatch(
      /cloudflared \(pid \d+\) publishes localhost:11434 on the internet/,
    );
    const internet = json.findings.find((f) => f.ruleId === 'exposed-to-internet');
    expect(internet).toBeDefined();
    // Closing the port or rebinding cannot stop a tunnel that reaches the socket from inside.
    expect(internet!.fixes).not.toContain('block-port');
    expect(internet!.fixes).not.toContain('rebind-systemd');
  });
});
