/**
 * The equivalence harness of batch-request-trace.test.ts. The gateway's request spans written
 * straight into the export batch (BatchTracer) must reach the collector as the SDK's own spans
 * made through the OpenTelemetry API would: same names, kinds, ids, parents, flags, trace states,
 * attributes in the same order, statuses, resource and scope, the same sampling decisions and the
 * same `traceparent` and `tracestate` sent upstream. A scenario runs through both (`throughSdk`,
 * `direct`), with the same sampler, limits and a deterministic id sequence, and the batches they
 * leave are read back (`readBack`, which also checks the encoder's bytes against the library's)
 * and compared.
 */
import { expect } from "bun:test";
import { TraceFlags } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  type IdGenerator,
  type ReadableSpan,
  type Sampler,
  type SpanLimits,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { AuditRecord } from "../../../audit/audit-record.ts";
import { redactSecrets } from "../../../audit/redact-body.ts";
import type { GatewayError } from "../../../core/gateway-error.ts";
import type { RequestLedger } from "../../../http/request-ledger.ts";
import type {
  AttemptAnswer,
  AttemptInfo,
  AttemptTelemetry,
  CopyTelemetry,
} from "../../dispatch-telemetry.ts";
import { BatchTracer } from "../batch-tracer.ts";
import type { WordIdGenerator } from "../id-generator.ts";
import { encodeSpanBatch } from "../otlp-proto-batch.ts";
import { readSpanBatch } from "../read-span-batch.ts";
import { SpanRecords } from "../request-records.ts";
import { requestTraces } from "../request-trace.ts";
import { SpanBatchWriter } from "../span-batch.ts";
import { StringTableMirror } from "../string-table.ts";
import { ledgerClock } from "./ledger-clock.ts";

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

export interface Scenario {
  ledger: Partial<RequestLedger>;
  attempts: {
    info: AttemptInfo;
    settled?: [GatewayError | undefined, string?];
    closed?: GatewayError;
    /** Closed only after the request finished (its span then ends after the server span). */
    late?: boolean;
    /** A shadow copy (`shadowCopy`): never settled, only closed. */
    shadow?: boolean;
    /** The answer the client got of it, told at its close: what it used, the model it named. */
    answer?: { inputTokens: number; outputTokens: number; model?: string };
  }[];
  record: Partial<AuditRecord>;
  refused?: boolean;
}

type Drive = (scenarios: Scenario[], captureContent: boolean) => { spans: ReadableSpan[]; headers: Sent[] };

const ledgerOf = (partial: Partial<RequestLedger>) =>
  ({
    frontDoor: "chat",
    model: "m",
    startedAt: 1_750_000_000_123,
    ...ledgerClock(),
    requestId: "req-1",
    stream: false,
    traceparent: null,
    tracestate: null,
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
    frontDoor: "chat",
    requestBody: '{"messages":[{"role":"user","content":"hello"}]}',
    responseBody:
      '{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}',
    ...partial,
  }) as AuditRecord;

/** What each attempt sends upstream: its `traceparent` and `tracestate`. */
export type Sent = readonly [traceparent: string | undefined, tracestate: string | undefined];

/** An attempt told its verdict, if the scenario gives one. */
/** A scenario's answer as the router's attempt tells it. */
function answerOf(answer: Scenario["attempts"][number]["answer"]): AttemptAnswer | undefined {
  if (answer === undefined) return undefined;
  const { inputTokens, outputTokens, model } = answer;
  return { usage: () => ({ inputTokens, outputTokens }), answeredModel: () => model };
}

function settledAttempt(attempt: AttemptTelemetry, settled?: [GatewayError | undefined, string?]) {
  if (settled) attempt.settled(settled[0], settled[1], performance.now());
  return attempt;
}

function runAll(traces: ReturnType<typeof requestTraces>, scenarios: Scenario[]): Sent[] {
  const headers: Sent[] = [];
  for (const scenario of scenarios) {
    const ledger = ledgerOf(scenario.ledger);
    if (scenario.refused) {
      traces.refused(ledger, recordOf(scenario.record));
      continue;
    }
    const trace = traces.start(ledger, undefined);
    const late: (() => void)[] = [];
    for (const step of scenario.attempts) {
      const attempt: CopyTelemetry = step.shadow
        ? trace.shadowCopy(step.info, performance.now())
        : settledAttempt(trace.attempt(step.info, performance.now()), step.settled);
      // As text, the way it goes upstream (a span's is held as words until a client writes it).
      const traceparent = attempt.traceparent === undefined ? undefined : String(attempt.traceparent);
      headers.push([traceparent, attempt.tracestate]);
      const answer = answerOf(step.answer);
      if (step.late) late.push(() => attempt.closed(step.closed, undefined, answer));
      else attempt.closed(step.closed, undefined, answer);
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
export function throughSdk(sampler: Sampler, limits: SpanLimits): Drive {
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
    const headers = runAll(
      requestTraces(provider.getTracer("mindgw"), captureContent ? redactSecrets : undefined),
      scenarios,
    );
    return { spans: readBack(writer), headers };
  };
}

/** Straight into the batch, with the same sampler, limits and ids. */
export function direct(sampler: Sampler, limits: SpanLimits, childrenFollowParent = false): Drive {
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
    const headers = runAll(requestTraces(tracer, captureContent ? redactSecrets : undefined), scenarios);
    expect(ids.counted.drawn).toBeGreaterThan(0);
    return { spans: readBack(writer), headers };
  };
}

/** Everything but the clock readings, attribute order included. */
export const comparable = (span: ReadableSpan) => ({
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
