/**
 * Issue 14, "password or token in front", against a real systemd (test/lab/systemd.ts) with
 * nginx and Caddy from Debian's packages inside the container: the stand-in Ollama as
 * `ollama.service` and llama-server as `llama.service`, both on every interface. The real CLI
 * previews `share-proxy`, `paddock-privileged` makes the plan again from root's own scan,
 * generates the secret, applies, verifies by rescanning and undoes it.
 *
 * From the LAN neighbour (its own network namespace, curl, over IPv4 and IPv6): with the token
 * or password, the server's own answers; without, with a wrong one, on an endpoint that
 * inference-only leaves out, or over plain HTTP to the HTTPS port: refused. The scan says
 * "shared behind a token"; the secret is in no journal, plan, history, report, scan or log; its
 * file is 0600 and root's; undo leaves the container's /etc byte for byte as it was.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ScanJson } from '../../electron/cli/scan-json';
import type { SystemdLab } from './systemd';
import {
  LLAMA_SERVICE,
  REPO_IN_CONTAINER,
  STANDIN_PORT,
  applyAsRoot,
  createSystemdLab,
  describeSystemdLab,
  undoAsRoot,
} from './systemd';

const PADDOCK = `${REPO_IN_CONTAINER}/bin/paddock.cjs`;
/** A space and a systemd specifier in the path: the unit must name it as it is (`%` doubled). */
const CERT_DIR = '/etc/ssl/paddock lab %i';

/** Every file under a folder of the container: path → mode and sha256 (links: their target). */
function treeOf(sd: SystemdLab, root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string, depth: number) => {
    if (depth > 12) return;
    const st = fs.lstatSync(sd.hostPath(p));
    if (st.isSymbolicLink()) out[p] = `link ${fs.readlinkSync(sd.hostPath(p))}`;
    else if (st.isDirectory()) {
      out[p] = `dir ${(st.mode & 0o7777).toString(8)}`;
      for (const e of fs.readdirSync(sd.hostPath(p)).sort()) walk(`${p}/${e}`, depth + 1);
    } else
      out[p] = `${(st.mode & 0o7777).toString(8)} ${st.uid} ${createHash('sha256')
        .update(fs.readFileSync(sd.hostPath(p)))
        .digest('hex')}`;
  };
  walk(root, 0);
  return out;
}

interface Answer {
  status: number;
  body: string;
}

describeSystemdLab('share-proxy: a token or password in front, in a real systemd', () => {
  let sd: SystemdLab;
  let work: string;

  beforeAll(async () => {
    sd = await createSystemdLab({ services: [LLAMA_SERVICE] });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-share-proxy-'));
    // A certificate for the lab host's two addresses, as a user would have one (root's, 0600 key).
    const { hostAddress4: h4, hostAddress6: h6 } = sd.lab;
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=paddock-lab',
        '-addext',
        `subjectAltName=IP:${h4},IP:${h6}`,
        '-keyout',
        path.join(work, 'key.pem'),
        '-out',
        path.join(work, 'cert.pem'),
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
    fs.mkdirSync(sd.hostPath(CERT_DIR), { recursive: true, mode: 0o755 });
    fs.copyFileSync(path.join(work, 'cert.pem'), sd.hostPath(`${CERT_DIR}/cert.pem`));
    fs.copyFileSync(path.join(work, 'key.pem'), sd.hostPath(`${CERT_DIR}/key.pem`));
    fs.chmodSync(sd.hostPath(`${CERT_DIR}/key.pem`), 0o600);
  }, 300_000);
  afterAll(async () => {
    await sd?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 30_000);

  /**
   * One request from the LAN neighbour, with curl: the credentials from a header file (never
   * in curl's argv), bounded in time. status 0: no HTTP answer.
   */
  function fromLan(
    url: string,
    options: { header?: string; method?: string; data?: string; cacert?: string } = {},
  ): Answer {
    const headers = path.join(work, `h-${Math.random().toString(16).slice(2)}`);
    fs.writeFileSync(headers, options.header ? `${options.header}\n` : '', { mode: 0o600 });
    const body = path.join(work, 'body');
    fs.rmSync(body, { force: true });
    const argv = [
      'netns',
      'exec',
      sd.lab.names.lan,
      'curl',
      '-s',
      '-g',
      '--max-time',
      '8',
      '-o',
      body,
      '-w',
      '%{http_code}',
      '-H',
      `@${headers}`,
      ...(options.cacert ? ['--cacert', options.cacert] : ['-k']),
      ...(options.method ? ['-X', options.method] : []),
      ...(options.data ? ['--data', options.data] : []),
      url,
    ];
    const r = spawnSync('ip', argv, { encoding: 'utf8', timeout: 15_000 });
    fs.rmSync(headers, { force: true });
    return {
      status: Number(r.stdout.trim()) || 0,
      body: fs.existsSync(body) ? fs.readFileSync(body, 'utf8') : '',
    };
  }

  async function inContainer(argv: string[]): Promise<string> {
    const r = await sd.runInContainer(argv, { timeoutMs: 60_000 });
    return `${r.stdout}${r.stderr}`;
  }

  async function scan(): Promise<ScanJson> {
    const r = await sd.runInContainer(['/usr/bin/node', PADDOCK, 'scan', '--json'], {
      timeoutMs: 60_000,
    });
    return JSON.parse(r.stdout) as ScanJson;
  }

  /**
   * Where a secret is, among everything Paddock and the system keep that it could leak into:
   * files (container paths) and the output of scan, history, reports and the journal.
   */
  async function whereIs(secret: string): Promise<string[]> {
    const files = (dir: string): Array<[string, string]> => {
      const at = sd.hostPath(dir);
      if (!fs.existsSync(at)) return [];
      return fs.readdirSync(at, { recursive: true, withFileTypes: true }).flatMap((e) => {
        if (!e.isFile()) return [];
        const full = path.join(e.parentPath, e.name);
        return [[full.slice(sd.hostPath('/').length - 1), fs.readFileSync(full, 'utf8')]];
      });
    };
    const outputs: Array<[string, string]> = [
      ['scan --json', await inContainer(['/usr/bin/node', PADDOCK, 'scan', '--json'])],
      ['history --json', await inContainer(['/usr/bin/node', PADDOCK, 'history', '--json'])],
      [
        'report json',
        await inContainer(['/usr/bin/node', PADDOCK, 'report', '--format', 'json', '-o', '-']),
      ],
      [
        'report md',
        await inContainer(['/usr/bin/node', PADDOCK, 'report', '--format', 'md', '-o', '-']),
      ],
      ['journal', await inContainer(['journalctl', '--no-pager', '-o', 'verbose'])],
    ];
    return [
      ...files('/var/lib/paddock'),
      ...files('/root/.local/state/paddock'),
      ...files('/etc/paddock'),
      ...files('/etc/systemd/system'),
      ...files('/var/lib/private'),
      ...files('/run'),
      ...outputs,
    ]
      .filter(([, text]) => text.includes(secret))
      .map(([where]) => where);
  }

  it('Ollama behind nginx with a token and the user’s certificate: the token gets Ollama’s answers over IPv4 and IPv6, nothing else does; the scan says shared behind a token; the secret is nowhere else; undo restores /etc', async () => {
    const etcBefore = treeOf(sd, '/etc');
    const { hostAddress4: h4, hostAddress6: h6 } = sd.lab;
    const plain = fromLan(`http://${h4}:${STANDIN_PORT}/api/tags`);
    expect(plain.status, 'before: Ollama answers the LAN directly').toBe(200);

    const run = await applyAsRoot(sd, 'share-proxy', 'ollama:service:ollama.service', {
      cli: [
        '--proxy',
        'nginx',
        '--auth',
        'bearer',
        '--endpoints',
        'inference',
        '--tls',
        'certificate',
        '--cert',
        `${CERT_DIR}/cert.pem`,
        '--key',
        `${CERT_DIR}/key.pem`,
      ],
      privileged: [`nginx:bearer:inference:certificate:${CERT_DIR}/cert.pem:${CERT_DIR}/key.pem`],
    });
    expect(run.state, run.outcome).toBe('applied');
    const token = run.secret!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cacert = path.join(work, 'cert.pem');
    const bearer = `Authorization: Bearer ${token}`;

    for (const host of [h4, `[${h6}]`]) {
      const base = `https://${host}:${STANDIN_PORT}`;
      const ok = fromLan(`${base}/api/tags`, { header: bearer, cacert });
      expect(ok.status, `${base} with the token`).toBe(200);
      expect(JSON.parse(ok.body)).toHaveProperty('models');
      const gen = fromLan(`${base}/api/generate`, {
        header: bearer,
        cacert,
        data: '{"model":"llama3.2:3b","prompt":"hi"}',
      });
      expect(gen.status).toBe(200);
      expect(gen.body).toContain('"done":true');
      expect(fromLan(`${base}/api/tags`, { cacert }).status, 'no token').toBe(401);
      expect(
        fromLan(`${base}/api/tags`, { header: `Authorization: Bearer ${token}x`, cacert }).status,
        'a wrong token',
      ).toBe(401);
      expect(
        fromLan(`${base}/api/tags`, { header: `Authorization: Basic ${token}`, cacert }).status,
        'the token as the wrong scheme',
      ).toBe(401);
      expect(
        fromLan(`${base}/api/pull`, {
          header: bearer,
          cacert,
          data: '{"model":"evil/model"}',
        }).status,
        'inference only: no pulling, even with the token',
      ).toBe(403);
      expect(
        fromLan(`${base}/api/delete`, { header: bearer, cacert, method: 'DELETE' }).status,
      ).toBe(403);
    }
    // The token over plain HTTP to the HTTPS port: refused, and nothing reaches Ollama.
    expect(fromLan(`http://${h4}:${STANDIN_PORT}/api/tags`, { header: bearer }).status).toBe(400);

    const json = await scan();
    const instance = json.snapshot.instances.find((i) => i.id === 'ollama:service:ollama.service')!;
    expect(instance.exposure).toBe('private');
    expect(instance.sharedBehind).toEqual(
      expect.arrayContaining([
        { software: 'nginx', address: h4, port: STANDIN_PORT, scheme: 'Bearer', tls: true },
      ]),
    );
    const rules = json.findings.filter((f) => f.instance === instance.id).map((f) => f.ruleId);
    expect(rules).toContain('shared-with-chosen');
    expect(rules).not.toContain('exposed-to-lan');
    expect(rules).not.toContain('proxy-without-auth');
    expect(json.findings.find((f) => f.ruleId === 'shared-with-chosen')?.title).toMatch(
      /^Ollama .*is shared behind a token$/,
    );

    // Rotation: a new token, the old one refused at once; undoing it brings the old one back.
    const base4 = `https://${h4}:${STANDIN_PORT}/api/tags`;
    const rotated = await applyAsRoot(sd, 'share-proxy-rotate', 'ollama:service:ollama.service');
    expect(rotated.state, rotated.outcome).toBe('applied');
    const token2 = rotated.secret!;
    expect(token2).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token2).not.toBe(token);
    expect(fromLan(base4, { header: bearer, cacert }).status, 'the old token').toBe(401);
    expect(
      fromLan(base4, { header: `Authorization: Bearer ${token2}`, cacert }).status,
      'the new token',
    ).toBe(200);

    // The secrets: the file root's and 0600 (and the proxy's own copy, systemd's credential);
    // the replaced one only in the rotation's root-only backup, which undo puts back; nowhere
    // else Paddock or the system keeps things.
    const secretPath = `/etc/paddock/share/${STANDIN_PORT}/secret`;
    const secretFile = fs.statSync(sd.hostPath(secretPath));
    expect([secretFile.uid, secretFile.mode & 0o777]).toEqual([0, 0o600]);
    const credential = /^\/run\/credentials\/paddock-share-11434\.service\/secret$/;
    const now = await whereIs(token2);
    expect(now.filter((w) => !credential.test(w))).toEqual([secretPath]);
    const backup = `/var/lib/paddock/runs/${rotated.id}/backups/step-1.bin`;
    const before = await whereIs(token);
    expect(before).toEqual([backup]);
    const kept = fs.statSync(sd.hostPath(backup));
    expect([kept.uid, kept.mode & 0o777]).toEqual([0, 0o600]);

    expect(await undoAsRoot(sd, rotated.id)).toBe('undone');
    expect(fromLan(base4, { header: bearer, cacert }).status, 'the old token again').toBe(200);
    expect(fromLan(base4, { header: `Authorization: Bearer ${token2}`, cacert }).status).toBe(401);

    // Ollama stops: the proxy stops with it (BindsTo), so another user's program that takes
    // 127.0.0.1:11434 meanwhile never receives a request (with the token, a prompt) from the
    // LAN. Ollama starts again: the proxy with it.
    const inside = async (...argv: string[]) => {
      const r = await sd.runInContainer(argv, { timeoutMs: 30_000 });
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    const proxyUnit = `paddock-share-${STANDIN_PORT}.service`;
    await inside('systemctl', 'stop', 'ollama.service');
    expect(await sd.runInContainer(['systemctl', 'is-active', proxyUnit])).toMatchObject({
      stdout: 'inactive\n',
    });
    const squatter = `import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(("127.0.0.1", ${STANDIN_PORT}))\ns.listen(8)\nwhile True:\n    c, _ = s.accept()\n    c.recv(65536)\n    c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 8\\r\\n\\r\\nsquatter")\n    c.close()\n`;
    await inside(
      'systemd-run',
      '--unit=pdk-squatter',
      '--uid=65534',
      '--gid=65534',
      '/usr/bin/python3',
      '-c',
      squatter,
    );
    let squatted = '';
    for (let i = 0; i < 50 && squatted !== 'squatter'; i++) {
      squatted = (
        await sd.runInContainer([
          '/usr/bin/python3',
          '-c',
          `import urllib.request\ntry:\n    print(urllib.request.urlopen("http://127.0.0.1:${STANDIN_PORT}/", timeout=2).read().decode(), end="")\nexcept Exception as e:\n    print(e)`,
        ])
      ).stdout;
      if (squatted !== 'squatter') await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      squatted,
      `the squatter holds the port: ${(await sd.runInContainer(['systemctl', 'status', 'pdk-squatter.service'])).stdout}`,
    ).toBe('squatter');
    const meanwhile = fromLan(base4, { header: bearer, cacert });
    expect(meanwhile.status, 'the proxy is down with the server: nothing answers').toBe(0);
    expect(meanwhile.body).not.toContain('squatter');
    await inside('systemctl', 'stop', 'pdk-squatter.service');
    await inside('systemctl', 'start', 'ollama.service');
    // Pulled in by the server's start (WantedBy=), started after it (After=).
    let state = '';
    for (let i = 0; i < 100 && state !== 'active'; i++) {
      state = (await sd.runInContainer(['systemctl', 'is-active', proxyUnit])).stdout.trim();
      if (state !== 'active') await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      state,
      (await sd.runInContainer(['systemctl', 'status', proxyUnit, 'ollama.service'])).stdout,
    ).toBe('active');
    let again = 0;
    for (let i = 0; i < 50 && again !== 200; i++) {
      again = fromLan(base4, { header: bearer, cacert }).status;
      if (again !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(again, 'the proxy is back with the server').toBe(200);

    expect(await undoAsRoot(sd, run.id)).toBe('undone');
    expect(treeOf(sd, '/etc')).toEqual(etcBefore);
    // Back as before: Ollama answers the LAN itself again.
    let back = 0;
    for (let i = 0; i < 50 && back !== 200; i++) {
      back = fromLan(`http://${h4}:${STANDIN_PORT}/api/tags`).status;
      if (back !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(back).toBe(200);
  }, 240_000);

  it('llama-server behind Caddy with a password and Caddy’s own authority, every endpoint: the password gets its answers, nothing else does; undo removes the unit, the authority and the secret', async () => {
    const etcBefore = treeOf(sd, '/etc');
    const { hostAddress4: h4, hostAddress6: h6 } = sd.lab;
    const run = await applyAsRoot(sd, 'share-proxy', 'llamacpp:port:8080', {
      cli: ['--proxy', 'caddy', '--auth', 'basic', '--endpoints', 'all', '--tls', 'internal'],
      privileged: ['caddy:basic:all:internal'],
    });
    const log =
      run.state === 'applied'
        ? ''
        : await inContainer(['journalctl', '--no-pager', '-u', 'paddock-share-8080.service']);
    expect(run.state, `${run.outcome}\n${log}`).toBe('applied');
    const password = run.secret!;
    const basic = `Authorization: Basic ${Buffer.from(`paddock:${password}`).toString('base64')}`;
    // Caddy's authority's root, as the client snippet tells the user to copy it.
    const root = path.join(work, 'caddy-root.crt');
    fs.copyFileSync(
      sd.hostPath('/var/lib/private/paddock-share-8080/caddy/pki/authorities/local/root.crt'),
      root,
    );
    for (const host of [h4, `[${h6}]`]) {
      const base = `https://${host}:8080`;
      const ok = fromLan(`${base}/v1/models`, { header: basic, cacert: root });
      expect(ok.status, `${base} with the password`).toBe(200);
      expect(JSON.parse(ok.body)).toHaveProperty('data');
      expect(fromLan(`${base}/v1/models`, { cacert: root }).status).toBe(401);
      const wrong = `Authorization: Basic ${Buffer.from('paddock:wrong').toString('base64')}`;
      expect(fromLan(`${base}/v1/models`, { header: wrong, cacert: root }).status).toBe(401);
    }
    const json = await scan();
    const instance = json.snapshot.instances.find((i) => i.id === 'llamacpp:port:8080')!;
    expect(instance.sharedBehind?.map((b) => [b.software, b.scheme, b.tls])).toContainEqual([
      'caddy',
      'Basic',
      true,
    ]);
    expect(
      (await whereIs(password)).filter(
        (w) => !/^\/run\/credentials\/paddock-share-8080\.service\/secret$/.test(w),
      ),
    ).toEqual([]);

    expect(await undoAsRoot(sd, run.id)).toBe('undone');
    expect(treeOf(sd, '/etc')).toEqual(etcBefore);
    expect(fs.existsSync(sd.hostPath('/var/lib/private/paddock-share-8080'))).toBe(false);
    let back = 0;
    for (let i = 0; i < 50 && back !== 200; i++) {
      back = fromLan(`http://${h4}:8080/v1/models`).status;
      if (back !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(back).toBe(200);
  }, 240_000);
});
