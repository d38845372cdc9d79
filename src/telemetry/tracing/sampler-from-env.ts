import { diag } from "@opentelemetry/api";
import { getNumberFromEnv, getStringFromEnv } from "@opentelemetry/core";
import type { Sampler } from "@opentelemetry/sdk-trace";
import { alwaysOff, alwaysOn, parentBased, traceIdRatio } from "./built-in-samplers.ts";

/**
 * The sampler `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` name, built as sdk-node builds it
 * (its `createSamplerFromEnv`, which the package does not export), from the same variables read
 * the same way; unset or unknown is the SDK's default, `parentbased_always_on`. startTracing
 * hands this one instance to sdk-node and to the gateway's own spans, so both decide alike (the
 * latter by the sampler's verdict on the trace id's words, built-in-samplers.ts).
 */
export function samplerFromEnv(): Sampler {
  const name = getStringFromEnv("OTEL_TRACES_SAMPLER");
  switch (name) {
    case "always_on":
      return alwaysOn();
    case "always_off":
      return alwaysOff();
    case "parentbased_always_off":
      return parentBased(alwaysOff());
    case "traceidratio":
      return traceIdRatio(ratioFromEnv());
    case "parentbased_traceidratio":
      return parentBased(traceIdRatio(ratioFromEnv()));
    case undefined:
    case "parentbased_always_on":
      return parentBased(alwaysOn());
    default:
      diag.error(`unknown OTEL_TRACES_SAMPLER value "${name}", using default`);
      return parentBased(alwaysOn());
  }
}

function ratioFromEnv(): number {
  const ratio = getNumberFromEnv("OTEL_TRACES_SAMPLER_ARG");
  if (ratio == null) {
    diag.error("OTEL_TRACES_SAMPLER_ARG is blank, defaulting to 1.");
    return 1;
  }
  if (ratio < 0 || ratio > 1) {
    diag.error(
      `OTEL_TRACES_SAMPLER_ARG=${ratio} was given, but it is out of range ([0..1]), defaulting to 1.`,
    );
    return 1;
  }
  return ratio;
}

/**
 * The span attribute limits sdk-node applies (`OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, else
 * `OTEL_ATTRIBUTE_COUNT_LIMIT`, default 128; `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`, else
 * `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, default none; a length ≤ 0 is ignored, as the SDK does).
 */
export function attributeLimitsFromEnv(): { attributeCountLimit: number; attributeValueLengthLimit: number } {
  const count =
    getNumberFromEnv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT") ??
    getNumberFromEnv("OTEL_ATTRIBUTE_COUNT_LIMIT") ??
    128;
  const length =
    getNumberFromEnv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT") ??
    getNumberFromEnv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT") ??
    Number.POSITIVE_INFINITY;
  return {
    attributeCountLimit: count,
    attributeValueLengthLimit: length > 0 ? length : Number.POSITIVE_INFINITY,
  };
}
