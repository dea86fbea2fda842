/**
 * A tool's output kept as a fixture (test/fixtures/darwin/, test/fixtures/win32/): its leading
 * `#fixture:` lines say which tool, which system it stands for and where its format was taken
 * from; the rest is the output, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(__dirname, '..', 'fixtures');

/** The output of fixture `name` under test/fixtures/`system`/, its header dropped. */
export function fixtureOutput(system: 'darwin' | 'win32', name: string): string {
  const text = readFileSync(join(FIXTURES, system, name), 'utf8');
  let at = 0;
  while (text.startsWith('#fixture:', at)) {
    const newline = text.indexOf('\n', at);
    at = newline < 0 ? text.length : newline + 1;
  }
  return text.slice(at);
}
