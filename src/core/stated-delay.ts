import { durationMs } from "./go-duration.ts";

/**
 * How long a failed upstream asked to be left alone, in ms: its `retry-after-ms` (Azure, OpenAI),
 * else its `Retry-After` in seconds or as an HTTP date (Google's RetryInfo and Bedrock's arrive as
 * seconds, upstream-failure.ts). Undefined when it said nothing readable.
 */
export function statedDelayMs(
  headers: Readonly<Record<string, string>>,
  now = Date.now(),
): number | undefined {
  const ms = headers["retry-after-ms"];
  if (ms !== undefined) {
    const value = Number(ms);
    if (ms.trim() !== "" && Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers["retry-after"];
  if (after === undefined || after.trim() === "") return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The longest wait the SDKs take as told: OpenAI's (TypeScript: a `retry-after-ms` or
 * `Retry-After` over `60 * 1000` ms is ignored; Python: only `0 < retry_after <= 60` is kept) and
 * Anthropic's Python SDK (the same rule) retry after their own short backoff (0.5 s, 1 s, … at
 * most 8 s) instead. Anthropic's TypeScript SDK (1.x) waits what it is told. A wait within it is a
 * short one: a client waits it out and is served (routing/retry-advice.ts, core/upstream-fault.ts).
 */
export const SDK_LONGEST_WAIT_MS = 60_000;

/**
 * The longest wait the gateway tells (a day): an upstream's `retry-after-ms: 1e24` would otherwise
 * be told as `Retry-After: 1e+21`, which no client reads as a number of seconds.
 */
const LONGEST_TOLD_MS = 86_400_000;

/** A delay as both headers that state one: `retry-after-ms` exact, `Retry-After` whole seconds up; a day at most. */
export const delayHeaders = (ms: number): Record<string, string> => ({
  "retry-after": retryAfterSeconds(ms),
  "retry-after-ms": retryAfterMs(ms),
});

/** A delay as `retry-after-ms` says it: whole ms, rounded up, a day at most, written as an integer. */
const retryAfterMs = (ms: number): string => String(Math.ceil(Math.min(ms, LONGEST_TOLD_MS)));

/**
 * A failure's headers with the wait they state told as the gateway tells any (`delayHeaders`): a
 * `Retry-After` every client reads, and `retry-after-ms` where the wait was said in it, a day at
 * most. An upstream's `Retry-After: 99999999999`, a date years off or `retry-after-ms: 1e24` would
 * otherwise reach the caller as sent, a wait no client takes; a wait unreadable (`-5`, `soon`) is
 * not told at all, as if none were said. The headers themselves when they already say it so.
 */
export function boundedDelay(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const sentAfter = headers["retry-after"];
  const sentMs = headers["retry-after-ms"];
  if (sentAfter === undefined && sentMs === undefined) return headers;
  const wait = statedDelayMs(headers);
  const after = wait === undefined ? undefined : retryAfterSeconds(wait);
  // `statedDelayMs` reads `retry-after-ms` first: the wait is its own when it was readable.
  const saidInMs = sentMs !== undefined && statedDelayMs({ "retry-after-ms": sentMs }) !== undefined;
  const ms = wait !== undefined && saidInMs ? retryAfterMs(wait) : undefined;
  if (after === sentAfter && ms === sentMs) return headers;
  const { "retry-after": _after, "retry-after-ms": _ms, ...told }: Record<string, string> = headers;
  if (after !== undefined) told["retry-after"] = after;
  if (ms !== undefined) told["retry-after-ms"] = ms;
  return told;
}

/** A delay as `Retry-After` says it: whole seconds, rounded up, a day at most, written as an integer. */
export const retryAfterSeconds = (ms: number): string =>
  String(Math.ceil(Math.min(ms, LONGEST_TOLD_MS) / 1000));

/**
 * The wait a rate limit's words state, for an error said where no header can be (inside a stream,
 * in a 200 answer): OpenAI's "Please try again in 11.054s." ("28ms"; a day's limit in Go's
 * duration, "7m12s"), which Groq's words share and Codex reads. Undefined when they state none.
 */
export function waitInWords(message: string | undefined): number | undefined {
  const said = message && TRY_AGAIN_IN.exec(message);
  if (!said) return undefined;
  const [, duration, seconds] = said;
  return duration !== undefined ? durationMs(duration) : Number(seconds) * 1000;
}

/** "try again in" and a Go duration, or a number of seconds in words ("35 seconds"). */
const TRY_AGAIN_IN =
  /\btry again in (?:((?:\d+(?:\.\d+)?(?:h|ms|m|s))+)(?![a-z])|(\d+(?:\.\d+)?) seconds?\b)/i;
