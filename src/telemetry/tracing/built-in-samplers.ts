import { TraceFlags } from "@opentelemetry/api";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace";

/**
 * A built-in sampler's verdict on a request's server span, from what BatchRequestTrace holds
 * anyway: the caller's trace flags when it sent a `traceparent` (a remote parent; undefined for
 * a root span) and the trace id's four 32-bit words. The SDK's own call made a span name and a
 * result object, and the ratio sampler checked the trace id by regular expression and read its
 * 32 digits again, on every traced request (docs/BENCHMARKS-HISTORY.md, "Seventh pass").
 * built-in-samplers.test.ts holds every verdict equal to the SDK sampler's decision.
 */
export type WordVerdict = (
  parentFlags: number | undefined,
  t0: number,
  t1: number,
  t2: number,
  t3: number,
) => boolean;

/** The samplers built here, and their verdicts (a sampler built elsewhere has none). */
const verdicts = new WeakMap<Sampler, WordVerdict>();

/** The verdict of a sampler built by this file, else undefined: the sampler itself decides. */
export const verdictOf = (sampler: Sampler): WordVerdict | undefined => verdicts.get(sampler);

function known<S extends Sampler>(sampler: S, verdict: WordVerdict): S {
  verdicts.set(sampler, verdict);
  return sampler;
}

export const alwaysOn = (): Sampler => known(new AlwaysOnSampler(), () => true);

export const alwaysOff = (): Sampler => known(new AlwaysOffSampler(), () => false);

/**
 * The SDK's ratio sampler keeps a trace when the XOR of its id's four words is below
 * `floor(ratio × (2³² − 1))` (every trace at ratio 1; the ratio clamped to [0, 1], NaN as 0);
 * the ids reaching it are valid (drawn; a gateway-made request id's, a UUIDv7, whose time and
 * version digits are never zero; or a well-formed `traceparent`'s).
 */
export function traceIdRatio(ratio: number): Sampler {
  const normal = Number.isNaN(ratio) ? 0 : Math.min(1, Math.max(0, ratio));
  const bound = normal === 1 ? 2 ** 32 : Math.floor(normal * 0xffffffff);
  return known(
    new TraceIdRatioBasedSampler(ratio),
    (_parentFlags, t0, t1, t2, t3) => (t0 ^ t1 ^ t2 ^ t3) >>> 0 < bound,
  );
}

/**
 * The SDK's parent-based sampler with its default delegates: a root span as `root` decides, a
 * remote parent's child sampled exactly when its parent was.
 */
export function parentBased(root: Sampler): Sampler {
  const sampler = new ParentBasedSampler({ root });
  const rootVerdict = verdictOf(root);
  if (rootVerdict === undefined) return sampler;
  return known(sampler, (parentFlags, t0, t1, t2, t3) =>
    parentFlags === undefined
      ? rootVerdict(undefined, t0, t1, t2, t3)
      : (parentFlags & TraceFlags.SAMPLED) !== 0,
  );
}
