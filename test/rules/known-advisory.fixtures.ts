/** Good: a version with no advisory in the table (0.33.0). Bad: 0.1.30, before Probllama's fix. */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, loopbackOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({ instances: [loopbackOllama({ version: '0.33.0' })] });

export const bad: Snapshot = buildSnapshot({ instances: [loopbackOllama({ version: '0.1.30' })] });
