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
