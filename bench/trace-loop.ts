/**
 * The event loop's own tracing cost per request, with nothing else in the loop: the request
 * telemetry a traced request makes (server span, one attempt span with its `traceparent`, the
 * finished record's attributes) written straight into span batches by the gateway's BatchTracer
 * (the sampler from OTEL_TRACES_SAMPLER, the gateway's id generator), each full batch taken as
 * the span processor takes it and then dropped: no export thread, no sink. Rounds with and
 * without a tracer alternate in one process, so both run on the same JIT state and load.
 * A hot loop (caches warm): a serving gateway pays about twice this (`bench/trace-micro.ts`,
 * paced, with the hand-off); this resolves changes of 0.1 µs that trace-micro cannot.
 *   bun bench/trace-loop.ts [requests per round] [rounds]   (default 200000 and 4)
 * Prints one line per round, `round <i> on <µs> off <µs> cpu-on <µs> cpu-off <µs>` (wall clock and
 * the main thread's CPU, per request), then
 * `median on <µs> off <µs> traced-cost <µs> best-traced-cost <µs> cpu-traced-cost <µs>`: the wall
 * clock's medians and their difference, the difference of the fastest rounds (what a loaded
 * machine disturbed least), and of the CPU medians (/proc ticks of 10 ms: ±0.05 µs at 200000).
 * `TRACE_LOOP_COLD=1` runs each request with the caches cold, as in a serving gateway
 * (bench/cache-evictor.ts: 1 MB of data and 3,000 functions' code between requests) and reads
 * each round's wall clock as the median of its requests' own times, the eviction left out (the
 * CPU columns then count the eviction too: read the wall clock's):
 *   TRACE_LOOP_COLD=1 bun bench/trace-loop.ts 5000 8
 * `TRACE_LOOP_TURN=k` ends k requests in each turn of the event loop (1 unless set): their
 * records are written together at the turn's end, as the gateway writes them (at c=32 most
 * requests end in a turn with 4–32 others); cold, each request and the turn's end run after an
 * eviction, and a turn's time is shared by its requests.
 * `TRACE_LOOP_STREAM=1`: every request a stream's (its server span's stream flag and time to
 * first token), to set beside the same run without it.
 */
import { readFileSync } from "node:fs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import type { RequestTelemetryDeps } from "../src/telemetry/request-telemetry.ts";
import { BatchTracer, type LaterSpans } from "../src/telemetry/tracing/batch-tracer.ts";
import { hexIdGenerator } from "../src/telemetry/tracing/id-generator.ts";
import { requestTraces } from "../src/telemetry/tracing/request-trace.ts";
import { samplerFromEnv } from "../src/telemetry/tracing/sampler-from-env.ts";
import { SpanBatchWriter } from "../src/telemetry/tracing/span-batch.ts";
import { cacheEvictor } from "./cache-evictor.ts";
import { tracedRequest } from "./traced-request.ts";

const perRound = Number(process.argv[2] ?? "200000");
const rounds = Number(process.argv[3] ?? "4");
const BATCH = 512;
/** Requests that end in one turn of the event loop (`TRACE_LOOP_TURN`, 1 unless set). */
const TURN = Number(process.env.TRACE_LOOP_TURN ?? "1");
/** Streamed requests (`TRACE_LOOP_STREAM=1`). */
const STREAM = process.env.TRACE_LOOP_STREAM === "1";
const queued: LaterSpans[] = [];
/** The end of a turn: the records its requests queued, written one after the other. */
function endTurn(): void {
  for (const spans of queued) spans.write();
  queued.length = 0;
}

const writer = new SpanBatchWriter(BATCH);
let batches = 0;
const tracer = new BatchTracer({
  sdk: new TracerProvider().getTracer("unused"),
  sampler: samplerFromEnv(process.env, console.warn).sampler,
  ids: hexIdGenerator,
  resource: resourceFromAttributes({ "service.name": "trace-loop" }),
  scope: { name: "mindgw", version: undefined, schemaUrl: undefined },
  valueLengthLimit: Number.POSITIVE_INFINITY,
  processor: {
    writer,
    batchFor: () => writer,
    // As ThreadSpanProcessor hands a full batch over; its numbers come back once "sent".
    written() {
      if (writer.count < BATCH) return;
      writer.recycle(writer.take());
      batches++;
    },
    // The gateway writes the records of the requests that end in one turn of its event loop
    // together, at the turn's end: here after `TURN` requests (1: each at once).
    later: (spans) => {
      if (TURN === 1) spans.write();
      else queued.push(spans);
    },
  },
  childrenFollowParent: true,
});
const on: RequestTelemetryDeps = { metrics: undefined, traces: requestTraces(tracer, undefined) };
const off: RequestTelemetryDeps = { metrics: undefined, traces: undefined };

let sent = 0;

function request(i: number, deps: RequestTelemetryDeps): void {
  if (tracedRequest(i, deps, STREAM)) sent++;
}

/** This thread's CPU time in µs (user + system, 10 ms ticks). */
function cpu(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const evict = process.env.TRACE_LOOP_COLD === "1" ? cacheEvictor(1024, 3000) : undefined;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

function round(deps: RequestTelemetryDeps): { wall: number; cpu: number } {
  const cpuBefore = cpu();
  if (evict) {
    // Each request cold, and the turn's end too; a turn's time is shared by its requests.
    const took: number[] = [];
    for (let i = 0; i < perRound; i += TURN) {
      let turn = 0;
      for (let j = i; j < i + TURN; j++) {
        evict();
        const start = Bun.nanoseconds();
        request(j, deps);
        turn += Bun.nanoseconds() - start;
      }
      if (TURN > 1) {
        evict();
        const start = Bun.nanoseconds();
        endTurn();
        turn += Bun.nanoseconds() - start;
      }
      took.push(turn / TURN);
    }
    return { wall: median(took) / 1000, cpu: (cpu() - cpuBefore) / perRound };
  }
  const start = Bun.nanoseconds();
  for (let i = 0; i < perRound; i++) {
    request(i, deps);
    if ((i + 1) % TURN === 0) endTurn();
  }
  return { wall: (Bun.nanoseconds() - start) / 1000 / perRound, cpu: (cpu() - cpuBefore) / perRound };
}

// Warm-up (JIT), both ways.
for (let i = 0; i < 50_000; i++) request(i, on);
for (let i = 0; i < 50_000; i++) request(i, off);
endTurn();
const walls = { on: [] as number[], off: [] as number[] };
const cpus = { on: [] as number[], off: [] as number[] };
for (let r = 1; r <= rounds; r++) {
  const traced = round(on);
  const untraced = round(off);
  walls.on.push(traced.wall);
  walls.off.push(untraced.wall);
  cpus.on.push(traced.cpu);
  cpus.off.push(untraced.cpu);
  console.log(
    `round ${r} on ${traced.wall.toFixed(2)} off ${untraced.wall.toFixed(2)} cpu-on ${traced.cpu.toFixed(2)} cpu-off ${untraced.cpu.toFixed(2)}`,
  );
}
if (batches === 0 || sent === 0) throw new Error("no spans were written: tracing did not run");
const m = { on: median(walls.on), off: median(walls.off) };
const best = Math.min(...walls.on) - Math.min(...walls.off);
const cpuCost = median(cpus.on) - median(cpus.off);
console.log(
  `median on ${m.on.toFixed(2)} off ${m.off.toFixed(2)} traced-cost ${(m.on - m.off).toFixed(2)} best-traced-cost ${best.toFixed(2)} cpu-traced-cost ${cpuCost.toFixed(2)}`,
);
