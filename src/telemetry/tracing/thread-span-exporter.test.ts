import { afterAll, expect, test } from "bun:test";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { startOtlpReceiver } from "../../../test/e2e/harness/otlp-receiver.ts";
import { ThreadedBatchSpanProcessor, ThreadSpanExporter } from "./thread-span-exporter.ts";
import { parentContext } from "./trace-context.ts";

// The batch processor's exporter hands batches to a thread running the real OTLP exporter:
// what arrives at a collector is what the SDK would have sent itself, and a full hand-over
// queue drops (and counts) rather than growing.

const receiver = startOtlpReceiver();
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
  await receiver.stop();
});

const jsonTo = (url: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: url,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
});

test("spans arrive through the thread with their tree, attributes, status and resource", async () => {
  const dropped: number[] = [];
  const exporter = new ThreadSpanExporter({
    env: jsonTo(receiver.url),
    maxPendingSpans: 2048,
    onDropped: (spans) => dropped.push(spans),
  });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "thread-test" }),
    spanProcessors: [new ThreadedBatchSpanProcessor({ exporter })],
  });
  stops.push(() => provider.shutdown());
  const tracer = provider.getTracer("test");
  const caller = "0af7651916cd43dd8448eb211c80319c";
  const server = tracer.startSpan(
    "chat m",
    { kind: SpanKind.SERVER },
    parentContext(`00-${caller}-b7ad6b7169203331-01`),
  );
  server.setAttributes({
    "gen_ai.request.model": "m",
    "gen_ai.usage.input_tokens": 12,
    "mindgw.stream": true,
  });
  const client = tracer.startSpan("chat up", { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, server));
  client.setAttribute("error.type", "upstream_error");
  client.setStatus({ code: SpanStatusCode.ERROR, message: "boom" });
  client.end();
  server.end();
  await provider.forceFlush();

  const spans = receiver.spans.filter((s) => s.traceId === caller);
  expect(spans.map((s) => s.name).sort()).toEqual(["chat m", "chat up"]);
  const [serverSpan, clientSpan] = ["chat m", "chat up"].map((name) => spans.find((s) => s.name === name));
  expect(serverSpan).toMatchObject({
    service: "thread-test",
    kind: 2,
    parentSpanId: "b7ad6b7169203331",
    attributes: { "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 12, "mindgw.stream": true },
  });
  expect(clientSpan).toMatchObject({
    kind: 3,
    parentSpanId: serverSpan?.spanId,
    statusCode: 2,
    attributes: { "error.type": "upstream_error" },
  });
  expect(dropped).toEqual([]);
});

test("a batch beyond the hand-over bound is dropped and counted; the rest still arrives", async () => {
  // A collector that holds every export until told to answer.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let received = 0;
  const slow = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = (await request.json()) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
      received += body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length;
      await held;
      return Response.json({});
    },
  });
  stops.push(async () => slow.stop(true));
  const dropped: { spans: number; reason: string }[] = [];
  const exporter = new ThreadSpanExporter({
    env: jsonTo(`http://127.0.0.1:${slow.port}`),
    maxPendingSpans: 3,
    onDropped: (spans, reason) => dropped.push({ spans, reason }),
  });
  // Ended spans to export, as the batch processor would hand them over.
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer("test");
  for (let i = 0; i < 4; i++) tracer.startSpan(`s${i}`).end();
  const [a, b, c, d] = memory.getFinishedSpans();
  if (!a || !b || !c || !d) throw new Error("expected four spans");

  const results: number[] = [];
  exporter.export([a, b], (r) => results.push(r.code));
  exporter.export([c, d], (r) => results.push(r.code));
  expect(results).toEqual([0, 1]);
  expect(dropped).toEqual([{ spans: 2, reason: "the export queue is full" }]);
  release();
  await exporter.forceFlush();
  expect(received).toBe(2);
  await exporter.shutdown();
  const late: number[] = [];
  exporter.export([c], (r) => late.push(r.code));
  expect(late).toEqual([1]);
});
