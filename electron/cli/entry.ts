/**
 * Entry point of the bundled CLI. As root, the install is checked before anything else is
 * loaded (root-install.ts): zod comes from node_modules, and loading it would already run
 * whatever another user might have put there. The rest of the CLI is loaded only afterwards.
 */
import { rootInstallProblem } from './root-install';

const problem = rootInstallProblem(process.argv[1]);
if (problem) {
  process.stderr.write(
    `paddock: refusing to run as root from an install that users other than root can change: ${problem}. Run paddock as your own user (it asks for admin rights when a fix needs them), or install it so that its files and folders belong to root.\n`,
  );
  process.exitCode = 2;
} else {
  void import('./main').then(({ main }) => main());
}
