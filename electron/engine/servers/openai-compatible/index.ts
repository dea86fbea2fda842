/**
 * Anything else that answers `GET /v1/models` with an OpenAI-style model list (servers-facts.md
 * §1.5): named only when no kind of its own claims it; who it is stays unknown.
 */
import type { ServerKind } from '../kind';
import { identity, isModelList, keyAuth } from '../kind';

export const openaiCompatible: ServerKind = {
  id: 'openai-compatible',
  facts: 'servers-facts.md §1.5',
  processNames: [],
  argvPatterns: [],
  defaultPorts: [],
  paths: [],
  dangers: ['List the models it serves and run prompts on them.'],
  identify(answers) {
    return isModelList(answers)
      ? identity('openai-compatible', null, 'GET /v1/models: an OpenAI-style model list')
      : null;
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
