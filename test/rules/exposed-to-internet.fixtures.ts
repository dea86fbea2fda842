/** Good: Ollama on loopback. Bad: Ollama on 0.0.0.0 with a public address on eth1. */
import type { Snapshot } from '../../shared/snapshot';
import {
  LAN_INTERFACE,
  LOOPBACK_INTERFACE,
  PUBLIC4,
  PUBLIC_INTERFACE,
  buildSnapshot,
  lanPaths,
  loopbackOllama,
  setting,
} from './snapshots';

export const good: Snapshot = buildSnapshot({ instances: [loopbackOllama()] });

export const bad: Snapshot = buildSnapshot({
  interfaces: [LOOPBACK_INTERFACE, LAN_INTERFACE, PUBLIC_INTERFACE],
  instances: [
    {
      settings: [setting('OLLAMA_HOST', '0.0.0.0')],
      listeners: [{ address: '::', via: [...lanPaths(), { address: PUBLIC4 }] }],
    },
  ],
});
