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
