/**
 * macOS's admin prompt as the tests read it back (cli/elevate.ts appleScriptAdminArgv): the
 * argv osascript gets, decoded as AppleScript decodes its string literal (\\ a backslash, \" a
 * double quote), the exit-status suffix checked and taken off, and the words that remain read
 * by a real /bin/sh, one argument per value, byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

export function adminPromptWords(argv: readonly string[]): string[] {
  expect(argv.slice(0, 2)).toEqual(['/usr/bin/osascript', '-e']);
  const m =
    /^do shell script "((?:[^"\\]|\\.)*)" with administrator privileges without altering line endings$/.exec(
      argv[2]!,
    );
  expect(m).not.toBeNull();
  const full = m![1]!.replace(/\\(.)/g, '$1');
  // What hands back the exit status (elevate.test.ts runs it); before it, the argv.
  const suffix = ` 2>&1; printf '\\npaddock-exit:%s\\n' "$?"`;
  expect(full.endsWith(suffix)).toBe(true);
  const out = spawnSync('/bin/sh', ['-c', `printf '%s\\0' ${full.slice(0, -suffix.length)}`], {
    encoding: 'utf8',
  });
  expect(out.status).toBe(0);
  return out.stdout.split('\0').slice(0, -1);
}
