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

const SECONDS = /^\d+(?:\.\d+)?$/;
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns))+$/;
const GO_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  ns: 1e-6,
};

/** A Go duration ("1h2m3.5s", "20ms") or bare seconds ("60"), in ms; undefined when it is neither. */
export function durationMs(text: string | null): number | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  if (SECONDS.test(value)) return Number(value) * 1000;
  if (!GO_DURATION.test(value)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of value.matchAll(GO_PART)) ms += Number(amount) * (UNIT_MS[unit ?? ""] ?? 0);
  return ms;
}
