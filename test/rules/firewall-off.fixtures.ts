/**
 * Good: ufw is active (it filters, and here it allows nothing, so Ollama's paths are blocked).
 * Bad: everything was read, nothing filters, and Ollama on 0.0.0.0 is open on eth0.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, firewallFacts, wildcardOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({
  firewall: { status: 'ok', facts: firewallFacts('ufw-active') },
  instances: [wildcardOllama('blocked')],
});

export const bad: Snapshot = buildSnapshot({
  firewall: { status: 'ok', facts: firewallFacts('off') },
  instances: [wildcardOllama('allowed')],
});
