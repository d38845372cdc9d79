/**
 * The export thread (a Worker): runs OpenTelemetry's OTLP/HTTP trace exporter (otlp-batch-exporter.ts),
 * chosen and configured from the standard environment exactly as `@opentelemetry/sdk-node` chooses it
 * (`OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`: http/protobuf or http/json, while grpc stays with
 * sdk-node, see start-tracing.ts; endpoint, headers,
 * timeout, compression from `OTEL_EXPORTER_OTLP_*`), on the batches of spans the main thread's
 * span processor hands over (span-batch.ts), by message or through the batch ring
 * (span-batch-ring.ts). Serialising and sending a batch is what tracing costs
 * the most; here it does not hold up the event loop that serves requests.
 */
import type { InstrumentationScope } from "@opentelemetry/core";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import { messageOf } from "../../core/describe-error.ts";
import { createBatchExporter } from "./otlp-batch-exporter.ts";
import { HeldMemories } from "./posted-memory.ts";
import type { BatchMemory, ExportThreadReply, ExportThreadRequest } from "./span-batch-layout.ts";
import { BatchRingReader, type RingBatch } from "./span-batch-ring.ts";
import { StringTableMirror } from "./string-table.ts";

declare const self: Worker;

const exporter = createBatchExporter(process.env);
const resources = new Map<number, Resource>();
const scopes = new Map<number, InstrumentationScope>();
const table = new StringTableMirror();
const numberMemories = new HeldMemories((memory, length) => new Float64Array(memory, 0, length));
const stringMemories = new HeldMemories((memory, length) => new Uint8Array(memory, 0, length));
/** Exports sent and not yet answered: a flush waits for these, then the exporter's own. */
const sending = new Set<Promise<void>>();
let ring: BatchRingReader | undefined;

const reply = (message: ExportThreadReply) => self.postMessage(message);
const failed = (id: number) => (error: unknown) => reply({ id, ok: false, error: messageOf(error) });
/**
 * Why an export failed, as the log's `spans dropped` says it: the collector's HTTP status first
 * (`HTTP 500 Internal Server Error`; OTLPExporterError carries it as `code`), else the error's words.
 */
function exportFailure(error: Error): string {
  const status = (error as { code?: unknown }).code;
  return typeof status === "number" ? `HTTP ${status} ${error.message}`.trimEnd() : messageOf(error);
}
const resourceOf = (id: number) => resources.get(id) ?? resourceFromAttributes({});
const scopeOf = (id: number) => scopes.get(id) ?? { name: "" };

/** Sends one batch: `strings`, the string table as of the batch; `memory`, its numbers and own strings. */
async function exportBatch(
  id: number,
  spans: number,
  strings: readonly string[],
  memory: BatchMemory,
): Promise<void> {
  const target = await exporter;
  const batch = {
    // The requests' records as they came: the encoder writes each part as the span it stands for.
    batch: { spans, strings: memory.strings, numbers: memory.numbers },
    table: strings,
    resource: resourceOf,
    scope: scopeOf,
  };
  const sent = new Promise<void>((resolve) => {
    target.export(batch, (result) => {
      reply({ id, ok: result.code === 0, ...(result.error ? { error: exportFailure(result.error) } : {}) });
      resolve();
    });
  });
  sending.add(sent);
  await sent;
  sending.delete(sent);
}

/** A flush or shutdown, once the exports before it are answered. */
async function finish(request: ExportThreadRequest): Promise<void> {
  const target = await exporter;
  await Promise.all(sending);
  if (request.op === "flush") await target.forceFlush();
  else await target.shutdown();
  reply({ id: request.id, ok: true });
}

/** A batch from the ring: it names memories the thread holds and adds nothing to the table. */
function takeFromRing(batch: RingBatch): void {
  let memory: BatchMemory;
  try {
    memory = {
      numbers: numberMemories.of({
        memory: batch.numbersMemory,
        length: batch.numbersLength,
        shared: undefined,
      }),
      strings: stringMemories.of({
        memory: batch.stringsMemory,
        length: batch.stringsLength,
        shared: undefined,
      }),
    };
  } catch (error) {
    failed(batch.id)(error);
    return;
  }
  exportBatch(batch.id, batch.spans, table.current(), memory).catch(failed(batch.id));
}

self.onmessage = (event: MessageEvent<ExportThreadRequest>) => {
  const request = event.data;
  // The ring's batches were published before this message was posted: they go first.
  ring?.drain();
  if (request.op === "ring") {
    ring = new BatchRingReader(request.memory, takeFromRing);
    ring.waitForBatches();
    reply({ id: request.id, ok: true });
    return;
  }
  if (request.op !== "export") {
    finish(request).catch(failed(request.id));
    return;
  }
  // The table is updated here, in the order the batches were handed over, before anything waits.
  let strings: readonly string[];
  let memory: BatchMemory;
  try {
    for (const r of request.resources)
      resources.set(
        r.id,
        resourceFromAttributes(r.attributes, r.schemaUrl ? { schemaUrl: r.schemaUrl } : {}),
      );
    for (const s of request.scopes) scopes.set(s.id, s.scope);
    memory = { numbers: numberMemories.of(request.numbers), strings: stringMemories.of(request.strings) };
    strings = table.apply(request.table);
  } catch (error) {
    failed(request.id)(error);
    return;
  }
  exportBatch(request.id, request.spans, strings, memory).catch(failed(request.id));
};
