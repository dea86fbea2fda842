/**
 * LM Studio, the app's server and `llmster` (servers-facts.md §2): `GET /lmstudio-greeting`
 * answers JSON with `"lmstudio": true`, exactly what `lms` checks. Every other path answers
 * 200 (§1.6), so nothing else counts. Default 127.0.0.1:1234; "Require Authentication" makes
 * the REST API ask for a bearer token.
 */
import type { ServerKind } from '../kind';
import { identity, json, keyAuth } from '../kind';
import { isRecord } from '../../text/untrusted';

export const lmstudio: ServerKind = {
  id: 'lmstudio',
  facts: 'servers-facts.md §2',
  processNames: [/^llmster$/, /^lm studio$/i, /^lm-studio$/i, /^lmstudio$/i],
  argvPatterns: [/(?:^|\/)(?:LM Studio|LM-Studio)[^/]*(?: |$)/],
  defaultPorts: [1234],
  paths: ['/lmstudio-greeting'],
  bind: {
    hostFlags: ['--bind'],
    portFlags: ['--port', '-p'],
    keyFlags: [],
    hostEnv: ['LMS_SERVER_HOST'],
    portEnv: [],
    keyEnv: [],
  },
  dangers: [
    'Download any model from the catalog or Hugging Face with POST /api/v1/models/download, and load or unload models.',
    'Run prompts on your GPU; with JIT loading, load any downloaded model.',
    'With per-request MCPs allowed, make the server call remote MCP servers.',
  ],
  identify(answers) {
    const greeting = json(answers, '/lmstudio-greeting');
    if (isRecord(greeting) && greeting.lmstudio === true)
      return identity('lmstudio', null, 'GET /lmstudio-greeting: {"lmstudio": true}');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
