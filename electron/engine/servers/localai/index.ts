/**
 * LocalAI (servers-facts.md §5): `GET /.well-known/localai.json` (public even with auth)
 * gives its version and endpoint map. It also answers Ollama's `/api/version` and
 * `/api/tags` (§1.4): this signal is what keeps it from being called Ollama. Default `:8080`
 * on every interface; keys by `--api-keys` / `LOCALAI_API_KEY`.
 */
import type { ServerKind } from '../kind';
import { identity, json, keyAuth, stringField, versionOf } from '../kind';
import { isRecord } from '../../text/untrusted';

export const localai: ServerKind = {
  id: 'localai',
  facts: 'servers-facts.md §5',
  processNames: [/^local-ai$/],
  argvPatterns: [/(?:^|\/)local-ai(?: |$)/],
  defaultPorts: [8080],
  paths: ['/.well-known/localai.json'],
  bind: {
    hostFlags: [],
    portFlags: [],
    keyFlags: ['--api-keys'],
    hostEnv: [],
    portEnv: [],
    keyEnv: ['LOCALAI_API_KEY', 'API_KEY'],
    addressFlags: ['--address'],
    addressEnv: ['LOCALAI_ADDRESS', 'ADDRESS'],
  },
  dangers: [
    'Install models and backends with POST /models/apply (fetches configs and weights).',
    'Read the P2P token (GET /api/p2p/token) and request traces.',
    'Run prompts, image and audio generation on your hardware.',
  ],
  identify(answers) {
    const doc = json(answers, '/.well-known/localai.json');
    if (!isRecord(doc) || !isRecord(doc.endpoints)) return null;
    return identity(
      'localai',
      versionOf(stringField(doc, 'version')),
      'GET /.well-known/localai.json: LocalAI version and endpoints',
    );
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
