import { openRouterResetWaitMs } from "../../core/openrouter-reset.ts";
import { delayHeaders } from "../../core/stated-delay.ts";
import type { RetryHeaders } from "./retry-headers.ts";

/**
 * `found` (the retry headers a 429 sent, retry-headers.ts) with, when it states no wait, the wait
 * until OpenRouter's limit resets as its body says (`Retry-After` and `retry-after-ms`,
 * core/openrouter-reset.ts): what the router reads before sending the route the call again and
 * what the caller is told. A reset that has passed, or one not readable, adds nothing. Read on an
 * upstream's 429 only.
 */
export function withOpenRouterReset(
  found: RetryHeaders,
  status: number,
  body: unknown,
  now = Date.now(),
): RetryHeaders {
  if (status !== 429 || found["retry-after"] !== undefined || found["retry-after-ms"] !== undefined)
    return found;
  const waitMs = openRouterResetWaitMs(body, now);
  return waitMs === undefined ? found : { ...found, ...delayHeaders(waitMs) };
}
