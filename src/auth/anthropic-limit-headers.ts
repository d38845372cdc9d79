/**
 * Anthropic's names for a caller's per-minute limits, which Claude Code and the Anthropic SDK read
 * (`anthropic-ratelimit-requests-remaining`, …), each family's limit and remaining as the
 * `x-ratelimit-*` beside them say, and its reset as Anthropic writes one: the RFC 3339 time the
 * limit is whole again (`2025-08-21T12:40:59Z`), where OpenAI's says how long until then (`12s`).
 */
const FAMILIES = [
  {
    limit: "x-ratelimit-limit-requests",
    remaining: "x-ratelimit-remaining-requests",
    reset: "x-ratelimit-reset-requests",
    anthropicLimit: "anthropic-ratelimit-requests-limit",
    anthropicRemaining: "anthropic-ratelimit-requests-remaining",
    anthropicReset: "anthropic-ratelimit-requests-reset",
  },
  {
    limit: "x-ratelimit-limit-tokens",
    remaining: "x-ratelimit-remaining-tokens",
    reset: "x-ratelimit-reset-tokens",
    anthropicLimit: "anthropic-ratelimit-tokens-limit",
    anthropicRemaining: "anthropic-ratelimit-tokens-remaining",
    anthropicReset: "anthropic-ratelimit-tokens-reset",
  },
] as const;

/** Whether `headers` say a limit under Anthropic's names (written by `anthropicLimitHeaders`). */
export const saysAnthropicLimits = (headers: Record<string, string>): boolean =>
  headers[FAMILIES[0].anthropicLimit] !== undefined || headers[FAMILIES[1].anthropicLimit] !== undefined;

/**
 * Writes into `headers` the Anthropic names of each `x-ratelimit-*` family they hold, from those
 * same values, at `nowMs` (wall clock); nothing for a family they do not hold. A reset in a form
 * other than the gateway's own (an embedder's policy's) is left out.
 */
export function anthropicLimitHeaders(headers: Record<string, string>, nowMs: number): void {
  for (const family of FAMILIES) {
    const limit = headers[family.limit];
    if (limit === undefined) continue;
    headers[family.anthropicLimit] = limit;
    const remaining = headers[family.remaining];
    if (remaining !== undefined) headers[family.anthropicRemaining] = remaining;
    const inMs = resetMs(headers[family.reset]);
    if (inMs !== undefined) headers[family.anthropicReset] = rfc3339(nowMs + inMs);
  }
}

/** How long a reset written by auth/reset-format.ts (`20ms`, `12s`, `1m5s`) is; undefined for any other text. */
function resetMs(text: string | undefined): number | undefined {
  const match = text === undefined ? null : RESET.exec(text);
  if (match === null) return undefined;
  const [, ms, minutes, seconds] = match;
  if (ms !== undefined) return Number(ms);
  return (Number(minutes ?? 0) * 60 + Number(seconds)) * 1000;
}
const RESET = /^(?:(\d+)ms|(?:(\d+)m)?(\d+)s)$/;

/** A time as Anthropic writes its resets: whole seconds (rounded up: the limit is whole by then), UTC. */
const rfc3339 = (ms: number): string =>
  `${new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
