/**
 * For unit tests: polls until `check` holds, and fails after `timeoutMs` naming `what`. Never an
 * unbounded `while (…) await sleep()`: a condition that never comes is a failure with a reason,
 * not a hung suite.
 */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(1);
  }
}
