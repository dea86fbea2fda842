/**
 * vLLM (servers-facts.md §4): `/v1/models` says `owned_by: "vllm"` (with `max_model_len`),
 * `GET /version` gives its version. Default 0.0.0.0:8000, IPv4 only. `--api-key` guards
 * only the `/v1`, `/v2` and `/inference` prefixes.
 */
import type { ServerKind } from '../kind';
import { identity, json, keyAuth, ownedBy, ownerMatches, stringField, versionOf } from '../kind';

export const vllm: ServerKind = {
  id: 'vllm',
  facts: 'servers-facts.md §4',
  processNames: [/^vllm$/, /^VLLM::/],
  argvPatterns: [/\bvllm(?:\s+serve|\.entrypoints\.openai\.api_server)\b/],
  defaultPorts: [8000],
  paths: ['/version'],
  bind: {
    hostFlags: ['--host'],
    portFlags: ['--port'],
    keyFlags: ['--api-key'],
    hostEnv: [],
    portEnv: [],
    keyEnv: ['VLLM_API_KEY'],
  },
  // §4 (not exhaustive: the sheet says to query OSV for PyPI `vllm`).
  advisories: [
    {
      ids: ['CVE-2026-48746'],
      what: 'the API key is bypassed through ASGI/Starlette trust',
      from: '0.3.0',
      fixed: '0.22.0',
      severity: 'high',
      source: 'servers-facts.md §4 (third-party)',
    },
    {
      ids: ['CVE-2026-22778', 'GHSA-4r2x-xpjr-7cvv'],
      what: 'remote code execution through video processing, reachable via /invocations',
      from: null,
      fixed: '0.14.1',
      severity: 'critical',
      source: 'servers-facts.md §4',
    },
  ],
  dangers: [
    'Run prompts on your GPU through /v1/completions and /v1/chat/completions.',
    'Make the server fetch media URLs (SSRF) unless --allowed-media-domains limits them.',
    'Reach endpoints that the API key never guards (only /v1, /v2 and /inference are).',
  ],
  identify(answers, owner) {
    const version = versionOf(stringField(json(answers, '/version'), 'version'));
    if (ownedBy(answers).includes('vllm'))
      return identity('vllm', version, 'GET /v1/models: owned_by "vllm"');
    // With --api-key the model list asks for it; /version stays public (§4): the owner's
    // name and its version answer tell then.
    if (version && ownerMatches(vllm, owner))
      return identity('vllm', version, 'owner "vllm"; GET /version: {"version": …}');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
