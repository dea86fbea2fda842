/**
 * The app's own binary doubles as the `paddock` CLI for the privileged side of a fix:
 * sudo/pkexec run `Paddock --paddock-cli __apply-plan DIGEST` (the runAsNode fuse is off, so
 * this is the only way to run Paddock's code as root without shipping Node). Such a start
 * opens no window and takes no single-instance lock: it runs the CLI and exits with its code.
 */

/** The same flag as electron/cli/main.ts's APP_CLI_FLAG (a test keeps them equal). */
export const APP_CLI_FLAG = '--paddock-cli';

/** A start by sudo/pkexec for the CLI (the flag after the binary), not the window. */
export function isAppCliStart(argv: readonly string[]): boolean {
  return argv.indexOf(APP_CLI_FLAG) > 0;
}

/** Runs the CLI in this process; `exit` receives its exit code once stdout is flushed. */
export async function runAppCli(
  argv: readonly string[],
  exit: (code: number) => void,
): Promise<void> {
  if (!isAppCliStart(argv)) return exit(2);
  // Loaded only for a CLI start: the window never pays for the CLI's code.
  const { runFromArgv } = await import('../cli/main');
  const code = await runFromArgv(argv);
  // app.exit does not wait for a pipe to drain: wait for what was written first.
  process.stdout.write('', () => exit(code));
}
