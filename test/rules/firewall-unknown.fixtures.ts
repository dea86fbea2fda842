/**
 * Good: the rules could not be read, but Ollama listens on loopback only (nothing to judge).
 * Bad: nftables needs root, and Ollama on 0.0.0.0 is counted as open on eth0.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, firewallFacts, loopbackOllama, wildcardOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({
  firewall: { status: 'denied', facts: firewallFacts('denied') },
  instances: [loopbackOllama()],
});

export const bad: Snapshot = buildSnapshot({
  firewall: { status: 'denied', facts: firewallFacts('denied') },
  instances: [wildcardOllama('unknown')],
});
