/**
 * The requests batch-request-trace.test.ts runs through the SDK and the direct path: one of each
 * kind the gateway traces (retries, failover to a worker, the caller's sampled and unsampled
 * trace, with a trace state or a malformed one, cut streams, refusals, a malformed traceparent,
 * shadow copies, a spread of fresh traces), and each sampler as the SDK's class and as samplerFromEnv builds it.
 */
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace";
import { GatewayError } from "../../../core/gateway-error.ts";
import type { AttemptInfo } from "../../dispatch-telemetry.ts";
import { alwaysOff, alwaysOn, parentBased, traceIdRatio } from "../built-in-samplers.ts";
import type { Scenario } from "./span-equivalence.ts";

const upstreamError = new GatewayError({
  code: "upstream_error",
  // A credential and a line break, as an upstream's message may echo them: both paths redact alike.
  message: "upstream answered 500:\n invalid key sk-abcdefghijklmnopqrstuvwx",
  status: 502,
});
const cut = new GatewayError({ code: "client_closed", message: "the client went away", status: 499 });
/**
 * One record a route, retry and failover, shared by every scenario that names them, as a route's
 * `firstTry` is by its requests: the direct path writes the attributes of an AttemptInfo it met
 * recently as one group (attribute-groups.ts), and that must reach the collector alike.
 */
const infos = new Map<string, AttemptInfo>();
const info = (route: string, retry = 0, failover = false): AttemptInfo => {
  const name = `${route} ${retry} ${failover}`;
  const known = infos.get(name);
  if (known) return known;
  const made = { route, vendor: "openai", upstreamModel: "up-1", retry, failover };
  infos.set(name, made);
  return made;
};
const CALLER = "0af7651916cd43dd8448eb211c80319c";
/** The caller's trace state, as a client sends it (a space after the comma). */
export const CALLER_STATE = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7";

export const scenarios: Scenario[] = [
  // A plain request, one attempt; its upstream answered under a dated name of the model.
  {
    ledger: { answeredModel: "up-1-2024-07-18" },
    attempts: [
      {
        info: info("provider:a"),
        settled: [undefined],
        answer: { inputTokens: 12, outputTokens: 34, model: "up-1-2024-07-18" },
      },
    ],
    record: {},
  },
  // The caller's sampled trace; a failed attempt, a retry, failover to a worker route.
  {
    ledger: { traceparent: `00-${CALLER}-b7ad6b7169203331-01`, requestId: "req-2", stream: true },
    attempts: [
      { info: info("provider:a"), settled: [upstreamError] },
      { info: info("provider:a", 1), settled: [upstreamError], closed: upstreamError },
      // Served: its answer named no model (the one it was asked stands for it).
      {
        info: info("provider:workers", 0, true),
        settled: [undefined, "worker:w1"],
        answer: { inputTokens: 3, outputTokens: 5 },
      },
    ],
    // A JWT caller whose name claim is a key's name too: named by its subject id.
    record: { route: "worker:w1", tenant: "t", ttfbMs: null, keyId: "jwt:t:k", keyName: "k" },
  },
  // The caller's unsampled trace: nothing recorded under parent-based samplers, its traceparent goes on.
  {
    ledger: { traceparent: `00-${CALLER}-b7ad6b7169203331-00`, requestId: "req-3" },
    attempts: [{ info: info("provider:a"), settled: [undefined] }],
    record: {},
  },
  // Committed, then the stream was cut.
  {
    ledger: { requestId: "req-4" },
    attempts: [
      {
        info: info("provider:b"),
        settled: [undefined],
        closed: cut,
        answer: { inputTokens: 7, outputTokens: 2 },
      },
    ],
    record: {},
  },
  // The answer was committed and the request ended before its upstream exchange closed.
  {
    ledger: { requestId: "req-4b" },
    attempts: [{ info: info("provider:b"), settled: [undefined], closed: cut, late: true }],
    record: {},
  },
  // 5xx: the server span in error, its status message the error class.
  {
    ledger: { requestId: "req-5", model: null },
    attempts: [{ info: info("provider:a"), settled: [upstreamError] }],
    record: { status: 500, errorClass: "upstream_error", upstreamModel: null, route: null, keyName: null },
  },
  // Refused at the door: a short server span, no attempts; other front doors are named apart.
  {
    ledger: { requestId: "req-6", model: null },
    attempts: [],
    record: { status: 401, errorClass: "unauthorized" },
    refused: true,
  },
  {
    ledger: { requestId: "req-7", frontDoor: "models", model: null },
    attempts: [],
    record: { status: 200 },
    refused: true,
  },
  // A malformed traceparent: a new trace, the header not passed on.
  {
    ledger: { requestId: "req-8", traceparent: "00-zz-yy-01" },
    attempts: [{ info: info("provider:a"), settled: [undefined] }],
    record: {},
  },
  // The caller's sampled trace with its trace state: every span inherits it, every attempt sends it.
  {
    ledger: { traceparent: `00-${CALLER}-b7ad6b7169203331-01`, tracestate: CALLER_STATE, requestId: "req-9" },
    attempts: [
      { info: info("provider:a"), settled: [upstreamError] },
      { info: info("provider:b", 0, true), settled: [undefined] },
    ],
    record: { route: "provider:b" },
  },
  // Its unsampled trace with a trace state: nothing recorded, the trace state still goes on.
  {
    ledger: {
      traceparent: `00-${CALLER}-b7ad6b7169203331-00`,
      tracestate: CALLER_STATE,
      requestId: "req-10",
    },
    attempts: [{ info: info("provider:a"), settled: [undefined] }],
    record: {},
  },
  // A malformed trace state (a key twice) is ignored; so is one beside a malformed traceparent.
  {
    ledger: { traceparent: `00-${CALLER}-b7ad6b7169203331-01`, tracestate: "a=1,a=2", requestId: "req-11" },
    attempts: [{ info: info("provider:a"), settled: [undefined] }],
    record: {},
  },
  {
    ledger: { traceparent: "00-zz-yy-01", tracestate: CALLER_STATE, requestId: "req-12" },
    attempts: [{ info: info("provider:a"), settled: [undefined] }],
    record: {},
  },
  // A shadow copy answered after its request ended (as nearly every one is): a record of its own.
  {
    ledger: { requestId: "req-13" },
    attempts: [
      { info: info("provider:a"), settled: [undefined] },
      { info: info("provider:twin"), shadow: true, late: true },
    ],
    record: {},
  },
  // Under the caller's sampled trace, a shadow copy that failed before its request ended.
  {
    ledger: { traceparent: `00-${CALLER}-b7ad6b7169203331-01`, requestId: "req-14" },
    attempts: [
      { info: info("provider:a"), settled: [undefined] },
      { info: info("provider:twin"), shadow: true, closed: upstreamError },
    ],
    record: {},
  },
  // Under its unsampled trace: no span; the copy's traceparent goes on, unsampled.
  {
    ledger: { traceparent: `00-${CALLER}-b7ad6b7169203331-00`, requestId: "req-15" },
    attempts: [
      { info: info("provider:a"), settled: [undefined] },
      { info: info("provider:twin"), shadow: true, late: true },
    ],
    record: {},
  },
  // The caller's trace in a later version's form, no-break spaces in front (trimmed off as white
  // space, as JavaScript trims): the server span's ids are read past them.
  {
    ledger: {
      traceparent: "\u00a0\u00a0cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later",
      requestId: "req-16",
    },
    attempts: [{ info: info("provider:a"), settled: [undefined] }],
    record: {},
  },
  // Spread of fresh traces for the ratio sampler, with request ids as the gateway makes them
  // (36 characters: written into the batch without the shared-string lookup).
  ...Array.from({ length: 24 }, (_, i) => ({
    ledger: { requestId: `req_${i.toString(16).padStart(32, "0")}` },
    attempts: [{ info: info("provider:a"), settled: [undefined] as [undefined] }],
    record: {},
  })),
];

/** Each sampler as the SDK's class, and as samplerFromEnv builds it (decided by the trace id's words). */
export const samplers: [string, () => Sampler, () => Sampler][] = [
  [
    "parentbased_always_on",
    () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    () => parentBased(alwaysOn()),
  ],
  ["always_on", () => new AlwaysOnSampler(), alwaysOn],
  ["always_off", () => new AlwaysOffSampler(), alwaysOff],
  [
    "parentbased_always_off",
    () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    () => parentBased(alwaysOff()),
  ],
  ["traceidratio 0.5", () => new TraceIdRatioBasedSampler(0.5), () => traceIdRatio(0.5)],
  [
    "parentbased_traceidratio 0.3",
    () => new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.3) }),
    () => parentBased(traceIdRatio(0.3)),
  ],
];
