import { timerDelay } from "../core/timer-delay.ts";
import type { Lifecycle } from "../http/lifecycle.ts";

/**
 * Starts draining and resolves once every request in flight has finished (true) or the
 * deadline passed first (false). The deadline is a cleared timer, not a sleep, so a clean
 * drain lets the process exit at once.
 */
export async function drainWithin(lifecycle: Lifecycle, deadlineMs: number): Promise<boolean> {
  lifecycle.drain();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timerDelay(deadlineMs));
  });
  const clean = await Promise.race([lifecycle.idle().then(() => true), timedOut]);
  clearTimeout(timer);
  return clean;
}
