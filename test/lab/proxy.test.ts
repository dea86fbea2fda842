/**
 * A real reverse proxy in front of Ollama: Debian's nginx runs inside the lab host with a
 * private configuration (`nginx -c <conf> -p <prefix> -e <log> -g 'daemon off; pid …;'`,
 * never the system's), listening on 0.0.0.0:8080 and proxying to the stand-in Ollama on
 * 127.0.0.1:11434. The engine's proxy probe, run inside the host, must say Ollama is reachable
 * through nginx; the LAN neighbour must really get "Ollama is running" through it. Then with
 * auth_basic, the probe must report the credentials demand and the LAN must really get 401.
 */
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, Standin } from './lab';
import { createLab, labPrerequisites } from './lab';
import { expectedVerdict, runScan } from './scan-helpers';
import type { Prerequisite } from '../support/prerequisites';
import { describeWhen } from '../support/prerequisites';

const PROXY_PORT = 8080;

function which(tool: string): string | null {
  for (const dir of [
    ...(process.env.PATH ?? '').split(':'),
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ]) {
    if (!dir) continue;
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

const NGINX = which('nginx');
const HTPASSWD = which('htpasswd');

/** describeLab, plus nginx: a skip that says why, or a failure under PADDOCK_REQUIRE_LAB=1. */
function describeLabWithNginx(name: string, fn: () => void): void {
  const both = (): Prerequisite => {
    const lab = labPrerequisites();
    if (!lab.ok) return lab;
    return NGINX
      ? { ok: true }
      : {
          ok: false,
          reason: 'nginx is not installed (apt-get install -y nginx-light apache2-utils)',
        };
  };
  describeWhen('nginx lab', both, name, fn);
}

function nginxConf(dir: string, auth: boolean): string {
  return `# Paddock lab test: private nginx configuration (never the system's).
worker_processes 1;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 0.0.0.0:${PROXY_PORT};
    location / {
${auth ? `      auth_basic "Ollama";\n      auth_basic_user_file ${dir}/htpasswd;\n` : ''}      proxy_pass http://127.0.0.1:11434;
      proxy_http_version 1.1;
      proxy_read_timeout 10s;
    }
  }
}
`;
}

/** user:password in a file nginx reads: htpasswd (apache2-utils, apr1), else {SHA} by hand. */
function writeHtpasswd(file: string, user: string, password: string): string {
  if (HTPASSWD) {
    const r = spawnSync(HTPASSWD, ['-b', '-c', '-m', file, user, password], {
      encoding: 'utf8',
      timeout: 5000,
    });
    if (r.status === 0) return 'htpasswd -m (apr1)';
  }
  const sha = createHash('sha1').update(password).digest('base64');
  fs.writeFileSync(file, `${user}:{SHA}${sha}\n`);
  return '{SHA} written by the test';
}

describeLabWithNginx('a reverse proxy (real nginx) in front of Ollama', () => {
  let lab: Lab;
  let standin: Standin;
  let dir: string;

  beforeAll(async () => {
    lab = await createLab();
    standin = await lab.startStandin(); // OLLAMA_HOST unset: 127.0.0.1:11434 only
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-nginx-'));
    fs.chmodSync(dir, 0o755); // nginx workers (not root) read the htpasswd file here
  });
  afterAll(async () => {
    await standin?.stop();
    await lab?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function startNginx(auth: boolean): Promise<{ stop(): Promise<void>; log(): string }> {
    const conf = path.join(dir, auth ? 'nginx-auth.conf' : 'nginx.conf');
    fs.writeFileSync(conf, nginxConf(dir, auth));
    const child: ChildProcess = lab.spawnInHost([
      NGINX!,
      '-c',
      conf,
      '-p',
      `${dir}/`,
      '-e',
      path.join(dir, 'error.log'),
      '-g',
      `daemon off; pid ${path.join(dir, 'nginx.pid')};`,
    ]);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const log = () => {
      let errorLog = '';
      try {
        errorLog = fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
      } catch {
        // none yet
      }
      return `${stderr}\n${errorLog}`;
    };
    const master = await lab.innerPid(child, 3000);
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    const stop = async () => {
      if (exited()) return;
      try {
        process.kill(master, 'SIGTERM');
      } catch {
        // gone
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          try {
            process.kill(master, 'SIGKILL');
          } catch {
            // gone
          }
          resolve();
        }, 3000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    };
    // Bounded: up to 50 tries, 100 ms apart.
    for (let i = 0; i < 50; i += 1) {
      if (exited()) throw new Error(`nginx exited: ${log()}`);
      if ((await lab.connectFromLan(lab.hostAddress4, PROXY_PORT, 500)) === 'open')
        return { stop, log };
      await new Promise((r) => setTimeout(r, 100));
    }
    await stop();
    throw new Error(`nginx did not listen on ${PROXY_PORT} within 5 s: ${log()}`);
  }

  it('open proxy: the probe finds Ollama through nginx on 0.0.0.0:8080, and the LAN really gets it', async () => {
    const nginx = await startNginx(false);
    try {
      // Ground truth first: Ollama itself is loopback-only, nginx carries it to the LAN.
      expect(await lab.connectFromLan(lab.hostAddress4, 11434)).toBe('refused');
      const viaProxy = await lab.httpFromLan(`http://${lab.hostAddress4}:${PROXY_PORT}/`);
      expect(viaProxy.status).toBe(200);
      expect(viaProxy.body).toBe('Ollama is running');

      const { json, code } = await runScan(lab);
      const proxies = json.snapshot.probes.proxies;
      expect(proxies.status).toBe('ok');
      const found = proxies.data.filter((p) => p.port === PROXY_PORT);
      expect(found, JSON.stringify(proxies)).toHaveLength(1);
      expect(found[0]).toMatchObject({
        listenAddress: '0.0.0.0',
        port: PROXY_PORT,
        connectAddress: '127.0.0.1',
        software: 'nginx',
        owner: { name: 'nginx' },
        ownerVisibility: 'visible',
        upstream: 'ollama',
        matchedBy: 'banner',
        authRequired: false,
        version: '0.12.10',
      });
      expect(found[0]!.reasons.join(' ')).toMatch(/nginx \(pid \d+\) listens on 0\.0\.0\.0:8080/);
      // nginx rewrites Host to the upstream's, so Ollama's loopback Host check never fires.
      expect(found[0]).toMatchObject({ foreignHostRefused: false, foreignOriginAllowed: false });
      expect(found[0]!.reasons.join(' ')).toMatch(/DNS-rebinding check does not protect this path/);
      // The stand-in's own listener is Ollama, not a proxy.
      expect(proxies.data.some((p) => p.port === 11434)).toBe(false);
      // The verdict: Ollama binds loopback, yet the LAN reaches it through nginx.
      expect(await expectedVerdict(lab, PROXY_PORT)).toBe('lan');
      expect(json.verdict).toBe('lan');
      expect(code).toBe(1);
      const instance = json.snapshot.instances.find((i) => i.pid === standin.hostPid)!;
      expect(instance.exposure).toBe('lan');
      expect(instance.listeners.map((l) => [l.path, l.port, l.exposure])).toEqual([
        ['direct', 11434, 'private'],
        ['proxy', PROXY_PORT, 'lan'],
      ]);
    } finally {
      await nginx.stop();
    }
  });

  it('auth_basic: the probe reports the credentials demand, and the LAN really gets 401', async () => {
    const how = writeHtpasswd(path.join(dir, 'htpasswd'), 'ollama', 'lab-secret');
    fs.chmodSync(path.join(dir, 'htpasswd'), 0o644);
    const nginx = await startNginx(true);
    try {
      const denied = await lab.httpFromLan(`http://${lab.hostAddress4}:${PROXY_PORT}/api/tags`);
      expect(denied.status).toBe(401);
      const allowed = await lab.httpFromLan(`http://${lab.hostAddress4}:${PROXY_PORT}/`, {
        headers: { Authorization: `Basic ${Buffer.from('ollama:lab-secret').toString('base64')}` },
      });
      expect(allowed.status, `${how}; ${nginx.log()}`).toBe(200);
      expect(allowed.body).toBe('Ollama is running');

      const { json } = await runScan(lab);
      const proxies = json.snapshot.probes.proxies;
      const found = proxies.data.filter((p) => p.port === PROXY_PORT);
      expect(found, JSON.stringify(proxies)).toHaveLength(1);
      expect(found[0]).toMatchObject({
        software: 'nginx',
        owner: { name: 'nginx' },
        upstream: 'unconfirmed',
        authRequired: true,
        authScheme: 'Basic',
        authRealm: 'Ollama',
        tagsStatus: 401,
      });
      expect(found[0]!.reasons[0]).toMatch(
        /asks for credentials \(HTTP 401, Basic realm "Ollama"\)/,
      );
      // Behind credentials nothing reaches Ollama from the LAN: the verdict stays private,
      // and the instance says why.
      expect(json.verdict).toBe('private');
      const instance = json.snapshot.instances.find((i) => i.pid === standin.hostPid)!;
      expect(instance.proxyPaths).toHaveLength(1);
      expect(instance.reasons.join(' ')).toMatch(
        /nginx on port 8080 asks for credentials \(Basic\)/,
      );
    } finally {
      await nginx.stop();
    }
  });
});
