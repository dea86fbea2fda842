/**
 * `npm run bench -- share-proxy [--requests N] [--out FILE]` (issue 14): what the proxy that
 * share-proxy writes costs a client. In a lab host (test/lab/lab.ts), the stand-in Ollama on
 * 127.0.0.1:11434, and in front of it the configurations the fix generates
 * (share-proxy-config.ts, the same functions, a bearer token, inference only): nginx on the lab
 * host's address, port 11434, and Caddy on port 11435, both plain HTTP (TLS is the same for
 * both and is measured by neither: with kept-alive connections its handshake is paid once).
 * bench/proxy-client.cjs, inside the lab host, sends streamed POST /api/generate requests
 * (5 NDJSON chunks each, read to the end) to the three targets interleaved, one kept-alive
 * connection each, N rounds (default 500, at most 1000) after 50 warm-up requests each; then N requests per
 * target 8 at a time, for requests per second. Target (the issue): the proxy adds under 1 ms
 * to the median request. Writes bench/results/share-proxy-latest.json (or --out).
 *
 * Bounded: every request has a 10 s timeout, the client 240 s, every loop a fixed count, and
 * the lab, nginx and Caddy are stopped whatever happens. Traffic stays inside the lab host.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { createLab, labPrerequisites } from '../test/lab/lab';
import type { Lab } from '../test/lab/lab';
import type { ShareManifest } from '../electron/engine/fixes/recipes/share-proxy-config';
import {
  caddyConfig,
  nginxConfig,
  secretFileText,
  secretFormatOf,
} from '../electron/engine/fixes/recipes/share-proxy-config';
import { which } from '../test/lab/proc';
import { machine } from './machine';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_OUT = path.join(ROOT, 'bench', 'results', 'share-proxy-latest.json');
const CLIENT = path.join(ROOT, 'bench', 'proxy-client.cjs');
const MAX_REQUESTS = 1000;
const TARGET_ADDED_MS = 1;

interface Figures {
  requests: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
  requestsPerSecond: number;
}

function options(): { requests: number; out: string } {
  const args = process.argv.slice(2);
  const value = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  return {
    requests: Math.min(MAX_REQUESTS, Math.max(100, Number(value('--requests') ?? 500) || 500)),
    out: value('--out') ?? DEFAULT_OUT,
  };
}

async function waitForPort(lab: Lab, address: string, port: number): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    const r = await lab
      .runInHost(['bash', '-c', 'exec 3<>/dev/tcp/$0/$1', address, String(port)], {
        timeoutMs: 2000,
      })
      .catch(() => null);
    if (r && r.code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${address}:${port}`);
}

async function main(): Promise<number> {
  const { requests, out } = options();
  const pre = labPrerequisites();
  const nginx = which('nginx');
  const caddy = which('caddy');
  if (!pre.ok || !nginx || !caddy) {
    process.stderr.write(
      `bench: needs the lab, nginx and caddy: ${pre.ok ? 'nginx or caddy is not installed' : pre.reason}\n`,
    );
    return 2;
  }
  let lab: Lab | null = null;
  let caddyChild: ChildProcess | null = null;
  let nginxConf: string | null = null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-bench-proxy-'));
  try {
    fs.chmodSync(dir, 0o755);
    const say = (text: string) => process.stderr.write(`bench: ${text}\n`);
    lab = await createLab();
    say('lab up');
    const standin = await lab.startStandin({ OLLAMA_HOST: '127.0.0.1:11434' });
    const token = randomBytes(32).toString('base64url');
    const base: ShareManifest = {
      version: 1,
      software: 'nginx',
      port: 11434,
      listen: [lab.hostAddress4],
      upstream: { address: '127.0.0.1', port: 11434 },
      kind: 'ollama',
      auth: 'bearer',
      endpoints: 'inference',
      tls: 'vpn-plain',
      cert: null,
      key: null,
      realm: 'Paddock share on bench',
    };
    const targets: Array<{ name: string; host: string; port: number; headerFile: string | null }> =
      [{ name: 'direct', host: '127.0.0.1', port: 11434, headerFile: null }];
    const header = path.join(dir, 'authorization');
    fs.writeFileSync(header, `Authorization: Bearer ${token}\n`, { mode: 0o600 });
    for (const software of ['nginx', 'caddy'] as const) {
      const m: ShareManifest = { ...base, software, port: software === 'nginx' ? 11434 : 11435 };
      const creds = path.join(dir, software);
      fs.mkdirSync(creds);
      fs.writeFileSync(
        path.join(creds, 'secret'),
        secretFileText(secretFormatOf(m), token, () => ''),
        { mode: 0o600 },
      );
      if (software === 'nginx') {
        nginxConf = path.join(creds, 'nginx.conf');
        fs.writeFileSync(nginxConf, nginxConfig(m, creds));
        await lab.runInHost(['mkdir', '-p', `/run/paddock-share-${m.port}`]);
        // nginx forks its master off and keeps stderr (its error log): not waited for.
        lab.spawnInHost([nginx, '-e', 'stderr', '-c', nginxConf]);
      } else {
        const conf = path.join(creds, 'Caddyfile');
        fs.writeFileSync(conf, caddyConfig(m, creds));
        caddyChild = lab.spawnInHost([caddy, 'run', '--config', conf, '--adapter', 'caddyfile'], {
          env: { HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
        });
      }
      say(`${software} started`);
      await waitForPort(lab, lab.hostAddress4, m.port);
      say(`${software} listens on ${lab.hostAddress4}:${m.port}`);
      targets.push({ name: software, host: lab.hostAddress4, port: m.port, headerFile: header });
    }
    const targetsFile = path.join(dir, 'targets.json');
    fs.writeFileSync(targetsFile, JSON.stringify(targets));
    say(`${requests} requests per target…`);
    const ran = await lab.runInHost(
      [process.execPath, CLIENT, String(requests), '8', targetsFile],
      { timeoutMs: 240_000 },
    );
    if (ran.code !== 0) throw new Error(`the client failed: ${ran.stderr}`);
    const figures = JSON.parse(ran.stdout) as Record<string, Figures>;
    await standin.stop();
    const direct = figures.direct!;
    const added = (name: string) =>
      Math.round((figures[name]!.medianMs - direct.medianMs) * 1000) / 1000;
    const summary = {
      addedMedianMs: { nginx: added('nginx'), caddy: added('caddy') },
      throughputRatio: {
        nginx:
          Math.round((figures.nginx!.requestsPerSecond / direct.requestsPerSecond) * 100) / 100,
        caddy:
          Math.round((figures.caddy!.requestsPerSecond / direct.requestsPerSecond) * 100) / 100,
      },
    };
    const met =
      summary.addedMedianMs.nginx < TARGET_ADDED_MS &&
      summary.addedMedianMs.caddy < TARGET_ADDED_MS;
    fs.writeFileSync(
      out,
      `${JSON.stringify({ bench: 'share-proxy', requests, concurrent: 8, machine: machine(), figures, summary, targetAddedMs: TARGET_ADDED_MS, met }, null, 2)}\n`,
    );
    process.stdout.write('target   median ms  p90 ms  min ms  max ms  req/s (8 at a time)\n');
    for (const [name, f] of Object.entries(figures))
      process.stdout.write(
        `${name.padEnd(8)} ${f.medianMs.toFixed(3).padStart(9)} ${f.p90Ms.toFixed(3).padStart(7)} ${f.minMs.toFixed(3).padStart(7)} ${f.maxMs.toFixed(2).padStart(7)}  ${String(f.requestsPerSecond).padStart(6)}\n`,
      );
    process.stdout.write(
      `added to the median request: nginx ${summary.addedMedianMs.nginx} ms, Caddy ${summary.addedMedianMs.caddy} ms (target < ${TARGET_ADDED_MS} ms: ${met ? 'met' : 'MISSED'}); throughput vs direct: nginx ${summary.throughputRatio.nginx}x, Caddy ${summary.throughputRatio.caddy}x  (${out})\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    if (lab && nginxConf)
      await lab.runInHost([nginx, '-e', 'stderr', '-c', nginxConf, '-s', 'stop']).catch(() => null);
    caddyChild?.kill('SIGKILL');
    await lab?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().then((code) => process.exit(code));
