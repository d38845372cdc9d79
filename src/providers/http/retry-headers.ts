import { delayHeaders, statedDelayMs } from "../../core/stated-delay.ts";
import { rateLimitResetMs } from "./rate-limit-reset.ts";

/** The headers of a failure that say when, or whether, to try again, by name. */
export type RetryHeaders = Readonly<Record<string, string>>;

/**
 * What OpenAI and Anthropic send to say when, or whether, to try again: both SDKs read
 * `retry-after-ms` before `Retry-After`, and obey `x-should-retry` over the status.
 */
const RETRY_HEADER_NAMES = ["retry-after", "retry-after-ms", "x-should-retry"] as const;

/**
 * Azure's own name for a wait in ms, which some of its services send alone: its SDKs read it after
 * `retry-after-ms` and before `Retry-After` (@azure/core-rest-pipeline's throttling strategy), and
 * the OpenAI and Anthropic SDKs never.
 */
const AZURE_RETRY_AFTER_MS = "x-ms-retry-after-ms";

export const NO_RETRY_HEADERS: RetryHeaders = Object.freeze({});

/**
 * The retry headers an upstream sent with a failure, as it sent them. A wait said only in Azure's
 * `x-ms-retry-after-ms` is said as `retry-after-ms` (and as `Retry-After` where none was sent), the
 * names the router and the callers' SDKs read, in Azure's order. A 429 that says when to come
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
  if (found["retry-after-ms"] === undefined) {
    const azure = headers.get(AZURE_RETRY_AFTER_MS);
    const ms = azure === null ? undefined : statedDelayMs({ "retry-after-ms": azure });
    if (ms !== undefined) return { ...delayHeaders(ms), ...found };
  }
  if (status !== 429 || found["retry-after"] !== undefined || found["retry-after-ms"] !== undefined)
    return found;
  const reset = rateLimitResetMs(headers);
  return reset === undefined ? found : { ...found, ...delayHeaders(reset) };
}

/** A `Retry-After` alone, from an upstream that says no more (Bedrock, Google's RetryInfo). */
export const retryAfterOnly = (value: string | null | undefined): RetryHeaders =>
  value ? { "retry-after": value } : NO_RETRY_HEADERS;
