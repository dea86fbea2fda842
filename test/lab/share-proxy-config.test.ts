/**
 * Issue 14: the proxy configurations Paddock generates, fed hostile machine names (the realm)
 * and unusual but valid addresses, checked by the real nginx (`nginx -t`, then `nginx -T` for
 * what it read) and the real Caddy (`caddy validate`, then `caddy adapt` for its JSON): both
 * accept every result, and the meaning did not change: the same addresses and port, the same
 * upstream, the same endpoints, the realm in realm characters only. Anything that is not an IP
 * literal never gets that far: the manifest refuses it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ShareManifest } from '../../electron/engine/fixes/recipes/share-proxy-config';
import {
  caddyConfig,
  inferencePaths,
  nginxConfig,
  parseShareManifest,
  realmFor,
  secretFileText,
  secretFormatOf,
  shareManifestText,
} from '../../electron/engine/fixes/recipes/share-proxy-config';
import type { Prerequisite } from '../support/prerequisites';
import { describeWhen } from '../support/prerequisites';
import { which } from './proc';
import { credentialFileProblem } from '../../electron/cli/privileged';

const NGINX = which('nginx');
const CADDY = which('caddy');

function both(): Prerequisite {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root (nginx -t reads /run)' };
  if (!NGINX) return { ok: false, reason: 'nginx is not installed (apt-get install nginx-light)' };
  if (!CADDY) return { ok: false, reason: 'caddy is not installed (apt-get install caddy)' };
  return { ok: true };
}

const HOSTILE_NAMES = [
  'x"; return 200; #',
  'a${b}c',
  '{$HOME}',
  'evil\nlisten 0.0.0.0:80;',
  "it's } { bind 0.0.0.0",
  'ünïcødé-höst',
  '',
  'a'.repeat(200),
];
const ADDRESSES: string[][] = [
  ['192.168.1.20'],
  ['192.168.1.20', 'fd00::20'],
  ['fd00:0:0:0:0:0:0:20'],
  ['100.64.3.4', 'fd7a:115c:a1e0::3'],
];

describeWhen(
  'nginx and Caddy',
  both,
  'share-proxy configurations under the real nginx and Caddy',
  () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-proxy-config-'));
    // nginx -t binds what it listens on: a namespace of the test's own holds those addresses.
    const netns = `pdk-cfg-${process.pid}`;
    beforeAll(() => {
      const ip = (args: string[]) => {
        const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 5000 });
        // fd00:0:0:0:0:0:0:20 is fd00::20, already there: fine.
        if (r.status !== 0 && !/already assigned/.test(r.stderr))
          throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
      };
      ip(['netns', 'add', netns]);
      ip(['-n', netns, 'link', 'set', 'lo', 'up']);
      for (const a of new Set(ADDRESSES.flat()))
        ip([
          '-n',
          netns,
          'addr',
          'add',
          a.includes(':') ? `${a}/128` : `${a}/32`,
          'dev',
          'lo',
          ...(a.includes(':') ? ['nodad'] : []),
        ]);
    });
    afterAll(() => {
      spawnSync('ip', ['netns', 'delete', netns], { timeout: 5000 });
      fs.rmSync(work, { recursive: true, force: true });
    });
    const inNetns = (argv: string[]) => ['ip', 'netns', 'exec', netns, ...argv];
    const token = 'T'.repeat(43);

    function manifest(over: Partial<ShareManifest>): ShareManifest {
      return {
        version: 1,
        software: 'nginx',
        port: 41434,
        listen: ['192.168.1.20'],
        upstream: { address: '127.0.0.1', port: 11434 },
        kind: 'ollama',
        auth: 'bearer',
        endpoints: 'inference',
        tls: 'vpn-plain',
        cert: null,
        key: null,
        realm: 'Paddock share',
        ...over,
      };
    }

    function run(argv: string[]): { code: number | null; out: string; stdout: string } {
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
      return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
    }

    let n = 0;
    function files(m: ShareManifest): { dir: string; config: string } {
      const dir = path.join(work, String(n++));
      fs.mkdirSync(dir);
      fs.writeFileSync(
        path.join(dir, 'secret'),
        secretFileText(secretFormatOf(m), token, (s) => bcrypt.hashSync(s, 4)),
        { mode: 0o600 },
      );
      const config = path.join(dir, m.software === 'nginx' ? 'nginx.conf' : 'Caddyfile');
      fs.writeFileSync(config, m.software === 'nginx' ? nginxConfig(m, dir) : caddyConfig(m, dir));
      return { dir, config };
    }

    it.each(HOSTILE_NAMES.flatMap((name) => ADDRESSES.map((listen) => ({ name, listen }))))(
      'nginx accepts it and reads the same meaning: %j',
      ({ name, listen }) => {
        for (const auth of ['bearer', 'basic'] as const) {
          const m = manifest({ realm: realmFor(name), listen, auth });
          expect(parseShareManifest(shareManifestText(m))).toEqual(m);
          const { config } = files(m);
          fs.mkdirSync(`/run/paddock-share-${m.port}`, { recursive: true });
          const checked = run(inNetns([NGINX!, '-t', '-q', '-e', 'stderr', '-c', config]));
          expect(checked.code, checked.out).toBe(0);
          const read = run(inNetns([NGINX!, '-T', '-q', '-e', 'stderr', '-c', config])).out;
          const listens = [...read.matchAll(/^\s*listen (\S+);$/gm)].map((x) => x[1]);
          expect(listens).toEqual(
            listen.map((a) => (a.includes(':') ? `[${a}]:41434` : `${a}:41434`)),
          );
          const exact = [...read.matchAll(/^\s*location = (\S+) \{$/gm)].map((x) => x[1]);
          expect(exact).toEqual(inferencePaths('ollama'));
          const passes = new Set(
            [...read.matchAll(/proxy_pass (\S+);/g)].map((x) =>
              x[1]!.replace(/\/[^:]*$|(?<=:\d+)\/.*$/, ''),
            ),
          );
          expect([...passes]).toEqual(['http://127.0.0.1:11434']);
          const realm =
            auth === 'bearer'
              ? /Bearer realm="([^"]*)"/.exec(read)
              : /auth_basic "([^"]*)";/.exec(read);
          expect(realm?.[1]).toBe(realmFor(name));
          expect(realm?.[1]).toMatch(/^[A-Za-z0-9._ -]+$/);
        }
      },
    );

    it.each(HOSTILE_NAMES.flatMap((name) => ADDRESSES.map((listen) => ({ name, listen }))))(
      'Caddy validates it and adapts it to the same meaning: %j',
      ({ name, listen }) => {
        for (const auth of ['bearer', 'basic'] as const) {
          const m = manifest({
            software: 'caddy',
            tls: 'internal',
            realm: realmFor(name),
            listen,
            auth,
          });
          const { config } = files(m);
          const checked = run([CADDY!, 'validate', '--config', config, '--adapter', 'caddyfile']);
          expect(checked.code, checked.out).toBe(0);
          const adapted = run([CADDY!, 'adapt', '--config', config, '--adapter', 'caddyfile']);
          const json = JSON.parse(adapted.stdout) as {
            apps: { http: { servers: Record<string, { listen: string[] }> } };
          };
          const servers = Object.values(json.apps.http.servers);
          expect(servers).toHaveLength(1);
          expect(servers[0]!.listen.sort()).toEqual(
            listen.map((a) => (a.includes(':') ? `[${a}]:41434` : `${a}:41434`)).sort(),
          );
          const text = JSON.stringify(json);
          expect(text).toContain('"dial":"127.0.0.1:11434"');
          // Each allowed path is forwarded as itself, whatever form of it the client sent.
          expect(text).toContain('"uri":"/api/chat?{http.request.uri.query}"');
          expect(text).not.toMatch(/"dial":"(?!127\.0\.0\.1:11434")/);
          // The realm, whatever the name was, is the one string Paddock meant.
          expect(text).toContain(
            auth === 'bearer'
              ? `"Bearer realm=\\"${realmFor(name)}\\""`
              : `"realm":"${realmFor(name)}"`,
          );
        }
      },
    );

    it('a certificate or key root hands the proxy: a root-owned regular PEM file in a chain only root controls', () => {
      const dir = fs.mkdtempSync('/run/pdk-cred-');
      try {
        fs.chmodSync(dir, 0o755);
        const pem = path.join(dir, 'cert.pem');
        fs.writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
        const key = path.join(dir, 'key.pem');
        fs.writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n', {
          mode: 0o600,
        });
        expect(credentialFileProblem(pem, 'CERTIFICATE')).toBeNull();
        expect(credentialFileProblem(key, 'PRIVATE KEY')).toBeNull();
        expect(credentialFileProblem(pem, 'PRIVATE KEY')).toMatch(/holds no PEM private key/);
        expect(credentialFileProblem('/etc/shadow', 'CERTIFICATE')).toMatch(/holds no PEM/);
        expect(credentialFileProblem('/etc/ssh', 'CERTIFICATE')).toMatch(/not a regular file/);
        const link = path.join(dir, 'link.pem');
        fs.symlinkSync(pem, link);
        expect(credentialFileProblem(link, 'CERTIFICATE')).toMatch(/cannot be opened|ELOOP/);
        const theirs = path.join(dir, 'theirs.pem');
        fs.copyFileSync(pem, theirs);
        fs.chownSync(theirs, 1000, 1000);
        expect(credentialFileProblem(theirs, 'CERTIFICATE')).toMatch(/not owned by root/);
        // A folder another user owns: they could swap the file for a link to anything.
        const open = fs.mkdtempSync('/run/pdk-cred-user-');
        fs.copyFileSync(pem, path.join(open, 'c.pem'));
        fs.chownSync(open, 1000, 1000);
        expect(credentialFileProblem(path.join(open, 'c.pem'), 'CERTIFICATE')).toMatch(
          /not in a folder only root controls/,
        );
        fs.rmSync(open, { recursive: true, force: true });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it.each([
      ['a name for an address', ['ollama.lan']],
      ['a zone on a link-local address', ['fe80::1%eth0']],
      ['an address with a statement after it', ['192.168.1.20; listen 0.0.0.0']],
      ['every address', ['0.0.0.0']],
      ['loopback', ['127.0.0.1']],
    ])('the manifest refuses %s', (_what, listen) => {
      const text = JSON.stringify({ ...manifest({}), listen }, null, 2) + '\n';
      expect(parseShareManifest(text)).toBeNull();
    });
  },
);
