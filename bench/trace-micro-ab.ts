/**
 * `bench/trace-micro.ts`'s pipeline (every request traced, the real span processor, export thread
 * and OTLP exporter, to `bench/otlp-sink.ts`) for this checkout and another, in one process, their
 * rounds alternating: what a traced request costs the event loop and the export thread, in total
 * and apart, this checkout's against the other's. Each checkout runs its own `startTracing`,
 * `requestTraces` and `bench/traced-request.ts`, so its own export thread.
 *   bun bench/trace-micro-ab.ts --against DIR [--rounds 12] [--requests 30000] [--warmup 150000]
 * Each round drives one checkout's requests paced as trace-micro.ts's (`TRACE_MICRO_RATE`, 20 a
 * millisecond here unless set), then flushes its pipeline (every span sent and answered), and reads
 * CPU exact to the call (clock_gettime through bun:ffi, bench/cpu-time.ts): the event loop's
 * (CLOCK_THREAD_CPUTIME_ID), that checkout's export thread's (its thread CPU clock) and the
 * process's (every thread: the JIT's and collector's helpers too). The order within a round
 * alternates. Prints each round, then each side's median (min–max) in µs a request, and the
 * ratios this ÷ against, round by round: median (min–max). A flush a round sends one short batch
 * more a round on both sides. `OTEL_BSP_*` and the other standard variables apply to both.
 */
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Tracer } from "@opentelemetry/api";
import type { Logger } from "../src/log/logger.ts";
import type { RequestTelemetryDeps } from "../src/telemetry/request-telemetry.ts";
import type { RequestTraces } from "../src/telemetry/tracing/request-trace.ts";
import { processCpuNs, threadCpuNs, threadCpuNsOf } from "./cpu-time.ts";
import { startOtlpSink } from "./otlp-sink.ts";
import { spread } from "./stats.ts";

const { values } = parseArgs({
  options: {
    against: { type: "string" },
    rounds: { type: "string", default: "12" },
    requests: { type: "string", default: "30000" },
    warmup: { type: "string", default: "150000" },
  },
});
if (!values.against) throw new Error("--against DIR: the other checkout (its src/ and bench/)");
const rounds = wholeNumber(values.rounds, "--rounds");
const perRound = wholeNumber(values.requests, "--requests");
const warmup = wholeNumber(values.warmup, "--warmup");
const RATE = Math.max(1, Number(process.env.TRACE_MICRO_RATE ?? 20) | 0);

function wholeNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: a whole number, 1 or more`);
  return n;
}

/** One checkout's pipeline: its request, its flush, its export thread's id. */
interface Checkout {
  readonly name: string;
  request: (i: number) => void;
  flush: () => Promise<void>;
  exportThread: number;
  /** Spans its pipeline dropped (its `spans dropped` lines' running total): the export fell behind. */
  dropped: number;
  /** `dropped` when its warm-up ended. */
  droppedWarm: number;
}

const quiet = () => {};

/** The ids of this process's threads named `mindgw-export`. */
function exportThreads(): number[] {
  return readdirSync("/proc/self/task")
    .filter((tid) => readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim() === "mindgw-export")
    .map(Number);
}

async function load(root: string, name: string): Promise<Checkout> {
  const from = async <T>(path: string, exported: string): Promise<T> =>
    ((await import(resolve(root, path))) as Record<string, T>)[exported] as T;
  const startTracing = await from<(name: string, logger: Logger) => Promise<{ tracer: Tracer } | undefined>>(
    "src/telemetry/tracing/start-tracing.ts",
    "startTracing",
  );
  const requestTraces = await from<(tracer: Tracer, content: undefined) => RequestTraces>(
    "src/telemetry/tracing/request-trace.ts",
    "requestTraces",
  );
  const tracedRequest = await from<(i: number, deps: RequestTelemetryDeps) => boolean>(
    "bench/traced-request.ts",
    "tracedRequest",
  );
  const checkout: Checkout = {
    name,
    request: quiet,
    flush: async () => {},
    exportThread: 0,
    dropped: 0,
    droppedWarm: 0,
  };
  const logger: Logger = {
    debug: quiet,
    info: quiet,
    error: (message) => console.error(`${name}: ${message}`),
    warn: (message, fields) => {
      if (typeof fields?.total === "number") checkout.dropped = fields.total;
      else console.warn(`${name}: ${message}`);
    },
  };
  const tracing = await startTracing("trace-micro-ab", logger);
  if (!tracing) throw new Error(`${name}: tracing did not start`);
  // The BatchTracer's span processor (thread-span-processor.ts): its forceFlush ends a round.
  const processor = (
    Reflect.get(tracing.tracer, "parts") as { processor?: { forceFlush?: () => Promise<void> } }
  )?.processor;
  if (typeof processor?.forceFlush !== "function") throw new Error(`${name}: no span processor to flush`);
  const deps: RequestTelemetryDeps = { metrics: undefined, traces: requestTraces(tracing.tracer, undefined) };
  return Object.assign(checkout, {
    request: (i: number) => {
      if (!tracedRequest(i, deps)) throw new Error(`${name}: a request was not sampled`);
    },
    flush: () => processor.forceFlush?.() ?? Promise.resolve(),
  });
}

/** Paced as trace-micro.ts's: at most RATE requests a millisecond, the loop yielded between. */
async function requests(checkout: Checkout, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    checkout.request(i);
    if (i % RATE === RATE - 1) await Bun.sleep(1);
  }
  await checkout.flush();
}

interface Round {
  readonly loop: number;
  readonly exporter: number;
  readonly total: number;
  readonly process: number;
}
const FIGURES = ["loop", "exporter", "total", "process"] as const;

async function round(checkout: Checkout): Promise<Round> {
  const loop = threadCpuNs();
  const exporter = threadCpuNsOf(checkout.exportThread);
  const all = processCpuNs();
  await requests(checkout, perRound);
  const us = (ns: number) => ns / 1000 / perRound;
  const loopUs = us(threadCpuNs() - loop);
  const exporterUs = us(threadCpuNsOf(checkout.exportThread) - exporter);
  return {
    loop: loopUs,
    exporter: exporterUs,
    total: loopUs + exporterUs,
    process: us(processCpuNs() - all),
  };
}

const sink = await startOtlpSink();
try {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.url;
  const checkouts: Checkout[] = [];
  for (const [root, name] of [
    [resolve(import.meta.dir, ".."), "this"],
    [resolve(values.against), "against"],
  ] as const) {
    const before = new Set(exportThreads());
    const checkout = await load(root, name);
    // A first batch, flushed: its export thread starts with it.
    await requests(checkout, 1000);
    const started = exportThreads().filter((tid) => !before.has(tid));
    if (started.length !== 1) throw new Error(`${name}: ${started.length} new export threads, not 1`);
    checkout.exportThread = started[0] ?? 0;
    checkouts.push(checkout);
  }
  const [mine, theirs] = checkouts as [Checkout, Checkout];
  // Warm-up (JIT), in alternating slices as the rounds run: the checkout warmed first read its
  // loop ~5 % dearer than the other in A/A runs when each was warmed whole, one after the other.
  for (let done = 0; done < warmup; done += perRound)
    for (const checkout of checkouts) await requests(checkout, Math.min(perRound, warmup - done));
  for (const checkout of checkouts) checkout.droppedWarm = checkout.dropped;
  const results = { this: [] as Round[], against: [] as Round[] };
  for (let r = 1; r <= rounds; r++) {
    for (const checkout of r % 2 === 1 ? [mine, theirs] : [theirs, mine]) {
      const result = await round(checkout);
      results[checkout.name as "this" | "against"].push(result);
      console.log(
        `round ${r} ${checkout.name}: ${FIGURES.map((f) => `${f} ${result[f].toFixed(2)}`).join(" ")}`,
      );
    }
  }
  console.log("µs a traced request, median (min–max) over rounds; ratio this ÷ against, round by round:");
  for (const f of FIGURES) {
    const ratios = results.this.map((r, i) => r[f] / (results.against[i]?.[f] ?? Number.NaN));
    console.log(
      `${f.padEnd(8)} this ${spread(
        results.this.map((r) => r[f]),
        2,
      )} against ${spread(
        results.against.map((r) => r[f]),
        2,
      )} ratio ${spread(ratios, 3)}`,
    );
  }
  console.log(
    `spans dropped (the export fell behind: its figures read low): this ${mine.dropped - mine.droppedWarm} against ${theirs.dropped - theirs.droppedWarm}`,
  );
} finally {
  await sink.stop();
}
process.exit(0);
