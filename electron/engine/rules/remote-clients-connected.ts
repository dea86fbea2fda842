/**
 * Other machines connected to Ollama right now: established connections to its listeners
 * (or to a proxy or Docker port in front of it) from addresses that are not this computer's.
 */
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { instanceLabel, listed, plain, plural } from './support/words';

export default defineRule(
  {
    id: 'remote-clients-connected',
    title: 'Other machines are connected to Ollama right now',
    severity: 'high',
    category: 'activity',
    why: 'A connection from another machine means someone is using this server now: listing your models, running prompts on your GPU, pulling or deleting models. If you did not set that machine up to use it, it is an intruder; if you did, it still shows that everyone on that network can.',
    references: ['https://docs.ollama.com/faq', 'https://www.tenable.com/plugins/nessus/302134'],
    fixes: ['rebind-systemd', 'block-port'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance): RuleFinding[] => {
      const remote = instance.peers.filter((p) => !p.isLocalAddress);
      if (remote.length === 0) return [];
      const who = remote.map((p) => plain(p.address, 60));
      return [
        {
          instance: instance.id,
          summary: `${plural(remote.length, 'other machine')} ${remote.length === 1 ? 'is' : 'are'} connected to ${instanceLabel(instance)} right now: ${listed(who, 4)}.`,
          attackerCan: [
            `Whoever is at ${listed(who, 2)} is using it as you read this: Paddock sees the connection, not what it asks, which may be prompts on your GPU, listing your models, or pulling and deleting them.`,
          ],
          evidence: remote.map(
            (p) =>
              `${plain(p.address, 60)} (${p.scope ?? 'unreadable address'}): ${plural(p.connections, 'connection')} to port ${p.ports.join(', ')}${p.processes.length > 0 ? `, served by ${p.processes.map((q) => `${plain(q.name, 40)} (pid ${q.pid})`).join(', ')}` : ''}.`,
          ),
        },
      ];
    }),
);
