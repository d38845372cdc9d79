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
  const timedOut = () => new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  while (true) {
    // A synchronous check is read without a turn in between: a caller acting the moment the
    // condition holds (aborting right after a first attempt) must not see the world move on.
    const result = check();
    const value = result instanceof Promise ? await beforeDeadline(result, deadline, timedOut) : result;
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw timedOut();
    await Bun.sleep(everyMs);
  }
}

/** An async check that has not settled by the deadline fails the wait: it never hangs it. */
async function beforeDeadline<T>(check: Promise<T>, deadline: number, timedOut: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * For unit tests: waits until `check` holds (see waitForValue). The same order of arguments as
 * the e2e harness's `waitFor` (what, then the check): only the defaults differ.
 */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  await waitForValue(what, check, timeoutMs);
}
