/**
 * Docker containers that run Ollama, and the host ports Docker publishes for them. Facts from
 * the Docker Engine API (GET /containers/json over a local unix socket: Docker's, rootless
 * Docker's, Docker Desktop's or Podman's). Types are inferred from the zod schemas.
 */
import { z } from 'zod';

export const publishScopeSchema = z.enum([
  /** 0.0.0.0: every IPv4 address of the host. */
  'all-ipv4',
  /** :: : every IPv6 address of the host. */
  'all-ipv6',
  /** 127.0.0.1 or ::1: this machine only. */
  'loopback',
  /** One host address. */
  'specific',
]);
export type PublishScope = z.infer<typeof publishScopeSchema>;

export const publishedPortSchema = z.object({
  /** Host address Docker binds the publish to, as the engine reports it ("0.0.0.0", "::"). */
  hostIp: z.string(),
  hostPort: z.number().int(),
  containerPort: z.number().int(),
  protocol: z.enum(['tcp', 'udp', 'sctp']),
  scope: publishScopeSchema,
});
export type PublishedPort = z.infer<typeof publishedPortSchema>;

export const dockerContainerSchema = z.object({
  id: z.string(),
  /** Without Docker's leading "/". */
  names: z.array(z.string()),
  image: z.string(),
  /** "running", "exited", … as the engine says it. */
  state: z.string(),
  status: z.string().nullable(),
  /** Published host ports (a port only exposed, not published, is left out). */
  published: z.array(publishedPortSchema),
  /** Container ports exposed but not published to the host. */
  exposedOnly: z.array(z.number().int()),
  labels: z.record(z.string(), z.string()),
  networkMode: z.string().nullable(),
});
export type DockerContainer = z.infer<typeof dockerContainerSchema>;

export const ollamaContainerSchema = dockerContainerSchema.extend({
  /** image: an ollama/ollama image; fingerprint: a published port answers as Ollama. */
  matchedBy: z.enum(['image', 'fingerprint']),
  /** Some publish reaches beyond this machine (0.0.0.0, ::, or a non-loopback address). */
  publishedBeyondLoopback: z.boolean(),
  reasons: z.array(z.string()),
});
export type OllamaContainer = z.infer<typeof ollamaContainerSchema>;

export const dockerReportSchema = z.object({
  /** The Engine API over a local unix socket (never the docker CLI, which may reach a remote engine). */
  source: z.enum(['api']),
  /** The sockets that answered, for display. */
  endpoints: z.array(z.string()),
  /** API version used, when known ("1.41", or null when the engine's default was used). */
  apiVersion: z.string().nullable(),
  containers: z.array(dockerContainerSchema),
  ollama: z.array(ollamaContainerSchema),
});
export type DockerReport = z.infer<typeof dockerReportSchema>;
