/**
 * Jan's local API server (servers-facts.md §7): 127.0.0.1:1337 by default; `/v1/models`
 * entries say `owned_by: "user"` with `created: 1`, and its owner is the Jan app, which
 * tells it from text-generation-webui (also "user", with `created: 0`).
 */
import type { ServerKind } from '../kind';
import { identity, json, keyAuth, ownerMatches } from '../kind';
import { isRecord } from '../../text/untrusted';

export const jan: ServerKind = {
  id: 'jan',
  facts: 'servers-facts.md §7',
  processNames: [/^jan$/i],
  argvPatterns: [/(?:^|\/)jan(?:\.exe)?(?: |$)/i],
  // §7: Settings > Local API Server: Server Host "127.0.0.1 (Default)" or "0.0.0.0".
  desktopApp: {
    processNames: [/^jan$/i],
    steps: [
      'Open Jan and go to Settings > Local API Server.',
      'Set "Server Host" to 127.0.0.1 (the default), then stop and start the server there.',
      'If other computers must keep using it, keep 0.0.0.0 only with a strong API key set and their host names under "Trusted Hosts".',
    ],
  },
  defaultPorts: [1337],
  paths: [],
  dangers: ['Run prompts on the models Jan has loaded.', 'List your models.'],
  identify(answers, owner) {
    const list = json(answers, '/v1/models');
    const entries = isRecord(list) && Array.isArray(list.data) ? list.data : [];
    const janLike =
      entries.length > 0 &&
      entries.every((e) => isRecord(e) && e.owned_by === 'user' && e.created === 1);
    if (janLike && ownerMatches(jan, owner))
      return identity('jan', null, 'owner "Jan"; GET /v1/models: owned_by "user", created 1');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
