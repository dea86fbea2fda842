/**
 * Good: llama-server with --tools on loopback only (servers-facts.md §3: with tools on, its
 * CORS default is localhost). Bad: the same on 0.0.0.0:8080 reachable over eth0.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, lanPaths } from './snapshots';

const tools = [
  {
    flag: '--tools',
    what: 'read and write files and run shell commands through /tools',
    runsCode: true,
  },
];

export const good: Snapshot = buildSnapshot({
  instances: [
    {
      kind: 'llamacpp',
      pid: 300,
      features: tools,
      listeners: [{ address: '127.0.0.1', port: 8080 }],
    },
  ],
});

export const bad: Snapshot = buildSnapshot({
  instances: [
    {
      kind: 'llamacpp',
      pid: 300,
      features: tools,
      listeners: [{ address: '0.0.0.0', port: 8080, via: lanPaths() }],
    },
  ],
});
