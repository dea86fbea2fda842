/**
 * Good: the container publishes 127.0.0.1:11434 only. Bad: it publishes 0.0.0.0:11434
 * (the documented `-p 11434:11434`), which Docker forwards ahead of ufw.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, container, lanPaths } from './snapshots';

const docker = { path: 'docker' as const, owner: { pid: 900, name: 'docker-proxy' } };

export const good: Snapshot = buildSnapshot({
  instances: [
    {
      id: 'ollama:docker:ollama',
      pid: null,
      listeners: [{ ...docker, address: '127.0.0.1' }],
      containers: [container({ publish: { hostIp: '127.0.0.1', scope: 'loopback' } })],
    },
  ],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    {
      id: 'ollama:docker:ollama',
      pid: null,
      listeners: [{ ...docker, address: '0.0.0.0', via: lanPaths().slice(0, 1) }],
      containers: [container()],
    },
  ],
});
