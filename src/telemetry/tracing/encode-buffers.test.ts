import { afterAll, expect, test } from "bun:test";
import { SpanKind } from "@opentelemetry/api";
import type { ExportResult } from "@opentelemetry/core";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { EncodeBuffers, HEAD_ROOM } from "./encode-buffers.ts";
import { type BatchExporter, createBatchExporter, type ResolvedBatch } from "./otlp-batch-exporter.ts";
import { encodeSpanBatch } from "./otlp-proto-batch.ts";
import { readSpanBatch } from "./read-span-batch.ts";
import { SpanBatchWriter } from "./span-batch.ts";
import { StringTableMirror } from "./string-table.ts";

// The export thread writes each request into a buffer that an earlier export carried, once that
// export is over: what the collector receives must be each batch's own bytes, whatever was in
// the buffer before, with exports overlapping and one of them retried.

/** A collector: the first POST is held until the second arrives, then answers 503 (retry at once); the rest 200. */
const bodies: Uint8Array[] = [];
let posts = 0;
const secondPost = Promise.withResolvers<void>();
const collector = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    bodies.push(new Uint8Array(await request.arrayBuffer()));
    const post = ++posts;
    if (post === 2) secondPost.resolve();
    if (post > 1) return new Response(new Uint8Array(0));
    await secondPost.promise;
    return new Response("busy", { status: 503, headers: { "retry-after": "0" } });
  },
});
afterAll(() => collector.stop(true));

const writer = new SpanBatchWriter(64);
const mirror = new StringTableMirror();
const resource = resourceFromAttributes({ "service.name": "mindgw" });

/** A batch of `count` server spans, as the export thread holds it, and the library's bytes for it. */
function batchOf(count: number, tag: string): { resolved: ResolvedBatch; expected: Uint8Array } {
  const memory = new InMemorySpanExporter();
  const tracer = new TracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  }).getTracer("mindgw");
  for (let i = 0; i < count; i++)
    tracer
      .startSpan(`chat ${tag}`, { kind: SpanKind.SERVER })
      .setAttributes({
        "mindgw.request_id": `req_${tag}_${i}_${"0".repeat(32)}`,
        "mindgw.stream": i % 2 === 0,
      })
      .end();
  for (const span of memory.getFinishedSpans()) writer.add(span);
  const batch = writer.take();
  const table = mirror.apply(batch.table);
  const scope = { name: "mindgw" };
  const resolved = { batch, table, resource: () => resource, scope: () => scope };
  const expected = ProtobufTraceSerializer.serializeRequest(
    readSpanBatch(
      batch,
      table,
      () => resource,
      () => scope,
    ),
  );
  if (!expected) throw new Error("no bytes");
  return { resolved, expected };
}

const exported = (exporter: BatchExporter, batch: ResolvedBatch) =>
  new Promise<ExportResult>((resolve) => exporter.export(batch, resolve));

test("requests written into reused buffers carry each batch's own bytes, retries included", async () => {
  const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${collector.port}`;
  try {
    const exporter = await createBatchExporter({});
    const first = batchOf(40, "first");
    const second = batchOf(30, "second");
    // Both in flight at once (the first is held, then retried): neither may write into the other's buffer.
    const results = await Promise.all([
      exported(exporter, first.resolved),
      exported(exporter, second.resolved),
    ]);
    // Then smaller batches, into the buffers those two left, as big and still full of their bytes.
    const third = batchOf(5, "third");
    results.push(await exported(exporter, third.resolved));
    const fourth = batchOf(7, "fourth");
    results.push(await exported(exporter, fourth.resolved));
    await exporter.shutdown();
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(bodies).toEqual([
      first.expected,
      second.expected,
      first.expected,
      third.expected,
      fourth.expected,
    ]);
  } finally {
    if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
  }
});

test("only the encoder's buffers are reused, each once its send is over", async () => {
  const buffers = new EncodeBuffers();
  expect(buffers.take()).toBeUndefined();
  const ours = buffers.encoded(new Uint8Array(new ArrayBuffer(4096), 16, 100));
  const library = new Uint8Array(new ArrayBuffer(8192), 4096, 100);
  // While it is sent, the request's head may be written in front of the encoder's bytes, never of the library's.
  expect(buffers.headroom(ours)).toBe(16);
  expect(buffers.headroom(library)).toBe(0);
  let finish: () => void = () => {};
  const transport = buffers.releasing({
    send: () => new Promise((resolve) => (finish = () => resolve({ status: "success" }))),
    shutdown() {},
  });
  const sending = transport.send(ours, 1000);
  expect(buffers.take()).toBeUndefined();
  finish();
  await sending;
  const reused = buffers.take();
  expect(reused?.buffer).toBe(ours.buffer);
  expect(buffers.headroom(ours)).toBe(0);
  // Given again with room in front for the next request's head.
  expect(reused?.byteOffset).toBe(HEAD_ROOM);
  expect(reused?.length).toBe(4096 - HEAD_ROOM);
  // A failed send gives its buffer back too; a buffer the encoder did not write never comes back.
  const failing = buffers.releasing({
    send: () => Promise.reject(new Error("down")),
    shutdown() {},
  });
  const again = buffers.encoded(new Uint8Array(512));
  await expect(failing.send(again, 1000)).rejects.toThrow("down");
  await failing.send(library, 1000).catch(() => {});
  expect(buffers.take()?.buffer).toBe(again.buffer);
  expect(buffers.take()).toBeUndefined();
});

test("a batch that outgrows its buffer is written with the head's room in front still", () => {
  // Keys are table strings, which the encoder's first guess of a batch's size does not count: a
  // span of many long keys outgrows it, and the buffer is grown while being written. The request
  // must still have HEAD_ROOM bytes in front, where the lean client writes its head, or its whole
  // body is copied after the head (~230 KB a 512-span batch of the gateway's, as at the export
  // thread's first batches and whenever two exports overlap).
  const memory = new InMemorySpanExporter();
  const tracer = new TracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  }).getTracer("mindgw");
  const span = tracer.startSpan("chat wide", { kind: SpanKind.SERVER });
  for (let k = 0; k < 60; k++) span.setAttribute(`mindgw.a.key.long.enough.to.outgrow.the.guess.${k}`, k);
  span.end();
  const ownWriter = new SpanBatchWriter(1);
  for (const ended of memory.getFinishedSpans()) ownWriter.add(ended);
  const batch = ownWriter.take();
  const table = new StringTableMirror().apply(batch.table);
  const scope = { name: "mindgw" };
  const expected = ProtobufTraceSerializer.serializeRequest(
    readSpanBatch(
      batch,
      table,
      () => resource,
      () => scope,
    ),
  );
  // Its own new buffer, and one given again (EncodeBuffers.take: HEAD_ROOM bytes in front).
  const given = new Uint8Array(HEAD_ROOM + 2048).subarray(HEAD_ROOM);
  for (const into of [undefined, given]) {
    const bytes = encodeSpanBatch(
      batch,
      table,
      () => resource,
      () => scope,
      into,
    );
    expect(bytes).toEqual(expected);
    expect(bytes?.byteLength).toBeGreaterThan(given.byteLength);
    expect(bytes?.byteOffset).toBeGreaterThanOrEqual(HEAD_ROOM);
  }
});
