/**
 * Good: Open WebUI 0.9.0, past every advisory servers-facts.md §6 gives a fixed version for.
 * Bad: Open WebUI 0.8.12 reachable over eth0 (CVE-2026-45675, the first-admin race, and the
 * other advisories fixed in 0.9.0).
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, lanPaths } from './snapshots';

const openwebui = (version: string) => ({
  kind: 'openwebui' as const,
  pid: 330,
  version,
  auth: 'login-required' as const,
  listeners: [{ address: '0.0.0.0', port: 8080, via: lanPaths() }],
});

export const good: Snapshot = buildSnapshot({ instances: [openwebui('0.9.0')] });

export const bad: Snapshot = buildSnapshot({ instances: [openwebui('0.8.12')] });
