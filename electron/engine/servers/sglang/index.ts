/**
 * SGLang (servers-facts.md §12): `/v1/models` says `owned_by: "sglang"`; `GET
 * /get_model_info` gives the model path. Default 127.0.0.1:30000; `--api-key`.
 */
import type { ServerKind } from '../kind';
import { identity, keyAuth, ownedBy } from '../kind';

export const sglang: ServerKind = {
  id: 'sglang',
  facts: 'servers-facts.md §12',
  processNames: [],
  argvPatterns: [/sglang\.launch_server|\bsglang\s+serve\b/],
  defaultPorts: [30000],
  paths: ['/get_model_info'],
  bind: {
    hostFlags: ['--host'],
    portFlags: ['--port'],
    keyFlags: ['--api-key', '--admin-api-key'],
    hostEnv: [],
    portEnv: [],
    keyEnv: [],
  },
  dangers: [
    'Run prompts on your GPU.',
    'With --enable-custom-logit-processor, run code in the server.',
  ],
  // servers-facts.md §12: dill payloads in requests.
  riskyFlags: [
    {
      flag: '--enable-custom-logit-processor',
      what: 'run Python code sent in a request (a custom logit processor)',
      runsCode: true,
    },
  ],
  identify(answers) {
    return ownedBy(answers).includes('sglang')
      ? identity('sglang', null, 'GET /v1/models: owned_by "sglang"')
      : null;
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
