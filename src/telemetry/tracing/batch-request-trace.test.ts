import { heapStats } from "bun:jsc";
import { expect, spyOn, test } from "bun:test";
import { ROOT_CONTEXT, SamplingDecision, SpanKind, trace } from "@opentelemetry/api";
import { hrTimeToMilliseconds, TraceState } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOnSampler, type Sampler, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { freshRequestId } from "../../http/request-id.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import { reasonOf } from "../access-log.ts";
import type { AttemptTelemetry } from "../dispatch-telemetry.ts";
import { GatewayMetrics } from "../metrics/gateway-metrics.ts";
import { quietSources } from "../metrics/testing/quiet-sources.ts";
import { RequestTelemetry } from "../request-telemetry.ts";
import { alwaysOn, traceIdRatio, verdictOf } from "./built-in-samplers.ts";
import { readSpanBatch } from "./read-span-batch.ts";
import { SpanRecords } from "./request-records.ts";
import { type RequestTrace, requestTraces } from "./request-trace.ts";
import { MOST_ATTRIBUTES } from "./span-attributes.ts";
import { SpanBatchWriter } from "./span-batch.ts";
import { StringTableMirror } from "./string-table.ts";
import { atOnceTracer } from "./testing/at-once-tracer.ts";
import { CALLER_STATE, samplers, scenarios } from "./testing/equivalence-scenarios.ts";
import { ledgerClock } from "./testing/ledger-clock.ts";
import { comparable, direct, type Scenario, throughSdk } from "./testing/span-equivalence.ts";

// The gateway's request spans written straight into the export batch must reach the collector as
// the SDK's own would (testing/span-equivalence.ts says how they are compared): each scenario of
// testing/equivalence-scenarios.ts through both, under each sampler, content captured or not.

for (const [name, sampler, builtIn] of samplers)
  for (const captureContent of [false, true])
    test(`direct spans equal the SDK's: ${name}${captureContent ? ", content captured" : ""}`, () => {
      const limits = {};
      const sdk = throughSdk(sampler(), limits)(scenarios, captureContent);
      const ours = direct(sampler(), limits)(scenarios, captureContent);
      expect(ours.headers).toEqual(sdk.headers);
      expect(ours.spans.map(comparable)).toEqual(sdk.spans.map(comparable));
      // As startTracing builds it: attempts take the server span's verdict (childrenFollowParent).
      const following = direct(sampler(), limits, true)(scenarios, captureContent);
      expect(following.headers).toEqual(sdk.headers);
      expect(following.spans.map(comparable)).toEqual(sdk.spans.map(comparable));
      // As startTracing builds it from OTEL_TRACES_SAMPLER: the server span's verdict by words.
      expect(verdictOf(builtIn())).toBeDefined();
      const byWords = direct(builtIn(), limits, true)(scenarios, captureContent);
      expect(byWords.headers).toEqual(sdk.headers);
      expect(byWords.spans.map(comparable)).toEqual(sdk.spans.map(comparable));
      if (name.startsWith("parentbased_always_on")) {
        // The cases above are really there: 2 + 4 + 2 + 2 + 2 + 1 + 1 + 2 + 3 + 2 + 2 + 3 + 3 + 2 +
        // 24 × 2 spans, none for req-3, req-10 and req-15.
        expect(sdk.spans).toHaveLength(79);
        // The shadow copies' spans: marked, children of their server spans, the failed one in error.
        const copies = sdk.spans.filter((s) => s.attributes["mindgw.shadow"] === true);
        expect(copies.map((s) => [s.name, s.attributes["mindgw.route"], s.status.code])).toEqual([
          ["chat up-1", "provider:twin", 0],
          ["chat up-1", "provider:twin", 2],
        ]);
        for (const copy of copies)
          expect(sdk.spans.find((s) => s.spanContext().spanId === copy.parentSpanContext?.spanId)?.kind).toBe(
            SpanKind.SERVER,
          );
        expect(sdk.spans.some((s) => s.attributes["gen_ai.input.messages"] !== undefined)).toBe(
          captureContent,
        );
        // A client that left fails no call of its own: the attempts of the cut streams (req-4,
        // req-4b) are unset, as the server span of a 499 is, and say why.
        const cut = sdk.spans.filter((s) => s.attributes["error.type"] === "client_closed");
        expect(cut.map((s) => [s.kind, s.status.code, s.status.message])).toEqual([
          [SpanKind.CLIENT, 0, undefined],
          [SpanKind.CLIENT, 0, undefined],
        ]);
        // The caller as the access line's `key` names it: a JWT caller (req-2) by its subject id,
        // never by a name claim a key may share; a key by its name.
        const callers = sdk.spans.filter((s) => s.kind === SpanKind.SERVER);
        const callerOf = (id: string) =>
          callers.find((s) => s.attributes["mindgw.request_id"] === id)?.attributes["mindgw.key.name"];
        expect([callerOf("req-2"), callerOf("req-4")]).toEqual(["jwt:t:k", "k"]);
        // A model call with no model read (req-5) is named by its operation alone, not `chat unknown`.
        const unread = sdk.spans.find((s) => s.attributes["mindgw.request_id"] === "req-5");
        expect(unread?.name).toBe("chat");
        expect(unread?.attributes["gen_ai.request.model"]).toBeUndefined();
        // The caller's trace state (req-9, req-10) goes on with every attempt, sampled or not, as
        // the SDK's propagator reads it; req-9's three spans carry it. A malformed one (req-11), or
        // one beside a malformed traceparent (req-12), is no span's and goes nowhere.
        const passed = ours.headers.filter(([, state]) => state !== undefined);
        expect(passed).toHaveLength(3);
        for (const [traceparent, state] of passed) {
          expect(traceparent).toStartWith("00-0af7651916cd43dd8448eb211c80319c-");
          expect(state).toBe(CALLER_STATE.replace(" ", ""));
        }
        const states = ours.spans.flatMap((s) => s.spanContext().traceState?.serialize() ?? []);
        expect(states).toEqual(Array(3).fill(CALLER_STATE.replace(" ", "")));
      }
      for (const span of ours.spans) {
        const [start, end] = [span.startTime, span.endTime];
        expect(end[0] > start[0] || (end[0] === start[0] && end[1] >= start[1])).toBe(true);
      }
    });

/**
 * A sampler (not a built-in one) that keeps every span and gives a span of the kinds named a
 * trace state of its own: its parent's with `mgw=s` (server) or `mgw=c` (client) in front.
 */
function stating(kinds: SpanKind[]): Sampler {
  return {
    shouldSample(context, _traceId, _name, kind) {
      const decision = SamplingDecision.RECORD_AND_SAMPLED;
      if (!kinds.includes(kind)) return { decision };
      const parent = trace.getSpanContext(context)?.traceState ?? new TraceState();
      return { decision, traceState: parent.set("mgw", kind === SpanKind.SERVER ? "s" : "c") };
    },
    toString: () => `stating ${kinds.join(" ")}`,
  };
}

test("a sampler's trace state is its span's and goes upstream; a span it gives none inherits its parent's", () => {
  const caller = CALLER_STATE.replace(" ", "");
  const requests = scenarios.filter((s) => s.ledger.requestId === "req-9" || s.ledger.requestId === "req-4");
  const cases: [SpanKind[], string, string, string, string][] = [
    // The kinds stated; the server and client spans' trace states under the caller's trace, then
    // in a fresh one.
    [[SpanKind.SERVER], `mgw=s,${caller}`, `mgw=s,${caller}`, "mgw=s", "mgw=s"],
    [[SpanKind.SERVER, SpanKind.CLIENT], `mgw=s,${caller}`, `mgw=c,${caller}`, "mgw=s", "mgw=c"],
    [[SpanKind.CLIENT], caller, `mgw=c,${caller}`, "", "mgw=c"],
  ];
  for (const [kinds, server, client, freshServer, freshClient] of cases) {
    const sdk = throughSdk(stating(kinds), {})(requests, false);
    const ours = direct(stating(kinds), {})(requests, false);
    expect(ours.headers).toEqual(sdk.headers);
    expect(ours.spans.map(comparable)).toEqual(sdk.spans.map(comparable));
    // req-4 (a fresh trace, one attempt), then req-9 (the caller's, two attempts).
    expect(ours.headers.map(([, state]) => state ?? "")).toEqual([freshClient, client, client]);
    const statesOf = (kind: SpanKind) =>
      ours.spans.filter((s) => s.kind === kind).map((s) => s.spanContext().traceState?.serialize() ?? "");
    expect(statesOf(SpanKind.SERVER)).toEqual([freshServer, server]);
    expect(statesOf(SpanKind.CLIENT)).toEqual([freshClient, client, client]);
  }
});

test("times are the SDK's: the server span from the request's arrival, in epoch seconds and nanoseconds", () => {
  const sampler = new AlwaysOnSampler();
  const { spans } = direct(sampler, {})([scenarios[0] as Scenario], false);
  const server = spans.find((s) => s.kind === 1);
  expect(server?.startTime).toEqual([1_750_000_000, 123_000_000]);
  const sdk = throughSdk(sampler, {})([scenarios[0] as Scenario], false).spans.find((s) => s.kind === 1);
  expect(sdk?.startTime).toEqual([1_750_000_000, 123_000_000]);
});

test("the value length limit applies as the SDK applies it; no span carries more attributes than the direct path allows", () => {
  for (const span of throughSdk(new AlwaysOnSampler(), {})(scenarios, true).spans)
    expect(Object.keys(span.attributes).length).toBeLessThanOrEqual(MOST_ATTRIBUTES);
  const limits = { attributeValueLengthLimit: 4 };
  const sampler = () => new AlwaysOnSampler();
  const sdk = throughSdk(sampler(), limits)(scenarios.slice(0, 2), true);
  const ours = direct(sampler(), limits)(scenarios.slice(0, 2), true);
  expect(ours.spans.map(comparable)).toEqual(sdk.spans.map(comparable));
  expect(Object.values(sdk.spans[0]?.attributes ?? {})).toContain("prov");
});

/** The client span of the batch `writer` holds, read back as the export thread reads it. */
function spansOf(writer: SpanBatchWriter) {
  const batch = writer.take();
  return readSpanBatch(
    { strings: batch.strings, numbers: new SpanRecords().of(batch.numbers) },
    new StringTableMirror().apply(batch.table),
    () => resourceFromAttributes({}),
    () => ({ name: "mindgw" }),
  );
}

const clientSpanOf = (writer: SpanBatchWriter) =>
  spansOf(writer).find((span) => span.kind === SpanKind.CLIENT);

/** What the router tells of a first attempt of provider a. */
const PROVIDER_A = { route: "provider:a", vendor: "openai", upstreamModel: "up", retry: 0, failover: false };

/** A chat request's ledger ("r", not streamed) as it arrives now, with the caller's `traceparent`. */
const chatLedger = (traceparent: string | null = null, extra: object = {}) =>
  ({
    frontDoor: "chat",
    model: "m",
    startedAt: Date.now(),
    requestId: "r",
    stream: false,
    ...ledgerClock(),
    traceparent,
    ...extra,
  }) as RequestLedger;

/** A chat request traced straight into `writer`'s batch. */
const tracedChat = (writer: SpanBatchWriter, metrics?: GatewayMetrics, traceparent: string | null = null) =>
  requestTraces(atOnceTracer(writer), undefined).start(chatLedger(traceparent), metrics);

test("an attempt is timed from the router's readings: its span from its start, its duration metric from its start to its end (a stream's last event), counted at its verdict", () => {
  const metrics = new GatewayMetrics(quietSources(), () => "other");
  const attempted = spyOn(metrics, "attempted");
  const ended = spyOn(metrics, "attemptEnded");
  const writer = new SpanBatchWriter(8);
  const trace = tracedChat(writer, metrics);
  // The router read its clock as the attempt was about to be sent, 250 ms before telemetry heard.
  const startedMs = performance.now() - 250;
  const attempt = trace.attempt(PROVIDER_A, startedMs);
  // Committed at its first event 40 ms in; its stream ended 1.2 s in.
  attempt.settled(undefined, undefined, startedMs + 40);
  expect(attempted).toHaveBeenCalledTimes(1);
  expect(ended).toHaveBeenCalledTimes(0);
  attempt.closed(undefined, startedMs + 1200);
  trace.finish({ status: 200, inputTokens: 1, outputTokens: 1, costUsd: 0 } as AuditRecord);
  expect(attempted.mock.calls[0]?.[0]).toBe("provider:a");
  expect(ended.mock.calls[0]?.[1]).toBeCloseTo(1.2, 9);
  const client = clientSpanOf(writer);
  expect(hrTimeToMilliseconds(client?.duration ?? [0, 0])).toBeCloseTo(1200, 3);
});

test("an attempt closed with the router's reading spans to it, with no clock read of its own", () => {
  const writer = new SpanBatchWriter(8);
  const trace = tracedChat(writer);
  const startedMs = performance.now();
  const attempt = trace.attempt(PROVIDER_A, startedMs);
  // The exchange was over before the verdict: the router closes it with the verdict's reading.
  attempt.settled(undefined, undefined, startedMs + 300);
  const now = spyOn(performance, "now");
  attempt.closed(undefined, startedMs + 300);
  expect(now).toHaveBeenCalledTimes(0);
  now.mockRestore();
  trace.finish({ status: 200, inputTokens: 1, outputTokens: 1, costUsd: 0 } as AuditRecord);
  const client = clientSpanOf(writer);
  expect(hrTimeToMilliseconds(client?.duration ?? [0, 0])).toBeCloseTo(300, 3);
});

test("a failed attempt's status message is the error's as the access line gives it: no credential, bounded", () => {
  const writer = new SpanBatchWriter(8);
  const trace = tracedChat(writer);
  const attempt = trace.attempt(PROVIDER_A, performance.now());
  const echoed = `upstream answered 400: bad\nrequest, key sk-abcdefghijklmnopqrstuvwx, ${"x".repeat(600)}`;
  const error = new GatewayError({ code: "invalid_request", message: echoed, status: 400 });
  attempt.settled(error, undefined, performance.now());
  attempt.closed(error);
  trace.finish({ status: 400, inputTokens: 0, outputTokens: 0, costUsd: 0 } as AuditRecord);
  const message = clientSpanOf(writer)?.status.message ?? "";
  expect(message).toBe(reasonOf(error) ?? "no reason");
  expect(message).toStartWith("upstream answered 400: bad request, key [redacted], xxx");
  expect(message).not.toContain("sk-abc");
  expect(message.length).toBe(501);
});

test("a shadow copy is no attempt: its span counts no attempt metric and leaves the server span's provider alone", () => {
  for (const traced of [true, false]) {
    const metrics = new GatewayMetrics(quietSources(), () => "other");
    const started = spyOn(metrics, "attemptStarted");
    const attempted = spyOn(metrics, "attempted");
    const writer = new SpanBatchWriter(8);
    const caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const trace = traced
      ? tracedChat(writer, metrics)
      : new RequestTelemetry(chatLedger(caller, { tracestate: "a=1" }), metrics, undefined);
    const copy = trace.shadowCopy(
      { route: "provider:twin", vendor: "anthropic", upstreamModel: "up", retry: 0, failover: false },
      performance.now(),
    );
    // Traced: its own span's context; tracing off: the caller's, passed on unchanged.
    if (traced) expect(String(copy.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    else expect([String(copy.traceparent), copy.tracestate]).toEqual([caller, "a=1"]);
    copy.closed();
    trace.finish({ status: 200, inputTokens: 1, outputTokens: 1, costUsd: 0 } as AuditRecord);
    expect(started).toHaveBeenCalledTimes(0);
    expect(attempted).toHaveBeenCalledTimes(0);
    if (!traced) continue;
    const spans = spansOf(writer);
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    const client = spans.find((s) => s.kind === SpanKind.CLIENT);
    expect(client?.attributes["mindgw.shadow"]).toBe(true);
    expect(client?.attributes["gen_ai.provider.name"]).toBe("anthropic");
    expect(server?.attributes["gen_ai.provider.name"]).toBeUndefined();
    expect(client?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId ?? "-");
    expect(String(copy.traceparent)).toContain(client?.spanContext().spanId ?? "-");
  }
});

test("a traced request is one object: its first attempt's handle is its trace, a later attempt's one object, each its own traceparent", () => {
  const writer = new SpanBatchWriter(8);
  const traces = requestTraces(atOnceTracer(writer), undefined);
  const ledger = { frontDoor: "chat", model: "m", requestId: "r", stream: false, traceparent: null };
  const requests = Array.from({ length: 200 }, () =>
    traces.start({ ...ledger, startedAt: Date.now(), ...ledgerClock() } as RequestLedger, undefined),
  );
  // Held, so that a collection cannot hide objects the attempts made.
  const attempts: AttemptTelemetry[] = new Array(requests.length);
  const objects = () => heapStats().objectTypeCounts.Object ?? 0;
  // No garbage left for a collection to take from the count (it could only lower it), and what a
  // reading itself makes (its result) taken off.
  Bun.gc(true);
  const reading = -objects() + objects();
  const before = objects();
  for (let i = 0; i < requests.length; i++)
    attempts[i] = (requests[i] as RequestTrace).attempt(PROVIDER_A, performance.now());
  expect((objects() - before - reading) / requests.length).toBeLessThan(0.5);
  expect(attempts[0]).toBe(requests[0] as unknown as AttemptTelemetry);
  // A retry's handle is an object of its own, naming a span of its own in the same trace.
  const retries: AttemptTelemetry[] = new Array(requests.length);
  const retryInfo = { ...PROVIDER_A, retry: 1 };
  const beforeRetries = objects();
  for (let i = 0; i < requests.length; i++)
    retries[i] = (requests[i] as RequestTrace).attempt(retryInfo, performance.now());
  expect((objects() - beforeRetries - reading) / requests.length).toBeLessThan(1.5);
  for (const [i, attempt] of attempts.entries()) {
    const [, traceId, spanId, flags] = String(attempt.traceparent).split("-");
    expect([traceId?.length, spanId?.length, flags]).toEqual([32, 16, "01"]);
    const [, retryTrace, retrySpan] = String(retries[i]?.traceparent).split("-");
    expect(retryTrace).toBe(traceId);
    expect(retrySpan).not.toBe(spanId);
  }
  // The header names the attempt's own span, in its request's trace.
  const [trace, attempt] = [requests[0], attempts[0]];
  attempt?.closed();
  trace?.finish({ status: 200, inputTokens: 1, outputTokens: 1, costUsd: 0 } as AuditRecord);
  const client = clientSpanOf(writer)?.spanContext();
  expect(String(attempt?.traceparent)).toBe(`00-${client?.traceId}-${client?.spanId}-01`);
});

test("the server span is never its first attempt's: its own id, the parent of every attempt's and shadow copy's span, across retries and failover", () => {
  const caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  for (const traceparent of [null, caller]) {
    const writer = new SpanBatchWriter(8);
    const trace = tracedChat(writer, undefined, traceparent);
    // The first attempt (the trace itself), its retry, failover to a worker, and a shadow copy.
    const handles = [
      trace.attempt(PROVIDER_A, performance.now()),
      trace.attempt({ ...PROVIDER_A, retry: 1 }, performance.now()),
      trace.attempt({ ...PROVIDER_A, route: "worker:w", failover: true }, performance.now()),
      trace.shadowCopy({ ...PROVIDER_A, route: "provider:twin" }, performance.now()),
    ];
    for (const handle of handles) handle.closed();
    trace.finish({ status: 200, inputTokens: 1, outputTokens: 1, costUsd: 0 } as AuditRecord);
    const spans = spansOf(writer);
    const server = spans.find((s) => s.kind === SpanKind.SERVER)?.spanContext();
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients).toHaveLength(4);
    expect(server?.spanId).toMatch(/^[0-9a-f]{16}$/);
    for (const [i, client] of clients.entries()) {
      const { traceId, spanId } = client.spanContext();
      expect(spanId).not.toBe(server?.spanId ?? "-");
      expect(client.parentSpanContext?.spanId).toBe(server?.spanId ?? "-");
      expect(traceId).toBe(server?.traceId ?? "-");
      // Each handle names its own span, the first attempt's included.
      expect(String(handles[i]?.traceparent)).toBe(`00-${traceId}-${spanId}-01`);
    }
    if (traceparent)
      expect(spans.find((s) => s.kind === SpanKind.SERVER)?.parentSpanContext?.spanId).toBe(
        "b7ad6b7169203331",
      );
  }
});

test("a request id the gateway made is its root trace's id: its spans and `traceparent` carry it, its attribute reaches the collector whole", () => {
  const caller = "0af7651916cd43dd8448eb211c80319c";
  const ids = [freshRequestId(), freshRequestId(), freshRequestId()];
  const info = { route: "provider:a", vendor: "openai", upstreamModel: "up-1", retry: 0, failover: false };
  const one = { info, settled: [undefined] as [undefined] };
  const scenarios: Scenario[] = [
    { ledger: { requestId: ids[0], freshId: true }, attempts: [one], record: {} },
    // The caller's trace goes on; and a caller's own id, however it reads, is no trace id.
    {
      ledger: { requestId: ids[1], freshId: true, traceparent: `00-${caller}-b7ad6b7169203331-01` },
      attempts: [one],
      record: {},
    },
    { ledger: { requestId: ids[2], freshId: false }, attempts: [one], record: {} },
  ];
  // Each span as the same requests with ids the caller gave make it, bar the ids.
  const given = scenarios.map((s) => ({ ...s, ledger: { ...s.ledger, freshId: false } }));
  const bareIds = ({ context: _context, parent: _parent, ...rest }: ReturnType<typeof comparable>) => rest;
  for (const [sampler, limits] of [
    [alwaysOn(), {}],
    [new AlwaysOnSampler(), {}],
    // Cut by the value length limit as any value is.
    [alwaysOn(), { attributeValueLengthLimit: 20 }],
  ] as const) {
    // `direct` checks the export thread's bytes against the library's encoding of the same spans.
    const ours = direct(sampler, limits, true)(scenarios, false);
    const theirs = direct(sampler, limits, true)(given, false);
    expect(ours.spans.map(comparable).map(bareIds)).toEqual(theirs.spans.map(comparable).map(bareIds));
    const traceOf = (i: number) =>
      ours.spans.filter((s) => s.attributes["mindgw.request_id"] !== undefined)[i];
    const own = (ids[0] as string).slice(4);
    expect(traceOf(0)?.spanContext().traceId).toBe(own);
    expect(traceOf(0)?.attributes["mindgw.request_id"]).toBe(
      (ids[0] as string).slice(0, limits.attributeValueLengthLimit),
    );
    expect(ours.spans.filter((s) => s.spanContext().traceId === own)).toHaveLength(2);
    expect(ours.headers[0]?.[0]).toStartWith(`00-${own}-`);
    expect(traceOf(1)?.spanContext().traceId).toBe(caller);
    expect(traceOf(2)?.spanContext().traceId).not.toBe((ids[2] as string).slice(4));
  }
});

test("the ratio sampler keeps a trace of a request id the gateway made as the SDK's keeps its trace id: about the ratio of them", () => {
  const ids = Array.from({ length: 400 }, () => freshRequestId());
  const scenarios: Scenario[] = ids.map((requestId) => ({
    ledger: { requestId, freshId: true },
    attempts: [],
    record: {},
  }));
  const run = direct(traceIdRatio(0.5), {}, true)(scenarios, false);
  const kept = run.spans.map((s) => s.attributes["mindgw.request_id"]);
  const sdk = new TraceIdRatioBasedSampler(0.5);
  const sdkKept = ids.filter(
    (id) => sdk.shouldSample(ROOT_CONTEXT, id.slice(4)).decision === SamplingDecision.RECORD_AND_SAMPLED,
  );
  expect(kept).toEqual(sdkKept);
  // Their last 32 bits are random (request-id.ts), so the XOR the ratio reads is uniform.
  expect(kept.length).toBeGreaterThan(140);
  expect(kept.length).toBeLessThan(260);
});

test("every attempt's span lies within its request's, on one clock: the request's arrival plus monotonic time", () => {
  const writer = new SpanBatchWriter(512);
  const traces = requestTraces(atOnceTracer(writer), undefined);
  for (let i = 0; i < 40; i++) {
    // As the front door and the ledger read them: the wall clock, then the ledger's monotonic reading.
    const ledger = {
      frontDoor: "chat",
      model: "m",
      startedAt: Date.now(),
      startedMs: performance.now(),
      finishedMs: 0,
      requestId: `r${i}`,
      stream: false,
      traceparent: null,
    };
    const trace = traces.start(ledger as unknown as RequestLedger, undefined);
    // A failed try, then the one that answers, each timed by the router's readings.
    for (const retry of [0, 1]) {
      const attempt = trace.attempt({ ...PROVIDER_A, retry }, performance.now());
      const settledMs = performance.now();
      attempt.settled(undefined, undefined, settledMs);
      attempt.closed(undefined, settledMs);
    }
    ledger.finishedMs = performance.now();
    trace.finish({ status: 200, inputTokens: 1, outputTokens: 1, costUsd: 0 } as AuditRecord);
  }
  const spans = spansOf(writer);
  const server = new Map(
    spans.filter((s) => s.kind === SpanKind.SERVER).map((s) => [s.spanContext().spanId, s]),
  );
  const ns = (time: readonly [number, number]) => BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
  const children = spans.filter((s) => s.kind === SpanKind.CLIENT);
  expect(children).toHaveLength(80);
  for (const child of children) {
    const parent = server.get(child.parentSpanContext?.spanId ?? "");
    expect(parent).toBeDefined();
    if (!parent) continue;
    expect(ns(child.startTime) >= ns(parent.startTime)).toBe(true);
    expect(ns(child.endTime) <= ns(parent.endTime)).toBe(true);
  }
});
