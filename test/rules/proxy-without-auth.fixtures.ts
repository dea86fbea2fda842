/**
 * Good: nginx on 0.0.0.0:8080 in front of a loopback Ollama asks for Basic credentials.
 * Bad: the same nginx forwards without asking.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, lanPaths, proxyPath } from './snapshots';

const nginx = {
  path: 'proxy' as const,
  address: '0.0.0.0',
  port: 8080,
  owner: { pid: 77, name: 'nginx' },
};

export const good: Snapshot = buildSnapshot({
  instances: [
    {
      listeners: [{ address: '127.0.0.1' }],
      proxyPaths: [
        proxyPath({
          authRequired: true,
          authScheme: 'Basic',
          authRealm: 'ollama',
          tagsStatus: 401,
          matchedBy: null,
          upstream: 'unconfirmed',
        }),
      ],
    },
  ],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    {
      listeners: [{ address: '127.0.0.1' }, { ...nginx, via: lanPaths() }],
      proxyPaths: [proxyPath()],
    },
  ],
});
