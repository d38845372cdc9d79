import type { SamplingResult } from "@opentelemetry/api";
import type { SpanBatchWriter } from "./span-batch.ts";

// OpenTelemetry's HrTime of an epoch-millisecond time, as the SDK's `millisToHrTime` makes it.
export const seconds = (ms: number) => Math.trunc(ms / 1000);
export const nanos = (ms: number) => Math.round((ms % 1000) * 1e6);

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
