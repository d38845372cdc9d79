/**
 * The export thread (a Worker): runs OpenTelemetry's OTLP/HTTP trace exporter (otlp-batch-exporter.ts),
 * chosen and configured from the standard environment exactly as `@opentelemetry/sdk-node` chooses it
 * (`OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`: http/protobuf or http/json, while grpc stays with
 * sdk-node, see start-tracing.ts; endpoint, headers,
 * timeout, compression from `OTEL_EXPORTER_OTLP_*`), on the batches of spans the main thread's
 * span processor hands over (span-batch.ts). Serialising and sending a batch is what tracing costs
 * the most; here it does not hold up the event loop that serves requests.
 */
import type { InstrumentationScope } from "@opentelemetry/core";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import { createBatchExporter } from "./otlp-batch-exporter.ts";
import { HeldMemories } from "./posted-memory.ts";
import type { BatchMemory, ExportThreadReply, ExportThreadRequest } from "./span-batch-layout.ts";
import { StringTableMirror } from "./string-table.ts";

declare const self: Worker;

const exporter = createBatchExporter(process.env);
const resources = new Map<number, Resource>();
const scopes = new Map<number, InstrumentationScope>();
const table = new StringTableMirror();
const numberMemories = new HeldMemories((memory, length) => new Float64Array(memory, 0, length));
const stringMemories = new HeldMemories((memory, length) => new Uint8Array(memory, 0, length));
const NO_MEMORY: BatchMemory = { numbers: new Float64Array(0), strings: new Uint8Array(0) };
/** Exports sent and not yet answered: a flush waits for these, then the exporter's own. */
const sending = new Set<Promise<void>>();

const reply = (message: ExportThreadReply) => self.postMessage(message);
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The string table as of an export's batch, and the batch's memory (empty for a flush or shutdown). */
async function handle(
  request: ExportThreadRequest,
  strings: readonly string[],
  memory: BatchMemory,
): Promise<void> {
  const target = await exporter;
  if (request.op === "export") {
    for (const r of request.resources)
      resources.set(
        r.id,
        resourceFromAttributes(r.attributes, r.schemaUrl ? { schemaUrl: r.schemaUrl } : {}),
      );
    for (const s of request.scopes) scopes.set(s.id, s.scope);
    const batch = {
      // The requests' records as they came: the encoder writes each part as the span it stands for.
      batch: { spans: request.spans, strings: memory.strings, numbers: memory.numbers },
      table: strings,
      resource: (id: number) => resources.get(id) ?? resourceFromAttributes({}),
      scope: (id: number) => scopes.get(id) ?? { name: "" },
    };
    const sent = new Promise<void>((resolve) => {
      target.export(batch, (result) => {
        reply({
          id: request.id,
          ok: result.code === 0,
          ...(result.error ? { error: errorText(result.error) } : {}),
        });
        resolve();
      });
    });
    sending.add(sent);
    await sent;
    sending.delete(sent);
    return;
  }
  await Promise.all(sending);
  if (request.op === "flush") await target.forceFlush();
  else await target.shutdown();
  reply({ id: request.id, ok: true });
}

self.onmessage = (event: MessageEvent<ExportThreadRequest>) => {
  const request = event.data;
  const failed = (error: unknown) => reply({ id: request.id, ok: false, error: errorText(error) });
  // The table is updated here, in the order the batches were posted, before anything waits.
  let strings: readonly string[] = [];
  let memory: BatchMemory = NO_MEMORY;
  try {
    if (request.op === "export") {
      memory = { numbers: numberMemories.of(request.numbers), strings: stringMemories.of(request.strings) };
      strings = table.apply(request.table);
    }
  } catch (error) {
    failed(error);
    return;
  }
  handle(request, strings, memory).catch(failed);
};
