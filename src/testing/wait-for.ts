/**
 * The one poll-with-a-deadline of the suite: calls `check` (sync or async) every `everyMs` until
 * it returns a value (not undefined, null or false) and returns that value; fails after
 * `timeoutMs` naming `what`. Never an unbounded `while (…) await sleep()`: a condition that never
 * comes is a failure with a reason, not a hung suite.
 */
export async function waitForValue<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 5_000,
  everyMs = 1,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    // A synchronous check is read without a turn in between: a caller acting the moment the
    // condition holds (aborting right after a first attempt) must not see the world move on.
    const result = check();
    const value = result instanceof Promise ? await result : result;
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

/**
 * For unit tests: waits until `check` holds (see waitForValue). The same order of arguments as
 * the e2e harness's `waitFor` (what, then the check): only the defaults differ.
 */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  await waitForValue(what, check, timeoutMs);
}
