/**
 * Issue 14, "password or token in front": what Paddock writes for a reverse proxy of its own,
 * generated from one manifest (share.json) by pure functions, so that root can regenerate every
 * file from the manifest and compare byte for byte (allowlist.ts), and a test can feed hostile
 * values and check what nginx and Caddy make of the result.
 *
 * Layout, per shared port P:
 *
 *   /etc/paddock/share/P/share.json              the manifest (0644): what is shared and how
 *   /etc/paddock/share/P/nginx.conf | Caddyfile  the proxy's configuration (0644)
 *   /etc/paddock/share/P/secret                  the credential (0600 root), written by root
 *                                                at apply time; never in a plan or journal
 *   /etc/systemd/system/paddock-share-P.service  the proxy as a service of its own
 *
 * The service runs the proxy as a transient user (DynamicUser=), never as root, and hands it
 * the secret (and a user's TLS certificate and key) through systemd's LoadCredential=: the
 * files stay root-only, and the proxy reads its copy under /run/credentials/<unit>/. Nothing of
 * the user's own nginx or Caddy configuration is touched.
 *
 * Values in the files: addresses are IP literals (checked), ports integers, paths of the
 * inference endpoints constants; the one value read from the system that reaches a config is
 * the machine's name in the realm, cut to [A-Za-z0-9._-] (nginx would expand `$`, Caddy
 * `{$…}`, and neither has an escape for every such character); a user's certificate paths
 * reach only the unit, escaped for systemd (`%` doubled) and refused with control characters,
 * backslashes, `:` or leading/trailing blanks.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { SERVER_KINDS } from '../../../../shared/servers';
import { proxyChoiceSchema } from '../../../../shared/fixes';
import type { ProxyChoice } from '../../../../shared/fixes';
import type { ServerKindId } from '../../../../shared/servers';

export const SHARE_ROOT = '/etc/paddock/share';
export const SHARE_USER = 'paddock';

export const shareDir = (port: number) => `${SHARE_ROOT}/${port}`;
export const shareManifestPath = (port: number) => `${shareDir(port)}/share.json`;
export const shareSecretPath = (port: number) => `${shareDir(port)}/secret`;
export const shareUnitName = (port: number) => `paddock-share-${port}.service`;
export const shareUnitPath = (port: number) => `/etc/systemd/system/${shareUnitName(port)}`;
export const shareConfigPath = (software: ProxyChoice['software'], port: number) =>
  `${shareDir(port)}/${software === 'nginx' ? 'nginx.conf' : 'Caddyfile'}`;
/** Where the service reads its credentials (systemd's LoadCredential=). */
export const credentialsDir = (port: number) => `/run/credentials/${shareUnitName(port)}`;

export { proxyChoiceSchema };
export type { ProxyChoice };

/**
 * The choice as one argument for the privileged side: SOFTWARE:AUTH:ENDPOINTS:TLS, then
 * :CERT:KEY with tls=certificate (a path never holds a colon: credentialPathProblem).
 */
export function proxyChoiceArg(choice: ProxyChoice): string {
  const head = [choice.software, choice.auth, choice.endpoints, choice.tls];
  return (
    choice.tls === 'certificate' ? [...head, choice.cert ?? '', choice.key ?? ''] : head
  ).join(':');
}

/** The choice from its one-argument form, or null unless it is exactly the canonical form. */
export function parseProxyChoiceArg(text: string): ProxyChoice | null {
  const parts = text.split(':');
  const [software, auth, endpoints, tls, cert = null, key = null] = parts;
  const parsed = proxyChoiceSchema.safeParse({ software, auth, endpoints, tls, cert, key });
  if (!parsed.success || parts.length !== (tls === 'certificate' ? 6 : 4)) return null;
  const choice = parsed.data;
  if (
    choice.tls === 'certificate' &&
    (credentialPathProblem(choice.cert ?? '') ?? credentialPathProblem(choice.key ?? '')) !== null
  )
    return null;
  return proxyChoiceArg(choice) === text ? choice : null;
}

type PlanStep = { kind: string; path?: string; content?: string };

/** The manifest a plan writes, if it is a share-proxy plan. */
export function shareManifestOfPlan(steps: readonly PlanStep[]): ShareManifest | null {
  for (const step of steps) {
    if (step.kind !== 'write-file' || !step.path?.endsWith('/share.json') || !step.content)
      continue;
    const m = parseShareManifest(step.content);
    if (m) return m;
  }
  return null;
}

/** The choice a plan was made with, read back from the manifest it writes. */
export function proxyChoiceOfPlan(steps: readonly PlanStep[]): ProxyChoice | null {
  const m = shareManifestOfPlan(steps);
  return m
    ? {
        software: m.software,
        auth: m.auth,
        endpoints: m.endpoints,
        tls: m.tls,
        cert: m.cert,
        key: m.key,
      }
    : null;
}

const portSchema = z.number().int().min(1).max(65535);
const ipSchema = z.string().refine((v) => isIP(v) !== 0 && !v.includes('%'), 'an IP literal');

/** A server's service as a share's unit may name it: a plain `name.service`, nothing to escape. */
export const SHARE_UPSTREAM_UNIT = /^[A-Za-z0-9:_.@-]{1,200}\.service$/;

export const shareManifestSchema = z
  .object({
    version: z.literal(1),
    software: z.enum(['nginx', 'caddy']),
    /** The port the proxy listens on (the server's own port: its clients keep their URL). */
    port: portSchema,
    /** The addresses it listens on: this machine's own, one or more. */
    listen: z.array(ipSchema).min(1).max(16),
    upstream: z
      .object({
        address: z.enum(['127.0.0.1', '::1']),
        port: portSchema,
        /**
         * The systemd service that runs the server (a plain `name.service`): the proxy stops
         * with it and starts again with it, so that it never forwards to whoever takes the
         * port while the server is down. Absent in a manifest written before it existed.
         */
        unit: z.string().regex(SHARE_UPSTREAM_UNIT).optional(),
      })
      .strict(),
    kind: z.enum(SERVER_KINDS),
    auth: z.enum(['bearer', 'basic']),
    endpoints: z.enum(['inference', 'all']),
    tls: z.enum(['certificate', 'internal', 'vpn-plain']),
    cert: z.string().nullable(),
    key: z.string().nullable(),
    /** The machine's name as the realm shows it (already cut to realm characters). */
    realm: z.string().regex(/^[A-Za-z0-9._ -]{1,80}$/),
  })
  .strict();
export type ShareManifest = z.infer<typeof shareManifestSchema>;

/** A realm from the machine's name: what a password prompt shows, in characters that nginx and
 * Caddy both read as themselves. */
export function realmFor(hostname: string | null): string {
  const name = (hostname ?? '').replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 60);
  return name.replace(/^-+|-+$/g, '') === '' ? 'Paddock share' : `Paddock share on ${name}`;
}

/** Why a user's certificate or key path cannot be named in the unit, or null. */
export function credentialPathProblem(path: string): string | null {
  if (!path.startsWith('/')) return `${JSON.stringify(path)} is not an absolute path`;
  // eslint-disable-next-line no-control-regex -- control characters are what we refuse
  if (/[\u0000-\u001f\u007f\\:]/.test(path) || path !== path.trim())
    return `${JSON.stringify(path)} holds a control character, a backslash, a colon or surrounding blanks, which a systemd unit cannot name as a credential`;
  if (path.split('/').some((p, i) => i > 0 && (p === '' || p === '.' || p === '..')))
    return `${JSON.stringify(path)} is not a normalised path`;
  return null;
}

/** What a manifest's values must be, beyond its schema, or null. */
export function manifestProblem(m: ShareManifest): string | null {
  if (m.tls === 'certificate') {
    if (m.cert === null || m.key === null) return 'a certificate and its key are needed';
    return credentialPathProblem(m.cert) ?? credentialPathProblem(m.key);
  }
  if (m.cert !== null || m.key !== null) return 'a certificate is named only with tls=certificate';
  if (m.tls === 'internal' && m.software !== 'caddy')
    return "a certificate from the proxy's own authority needs Caddy";
  if (new Set(m.listen).size !== m.listen.length) return 'an address is listed twice';
  if (m.listen.some((a) => a === '0.0.0.0' || a === '::' || a.startsWith('127.') || a === '::1'))
    return 'the proxy listens on addresses of this machine, not on every one or on loopback';
  return null;
}

/**
 * The endpoints "inference only" lets through, exact paths. Ollama's (ollama-facts.md, "HTTP
 * surface"): its banner, version, model list and running models, generation, chat and
 * embeddings, and the OpenAI-compatible ones; never pull, push, create, copy, delete, blobs or
 * show (which reveals system prompts). Other kinds: the OpenAI-compatible API they all serve
 * (servers-facts.md §0), plus TGI's and KoboldCpp's own generate endpoints (§5, §8).
 */
export function inferencePaths(kind: ServerKindId): string[] {
  const openai = ['/v1/models', '/v1/chat/completions', '/v1/completions', '/v1/embeddings'];
  switch (kind) {
    case 'ollama':
      return [
        '/',
        '/api/version',
        '/api/tags',
        '/api/ps',
        '/api/generate',
        '/api/chat',
        '/api/embed',
        '/api/embeddings',
        ...openai,
      ];
    case 'tgi':
      return ['/info', '/generate', '/generate_stream', ...openai];
    case 'koboldcpp':
      return ['/api/v1/model', '/api/v1/generate', '/api/extra/generate/stream', ...openai];
    default:
      return openai;
  }
}

/** Limits: a request body (prompts with images are large), a slow client, a long generation. */
export const PROXY_LIMITS = {
  bodyBytes: 32 * 1024 * 1024,
  clientSeconds: 60,
  generationSeconds: 600,
} as const;

const hostPort = (address: string, port: number) =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

const upstreamOf = (m: ShareManifest) => hostPort(m.upstream.address, m.upstream.port);

/** The secret's file as the proxy reads it: root writes it at apply time (executor.ts). */
export type SecretFormat = 'nginx-bearer' | 'htpasswd-bcrypt' | 'caddy-bearer' | 'caddy-basic';

export function secretFormatOf(m: Pick<ShareManifest, 'software' | 'auth'>): SecretFormat {
  if (m.software === 'nginx') return m.auth === 'bearer' ? 'nginx-bearer' : 'htpasswd-bcrypt';
  return m.auth === 'bearer' ? 'caddy-bearer' : 'caddy-basic';
}

/** What every proxied location sets: streaming answers, the upstream's own Host, no token, no
 * forwarded address (Ollama's access log believes X-Forwarded-For from anyone). */
const NGINX_PROXY_PARAMS = [
  'proxy_http_version 1.1;',
  'proxy_set_header Connection "";',
  'proxy_set_header Host $proxy_host;',
  'proxy_set_header Authorization "";',
  'proxy_set_header X-Forwarded-For "";',
  'proxy_set_header X-Real-IP "";',
  'proxy_buffering off;',
  'proxy_request_buffering off;',
  `proxy_read_timeout ${PROXY_LIMITS.generationSeconds}s;`,
  `proxy_send_timeout ${PROXY_LIMITS.generationSeconds}s;`,
];

// ── nginx ───────────────────────────────────────────────────────────────────────────────

export function nginxConfig(m: ShareManifest, credentials = credentialsDir(m.port)): string {
  const runtime = `/run/paddock-share-${m.port}`;
  const ssl = m.tls === 'certificate';
  const listen = m.listen.map((a) => `        listen ${hostPort(a, m.port)}${ssl ? ' ssl' : ''};`);
  const pass = (path: string | null) => [
    `            proxy_pass http://${upstreamOf(m)}${path ?? ''};`,
    ...NGINX_PROXY_PARAMS.map((line) => `            ${line}`),
  ];
  const locations =
    m.endpoints === 'all'
      ? ['        location / {', ...pass(null), '        }']
      : [
          ...inferencePaths(m.kind).flatMap((p) => [
            `        location = ${p} {`,
            ...pass(p),
            '        }',
          ]),
          '        location / {',
          '            return 403;',
          '        }',
        ];
  const auth =
    m.auth === 'bearer'
      ? [
          '        if ($paddock_authorized = 0) {',
          '            return 401;',
          '        }',
          '        add_header WWW-Authenticate $paddock_challenge always;',
        ]
      : [
          `        auth_basic "${m.realm}";`,
          `        auth_basic_user_file ${credentials}/secret;`,
          // nginx logs the user name a client sent with a wrong password: a client that types
          // the password there would put it in the journal.
          '        error_log stderr crit;',
        ];
  return [
    `# Written by Paddock (fix share-proxy, issue 14): ${m.kind} on ${upstreamOf(m)} shared`,
    `# behind ${m.auth === 'bearer' ? 'a bearer token' : 'a password (basic auth)'}. Undo the fix in Paddock to remove it.`,
    'daemon on;',
    'worker_processes 1;',
    `pid ${runtime}/nginx.pid;`,
    'error_log stderr;',
    'events {',
    '    worker_connections 512;',
    '}',
    'http {',
    '    access_log off;',
    '    server_tokens off;',
    '    map_hash_bucket_size 128;',
    `    client_body_temp_path ${runtime}/body;`,
    `    proxy_temp_path ${runtime}/proxy;`,
    `    fastcgi_temp_path ${runtime}/fastcgi;`,
    `    uwsgi_temp_path ${runtime}/uwsgi;`,
    `    scgi_temp_path ${runtime}/scgi;`,
    `    client_max_body_size ${PROXY_LIMITS.bodyBytes};`,
    `    client_body_timeout ${PROXY_LIMITS.clientSeconds}s;`,
    `    client_header_timeout ${PROXY_LIMITS.clientSeconds}s;`,
    `    send_timeout ${PROXY_LIMITS.generationSeconds}s;`,
    ...(m.auth === 'bearer'
      ? [
          `    include ${credentials}/secret;`,
          '    map $status $paddock_challenge {',
          `        401 'Bearer realm="${m.realm}"';`,
          "        default '';",
          '    }',
        ]
      : []),
    '    server {',
    ...listen,
    ...(ssl
      ? [
          `        ssl_certificate ${credentials}/cert;`,
          `        ssl_certificate_key ${credentials}/key;`,
          '        ssl_protocols TLSv1.2 TLSv1.3;',
        ]
      : []),
    ...auth,
    ...locations,
    '    }',
    '}',
    '',
  ].join('\n');
}

// ── Caddy ───────────────────────────────────────────────────────────────────────────────

export function caddyConfig(m: ShareManifest, credentials = credentialsDir(m.port)): string {
  const scheme = m.tls === 'vpn-plain' ? 'http' : 'https';
  // Caddy's own authority issues for the addresses themselves, so clients use those; otherwise
  // any name a client uses (the user's certificate names a host) reaches the same site, and
  // `bind` keeps it to the chosen addresses.
  const sites =
    m.tls === 'internal'
      ? m.listen.map((a) => `${scheme}://${hostPort(a, m.port)}`).join(', ')
      : `${scheme}://:${m.port}`;
  const proxy = [
    `        reverse_proxy ${upstreamOf(m)} {`,
    '            header_up Host {upstream_hostport}',
    '            header_up -Authorization',
    '            header_up -X-Forwarded-For',
    '            header_up -X-Real-IP',
    '            flush_interval -1',
    `            transport http {`,
    `                response_header_timeout ${PROXY_LIMITS.generationSeconds}s`,
    '            }',
    '        }',
  ];
  const allowed =
    m.endpoints === 'all'
      ? proxy
      : [
          // Caddy matches a cleaned path but forwards the one the client sent: each allowed
          // path is rewritten to itself, so the server sees exactly the endpoint let through.
          ...inferencePaths(m.kind).flatMap((p, i) => [
            `        @paddock_path_${i} path ${p}`,
            `        rewrite @paddock_path_${i} ${p}?{query}`,
          ]),
          `        @paddock_allowed path ${inferencePaths(m.kind).join(' ')}`,
          '        handle @paddock_allowed {',
          ...proxy.map((l) => `    ${l}`),
          '        }',
          '        handle {',
          '            respond 403',
          '        }',
        ];
  const auth =
    m.auth === 'bearer'
      ? [
          `    import ${credentials}/secret`,
          '    handle @paddock_authorized {',
          ...allowed,
          '    }',
          '    handle {',
          `        header WWW-Authenticate "Bearer realm=\\"${m.realm}\\""`,
          '        respond 401',
          '    }',
        ]
      : [
          '    route {',
          `        basicauth bcrypt "${m.realm}" {`,
          `            import ${credentials}/secret`,
          '        }',
          ...allowed,
          '    }',
        ];
  return [
    `# Written by Paddock (fix share-proxy, issue 14): ${m.kind} on ${upstreamOf(m)} shared`,
    `# behind ${m.auth === 'bearer' ? 'a bearer token' : 'a password (basic auth)'}. Undo the fix in Paddock to remove it.`,
    '{',
    '    admin off',
    '    skip_install_trust',
    '    auto_https disable_redirects',
    '    servers {',
    // No HTTP/3: it would listen on UDP, which Paddock's firewall rules for the port do not cover.
    '        protocols h1 h2',
    '        timeouts {',
    `            read_body ${PROXY_LIMITS.clientSeconds}s`,
    `            read_header ${PROXY_LIMITS.clientSeconds}s`,
    '        }',
    '    }',
    '}',
    `${sites} {`,
    `    bind ${m.listen.join(' ')}`,
    ...(m.tls === 'certificate'
      ? [`    tls ${credentials}/cert ${credentials}/key`]
      : m.tls === 'internal'
        ? ['    tls internal']
        : []),
    '    log {',
    '        output discard',
    '    }',
    '    request_body {',
    `        max_size ${PROXY_LIMITS.bodyBytes}`,
    '    }',
    ...auth,
    '}',
    '',
  ].join('\n');
}

// ── the service ─────────────────────────────────────────────────────────────────────────

/** A path in a unit's LoadCredential=: `%` is a specifier there, so it is doubled. */
export function systemdPathValue(path: string): string {
  return path.replace(/%/g, '%%');
}

export const NGINX_BIN = '/usr/sbin/nginx';
export const CADDY_BIN = '/usr/bin/caddy';

export function shareUnit(m: ShareManifest): string {
  const config = shareConfigPath(m.software, m.port);
  const runtime = `paddock-share-${m.port}`;
  const exec =
    m.software === 'nginx'
      ? [
          'Type=forking',
          `PIDFile=/run/${runtime}/nginx.pid`,
          `ExecStartPre=${NGINX_BIN} -t -q -e stderr -c ${config}`,
          `ExecStart=${NGINX_BIN} -e stderr -c ${config}`,
          `ExecReload=${NGINX_BIN} -e stderr -c ${config} -s reload`,
        ]
      : [
          'Type=notify',
          // Caddy saves the running configuration (the token with it) under XDG_CONFIG_HOME:
          // the runtime folder, which goes when the service stops.
          `Environment=HOME=/var/lib/${runtime} XDG_DATA_HOME=/var/lib/${runtime} XDG_CONFIG_HOME=/run/${runtime}`,
          `ExecStart=${CADDY_BIN} run --config ${config} --adapter caddyfile`,
          `StateDirectory=${runtime}`,
        ];
  const server = m.upstream.unit;
  return [
    '# Written by Paddock (fix share-proxy, issue 14). Undo the fix in Paddock to remove it.',
    ...(server
      ? [
          `# Bound to ${server}: it stops when the server stops (a program that took the port`,
          '# meanwhile never receives its requests) and starts again with it.',
        ]
      : []),
    '[Unit]',
    `Description=Paddock: ${m.kind} on port ${m.upstream.port} shared behind ${m.software} with ${m.auth === 'bearer' ? 'a token' : 'a password'}`,
    server ? `After=network-online.target ${server}` : 'After=network-online.target',
    'Wants=network-online.target',
    ...(server ? [`BindsTo=${server}`] : []),
    '',
    '[Service]',
    ...exec,
    'DynamicUser=yes',
    `RuntimeDirectory=${runtime}`,
    `LoadCredential=secret:${systemdPathValue(shareSecretPath(m.port))}`,
    ...(m.tls === 'certificate'
      ? [
          `LoadCredential=cert:${systemdPathValue(m.cert!)}`,
          `LoadCredential=key:${systemdPathValue(m.key!)}`,
        ]
      : []),
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'CapabilityBoundingSet=',
    'Restart=on-failure',
    'RestartSec=2',
    '',
    '[Install]',
    server ? `WantedBy=multi-user.target ${server}` : 'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export function shareManifestText(m: ShareManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** The manifest a file holds, or null when it is not one Paddock writes, byte for byte. */
export function parseShareManifest(text: string): ShareManifest | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = shareManifestSchema.safeParse(json);
  if (!parsed.success || manifestProblem(parsed.data) !== null) return null;
  return shareManifestText(parsed.data) === text ? parsed.data : null;
}

/** The proxy's configuration file for a manifest. */
export function proxyConfig(m: ShareManifest): string {
  return m.software === 'nginx' ? nginxConfig(m) : caddyConfig(m);
}

/** The secret file's text, for the proxy that reads it: made by root at apply time only. */
export function secretFileText(
  format: SecretFormat,
  token: string,
  hash: (secret: string) => string,
): string {
  if (!/^[A-Za-z0-9_-]{32,128}$/.test(token)) throw new Error('not a token Paddock generates');
  switch (format) {
    case 'nginx-bearer':
      // A regular expression, not a string key: nginx compares string keys ignoring case.
      return `map $http_authorization $paddock_authorized {\n    default 0;\n    "~^Bearer ${token}$" 1;\n}\n`;
    case 'htpasswd-bcrypt':
      return `${SHARE_USER}:${hash(token)}\n`;
    case 'caddy-bearer':
      return `@paddock_authorized header Authorization "Bearer ${token}"\n`;
    case 'caddy-basic':
      return `${SHARE_USER} ${Buffer.from(hash(token)).toString('base64')}\n`;
  }
}

/** At most this many ports are looked up for a share of Paddock's in one scan. */
const MAX_SHARE_LOOKUPS = 64;

/**
 * The shares of Paddock's own on the ports something listens on beyond loopback: their
 * manifests, read back (only a file Paddock writes, byte for byte, counts). What they say is
 * confirmed by what the proxy answers (probes/proxy.ts): a manifest alone makes no share.
 */
export async function readShareManifests(
  read: (path: string) => Promise<{ ok: true; text: string } | { ok: false }>,
  ports: Iterable<number>,
): Promise<ShareManifest[]> {
  const unique = [...new Set(ports)].filter((p) => Number.isInteger(p) && p > 0 && p <= 65535);
  const found = await Promise.all(
    unique.slice(0, MAX_SHARE_LOOKUPS).map(async (port) => {
      const file = await read(shareManifestPath(port));
      const manifest = file.ok ? parseShareManifest(file.text) : null;
      return manifest && manifest.port === port ? manifest : null;
    }),
  );
  return found.filter((m): m is ShareManifest => m !== null);
}
