/**
 * Issue 13: a server with accounts but none created yet, reachable from other machines: the
 * first visitor creates the admin account (Open WebUI while `/api/config` says
 * `"onboarding": true`, servers-facts.md §6). A loopback-only one is left to its owner.
 */
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import { defineRule } from './rule';
import { listenerWords, openPathsWhere, reachableAt } from './support/reach';
import { listed } from './support/words';

export default defineRule(
  {
    id: 'unclaimed-admin',
    title: 'Anyone who reaches it can create the admin account',
    severity: 'critical',
    category: 'exposure',
    why: 'Open WebUI makes the first account it creates the admin. Until you create yours, whoever reaches it first can create theirs and, as admin, run Python in the server through Functions and Tools, read every chat, and use the provider keys stored there.',
    references: ['https://docs.openwebui.com/getting-started/quick-start/'],
    fixes: ['block-port'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance) => {
      if (instance.auth?.state !== 'unclaimed-admin') return [];
      if (instance.exposure !== 'lan' && instance.exposure !== 'internet') return [];
      const name = SERVER_KIND_NAMES[instance.kind];
      const at = reachableAt(openPathsWhere(instance, () => true));
      return [
        {
          instance: instance.id,
          title: `${name} has no admin yet, and other machines can reach it`,
          summary: `${name} at ${listed(at.length > 0 ? at : instance.listeners.map(listenerWords), 3)} has no account yet: the first visitor becomes its admin. Create your account now, or close it to other machines first.`,
          attackerCan: [
            'Create the first account and become admin.',
            'As admin, run Python in the server (Functions and Tools), read every chat and the stored provider keys.',
          ],
          evidence: instance.auth.evidence,
        },
      ];
    }),
);
