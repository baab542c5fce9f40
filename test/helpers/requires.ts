/**
 * The `skip` option for tests that need a dependency outside the repository's npm dependencies
 * (chromium, node-llama-cpp): false when it is present, else the printed reason. Under CI=true a
 * dependency that .ci/run installs is never skipped silently: its absence is a failing test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

/** True where .ci/run is the caller (it exports CI=true) or any CI that sets CI=true. */
export const IN_CI = process.env.CI === 'true';

/**
 * Returns the skip reason for tests needing `what` (false when `available`). `install` says how to
 * get it. Under CI=true a missing dependency registers one failing test instead of a quiet skip.
 */
export function requires(what: string, available: boolean, install: string): string | false {
  if (available) return false;
  const reason = `${what} is not available (install it with: ${install})`;
  if (IN_CI) {
    test(`${what} is installed (.ci/run installs it, so CI=true requires it)`, () => {
      assert.fail(reason);
    });
  }
  return `${reason}; skipping`;
}
