import { rateLimitResetMs } from "./rate-limit-reset.ts";

/** The headers of a failure that say when, or whether, to try again, by name. */
export type RetryHeaders = Readonly<Record<string, string>>;

/**
 * What OpenAI and Anthropic send to say when, or whether, to try again: both SDKs read
 * `retry-after-ms` before `Retry-After`, and obey `x-should-retry` over the status.
 */
const RETRY_HEADER_NAMES = ["retry-after", "retry-after-ms", "x-should-retry"] as const;

export const NO_RETRY_HEADERS: RetryHeaders = Object.freeze({});

/**
 * The retry headers an upstream sent with a failure, as it sent them. A 429 that says when to come
 * back only in its rate-limit headers (OpenAI's daily limit, `x-ratelimit-reset-requests: 6m0s`)
 * says it as `retry-after-ms` and `Retry-After` (whole seconds, rounded up) too: what the router
 * reads before sending the route the call again, and what the caller's SDK waits for.
 */
export function retryHeaders(status: number, headers: Headers): RetryHeaders {
  const found: Record<string, string> = {};
  for (const name of RETRY_HEADER_NAMES) {
    const value = headers.get(name);
    if (value !== null) found[name] = value;
  }
  if (status !== 429 || found["retry-after"] !== undefined || found["retry-after-ms"] !== undefined)
    return found;
  const reset = rateLimitResetMs(headers);
  return reset === undefined ? found : { ...found, ...delayHeaders(reset) };
}

/**
 * The longest wait the gateway tells (a day): an upstream's `retry-after-ms: 1e24` would otherwise
 * be told as `Retry-After: 1e+21`, which no client reads as a number of seconds.
 */
const LONGEST_TOLD_MS = 86_400_000;

/** A delay as both headers that state one: `retry-after-ms` exact, `Retry-After` whole seconds up; a day at most. */
export const delayHeaders = (ms: number): Record<string, string> => ({
  "retry-after": retryAfterSeconds(ms),
  "retry-after-ms": String(Math.ceil(Math.min(ms, LONGEST_TOLD_MS))),
});

/** A delay as `Retry-After` says it: whole seconds, rounded up, a day at most, written as an integer. */
export const retryAfterSeconds = (ms: number): string =>
  String(Math.ceil(Math.min(ms, LONGEST_TOLD_MS) / 1000));

/** A `Retry-After` alone, from an upstream that says no more (Bedrock, Google's RetryInfo). */
export const retryAfterOnly = (value: string | null | undefined): RetryHeaders =>
  value ? { "retry-after": value } : NO_RETRY_HEADERS;
