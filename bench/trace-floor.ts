/**
 * The floor of tracing every request through the OpenTelemetry SDK under Bun: what each step
 * of mindgw's trace pipeline costs per span on its own, measured as the calling thread's CPU
 * over many repetitions of a request's two spans (server + upstream attempt, with the
 * attributes mindgw sets). No gateway around it, so the figures are the least any gateway on
 * these libraries pays; add the steps of a pipeline to get its floor per request.
 *   bun bench/trace-floor.ts [requests]   (default 20000)
 * Steps: `sdk-bare` a span started and ended through the SDK's tracer with no attributes;
 * `sdk-spans` the SDK's spans with mindgw's attributes (what the event loop paid per request
 * before session 4, span processor aside); `direct` the same two spans as the gateway now makes
 * them, with no SDK span object, written straight into a batch (batch-request-trace.ts, the
 * sampler deciding; the event loop's whole share); `batch-write` writing them into the export batch (span-batch.ts, the
 * event loop); `batch-read` reading a batch back (the export thread); `otlp-proto` and
 * `otlp-json` the real exporters' serialisers; `otlp-export` the real OTLP/HTTP (protobuf)
 * exporter, serialising and sending to bench/otlp-sink.ts; `batch-proto` mindgw's protobuf
 * writer (otlp-proto-batch.ts, the same bytes); `batch-export` the OTLP/HTTP exporter mindgw
 * runs, sending a batch written by it (all on the export thread).
 * Prints one line per step: `<step> <µs per span> <µs per request>`.
 */
import { readFileSync } from "node:fs";
import { ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOnSampler,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { BatchTracer, type LaterSpans } from "../src/telemetry/tracing/batch-tracer.ts";
import { hexIdGenerator } from "../src/telemetry/tracing/id-generator.ts";
import { createBatchExporter } from "../src/telemetry/tracing/otlp-batch-exporter.ts";
import { encodeSpanBatch } from "../src/telemetry/tracing/otlp-proto-batch.ts";
import { readSpanBatch } from "../src/telemetry/tracing/read-span-batch.ts";
import { requestTraces } from "../src/telemetry/tracing/request-trace.ts";
import { SpanBatchWriter } from "../src/telemetry/tracing/span-batch.ts";
import { StringTableMirror } from "../src/telemetry/tracing/string-table.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { tracedRequest } from "./traced-request.ts";

const requests = Number(process.argv[2] ?? "20000");
const SPANS_PER_REQUEST = 2;
const BATCH = 512;

/** This thread's CPU in µs, from /proc (the export thread's work is measured here too, in turn). */
function threadCpuUs(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

let ended: ReadableSpan[] = [];
const keep: SpanProcessor = {
  onStart() {},
  onEnd(span) {
    if (ended.length < BATCH) ended.push(span);
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};
const provider = new TracerProvider({
  idGenerator: hexIdGenerator,
  spanProcessors: [keep],
  resource: resourceFromAttributes({
    "service.name": "mindgw",
    "host.name": "bench",
    "process.pid": process.pid,
  }),
});
const tracer = provider.getTracer("mindgw");

/** One request's spans as request-telemetry.ts makes them. */
function twoSpans(i: number): void {
  const server = tracer.startSpan("chat m", { kind: SpanKind.SERVER, startTime: Date.now() }, ROOT_CONTEXT);
  server.setAttributes({
    "mindgw.request_id": `req-${i}`,
    "mindgw.front_door": "chat",
    "mindgw.stream": false,
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "m",
  });
  const client = tracer.startSpan("chat m", { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, server));
  client.setAttributes({
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "m",
    "mindgw.route": "provider:fake",
    "mindgw.attempt.retry": 0,
    "mindgw.attempt.failover": false,
  });
  client.setAttribute("mindgw.route", "provider:fake");
  client.end();
  server.setAttributes({
    "http.response.status_code": 200,
    "gen_ai.response.model": "m",
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 20,
    "mindgw.route": "provider:fake",
    "mindgw.key.name": "bench",
    "mindgw.ttft_ms": 5,
    "mindgw.cost_usd": 0.0001,
  });
  server.setAttribute("gen_ai.provider.name", "openai");
  server.end();
}

/**
 * µs of this thread's CPU per span over `spans` spans' worth of `run`, after a warm-up long
 * enough for the JIT's optimising tiers (at least 300 runs: a batch step runs ~20 times a
 * second in a busy gateway, so it is fully compiled within a minute there).
 */
async function perSpan(spans: number, run: (repetitions: number) => Promise<void> | void, unit: number) {
  await run(Math.max(300, Math.ceil(spans / unit / 5)));
  const before = threadCpuUs();
  const repetitions = Math.max(300, Math.ceil(spans / unit));
  await run(repetitions);
  return (threadCpuUs() - before) / (repetitions * unit);
}

const line = (step: string, us: number) =>
  console.log(
    `${step.padEnd(12)} ${us.toFixed(2).padStart(6)} ${(us * SPANS_PER_REQUEST).toFixed(2).padStart(6)}`,
  );
const total = requests * SPANS_PER_REQUEST;

line(
  "sdk-bare",
  await perSpan(
    total,
    (n) => {
      for (let i = 0; i < n; i++) tracer.startSpan("chat m", { kind: SpanKind.SERVER }, ROOT_CONTEXT).end();
    },
    1,
  ),
);
line(
  "sdk-spans",
  await perSpan(
    total,
    (n) => {
      for (let i = 0; i < n; i++) twoSpans(i);
    },
    SPANS_PER_REQUEST,
  ),
);

// The same two spans with no SDK span object: written straight into a batch (batch-tracer.ts),
// the configured sampler deciding, as the gateway's request telemetry makes them.
const direct = new SpanBatchWriter(BATCH);
const batches = {
  writer: direct,
  batchFor: () => direct,
  written: () => {
    if (direct.count >= BATCH) direct.take();
  },
  later: (spans: LaterSpans) => spans.write(),
};
const batchTracer = new BatchTracer({
  sdk: tracer,
  sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  ids: hexIdGenerator,
  resource: resourceFromAttributes({ "service.name": "mindgw" }),
  scope: { name: "mindgw" },
  valueLengthLimit: Number.POSITIVE_INFINITY,
  processor: batches,
});
const deps = { metrics: undefined, traces: requestTraces(batchTracer, undefined) };
line(
  "direct",
  await perSpan(
    total,
    (n) => {
      for (let i = 0; i < n; i++) tracedRequest(i, deps);
    },
    SPANS_PER_REQUEST,
  ),
);

// A batch of fresh spans as the pipeline sees them.
ended = [];
for (let i = 0; i < BATCH / SPANS_PER_REQUEST; i++) twoSpans(i);
const spans = ended;
const writer = new SpanBatchWriter(BATCH);
line(
  "batch-write",
  await perSpan(
    total,
    (n) => {
      for (let r = 0; r < n; r++) {
        for (const span of spans) writer.add(span);
        writer.take();
      }
    },
    BATCH,
  ),
);
for (const span of spans) writer.add(span);
// The writer has handed over batches no mirror took: this one carries its whole string table.
writer.lost();
const batch = writer.take();
const table = new StringTableMirror().apply(batch.table);
const resource = spans[0]?.resource ?? resourceFromAttributes({});
const scope = spans[0]?.instrumentationScope ?? { name: "mindgw" };
const read = () =>
  readSpanBatch(
    batch,
    table,
    () => resource,
    () => scope,
  );
line(
  "batch-read",
  await perSpan(
    total,
    (n) => {
      for (let r = 0; r < n; r++) read();
    },
    BATCH,
  ),
);
const rebuilt = read();
line(
  "otlp-proto",
  await perSpan(
    total,
    (n) => {
      for (let r = 0; r < n; r++) ProtobufTraceSerializer.serializeRequest(rebuilt);
    },
    BATCH,
  ),
);
line(
  "otlp-json",
  await perSpan(
    total,
    (n) => {
      for (let r = 0; r < n; r++) JsonTraceSerializer.serializeRequest(rebuilt);
    },
    BATCH,
  ),
);

line(
  "batch-proto",
  await perSpan(
    total,
    (n) => {
      for (let r = 0; r < n; r++)
        encodeSpanBatch(
          batch,
          table,
          () => resource,
          () => scope,
        );
    },
    BATCH,
  ),
);

const sink = await startOtlpSink();
process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.url;
const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
const exporter = new OTLPTraceExporter();
line(
  "otlp-export",
  await perSpan(
    total,
    async (n) => {
      for (let r = 0; r < n; r++)
        await new Promise<void>((resolve) => exporter.export(rebuilt, () => resolve()));
    },
    BATCH,
  ),
);
await exporter.shutdown();
const batchExporter = await createBatchExporter(process.env);
const resolved = { batch, table, resource: () => resource, scope: () => scope };
line(
  "batch-export",
  await perSpan(
    total,
    async (n) => {
      for (let r = 0; r < n; r++)
        await new Promise<void>((resolve) => batchExporter.export(resolved, () => resolve()));
    },
    BATCH,
  ),
);
await batchExporter.shutdown();
await sink.stop();
process.exit(0);
