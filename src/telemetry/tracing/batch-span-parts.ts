import type { SamplingResult } from "@opentelemetry/api";
import type { SpanBatchWriter } from "./span-batch.ts";

// OpenTelemetry's HrTime of an epoch-millisecond time, as the SDK's `millisToHrTime` makes it.
export const seconds = (ms: number) => Math.trunc(ms / 1000);
/**
 * `ms % 1000` of a double is a call to `fmod` under JSC (~70 ns, where the subtraction is ~10; two
 * or three times a span in the export thread's encoder: 3–5 % of its time, session 28). For
 * `ms > 0` the remainder by subtraction is exact (the two terms are near each other) and equal to
 * `%`'s whenever the division's quotient truncated is the true one; where the division rounded up
 * to the next integer, it comes out negative and `%` is taken instead. The same numbers, always.
 */
export const nanos = (ms: number) => {
  const rest = ms - Math.trunc(ms / 1000) * 1000;
  return Math.round((ms > 0 && rest >= 0 ? rest : ms % 1000) * 1e6);
};

/** What the sampler adds to a span (built-in samplers never add anything). */
export function samplerAttributes(to: SpanBatchWriter, result: SamplingResult): void {
  const attributes = result.attributes;
  if (attributes === undefined) return;
  for (const key in attributes) {
    const value = attributes[key];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      to.setAttribute(key, value);
  }
}
