/**
 * GPT4All's local API server (servers-facts.md §10): 127.0.0.1:4891 only, no key;
 * `/v1/models` entries say `owned_by: "humanity"`.
 */
import type { ServerKind } from '../kind';
import { identity, keyAuth, ownedBy } from '../kind';

export const gpt4all: ServerKind = {
  id: 'gpt4all',
  facts: 'servers-facts.md §10',
  processNames: [/^gpt4all/i],
  argvPatterns: [/gpt4all/i],
  defaultPorts: [4891],
  paths: [],
  dangers: ['Run prompts on the models GPT4All has loaded.'],
  identify(answers) {
    return ownedBy(answers).includes('humanity')
      ? identity('gpt4all', null, 'GET /v1/models: owned_by "humanity"')
      : null;
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
