/**
 * Test driver for history-kill.test.ts (bundled by the test with esbuild, then run as a
 * child process): appends events to the history in `dir` in a loop, and prints each event's
 * id on stdout only after append() has returned, i.e. after the store reported it written.
 * The test kills it with SIGKILL at some point and checks that every printed id is on disk.
 *
 *   node append-driver.cjs DIR PREFIX COUNT [MAX_BYTES]
 */
import { createHistoryStore } from '../../../electron/engine/history/store';

const [dir, prefix, countText, maxBytesText] = process.argv.slice(2);
if (!dir || !prefix || !countText) {
  process.stderr.write('usage: append-driver DIR PREFIX COUNT [MAX_BYTES]\n');
  process.exit(2);
}
const count = Math.min(Number(countText), 100_000);
const store = createHistoryStore({
  dir,
  maxBytes: maxBytesText ? Number(maxBytesText) : undefined,
});
for (let i = 0; i < count; i += 1) {
  const at = new Date().toISOString();
  const id = `${prefix}-${i}`;
  store.append({
    id,
    kind: 'remote-client',
    at,
    instance: 'ollama:pid:42',
    verdict: 'lan',
    severity: 'medium',
    message: `10.251.0.2, another machine, is connected to Ollama (ollama:pid:42) on port 11434 (event ${i}).`,
    data: { address: '10.251.0.2', ports: '11434', connections: 1, pid: 42 },
  });
  process.stdout.write(`${id}\n`);
}
