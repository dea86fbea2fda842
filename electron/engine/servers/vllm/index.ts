/**
 * vLLM (servers-facts.md §4): `/v1/models` says `owned_by: "vllm"` (with `max_model_len`),
 * `GET /version` gives its version. Default 0.0.0.0:8000, IPv4 only. `--api-key` guards
 * only the `/v1`, `/v2` and `/inference` prefixes.
 */
import type { ServerKind } from '../kind';
import { identity, json, keyAuth, ownedBy, stringField, versionOf } from '../kind';

export const vllm: ServerKind = {
  id: 'vllm',
  facts: 'servers-facts.md §4',
  processNames: [/^vllm$/, /^VLLM::/],
  argvPatterns: [/\bvllm(?:\s+serve|\.entrypoints\.openai\.api_server)\b/],
  defaultPorts: [8000],
  paths: ['/version'],
  dangers: [
    'Run prompts on your GPU through /v1/completions and /v1/chat/completions.',
    'Make the server fetch media URLs (SSRF) unless --allowed-media-domains limits them.',
    'Reach endpoints that the API key never guards (only /v1, /v2 and /inference are).',
  ],
  identify(answers) {
    if (!ownedBy(answers).includes('vllm')) return null;
    return identity(
      'vllm',
      versionOf(stringField(json(answers, '/version'), 'version')),
      'GET /v1/models: owned_by "vllm"',
    );
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
