/** Reconnect pacing: exponential from `initialMs` up to `maxMs`, with ±`jitter` spread. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1; 0.2 spreads each delay over ±20 % so many tails don't reconnect in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, jitter: 0.2 };

/** The wait before attempt number `attempt` + 1 (attempt counts failures so far, from 1). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  const spread = 1 - options.jitter + 2 * options.jitter * random();
  return Math.max(0, Math.round(base * spread));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
