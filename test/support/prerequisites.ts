/**
 * One rule for tests that need something of the machine (root, network namespaces, a
 * firewall, nginx, Chromium): when it is there, the tests run; when it is not, they are
 * skipped with the reason, or, with PADDOCK_REQUIRE_LAB=1 (set by .ci/run), one test fails
 * with the reason. Nothing is silently untested in CI.
 */
import { describe, it } from 'vitest';

export type Prerequisite = { ok: true } | { ok: false; reason: string };

export const labRequired = (): boolean => process.env.PADDOCK_REQUIRE_LAB === '1';

export function describeWhen(
  what: string,
  check: () => Prerequisite,
  name: string,
  fn: () => void,
): void {
  const pre = check();
  if (pre.ok) {
    describe(name, fn);
    return;
  }
  const message = `${what} prerequisites missing: ${pre.reason} (PADDOCK_REQUIRE_LAB=1 turns this skip into a failure)`;
  if (labRequired()) {
    describe(name, () => {
      it(`has the ${what} prerequisites`, () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(
    `[${what}] skipping "${name}": ${pre.reason}. Set PADDOCK_REQUIRE_LAB=1 to make this a failure.`,
  );
  describe.skip(`${name} [skipped: ${message}]`, fn);
}
