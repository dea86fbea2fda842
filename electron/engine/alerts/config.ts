/**
 * Issue 15, the service's configuration: `/etc/paddock/paddock.json` says how often to scan,
 * where to write the Prometheus textfile, whether to log to journald, and which webhooks to
 * call; the webhooks' URLs (secrets for most services: Slack's and Discord's carry their token)
 * live in a separate file only its owner reads, named by key, so the configuration can be
 * shown, copied and committed, and no secret ever reaches argv, a log or an error.
 *
 *   { "version": 1, "intervalMinutes": 10, "textfile": "/var/lib/prometheus/node-exporter/paddock.prom",
 *     "journald": true, "webhookUrlsFile": "/etc/paddock/webhook-urls.json",
 *     "webhooks": [{ "name": "ops", "shape": "slack", "urlKey": "slack-ops" }] }
 *
 *   /etc/paddock/webhook-urls.json (0600, owned by the service's user): { "slack-ops": "https://hooks.slack.com/…" }
 *
 * Every bad input gets an error that names the file and the field, and nothing starts with it.
 */
import { readRegularFile } from '../host/fix-files';
import { z } from 'zod';
import { WEBHOOK_SHAPES } from './webhook';
import type { WebhookShape } from './webhook';

export const DEFAULT_CONFIG_PATH = '/etc/paddock/paddock.json';
export const DEFAULT_WEBHOOK_URLS_PATH = '/etc/paddock/webhook-urls.json';
const MAX_FILE_BYTES = 64 * 1024;

const absolutePath = z
  .string()
  .max(4096)
  .refine(
    (p) =>
      p.startsWith('/') &&
      // eslint-disable-next-line no-control-regex -- control characters are what we refuse
      !/[\u0000-\u001f\u007f]/.test(p) &&
      p
        .split('/')
        .slice(1)
        .every((part) => part !== '' && part !== '.' && part !== '..'),
    'an absolute, normalised path',
  );

export const serviceConfigSchema = z
  .object({
    version: z.literal(1),
    /** Minutes between full scans (the desktop's default: 10). */
    intervalMinutes: z.number().int().min(1).max(1440).default(10),
    /** The Prometheus textfile, written atomically after every full scan; null: none. */
    textfile: absolutePath
      .refine((p) => p.endsWith('.prom'), 'a file ending in .prom')
      .nullable()
      .default(null),
    /** Structured journald entries for every alert the policy lets through. */
    journald: z.boolean().default(true),
    /** The policy's limits (engine/alerts/policy.ts), the desktop notifications' by default. */
    alerts: z
      .object({
        minIntervalSeconds: z.number().int().min(0).max(86_400).default(60),
        maxPerHour: z.number().int().min(1).max(1000).default(6),
      })
      .strict()
      .default({ minIntervalSeconds: 60, maxPerHour: 6 }),
    webhookUrlsFile: absolutePath.default(DEFAULT_WEBHOOK_URLS_PATH),
    webhooks: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and -'),
            shape: z.enum(WEBHOOK_SHAPES as [WebhookShape, ...WebhookShape[]]),
            /** The key in the secrets file whose value is the URL. */
            urlKey: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
          })
          .strict(),
      )
      .max(16)
      .default([]),
  })
  .strict();
export type ServiceConfig = z.infer<typeof serviceConfigSchema>;

export interface ResolvedWebhook {
  name: string;
  shape: WebhookShape;
  /** The URL from the secrets file: never logged, never in an error. */
  url: string;
}

export type LoadedConfig =
  { ok: true; config: ServiceConfig; webhooks: ResolvedWebhook[] } | { ok: false; error: string };

/**
 * A file's text, read without following a link (host/fix-files.ts readRegularFile). With
 * `secret`, it must also be readable by its owner only and owned by `owner` (the service's
 * user: root, or the dynamic user's uid).
 */
function readOwnFile(
  path: string,
  secret: { owner: number } | null,
): { ok: true; text: string; mode: number; uid: number } | { ok: false; why: string } {
  const read = readRegularFile(path, MAX_FILE_BYTES);
  if (!read.ok || !secret) return read;
  if ((read.mode & 0o077) !== 0)
    return {
      ok: false,
      why: `others may read it (mode ${(read.mode & 0o777).toString(8)}; it must be 600)`,
    };
  if (read.uid !== secret.owner)
    return {
      ok: false,
      why: `it is owned by uid ${read.uid}, not by the service's user (${secret.owner})`,
    };
  return read;
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
    .join('; ');
}

/**
 * The configuration, its webhooks' URLs resolved from the secrets file. `owner`: the uid that
 * must own the secrets file (the service's user). No value of the secrets file is ever in an
 * error: a key that is missing or not a URL is named by its key.
 */
export function loadServiceConfig(
  path = DEFAULT_CONFIG_PATH,
  options: { owner: number } = { owner: 0 },
): LoadedConfig {
  const file = readOwnFile(path, null);
  if (!file.ok) return { ok: false, error: `${path}: ${file.why}` };
  // It says where root writes (the textfile) and whom it calls: only the service user's own
  // file, which no one else may change.
  if (file.uid !== options.owner || (file.mode & 0o022) !== 0)
    return {
      ok: false,
      error: `${path}: it must be owned by the service's user (${options.owner}) and writable by no one else (it is uid ${file.uid}, mode ${(file.mode & 0o777).toString(8)})`,
    };
  let json: unknown;
  try {
    json = JSON.parse(file.text);
  } catch {
    return { ok: false, error: `${path} is not JSON` };
  }
  const parsed = serviceConfigSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `${path}: ${issues(parsed.error)}` };
  const config = parsed.data;
  if (config.webhooks.length === 0) return { ok: true, config, webhooks: [] };
  const names = config.webhooks.map((w) => w.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) return { ok: false, error: `${path}: webhooks: the name ${twice} is used twice` };
  const secrets = readOwnFile(config.webhookUrlsFile, { owner: options.owner });
  if (!secrets.ok)
    return { ok: false, error: `${config.webhookUrlsFile} (the webhooks' URLs): ${secrets.why}` };
  let values: unknown;
  try {
    values = JSON.parse(secrets.text);
  } catch {
    return { ok: false, error: `${config.webhookUrlsFile} is not JSON` };
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    return { ok: false, error: `${config.webhookUrlsFile} is not an object of keys and URLs` };
  const table = values as Record<string, unknown>;
  const webhooks: ResolvedWebhook[] = [];
  for (const hook of config.webhooks) {
    const value = Object.prototype.hasOwnProperty.call(table, hook.urlKey)
      ? table[hook.urlKey]
      : undefined;
    let url: URL | null = null;
    try {
      url = typeof value === 'string' ? new URL(value) : null;
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      return {
        ok: false,
        error: `${config.webhookUrlsFile}: the key ${hook.urlKey} (webhook ${hook.name}) ${value === undefined ? 'is missing' : 'is not an http:// or https:// URL'}`,
      };
    webhooks.push({ name: hook.name, shape: hook.shape, url: url.href });
  }
  return { ok: true, config, webhooks };
}
