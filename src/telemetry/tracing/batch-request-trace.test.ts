import { expect, test } from "bun:test";
import { TraceFlags } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  type IdGenerator,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanLimits,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import type { AttemptInfo } from "../dispatch-telemetry.ts";
import { BatchTracer } from "./batch-tracer.ts";
import { alwaysOff, alwaysOn, parentBased, traceIdRatio, verdictOf } from "./built-in-samplers.ts";
import type { WordIdGenerator } from "./id-generator.ts";
import { encodeSpanBatch } from "./otlp-proto-batch.ts";
import { readSpanBatch } from "./read-span-batch.ts";
import { SpanRecords } from "./request-records.ts";
import { requestTraces } from "./request-trace.ts";
import { MOST_ATTRIBUTES } from "./span-attributes.ts";
import { SpanBatchWriter } from "./span-batch.ts";
import { StringTableMirror } from "./string-table.ts";

// The gateway's request spans written straight into the export batch (BatchTracer) must reach
// the collector as the SDK's own spans made through the OpenTelemetry API would: same names,
// kinds, ids, parents, flags, attributes in the same order, statuses, resource and scope, the
// same sampling decisions and the same `traceparent` sent upstream. Each scenario runs through
// both, with the same sampler, limits and a deterministic id sequence, and the batches they
// leave are read back and compared.

/** Ids from a counter: both runs draw the same sequence in the same order. */
function countingIds(): IdGenerator {
  let next = 0;
  const hex = (digits: number) => (++next).toString(16).padStart(digits, "0");
  // A spread of trace ids, so that a ratio sampler keeps some and drops others.
  const traceHex = () => {
    const n = ++next;
    return `${((n * 2654435761) >>> 0).toString(16).padStart(8, "0")}${hex(24)}`;
  };
  return { generateTraceId: traceHex, generateSpanId: () => hex(16) };
}

/**
 * As hexIdGenerator, the direct path draws its ids as words (`drawTraceId`, `drawSpanId`): here in
 * their turn of the same sequence, counted, so each run shows the direct path took them so.
 */
function withWords(ids: IdGenerator) {
  let drawn = "";
  const counted = { drawn: 0 };
  const generator: WordIdGenerator = {
    generateTraceId: () => ids.generateTraceId(),
    generateSpanId: () => ids.generateSpanId(),
    drawTraceId: () => {
      drawn = ids.generateTraceId();
      counted.drawn++;
    },
    drawSpanId: () => {
      drawn = ids.generateSpanId();
      counted.drawn++;
    },
    drawnWord: (w) => Number.parseInt(drawn.slice(w * 8, w * 8 + 8), 16),
  };
  return { generator, counted };
}

const resource = resourceFromAttributes({ "service.name": "equivalence" });

interface Scenario {
  ledger: Partial<RequestLedger>;
  attempts: {
    info: AttemptInfo;
    settled?: [GatewayError | undefined, string?];
    closed?: GatewayError;
    /** Closed only after the request finished (its span then ends after the server span). */
    late?: boolean;
  }[];
  record: Partial<AuditRecord>;
  refused?: boolean;
}

type Drive = (
  scenarios: Scenario[],
  captureContent: boolean,
) => { spans: ReadableSpan[]; headers: unknown[] };

const ledgerOf = (partial: Partial<RequestLedger>) =>
  ({
    frontDoor: "chat",
    model: "m",
    startedAt: 1_750_000_000_123,
    requestId: "req-1",
    stream: false,
    traceparent: null,
    ...partial,
  }) as RequestLedger;

const recordOf = (partial: Partial<AuditRecord>) =>
  ({
    status: 200,
    upstreamModel: "up-1",
    inputTokens: 12,
    outputTokens: 34,
    route: "provider:a",
    keyName: "k",
    tenant: null,
    ttfbMs: 7,
    costUsd: 0.00012,
    errorClass: null,
    requestBody: '{"messages":[{"role":"user","content":"hello"}]}',
    responseBody: '{"choices":[]}',
    ...partial,
  }) as AuditRecord;

function runAll(traces: ReturnType<typeof requestTraces>, scenarios: Scenario[]): unknown[] {
  const headers: unknown[] = [];
  for (const scenario of scenarios) {
    const ledger = ledgerOf(scenario.ledger);
    if (scenario.refused) {
      traces.refused(ledger, recordOf(scenario.record));
      continue;
    }
    const trace = traces.start(ledger, undefined);
    const late: (() => void)[] = [];
    for (const step of scenario.attempts) {
      const attempt = trace.attempt(step.info);
      headers.push(attempt.headers);
      if (step.settled) attempt.settled(step.settled[0], step.settled[1]);
      if (step.late) late.push(() => attempt.closed(step.closed));
      else attempt.closed(step.closed);
    }
    trace.finish(recordOf(scenario.record));
    for (const close of late) close();
  }
  return headers;
}

function readBack(writer: SpanBatchWriter): ReadableSpan[] {
  if (writer.count === 0) return [];
  const batch = writer.take();
  const scopes = new Map(batch.scopes.map((s) => [s.id, s.scope]));
  const table = new StringTableMirror().apply(batch.table);
  const scope = (id: number) => scopes.get(id) ?? { name: "?" };
  const spans = readSpanBatch(
    // As the export thread reads it: the requests' records as span records.
    { strings: batch.strings, numbers: new SpanRecords().of(batch.numbers) },
    table,
    () => resource,
    scope,
  );
  // The export thread's encoder takes the records as written: the library's bytes for those spans.
  const bytes = encodeSpanBatch(batch, table, () => resource, scope);
  expect(
    Buffer.from(bytes ?? []).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? [])),
  ).toBe(true);
  return spans;
}

/** Through the SDK: its tracer, its spans, written into a batch as the span processor does. */
function throughSdk(sampler: Sampler, limits: SpanLimits): Drive {
  return (scenarios, captureContent) => {
    const writer = new SpanBatchWriter(64);
    const provider = new TracerProvider({
      resource,
      sampler,
      spanLimits: limits,
      idGenerator: countingIds(),
      spanProcessors: [
        {
          onStart() {},
          onEnd(span) {
            if (span.spanContext().traceFlags & TraceFlags.SAMPLED) writer.add(span);
          },
          forceFlush: async () => {},
          shutdown: async () => {},
        },
      ],
    });
    const headers = runAll(requestTraces(provider.getTracer("mindgw"), captureContent), scenarios);
    return { spans: readBack(writer), headers };
  };
}

/** Straight into the batch, with the same sampler, limits and ids. */
function direct(sampler: Sampler, limits: SpanLimits, childrenFollowParent = false): Drive {
  return (scenarios, captureContent) => {
    const writer = new SpanBatchWriter(64);
    const ids = withWords(countingIds());
    const tracer = new BatchTracer({
      sdk: new TracerProvider().getTracer("unused"),
      sampler,
      ids: ids.generator,
      resource,
      scope: { name: "mindgw", version: undefined, schemaUrl: undefined },
      valueLengthLimit: limits.attributeValueLengthLimit ?? Number.POSITIVE_INFINITY,
      // Written at once, as at the end of a turn that ended this request alone.
      processor: { writer, batchFor: () => writer, written() {}, later: (spans) => spans.write() },
      childrenFollowParent,
    });
    const headers = runAll(requestTraces(tracer, captureContent), scenarios);
    expect(ids.counted.drawn).toBeGreaterThan(0);
    return { spans: readBack(writer), headers };
  };
}

/** Everything but the clock readings, attribute order included. */
const comparable = (span: ReadableSpan) => ({
  name: span.name,
  kind: span.kind,
  context: span.spanContext(),
  parent: span.parentSpanContext,
  status: span.status,
  attributes: span.attributes,
  keys: Object.keys(span.attributes),
  dropped: span.droppedAttributesCount,
  events: span.events,
  links: span.links,
  resource: span.resource.attributes,
  scope: span.instrumentationScope,
});

const upstreamError = new GatewayError({
  code: "upstream_error",
  message: "upstream answered 500",
  status: 502,
});
const cut = new GatewayError({ code: "client_closed", message: "the client went away", status: 499 });
const info = (route: string, retry = 0, failover = false): AttemptInfo => ({
  route,
  dialect: "openai",
  upstreamModel: "up-1",
  retry,
  failover,
});
const CALLER = "0af7651916cd43dd8448eb211c80319c";

const scenarios: Scenario[] = [
  // A plain request, one attempt.
  { ledger: {}, attempts: [{ info: info("provider:a"), settled: [undefined] }], record: {} },
  // The caller's sampled trace; a failed attempt, a retry, failover to a worker route.
  {
    ledger: { traceparent: `00-${CALLER}-b7ad6b7169203331-01`, requestId: "req-2", stream: true },
    attempts: [
      { info: info("provider:a"), settled: [upstreamError] },
      { info: info("provider:a", 1), settled: [upstreamError], closed: upstreamError },
      { info: info("provider:workers", 0, true), settled: [undefined, "worker:w1"] },
    ],
    record: { route: "worker:w1", tenant: "t", ttfbMs: null },
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
    attempts: [{ info: info("provider:b"), settled: [undefined], closed: cut }],
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
  // Spread of fresh traces for the ratio sampler, with request ids as the gateway makes them
  // (36 characters: written into the batch without the shared-string lookup).
  ...Array.from({ length: 24 }, (_, i) => ({
    ledger: { requestId: `req_${i.toString(16).padStart(32, "0")}` },
    attempts: [{ info: info("provider:a"), settled: [undefined] as [undefined] }],
    record: {},
  })),
];

/** Each sampler as the SDK's class, and as samplerFromEnv builds it (decided by the trace id's words). */
const samplers: [string, () => Sampler, () => Sampler][] = [
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
        // The cases above are really there: 2 + 4 + 2 + 2 + 2 + 1 + 1 + 2 + 24 × 2 spans, none for req-3.
        expect(sdk.spans).toHaveLength(64);
        expect(sdk.spans.some((s) => s.attributes["gen_ai.input.messages"] !== undefined)).toBe(
          captureContent,
        );
      }
      for (const span of ours.spans) {
        const [start, end] = [span.startTime, span.endTime];
        expect(end[0] > start[0] || (end[0] === start[0] && end[1] >= start[1])).toBe(true);
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
