/**
 * This rule reads nothing yet: the snapshot has no facts about the desktop app's settings
 * (macOS/Windows, db.sqlite `expose` and `browser`), so no snapshot can make it report.
 * Both fixtures are honest "no finding" cases; catalog.test.ts knows this rule has no bad
 * fixture (RULES_WITHOUT_FACTS) and asserts [] for both. When the macOS/Windows issue adds
 * the facts, `bad` becomes an app with expose=1 and the exception goes.
 */
import type { Snapshot } from '../../shared/snapshot';
import { buildSnapshot, loopbackOllama, wildcardOllama } from './snapshots';

export const good: Snapshot = buildSnapshot({ instances: [loopbackOllama()], platform: 'darwin' });

/** Not bad today: an exposed server on macOS, which the rule cannot attribute to the app yet. */
export const bad: Snapshot = buildSnapshot({ instances: [wildcardOllama()], platform: 'darwin' });
