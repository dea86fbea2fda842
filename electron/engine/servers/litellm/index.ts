/**
 * LiteLLM proxy (servers-facts.md §11): `GET /health/liveliness` → "I'm alive!" (always
 * public), `/health/readiness` → `litellm_version`. Default 0.0.0.0:4000; without a master
 * key it checks no key at all.
 */
import type { ServerKind } from '../kind';
import { identity, json, keyAuth, stringField, versionOf } from '../kind';

export const litellm: ServerKind = {
  id: 'litellm',
  facts: 'servers-facts.md §11',
  processNames: [/^litellm$/],
  argvPatterns: [/(?:^|\/)litellm(?: |$)/],
  defaultPorts: [4000],
  paths: ['/health/liveliness', '/health/readiness'],
  bind: {
    hostFlags: ['--host'],
    portFlags: ['--port'],
    keyFlags: [],
    hostEnv: ['HOST'],
    portEnv: ['PORT'],
    keyEnv: ['LITELLM_MASTER_KEY'],
  },
  dangers: [
    'Call every upstream provider configured, on your keys and your bill.',
    'Without a master key, manage keys, users and models.',
  ],
  identify(answers) {
    const alive = answers.get('/health/liveliness');
    const version = versionOf(stringField(json(answers, '/health/readiness'), 'litellm_version'));
    if (alive?.status === 200 && alive.body.includes("I'm alive!"))
      return identity('litellm', version, `GET /health/liveliness: "I'm alive!"`);
    if (version) return identity('litellm', version, 'GET /health/readiness: litellm_version');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
