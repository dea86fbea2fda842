/**
 * Reverse proxies in front of Ollama: a listener of another process (nginx, caddy, traefik,
 * haproxy, apache, envoy, docker-proxy, …) that forwards to an Ollama server. Such a path
 * carries Ollama to wherever the proxy listens, whatever Ollama itself binds to. Types are
 * inferred from the zod schemas, as in shared/snapshot.ts; engine code imports only types.
 */
import { z } from 'zod';
import { socketProcessSchema } from './base';

/** The kind of program that owns the listener, from its process name. */
export const proxySoftwareSchema = z.enum([
  'nginx',
  'caddy',
  'traefik',
  'haproxy',
  'apache',
  'envoy',
  'lighttpd',
  'varnish',
  'docker-proxy',
  'port-forwarder',
  'other',
  'unknown',
]);
export type ProxySoftware = z.infer<typeof proxySoftwareSchema>;

export const proxyPathSchema = z.object({
  /** The listener as the kernel reports it ("0.0.0.0", "::", or one address), and its port. */
  listenAddress: z.string(),
  port: z.number().int(),
  family: z.union([z.literal(4), z.literal(6)]),
  dualStack: z.boolean(),
  /** Where Paddock knocked (loopback for a wildcard listener). */
  connectAddress: z.string(),
  /** It answered over TLS (HTTPS); absent or false: plain HTTP. */
  tls: z.boolean().optional(),
  /** The process that owns the listener, when the OS lets us see it. */
  owner: socketProcessSchema.nullable(),
  ownerVisibility: z.enum(['visible', 'denied', 'none']),
  software: proxySoftwareSchema,
  /**
   * ollama: Ollama answered through it (banner, or /api/version + /api/tags);
   * unconfirmed: it demanded credentials, so what stands behind it could not be seen.
   */
  upstream: z.enum(['ollama', 'unconfirmed']),
  /** How Ollama was recognised through it; null when unconfirmed. */
  matchedBy: z.enum(['banner', 'api']).nullable(),
  /** 401/403 on /api/tags without credentials. null: /api/tags gave no HTTP answer. */
  authRequired: z.boolean().nullable(),
  /** The WWW-Authenticate scheme ("Basic", "Bearer", "Digest"…); null when none was sent. */
  authScheme: z.string().nullable(),
  /** The realm it names, if any (untrusted text, cleaned and cut). */
  authRealm: z.string().nullable(),
  /** The HTTP status /api/tags gave without credentials. */
  tagsStatus: z.number().int().nullable(),
  /** Through the proxy, a request naming a foreign Host is refused (DNS-rebinding check); null: unknown. */
  foreignHostRefused: z.boolean().nullable(),
  /** Through the proxy, a foreign Origin is allowed (CORS); null: unknown. */
  foreignOriginAllowed: z.boolean().nullable(),
  /** Ollama's version as seen through the proxy. */
  version: z.string().nullable(),
  /** Plain sentences, in order: what answered, who owns it, what it asks for. */
  reasons: z.array(z.string()),
});
export type ProxyPath = z.infer<typeof proxyPathSchema>;
