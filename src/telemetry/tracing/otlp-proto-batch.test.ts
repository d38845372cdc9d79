import { expect, test } from "bun:test";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { RequestLedger } from "../../http/request-ledger.ts";
import { encodeSpanBatch } from "./otlp-proto-batch.ts";
import { readSpanBatch } from "./read-span-batch.ts";
import { SpanRecords } from "./request-records.ts";
import { requestTraces } from "./request-trace.ts";
import { SpanBatchWriter } from "./span-batch.ts";
import type { SpanBatch } from "./span-batch-layout.ts";
import { StringTableMirror } from "./string-table.ts";
import { atOnceTracer, servedRecord } from "./testing/at-once-tracer.ts";
import { ledgerClock } from "./testing/ledger-clock.ts";
import { parentContext } from "./trace-context.ts";

// The export thread's own protobuf writer must send exactly what the OpenTelemetry exporter's
// serialiser would have sent for the same spans, byte for byte.

function spansOf(make: (tracers: ReturnType<TracerProvider["getTracer"]>[]) => void): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      "service.name": "mindgw",
      "process.pid": 4242,
      "process.command_args": ["/usr/bin/mindgw", "serve"],
      "host.arch": "amd64",
      weight: 0.5,
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  make([
    provider.getTracer("mindgw", "1.0.0"),
    provider.getTracer("other", undefined, { schemaUrl: "https://x/s" }),
  ]);
  return memory.getFinishedSpans();
}

/** What the thread does: the batch written on the main thread, bytes from it, and the library's bytes. */
function bothWays(spans: ReadableSpan[]) {
  const writer = new SpanBatchWriter(spans.length);
  for (const span of spans) writer.add(span);
  const batch: SpanBatch = writer.take();
  const resources = new Map(batch.resources.map((r) => [r.id, resourceFromAttributes(r.attributes)]));
  const scopes = new Map(batch.scopes.map((s) => [s.id, s.scope]));
  const resource = (id: number) => resources.get(id) ?? resourceFromAttributes({});
  const scope = (id: number) => scopes.get(id) ?? { name: "" };
  const table = new StringTableMirror().apply(batch.table);
  return {
    ours: encodeSpanBatch(batch, table, resource, scope),
    library: ProtobufTraceSerializer.serializeRequest(readSpanBatch(batch, table, resource, scope)),
  };
}

test("a batch of mindgw's spans encodes to the library's bytes", () => {
  const spans = spansOf(([tracer, other]) => {
    if (!tracer || !other) throw new Error("no tracer");
    for (let i = 0; i < 40; i++) {
      // The caller's trace, with a trace state (its spans' too), short or past 128 bytes.
      const remote =
        i % 3 === 0
          ? parentContext(
              "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
              i % 2 === 0 ? "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7" : `long=${"x".repeat(200)}`,
            )
          : ROOT_CONTEXT;
      const server = tracer.startSpan(
        `chat m${i % 4}`,
        { kind: SpanKind.SERVER, startTime: Date.now() - i },
        remote,
      );
      server.setAttributes({
        "mindgw.request_id": `req-${i}-${"é".repeat(i % 3)}`,
        "mindgw.stream": i % 2 === 0,
        "gen_ai.usage.input_tokens": i * 1000,
        big: 2 ** 40 + i,
        negative: -i - 1,
        "huge negative": -(2 ** 45),
        "mindgw.cost_usd": i / 7,
        "not a number": Number.NaN,
        "long text": "x".repeat(200 + i),
        // The batch's own strings, not ASCII, their UTF-8 lengths below and past 128.
        "long text é": `${"é☃".repeat(12 + i)}\ud83d\ude00`,
        "emoji ☃": "\ud83d\ude00",
      });
      const client = tracer.startSpan(
        `chat up`,
        { kind: SpanKind.CLIENT },
        trace.setSpan(ROOT_CONTEXT, server),
      );
      if (i % 5 === 0) client.setStatus({ code: SpanStatusCode.ERROR, message: i % 10 === 0 ? "boom" : "" });
      client.end();
      other.startSpan("internal", {}, trace.setSpan(ROOT_CONTEXT, server)).end();
      if (i % 7 === 0) server.setStatus({ code: SpanStatusCode.OK });
      server.end();
    }
  });
  const { ours, library } = bothWays(spans);
  expect(ours).toBeDefined();
  expect(ours?.length).toBeGreaterThan(10_000);
  expect(ours).toEqual(library);
});

test("written into a used buffer, or one too small, the bytes are the same", () => {
  const spans = spansOf(([tracer]) => {
    for (let i = 0; i < 30; i++)
      tracer
        ?.startSpan(`chat m${i % 3}`, { kind: SpanKind.SERVER })
        .setAttributes({ "mindgw.request_id": `req_${i}_${"0".repeat(32)}`, "gen_ai.usage.input_tokens": i })
        .end();
  });
  const writer = new SpanBatchWriter(spans.length);
  for (const span of spans) writer.add(span);
  const batch = writer.take();
  const resource = resourceFromAttributes(batch.resources[0]?.attributes ?? {});
  const scope = batch.scopes[0]?.scope ?? { name: "" };
  const table = new StringTableMirror().apply(batch.table);
  const encode = (into?: Uint8Array) =>
    encodeSpanBatch(
      batch,
      table,
      () => resource,
      () => scope,
      into,
    );
  const fresh = encode();
  expect(fresh).toEqual(
    ProtobufTraceSerializer.serializeRequest(
      readSpanBatch(
        batch,
        table,
        () => resource,
        () => scope,
      ),
    ),
  );
  const used = new Uint8Array(256 * 1024).fill(0xab);
  const reused = encode(used);
  expect(reused?.buffer).toBe(used.buffer);
  expect(reused).toEqual(fresh);
  const small = new Uint8Array(64).fill(0xab);
  const grown = encode(small);
  expect(grown?.buffer).not.toBe(small.buffer);
  expect(grown).toEqual(fresh);
});

test("batches under the same resource and scope, then under others, each carry their own headers", () => {
  // The encoder keeps the last batch's resource and scope headers: a batch under the same two
  // objects writes them from there, one under another resource or scope (even with the same id,
  // as when the main thread sends a resource again) writes its own.
  const spans = spansOf(([tracer]) => {
    for (let i = 0; i < 5; i++) tracer?.startSpan(`chat m${i}`, { kind: SpanKind.SERVER }).end();
  });
  const writer = new SpanBatchWriter(spans.length);
  for (const span of spans) writer.add(span);
  const batch = writer.take();
  const table = new StringTableMirror().apply(batch.table);
  const scope = batch.scopes[0]?.scope ?? { name: "" };
  const first = resourceFromAttributes({ "service.name": "first", "host.arch": "amd64" });
  const second = resourceFromAttributes({ "service.name": "second, a longer name", "process.pid": 7 });
  const otherScope = { name: "other", version: "2.0.0" };
  const both = (resource: typeof first, scopeNow: typeof scope) => ({
    ours: encodeSpanBatch(
      batch,
      table,
      () => resource,
      () => scopeNow,
    ),
    library: ProtobufTraceSerializer.serializeRequest(
      readSpanBatch(
        batch,
        table,
        () => resource,
        () => scopeNow,
      ),
    ),
  });
  for (const [resource, scopeNow] of [
    [first, scope],
    [first, scope],
    [second, scope],
    [second, otherScope],
    [first, scope],
  ] as const) {
    const { ours, library } = both(resource, scopeNow);
    expect(ours).toBeDefined();
    expect(ours).toEqual(library);
  }
});

test("a batch with events, links or structured values is left to the library's serialiser", () => {
  const withEvent = spansOf(([tracer]) => {
    const span = tracer?.startSpan("s");
    span?.addEvent("e");
    span?.end();
  });
  const withArray = spansOf(([tracer]) => {
    tracer?.startSpan("s", {}).setAttribute("list", ["a", "b"]).end();
  });
  expect(bothWays(withEvent).ours).toBeUndefined();
  expect(bothWays(withArray).ours).toBeUndefined();
});

test("a batch whose last span has another scope, or an event, after many alike", () => {
  // The usual batch is written in the pass that checks it: a span found late that does not fit
  // makes the encoder start over (grouped) or leave the batch to the library.
  const alike = (tracer: ReturnType<TracerProvider["getTracer"]>) => {
    for (let i = 0; i < 50; i++)
      tracer
        .startSpan(`chat m${i % 3}`, { kind: SpanKind.SERVER })
        .setAttributes({ "mindgw.request_id": `req_${i}_${"0".repeat(32)}`, "mindgw.stream": i % 2 === 0 })
        .end();
  };
  const otherScopeLast = spansOf(([tracer, other]) => {
    if (!tracer || !other) throw new Error("no tracer");
    alike(tracer);
    other.startSpan("internal").end();
  });
  const { ours, library } = bothWays(otherScopeLast);
  expect(ours).toBeDefined();
  expect(ours).toEqual(library);
  const eventLast = spansOf(([tracer]) => {
    if (!tracer) throw new Error("no tracer");
    alike(tracer);
    const span = tracer.startSpan("s");
    span.addEvent("e");
    span.end();
  });
  expect(bothWays(eventLast).ours).toBeUndefined();
});

test("a key's value repeated, alternating, of another type or empty encodes to the library's bytes", () => {
  // A key's last string value is kept as its whole attribute (table-bytes.ts): each span below
  // meets it as the last one, as another, or as a number or boolean under the same key.
  const values: (string | number | boolean)[] = ["a", "a", "b", "a", 7, "a", true, "", "", "b", "b"];
  const spans = spansOf(([tracer]) => {
    if (!tracer) throw new Error("no tracer");
    values.forEach((value, i) => {
      const span = tracer.startSpan("chat m", { kind: SpanKind.SERVER });
      span.setAttributes({ "mindgw.route": value, "gen_ai.request.model": i % 2 === 0 ? "m" : "n" });
      span.end();
    });
  });
  const { ours, library } = bothWays(spans);
  expect(ours).toBeDefined();
  expect(ours).toEqual(library);
});

test("batches that share the string table, and a new generation of it, encode to the library's bytes", () => {
  // The writer keeps each table string's bytes while the table lives: batch after batch (the
  // mirror grows the same table), and again after a generation starts (a new table).
  const writer = new SpanBatchWriter(64, { strings: 60, chars: 100_000 });
  const mirror = new StringTableMirror();
  const resources = new Map<number, ReturnType<typeof resourceFromAttributes>>();
  const scopes = new Map<number, { name: string; version?: string; schemaUrl?: string }>();
  let generations = 0;
  let last: readonly string[] | undefined;
  for (let b = 0; b < 8; b++) {
    const spans = spansOf(([tracer]) => {
      if (!tracer) throw new Error("no tracer");
      for (let i = 0; i < 12; i++) {
        const span = tracer.startSpan(`chat m${(b * 3 + i) % 7}`, { kind: SpanKind.SERVER });
        span.setAttributes({
          "gen_ai.request.model": `m${(b * 5 + i) % 9}`,
          [`key ${b % 3}`]: `value ${(b + i) % 11} ${"é".repeat(i % 2)}`,
          "mindgw.stream": i % 2 === 0,
          "gen_ai.usage.input_tokens": b * 100 + i,
          "mindgw.request_id": `req_${b}_${i}_${"0".repeat(30)}`,
        });
        if (i % 4 === 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `failed ${b % 2}` });
        span.end();
      }
    });
    for (const span of spans) writer.add(span);
    const batch = writer.take();
    for (const r of batch.resources) resources.set(r.id, resourceFromAttributes(r.attributes));
    for (const s of batch.scopes) scopes.set(s.id, s.scope);
    const table = mirror.apply(batch.table);
    if (table !== last) generations++;
    last = table;
    const resource = (id: number) => resources.get(id) ?? resourceFromAttributes({});
    const scope = (id: number) => scopes.get(id) ?? { name: "" };
    const ours = encodeSpanBatch(batch, table, resource, scope);
    expect(ours).toBeDefined();
    expect(ours).toEqual(
      ProtobufTraceSerializer.serializeRequest(readSpanBatch(batch, table, resource, scope)),
    );
  }
  expect(generations).toBeGreaterThan(2);
});

test("requests' records as the main thread wrote them, mixed with another scope's spans, encode to the library's bytes", () => {
  // The gateway's requests are records of several spans (batch-request-trace.ts), written into the
  // same batch as any other tracer's spans: one scope, then two (regrouped as span records).
  const writer = new SpanBatchWriter(64);
  const traces = requestTraces(atOnceTracer(writer), undefined);
  const request = (i: number) => {
    const ledger = {
      frontDoor: "chat",
      model: `m${i % 3}`,
      startedAt: 1_750_000_000_123 + i,
      ...ledgerClock(),
      requestId: `req-${i}`,
    };
    // Every other one under the caller's trace, with its trace state (the spans carry it).
    const caller = i % 2 === 0 ? "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" : null;
    const trace = traces.start(
      {
        ...ledger,
        stream: i % 2 === 0,
        traceparent: caller,
        tracestate: "congo=t61rcWkgMzE",
      } as RequestLedger,
      undefined,
    );
    const info = { route: "provider:a", vendor: "openai", upstreamModel: "up-1", retry: 0, failover: false };
    trace.attempt(info, performance.now()).settled(undefined, undefined, performance.now());
    trace.finish(servedRecord(i, "provider:a", "up-1"));
  };
  // As the thread holds them: one table mirror, resources and scopes as they were first sent.
  const mirror = new StringTableMirror();
  const resources = new Map<number, ReturnType<typeof resourceFromAttributes>>();
  const scopes = new Map<number, { name: string; version?: string }>();
  const resource = (id: number) => resources.get(id) ?? resourceFromAttributes({});
  const scope = (id: number) => scopes.get(id) ?? { name: "" };
  const encodeBoth = () => {
    const batch = writer.take();
    for (const r of batch.resources) resources.set(r.id, resourceFromAttributes(r.attributes));
    for (const s of batch.scopes) scopes.set(s.id, s.scope);
    const table = mirror.apply(batch.table);
    const records = { strings: batch.strings, numbers: new SpanRecords().of(batch.numbers) };
    const library = ProtobufTraceSerializer.serializeRequest(readSpanBatch(records, table, resource, scope));
    expect(encodeSpanBatch(batch, table, resource, scope)).toEqual(library as Uint8Array);
  };
  for (let i = 0; i < 6; i++) request(i);
  encodeBoth();
  for (let i = 0; i < 3; i++) request(i);
  for (const span of spansOf(([, other]) => other?.startSpan("internal").end())) writer.add(span);
  request(3);
  encodeBoth();
});
