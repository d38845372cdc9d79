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
