/** Good: /api/version said 0.12.10. Bad: no version from the API or the CLI. */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, loopbackOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({ instances: [loopbackOllama()] });

export const bad: Snapshot = buildSnapshot({ instances: [loopbackOllama({ version: null })] });
