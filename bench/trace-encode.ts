/**
 * The export thread's OTLP/protobuf encoder alone (otlp-proto-batch.ts), in a hot loop: real
 * batches of 512 spans (bench/traced-request.ts's request, written by the gateway's BatchTracer
 * as a traced request writes them, the string table mirrored as the export thread mirrors it),
 * each encoded again and again. With `--against DIR` the encoder of another checkout (say
 * `/tmp/base-s10`) encodes the same batches in alternating rounds in this process, and the
 * bytes of both are checked equal first. Each encoder is timed from the batch as the main thread
 * wrote it (request records): this checkout's encoder takes it as it is; the other's, made into
 * span records first by its own request-records.ts when it is older than that (its time
 * included: the export thread paid both). `--own`: the other checkout's encoder takes batches its
 * own writer wrote, for a checkout whose batch layout differs (say, before attribute groups,
 * session 17); their bytes cannot be compared then (ids and times differ), their lengths are. Encoding is about half the export thread's CPU (~2.3 of
 * its ~4.7 µs a traced request in `bench/trace-micro.ts`); in place it costs about twice this
 * loop's figure, and not from cold caches (the same batch encoded again at once costs as much:
 * docs/BENCHMARKS-HISTORY.md, session 28). This loop's own figure drifts by ±25 % over seconds on
 * some hosts, in every JIT tier (code that loads and stores does there, whatever runs it: session
 * 29): compare two encoders alternated within one run (`--against`), not across runs.
 *   bun bench/trace-encode.ts [--batches 8] [--rounds 10] [--repeat 50] [--against DIR [--own]]
 * Prints one line per round, then `median <µs a batch> best <µs>` for each encoder (µs of CPU a
 * batch of 512 spans; divide by 256 for a request).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { hexIdGenerator } from "../src/telemetry/tracing/id-generator.ts";
import { encodeSpanBatch } from "../src/telemetry/tracing/otlp-proto-batch.ts";
import { SpanRecords } from "../src/telemetry/tracing/request-records.ts";
import { samplerFromEnv } from "../src/telemetry/tracing/sampler-from-env.ts";
import type { SpanBatch } from "../src/telemetry/tracing/span-batch-layout.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: {
    batches: { type: "string", default: "8" },
    rounds: { type: "string", default: "10" },
    repeat: { type: "string", default: "50" },
    against: { type: "string" },
    own: { type: "boolean", default: false },
  },
});
const BATCH = 512;
process.env.OTEL_TRACES_SAMPLER ??= "traceidratio";
process.env.OTEL_TRACES_SAMPLER_ARG ??= "1.0";

const resource = resourceFromAttributes({ "service.name": "trace-encode" });
const scope = { name: "mindgw", version: undefined, schemaUrl: undefined };
const resourceOf = () => resource;
const scopeOf = () => scope;
type Encode = typeof encodeSpanBatch;
interface Encoded {
  readonly batch: SpanBatch;
  readonly table: readonly string[];
}

/**
 * `values.batches` batches of 512 spans as the gateway writes them, by the writer of the checkout
 * at `root` (this one's, or `--against`'s with `--own`), and the thread's mirror of the table as
 * the thread hands it to the encoder: one array a generation (grown by each batch; a batch names
 * only strings it held then), so the encoder keeps its bytes across batches as it does on the
 * thread (table-bytes.ts), where a copy a batch made it start over.
 */
async function written(root: string): Promise<Encoded[]> {
  const from = (file: string) => import(resolve(root, file));
  const { BatchTracer } = await from("src/telemetry/tracing/batch-tracer.ts");
  const { SpanBatchWriter } = await from("src/telemetry/tracing/span-batch.ts");
  const { requestTraces } = await from("src/telemetry/tracing/request-trace.ts");
  const { StringTableMirror } = await from("src/telemetry/tracing/string-table.ts");
  const { tracedRequest } = await from("bench/traced-request.ts");
  const taken: SpanBatch[] = [];
  const writer = new SpanBatchWriter(BATCH);
  const tracer = new BatchTracer({
    sdk: new TracerProvider().getTracer("unused"),
    sampler: samplerFromEnv(process.env, console.warn).sampler,
    ids: hexIdGenerator,
    resource,
    scope,
    valueLengthLimit: Number.POSITIVE_INFINITY,
    processor: {
      writer,
      batchFor: () => writer,
      written() {
        if (writer.count >= BATCH) taken.push(writer.take());
      },
      later: (spans: { write(): void }) => spans.write(),
    },
    childrenFollowParent: true,
  });
  const deps = { metrics: undefined, traces: requestTraces(tracer, false) };
  for (let i = 0; taken.length < Number(values.batches); i++) tracedRequest(i, deps);
  const mirror = new StringTableMirror();
  return taken.map((batch) => ({ batch, table: mirror.apply(batch.table) }));
}

const here = resolve(import.meta.dir, "..");
const ownBatches = await written(here);
const encoders: [string, Encode, Encoded[]][] = [["this", encodeSpanBatch, ownBatches]];
if (values.against) {
  const source = (file: string) => resolve(values.against as string, "src/telemetry/tracing", file);
  const encode = (await import(source("otlp-proto-batch.ts"))).encodeSpanBatch as Encode;
  // An encoder older than request records in its input is given span records, as its thread did.
  const takesRequests = (await Bun.file(source("otlp-proto-batch.ts")).text()).includes("REQUEST");
  const theirRecords = new (await import(source("request-records.ts"))).SpanRecords() as SpanRecords;
  encoders.push([
    "against",
    takesRequests
      ? encode
      : (batch, ...rest) => encode({ ...batch, numbers: theirRecords.of(batch.numbers) }, ...rest),
    values.own ? await written(values.against) : ownBatches,
  ]);
}
// Each encoder writes into a buffer of its own, reused, as the export thread does.
const buffers = encoders.map(() => new Uint8Array(1 << 20));
const encodeAll = (e: number) => {
  const [, encode, batches] = encoders[e] as [string, Encode, Encoded[]];
  return batches.map(({ batch, table }) => {
    const bytes = encode(batch, table, resourceOf, scopeOf, buffers[e]);
    if (bytes === undefined) throw new Error("a batch was left to the library's serialiser");
    return bytes;
  });
};
if (encoders.length > 1 && !values.own) {
  const [ours, theirs] = [encodeAll(0), encodeAll(1)];
  ours.forEach((bytes, i) => {
    if (Buffer.compare(bytes, theirs[i] as Uint8Array) !== 0) throw new Error(`batch ${i}: the bytes differ`);
  });
}
// With `--own` the two checkouts' batches differ (their ids and times): each encoder's bytes are
// held to the same length instead, the attributes' bytes being what a layout change may move.
if (values.own) {
  const lengths = encoders.map((_, e) => encodeAll(e).reduce((sum, bytes) => sum + bytes.length, 0));
  if (lengths[0] !== lengths[1]) throw new Error(`the encoders wrote ${lengths[0]} and ${lengths[1]} bytes`);
}

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const perBatch: number[][] = encoders.map(() => []);
for (let round = 0; round < Number(values.rounds); round++) {
  const line: string[] = [];
  // Alternating order: the encoder that goes second does not always find the caches warmer.
  const order = round % 2 === 0 ? encoders.map((_, e) => e) : encoders.map((_, e) => e).reverse();
  for (const e of order) {
    const start = cpuMicros();
    for (let r = 0; r < Number(values.repeat); r++) encodeAll(e);
    const us = (cpuMicros() - start) / (Number(values.repeat) * ownBatches.length);
    perBatch[e]?.push(us);
    line.push(`${encoders[e]?.[0]} ${us.toFixed(1)}`);
  }
  console.log(`round ${round} ${line.join(" ")}`);
}
// What making the span records costs the thread, a batch (the same CPU clock, hot).
const recordsStart = cpuMicros();
const records = new SpanRecords();
for (let r = 0; r < Number(values.repeat); r++) for (const { batch } of ownBatches) records.of(batch.numbers);
const recordsUs = (cpuMicros() - recordsStart) / (Number(values.repeat) * ownBatches.length);
console.log(`records ${recordsUs.toFixed(1)} µs a batch to make its span records`);
encoders.forEach(([name], e) => {
  const us = perBatch[e] ?? [];
  console.log(
    `${name} median ${median(us).toFixed(1)} best ${Math.min(...us).toFixed(1)} µs a batch of ${BATCH} spans`,
  );
});
