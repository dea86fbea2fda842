/**
 * A Docker container running Ollama that publishes its port beyond loopback (-p 11434:11434
 * binds the host's 0.0.0.0). Docker forwards published ports in the kernel before the input
 * rules see them, so ufw and other input-chain firewalls do not protect them.
 */
import { defineRule } from './rule';
import type { RuleFinding } from './rule';
import { DOCKER_PATH_SENTENCE } from '../exposure';
import { isDockerPath, openDockerPaths } from './support/docker';
import { listenerWords, reachableAt } from './support/reach';
import { attackerCanOnOllama, hostPort, instanceLabel, listed, plain } from './support/words';

export default defineRule(
  {
    id: 'docker-publish-beyond-loopback',
    title: 'Docker publishes Ollama beyond this computer, past the firewall',
    severity: 'high',
    category: 'docker',
    why: "The official image listens on 0.0.0.0 inside the container and the documented `-p 11434:11434` publishes it on every host address. Docker forwards published ports before the host firewall's input rules see them, so `ufw deny 11434` does not stop anyone: they can list your models, run prompts on your GPU, and pull, push or delete models. Publishing on 127.0.0.1 keeps it on this computer.",
    references: [
      'https://github.com/chaifeng/ufw-docker',
      'https://docs.docker.com/engine/network/packet-filtering-firewalls/',
      'https://hub.docker.com/r/ollama/ollama',
    ],
    fixes: ['docker-localhost'],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance): RuleFinding[] => {
      const containers = instance.containers.filter((c) => c.publishedBeyondLoopback);
      if (containers.length === 0) return [];
      const dockerListeners = instance.listeners.filter((l) => l.path === 'docker');
      // Issue 18: the one exposure finding of a published container (exposed-to-lan and
      // proxy-without-auth leave it to this one), so it says who reaches it, and is not made
      // when every way Docker opens is refused (a DOCKER-USER rule that drops it).
      const allDocker = instance.listeners.flatMap((l) =>
        l.reachableVia.filter((p) => isDockerPath(instance, l, p)),
      );
      const open = openDockerPaths(instance);
      if (allDocker.length > 0 && open.length === 0) return [];
      const internet =
        dockerListeners.some((l) => l.exposure === 'internet') ||
        open.some(({ paths }) => paths.some((p) => p.scope === 'public'));
      const at = reachableAt(open);
      const publishes = containers.flatMap((c) =>
        c.published
          .filter((p) => p.scope !== 'loopback')
          .map(
            (p) =>
              `${hostPort(plain(p.hostIp || '0.0.0.0', 60), p.hostPort)} → ${p.containerPort}/${p.protocol}`,
          ),
      );
      const names = containers.map(
        (c) => `${plain(c.names[0] ?? c.id.slice(0, 12), 60)} (image ${plain(c.image, 80)})`,
      );
      return [
        {
          instance: instance.id,
          ...(internet ? { severity: 'critical' as const } : {}),
          summary: `The Docker container ${listed(names)} publishes Ollama${instance.version ? ` ${plain(instance.version, 40)}` : ''} on ${listed(publishes)}${instance.pid !== null ? ` (${instanceLabel(instance)})` : ''}: beyond this computer, and ahead of the host firewall's input rules (ufw included).${at.length > 0 ? ` ${internet ? 'The internet' : 'Other machines on your network'} reach it at ${listed(at, 3)}, with no password.` : ''}`,
          attackerCan: attackerCanOnOllama(snapshot, instance),
          evidence: [
            ...containers.flatMap((c) => c.reasons.map((r) => plain(r, 300))),
            ...[...new Set([...dockerListeners, ...open.map((e) => e.listener)])].map(
              (l) => `Listener ${listenerWords(l)}: ${l.reasons.join(' ')}`,
            ),
            DOCKER_PATH_SENTENCE,
          ],
        },
      ];
    }),
);
