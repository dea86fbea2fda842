/**
 * Good: Ollama on 0.0.0.0 with the firewall allowing it (exposed, not "saved": the exposure
 * rules report that). Bad: Ollama on 0.0.0.0 where nftables drops 11434 on every path.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, firewallFacts, wildcardOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({
  firewall: { status: 'ok', facts: firewallFacts('off') },
  instances: [wildcardOllama('allowed')],
});

export const bad: Snapshot = buildSnapshot({
  firewall: { status: 'ok', facts: firewallFacts('nft-drop') },
  instances: [wildcardOllama('blocked')],
});
