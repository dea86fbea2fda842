/**
 * text-generation-webui's API (servers-facts.md §9): `GET /v1/internal/model/info` →
 * `model_name`, `lora_names`, `loader`. API on 127.0.0.1:5000 with `--api` (`--listen` opens
 * it), the Gradio UI on 7860; `--api-key` guards `/v1/*`.
 */
import type { ServerKind } from '../kind';
import { identity, json, keyAuth } from '../kind';
import { isRecord } from '../../text/untrusted';

export const textgenWebui: ServerKind = {
  id: 'textgen-webui',
  facts: 'servers-facts.md §9',
  processNames: [],
  argvPatterns: [/(?:^|\/)(?:server|one_click)\.py\b.*--(?:api|listen)/],
  defaultPorts: [5000, 7860],
  paths: ['/v1/internal/model/info'],
  bind: {
    hostFlags: ['--listen-host'],
    portFlags: ['--listen-port', '--api-port'],
    keyFlags: ['--api-key', '--admin-key'],
    hostEnv: [],
    portEnv: [],
    keyEnv: [],
  },
  dangers: [
    'Load and unload models with /v1/internal/model/load (unless --admin-key is set).',
    'Run prompts on your GPU.',
  ],
  tunnelFlags: [
    { flag: '--share', via: 'a public Gradio link (gradio.live)' },
    { flag: '--public-api', via: 'a Cloudflare tunnel for its API' },
  ],
  identify(answers) {
    const info = json(answers, '/v1/internal/model/info');
    if (isRecord(info) && 'model_name' in info && 'loader' in info && 'lora_names' in info)
      return identity('textgen-webui', null, 'GET /v1/internal/model/info: model_name, loader');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/v1/internal/model/info'),
};
