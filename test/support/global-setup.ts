/**
 * Builds the CLI bundle once before the lab tests, so they run the real `paddock` command.
 * A failed build is reported here and again, plainly, by every test that runs the CLI.
 */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  try {
    execFileSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: 'inherit' });
  } catch (error) {
    console.error(
      `\nCould not build the paddock CLI bundle (tests that run it will fail): ${String(error)}\n`,
    );
  }
}
