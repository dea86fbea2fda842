/**
 * Ollama (ollama-facts.md, "HTTP surface"): its own fingerprint (probes/fingerprint.ts) and
 * instances (instances.ts) predate the kinds; here is what the kinds need to tell it from its
 * look-alikes: the banner on `/`, or `/api/version` with `/api/tags`, and no other kind's own
 * signal (servers-facts.md §1.4: LocalAI and KoboldCpp serve the same endpoints).
 */
import type { ServerKind } from '../kind';
import { identity, json, keyAuth, stringField, versionOf } from '../kind';

export const ollama: ServerKind = {
  id: 'ollama',
  facts: 'ollama-facts.md, HTTP surface',
  processNames: [/^ollama$/i],
  argvPatterns: [],
  defaultPorts: [11434],
  paths: ['/api/version', '/api/tags'],
  dangers: ['List, pull, push and delete models, and run prompts on your GPU (ollama-facts.md).'],
  identify(answers) {
    const root = answers.get('/');
    if (root?.status === 200 && root.body.trim() === 'Ollama is running')
      return identity(
        'ollama',
        versionOf(stringField(json(answers, '/api/version'), 'version')),
        'GET /: "Ollama is running"',
      );
    const version = versionOf(stringField(json(answers, '/api/version'), 'version'));
    const tags = json(answers, '/api/tags');
    if (version && tags !== undefined)
      return identity('ollama', version, 'GET /api/version and GET /api/tags answer as Ollama');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/api/tags'),
};
