import { z } from "zod";
import { delayHeaders } from "../../core/stated-delay.ts";
import type { RetryHeaders } from "./retry-headers.ts";

/**
 * OpenRouter's 429 for its free models' day spent ("Rate limit exceeded: free-models-per-day…")
 * sends no `Retry-After`: when the day resets (00:00 UTC) is only in its body, as the rate-limit
 * headers of the limit that refused, `error.metadata.headers["X-RateLimit-Reset"]`, in ms since the
 * epoch ("1768348800000", beside `X-RateLimit-Limit` and `X-RateLimit-Remaining: "0"`).
 */
const openRouterLimit = z.looseObject({
  error: z.looseObject({
    metadata: z.looseObject({
      headers: z.looseObject({ "X-RateLimit-Reset": z.union([z.string(), z.number()]) }),
    }),
  }),
});

/** Below this an epoch time is in seconds, not ms (1e12 ms is in 2001, 1e12 s in the year 33658). */
const EPOCH_MS_FLOOR = 1e12;

/**
 * `found` (the retry headers a 429 sent, retry-headers.ts) with, when it states no wait, the wait
 * until OpenRouter's limit resets as its body says (`Retry-After` and `retry-after-ms`): what the
 * router reads before sending the route the call again and what the caller is told. A reset that
 * has passed, or one not readable, adds nothing. Read on an upstream's 429 only.
 */
export function withOpenRouterReset(
  found: RetryHeaders,
  status: number,
  body: unknown,
  now = Date.now(),
): RetryHeaders {
  if (status !== 429 || found["retry-after"] !== undefined || found["retry-after-ms"] !== undefined)
    return found;
  const parsed = openRouterLimit.safeParse(body);
  if (!parsed.success) return found;
  const said = Number(parsed.data.error.metadata.headers["X-RateLimit-Reset"]);
  if (!Number.isFinite(said) || said <= 0) return found;
  const resetAt = said < EPOCH_MS_FLOOR ? said * 1000 : said;
  return resetAt > now ? { ...found, ...delayHeaders(resetAt - now) } : found;
}
