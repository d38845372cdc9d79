import type { ExportResult, InstrumentationScope } from "@opentelemetry/core";
import { createOtlpNetworkExportDelegate, OTLPExporterBase } from "@opentelemetry/otlp-exporter-base";
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
  createOtlpHttpExporterMetrics,
} from "@opentelemetry/otlp-exporter-base/node-http";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { Resource } from "@opentelemetry/resources";
import { EncodeBuffers } from "./encode-buffers.ts";
import { exportClient } from "./export-client.ts";
import { createFetchTransport, createRetryingTransport } from "./fetch-transport.ts";
import { encodeSpanBatch } from "./otlp-proto-batch.ts";
import { otlpProtocol } from "./otlp-protocol.ts";
import { readSpanBatch } from "./read-span-batch.ts";
import { SpanRecords } from "./request-records.ts";
import type { SpanBatch } from "./span-batch-layout.ts";

/**
 * A batch as the export thread holds it: its numbers (request records and span records, as the
 * main thread wrote them) and strings, and what its indices and ids name.
 */
export interface ResolvedBatch {
  readonly batch: Pick<SpanBatch, "spans" | "strings" | "numbers">;
  /** The string table as of this batch (string-table.ts). */
  readonly table: readonly string[];
  resource(id: number): Resource;
  scope(id: number): InstrumentationScope;
}

/** What the export thread drives: the real OTLP exporter, over batches rather than span objects. */
export interface BatchExporter {
  export(batch: ResolvedBatch, done: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The reader takes span records only: one array, written again for each batch read. */
const records = new SpanRecords();

/** The batch as the library's span objects, for its serialisers (read at once, before the next). */
const spansOf = ({ batch, table, resource, scope }: ResolvedBatch) =>
  readSpanBatch({ strings: batch.strings, numbers: records.of(batch.numbers) }, table, resource, scope);

/**
 * The exporter `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` names, as sdk-node picks it, configured from
 * `OTEL_EXPORTER_OTLP_*` (endpoint, headers, timeout, compression, retries). http/json is the
 * library's OTLPTraceExporter on the batch read back into spans. http/protobuf (the default,
 * and sdk-node's fallback for an unknown protocol) is the library's own OTLP/HTTP exporter —
 * the same transport, retries and configuration that its OTLPTraceExporter is built from — with
 * one difference: the request bytes are written from the batch by otlp-proto-batch.ts (the
 * same bytes, at a fraction of the library serialiser's cost), and by the library's serialiser
 * for a batch that writer leaves to it. For an `http:` endpoint the request itself goes out
 * through the gateway's lean HTTP/1.1 client (fetch-transport.ts, export-client.ts) rather than
 * the library's `node:http` transport, plugged in where the library takes a transport; its
 * configuration, queue, timeout, response handling and exporter metrics stay the library's.
 * OTLP/HTTP alone: grpc never comes here (start-tracing.ts leaves it to sdk-node).
 */
export async function createBatchExporter(
  env: Readonly<Record<string, string | undefined>>,
): Promise<BatchExporter> {
  // An unknown protocol was said at start (start-tracing.ts), by the thread that reads the logs.
  if (otlpProtocol(env, () => {}) === "http/json") {
    const exporter = new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter();
    return {
      export: (batch, done) => exporter.export(spansOf(batch), done),
      forceFlush: () => exporter.forceFlush(),
      shutdown: () => exporter.shutdown(),
    };
  }
  const options = convertLegacyHttpOptions({}, "TRACES", "v1/traces", {
    "Content-Type": "application/x-protobuf",
  });
  const overFetch = options.url.startsWith("http:");
  // Over our transport, each request's buffer is written again once its export is over (encode-buffers.ts).
  const buffers = overFetch ? new EncodeBuffers() : undefined;
  const serializer = {
    serializeRequest: (batch: ResolvedBatch) => {
      const bytes = encodeSpanBatch(batch.batch, batch.table, batch.resource, batch.scope, buffers?.take());
      if (bytes === undefined) return ProtobufTraceSerializer.serializeRequest(spansOf(batch));
      return buffers ? buffers.encoded(bytes) : bytes;
    },
    // A collector's usual answer is empty (no partial success to report): nothing to read.
    deserializeResponse: (data: Uint8Array) =>
      data.byteLength === 0 ? {} : ProtobufTraceSerializer.deserializeResponse(data),
  };
  const countSpans = { name: "span" as const, countItems: (batch: ResolvedBatch) => batch.batch.spans };
  const delegate = buffers
    ? createOtlpNetworkExportDelegate(
        options,
        serializer,
        createOtlpHttpExporterMetrics("otlp_http_span_exporter", countSpans, options.url, undefined),
        buffers.releasing(
          createRetryingTransport(
            createFetchTransport(
              options,
              exportClient((body) => buffers.headroom(body)),
            ),
          ),
        ),
      )
    : createOtlpHttpExportDelegate(options, serializer, "otlp_http_span_exporter", countSpans, undefined);
  return new OTLPExporterBase<ResolvedBatch>(delegate);
}
