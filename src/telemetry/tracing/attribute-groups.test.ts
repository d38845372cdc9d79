import { expect, test } from "bun:test";
import { SpanKind } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import type { FrontDoor } from "../../audit/audit-record.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import type { AttemptInfo } from "../dispatch-telemetry.ts";
import { encodeSpanBatch } from "./otlp-proto-batch.ts";
import { readSpanBatch } from "./read-span-batch.ts";
import { SpanRecords } from "./request-records.ts";
import { requestTraces } from "./request-trace.ts";
import { SpanBatchWriter } from "./span-batch.ts";
import { GROUP, P_ATTRIBUTES, P_FIELDS, R_HEADER, R_PARTS, TYPES } from "./span-batch-layout.ts";
import { StringTableMirror, type TableLimit } from "./string-table.ts";
import { atOnceTracer, servedRecord } from "./testing/at-once-tracer.ts";
import { ledgerClock } from "./testing/ledger-clock.ts";

// A route's attributes that repeat from request to request (an attempt's, a server span's kind,
// its route and key) go into the batch as one pair naming their group; the thread must read and
// encode them as the attributes they stand for.

// As atOnceTracer names them.
const resource = resourceFromAttributes({ "service.name": "mindgw" });
const scope = { name: "mindgw", version: "1.0.0", schemaUrl: undefined };

/** Twelve routes (more than the writer remembers at once), each with its one first-try record. */
const routes: AttemptInfo[] = Array.from({ length: 12 }, (_, r) => ({
  route: `provider:r${r}`,
  vendor: r % 2 === 0 ? "openai" : "anthropic",
  upstreamModel: `up-${r % 5}`,
  retry: 0,
  failover: false,
}));

function gateway(tableLimit?: TableLimit, valueLengthLimit = Number.POSITIVE_INFINITY) {
  const writer = new SpanBatchWriter(64, tableLimit);
  const traces = requestTraces(atOnceTracer(writer, valueLengthLimit), undefined);
  /** Request `i`: its route's first try, then for every fifth a retry with a record of its own. */
  const request = (i: number) => {
    const info = routes[(i * 7) % routes.length] as AttemptInfo;
    const frontDoor: FrontDoor = i % 4 === 3 ? "embeddings" : "chat";
    const ledger = {
      frontDoor,
      model: `m${i % 3}`,
      startedAt: 1_750_000_000_123 + i,
      requestId: `req-${i}`,
      ...ledgerClock(),
    };
    const trace = traces.start(
      { ...ledger, stream: i % 2 === 0, traceparent: null } as RequestLedger,
      undefined,
    );
    trace.attempt(info, performance.now()).closed();
    if (i % 5 === 0) trace.attempt({ ...info, retry: 1 }, performance.now()).closed();
    trace.finish({ ...servedRecord(i, info.route, info.upstreamModel), frontDoor });
  };
  return { writer, request };
}

/** Group pairs in a batch of request records. */
function groupPairs(numbers: Float64Array): number {
  let groups = 0;
  for (let i = 0; i < numbers.length; ) {
    const parts = numbers[i + R_PARTS] as number;
    let p = i + R_HEADER;
    for (let k = 0; k < parts; k++) {
      const count = numbers[p + P_ATTRIBUTES] as number;
      for (let a = 0; a < count; a++)
        if ((numbers[p + P_FIELDS + 2 * a] as number) % TYPES === GROUP) groups++;
      p += P_FIELDS + 2 * count;
    }
    i = p;
  }
  return groups;
}

/** Each batch as the thread takes it: read back, and encoded (the library's bytes for what was read). */
function exportEach(
  writer: SpanBatchWriter,
  batches: number,
  perBatch: number,
  request: (i: number) => void,
) {
  const mirror = new StringTableMirror();
  const spans: ReadableSpan[] = [];
  let groups = 0;
  const tables = new Set<readonly string[]>();
  for (let b = 0; b < batches; b++) {
    for (let i = b * perBatch; i < (b + 1) * perBatch; i++) request(i);
    const batch = writer.take();
    groups += groupPairs(batch.numbers);
    const table = mirror.apply(batch.table);
    tables.add(table);
    const read = readSpanBatch(
      { strings: batch.strings, numbers: new SpanRecords().of(batch.numbers) },
      table,
      () => resource,
      () => scope,
    );
    expect(
      encodeSpanBatch(
        batch,
        table,
        () => resource,
        () => scope,
      ),
    ).toEqual(ProtobufTraceSerializer.serializeRequest(read) as Uint8Array);
    spans.push(...read);
  }
  return { spans, groups, generations: tables.size };
}

test("a route's repeated attributes are one pair in the batch, and reach the collector as each attribute", () => {
  const { writer, request } = gateway();
  const { spans, groups } = exportEach(writer, 6, 20, request);
  // Most attempts and server spans met their group again (a retry's own record, the first of a
  // route's and a route pushed out by the others are written pair by pair).
  expect(groups).toBeGreaterThan(150);
  expect(spans).toHaveLength(120 * 2 + 24);
  for (const [i, trace] of byRequest(spans)) {
    const info = routes[(i * 7) % routes.length] as AttemptInfo;
    const operation = i % 4 === 3 ? "embeddings" : "chat";
    const server = trace.find((span) => span.kind === SpanKind.SERVER);
    expect(Object.entries(server?.attributes ?? {}).slice(0, 5)).toEqual([
      ["mindgw.request_id", `req-${i}`],
      ["mindgw.front_door", i % 4 === 3 ? "embeddings" : "chat"],
      ["mindgw.stream", i % 2 === 0],
      ["gen_ai.operation.name", operation],
      ["gen_ai.request.model", `m${i % 3}`],
    ]);
    expect(server?.attributes["mindgw.route"]).toBe(info.route);
    // An embedding generates no tokens (embeddings-usage.test.ts holds the SDK's spans to it too).
    expect("gen_ai.usage.output_tokens" in (server?.attributes ?? {})).toBe(operation !== "embeddings");
    expect(server?.attributes["mindgw.key.name"]).toBe("k");
    const attempts = trace.filter((span) => span.kind === SpanKind.CLIENT);
    expect(attempts.map((span) => Object.entries(span.attributes))).toEqual(
      (i % 5 === 0 ? [0, 1] : [0]).map((retry) => [
        ["gen_ai.operation.name", operation],
        ["gen_ai.provider.name", info.vendor],
        ["gen_ai.request.model", info.upstreamModel],
        ["mindgw.route", info.route],
        ["mindgw.attempt.retry", retry],
        ["mindgw.attempt.failover", false],
      ]),
    );
  }
});

test("groups start over with each generation of the string table, and values cut to the length limit group too", () => {
  const { writer, request } = gateway({ strings: 40, chars: 100_000 }, 5);
  const { spans, groups, generations } = exportEach(writer, 10, 16, request);
  expect(generations).toBeGreaterThan(2);
  expect(groups).toBeGreaterThan(0);
  for (const [i, trace] of byRequest(spans)) {
    const info = routes[(i * 7) % routes.length] as AttemptInfo;
    for (const attempt of trace.filter((span) => span.kind === SpanKind.CLIENT)) {
      expect(attempt.attributes["mindgw.route"]).toBe(info.route.slice(0, 5));
      expect(attempt.attributes["gen_ai.provider.name"]).toBe(info.vendor.slice(0, 5));
    }
  }
});

/** The spans of each request, by its number. */
function byRequest(spans: readonly ReadableSpan[]): Map<number, ReadableSpan[]> {
  const traces = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    const id = span.spanContext().traceId;
    traces.set(id, [...(traces.get(id) ?? []), span]);
  }
  const requests = new Map<number, ReadableSpan[]>();
  for (const trace of traces.values()) {
    const server = trace.find((span) => span.kind === SpanKind.SERVER);
    // Its number by its start (the request id may be cut to the value length limit).
    const [seconds, nanos] = server?.startTime ?? [0, 0];
    requests.set((seconds - 1_750_000_000) * 1000 + Math.round(nanos / 1e6) - 123, trace);
  }
  return requests;
}
