import { durationMs } from "../../core/go-duration.ts";

/**
 * OpenAI's two limits, each a reset time and what is left: `x-ratelimit-reset-requests` beside
 * `x-ratelimit-remaining-requests`, and the same for tokens. OpenAI writes the resets as Go
 * durations ("6m0s", "1s", "20ms"); Azure OpenAI sends the same names, a reset in whole seconds.
 */
const OPENAI_LIMITS = [
  ["x-ratelimit-reset-requests", "x-ratelimit-remaining-requests"],
  ["x-ratelimit-reset-tokens", "x-ratelimit-remaining-tokens"],
] as const;

/** Azure's older spelling of the token reset, in seconds. */
const AZURE_TOKEN_RESET = "x-rate-limit-reset-tokens";

/**
 * How long until a 429's limit resets, in ms, from its rate-limit headers: what OpenAI says
 * instead of a `Retry-After` (its daily limit's 429 says `x-ratelimit-reset-requests: 6m0s`,
 * `x-ratelimit-remaining-requests: 0` and nothing else). Each reset is the time until that limit
 * is full again. The limit exhausted (nothing remaining) is the one that refused, so its reset is
 * the wait, the later of the two when both are. When neither is, the limit that refused is not
 * named (a tokens-per-minute 429 leaves tokens, fewer than the request asks: "Limit 30000, Used
 * 28800, Requested 5000"), and only the later reset is sure to let the call through: by then both
 * limits are full. The sooner may be the limit that did not refuse (its requests', 120ms), a wait
 * after which the route refuses again. Undefined when no reset is readable.
 */
export function rateLimitResetMs(headers: Headers): number | undefined {
  let exhausted: number | undefined;
  let later: number | undefined;
  for (const [reset, remaining] of OPENAI_LIMITS) {
    const ms = durationMs(headers.get(reset));
    if (ms === undefined) continue;
    if (headers.get(remaining)?.trim() === "0") exhausted = Math.max(exhausted ?? 0, ms);
    later = Math.max(later ?? 0, ms);
  }
  return exhausted ?? later ?? durationMs(headers.get(AZURE_TOKEN_RESET));
}
