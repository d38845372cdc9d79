import { z } from "zod";

/**
 * OpenRouter's refusal of its free models' day spent ("Rate limit exceeded: free-models-per-day…")
 * sends no `Retry-After`: when the day resets (00:00 UTC) is only in its body, as the rate-limit
 * headers of the limit that refused, `error.metadata.headers["X-RateLimit-Reset"]`, in ms since the
 * epoch ("1768348800000", beside `X-RateLimit-Limit` and `X-RateLimit-Remaining: "0"`). It says so
 * as a 429, and, once a model has begun, as an error in a 200 answer or as a stream's event (its
 * error docs): the same body, which each reader hands here (providers/http/openrouter-reset.ts,
 * translate/stream/in-band-error.ts).
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
 * The wait (ms) until the limit OpenRouter's error `body` names resets; undefined when the body
 * says no reset, or one passed or not readable. Read on a rate limit's body only: one zod parse.
 */
export function openRouterResetWaitMs(body: unknown, now = Date.now()): number | undefined {
  const parsed = openRouterLimit.safeParse(body);
  if (!parsed.success) return undefined;
  const said = Number(parsed.data.error.metadata.headers["X-RateLimit-Reset"]);
  if (!Number.isFinite(said) || said <= 0) return undefined;
  const resetAt = said < EPOCH_MS_FLOOR ? said * 1000 : said;
  return resetAt > now ? resetAt - now : undefined;
}
