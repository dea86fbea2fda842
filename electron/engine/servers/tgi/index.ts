/**
 * Hugging Face Text Generation Inference (servers-facts.md §13): `GET /info` → `"router":
 * "text-generation-router"` and its version. 0.0.0.0:3000 by default (80 in the image) and a
 * Prometheus port 9000 beside it; `--api-key` guards the generate routes only, so `/info`,
 * `/v1/models` and `/metrics` stay public.
 */
import type { ServerKind } from '../kind';
import { identity, json, stringField, versionOf } from '../kind';

export const tgi: ServerKind = {
  id: 'tgi',
  facts: 'servers-facts.md §13',
  processNames: [/^text-generation-(?:router|launcher)$/, /^text-generation/],
  argvPatterns: [/text-generation-(?:launcher|router)/],
  defaultPorts: [3000, 80],
  paths: ['/info'],
  bind: {
    hostFlags: ['--hostname'],
    portFlags: ['--port'],
    keyFlags: ['--api-key'],
    hostEnv: ['HOSTNAME'],
    portEnv: ['PORT'],
    keyEnv: ['API_KEY'],
  },
  // §13.
  advisories: [
    {
      ids: ['CVE-2026-0599', 'GHSA-j7x9-7j54-2v3h'],
      what: 'unbounded fetches of external images (VLM mode) exhaust the server (denial of service)',
      from: null,
      fixed: '3.3.7',
      severity: 'medium',
      source: 'servers-facts.md §13 (third-party)',
    },
  ],
  dangers: [
    'Run prompts on your GPU (a key guards only the generate routes).',
    'Read the model and its settings from /info and the metrics on the Prometheus port.',
  ],
  identify(answers) {
    const info = json(answers, '/info');
    if (stringField(info, 'router') !== 'text-generation-router') return null;
    return identity(
      'tgi',
      versionOf(stringField(info, 'version')),
      'GET /info: "router": "text-generation-router"',
    );
  },
  auth: () => ({
    state: 'unknown',
    evidence: ['a key would guard only the generate routes; harmless GETs cannot tell'],
  }),
};
