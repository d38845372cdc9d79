import { expect, test } from "bun:test";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { readSpanBatch } from "./read-span-batch.ts";
import { SpanBatchWriter } from "./span-batch.ts";
import { StringTableMirror } from "./string-table.ts";
import { parentContext } from "./trace-context.ts";

// What the export thread rebuilds from a batch must serialise to the very bytes the OTLP
// exporter would have sent for the SDK's own spans: every field, value type and extra.

function endedSpans() {
  const memory = new InMemorySpanExporter();
  const resource = resourceFromAttributes({ "service.name": "batch-test", "host.name": "h" });
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer("mindgw", "1.2.3");
  const other = provider.getTracer("embedder");
  const remote = parentContext("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  const server = tracer.startSpan("chat m", { kind: SpanKind.SERVER, startTime: Date.now() - 5 }, remote);
  server.setAttributes({
    "mindgw.request_id": "req-1",
    "mindgw.stream": false,
    "gen_ai.usage.input_tokens": 12,
    "mindgw.cost_usd": 0.000125,
    "mindgw.key.name": "naïve ☃ \ud83d\ude00",
    "list.strings": ["a", "b"],
    "list.numbers": [1, 2.5],
    'weird"key\\': "x",
    nothing: null,
    bytes: new Uint8Array([0, 255, 7]) as unknown as string,
    map: { nested: ["x", 1] } as unknown as string,
  });
  const client = tracer.startSpan("chat up", { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, server));
  client.setAttribute("mindgw.attempt.retry", 0);
  client.addEvent("retry", { attempt: 1 });
  client.addLink({ context: server.spanContext(), attributes: { why: "test" } });
  client.setStatus({ code: SpanStatusCode.ERROR, message: "boom" });
  client.end();
  const sibling = other.startSpan("internal", {}, trace.setSpan(ROOT_CONTEXT, server));
  sibling.end();
  server.setStatus({ code: SpanStatusCode.OK });
  server.end();
  return memory.getFinishedSpans();
}

test("a batch read back serialises to the same OTLP bytes as the spans it was written from", () => {
  const spans = endedSpans();
  const writer = new SpanBatchWriter(2);
  for (const span of spans) writer.add(span);
  expect(writer.count).toBe(3);
  const batch = writer.take();
  expect(writer.count).toBe(0);
  expect(batch.spans).toBe(3);
  expect(batch.resources).toHaveLength(1);
  expect(batch.scopes.map((s) => s.scope.name).sort()).toEqual(["embedder", "mindgw"]);
  const resources = new Map(batch.resources.map((r) => [r.id, spans[0]?.resource]));
  const scopes = new Map(batch.scopes.map((s) => [s.id, s.scope]));
  const read = readSpanBatch(
    batch,
    new StringTableMirror().apply(batch.table),
    (id) => resources.get(id) ?? resourceFromAttributes({}),
    (id) => scopes.get(id) ?? { name: "" },
  );
  expect(read).toHaveLength(3);
  for (const [i, span] of spans.entries()) {
    const copy = read[i];
    expect(copy?.spanContext()).toEqual(span.spanContext());
    expect(copy?.parentSpanContext?.spanId).toBe(span.parentSpanContext?.spanId);
    expect(copy?.parentSpanContext?.isRemote ?? false).toBe(span.parentSpanContext?.isRemote ?? false);
    expect(copy?.attributes).toEqual(span.attributes);
    expect(copy?.events).toEqual(span.events);
    expect(copy?.links.map((l) => l.attributes)).toEqual(span.links.map((l) => l.attributes));
    expect(copy?.status).toEqual(span.status);
    expect(copy?.duration).toEqual(span.duration);
  }
  // The SDK groups by resource and scope identity: give the originals the scopes read back.
  const sameScopes = spans.map((span, i) => ({
    ...span,
    spanContext: () => span.spanContext(),
    instrumentationScope: read[i]?.instrumentationScope ?? span.instrumentationScope,
  }));
  expect(ProtobufTraceSerializer.serializeRequest(read)).toEqual(
    ProtobufTraceSerializer.serializeRequest(sameScopes),
  );
});

test("the next batch starts empty and names known resources and scopes by number only", () => {
  const spans = endedSpans();
  const writer = new SpanBatchWriter(1);
  const mirror = new StringTableMirror();
  for (const span of spans) writer.add(span);
  mirror.apply(writer.take().table);
  const [first] = spans;
  if (!first) throw new Error("no span");
  writer.add(first);
  const batch = writer.take();
  // Known numbers are reused: the thread keeps what it was sent once, strings included.
  expect(batch.resources).toEqual([]);
  expect(JSON.parse(batch.table.added)).toEqual([]);
  expect(batch.spans).toBe(1);
  const read = readSpanBatch(
    batch,
    mirror.apply(batch.table),
    () => first.resource,
    () => first.instrumentationScope,
  );
  expect(read[0]?.name).toBe(first.name);
  expect(read[0]?.attributes).toEqual(first.attributes);
});

test("a batch's numbers are its written part of the array; an array given back is written into next", () => {
  const spans = endedSpans();
  const [first] = spans;
  if (!first) throw new Error("no span");
  const writer = new SpanBatchWriter(4);
  const mirror = new StringTableMirror();
  writer.add(first);
  const one = writer.take();
  const wanted = readSpanBatch(
    one,
    mirror.apply(one.table),
    () => first.resource,
    () => first.instrumentationScope,
  );
  // What the thread receives: the written part of shared memory, given back once sent.
  expect(one.numbers.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(one.numbers.length).toBeLessThan(one.numbers.buffer.byteLength / 8);
  const copy = one.numbers.slice();
  const given = one.numbers.buffer;
  new Float64Array(given).fill(-7);
  writer.recycle(one);
  // The batch after `take()` was already started in a fresh array; the one after it gets it back.
  writer.add(first);
  const two = writer.take();
  writer.add(first);
  const three = writer.take();
  expect(new Float64Array(given, 0, three.numbers.length)).toEqual(three.numbers);
  expect(three.numbers).toEqual(copy);
  expect(two.numbers).toEqual(copy);
  mirror.apply(two.table);
  const read = readSpanBatch(
    three,
    mirror.apply(three.table),
    () => first.resource,
    () => first.instrumentationScope,
  );
  expect(read.map((s) => [s.name, s.attributes, s.spanContext()])).toEqual(
    wanted.map((s) => [s.name, s.attributes, s.spanContext()]),
  );
  // Nothing else was given back: the next batch is written elsewhere.
  writer.add(first);
  writer.take().numbers[0] = -1;
  expect(three.numbers[0]).not.toBe(-1);
});
