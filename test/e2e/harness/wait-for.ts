import { messageOf } from "../../../src/core/describe-error.ts";
import { waitForValue } from "../../../src/testing/wait-for.ts";

/**
 * Polls `check` until it returns a value (not undefined/false), or fails after `timeoutMs`; the
 * e2e defaults (a process at the other end) over the suite's one poll loop.
 */
export const waitFor = <T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<T> => waitForValue(what, check, timeoutMs, everyMs);

/**
 * As `waitFor`, its failure saying too what `instead` reads at the deadline (where focus is, what
 * the address says): a timeout alone does not say what came in place of what was waited for.
 */
export async function waitForOrSay<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  instead: () => unknown,
  timeoutMs = 10_000,
): Promise<T> {
  try {
    return await waitFor(what, check, timeoutMs);
  } catch (error) {
    throw new Error(`${messageOf(error)}; instead: ${String(await instead())}`, { cause: error });
  }
}
