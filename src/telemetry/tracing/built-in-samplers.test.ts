import { expect, test } from "bun:test";
import { ROOT_CONTEXT, SamplingDecision, SpanKind, TraceFlags, trace } from "@opentelemetry/api";
import type { Sampler } from "@opentelemetry/sdk-trace";
import {
  alwaysOff,
  alwaysOn,
  parentBased,
  traceIdRatio,
  verdictOf,
  type WordVerdict,
} from "./built-in-samplers.ts";
import { hexWord } from "./id-generator.ts";

const CALLER_SPAN = "b7ad6b7169203331";
const hex8 = (word: number) => (word >>> 0).toString(16).padStart(8, "0");

/** The SDK sampler's own decision on a server span of `traceId`, under a remote parent's flags. */
function sdkSampled(sampler: Sampler, traceId: string, parentFlags: number | undefined): boolean {
  const context =
    parentFlags === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: CALLER_SPAN,
          traceFlags: parentFlags,
          isRemote: true,
        });
  const result = sampler.shouldSample(context, traceId, "chat m", SpanKind.SERVER, {}, []);
  expect(result.attributes).toBeUndefined();
  expect(result.traceState).toBeUndefined();
  return result.decision === SamplingDecision.RECORD_AND_SAMPLED;
}

function randomTraceId(): string {
  const words = crypto.getRandomValues(new Uint32Array(4));
  return Array.from(words, hex8).join("");
}

/** Trace ids whose words' XOR lands just below, on and just above a ratio's bound. */
function idsAround(bound: number): string[] {
  const ids: string[] = [];
  for (const xor of [bound - 1, bound, bound + 1, 0, 1, 0xfffffffe, 0xffffffff]) {
    if (xor < 0 || xor > 0xffffffff) continue;
    // Words a, b, c and a ^ b ^ c ^ xor: their XOR is `xor`.
    const [a = 0, b = 0, c = 0] = crypto.getRandomValues(new Uint32Array(3));
    ids.push([a, b, c, (a ^ b ^ c ^ xor) >>> 0].map(hex8).join(""));
  }
  return ids;
}

const ratios = [0, 1e-9, 0.001, 0.1, 0.3, 0.5, 0.75, 0.999999, 1, 1.5, -0.5, Number.NaN];
const built: [string, () => Sampler, number][] = [
  ["always_on", alwaysOn, 1],
  ["always_off", alwaysOff, 0],
  ["parentbased_always_on", () => parentBased(alwaysOn()), 1],
  ["parentbased_always_off", () => parentBased(alwaysOff()), 0],
  ...ratios.flatMap((ratio): [string, () => Sampler, number][] => {
    const bound =
      Number.isNaN(ratio) || ratio <= 0 ? 0 : ratio >= 1 ? 2 ** 32 : Math.floor(ratio * 0xffffffff);
    return [
      [`traceidratio ${ratio}`, () => traceIdRatio(ratio), bound],
      [`parentbased_traceidratio ${ratio}`, () => parentBased(traceIdRatio(ratio)), bound],
    ];
  }),
];

for (const [name, build, bound] of built)
  test(`${name}: the verdict by words is the SDK sampler's decision`, () => {
    const sampler = build();
    const verdict = verdictOf(sampler) as WordVerdict;
    expect(verdict).toBeDefined();
    const ids = [...Array.from({ length: 3000 }, randomTraceId), ...idsAround(bound)];
    let kept = 0;
    for (const traceId of ids)
      for (const parentFlags of [undefined, TraceFlags.SAMPLED, TraceFlags.NONE]) {
        const words = [0, 1, 2, 3].map((w) => hexWord(traceId, w)) as [number, number, number, number];
        const ours = verdict(parentFlags, ...words);
        expect(ours).toBe(sdkSampled(sampler, traceId, parentFlags));
        if (ours && parentFlags === undefined) kept++;
      }
    // The ratios are really applied: none, all, or about their share of random ids.
    if (bound === 0) expect(kept).toBe(0);
    else if (bound === 2 ** 32) expect(kept).toBe(ids.length);
  });

test("a sampler built elsewhere has no verdict: it is asked itself", () => {
  expect(verdictOf({ shouldSample: () => ({ decision: SamplingDecision.NOT_RECORD }) })).toBeUndefined();
  // A parent-based sampler over a root of its own: its root decides, so no verdict either.
  expect(
    verdictOf(parentBased({ shouldSample: () => ({ decision: SamplingDecision.RECORD }) })),
  ).toBeUndefined();
});
