import { heapStats } from "bun:jsc";
import { expect, test } from "bun:test";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { waitFor } from "../../../test/e2e/harness/wait-for.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import { BatchTracer } from "./batch-tracer.ts";
import { alwaysOn } from "./built-in-samplers.ts";
import { hexIdGenerator } from "./id-generator.ts";
import { requestTraces } from "./request-trace.ts";
import { ledgerClock } from "./testing/ledger-clock.ts";
import { threadTestKit } from "./testing/thread-test-kit.ts";
import { ThreadSpanProcessor } from "./thread-span-processor.ts";
import { parentContext } from "./trace-context.ts";

// The processor hands batches to a thread running the real OTLP exporter: what arrives at a
// collector is what the SDK would have sent itself, a batch goes when full or when its delay
// is up, and spans beyond the hand-over bound are dropped (and counted) rather than queued.

const { receiver, jsonTo, tracerWith, stopAfterAll } = threadTestKit();

test("spans arrive through the thread with their tree, attributes, status and resource", async () => {
  const dropped: number[] = [];
  const { provider, tracer } = tracerWith(
    new ThreadSpanProcessor({
      env: jsonTo(receiver.url),
      maxPendingSpans: 2048,
      onDropped: (n) => dropped.push(n),
    }),
  );
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
  // Not sampled: never handed over.
  tracer.startSpan("unsampled", {}, parentContext(`00-${caller}-b7ad6b7169203331-00`)).end();
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

test("over http/protobuf (the default) the batch goes as OTLP protobuf to /v1/traces", async () => {
  const bodies: { type: string | null; path: string; body: Uint8Array }[] = [];
  const collector = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      bodies.push({
        type: request.headers.get("content-type"),
        path: new URL(request.url).pathname,
        body: new Uint8Array(await request.arrayBuffer()),
      });
      return new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } });
    },
  });
  stopAfterAll(async () => collector.stop(true));
  const dropped: string[] = [];
  const { provider, tracer } = tracerWith(
    new ThreadSpanProcessor({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}` },
      maxPendingSpans: 100,
      onDropped: (_n, reason) => dropped.push(reason),
    }),
    "proto-test",
  );
  const span = tracer.startSpan("chat proto-model", { kind: SpanKind.SERVER });
  span.setAttribute("mindgw.request_id", "req-proto");
  span.end();
  await provider.forceFlush();
  expect(dropped).toEqual([]);
  expect(bodies.map((b) => [b.type, b.path])).toEqual([["application/x-protobuf", "/v1/traces"]]);
  const text = new TextDecoder("latin1").decode(bodies[0]?.body);
  for (const expected of ["proto-test", "chat proto-model", "mindgw.request_id", "req-proto"])
    expect(text).toContain(expected);
  const traceId = span.spanContext().traceId;
  expect(Buffer.from(bodies[0]?.body ?? []).includes(Buffer.from(traceId, "hex"))).toBe(true);
});

test("a batch goes when it is full, or when its delay is up, without a flush", async () => {
  const { tracer } = tracerWith(
    new ThreadSpanProcessor({
      env: jsonTo(receiver.url),
      maxExportBatchSize: 2,
      scheduledDelayMillis: 50,
      maxPendingSpans: 100,
      onDropped: () => {},
    }),
    "delay-test",
  );
  tracer.startSpan("full-1").end();
  tracer.startSpan("full-2").end();
  await waitFor(
    "the full batch",
    () => receiver.spans.filter((s) => s.service === "delay-test").length === 2,
  );
  tracer.startSpan("alone").end();
  await waitFor("the lone span after its delay", () => receiver.spans.some((s) => s.name === "alone"));
});

test("spans beyond the hand-over bound are dropped and counted; the rest still arrive", async () => {
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
  stopAfterAll(async () => slow.stop(true));
  const dropped: { spans: number; reason: string }[] = [];
  const processor = new ThreadSpanProcessor({
    env: jsonTo(`http://127.0.0.1:${slow.port}`),
    maxExportBatchSize: 2,
    maxPendingSpans: 3,
    onDropped: (spans, reason) => dropped.push({ spans, reason }),
  });
  const { tracer } = tracerWith(processor);
  // Two go over as a batch (held by the collector), a third waits in the next batch: full.
  for (let i = 0; i < 4; i++) tracer.startSpan(`s${i}`).end();
  expect(dropped).toEqual([{ spans: 1, reason: "the export queue is full" }]);
  await waitFor("the first batch at the collector", () => received === 2);
  release();
  await processor.forceFlush();
  expect(received).toBe(3);
  await processor.shutdown();
  tracer.startSpan("late").end();
  await processor.forceFlush();
  expect(received).toBe(3);
});

test("a request's spans cross to the thread as one record, in one batch, and arrive as its span tree", async () => {
  const exports: { name: string; parent: string; id: string }[][] = [];
  const collector = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = (await request.json()) as {
        resourceSpans: {
          scopeSpans: { spans: { name: string; parentSpanId?: string; spanId: string }[] }[];
        }[];
      };
      const spans = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
      exports.push(spans.map((s) => ({ name: s.name, parent: s.parentSpanId ?? "", id: s.spanId })));
      return Response.json({});
    },
  });
  stopAfterAll(async () => collector.stop(true));
  const processor = new ThreadSpanProcessor({
    env: jsonTo(`http://127.0.0.1:${collector.port}`),
    maxExportBatchSize: 3,
    maxPendingSpans: 100,
    onDropped: () => {},
  });
  const { tracer: sdk } = tracerWith(processor, "record-test");
  const traces = requestTracesOf(processor, sdk);
  sdk.startSpan("alone").end();
  const ledger = {
    frontDoor: "chat",
    model: "m",
    startedAt: Date.now(),
    ...ledgerClock(),
    requestId: "req-r",
    stream: false,
    traceparent: null,
  };
  const request = traces.start(ledger as unknown as RequestLedger, undefined);
  const info = { route: "provider:a", vendor: "openai", upstreamModel: "up", retry: 0, failover: false };
  for (const retry of [0, 1]) {
    const attempt = request.attempt({ ...info, retry }, performance.now());
    attempt.settled(undefined, undefined, performance.now());
    attempt.closed();
  }
  // The request's three spans do not fit beside the lone span in a batch of three: it goes first.
  request.finish({ status: 200, inputTokens: 1, outputTokens: 2, costUsd: 0 } as unknown as AuditRecord);
  await processor.forceFlush();
  expect(exports.map((spans) => spans.map((s) => s.name))).toEqual([
    ["alone"],
    ["chat up", "chat up", "chat m"],
  ]);
  const [first, second, server] = exports[1] ?? [];
  expect([first?.parent, second?.parent]).toEqual([server?.id, server?.id]);
  expect(server?.parent).toBe("");
});

/** The gateway's request spans (BatchTracer) through `processor`, as startTracing sets them up. */
function requestTracesOf(processor: ThreadSpanProcessor, sdk: ReturnType<typeof tracerWith>["tracer"]) {
  return requestTraces(
    new BatchTracer({
      sdk,
      sampler: alwaysOn(),
      ids: hexIdGenerator,
      resource: resourceFromAttributes({ "service.name": "record-test" }),
      scope: { name: "mindgw" },
      valueLengthLimit: Number.POSITIVE_INFINITY,
      processor,
      childrenFollowParent: true,
    }),
    undefined,
  );
}

test("a request's record is written at the end of its turn: it goes with the batch's delay, and a shutdown right after its end still sends it", async () => {
  const processor = new ThreadSpanProcessor({
    env: jsonTo(receiver.url),
    scheduledDelayMillis: 20,
    maxPendingSpans: 100,
    onDropped: () => {},
  });
  const { tracer: sdk } = tracerWith(processor, "turn-test");
  const traces = requestTracesOf(processor, sdk);
  const finished = (requestId: string) => {
    const ledger = {
      frontDoor: "chat",
      model: requestId,
      startedAt: Date.now(),
      ...ledgerClock(),
      ...ledgerClock(),
      requestId,
      stream: false,
      traceparent: null,
    };
    traces
      .start(ledger as unknown as RequestLedger, undefined)
      .finish({ status: 200 } as unknown as AuditRecord);
  };
  finished("first");
  await waitFor("the first request's span, with no flush", () =>
    receiver.spans.some((s) => s.name === "chat first"),
  );
  finished("second");
  await processor.shutdown();
  expect(receiver.spans.some((s) => s.name === "chat second")).toBe(true);
});

test("a span written while the batch waits for its delay makes no cell: no scope per call", async () => {
  const processor = new ThreadSpanProcessor({
    env: jsonTo(receiver.url),
    maxPendingSpans: 100_000,
    onDropped: () => {},
  });
  stopAfterAll(() => processor.shutdown());
  const environments = () =>
    (heapStats().objectTypeCounts as Record<string, number>).JSLexicalEnvironment ?? 0;
  // The first arms the delay's timer; after it each call only finds the timer armed.
  for (let i = 0; i < 100; i++) processor.written();
  const before = environments();
  for (let i = 0; i < 1000; i++) processor.written();
  // A closure written inside `written` made JSC allocate its scope on every call: ~1,000 here.
  expect(environments() - before).toBeLessThan(100);
});
