import { afterAll, afterEach, expect, test } from "bun:test";
import { DiagLogLevel, diag, SpanKind } from "@opentelemetry/api";
import type { ExportResult } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { type BatchExporter, createBatchExporter, type ResolvedBatch } from "./otlp-batch-exporter.ts";
import { SpanBatchWriter } from "./span-batch.ts";
import { StringTableMirror } from "./string-table.ts";

// The collector's answer to an export, as the library's exporter reads it: a partial success
// (some spans rejected) is reported as a warning, and an empty answer (the usual one) as nothing.

/** ExportTraceServiceResponse { partial_success { rejected_spans: 3, error_message: "too many" } }. */
const PARTIAL = new Uint8Array([0x0a, 12, 0x08, 3, 0x12, 8, ...new TextEncoder().encode("too many")]);
const answers: Uint8Array<ArrayBuffer>[] = [];
const collector = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    await request.arrayBuffer();
    return new Response(answers.shift() ?? new Uint8Array(0), {
      headers: { "content-type": "application/x-protobuf" },
    });
  },
});
afterAll(() => collector.stop(true));
afterEach(() => diag.disable());

const writer = new SpanBatchWriter(16);
const mirror = new StringTableMirror();
const resource = resourceFromAttributes({ "service.name": "mindgw" });

function batchOf(count: number): ResolvedBatch {
  const memory = new InMemorySpanExporter();
  const tracer = new TracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  }).getTracer("mindgw");
  for (let i = 0; i < count; i++) tracer.startSpan("chat m", { kind: SpanKind.SERVER }).end();
  for (const span of memory.getFinishedSpans()) writer.add(span);
  const batch = writer.take();
  const scope = { name: "mindgw" };
  return { batch, table: mirror.apply(batch.table), resource: () => resource, scope: () => scope };
}

const exported = (exporter: BatchExporter, batch: ResolvedBatch) =>
  new Promise<ExportResult>((resolve) => exporter.export(batch, resolve));

test("a partial success is warned of, an empty answer is not; both exports succeed", async () => {
  const warnings: string[] = [];
  const quiet = () => {};
  diag.setLogger(
    {
      warn: (...args: unknown[]) => warnings.push(args.map(String).join(" ")),
      error: quiet,
      info: quiet,
      debug: quiet,
      verbose: quiet,
    },
    DiagLogLevel.WARN,
  );
  const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${collector.port}`;
  try {
    const exporter = await createBatchExporter({});
    answers.push(PARTIAL);
    const partial = await exported(exporter, batchOf(3));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("Received Partial Success response:");
    expect(warnings[0]).toContain("too many");
    const empty = await exported(exporter, batchOf(2));
    await exporter.shutdown();
    expect([partial.code, empty.code]).toEqual([0, 0]);
    expect(warnings).toHaveLength(1);
  } finally {
    if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
  }
});
