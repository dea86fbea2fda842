/**
 * Issue 14, "password or token in front": the plan a user previews (what it writes, where it
 * listens, what it refuses to do), what root accepts of it (every file regenerated from the
 * manifest; nothing else), the one argument the privileged side takes, the client snippets,
 * and the executor's write-secret step: generated at apply time, 0600, in no journal or plan,
 * undone only when the file still holds it.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { PrivilegedContext } from '../../../electron/engine/fixes/allowlist';
import { privilegedPlanProblems } from '../../../electron/engine/fixes/allowlist';
import { applyPlan, undoRun } from '../../../electron/engine/fixes/executor';
import { isManual, planFix, privilegedChoiceArgs } from '../../../electron/engine/fixes/recipes';
import type { RecipeIO } from '../../../electron/engine/fixes/recipes';
import type { ShareManifest } from '../../../electron/engine/fixes/recipes/share-proxy-config';
import {
  credentialPathProblem,
  parseProxyChoiceArg,
  parseShareManifest,
  proxyChoiceArg,
  realmFor,
  secretFileText,
  shareManifestText,
  shareUnit,
  systemdPathValue,
} from '../../../electron/engine/fixes/recipes/share-proxy-config';
import { checkVerification } from '../../../electron/engine/fixes/verify';
import type { FixPlan, ProxyChoice } from '../../../shared/fixes';
import type { OllamaProcess, Snapshot } from '../../../shared/snapshot';
import { shareClients } from '../../../shared/share-clients';
import { LAN4, LAN6, buildSnapshot, lanPaths } from '../../rules/snapshots';

const UNIT = '/etc/systemd/system/llama.service';
const LLAMA_UNIT = `[Unit]\nDescription=llama.cpp server\n\n[Service]\nExecStart=/usr/local/bin/llama-server -m /srv/m.gguf --host 0.0.0.0 --port 8080\nRestart=always\n`;

function llama(): Snapshot {
  const snap = buildSnapshot({
    instances: [
      {
        kind: 'llamacpp',
        pid: 300,
        auth: 'none',
        listeners: [{ address: '0.0.0.0', port: 8080, via: lanPaths() }],
      },
    ],
  });
  const process: OllamaProcess = {
    pid: 300,
    ppid: 1,
    role: 'server',
    argv: [
      '/usr/local/bin/llama-server',
      '-m',
      '/srv/m.gguf',
      '--host',
      '0.0.0.0',
      '--port',
      '8080',
    ],
    executable: '/usr/local/bin/llama-server',
    executableStatus: 'ok',
    uid: 0,
    user: 'root',
    startedAt: null,
    systemdUnit: 'llama.service',
    sameNetns: true,
  };
  snap.instances[0]!.process = process;
  snap.instances[0]!.settings = [
    {
      name: 'ExecStart',
      value: process.argv.join(' '),
      source: { kind: 'systemd-unit', path: UNIT, line: 5 },
      state: 'effective',
      reason: '(fixture)',
    },
  ];
  return snap;
}

const ID = 'llamacpp:port:8080';
const installed = (bins: string[]): RecipeIO => ({
  readFile: (p) => (p === UNIT ? LLAMA_UNIT : null),
  fileMode: (p) => (bins.includes(p) ? 0o755 : p === UNIT ? 0o644 : null),
});
const BOTH = installed(['/usr/sbin/nginx', '/usr/bin/caddy']);
const choice = (over: Partial<ProxyChoice> = {}): ProxyChoice => ({
  software: 'nginx',
  auth: 'bearer',
  endpoints: 'inference',
  tls: 'certificate',
  cert: '/etc/ssl/lab/cert.pem',
  key: '/etc/ssl/lab/key.pem',
  ...over,
});
const context = (extra: Partial<PrivilegedContext> = {}): PrivilegedContext => ({
  units: new Set(['llama.service']),
  envFiles: new Set(),
  hostVars: new Map([['llama.service', new Set(['LLAMA_ARG_HOST'])]]),
  localAddresses: new Set([LAN4, LAN6]),
  vpnInterfaceAddresses: new Set(),
  serverPorts: new Set([8080]),
  ...extra,
});

function plan(proxy: ProxyChoice, io = BOTH, snap = llama()): FixPlan {
  const made = planFix('share-proxy', snap, ID, io, { proxy });
  if (isManual(made)) throw new Error(made.reason);
  return made;
}

describe('share-proxy: the plan', () => {
  it('rebinds the server to loopback, then writes the manifest, the config, the secret (by root, at apply time) and the unit, and starts it', () => {
    const p = plan(choice());
    const kinds = p.steps.map((s) =>
      s.kind === 'run' ? `run ${s.argv.slice(1, 3).join(' ')}` : `${s.kind} ${s.path}`,
    );
    expect(kinds).toEqual([
      'run cat --',
      'run daemon-reload',
      `write-file ${UNIT}`,
      'run daemon-reload',
      'run try-restart --',
      'run daemon-reload',
      'write-file /etc/paddock/share/8080/share.json',
      'write-file /etc/paddock/share/8080/nginx.conf',
      'write-secret /etc/paddock/share/8080/secret',
      'write-file /etc/systemd/system/paddock-share-8080.service',
      'run daemon-reload',
      'run enable --now',
    ]);
    const manifest = parseShareManifest(
      (p.steps[6] as { content: string }).content,
    ) as ShareManifest;
    // It listens where the server was reachable: eth0's addresses, IPv4 and IPv6, never link-local.
    expect(manifest.listen).toEqual([LAN4, LAN6]);
    // Forwarding to the server's loopback port, bound to the service that runs it.
    expect(manifest.upstream).toEqual({ address: '127.0.0.1', port: 8080, unit: 'llama.service' });
    expect(p.verification).toMatchObject({ kind: 'shared-behind-proxy', port: 8080 });
    expect(JSON.stringify(p)).not.toMatch(/Bearer [A-Za-z0-9_-]{20}/);
    expect(privilegedPlanProblems(p, context())).toEqual([]);
  });

  it('the proxy stops with the server’s service and starts again with it (BindsTo, WantedBy), so it never forwards to whoever takes the port meanwhile', () => {
    const p = plan(choice());
    const unit = (p.steps[9] as { path: string; content: string }).content;
    expect((p.steps[9] as { path: string }).path).toBe(
      '/etc/systemd/system/paddock-share-8080.service',
    );
    expect(unit).toContain('\nBindsTo=llama.service\n');
    expect(unit).toContain('\nAfter=network-online.target llama.service\n');
    expect(unit).toContain('\nWantedBy=multi-user.target llama.service\n');
    // Root binds it only to a service that runs a server its own scan found.
    expect(
      privilegedPlanProblems(p, context({ units: new Set(['other.service']) })),
    ).toContainEqual(
      expect.stringMatching(/bound to llama\.service, which runs no server Paddock found/),
    );
    // A manifest written before the field existed still reads, byte for byte, and its unit has
    // no binding (as it was written).
    const old = parseShareManifest(
      (p.steps[6] as { content: string }).content.replace(/,\n {4}"unit": "llama\.service"/, ''),
    );
    expect(old?.upstream).toEqual({ address: '127.0.0.1', port: 8080 });
    expect(shareUnit(old!)).not.toMatch(/BindsTo|llama\.service/);
  });

  it.each([
    ['neither proxy installed', choice(), installed([]), /Neither nginx nor Caddy is installed/],
    [
      'Caddy chosen, only nginx here',
      choice({ software: 'caddy', tls: 'internal', cert: null, key: null }),
      installed(['/usr/sbin/nginx']),
      /Caddy is not installed/,
    ],
    [
      "nginx with Caddy's own authority",
      choice({ tls: 'internal', cert: null, key: null }),
      BOTH,
      /Caddy's feature/,
    ],
    [
      'plain HTTP with no VPN up',
      choice({ tls: 'vpn-plain', cert: null, key: null }),
      BOTH,
      /No VPN interface/,
    ],
    ['a certificate path with a colon', choice({ cert: '/etc/ssl/a:b.pem' }), BOTH, /colon/],
    ['a relative key path', choice({ key: 'key.pem' }), BOTH, /not an absolute path/],
    ['a certificate without its key', choice({ key: null }), BOTH, /certificate file and its key/],
  ])('says why not, changing nothing: %s', (_what, c, io, why) => {
    const made = planFix('share-proxy', llama(), ID, io, { proxy: c });
    expect(isManual(made)).toBe(true);
    if (isManual(made)) expect(made.reason).toMatch(why);
  });

  it('as root, a certificate in a folder another user controls is refused', () => {
    const io: RecipeIO = {
      ...BOTH,
      rootWriteProblem: (p) => (p.startsWith('/home/') ? '/home/eve is owned by uid 1000' : null),
    };
    const made = planFix('share-proxy', llama(), ID, io, {
      proxy: choice({ cert: '/home/eve/cert.pem', key: '/home/eve/key.pem' }),
    });
    expect(isManual(made) && made.reason).toMatch(/owned by uid 1000/);
  });

  it('a server on loopback only is not opened by a share (it only narrows who reaches one)', () => {
    const snap = buildSnapshot({
      instances: [
        {
          kind: 'llamacpp',
          pid: 300,
          auth: 'none',
          listeners: [{ address: '127.0.0.1', port: 8080, via: [] }],
        },
      ],
    });
    const made = planFix('share-proxy', snap, ID, BOTH, { proxy: choice() });
    expect(isManual(made) && made.reason).toMatch(/only ever narrows/);
  });

  it('a port already shared through a proxy of Paddock’s is not shared twice', () => {
    const io: RecipeIO = {
      ...BOTH,
      readFile: (p) =>
        p === '/etc/paddock/share/8080/share.json' ? '{}' : p === UNIT ? LLAMA_UNIT : null,
    };
    const made = planFix('share-proxy', llama(), ID, io, { proxy: choice() });
    expect(isManual(made) && made.reason).toMatch(/already shared/);
  });
});

describe('share-proxy: what root accepts', () => {
  const base = plan(choice());
  const edit = (index: number, change: (s: Record<string, unknown>) => void): FixPlan => {
    const copy = structuredClone(base);
    change(copy.steps[index] as unknown as Record<string, unknown>);
    return copy;
  };
  it.each([
    [
      'a config with one more line',
      edit(7, (s) => {
        s.content = `${s.content as string}include /etc/shadow;\n`;
      }),
      /exactly what Paddock generates/,
    ],
    [
      'a unit that runs something else',
      edit(9, (s) => {
        s.content = (s.content as string).replace('/usr/sbin/nginx -e', '/tmp/x -e');
      }),
      /exactly what Paddock generates/,
    ],
    [
      'the secret written as a plain file',
      edit(8, (s) => {
        Object.assign(s, { kind: 'write-file', before: null, content: 'x', mode: 0o600 });
        delete s.format;
        delete s.replace;
      }),
      /written only by root/,
    ],
    [
      'the secret in a format its proxy does not read',
      edit(8, (s) => {
        s.format = 'caddy-bearer';
      }),
      /format is not the one its proxy reads/,
    ],
    [
      'a manifest listening on an address not this machine’s',
      (() => {
        const m = parseShareManifest((base.steps[6] as { content: string }).content)!;
        const other = { ...m, listen: ['192.0.2.9'] };
        const p = structuredClone(base);
        (p.steps[6] as { content: string }).content = shareManifestText(other);
        return p;
      })(),
      /not an address of this machine/,
    ],
    [
      'enabling another unit',
      edit(11, (s) => {
        s.argv = ['systemctl', 'enable', '--now', '--', 'ssh.service'];
        s.undo = ['systemctl', 'disable', '--now', '--', 'ssh.service'];
      }),
      /only a share proxy's own unit/,
    ],
    [
      'starting it with no undo',
      edit(11, (s) => {
        s.undo = null;
      }),
      /undone by stopping and disabling it/,
    ],
  ])('refuses %s', (_what, p, why) => {
    expect(privilegedPlanProblems(p, context()).join('; ')).toMatch(why);
  });

  it('plain HTTP is accepted on a VPN interface’s address only', () => {
    const m = parseShareManifest((base.steps[6] as { content: string }).content)!;
    const vpn: ShareManifest = { ...m, tls: 'vpn-plain', cert: null, key: null, listen: [LAN4] };
    const p = structuredClone(base);
    (p.steps[6] as { content: string }).content = shareManifestText(vpn);
    expect(privilegedPlanProblems(p, context()).join('; ')).toMatch(/not a VPN interface/);
    expect(
      privilegedPlanProblems(p, context({ vpnInterfaceAddresses: new Set([LAN4]) })).join('; '),
    ).not.toMatch(/VPN/);
  });
});

describe('share-proxy-rotate: a new secret for a share of Paddock’s', () => {
  function shared(): { snap: Snapshot; io: RecipeIO } {
    const snap = buildSnapshot({
      instances: [
        {
          kind: 'llamacpp',
          pid: 300,
          auth: 'none',
          listeners: [{ address: '127.0.0.1', port: 8080, via: [] }],
        },
      ],
    });
    snap.instances[0]!.sharedBehind = [
      { software: 'caddy', address: LAN4, port: 8080, scheme: 'Basic', tls: true },
    ];
    const manifest = parseShareManifest(
      (
        plan(choice({ software: 'caddy', auth: 'basic', tls: 'internal', cert: null, key: null }))
          .steps[6] as { content: string }
      ).content,
    )!;
    const io: RecipeIO = {
      ...BOTH,
      readFile: (p) =>
        p === '/etc/paddock/share/8080/share.json' ? shareManifestText(manifest) : null,
    };
    return { snap, io };
  }
  it('replaces the secret in its proxy’s format and restarts the proxy; undo restarts it after the old one is back', () => {
    const { snap, io } = shared();
    const made = planFix('share-proxy-rotate', snap, ID, io);
    if (isManual(made)) throw new Error(made.reason);
    expect(made.steps).toEqual([
      expect.objectContaining({
        argv: ['systemctl', 'cat', '--', 'paddock-share-8080.service'],
        undo: ['systemctl', 'try-restart', '--', 'paddock-share-8080.service'],
      }),
      expect.objectContaining({
        kind: 'write-secret',
        path: '/etc/paddock/share/8080/secret',
        format: 'caddy-basic',
        replace: true,
      }),
      expect.objectContaining({
        argv: ['systemctl', 'restart', '--', 'paddock-share-8080.service'],
        undo: null,
      }),
    ]);
    const formats = new Map([[8080, 'caddy-basic']]);
    expect(privilegedPlanProblems(made, context({ shareFormats: formats }))).toEqual([]);
    expect(privilegedPlanProblems(made, context({ shareFormats: new Map() })).join('; ')).toMatch(
      /no share of Paddock's on port 8080/,
    );
    expect(
      privilegedPlanProblems(
        made,
        context({ shareFormats: new Map([[8080, 'caddy-bearer']]) }),
      ).join('; '),
    ).toMatch(/not the one its proxy reads/);
  });
  it('says why not for a server that no proxy of Paddock’s fronts', () => {
    const made = planFix('share-proxy-rotate', llama(), ID, BOTH);
    expect(isManual(made) && made.reason).toMatch(/no secret of Paddock's to rotate/);
  });
});

describe('the choice as one argument for the privileged side', () => {
  it.each([
    'nginx:bearer:inference:certificate:/etc/ssl/a b/c.pem:/etc/ssl/k.pem',
    'caddy:basic:all:internal',
    'nginx:bearer:all:vpn-plain',
  ])('round-trips %s', (arg) => {
    const parsed = parseProxyChoiceArg(arg);
    expect(parsed).not.toBeNull();
    expect(proxyChoiceArg(parsed!)).toBe(arg);
  });
  it.each([
    'nginx:bearer:inference',
    'nginx:bearer:inference:internal:x:y',
    'apache:bearer:all:internal',
    'nginx:bearer:all:certificate:rel.pem:/k.pem',
    'nginx:bearer:all:certificate:/a\\b.pem:/k.pem',
    'caddy:basic:all:internal:',
  ])('refuses %j', (arg) => {
    expect(parseProxyChoiceArg(arg)).toBeNull();
  });
  it('is read back from the plan, so the caller sends what the user previewed', () => {
    expect(privilegedChoiceArgs(base())).toEqual([
      'nginx:bearer:inference:certificate:/etc/ssl/lab/cert.pem:/etc/ssl/lab/key.pem',
    ]);
    function base() {
      return plan(choice());
    }
  });
});

describe('values from the system and the user in the files', () => {
  it('a hostile machine name becomes realm characters only', () => {
    expect(realmFor('x"; return 200; # ${a} {$HOME}')).toBe(
      'Paddock share on x---return-200------a----HOME-',
    );
    expect(realmFor('')).toBe('Paddock share');
    expect(realmFor('"""')).toBe('Paddock share');
  });
  it('a certificate path reaches the unit only, with systemd’s % doubled', () => {
    expect(systemdPathValue('/etc/ssl/a %i b.pem')).toBe('/etc/ssl/a %%i b.pem');
    expect(credentialPathProblem('/etc/ssl/a\nb')).toMatch(/control character/);
    expect(credentialPathProblem('/etc/ssl/../shadow')).toMatch(/normalised/);
    expect(credentialPathProblem(' /etc/x')).toMatch(/absolute|blanks/);
    const m = parseShareManifest(
      (plan(choice({ cert: '/etc/ssl/a %i/c.pem' })).steps[6] as { content: string }).content,
    )!;
    expect(shareUnit(m)).toContain('LoadCredential=cert:/etc/ssl/a %%i/c.pem\n');
  });
  it('the secret file: only a token Paddock generates, in the proxy’s own format', () => {
    const token = 'A'.repeat(43);
    const hash = (s: string) => bcrypt.hashSync(s, 4);
    // A case-sensitive regular expression: nginx compares a map's string keys ignoring case.
    expect(secretFileText('nginx-bearer', token, hash)).toContain(`"~^Bearer ${token}$" 1;`);
    expect(secretFileText('caddy-bearer', token, hash)).toBe(
      `@paddock_authorized header Authorization "Bearer ${token}"\n`,
    );
    const line = secretFileText('htpasswd-bcrypt', token, hash);
    expect(line).toMatch(/^paddock:\$2[aby]\$04\$/);
    expect(bcrypt.compareSync(token, line.trim().slice('paddock:'.length))).toBe(true);
    expect(line).not.toContain(token);
    expect(() => secretFileText('nginx-bearer', 'x" 1; default 1; "', hash)).toThrow();
  });
});

describe('client snippets', () => {
  it('bearer over HTTPS: curl, the OpenAI SDK and Open WebUI name the base URL and the token', () => {
    const c = shareClients(
      { port: 11434, listen: ['fd00::5'], kind: 'ollama', auth: 'bearer', tls: 'internal' },
      'tok',
    );
    expect(c.baseUrl).toBe('https://[fd00::5]:11434');
    expect(c.snippets.map((s) => s.title)).toEqual([
      'Header file (once; readable by you only)',
      'curl',
      'OpenAI SDK (Python)',
      'Open WebUI',
      "Caddy's root certificate (trust it once on each client)",
    ]);
    expect(c.snippets[2]!.text).toContain(
      'base_url="https://[fd00::5]:11434/v1", api_key=os.environ["PADDOCK_TOKEN"]',
    );
    // Never on a command line (other users read /proc/PID/cmdline) nor in shell history.
    const curl = c.snippets[1]!.text;
    expect(curl).toBe(
      'curl --cacert root.crt -H @$HOME/.paddock-share.header https://[fd00::5]:11434/api/tags',
    );
    expect(curl).not.toContain('tok');
  });
});

describe('the write-secret step in the executor', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('generates the secret at apply time, 0600, hands it over once, keeps it out of the run; undo removes it only while it holds that secret', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pdk-secret-'));
    const target = join(dir, 'etc', 'secret');
    const p: FixPlan = {
      fixId: 'share-proxy',
      findingId: null,
      instance: ID,
      title: 't',
      summary: 's',
      warnings: [],
      requiresAdmin: false,
      steps: [
        {
          kind: 'write-secret',
          path: target,
          format: 'nginx-bearer',
          replace: false,
          description: 'the token',
        },
      ],
      verification: {
        kind: 'shared-behind-proxy',
        instance: ID,
        port: 8080,
        setting: 'nginx',
        description: 'd',
      },
      basedOn: 'x',
    };
    const runsDir = join(dir, 'runs');
    const secrets: string[] = [];
    const deps = {
      runsDir,
      exec: async (argv: readonly string[]) => ({
        argv: [...argv],
        code: 0,
        signal: null,
        stdout: '',
        stderr: '',
        spawnError: null,
        timedOut: false,
        truncated: false,
        durationMs: 0,
      }),
      now: () => new Date('2026-12-06T10:00:00Z'),
      verify: async () => ({ ok: true, detail: 'ok' }),
      onSecret: (s: string) => {
        secrets.push(s);
      },
    };
    const run = await applyPlan(p, deps);
    expect(run.state).toBe('applied');
    expect(secrets).toHaveLength(1);
    const token = secrets[0]!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(target, 'utf8')).toContain(`"~^Bearer ${token}$" 1;`);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    // Nowhere in the run's record: plan, journal, backups.
    const recorded = readdirSync(runsDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
      .join('\n');
    expect(recorded).not.toContain(token);
    expect(JSON.stringify(run)).not.toContain(token);

    // A second apply of the same plan finds the file there: refused, nothing changed.
    const again = await applyPlan(p, deps);
    expect(again.state).toBe('rolled-back');
    expect(again.outcome).toMatch(/already exists/);
    expect(readFileSync(target, 'utf8')).toContain(token);

    // Undo removes it (and the folder it made), since it still holds what was written.
    const undone = await undoRun(run.id, deps);
    expect(undone.state).toBe('undone');
    expect(() => statSync(target)).toThrow();
  });
});

describe('verification: shared-behind-proxy', () => {
  it('needs the server on loopback and every proxy in front asking for credentials', () => {
    const snap = buildSnapshot({
      instances: [
        {
          kind: 'llamacpp',
          pid: 300,
          auth: 'none',
          listeners: [{ address: '127.0.0.1', port: 8080, via: [] }],
        },
      ],
    });
    const v = plan(choice()).verification;
    expect(checkVerification(v, snap).ok).toBe(false);
    const path = {
      listenAddress: LAN4,
      port: 8080,
      family: 4 as const,
      dualStack: false,
      connectAddress: LAN4,
      tls: true,
      owner: null,
      ownerVisibility: 'visible' as const,
      software: 'nginx' as const,
      upstream: 'unconfirmed' as const,
      matchedBy: null,
      authRequired: true,
      authScheme: 'Bearer',
      authRealm: null,
      tagsStatus: 401,
      foreignHostRefused: null,
      foreignOriginAllowed: null,
      version: null,
      reasons: [],
    };
    snap.instances[0]!.proxyPaths = [path];
    expect(checkVerification(v, snap)).toMatchObject({ ok: true });
    snap.instances[0]!.proxyPaths = [path, { ...path, port: 9000, authRequired: false }];
    expect(checkVerification(v, snap).ok).toBe(false);
  });
});
