import { getNumberFromEnv } from "@opentelemetry/core";
import type { Sampler } from "@opentelemetry/sdk-trace";
import { alwaysOff, alwaysOn, parentBased, traceIdRatio } from "./built-in-samplers.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The sampler in force, with the name and ratio it is known by (the start line says them). */
export interface ChosenSampler {
  readonly sampler: Sampler;
  /** One of the six built-ins' names: the one asked for, or the default in place of one unknown. */
  readonly name: string;
  /** The ratio in force, for the two ratio samplers. */
  readonly ratio?: number;
}

const DEFAULT = "parentbased_always_on";

/**
 * The sampler `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` name, built as sdk-node builds it
 * (its `createSamplerFromEnv`, which the package does not export), from the same variables read
 * the same way; unset is the SDK's default, `parentbased_always_on`, and so is an unknown name,
 * and a ratio blank or outside [0, 1] is 1, as the SDK does. Those the SDK says only to its
 * diagnostic logger (silent unless OTEL_LOG_LEVEL), `warn` says to the operator: either samples
 * every trace. startTracing hands this one instance to sdk-node and to the gateway's own spans, so
 * both decide alike (the latter by the sampler's verdict on the trace id's words,
 * built-in-samplers.ts).
 */
export function samplerFromEnv(env: Env, warn: (message: string) => void): ChosenSampler {
  const asked = env.OTEL_TRACES_SAMPLER?.trim() || undefined;
  switch (asked) {
    case "always_on":
      return { sampler: alwaysOn(), name: asked };
    case "always_off":
      return { sampler: alwaysOff(), name: asked };
    case "parentbased_always_off":
      return { sampler: parentBased(alwaysOff()), name: asked };
    case "traceidratio": {
      const ratio = ratioFromEnv(env, warn);
      return { sampler: traceIdRatio(ratio), name: asked, ratio };
    }
    case "parentbased_traceidratio": {
      const ratio = ratioFromEnv(env, warn);
      return { sampler: parentBased(traceIdRatio(ratio)), name: asked, ratio };
    }
    case undefined:
    case DEFAULT:
      return { sampler: parentBased(alwaysOn()), name: DEFAULT };
    default:
      warn(
        `OTEL_TRACES_SAMPLER="${asked}" names no sampler (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio): using ${DEFAULT}, which samples every trace`,
      );
      return { sampler: parentBased(alwaysOn()), name: DEFAULT };
  }
}

function ratioFromEnv(env: Env, warn: (message: string) => void): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (!raw) {
    warn("OTEL_TRACES_SAMPLER_ARG is unset: the ratio is 1, every trace sampled");
    return 1;
  }
  const ratio = Number(raw);
  if (!(ratio >= 0 && ratio <= 1)) {
    warn(`OTEL_TRACES_SAMPLER_ARG="${raw}" is no ratio between 0 and 1: the ratio is 1, every trace sampled`);
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
