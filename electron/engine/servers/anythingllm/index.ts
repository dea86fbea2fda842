/**
 * AnythingLLM (servers-facts.md §16): `GET /api/ping` → `{"online": true}`, port 3001 on
 * every interface; `GET /api/setup-complete` answers unauthenticated.
 */
import type { ServerKind } from '../kind';
import { identity, json, ownerMatches } from '../kind';
import { isRecord } from '../../text/untrusted';

export const anythingllm: ServerKind = {
  id: 'anythingllm',
  facts: 'servers-facts.md §16',
  processNames: [/^anythingllm/i],
  argvPatterns: [/anything-?llm/i, /server\/index\.js/],
  defaultPorts: [3001],
  paths: ['/api/ping'],
  dangers: [
    'Read its settings (GET /api/setup-complete) and, without a password, its workspaces and documents.',
  ],
  identify(answers, owner) {
    const ping = json(answers, '/api/ping');
    if (
      isRecord(ping) &&
      ping.online === true &&
      Object.keys(ping).length === 1 &&
      (ownerMatches(anythingllm, owner) || owner.name === null)
    )
      return identity('anythingllm', null, 'GET /api/ping: {"online": true}');
    return null;
  },
  auth: () => ({
    state: 'unknown',
    evidence: ['harmless GETs do not tell whether a password is set'],
  }),
};
