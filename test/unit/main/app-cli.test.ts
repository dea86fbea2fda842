import { describe, expect, it, vi } from 'vitest';

vi.mock('../../../electron/cli/main', async (importOriginal) => {
  const real = await importOriginal<typeof CliModule>();
  return {
    ...real,
    runFromArgv: vi.fn(async (argv: string[]) => (real.cliArgs(argv).args[0] === 'fail' ? 3 : 0)),
  };
});

import { APP_CLI_FLAG, isAppCliStart, runAppCli } from '../../../electron/main/app-cli';
import * as cli from '../../../electron/cli/main';
import type * as CliModule from '../../../electron/cli/main';

describe('the app binary as the CLI', () => {
  it('uses the CLI’s own flag', async () => {
    const real = await vi.importActual<typeof CliModule>('../../../electron/cli/main');
    expect(APP_CLI_FLAG).toBe(real.APP_CLI_FLAG);
  });

  it('the CLI’s arguments are those after the flag; self starts the CLI again', () => {
    const argv = ['/opt/Paddock/paddock', '--no-sandbox', APP_CLI_FLAG, '__apply-plan', 'ab'];
    expect(isAppCliStart(argv)).toBe(true);
    expect(cli.cliArgs(argv)).toEqual({
      args: ['__apply-plan', 'ab'],
      self: ['/opt/Paddock/paddock', '--no-sandbox', APP_CLI_FLAG],
    });
    expect(isAppCliStart(['/opt/Paddock/paddock'])).toBe(false);
    expect(isAppCliStart(['/opt/Paddock/paddock', '--hidden'])).toBe(false);
    // Under Node, the arguments are those after the script, as always.
    expect(cli.cliArgs(['/usr/bin/node', '/x/paddock.cjs', 'scan'])).toEqual({
      args: ['scan'],
      self: ['/usr/bin/node', '/x/paddock.cjs'],
    });
  });

  it('runs the CLI with those arguments and exits with its code', async () => {
    const exit = vi.fn();
    await runAppCli(['/opt/Paddock/paddock', APP_CLI_FLAG, 'history', '--json'], exit);
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(vi.mocked(cli.runFromArgv)).toHaveBeenCalledWith([
      '/opt/Paddock/paddock',
      APP_CLI_FLAG,
      'history',
      '--json',
    ]);
    const failed = vi.fn();
    await runAppCli(['/opt/Paddock/paddock', APP_CLI_FLAG, 'fail'], failed);
    await vi.waitFor(() => expect(failed).toHaveBeenCalledWith(3));
  });
});
